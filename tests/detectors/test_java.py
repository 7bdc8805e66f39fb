"""The Java ecosystem: Maven and Gradle, wrappers, version sources, Spring Boot and friends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.inspect import inspect_tree
from migrate.inspect.detectors.base import AppDir
from migrate.inspect.detectors.java import ECOSYSTEM
from migrate.inspect.tree import SourceTree
from migrate.profile import AppProfile, Inspection

MakeTree = Callable[[dict[str, str | bytes]], Path]


def pom(body: str = "", *, parent: str = "", artifact: str = "demo", version: str = "1.0.0", deps: str = "", plugins: str = "") -> str:
    """A namespaced pom.xml, as Maven archetypes write them."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <modelVersion>4.0.0</modelVersion>
  {parent}
  <groupId>com.example</groupId>
  <artifactId>{artifact}</artifactId>
  <version>{version}</version>
  {body}
  <dependencies>{deps}</dependencies>
  <build><plugins>{plugins}</plugins></build>
</project>
"""


BOOT_PARENT = """<parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.5</version>
  </parent>"""
BOOT_PLUGIN = """
    <plugin>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-maven-plugin</artifactId>
    </plugin>"""


def dep(artifact: str, scope: str = "") -> str:
    scope_xml = f"<scope>{scope}</scope>" if scope else ""
    return f"\n    <dependency>\n      <groupId>g</groupId>\n      <artifactId>{artifact}</artifactId>{scope_xml}\n    </dependency>"


def only_app(result: Inspection) -> AppProfile:
    assert len(result.apps) == 1, [a.path for a in result.apps]
    return result.apps[0]


def ev(app: AppProfile, fact: str) -> list[str]:
    return [str(e) for e in app.fact(fact).evidence]


# ---------------------------------------------------------------- Maven
def test_spring_boot_maven_app(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pom.xml": pom(
                "<properties>\n    <java.version>21</java.version>\n  </properties>",
                parent=BOOT_PARENT,
                deps=dep("spring-boot-starter-web") + dep("spring-boot-starter-actuator") + dep("postgresql", "runtime") + dep("spring-boot-starter-test", "test") + dep("h2", "test"),
                plugins=BOOT_PLUGIN,
            ),
            "src/main/resources/application.properties": "spring.application.name=demo\nserver.port=${PORT:9000}\nspring.datasource.url=${DATABASE_URL}\n",
        }
    )
    app = only_app(inspect_tree(root))
    assert app.name == "demo"
    assert (app.language.value, app.framework.value, app.package_manager.value) == ("java", "spring-boot", "maven")
    assert app.runtime_version.value == "21"
    assert ev(app, "runtime_version") == ["pom.xml:13: <java.version> 21"]
    assert app.build_command.value == "mvn -B package -DskipTests"
    assert app.start_command.value == "java -jar target/demo-1.0.0.jar"
    assert app.detail("jar") == "target/demo-1.0.0.jar"
    assert app.detail("install_command") == "mvn -B dependency:go-offline"
    assert app.detail("wrapper") is None
    assert ev(app, "framework") == ["pom.xml:39: plugin spring-boot-maven-plugin"]
    assert app.port.value == 9000 and not app.port.is_default
    assert ev(app, "port") == ["src/main/resources/application.properties:2: server.port=${PORT:9000}"]
    assert app.health_path.value == "/actuator/health"
    assert ev(app, "health_path") == ["pom.xml:22: spring-boot-starter-actuator serves /actuator/health"]
    assert [s.kind for s in app.backing_services] == ["postgres"]
    assert {v.name: v.required for v in app.env} == {"DATABASE_URL": True, "PORT": False}


def test_maven_wrapper_is_used_and_its_maven_version_recorded(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN),
            "mvnw": "#!/bin/sh\n",
            ".mvn/wrapper/maven-wrapper.properties": "distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.9/apache-maven-3.9.9-bin.zip\n",
        }
    )
    app = only_app(inspect_tree(root))
    assert app.build_command.value == "./mvnw -B package -DskipTests"
    assert app.detail("install_command") == "./mvnw -B dependency:go-offline"
    assert app.detail("wrapper") == "mvnw"
    assert app.detail("maven_version") == "3.9.9"
    assert "mvnw: Maven wrapper" in ev(app, "package_manager")


def test_final_name_and_war_packaging(make_tree: MakeTree) -> None:
    root = make_tree(
        {"pom.xml": pom("<packaging>war</packaging>\n  <properties><app.name>shop</app.name></properties>", parent=BOOT_PARENT, plugins=BOOT_PLUGIN).replace("<build>", "<build><finalName>${app.name}</finalName>")}
    )
    assert only_app(inspect_tree(root)).start_command.value == "java -jar target/shop.war"


def test_unresolvable_jar_name_is_a_glob_and_a_warning(make_tree: MakeTree) -> None:
    root = make_tree({"pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN, version="${revision}")})
    result = inspect_tree(root)
    app = only_app(result)
    assert app.start_command.value is None
    assert app.detail("jar") == "target/*.jar"
    assert any("computed at build time" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("properties", "plugins", "expected", "reason"),
    [
        ("<maven.compiler.release>17</maven.compiler.release>", "", "17", "<maven.compiler.release> 17"),
        ("<maven.compiler.source>1.8</maven.compiler.source>", "", "8", "<maven.compiler.source> 8"),
        ("<maven.compiler.target>11</maven.compiler.target>", "", "11", "<maven.compiler.target> 11"),
        ("<jdk>21</jdk><maven.compiler.release>${jdk}</maven.compiler.release>", "", "21", "<maven.compiler.release> 21"),
        (
            "",
            "<plugin><artifactId>maven-compiler-plugin</artifactId><configuration><release>17</release></configuration></plugin>",
            "17",
            "maven-compiler-plugin <release> 17",
        ),
    ],
)
def test_maven_java_version_sources(make_tree: MakeTree, properties: str, plugins: str, expected: str, reason: str) -> None:
    root = make_tree({"pom.xml": pom(f"<properties>{properties}</properties>", parent=BOOT_PARENT, plugins=BOOT_PLUGIN + plugins)})
    app = only_app(inspect_tree(root))
    assert app.runtime_version.value == expected
    assert not app.runtime_version.is_default
    assert app.runtime_version.evidence[0].reason == reason
    assert app.runtime_version.evidence[0].line is not None


@pytest.mark.parametrize(
    ("file", "content", "expected"),
    [
        (".tool-versions", "nodejs 22.1.0\njava temurin-21.0.2+13.0.LTS\n", "21"),
        (".java-version", "17.0\n", "17"),
        (".sdkmanrc", "# sdkman\njava=11.0.22-tem\n", "11"),
    ],
)
def test_java_version_from_tool_files(make_tree: MakeTree, file: str, content: str, expected: str) -> None:
    root = make_tree({"pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN), file: content})
    app = only_app(inspect_tree(root))
    assert app.runtime_version.value == expected
    assert app.runtime_version.evidence[0].path == file
    assert app.runtime_version.evidence[0].line is not None


def test_default_java_version_when_nothing_pins_it(make_tree: MakeTree) -> None:
    root = make_tree({"pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN)})
    app = only_app(inspect_tree(root))
    assert app.runtime_version.value == "21" and app.runtime_version.is_default


def test_boot_parent_without_plugin_warns_that_the_jar_is_not_executable(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"pom.xml": pom(parent=BOOT_PARENT)}))
    assert only_app(result).framework.value == "spring-boot"
    assert any("spring-boot-maven-plugin is not in" in w for w in result.warnings)


def test_maven_aggregator_members_build_from_the_root(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pom.xml": pom(
                "<packaging>pom</packaging>\n  <modules>\n    <module>api</module>\n    <module>core</module>\n  </modules>\n  <properties><java.version>17</java.version></properties>",
                parent=BOOT_PARENT,
                artifact="shop-parent",
                deps=dep("postgresql", "runtime"),
            ),
            "mvnw": "#!/bin/sh\n",
            "api/pom.xml": pom(
                parent="<parent><groupId>com.example</groupId><artifactId>shop-parent</artifactId><version>1.0.0</version></parent>",
                artifact="shop-api",
                version="",
                deps=dep("spring-boot-starter-web"),
                plugins=BOOT_PLUGIN,
            ).replace("<version></version>", ""),
            "core/pom.xml": pom(artifact="shop-core"),
        }
    )
    result = inspect_tree(root)
    app = only_app(result)
    assert (app.path, app.name) == ("api", "shop-api")
    assert app.build_command.value == "./mvnw -B -pl api -am package -DskipTests"
    assert app.detail("install_command") == "./mvnw -B -pl api -am dependency:go-offline"
    assert app.detail("build_root") == "."
    assert app.detail("wrapper") == "mvnw"
    assert app.start_command.value == "java -jar target/shop-api-1.0.0.jar"  # version inherited from the parent
    assert app.runtime_version.value == "17"
    assert ev(app, "runtime_version") == ["pom.xml:17: <java.version> 17"]
    assert [s.kind for s in app.backing_services] == ["postgres"]  # the parent's dependencies are inherited
    assert any("core: a library of the workspace" in w for w in result.warnings)


def test_library_pom_claims_weakly(make_tree: MakeTree) -> None:
    root = make_tree({"pom.xml": pom(deps=dep("guava"))})
    claim = ECOSYSTEM.claim(AppDir(SourceTree.scan(root), "."))
    assert claim is not None and claim.strength == 1
    result = inspect_tree(root)
    app = only_app(result)
    assert app.framework.value is None and app.start_command.value is None
    assert any("no Java web framework" in w for w in result.warnings)
    assert any("could not tell how to start" in w for w in result.warnings)


def test_plain_maven_executable_jar(make_tree: MakeTree) -> None:
    plugin = "<plugin><artifactId>maven-jar-plugin</artifactId><configuration><archive><manifest><mainClass>com.example.Main</mainClass></manifest></archive></configuration></plugin>"
    root = make_tree({"pom.xml": pom(plugins=plugin)})
    claim = ECOSYSTEM.claim(AppDir(SourceTree.scan(root), "."))
    assert claim is not None and claim.strength == 2
    app = only_app(inspect_tree(root))
    assert app.framework.value is None
    assert app.start_command.value == "java -jar target/demo-1.0.0.jar"
    assert ev(app, "start_command")[0].startswith("pom.xml:")


def test_malformed_pom_warns_and_does_not_crash(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"pom.xml": "<project><artifactId>x</artifactId>"}))
    app = only_app(result)
    assert app.language.value == "java" and app.package_manager.value == "maven"
    assert app.framework.value is None
    assert any("pom.xml: malformed XML" in w for w in result.warnings)


def test_xml_bomb_is_rejected_by_defusedxml(make_tree: MakeTree) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
        "<project><artifactId>&lol3;</artifactId></project>\n"
    )
    result = inspect_tree(make_tree({"pom.xml": bomb}))
    assert only_app(result).name == "tree"  # the entity was never expanded into a name
    assert any("pom.xml: malformed XML" in w for w in result.warnings)


def test_not_a_pom(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"pom.xml": "<settings/>"}))
    assert only_app(result).framework.value is None
    assert any("not a Maven POM" in w for w in result.warnings)


# ---------------------------------------------------------------- Spring configuration
def test_port_from_application_yml_and_actuator_paths(make_tree: MakeTree) -> None:
    yml = (
        "spring:\n  data:\n    redis:\n      port: 6379\n"
        "server:\n  port: 8081\n  servlet:\n    context-path: /api\n"
        "management.endpoints.web.base-path: /manage\n"
        "---\nserver:\n  port: 9999\n"
    )
    root = make_tree(
        {
            "pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN, deps=dep("spring-boot-starter-actuator") + dep("spring-boot-starter-data-redis")),
            "src/main/resources/application.yml": yml,
        }
    )
    app = only_app(inspect_tree(root))
    assert app.port.value == 8081
    assert ev(app, "port") == ["src/main/resources/application.yml:6: server.port: 8081"]
    assert app.health_path.value == "/api/manage/health"
    assert [s.kind for s in app.backing_services] == ["redis"]


def test_port_placeholder_without_default_falls_back_to_the_default(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN),
            "src/main/resources/application.properties": "server.port=${SERVER_PORT}\n",
        }
    )
    result = inspect_tree(root)
    app = only_app(result)
    assert app.port.value == 8080 and app.port.is_default
    assert app.health_path.value is None  # no actuator, no health route
    assert any("server.port comes from ${SERVER_PORT} with no default" in w for w in result.warnings)


def test_env_reads_in_code_and_config_but_not_tests(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN),
            "src/main/java/App.java": 'class App { String k = System.getenv("API_TOKEN"); int n = Integer.parseInt(System.getenv().getOrDefault("WORKERS", "4")); }\n',
            "src/main/resources/application.yml": "app:\n  region: ${AWS_REGION:eu-west-1}\n",
            "src/test/resources/application.yml": "app:\n  only-in-tests: ${TEST_ONLY}\n",
            "src/test/java/AppTest.java": 'class AppTest { String k = System.getenv("TEST_SECRET"); }\n',
        }
    )
    env = {v.name: v for v in only_app(inspect_tree(root)).env}
    assert set(env) == {"API_TOKEN", "AWS_REGION", "WORKERS"}
    assert not env["API_TOKEN"].required and env["API_TOKEN"].secret  # System.getenv yields null when unset
    assert (env["AWS_REGION"].required, env["AWS_REGION"].default) == (False, "eu-west-1")
    assert (env["WORKERS"].required, env["WORKERS"].default) == (False, "4")


def test_quarkus_and_micronaut(make_tree: MakeTree) -> None:
    quarkus = inspect_tree(
        make_tree(
            {
                "pom.xml": pom(plugins="<plugin><groupId>io.quarkus.platform</groupId><artifactId>quarkus-maven-plugin</artifactId></plugin>", deps=dep("quarkus-smallrye-health")),
                "src/main/resources/application.properties": "quarkus.http.port=8090\n",
            }
        )
    )
    app = only_app(quarkus)
    assert (app.framework.value, app.start_command.value, app.port.value, app.health_path.value) == (
        "quarkus",
        "java -jar target/quarkus-app/quarkus-run.jar",
        8090,
        "/q/health",
    )


def test_micronaut_gradle_shadow_jar(make_tree: MakeTree) -> None:
    build = 'plugins {\n    id("io.micronaut.application") version "4.4.2"\n}\nversion = "0.2"\n'
    app = only_app(inspect_tree(make_tree({"build.gradle.kts": build, "settings.gradle.kts": 'rootProject.name = "hello"\n'})))
    assert app.framework.value == "micronaut"
    assert app.start_command.value == "java -jar build/libs/hello-0.2-all.jar"
    assert app.port.value == 8080 and app.port.is_default


# ---------------------------------------------------------------- Gradle
GROOVY_BOOT = """plugins {
    id 'java'
    id 'org.springframework.boot' version '3.3.5'
    id 'io.spring.dependency-management' version '1.1.6'
}

group = 'com.example'
version = '0.0.1-SNAPSHOT'
sourceCompatibility = '17'

dependencies {
    implementation 'org.springframework.boot:spring-boot-starter-web'
    runtimeOnly 'org.postgresql:postgresql'
    implementation group: 'org.springframework.kafka', name: 'spring-kafka'
    developmentOnly 'org.springframework.boot:spring-boot-devtools'
    testImplementation 'org.springframework.boot:spring-boot-starter-data-redis'
}
"""


def test_gradle_groovy_with_wrapper(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "build.gradle": GROOVY_BOOT,
            "settings.gradle": "rootProject.name = 'orders'\n",
            "gradlew": "#!/bin/sh\n",
            "gradle/wrapper/gradle-wrapper.jar": b"PK\x03\x04\x00binary",
            "gradle/wrapper/gradle-wrapper.properties": "distributionUrl=https\\://services.gradle.org/distributions/gradle-8.10.2-bin.zip\n",
        }
    )
    app = only_app(inspect_tree(root))
    assert (app.name, app.framework.value, app.package_manager.value) == ("orders", "spring-boot", "gradle")
    assert app.runtime_version.value == "17"
    assert ev(app, "runtime_version") == ["build.gradle:9: sourceCompatibility 17"]
    assert app.build_command.value == "./gradlew bootJar --no-daemon"
    assert app.detail("install_command") == "./gradlew dependencies --no-daemon"
    assert app.detail("wrapper") == "gradlew"
    assert app.detail("gradle_version") == "8.10.2"
    assert app.start_command.value == "java -jar build/libs/orders-0.0.1-SNAPSHOT.jar"
    assert ev(app, "framework") == ["build.gradle:3: plugin org.springframework.boot"]
    assert sorted(s.kind for s in app.backing_services) == ["kafka", "postgres"]  # test-only redis is not a service


def test_gradlew_without_its_jar_is_not_used(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"build.gradle": GROOVY_BOOT, "gradlew": "#!/bin/sh\n"}))
    app = only_app(result)
    assert app.build_command.value == "gradle bootJar --no-daemon"
    assert app.detail("wrapper") is None
    assert any("gradle-wrapper.jar" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("java { toolchain { languageVersion = JavaLanguageVersion.of(21) } }", "21"),
        ("java {\n    toolchain {\n        languageVersion.set(JavaLanguageVersion.of(17))\n    }\n}", "17"),
        ("kotlin { jvmToolchain(21) }", "21"),
        ("java.sourceCompatibility = JavaVersion.VERSION_21", "21"),
        ("sourceCompatibility = JavaVersion.VERSION_1_8", "8"),
        ("sourceCompatibility = 11", "11"),
    ],
)
def test_gradle_java_version_sources(make_tree: MakeTree, line: str, expected: str) -> None:
    build = f'plugins {{\n    id("org.springframework.boot") version "3.3.5"\n}}\n{line}\n'
    app = only_app(inspect_tree(make_tree({"build.gradle.kts": build})))
    assert app.runtime_version.value == expected
    assert app.runtime_version.evidence[0].line is not None and app.runtime_version.evidence[0].line >= 4


def test_gradle_unspecified_version_and_folder_name(make_tree: MakeTree) -> None:
    app = only_app(inspect_tree(make_tree({"build.gradle.kts": 'plugins { id("org.springframework.boot") version "3.3.5" }\n'})))
    assert app.start_command.value == "java -jar build/libs/tree.jar"
    assert app.build_command.value == "gradle bootJar --no-daemon"


def test_gradle_application_plugin(make_tree: MakeTree) -> None:
    build = "plugins {\n    application\n}\n\napplication {\n    mainClass = \"com.example.MainKt\"\n}\n"
    root = make_tree({"build.gradle.kts": build, "settings.gradle.kts": 'rootProject.name = "cli"\n'})
    result = inspect_tree(root)
    app = only_app(result)
    assert app.framework.value is None
    assert app.build_command.value == "gradle installDist --no-daemon"
    assert app.start_command.value == "build/install/cli/bin/cli"
    assert ev(app, "start_command") == ["build.gradle.kts:2: plugin application"]
    assert any("no Java web framework" in w for w in result.warnings)


def test_gradle_multi_project(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "settings.gradle.kts": 'rootProject.name = "shop"\ninclude("services:api")\ninclude(\n    "lib",\n)\nincludeBuild("build-logic")\n',
            "build.gradle.kts": 'subprojects {\n    version = "2.0.0"\n}\n',
            "gradle.properties": "org.gradle.jvmargs=-Xmx1g\n",
            "gradlew": "#!/bin/sh\n",
            "gradle/wrapper/gradle-wrapper.jar": b"PK\x03\x04",
            "services/api/build.gradle.kts": 'plugins {\n    id("org.springframework.boot") version "3.3.5"\n}\njava { toolchain { languageVersion = JavaLanguageVersion.of(21) } }\n',
            "lib/build.gradle.kts": "plugins {\n    `java-library`\n}\n",
            "build-logic/settings.gradle.kts": "",
        }
    )
    result = inspect_tree(root)
    app = only_app(result)
    assert app.path == "services/api"
    assert app.build_command.value == "./gradlew :services:api:bootJar --no-daemon"
    assert app.detail("install_command") == "./gradlew :services:api:dependencies --no-daemon"
    assert app.detail("build_root") == "."
    assert app.start_command.value == "java -jar build/libs/api-2.0.0.jar"
    assert app.runtime_version.value == "21"
    assert ECOSYSTEM.workspace_members(AppDir(SourceTree.scan(root), ".")) == ["services/api", "lib"]


def test_server_port_from_port_follows_the_port_convention_and_loopback_is_opened(make_tree: MakeTree) -> None:
    """``server.port=${PORT}``: the image sets PORT; ``server.address=127.0.0.1`` is overridden by SERVER_ADDRESS."""
    root = make_tree(
        {
            "pom.xml": pom(parent=BOOT_PARENT, plugins=BOOT_PLUGIN),
            "src/main/resources/application.properties": "server.port=${PORT}\nserver.address=127.0.0.1\n",
        }
    )
    result = inspect_tree(root)
    app = only_app(result)
    assert app.port.value == 8080 and app.detail("port_env") == "PORT"
    assert app.detail("listen_env") == "SERVER_ADDRESS=0.0.0.0"
    assert not any("comes from ${PORT}" in w for w in result.warnings)

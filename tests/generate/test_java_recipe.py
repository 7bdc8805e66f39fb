"""The Java recipe: plans for Maven and Gradle, wrappers, Spring Boot versions and multi-module builds."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

MakeTree = Callable[[dict[str, str | bytes]], Path]


def pom(artifact: str = "demo", *, parent: str = "3.3.5", body: str = "", deps: str = "", plugins: bool = True) -> str:
    """A Spring Boot pom.xml (``parent`` is the Boot version, or a raw <parent> element)."""
    parent_xml = parent if parent.startswith("<") else (
        f"<parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>{parent}</version></parent>"
    )
    plugin = "<plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId></plugin>" if plugins else ""
    return f"""<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  {parent_xml}
  <groupId>com.example</groupId>
  <artifactId>{artifact}</artifactId>
  <version>1.0.0</version>
  {body}
  <properties><java.version>21</java.version></properties>
  <dependencies>{deps}</dependencies>
  <build><plugins>{plugin}</plugins></build>
</project>
"""


def dep(artifact: str, scope: str = "") -> str:
    scope_xml = f"<scope>{scope}</scope>" if scope else ""
    return f"<dependency><groupId>org.springframework.boot</groupId><artifactId>{artifact}</artifactId>{scope_xml}</dependency>"


GRADLE_BOOT = """plugins {
    java
    id("org.springframework.boot") version "%s"
    id("io.spring.dependency-management") version "1.1.6"
}
version = "1.0.0"
java { toolchain { languageVersion = JavaLanguageVersion.of(17) } }
dependencies {
    implementation("org.springframework.boot:spring-boot-starter-web")
    developmentOnly("org.springframework.boot:spring-boot-devtools")
}
"""


def only_plan(root: Path) -> ContainerPlan:
    apps = inspect_tree(root).apps
    assert len(apps) == 1
    return plan_for(apps[0])


def dockerfile(root: Path) -> str:
    return next(f.content for f in generate(inspect_tree(root)) if f.output == "dockerfile")




# ---------------------------------------------------------------- Maven
def test_spring_boot_maven_layers_with_the_tools_jar_mode(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"pom.xml": pom(deps=dep("spring-boot-starter-web") + dep("spring-boot-starter-actuator")), "src/main/java/App.java": "class App {}\n"})
    plan = only_plan(root)
    assert plan.images == {"build": "maven:3.9.9-eclipse-temurin-21", "runtime": "eclipse-temurin:21-jre"}
    assert plan.values["manifest_copies"] == [["pom.xml", "./"]]
    assert plan.values["install"] == "mvn -B dependency:go-offline"
    assert plan.values["layout"].kind == "tools"
    assert plan.cmd == ("java", "-jar", "app.jar")
    assert plan.healthcheck is not None and plan.healthcheck[:2] == ("sh", "-c")
    assert '"http://$1:8080/actuator/health"' in plan.healthcheck[2] and plan.healthcheck[2].endswith('[ "$code" -lt 400 ]')
    assert plan.dev_cmd == ("mvn", "spring-boot:run")
    assert plan.post_create == "mvn -B dependency:go-offline"
    assert "vmware.vscode-boot-dev-pack" in plan.extensions
    text = dockerfile(root)
    # Dependencies resolve before the source arrives; the four Boot layers are copied in order.
    assert text.index('COPY ["pom.xml", "./"]') < text.index("RUN mvn -B dependency:go-offline") < text.index("COPY . /src")
    assert "java -Djarmode=tools -jar app.jar extract --layers --destination extracted" in text
    layers = [line for line in text.splitlines() if line.startswith("COPY --from=build")]
    assert [line.split('"')[1].split("/")[3] for line in layers] == ["dependencies", "spring-boot-loader", "snapshot-dependencies", "application"]
    assert 'ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"' in text
    assert "USER 10001:10001" in text
    assert_hadolint_clean(text, tmp_path)


@pytest.mark.parametrize(
    ("boot", "kind", "cmd"),
    [
        ("3.2.4", "layertools", ("java", "org.springframework.boot.loader.launch.JarLauncher")),
        ("2.7.18", "layertools", ("java", "org.springframework.boot.loader.JarLauncher")),
        ("2.3.12.RELEASE", "jar", ("java", "-jar", "app.jar")),
    ],
)
def test_older_spring_boot_versions_use_what_they_ship(make_tree: MakeTree, boot: str, kind: str, cmd: tuple[str, ...]) -> None:
    plan = only_plan(make_tree({"pom.xml": pom(parent=boot, deps=dep("spring-boot-starter-web"))}))
    assert (plan.values["layout"].kind, plan.cmd) == (kind, cmd)


def test_unknown_boot_version_copies_the_jar_whole(make_tree: MakeTree) -> None:
    parent = "<parent><groupId>com.example</groupId><artifactId>corp-parent</artifactId><version>7</version></parent>"
    plan = only_plan(make_tree({"pom.xml": pom(parent=parent, deps=dep("spring-boot-starter-web"))}))
    assert plan.app.framework.value == "spring-boot"
    assert plan.values["layout"].kind == "jar"
    assert plan.values["layout"].prepare == (copy_step("/src/target"),)
    assert plan.cmd == ("java", "-jar", "app.jar")
    assert plan.healthcheck is not None and '"http://$1:8080/"' in plan.healthcheck[2]  # no actuator: any answer below 500
    assert plan.healthcheck[2].endswith('[ "$code" -lt 500 ]')


def test_maven_wrapper_builds_on_the_jdk_image(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree(
        {
            "pom.xml": pom(deps=dep("spring-boot-starter-web")),
            "mvnw": "#!/bin/sh\n",
            ".mvn/wrapper/maven-wrapper.properties": "distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.9/apache-maven-3.9.9-bin.zip\n",
        }
    )
    plan = only_plan(root)
    assert plan.images["build"] == "eclipse-temurin:21-jdk"
    assert plan.values["manifest_copies"] == [["mvnw", "pom.xml", "./"], [".mvn/wrapper/maven-wrapper.properties", ".mvn/wrapper/"]]
    assert plan.values["install"] == "./mvnw -B dependency:go-offline"
    assert plan.dev_cmd == ("./mvnw", "spring-boot:run")
    assert_hadolint_clean(dockerfile(root), tmp_path)


def test_maven_aggregator_member_builds_from_the_root(make_tree: MakeTree, tmp_path: Path) -> None:
    member_parent = "<parent><groupId>com.example</groupId><artifactId>shop</artifactId><version>1.0.0</version></parent>"
    root = make_tree(
        {
            "pom.xml": pom("shop", body="<packaging>pom</packaging><modules><module>api</module><module>core</module></modules>", plugins=False),
            "mvnw": "#!/bin/sh\n",
            "api/pom.xml": pom("api", parent=member_parent, deps=dep("spring-boot-starter-web")),
            "core/pom.xml": pom("core", parent=member_parent, plugins=False),
        }
    )
    plan = only_plan(root)
    assert plan.app.path == "api"
    # The whole reactor's build files, at their places in the context (the aggregator root).
    assert plan.values["manifest_copies"] == [["mvnw", "pom.xml", "./"], ["api/pom.xml", "api/"], ["core/pom.xml", "core/"]]
    assert plan.values["build_dir"] == "/src"
    assert plan.values["install"] == "./mvnw -B -pl api -am dependency:go-offline"
    assert plan.values["layout"].prepare[0] == copy_step("/src/api/target")
    assert plan.values["layout"].kind == "tools"  # the Boot version comes from the aggregator's parent
    assert plan.dev_cmd == ("sh", "-c", "./mvnw -B -q -pl api -am install -DskipTests && exec ./mvnw -pl api spring-boot:run")
    assert plan.post_create == "cd .. && ./mvnw -B -pl api -am dependency:go-offline"
    assert plan.watch[0].target == "/src/api"
    files = {f.path: f for f in generate(inspect_tree(root))}
    assert "api/Dockerfile" in files and ".dockerignore" in files  # context: the aggregator root
    assert_hadolint_clean(files["api/Dockerfile"].content, tmp_path)


# ---------------------------------------------------------------- Gradle
def test_spring_boot_gradle_with_devtools(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"build.gradle.kts": GRADLE_BOOT % "3.3.5", "settings.gradle.kts": 'rootProject.name = "visits"\n'})
    plan = only_plan(root)
    assert plan.images == {"build": "gradle:8.10.2-jdk17", "runtime": "eclipse-temurin:17-jre"}
    assert plan.values["manifest_copies"] == [["settings.gradle.kts", "build.gradle.kts", "./"]]
    assert plan.values["cache_env"] == {"GRADLE_USER_HOME": "/opt/cache/gradle"}
    assert plan.values["layout"].prepare[0] == copy_step("/src/build/libs")
    assert plan.dev_cmd == ("gradle", "bootRun", "--no-daemon")
    assert plan.app.detail("devtools") == "true"
    assert any("devtools" in note for note in plan.notes)
    assert [r.action for r in plan.watch] == ["sync+restart", "rebuild", "rebuild"]
    assert_hadolint_clean(dockerfile(root), tmp_path)


def test_gradle_wrapper_and_version_catalog(make_tree: MakeTree) -> None:
    build = 'plugins {\n    java\n    alias(libs.plugins.spring.boot)\n    id("org.springframework.boot")\n}\nversion = "1.0.0"\n'
    root = make_tree(
        {
            "build.gradle.kts": build,
            "settings.gradle.kts": 'rootProject.name = "svc"\n',
            "gradlew": "#!/bin/sh\n",
            "gradle/wrapper/gradle-wrapper.jar": b"PK\x03\x04",
            "gradle/wrapper/gradle-wrapper.properties": "distributionUrl=https\\://services.gradle.org/distributions/gradle-8.10.2-bin.zip\n",
            "gradle/libs.versions.toml": '[versions]\nboot = "3.2.1"\n[plugins]\nspring-boot = { id = "org.springframework.boot", version.ref = "boot" }\n',
        }
    )
    plan = only_plan(root)
    assert plan.images["build"] == "eclipse-temurin:21-jdk"
    assert plan.app.detail("spring_boot_version") == "3.2.1"
    assert plan.values["layout"].kind == "layertools"
    assert plan.values["manifest_copies"] == [
        ["gradlew", "settings.gradle.kts", "build.gradle.kts", "./"],
        ["gradle/wrapper/gradle-wrapper.properties", "gradle/wrapper/gradle-wrapper.jar", "gradle/wrapper/"],
        ["gradle/libs.versions.toml", "gradle/"],
    ]
    assert plan.dev_cmd == ("./gradlew", "bootRun", "--no-daemon")


def test_gradle_multi_project_member(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree(
        {
            "settings.gradle.kts": 'rootProject.name = "shop"\ninclude("services:api")\ninclude("lib")\n',
            "build.gradle.kts": 'subprojects {\n    version = "2.0.0"\n}\n',
            "gradlew": "#!/bin/sh\n",
            "gradle/wrapper/gradle-wrapper.jar": b"PK\x03\x04",
            "buildSrc/build.gradle.kts": "plugins { `kotlin-dsl` }\n",
            "services/api/build.gradle.kts": GRADLE_BOOT % "3.4.0",
            "lib/build.gradle.kts": "plugins {\n    `java-library`\n}\n",
        }
    )
    plan = only_plan(root)
    assert plan.app.path == "services/api"
    copies = plan.values["manifest_copies"]
    assert ["buildSrc/", "buildSrc/"] in copies
    assert ["services/api/build.gradle.kts", "services/api/"] in copies and ["lib/build.gradle.kts", "lib/"] in copies
    assert plan.values["install"] == "./gradlew :services:api:dependencies --no-daemon"
    assert plan.values["layout"].prepare[0] == copy_step("/src/services/api/build/libs")
    assert plan.dev_cmd == ("./gradlew", ":services:api:bootRun", "--no-daemon")
    assert plan.post_create == "cd ../.. && ./gradlew :services:api:dependencies --no-daemon"
    assert_hadolint_clean(dockerfile(root), tmp_path)


# ---------------------------------------------------------------- other frameworks
def test_quarkus_fast_jar_layout(make_tree: MakeTree) -> None:
    body = "<dependencies><dependency><groupId>io.quarkus</groupId><artifactId>quarkus-smallrye-health</artifactId></dependency></dependencies>"
    text = f"""<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>g</groupId><artifactId>q</artifactId><version>1</version>{body}
<build><plugins><plugin><groupId>io.quarkus</groupId><artifactId>quarkus-maven-plugin</artifactId></plugin></plugins></build></project>"""
    plan = only_plan(make_tree({"pom.xml": text}))
    assert plan.values["layout"].kind == "quarkus"
    assert plan.cmd == ("java", "-jar", "quarkus-run.jar")
    assert plan.dev_cmd == ("mvn", "quarkus:dev")
    assert plan.healthcheck is not None and '"http://$1:8080/q/health"' in plan.healthcheck[2]
    assert "vmware.vscode-boot-dev-pack" not in plan.extensions


def test_gradle_application_plugin_runs_its_start_script(make_tree: MakeTree) -> None:
    build = 'plugins {\n    application\n}\napplication { mainClass = "demo.Main" }\n'
    plan = only_plan(make_tree({"build.gradle.kts": build, "settings.gradle.kts": 'rootProject.name = "cli"\n'}))
    assert plan.values["layout"].kind == "dist"
    assert plan.cmd == ("bin/cli",)
    assert plan.dev_cmd == ("gradle", "run", "--no-daemon")


def test_profile_values_are_quoted(make_tree: MakeTree) -> None:
    app = only_plan(make_tree({"pom.xml": pom(deps=dep("spring-boot-starter-web"))})).app
    hostile = AppProfile(**{**app.__dict__, "details": tuple((k, "x y';rm -rf/a.jar" if k == "jar" else v) for k, v in app.details)})
    assert plan_for(hostile).values["layout"].prepare[0].startswith("find '/src/x y'\"'\"';rm -rf' -maxdepth 1 ")


def copy_step(folder: str, pattern: str = "*.jar") -> str:
    """The build-stage step that copies the one runnable jar of ``folder`` to app.jar."""
    excluded = "! -name '*-plain.jar' ! -name '*-sources.jar' ! -name '*-javadoc.jar' ! -name '*-tests.jar' ! -name 'original-*'"
    return (f"find {folder} -maxdepth 1 -name '{pattern}' {excluded} > /tmp/jars"
            f' && [ "$(wc -l < /tmp/jars)" -eq 1 ] && cp "$(cat /tmp/jars)" app.jar'
            f" || {{ echo 'expected one runnable {pattern} in {folder}, found:' >&2; cat /tmp/jars >&2; exit 1; }}")


def run_copy_step(make_tree: MakeTree, tmp_path: Path, jars: list[str]) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the generated copy step of a Maven app in a shell, its target/ holding ``jars``."""
    step = only_plan(make_tree({"pom.xml": pom(deps=dep("spring-boot-starter-web"))})).values["layout"].prepare[0]
    (tmp_path / "target").mkdir()
    for jar in jars:
        (tmp_path / "target" / jar).write_text(jar, encoding="utf-8")
    step = step.replace("/src/", f"{tmp_path}/").replace("/tmp/jars", str(tmp_path / "jars"))
    return subprocess.run(["sh", "-c", step], cwd=tmp_path, capture_output=True, text=True, check=False), tmp_path / "app.jar"


def test_the_jar_is_found_whatever_version_the_build_gives_it(make_tree: MakeTree, tmp_path: Path) -> None:
    # pom() says 1.0.0; the project has since released 1.1.0: the Dockerfile must not name a version.
    result, copied = run_copy_step(make_tree, tmp_path, ["demo-1.1.0.jar", "demo-1.1.0-plain.jar", "original-demo-1.1.0.jar"])
    assert result.returncode == 0, result.stderr
    assert copied.read_text(encoding="utf-8") == "demo-1.1.0.jar"


def test_two_runnable_jars_fail_the_build_naming_them(make_tree: MakeTree, tmp_path: Path) -> None:
    result, copied = run_copy_step(make_tree, tmp_path, ["demo-1.0.0.jar", "other-2.0.jar"])
    assert result.returncode == 1 and not copied.exists()
    assert "expected one runnable *.jar" in result.stderr and "other-2.0.jar" in result.stderr


def test_a_shadow_jar_is_matched_by_its_suffix() -> None:
    from migrate.generate.recipes.java import _jar_source

    app = AppProfile(name="svc", path=".")
    assert "-name '*-all.jar'" in _jar_source(app, "build/libs/svc-1.0-all.jar")

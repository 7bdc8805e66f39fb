"""Java: Maven or Gradle builds the jar in a JDK stage; a JRE stage runs it, layered for caching.

The build stage copies the build files first and resolves dependencies, so a
source change rebuilds only the compile step. Spring Boot jars are split into
layers (dependencies, loader, snapshots, application) by Boot's own jar mode:
dependency layers change rarely, so a new release ships only the small
application layer.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
from dataclasses import dataclass

from migrate.generate.plan import ContainerPlan, WatchRule, command_argv
from migrate.generate.probes import Probe, probe_of
from migrate.generate.recipes.common import base_plan, build_context, copy_groups, in_context, manifests
from migrate.generate.versions import JAVA_BUILD_IMAGES, RUNTIME_IMAGES
from migrate.profile import AppProfile

#: Where the build context is copied in the build stage (and where the dev target works).
SOURCE_DIR = "/src"
#: Where the build stage leaves what the runtime stage copies.
LAYERS_DIR = "/layers"
#: Dependency caches live outside root's home, so the dev target can hand them to the app user.
CACHE_DIR = "/opt/cache"
_CACHE_ENV = {
    "maven": {"MAVEN_OPTS": f"-Dmaven.repo.local={CACHE_DIR}/m2"},
    "gradle": {"GRADLE_USER_HOME": f"{CACHE_DIR}/gradle"},
}
#: Heap sized from the container's memory limit; an OutOfMemoryError ends the process so it is restarted.
JAVA_TOOL_OPTIONS = "-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
#: Spring Boot's layers, from the one that changes least to the one that changes most.
BOOT_LAYERS = ("dependencies", "spring-boot-loader", "snapshot-dependencies", "application")
#: Jars a build leaves beside the runnable one.
_NOT_RUNNABLE = ("*-plain.jar", "*-sources.jar", "*-javadoc.jar", "*-tests.jar", "original-*")
#: Suffixes packaging plugins give the runnable jar beside the plain one (Gradle shadow, Maven assembly).
_RUNNABLE_SUFFIXES = ("-all", "-jar-with-dependencies")
#: How each framework runs from source with live reload, per build tool.
_DEV_GOALS = {
    ("spring-boot", "maven"): "spring-boot:run",
    ("spring-boot", "gradle"): "bootRun",
    ("quarkus", "maven"): "quarkus:dev",
    ("quarkus", "gradle"): "quarkusDev",
    ("micronaut", "maven"): "mn:run",
    ("micronaut", "gradle"): "run",
}
_EXTENSIONS = ("vscjava.vscode-java-pack",)
#: Seconds before a JVM app's failed probes count (the image's HEALTHCHECK and ECS's).
JVM_START_PERIOD = 30
_SPRING_EXTENSIONS = ("vmware.vscode-boot-dev-pack",)


@dataclass(frozen=True)
class Layout:
    """How the runtime stage gets the built app: a build-stage step, then COPYs, then the command."""

    kind: str  # "tools" | "layertools" | "quarkus" | "dist" | "jar"
    prepare: tuple[str, ...]  # shell steps run in LAYERS_DIR after the build
    copies: tuple[tuple[str, str], ...]  # (build-stage source, runtime destination)
    cmd: tuple[str, ...]
    why: str


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Java app (Maven or Gradle, with or without a wrapper)."""
    tool = app.package_manager.value if app.package_manager.value in _CACHE_ENV else "maven"
    java = app.runtime_version.value or "21"
    wrapper = app.detail("wrapper") is not None
    layout = layout_of(app)
    copies = [c for c in (in_context(app, m) for m in manifests(app)) if c is not None]
    values = {
        "cache_env": _CACHE_ENV[tool],
        "cache_dir": CACHE_DIR,
        "source_dir": SOURCE_DIR,
        "build_dir": _in_image(app, app.detail("build_root") or app.path),
        "manifest_copies": copy_groups(copies),
        "install": app.detail("install_command") if copies else None,
        "build_command": app.build_command.value or _tool_command(tool, wrapper, "package -DskipTests" if tool == "maven" else "build -x test --no-daemon"),
        "layers_dir": LAYERS_DIR,
        "layout": layout,
        "java_tool_options": JAVA_TOOL_OPTIONS,
    }
    result = base_plan(
        app,
        template="java.Dockerfile.j2",
        images={"build": JAVA_BUILD_IMAGES["wrapper" if wrapper else tool].format(java=java), "runtime": RUNTIME_IMAGES["java"].format(version=java)},
        cmd=layout.cmd,
        dev_cmd=command_argv(dev_command(app, tool)),
        healthcheck=curl_probe(probe_of(app)),
        values=values,
        watch=(
            # A compiled app reloads by restarting its dev command, which recompiles what changed.
            WatchRule("sync+restart", ".", _in_image(app, app.path), ignore=("target/", "build/", ".gradle/")),
            *(WatchRule("rebuild", m.rstrip("/")) for m in manifests(app)),
        ),
        post_create=_post_create(app),
        extensions=_EXTENSIONS + (_SPRING_EXTENSIONS if app.framework.value == "spring-boot" else ()),
    )
    # The JVM and Spring's context take longer to start than the 20 s other runtimes get.
    return dataclasses.replace(result, workdir=SOURCE_DIR, start_period=JVM_START_PERIOD,
                               notes=_notes(app, layout, len(copies) < len(manifests(app))))


# ---------------------------------------------------------------- the runtime layout
def layout_of(app: AppProfile) -> Layout:
    """Layered Spring Boot where the Boot version allows it, Quarkus' fast-jar, a Gradle dist, or the jar."""
    jar = app.detail("jar")
    install_dir = app.detail("install_dir")
    if install_dir:
        return _dist(app, install_dir)
    if jar and jar.endswith("quarkus-app/quarkus-run.jar"):
        return _quarkus(app, jar)
    source = _jar_source(app, jar or ("build/libs/*.jar" if app.package_manager.value == "gradle" else "target/*.jar"))
    boot = _version(app.detail("spring_boot_version")) if app.framework.value == "spring-boot" else None
    java_jar = ("java", "-jar", "app.jar")
    if boot is not None and boot >= (3, 3):
        return Layout(
            "tools",
            (source, "java -Djarmode=tools -jar app.jar extract --layers --destination extracted"),
            _layer_copies(),
            java_jar,
            f"Spring Boot {app.detail('spring_boot_version')}: the jar is extracted into layers (java -Djarmode=tools), dependencies first, so a code change ships only the application layer",
        )
    if boot is not None and boot >= (2, 4):
        launcher = "org.springframework.boot.loader.launch.JarLauncher" if boot >= (3, 2) else "org.springframework.boot.loader.JarLauncher"
        return Layout(
            "layertools",
            (source, "java -Djarmode=layertools -jar app.jar extract --destination extracted"),
            _layer_copies(),
            ("java", launcher),
            f"Spring Boot {app.detail('spring_boot_version')}: the jar is extracted into layers (java -Djarmode=layertools) and started by Boot's JarLauncher",
        )
    why = "the jar is copied whole" + (": the Spring Boot version is not known, so its layer tooling is not assumed" if app.framework.value == "spring-boot" else "")
    return Layout("jar", (source,), ((f"{LAYERS_DIR}/app.jar", "app.jar"),), java_jar, why)


def _layer_copies() -> tuple[tuple[str, str], ...]:
    return tuple((f"{LAYERS_DIR}/extracted/{layer}/", "./") for layer in BOOT_LAYERS)


def _jar_source(app: AppProfile, jar: str) -> str:
    """A shell step that copies the one runnable jar of the build's output folder to ``app.jar``.

    Found by a pattern, never by its name: the name carries the project's version, and a release
    bump must not break the image build. Exactly one jar must match, else the step fails listing them.
    """
    folder, name = posixpath.split(posixpath.join(_in_image(app, app.path), jar))
    stem, extension = posixpath.splitext(name)
    suffix = next((s for s in _RUNNABLE_SUFFIXES if stem.endswith(s)), "")
    pattern = name if "*" in name else f"*{suffix}{extension}"
    excluded = " ".join(f"! -name {shlex.quote(p)}" for p in _NOT_RUNNABLE)
    found = "/tmp/jars"
    return (
        f"find {shlex.quote(folder)} -maxdepth 1 -name {shlex.quote(pattern)} {excluded} > {found}"
        f' && [ "$(wc -l < {found})" -eq 1 ] && cp "$(cat {found})" app.jar'
        f" || {{ echo {shlex.quote(f'expected one runnable {pattern} in {folder}, found:')} >&2; cat {found} >&2; exit 1; }}"
    )


def _quarkus(app: AppProfile, jar: str) -> Layout:
    folder = posixpath.join(_in_image(app, app.path), posixpath.dirname(jar))
    copies = ((f"{folder}/lib/", "lib/"), (f"{folder}/quarkus-run.jar", "./"), (f"{folder}/app/", "app/"), (f"{folder}/quarkus/", "quarkus/"))
    return Layout("quarkus", (), copies, ("java", "-jar", "quarkus-run.jar"), "Quarkus fast-jar: libraries, then the generated app, each in its own layer")


def _dist(app: AppProfile, install_dir: str) -> Layout:
    folder = posixpath.join(_in_image(app, app.path), install_dir)
    name = posixpath.basename(install_dir)
    return Layout(
        "dist", (), ((f"{folder}/lib/", "lib/"), (f"{folder}/bin/", "bin/")), (f"bin/{name}",),
        "the Gradle application plugin's distribution: its start script execs java, so java still gets SIGTERM",
    )


def _version(text: str | None) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


# ---------------------------------------------------------------- commands
def curl_probe(probe: Probe | None) -> tuple[str, ...] | None:
    """A HEALTHCHECK with curl, which eclipse-temurin images ship (adoptium/containers#255).

    It asks the container's own address (``hostname -I``: the one clients reach, not
    loopback) and passes on a status below the probe's limit: the health path below
    400, else ``/`` below 500. curl fails (and so does the check) when nothing answers.
    """
    if probe is None:
        return None
    url = f"http://$1:{probe.port}{probe.path or '/'}"
    script = f"set -- $(hostname -I) && code=$(curl -sS -m 3 -o /dev/null -w '%{{http_code}}' \"{url}\") && [ \"$code\" -lt {probe.max_status} ]"
    return ("sh", "-c", script)


def _tool_command(tool: str, wrapper: bool, args: str) -> str:
    command = ("./mvnw" if wrapper else "mvn") if tool == "maven" else ("./gradlew" if wrapper else "gradle")
    return f"{command} {args}"


def dev_command(app: AppProfile, tool: str) -> str:
    """The framework's run-from-source goal (Spring Boot devtools restarts on recompiles), from the build root.

    A Maven aggregator member runs alone after its sibling modules are
    installed into the local repository (``-am`` would run the goal in every module).
    """
    wrapper = app.detail("wrapper") is not None
    goal = _DEV_GOALS.get((app.framework.value or "", tool))
    module = _module(app)
    if goal is None:
        return _plain_dev_command(app, tool, wrapper, module)
    if tool == "gradle":
        task = f"{module}:{goal}" if module else goal
        return _tool_command(tool, wrapper, f"{task} --no-daemon")
    if module:
        install = _tool_command(tool, wrapper, f"-B -q -pl {module} -am install -DskipTests")
        return f"{install} && exec {_tool_command(tool, wrapper, f'-pl {module} {goal}')}"
    return _tool_command(tool, wrapper, goal)


def _plain_dev_command(app: AppProfile, tool: str, wrapper: bool, module: str | None) -> str:
    """No framework: Gradle's ``run`` task, or build the jar and start it the way production does."""
    if tool == "gradle":
        return _tool_command(tool, wrapper, f"{module + ':' if module else ''}run --no-daemon")
    build = app.build_command.value or _tool_command(tool, wrapper, "package -DskipTests")
    start = app.start_command.value or f"java -jar {app.detail('jar') or 'target/*.jar'}"
    root = app.detail("build_root")
    down = posixpath.relpath(app.path, root) if root else "."
    return f"{build} && exec {start}" if down == "." else f"{build} && cd {shlex.quote(down)} && exec {start}"


def _module(app: AppProfile) -> str | None:
    """The Maven module path / Gradle project path of an aggregator member, from its install command."""
    command = app.detail("install_command") or ""
    maven = re.search(r"-pl (\S+)", command)
    gradle = re.search(r"\s(:\S+):dependencies\b", command)
    return maven.group(1) if maven else gradle.group(1) if gradle else None


def _post_create(app: AppProfile) -> str | None:
    """Resolve dependencies in the dev container, from the build root (the aggregator for a member)."""
    install = app.detail("install_command")
    if not install:
        return None
    root = app.detail("build_root")
    up = posixpath.relpath(root, app.path) if root else "."
    return install if up == "." else f"cd {shlex.quote(up)} && {install}"


def _in_image(app: AppProfile, folder: str) -> str:
    """Where a tree-relative folder lands in the build stage (the build context is copied to SOURCE_DIR)."""
    relative = posixpath.relpath(folder, build_context(app))
    return SOURCE_DIR if relative == "." else f"{SOURCE_DIR}/{relative}"


def _notes(app: AppProfile, layout: Layout, outside: bool) -> tuple[str, ...]:
    notes = [
        layout.why,
        f"JAVA_TOOL_OPTIONS={JAVA_TOOL_OPTIONS}: the heap follows the container's memory limit instead of the host's",
        "java is PID 1 (the eclipse-temurin entrypoint execs the command) and shuts down on SIGTERM"
        + ("; with server.shutdown=graceful (the default from Spring Boot 3.4) requests in flight finish first" if app.framework.value == "spring-boot" else ""),
    ]
    if app.detail("devtools") == "true":
        notes.append("spring-boot-devtools restarts the dev server when classes are recompiled; it is left out of the packaged jar")
    if outside:
        notes.append("some build files are outside the build context and are not copied: build from the repository root if the build needs them")
    return tuple(notes)

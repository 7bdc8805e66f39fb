"""Java: Maven and Gradle (and their wrappers); Spring Boot, Quarkus, Micronaut, plain executable jars.

A Java app is built into a jar by its build tool and run with ``java -jar``.
What later stages need is therefore the build tool (and its wrapper), the
command that produces the jar, and the jar's path, which Maven derives from
``<finalName>`` or ``artifactId-version`` and Gradle from ``name-version``.
Members of a Maven aggregator or Gradle multi-project build are built from
the workspace root, where the wrapper and the parent build live.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from migrate.inspect.detectors.base import AppDir, Claim, Ecosystem, Findings, FrameworkDetector
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.inspect.tree import join
from migrate.profile import Evidence

_GRADLE_BUILDS = ("build.gradle.kts", "build.gradle")
_GRADLE_SETTINGS = ("settings.gradle.kts", "settings.gradle")
_RESOURCES = "src/main/resources"
# Scopes and configurations whose dependencies are not on the runtime classpath.
_NOT_RUNTIME_SCOPES = frozenset({"test", "provided", "import", "system"})
# Development-time helpers that never run in production.
_DEV_ONLY = frozenset({"spring-boot-devtools", "spring-boot-docker-compose", "spring-boot-testcontainers", "lombok"})


# ---------------------------------------------------------------- the build, tool-neutral
@dataclass
class _Project:
    """What the Maven or Gradle build file of one app says, in tool-neutral terms."""

    tool: str  # "maven" | "gradle"
    file: str  # tree-relative build file
    #: Framework markers: Maven parent/plugin artifactIds, Gradle plugin ids -> evidence.
    markers: dict[str, Evidence] = field(default_factory=dict)
    #: Runtime dependencies by artifactId -> evidence.
    deps: dict[str, Evidence] = field(default_factory=dict)
    name: tuple[str, Evidence] | None = None
    version: str | None = None
    packaging: str = "jar"
    #: An explicit archive name (Maven ``<finalName>``, Gradle ``archiveFileName``).
    final_name: str | None = None
    #: The plugin that declares a main class (``maven-jar-plugin``, ``application``...).
    main_class: tuple[str, Evidence] | None = None
    java: tuple[str, Evidence] | None = None
    #: Versions of framework markers (parent POM, plugins) where the build file states one.
    versions: dict[str, str] = field(default_factory=dict)


def _project(app: AppDir) -> _Project | None:
    """The app's build, read from ``pom.xml`` or ``build.gradle(.kts)``; None if it has neither."""
    tool = _tool(app)
    if tool == "maven":
        return _maven(app)
    if tool == "gradle":
        return _gradle(app)
    return None


def _tool(app: AppDir) -> str | None:
    """``maven`` or ``gradle``; with both build files, the one with a wrapper (else Maven)."""
    has_pom = app.has("pom.xml")
    has_gradle = any(app.has(n) for n in _GRADLE_BUILDS)
    if has_pom and has_gradle:
        return "gradle" if app.has("gradlew") and not app.has("mvnw") else "maven"
    return "maven" if has_pom else "gradle" if has_gradle else None


def _ev(app: AppDir, path: str, reason: str, pattern: str | None = None) -> Evidence:
    """Evidence for any tree-relative file (the workspace root's build, too)."""
    return Evidence(path, app.tree.line_of(path, pattern) if pattern else None, reason)


# ---------------------------------------------------------------- Maven
_NS = re.compile(r"^\{[^}]*\}")


def _local(tag: Any) -> str:
    """An element's tag without its namespace (``{http://maven.apache.org/POM/4.0.0}project``)."""
    return _NS.sub("", tag) if isinstance(tag, str) else ""


def _kids(elem: Any, name: str) -> list[Any]:
    return [c for c in elem if _local(c.tag) == name] if elem is not None else []


def _kid(elem: Any, *path: str) -> Any:
    for name in path:
        found = _kids(elem, name)
        elem = found[0] if found else None
    return elem


def _text(elem: Any, *path: str) -> str | None:
    node = _kid(elem, *path)
    text = node.text.strip() if node is not None and isinstance(node.text, str) else ""
    return text or None


def _pom(app: AppDir, path: str) -> Any:
    """The ``<project>`` element of a tree-relative pom.xml, or None (missing, malformed, not a POM)."""
    if not app.tree.exists(path):
        return None
    root = app.tree.read_xml(path)
    return root if root is not None and _local(root.tag) == "project" else None


def _root_pom(app: AppDir) -> tuple[str, Any] | None:
    """The workspace root's pom (inherited properties, dependencies), for aggregator members."""
    if app.workspace_root is None or app.workspace_root == app.path:
        return None
    path = join(app.workspace_root, "pom.xml")
    pom = _pom(app, path)
    return (path, pom) if pom is not None else None


def _properties(pom: Any) -> dict[str, str]:
    props = {_local(p.tag): (p.text or "").strip() for p in _kid(pom, "properties") or []}
    for key, path in (("project.version", ("version",)), ("project.artifactId", ("artifactId",))):
        value = _text(pom, *path) or (_text(pom, "parent", "version") if key == "project.version" else None)
        if value:
            props[key] = value
    return {k: v for k, v in props.items() if k}


def _resolve(value: str | None, props: dict[str, str]) -> str | None:
    """Expand ``${property}`` references (a few rounds; leave unknown ones in place)."""
    for _ in range(5):
        if value is None or "${" not in value:
            return value
        value = re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m.group(1), m.group(0)), value)
    return value


def _maven(app: AppDir) -> _Project | None:
    path = app.rel("pom.xml")
    pom = _pom(app, path)
    project = _Project("maven", path)
    if pom is None:
        if app.tree.read_xml(path) is not None:
            app.tree.warn(f"{path}: not a Maven POM (no <project> root element)")
        return project
    root = _root_pom(app)
    props = {**(_properties(root[1]) if root else {}), **_properties(pom)}
    artifact = _text(pom, "artifactId")
    if artifact:
        project.name = (artifact, _ev(app, path, "Maven artifactId", rf"<artifactId>\s*{re.escape(artifact)}\s*</artifactId>"))
    project.version = _resolve(_text(pom, "version") or _text(pom, "parent", "version"), props)
    project.packaging = _text(pom, "packaging") or "jar"
    project.final_name = _resolve(_text(pom, "build", "finalName"), props)
    _maven_markers(app, path, pom, project, props)
    if root is not None:
        _maven_markers(app, root[0], root[1], _Project("maven", root[0], versions=project.versions), props)
    _maven_deps(app, path, pom, project)
    if root is not None and _text(pom, "parent", "artifactId") == _text(root[1], "artifactId"):
        _maven_deps(app, root[0], root[1], project)  # a parent's <dependencies> are inherited
    project.java = _maven_java(app, [(path, pom)] + ([root] if root else []), props)
    return project


def _maven_markers(app: AppDir, path: str, pom: Any, project: _Project, props: dict[str, str]) -> None:
    parent = _text(pom, "parent", "artifactId")
    if parent:
        project.markers[parent] = _ev(app, path, f"parent {parent}", rf"<artifactId>\s*{re.escape(parent)}\s*</artifactId>")
        _version(project, parent, _resolve(_text(pom, "parent", "version"), props))
    for dep in _kids(_kid(pom, "dependencyManagement", "dependencies"), "dependency"):
        artifact = _text(dep, "artifactId")
        if artifact and (_text(dep, "scope") or "") == "import":
            _version(project, artifact, _resolve(_text(dep, "version"), props))  # a BOM: spring-boot-dependencies
    for plugin in _kids(_kid(pom, "build", "plugins"), "plugin"):
        artifact = _text(plugin, "artifactId")
        if not artifact:
            continue
        _version(project, artifact, _resolve(_text(plugin, "version"), props))
        evidence = _ev(app, path, f"plugin {artifact}", rf"<artifactId>\s*{re.escape(artifact)}\s*</artifactId>")
        project.markers.setdefault(artifact, evidence)
        if project.main_class is None and any(_local(e.tag) == "mainClass" for e in plugin.iter()):
            project.main_class = (artifact, _ev(app, path, f"main class set in {artifact}", r"<mainClass>"))


def _version(project: _Project, name: str, version: str | None) -> None:
    """Record a marker's version once (the app's own build file first, then its parent's)."""
    if version and "${" not in version:
        project.versions.setdefault(name, version)


def _maven_deps(app: AppDir, path: str, pom: Any, project: _Project) -> None:
    for dep in _kids(_kid(pom, "dependencies"), "dependency"):
        artifact = _text(dep, "artifactId")
        scope = (_text(dep, "scope") or "compile").lower()
        if not artifact or scope in _NOT_RUNTIME_SCOPES or artifact in _DEV_ONLY or artifact in project.deps:
            continue
        pattern = rf"<artifactId>\s*{re.escape(artifact)}\s*</artifactId>"
        project.deps[artifact] = _ev(app, path, f"depends on {artifact}", pattern)


_MAVEN_JAVA_PROPERTIES = ("java.version", "maven.compiler.release", "maven.compiler.target", "maven.compiler.source")


def _maven_java(app: AppDir, poms: list[tuple[str, Any]], props: dict[str, str]) -> tuple[str, Evidence] | None:
    """The Java version a POM compiles for: properties, then the compiler plugin's configuration."""
    for path, pom in poms:
        own = _properties(pom)
        for key in _MAVEN_JAVA_PROPERTIES:
            version = _major(_resolve(own.get(key), props))
            if version:
                return version, _ev(app, path, f"<{key}> {version}", rf"<{re.escape(key)}>")
        for plugin in _kids(_kid(pom, "build", "plugins"), "plugin"):
            if _text(plugin, "artifactId") != "maven-compiler-plugin":
                continue
            for key in ("release", "target", "source"):
                version = _major(_resolve(_text(plugin, "configuration", key), props))
                if version:
                    return version, _ev(app, path, f"maven-compiler-plugin <{key}> {version}", rf"<{key}>")
    return None


def _major(value: str | None) -> str | None:
    """The Java feature release of a version string: ``1.8`` -> ``8``, ``21.0.2`` -> ``21``."""
    match = re.search(r"(?<![\d.])(1\.[5-8]|\d+)(?:[.\d]*)", value or "")
    if match is None:
        return None
    major = match.group(1).removeprefix("1.") if match.group(1).startswith("1.") else match.group(1)
    return major if 5 <= int(major) <= 40 else None


# ---------------------------------------------------------------- Gradle
_PLUGIN = re.compile(r"""(?:\bid\s*\(?\s*["']([\w.\-]+)["']|\bapply\s*\(?\s*plugin\s*[:=]\s*["']([\w.\-]+)["']|^\s*`?(application|java-library)`?\s*$)""", re.MULTILINE)
_DEP = re.compile(r"""^\s*(implementation|api|runtimeOnly|compile|runtime)\s*\(?\s*["']([\w.\-]+):([\w.\-]+)""", re.MULTILINE)
_DEP_MAP = re.compile(r"""^\s*(implementation|api|runtimeOnly|compile|runtime)\s*\(?\s*group\s*[:=]\s*["'][\w.\-]+["']\s*,\s*name\s*[:=]\s*["']([\w.\-]+)""", re.MULTILINE)
_PLUGIN_VERSION = re.compile(r"""\bid\s*\(?\s*["']([\w.\-]+)["']\s*\)?\s*version\s*\(?\s*["']([^"'$]+)["']""")
_CLASSPATH_PLUGIN = re.compile(r"""["']org\.springframework\.boot:spring-boot-gradle-plugin:([^"'$]+)["']""")
_MAIN_CLASS = re.compile(r"""\bmainClass(?:Name)?\s*(?:=|\.set\()\s*["']([\w.$]+)["']""")
_ARCHIVE_NAME = re.compile(r"""\barchiveFileName\s*(?:=|\.set\()\s*["']([^"'$]+)["']""")
_VERSION = re.compile(r"""^\s*version\s*=\s*["']([^"'$]+)["']""", re.MULTILINE)
_GRADLE_JAVA = (
    (re.compile(r"languageVersion\s*(?:=|\.set\()\s*JavaLanguageVersion\.of\(\s*[\"']?(\d+)"), "Java toolchain {}"),
    (re.compile(r"\bjvmToolchain\(\s*(\d+)"), "jvmToolchain({})"),
    (re.compile(r"\b(?:source|target)Compatibility\s*=\s*(?:JavaVersion\.VERSION_(\d+(?:_\d+)?)|[\"']?(\d+(?:\.\d+)?)[\"']?)"), "sourceCompatibility {}"),
    (re.compile(r"\boptions\.release(?:\s*=\s*|\.set\(\s*)(\d+)"), "compiler release {}"),
)


def _gradle(app: AppDir) -> _Project:
    file = next(n for n in _GRADLE_BUILDS if app.has(n))
    path = app.rel(file)
    text = app.read(file) or ""
    project = _Project("gradle", path)
    for match in _PLUGIN.finditer(text):
        plugin = next(g for g in match.groups() if g)
        project.markers.setdefault(plugin, _line(path, text, match, f"plugin {plugin}"))
    for pattern, group in ((_DEP, 3), (_DEP_MAP, 2)):
        for match in pattern.finditer(text):
            artifact = match.group(group)
            if artifact not in _DEV_ONLY:
                project.deps.setdefault(artifact, _line(path, text, match, f"depends on {artifact}"))
    _gradle_versions(app, text, project)
    main = _MAIN_CLASS.search(text)
    if main:
        project.main_class = ("application", _line(path, text, main, f"main class {main.group(1)}"))
    archive = _ARCHIVE_NAME.search(text)
    project.final_name = archive.group(1).removesuffix(".jar") if archive else None
    project.name = _gradle_name(app)
    project.version = _gradle_version(app, text)
    project.java = _gradle_java(app, path, text) or _gradle_root_java(app)
    return project


def _gradle_versions(app: AppDir, text: str, project: _Project) -> None:
    """Plugin versions from the build file, the root build and settings files, or the version catalog."""
    root = _root_build(app)
    texts = [text, app.tree.read_text(root) or "" if root else ""]
    texts += [app.tree.read_text(p) or "" for p in (app.at_workspace_root(n) for n in _GRADLE_SETTINGS) if p]
    for source in texts:
        for match in _PLUGIN_VERSION.finditer(source):
            _version(project, match.group(1), match.group(2))
        classpath = _CLASSPATH_PLUGIN.search(source)
        if classpath:
            _version(project, "org.springframework.boot", classpath.group(1))
    catalog_path = app.at_workspace_root("gradle/libs.versions.toml")
    catalog = app.tree.read_toml(catalog_path) if catalog_path else None
    versions = catalog.get("versions", {}) if isinstance(catalog, dict) else {}
    plugins = catalog.get("plugins", {}) if isinstance(catalog, dict) else {}
    for entry in plugins.values() if isinstance(plugins, dict) else ():
        if isinstance(entry, str) and ":" in entry:
            _version(project, *entry.split(":", 1))
        elif isinstance(entry, dict) and isinstance(entry.get("id"), str):
            version = entry.get("version")
            if isinstance(version, dict):
                version = versions.get(version.get("ref")) if isinstance(versions, dict) else None
            _version(project, entry["id"], version if isinstance(version, str) else None)


def _line(path: str, text: str, match: re.Match[str], reason: str) -> Evidence:
    return Evidence(path, text.count("\n", 0, match.start()) + 1, reason)


def _gradle_name(app: AppDir) -> tuple[str, Evidence]:
    """``rootProject.name`` for a single-project build; the folder name for members (Gradle's default)."""
    if app.workspace_root is None:
        for settings in _GRADLE_SETTINGS:
            match = re.search(r"""rootProject\.name\s*=\s*["']([^"']+)["']""", app.read(settings) or "")
            if match:
                return match.group(1), app.evidence(settings, "Gradle rootProject.name", r"rootProject\.name")
    folder = app.path.rsplit("/", 1)[-1] if app.path != "." else app.tree.root.name
    return folder, Evidence(app.path, None, "Gradle project name defaults to the folder name")


def _gradle_version(app: AppDir, text: str) -> str | None:
    match = _VERSION.search(text)
    if match:
        return match.group(1)
    for path in (app.rel("gradle.properties"), app.at_workspace_root("gradle.properties")):
        found = re.search(r"^\s*version\s*[=:]\s*(\S+)", app.tree.read_text(path) or "", re.MULTILINE) if path else None
        if found:
            return found.group(1)
    root = _root_build(app)
    found = _VERSION.search(app.tree.read_text(root) or "") if root else None
    return found.group(1) if found else None


def _root_build(app: AppDir) -> str | None:
    if app.workspace_root is None or app.workspace_root == app.path:
        return None
    return next((join(app.workspace_root, n) for n in _GRADLE_BUILDS if app.tree.exists(join(app.workspace_root, n))), None)


def _gradle_java(app: AppDir, path: str, text: str) -> tuple[str, Evidence] | None:
    for pattern, reason in _GRADLE_JAVA:
        match = pattern.search(text)
        version = _major((next((g for g in match.groups() if g), "") or "").replace("_", ".")) if match else None
        if match and version:
            return version, _line(path, text, match, reason.format(version))
    return None


def _gradle_root_java(app: AppDir) -> tuple[str, Evidence] | None:
    """A multi-project build often sets the toolchain once, in the root build file."""
    root = _root_build(app)
    return _gradle_java(app, root, app.tree.read_text(root) or "") if root else None


def _gradle_members(app: AppDir) -> list[str]:
    """Projects listed by ``include`` in settings.gradle(.kts), as folder paths."""
    members: list[str] = []
    for settings in _GRADLE_SETTINGS:
        text = re.sub(r"//[^\n]*", "", app.read(settings) or "")
        for match in re.finditer(r"\binclude\b(?!Build)\s*\(?((?:\s*,?\s*[\"'][^\"']+[\"'])+)", text):
            for name in re.findall(r"[\"']([^\"']+)[\"']", match.group(1)):
                member = name.strip(":").replace(":", "/")
                if member and member not in members:
                    members.append(member)
    return members


# ---------------------------------------------------------------- runtime
def _runtime(app: AppDir, project: _Project | None, found: Findings) -> None:
    if project is not None and project.java is not None:
        found.set("runtime_version", project.java[0], project.java[1])
        return
    for name, pattern in ((".tool-versions", r"^java\s+(\S+)"), (".java-version", r"^\s*(\S+)"), (".sdkmanrc", r"^\s*java\s*=\s*(\S+)")):
        path = app.at_workspace_root(name)
        match = re.search(pattern, app.tree.read_text(path) or "", re.MULTILINE) if path else None
        version = _major(match.group(1)) if match else None
        if path and match and version:
            found.set("runtime_version", version, _ev(app, path, f"pins Java {match.group(1)}", pattern))
            return
    default = DEFAULT_RUNTIME["java"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no Java version pinned; using {default}"), default=True)


# ---------------------------------------------------------------- build tool and commands
@dataclass(frozen=True)
class _Runner:
    """How to invoke the build tool: command prefix, the folder it runs in, the member selector."""

    tool: str  # "maven" | "gradle"
    command: str  # "./mvnw", "mvn", "./gradlew", "gradle"
    root: str  # tree-relative folder the build runs from
    module: str | None  # Maven module path / Gradle project path of a workspace member
    wrapper: str | None  # tree-relative wrapper script
    problem: str | None = None  # why a wrapper that is present is not used


def _runner(app: AppDir, project: _Project) -> _Runner:
    """The wrapper in the app folder or at its workspace root, else the plain tool."""
    name = "mvnw" if project.tool == "maven" else "gradlew"
    wrapper = app.at_workspace_root(name)
    problem = None
    if wrapper and project.tool == "gradle":
        jar = join(wrapper.rpartition("/")[0] or ".", "gradle/wrapper/gradle-wrapper.jar")
        if not app.tree.exists(jar):
            problem = f"{wrapper} has no gradle/wrapper/gradle-wrapper.jar beside it; using plain gradle"
            wrapper = None
    root = (wrapper.rpartition("/")[0] or ".") if wrapper else (app.workspace_root or app.path)
    module = None
    if root != app.path:
        rel = app.path[len(root) + 1 :] if root != "." else app.path
        module = rel if project.tool == "maven" else ":" + rel.replace("/", ":")
    command = f"./{name}" if wrapper else ("mvn" if project.tool == "maven" else "gradle")
    return _Runner(project.tool, command, root, module, wrapper, problem)


def _tool_version(app: AppDir, tool: str, root: str, found: Findings) -> None:
    """The Maven or Gradle version the wrapper downloads (its ``distributionUrl``)."""
    name = ".mvn/wrapper/maven-wrapper.properties" if tool == "maven" else "gradle/wrapper/gradle-wrapper.properties"
    text = app.tree.read_text(join(root, name)) or ""
    match = re.search(r"distributionUrl\s*=.*?(?:apache-maven|gradle)-([\d.]+)-(?:bin|all)\.zip", text)
    if match:
        found.detail(f"{tool}_version", match.group(1))


def _package_manager(app: AppDir, project: _Project, found: Findings) -> None:
    runner = _runner(app, project)
    reason = "Maven build" if project.tool == "maven" else "Gradle build"
    evidence = [Evidence(project.file, None, reason)]
    if runner.wrapper:
        evidence.append(Evidence(runner.wrapper, None, f"{'Maven' if project.tool == 'maven' else 'Gradle'} wrapper"))
    found.set("package_manager", project.tool, *evidence)
    if runner.problem:
        found.warnings.append(runner.problem)
    if runner.wrapper:
        found.detail("wrapper", runner.wrapper)
        _tool_version(app, project.tool, runner.root, found)
    if runner.root != app.path:
        found.detail("build_root", runner.root)
    files = [f for f in _build_files(app, project.tool, runner.root) if not re.search(r"\s", f)]
    found.detail("manifests", " ".join(_relative(f, app.path) for f in files))
    if project.tool == "maven":
        select = f" -pl {runner.module} -am" if runner.module else ""
        found.detail("install_command", f"{runner.command} -B{select} dependency:go-offline")
    else:
        task = f"{runner.module}:dependencies" if runner.module else "dependencies"
        found.detail("install_command", _gradle_settings(app, project, runner.root, found) + f"{runner.command} {task} --no-daemon")


def _gradle_settings(app: AppDir, project: _Project, root: str, found: Findings) -> str:
    """A build with no settings file gets one in the image, naming the project as the user's folder does.

    Without it Gradle names the project after the folder it runs in (the image's /src, so the jar
    would be src-1.0.jar), and Gradle 9 refuses to build at all.
    """
    if any(app.tree.exists(join(root, n)) for n in _GRADLE_SETTINGS) or project.name is None:
        return ""
    name = project.name[0]
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        return ""
    found.warnings.append(f"no settings.gradle: the image writes one with rootProject.name = \"{name}\" (the folder's name); commit one to fix the name")
    return f"""echo 'rootProject.name = "{name}"' > settings.gradle && """


# Files a build reads before it compiles anything: the dependency layer of an image depends on
# these alone. Folders (a trailing "/") hold build logic, which Gradle compiles first.
_MAVEN_ROOT_FILES = (
    "mvnw", ".mvn/wrapper/maven-wrapper.properties", ".mvn/wrapper/maven-wrapper.jar",
    ".mvn/extensions.xml", ".mvn/maven.config", ".mvn/jvm.config",
)
_GRADLE_ROOT_FILES = (
    "gradlew", "gradle/wrapper/gradle-wrapper.properties", "gradle/wrapper/gradle-wrapper.jar",
    *_GRADLE_SETTINGS, "gradle.properties", "gradle/libs.versions.toml", "gradle.lockfile",
)  # fmt: skip
_GRADLE_LOGIC_DIRS = ("buildSrc", "build-logic")


def _build_files(app: AppDir, tool: str, root: str) -> list[str]:
    """Tree-relative build files of the whole build at ``root`` (every module's, for a multi-module build)."""
    tree = app.tree
    if tool == "maven":
        files = [join(root, n) for n in _MAVEN_ROOT_FILES if tree.exists(join(root, n))]
        files += [join(folder, "pom.xml") for folder in _maven_modules(app, root)]
    else:
        files = [join(root, n) for n in _GRADLE_ROOT_FILES if tree.exists(join(root, n))]
        files += [join(root, d) + "/" for d in _GRADLE_LOGIC_DIRS if tree.is_dir(join(root, d))]
        for folder in [root, *(join(root, m) for m in _gradle_members_at(app, root))]:
            files += [join(folder, n) for n in (*_GRADLE_BUILDS, "gradle.lockfile") if tree.exists(join(folder, n))]
    own = app.rel("pom.xml") if tool == "maven" else next((app.rel(n) for n in _GRADLE_BUILDS if app.has(n)), None)
    return list(dict.fromkeys(files + ([own] if own and tree.exists(own) else [])))


def _maven_modules(app: AppDir, folder: str, depth: int = 0) -> list[str]:
    """``folder`` and, recursively, the folders of its ``<modules>`` that have a pom.xml."""
    pom = _pom(app, join(folder, "pom.xml"))
    if pom is None or depth > 5:
        return []
    found = [folder]
    for module in (_text(e) for e in _kids(_kid(pom, "modules"), "module")):
        child = posixpath.normpath(join(folder, module)) if module else ""
        if child and not child.startswith("..") and child not in found:
            found += _maven_modules(app, child, depth + 1)
    return found


def _gradle_members_at(app: AppDir, root: str) -> list[str]:
    """The projects included by the settings file at ``root``."""
    return _gradle_members(AppDir(app.tree, root)) if root != app.path else _gradle_members(app)


def _relative(path: str, folder: str) -> str:
    """A tree-relative path as seen from ``folder`` (``../pom.xml`` for an aggregator member)."""
    relative = posixpath.relpath(path.rstrip("/"), folder)
    return relative + "/" if path.endswith("/") else relative


def _build_command(app: AppDir, project: _Project, task: str, evidence: Evidence, found: Findings) -> None:
    """``mvn -B package -DskipTests`` or ``gradle <task>``, scoped to the member in a workspace."""
    runner = _runner(app, project)
    if runner.tool == "maven":
        select = f" -pl {runner.module} -am" if runner.module else ""
        found.set("build_command", f"{runner.command} -B{select} package -DskipTests", evidence)
    else:
        target = f"{runner.module}:{task}" if runner.module else task
        found.set("build_command", f"{runner.command} {target} --no-daemon", evidence)


def _jar(project: _Project, suffix: str = "") -> str | None:
    """The jar the build produces, relative to the app folder (None when its name is not static)."""
    extension = "war" if project.packaging == "war" else "jar"
    if project.final_name:
        base = project.final_name
    elif project.name is None:
        return None
    elif project.version and project.version != "unspecified":
        base = f"{project.name[0]}-{project.version}"
    else:
        base = project.name[0]  # Gradle leaves an unspecified version out of the file name
    if "${" in base:
        return None
    folder = "target" if project.tool == "maven" else "build/libs"
    return f"{folder}/{base}{suffix}.{extension}"


def _start_jar(project: _Project, evidence: Evidence, found: Findings, suffix: str = "") -> None:
    jar = _jar(project, suffix)
    if jar is None:
        folder = "target" if project.tool == "maven" else "build/libs"
        found.warnings.append(f"the jar name is computed at build time; start it with java -jar {folder}/<name>.jar")
        found.detail("jar", f"{folder}/*.jar")
        return
    found.set("start_command", f"java -jar {jar}", evidence)
    found.detail("jar", jar)


# ---------------------------------------------------------------- configuration files
def _config(app: AppDir, key: str) -> tuple[str, Evidence] | None:
    """A key of the default profile's application.properties or application.yml: raw value, evidence."""
    name = f"{_RESOURCES}/application.properties"
    text = app.read(name) or ""
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*[=:][ \t]*(.*?)[ \t]*$", text, re.MULTILINE)
    if match:
        return match.group(1), Evidence(app.rel(name), text.count("\n", 0, match.start()) + 1, f"{key}={match.group(1)}")
    for name in (f"{_RESOURCES}/application.yml", f"{_RESOURCES}/application.yaml"):
        hit = _yaml_key(app.read(name) or "", key)
        if hit:
            return hit[0], Evidence(app.rel(name), hit[1], f"{key}: {hit[0]}")
    return None


def spring_config(app: AppDir, key: str) -> tuple[str, Evidence] | None:
    """A key of the default Spring profile's configuration (application.properties, then application.yml)."""
    return _config(app, key)


def _yaml_key(text: str, dotted: str) -> tuple[str, int] | None:
    """The value and line of a dotted key in YAML written nested, flat or mixed (first document only)."""
    stack: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("---") and stack:
            return None  # later documents are profile-specific overrides
        match = re.match(r"^(\s*)([\w.\-]+)\s*:(?:\s+(.*?))?\s*$", raw.split(" #")[0])
        if not match:
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        if ".".join(k for _, k in stack) == dotted and match.group(3):
            return match.group(3).strip("'\""), number
    return None


def _port_value(raw: str) -> tuple[int | None, str | None]:
    """``8080`` -> (8080, None); ``${PORT:8080}`` -> (8080, "PORT"); ``${PORT}`` -> (None, "PORT")."""
    if raw.isdigit():
        return int(raw), None
    match = re.fullmatch(r"\$\{([\w.\-]+)(?::(\d+))?\}", raw)
    if match:
        return (int(match.group(2)) if match.group(2) else None), match.group(1)
    return None, None


def _port(app: AppDir, found: Findings, key: str, framework: str) -> None:
    hit = _config(app, key)
    if hit is not None:
        port, variable = _port_value(hit[0])
        if port is not None:
            found.set("port", port, hit[1])
        elif variable == "PORT":
            found.detail("port_env", "PORT")  # the $PORT convention: the image sets PORT to its port
        elif variable:
            found.warnings.append(f"{key} comes from ${{{variable}}} with no default")
    found.set("port", 8080, Evidence(app.path, None, f"{framework}'s default port"), default=True)


def _spring_address(app: AppDir, found: Findings) -> None:
    """``server.address=127.0.0.1`` keeps Spring Boot off every other interface: the image sets SERVER_ADDRESS."""
    hit = _config(app, "server.address")
    if hit is not None and hit[0] in ("127.0.0.1", "localhost", "::1", "[::1]"):
        found.detail("listen_env", "SERVER_ADDRESS=0.0.0.0")  # environment beats application.properties


# ---------------------------------------------------------------- frameworks
def _marker(project: _Project, *names: str) -> Evidence | None:
    return next((project.markers[n] for n in names if n in project.markers), None)


def _mentions(app: AppDir, project: _Project, artifact: str) -> bool:
    """Whether the build file (or a parent build) names ``artifact`` in any scope (dev-only ones too)."""
    paths = [project.file, *(p for p in (app.at_workspace_root("pom.xml"), _root_build(app)) if p)]
    return any(artifact in (app.tree.read_text(p) or "") for p in dict.fromkeys(paths))


class SpringBootDetector(FrameworkDetector):
    """Spring Boot: an executable jar from spring-boot-maven-plugin or the Gradle bootJar task."""

    name = "spring-boot"
    _MAVEN = ("spring-boot-maven-plugin", "spring-boot-starter-parent")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the Boot plugin (or parent POM)."""
        project = _project(app)
        evidence = _marker(project, *self._MAVEN, "org.springframework.boot") if project else None
        if project is None or evidence is None:
            return False
        found.set("framework", self.name, evidence)
        if project.tool == "maven" and "spring-boot-maven-plugin" not in project.markers:
            found.warnings.append("spring-boot-maven-plugin is not in <build><plugins>: the jar will not be executable")
        _build_command(app, project, "bootJar", evidence, found)
        _start_jar(project, evidence, found)
        version = next((project.versions[n] for n in (*self._MAVEN, "spring-boot-dependencies", "org.springframework.boot") if n in project.versions), None)
        found.detail("spring_boot_version", version)
        if _mentions(app, project, "spring-boot-devtools"):
            found.detail("devtools", "true")
        _port(app, found, "server.port", "Spring Boot")
        _spring_address(app, found)
        self._health(app, found)
        return True

    def _health(self, app: AppDir, found: Findings) -> None:
        """Actuator serves ``<context-path><base-path>/health`` (``/actuator/health`` by default)."""
        actuator = found.dep("spring-boot-starter-actuator")
        if actuator is None:
            return
        context = _config(app, "server.servlet.context-path")
        base = _config(app, "management.endpoints.web.base-path")
        path = (context[0].rstrip("/") if context else "") + (base[0].rstrip("/") if base else "/actuator") + "/health"
        found.set("health_path", path, Evidence(actuator.path, actuator.line, "spring-boot-starter-actuator serves " + path))
        if _config(app, "management.server.port") is not None:
            found.warnings.append("management.server.port is set: the actuator health endpoint is on a separate port")


class QuarkusDetector(FrameworkDetector):
    """Quarkus: the fast-jar layout, ``quarkus-app/quarkus-run.jar``."""

    name = "quarkus"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the Quarkus Maven plugin or Gradle plugin."""
        project = _project(app)
        evidence = _marker(project, "quarkus-maven-plugin", "io.quarkus") if project else None
        if project is None or evidence is None:
            return False
        found.set("framework", self.name, evidence)
        _build_command(app, project, "build -x test", evidence, found)
        jar = ("target" if project.tool == "maven" else "build") + "/quarkus-app/quarkus-run.jar"
        found.set("start_command", f"java -jar {jar}", evidence)
        found.detail("jar", jar)
        _port(app, found, "quarkus.http.port", "Quarkus")
        health = found.dep("quarkus-smallrye-health")
        if health is not None:
            found.set("health_path", "/q/health", Evidence(health.path, health.line, "quarkus-smallrye-health serves /q/health"))
        return True


class MicronautDetector(FrameworkDetector):
    """Micronaut: a shaded (Maven) or shadow (Gradle ``-all``) jar."""

    name = "micronaut"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the Micronaut Maven plugin/parent or Gradle application plugin."""
        project = _project(app)
        names = ("micronaut-maven-plugin", "micronaut-parent", "io.micronaut.application", "io.micronaut.minimal.application")
        evidence = _marker(project, *names) if project else None
        if project is None or evidence is None:
            return False
        found.set("framework", self.name, evidence)
        _build_command(app, project, "shadowJar", evidence, found)
        _start_jar(project, evidence, found, "" if project.tool == "maven" else "-all")
        _port(app, found, "micronaut.server.port", "Micronaut")
        health = found.dep("micronaut-management")
        if health is not None:
            found.set("health_path", "/health", Evidence(health.path, health.line, "micronaut-management serves /health"))
        return True


def _plain_start(app: AppDir, project: _Project, found: Findings) -> None:
    """No framework: an executable jar (Maven) or the ``application`` plugin's start script (Gradle)."""
    found.warnings.append("no Java web framework found (Spring Boot, Quarkus, Micronaut)")
    if project.tool == "gradle" and "application" in project.markers:
        evidence = project.markers["application"]
        name = project.name[0] if project.name else app.path.rsplit("/", 1)[-1]
        _build_command(app, project, "installDist", evidence, found)
        found.set("start_command", f"build/install/{name}/bin/{name}", evidence)
        found.detail("install_dir", f"build/install/{name}")
        return
    if project.tool == "maven" and project.main_class is not None:
        plugin, evidence = project.main_class
        if plugin not in ("maven-jar-plugin", "maven-shade-plugin", "maven-assembly-plugin"):
            found.warnings.append(f"the main class is set in {plugin}, which does not make the jar executable")
            return
        _build_command(app, project, "build", evidence, found)
        _start_jar(project, evidence, found, "-jar-with-dependencies" if plugin == "maven-assembly-plugin" else "")


# ---------------------------------------------------------------- the ecosystem
_APP_MARKERS = frozenset(
    {"spring-boot-maven-plugin", "spring-boot-starter-parent", "org.springframework.boot", "application",
     "quarkus-maven-plugin", "io.quarkus", "micronaut-maven-plugin", "micronaut-parent",
     "io.micronaut.application", "io.micronaut.minimal.application"}
)  # fmt: skip


class JavaEcosystem(Ecosystem):
    """Java apps built by Maven or Gradle."""

    language = "java"
    frameworks = (SpringBootDetector(), QuarkusDetector(), MicronautDetector())

    def claim(self, app: AppDir) -> Claim | None:
        """Claim a Maven/Gradle build; runnable with a framework plugin, ``application`` or a main class."""
        manifest = next((m for m in ("pom.xml", *_GRADLE_BUILDS, *_GRADLE_SETTINGS) if app.has(m)), None)
        if manifest is None:
            return None
        project = _project(app)
        runnable = project is not None and (bool(_APP_MARKERS & project.markers.keys()) or project.main_class is not None)
        kind = "Maven" if manifest == "pom.xml" else "Gradle"
        return Claim(self.language, 2 if runnable else 1, app.evidence(manifest, f"{kind} build file"))

    def workspace_members(self, app: AppDir) -> list[str] | None:
        """Maven ``<modules>`` of an aggregator POM, or the projects a Gradle settings file includes."""
        if app.has("pom.xml"):
            pom = _pom(app, app.rel("pom.xml"))
            modules = [m for m in (_text(e) for e in _kids(_kid(pom, "modules"), "module")) if m]
            if modules:
                return modules
        return _gradle_members(app) or None

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, build tool, dependencies, then the framework (or a plain executable jar)."""
        project = _project(app)
        _runtime(app, project, found)
        if project is None:
            found.warnings.append("no pom.xml or build.gradle in this folder: cannot tell how to build it")
            return
        if project.name is not None:
            found.name = project.name
        _package_manager(app, project, found)
        for artifact, evidence in project.deps.items():
            found.add_dep(artifact, evidence)
        self.run_frameworks(app, found)
        if not found.has("framework"):
            _plain_start(app, project, found)


ECOSYSTEM = JavaEcosystem()

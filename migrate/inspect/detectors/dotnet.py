""".NET: SDK-style C#/F#/VB projects, solutions; ASP.NET Core and worker services.

A .NET app is restored and published by the ``dotnet`` CLI and run as
``dotnet <Assembly>.dll`` from the publish folder. Its runtime is the
project's target framework (``net8.0`` -> ``8.0``); ``global.json`` pins the
SDK that builds it. ASP.NET Core reads its configuration from environment
variables too (``ConnectionStrings__Default`` for ``GetConnectionString("Default")``),
so those reads are reported as environment variables.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    EnvRead,
    Findings,
    FrameworkDetector,
    first_match,
    match_evidence,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.inspect.tree import join
from migrate.profile import Evidence

_PROJECT_PATTERNS = ("*.csproj", "*.fsproj", "*.vbproj")
_SOLUTION_PATTERNS = ("*.sln", "*.slnx")
_CODE = (".cs", ".fs", ".vb")
_PUBLISH_DIR = "/app/publish"
# Packages that mark a test project (xunit v3 test projects are even OutputType Exe).
_TEST_PACKAGES = frozenset({"microsoft.net.test.sdk", "xunit", "xunit.v3", "nunit", "mstest.testframework", "mstest"})
_NS = re.compile(r"^\{[^}]*\}")


# ---------------------------------------------------------------- project files
def _local(tag: Any) -> str:
    return _NS.sub("", tag) if isinstance(tag, str) else ""


def _projects(app: AppDir) -> list[str]:
    return sorted({n for p in _PROJECT_PATTERNS for n in app.glob(p)})


def _solutions(app: AppDir) -> list[str]:
    return sorted({n for p in _SOLUTION_PATTERNS for n in app.glob(p)})


def _xml(app: AppDir, path: str) -> Any:
    """The ``<Project>`` root of a tree-relative MSBuild file, or None."""
    root = app.tree.read_xml(path) if app.tree.exists(path) else None
    return root if root is not None and _local(root.tag) == "Project" else None


def _property(root: Any, name: str) -> str | None:
    """The first unconditional ``<PropertyGroup>`` value of ``name`` (MSBuild evaluates the first set)."""
    for group in (g for g in root if _local(g.tag) == "PropertyGroup" and not g.get("Condition")):
        for prop in group:
            if _local(prop.tag) == name and isinstance(prop.text, str) and prop.text.strip():
                return prop.text.strip()
    return None


def _sdk(root: Any) -> str:
    """``Microsoft.NET.Sdk.Web`` from ``<Project Sdk=...>`` or a ``<Sdk Name=...>`` element."""
    sdk = root.get("Sdk") or next((e.get("Name") for e in root if _local(e.tag) == "Sdk" and e.get("Name")), "")
    return str(sdk).split("/")[0].strip()


def _items(root: Any, kind: str) -> list[Any]:
    return [i for g in root if _local(g.tag) == "ItemGroup" for i in g if _local(i.tag) == kind and i.get("Include")]


def _packages(root: Any) -> list[str]:
    """Runtime package references: build-only analyzers (``PrivateAssets="all"``) left out."""
    names = []
    for item in _items(root, "PackageReference"):
        private = item.get("PrivateAssets") or next((c.text for c in item if _local(c.tag) == "PrivateAssets"), "")
        if (private or "").strip().lower() != "all":
            names.append(str(item.get("Include")))
    return names


def _is_test(root: Any) -> bool:
    return (_property(root, "IsTestProject") or "").lower() == "true" or any(p.lower() in _TEST_PACKAGES for p in _packages(root))


def _main_project(app: AppDir) -> tuple[str, Any] | None:
    """The app's project file (app-relative name) and root; the runnable one if a folder has several."""
    parsed = [(n, _xml(app, app.rel(n))) for n in _projects(app)]
    usable = [(n, r) for n, r in parsed if r is not None]
    candidates = [(n, r) for n, r in usable if _is_runnable(r)] or usable
    return candidates[0] if candidates else None


def _is_runnable(root: Any) -> bool:
    sdk = _sdk(root)
    web_or_worker = sdk in ("Microsoft.NET.Sdk.Web", "Microsoft.NET.Sdk.Worker")
    return not _is_test(root) and (web_or_worker or (_property(root, "OutputType") or "").lower() == "exe")


# ---------------------------------------------------------------- runtime
def _tfm_version(tfm: str) -> str | None:
    """``net8.0`` / ``net8.0-windows`` -> ``8.0``, ``netcoreapp3.1`` -> ``3.1``; .NET Framework and netstandard -> None."""
    match = re.fullmatch(r"net(?:coreapp)?(\d+\.\d+)(?:-[\w.]+)?", tfm.strip().lower())
    return match.group(1) if match else None


def _target_framework(app: AppDir, path: str, root: Any) -> tuple[str, Evidence] | None:
    """The project's target framework, or the newest of its ``TargetFrameworks``."""
    single = _property(root, "TargetFramework")
    if single:
        version = _tfm_version(single)
        return (version, _ev(app, path, f"TargetFramework {single}", r"<TargetFramework>")) if version else None
    several = [v for v in (_tfm_version(t) for t in (_property(root, "TargetFrameworks") or "").split(";")) if v]
    if several:
        newest = max(several, key=lambda v: tuple(int(p) for p in v.split(".")))
        return newest, _ev(app, path, f"newest of TargetFrameworks: net{newest}", r"<TargetFrameworks>")
    return None


def _ev(app: AppDir, path: str, reason: str, pattern: str | None = None) -> Evidence:
    return Evidence(path, app.tree.line_of(path, pattern) if pattern else None, reason)


def _ancestor_file(app: AppDir, name: str) -> str | None:
    """The nearest ``name`` in the app folder or above it (how the SDK finds global.json, Directory.Build.props)."""
    folder = app.path
    while True:
        path = join(folder, name)
        if app.tree.exists(path):
            return path
        if folder == ".":
            return None
        folder = folder.rpartition("/")[0] or "."


def _runtime(app: AppDir, project: tuple[str, Any] | None, found: Findings) -> None:
    sdk = _global_sdk(app)
    if sdk is not None:
        found.detail("sdk_version", sdk[0])
    pinned = _target_framework(app, app.rel(project[0]), project[1]) if project else None
    props = _ancestor_file(app, "Directory.Build.props")
    props_root = _xml(app, props) if props and pinned is None else None
    pinned = pinned or (_target_framework(app, props, props_root) if props and props_root is not None else None)
    if pinned is not None:
        found.set("runtime_version", pinned[0], pinned[1])
        return
    if project is not None and _property(project[1], "TargetFrameworkVersion"):
        found.warnings.append(".NET Framework project (TargetFrameworkVersion): it needs Windows containers")
    if sdk is not None:
        version = ".".join(sdk[0].split(".")[:2])
        found.set("runtime_version", version, sdk[1])
        return
    default = DEFAULT_RUNTIME["dotnet"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no .NET version pinned; using {default}"), default=True)


def _global_sdk(app: AppDir) -> tuple[str, Evidence] | None:
    path = _ancestor_file(app, "global.json")
    data = app.tree.read_json5(path) if path else None
    sdk = data.get("sdk") if isinstance(data, dict) else None
    version = sdk.get("version") if isinstance(sdk, dict) else None
    if path and isinstance(version, str) and re.match(r"^\d+\.\d+", version):
        return version, _ev(app, path, f"global.json pins SDK {version}", r'"version"')
    return None


# ---------------------------------------------------------------- dependencies
def _collect_dependencies(app: AppDir, path: str, root: Any, found: Findings, seen: set[str]) -> None:
    """Package references of the project and, transitively, of the projects it references."""
    seen.add(path)
    for name in _packages(root):
        found.add_dep(name.lower(), _ev(app, path, f"references {name}", rf"Include\s*=\s*\"{re.escape(name)}\""))
    folder = path.rpartition("/")[0] or "."
    for item in _items(root, "ProjectReference"):
        target = posixpath.normpath(posixpath.join(folder, str(item.get("Include")).replace("\\", "/")))
        if target.startswith("..") or target in seen or len(seen) > 50:
            continue  # outside the tree, a cycle, or a pathological graph
        other = _xml(app, target)
        if other is not None:
            _collect_dependencies(app, target, other, found, seen)


# Files restore reads besides the project files: MSBuild imports them from every folder above a
# project, and NuGet reads its configuration and lock files.
_RESTORE_INPUTS = ("global.json", "NuGet.config", "nuget.config", "NuGet.Config", "Directory.Build.props",
                   "Directory.Build.targets", "Directory.Packages.props")  # fmt: skip


def _manifests(app: AppDir, projects: list[str], found: Findings) -> None:
    """What ``dotnet restore`` of the app reads: its project, the projects it references, imports, NuGet files.

    Paths are app-relative (``../Core/Core.csproj`` for a reference); copied before the
    source, they let a code change reuse the restored packages.
    """
    files: list[str] = []
    for project in projects:
        folder = project.rpartition("/")[0] or "."
        while True:
            files += [join(folder, n) for n in _RESTORE_INPUTS if app.tree.exists(join(folder, n))]
            if folder == ".":
                break
            folder = folder.rpartition("/")[0] or "."
    for project in projects:
        lock = join(project.rpartition("/")[0] or ".", "packages.lock.json")
        files += [project, *([lock] if app.tree.exists(lock) else [])]
    ordered = sorted(dict.fromkeys(f for f in files if not re.search(r"\s", f)), key=lambda f: (f.count("/"), f))
    found.detail("manifests", " ".join(posixpath.relpath(f, app.path) for f in ordered))


# ---------------------------------------------------------------- configuration read from the environment
# Who reads configuration: ``builder.Configuration``, an injected ``IConfiguration configuration`` / ``_config``.
# (The receiver's last name only: a pattern that starts at "onfig" lets the prefilter try it where that is.)
_CONFIG = r"(?:(?<![\w])_?[cC]onfig(?:uration)?)"
_KEY = r"\"([\w.:\-]+)\""
_LITERAL = r"(?:\"([^\"\n]*)\"|(-?\d+(?:\.\d+)?|true|false))"
# Aspire client integrations name a connection string: ``builder.AddNpgsqlDbContext<Db>("catalogdb")``,
# ``builder.AddRedisClient("redis")`` read ConnectionStrings:catalogdb / :redis and throw at start-up without it.
_ASPIRE_CLIENT = r"\bbuilder\.Add\w+?(?:Client|DataSource|DbContext|DistributedCache|OutputCache|Producer|Consumer)(?:<[\w.]+>)?\(\s*"
_ASPIRE_PACKAGES = ("aspire.", "communitytoolkit.aspire.")


@dataclass(frozen=True)
class _ConfigRead:
    """One way ASP.NET Core code reads a configuration key; ``kind`` says what an unset key gives.

    ``connection``: null, which the database client it is handed refuses; ``value``: null or
    ``default(T)`` (optional); ``client``: an Aspire client, which throws.
    """

    pattern: re.Pattern[str]
    key: str
    kind: str


_CONFIG_READS = (
    _ConfigRead(re.compile(rf"\bGetConnectionString\(\s*{_KEY}\s*\)"), "ConnectionStrings:{}", "connection"),
    _ConfigRead(re.compile(rf"{_CONFIG}\s*\[\s*{_KEY}\s*\]"), "{}", "value"),
    # ``GetValue<int>("Port", 8080)``: the second argument is the default.
    _ConfigRead(re.compile(rf"{_CONFIG}\.GetValue<[\w?.]+>\(\s*{_KEY}\s*(?:,\s*{_LITERAL})?"), "{}", "value"),
    _ConfigRead(re.compile(rf"{_ASPIRE_CLIENT}{_KEY}\s*[,)]"), "ConnectionStrings:{}", "client"),
)
#: ``?? throw new ...`` (the ASP.NET templates' ``GetConnectionString(...) ?? throw``) or the null-forgiving ``!``.
_ASSERTED = re.compile(r"\s*(?:\?\?\s*throw\b|!(?!=))")
_FALLBACK = re.compile(rf"\s*\?\?\s*{_LITERAL}")
# ``if (!string.IsNullOrEmpty(config["X"]))``, ``config["X"] is string x``, ``config["X"]?.Split(...)``: the code handles null.
_TESTED_BEFORE = re.compile(r"\bIsNullOr(?:Empty|WhiteSpace)\(\s*[\w.]*$")
_TESTED_AFTER = re.compile(r"\s*(?:is\b|[!=]=\s*null\b|\?\.|\?\?)")


def _configuration_reads(app: AppDir, found: Findings) -> None:
    """ASP.NET Core configuration keys, which environment variables set (``A:B`` is ``A__B``).

    Like ``process.env``, an unset key reads as null: optional unless the code asserts it
    (``?? throw``, ``!``), hands a connection string to its client, or asks an Aspire client
    for one. appsettings.json's value is the default.
    """
    settings = app.tree.read_json5(app.rel("appsettings.json")) if app.has("appsettings.json") else None
    aspire = any(dep.startswith(_ASPIRE_PACKAGES) for dep in found.deps)
    for read in _CONFIG_READS:
        if read.kind == "client" and not aspire:
            continue
        for path, line, match in app.grep(_CODE, read.pattern):
            key = read.key.format(match.group(1))
            value = _setting(settings, key)
            default = None if key.startswith("ConnectionStrings:") or isinstance(value, (dict, list)) else value
            evidence = Evidence(path, line, f"configuration key {key}")
            found.env_reads.append(_config_read(key, evidence, read.kind, match, default, value is not None))


def _config_read(key: str, evidence: Evidence, kind: str, match: re.Match[str], default: Any, in_settings: bool) -> EnvRead:
    """The read at ``match``: its default (appsettings.json, ``?? "d"``, GetValue's argument) and whether it is optional."""
    text, name = match.string, key.replace(":", "__")
    literal = next((g for g in match.groups()[1:] if g is not None), None)
    fallback = _FALLBACK.match(text, match.end())
    if literal is None and fallback is not None:
        literal = next(g for g in fallback.groups() if g is not None)
    if literal is not None:
        return EnvRead(name, evidence, literal, True)
    if _ASSERTED.match(text, match.end()):
        return EnvRead(name, evidence, default, in_settings)
    tested = _TESTED_BEFORE.search(text, max(0, match.start() - 120), match.start()) or _TESTED_AFTER.match(text, match.end())
    optional = in_settings or tested is not None or kind == "value" or _in_configured_branch(text, match.start())
    return EnvRead(name, evidence, default, optional)


# ``if (builder.Configuration["OllamaEnabled"] is string x && ...) { builder.AddOllamaApiClient("embedding"); }``
_BRANCH_HEADER = re.compile(r"\b(?:if|else\s+if)\s*\((?=.*(?:Configuration|[cC]onfig\b|_config|GetValue|GetEnvironmentVariable|IsNullOr))", re.DOTALL)


_BRACE = re.compile(r"[{}]")
_BRANCH_REACH = 4000


def _in_configured_branch(text: str, offset: int) -> bool:
    """Whether ``offset`` is inside an ``if`` block whose condition reads configuration: it runs only when that is set.

    Only the braces of the few thousand characters before the read are walked (found by the regex engine, not
    character by character): an enclosing branch is near, and a large file is not walked once per read.
    """
    depth = 0
    for brace in reversed([m.start() for m in _BRACE.finditer(text, max(0, offset - _BRANCH_REACH), offset)]):
        if text[brace] == "}":
            depth += 1
        elif depth > 0:
            depth -= 1
        else:  # an enclosing block opens here: is it an if on configuration?
            start = max(text.rfind(";", 0, brace), text.rfind("{", 0, brace), text.rfind("}", 0, brace)) + 1
            if _BRANCH_HEADER.search(text, start, brace):
                return True
    return False


def _setting(settings: Any, key: str) -> Any:
    """The value of a ``Section:Key`` in appsettings.json (keys are case-insensitive), or None."""
    for part in key.split(":"):
        if not isinstance(settings, dict):
            return None
        settings = next((v for k, v in settings.items() if str(k).lower() == part.lower()), None)
    return str(settings).lower() if isinstance(settings, bool) else str(settings) if isinstance(settings, (int, float, str)) else settings


# ---------------------------------------------------------------- frameworks
_URL_PORT = re.compile(r"(?:\bUseUrls|\bUrls\.Add|\bapp\.Run)\(\s*\$?\"https?://[^\"/:]+:(\d{2,5})")
_LISTEN_PORT = re.compile(r"\bListen(?:AnyIP|Localhost)?\(\s*(?:IPAddress\.\w+\s*,\s*)?(\d{2,5})\b")


class AspNetCoreDetector(FrameworkDetector):
    """ASP.NET Core (``Microsoft.NET.Sdk.Web``): Kestrel on 8080 in .NET 8+ container images."""

    name = "aspnetcore"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the Web SDK."""
        project = _main_project(app)
        if project is None or _sdk(project[1]) != "Microsoft.NET.Sdk.Web":
            return False
        path = app.rel(project[0])
        found.set("framework", self.name, _ev(app, path, "Microsoft.NET.Sdk.Web project", r"Microsoft\.NET\.Sdk\.Web"))
        self._port(app, found)
        _launch_settings(app, found)
        return True

    def _port(self, app: AppDir, found: Findings) -> None:
        hit = first_match(app, _CODE, _URL_PORT) or first_match(app, _CODE, _LISTEN_PORT)
        if hit is not None:
            found.set("port", int(hit[2].group(1)), match_evidence(hit, "Kestrel listens here"))
        settings = app.tree.read_json5(app.rel("appsettings.json")) if app.has("appsettings.json") else None
        urls = _setting(settings, "Urls") or _setting(settings, "Kestrel:Endpoints:Http:Url")
        match = re.search(r":(\d{2,5})\b", urls) if isinstance(urls, str) else None
        if match:
            found.set("port", int(match.group(1)), app.evidence("appsettings.json", f"Kestrel URL {urls}", r'"(Urls|Url)"'))
        runtime = found.get("runtime_version") or DEFAULT_RUNTIME["dotnet"]
        modern = int(str(runtime).split(".")[0]) >= 8
        why = "ASP.NET Core 8+ container images listen on 8080 (ASPNETCORE_HTTP_PORTS)" if modern else "ASP.NET Core images before 8.0 listen on 80 (ASPNETCORE_URLS)"
        found.set("port", 8080 if modern else 80, Evidence(app.path, None, why), default=True)


def _launch_settings(app: AppDir, found: Findings) -> None:
    """launchSettings.json is for ``dotnet run`` on a workstation: noted, never the production port."""
    data = app.tree.read_json5(app.rel("Properties/launchSettings.json")) if app.has("Properties/launchSettings.json") else None
    profiles = data.get("profiles") if isinstance(data, dict) else None
    for profile in profiles.values() if isinstance(profiles, dict) else ():
        url = profile.get("applicationUrl") if isinstance(profile, dict) else None
        if isinstance(url, str) and url:
            found.detail("dev_urls", url)
            return


class WorkerDetector(FrameworkDetector):
    """A .NET worker service (``Microsoft.NET.Sdk.Worker``): a process, no port."""

    name = "worker"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the Worker SDK."""
        project = _main_project(app)
        if project is None or _sdk(project[1]) != "Microsoft.NET.Sdk.Worker":
            return False
        path = app.rel(project[0])
        found.set("framework", self.name, _ev(app, path, "Microsoft.NET.Sdk.Worker project", r"Microsoft\.NET\.Sdk\.Worker"))
        found.detail("worker", "true")
        return True


# ---------------------------------------------------------------- commands
def _commands(app: AppDir, name: str, root: Any, found: Findings) -> None:
    """restore, publish and ``dotnet <Assembly>.dll`` (or the native binary with ``PublishAot``)."""
    path = app.rel(name)
    # With several project/solution files in the folder, dotnet needs to be told which one.
    target = f" {name}" if len(_projects(app)) + len(_solutions(app)) > 1 else ""
    evidence = _ev(app, path, "SDK-style .NET project (dotnet CLI, NuGet)")
    found.set("package_manager", "dotnet", evidence)
    found.detail("install_command", f"dotnet restore{target}")
    found.detail("project_file", path)
    if app.workspace_root is not None:
        found.detail("build_root", app.workspace_root)
    if not _is_runnable(root):
        return
    found.set("build_command", f"dotnet publish{target} -c Release -o {_PUBLISH_DIR}", evidence)
    found.detail("publish_dir", _PUBLISH_DIR)
    assembly = _property(root, "AssemblyName")
    assembly_ev = _ev(app, path, f"AssemblyName {assembly}", r"<AssemblyName>") if assembly else _ev(app, path, "assembly named after the project file")
    assembly = assembly or name.rsplit(".", 1)[0]
    if (_property(root, "PublishAot") or "").lower() == "true":
        found.set("start_command", f"./{assembly}", _ev(app, path, "PublishAot: a native executable", r"<PublishAot>"))
        found.detail("assembly", assembly)
        return
    found.set("start_command", f"dotnet {assembly}.dll", assembly_ev)
    found.detail("assembly", f"{assembly}.dll")


# ---------------------------------------------------------------- the ecosystem
class DotnetEcosystem(Ecosystem):
    """.NET apps from SDK-style project files; solutions group them."""

    language = "dotnet"
    frameworks = (AspNetCoreDetector(), WorkerDetector())

    def claim(self, app: AppDir) -> Claim | None:
        """Claim a project file (runnable: Web/Worker SDK or OutputType Exe, not a test project) or a solution."""
        project = _main_project(app)
        if project is not None:
            reason = ".NET project" if _is_runnable(project[1]) else ".NET project (library or tests)"
            return Claim(self.language, 2 if _is_runnable(project[1]) else 1, app.evidence(project[0], reason))
        files = _projects(app) or _solutions(app)
        return Claim(self.language, 1, app.evidence(files[0], ".NET project or solution")) if files else None

    def workspace_members(self, app: AppDir) -> list[str] | None:
        """A solution's project folders, unless a project lives beside it (then that folder is the app)."""
        if _projects(app):
            return None
        members: list[str] = []
        for name in _solutions(app):
            text = app.read(name) or ""
            paths = re.findall(r'^Project\("[^"]*"\)\s*=\s*"[^"]*"\s*,\s*"([^"]+\.\w+proj)"', text, re.MULTILINE)
            paths += re.findall(r'<Project\s+Path="([^"]+\.\w+proj)"', text)
            for raw in paths:
                folder = posixpath.dirname(posixpath.normpath(raw.replace("\\", "/"))) or "."
                if not folder.startswith("..") and folder not in members:
                    members.append(folder)
        return members or None

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, restore/publish/start commands, package references, then the framework."""
        project = _main_project(app)
        _runtime(app, project, found)
        if project is None:
            if _projects(app):
                found.warnings.append("no project file here could be read")
            return
        name, root = project
        found.name = (name.rsplit(".", 1)[0], app.evidence(name, "project file name"))
        _commands(app, name, root, found)
        projects: set[str] = set()
        _collect_dependencies(app, app.rel(name), root, found, projects)
        _manifests(app, sorted(projects), found)
        _configuration_reads(app, found)
        self.run_frameworks(app, found)


ECOSYSTEM = DotnetEcosystem()

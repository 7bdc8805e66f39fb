"""Deno: ``deno.json``/``deno.jsonc`` apps; Fresh, Hono, Oak or plain ``Deno.serve``.

Deno has no separate package manager: the ``imports`` map of the config
(``npm:``/``jsr:`` specifiers and URLs) and inline specifiers in code are the
dependencies, and ``deno install`` (Deno 2) or ``deno cache`` (Deno 1) fetches
them. The start command is the config's ``start`` (or ``serve``/``preview``)
task without ``--watch``, unless that task is a dev server; otherwise
``deno run`` on the file that calls ``Deno.serve``.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    Findings,
    FrameworkDetector,
    first_match,
    match_evidence,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.profile import Evidence

_CONFIGS = ("deno.json", "deno.jsonc")
_SOURCES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts")
#: Files that conventionally hold a Deno app's entry point, in preference order.
_MAIN_CANDIDATES = (
    "main.ts", "main.tsx", "main.js", "server.ts", "server.js", "app.ts", "app.js", "index.ts", "index.js", "mod.ts",
    "src/main.ts", "src/server.ts", "src/app.ts", "src/index.ts", "src/main.js", "src/server.js",
)  # fmt: skip
#: Tasks that may start the app in production, in preference order.
_START_TASKS = ("start", "serve", "preview")
_SERVE = re.compile(r"\bDeno\.serve\(|\.listen\(\s*\{|^\s*export\s+default\s*\{[^}]*\bfetch\b", re.MULTILINE)
_PORT = re.compile(r"(?:\bDeno\.serve|\.listen|\bserve)\(\s*\{[^}]*?\bport\s*:\s*(\d{2,5})\b")
_PORT_FLAG = re.compile(r"(?:^|\s)--port[= ](\d{2,5})\b")
_SCRIPT = re.compile(r"^[\w./@-]+\.(?:ts|tsx|js|jsx|mjs|mts)$")
_SPECIFIER = re.compile(r"^(npm|jsr):/?((?:@[^/@\s]+/)?[^/@\s]+)")
_URL = re.compile(r"^https?://([^/]+)/((?:x/)?(?:@[^/@]+/)?[^/@]+)")
_INLINE = re.compile(r"""(?:\bfrom\s+|\bimport\s*\(?\s*)["']((?:npm|jsr):[^"']+|https?://[^"']+)["']""")
#: Import-map entries that are test tooling, not runtime dependencies.
_TEST_DEPS = frozenset({"jsr:@std/assert", "jsr:@std/testing", "jsr:@std/expect", "deno.land/std/testing"})
_TEST_FILE = re.compile(r"(^|/)(tests?|__tests__)/|[._]test\.[jt]sx?$|\.spec\.[jt]sx?$|_bench\.[jt]s$")
_READS_FILES = re.compile(r"\b(?:serveDir|serveFile|serveStatic|Deno\.readTextFile|Deno\.readFile|Deno\.open)\b")
_HEALTH_COMPARE = re.compile(r"""pathname\s*===?\s*["'](/(?:healthz?|health[-_]?check|livez|readyz|ready|ping|up))["']""")


# ---------------------------------------------------------------- config
def _config_file(app: AppDir) -> str | None:
    return next((c for c in _CONFIGS if app.has(c)), None)


def _raw_config(app: AppDir) -> Any:
    """The parsed config (JSONC via the JSON5 reader), or None (the tree warns) when malformed."""
    name = _config_file(app)
    return app.tree.read_json5(app.rel(name)) if name else None


def _config(app: AppDir) -> dict[str, Any]:
    """The config object, or ``{}`` when missing, malformed or not an object."""
    data = _raw_config(app)
    return data if isinstance(data, dict) else {}


def _tasks(config: dict[str, Any]) -> dict[str, str]:
    """Task name -> command; Deno 2's ``{"command": ...}`` objects included."""
    tasks = config.get("tasks")
    if not isinstance(tasks, dict):
        return {}
    result: dict[str, str] = {}
    for name, value in tasks.items():
        command = value.get("command") if isinstance(value, dict) else value
        if isinstance(name, str) and isinstance(command, str) and command.strip():
            result[name] = command.strip()
    return result


def _task_evidence(app: AppDir, task: str, reason: str) -> Evidence:
    name = _config_file(app) or _CONFIGS[0]
    return app.evidence(name, reason, rf"""^\s*["']?{re.escape(task)}["']?\s*:""")


def _script_of(command: str) -> str | None:
    """The first script file a ``deno run``/``deno serve`` command runs."""
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    return next((t for t in tokens if _SCRIPT.match(t)), None)


def _is_dev_server(command: str) -> bool:
    """A dev server (Fresh's ``dev.ts``, Vite) rather than the production one."""
    if re.search(r"(?:^|[\s/])dev\.[jt]sx?\b|\bdeno task dev\b", command):
        return True
    return bool(re.search(r"(?:^|[\s:])vite(?:@\S*)?(?!\s+(?:build|preview)\b)(?=\s|$)", command))


def _clean(command: str) -> str:
    """The task command without file watching (a production server does not reload)."""
    # Deno's watch flags take their optional value only after "=", so "--watch main.ts" keeps main.ts.
    return re.sub(r"\s+--watch(?:-hmr|-exclude)?(?:=\S*)?(?=\s|$)", "", command).strip()


# ---------------------------------------------------------------- entry point
def _main(app: AppDir, tasks: dict[str, str]) -> tuple[str, Evidence] | None:
    """The app's entry file (relative to the app) and why we think so."""
    for task in _START_TASKS:
        command = tasks.get(task)
        script = _script_of(command) if command and not _is_dev_server(command) else None
        if script and app.has(script.removeprefix("./")):
            return script.removeprefix("./"), _task_evidence(app, task, f"the {task} task runs {script}")
    present = [c for c in _MAIN_CANDIDATES if app.has(c)]
    for name in present:
        text = app.read(name) or ""
        match = _SERVE.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            return name, Evidence(app.rel(name), line, "starts the HTTP server")
    if present:
        return present[0], app.evidence(present[0], "conventional entry file")
    return None


#: What only Deno runs: its global namespace, or jsr:/npm: specifiers and deno.land URLs in imports.
_DENO_ONLY = re.compile(r"\bDeno\.\w+|\bfrom\s+[\"'](?:jsr:|npm:|https://deno\.land/)")


def _loose_entry(app: AppDir) -> tuple[str, Evidence] | None:
    """A conventional entry file of a folder without deno.json or package.json that only Deno can run."""
    if app.has("package.json"):
        return None  # Node's (or Bun's) app
    for name in _MAIN_CANDIDATES:
        text = app.read(name) if app.has(name) and name.endswith((".ts", ".tsx")) else None
        match = _DENO_ONLY.search(text or "")
        if text and match:
            line = text.count("\n", 0, match.start()) + 1
            return name, Evidence(app.rel(name), line, "Deno entry file without deno.json")
    return None


# ---------------------------------------------------------------- name and runtime
def _name(app: AppDir, config: dict[str, Any], found: Findings) -> None:
    name = config.get("name")
    if isinstance(name, str) and name.strip():
        # JSR names are scoped ("@acme/api"); the scope is the publisher, not the app.
        short = name.strip().rsplit("/", 1)[-1]
        found.name = (short, app.evidence(_config_file(app) or _CONFIGS[0], "package name", r"""^\s*["']?name["']?\s*:"""))


def _runtime(app: AppDir, found: Findings) -> None:
    text = app.read(".dvmrc")
    match = re.search(r"^\s*v?(\d+(?:\.\d+){0,2})\s*$", text or "", re.MULTILINE)
    if match:
        found.set("runtime_version", match.group(1), app.evidence(".dvmrc", f"pins Deno {match.group(1)}", re.escape(match.group(0).strip())))
        return
    match = re.search(r"^\s*deno\s+v?(\d+(?:\.\d+){0,2})\b", app.read(".tool-versions") or "", re.MULTILINE)
    if match:
        found.set("runtime_version", match.group(1), app.evidence(".tool-versions", f"pins Deno {match.group(1)}", r"^\s*deno\s"))
        return
    default = DEFAULT_RUNTIME["deno"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no Deno version pinned; using {default}"), default=True)


# ---------------------------------------------------------------- dependencies
def dependency_name(specifier: str) -> str | None:
    """``npm:pg@^8`` -> ``npm:pg``; ``https://deno.land/x/oak@v12/mod.ts`` -> ``deno.land/x/oak``."""
    match = _SPECIFIER.match(specifier.strip())
    if match:
        return f"{match.group(1)}:{match.group(2)}"
    match = _URL.match(specifier.strip())
    if match:
        return f"{match.group(1)}/{match.group(2)}"
    return None


def _collect_dependencies(app: AppDir, config: dict[str, Any], found: Findings) -> None:
    imports = config.get("imports")
    config_file = _config_file(app)
    if isinstance(imports, dict) and config_file:
        for key, value in imports.items():
            dep = dependency_name(value) if isinstance(value, str) else None
            if dep and dep not in _TEST_DEPS:
                pattern = r"""["']""" + re.escape(str(key)) + r"""["']\s*:"""
                found.add_dep(dep, app.evidence(config_file, f"imports {value}", pattern))
    package = app.json("package.json")
    deps = package.get("dependencies") if isinstance(package, dict) else None
    if isinstance(deps, dict):
        for name in deps:
            if isinstance(name, str):
                found.add_dep(f"npm:{name}", app.evidence("package.json", f"requires {name}", rf"""["']{re.escape(name)}["']\s*:"""))
    for path, line, match in app.grep(_SOURCES, _INLINE):
        dep = dependency_name(match.group(1))
        if dep and dep not in _TEST_DEPS and not _TEST_FILE.search(path):
            found.add_dep(dep, Evidence(path, line, f"imports {match.group(1)}"))


def _manifests(app: AppDir, found: Findings) -> None:
    """The files ``deno install`` reads (config, lockfile, package.json), copied before the source."""
    files = [f for f in (_config_file(app), "deno.lock", "package.json", "package-lock.json") if f and app.has(f)]
    if files:
        found.detail("manifests", " ".join(files))


# ---------------------------------------------------------------- frameworks
class _DenoFramework(FrameworkDetector):
    """A Deno web framework, recognised by any of its dependency names."""

    def __init__(self, name: str, *deps: str) -> None:
        self.name = name  # type: ignore[misc]
        self._deps = deps

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on a dependency (import map, package.json or inline specifier)."""
        evidence = found.dep(*self._deps)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        return True


# ---------------------------------------------------------------- commands
def _start(app: AppDir, tasks: dict[str, str], main: tuple[str, Evidence] | None, found: Findings) -> None:
    for task in _START_TASKS:
        command = tasks.get(task)
        if command is None:
            continue
        if _is_dev_server(command):
            found.detail(f"dev_task_{task}", command)
            continue
        found.set("start_command", _clean(command), _task_evidence(app, task, f"the {task} task"))
        return
    if main is None:
        found.warnings.append("could not find the Deno entry file (add a start task to deno.json)")
        return
    flags = "--allow-net --allow-env"
    if first_match(app, _SOURCES, _READS_FILES) is not None:
        flags += " --allow-read"  # serves or reads files from the app folder
    found.set("start_command", f"deno run {flags} {main[0]}", main[1])


def _install(found: Findings, main: tuple[str, Evidence] | None) -> None:
    """``deno install`` (Deno 2) or ``deno cache`` (Deno 1) fetches every dependency ahead of run time."""
    version = str(found.get("runtime_version") or DEFAULT_RUNTIME["deno"])
    if version.split(".")[0] == "1":
        if main is not None:
            found.detail("install_command", f"deno cache {main[0]}")
        return
    found.detail("install_command", f"deno install --entrypoint {main[0]}" if main else "deno install")


def _port(app: AppDir, tasks: dict[str, str], found: Findings) -> None:
    start = next((t for t in _START_TASKS if t in tasks and not _is_dev_server(tasks[t])), None)
    flag = _PORT_FLAG.search(tasks[start]) if start else None
    if start and flag:
        found.set("port", int(flag.group(1)), _task_evidence(app, start, f"the {start} task passes --port"))
    hit = first_match(app, _SOURCES, _PORT)
    if hit is not None:
        found.set("port", int(hit[2].group(1)), match_evidence(hit, "port passed to the server"))
    if found.has("start_command"):  # no server found, no port to assume
        found.set("port", 8000, Evidence(app.path, None, "Deno.serve's default port"), default=True)


def _health(app: AppDir, found: Findings) -> None:
    """``if (url.pathname === "/health")`` routing in a plain ``Deno.serve`` handler."""
    hit = next((h for h in app.grep(_SOURCES, _HEALTH_COMPARE) if not _TEST_FILE.search(h[0])), None)
    if hit is not None:
        found.set("health_path", hit[2].group(1), match_evidence(hit, f"route {hit[2].group(1)}"))


class DenoEcosystem(Ecosystem):
    """Deno apps, from ``deno.json``/``deno.jsonc``."""

    language = "deno"
    frameworks = (
        _DenoFramework("fresh", "jsr:@fresh/core", "deno.land/x/fresh"),
        _DenoFramework("hono", "jsr:@hono/hono", "npm:hono", "deno.land/x/hono"),
        _DenoFramework("oak", "jsr:@oak/oak", "deno.land/x/oak", "npm:@oakserver/oak"),
    )

    def claim(self, app: AppDir) -> Claim | None:
        """Claim a folder with a Deno config; runnable with a start/serve task or a server entry file."""
        name = _config_file(app)
        if name is None:
            # No deno.json (Deno needs none): an entry file only Deno runs, weak like every manifest-less app.
            loose = _loose_entry(app)
            return Claim(self.language, 1, loose[1]) if loose else None
        tasks = _tasks(_config(app))
        task = next((t for t in ("start", "serve") if t in tasks), None)
        if task is not None:
            return Claim(self.language, 2, _task_evidence(app, task, f"Deno config with a {task} task"))
        main = _main(app, tasks)
        strong = main is not None and bool(_SERVE.search(app.read(main[0]) or ""))
        return Claim(self.language, 2 if strong else 1, app.evidence(name, "Deno config"))

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, dependencies, framework, then start/build commands and the port."""
        config = _config(app)
        if _config_file(app) and not isinstance(_raw_config(app), dict):
            found.warnings.append(f"{_config_file(app)} is not a readable JSON object; its tasks and imports are ignored")
        tasks = _tasks(config)
        _name(app, config, found)
        _runtime(app, found)
        lock = "deno.lock" if app.has("deno.lock") else None
        _manifests(app, found)
        if lock or _config_file(app):
            found.set("package_manager", "deno", app.evidence(lock or _config_file(app) or _CONFIGS[0], "Deno lockfile" if lock else "Deno config"))
        else:
            loose = _loose_entry(app)
            found.set("package_manager", "deno", *([loose[1]] if loose else []))
            found.warnings.append("no deno.json or deno.lock: remote imports are cached at build time unpinned; `deno install` writes a lockfile to commit")
        _collect_dependencies(app, config, found)
        self.run_frameworks(app, found)
        main = _main(app, tasks)
        if main is not None:
            found.detail("entrypoint", main[0])
        _start(app, tasks, main, found)
        _install(found, main)
        if "build" in tasks:
            found.set("build_command", "deno task build", _task_evidence(app, "build", "the build task"))
        _port(app, tasks, found)
        _health(app, found)


ECOSYSTEM = DenoEcosystem()

"""Go: modules (go.mod), go.work workspaces; gin, echo, fiber, chi, gorilla/mux, net/http.

A Go app is a module with a ``package main``: at the module root, in
``cmd/`` or in ``cmd/<name>/``. It is built into one static binary and
started as that binary; there is no separate server to choose.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    EnvRead,
    Findings,
    FrameworkDetector,
    first_match,
    match_evidence,
    set_default_runtime,
    tool_versions_pin,
)
from migrate.inspect.prefilter import passes, screens, search
from migrate.inspect.tree import join
from migrate.profile import Evidence

_GO = (".go",)
_PACKAGE_MAIN = re.compile(r"^package\s+main\b", re.MULTILINE)
# Files excluded from every build (code generators, scratch programs).
_BUILD_IGNORE = re.compile(r"^//\s*(?:go:build|\+build)\s+ignore\b", re.MULTILINE)
# Names of cmd/* programs that are the service itself when there are several.
_PREFERRED_MAINS = ("server", "api")
# Names of cmd/* programs that are long-running workers, worth a process of their own.
_WORKER_NAME = re.compile(r"^(worker|consumer|scheduler|cron|jobs?|queue)(-.*)?$")
_BUILD_FLAGS = '-trimpath -ldflags="-s -w"'
_OUT = "/out"
# Modules that need cgo: a CGO_ENABLED=0 build would fail or lose the driver.
_CGO_MODULES = ("github.com/mattn/go-sqlite3",)


# ---------------------------------------------------------------- go.mod
@dataclass(frozen=True)
class _Require:
    path: str
    version: str
    line: int
    indirect: bool


@dataclass
class _GoMod:
    """The parts of a go.mod that inspection uses, each with its line."""

    module: tuple[str, int] | None = None
    go: tuple[str, int] | None = None
    toolchain: tuple[str, int] | None = None
    requires: list[_Require] = field(default_factory=list)
    malformed: list[int] = field(default_factory=list)


_DIRECTIVES = frozenset({"module", "go", "toolchain", "require", "replace", "exclude", "retract", "godebug", "tool", "ignore"})


def _parse_go_mod(text: str) -> _GoMod:
    """Parse go.mod's line grammar; lines that fit no directive are listed as malformed."""
    mod = _GoMod()
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line, _, comment = raw.partition("//")
        words = line.split()
        if not words:
            continue
        if block is not None:
            if words == [")"]:
                block = None
            elif block == "require":
                _add_require(mod, words, number, comment)
            continue
        directive = words[0]
        if directive not in _DIRECTIVES:
            mod.malformed.append(number)
        elif words[1:] == ["("]:
            block = directive
        else:
            _directive(mod, directive, words[1:], number, comment)
    if block is not None:
        mod.malformed.append(len(text.splitlines()))
    return mod


def _directive(mod: _GoMod, directive: str, args: list[str], number: int, comment: str) -> None:
    if not args:
        mod.malformed.append(number)
    elif directive == "module":
        mod.module = (args[0].strip('"'), number)
    elif directive == "go":
        mod.go = (args[0], number)
    elif directive == "toolchain":
        mod.toolchain = (args[0], number)
    elif directive == "require":
        _add_require(mod, args, number, comment)


def _add_require(mod: _GoMod, words: list[str], number: int, comment: str) -> None:
    if len(words) != 2:
        mod.malformed.append(number)
        return
    indirect = comment.strip().startswith("indirect")
    mod.requires.append(_Require(words[0].strip('"'), words[1], number, indirect))


def _go_mod(app: AppDir) -> _GoMod | None:
    text = app.read("go.mod")
    return None if text is None else _parse_go_mod(text)


def _binary_name(module: str | None, fallback: str) -> str:
    """What ``go build`` names the binary of a module-root main: the last path element."""
    if not module:
        return fallback
    parts = module.split("/")
    # A major-version suffix (example.com/app/v2) is not the program's name.
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts = parts[:-1]
    return parts[-1] or fallback


# ---------------------------------------------------------------- main packages
@dataclass(frozen=True)
class _Main:
    """One ``package main``: its package path for ``go build`` and its binary name."""

    package: str
    binary: str
    evidence: Evidence


def _main_file(app: AppDir, folder: str) -> str | None:
    """The app-relative file declaring ``package main`` in ``folder`` (``main.go`` first)."""
    names = app.files(folder)
    ordered = (["main.go"] if "main.go" in names else []) + [n for n in names if n != "main.go"]
    for name in ordered:
        if not name.endswith(".go") or name.endswith("_test.go"):
            continue
        rel = name if folder == "." else join(folder, name)
        text = app.read(rel) or ""
        if _PACKAGE_MAIN.search(text) and not _BUILD_IGNORE.search(text):
            return rel
    return None


def _mains(app: AppDir, module: str | None) -> list[_Main]:
    """Every main package: the module root, ``cmd/`` itself, and each ``cmd/<name>/``."""
    own_name = _binary_name(module, _folder_name(app))
    places = [(".", own_name), ("cmd", own_name)] + [(f"cmd/{d}", d) for d in app.dirs("cmd")]
    found = []
    for folder, binary in places:
        file = _main_file(app, folder)
        if file is not None:
            package = "." if folder == "." else f"./{folder}"
            evidence = app.evidence(file, "package main", _PACKAGE_MAIN.pattern)
            found.append(_Main(package, binary, evidence))
    return found


def _choose_main(mains: list[_Main], module: str | None) -> _Main:
    """The module root's main, else the cmd/* named like the module, or server/api, else the first."""
    for main in mains:
        if main.package in (".", "./cmd"):
            return main
    wanted = (_binary_name(module, ""),) + _PREFERRED_MAINS
    for name in wanted:
        for main in mains:
            if main.binary == name:
                return main
    return mains[0]


# ---------------------------------------------------------------- language-level facts
def _name(app: AppDir, mod: _GoMod, found: Findings) -> None:
    if mod.module is not None:
        name = _binary_name(mod.module[0], "")
        if name:
            found.name = (name, Evidence(app.rel("go.mod"), mod.module[1], f"module {mod.module[0]}"))


def _runtime(app: AppDir, mod: _GoMod, found: Findings) -> None:
    if mod.toolchain is not None:
        match = re.fullmatch(r"go(\d+\.\d+(?:\.\d+)?)", mod.toolchain[0])
        if match:
            version = match.group(1)
            found.set("runtime_version", version, Evidence(app.rel("go.mod"), mod.toolchain[1], f"toolchain go{version}"))
            return
    if mod.go is not None and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", mod.go[0]):
        found.set("runtime_version", mod.go[0], Evidence(app.rel("go.mod"), mod.go[1], f"go {mod.go[0]} directive"))
        return
    pinned = tool_versions_pin(app, ("golang", "go"), "Go")
    if pinned:
        found.set("runtime_version", pinned[0], pinned[1])
        return
    set_default_runtime(app, found, "go", "Go")


def _loose_main(app: AppDir) -> str | None:
    """A ``package main`` file in a folder that no module or workspace encloses (Paketo and Nixpacks build these)."""
    # The folder's name set and extension index: discovery asks this of every folder of the tree.
    if app.has("go.work") or not app.tree.with_extension(app.path, ".go"):
        return None
    folder = app.path
    while folder != ".":
        folder = folder.rpartition("/")[0] or "."
        if app.tree.exists(join(folder, "go.mod")) or app.tree.exists(join(folder, "go.work")):
            return None
    return _main_file(app, ".")


#: Import paths of the standard library have no dot in their first element.
_IMPORT_BLOCK = re.compile(r"^import\s*(?:\(([^)]*)\)|([^\n]*))", re.MULTILINE)


def _module_imports(app: AppDir) -> list[str]:
    """Third-party import paths of the app's Go files (those outside the standard library)."""
    imports: set[str] = set()
    for path in app.source_files(_GO):
        for block in _IMPORT_BLOCK.finditer(app.tree.read_text(path) or ""):
            for quoted in re.findall(r'"([^"]+)"', block.group(1) or block.group(2) or ""):
                if "." in quoted.split("/")[0]:
                    imports.add(quoted)
    return sorted(imports)


def _generated_module(app: AppDir, found: Findings) -> None:
    """No go.mod: the image builds in module mode with one it generates (GOPATH mode is gone since Go 1.22)."""
    name = re.sub(r"[^a-z0-9._-]+", "-", _folder_name(app).lower()).strip("-.") or "app"
    main = _main_file(app, ".") or "main.go"
    found.set("package_manager", "go", app.evidence(main, "package main without go.mod: a module is generated in the image"))
    found.detail("generated_module", name)
    imports = _module_imports(app)
    if imports:
        found.detail("module_tidy", "true")
        found.warnings.append(
            f"no go.mod, and it imports {', '.join(imports[:3])}{'...' if len(imports) > 3 else ''}: the image resolves the newest "
            f"versions with `go mod tidy` at build time; run `go mod init {name} && go mod tidy` and commit go.mod and go.sum to pin them"
        )
    else:
        found.warnings.append(f"no go.mod: the image generates one (`go mod init {name}`); only the standard library is imported")


def _folder_name(app: AppDir) -> str:
    return app.tree.root.name if app.path == "." else app.path.rsplit("/", 1)[-1]


def _dependencies(app: AppDir, mod: _GoMod, found: Findings) -> None:
    if not app.has("go.mod"):
        _generated_module(app, found)
        return
    found.set("package_manager", "go", app.evidence("go.mod", "Go modules", r"^module\b"))
    found.detail("install_command", "go mod download")
    for require in mod.requires:
        if not require.indirect:
            found.add_dep(require.path, Evidence(app.rel("go.mod"), require.line, f"requires {require.path} {require.version}"))
    _manifests(app, found)
    if mod.requires and not app.has("go.sum"):
        found.warnings.append("go.mod requires modules but there is no go.sum; run `go mod tidy` (the build verifies go.sum)")
    for line in mod.malformed:
        found.warnings.append(f"{app.rel('go.mod')}:{line}: malformed line, ignored")
    if mod.module is None:
        found.warnings.append(f"{app.rel('go.mod')}: malformed, no module directive")


def _manifests(app: AppDir, found: Findings) -> None:
    """``manifests``: go.mod and go.sum, or for a go.work member every module file of the workspace.

    Paths are app-relative (``../go.work`` for a member), space-separated; the
    image copies them before the source so ``go mod download`` is cached.
    """
    root = app.workspace_root
    if root is not None and app.tree.exists(join(root, "go.work")):
        uses = _work_uses(AppDir(app.tree, root))
        tree_paths = [join(root, "go.work"), join(root, "go.work.sum")]
        for use in uses:
            tree_paths += [join(join(root, use), "go.mod"), join(join(root, use), "go.sum")]
    else:
        tree_paths = [app.rel("go.mod"), app.rel("go.sum")]
    files = [posixpath.relpath(p, app.path) for p in dict.fromkeys(tree_paths) if app.tree.exists(p)]
    files = [f for f in files if not re.search(r"\s", f)]  # the detail is space-separated
    if files:
        found.detail("manifests", " ".join(files))


# ---------------------------------------------------------------- build and start
def _uses_cgo(app: AppDir, found: Findings) -> Evidence | None:
    dep = found.dep(*_CGO_MODULES)
    if dep is not None:
        return dep
    hit = first_match(app, _GO, re.compile(r'^import\s+"C"\s*$', re.MULTILINE))
    return match_evidence(hit, 'imports "C" (cgo)') if hit else None


def _build_and_start(app: AppDir, mains: list[_Main], module: str | None, found: Findings) -> None:
    main = _choose_main(mains, module)
    others = [m for m in mains if m is not main]
    workers = [m for m in others if _WORKER_NAME.match(m.binary)]
    # Workers get their own processes, so build them too: -o DIR/ writes one binary per package.
    target = " ".join([main.package] + [w.package for w in workers])
    output = f"{_OUT}/" if workers else f"{_OUT}/{main.binary}"
    cgo = _uses_cgo(app, found)
    prefix = "CGO_ENABLED=1" if cgo else "CGO_ENABLED=0"
    found.set("build_command", f"{prefix} go build {_BUILD_FLAGS} -o {output} {target}", main.evidence)
    found.set("start_command", f"{_OUT}/{main.binary}", main.evidence)
    found.detail("binary", main.binary)
    found.detail("main_package", main.package)
    if cgo is not None:
        found.detail("cgo", "true")
        found.warnings.append(f"uses cgo ({cgo}): the binary needs a C toolchain to build and libc at run time")
    for worker in workers:
        found.add_process(worker.binary, f"{_OUT}/{worker.binary}", worker.evidence)
    ignored = [m.package for m in others if m not in workers]
    if ignored:
        found.warnings.append(f"several main packages: starting {main.package}; not built or run: {', '.join(ignored)}")


# ---------------------------------------------------------------- port
_LISTEN = re.compile(
    r"(?:ListenAndServe(?:TLS)?|\.Run|\.RunTLS|\.Start|\.StartTLS|\.Listen|\.ListenTLS)"
    r'\(\s*(?:"tcp[46]?"\s*,\s*)?"([\w.\-\[\]:]*):(\d{2,5})"'
)
# Only http.Server's Addr: redis.Options{Addr: "localhost:6379"} names another service.
_ADDR_FIELD = re.compile(r'\bhttp\.Server\s*\{[^}]*?\bAddr\s*:\s*"([\w.\-\[\]:]*):(\d{2,5})"')
# Go identifiers are case-sensitive (flag.String, not FLAG.STRING): only the flag's name ignores case ("listenAddr").
_ADDR_FLAG = re.compile(r'\bflag\.(?:String|Int)(?:Var)?\([^")]*"[\w-]*(?i:addr|port|listen)[\w-]*"\s*,\s*"?([\w.\-]*:)?(\d{2,5})"?')
# Variables named like the server's own address (not dbAddr, redisAddr...).
_ADDR_VAR = re.compile(r'\b(?i:(?:default|listen|http|server|srv|bind)?_?(?:addr|address)|listen)\s*:?=\s*"([\w.\-\[\]]*):(\d{2,5})"')
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


#: What every match of _LISTEN, _ADDR_FIELD and _ADDR_VAR holds: a port after a colon, closing a string.
#: It begins with a literal, so ``re`` jumps from colon to colon, where the patterns' own screens are five
#: passes over every Go file and _ADDR_VAR's case-ignoring ``addr`` a lower-cased copy of it besides.
_PORT_IN_STRING = re.compile(r':\d{2,5}"')

#: Where a port is written, most telling first; with a regex every match holds (None: no such screen).
_PORT_PATTERNS = (
    (_LISTEN, "listen address in code", _PORT_IN_STRING),
    (_ADDR_FIELD, "http.Server Addr", _PORT_IN_STRING),
    (_ADDR_FLAG, "listen flag default", None),  # the port may be a bare number: flag.Int("port", 8080, ...)
    (_ADDR_VAR, "listen address in code", _PORT_IN_STRING),
)


def _port(app: AppDir, found: Findings, default_reason: str) -> None:
    """A port written in code (listen call, Addr field, flag, addr variable), else 8080 as a default."""
    best = _first_by_priority(app, tuple(p for p, _, _ in _PORT_PATTERNS), tuple(g for _, _, g in _PORT_PATTERNS))
    if best is not None:
        rank, hit = best
        host = (hit[2].group(1) or "").rstrip(":")
        if host in _LOOPBACK:
            found.warnings.append(f"listens on {host} ({hit[0]}:{hit[1]}): unreachable from outside a container; listen on :PORT")
        found.set("port", int(hit[2].group(2)), match_evidence(hit, _PORT_PATTERNS[rank][1]))
    found.set("port", 8080, Evidence(app.path, None, default_reason), default=True)


def _first_by_priority(
    app: AppDir, patterns: tuple[re.Pattern[str], ...], gates: tuple[re.Pattern[str] | None, ...]
) -> tuple[int, tuple[str, int, re.Match[str]]] | None:
    """The first non-test hit of the first of ``patterns`` that has one, with that pattern's index.

    What trying each pattern over every file in turn gives, in one walk: a file is
    searched only for the patterns ranked above the best hit so far, and not for a
    pattern whose gate (a regex every match of it holds) it lacks; a gate is searched
    once a file for all the patterns that share it.
    """
    best: tuple[int, tuple[str, int, re.Match[str]]] | None = None
    needles = [screens(p) for p in patterns]
    for path in app.source_files(_GO):
        if path.endswith("_test.go"):
            continue
        text = app.tree.read_text(path) or ""
        gated: dict[int, bool] = {}  # by id: hashing a compiled pattern hashes all its code
        for rank in range(len(patterns) if best is None else best[0]):
            gate = gates[rank]
            if gate is not None:
                held = gated.get(id(gate))
                if held is None:
                    held = gated[id(gate)] = gate.search(text) is not None
                if not held:
                    continue
            if not passes(needles[rank], text):
                continue  # the search would rule it out the same way, after a call and a lookup
            match = search(patterns[rank], text)
            if match is not None:
                best = rank, (path, text.count("\n", 0, match.start()) + 1, match)
                break
        if best is not None and best[0] == 0:
            break  # nothing ranks above the first pattern's first hit
    return best


def _first_non_test(app: AppDir, pattern: re.Pattern[str]) -> tuple[str, int, re.Match[str]] | None:
    return next((h for h in app.grep(_GO, pattern) if not h[0].endswith("_test.go")), None)


# ---------------------------------------------------------------- frameworks
_NO_PORT = "no listen address in code; assuming 8080"
class GoFrameworkDetector(FrameworkDetector):
    """A Go web framework, recognised by its module in go.mod."""

    def __init__(self, name: str, module: str, default_reason: str) -> None:
        self.name = name  # type: ignore[misc]
        self._module = module
        self._default_reason = default_reason

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the framework's module (any major version) being required."""
        dep = next((p for p in found.deps if p == self._module or re.fullmatch(re.escape(self._module) + r"/v\d+", p)), None)
        if dep is None:
            return False
        found.set("framework", self.name, found.deps[dep])
        self._extra(app, found)
        _port(app, found, self._default_reason)
        return True

    def _extra(self, app: AppDir, found: Findings) -> None:
        """Framework-specific findings (none by default)."""


class GinDetector(GoFrameworkDetector):
    """gin: ``router.Run()`` with no address reads ``PORT`` and defaults to 8080."""

    _RUN_NO_ADDR = re.compile(r"\b\w+\.Run\(\s*\)")

    def __init__(self) -> None:
        super().__init__("gin", "github.com/gin-gonic/gin", "gin's default port (Run() with no address)")

    def _extra(self, app: AppDir, found: Findings) -> None:
        hit = _first_non_test(app, self._RUN_NO_ADDR)
        if hit is not None and "github.com/gin-gonic/gin" in (app.tree.read_text(hit[0]) or ""):
            evidence = match_evidence(hit, "gin's Run() reads PORT, default 8080")
            found.env_reads.append(EnvRead("PORT", evidence, "8080", True))


class NetHttpDetector(FrameworkDetector):
    """The standard library's net/http server, with no framework."""

    name = "net-http"
    _SERVE = re.compile(r"\bhttp\.(?:ListenAndServe(?:TLS)?\(|Serve\(|Server\s*\{)")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on ``http.ListenAndServe`` / ``http.Server{}`` in non-test code."""
        hit = _first_non_test(app, self._SERVE)
        if hit is None:
            return False
        found.set("framework", self.name, match_evidence(hit, "net/http server"))
        _port(app, found, _NO_PORT)
        return True


class GoEcosystem(Ecosystem):
    """Go modules with a ``package main``."""

    language = "go"
    frameworks = (
        GinDetector(),
        GoFrameworkDetector("echo", "github.com/labstack/echo", _NO_PORT),
        GoFrameworkDetector("fiber", "github.com/gofiber/fiber", _NO_PORT),
        GoFrameworkDetector("chi", "github.com/go-chi/chi", _NO_PORT),
        GoFrameworkDetector("gorilla-mux", "github.com/gorilla/mux", _NO_PORT),
        NetHttpDetector(),
    )

    def claim(self, app: AppDir) -> Claim | None:
        """Claim a go.mod folder (2 with a main package), a go.work workspace root, or a loose ``package main``."""
        if not app.has("go.mod"):
            uses = _work_uses(app) if app.has("go.work") else []
            if uses and "." not in uses:
                return Claim(self.language, 1, app.evidence("go.work", "Go workspace", r"^use\b"))
            # Weaker than a module: a loose program inside another app is that app's tooling.
            main = _loose_main(app)
            return Claim(self.language, 1, app.evidence(main, "package main without go.mod", _PACKAGE_MAIN.pattern)) if main else None
        mod = _go_mod(app) or _GoMod()
        mains = _mains(app, mod.module[0] if mod.module else None)
        if mains:
            return Claim(self.language, 2, mains[0].evidence)
        return Claim(self.language, 1, app.evidence("go.mod", "Go module", r"^module\b"))

    def workspace_members(self, app: AppDir) -> list[str] | None:
        """The ``use`` folders of a go.work, unless the workspace root is itself a module it uses."""
        if not app.has("go.work"):
            return None
        uses = _work_uses(app)
        if not uses or "." in uses:
            return None  # the root module is the app; its siblings are nested modules
        return uses

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Module, runtime, dependencies; then main package, build, start and framework."""
        mod = _go_mod(app) or _GoMod()
        module = mod.module[0] if mod.module else None
        _name(app, mod, found)
        _runtime(app, mod, found)
        _dependencies(app, mod, found)
        mains = _mains(app, module)
        if not mains:
            found.warnings.append("no package main (root main.go or cmd/<name>/main.go): a library, not an app")
            return
        _build_and_start(app, mains, module, found)
        self.run_frameworks(app, found)


def _work_uses(app: AppDir) -> list[str]:
    """The folders a go.work ``use`` directive names (single-line and block form), as written."""
    text = app.read("go.work") or ""
    uses: list[str] = []
    in_block = False
    for raw in text.splitlines():
        words = raw.partition("//")[0].split()
        if not words:
            continue
        if in_block:
            in_block = words != [")"]
            uses.extend(words[:1] if in_block else [])
        elif words[0] == "use":
            in_block = words[1:] == ["("]
            uses.extend(words[1:2] if not in_block and len(words) > 1 else [])
    return [_clean_dir(u) for u in uses]


def _clean_dir(path: str) -> str:
    path = path.strip('"').rstrip("/")
    while path.startswith("./"):
        path = path[2:]
    return path or "."


ECOSYSTEM = GoEcosystem()

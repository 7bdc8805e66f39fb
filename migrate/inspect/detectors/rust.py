"""Rust: Cargo packages and workspaces; actix-web, axum, rocket, warp, poem.

A Rust app is a Cargo package with a binary target (``src/main.rs``,
``src/bin/*`` or ``[[bin]]``). It is built with ``cargo build --release``
and started as the binary; there is no separate server to choose.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    Findings,
    FrameworkDetector,
    match_evidence,
    set_default_runtime,
    tool_versions_pin,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.inspect.tree import join
from migrate.profile import Evidence

_RS = (".rs",)
# Code that never runs in production: integration tests, benchmarks, examples.
_NOT_SERVED = re.compile(r"(^|/)(tests|benches|examples)/")
_WORKER_NAME = re.compile(r"^(worker|consumer|scheduler|cron|jobs?|queue)([-_].*)?$")
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# ---------------------------------------------------------------- manifest and workspace
def _cargo(app: AppDir) -> dict[str, Any] | None:
    return app.toml("Cargo.toml")


def _cargo_root(app: AppDir) -> str:
    """The folder of the Cargo workspace ``app`` belongs to (Cargo.lock and target/ live there), else the app's."""
    folder = app.path
    while True:
        data = app.tree.read_toml(join(folder, "Cargo.toml")) if app.tree.exists(join(folder, "Cargo.toml")) else None
        if isinstance(_get(data, "workspace"), dict):
            return folder
        if folder == ".":
            return app.path
        folder = folder.rpartition("/")[0] or "."


def _workspace_manifest(app: AppDir) -> tuple[str, dict[str, Any]] | None:
    root = _cargo_root(app)
    path = join(root, "Cargo.toml")
    data = app.tree.read_toml(path) if app.tree.exists(path) else None
    return (path, data) if data is not None and isinstance(_get(data, "workspace"), dict) else None


# ---------------------------------------------------------------- binaries
@dataclass(frozen=True)
class _Bin:
    """One binary target and where it is declared."""

    name: str
    evidence: Evidence


def _binaries(app: AppDir, data: dict[str, Any] | None) -> list[_Bin]:
    """Binary targets: ``[[bin]]`` tables, ``src/main.rs`` and ``src/bin/*`` (Cargo's auto-discovery)."""
    package = _get(data, "package", "name")
    bins: list[_Bin] = []
    declared = _get(data, "bin")
    for entry in declared if isinstance(declared, list) else []:
        name = _get(entry, "name")
        if isinstance(name, str) and name:
            pattern = rf"^\s*name\s*=\s*[\"']{re.escape(name)}[\"']"
            bins.append(_Bin(name, app.evidence("Cargo.toml", f"[[bin]] {name}", pattern)))
    if _get(data, "package", "autobins") is False:
        return bins
    if app.has("src/main.rs") and isinstance(package, str):
        bins.append(_Bin(package, app.evidence("src/main.rs", "binary crate root", r"fn\s+main\s*\(")))
    elif app.has("src/main.rs") and data is None:
        # An unreadable manifest: Cargo would name the binary after the package, most often the folder.
        folder = app.tree.root.name if app.path == "." else app.path.rsplit("/", 1)[-1]
        bins.append(_Bin(folder, app.evidence("src/main.rs", "binary crate root", r"fn\s+main\s*\(")))
    for name in app.files("src/bin"):
        if name.endswith(".rs"):
            bins.append(_Bin(name[:-3], app.evidence(f"src/bin/{name}", "binary in src/bin", r"fn\s+main\s*\(")))
    for folder in app.dirs("src/bin"):
        if app.has(f"src/bin/{folder}/main.rs"):
            bins.append(_Bin(folder, app.evidence(f"src/bin/{folder}/main.rs", "binary in src/bin", r"fn\s+main\s*\(")))
    unique: dict[str, _Bin] = {}
    for item in bins:
        unique.setdefault(item.name, item)
    return list(unique.values())


def _choose_bin(bins: list[_Bin], data: dict[str, Any] | None) -> _Bin:
    """``default-run``, else the binary named like the package, else the first."""
    for wanted in (_get(data, "package", "default-run"), _get(data, "package", "name")):
        for item in bins:
            if item.name == wanted:
                return item
    return bins[0]


# ---------------------------------------------------------------- language-level facts
def _name(app: AppDir, data: dict[str, Any] | None, found: Findings) -> None:
    name = _get(data, "package", "name")
    if isinstance(name, str) and name:
        found.name = (name, app.evidence("Cargo.toml", "package name", r"^\s*name\s*="))


def _runtime(app: AppDir, data: dict[str, Any] | None, found: Findings) -> None:
    if _toolchain_file(app, found) or _rust_version(app, data, found):
        return
    pinned = tool_versions_pin(app, ("rust",), "Rust")
    if pinned:
        found.set("runtime_version", pinned[0], pinned[1])
        return
    set_default_runtime(app, found, "rust", "Rust")


def _toolchain_file(app: AppDir, found: Findings) -> bool:
    """rust-toolchain.toml ``[toolchain] channel`` or a plain rust-toolchain file, here or at the workspace root."""
    for name in ("rust-toolchain.toml", "rust-toolchain"):
        path = app.at_workspace_root(name) or _at_cargo_root(app, name)
        if path is None:
            continue
        channel, line = _channel(app, path)
        if channel:
            _set_channel(channel, Evidence(path, line, f"toolchain channel {channel!r}"), found)
            return True
        found.warnings.append(f"{path}: no toolchain channel found")
    return False


def _channel(app: AppDir, path: str) -> tuple[str | None, int | None]:
    """The channel of a toolchain file: TOML ``[toolchain] channel``, or the legacy one-line form."""
    text = app.tree.read_text(path) or ""
    if path.endswith(".toml") or "[toolchain]" in text:
        channel = _get(app.tree.read_toml(path), "toolchain", "channel")
        return (channel, app.tree.line_of(path, r"^\s*channel\s*=")) if isinstance(channel, str) else (None, None)
    lines = text.strip().splitlines()
    return (lines[0].strip(), 1) if lines else (None, None)


def _at_cargo_root(app: AppDir, name: str) -> str | None:
    path = join(_cargo_root(app), name)
    return path if app.tree.exists(path) else None


def _set_channel(channel: str, evidence: Evidence, found: Findings) -> None:
    if _VERSION.fullmatch(channel):
        found.set("runtime_version", channel, evidence)
        return
    if channel == "stable":
        # "stable" follows the newest release: no particular version is pinned, so this is a default.
        default = DEFAULT_RUNTIME["rust"]
        reason = f"toolchain channel 'stable' (the newest release); using {default}"
        found.set("runtime_version", default, Evidence(evidence.path, evidence.line, reason), default=True)
        return
    found.set("runtime_version", channel, evidence)
    found.warnings.append(f"toolchain channel {channel!r} is not a release: the build image must install it with rustup")


def _rust_version(app: AppDir, data: dict[str, Any] | None, found: Findings) -> bool:
    """``package.rust-version`` (the minimum supported Rust), possibly inherited from the workspace."""
    value = _get(data, "package", "rust-version")
    evidence = app.evidence("Cargo.toml", f"rust-version {value!r}", r"^\s*rust-version\s*[=.]")
    if isinstance(value, dict) and value.get("workspace") is True:
        workspace = _workspace_manifest(app)
        value = _get(workspace[1], "workspace", "package", "rust-version") if workspace else None
        if workspace is not None:
            line = app.tree.line_of(workspace[0], r"^\s*rust-version\s*=")
            evidence = Evidence(workspace[0], line, f"workspace rust-version {value!r}")
    if isinstance(value, str) and _VERSION.fullmatch(value):
        found.set("runtime_version", value, evidence)
        return True
    return False


# ---------------------------------------------------------------- package manager and dependencies
def _package_manager(app: AppDir, found: Findings) -> bool:
    """Cargo, locked when a Cargo.lock exists here or at the workspace root; returns whether it is locked."""
    lock = app.at_workspace_root("Cargo.lock") or _at_cargo_root(app, "Cargo.lock")
    if lock is not None:
        found.set("package_manager", "cargo", Evidence(lock, None, "Cargo lockfile"))
        found.detail("install_command", "cargo fetch --locked")
        return True
    found.set("package_manager", "cargo", app.evidence("Cargo.toml", "Cargo manifest", r"^\[(package|workspace)\]"))
    found.detail("install_command", "cargo fetch")
    return False


def _dependencies(app: AppDir, data: dict[str, Any] | None, found: Findings) -> None:
    """Runtime dependencies (not dev or build), with ``crate/feature`` pseudo-dependencies for drivers."""
    workspace = _workspace_manifest(app)
    shared = _get(workspace[1], "workspace", "dependencies") if workspace else None
    for table in _dependency_tables(data):
        for key, spec in table.items():
            inherited = _get(shared, key) if _get(spec, "workspace") is True else None
            name = _get(spec, "package") or _get(inherited, "package") or key
            if not isinstance(name, str):
                continue
            pattern = rf"^\s*(?:{re.escape(key)}\s*[=.]|\[(?:[^\]]*\.)?dependencies\.{re.escape(key)}\])"
            evidence = app.evidence("Cargo.toml", f"depends on {name}", pattern)
            found.add_dep(name, evidence)
            for feature in _features(spec) + _features(inherited):
                found.add_dep(f"{name}/{feature}", Evidence(evidence.path, evidence.line, f"depends on {name} with feature {feature}"))


def _dependency_tables(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    tables = [_get(data, "dependencies")]
    targets = _get(data, "target")
    if isinstance(targets, dict):
        tables.extend(_get(t, "dependencies") for t in targets.values())
    return [t for t in tables if isinstance(t, dict)]


def _features(spec: Any) -> list[str]:
    features = _get(spec, "features")
    return [f for f in features if isinstance(f, str)] if isinstance(features, list) else []


# ---------------------------------------------------------------- build and start
def _build_and_start(app: AppDir, data: dict[str, Any] | None, bins: list[_Bin], locked: bool, found: Findings) -> None:
    main = _choose_bin(bins, data)
    workers = [b for b in bins if b is not main and _WORKER_NAME.match(b.name)]
    in_workspace = _cargo_root(app) != app.path
    command = "cargo build --release" + (" --locked" if locked else "")
    if in_workspace or len(bins) > 1:
        command += "".join(f" --bin {b.name}" for b in [main, *workers])
    found.set("build_command", command, main.evidence)
    found.set("start_command", f"./target/release/{main.name}", main.evidence)
    found.detail("binary", main.name)
    if in_workspace:
        found.detail("cargo_workspace", _cargo_root(app))
    for worker in workers:
        found.add_process(worker.name, f"./target/release/{worker.name}", worker.evidence)
    ignored = [b.name for b in bins if b is not main and b not in workers]
    if ignored:
        found.warnings.append(f"several binaries: starting {main.name}; not built or run: {', '.join(ignored)}")
    if not locked:
        found.warnings.append("no Cargo.lock: builds are not reproducible; run `cargo generate-lockfile` and commit it")


# ---------------------------------------------------------------- image build inputs
#: Crates that link a C library at run time, by the library (the image installs its Debian packages).
_SYSTEM_LIBS: dict[str, tuple[str, ...]] = {
    "openssl": ("openssl", "openssl-sys", "native-tls", "hyper-tls", "tokio-native-tls", "postgres-native-tls"),
    "libpq": ("pq-sys", "diesel/postgres"),
}
#: Target tables whose entries name a source file Cargo requires to exist when it loads the manifest.
_TARGET_TABLES = ("bin", "example", "test", "bench")


def _build_inputs(app: AppDir, data: dict[str, Any] | None, found: Findings) -> None:
    """``manifests`` (Cargo.toml files, Cargo.lock, toolchain file) and ``cargo_stubs``, app-relative.

    An image compiles the dependencies from the manifests alone, with a stub
    for every source file Cargo needs to load the packages (crate roots,
    build scripts, declared targets); the source comes after, so a code
    change reuses the compiled dependencies. ``system_libs`` names C
    libraries that crates link against (``openssl``, ``libpq``).
    """
    root = _cargo_root(app)
    packages = [app.path] if root == app.path else _workspace_packages(app, root)
    tree_paths = [join(root, "Cargo.toml")] + [join(p, "Cargo.toml") for p in packages]
    tree_paths += [join(root, "Cargo.lock")]
    tree_paths += [p for p in (_at_cargo_root(app, "rust-toolchain.toml"), _at_cargo_root(app, "rust-toolchain")) if p]
    stubs = [stub for package in packages for stub in _stub_paths(app, package)]
    _detail_paths(app, found, "manifests", [p for p in dict.fromkeys(tree_paths) if app.tree.exists(p)])
    _detail_paths(app, found, "cargo_stubs", list(dict.fromkeys(stubs)))
    libs = [lib for lib, crates in _SYSTEM_LIBS.items() if found.dep(*crates)] + (["openssl"] if _reqwest_native_tls(data) else [])
    libs += ["openssl"] if any(_NATIVE_TLS_FEATURE.search(dep) for dep in found.deps) else []
    libs += _locked_system_libs(app)
    found.detail("system_libs", " ".join(dict.fromkeys(libs)) or None)
    _sqlx_offline(app, found, root)


#: A ``crate/feature`` pseudo-dependency through which a crate uses native-tls (OpenSSL on Linux):
#: sqlx's ``runtime-tokio-native-tls`` and ``tls-native-tls``, reqwest's or lettre's ``native-tls``...
_NATIVE_TLS_FEATURE = re.compile(r"/(?:[\w-]*-)?native-tls$")
#: ``-sys`` crates in Cargo.lock that link a C library, by the library: whatever pulled them in
#: (a driver's default feature, a transitive dependency), the binary links it.
_LOCKED_SYS_CRATES = {"openssl-sys": "openssl", "pq-sys": "libpq"}


def _locked_system_libs(app: AppDir) -> list[str]:
    """C libraries linked by ``-sys`` crates Cargo.lock resolved (the lock names every crate built)."""
    lock = app.at_workspace_root("Cargo.lock") or _at_cargo_root(app, "Cargo.lock")
    packages = _get(app.tree.read_toml(lock), "package") if lock else None
    names = {_get(p, "name") for p in packages} if isinstance(packages, list) else set()
    return [lib for crate, lib in _LOCKED_SYS_CRATES.items() if crate in names]


#: sqlx macros that check a query against a live database (or offline data) at compile time.
_SQLX_MACRO = re.compile(r"\bquery(?:_file)?(?:_as|_scalar)?(?:_unchecked)?!\s*\(")


def _sqlx_offline(app: AppDir, found: Findings, root: str) -> None:
    """sqlx's ``query!`` macros need DATABASE_URL or offline data (``.sqlx/``, ``sqlx-data.json``) to compile."""
    if "sqlx" not in found.deps:
        return
    hit = next(iter(app.grep((".rs",), _SQLX_MACRO)), None)
    if hit is None:
        return
    folders = dict.fromkeys([app.path, root])
    offline = [p for f in folders for p in (join(f, ".sqlx"), join(f, "sqlx-data.json")) if app.tree.exists(p) or app.tree.is_dir(p)]
    if offline:
        found.detail("sqlx_offline", offline[0])
        return
    found.detail("sqlx_needs_database", f"{hit[0]}:{hit[1]}")
    found.warnings.append(
        f"{hit[0]}:{hit[1]}: sqlx's query macros check queries against a database while compiling, and the image "
        "build has none: run `cargo sqlx prepare` and commit .sqlx/ (the Dockerfile then builds with SQLX_OFFLINE=true)"
    )


def _detail_paths(app: AppDir, found: Findings, key: str, tree_paths: list[str]) -> None:
    files = [posixpath.relpath(p, app.path) for p in tree_paths]
    files = [f for f in files if not re.search(r"\s", f)]  # the detail is space-separated
    found.detail(key, " ".join(files) or None)


def _workspace_packages(app: AppDir, root: str) -> list[str]:
    """Tree-relative folders of every package of the workspace at ``root`` (``members`` globs, less ``exclude``)."""
    data = app.tree.read_toml(join(root, "Cargo.toml")) or {}
    members = _get(data, "workspace", "members")
    excluded = {join(root, e.rstrip("/")) for e in _get(data, "workspace", "exclude") or [] if isinstance(e, str)}
    folders = [root] if "package" in data else []
    for pattern in members if isinstance(members, list) else []:
        if isinstance(pattern, str):
            folders += _expand(app, root, pattern.rstrip("/"))
    found = [f for f in dict.fromkeys(folders) if f not in excluded and app.tree.exists(join(f, "Cargo.toml"))]
    return found if app.path in found else [*found, app.path]


def _expand(app: AppDir, root: str, pattern: str) -> list[str]:
    """Folders matching a Cargo member glob (``crates/*``), one path segment at a time."""
    folders = [root]
    for segment in pattern.split("/"):
        if segment in ("", "."):
            continue
        if not any(c in segment for c in "*?["):
            folders = [join(f, segment) for f in folders]
            continue
        folders = [join(f, d) for f in folders for d in fnmatch.filter(app.tree.list_dirs(f), segment)]
    return folders


def _stub_paths(app: AppDir, package: str) -> list[str]:
    """Tree-relative source files Cargo needs to load the package at ``package`` and build it."""
    data = app.tree.read_toml(join(package, "Cargo.toml")) or {}
    name = _get(data, "package", "name")
    candidates: list[str] = []
    lib_path = _get(data, "lib", "path")
    candidates.append(lib_path if isinstance(lib_path, str) else "src/lib.rs")
    build = _get(data, "package", "build")
    candidates.append(build if isinstance(build, str) else "build.rs")
    if _get(data, "package", "autobins") is not False:
        candidates.append("src/main.rs")
        candidates += [f"src/bin/{n}" for n in app.tree.list_files(join(package, "src/bin")) if n.endswith(".rs")]
        candidates += [f"src/bin/{d}/main.rs" for d in app.tree.list_dirs(join(package, "src/bin"))]
    for table in _TARGET_TABLES:
        entries = _get(data, table)
        for entry in entries if isinstance(entries, list) else []:
            candidates += _declared_target(table, entry, name)
    paths = [posixpath.normpath(join(package, c)) for c in candidates]
    return [p for p in dict.fromkeys(paths) if app.tree.exists(p)]


def _declared_target(table: str, entry: Any, package_name: Any) -> list[str]:
    """Where Cargo looks for a declared ``[[bin]]``/``[[example]]``... target: its path, or the inferred ones."""
    path, target = _get(entry, "path"), _get(entry, "name")
    if isinstance(path, str):
        return [path]
    if not isinstance(target, str):
        return []
    folder = {"bin": "src/bin", "example": "examples", "test": "tests", "bench": "benches"}[table]
    inferred = [f"{folder}/{target}.rs", f"{folder}/{target}/main.rs"]
    return inferred + (["src/main.rs"] if table == "bin" and target == package_name else [])


def _reqwest_native_tls(data: dict[str, Any] | None) -> bool:
    """reqwest with its default features uses native-tls (OpenSSL on Linux)."""
    for table in _dependency_tables(data):
        spec = table.get("reqwest")
        if spec is None:
            continue
        features = _features(spec)
        if _get(spec, "default-features") is not False or "native-tls" in features or "default-tls" in features:
            return True
    return False


# ---------------------------------------------------------------- port
_BIND_STR = re.compile(r'\bbind\(\s*&?"([^"\n]*):(\d{2,5})"')
_BIND_TUPLE = re.compile(r'\bbind\(\s*&?\(\s*"([^"\n]*)"\s*,\s*(\d{2,5})\s*\)')
_ADDR_ARRAY = re.compile(r"(?:SocketAddr::from|\.run|\.bind)\(\s*\(\s*\[([\d,\s]+)\]\s*,\s*(\d{2,5})\s*\)")
_ADDR_PARSE = re.compile(r'"([\w.\-\[\]:]*):(\d{2,5})"\s*\.parse')
_PORT_ENV_NUMBER = re.compile(r'env::var\(\s*"PORT"\s*\)[^;]{0,200}?\.unwrap_or\(\s*()(\d{2,5})\s*\)')
_PORTS = (
    (_BIND_STR, "listen address in code"),
    (_BIND_TUPLE, "listen address in code"),
    (_ADDR_ARRAY, "listen address in code"),
    (_ADDR_PARSE, "listen address in code"),
    (_PORT_ENV_NUMBER, "PORT default in code"),
)


def _served_code_match(app: AppDir, pattern: re.Pattern[str]) -> tuple[str, int, re.Match[str]] | None:
    return next((h for h in app.grep(_RS, pattern) if not _NOT_SERVED.search(h[0][len(app.path) + 1 :] if app.path != "." else h[0])), None)


def _port_from_code(app: AppDir, found: Findings) -> None:
    """The first port written in a bind/listen call or a PORT fallback; warn when bound to loopback."""
    for pattern, reason in _PORTS:
        hit = _served_code_match(app, pattern)
        if hit is None:
            continue
        host = hit[2].group(1).replace(" ", "")
        if host in _LOOPBACK or host.startswith("127,"):
            found.warnings.append(f"binds {host or 'loopback'} ({hit[0]}:{hit[1]}): unreachable from outside a container; bind 0.0.0.0")
        found.set("port", int(hit[2].group(2)), match_evidence(hit, reason))
        return


# ---------------------------------------------------------------- frameworks
class RustFrameworkDetector(FrameworkDetector):
    """A Rust web framework, recognised by its crate in ``[dependencies]``; the port comes from code."""

    def __init__(self, name: str, crate: str) -> None:
        self.name = name  # type: ignore[misc]
        self._crate = crate

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the framework crate being a dependency."""
        evidence = found.dep(self._crate)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        _port_from_code(app, found)
        return True


class RocketDetector(RustFrameworkDetector):
    """Rocket: port from Rocket.toml or code, else 8000; it binds 127.0.0.1 unless told otherwise."""

    # Config set in code: Figment ``.merge(("port", 8080))`` or ``Config { port: 8080, .. }``.
    _FIGMENT_PORT = re.compile(r'\(\s*"port"\s*,\s*(\d{2,5})\s*\)|Config\s*\{[^}]*?\bport\s*:\s*(\d{2,5})\b')
    _FIGMENT_ADDRESS = re.compile(r'\(\s*"address"\s*,|Config\s*\{[^}]*?\baddress\s*:')

    def __init__(self) -> None:
        super().__init__("rocket", "rocket")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``rocket`` crate."""
        evidence = found.dep("rocket")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        config = app.toml("Rocket.toml") or {}
        self._port(app, config, found)
        address = next((_get(config, p, "address") for p in ("release", "global", "default") if _get(config, p, "address")), None)
        if address != "0.0.0.0" and _served_code_match(app, self._FIGMENT_ADDRESS) is None:
            found.warnings.append("Rocket listens on 127.0.0.1 by default: set ROCKET_ADDRESS=0.0.0.0 in the container")
        return True

    def _port(self, app: AppDir, config: dict[str, Any], found: Findings) -> None:
        # Rocket's profiles: a release build reads [release], then [global]/[default].
        for profile in ("release", "global", "default"):
            port = _get(config, profile, "port")
            if isinstance(port, int):
                line = app.tree.line_of(app.rel("Rocket.toml"), rf"^\s*port\s*=\s*{port}\b")
                found.set("port", port, Evidence(app.rel("Rocket.toml"), line, f"[{profile}] port"))
                return
        hit = _served_code_match(app, self._FIGMENT_PORT)
        if hit is not None:
            found.set("port", int(hit[2].group(1) or hit[2].group(2)), match_evidence(hit, "Rocket port in code"))
            return
        found.set("port", 8000, Evidence(app.path, None, "Rocket's default port"), default=True)


class RustEcosystem(Ecosystem):
    """Cargo packages with a binary target."""

    language = "rust"
    frameworks = (
        RocketDetector(),
        RustFrameworkDetector("actix", "actix-web"),
        RustFrameworkDetector("axum", "axum"),
        RustFrameworkDetector("poem", "poem"),
        RustFrameworkDetector("warp", "warp"),
    )

    def claim(self, app: AppDir) -> Claim | None:
        """Claim a Cargo.toml folder: 2 with a binary target, 1 for a library or a workspace root."""
        if not app.has("Cargo.toml"):
            return None
        data = _cargo(app)
        bins = _binaries(app, data) if data is None or "package" in data else []
        if bins:
            return Claim(self.language, 2, bins[0].evidence)
        return Claim(self.language, 1, app.evidence("Cargo.toml", "Cargo manifest", r"^\[(package|workspace)\]"))

    def workspace_members(self, app: AppDir) -> list[str] | None:
        """``[workspace] members`` (globs allowed), unless the root is itself a binary package."""
        data = _cargo(app)
        members = _get(data, "workspace", "members")
        if not isinstance(members, list) or ("package" in (data or {}) and _binaries(app, data)):
            return None
        patterns = [m.rstrip("/") for m in members if isinstance(m, str) and m.strip(".").strip("/")]
        return patterns or None

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Name, runtime, Cargo, dependencies; then the binary, build, start and framework."""
        data = _cargo(app)
        if data is None:
            found.warnings.append(f"{app.rel('Cargo.toml')}: could not be read; Rust facts are guesses")
        _name(app, data, found)
        _runtime(app, data, found)
        locked = _package_manager(app, found)
        _dependencies(app, data, found)
        bins = _binaries(app, data)
        if not bins:
            found.warnings.append("no binary target (src/main.rs, src/bin/ or [[bin]]): a library, not an app")
            return
        _build_and_start(app, data, bins, locked, found)
        _build_inputs(app, data, found)
        self.run_frameworks(app, found)


ECOSYSTEM = RustEcosystem()

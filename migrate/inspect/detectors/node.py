"""Node.js: npm, pnpm, yarn (classic and berry), bun; workspaces; Next.js, Nuxt, Remix, SvelteKit,
NestJS, Fastify, Express, Koa, hapi, and static SPA builds (Vite, Create React App, Vue CLI).

Start commands run ``node`` (or a framework's node binary) directly, never
``npm start``: npm and yarn do not forward SIGTERM to the app, so a container
would be killed instead of shutting down cleanly.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any

from migrate.inspect.detectors.base import AppDir, Claim, Ecosystem, Findings, FrameworkDetector
from migrate.inspect.envvars import is_commented_out
from migrate.inspect.knowledge import DEFAULT_RUNTIME, HEALTH_PATH
from migrate.inspect.node_locks import foreign_hosts, missing_entry
from migrate.inspect.readahead import ahead
from migrate.inspect.tree import join
from migrate.inspect.workspaces import expand
from migrate.profile import Evidence, Fact, Process
from migrate.shell import parse

_PACKAGE = "package.json"
_JS = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")
_TEST = re.compile(r"(^|/)(tests?|__tests__|spec|e2e)/|\.(test|spec)\.[cm]?[jt]sx?$|\.d\.ts$")

#: Dependencies that make a package.json a runnable server app.
_SERVER_DEPS = (
    "next", "nuxt", "@remix-run/serve", "@remix-run/node", "@react-router/serve", "@react-router/node",
    "@sveltejs/kit", "@nestjs/core", "fastify", "express", "koa", "@hapi/hapi", "hapi",
)  # fmt: skip
#: Build tools whose output is a static single-page app (when the app has its index.html).
_SPA_TOOLS = {"vite": "index.html", "react-scripts": "public/index.html", "@vue/cli-service": "public/index.html"}

#: Node majors with current official images, newest first; older ones only when nothing else fits.
_SUPPORTED_MAJORS = (24, 22, 20, 18)
_LEGACY_MAJORS = (16, 14, 12, 10)
_LTS_CODENAMES = {
    "argon": "4", "boron": "6", "carbon": "8", "dubnium": "10", "erbium": "12", "fermium": "14",
    "gallium": "16", "hydrogen": "18", "iron": "20", "jod": "22", "krypton": "24",
}  # fmt: skip


# ---------------------------------------------------------------- manifest helpers
def _manifest(app: AppDir) -> dict[str, Any]:
    """The app's parsed package.json, or ``{}`` when missing or malformed."""
    data = app.json(_PACKAGE)
    return data if isinstance(data, dict) else {}


def _root_manifest(app: AppDir) -> tuple[dict[str, Any], str] | None:
    """The workspace root's package.json and its path, for a workspace member."""
    if app.workspace_root is None or app.workspace_root == app.path:
        return None
    path = join(app.workspace_root, _PACKAGE)
    data = app.tree.read_json(path) if app.tree.exists(path) else None
    return (data, path) if isinstance(data, dict) else None


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _scripts(app: AppDir) -> dict[str, str]:
    return {k: v for k, v in _section(_manifest(app), "scripts").items() if isinstance(v, str)}


def _all_deps(app: AppDir) -> dict[str, str]:
    """Every declared package (runtime, dev, peer, optional) -> the section that declares it."""
    data = _manifest(app)
    found: dict[str, str] = {}
    for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        for name in _section(data, section):
            found.setdefault(name, section)
    return found


def _line(text: str | None, pattern: str, start: int = 0) -> int | None:
    """1-based line of the first match of ``pattern`` in ``text`` at or after ``start``."""
    if not text:
        return None
    match = re.compile(pattern, re.MULTILINE).search(text, start)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def _key_evidence(app: AppDir, key: str, reason: str, section: str | None = None, path: str | None = None) -> Evidence:
    """Evidence at the line of JSON key ``key`` (inside object ``section`` if given)."""
    path = path or app.rel(_PACKAGE)
    text = app.tree.read_text(path)
    start = 0
    if section is not None and text:
        opening = re.search(rf'"{re.escape(section)}"\s*:\s*\{{', text)
        start = opening.end() if opening else len(text)
    return Evidence(path, _line(text, rf'"{re.escape(key)}"\s*:', start), reason)


def _dep_evidence(app: AppDir, name: str) -> Evidence | None:
    """Evidence for a declared package in any section, or None."""
    section = _all_deps(app).get(name)
    if section is None:
        return None
    return _key_evidence(app, name, f"{name} in {section}", section)


def _script_evidence(app: AppDir, script: str, reason: str) -> Evidence:
    return _key_evidence(app, script, reason, "scripts")


def _source_hits(app: AppDir, pattern: re.Pattern[str]) -> Iterator[tuple[str, int, re.Match[str]]]:
    """Matches of ``pattern`` in the app's non-test JS/TS sources, lazily, in file order."""
    return (hit for hit in app.grep(_JS, pattern) if not _TEST.search(hit[0]))


def _first_hit(app: AppDir, pattern: re.Pattern[str]) -> tuple[str, int, re.Match[str]] | None:
    # Stops at the first hit: the whole app is searched only when nothing matches.
    return next(_source_hits(app, pattern), None)


# ---------------------------------------------------------------- name and runtime
def _name(app: AppDir, found: Findings) -> None:
    """The package name, without an npm scope (``@acme/api`` is the app ``api``)."""
    name = _manifest(app).get("name")
    if isinstance(name, str) and name.strip():
        plain = name.strip().rsplit("/", 1)[-1]
        found.name = (plain, _key_evidence(app, "name", f"package name {name}"))
        if plain != name:
            found.detail("package_name", name)


def _locations(app: AppDir) -> list[str]:
    """The app folder, then its workspace root: version files at the root apply to members."""
    folders = [app.path]
    if app.workspace_root is not None and app.workspace_root != app.path:
        folders.append(app.workspace_root)
    return folders


def _runtime(app: AppDir, found: Findings) -> None:
    """Exact pins (.nvmrc, .node-version, .tool-versions, volta) before the engines range."""
    for folder in _locations(app):
        if _runtime_from_files(app, folder, found) or _runtime_from_manifest(app, folder, found):
            return
    default = DEFAULT_RUNTIME["node"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no Node version pinned; using {default}"), default=True)


def _runtime_from_files(app: AppDir, folder: str, found: Findings) -> bool:
    for name in (".nvmrc", ".node-version", ".tool-versions"):
        path = join(folder, name)
        text = app.tree.read_text(path) if app.tree.exists(path) else None
        if not text:
            continue
        if name == ".tool-versions":
            match = re.search(r"^(nodejs|node)[ \t]+(\S+)", text, re.MULTILINE)
            raw, pattern = (match.group(2), match.group(0)) if match else (None, None)
        else:
            raw = next((ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()), None)
            pattern = re.escape(raw) if raw else None
        version = _version_from_pin(raw) if raw else None
        if version is None or pattern is None:
            if raw:
                found.warnings.append(f"{path}: could not read Node version {raw!r}")
            continue
        found.set("runtime_version", version, Evidence(path, _line(text, pattern), f"pins Node {raw}"))
        return True
    return False


def _version_from_pin(raw: str) -> str | None:
    """``v20.11.1`` -> ``20.11.1``; ``lts/iron`` -> ``20``; ``lts/*``/``node`` -> the default."""
    raw = raw.strip().lower()
    match = re.fullmatch(r"v?(\d+(?:\.\d+){0,2})", raw)
    if match:
        return match.group(1)
    if raw.startswith("lts/"):
        codename = raw[4:]
        return _LTS_CODENAMES.get(codename) or (DEFAULT_RUNTIME["node"] if codename in ("*", "latest") else None)
    return DEFAULT_RUNTIME["node"] if raw in ("node", "stable", "latest", "current") else None


def _runtime_from_manifest(app: AppDir, folder: str, found: Findings) -> bool:
    path = join(folder, _PACKAGE)
    data = app.tree.read_json(path) if app.tree.exists(path) else None
    if not isinstance(data, dict):
        return False
    volta = _section(data, "volta").get("node")
    if isinstance(volta, str) and _version_from_pin(volta):
        found.set("runtime_version", _version_from_pin(volta), _key_evidence(app, "node", f"volta pins Node {volta}", "volta", path))
        return True
    engines = _section(data, "engines").get("node")
    if not isinstance(engines, str):
        return False
    version = _pick_major(engines)
    evidence = _key_evidence(app, "node", f"engines.node {engines!r}", "engines", path)
    if version is None:
        why = "allows no Node version this tool knows" if _node_range(engines) is not None else "is not an npm version range"
        found.warnings.append(f"{path}: engines.node {engines!r} {why}; using the default")
        return False
    if int(version) in _LEGACY_MAJORS:
        found.warnings.append(f"engines.node {engines!r} needs Node {version}, which is end-of-life")
    found.set("runtime_version", version, evidence)
    return True


# ------------------------------------------------------------ semver ranges (majors only)
def _node_range(spec: str) -> Any:
    """``engines.node`` parsed as npm parses it (node-semver's grammar), or None if it is not a range.

    ``lts/*``, ``node`` or ``latest please`` are version-manager aliases or junk, not npm ranges.
    """
    from nodesemver import make_range

    try:
        return make_range(spec, False)
    except (ValueError, TypeError):  # node-semver raises ValueError("Invalid comparator: ...")
        return None


def _allows_major(node_range: Any, major: int) -> bool:
    """Whether some release of Node ``major`` satisfies the range.

    Each alternative of a range is an interval whose lowest member is either
    ``major.0.0`` or one of its comparators' versions (or the next patch after a
    ``>`` bound), so testing those candidates decides it exactly: ``^20.1``
    allows Node 20 although ``20.0.0`` does not satisfy it.
    """
    candidates = {f"{major}.0.0"}
    for comparators in node_range.set:
        for comparator in comparators:
            version = comparator.semver
            if getattr(version, "major", None) == major:
                candidates.add(str(version))
                candidates.add(f"{version.major}.{version.minor}.{version.patch + 1}")
    return any(node_range.test(candidate) for candidate in candidates)


def _pick_major(spec: str) -> str | None:
    """The default Node major if ``spec`` allows it, else the newest supported (then legacy) major it allows.

    None when ``spec`` is not an npm range or allows no major this tool knows.
    """
    node_range = _node_range(spec)
    if node_range is None:
        return None
    default = int(DEFAULT_RUNTIME["node"])
    for major in (default, *_SUPPORTED_MAJORS, *_LEGACY_MAJORS):
        if _allows_major(node_range, major):
            return str(major)
    return None


# ---------------------------------------------------------------- package manager
_LOCKFILES = (
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
_INSTALL = {
    "npm": ("npm ci", "npm install"),
    "pnpm": ("pnpm install --frozen-lockfile", "pnpm install"),
    "yarn": ("yarn install --frozen-lockfile", "yarn install"),
    "yarn-berry": ("yarn install --immutable", "yarn install"),
    "bun": ("bun install --frozen-lockfile", "bun install"),
}


def _package_manager(app: AppDir, found: Findings) -> None:
    """corepack's ``packageManager`` field first, then the lockfile (here or at the workspace root)."""
    declared = _declared_manager(app, found)
    locks = [(path, _lock_manager(app, path, manager)) for name, manager in _LOCKFILES if (path := app.at_workspace_root(name))]
    stale = {path: missing_entry(app.tree, path, kind, app.path, _manifest(app)) for path, kind in locks}
    usable = [lk for lk in locks if declared is None or _same_family(lk[1], declared[0])]
    # Of several lockfiles, the one that still agrees with package.json (the other is no longer kept up).
    lock = next((lk for lk in usable if stale[lk[0]] is None), usable[0] if usable else locks[0] if locks else None)
    if len(locks) > 1:
        chosen_for = ", the one that records every dependency package.json declares" if lock and any(stale.values()) and stale[lock[0]] is None else ""
        found.warnings.append("several lockfiles (" + ", ".join(p for p, _ in locks) + f"); using {lock[0] if lock else '?'}{chosen_for}")
    family = lock[1].split("-")[0] if lock is not None else ""  # yarn-berry: yarn
    if lock is not None and stale[lock[0]] is not None:
        found.warnings.append(f"{lock[0]} is out of date: it has no entry for {stale[lock[0]]} from package.json, so the "
                              f"image's frozen install fails; run `{family} install` and commit the lockfile")
    if lock is not None and (hosts := foreign_hosts(app.tree, lock[0], family)):
        where = ", ".join(f"{count} from {host}" for host, count in hosts[:3]) + (f" and {len(hosts) - 3} more hosts" if len(hosts) > 3 else "")
        found.warnings.append(f"{lock[0]} downloads packages from hosts other than the npm registry ({where}): the "
                              "image's install fetches them from there, so its build must reach them")
    lock_evidence = Evidence(lock[0], None, f"{lock[1]} lockfile") if lock else None
    if declared is not None:
        manager, version, evidence = declared
        found.set("package_manager", manager, evidence, *([lock_evidence] if lock_evidence else []))
        found.detail("package_manager_version", version)
    elif lock is not None and lock_evidence is not None:
        manager = lock[1]
        found.set("package_manager", manager, lock_evidence)
    else:
        manager = "npm"
        found.set("package_manager", manager, Evidence(app.rel(_PACKAGE), None, "no lockfile; npm assumed"), default=True)
    if lock is not None and declared is not None and not _same_family(lock[1], manager):
        found.warnings.append(f"packageManager is {manager} but the lockfile {lock[0]} is {lock[1]}'s")
        lock = None
    if lock is None:
        found.warnings.append(f"no {manager} lockfile: dependency versions are not pinned, so builds are not reproducible")
    found.detail("lockfile", lock[0] if lock else None)
    found.detail("install_command", _INSTALL[manager][0 if lock else 1])
    if manager == "yarn-berry":
        _yarn_linker(app, found)


# ---------------------------------------------------------------- manifests
#: Package-manager configuration that must be in place before the install (never .npmrc: it holds tokens).
_INSTALL_CONFIG = {
    "pnpm": ("pnpm-workspace.yaml",),
    "yarn-berry": (".yarnrc.yml",),
    "bun": ("bunfig.toml",),
}


def _manifests(app: AppDir, found: Findings) -> None:
    """Record what the install needs (``manifests``): app-relative paths, copied before the source.

    A workspace member installs from the workspace root, so its manifests are
    the root's package.json, lockfile and package-manager configuration plus
    every member's package.json (npm and pnpm refuse a lockfile whose
    workspaces are missing), written relative to the app (``../../package.json``).
    """
    root = app.workspace_root if app.workspace_root is not None else app.path
    manager = found.get("package_manager") or "npm"
    paths = [join(root, _PACKAGE)]
    # A root that is an app and a workspace (pnpm's "**") installs its members too.
    paths += [join(member, _PACKAGE) for member in _workspace_folders(app, root)] + [app.rel(_PACKAGE)]
    lockfile = found.details.get("lockfile")
    if lockfile:
        paths.append(lockfile)
    paths += [join(root, name) for name in _INSTALL_CONFIG.get(manager, ()) if app.tree.exists(join(root, name))]
    paths = [p for p in paths if app.tree.exists(p)]
    if manager == "yarn-berry":
        paths += _yarn_files(app, root)  # .yarn/ is not scanned: trust .yarnrc.yml, which yarn itself obeys
    paths += _patches(app, root)
    unique = [p for i, p in enumerate(paths) if p not in paths[:i] and not re.search(r"\s", p)]
    relative = (posixpath.relpath(p, app.path) + ("/" if p.endswith("/") else "") for p in unique)  # a folder keeps its /
    found.detail("manifests", " ".join(relative) or None)


#: patch-package's folder option in the script that runs it (``patch-package --patch-dir fixes``).
_PATCH_DIR = re.compile(r"\bpatch-package\b[^&|;]*?--patch-dir[=\s]+[\"']?([^\s\"'&|;]+)")
#: The patch a yarn ``patch:`` protocol range applies: ``patch:lib@npm%3A1.0.0#./.yarn/patches/lib.patch``.
_YARN_PATCH = re.compile(r"^patch:.+#(?:~/|\./)?([^:#]+\.patch)(?:::.*)?$")


def _patches(app: AppDir, root: str) -> list[str]:
    """The patches the install applies to dependencies, which must be in place before it runs.

    patch-package (run by a lifecycle script: without its folder it finds "no patch files" and
    the dependencies ship unpatched) reads ``patches/``; pnpm's and bun's ``patchedDependencies``
    (package.json, or pnpm-workspace.yaml) and yarn's ``patch:`` ranges name their files, and
    the install fails without them. A folder is returned with a trailing ``/``. Tree-relative.
    """
    at_root = AppDir(app.tree, root)
    data = at_root.json(_PACKAGE)
    data = data if isinstance(data, dict) else {}
    found: list[str] = []
    scripts = " ".join(v for v in _section(data, "scripts").values() if isinstance(v, str))
    if re.search(r"\bpatch-package\b", scripts):
        named = _PATCH_DIR.search(scripts)
        folder = posixpath.normpath(join(root, named.group(1) if named else "patches"))
        if app.tree.is_dir(folder) and not folder.startswith(".."):
            found.append(folder + "/")
    listed = dict(_section(_section(data, "pnpm"), "patchedDependencies")) | _section(data, "patchedDependencies")
    workspace = at_root.yaml("pnpm-workspace.yaml")
    if isinstance(workspace, dict) and isinstance(workspace.get("patchedDependencies"), dict):
        listed |= workspace["patchedDependencies"]
    found += [at_root.rel(p) for p in listed.values() if isinstance(p, str) and at_root.has(p)]
    for section in ("resolutions", "dependencies", "devDependencies", "optionalDependencies"):
        for spec in _section(data, section).values():
            patch = _YARN_PATCH.match(spec) if isinstance(spec, str) else None
            if patch is not None:  # under .yarn/, which is not scanned: trusted, as yarn itself finds it there
                found.append(join(root, patch.group(1)))
    return [p if p.endswith("/") else posixpath.normpath(p) for p in found
            if not posixpath.isabs(p) and ".." not in p.split("/")]


def _workspace_folders(app: AppDir, root: str) -> list[str]:
    """Tree-relative folders of the workspace's packages (its member globs, expanded), the root excluded."""
    patterns = ECOSYSTEM.workspace_members(AppDir(app.tree, root)) or []
    return [f for f in expand(app.tree, root, patterns) if f != root and app.tree.exists(join(f, _PACKAGE))]


def _yarn_files(app: AppDir, root: str) -> list[str]:
    """Yarn berry's own release (``yarnPath``) and plugins, which .yarnrc.yml points into .yarn/."""
    config = app.tree.read_yaml(join(root, ".yarnrc.yml")) if app.tree.exists(join(root, ".yarnrc.yml")) else None
    if not isinstance(config, dict):
        return []
    files = [config.get("yarnPath")]
    plugins = config.get("plugins")
    if isinstance(plugins, list):
        files += [p.get("path") if isinstance(p, dict) else p for p in plugins]
    return [posixpath.normpath(join(root, f)) for f in files if isinstance(f, str) and f and not posixpath.isabs(f) and ".." not in f.split("/")]


def _yarn_linker(app: AppDir, found: Findings) -> None:
    """Yarn berry's default Plug'n'Play install has no node_modules: plain ``node`` cannot resolve packages."""
    path = app.at_workspace_root(".yarnrc.yml")
    config = app.tree.read_yaml(path) if path else None
    linker = config.get("nodeLinker") if isinstance(config, dict) else None
    if linker not in ("node-modules", "pnpm"):
        found.detail("yarn_pnp", "true")
        found.warnings.append("Yarn Plug'n'Play: node needs -r ./.pnp.cjs (or set nodeLinker: node-modules in .yarnrc.yml)")


def _declared_manager(app: AppDir, found: Findings) -> tuple[str, str, Evidence] | None:
    """``"pnpm@9.12.0+sha512..."`` -> ``("pnpm", "9.12.0", evidence)``, from the app or its workspace root."""
    candidates = [(_manifest(app), app.rel(_PACKAGE))]
    root = _root_manifest(app)
    if root is not None:
        candidates.append(root)
    for data, path in candidates:
        value = data.get("packageManager")
        if not isinstance(value, str):
            continue
        match = re.fullmatch(r"\s*(npm|pnpm|yarn|bun)@v?(\d+)([^+\s]*)(?:\+\S*)?\s*", value)
        if match is None:
            found.warnings.append(f"{path}: packageManager {value!r} not understood")
            continue
        manager = match.group(1)
        if manager == "yarn" and int(match.group(2)) >= 2:
            manager = "yarn-berry"
        evidence = _key_evidence(app, "packageManager", f"packageManager {value.split('+')[0]}", path=path)
        return manager, match.group(2) + match.group(3), evidence
    return None


def _lock_manager(app: AppDir, path: str, manager: str) -> str:
    """yarn.lock is Yarn classic's unless it is a berry lockfile (``__metadata``) or .yarnrc.yml is beside it."""
    if manager != "yarn":
        return manager
    folder = path.rpartition("/")[0] or "."
    text = app.tree.read_text(path) or ""
    berry = app.tree.exists(join(folder, ".yarnrc.yml")) or bool(re.search(r"^__metadata:", text, re.MULTILINE))
    return "yarn-berry" if berry else "yarn"


def _same_family(a: str, b: str) -> bool:
    return a.split("-")[0] == b.split("-")[0]


def _run(found: Findings, script: str) -> str:
    """The command that runs package script ``script`` with the app's package manager."""
    manager = found.get("package_manager") or "npm"
    return f"{manager.split('-')[0]} run {script}"


# ---------------------------------------------------------------- dependencies
def _collect_dependencies(app: AppDir, found: Findings) -> None:
    """Runtime dependencies (``dependencies``, not dev), each with its line in package.json."""
    for name in _section(_manifest(app), "dependencies"):
        if isinstance(name, str):
            found.add_dep(name, _key_evidence(app, name, f"depends on {name}", "dependencies"))


# ---------------------------------------------------------------- start command and port
_NODE_CLIS = {"node", "nodemon", "tsx", "ts-node"}


def _script_command(script: str) -> tuple[str | None, str | None]:
    """A package script as a direct ``node`` command, and a note when it had to be changed.

    ``cross-env NODE_ENV=production node dist/index.js`` -> ``node dist/index.js``;
    ``nodemon x.js`` -> ``node x.js``; ``tsx src/x.ts`` -> ``node --import tsx src/x.ts``.
    """
    segment = re.split(r"&&|;|\|\|", script)[-1].strip()
    words = segment.split()
    while words and (words[0] in ("cross-env", "env", "dotenv", "--") or re.fullmatch(r"[A-Za-z_]\w*=\S*", words[0])):
        words.pop(0)
    if not words or words[0] not in _NODE_CLIS:
        return None, None
    cli, args = words[0], [w for w in words[1:] if not w.startswith("--env-file")]
    note = "dropped --env-file: the container gets its environment directly" if len(args) < len(words) - 1 else None
    if cli == "nodemon":
        args = _without_nodemon_flags(args)
        note = "the start script uses nodemon (a dev tool); running node directly"
    prefix = {"node": "node", "nodemon": "node", "tsx": "node --import tsx", "ts-node": "node -r ts-node/register"}[cli]
    return " ".join([prefix, *args]), note


#: ``npm run serve``, ``yarn start --services=web``: a package script run by its manager (the manager, the script,
#: the arguments after it).
_RUN_SCRIPT = re.compile(r"^(npm(?:\s+run(?:-script)?)?|yarn(?:\s+run)?|pnpm(?:\s+run)?|bun\s+run)\s+([\w:.-]+)((?:\s+\S.*)?)$", re.DOTALL)


def _through_run(scripts: dict[str, str], script: str, depth: int = 3) -> str:
    """``npm run serve`` -> the ``serve`` script's own command (``node dist/server.js``), a few levels deep."""
    match = _RUN_SCRIPT.match(script.strip())
    if match is None or match.group(3) or depth == 0 or match.group(2) not in scripts or match.group(2) in ("install", "ci", "test"):
        return script
    return _through_run(scripts, scripts[match.group(2)], depth - 1)


_NODEMON_VALUE_FLAGS = {"--watch", "-w", "--ext", "-e", "--ignore", "-i", "--delay", "-d", "--signal", "-s", "--config"}


def _without_nodemon_flags(args: list[str]) -> list[str]:
    """nodemon's own options (``--watch src``, ``-e js,json``) are not node's."""
    kept: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
        elif word in _NODEMON_VALUE_FLAGS:
            skip = True
        elif not re.match(r"--(watch|ext|ignore|delay|signal|config|legacy-watch|quiet|verbose)\b|-[LqV]$", word):
            kept.append(word)
    return kept


def _start_from_scripts(app: AppDir, found: Findings, names: tuple[str, ...] = ("start:prod", "start:production", "start")) -> bool:
    """Set the start command from the first of ``names`` that is a direct node command."""
    scripts = _scripts(app)
    for name in names:
        if name not in scripts:
            continue
        command, note = _script_command(_through_run(scripts, scripts[name]))
        if command is None:
            continue
        found.set("start_command", command, _script_evidence(app, name, f"scripts.{name}: {scripts[name]}"))
        if note:
            found.warnings.append(note)
        _pre_hook_build(app, found, name)
        return True
    return False


#: Package managers the generated runtime image does not hold: corepack and what it runs stay in the build
#: stages (and node images from 25 ship neither corepack nor yarn). npm ships with node.
_NOT_IN_RUNTIME = frozenset({"yarn", "yarn-berry", "pnpm", "bun"})


def _without_the_manager(app: AppDir, found: Findings) -> None:
    """A start command (or Procfile process) that runs a package script through yarn, pnpm or bun runs the
    script's own command instead: the runtime image has no package manager but npm.

    ``web: yarn start --services=web`` (Outline's Procfile) with ``start: node ./build/server/index.js``
    becomes ``node ./build/server/index.js --services=web``. A script that is not a plain node command
    is left as it is, with a warning: the image cannot run it as it stands.
    """
    if found.get("package_manager") not in _NOT_IN_RUNTIME:
        return
    scripts = _scripts(app)
    fact = found.facts.get("start_command")
    if fact is not None and fact.is_known:
        direct = _direct_command(app, found, scripts, fact.value)
        if direct is not None:
            found.facts["start_command"] = Fact(direct[0], (*fact.evidence, direct[1]), fact.is_default)
    for name, process in list(found.processes.items()):
        direct = _direct_command(app, found, scripts, process.command)
        if direct is not None:
            found.processes[name] = Process(name, direct[0], (*process.evidence, direct[1]))


def _direct_command(app: AppDir, found: Findings, scripts: dict[str, str], command: str) -> tuple[str, Evidence] | None:
    match = _RUN_SCRIPT.match(command.strip())
    manager = match.group(1).split()[0] if match is not None else "npm"
    if match is None or manager == "npm" or match.group(2) not in scripts or match.group(2) in ("install", "test"):
        return None
    script = match.group(2)
    direct, _note = _script_command(_through_run(scripts, scripts[script]))
    if direct is None:
        found.warnings.append(f"{command!r} runs a package script through {manager}, which the runtime image does not have, "
                              f"and scripts.{script} is not a plain node command: give the command it runs")
        return None
    args = match.group(3).strip()
    if args == "--" or args.startswith("-- "):  # "yarn start -- --flag": the flags are the script's
        args = args[2:].strip()
    return " ".join(filter(None, (direct, args))), _script_evidence(app, script, f"scripts.{script}: {scripts[script]} (run without {manager})")


def _pre_hook_build(app: AppDir, found: Findings, script: str) -> None:
    """``prestart:prod: tsc`` builds what ``start:prod`` runs: npm runs ``pre<script>`` first, so it is the build.

    Only without a ``build`` script (that one is the build step, whatever the hooks say).
    """
    scripts = _scripts(app)
    hook = f"pre{script}"
    if "build" not in scripts and hook in scripts and scripts[hook].strip():
        found.set("build_command", _run(found, hook), _script_evidence(app, hook, f"{hook} script: npm runs it before {script}"))


#: Frameworks whose start commands name their build's output (``.next``, ``build/``, ``dist/main.js``).
_BUILT_BY_FRAMEWORK = frozenset({"nextjs", "nuxt", "remix", "sveltekit", "nestjs"})
_NODE_VALUE_FLAGS = frozenset({"--import", "-r", "--require", "--loader", "--experimental-loader", "--env-file"})


def _check_start_file(app: AppDir, found: Findings) -> None:
    """Warn when ``node FILE`` names a file that is neither in the tree nor made by a build step."""
    start = found.get("start_command")
    line = parse(start) if isinstance(start, str) else None
    # The chain's last command is the one that serves (`npm run migrate && node dist/main.js`).
    words = list(line.words) if line is not None else []
    if line is None or words[:1] != ["node"] or found.has("build_command") or found.get("framework") in _BUILT_BY_FRAMEWORK:
        return
    target, skip = None, False
    for word in words[1:]:
        if skip or word.startswith("-"):
            skip = not skip and word in _NODE_VALUE_FLAGS
            continue
        target = word
        break
    if target is None:
        return
    rel = line.path(target.removeprefix("./"))
    if rel is not None and not any(app.has(rel + suffix) for suffix in ("", ".js", ".cjs", ".mjs", "/index.js")):
        found.warnings.append(f"the start command runs {target}, which is not in the source tree and no build script makes it")


_SERVER_CALL = re.compile(r"\.listen\(|createServer\(|\bserve\(\s*\{")


def _start_from_main(app: AppDir, found: Findings) -> bool:
    """``node <main>`` when package.json's ``main`` is a server (a library's main is not a start command)."""
    main = _manifest(app).get("main")
    if not isinstance(main, str) or not main.strip():
        return False
    rel = main.strip().removeprefix("./")
    text = app.read(rel) or app.read(rel + ".js")
    if not text or not _SERVER_CALL.search(text):
        return False
    found.set("start_command", f"node {rel}", _key_evidence(app, "main", f"main {main} starts a server"))
    return True


_PORT_PATTERNS = (
    # Read ahead (migrate/inspect/readahead.py): few apps default PORT in code, so this pass often reads every file.
    (ahead(re.compile(r"process\.env(?:\.PORT\b|\[\s*[\"']PORT[\"']\s*\])\s*\)?\s*(?:\|\||\?\?)\s*[\"'`]?(\d{2,5})\b"), _JS),
     "PORT defaults to {}"),
    (re.compile(r"\.listen\(\s*(\d{2,5})\b"), "listens on {}"),
    (re.compile(r"\.listen\(\s*\{[^}]*?\bport\s*:\s*(\d{2,5})\b"), "listens on {}"),
    (re.compile(r"\b[Ss]erver\(\s*\{[^}]*?\bport\s*:\s*(\d{2,5})\b"), "server port {}"),
    (re.compile(r"\b(?:const|let|var)\s+(?i:port)\s*=\s*(\d{2,5})\b"), "port {} in code"),
)


def _port(app: AppDir, found: Findings, default: int | None, why: str) -> None:
    """The port the code listens on, else the framework's default."""
    for pattern, reason in _PORT_PATTERNS:
        hit = _first_hit(app, pattern)
        if hit is not None:
            found.set("port", int(hit[2].group(1)), Evidence(hit[0], hit[1], reason.format(hit[2].group(1))))
            break
    if default is not None:
        found.set("port", default, Evidence(app.path, None, why), default=True)


#: Node's own HTTP servers: ``http.createServer(...)``, or ``createServer`` imported from ``http``/``https``/``http2``.
_NODE_HTTP_SERVER = ahead(re.compile(
    r"\b(?:https?|http2)\.create(?:Secure)?Server\("
    r"|\bcreate(?:Secure)?Server\b[^;\n]*?(?:require\(\s*|from\s+)[\"'`](?:node:)?(?:https?|http2)[\"'`]"
), _JS)


def _node_http_server(app: AppDir, found: Findings) -> None:
    """Record where an app without a framework serves HTTP with Node's own ``http`` module.

    Its probe then asks HTTP (``/`` below 500) rather than only opening a TCP connection.
    """
    hit = _first_hit(app, _NODE_HTTP_SERVER)
    if hit is not None:
        found.detail("serves_http", f"{hit[0]}:{hit[1]}")


#: ``server.keepAliveTimeout = 65000``, or ``keepAliveTimeout: 65000`` in a server's options.
_KEEP_ALIVE_TIMEOUT = ahead(re.compile(r"\bkeepAliveTimeout\s*[=:]\s*(\d[\d_]*)\b"), _JS)


def _keep_alive(app: AppDir, found: Findings) -> None:
    """Where the app sets how long its HTTP server keeps an idle connection (Node's default is 5 s).

    Recorded as ``keep_alive_timeout``: milliseconds, then file:line. Deploy compares it with the
    load balancer's idle timeout: a server that closes first turns some requests into 502s.
    """
    hit = _first_hit(app, _KEEP_ALIVE_TIMEOUT)
    if hit is not None:
        found.detail("keep_alive_timeout", f"{hit[2].group(1).replace('_', '')} {hit[0]}:{hit[1]}")


def _build(app: AppDir, found: Findings) -> None:
    if "build" in _scripts(app):
        found.set("build_command", _run(found, "build"), _script_evidence(app, "build", "build script"))
        # What the script runs (``tsc -p tsconfig.build.json``): a dev target can run it in watch mode.
        script = _scripts(app)["build"].strip()
        found.detail("build_script", script if script and "\n" not in script and "\r" not in script else None)


def _framework(found: Findings, name: str, evidence: Evidence) -> None:
    found.set("framework", name, evidence)


# ---------------------------------------------------------------- frameworks
class NextDetector(FrameworkDetector):
    """Next.js: ``node server.js`` for standalone output, ``next start`` otherwise, static for ``export``."""

    name = "nextjs"
    _OUTPUT = re.compile(r"\boutput\s*:\s*[\"'`](standalone|export)[\"'`]")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``next`` package."""
        evidence = _dep_evidence(app, "next")
        if evidence is None:
            return False
        _framework(found, self.name, evidence)
        config = next((n for n in app.glob("next.config.*") if n.endswith((".js", ".mjs", ".cjs", ".ts", ".mts"))), None)
        match = self._OUTPUT.search(app.read(config) or "") if config else None
        mode = match.group(1) if match else "server"
        found.detail("next_output", mode)
        why = app.evidence(config, f"output: '{mode}'", self._OUTPUT.pattern) if match and config else evidence
        if mode == "export":
            _static_output(app, found, "out", why)
        elif mode == "standalone":
            # In a monorepo the standalone folder mirrors the workspace layout.
            server = "server.js" if app.workspace_root is None else f"{_below(app.path, app.workspace_root)}/server.js"
            found.set("start_command", f"node {server}", why)
            found.detail("output_dir", ".next/standalone")
            found.detail("runtime_env", "HOSTNAME=0.0.0.0")  # Docker sets HOSTNAME to the container id
        else:
            found.set("start_command", "node_modules/.bin/next start", evidence)
        if mode != "export":
            found.set("port", 3000, Evidence(app.path, None, "Next.js listens on $PORT, default 3000"), default=True)
            _next_health(app, found)
        _build_env(app, found, "NEXT_PUBLIC_")
        return True


def _below(path: str, root: str) -> str:
    return path if root == "." else path[len(root) + 1 :]


_NEXT_ROUTE = re.compile(r"(?:^|/)(?:src/)?(app|pages)/(.+)$")


def _next_health(app: AppDir, found: Findings) -> None:
    """A health route among Next's file-system routes: ``app/api/health/route.ts``, ``pages/api/health.ts``."""
    _file_route_health(app, found, _next_segments, "Next.js", "GET")


def _next_segments(rel: str) -> list[str] | None:
    """The URL segments of a Next route file (app-relative), or None when it is no route with a fixed path."""
    match = _NEXT_ROUTE.match(rel)
    if match is None or _TEST.search(rel):
        return None
    parts = match.group(2).split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    if match.group(1) == "app":
        if stem != "route":
            return None
        parts = parts[:-1]
    elif stem != "index":
        parts = parts[:-1] + [stem]
    else:
        parts = parts[:-1]
    # Route groups "(name)" and private folders "_name" do not appear in the URL.
    segments = [p for p in parts if not (p.startswith("(") and p.endswith(")"))]
    return None if any(p.startswith(("_", "[")) for p in segments) else segments


_REMIX_ROUTE = re.compile(r"^app/routes/(?:(?P<flat>[^/]+)\.[cm]?[jt]sx?|(?P<folder>[^/]+)/route\.[cm]?[jt]sx?)$")


def _remix_health(app: AppDir, found: Findings) -> None:
    """A health route among Remix's (and React Router's) file routes: ``app/routes/healthcheck.tsx`` (indie-stack's),
    ``app/routes/api.health.ts`` (/api/health), ``app/routes/healthz/route.ts``."""
    _file_route_health(app, found, _remix_segments, "Remix", "loader")


def _remix_segments(rel: str) -> list[str] | None:
    """The URL segments of a Remix route file: dots separate them, a leading ``_`` marks a pathless layout
    (not in the URL), ``$`` a parameter (no fixed path to probe)."""
    match = _REMIX_ROUTE.match(rel)
    if match is None:
        return None
    segments = [p for p in (match.group("flat") or match.group("folder")).split(".") if not p.startswith("_")]
    return None if any(p.startswith(("$", "[", "(")) for p in segments) else segments


def _file_route_health(app: AppDir, found: Findings, segments_of: Callable[[str], list[str] | None], framework: str,
                       handler: str) -> None:
    """The first of the app's files (in sorted order) whose route, by ``segments_of``, ends in a health name:
    ``health_path``, with the line of the ``handler`` it exports (``GET``, ``loader``)."""
    for path in sorted(app.source_files(_JS)):
        segments = segments_of(_below(path, app.path))
        if segments and HEALTH_PATH.match(segments[-1]):
            route = "/" + "/".join(segments)
            line = app.tree.line_of(path, rf"^export\s+(?:async\s+)?(?:function|const)\s+{handler}\b")
            found.set("health_path", route, Evidence(path, line, f"{framework} route {route}"))
            return


def _build_env(app: AppDir, found: Findings, prefix: str) -> None:
    """Variables the bundler inlines at build time (``NEXT_PUBLIC_*``, ``VITE_*``): build arguments, not runtime env."""
    pattern = re.compile(rf"(?:process\.env|import\.meta\.env)\.({prefix}[A-Za-z0-9_]+)")
    names = {m.group(1) for _, _, m in _source_hits(app, pattern) if not is_commented_out(m.string, m.start(), hash_comments=False)}
    if names:
        found.detail("build_env", ",".join(sorted(names)))


def _static_output(app: AppDir, found: Findings, output_dir: str, evidence: Evidence) -> None:
    """The build produces static files, served by a small web server: no start command."""
    found.detail("output_dir", output_dir)
    found.detail("static_output", "true")
    found.set("port", 8080, Evidence(app.path, None, f"static files from {output_dir}/ served by a web server on 8080"), default=True)


class NuxtDetector(FrameworkDetector):
    """Nuxt 3: the Nitro server in ``.output``; ``nuxt generate`` gives a static site."""

    name = "nuxt"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``nuxt`` package."""
        evidence = _dep_evidence(app, "nuxt")
        if evidence is None:
            return False
        _framework(found, self.name, evidence)
        build = _scripts(app).get("build", "")
        if "nuxt generate" in build:
            _static_output(app, found, ".output/public", _script_evidence(app, "build", "build script runs nuxt generate"))
            return True
        found.set("start_command", "node .output/server/index.mjs", Evidence(evidence.path, evidence.line, "Nuxt builds a Nitro server"))
        found.detail("output_dir", ".output")
        found.set("port", 3000, Evidence(app.path, None, "Nitro listens on $PORT, default 3000"), default=True)
        return True


class RemixDetector(FrameworkDetector):
    """Remix and React Router v7 framework mode, served by remix-serve / react-router-serve."""

    name = "remix"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on ``@remix-run/*`` or ``@react-router/*`` server packages."""
        for package, cli in (("@react-router/serve", "react-router-serve"), ("@remix-run/serve", "remix-serve")):  # noqa: B007 (used after the break)
            evidence = _dep_evidence(app, package)
            if evidence is not None:
                break
        else:
            evidence = _dep_evidence(app, "@remix-run/node") or _dep_evidence(app, "@remix-run/dev")
            if evidence is None:
                return False
            cli = ""
        _framework(found, self.name, evidence)
        found.set("port", 3000, Evidence(app.path, None, f"{cli or 'Remix'} listens on $PORT, default 3000"), default=True)
        if not cli:
            found.warnings.append("Remix without @remix-run/serve: could not tell which server runs the build")
            return True
        # Vite-based builds (Remix v2 with Vite, React Router v7) put the server bundle in build/server/.
        vite = any(n.startswith("vite.config.") for n in app.files()) or cli == "react-router-serve"
        bundle = "build/server/index.js" if vite else "build/index.js"
        found.set("start_command", f"node_modules/.bin/{cli} {bundle}", evidence)
        found.detail("react_router", "true" if cli == "react-router-serve" else None)
        _remix_health(app, found)
        return True


class SvelteKitDetector(FrameworkDetector):
    """SvelteKit: adapter-node gives ``node build``; adapter-static a static site."""

    name = "sveltekit"
    _STATIC_PAGES = re.compile(r"\bpages\s*:\s*[\"'`]([^\"'`]+)[\"'`]")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on ``@sveltejs/kit``; the adapter decides how it runs."""
        evidence = _dep_evidence(app, "@sveltejs/kit")
        if evidence is None:
            return False
        _framework(found, self.name, evidence)
        adapter = next((a for a in ("node", "static", "auto") if f"@sveltejs/adapter-{a}" in _all_deps(app)), None)
        config = next((n for n in app.glob("svelte.config.*")), None)
        where = (app.evidence(config, f"uses adapter-{adapter}", rf"adapter-{adapter}") if config and adapter else None) or (
            _dep_evidence(app, f"@sveltejs/adapter-{adapter}") if adapter else None
        ) or evidence
        if adapter == "node":
            found.set("start_command", "node build", where)
            found.set("port", 3000, Evidence(app.path, None, "adapter-node listens on $PORT, default 3000"), default=True)
            found.detail("output_dir", "build")
        elif adapter == "static":
            pages = self._STATIC_PAGES.search(app.read(config) or "") if config else None
            _static_output(app, found, pages.group(1) if pages else "build", where)
        else:
            found.warnings.append("SvelteKit needs @sveltejs/adapter-node (or adapter-static) to run in a container")
        return True


class NestDetector(FrameworkDetector):
    """NestJS: the compiled ``dist/main.js``; health from ``@Controller`` + ``@Get`` decorators."""

    name = "nestjs"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on ``@nestjs/core``."""
        evidence = found.dep("@nestjs/core") or _dep_evidence(app, "@nestjs/core")
        if evidence is None:
            return False
        _framework(found, self.name, evidence)
        # The Nest CLI's "nest start --watch" recompiles and restarts: the dev target's live reload.
        found.detail("nest_cli", "true" if "@nestjs/cli" in _all_deps(app) else None)
        if not _start_from_scripts(app, found, ("start:prod", "start:production")):
            cli = app.json("nest-cli.json")
            entry = cli.get("entryFile") if isinstance(cli, dict) and isinstance(cli.get("entryFile"), str) else "main"
            why = app.evidence("nest-cli.json", f"entryFile {entry}") if app.has("nest-cli.json") else evidence
            found.set("start_command", f"node dist/{entry}.js", why)
        _port(app, found, 3000, "NestJS's usual port 3000")
        _nest_health(app, found)
        return True


_NEST_CONTROLLER = re.compile(r"@Controller\(\s*(?:[\"'`]([^\"'`]*)[\"'`])?")
_NEST_GET = re.compile(r"@(?:Get|Head|All)\(\s*(?:[\"'`]([^\"'`]*)[\"'`])?\s*\)")
_NEST_PREFIX = ahead(re.compile(r"\.setGlobalPrefix\(\s*[\"'`]([^\"'`]+)[\"'`]"), _JS)


def _nest_health(app: AppDir, found: Findings) -> None:
    """``@Controller('health') @Get()`` or ``@Controller() @Get('health')``, under any global prefix."""
    prefix_hit = _first_hit(app, _NEST_PREFIX)
    prefix = prefix_hit[2].group(1).strip("/") if prefix_hit else ""
    for path, _line_no, controller in _source_hits(app, _NEST_CONTROLLER):
        text = app.tree.read_text(path) or ""
        for get in _NEST_GET.finditer(text, controller.end()):
            segments = [s.strip("/") for s in (prefix, controller.group(1) or "", get.group(1) or "") if s and s.strip("/")]
            if segments and HEALTH_PATH.match(segments[-1].split("/")[-1]) and ":" not in "/".join(segments):
                route = "/" + "/".join(segments)
                line = text.count("\n", 0, get.start()) + 1
                found.set("health_path", route, Evidence(path, line, f"route {route}"))
                return


class ServerDetector(FrameworkDetector):
    """A Node HTTP framework started from the user's script: Fastify, Express, Koa, hapi."""

    def __init__(self, name: str, *packages: str) -> None:
        self.name = name  # type: ignore[misc]
        self._packages = packages

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the framework's package; the start script (or main) says how it runs."""
        evidence = next((found.dep(p) or _dep_evidence(app, p) for p in self._packages if p in _all_deps(app)), None)
        if evidence is None:
            return False
        _framework(found, self.name, evidence)
        if not _start_from_scripts(app, found):
            _start_from_main(app, found)
        _port(app, found, 3000, f"{self.name} apps usually listen on 3000")
        if self.name == "fastify":
            _fastify_host(app, found)
        return True


_LISTEN_CALL = re.compile(r"\.listen\(")


def _fastify_host(app: AppDir, found: Findings) -> None:
    """Warn when every ``listen()`` call leaves Fastify on its default host, ``localhost``.

    A client, a load balancer or compose's port mapping reaches the container's own address, never its
    loopback, and Fastify reads no variable for its host: only the call's ``host`` (or the old
    ``listen(port, host)``) changes it. Other ``host:`` keys (a database's) say nothing about this.
    """
    sites = [(path, line) for path, line, match in _source_hits(app, _LISTEN_CALL)
             if not _names_host(app.tree.read_text(path) or "", match.end())]
    if sites and len(sites) == sum(1 for _ in _source_hits(app, _LISTEN_CALL)):
        path, line = sites[0]
        found.warnings.append(f"{path}:{line}: fastify listens on localhost unless listen() is given a host (host: '0.0.0.0', or "
                              "process.env.HOST read with that default): nothing outside the container can reach it")


def _names_host(text: str, start: int) -> bool:
    """Whether the ``listen(`` arguments starting at ``start`` name a host: a ``host`` key or ``listen(port, host)``."""
    depth, commas, end = 0, [start - 1], min(len(text), start + 400)
    for index in range(start, end):
        char = text[index]
        if char in "({[":
            depth += 1
        elif char in ")}]" and depth == 0:
            break
        elif char in ")}]":
            depth -= 1
        elif char == "," and depth == 0:
            commas.append(index)
    else:
        index = end  # no closing bracket within reach: the arguments run to there
    args = [text[a + 1 : b].strip() for a, b in zip(commas, [*commas[1:], index], strict=True)]
    # ``listen(3000, (err) => ...)``: the second argument of the old API may be the callback, not a host.
    second_is_host = len(args) > 1 and args[1] != "" and not _CALLBACK.match(args[1])
    return second_is_host or re.search(r"\bhost\b", args[0]) is not None


_CALLBACK = re.compile(r"(?:async\b|function\b|\(|[\w$]+\s*=>)")


class SpaDetector(FrameworkDetector):
    """A static single-page app: Vite, Create React App or Vue CLI, built to static files.

    The framework is the build tool (``vite``), or the UI library for the
    tools that are tied to one (``react`` for react-scripts, ``vue`` for Vue CLI);
    the UI library is recorded as the ``ui_library`` detail.
    """

    name = "vite"
    _TOOLS = (("vite", "vite", "dist"), ("react-scripts", "react", "build"), ("@vue/cli-service", "vue", "dist"))
    _OUT_DIR = re.compile(r"\boutDir\s*:\s*[\"'`]([^\"'`]+)[\"'`]")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the build tool when the app has its ``index.html``."""
        for package, framework, output in self._TOOLS:  # noqa: B007 (the matching row is used after the break)
            evidence = _dep_evidence(app, package)
            if evidence is not None and app.has(_SPA_TOOLS[package]):
                break
        else:
            return False
        _framework(found, framework, evidence)
        library = next((lib for lib in ("react", "vue", "svelte", "preact", "solid-js", "lit") if lib in _all_deps(app)), None)
        found.detail("ui_library", library)
        config = next((n for n in app.glob("vite.config.*")), None) if package == "vite" else None
        out_dir = self._OUT_DIR.search(app.read(config) or "") if config else None
        if "build" not in _scripts(app):
            found.warnings.append(f"no build script; the {framework} app cannot be built")
        _static_output(app, found, out_dir.group(1) if out_dir else output, evidence)
        _build_env(app, found, "REACT_APP_" if package == "react-scripts" else "VUE_APP_" if framework == "vue" else "VITE_")
        return True


# ---------------------------------------------------------------- the ecosystem
#: A root script that runs the workspace's members rather than an app of its own.
_DELEGATES = re.compile(r"\b(?:turbo|lerna|nx|concurrently)\b|(?:^|\s)(?:-r|--recursive|-ws?|--workspaces?|--filter|-F)\b|\bworkspaces?\s+(?:foreach|run)\b")
#: Folders pnpm never looks for workspace packages in (@pnpm/fs.find-packages' default ignore).
_PNPM_IGNORED = ("!**/node_modules/**", "!**/bower_components/**", "!**/test/**", "!**/tests/**")


class NodeEcosystem(Ecosystem):
    """Node.js apps and workspaces, from package.json."""

    language = "node"
    frameworks = (
        NextDetector(),
        NuxtDetector(),
        RemixDetector(),
        SvelteKitDetector(),
        NestDetector(),
        ServerDetector("hapi", "@hapi/hapi", "hapi"),
        ServerDetector("fastify", "fastify"),
        ServerDetector("koa", "koa"),
        ServerDetector("express", "express"),
        SpaDetector(),
    )

    def claim(self, app: AppDir) -> Claim | None:
        """Claim folders with a package.json; runnable with a start script, a server framework or an SPA build."""
        if not app.has(_PACKAGE):
            return self._pnpm_claim(app)
        data = _manifest(app)
        deps = _all_deps(app)
        if isinstance(_section(data, "scripts").get("start"), str):
            return Claim(self.language, 2, _script_evidence(app, "start", "start script"))
        server = next((d for d in _SERVER_DEPS if d in deps), None)
        if server is not None:
            return Claim(self.language, 2, _dep_evidence(app, server) or app.evidence(_PACKAGE, "Node manifest"))
        spa = next((d for d, index in _SPA_TOOLS.items() if d in deps and app.has(index)), None)
        if spa is not None:
            return Claim(self.language, 2, _dep_evidence(app, spa) or app.evidence(_PACKAGE, "Node manifest"))
        # Asset tooling next to a Rails/Laravel/Django app lands here: only a manifest.
        return Claim(self.language, 1, app.evidence(_PACKAGE, "Node manifest"))

    def _pnpm_claim(self, app: AppDir) -> Claim | None:
        return Claim(self.language, 1, app.evidence("pnpm-workspace.yaml", "pnpm workspace")) if app.has("pnpm-workspace.yaml") else None

    def workspace_members(self, app: AppDir) -> list[str] | None:
        """npm/yarn/bun ``workspaces`` (a list or ``{packages: [...]}``) or pnpm-workspace.yaml ``packages``.

        ``!glob`` entries exclude; pnpm also never takes packages under ``test``/``tests`` folders.
        """
        patterns: list[Any] = []
        workspaces = _manifest(app).get("workspaces")
        if isinstance(workspaces, dict):
            workspaces = workspaces.get("packages")
        if isinstance(workspaces, list):
            patterns.extend(workspaces)
        pnpm = app.yaml("pnpm-workspace.yaml")
        if isinstance(pnpm, dict) and isinstance(pnpm.get("packages"), list):
            patterns.extend(pnpm["packages"] + list(_PNPM_IGNORED))
        members = [p for p in patterns if isinstance(p, str) and p.strip("!").strip()]
        return members if any(not p.startswith("!") for p in members) else None

    def workspace_root_is_app(self, app: AppDir, claim: Claim) -> bool:
        """A root package.json with a start script, a server or an SPA build is an app as well as the workspace.

        Not when its start script only starts the members (``turbo run start``, ``pnpm -r start``).
        """
        start = _section(_manifest(app), "scripts").get("start")
        return claim.strength == 2 and not (isinstance(start, str) and _DELEGATES.search(start))

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, package manager, dependencies, the framework, then start and build commands."""
        if app.has(_PACKAGE) and not isinstance(app.json(_PACKAGE), dict):
            found.warnings.append("package.json could not be read; the app's scripts and dependencies are unknown")
        _name(app, found)
        _runtime(app, found)
        _package_manager(app, found)
        _manifests(app, found)
        _collect_dependencies(app, found)
        self.run_frameworks(app, found)
        if not found.has("framework") and (_start_from_scripts(app, found) or _start_from_main(app, found)):
            _port(app, found, None, "")
            _node_http_server(app, found)
        if found.has("start_command"):
            _keep_alive(app, found)
        _build(app, found)
        _without_the_manager(app, found)
        _check_start_file(app, found)
        if not found.has("start_command") and found.details.get("static_output") is None and "start" in _scripts(app):
            found.warnings.append(f"scripts.start ({_scripts(app)['start']}) is not a plain node command; give a start command")


ECOSYSTEM = NodeEcosystem()

"""Where a router is mounted: the URL prefixes above a route, with evidence.

A health route is often declared on a router that the app mounts under a
prefix somewhere else: FastAPI's ``app.include_router(api_router,
prefix=settings.API_V1_STR)`` over ``APIRouter(prefix="/utils")``, a Flask
blueprint's ``url_prefix``, Django's ``path("api/", include("app.urls"))``,
Express's ``app.use("/api", router)``, gin/echo/fiber ``Group("/api")`` and
ASP.NET's ``MapGroup("/api")``. Given the file and the object a route is
declared on, :func:`prefix_of` walks up those mounts to the app.

Prefixes are resolved where that is simple and certain: string literals,
module-level string constants and the string default of a settings-class
attribute (pydantic-settings). Anything else makes the result unresolved, so
the caller never reports a path the app does not serve.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field

from migrate.inspect.detectors.base import AppDir
from migrate.inspect.prefilter import may_match
from migrate.profile import Evidence

#: How many mounts to follow up from a route (a cycle or a deep tree stops here).
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Mounts:
    """The prefixes above a route, outermost first, each with its evidence.

    ``unresolved`` is set when a prefix exists but is not a value inspection
    can compute (a function call, an environment read): then the full path is
    unknown.
    """

    prefixes: tuple[tuple[str, Evidence], ...] = ()
    unresolved: Evidence | None = None

    def path(self, route: str) -> str:
        """``route`` under every prefix, joined with single slashes."""
        return join_paths(*(p for p, _ in self.prefixes), route)


def join_paths(*parts: str) -> str:
    """URL path segments joined with one slash; a trailing slash of the last part is kept."""
    inner = [p.strip("/") for p in parts if p.strip("/")]
    trailing = bool(parts) and parts[-1].endswith("/") and bool(inner)
    return "/" + "/".join(inner) + ("/" if trailing else "")


def prefix_of(app: AppDir, path: str, receiver: str | None, call: str, at: int = 0) -> Mounts:
    """The mounts above the route declared at offset ``at`` of ``path`` on object ``receiver`` with ``call``."""
    if path.endswith(".py"):
        return _PythonApp(app).mounts(path, receiver, call)
    if path.endswith((".js", ".mjs", ".cjs", ".ts")):
        return _js_mounts(app, path, receiver)
    if path.endswith((".go", ".cs")) and receiver:
        text = app.tree.read_text(path) or ""
        blocks = _route_blocks(path, text, at) if path.endswith(".go") else ()
        return Mounts(blocks + _group_mounts(path, text, receiver).prefixes)
    return Mounts()


# --------------------------------------------------------------------------- Python


@dataclass
class _Module:
    """One parsed Python module: its imports, constants, routers and mounts."""

    name: str
    path: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)
    constants: dict[str, ast.expr] = field(default_factory=dict)
    #: router or application variable -> its own prefix expression (None: no prefix of its own)
    routers: dict[str, ast.expr | None] = field(default_factory=dict)
    #: (parent variable, child expression, prefix expression, line, replaces the child's own prefix)
    includes: list[tuple[str, ast.expr, ast.expr | None, int, bool]] = field(default_factory=list)


_PY_MOUNT_HINT = re.compile(r"include_router|register_blueprint|\binclude\(|APIRouter|Blueprint|FastAPI|Flask|mount\(")
#: Every mount call (``include_router``, ``register_blueprint``, ``mount``, Django's ``include``) holds one of these.
_PY_MOUNT_WORDS = ("include", "register_blueprint", "mount")
#: Classes of routers and applications -> the keyword that gives their own prefix.
_ROUTER_CLASSES = {"APIRouter": "prefix", "Blueprint": "url_prefix", "FastAPI": "", "Flask": "", "Starlette": "", "Router": "prefix"}


class _PythonApp:
    """The Python modules of an app that declare routers or mount them.

    A large app has thousands of router modules, and parsing each costs more
    than reading it: a module is parsed only when a mount search reaches it
    (the route's own module, a module whose name an import resolves to, or
    one whose text can hold a mount call), and the router-and-mount hint is
    tested only on those. The result is what parsing every hinted module up
    front gives.
    """

    def __init__(self, app: AppDir) -> None:
        self.app = app
        #: Module name -> the files that carry it (``x.py`` and ``x/__init__.py``), in walk order.
        self._files: dict[str, list[str]] = {}
        #: Module names whose text can hold a mount call: only they can have ``includes``.
        self._mounting: set[str] = set()
        #: Files indexed whatever their text says: the modules routes are declared in.
        self._forced: dict[str, list[str]] = {}
        self._parsed: dict[str, _Module | None] = {}
        #: Where the settings defaults used by the last resolved prefix were read.
        self.sources: list[str] = []
        for path in app.source_files((".py",)):
            name = _module_name(app.path, path)
            self._files.setdefault(name, []).append(path)
            text = app.tree.read_text(path) or ""
            for word in _PY_MOUNT_WORDS:  # a plain loop: any() over a generator costs more than the tests, per module
                if word in text:
                    self._mounting.add(name)
                    break

    def _hinted(self, path: str) -> bool:
        """Whether a module names a router class or a mount call (the others are never indexed)."""
        text = self.app.tree.read_text(path) or ""
        return bool(text) and may_match(_PY_MOUNT_HINT, text) and _PY_MOUNT_HINT.search(text) is not None

    def _get(self, name: str) -> _Module | None:
        """The parsed module ``name``: its last indexed file that parses (a later one replaces an earlier), or None."""
        if name not in self._parsed:
            paths = [p for p in self._files.get(name, ()) if self._hinted(p)] + self._forced.get(name, [])
            self._parsed[name] = next(filter(None, map(self._parse, reversed(paths))), None)
        return self._parsed[name]

    def _parse(self, path: str) -> _Module | None:
        try:
            tree = ast.parse(self.app.tree.read_text(path) or "", filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        module = _Module(_module_name(self.app.path, path), path, tree)
        _index_module(module)
        return module

    def mounts(self, path: str, receiver: str | None, call: str) -> Mounts:
        """Prefixes above ``receiver`` (``urlpatterns`` for Django's ``path()``) in ``path``."""
        name = _module_name(self.app.path, path)
        if self._get(name) is None:
            text = self.app.tree.read_text(path)
            if not text:
                return Mounts()
            self._forced.setdefault(name, []).append(path)
            for word in _PY_MOUNT_WORDS:  # a plain loop: any() over a generator costs more than the tests, per module
                if word in text:
                    self._mounting.add(name)
                    break
            self._parsed.pop(name, None)
            if self._get(name) is None:
                return Mounts()
        var = receiver or ("urlpatterns" if call in ("path", "re_path", "url") else None)
        if var is None:
            return Mounts()
        return self._walk(name, var)

    def _walk(self, module: str, var: str) -> Mounts:
        prefixes: list[tuple[str, Evidence]] = []
        seen: set[tuple[str, str]] = set()
        while (module, var) not in seen and len(seen) < _MAX_DEPTH:
            seen.add((module, var))
            mod = self._get(module)
            if mod is None:
                break
            own = mod.routers.get(var)
            edge = self._includer(module, var)
            # Flask: a url_prefix given at registration replaces the blueprint's own.
            if own is not None and not (edge and edge[1][4] and edge[1][2] is not None):
                value, source = self._resolved(mod, own)
                if value is None:
                    return Mounts(unresolved=Evidence(mod.path, own.lineno, f"the prefix of {var} is not a constant"))
                prefixes.append((value, Evidence(mod.path, own.lineno, f"{var} has prefix {value!r}{source}")))
            if edge is None:
                break
            parent, (parent_var, _child, prefix, line, _replaces) = edge
            if prefix is not None:
                value, source = self._resolved(parent, prefix)
                if value is None:
                    return Mounts(unresolved=Evidence(parent.path, line, f"the prefix {var} is mounted under is not a constant"))
                prefixes.append((value, Evidence(parent.path, line, f"{var} mounted under {value!r}{source}")))
            module, var = parent.name, parent_var
        return Mounts(tuple(reversed(prefixes)))

    def _includer(self, module: str, var: str) -> tuple[_Module, tuple[str, ast.expr, ast.expr | None, int, bool]] | None:
        """The first mount (in file order) whose child is ``var`` of ``module``."""
        # In the order the modules were indexed: by their files' walk order, the forced ones last.
        order = [n for n in self._files if n not in self._forced] + list(self._forced)
        for name in order:
            parent = self._get(name) if name in self._mounting else None
            if parent is None:
                continue
            for include in parent.includes:
                if self._target(parent, include[1]) == (module, var):
                    return parent, include
        return None

    def _target(self, mod: _Module, expr: ast.expr) -> tuple[str, str] | None:
        """The (module, variable) an included expression names, as far as imports tell."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):  # Django include("app.urls")
            found = self._module(expr.value)
            return (found, "urlpatterns") if found else None
        if isinstance(expr, ast.Name):
            imported = mod.imports.get(expr.id)
            if imported is None:
                return mod.name, expr.id
            as_module = self._module(imported)
            if as_module is not None:  # include(app_urls) after "from app import urls as app_urls"
                return as_module, "urlpatterns"
            owner, _, name = imported.rpartition(".")
            found = self._module(owner)
            return (found, name) if found else None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            imported = mod.imports.get(expr.value.id)
            found = self._module(imported) if imported else None
            return (found, expr.attr) if found else None
        return None

    def _module(self, dotted: str) -> str | None:
        """The indexed module that ``dotted`` names (the app folder may sit below the import root)."""
        if self._get(dotted) is not None:
            return dotted
        matches = sorted(n for n in self._files if n.endswith("." + dotted))
        return next((n for n in matches if self._get(n) is not None), None)

    def _resolved(self, mod: _Module, expr: ast.expr) -> tuple[str | None, str]:
        """A prefix's value and, when it came from a settings default, where (for the evidence)."""
        self.sources = []
        value = self._value(mod, expr)
        return value, "".join(f" ({s})" for s in self.sources)

    def _value(self, mod: _Module, expr: ast.expr, depth: int = 0) -> str | None:
        """A prefix expression's string value, or None when it is not a simple constant."""
        if depth > 4:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.JoinedStr):
            parts = [self._value(mod, v.value if isinstance(v, ast.FormattedValue) else v, depth + 1) for v in expr.values]
            return None if any(p is None for p in parts) else "".join(p for p in parts if p)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self._value(mod, expr.left, depth + 1), self._value(mod, expr.right, depth + 1)
            return left + right if left is not None and right is not None else None
        if isinstance(expr, ast.Name):
            return self._name_value(mod, expr.id, depth)
        if isinstance(expr, ast.Attribute):
            return self._settings_default(expr.attr)
        return None

    def _name_value(self, mod: _Module, name: str, depth: int) -> str | None:
        if name in mod.constants:
            return self._value(mod, mod.constants[name], depth + 1)
        imported = mod.imports.get(name)
        owner = self._module(imported.rpartition(".")[0]) if imported else None
        owner_module = self._get(owner) if imported and owner else None
        if imported and owner_module is not None and name in owner_module.constants:
            return self._value(owner_module, owner_module.constants[imported.rpartition(".")[2]], depth + 1)
        return None

    def _settings_default(self, attr: str) -> str | None:
        """The string default of a class attribute ``attr`` (``API_V1_STR: str = "/api/v1"``), if unique."""
        pattern = re.compile(rf"^[ \t]+{re.escape(attr)}[ \t]*(?::[^=\n]+)?=[ \t]*[rf]?([\"'])([^\"'\n{{}}]*)\1[ \t]*(?:#.*)?$", re.M)
        hits = [(p, line, m.group(2)) for p, line, m in self.app.grep((".py",), pattern)]
        if len({value for _p, _l, value in hits}) != 1:
            return None
        path, line, value = hits[0]
        self.sources.append(f"{attr} = {value!r} at {path}:{line}")
        return value


def _module_name(app_path: str, path: str) -> str:
    if app_path == ".":
        rel = path
    elif path.startswith(app_path + "/"):
        rel = path[len(app_path) + 1 :]  # relpath's own work (abspath of both) is wasted on a path below the app
    else:
        rel = posixpath.relpath(path, app_path)
    name = rel[: -len(".py")].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def _index_module(module: _Module) -> None:
    """Fill imports, module constants, router declarations and mounts from the module body."""
    package = module.name if module.path.endswith("__init__.py") else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.module, node.level)
            for alias in node.names:
                module.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                module.imports[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.Call):
            _index_call(module, node)
    for stmt in module.tree.body:
        target, value = _assignment(stmt)
        if target is None or value is None:
            continue
        cls = _callee(value.func) if isinstance(value, ast.Call) else None
        if isinstance(value, ast.Call) and cls in _ROUTER_CLASSES:
            module.routers[target] = _keyword(value, _ROUTER_CLASSES[cls])
        elif isinstance(value, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            module.constants[target] = value


def _index_call(module: _Module, node: ast.Call) -> None:
    """``X.include_router(child, prefix=...)``, ``X.register_blueprint(bp, url_prefix=...)``, Django include."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and node.args:
        if func.attr == "include_router":
            module.includes.append((func.value.id, node.args[0], _keyword(node, "prefix"), node.lineno, False))
        elif func.attr == "register_blueprint":
            # Flask: a url_prefix given at registration replaces the blueprint's own.
            module.includes.append((func.value.id, node.args[0], _keyword(node, "url_prefix"), node.lineno, True))
        elif func.attr == "mount" and len(node.args) >= 2:  # Starlette/FastAPI sub-application: app.mount("/v1", v1)
            module.includes.append((func.value.id, node.args[1], node.args[0], node.lineno, False))
    elif _callee(func) in ("path", "re_path") and len(node.args) >= 2:
        included = node.args[1]
        if isinstance(included, ast.Call) and _callee(included.func) == "include" and included.args:
            child = included.args[0]
            if isinstance(child, ast.Tuple) and child.elts:
                child = child.elts[0]
            prefix = node.args[0]
            if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str) and _callee(func) == "re_path":
                prefix = ast.Constant(prefix.value.lstrip("^").rstrip("$"), lineno=prefix.lineno)
            module.includes.append(("urlpatterns", child, prefix, node.lineno, False))


def _absolute(package: str, name: str | None, level: int) -> str:
    if level == 0:
        return name or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*base, *([name] if name else [])])


def _assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


# --------------------------------------------------------------------------- JavaScript

_JS_SUFFIXES = (".js", ".mjs", ".cjs", ".ts")
_JS_USE = re.compile(r"\b(\w+)\.use\(\s*([\"'`])([^\"'`]*)\2\s*,((?:[^()]|\([^()]*\))*)\)")
_JS_REQUIRE = re.compile(r"require\(\s*[\"'`]([^\"'`]+)[\"'`]\s*\)")


def _js_mounts(app: AppDir, path: str, receiver: str | None) -> Mounts:
    """Express-style ``X.use("/prefix", router)`` mounts above ``receiver`` of ``path``."""
    if receiver and re.search(rf"\b{re.escape(receiver)}\.listen\(", app.tree.read_text(path) or ""):
        return Mounts()  # the server itself: nothing mounts it, so no need to read every source file
    prefixes: list[tuple[str, Evidence]] = []
    current: tuple[str, str | None] = (path, receiver)
    seen: set[tuple[str, str | None]] = set()
    for _ in range(_MAX_DEPTH):
        if current in seen:
            break
        seen.add(current)
        mount = _js_mount_of(app, *current)
        if mount is None:
            break
        prefix, evidence, parent = mount
        prefixes.append((prefix, evidence))
        current = parent
    return Mounts(tuple(reversed(prefixes)))


def _js_mount_of(app: AppDir, path: str, receiver: str | None) -> tuple[str, Evidence, tuple[str, str | None]] | None:
    for file, line, match in app.grep(_JS_SUFFIXES, _JS_USE):
        child = match.group(4)
        required = _JS_REQUIRE.search(child)
        if required:
            hit = _js_resolve(app, file, required.group(1)) == path
        else:
            names = re.findall(r"[A-Za-z_$][\w$]*", child)
            if not names:
                continue
            name = names[-1]
            hit = (file == path and name == receiver) or (file != path and _js_import_of(app, file, name) == path)
        if hit:
            prefix = match.group(3)
            return prefix, Evidence(file, line, f"mounted under {prefix!r}"), (file, match.group(1))
    return None


def _js_import_of(app: AppDir, file: str, name: str) -> str | None:
    """The file that ``name`` is imported from in ``file`` (ES import or require), if relative."""
    text = app.tree.read_text(file) or ""
    n = re.escape(name)
    match = re.search(
        rf"import\s+(?:{n}|\{{[^}}]*\b{n}\b[^}}]*\}}|\*\s+as\s+{n})\s+from\s+[\"']([^\"']+)[\"']"
        rf"|\b{n}\s*=\s*require\(\s*[\"']([^\"']+)[\"']",
        text,
    )
    return _js_resolve(app, file, match.group(1) or match.group(2)) if match else None


def _js_resolve(app: AppDir, file: str, spec: str) -> str | None:
    if not spec.startswith("."):
        return None
    base = posixpath.normpath(posixpath.join(posixpath.dirname(file), spec))
    stem = re.sub(r"\.(js|mjs|cjs|ts)$", "", base)
    for candidate in (base, *(stem + s for s in _JS_SUFFIXES), *(f"{base}/index{s}" for s in _JS_SUFFIXES)):
        if app.tree.exists(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------- route groups

_GROUP = re.compile(r"\b(?:var\s+)?(\w+)\s*:?=\s*(\w+)\.(?:Group|MapGroup)\(\s*\"([^\"]*)\"")


def _group_mounts(path: str, text: str, receiver: str) -> Mounts:
    """gin/echo/fiber ``v1 := r.Group("/api/v1")`` and ASP.NET ``MapGroup``, in the route's own file."""
    groups = {m.group(1): m for m in _GROUP.finditer(text)}
    prefixes: list[tuple[str, Evidence]] = []
    current, seen = receiver, set[str]()
    while current in groups and current not in seen and len(seen) < _MAX_DEPTH:
        seen.add(current)
        match = groups[current]
        line = text.count("\n", 0, match.start()) + 1
        prefixes.append((match.group(3), Evidence(path, line, f"{current} is a group under {match.group(3)!r}")))
        current = match.group(2)
    return Mounts(tuple(reversed(prefixes)))


_CHI_ROUTE = re.compile(r"\.Route\(\s*\"([^\"]*)\"\s*,\s*func\s*\([^)]*\)\s*\{")


def _route_blocks(path: str, text: str, at: int) -> tuple[tuple[str, Evidence], ...]:
    """chi's ``r.Route("/api", func(r chi.Router) { ... })`` blocks around offset ``at``, outermost first."""
    prefixes: list[tuple[str, Evidence]] = []
    for match in _CHI_ROUTE.finditer(text, 0, at):
        if at < _block_end(text, match.end()):
            line = text.count("\n", 0, match.start()) + 1
            prefixes.append((match.group(1), Evidence(path, line, f"routes inside Route({match.group(1)!r})")))
    return tuple(prefixes)


def _block_end(text: str, start: int) -> int:
    """The offset of the brace closing the block opened just before ``start`` (string contents are not skipped)."""
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(text)

"""Python: pip, poetry, pipenv, uv, pdm, setuptools; Django, FastAPI, Starlette, Litestar, Quart, Flask, Streamlit, Celery.

Production servers: Django and Flask are served by gunicorn (WSGI), FastAPI,
Starlette and Litestar by uvicorn (ASGI), Quart by hypercorn (ASGI, by Quart's authors). When
the app lives in a ``src/`` layout the server is told where to import from:
gunicorn with ``--chdir src`` (it changes directory and puts it on ``sys.path``
before loading the app), uvicorn with ``--app-dir src`` (it only puts it on
``sys.path``; uvicorn has no ``--chdir``), hypercorn with the folder written
before the module (``src/api:app``: it puts the module's folder on ``sys.path``),
celery with ``--workdir src``.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from collections.abc import Iterator
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    Findings,
    FrameworkDetector,
    match_evidence,
)
from migrate.inspect.detectors.python_build import (
    declared_dependencies,
    native_dependencies,
    pdm_lock_check,
    pipenv_lock_check,
    pipenv_locked,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.inspect.tree import join
from migrate.inspect.workspaces import expand
from migrate.profile import Evidence
from migrate.shell import CommandLine, parse

Hit = tuple[str, int, re.Match[str]]

_LOCKFILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")
_MANIFESTS = ("pyproject.toml", "requirements.txt", "Pipfile", "setup.py", "setup.cfg", *_LOCKFILES)
#: Requirement files that hold the production dependencies, most specific first.
_REQUIREMENT_FILES = (
    "requirements.txt",
    "requirements/production.txt",
    "requirements/prod.txt",
    "requirements/main.txt",
    "requirements/base.txt",
    "requirements/common.txt",
    "requirements.in",
)
_NOT_RUNTIME_REQUIREMENTS = re.compile(r"dev|test|lint|doc|ci|local")
_KNOWN_MINORS = tuple(f"3.{m}" for m in range(8, 15))
#: Dependencies that make a folder a runnable app rather than a library.
_FRAMEWORK_DEPS = ("django", "fastapi", "flask", "quart", "streamlit", "celery", "starlette", "litestar", "gunicorn", "uvicorn", "hypercorn")
#: Extras that pull in a package later stages care about (a server, a database driver).
_IMPLIED_BY_EXTRA: dict[str, dict[str, tuple[str, ...]]] = {
    "fastapi": {"standard": ("uvicorn",), "all": ("uvicorn",)},
    "litestar": {"standard": ("uvicorn",), "full": ("uvicorn",)},
    "celery": {"redis": ("redis",), "mongodb": ("pymongo",)},
    # psycopg 3 is pure Python unless an extra brings its compiled (c) or bundled-libpq (binary) build.
    "psycopg": {"binary": ("psycopg-binary",), "c": ("psycopg-c",)},
    "sqlalchemy": {
        "postgresql": ("psycopg2",),
        "postgresql-psycopg": ("psycopg",),
        "postgresql-asyncpg": ("asyncpg",),
        "mysql": ("mysqlclient",),
        "pymysql": ("pymysql",),
    },
}
_PY = (".py",)
_TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_test|conftest|tests)\.py$")


def _get(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` through dicts only; None as soon as a level is missing or not a dict."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _pyproject(app: AppDir) -> dict[str, Any]:
    return app.toml("pyproject.toml") or {}


def _line(app: AppDir, file: str, anchor: str | None, pattern: str) -> int | None:
    """The line of the first ``pattern`` match after the first ``anchor`` match (a TOML table, a keyword)."""
    text = app.read(file)
    if text is None:
        return None
    start = re.search(anchor, text, re.MULTILINE) if anchor else None
    if anchor and start is None:
        return None
    match = re.compile(pattern, re.MULTILINE).search(text, start.end() if start else 0)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def _rel_to_app(app: AppDir, path: str) -> str:
    return path[len(app.path) + 1 :] if app.path != "." else path


# ---------------------------------------------------------------- name and runtime
def _name(app: AppDir, found: Findings) -> None:
    data = _pyproject(app)
    for table in ("project", "tool.poetry"):
        name = _get(data, *table.split("."), "name")
        if isinstance(name, str) and name:
            line = _line(app, "pyproject.toml", rf"^\[{re.escape(table)}\]", r"^\s*name\s*=")
            found.name = (name, Evidence(app.rel("pyproject.toml"), line, "project name"))
            return


_VERSION = r"(\d+\.\d+(?:\.\d+)?)"
#: Files that pin the interpreter, in order of precedence, and how each spells a CPython version.
_VERSION_FILES = (
    (".python-version", re.compile(rf"^[ \t]*(?:cpython-|python-?)?{_VERSION}[ \t]*$", re.MULTILINE)),
    ("runtime.txt", re.compile(rf"^[ \t]*python-{_VERSION}[ \t]*$", re.MULTILINE)),
    (".tool-versions", re.compile(rf"^[ \t]*python[ \t]+{_VERSION}\b", re.MULTILINE)),
)


def _runtime(app: AppDir, found: Findings) -> None:
    """The Python version: a version file, then a project constraint, then the default."""
    for source in (_version_file, _requires_python, _poetry_python, _pipfile_python):
        result = source(app, found)
        if result is not None:
            found.set("runtime_version", result[0], result[1])
            return
    default = DEFAULT_RUNTIME["python"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no Python version pinned; using {default}"), default=True)


def _version_file(app: AppDir, found: Findings) -> tuple[str, Evidence] | None:
    for name, pattern in _VERSION_FILES:
        text = app.read(name)
        if text is None:
            continue
        match = pattern.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            return match.group(1), Evidence(app.rel(name), line, f"pins Python {match.group(1)}")
        if name != ".tool-versions":  # .tool-versions pins other tools too; elsewhere it is a wrong pin
            found.warnings.append(f"{app.rel(name)} does not pin a CPython version (like 3.12); ignored")
    return None


def _requires_python(app: AppDir, found: Findings) -> tuple[str, Evidence] | None:
    spec = _get(_pyproject(app), "project", "requires-python")
    if not isinstance(spec, str):
        return None
    line = _line(app, "pyproject.toml", None, r"^\s*requires-python\s*=")
    return _from_constraint(app, found, [spec], f"requires-python {spec!r}", Evidence(app.rel("pyproject.toml"), line, ""))


def _poetry_python(app: AppDir, found: Findings) -> tuple[str, Evidence] | None:
    spec = _get(_pyproject(app), "tool", "poetry", "dependencies", "python")
    if not isinstance(spec, str):
        return None
    line = _line(app, "pyproject.toml", r"^\[tool\.poetry\.dependencies\]", r"^\s*python\s*=")
    where = Evidence(app.rel("pyproject.toml"), line, "")
    return _from_constraint(app, found, _poetry_spec(spec), f"poetry python {spec!r}", where)


def _pipfile_python(app: AppDir, found: Findings) -> tuple[str, Evidence] | None:
    requires = _get(app.toml("Pipfile"), "requires")
    for key in ("python_full_version", "python_version"):
        pinned = _get(requires, key)
        if isinstance(pinned, str) and re.fullmatch(_VERSION, pinned.strip()):
            line = _line(app, "Pipfile", r"^\[requires\]", rf"^\s*{key}\s*=")
            return pinned.strip(), Evidence(app.rel("Pipfile"), line, f"{key} {pinned!r}")
    return None


def _from_constraint(
    app: AppDir, found: Findings, specs: list[str], what: str, where: Evidence
) -> tuple[str, Evidence] | None:
    """The version a constraint selects: the default Python if it allows it, else its newest known minor."""
    allowed = _specifier_sets(specs)
    version = _pick_minor(allowed)
    if version is None:
        problem = "is not a valid version constraint" if not allowed else "allows no known Python 3 version"
        found.warnings.append(f"{where.path}: {what} {problem}; ignored")
        return None
    how = "allows the default" if version == DEFAULT_RUNTIME["python"] else "newest version it allows is"
    return version, Evidence(where.path, where.line, f"{what}: {how} {version}")


def _poetry_spec(spec: str) -> list[str]:
    """Poetry's constraint syntax as PEP 440 specifiers, one per ``||`` alternative."""
    return [_poetry_alternative(alt) for alt in spec.split("||")]


def _poetry_alternative(alternative: str) -> str:
    # ">= 3.9, < 4" and ">=3.9 <4" both mean an intersection: glue operators to versions, then split.
    glued = re.sub(r"([<>=!~^]=?)\s+", r"\1", alternative.strip())
    return ",".join(t for t in (_poetry_term(term) for term in re.split(r"[,\s]+", glued) if term) if t)


def _poetry_term(term: str) -> str:
    caret = re.fullmatch(r"\^(\d+)(?:\.(\d+))?(?:\.\d+)?", term)
    if caret:
        return f">={term[1:]},<{int(caret.group(1)) + 1}"
    tilde = re.fullmatch(r"~(\d+)(?:\.(\d+))?(?:\.\d+)?", term)
    if tilde:
        major, minor = int(tilde.group(1)), tilde.group(2)
        upper = f"{major}.{int(minor) + 1}" if minor is not None else f"{major + 1}"
        return f">={term[1:]},<{upper}"
    if term == "*":
        return ""
    if re.fullmatch(r"\d+(?:\.\d+)*(?:\.\*)?", term):
        return f"=={term.removesuffix('.*')}.*"  # Poetry's bare "3.11" and "3.11.*" mean that release line
    return term


def _specifier_sets(specs: list[str]) -> list[SpecifierSet]:
    allowed: list[SpecifierSet] = []
    for spec in specs:
        try:
            allowed.append(SpecifierSet(spec))
        except InvalidSpecifier:
            continue
    return allowed


def _pick_minor(allowed: list[SpecifierSet]) -> str | None:
    """The default Python if any of ``allowed`` contains it, else the newest known minor one contains."""

    def ok(minor: str) -> bool:
        # Some release of the line will do: ">=3.10.2" allows 3.10.
        return any(s.contains(f"{minor}.{patch}") for s in allowed for patch in range(30))

    default = DEFAULT_RUNTIME["python"]
    if ok(default):
        return default
    matching = [v for v in _KNOWN_MINORS if ok(v)]
    return matching[-1] if matching else None


# ---------------------------------------------------------------- package manager
#: (manager, file that proves it, reason, [tool.X] table it needs in pyproject.toml, install command)
_MANAGERS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("uv", "uv.lock", "uv lockfile", None, "uv sync --frozen --no-dev"),
    ("poetry", "poetry.lock", "poetry lockfile", None, "poetry install --only main --no-root"),
    ("pdm", "pdm.lock", "pdm lockfile", None, "pdm install --prod --frozen-lockfile"),
    ("pipenv", "Pipfile.lock", "pipenv lockfile", None, "pipenv install --deploy"),
    ("pipenv", "Pipfile", "Pipfile without a lockfile", None, "pipenv install"),
    ("poetry", "pyproject.toml", "[tool.poetry] table, no lockfile", "poetry", "poetry install --only main --no-root"),
    ("pdm", "pyproject.toml", "[tool.pdm] table, no lockfile", "pdm", "pdm install --prod"),
    ("uv", "pyproject.toml", "[tool.uv] table, no lockfile", "uv", "uv sync --no-dev"),
)


def _package_manager(app: AppDir, found: Findings) -> None:
    data = _pyproject(app)
    if _uv_workspace_member(app, found):
        return
    for manager, file, reason, tool, install in _MANAGERS:
        if app.has(file) and (tool is None or _get(data, "tool", tool) is not None):
            found.set("package_manager", manager, app.evidence(file, reason, rf"^\[tool\.{tool}\b" if tool else None))
            found.detail("install_command", install)
            return
    requirements = _requirements_file(app)
    if requirements is not None:
        found.set("package_manager", "pip", app.evidence(requirements, "pip requirements file"))
        found.detail("requirements_file", requirements)
        found.detail("install_command", f"pip install -r {requirements}")
        return
    _installable_project(app, found, data)


#: Files each manager installs from, copied into the image before the source (layer caching).
_MANIFEST_FILES: dict[str, tuple[str, ...]] = {
    "uv": ("pyproject.toml", "uv.lock"),
    "poetry": ("pyproject.toml", "poetry.lock"),
    "pdm": ("pyproject.toml", "pdm.lock"),
    "pipenv": ("Pipfile", "Pipfile.lock"),
}
#: ``[project.optional-dependencies]`` extras that hold development tools, most usual first.
_DEV_EXTRAS = ("dev", "develop", "development", "test", "tests")
_DEV_REQUIREMENTS = ("requirements-dev.txt", "requirements_dev.txt", "dev-requirements.txt", "requirements/dev.txt", "requirements/development.txt", "requirements/test.txt", "requirements-test.txt")


def _uv_workspace_member(app: AppDir, found: Findings) -> bool:
    """A member of a uv workspace installs from the workspace's one ``uv.lock``, at its root."""
    root = app.workspace_root
    if root is None or root == app.path or not app.tree.exists(join(root, "uv.lock")):
        return False
    found.set("package_manager", "uv", Evidence(join(root, "uv.lock"), None, f"lockfile of the uv workspace at {root}"))
    found.detail("install_command", "uv sync --frozen --no-dev")
    name = _get(_pyproject(app), "project", "name")
    found.detail("uv_package", name if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9._-]+", name) else None)
    found.detail("uv_workspace", "member")
    return True


def _uv_workspace_sources(app: AppDir, found: Findings) -> None:
    """Workspace siblings the app depends on (``[tool.uv.sources] x = { workspace = true }``): installed from source."""
    sources = _get(_pyproject(app), "tool", "uv", "sources")
    names = sorted(k for k, v in sources.items() if isinstance(v, dict) and v.get("workspace") is True) if isinstance(sources, dict) else []
    if names and found.details.get("uv_workspace"):
        found.detail("uv_workspace_sources", " ".join(names))


def _uv_workspace_manifests(app: AppDir, root: str) -> list[str]:
    """The workspace's pyproject.toml files and its uv.lock, app-relative: uv reads every member's to sync one."""
    patterns = ECOSYSTEM.workspace_members(AppDir(app.tree, root)) or []
    members = [m for m in expand(app.tree, root, patterns) if app.tree.exists(join(m, "pyproject.toml"))]
    paths = [join(root, "pyproject.toml"), join(root, "uv.lock"), *(join(m, "pyproject.toml") for m in members if m != root)]
    return [posixpath.relpath(p, app.path) for p in paths]


def _manifests(app: AppDir, found: Findings) -> None:
    """Record the dependency manifests (``manifests``) and a dev requirements file, if any."""
    manager = found.get("package_manager")
    if manager == "uv" and app.workspace_root not in (None, app.path):
        files = _uv_workspace_manifests(app, app.workspace_root or ".")
    elif manager == "uv" and ECOSYSTEM.workspace_members(app):
        files = _uv_workspace_manifests(app, app.path)
        found.detail("uv_workspace", "root")
    elif manager in _MANIFEST_FILES:
        files = [f for f in _MANIFEST_FILES[manager] if app.has(f)]
    elif manager == "pip" and found.details.get("requirements_file"):
        files = sorted(n for n in app.files() if n.startswith("requirements") and n.endswith((".txt", ".in")))
        files += [f"requirements/{n}" for n in app.files("requirements") if n.endswith((".txt", ".in"))]
    elif found.details.get("install_command") == "pip install .":
        files = declared_dependencies(app, found)  # the project itself installs from its source
    else:
        files = []
    files = [f for f in files if not re.search(r"\s", f)]  # the detail is space-separated
    if files:
        found.detail("manifests", " ".join(files))
    dev = next((f for f in _DEV_REQUIREMENTS if app.has(f)), None)
    found.detail("dev_requirements_file", dev)
    extras = _get(_pyproject(app), "project", "optional-dependencies")
    if isinstance(extras, dict):
        found.detail("dev_extra", next((e for e in _DEV_EXTRAS if e in extras), None))


def _installable_project(app: AppDir, found: Findings, data: dict[str, Any]) -> None:
    """setup.py / setup.cfg, or a pyproject.toml with no tool's table: ``pip install .``."""
    for file in ("setup.py", "setup.cfg", "pyproject.toml"):
        if not app.has(file):
            continue
        backend = _get(data, "build-system", "build-backend")
        uses_setuptools = file != "pyproject.toml" or not isinstance(backend, str) or backend.startswith("setuptools")
        manager = "setuptools" if uses_setuptools else "pip"
        why = "setuptools project, no lockfile" if uses_setuptools else f"installable project ({backend}), no lockfile"
        found.set("package_manager", manager, app.evidence(file, why))
        found.detail("install_command", "pip install .")
        return


def _requirements_file(app: AppDir) -> str | None:
    for name in _REQUIREMENT_FILES:
        if app.has(name):
            return name
    others = [n for n in app.glob("requirements*.txt") if not _NOT_RUNTIME_REQUIREMENTS.search(n.lower())]
    return others[0] if others else None


# ---------------------------------------------------------------- dependencies
def _collect_dependencies(app: AppDir, found: Findings) -> None:
    """Runtime dependencies from every manifest (dev groups and extras are not runtime)."""
    requirements = _requirements_file(app)
    if requirements is not None:
        _requirements(app, requirements, found, seen=set())
    data = _pyproject(app)
    dependencies = _get(data, "project", "dependencies")
    if isinstance(dependencies, list):
        for spec in dependencies:
            _add_requirement(app, "pyproject.toml", spec, found, r"^\s*dependencies\s*=")
    _poetry_dependencies(app, _get(data, "tool", "poetry", "dependencies"), found)
    _table_dependencies(app, "Pipfile", _get(app.toml("Pipfile"), "packages"), r"^\[packages\]", found)
    _setup_dependencies(app, found)


def _requirements(app: AppDir, name: str, found: Findings, seen: set[str]) -> None:
    """One requirements file, following ``-r`` includes (relative to the including file)."""
    text = app.read(name)
    if text is None or name in seen:
        return
    seen.add(name)
    folder = name.rpartition("/")[0]
    for number, line in _logical_lines(text):
        include = re.match(r"^(?:-r|--requirement)[=\s]*(\S+)", line)
        if include:
            target = _normalise(f"{folder}/{include.group(1)}" if folder else include.group(1))
            if target is not None:
                _requirements(app, target, found, seen)
        elif not line.startswith("-"):
            _add_parsed(app, name, line.split(" --")[0], found, number)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """``(first line number, line)`` with comments dropped and ``\\`` continuations joined (pip-compile output)."""
    result: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            result.append((start, line))
    return result


def _normalise(path: str) -> str | None:
    """``a/./b/../c`` as ``a/c``; None when the path leaves the app folder."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _add_parsed(app: AppDir, file: str, spec: str, found: Findings, line: int | None) -> None:
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        return  # URLs, editable installs, options: nothing to learn about services
    _add_dep(found, requirement.name, requirement.extras, Evidence(app.rel(file), line, f"requires {requirement.name}"))


def _add_requirement(app: AppDir, file: str, spec: Any, found: Findings, anchor: str) -> None:
    """A PEP 508 string from a TOML list; its line is looked up after ``anchor``."""
    if not isinstance(spec, str):
        return
    try:
        name = Requirement(spec).name
    except InvalidRequirement:
        return
    _add_parsed(app, file, spec, found, _dep_line(app, file, anchor, name))


def _poetry_dependencies(app: AppDir, table: Any, found: Findings) -> None:
    if not isinstance(table, dict):
        return
    anchor = r"^\[tool\.poetry\.dependencies\]"
    runtime = {k: v for k, v in table.items() if k.lower() != "python" and not _get(v, "optional")}
    _table_dependencies(app, "pyproject.toml", runtime, anchor, found)


def _table_dependencies(app: AppDir, file: str, table: Any, anchor: str, found: Findings) -> None:
    """``name = "spec"`` or ``name = {version = ..., extras = [...]}`` tables (Poetry, Pipfile)."""
    if not isinstance(table, dict):
        return
    for name, value in table.items():
        extras = _get(value, "extras")
        extras_set = {e for e in extras if isinstance(e, str)} if isinstance(extras, list) else set()
        evidence = Evidence(app.rel(file), _dep_line(app, file, anchor, name), f"requires {name}")
        _add_dep(found, name, extras_set, evidence)


def _setup_dependencies(app: AppDir, found: Findings) -> None:
    """``install_requires`` in setup.py (a list literal) or setup.cfg (an indented block)."""
    text = app.read("setup.py") or ""
    block = re.search(r"install_requires\s*=\s*\[(.*?)\]", text, re.DOTALL)
    for spec in re.findall(r"[\"']([^\"']+)[\"']", block.group(1)) if block else []:
        _add_requirement(app, "setup.py", spec, found, r"install_requires")
    text = app.read("setup.cfg") or ""
    block = re.search(r"^install_requires\s*=[ \t]*(.*?)(?=^\S|\Z)", text, re.DOTALL | re.MULTILINE)
    for spec in block.group(1).splitlines() if block else []:
        if spec.strip() and not spec.strip().startswith("#"):
            _add_requirement(app, "setup.cfg", spec.strip(), found, r"^install_requires\s*=")


def _dep_line(app: AppDir, file: str, anchor: str, name: str) -> int | None:
    """The line naming dependency ``name`` after ``anchor``: at a line start, else quoted anywhere."""
    escaped = re.escape(name)
    return _line(app, file, anchor, rf"(?i)^[ \t]*[\"']?{escaped}(?![\w.-])") or _line(
        app, file, anchor, rf"(?i)[\"']{escaped}(?![\w.-])"
    )


def _add_dep(found: Findings, name: str, extras: set[str], evidence: Evidence) -> None:
    canonical = canonicalize_name(name)
    found.add_dep(canonical, evidence)
    for extra in sorted(extras):
        for implied in _IMPLIED_BY_EXTRA.get(canonical, {}).get(canonicalize_name(extra), ()):
            reason = f"requires {name}[{extra}], which installs {implied}"
            found.add_dep(implied, Evidence(evidence.path, evidence.line, reason))


# ---------------------------------------------------------------- code search
def _literal_names(expression: str) -> list[str] | None:
    """The names of a list or tuple of string literals (``["a.example", "b.example"]``), else None."""
    code = "\n".join(re.sub(r"#[^'\"\n]*$", "", line) for line in expression.splitlines())  # comments
    try:
        value = ast.literal_eval(code.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


#: The modules written for a WSGI server to import, where they exist (``gunicorn wsgi:app``).
_ENTRY_MODULES = ("wsgi.py", "src/wsgi.py")


def _find_in(app: AppDir, paths: tuple[str, ...], pattern: re.Pattern[str]) -> Hit | None:
    """The first match of ``pattern`` in the first of the app's ``paths`` (relative to it) that has one."""
    for path in paths:
        text = (app.read(path) if app.has(path) else None) or ""
        match = pattern.search(text)
        if match is not None:
            return app.rel(path), text.count("\n", 0, match.start()) + 1, match
    return None


def _find(app: AppDir, pattern: re.Pattern[str]) -> Hit | None:
    """The first match of ``pattern`` in the app's Python files, test files excluded."""
    return next((h for h in app.grep(_PY, pattern) if not _TEST_FILE.search(_rel_to_app(app, h[0]))), None)


def _is_django_manage(app: AppDir, path: str) -> bool:
    """Whether ``path`` is Django's manage.py: other projects name their command-line script manage.py too
    (Flask's ``FlaskGroup``, Flask-Script), and Django's always names Django (its settings, its management)."""
    return app.has(path) and "django" in (app.read(path) or "").lower()


def _import_root(app: AppDir, path: str, base: str | None = None) -> tuple[str, str]:
    """``(dotted module, folder to import from)`` of a tree-relative ``.py`` path.

    The folder is ``base`` when given (Django: where manage.py is), else ``src`` for a
    ``src/`` layout, else the app folder (``""``).
    """
    rel = _rel_to_app(app, path)
    if base is None:
        base = "src" if rel.startswith("src/") else ""
    if base and rel.startswith(base + "/"):
        rel = rel[len(base) + 1 :]
    return rel.removesuffix(".py").removesuffix("/__init__").replace("/", "."), base


def _needs(found: Findings, dependency: str, why: str) -> None:
    if dependency not in found.deps:
        found.warnings.append(f"{dependency} is not a dependency; add it ({why})")
        found.detail("extra_dependency", dependency)


def _server_from_extra(app: AppDir, found: Findings) -> None:
    """A production server the project lists in one of its own extras (``[project.optional-dependencies]
    prod = ["gunicorn"]``): the image installs the project with that extra (``install_extra``), at the
    project's own pin, rather than adding the server itself."""
    start = found.get("start_command")
    program = parse(start).program if isinstance(start, str) else None
    command = canonicalize_name(program) if program else None
    # The server added for the start command we chose, or the one a Procfile's command runs.
    server = found.details.get("extra_dependency") or (command if command and command not in found.deps else None)
    extras = _get(_pyproject(app), "project", "optional-dependencies")
    if not server or found.details.get("install_command") != "pip install ." or not isinstance(extras, dict):
        return
    for extra, specs in extras.items():
        names = {_requirement_name(s) for s in specs} if isinstance(specs, list) and extra not in _DEV_EXTRAS else set()
        if server in names and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", extra):
            found.details.pop("extra_dependency", None)
            found.details["install_extra"] = extra
            found.warnings[:] = [w for w in found.warnings if not w.startswith(f"{server} is not a dependency;")]
            found.add_dep(server, app.evidence("pyproject.toml", f"requires {server} in extra {extra!r}", rf"^\s*{re.escape(extra)}\s*="))
            return


def _requirement_name(spec: object) -> str | None:
    try:
        return canonicalize_name(Requirement(spec).name) if isinstance(spec, str) else None
    except InvalidRequirement:
        return None


def _serve(found: Findings, command: str, evidence: Evidence, server: str, why_port: str) -> None:
    """Set a production start command; the port is the one it binds (8000), with the reason why."""
    if not found.set("start_command", command, evidence):
        return  # a Procfile said how to start it: its command and port stand
    _needs(found, server, "the production server in the start command")
    reason = f"the start command binds {server} to port 8000 ({why_port})"
    found.set("port", 8000, Evidence(evidence.path, evidence.line, reason), default=True)


_CELERY_APP = re.compile(r"^(\w+)\s*(?::\s*[\w.]+\s*)?=\s*(?:celery\.)?Celery\(", re.MULTILINE)
_BEAT = re.compile(r"\bbeat_schedule\b|^CELERY_BEAT_SCHEDULE\s*=", re.MULTILINE)


def _celery_command(app: AppDir, hit: Hit, role: str, base: str | None) -> str:
    module, base = _import_root(app, hit[0], base)
    # "proj/celery.py" is found by "-A proj" (Celery looks in proj.celery), the form Django documents.
    module = module.removesuffix(".celery") or module
    workdir = f" --workdir {base}" if base else ""
    return f"celery{workdir} -A {module} {role} --loglevel=INFO"


def _celery_processes(app: AppDir, found: Findings, base: str | None = None) -> Hit | None:
    """A ``worker`` process (and ``beat`` when a schedule is defined) next to a web app."""
    if "celery" not in found.deps:
        return None
    hit = _find(app, _CELERY_APP)
    if hit is None:
        found.warnings.append("celery is a dependency but no Celery() app object was found; no worker process")
        return None
    found.add_process("worker", _celery_command(app, hit, "worker", base), match_evidence(hit, "Celery app object"))
    beat = _find(app, _BEAT)
    if beat is not None:
        found.add_process("beat", _celery_command(app, hit, "beat", base), match_evidence(beat, "periodic task schedule"))
    return hit


# ---------------------------------------------------------------- frameworks
class DjangoDetector(FrameworkDetector):
    """Django: gunicorn on the WSGI module (uvicorn on the ASGI one with Channels), migrate on release."""

    name = "django"
    _SETTINGS = re.compile(r"DJANGO_SETTINGS_MODULE[\"']\s*,\s*[\"']([\w.]+)[\"']")
    _WSGI = re.compile(r"^WSGI_APPLICATION\s*=\s*[\"']([\w.]+)\.application[\"']", re.MULTILINE)
    _ASGI = re.compile(r"^ASGI_APPLICATION\s*=\s*[\"']([\w.]+)\.application[\"']", re.MULTILINE)
    _WSGI_FILE = re.compile(r"^application\s*=\s*get_wsgi_application\(", re.MULTILINE)
    _STATIC_ROOT = re.compile(r"^STATIC_ROOT\s*=\s*(?!None\b)\S", re.MULTILINE)
    #: Names of production settings modules beside a development default, most common first.
    _PRODUCTION = ("production", "prod")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on a ``django`` dependency or a ``manage.py``; find the WSGI module and manage.py."""
        manage = self._manage_py(app)
        evidence = found.dep("django") or (app.evidence(manage, "Django manage.py") if manage else None)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        # Django puts manage.py's folder on sys.path: modules are relative to it.
        base = manage.rpartition("/")[0] if manage else None
        self._settings(app, found, manage)
        self._allowed_hosts(app, found)
        if not self._asgi(app, found, base):
            self._wsgi(app, found, manage, base)
        if manage is not None:
            self._manage_commands(app, found, manage)
        _celery_processes(app, found, base)
        return True

    def _manage_py(self, app: AppDir) -> str | None:
        """Django's manage.py in the app folder, its ``src/``, or one folder down (``backend/manage.py``)."""
        candidates = ["manage.py", "src/manage.py"] + [f"{d}/manage.py" for d in app.dirs()]
        return next((c for c in candidates if _is_django_manage(app, c)), None)

    def _settings(self, app: AppDir, found: Findings, manage: str | None) -> None:
        """The settings module the image runs: manage.py's default, unless that is a development one.

        ``startproject`` layouts split into ``settings/{base,dev,production}.py`` often default
        to the development module (DEBUG on); a production module beside it runs in the image.
        """
        match = self._SETTINGS.search(app.read(manage) or "") if manage else None
        if manage is None or match is None:
            return
        module = match.group(1)
        package, _, leaf = module.rpartition(".")
        folder = "/".join(p for p in (manage.rpartition("/")[0], package.replace(".", "/")) if p)
        production = next((p for p in self._PRODUCTION if app.has(f"{folder}/{p}.py")), None)
        if not package or leaf in self._PRODUCTION or production is None:
            found.detail("django_settings_module", module)
            return
        found.detail("django_settings_module", f"{package}.{production}")
        found.detail("django_dev_settings_module", module)
        found.warnings.append(
            f"{app.rel(manage)} defaults to the settings module {module}; the image runs "
            f"{package}.{production} ({app.rel(f'{folder}/{production}.py')}), the dev target keeps {module}"
        )

    # ALLOWED_HOSTS = os.environ.get("X", "localhost").split(",") / env.list("X") / config("X", cast=Csv()):
    # the assignment and its indented continuation lines, then the variable it reads.
    # Indented too (an assignment under an if), its continuation lines indented further than it.
    _ALLOWED_HOSTS = re.compile(r"^([ \t]*)ALLOWED_HOSTS\s*=\s*(.*(?:\n\1[ \t)\]].*)*)", re.MULTILINE)
    _ENV_READ = re.compile(r"(?:\benviron\.get|\bgetenv|\benv\.list|\benv|\bconfig)\(\s*[\"']([A-Za-z_]\w*)[\"']"
                           r"|\benviron\[\s*[\"']([A-Za-z_]\w*)[\"']\s*\]")
    _SPLIT = re.compile(r"\.split\(\s*(?:([\"'])(.+?)\1)?\s*\)")

    def _allowed_hosts(self, app: AppDir, found: Findings) -> None:
        """Where ALLOWED_HOSTS comes from: the variable it is read from (and how its names are separated), or a fixed list.

        Django answers 400 to a request whose Host it does not allow, and behind a load balancer every
        request names the balancer (or the site's domain): deploy sets that variable to them, or warns
        that a fixed list without ``*`` cannot admit them. The settings module the image runs decides
        when several files assign ALLOWED_HOSTS.
        """
        runs = (found.details.get("django_settings_module") or "").replace(".", "/") + ".py"
        hits = sorted(self._hosts_assignments(app), key=lambda hit: not hit[0].endswith(runs))
        if not hits:
            return
        path, line, variable, separator = hits[0]
        if variable is not None:
            found.detail("allowed_hosts_env", f"{variable} {path}:{line}")
            found.detail("allowed_hosts_separator", separator)
        elif separator != "*":
            found.detail("allowed_hosts_fixed", f"{path}:{line}")

    def _hosts_assignments(self, app: AppDir) -> Iterator[tuple[str, int, str | None, str]]:
        """``(path, line, variable, separator)`` of each ALLOWED_HOSTS assignment that reads a variable, and
        ``(path, line, None, "" or "*")`` of each fixed list of names (``*``: it admits every name)."""
        for path, line, match in app.grep(_PY, self._ALLOWED_HOSTS):
            if _TEST_FILE.search(_rel_to_app(app, path)):
                continue
            expression = match.group(2)
            read = self._ENV_READ.search(expression) or self._read_through(app.tree.read_text(path) or "", match.start(), expression)
            if read is None:
                names = _literal_names(expression)
                if names is not None:
                    yield path, line, None, "*" if "*" in names else ""
                continue
            split = self._SPLIT.search(expression)
            # env.list and decouple's Csv split on commas; str.split() with no argument on whitespace.
            separator = "," if split is None else split.group(2) or " "
            yield path, line, read.group(1) or read.group(2), separator

    _VARIABLE = re.compile(r"([A-Za-z_]\w*)\s*(?:\.split\(|$)")

    def _read_through(self, text: str, before: int, expression: str) -> re.Match[str] | None:
        """The variable read of ``ALLOWED_HOSTS = v.split(",")`` when ``v`` was assigned one above it
        (``if v := os.getenv("ALLOWED_HOSTS"):``, seen in healthchecks/healthchecks; ``v = env("X")``)."""
        name = self._VARIABLE.match(expression.strip())
        if name is None:
            return None
        assigned = re.compile(rf"\b{re.escape(name.group(1))}\s*:?=\s*(.*)")
        last = None
        for found in assigned.finditer(text, 0, before):
            last = found
        return self._ENV_READ.search(last.group(1)) if last is not None else None

    def _wsgi(self, app: AppDir, found: Findings, manage: str | None, base: str | None) -> None:
        located = self._wsgi_module(app, manage, base)
        if located is None:
            found.warnings.append("could not find the Django WSGI module (WSGI_APPLICATION or a wsgi.py)")
            return
        module, base, evidence = located
        chdir = f" --chdir {base}" if base else ""
        command = f"gunicorn {module}:application --bind 0.0.0.0:8000{chdir}"
        _serve(found, command, evidence, "gunicorn", "gunicorn's default port, and Django's runserver default")
        found.detail("wsgi_module", module)

    def _wsgi_module(self, app: AppDir, manage: str | None, base: str | None) -> tuple[str, str, Evidence] | None:
        """``(module, import folder, evidence)``: WSGI_APPLICATION, else a wsgi.py, else beside the settings."""
        hit = _find(app, self._WSGI)
        if hit is not None:
            return hit[2].group(1), _import_root(app, hit[0], base)[1], match_evidence(hit, "WSGI_APPLICATION")
        hit = _find(app, self._WSGI_FILE)
        if hit is not None:
            module, root = _import_root(app, hit[0], base)
            return module, root, match_evidence(hit, "WSGI application module")
        match = self._SETTINGS.search(app.read(manage) or "") if manage else None
        if manage is None or match is None:
            return None
        line = app.tree.line_of(app.rel(manage), self._SETTINGS)
        module = match.group(1).split(".")[0] + ".wsgi"
        why = f"settings module {match.group(1)}; startproject puts wsgi.py beside it"
        return module, base or "", Evidence(app.rel(manage), line, why)

    def _asgi(self, app: AppDir, found: Findings, base: str | None) -> bool:
        """Django Channels apps serve websockets too: uvicorn on ASGI_APPLICATION."""
        if found.dep("channels", "daphne") is None:
            return False
        hit = _find(app, self._ASGI)
        if hit is None:
            return False
        module, root = hit[2].group(1), _import_root(app, hit[0], base)[1]
        app_dir = f" --app-dir {root}" if root else ""
        command = f"uvicorn {module}:application --host 0.0.0.0 --port 8000 --proxy-headers{app_dir}"
        _serve(found, command, match_evidence(hit, "ASGI_APPLICATION (Channels)"), "uvicorn", "uvicorn's default port")
        found.detail("asgi_app", f"{module}:application")
        return True

    def _manage_commands(self, app: AppDir, found: Findings, manage: str) -> None:
        found.detail("release_command", f"python {manage} migrate --noinput")
        static_root = _find(app, self._STATIC_ROOT)
        if static_root is not None:
            why = match_evidence(static_root, "STATIC_ROOT is set, so static files are collected at build time")
            found.set("build_command", f"python {manage} collectstatic --noinput", why)


class AsgiDetector(FrameworkDetector):
    """FastAPI, Starlette and Litestar, served by uvicorn: a module-level app, or a factory (``--factory``)."""

    def __init__(self, name: str, constructor: str) -> None:
        self.name = name  # type: ignore[misc]
        self._object = re.compile(rf"^(\w+)\s*(?::\s*[\w.]+\s*)?=\s*(?:{name}\.)?{constructor}\(", re.MULTILINE)
        self._built = re.compile(r"^(app|application|api)\s*(?::\s*[\w.]+\s*)?=\s*(?:create_app|get_app|get_application|make_app)\(", re.MULTILINE)
        self._factory = re.compile(rf"^(?:async\s+)?def (create_app|get_app|get_application|make_app)\([^)]*\)\s*->\s*{constructor}\b", re.MULTILINE)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the dependency; find the app object or factory."""
        evidence = found.dep(self.name)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        hit = _find(app, self._object) or _find(app, self._built)
        factory = None if hit else _find(app, self._factory)
        chosen = hit or factory
        if chosen is None:
            found.warnings.append(f"could not find the {self.name} app object")
            return True
        module, base = _import_root(app, chosen[0])
        target = f"{module}:{chosen[2].group(1)}"
        flags = (" --factory" if factory else "") + (f" --app-dir {base}" if base else "")
        command = f"uvicorn {target} --host 0.0.0.0 --port 8000 --proxy-headers{flags}"
        reason = f"{self.name} app factory" if factory else f"{self.name} app object"
        _serve(found, command, match_evidence(chosen, reason), "uvicorn", "uvicorn's default port")
        found.detail("asgi_app", target)
        _celery_processes(app, found)
        return True


class FlaskDetector(FrameworkDetector):
    """Flask, served by gunicorn: an app object, an app built by a factory, or the factory itself."""

    name = "flask"
    #: How the framework's app object is named in evidence.
    _LABEL = "Flask"
    #: The production server, and why its port is the app's.
    _SERVER = "gunicorn"
    _PORT_WHY = "gunicorn's default port; Flask's 5000 is only the `flask run` development server's"
    _APP = re.compile(r"^(\w+)\s*(?::\s*[\w.]+\s*)?=\s*(?:flask\.)?Flask\(", re.MULTILINE)
    _BUILT = re.compile(r"^(\w+)\s*=\s*(?:create_app|make_app)\(", re.MULTILINE)
    _FACTORY = re.compile(r"^def (create_app|make_app)\(", re.MULTILINE)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the framework's dependency (``flask``)."""
        evidence = found.dep(self.name)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        located = self._target(app)
        if located is None:
            found.warnings.append(f"could not find the {self._LABEL} app object or factory")
            return True
        target, base, why = located
        _serve(found, self._command(target, base), why, self._SERVER, self._PORT_WHY)
        self._served(app, found, target, base)
        _celery_processes(app, found)
        return True

    @staticmethod
    def _command(target: str, base: str) -> str:
        """gunicorn on ``target``, from ``base`` (``--chdir``: it changes there and imports from there)."""
        chdir = f" --chdir {base}" if base else ""
        # Quoted: the factory call's parentheses would otherwise be shell syntax.
        shown = f"'{target}'" if target.endswith(")") else target
        return f"gunicorn {shown} --bind 0.0.0.0:8000{chdir}"

    def _served(self, app: AppDir, found: Findings, target: str, base: str) -> None:
        """Details of the served app: the WSGI target, and Flask-Migrate's release step."""
        found.detail("wsgi_app", target)
        self._migrations(app, found, target, base)

    @staticmethod
    def _migrations(app: AppDir, found: Findings, target: str, base: str) -> None:
        """Flask-Migrate's ``flask db upgrade`` on release, when the app keeps an Alembic migrations folder."""
        # Flask-Migrate's folder is "migrations" in the directory the app is run from.
        if found.dep("flask-migrate") is None or not app.has(f"{base}/migrations/env.py" if base else "migrations/env.py"):
            return
        command = f"flask --app {shlex.quote(target)} db upgrade"
        found.detail("release_command", f"cd {shlex.quote(base)} && {command}" if base else command)

    def _target(self, app: AppDir) -> tuple[str, str, Evidence] | None:
        """``(module:object target, folder to import from, evidence)``.

        A ``wsgi.py`` that holds or builds the app comes first: it is the module its authors wrote for a
        WSGI server, where other modules that build the app too are scripts (an export, a seed, a CLI)."""
        for pattern, reason in ((self._APP, f"{self._LABEL} app object"), (self._BUILT, "app built by the factory")):
            hit = _find_in(app, _ENTRY_MODULES, pattern) or _find(app, pattern)
            if hit is not None:
                module, base = _import_root(app, hit[0])
                return f"{module}:{hit[2].group(1)}", base, match_evidence(hit, reason)
        hit = _find(app, self._FACTORY)
        if hit is None:
            return None
        module, base = _import_root(app, hit[0])
        return f"{module}:{hit[2].group(1)}()", base, match_evidence(hit, f"{self._LABEL} app factory")


class QuartDetector(FlaskDetector):
    """Quart (Flask's API on asyncio), served by hypercorn: an app object, an app built by a factory, or the factory."""

    name = "quart"
    _LABEL = "Quart"
    _SERVER = "hypercorn"
    _PORT_WHY = "hypercorn's default port; Quart's 5000 is only the `quart run` development server's"
    _APP = re.compile(r"^(\w+)\s*(?::\s*[\w.]+\s*)?=\s*(?:quart\.)?Quart\(", re.MULTILINE)

    @staticmethod
    def _command(target: str, base: str) -> str:
        """hypercorn on ``target``: it has no --chdir or --app-dir, but puts a module path's folder on sys.path."""
        served = f"{base}/{target}" if base else target
        # Quoted: the factory call's parentheses would otherwise be shell syntax (hypercorn evaluates the call).
        shown = f"'{served}'" if served.endswith(")") else served
        return f"hypercorn {shown} --bind 0.0.0.0:8000"

    def _served(self, app: AppDir, found: Findings, target: str, base: str) -> None:
        """Details of the served app: the ASGI target."""
        found.detail("asgi_app", target)


class StreamlitDetector(FrameworkDetector):
    """Streamlit apps: ``streamlit run`` on the script that imports streamlit."""

    name = "streamlit"
    _IMPORT = re.compile(r"^import streamlit|^from streamlit\b", re.MULTILINE)
    _PREFERRED = ("streamlit_app.py", "app.py", "main.py", "Home.py", "dashboard.py")

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``streamlit`` dependency."""
        evidence = found.dep("streamlit")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        script = self._script(app)
        if script is None:
            found.warnings.append("could not find the Streamlit script (a file that imports streamlit)")
            return True
        port, port_evidence, is_default = self._port(app)
        rel = _rel_to_app(app, script)
        command = f"streamlit run {rel} --server.port {port} --server.address 0.0.0.0 --server.headless true"
        if found.set("start_command", command, Evidence(script, None, "imports streamlit")):
            found.set("port", port, port_evidence, default=is_default)
        found.set("health_path", "/_stcore/health", Evidence(app.path, None, "Streamlit's built-in health endpoint"), default=True)
        return True

    def _script(self, app: AppDir) -> str | None:
        """A conventionally named script that imports streamlit, else the first one (pages/ come later)."""
        hits = [h[0] for h in app.grep(_PY, self._IMPORT) if not _TEST_FILE.search(_rel_to_app(app, h[0]))]
        preferred = [app.rel(n) for n in self._PREFERRED]
        return next((p for p in preferred if p in hits), hits[0] if hits else None)

    def _port(self, app: AppDir) -> tuple[int, Evidence, bool]:
        """The port from ``.streamlit/config.toml``, else Streamlit's default."""
        port = _get(app.toml(".streamlit/config.toml"), "server", "port")
        if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
            return port, app.evidence(".streamlit/config.toml", "[server] port", r"^\s*port\s*="), False
        return 8501, Evidence(app.path, None, "Streamlit's default port"), True


class CeleryDetector(FrameworkDetector):
    """A Celery worker with no web framework: a process, no port."""

    name = "celery"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``celery`` dependency when no web framework matched."""
        evidence = found.dep("celery")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        hit = _celery_processes(app, found)
        if hit is not None:
            found.set("start_command", found.processes["worker"].command, match_evidence(hit, "Celery app object"))
            found.detail("worker", "true")
        return True


# ---------------------------------------------------------------- uwsgi
#: Where projects keep their uwsgi configuration, most common first.
_UWSGI_INIS = ("uwsgi.ini", "etc/uwsgi.ini", "deploy/uwsgi.ini", "config/uwsgi.ini", "conf/uwsgi.ini", "uwsgi/uwsgi.ini")
_UWSGI_SECTION = re.compile(r"^\s*\[uwsgi\]\s*$", re.MULTILINE)
_UWSGI_OPTION = re.compile(r"^[ \t]*(http-socket|http|socket|uwsgi-socket)[ \t]*[=:][ \t]*(\S+)", re.MULTILINE)
#: A listen address: ``:8000``, ``0.0.0.0:8000``, ``127.0.0.1:8000``, ``:$(PORT)`` (uwsgi's env syntax).
_UWSGI_ADDRESS = re.compile(r"^(?P<host>[^:]*):(?:(?P<port>\d{2,5})|\$\((?P<var>\w+)\))$")


def _uwsgi(app: AppDir, found: Findings) -> None:
    """uwsgi as the server: a start command that runs it, or a dependency with an ini file.

    Its listen address comes from the ini: ``http-socket``/``http`` speak HTTP,
    ``socket`` only the uwsgi protocol (a proxy must stand in front).
    """
    start = found.get("start_command")
    line = parse(start) if isinstance(start, str) else None
    if line is not None and line.program != "uwsgi":
        return
    ini = _uwsgi_ini(app, line)
    if ini is None or (start is None and "uwsgi" not in found.deps) or not app.has(ini):
        return
    found.detail("uwsgi_ini", ini)
    if start is None:
        found.set("start_command", f"uwsgi --ini {ini}", app.evidence(ini, "uwsgi configuration", _UWSGI_SECTION.pattern))
    text = app.read(ini) or ""
    options = {m.group(1): (m.group(2), text.count("\n", 0, m.start()) + 1) for m in _UWSGI_OPTION.finditer(text)}
    listen = options.get("http-socket") or options.get("http")
    if listen is None:
        speaks = "the uwsgi protocol only (socket=); put a proxy in front" if options else "on no address it names"
        found.warnings.append(f"{app.rel(ini)}: uwsgi listens {speaks}; add http-socket = :8000 to serve HTTP")
        return
    _uwsgi_port(app, found, ini, *listen)


def _uwsgi_ini(app: AppDir, line: CommandLine | None) -> str | None:
    """The ini the start command loads (relative to where its ``cd`` steps moved), else a conventional one."""
    if line is None:
        return next((i for i in _UWSGI_INIS if app.has(i)), None)
    named = _uwsgi_ini_argument(" ".join(line.words))
    return line.path(named) if named else None


def _uwsgi_ini_argument(command: str) -> str | None:
    """The ini file a uwsgi command line loads: ``--ini X``, ``--ini=X``, or a bare ``X.ini``."""
    words = command.split()
    for i, word in enumerate(words[1:], start=1):
        if word == "--ini" and i + 1 < len(words):
            return _normalise(words[i + 1])
        if word.startswith("--ini="):
            return _normalise(word.removeprefix("--ini="))
        if word.endswith(".ini") and not word.startswith("-"):
            return _normalise(word)
    return None


def _uwsgi_port(app: AppDir, found: Findings, ini: str, address: str, line: int) -> None:
    match = _UWSGI_ADDRESS.match(address)
    if match is None:
        return
    where = Evidence(app.rel(ini), line, f"uwsgi listens on {address}")
    if match.group("host") in ("127.0.0.1", "localhost"):
        found.warnings.append(f"{app.rel(ini)}:{line}: uwsgi listens on {address}, unreachable from outside the container; use :PORT")
    if match.group("port"):
        found.set("port", int(match.group("port")), where)
    elif match.group("var") == "PORT":
        found.detail("port_env", "PORT")
        found.set("port", 8000, Evidence(where.path, line, f"uwsgi listens on $PORT ({address}); PORT=8000 is set for it"), default=True)


_MAIN_GUARD = re.compile(r"^if __name__ == [\"']__main__[\"']\s*:", re.MULTILINE)
_SCRIPT_NAMES = ("main.py", "app.py", "server.py", "run.py", "bot.py", "worker.py", "__main__.py")
# A port passed to a server started from a script: uvicorn.run(app, port=8080), app.run(port=5000)...
_PORT_KWARG = re.compile(r"\b(?:app\.run|uvicorn\.run|web\.run_app|\.run_server|serve|run)\([^)]*\bport\s*=\s*(\d{2,5})\b")
# Tornado's command-line options (tornado.options.define), which its apps listen on: define("port", default=8888, ...).
_TORNADO_PORT = re.compile(r"(?<![\w.])(?:options\.)?define\(\s*[\"']port[\"']\s*,\s*(?:default\s*=\s*)?(\d{2,5})\b")


def _fallback_start(app: AppDir, found: Findings) -> None:
    """No framework: the project's only console script, or a script with a ``__main__`` guard."""
    if found.has("start_command") or found.has("framework"):
        return
    scripts = _get(_pyproject(app), "project", "scripts")
    if isinstance(scripts, dict) and len(scripts) == 1:
        script = next(iter(scripts))
        line = _line(app, "pyproject.toml", r"^\[project\.scripts\]", rf"^\s*[\"']?{re.escape(script)}")
        found.set("start_command", script, Evidence(app.rel("pyproject.toml"), line, "the project's only console script"))
    else:
        _main_script(app, found)
    if found.has("start_command"):
        hit = _find(app, _PORT_KWARG)
        if hit is not None:
            found.set("port", int(hit[2].group(1)), match_evidence(hit, "port the script's server listens on"))
            return
        hit = _find(app, _TORNADO_PORT)
        if hit is not None:
            found.set("port", int(hit[2].group(1)), match_evidence(hit, "the port option's default (tornado.options), which the server listens on"))


def _main_script(app: AppDir, found: Findings) -> None:
    packages = [d for d in app.dirs() if d not in ("src", "tests", "test") and app.has(f"{d}/__main__.py")]
    names = [n for n in _SCRIPT_NAMES if app.has(n)] + [f"{d}/__main__.py" for d in packages]
    for name in names:
        if _MAIN_GUARD.search(app.read(name) or "") or name.endswith("__main__.py"):
            folder = name.rpartition("/")[0]
            command = f"python -m {folder}" if folder else f"python {name}"
            found.set("start_command", command, app.evidence(name, "script with a __main__ entry point", _MAIN_GUARD.pattern))
            return


# ---------------------------------------------------------------- apps without a manifest
_LOOSE_ENTRIES = ("app.py", "main.py")
_FRAMEWORK_IMPORT = re.compile(r"^\s*(?:from|import)\s+(flask|fastapi|starlette|litestar|quart|streamlit)\b", re.MULTILINE)
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\w+)[\w.]*[ \t]+import\b|import[ \t]+(\w+(?:[\w.]*[ \t]*(?:as[ \t]+\w+[ \t]*)?,[ \t]*\w+)*))", re.MULTILINE)
#: Import names whose distribution is certain (the same name on PyPI, or a well-known other one).
_DISTRIBUTION_OF_IMPORT = {
    "flask": "flask", "fastapi": "fastapi", "starlette": "starlette", "litestar": "litestar", "streamlit": "streamlit", "quart": "quart",
    "uvicorn": "uvicorn", "gunicorn": "gunicorn", "hypercorn": "hypercorn", "jinja2": "jinja2", "requests": "requests", "httpx": "httpx",
    "pydantic": "pydantic", "sqlalchemy": "sqlalchemy", "redis": "redis", "psycopg": "psycopg[binary]",
    "yaml": "pyyaml", "dotenv": "python-dotenv", "bs4": "beautifulsoup4", "PIL": "pillow",
}  # fmt: skip


def _loose_entry(app: AppDir) -> str | None:
    """``app.py``/``main.py`` of a folder with no manifest, when a web framework import or a ``__main__`` guard makes it runnable."""
    for name in _LOOSE_ENTRIES:
        text = app.read(name) if app.has(name) else None
        if text and (_FRAMEWORK_IMPORT.search(text) or _MAIN_GUARD.search(text)):
            return name
    return None


def _dependencies_from_imports(app: AppDir, found: Findings) -> None:
    """No manifest: install only what the imports prove, by distributions whose name is certain; say so."""
    import sys

    local = {n.removesuffix(".py") for n in app.files() if n.endswith(".py")} | set(app.dirs())
    known: dict[str, Evidence] = {}
    unknown: set[str] = set()
    for path, line, match in app.grep(_PY, _IMPORT):
        if _TEST_FILE.search(path):
            continue
        names = [match.group(1)] if match.group(1) else [p.split()[0].split(".")[0] for p in match.group(2).split(",")]
        for name in names:
            if name in sys.stdlib_module_names or name in local or name == "__future__":
                continue
            if name in _DISTRIBUTION_OF_IMPORT:
                known.setdefault(_DISTRIBUTION_OF_IMPORT[name], Evidence(path, line, f"imports {name}"))
            else:
                unknown.add(name)
    entry = _loose_entry(app) or "app.py"
    found.set("package_manager", "pip", app.evidence(entry, "no manifest: pip installs what the imports need"))
    for dist, evidence in sorted(known.items()):
        found.add_dep(canonicalize_name(dist.split("[")[0]), evidence)
    found.detail("no_manifest", "true")
    found.detail("install_packages", " ".join(sorted(known)) or None)
    listed = ", ".join(sorted(known)) or "nothing"
    found.warnings.append(f"no requirements file or pyproject.toml: the image installs {listed}, from the imports, unpinned; pin them in requirements.txt")
    if unknown:
        found.warnings.append(f"imports {', '.join(sorted(unknown))}: no manifest says which distribution provides them, so they are not installed")


class PythonEcosystem(Ecosystem):
    """Python apps, from any of its manifests."""

    language = "python"
    frameworks = (
        DjangoDetector(),
        AsgiDetector("fastapi", "FastAPI"),
        AsgiDetector("starlette", "Starlette"),
        AsgiDetector("litestar", "Litestar"),
        # Before Flask: a Quart app may list Flask too (Quart is built on it), never the other way round.
        QuartDetector(),
        FlaskDetector(),
        StreamlitDetector(),
        CeleryDetector(),
    )

    def claim(self, app: AppDir) -> Claim | None:
        """Claim folders with a Python manifest; runnable when a web/worker framework is a dependency.

        A pyproject.toml holding only tool settings (ruff, black...) is not a manifest, and a
        ``manage.py`` alone is a weak claim: it is part of the project whose manifest is above it.
        """
        manifest = next((m for m in _MANIFESTS if app.has(m) and self._is_manifest(app, m)), None)
        manifest = manifest or next(iter(app.glob("requirements*.txt")), None)
        if manifest is None and _is_django_manage(app, "manage.py"):
            return Claim(self.language, 1, app.evidence("manage.py", "Django manage.py"))
        if manifest is None:
            # No manifest at all (Paketo and Nixpacks build these): weak, so a script inside another app stays its tooling.
            entry = _loose_entry(app)
            return Claim(self.language, 1, app.evidence(entry, "Python entry point without a manifest")) if entry else None
        found = Findings()
        _collect_dependencies(app, found)
        strong = _is_django_manage(app, "manage.py") or any(d in found.deps for d in _FRAMEWORK_DEPS)
        return Claim(self.language, 2 if strong else 1, app.evidence(manifest, "Python manifest"))

    def workspace_members(self, app: AppDir) -> list[str] | None:
        """``[tool.uv.workspace] members`` globs, its ``exclude`` globs as ``!`` exclusions."""
        workspace = _get(_pyproject(app), "tool", "uv", "workspace")
        members = _get(workspace, "members")
        if not isinstance(members, list):
            return None
        exclude = _get(workspace, "exclude")
        patterns = [m for m in members if isinstance(m, str) and m.strip()]
        patterns += [f"!{e}" for e in exclude if isinstance(e, str) and e.strip()] if isinstance(exclude, list) else []
        return patterns if any(not p.startswith("!") for p in patterns) else None

    def workspace_root_is_app(self, app: AppDir, claim: Claim) -> bool:
        """A workspace root whose own project runs a framework is an app as well."""
        return claim.strength == 2

    @staticmethod
    def _is_manifest(app: AppDir, name: str) -> bool:
        if name != "pyproject.toml":
            return True
        data = app.toml(name)
        if data is None:
            return True  # malformed: still ours, and the tree has recorded a warning
        return any(_get(data, *k) is not None for k in (("project",), ("build-system",), ("tool", "poetry"), ("tool", "pdm"), ("tool", "uv")))

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, package manager, dependencies, then the framework."""
        _name(app, found)
        _runtime(app, found)
        _package_manager(app, found)
        if not found.has("package_manager"):
            _dependencies_from_imports(app, found)
        _collect_dependencies(app, found)
        _manifests(app, found)
        pipenv_lock = found.get("package_manager") == "pipenv" and app.has("Pipfile.lock")
        # The image installs what the lock pins (`pipenv requirements`), whatever the Pipfile says now.
        native_dependencies(found, pipenv_locked(app) if pipenv_lock else frozenset(), app)
        if pipenv_lock:
            pipenv_lock_check(app, found)
        if found.get("package_manager") == "pdm" and app.has("pdm.lock"):
            pdm_lock_check(app, found)
        _uwsgi(app, found)
        _uv_workspace_sources(app, found)
        self.run_frameworks(app, found)
        _fallback_start(app, found)
        _server_from_extra(app, found)


ECOSYSTEM = PythonEcosystem()

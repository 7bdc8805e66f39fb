"""What a Python image build needs besides the manifests: system packages, and a lockfile it can trust.

Native dependencies
    Some widely used distributions publish no Linux wheel (``psycopg2``, ``mysqlclient``,
    ``uwsgi``, ``python-ldap``): pip compiles them, so the build stage needs a compiler and
    the library's headers, and the runtime stage its shared library. Others ship a wheel or
    pure Python that loads a system library at run time (``psycopg`` 3 without its ``binary``
    extra loads libpq; ``pyodbc`` loads unixODBC). Some have wheels, but only for the Pythons out
    when they were released: an older pin is compiled on a newer Python (``cffi``: libffi's headers). Package names are Debian bookworm's, the
    distribution under the official ``python:*-slim`` images.

Dependencies before the source
    A project pip installs from its source (``pip install .``, no lockfile) would reinstall every
    dependency on each source change. Where its dependencies are written down statically
    (``[project] dependencies``, a requirements file named in ``[tool.setuptools.dynamic]``,
    setup.cfg's ``install_requires``), the image installs them from that manifest alone, then the
    project with ``--no-deps``. Dynamic ones (computed by setup.py or a build hook) are known only
    by building the project: inspect says so and the install follows the source.

Pipenv lockfiles
    ``pipenv install --deploy`` refuses a lock whose recorded Pipfile hash differs from the one
    it computes. Since pipenv 2025 the hash is taken over PEP 503 names (``Flask`` as ``flask``),
    so every lock written by an older pipenv for a Pipfile with such a name is "out of date"
    although it pins the same packages. The image installs exactly what the lock pins
    (``pipenv requirements``); inspect says when the lock no longer matches the Pipfile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from migrate.inspect.detectors.base import AppDir, Findings


@dataclass(frozen=True)
class NativeDependency:
    """System packages one Python distribution needs: to build it, and to run it."""

    compiles: bool
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()


#: Distributions (PEP 503 names) that need system packages on Linux.
NATIVE_DEPENDENCIES: dict[str, NativeDependency] = {
    "psycopg2": NativeDependency(True, ("libpq-dev",), ("libpq5",)),
    "psycopg-c": NativeDependency(True, ("libpq-dev",), ("libpq5",)),
    # psycopg 3's pure-Python implementation loads libpq with ctypes.
    "psycopg": NativeDependency(False, (), ("libpq5",)),
    "mysqlclient": NativeDependency(True, ("default-libmysqlclient-dev", "pkg-config"), ("libmariadb3",)),
    # uwsgi compiles against Python's own headers (in the official image) and libc only.
    "uwsgi": NativeDependency(True),
    "python-ldap": NativeDependency(True, ("libldap2-dev", "libsasl2-dev"), ("libldap-2.5-0", "libsasl2-2")),
    "pyodbc": NativeDependency(False, (), ("libodbc2",)),
    # Wheels for every Python it supported when released; a pin older than the image's Python (cffi 1.15 has no
    # 3.12 wheel: djangox pins it) is compiled against libffi's headers. libffi itself is in the python image.
    "cffi": NativeDependency(False, ("libffi-dev",)),
}
#: Distributions with wheels that bundle their C libraries, but only for the Pythons out when each release was
#: made: the first release with a Linux x86_64 wheel for each Python. An exact pin older than that for the
#: image's Python is compiled from source (DjangoGirls/djangogirls pins lxml==4.9.2 and psycopg2-binary==2.8.3
#: on 3.12), against the system's libraries: their headers to build, their shared libraries to run.
#: Where a release's wheels are in doubt, the later one is taken: a pin then gets packages it may not need
#: (a larger image), never a compile without headers (a failed build).
WHEELS_SINCE: dict[str, dict[str, str]] = {
    "lxml": {"3.11": "4.9.3", "3.12": "4.9.4", "3.13": "5.4.0"},
    "psycopg2-binary": {"3.11": "2.9.5", "3.12": "2.9.9", "3.13": "2.9.10"},
}
#: What such a distribution needs when it is compiled.
SOURCE_BUILDS: dict[str, NativeDependency] = {
    "lxml": NativeDependency(True, ("libxml2-dev", "libxslt1-dev"), ("libxml2", "libxslt1.1")),
    "psycopg2-binary": NativeDependency(True, ("libpq-dev",), ("libpq5",)),
}
#: Compilers for any dependency built from source (build stage only).
COMPILERS = ("build-essential",)
#: Distributions that make another's system library unnecessary: they bundle it.
_BUNDLED_BY = {"psycopg": "psycopg-binary"}


def native_dependencies(found: Findings, locked: frozenset[str] = frozenset(), app: AppDir | None = None) -> None:
    """Record the dependencies that need system packages and the Debian packages of each stage.

    ``locked``: canonical names a lockfile installs besides the declared dependencies (a Pipfile.lock
    may pin psycopg2 that the Pipfile no longer names: the image installs it all the same). ``app``: where
    the dependencies' exact pins are read, for those compiled when pinned older than the image's Python
    (:data:`WHEELS_SINCE`).
    """
    installed = set(found.deps) | locked
    needs = {d: NATIVE_DEPENDENCIES[d] for d in NATIVE_DEPENDENCIES if d in installed and _BUNDLED_BY.get(d) not in installed}
    python = found.get("runtime_version")
    minor = ".".join(str(python).split(".")[:2]) if python else None
    for dep, version in (exact_pins(app, found, WHEELS_SINCE) if app is not None else {}).items():
        first = WHEELS_SINCE.get(dep, {}).get(minor or "")
        if first is not None and _older(version, first):
            needs[dep] = SOURCE_BUILDS[dep]
    native = list(needs)
    if not native:
        return
    build: list[str] = list(COMPILERS) if any(n.compiles for n in needs.values()) else []
    runtime: list[str] = []
    for dep in native:
        build += [p for p in needs[dep].build_packages if p not in build]
        runtime += [p for p in needs[dep].runtime_packages if p not in runtime]
    found.detail("native_dependencies", " ".join(native))
    found.detail("build_packages", " ".join(build) or None)
    found.detail("runtime_packages", " ".join(runtime) or None)


def exact_pins(app: AppDir, found: Findings, names: Collection[str]) -> dict[str, str]:
    """``name -> version`` of the dependencies among ``names`` (canonical) declared with an exact pin
    (``lxml==4.9.2``) on the line their evidence names (a requirements file, pyproject's dependencies)."""
    pins: dict[str, str] = {}
    for name, evidence in found.deps.items():
        if evidence.line is None or canonicalize_name(name) not in names:
            continue
        text = app.tree.line_text(evidence.path, evidence.line).split(" #", 1)[0].strip().strip("\"',")
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        exact = [s.version for s in requirement.specifier if s.operator in ("==", "===") and "*" not in s.version]
        if canonicalize_name(requirement.name) == canonicalize_name(name) and len(exact) == 1:
            pins[canonicalize_name(name)] = exact[0]
    return pins


def _older(version: str, than: str) -> bool:
    try:
        return Version(version) < Version(than)
    except InvalidVersion:
        return False


# ---------------------------------------------------------------- dependencies before the source
#: Build requirements that take the version from git (which the build context leaves out:
#: .dockerignore), and the variable each reads instead.
_SCM_VERSION_ENV = {
    "setuptools-scm": "SETUPTOOLS_SCM_PRETEND_VERSION",
    "hatch-vcs": "SETUPTOOLS_SCM_PRETEND_VERSION",  # a hatch plugin over setuptools-scm
    "poetry-dynamic-versioning": "POETRY_DYNAMIC_VERSIONING_BYPASS",  # the version to use
}


def declared_dependencies(app: AppDir, found: Findings) -> list[str]:
    """The manifests an installable project's dependencies can be read from without its source.

    Records how (``dependency_source``: ``pyproject``, ``setup.cfg`` or ``files``); an empty
    list, with a warning saying why, when they are known only by building the project.
    """
    pyproject = app.toml("pyproject.toml") or {}
    _scm_version(pyproject, found)
    project = pyproject.get("project")
    if isinstance(project, dict):
        return _from_pyproject(app, found, pyproject, project)
    if app.has("setup.cfg") and "install_requires" not in (app.read("setup.py") or ""):
        return _from_setup_cfg(app, found)
    if "install_requires" in (app.read("setup.py") or ""):  # without it, there is nothing to install first
        _source_install(found, f"{app.rel('setup.py')} computes its dependencies when it runs")
    return []


def _from_pyproject(app: AppDir, found: Findings, pyproject: dict[str, Any], project: dict[str, Any]) -> list[str]:
    dynamic = project.get("dynamic")
    if not (isinstance(dynamic, list) and "dependencies" in dynamic):
        listed = project.get("dependencies")
        local = [d for d in listed if isinstance(d, str) and _is_local(d)] if isinstance(listed, list) else []
        if local:
            _source_install(found, f"{app.rel('pyproject.toml')} depends on local paths ({', '.join(local)})")
            return []
        found.detail("dependency_source", "pyproject")
        return ["pyproject.toml"]
    listed = _at(pyproject, "tool", "setuptools", "dynamic", "dependencies", "file")
    listed = [listed] if isinstance(listed, str) else listed
    if isinstance(listed, list) and listed and all(isinstance(f, str) and app.has(f) for f in listed):
        found.detail("dependency_source", "files")
        return [str(f) for f in listed]
    _source_install(found, f'{app.rel("pyproject.toml")} declares dynamic = ["dependencies"]')
    return []


def _from_setup_cfg(app: AppDir, found: Findings) -> list[str]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(app.read("setup.cfg") or "")
    except configparser.Error:
        return []
    requires = parser.get("options", "install_requires", fallback="").strip()
    if requires.startswith(("file:", "attr:")):
        _source_install(found, f"{app.rel('setup.cfg')} reads install_requires from {requires}")
        return []
    found.detail("dependency_source", "setup.cfg")
    return ["setup.cfg"]


def _at(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` through tables only; None where a level is missing (TOML from anyone)."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _is_local(spec: str) -> bool:
    """A requirement on a path inside the project (``x @ file:///${PROJECT_ROOT}/x``): it needs the source."""
    try:
        url = Requirement(spec).url
    except InvalidRequirement:
        return False  # pip says what is wrong with it, in the dependency layer
    return url is not None and url.startswith("file:")


def _source_install(found: Findings, why: str) -> None:
    found.detail("dynamic_dependencies", why)
    found.warnings.append(
        f"{why}: pip learns the dependencies only by building the project, so the image installs them after "
        "copying the source and every source change reinstalls them; list them in [project] dependencies "
        "for a dependency layer"
    )


def _scm_version(pyproject: dict[str, Any], found: Findings) -> None:
    """The variable that gives a git-versioned project a version where .git is absent (the image build)."""
    requires = _at(pyproject, "build-system", "requires")
    names = set()
    for spec in requires if isinstance(requires, list) else []:
        try:
            names.add(canonicalize_name(Requirement(spec).name))
        except (InvalidRequirement, TypeError):
            continue
    env = sorted({_SCM_VERSION_ENV[n] for n in names if n in _SCM_VERSION_ENV})
    found.detail("scm_version_env", " ".join(env) or None)


# ---------------------------------------------------------------- Pipfile.lock
_PIPFILE_SECTIONS = frozenset(("source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"))
#: The source plette adds when a Pipfile names none.
_DEFAULT_SOURCE = [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]


def pipfile_hashes(pipfile: dict[str, Any]) -> tuple[str, str]:
    """``(today's hash, the pre-2025 hash)`` pipenv records for a parsed Pipfile.

    Both mirror plette's ``Pipfile.get_hash``: JSON of the sources, requirements and
    package categories; today's pipenv first puts package names in PEP 503 form.
    """

    def digest(canonical: bool) -> str:
        def names(section: Any) -> Any:
            if not canonical or not isinstance(section, dict):
                return section
            return {canonicalize_name(k): v for k, v in section.items()}

        data: dict[str, Any] = {
            "_meta": {"sources": pipfile.get("source", _DEFAULT_SOURCE), "requires": pipfile.get("requires", {})},
            "default": names(pipfile.get("packages", {})),
            "develop": names(pipfile.get("dev-packages", {})),
        }
        for category, values in pipfile.items():
            if category not in _PIPFILE_SECTIONS and category not in ("default", "develop"):
                data[category] = names(values)
        content = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(content.encode("utf-8")).hexdigest()

    return digest(True), digest(False)


def pipenv_lock_check(app: AppDir, found: Findings) -> None:
    """Warn when Pipfile.lock's recorded hash is not the one today's pipenv computes."""
    pipfile, lock = app.toml("Pipfile"), app.json("Pipfile.lock")
    recorded = lock.get("_meta", {}).get("hash", {}).get("sha256") if isinstance(lock, dict) else None
    if pipfile is None or not isinstance(recorded, str):
        return
    today, legacy = pipfile_hashes(pipfile)
    if recorded == today:
        return
    lock_name = app.rel("Pipfile.lock")
    if recorded == legacy:
        why = "was written by a pipenv older than 2025 (its Pipfile hash predates PEP 503 names)"
    else:
        why = "is out of date: its Pipfile hash does not match the Pipfile"
    found.warnings.append(
        f"{lock_name} {why}, so `pipenv install --deploy` refuses it; the image installs exactly what "
        "the lock pins (`pipenv requirements`): run `pipenv lock` to refresh it"
    )


def pipenv_locked(app: AppDir) -> frozenset[str]:
    """The canonical names of the packages Pipfile.lock installs in production (its ``default`` section)."""
    lock = app.json("Pipfile.lock")
    default = lock.get("default") if isinstance(lock, dict) else None
    return frozenset(canonicalize_name(name) for name in default if isinstance(name, str)) if isinstance(default, dict) else frozenset()


def pdm_lock_check(app: AppDir, found: Findings) -> None:
    """A pdm.lock written without environment markers (before pdm's ``inherit_metadata`` strategy).

    Today's ``pdm export`` refuses such a lock ("Can't export a lock file without environment
    markers"); ``pdm sync`` still installs it. Recorded as ``pdm_lock_without_markers`` (file:line).
    """
    metadata = (app.toml("pdm.lock") or {}).get("metadata")
    strategy = metadata.get("strategy") if isinstance(metadata, dict) else None
    if not isinstance(strategy, list) or "inherit_metadata" in strategy:
        return
    line = app.tree.line_of(app.rel("pdm.lock"), r"^strategy\s*=")
    found.detail("pdm_lock_without_markers", f"{app.rel('pdm.lock')}:{line}")
    found.warnings.append(f"{app.rel('pdm.lock')}:{line}: the lock has no environment markers (strategy {strategy}), which "
                          "`pdm export` refuses: the image installs it with `pdm sync`; `pdm lock` with a current pdm refreshes it")

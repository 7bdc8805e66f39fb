"""What a Python image build needs besides the manifests: system packages, and a lockfile it can trust.

Native dependencies
    Some widely used distributions publish no Linux wheel (``psycopg2``, ``mysqlclient``,
    ``uwsgi``, ``python-ldap``): pip compiles them, so the build stage needs a compiler and
    the library's headers, and the runtime stage its shared library. Others ship a wheel or
    pure Python that loads a system library at run time (``psycopg`` 3 without its ``binary``
    extra loads libpq; ``pyodbc`` loads unixODBC). Package names are Debian bookworm's, the
    distribution under the official ``python:*-slim`` images.

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
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

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
}
#: Compilers for any dependency built from source (build stage only).
COMPILERS = ("build-essential",)
#: Distributions that make another's system library unnecessary: they bundle it.
_BUNDLED_BY = {"psycopg": "psycopg-binary"}


def native_dependencies(found: Findings) -> None:
    """Record the dependencies that need system packages and the Debian packages of each stage."""
    native = [d for d in NATIVE_DEPENDENCIES if d in found.deps and _BUNDLED_BY.get(d) not in found.deps]
    if not native:
        return
    build: list[str] = list(COMPILERS) if any(NATIVE_DEPENDENCIES[d].compiles for d in native) else []
    runtime: list[str] = []
    for dep in native:
        build += [p for p in NATIVE_DEPENDENCIES[dep].build_packages if p not in build]
        runtime += [p for p in NATIVE_DEPENDENCIES[dep].runtime_packages if p not in runtime]
    found.detail("native_dependencies", " ".join(native))
    found.detail("build_packages", " ".join(build) or None)
    found.detail("runtime_packages", " ".join(runtime) or None)


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

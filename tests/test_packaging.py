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

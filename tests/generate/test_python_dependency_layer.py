"""Installable Python projects without a lockfile: their declared dependencies install before the source.

A project pip installs from its source (``pip install .``) reinstalls every dependency on each source
change unless the dependencies get a layer of their own, keyed on the manifest that declares them.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.checks import check_dockerfile, installs_before_source
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]
FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n"
DEPENDENCIES = ["flask>=3", 'uvicorn[standard]>=0.30; python_version >= "3.8"', "gunicorn==23.0.0"]


def pyproject(*, project: str = "", rest: str = "", requires: str = '"setuptools>=68"') -> str:
    listed = ", ".join(f"'{d}'" for d in DEPENDENCIES)
    return (
        f'[project]\nname = "site"\nversion = "1.0"\nrequires-python = ">=3.11"\n{project or f"dependencies = [{listed}]"}\n'
        f'\n[build-system]\nrequires = [{requires}]\nbuild-backend = "setuptools.build_meta"\n{rest}'
    )


def files_of(root: Path) -> dict[str, str]:
    return {Path(f.path).name: f.content for f in generate(inspect_tree(root))}


def build_stage(dockerfile: str) -> str:
    return dockerfile.split(" AS build\n", 1)[1].split("\nFROM ", 1)[0]


def dependency_run(dockerfile: str) -> str:
    """The RUN after the manifest COPY, continuation lines joined."""
    stage = build_stage(dockerfile)
    run = stage.split('COPY ["', 1)[1].split("\nRUN ", 1)[1].split("\nCOPY . .", 1)[0]
    return re.sub(r" \\\n ", " ", run.split("\n#")[0])


def test_declared_dependencies_install_before_the_source(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": pyproject(), "site/__init__.py": FLASK_APP})
    dockerfile = files_of(root)["Dockerfile"]
    stage = build_stage(dockerfile)
    assert stage.index('COPY ["pyproject.toml", "./"]') < stage.index("pip install --no-cache-dir -r /tmp/requirements.txt") < stage.index("COPY . .")
    # The project comes last and re-resolves nothing: a source change reruns only this step.
    assert stage.index("COPY . .") < stage.index("RUN pip install --no-cache-dir --no-deps .")
    assert installs_before_source(dockerfile)
    assert "manifests are copied before the source" in files_of(root)["CONTAINERS.md"]


def test_the_dependency_step_reads_exactly_what_pyproject_declares(make_tree: MakeTree, tmp_path: Path) -> None:
    """The generated step runs here on the manifest alone: markers and extras reach pip as written."""
    root = make_tree({"pyproject.toml": pyproject(), "site/__init__.py": FLASK_APP})
    run = dependency_run(files_of(root)["Dockerfile"])
    read = run.split(" > /tmp/requirements.txt", 1)[0]
    argv = shlex.split(read)
    assert argv[0] == "python"
    result = subprocess.run([sys.executable, *argv[1:]], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == DEPENDENCIES


def test_setup_cfg_install_requires_is_read_the_same_way(make_tree: MakeTree) -> None:
    setup_cfg = "[metadata]\nname = site\n\n[options]\npackages = site\ninstall_requires =\n    flask>=3\n    gunicorn; sys_platform != 'win32'\n"
    root = make_tree({"setup.cfg": setup_cfg, "setup.py": "from setuptools import setup\n\nsetup()\n", "site/__init__.py": FLASK_APP})
    dockerfile = files_of(root)["Dockerfile"]
    assert 'COPY ["setup.cfg", "./"]' in dockerfile and installs_before_source(dockerfile)
    argv = shlex.split(dependency_run(dockerfile).split(" > /tmp/requirements.txt", 1)[0])
    result = subprocess.run([sys.executable, *argv[1:]], cwd=root, capture_output=True, text=True, check=True)
    assert [line for line in result.stdout.splitlines() if line] == ["flask>=3", "gunicorn; sys_platform != 'win32'"]


def test_requirements_files_named_by_setuptools_dynamic_are_the_manifests(make_tree: MakeTree) -> None:
    rest = '\n[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.in"]}\n'
    root = make_tree({"pyproject.toml": pyproject(project='dynamic = ["dependencies"]', rest=rest), "requirements.in": "flask\n", "site/__init__.py": FLASK_APP})
    dockerfile = files_of(root)["Dockerfile"]
    assert 'COPY ["requirements.in", "./"]' in dockerfile
    assert "RUN pip install --no-cache-dir -r requirements.in" in dockerfile
    assert installs_before_source(dockerfile)


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({"pyproject.toml": pyproject(project='dynamic = ["dependencies"]')}, 'pyproject.toml declares dynamic = ["dependencies"]'),
        ({"pyproject.toml": pyproject(project="dependencies = ['flask', 'shared @ file:///${PROJECT_ROOT}/shared']")}, "depends on local paths"),
        ({"setup.py": "from setuptools import setup\n\nsetup(name='site', install_requires=open('deps').read().split())\n"}, "setup.py computes"),
    ],
)
def test_dynamic_dependencies_install_from_the_source_and_say_so(make_tree: MakeTree, files: dict[str, str | bytes], why: str) -> None:
    root = make_tree({**files, "site/__init__.py": FLASK_APP})
    assert any(why in w and "every source change reinstalls them" in w for w in inspect_tree(root).warnings)
    generated = files_of(root)
    assert not installs_before_source(generated["Dockerfile"])
    assert "RUN pip install --no-cache-dir ." in generated["Dockerfile"]
    assert "No dependency layer: " in generated["CONTAINERS.md"] and why in generated["CONTAINERS.md"]
    assert "installed after the whole source is copied" in generated["CONTAINERS.md"]


@pytest.mark.parametrize(
    ("requires", "rest", "env"),
    [
        ('"setuptools>=68", "setuptools-scm>=8"', "", "SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0"),
        ('"hatchling", "hatch-vcs"', "", "SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0"),
        ('"poetry-core", "poetry-dynamic-versioning"', "", "POETRY_DYNAMIC_VERSIONING_BYPASS=0.0.0"),
    ],
)
def test_a_git_versioned_project_builds_without_git(make_tree: MakeTree, requires: str, rest: str, env: str) -> None:
    """.dockerignore keeps .git out of the context, so setuptools-scm and friends get a placeholder version."""
    root = make_tree({"pyproject.toml": pyproject(requires=requires, rest=rest), "site/__init__.py": FLASK_APP})
    generated = files_of(root)
    assert f"RUN {env} pip install --no-cache-dir --no-deps ." in generated["Dockerfile"]
    assert "takes its version from git" in generated["CONTAINERS.md"]


def test_python_before_3_11_reads_pyproject_with_tomli_in_the_build_stage_only(make_tree: MakeTree) -> None:
    text = pyproject().replace('requires-python = ">=3.11"', 'requires-python = ">=3.10,<3.11"')
    dockerfile = files_of(make_tree({"pyproject.toml": text, "site/__init__.py": FLASK_APP}))["Dockerfile"]
    assert "FROM python:3.10-slim" in dockerfile
    assert "RUN /usr/local/bin/pip install --no-cache-dir tomli==" in build_stage(dockerfile)
    assert dependency_run(dockerfile).startswith('/usr/local/bin/python -c "import tomli;')
    assert "tomli" not in dockerfile.split(" AS runtime\n", 1)[1]


@pytest.mark.parametrize("variant", ["pyproject", "python-3.10", "scm"])
def test_every_variant_passes_hadolint(make_tree: MakeTree, tmp_path: Path, variant: str) -> None:
    text = {
        "pyproject": pyproject(),
        "python-3.10": pyproject().replace(">=3.11", "==3.10.*"),
        "scm": pyproject(requires='"setuptools", "setuptools-scm"'),
    }[variant]
    dockerfile = files_of(make_tree({"pyproject.toml": text, "site/__init__.py": FLASK_APP}))["Dockerfile"]
    assert check_dockerfile(dockerfile) == []
    assert_hadolint_clean(dockerfile, tmp_path)


@pytest.mark.parametrize(("dynamic", "procfile"), [(False, True), (False, False), (True, True)])
def test_a_server_the_project_lists_in_an_extra_installs_with_that_extra(make_tree: MakeTree, dynamic: bool, procfile: bool) -> None:
    """`[project.optional-dependencies] prod = ["gunicorn==22.0.0"]`: the project's own pin, not one we add
    (with a Procfile naming gunicorn, nothing installed it at all)."""
    project = 'dependencies = ["flask>=3"]' if not dynamic else 'dynamic = ["dependencies"]'
    rest = '\n[project.optional-dependencies]\ndev = ["pytest"]\nprod = ["gunicorn==22.0.0"]\n'
    files: dict[str, str | bytes] = {"pyproject.toml": pyproject(project=project, rest=rest), "site/__init__.py": FLASK_APP}
    root = make_tree({**files, **({"Procfile": "web: gunicorn site:app\n"} if procfile else {})})
    assert (inspect_tree(root).apps[0].start_command.value or "").startswith("gunicorn site:app")
    assert not any(w.startswith("gunicorn is not a dependency") for w in inspect_tree(root).warnings)
    dockerfile = files_of(root)["Dockerfile"]
    assert "gunicorn==23" not in dockerfile
    if dynamic:
        assert "RUN pip install --no-cache-dir '.[prod]'" in dockerfile
        return
    argv = shlex.split(dependency_run(dockerfile).split(" > /tmp/requirements.txt", 1)[0])
    result = subprocess.run([sys.executable, *argv[1:]], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["flask>=3", "gunicorn==22.0.0"]


def test_a_setup_py_that_declares_no_dependencies_is_not_called_dynamic(make_tree: MakeTree) -> None:
    root = make_tree({"setup.py": "from setuptools import setup\n\nsetup(name='site', packages=['site'])\n", "site/__init__.py": FLASK_APP})
    assert not any("every source change reinstalls them" in w for w in inspect_tree(root).warnings)
    assert "No dependency layer" not in files_of(root)["CONTAINERS.md"]

"""The command line: help, version, the inspect report (tables and JSON), lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Result

from migrate import __version__
from migrate.profile import FACT_NAMES

MakeTree = Callable[[dict[str, str | bytes]], Path]
RunCli = Callable[..., Result]

FLASK_APP: dict[str, str | bytes] = {
    "pyproject.toml": '[project]\nname = "shop"\nrequires-python = ">=3.12"\ndependencies = ["flask>=3", "gunicorn>=22", "psycopg>=3"]\n',
    "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\npsycopg==3.1.19\n",
    "app.py": (
        "import os\n"
        "from flask import Flask\n"
        "\n"
        "app = Flask(__name__)\n"
        'DATABASE_URL = os.environ["DATABASE_URL"]\n'
        "\n"
        "\n"
        '@app.get("/healthz")\n'
        "def health():\n"
        '    return "ok"\n'
    ),
}

#: Keys of one app in ``migrate inspect --json`` (README, "JSON schema").
APP_KEYS = {"name", "path", *FACT_NAMES, "env", "backing_services", "optional_services", "processes", "details", "defaults", "evidence"}


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m migrate ARGS`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args], capture_output=True, text=True, timeout=60, cwd=REPO, check=False
    )


# ---------------------------------------------------------------- help and version
def test_help_lists_the_commands(run_cli: RunCli) -> None:
    result = run_cli("--help")
    assert result.status == 0
    assert "Usage: migrate" in result.stdout
    assert "inspect" in result.stdout and "Describe every app in a source tree" in result.stdout
    assert result.stderr == ""


def test_inspect_help(run_cli: RunCli) -> None:
    result = run_cli("inspect", "--help")
    assert result.status == 0
    assert "Usage: migrate inspect [OPTIONS] [PATH]" in result.stdout
    assert "--json" in result.stdout
    assert "only reads" in result.stdout


def test_version(run_cli: RunCli) -> None:
    result = run_cli("--version")
    assert result.status == 0
    assert result.stdout == f"migrate {__version__}\n"


def test_unknown_command_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("frobnicate")
    assert result.status == 2
    assert result.stderr.startswith("migrate: error: No such command 'frobnicate'")


def test_unknown_option_is_a_usage_error(run_cli: RunCli, make_tree: MakeTree) -> None:
    result = run_cli("inspect", str(make_tree(FLASK_APP)), "--yaml")
    assert result.status == 2
    assert "--yaml" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["inspect", "--help"], ["--version"]])
def test_help_and_version_in_a_real_process(args: list[str]) -> None:
    proc = run_process(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert proc.stderr == ""


def test_help_does_not_import_heavy_libraries() -> None:
    """``migrate --help`` stays fast: boto3, docker, jinja2, rich and questionary load only in the commands using them."""
    code = (
        "import io, json, sys\n"
        "from migrate.cli import main\n"
        "from migrate.environment import Environment\n"
        "env = Environment(stdout=io.StringIO(), stderr=io.StringIO())\n"
        "status = main(['--help'], env)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore', 'docker', 'jinja2', 'rich', 'yaml', 'pathspec', 'questionary', 'prompt_toolkit', 'tomlkit'})\n"
        "print(json.dumps({'status': status, 'heavy': heavy, 'help': env.stdout.getvalue()}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, check=True)
    report = json.loads(proc.stdout)
    assert report["status"] == 0
    assert "inspect" in report["help"]
    assert report["heavy"] == []


# ---------------------------------------------------------------- inspect --json
def test_inspect_json_shape(run_cli: RunCli, make_tree: MakeTree) -> None:
    root = make_tree(FLASK_APP)
    result = run_cli("inspect", str(root), "--json")
    assert result.status == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    assert set(data) == {"root", "apps", "warnings"}
    assert data["root"] == str(root.resolve())
    assert isinstance(data["warnings"], list) and all(isinstance(w, str) for w in data["warnings"])
    (app,) = data["apps"]
    assert set(app) == APP_KEYS
    assert app["name"] == "shop"
    assert app["path"] == "."
    assert app["language"] == "python"
    assert app["framework"] == "flask"
    assert app["start_command"] == "gunicorn app:app --bind 0.0.0.0:8000"
    assert app["port"] == 8000 and "port" in app["defaults"]
    assert app["health_path"] == "/healthz"
    assert app["backing_services"] == ["postgres"]
    assert app["details"]["install_command"] == "pip install -r requirements.txt"
    env = {v["name"]: v for v in app["env"]}
    assert set(env["DATABASE_URL"]) == {"name", "secret", "required", "default", "evidence"}
    assert env["DATABASE_URL"]["required"] is True
    assert env["DATABASE_URL"]["evidence"] == ["app.py:5: read in code"]
    assert app["evidence"]["framework"] == ["requirements.txt:1: requires flask"]
    assert app["evidence"]["health_path"] == ["app.py:8: route /healthz"]
    for fact, items in app["evidence"].items():
        assert fact in (*FACT_NAMES, "backing_services")
        assert items and all(isinstance(i, str) and ": " in i for i in items)


def test_inspect_json_of_a_tree_without_apps(run_cli: RunCli, make_tree: MakeTree) -> None:
    result = run_cli("inspect", str(make_tree({"README.md": "# hi\n"})), "--json")
    assert result.status == 0
    data = result.json()
    assert data["apps"] == []
    assert data["warnings"][-1].startswith("no app found")
    assert result.stderr == ""  # warnings are in the JSON, not on stderr


def test_inspect_defaults_to_the_current_folder(make_tree: MakeTree) -> None:
    root = make_tree(FLASK_APP)
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "inspect", "--json"], capture_output=True, text=True, timeout=60, cwd=root, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["root"] == str(root.resolve())


def test_inspect_json_in_a_real_process_is_utf8_json(make_tree: MakeTree) -> None:
    root = make_tree({**FLASK_APP, "app.py": str(FLASK_APP["app.py"]) + "# café ☕\n"})
    proc = run_process("inspect", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["apps"][0]["framework"] == "flask"


# ---------------------------------------------------------------- inspect tables
def test_inspect_table_lists_facts_and_evidence(run_cli: RunCli, make_tree: MakeTree) -> None:
    root = make_tree(FLASK_APP)
    result = run_cli("inspect", str(root))
    assert result.status == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"1 app in {root.resolve()}")
    assert "shop (.)" in out
    for fact in FACT_NAMES:
        assert fact.replace("_", " ") in out
    for value in ("python", "flask", "pip", "gunicorn app:app --bind 0.0.0.0:8000", "8000 (default)", "/healthz"):
        assert value in out
    assert "requirements.txt:1: requires flask" in out
    assert "app.py:8: route /healthz" in out
    assert "DATABASE_URL [secret, required]" in out or "DATABASE_URL [required]" in out
    assert "postgres" in out


def test_inspect_table_prints_warnings_on_stderr(run_cli: RunCli, make_tree: MakeTree) -> None:
    root = make_tree({**FLASK_APP, "compose.yaml": "services: [\n"})
    result = run_cli("inspect", str(root))
    assert result.status == 0
    assert "warning: compose.yaml: malformed YAML" in result.stderr
    assert "warning" not in result.stdout


def test_inspect_table_escapes_rich_markup_from_the_tree(run_cli: RunCli, make_tree: MakeTree) -> None:
    root = make_tree({**FLASK_APP, "pyproject.toml": '[project]\nname = "[bold]shop[/bold]"\n'})
    result = run_cli("inspect", str(root))
    assert result.status == 0
    assert "[bold]shop[/bold] (.)" in result.stdout


def test_inspect_table_counts_apps(run_cli: RunCli, make_tree: MakeTree) -> None:
    files = {f"{folder}/{name}": text for folder in ("api", "admin") for name, text in FLASK_APP.items() if name != "pyproject.toml"}
    result = run_cli("inspect", str(make_tree(files)))
    assert result.status == 0
    assert result.stdout.startswith("2 apps in ")
    assert "api (api)" in result.stdout and "admin (admin)" in result.stdout


def test_plain_migrate_prints_the_overview(run_cli: RunCli) -> None:
    result = run_cli()
    assert result.status == 0
    assert result.stdout.startswith("Usage: migrate")
    assert "inspect" in result.stdout and "init" in result.stdout and result.stderr == ""

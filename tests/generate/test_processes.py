"""Release steps and workers become compose services of their own, on the app's image.

A dev environment that only starts is not enough: without its release step
(migrations) the app answers 500 on its first query, and a worker that is not
running leaves every queued job waiting. The release step runs once, to
completion, before the app and its workers; each worker runs the same image with
its own command, no port, and a healthcheck that is not the web's HTTP probe.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrate.generate import generate
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]

FLASK_PROCFILE = {
    "requirements.txt": "Flask==3.1.3\ngunicorn==23.0.0\npsycopg2-binary==2.9.10\nrq==1.16.2\nredis==5.0.8\n",
    "shop/__init__.py": "import os\nfrom flask import Flask\n\napp = Flask(__name__)\nDB = os.environ['DATABASE_URL']\nQ = os.environ['REDIS_URL']\n",
    "shop/migrate.py": "print('migrated')\n",
    "Procfile": "web: gunicorn shop:app --bind 0.0.0.0:$PORT\nworker: rq worker --url $REDIS_URL mail\nrelease: python -m shop.migrate\n",
}

FLASK_CELERY_PYPROJECT = {
    "pyproject.toml": (
        '[project]\nname = "notes"\nversion = "1"\n'
        'dependencies = ["flask", "flask-migrate", "flask-sqlalchemy", "psycopg2-binary", "celery[redis]", "gunicorn"]\n'
        '[project.optional-dependencies]\ndev = ["pytest"]\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    ),
    "notes/__init__.py": "import os\nfrom flask import Flask\n\napp = Flask(__name__)\nURL = os.environ['DATABASE_URL']\n",
    "notes/tasks.py": "import os\nfrom celery import Celery\n\ncelery = Celery(__name__, broker=os.environ['CELERY_BROKER_URL'])\n",
    "migrations/env.py": "from alembic import context\n",
}


def _compose(root: Path) -> dict[str, Any]:
    files = {f.path: f.content for f in generate(inspect_tree(root))}
    data: dict[str, Any] = yaml.safe_load(files["compose.yaml"])
    return data["services"]


def test_the_release_step_runs_once_before_the_app_and_its_workers(make_tree: MakeTree) -> None:
    services = _compose(make_tree(FLASK_PROCFILE))
    app, release = services["tree"], services["tree-release"]
    assert release["command"] == ["python", "-m", "shop.migrate"]
    assert release["restart"] == "no" and release["healthcheck"] == {"disable": True} and "ports" not in release
    # The same image, built the same way, with the same environment as the app.
    for key in ("build", "image", "env_file", "environment"):
        assert release[key] == app[key], key
    assert release["depends_on"] == {"postgres": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}}
    assert app["depends_on"]["tree-release"] == {"condition": "service_completed_successfully"}
    assert services["tree-worker"]["depends_on"]["tree-release"] == {"condition": "service_completed_successfully"}


def test_a_worker_is_its_own_service_without_port_or_the_web_probe(make_tree: MakeTree) -> None:
    services = _compose(make_tree(FLASK_PROCFILE))
    app, worker = services["tree"], services["tree-worker"]
    # "$$" in the file: compose hands "$REDIS_URL" to the container's shell instead of the host's value.
    assert worker["command"] == ["sh", "-c", "exec rq worker --url $$REDIS_URL mail"]
    assert "ports" not in worker and worker["image"] == app["image"] and worker["build"] == app["build"]
    assert worker["environment"] == app["environment"]
    # Not the inherited HTTP probe (no port), and not disabled (`compose up --wait` fails on a disabled check).
    assert worker["healthcheck"]["test"] != app["healthcheck"]["test"]
    assert "disable" not in worker["healthcheck"] and "urlopen" not in str(worker["healthcheck"]["test"])
    # The worker does not reload itself: a synced change restarts it.
    assert [r["action"] for r in worker["develop"]["watch"]] == ["sync+restart", "rebuild"]
    # Only the worker: the web process is the app service itself.
    assert set(services) == {"tree", "tree-release", "tree-worker", "postgres", "redis", "adminer"}


def test_flask_migrate_upgrade_is_the_release_step_and_celery_a_worker(make_tree: MakeTree) -> None:
    services = _compose(make_tree(FLASK_CELERY_PYPROJECT))
    assert services["notes-release"]["command"] == ["flask", "--app", "notes:app", "db", "upgrade"]
    worker = services["notes-worker"]
    assert worker["command"] == ["celery", "-A", "notes.tasks", "worker", "--loglevel=INFO"]
    assert worker["healthcheck"]["test"] == ["CMD", "true"] and "ports" not in worker


def test_flask_without_a_migrations_folder_has_no_release_step(make_tree: MakeTree) -> None:
    files = {k: v for k, v in FLASK_CELERY_PYPROJECT.items() if not k.startswith("migrations/")}
    assert "notes-release" not in _compose(make_tree(files))


def test_a_celery_only_app_is_not_given_a_second_worker(make_tree: MakeTree) -> None:
    files = {
        "requirements.txt": "celery[redis]==5.5.3\n",
        "tasks.py": "import os\nfrom celery import Celery\n\napp = Celery('tasks', broker=os.environ['CELERY_BROKER_URL'])\n",
    }
    services = _compose(make_tree(files))
    assert not [name for name in services if name.startswith("tree-")]


# ---------------------------------------------------------------- dev container install
def _post_create(root: Path) -> str | None:
    import json

    files = {f.path: f.content for f in generate(inspect_tree(root))}
    value = json.loads(files[".devcontainer/devcontainer.json"]).get("postCreateCommand")
    return value if isinstance(value, str) or value is None else str(value)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # pyproject.toml only (no requirements.txt): the project itself, editable, with its dev extra.
        (FLASK_CELERY_PYPROJECT, "pip install -e '.[dev]'"),
        ({"setup.py": "from setuptools import setup\nsetup(name='x', install_requires=['flask'])\n",
          "x.py": "from flask import Flask\napp = Flask(__name__)\n"}, "pip install -e ."),
        ({"pyproject.toml": '[project]\nname = "x"\nversion = "1"\ndependencies = ["flask"]\n',
          "requirements-dev.txt": "pytest\n", "x.py": "from flask import Flask\napp = Flask(__name__)\n"},
         "pip install -e . -r requirements-dev.txt"),
        ({"requirements.txt": "flask\n", "x.py": "from flask import Flask\napp = Flask(__name__)\n"}, "pip install -r requirements.txt"),
    ],
)
def test_the_dev_container_installs_with_the_package_manager_present(make_tree: MakeTree, files: dict[str, str | bytes], expected: str) -> None:
    root = make_tree(files)
    assert _post_create(root) == expected
    if "requirements.txt" in expected:
        assert (root / "requirements.txt").exists()

"""Python recipe: native build dependencies, the shipped venv, pipenv locks, Django settings, placeholders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.checks import check_dockerfile
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.generate.recipes.common import build_placeholder
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]
FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n"


def plan_of(root: Path) -> ContainerPlan:
    (app,) = inspect_tree(root).apps
    return plan_for(app)


def dockerfile_of(root: Path) -> str:
    return next(f.content for f in generate(inspect_tree(root)) if f.path.endswith("Dockerfile"))


def stage(text: str, name: str) -> str:
    """The lines of one ``FROM ... AS name`` stage."""
    return text.split(f" AS {name}\n", 1)[1].split("\nFROM ", 1)[0]


def flask(requirements: str) -> dict[str, str | bytes]:
    return {"requirements.txt": requirements, "app.py": FLASK_APP}


# ---------------------------------------------------------------- native build dependencies
@pytest.mark.parametrize(
    ("requirements", "build", "runtime"),
    [
        ("flask\ngunicorn\npsycopg2==2.9.10\n", ["build-essential", "libpq-dev"], ["libpq5"]),
        ("flask\ngunicorn\nmysqlclient\n", ["build-essential", "default-libmysqlclient-dev", "pkg-config"], ["libmariadb3"]),
        ("flask\nuwsgi>=2.0\n", ["build-essential"], []),
        ("flask\ngunicorn\npython-ldap\n", ["build-essential", "libldap2-dev", "libsasl2-dev"], ["libldap-2.5-0", "libsasl2-2"]),
        ("flask\ngunicorn\npsycopg\n", ["build-essential"], ["libpq5"]),  # pure Python: loads libpq at run time
        ("flask\ngunicorn\npsycopg[c]\n", ["build-essential", "libpq-dev"], ["libpq5"]),
        ("flask\ngunicorn\npsycopg[binary]\n", ["build-essential"], []),  # bundles its own libpq
        ("flask\ngunicorn\npsycopg2-binary\n", ["build-essential"], []),
    ],
)
def test_native_dependencies_get_build_and_runtime_packages(
    make_tree: MakeTree, requirements: str, build: list[str], runtime: list[str]
) -> None:
    root = make_tree(flask(requirements))
    plan = plan_of(root)
    assert plan.values["build_packages"] == build
    assert plan.values["runtime_packages"] == runtime
    text = dockerfile_of(root)
    for package in build:
        assert package in stage(text, "build") and package not in stage(text, "runtime")
    for package in runtime:
        assert package in stage(text, "runtime")
    if not runtime:
        assert "apt-get" not in stage(text, "runtime")


def test_any_requirement_can_build_from_source_and_the_toolchain_stays_behind(make_tree: MakeTree) -> None:
    """multidict 6.0.4 has no wheel for Python 3.12: pip compiles it, whatever table of native packages we keep."""
    for files in (
        flask("flask\nmultidict==6.0.4\n"),
        {"pyproject.toml": '[project]\nname = "a"\nversion = "1"\ndependencies = ["flask", "multidict==6.0.4"]\n', "app.py": FLASK_APP},
        {"pyproject.toml": '[tool.poetry]\nname = "a"\n[tool.poetry.dependencies]\nmultidict = "6.0.4"\n', "poetry.lock": "", "app.py": FLASK_APP},
    ):
        text = dockerfile_of(make_tree(files))
        assert "apt-get install -y --no-install-recommends build-essential" in stage(text, "build")
        assert "build-essential" not in stage(text, "runtime") and "apt-get" not in stage(text, "runtime")
        assert stage(text, "build").index("build-essential") < stage(text, "build").index("pip install")


# ---------------------------------------------------------------- what the runtime venv holds
@pytest.mark.parametrize(
    "files",
    [
        flask("flask\ngunicorn\n"),
        {"pyproject.toml": '[project]\nname = "a"\nversion = "1"\ndependencies = ["flask", "gunicorn"]\n', "app.py": FLASK_APP},
        {"Pipfile": '[packages]\nflask = "*"\ngunicorn = "*"\n', "app.py": FLASK_APP},
    ],
)
def test_the_runtime_venv_has_no_pip(make_tree: MakeTree, files: dict[str, str | bytes]) -> None:
    text = dockerfile_of(make_tree(files))
    build = stage(text, "build")
    assert "python -m venv --without-pip /opt/venv" in build
    # The image's pip installs into the venv: every pip command of the build targets it.
    app_install = build.index("COPY ")
    assert build.index("ENV PIP_PYTHON=/opt/venv/bin/python") < app_install < build.index("pip install --no-cache-dir", app_install)
    assert "ENV PIP_PYTHON=/opt/venv/bin/python" in stage(text, "dev")  # the dev container's pip too


def test_an_added_server_joins_the_install_run(make_tree: MakeTree) -> None:
    text = dockerfile_of(make_tree(flask("flask\n")))
    assert "RUN pip install --no-cache-dir -r requirements.txt \\\n && pip install --no-cache-dir gunicorn==" in text
    assert text.count("\nRUN pip install") == 1


# ---------------------------------------------------------------- pipenv
def test_pipenv_installs_what_the_lock_pins(make_tree: MakeTree) -> None:
    text = dockerfile_of(make_tree({"Pipfile": '[packages]\nflask = "*"\ngunicorn = "*"\n', "Pipfile.lock": "{}", "app.py": FLASK_APP}))
    assert "--deploy" not in text
    assert "RUN pipenv requirements > /tmp/requirements.txt \\\n && pip install --no-cache-dir -r /tmp/requirements.txt\n" in text


def test_pipenv_without_a_lock_locks_first(make_tree: MakeTree) -> None:
    text = dockerfile_of(make_tree({"Pipfile": '[packages]\nflask = "*"\ngunicorn = "*"\n', "app.py": FLASK_APP}))
    assert "RUN pipenv lock \\\n && pipenv requirements > /tmp/requirements.txt \\\n" in text


# ---------------------------------------------------------------- Django settings and build placeholders
MANAGE = (
    "import os\nimport sys\n\n\ndef main():\n"
    '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings.dev")\n'
    "    from django.core.management import execute_from_command_line\n"
    "    execute_from_command_line(sys.argv)\n"
)
SPLIT_SETTINGS = {
    "requirements.txt": "django\ngunicorn\ndj-database-url\n",
    "manage.py": MANAGE,
    "mysite/__init__.py": "",
    "mysite/wsgi.py": "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n",
    "mysite/settings/__init__.py": "",
    "mysite/settings/base.py": (
        "import os\nimport dj_database_url\n\nSTATIC_ROOT = 'static'\n"
        "DATABASES = {'default': dj_database_url.parse(os.environ['DATABASE_URL'])}\n"
    ),
    "mysite/settings/dev.py": "from .base import *\nDEBUG = True\n",
    "mysite/settings/production.py": "from .base import *\nDEBUG = False\n",
}


def test_the_image_runs_the_production_settings_and_dev_keeps_its_own(make_tree: MakeTree) -> None:
    text = dockerfile_of(make_tree(SPLIT_SETTINGS))
    assert 'DJANGO_SETTINGS_MODULE="mysite.settings.production"' in stage(text, "base")
    assert 'ENV DJANGO_SETTINGS_MODULE="mysite.settings.dev"' in stage(text, "dev")
    assert "DJANGO_SETTINGS_MODULE" not in stage(text, "runtime")


def test_a_single_settings_module_sets_nothing(make_tree: MakeTree) -> None:
    files = {k: v for k, v in SPLIT_SETTINGS.items() if "/settings/" not in k}
    files["manage.py"] = MANAGE.replace("mysite.settings.dev", "mysite.settings")
    files["mysite/settings.py"] = "STATIC_ROOT = 'static'\n"
    assert "DJANGO_SETTINGS_MODULE" not in dockerfile_of(make_tree(files))


def test_build_placeholders_parse_as_their_kind(make_tree: MakeTree) -> None:
    text = dockerfile_of(make_tree(SPLIT_SETTINGS))
    assert 'DATABASE_URL="postgres://build@localhost/build" python manage.py collectstatic' in text


@pytest.mark.parametrize(
    ("name", "scheme"),
    [("DATABASE_URL", "postgres"), ("REDIS_URL", "redis"), ("CELERY_BROKER_URL", "amqp"), ("MYSQL_URL", "mysql"), ("MONGODB_URI", "mongodb"), ("SENTRY_DSN", "https"), ("WEBHOOK_URL", "http")],
)
def test_url_placeholders_are_urls(name: str, scheme: str) -> None:
    url = urlsplit(build_placeholder(name))
    assert url.scheme == scheme and url.hostname == "localhost"


# ---------------------------------------------------------------- lint every variant
VARIANTS: dict[str, dict[str, str | bytes]] = {
    "native": flask("flask\npsycopg2\nmysqlclient\n"),
    "pipenv": {"Pipfile": '[packages]\nflask = "*"\n', "Pipfile.lock": "{}", "app.py": FLASK_APP},
    "django-split-settings": SPLIT_SETTINGS,
    "uwsgi": {**flask("flask\nuwsgi\npsycopg\n"), "uwsgi.ini": "[uwsgi]\nhttp-socket = :$(PORT)\nmodule = app:app\n"},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_passes_hadolint(make_tree: MakeTree, tmp_path: Path, variant: str) -> None:
    text = dockerfile_of(make_tree(VARIANTS[variant]))
    assert check_dockerfile(text) == []
    assert_hadolint_clean(text, tmp_path)


def test_requirement_files_in_folders_keep_their_place(make_tree: MakeTree) -> None:
    """requirements.txt includes requirements/production.txt: both must be where the include says."""
    files = {
        "requirements.txt": "-r requirements/production.txt\n",
        "requirements/base.txt": "flask\n",
        "requirements/production.txt": "-r base.txt\ngunicorn\n",
        "app.py": FLASK_APP,
    }
    text = dockerfile_of(make_tree(files))
    assert 'COPY ["requirements.txt", "./"]\n' in text
    assert 'COPY ["requirements/base.txt", "requirements/production.txt", "requirements/"]\n' in text


def test_containers_notes_say_what_the_image_does(make_tree: MakeTree) -> None:
    notes = plan_of(make_tree({**SPLIT_SETTINGS, "requirements.txt": "django\ngunicorn\ndj-database-url\npsycopg2\n"})).notes
    assert any("created without pip" in n for n in notes)
    assert any(n.startswith("Native dependencies (psycopg2): the build stage installs build-essential, libpq-dev") and "(libpq5)" in n for n in notes)
    assert any("DJANGO_SETTINGS_MODULE=mysite.settings.production in the image" in n for n in notes)


# ---------------------------------------------------------------- keep-alive above the load balancer's idle timeout
@pytest.mark.parametrize(("web", "cmd_tail"), [
    ("uvicorn main:app --host 0.0.0.0 --port $PORT", ("--timeout-keep-alive", "75")),
    ("uvicorn main:app --host 0.0.0.0 --port $PORT --timeout-keep-alive=120", ("--timeout-keep-alive=120",)),  # the user's own
    ("hypercorn main:app --bind 0.0.0.0:$PORT", ("--keep-alive", "75")),
    ("gunicorn -k uvicorn.workers.UvicornWorker main:app", ("main:app", "--keep-alive", "75")),
    ("gunicorn --worker-class=gthread --threads 4 main:app", ("main:app", "--keep-alive", "75")),
    ("gunicorn main:app", ("main:app",)),  # the sync worker closes every connection after its response
    ("gunicorn -k sync main:app", ("main:app",)),
])
def test_servers_keep_idle_connections_longer_than_the_load_balancer(make_tree: MakeTree, web: str, cmd_tail: tuple[str, ...]) -> None:
    """Their 5 s (gunicorn 2 s) default closes connections an ALB (60 s idle) is about to reuse: 502s."""
    root = make_tree({"requirements.txt": "fastapi==0.115.0\nuvicorn==0.34.0\ngunicorn==23.0.0\nhypercorn==0.18.0\n",
                      "main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n", "Procfile": f"web: {web}\n"})
    plan = plan_of(root)
    command = " ".join(plan.cmd)
    assert command.endswith(" ".join(cmd_tail)), plan.cmd
    assert " ".join(plan.dev_cmd).startswith(command)  # dev runs what production runs, plus its reload flag
    assert ("keeps idle connections 75 s" in " ".join(plan.notes)) == ("75" in cmd_tail)


#: litestar-org/litestar-hello-world's manifest, shortened: a pdm project with its lockfile.
PDM_PYPROJECT = '[project]\nname = "hello"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ["flask", "gunicorn"]\n'


def test_pdm_is_installed_with_its_dependencies_pinned(make_tree: MakeTree, tmp_path: Path) -> None:
    """Plain ``pdm==2.29.4`` gets hishel 2.0, and every ``pdm sync`` (the dev target's) dies on
    "module 'hishel' has no attribute 'SyncSqliteStorage'": hishel is pinned beside it, as pdm's "locked" extra pins it."""
    root = make_tree({"pyproject.toml": PDM_PYPROJECT, "pdm.lock": '[metadata]\nlock_version = "4.5"\n', "app.py": FLASK_APP})
    dockerfile = dockerfile_of(root)
    installs = [line for line in dockerfile.splitlines() if "pip install --no-cache-dir" in line and "pdm" in line]
    assert len(installs) == 2 and all("pdm==2.29.4 hishel==1.4.0" in line for line in installs)  # the build stage and the dev target
    assert check_dockerfile(dockerfile) == []
    assert_hadolint_clean(dockerfile, tmp_path)


def test_a_pdm_lock_without_markers_is_installed_by_pdm_sync(make_tree: MakeTree) -> None:
    """litestar-hello-world's pdm.lock (lock_version 4.4, strategy cross_platform): `pdm export` says
    "Can't export a lock file without environment markers"; `pdm sync` installs it into the venv."""
    old = '# This file is @generated by PDM.\n\n[metadata]\ngroups = ["default"]\nstrategy = ["cross_platform"]\nlock_version = "4.4"\n'
    root = make_tree({"pyproject.toml": PDM_PYPROJECT, "pdm.lock": old, "app.py": FLASK_APP})
    (app,) = inspect_tree(root).apps
    assert app.detail("pdm_lock_without_markers") == "pdm.lock:5"
    assert plan_for(app).values["install"] == ["pdm sync --prod --no-self --no-editable"]
    current = old.replace('["cross_platform"]', '["inherit_metadata"]').replace("4.4", "4.5")
    (app,) = inspect_tree(make_tree({"pyproject.toml": PDM_PYPROJECT, "pdm.lock": current, "app.py": FLASK_APP})).apps
    assert app.detail("pdm_lock_without_markers") is None and plan_for(app).values["install"][0].startswith("pdm export")

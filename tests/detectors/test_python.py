"""The Python ecosystem: versions, package managers, dependencies, frameworks, servers, ports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import evidence, only_app
from conftest import inspect_files as inspect

MakeTree = Callable[[dict[str, str | bytes]], Path]

FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get('/health')\ndef health():\n    return 'ok'\n"
FASTAPI_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
MANAGE = (
    "import os\nimport sys\n\n\ndef main():\n"
    '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
    "    from django.core.management import execute_from_command_line\n"
    "    execute_from_command_line(sys.argv)\n"
)
SETTINGS = 'SECRET_KEY = "x"\nWSGI_APPLICATION = "mysite.wsgi.application"\n'


# ---------------------------------------------------------------- runtime version
@pytest.mark.parametrize(
    ("files", "version", "where"),
    [
        ({".python-version": "3.11.4\n"}, "3.11.4", ".python-version:1: pins Python 3.11.4"),
        ({".python-version": "\n3.13\n3.12\n"}, "3.13", ".python-version:2: pins Python 3.13"),
        ({"runtime.txt": "python-3.10.13\n"}, "3.10.13", "runtime.txt:1: pins Python 3.10.13"),
        ({".tool-versions": "nodejs 20.11.0\npython 3.11.7\n"}, "3.11.7", ".tool-versions:2: pins Python 3.11.7"),
        (
            {"Pipfile": '[packages]\nflask = "*"\n\n[requires]\npython_version = "3.11"\n'},
            "3.11",
            "Pipfile:5: python_version '3.11'",
        ),
        (
            {"Pipfile": '[packages]\nflask = "*"\n\n[requires]\npython_full_version = "3.11.6"\n'},
            "3.11.6",
            "Pipfile:5: python_full_version '3.11.6'",
        ),
    ],
)
def test_version_files(make_tree: MakeTree, files: dict[str, str], version: str, where: str) -> None:
    app, _ = only_app(make_tree, {"requirements.txt": "flask\n", "app.py": FLASK_APP, **files})
    assert app.runtime_version.value == version
    assert evidence(app, "runtime_version") == [where]
    assert not app.runtime_version.is_default


def test_python_version_file_beats_requires_python(make_tree: MakeTree) -> None:
    pyproject = '[project]\nname = "x"\nrequires-python = ">=3.9"\ndependencies = []\n'
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject, ".python-version": "3.10\n"})
    assert app.runtime_version.value == "3.10"


@pytest.mark.parametrize(
    ("spec", "version", "how"),
    [
        (">=3.9", "3.12", "allows the default 3.12"),
        (">=3.10,<3.12", "3.11", "newest version it allows is 3.11"),
        ("~=3.13.0", "3.13", "newest version it allows is 3.13"),
        ("==3.11.*", "3.11", "newest version it allows is 3.11"),
    ],
)
def test_requires_python(make_tree: MakeTree, spec: str, version: str, how: str) -> None:
    pyproject = f'[project]\nname = "x"\nversion = "1"\nrequires-python = "{spec}"\ndependencies = ["flask"]\n'
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject, "app.py": FLASK_APP})
    assert app.runtime_version.value == version
    assert evidence(app, "runtime_version") == [f"pyproject.toml:4: requires-python '{spec}': {how}"]


@pytest.mark.parametrize(
    ("constraint", "version"),
    [
        ("^3.12", "3.12"),
        ("^3.9", "3.12"),
        ("~3.11", "3.11"),
        ("~3.10.2", "3.10"),
        (">=3.9, <3.12", "3.11"),
        ("3.11", "3.11"),
        ("3.11.*", "3.11"),
        ("~3.10 || ~3.11", "3.11"),
    ],
)
def test_poetry_python_constraint(make_tree: MakeTree, constraint: str, version: str) -> None:
    pyproject = f'[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "{constraint}"\nflask = "^3"\n'
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject, "app.py": FLASK_APP})
    assert app.runtime_version.value == version
    assert evidence(app, "runtime_version")[0].startswith(f"pyproject.toml:5: poetry python '{constraint}'")


def test_default_runtime_is_marked_as_default(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"requirements.txt": "flask\n", "app.py": FLASK_APP})
    assert app.runtime_version.value == "3.12"
    assert app.runtime_version.is_default
    assert evidence(app, "runtime_version") == [".: no Python version pinned; using 3.12"]


def test_unusable_version_pins_warn_and_fall_back(make_tree: MakeTree) -> None:
    pyproject = '[project]\nname = "x"\nrequires-python = ">=4.1"\ndependencies = ["flask"]\n'
    app, warnings = only_app(make_tree, {".python-version": "pypy3.10\n", "pyproject.toml": pyproject, "app.py": FLASK_APP})
    assert app.runtime_version.value == "3.12" and app.runtime_version.is_default
    assert ".: .python-version does not pin a CPython version (like 3.12); ignored" in warnings
    assert ".: pyproject.toml: requires-python '>=4.1' allows no known Python 3 version; ignored" in warnings


def test_invalid_requires_python_warns(make_tree: MakeTree) -> None:
    pyproject = '[project]\nname = "x"\nrequires-python = "three"\ndependencies = ["flask"]\n'
    app, warnings = only_app(make_tree, {"pyproject.toml": pyproject, "app.py": FLASK_APP})
    assert app.runtime_version.is_default
    assert ".: pyproject.toml: requires-python 'three' is not a valid version constraint; ignored" in warnings


# ---------------------------------------------------------------- package managers
UV_PYPROJECT = '[project]\nname = "svc"\nversion = "1"\ndependencies = ["fastapi", "uvicorn"]\n'


@pytest.mark.parametrize(
    ("files", "manager", "where", "install"),
    [
        ({"pyproject.toml": UV_PYPROJECT, "uv.lock": "version = 1\n"}, "uv", "uv.lock: uv lockfile", "uv sync --frozen --no-dev"),
        (
            {"pyproject.toml": UV_PYPROJECT + "\n[tool.uv]\ndev-dependencies = []\n"},
            "uv",
            "pyproject.toml:6: [tool.uv] table, no lockfile",
            "uv sync --no-dev",
        ),
        (
            {"pyproject.toml": UV_PYPROJECT, "poetry.lock": "# lock\n"},
            "poetry",
            "poetry.lock: poetry lockfile",
            "poetry install --only main --no-root",
        ),
        (
            {"pyproject.toml": '[tool.poetry]\nname = "svc"\n\n[tool.poetry.dependencies]\nfastapi = "*"\nuvicorn = "*"\n'},
            "poetry",
            "pyproject.toml:1: [tool.poetry] table, no lockfile",
            "poetry install --only main --no-root",
        ),
        (
            {"pyproject.toml": UV_PYPROJECT, "pdm.lock": "# lock\n"},
            "pdm",
            "pdm.lock: pdm lockfile",
            "pdm install --prod --frozen-lockfile",
        ),
        (
            {"pyproject.toml": UV_PYPROJECT + "\n[tool.pdm]\ndistribution = false\n"},
            "pdm",
            "pyproject.toml:6: [tool.pdm] table, no lockfile",
            "pdm install --prod",
        ),
        (
            {"Pipfile": '[packages]\nfastapi = "*"\nuvicorn = "*"\n', "Pipfile.lock": "{}"},
            "pipenv",
            "Pipfile.lock: pipenv lockfile",
            "pipenv install --deploy",
        ),
        ({"Pipfile": '[packages]\nfastapi = "*"\nuvicorn = "*"\n'}, "pipenv", "Pipfile: Pipfile without a lockfile", "pipenv install"),
        ({"requirements.txt": "fastapi\nuvicorn\n"}, "pip", "requirements.txt: pip requirements file", "pip install -r requirements.txt"),
        (
            {"setup.py": "from setuptools import setup\nsetup(name='svc', install_requires=['fastapi', 'uvicorn'])\n"},
            "setuptools",
            "setup.py: setuptools project, no lockfile",
            "pip install .",
        ),
        (
            {"setup.cfg": "[metadata]\nname = svc\n\n[options]\ninstall_requires =\n    fastapi\n    uvicorn\n"},
            "setuptools",
            "setup.cfg: setuptools project, no lockfile",
            "pip install .",
        ),
        (
            {"pyproject.toml": UV_PYPROJECT + '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'},
            "pip",
            "pyproject.toml: installable project (hatchling.build), no lockfile",
            "pip install .",
        ),
    ],
)
def test_package_managers(make_tree: MakeTree, files: dict[str, str], manager: str, where: str, install: str) -> None:
    app, _ = only_app(make_tree, {**files, "main.py": FASTAPI_APP})
    assert app.package_manager.value == manager
    assert evidence(app, "package_manager") == [where]
    assert app.detail("install_command") == install
    assert app.framework.value == "fastapi", "dependencies were read from that manifest"


def test_requirements_folder_and_includes(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {
            "requirements/base.txt": "Django==5.0  # the framework\npsycopg[binary]==3.1 \\\n    --hash=sha256:abc\n",
            "requirements/production.txt": "-r base.txt\n--requirement=./extra.txt\ngunicorn==22.0\n",
            "requirements/extra.txt": "redis>=5\n",
            "requirements/local.txt": "-r base.txt\npymongo\n",
            "manage.py": MANAGE,
            "mysite/settings.py": SETTINGS,
        },
    )
    assert app.package_manager.value == "pip"
    assert app.detail("install_command") == "pip install -r requirements/production.txt"
    assert evidence(app, "framework") == ["requirements/base.txt:1: requires Django"]
    assert [s.kind for s in app.backing_services] == ["postgres", "redis"]  # not mongodb: local.txt is not read
    assert "gunicorn is not a dependency; add it (the production server in the start command)" not in " ".join(warnings)


def test_requirements_include_cycle_and_escape_are_harmless(make_tree: MakeTree) -> None:
    app, _ = only_app(
        make_tree,
        {"requirements.txt": "-r other.txt\n-r ../../etc/passwd\nflask\n", "other.txt": "-r requirements.txt\nredis\n", "app.py": FLASK_APP},
    )
    assert app.framework.value == "flask"
    assert [s.kind for s in app.backing_services] == ["redis"]


def test_dev_requirement_files_are_not_runtime(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"requirements-dev.txt": "pytest\n", "requirements-prod.txt": "flask\n", "app.py": FLASK_APP})
    assert app.detail("install_command") == "pip install -r requirements-prod.txt"


def test_dev_and_optional_dependencies_are_not_runtime(make_tree: MakeTree) -> None:
    pyproject = (
        '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.12"\nflask = "^3"\n'
        'psycopg2 = { version = "^2.9", optional = true }\n\n'
        '[tool.poetry.group.dev.dependencies]\nredis = "^5"\n'
    )
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject, "app.py": FLASK_APP})
    assert app.backing_services == ()


def test_extras_imply_packages(make_tree: MakeTree) -> None:
    pyproject = (
        '[project]\nname = "x"\nversion = "1"\ndescription = "uses celery and fastapi"\n'
        'dependencies = [\n  "fastapi[standard]>=0.115",\n  "celery[redis]>=5.4",\n]\n'
    )
    app, warnings = only_app(make_tree, {"pyproject.toml": pyproject, "main.py": FASTAPI_APP})
    assert "uvicorn is not a dependency" not in " ".join(warnings)
    assert [s.kind for s in app.backing_services] == ["redis"]
    services = [str(e) for s in app.backing_services for e in s.evidence]
    assert services == ["pyproject.toml:7: dependency 'redis'"]  # the celery line, not the description
    assert evidence(app, "framework") == ["pyproject.toml:6: requires fastapi"]


def test_poetry_dependency_evidence_is_in_its_table(make_tree: MakeTree) -> None:
    pyproject = (
        '[tool.poetry]\nname = "x"\ndescription = "a django site"\n\n'
        '[tool.poetry.dependencies]\npython = "^3.12"\nDjango = "^5.0"\ngunicorn = "*"\n'
    )
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject, "manage.py": MANAGE, "mysite/settings.py": SETTINGS})
    assert evidence(app, "framework") == ["pyproject.toml:7: requires Django"]


def test_setup_py_install_requires_only(make_tree: MakeTree) -> None:
    setup = (
        "from setuptools import setup\n\nsetup(\n    name='svc',\n    install_requires=['flask>=3', \"redis\"],\n"
        "    entry_points={'console_scripts': ['svc=svc:main']},\n)\n"
    )
    app, _ = only_app(make_tree, {"setup.py": setup, "app.py": FLASK_APP})
    assert app.framework.value == "flask"
    assert evidence(app, "framework") == ["setup.py:5: requires flask"]
    assert [s.kind for s in app.backing_services] == ["redis"]


def test_malformed_manifests_warn_and_do_not_crash(make_tree: MakeTree) -> None:
    result = inspect(
        make_tree,
        {
            "pyproject.toml": "[project\nname = ",
            "Pipfile": "[packages\n",
            "requirements.txt": "flask\n==oops\n-e .\ngit+https://example.com/x.git#egg=x\n",
            "app.py": FLASK_APP,
        },
    )
    app = result.apps[0]
    assert app.framework.value == "flask"
    assert any("pyproject.toml: malformed TOML" in w for w in result.warnings)
    assert any("Pipfile: malformed TOML" in w for w in result.warnings)


def test_manifests_of_the_wrong_shape_do_not_crash(make_tree: MakeTree) -> None:
    pyproject = (
        '[project]\nname = 5\nrequires-python = 3\ndependencies = "flask"\nscripts = ["x"]\n\n'
        '[tool.poetry]\ndependencies = ["flask"]\n'
    )
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject, "Pipfile": "packages = 1\nrequires = 2\n"})
    assert app.framework.value is None  # a string is not a list of requirements
    assert app.name == "tree"


def test_tool_only_pyproject_is_not_a_python_app(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})
    assert result.apps == ()


# ---------------------------------------------------------------- Django
def test_django(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {
            "requirements.txt": "django\ngunicorn\ncelery\n",
            "manage.py": MANAGE,
            "mysite/settings.py": SETTINGS + "STATIC_ROOT = BASE_DIR / 'static'\n",
            "mysite/celery.py": "from celery import Celery\n\napp = Celery('mysite')\n",
        },
    )
    assert app.framework.value == "django"
    assert app.start_command.value == "gunicorn mysite.wsgi:application --bind 0.0.0.0:8000"
    assert evidence(app, "start_command") == ["mysite/settings.py:2: WSGI_APPLICATION"]
    assert app.port.value == 8000 and app.port.is_default
    assert "gunicorn" in evidence(app, "port")[0] and "8000" in evidence(app, "port")[0]
    assert app.build_command.value == "python manage.py collectstatic --noinput"
    assert evidence(app, "build_command") == ["mysite/settings.py:3: STATIC_ROOT is set, so static files are collected at build time"]
    assert app.detail("release_command") == "python manage.py migrate --noinput"
    assert app.detail("wsgi_module") == "mysite.wsgi"
    assert app.detail("django_settings_module") == "mysite.settings"
    assert {p.name: p.command for p in app.processes} == {"worker": "celery -A mysite worker --loglevel=INFO"}
    assert warnings == []


@pytest.mark.parametrize(
    ("assignment", "variable", "separator"),
    [
        ('ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")', "DJANGO_ALLOWED_HOSTS", ","),
        ('ALLOWED_HOSTS = os.getenv("HOSTS", "").split()', "HOSTS", " "),
        ('ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost"])', "ALLOWED_HOSTS", ","),
        ('ALLOWED_HOSTS = config("ALLOWED_HOSTS", cast=Csv())', "ALLOWED_HOSTS", ","),
        ('ALLOWED_HOSTS = [\n    h.strip()\n    for h in os.environ["SITE_HOSTS"].split(";")\n]', "SITE_HOSTS", ";"),
    ],
)
def test_django_allowed_hosts_read_from_a_variable(make_tree: MakeTree, assignment: str, variable: str, separator: str) -> None:
    """Behind a load balancer every request names it: deploy must know which variable admits that name."""
    app, _ = only_app(make_tree, {"requirements.txt": "django\ngunicorn\n", "manage.py": MANAGE,
                                  "mysite/settings.py": f"import os\n{SETTINGS}{assignment}\n"})
    assert app.detail("allowed_hosts_env") == f"{variable} mysite/settings.py:4"
    assert app.detail("allowed_hosts_separator") == separator


@pytest.mark.parametrize(("assignment", "expected", "separator"), [
    # healthchecks/healthchecks: the variable is read into a name first, the assignment is indented under the if.
    ('if v := os.getenv("ALLOWED_HOSTS"):\n    ALLOWED_HOSTS = v.split(",")\nelse:\n    ALLOWED_HOSTS = ["localhost"]',
     "ALLOWED_HOSTS mysite/settings.py:5", ","),
    ('hosts = os.environ.get("SITE_HOSTS", "")\nALLOWED_HOSTS = hosts.split(";")', "SITE_HOSTS mysite/settings.py:5", ";"),
    ('v = compute()\nALLOWED_HOSTS = v.split(",")', None, None),  # a name not read from the environment
])
def test_django_allowed_hosts_read_through_a_name_assigned_above(
        make_tree: MakeTree, assignment: str, expected: str | None, separator: str | None) -> None:
    app, _ = only_app(make_tree, {"requirements.txt": "django\ngunicorn\n", "manage.py": MANAGE,
                                  "mysite/settings.py": f"import os\n{SETTINGS}{assignment}\n"})
    assert app.detail("allowed_hosts_env") == expected
    assert app.detail("allowed_hosts_separator") == separator


def test_django_allowed_hosts_of_the_settings_module_the_image_runs(make_tree: MakeTree) -> None:
    manage = MANAGE.replace("mysite.settings", "config.settings.dev")
    app, _ = only_app(make_tree, {
        "requirements.txt": "django\ngunicorn\n", "manage.py": manage, "config/__init__.py": "",
        "config/settings/base.py": 'ALLOWED_HOSTS = os.environ.get("DEV_HOSTS", "*").split(",")\n',
        "config/settings/dev.py": "from .base import *\n",
        "config/settings/production.py": 'from .base import *\nALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")\n',
        "config/wsgi.py": "application = get_wsgi_application()\n",
    })
    assert app.detail("allowed_hosts_env") == "DJANGO_ALLOWED_HOSTS config/settings/production.py:2"


@pytest.mark.parametrize(("assignment", "fixed"), [
    ("ALLOWED_HOSTS = ['*']", None),  # admits every name
    ("ALLOWED_HOSTS = ['.railway.app', '127.0.0.1']  # where it runs", "mysite/settings.py:3"),
    ("ALLOWED_HOSTS = [\n    'shop.example.com',  # the site\n    'localhost',\n]", "mysite/settings.py:3"),
    ("ALLOWED_HOSTS = []", "mysite/settings.py:3"),
    ("ALLOWED_HOSTS = hosts_from_file()", None),  # not a list migrate can read
])
def test_django_allowed_hosts_written_in_the_settings(make_tree: MakeTree, assignment: str, fixed: str | None) -> None:
    """A fixed list admits only its names: deploy warns when it cannot admit the load balancer's."""
    app, _ = only_app(make_tree, {"requirements.txt": "django\ngunicorn\n", "manage.py": MANAGE,
                                  "mysite/settings.py": f"{SETTINGS}{assignment}\n"})
    assert app.detail("allowed_hosts_env") is None
    assert app.detail("allowed_hosts_fixed") == fixed


def test_django_without_static_root_or_settings_hint(make_tree: MakeTree) -> None:
    app, _ = only_app(
        make_tree,
        {"requirements.txt": "django\ngunicorn\n", "manage.py": MANAGE, "mysite/settings.py": "STATIC_ROOT = None\n"},
    )
    assert app.build_command.value is None
    # No WSGI_APPLICATION and no wsgi.py: startproject puts wsgi.py beside the settings module.
    assert app.start_command.value == "gunicorn mysite.wsgi:application --bind 0.0.0.0:8000"
    assert evidence(app, "start_command") == ["manage.py:6: settings module mysite.settings; startproject puts wsgi.py beside it"]


def test_django_wsgi_file_and_nested_settings_package(make_tree: MakeTree) -> None:
    manage = MANAGE.replace("mysite.settings", "config.settings.production")
    app, _ = only_app(
        make_tree,
        {
            "requirements.txt": "django\ngunicorn\n",
            "manage.py": manage,
            "config/settings/production.py": "DEBUG = False\n",
            "config/wsgi.py": "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n",
        },
    )
    assert app.start_command.value == "gunicorn config.wsgi:application --bind 0.0.0.0:8000"
    assert evidence(app, "start_command") == ["config/wsgi.py:3: WSGI application module"]


def test_django_in_src_layout(make_tree: MakeTree) -> None:
    app, _ = only_app(
        make_tree,
        {
            "pyproject.toml": '[project]\nname = "site"\nversion = "1"\ndependencies = ["django", "gunicorn", "celery"]\n',
            "src/manage.py": MANAGE,
            "src/mysite/settings.py": SETTINGS + "STATIC_ROOT = '/static'\n",
            "src/mysite/celery.py": "from celery import Celery\napp = Celery('mysite')\napp.conf.beat_schedule = {}\n",
        },
    )
    assert app.start_command.value == "gunicorn mysite.wsgi:application --bind 0.0.0.0:8000 --chdir src"
    assert app.build_command.value == "python src/manage.py collectstatic --noinput"
    assert app.detail("release_command") == "python src/manage.py migrate --noinput"
    assert {p.name: p.command for p in app.processes} == {
        "worker": "celery --workdir src -A mysite worker --loglevel=INFO",
        "beat": "celery --workdir src -A mysite beat --loglevel=INFO",
    }


def test_django_channels_uses_uvicorn(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {
            "requirements.txt": "django\nchannels\n",
            "manage.py": MANAGE,
            "mysite/settings.py": SETTINGS + 'ASGI_APPLICATION = "mysite.asgi.application"\n',
        },
    )
    assert app.start_command.value == "uvicorn mysite.asgi:application --host 0.0.0.0 --port 8000 --proxy-headers"
    assert ".: uvicorn is not a dependency; add it (the production server in the start command)" in warnings


def test_django_missing_gunicorn_warns(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "django\n", "manage.py": MANAGE, "mysite/settings.py": SETTINGS})
    assert ".: gunicorn is not a dependency; add it (the production server in the start command)" in warnings
    assert app.detail("extra_dependency") == "gunicorn"


def test_manage_py_alone_is_part_of_the_enclosing_project(make_tree: MakeTree) -> None:
    result = inspect(
        make_tree,
        {"requirements.txt": "django\ngunicorn\n", "backend/manage.py": MANAGE, "backend/mysite/settings.py": SETTINGS},
    )
    assert [a.path for a in result.apps] == ["."]
    app = result.apps[0]
    assert app.start_command.value == "gunicorn mysite.wsgi:application --bind 0.0.0.0:8000 --chdir backend"
    assert app.detail("release_command") == "python backend/manage.py migrate --noinput"


def test_procfile_wins_and_no_server_warning(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {
            "Procfile": "web: waitress-serve --port=6543 mysite.wsgi:application\n",
            "requirements.txt": "django\nwaitress\n",
            "manage.py": MANAGE,
            "mysite/settings.py": SETTINGS,
        },
    )
    assert app.start_command.value == "waitress-serve --port=6543 mysite.wsgi:application"
    assert app.port.value == 6543
    assert not any("gunicorn" in w for w in warnings)


# ---------------------------------------------------------------- FastAPI and Starlette
def test_fastapi(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {"requirements.txt": "fastapi\nuvicorn[standard]\n", "app/main.py": FASTAPI_APP + "\n@app.get('/healthz')\ndef h():\n    return {}\n"},
    )
    assert app.framework.value == "fastapi"
    assert app.start_command.value == "uvicorn app.main:app --host 0.0.0.0 --port 8000 --proxy-headers"
    assert evidence(app, "start_command") == ["app/main.py:3: fastapi app object"]
    assert app.port.value == 8000 and app.port.is_default
    assert app.health_path.value == "/healthz"
    assert app.detail("asgi_app") == "app.main:app"
    assert warnings == []


def test_fastapi_src_layout_uses_app_dir(make_tree: MakeTree) -> None:
    app, _ = only_app(
        make_tree,
        {
            "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = ["fastapi", "uvicorn"]\n',
            "src/svc/__init__.py": "",
            "src/svc/api.py": "import fastapi\n\napi: fastapi.FastAPI = fastapi.FastAPI()\n",
        },
    )
    assert app.start_command.value == "uvicorn svc.api:api --host 0.0.0.0 --port 8000 --proxy-headers --app-dir src"


def test_fastapi_factory(make_tree: MakeTree) -> None:
    main = "from fastapi import FastAPI\n\n\ndef create_app() -> FastAPI:\n    return FastAPI()\n"
    app, _ = only_app(make_tree, {"requirements.txt": "fastapi\nuvicorn\n", "svc/main.py": main})
    assert app.start_command.value == "uvicorn svc.main:create_app --host 0.0.0.0 --port 8000 --proxy-headers --factory"
    assert evidence(app, "start_command") == ["svc/main.py:4: fastapi app factory"]


def test_fastapi_app_built_at_module_level(make_tree: MakeTree) -> None:
    factory = "from fastapi import FastAPI\n\n\ndef create_app():\n    return FastAPI()\n"
    app, _ = only_app(
        make_tree,
        {"requirements.txt": "fastapi\nuvicorn\n", "svc/factory.py": factory, "svc/asgi.py": "from svc.factory import create_app\n\napp = create_app()\n"},
    )
    assert app.start_command.value == "uvicorn svc.asgi:app --host 0.0.0.0 --port 8000 --proxy-headers"


def test_fastapi_ignores_app_objects_in_tests(make_tree: MakeTree) -> None:
    app, _ = only_app(
        make_tree,
        {"requirements.txt": "fastapi\nuvicorn\n", "tests/test_api.py": FASTAPI_APP, "service.py": FASTAPI_APP},
    )
    assert app.start_command.value == "uvicorn service:app --host 0.0.0.0 --port 8000 --proxy-headers"


def test_fastapi_without_uvicorn_warns(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "fastapi\n", "main.py": FASTAPI_APP})
    assert app.start_command.value == "uvicorn main:app --host 0.0.0.0 --port 8000 --proxy-headers"
    assert ".: uvicorn is not a dependency; add it (the production server in the start command)" in warnings
    assert app.detail("extra_dependency") == "uvicorn"


def test_fastapi_without_app_object_is_unknown(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "fastapi\nuvicorn\n", "main.py": "import fastapi\n"})
    assert app.framework.value == "fastapi"
    assert app.start_command.value is None
    assert ".: could not find the fastapi app object" in warnings


def test_starlette(make_tree: MakeTree) -> None:
    code = "from starlette.applications import Starlette\n\napp = Starlette(routes=[])\n"
    app, _ = only_app(make_tree, {"requirements.txt": "starlette\nuvicorn\n", "server.py": code})
    assert app.framework.value == "starlette"
    assert app.start_command.value == "uvicorn server:app --host 0.0.0.0 --port 8000 --proxy-headers"


#: litestar-org/litestar-hello-world's layout: the app object in app.py, the litestar CLI as the only console script.
LITESTAR_PYPROJECT = """[project]
name = "hello"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = [
    "litestar[standard]>=2.4.1",
]

[project.scripts]
app = "litestar.__main__:run_cli"
"""


def test_litestar_is_served_by_uvicorn_not_by_its_cli_script(make_tree: MakeTree) -> None:
    """The console script runs the litestar CLI, which prints its help and exits: the app object is what serves."""
    code = 'from litestar import Litestar, get\n\n@get("/sync")\ndef hello() -> dict:\n    return {}\n\napp = Litestar(route_handlers=[hello])\n'
    app, _ = only_app(make_tree, {"pyproject.toml": LITESTAR_PYPROJECT, "app.py": code})
    assert app.framework.value == "litestar"
    assert app.start_command.value == "uvicorn app:app --host 0.0.0.0 --port 8000 --proxy-headers"
    assert evidence(app, "start_command") == ["app.py:7: litestar app object"]
    assert app.detail("extra_dependency") is None  # litestar[standard] brings uvicorn
    assert (app.port.value, app.port.is_default) == (8000, True)


# ---------------------------------------------------------------- Flask
def test_flask_object(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "Flask==3.0\ngunicorn\n", "app.py": FLASK_APP})
    assert app.framework.value == "flask"
    assert evidence(app, "framework") == ["requirements.txt:1: requires Flask"]
    assert app.start_command.value == "gunicorn app:app --bind 0.0.0.0:8000"
    assert evidence(app, "start_command") == ["app.py:3: Flask app object"]
    assert app.health_path.value == "/health"
    assert warnings == []


def test_flask_port_is_gunicorns_not_the_dev_servers(make_tree: MakeTree) -> None:
    code = FLASK_APP + "\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=int(os.environ.get('PORT', 5000)))\n"
    app, _ = only_app(make_tree, {"requirements.txt": "flask\ngunicorn\n", "app.py": "import os\n" + code})
    assert app.port.value == 8000, "the port is the one the start command binds"
    assert app.port.is_default
    assert evidence(app, "port") == [
        (
            "app.py:4: the start command binds gunicorn to port 8000 "
            "(gunicorn's default port; Flask's 5000 is only the `flask run` development server's)"
        )
    ]


def test_flask_factory_in_src_layout(make_tree: MakeTree) -> None:
    factory = "from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n    return app\n"
    app, _ = only_app(
        make_tree,
        {"pyproject.toml": '[project]\nname = "web"\nversion = "1"\ndependencies = ["flask", "gunicorn"]\n', "src/web/__init__.py": factory},
    )
    assert app.start_command.value == "gunicorn 'web:create_app()' --bind 0.0.0.0:8000 --chdir src"
    assert evidence(app, "start_command") == ["src/web/__init__.py:4: Flask app factory"]
    assert app.detail("wsgi_app") == "web:create_app()"


def test_flask_app_built_by_factory(make_tree: MakeTree) -> None:
    factory = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"
    app, _ = only_app(
        make_tree,
        {"requirements.txt": "flask\ngunicorn\n", "web/__init__.py": factory, "wsgi.py": "from web import create_app\n\napplication = create_app()\n"},
    )
    assert app.start_command.value == "gunicorn wsgi:application --bind 0.0.0.0:8000"


def test_flask_with_celery_worker(make_tree: MakeTree) -> None:
    app, _ = only_app(
        make_tree,
        {
            "requirements.txt": "flask\ngunicorn\ncelery[redis]\n",
            "app.py": FLASK_APP,
            "tasks.py": "from celery import Celery\n\ncelery = Celery(__name__, broker='redis://')\n",
        },
    )
    assert {p.name: p.command for p in app.processes} == {"worker": "celery -A tasks worker --loglevel=INFO"}
    assert [s.kind for s in app.backing_services] == ["redis"]


# ---------------------------------------------------------------- Quart
QUART_APP = "from quart import Quart\n\napp = Quart(__name__)\n\n\n@app.route('/healthz')\nasync def health():\n    return 'ok'\n"


def test_quart_object_is_served_by_hypercorn(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "quart==0.20.0\nhypercorn==0.18.0\n", "app.py": QUART_APP})
    assert app.framework.value == "quart" and evidence(app, "framework") == ["requirements.txt:1: requires quart"]
    assert app.start_command.value == "hypercorn app:app --bind 0.0.0.0:8000"
    assert evidence(app, "start_command") == ["app.py:3: Quart app object"]
    assert (app.port.value, app.health_path.value, app.detail("asgi_app")) == (8000, "/healthz", "app:app")
    assert warnings == [] and app.detail("extra_dependency") is None


def test_quart_without_hypercorn_gets_it_added(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "quart\n", "app.py": QUART_APP})
    assert app.detail("extra_dependency") == "hypercorn"
    assert ".: hypercorn is not a dependency; add it (the production server in the start command)" in warnings


def test_quart_factory_in_src_layout_is_named_by_its_path(make_tree: MakeTree) -> None:
    """hypercorn has no --chdir: ``src/web:create_app()`` puts src on sys.path and calls the factory."""
    factory = "from quart import Quart\n\n\ndef create_app():\n    app = Quart(__name__)\n    return app\n"
    pyproject = '[project]\nname = "web"\nversion = "1"\ndependencies = ["quart", "hypercorn"]\n'
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject, "src/web/__init__.py": factory})
    assert app.start_command.value == "hypercorn 'src/web:create_app()' --bind 0.0.0.0:8000"
    assert evidence(app, "start_command") == ["src/web/__init__.py:4: Quart app factory"]


def test_quart_wins_over_flask_listed_beside_it(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"requirements.txt": "flask\nquart\n", "app.py": QUART_APP})
    assert app.framework.value == "quart" and app.start_command.value.startswith("hypercorn ")


def test_quart_without_a_manifest_is_an_app(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"app.py": QUART_APP})
    assert app.framework.value == "quart" and app.detail("install_packages") == "quart"


def test_quart_health_route_under_a_blueprint_prefix(make_tree: MakeTree) -> None:
    files = {
        "requirements.txt": "quart\n",
        "app.py": "from quart import Quart\nfrom ops import ops\n\napp = Quart(__name__)\napp.register_blueprint(ops, url_prefix='/ops')\n",
        "ops.py": "from quart import Blueprint\n\nops = Blueprint('ops', __name__)\n\n\n@ops.get('/health')\nasync def health():\n    return 'ok'\n",
    }
    app, _ = only_app(make_tree, files)
    assert app.health_path.value == "/ops/health"


def test_flask_without_app_warns(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "flask\n", "views.py": "import flask\n"})
    assert app.start_command.value is None
    assert ".: could not find the Flask app object or factory" in warnings


# ---------------------------------------------------------------- Streamlit, Celery, scripts
def test_streamlit(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {
            "requirements.txt": "streamlit\n",
            "pages/1_Stats.py": "import streamlit as st\n",
            "Home.py": "import streamlit as st\nst.title('hi')\n",
        },
    )
    assert app.framework.value == "streamlit"
    assert app.start_command.value == "streamlit run Home.py --server.port 8501 --server.address 0.0.0.0 --server.headless true"
    assert app.port.value == 8501 and app.port.is_default
    assert app.health_path.value == "/_stcore/health"
    assert warnings == []


def test_streamlit_port_from_config(make_tree: MakeTree) -> None:
    app, _ = only_app(
        make_tree,
        {"requirements.txt": "streamlit\n", "dash.py": "import streamlit\n", ".streamlit/config.toml": "[server]\nport = 8080\n"},
    )
    assert app.start_command.value == "streamlit run dash.py --server.port 8080 --server.address 0.0.0.0 --server.headless true"
    assert app.port.value == 8080 and not app.port.is_default
    assert evidence(app, "port") == [".streamlit/config.toml:2: [server] port"]


def test_celery_worker_only(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {"requirements.txt": "celery[redis]\n", "worker/celery.py": "from celery import Celery\n\napp = Celery('worker')\n"},
    )
    assert app.framework.value == "celery"
    assert app.start_command.value == "celery -A worker worker --loglevel=INFO"
    assert evidence(app, "start_command") == ["worker/celery.py:3: Celery app object"]
    assert app.port.value is None
    assert app.detail("worker") == "true"
    assert not any("port" in w for w in warnings), "a worker listens on no port"


def test_celery_without_app_object_warns(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "celery\n", "jobs.py": "import celery\n"})
    assert app.framework.value == "celery" and app.start_command.value is None
    assert any("no Celery() app object was found" in w for w in warnings)


def test_plain_script_with_main_guard(make_tree: MakeTree) -> None:
    code = "import uvicorn\n\nif __name__ == '__main__':\n    uvicorn.run('x:app', host='0.0.0.0', port=8123)\n"
    app, _ = only_app(make_tree, {"requirements.txt": "requests\n", "main.py": code})
    assert app.framework.value is None
    assert app.start_command.value == "python main.py"
    assert evidence(app, "start_command") == ["main.py:3: script with a __main__ entry point"]
    assert app.port.value == 8123
    assert evidence(app, "port") == ["main.py:4: port the script's server listens on"]


@pytest.mark.parametrize("define", ['define("port", default=5555, type=int, help="Run on the given port")',
                                    "options.define('port', 5555)"])
def test_a_tornado_options_port_is_the_port(make_tree: MakeTree, define: str) -> None:
    """mher/flower: tornado.options' port option, whose default the server listens on."""
    code = f"from tornado.options import define, options\n{define}\n\nif __name__ == '__main__':\n    app.listen(options.port)\n"
    app, _ = only_app(make_tree, {"requirements.txt": "tornado\n", "server.py": code})
    assert (app.start_command.value, app.port.value) == ("python server.py", 5555)
    assert evidence(app, "port") == ["server.py:2: the port option's default (tornado.options), which the server listens on"]


def test_package_main_module(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"requirements.txt": "requests\n", "bot/__main__.py": "print('hi')\n"})
    assert app.start_command.value == "python -m bot"


def test_console_script(make_tree: MakeTree) -> None:
    pyproject = '[project]\nname = "tool"\nversion = "1"\ndependencies = []\n\n[project.scripts]\nsync-data = "tool.cli:main"\n'
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject})
    assert app.name == "tool"
    assert evidence(app, "language") == ["pyproject.toml: Python manifest"]
    assert app.start_command.value == "sync-data"
    assert evidence(app, "start_command") == ["pyproject.toml:7: the project's only console script"]


def test_library_has_no_start_command(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"requirements.txt": "requests\n", "lib.py": "def f():\n    return 1\n"})
    assert app.start_command.value is None and app.framework.value is None
    assert any("could not tell how to start it" in w for w in warnings)


def test_project_name_evidence_is_in_its_table(make_tree: MakeTree) -> None:
    pyproject = '[[tool.uv.index]]\nname = "mirror"\nurl = "https://example.com"\n\n[project]\nname = "real-name"\ndependencies = []\n'
    app, _ = only_app(make_tree, {"pyproject.toml": pyproject})
    assert app.name == "real-name"


def test_docs_requirements_inside_an_app_are_not_an_app(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"requirements.txt": "flask\n", "app.py": FLASK_APP, "docs/requirements.txt": "mkdocs\n"})
    assert [a.path for a in result.apps] == ["."]


# ---------------------------------------------------------------- uwsgi
UWSGI_DJANGO = {
    "requirements.txt": "django\nuwsgi\n",
    "manage.py": MANAGE,
    "mysite/settings.py": SETTINGS,
}


def test_uwsgi_ini_from_the_procfile_listens_on_port_env(make_tree: MakeTree) -> None:
    ini = "[uwsgi]\nhttp-socket=:$(PORT)\nmaster=true\nwsgi-file=mysite/wsgi.py\n"
    app, warnings = only_app(make_tree, {**UWSGI_DJANGO, "Procfile": "web: uwsgi ./etc/uwsgi.ini\n", "etc/uwsgi.ini": ini})
    assert app.start_command.value == "uwsgi ./etc/uwsgi.ini"
    assert app.detail("uwsgi_ini") == "etc/uwsgi.ini"
    assert app.detail("port_env") == "PORT"
    assert app.port.value == 8000 and app.port.is_default
    assert evidence(app, "port") == ["etc/uwsgi.ini:2: uwsgi listens on $PORT (:$(PORT)); PORT=8000 is set for it"]
    assert app.detail("extra_dependency") is None  # no gunicorn added beside uwsgi
    assert not [w for w in warnings if "uwsgi" in w]


def test_uwsgi_at_the_end_of_a_chain_reads_its_ini_where_cd_moved(make_tree: MakeTree) -> None:
    ini = "[uwsgi]\nhttp-socket = :9000\nwsgi-file = ../mysite/wsgi.py\n"
    web = "web: python manage.py collectstatic --noinput && cd deploy && uwsgi --ini uwsgi.ini\n"
    app, _ = only_app(make_tree, {**UWSGI_DJANGO, "Procfile": web, "deploy/uwsgi.ini": ini})
    assert app.detail("uwsgi_ini") == "deploy/uwsgi.ini" and app.port.value == 9000
    assert app.detail("extra_dependency") is None  # uwsgi serves: no gunicorn added for the chain's first word


def test_uwsgi_dependency_with_an_ini_is_the_server(make_tree: MakeTree) -> None:
    ini = "[uwsgi]\nmodule = mysite.wsgi:application\nhttp = 0.0.0.0:9090\n"
    app, _ = only_app(make_tree, {**UWSGI_DJANGO, "uwsgi.ini": ini})
    assert app.start_command.value == "uwsgi --ini uwsgi.ini"
    assert evidence(app, "start_command") == ["uwsgi.ini:1: uwsgi configuration"]
    assert app.port.value == 9090 and not app.port.is_default
    assert evidence(app, "port") == ["uwsgi.ini:3: uwsgi listens on 0.0.0.0:9090"]


@pytest.mark.parametrize(
    ("ini", "warning"),
    [
        ("[uwsgi]\nsocket = :3031\nmodule = mysite.wsgi\n", "uwsgi.ini: uwsgi listens the uwsgi protocol only (socket=)"),
        ("[uwsgi]\nhttp-socket = 127.0.0.1:8000\nmodule = mysite.wsgi\n", "uwsgi.ini:2: uwsgi listens on 127.0.0.1:8000, unreachable"),
    ],
)
def test_uwsgi_addresses_nothing_outside_can_reach_warn(make_tree: MakeTree, ini: str, warning: str) -> None:
    _, warnings = only_app(make_tree, {**UWSGI_DJANGO, "uwsgi.ini": ini})
    assert any(w.startswith(f".: {warning}") for w in warnings), warnings


def test_uwsgi_without_an_ini_is_left_to_the_framework(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {**UWSGI_DJANGO, "requirements.txt": "django\nuwsgi\ngunicorn\n"})
    assert app.start_command.value.startswith("gunicorn ")


# ---------------------------------------------------------------- Django settings modules
def test_django_dev_settings_default_runs_production_in_the_image(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {
            "requirements.txt": "django\ngunicorn\n",
            "manage.py": MANAGE.replace('"mysite.settings"', '"mysite.settings.dev"'),
            "mysite/wsgi.py": "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
            "mysite/settings/__init__.py": "",
            "mysite/settings/dev.py": "DEBUG = True\n",
            "mysite/settings/prod.py": "DEBUG = False\n",
        },
    )
    assert app.detail("django_settings_module") == "mysite.settings.prod"
    assert app.detail("django_dev_settings_module") == "mysite.settings.dev"
    assert any("the image runs mysite.settings.prod (mysite/settings/prod.py)" in w for w in warnings)


# ---------------------------------------------------------------- pipenv lock hashes
PAKETO_PIPFILE = '[packages]\nFlask = "==2.0.2"\ngunicorn = "*"\n\n[dev-packages]\ntox = "*"\n'


def _lock(sha: str) -> str:
    import json

    return json.dumps({"_meta": {"hash": {"sha256": sha}, "pipfile-spec": 6}, "default": {}, "develop": {}})


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [(True, None), (False, "was written by a pipenv older than 2025"), (None, "is out of date")],
)
def test_pipenv_lock_hash_is_checked(make_tree: MakeTree, canonical: bool | None, expected: str | None) -> None:
    from migrate.inspect.detectors.python_build import pipfile_hashes

    today, legacy = pipfile_hashes({"packages": {"Flask": "==2.0.2", "gunicorn": "*"}, "dev-packages": {"tox": "*"}})
    sha = {True: today, False: legacy, None: "0" * 64}[canonical]
    _, warnings = only_app(make_tree, {"Pipfile": PAKETO_PIPFILE, "Pipfile.lock": _lock(sha), "app.py": FLASK_APP})
    stale = [w for w in warnings if w.startswith(".: Pipfile.lock ")]
    if expected is None:
        assert stale == []
    else:
        assert len(stale) == 1 and expected in stale[0] and "run `pipenv lock`" in stale[0]


def test_pipfile_hashes_match_pipenv() -> None:
    """Both hashes as pipenv computes them (today's: pipenv 2026.10.3's ``calculate_hash``; the older one is
    the hash in Paketo's python/pipenv sample lock, for this Pipfile)."""
    from migrate.inspect.detectors.python_build import pipfile_hashes

    pipfile = {"packages": {"Flask": "==2.0.2", "gunicorn": "*"}, "dev-packages": {"tox": "*", "coverage": "*", "flake8": "*", "flask-testing": "*"}}
    assert pipfile_hashes(pipfile) == (
        "81826d91319dab23dec32c00344ae2dc57089e902fe097cdf3c3b7a4492fc990",
        "397f7aa132622ec6e1dc83745c1b80b1e4945f1533d8f334a6e222f2817b11e7",
    )


@pytest.mark.parametrize(("requirements", "python", "native", "build", "runtime"), [
    # DjangoGirls/djangogirls: pins made before Python 3.12 have no wheel for it and compile against system libraries.
    ("lxml==4.9.2\npsycopg2-binary==2.8.3\n", None, "lxml psycopg2-binary",
     "build-essential libxml2-dev libxslt1-dev libpq-dev", "libxml2 libxslt1.1 libpq5"),
    ("lxml==5.3.0\npsycopg2-binary==2.9.10  # current\n", None, None, None, None),  # wheels for 3.12
    ("lxml>=4.9\npsycopg2-binary\n", None, None, None, None),  # not pinned: pip takes a release with a wheel
    ("lxml==4.9.2\n", "3.10", None, None, None),  # a Python its wheels were made for
    ("psycopg2-binary==2.9.9\n", "3.13", "psycopg2-binary", "build-essential libpq-dev", "libpq5"),
])
def test_an_exact_pin_older_than_the_pythons_wheels_is_compiled(
        make_tree: MakeTree, requirements: str, python: str | None, native: str | None, build: str | None, runtime: str | None) -> None:
    files = {"requirements.txt": "flask\n" + requirements, "app.py": "from flask import Flask\napp = Flask(__name__)\n"}
    if python:
        files[".python-version"] = python + "\n"
    app, _ = only_app(make_tree, files)
    assert app.detail("native_dependencies") == native
    assert (app.detail("build_packages"), app.detail("runtime_packages")) == (build, runtime)


def test_a_native_package_only_the_pipenv_lock_pins_gets_its_build_packages(make_tree: MakeTree) -> None:
    """greyli/bluelog: Pipfile.lock pins psycopg2 (a source build needing pg_config) that the Pipfile no longer
    names; the image installs the lock, so the build stage needs libpq-dev and the runtime libpq5."""
    import json

    lock = json.dumps({"_meta": {"hash": {"sha256": "0" * 64}}, "develop": {"coverage": {"version": "==5.0.4"}},
                       "default": {"flask": {"version": "==1.1.2"}, "psycopg2": {"version": "==2.8.4"}, "gunicorn": {"version": "==20.0.4"}}})
    app, _ = only_app(make_tree, {"Pipfile": PAKETO_PIPFILE, "Pipfile.lock": lock, "app.py": FLASK_APP})
    assert app.detail("native_dependencies") == "psycopg2"
    assert (app.detail("build_packages"), app.detail("runtime_packages")) == ("build-essential libpq-dev", "libpq5")
    dev_only = json.dumps({"_meta": {}, "default": {"flask": {}}, "develop": {"psycopg2": {}}})
    app, _ = only_app(make_tree, {"Pipfile": PAKETO_PIPFILE, "Pipfile.lock": dev_only, "app.py": FLASK_APP})
    assert app.detail("native_dependencies") is None  # the dev section is not installed in the image

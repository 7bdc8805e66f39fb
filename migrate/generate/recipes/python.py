"""Python: a virtualenv built in one stage, copied into a slim runtime stage."""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex

from migrate.generate.plan import ContainerPlan, WatchRule, start_argv
from migrate.generate.probes import http_probe, probe_of
from migrate.generate.recipes.common import (
    base_plan,
    build_context,
    build_placeholder,
    copy_groups,
    dockerfile_path,
    in_context,
    manifests,
)
from migrate.generate.versions import TOOLS
from migrate.profile import AppProfile
from migrate.shell import parse

#: Package-manager tools, installed with the image's own pip (outside the app's venv,
#: so they never ship in the runtime stage).
_TOOL_PACKAGES: dict[str, tuple[str, ...]] = {
    "uv": ("uv",),
    "poetry": ("poetry",),
    "pipenv": ("pipenv",),
    "pdm": ("pdm",),
}
#: A tool's own dependency pinned beside it where the newest release breaks it: pdm 2.29.4 asks for
#: ``hishel>=1.4.0``, and with hishel 2.0 every download dies (``module 'hishel' has no attribute
#: 'SyncSqliteStorage'``). TOOLS pins it as pdm's own "locked" extra does (whose other pins do not all resolve).
_TOOL_PINS: dict[str, tuple[str, ...]] = {"pdm": ("hishel",)}
#: How each package manager installs only the runtime dependencies into the active venv.
_INSTALL: dict[str, list[str]] = {
    "pip": ["pip install --no-cache-dir -r {requirements}"],
    "uv": ["uv sync --frozen --no-dev --no-install-project --active"],
    "poetry": ["POETRY_VIRTUALENVS_CREATE=false poetry install --only main --no-root --no-interaction"],
    # Exactly what the lock pins. Not "pipenv install --deploy": it refuses locks whose Pipfile hash
    # today's pipenv computes differently (every lock an older pipenv wrote for a name like "Flask").
    "pipenv": ["pipenv requirements > /tmp/requirements.txt", "pip install --no-cache-dir -r /tmp/requirements.txt"],
    "pdm": ["pdm export --prod --no-hashes -o /tmp/requirements.txt", "pip install --no-cache-dir -r /tmp/requirements.txt"],
}
#: How the dependencies an installable project declares (``dependency_source``) become a requirements
#: list with only their manifest in place: the standard library reads it (tomllib from Python 3.11).
_DECLARED: dict[str, str] = {
    "pyproject": "{python} -c \"import {toml}; p = {toml}.load(open('pyproject.toml', 'rb'))['project']; "
    "print(*p.get('dependencies', []){extras}, sep='\\n')\"",
    "setup.cfg": "python -c \"import configparser; c = configparser.ConfigParser(interpolation=None); c.read('setup.cfg'); "
    "print(c.get('options', 'install_requires', fallback=''))\"",
}
#: Compilers for whatever pip builds from source (build stage only). Measured on python:3.12-slim:
#: 21 s and 289 MB of build cache once per base image; gcc and libc6-dev alone save 5 s and 106 MB
#: but cannot build C++ extensions (greenlet) or sdists that run make.
_TOOLCHAIN = ("build-essential",)
#: Reads pyproject.toml where the standard library cannot (Python < 3.11); build stage only.
_TOML_READER = "tomli==2.2.1"

#: Flags that make each production server reload on source changes (the dev target).
_RELOAD_FLAGS = {
    "gunicorn": "--reload",
    "uvicorn": "--reload",
    "hypercorn": "--reload",
    "streamlit": "--server.runOnSave true",
    "uwsgi": "--py-autoreload 1",
}


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Python app."""
    manager = app.package_manager.value or "pip"
    requirements = app.detail("requirements_file") or "requirements.txt"
    install = [step.format(requirements=shlex.quote(requirements), **TOOLS) for step in _install_steps(app, manager)]
    packages = app.detail("install_packages")
    extra = app.detail("extra_dependency")
    extra_packages = [f"{extra}=={TOOLS[extra]}"] if extra in TOOLS else []
    project_install = _project_install(app, extra_packages)
    install = project_install[0] if project_install else install
    if app.detail("no_manifest"):
        # No manifest: the distributions its imports prove, newest releases (inspect warned about pinning),
        # installed with the venv in one step (there is no manifest to copy first).
        install, extra_packages, packages = [], [], " ".join([p for p in (packages, *extra_packages) if p])
    after_source: list[str] = project_install[1] if project_install else []
    if manager == "uv" and app.detail("uv_workspace"):
        # A uv workspace: its lock is synced at the root with only the manifests in place, so the
        # workspace's own packages (which need their source) wait for the source.
        package = f" --package {app.detail('uv_package')}" if app.detail("uv_package") else ""
        install = [f"uv sync --frozen --no-dev --no-install-workspace --active{package}"]
        after_source = [f"uv sync --frozen --no-dev --active{package}"] if app.detail("uv_workspace_sources") else []
    workdir = posixpath.normpath(posixpath.join("/app", posixpath.relpath(app.path, build_context(app))))
    tools = [pin for name in _TOOL_PACKAGES.get(manager, ()) for pin in (f"{name}=={TOOLS[name]}", *(f"{dep}=={TOOLS[dep]}" for dep in _TOOL_PINS.get(name, ())))]
    values = {
        "tools": tools,
        # The build stage alone reads pyproject.toml with tomli where Python has no tomllib.
        "build_tools": tools + ([_TOML_READER] if project_install and not _has_tomllib(app) else []),
        "manifests": manifests(app),
        # One COPY per folder: a COPY of files from several folders would flatten requirements/base.txt.
        "manifest_copies": copy_groups([c for c in (in_context(app, m) for m in manifests(app)) if c is not None]),
        "workdir": workdir,
        "install_after_source": after_source,
        "project_install": project_install is not None,
        # One RUN: the server joins the dependencies' install (a RUN of its own trips hadolint DL3059).
        "install": install + ([f"pip install --no-cache-dir {' '.join(extra_packages)}"] if extra_packages and install and not project_install else []),
        "install_needs_source": not app.detail("no_manifest") and (not install or not manifests(app)),
        "scm_version_env": (app.detail("scm_version_env") or "").split(),
        # What pip installs when it must build the project to learn its dependencies.
        "project_target": shlex.quote(f".[{app.detail('install_extra')}]") if app.detail("install_extra") else ".",
        "unpinned": packages,
        "extra_packages": extra_packages,
        "build_command": app.build_command.value,
        "build_env": _build_env(app),
        "dev_requirements": app.detail("dev_requirements_file"),
        "native_dependencies": (app.detail("native_dependencies") or "").split(),
        "build_packages": _build_packages(app),
        "runtime_packages": (app.detail("runtime_packages") or "").split(),
        "settings_module": app.detail("django_settings_module") if app.detail("django_dev_settings_module") else None,
        "dev_settings_module": app.detail("django_dev_settings_module"),
    }
    start = _production_command(app)  # None: the CMD says so and fails, never a guess
    values["init"] = _runs_the_interpreter(start)
    result = base_plan(
        app,
        template="python.Dockerfile.j2",
        images={"runtime": f"python:{app.runtime_version.value}-slim"},
        cmd=start_argv(start, dockerfile_path(app)),
        dev_cmd=start_argv(_dev_command(app) or start, dockerfile_path(app)),
        healthcheck=http_probe("python", probe_of(app)),
        values=values,
        watch=(
            WatchRule("sync", ".", workdir, ignore=(".venv/", "__pycache__/")),
            *(WatchRule("rebuild", m) for m in manifests(app)),
        ),
        post_create=_post_create(app, manager),
        extensions=("ms-python.python", "ms-python.debugpy", "charliermarsh.ruff"),
    )
    return dataclasses.replace(result, notes=_notes(app))


#: The interpreter itself: a script it runs (``python app.py``, ``python -m bot``), not a server.
_INTERPRETERS = frozenset({"python", "python3"})


def _runs_the_interpreter(command: str | None) -> bool:
    """Whether the app is a script the interpreter runs, as PID 1 it would ignore SIGTERM.

    The kernel gives PID 1 no default action for SIGTERM: a script that installs no handler keeps running
    through ``docker stop`` (killed 10 s later) and through every ECS deployment's stop timeout. gunicorn,
    uvicorn, hypercorn, streamlit and celery handle SIGTERM themselves; a script runs under tini, which is
    PID 1 and passes the signal on to it, where the default action ends it.
    """
    program = parse(command).program if command else None
    return program is not None and program in _INTERPRETERS


def _build_packages(app: AppProfile) -> list[str]:
    """The build stage's system packages: a C toolchain always, and the known native dependencies' headers.

    pip compiles any requirement with no wheel for the image's Python (multidict 6.0.4 on 3.12), and
    which ones those are depends on the index, not on anything a tree shows: the toolchain comes
    first, and stays in the build stage (only the venv reaches the runtime image).
    """
    if app.detail("no_manifest") and not app.detail("install_packages"):
        return []  # nothing to install
    packages = [*_TOOLCHAIN, *(app.detail("build_packages") or "").split()]
    return list(dict.fromkeys(packages))


def _listed(app: AppProfile, key: str) -> str:
    """A space-separated detail as a comma-separated list ("" when absent)."""
    return ", ".join((app.detail(key) or "").split())


def _notes(app: AppProfile) -> tuple[str, ...]:
    """What CONTAINERS.md says about this image beyond the common table."""
    notes = [
        "The runtime virtualenv (/opt/venv) holds the app's dependencies only: it is created without pip, "
        "and the image's own pip installs into it (PIP_PYTHON), so pip, setuptools and wheel never ship."
    ]
    if _build_packages(app):
        notes.append(
            "The build stage installs a C toolchain (build-essential), so pip can compile any dependency that has no "
            "wheel for this Python (an old pin, a source-only release); measured on python:3.12-slim it costs about "
            "20 s and 290 MB of build cache once per base image, and nothing in the runtime image, which receives only "
            "/opt/venv and the app. A dependency compiled against another system library needs that library's -dev "
            "package in the build stage (the compile fails naming the missing header) and its shared library in the runtime stage."
        )
    if _runs_the_interpreter(_production_command(app)):
        notes.append(
            "tini is PID 1 (ENTRYPOINT): the app is a script the interpreter runs, and as PID 1 a process without a "
            "SIGTERM handler ignores the signal, so `docker stop` would wait 10 s and every ECS deployment its stop "
            "timeout; tini passes SIGTERM on, and the script ends (or runs the handler it installs)."
        )
    if _production_command(app) != app.start_command.value:
        notes.append(
            "The server keeps idle connections 75 s (the flag added to its command), longer than an AWS load "
            "balancer's 60 s idle timeout: with its default 5 s (2 s for gunicorn) it closes connections the "
            "balancer is about to reuse, and those requests fail with 502."
        )
    native = _listed(app, "native_dependencies")
    if native:
        build, runtime = _listed(app, "build_packages"), _listed(app, "runtime_packages")
        note = f"Native dependencies ({native}):"
        note += f" the build stage installs {build} to compile them" if build else ""
        note += f"{';' if build else ''} the runtime stage installs the shared libraries they load ({runtime})" if runtime else ""
        notes.append(note + ".")
    dynamic = app.detail("dynamic_dependencies")
    if dynamic:
        notes.append(
            f"No dependency layer: {dynamic}, so pip learns the dependencies only by building the project from its "
            "source, and every source change reinstalls them. List them in [project] dependencies (or a requirements "
            "file named in [tool.setuptools.dynamic]) and run migrate again: they then install before the source."
        )
    scm = app.detail("scm_version_env")
    if scm:
        notes.append(
            f"The project takes its version from git, which .dockerignore keeps out of the build: the install sets "
            f"{scm.replace(' ', ', ')} to a placeholder, so the installed metadata says 0.0.0."
        )
    dev_settings = app.detail("django_dev_settings_module")
    if dev_settings:
        notes.append(
            f"DJANGO_SETTINGS_MODULE={app.detail('django_settings_module')} in the image (manage.py defaults to "
            f"{dev_settings}, a development module); the dev target sets {dev_settings}."
        )
    return tuple(notes)


def _project_install(app: AppProfile, extra_packages: list[str]) -> tuple[list[str], list[str]] | None:
    """``(steps with only the manifests, steps after the source)`` of a project pip installs from its
    source, when its dependencies are declared statically: they install first, the project last with
    ``--no-deps`` (nothing re-resolved). None when they are dynamic: pip must build it to learn them.
    ``extra_packages`` (the production server) join the dependencies' install: one resolution.
    """
    source = app.detail("dependency_source")
    if source is None or app.detail("install_command") != "pip install .":
        return None
    extra = "".join(f" {p}" for p in extra_packages)
    if source == "files":
        first = ["pip install --no-cache-dir " + " ".join(f"-r {shlex.quote(f)}" for f in manifests(app)) + extra]
    else:
        tomllib = _has_tomllib(app)
        extra_of_project = app.detail("install_extra")  # the project's extra holding its server
        extras = f", *p['optional-dependencies']['{extra_of_project}']" if extra_of_project else ""
        python, toml = ("python", "tomllib") if tomllib else ("/usr/local/bin/python", "tomli")
        read = _DECLARED[source].format(python=python, toml=toml, extras=extras)
        first = [f"{read} > /tmp/requirements.txt", f"pip install --no-cache-dir -r /tmp/requirements.txt{extra}"]
    return first, ["pip install --no-cache-dir --no-deps ."]


def _has_tomllib(app: AppProfile) -> bool:
    """Whether the image's Python reads TOML itself (3.11 and later)."""
    try:
        return tuple(int(p) for p in str(app.runtime_version.value).split(".")[:2]) >= (3, 11)
    except ValueError:
        return True  # an unusual tag ("3-slim"): the newest line has it


def _install_steps(app: AppProfile, manager: str) -> list[str]:
    """The manager's install steps; a Pipfile without a lockfile is locked first."""
    steps = _INSTALL.get(manager, [])
    if manager == "pipenv" and "Pipfile.lock" not in manifests(app):
        return ["pipenv lock", *steps]
    if manager == "pdm" and app.detail("pdm_lock_without_markers"):
        # `pdm export` refuses a lock without markers; pdm installs it into the active venv itself (no pip needed there).
        return ["pdm sync --prod --no-self --no-editable"]
    return steps


#: Servers that close an idle keep-alive connection after 5 s, before the load balancer's 60 s idle
#: timeout: a request the balancer sends on such a connection as it closes fails with a 502. Their
#: flag that keeps connections longer, and the flags that show the command sets it already.
_KEEP_ALIVE = {
    "uvicorn": ("--timeout-keep-alive 75", ("--timeout-keep-alive",)),
    "hypercorn": ("--keep-alive 75", ("--keep-alive", "-c", "--config")),
}
#: gunicorn's keepalive (2 s) matters with worker classes that keep connections open (its sync worker
#: closes each one after the response: the balancer never reuses it).
_GUNICORN_KEEPING = re.compile(r"(?<!\S)(?:-k|--worker-class)[= ]\s*(?!sync\b)\S")
_GUNICORN_KEEP_ALIVE = re.compile(r"(?<!\S)--keep-alive\b")


def _production_command(app: AppProfile) -> str | None:
    """The start command, its server told to keep idle connections longer than the load balancer does."""
    start = app.start_command.value
    if not start:
        return None
    line = parse(start)
    if not start.rstrip().endswith(line.server):  # a pipeline (`| tee`): the server's flags cannot go last
        return start
    words = line.words
    if line.program in _KEEP_ALIVE:
        flag, present = _KEEP_ALIVE[line.program]
        if not any(w == p or w.startswith(p + "=") for w in words for p in present):
            return f"{start} {flag}"
    if line.program == "gunicorn" and _GUNICORN_KEEPING.search(line.server) and not _GUNICORN_KEEP_ALIVE.search(line.server):
        return f"{start} --keep-alive 75"
    return start


def _dev_command(app: AppProfile) -> str | None:
    """The production command with its server's reload flag: dev runs what production runs."""
    start = _production_command(app)
    if not start:
        return None
    line = parse(start)
    # The flag goes after the server, the chain's last command; not after a pipeline's last (`| tee`).
    if line.program not in _RELOAD_FLAGS or not start.rstrip().endswith(line.server):
        return None
    return f"{start} {_RELOAD_FLAGS[line.program]}"


def _build_env(app: AppProfile) -> dict[str, str]:
    """Placeholders for required variables, so build steps that import settings can run.

    They exist only in the build step's own environment, never in the image.
    """
    if not app.build_command.value:
        return {}
    return {v.name: build_placeholder(v.name) for v in app.env if v.required}


def _post_create(app: AppProfile, manager: str) -> str | None:
    """Install the dev dependencies into the image's venv (the dev target makes it the app user's).

    The command is the package manager's that the tree really uses: a pyproject-only app has no
    requirements.txt to install from.
    """
    dev = app.detail("dev_requirements_file")
    requirements = app.detail("requirements_file")
    if app.detail("no_manifest"):
        return f"pip install {app.detail('install_packages')}" if app.detail("install_packages") else None
    if manager == "pip" and requirements:
        return f"pip install -r {shlex.quote(dev or requirements)}"
    if manager in ("pip", "setuptools"):
        dev_install = f"pip install -r {shlex.quote(dev)}" if dev else None
        if app.detail("install_command") != "pip install .":
            return dev_install  # nothing installable (no manifest at all)
        # An installable project (pyproject.toml, setup.py): editable, with its dev extra if it has one.
        extra = app.detail("dev_extra")
        editable = "pip install -e " + (shlex.quote(f".[{extra}]") if extra else ".")
        return f"{editable} -r {shlex.quote(dev)}" if dev else editable
    return {
        "uv": "uv sync --frozen --active",
        "poetry": "POETRY_VIRTUALENVS_CREATE=false poetry install --no-interaction --no-root",
        "pipenv": "pipenv requirements --dev > /tmp/requirements-dev.txt && pip install -r /tmp/requirements-dev.txt",
        "pdm": "pdm sync --dev --no-self",
    }.get(manager, "pip install -e .")

"""Python: a virtualenv built in one stage, copied into a slim runtime stage."""

from __future__ import annotations

import posixpath
import shlex

from migrate.generate.plan import ContainerPlan, WatchRule, command_argv
from migrate.generate.recipes.common import (
    base_plan,
    build_context,
    copy_groups,
    http_probe,
    in_context,
    manifests,
    tcp_or_http,
)
from migrate.generate.versions import TOOLS
from migrate.profile import AppProfile

#: Package-manager tools, installed with the image's own pip (outside the app's venv,
#: so they never ship in the runtime stage).
_TOOL_PACKAGES: dict[str, tuple[str, ...]] = {
    "uv": ("uv",),
    "poetry": ("poetry",),
    "pipenv": ("pipenv",),
    "pdm": ("pdm",),
}
#: How each package manager installs only the runtime dependencies into the active venv.
_INSTALL: dict[str, list[str]] = {
    "pip": ["pip install --no-cache-dir -r {requirements}"],
    "uv": ["uv sync --frozen --no-dev --no-install-project --active"],
    "poetry": ["POETRY_VIRTUALENVS_CREATE=false poetry install --only main --no-root --no-interaction"],
    "pipenv": ["pipenv install --deploy --system"],
    "pdm": ["pdm export --prod --no-hashes -o /tmp/requirements.txt", "pip install --no-cache-dir -r /tmp/requirements.txt"],
}
#: Package managers that need the whole source to install (no lockfile to install from first).
_NEEDS_SOURCE = {"setuptools"}

#: Flags that make each production server reload on source changes (the dev target).
_RELOAD_FLAGS = {
    "gunicorn": "--reload",
    "uvicorn": "--reload",
    "streamlit": "--server.runOnSave true",
}


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Python app."""
    manager = app.package_manager.value or "pip"
    port = app.port.value
    requirements = app.detail("requirements_file") or "requirements.txt"
    install = [step.format(requirements=shlex.quote(requirements), **TOOLS) for step in _INSTALL.get(manager, [])]
    packages = app.detail("install_packages")
    extra = app.detail("extra_dependency")
    extras = [f"{extra}=={TOOLS[extra]}"] if extra in TOOLS else []
    if app.detail("no_manifest"):
        # No manifest: the distributions its imports prove, newest releases (inspect warned about pinning),
        # installed with the venv in one step (there is no manifest to copy first).
        install, extras, packages = [], [], " ".join([p for p in (packages, *extras) if p])
    after_source: list[str] = []
    if manager == "uv" and app.detail("uv_workspace"):
        # A uv workspace: its lock is synced at the root with only the manifests in place, so the
        # workspace's own packages (which need their source) wait for the source.
        package = f" --package {app.detail('uv_package')}" if app.detail("uv_package") else ""
        install = [f"uv sync --frozen --no-dev --no-install-workspace --active{package}"]
        after_source = [f"uv sync --frozen --no-dev --active{package}"] if app.detail("uv_workspace_sources") else []
    workdir = posixpath.normpath(posixpath.join("/app", posixpath.relpath(app.path, build_context(app))))
    tools = [f"{name}=={TOOLS[name]}" for name in _TOOL_PACKAGES.get(manager, ())]
    values = {
        "tools": tools,
        "manifests": manifests(app),
        "manifest_copies": copy_groups([c for c in (in_context(app, m) for m in manifests(app)) if c is not None]),
        "workdir": workdir,
        "install_after_source": after_source,
        "install": install,
        "install_needs_source": not app.detail("no_manifest") and (manager in _NEEDS_SOURCE or not install or not manifests(app)),
        "unpinned": packages,
        "extra_packages": extras,
        "build_command": app.build_command.value,
        "build_env": _build_env(app),
        "dev_requirements": app.detail("dev_requirements_file"),
    }
    start = app.start_command.value or "python -m app"
    return base_plan(
        app,
        template="python.Dockerfile.j2",
        images={"runtime": f"python:{app.runtime_version.value}-slim"},
        cmd=command_argv(start),
        dev_cmd=command_argv(_dev_command(app) or start),
        healthcheck=tcp_or_http(app, http_probe("python", port, app.health_path.value)),
        values=values,
        watch=(
            WatchRule("sync", ".", workdir, ignore=(".venv/", "__pycache__/")),
            *(WatchRule("rebuild", m) for m in manifests(app)),
        ),
        post_create=_post_create(app, manager),
        extensions=("ms-python.python", "ms-python.debugpy", "charliermarsh.ruff"),
    )


def _dev_command(app: AppProfile) -> str | None:
    """The production command with its server's reload flag: dev runs what production runs."""
    start = app.start_command.value
    server = start.split()[0] if start else None
    if server not in _RELOAD_FLAGS:
        return None
    return f"{start} {_RELOAD_FLAGS[server]}"


def _build_env(app: AppProfile) -> dict[str, str]:
    """Placeholders for required variables, so build steps that import settings can run.

    They exist only in the build step's own environment, never in the image.
    """
    if not app.build_command.value:
        return {}
    return {v.name: "build-placeholder" for v in app.env if v.required}


def _post_create(app: AppProfile, manager: str) -> str | None:
    """Install the dev dependencies into the image's venv (the dev target makes it the app user's)."""
    dev = app.detail("dev_requirements_file")
    if app.detail("no_manifest"):
        return f"pip install {app.detail('install_packages')}" if app.detail("install_packages") else None
    if manager == "pip":
        return f"pip install -r {shlex.quote(dev or app.detail('requirements_file') or 'requirements.txt')}"
    return {
        "uv": "uv sync --frozen --active",
        "poetry": "POETRY_VIRTUALENVS_CREATE=false poetry install --no-interaction --no-root",
        "pipenv": "pipenv install --dev --system",
        "pdm": "pdm sync --dev --no-self",
    }.get(manager, "pip install -e .")

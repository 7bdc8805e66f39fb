"""The typed plan generation renders: what each app's container needs.

A :class:`ContainerPlan` is derived from an :class:`~migrate.profile.AppProfile`
by a recipe of its language (``migrate/generate/recipes/``). Templates get
only plans and the quoting filters, never raw profiles: every decision
(which image, which command, which files to copy first) is made here, in
code that tests can call, and laid out there.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, field
from typing import Any

from migrate.generate.probes import probe_of
from migrate.generate.render import slug
from migrate.profile import AppProfile, EnvVar
from migrate.shell import is_assignment, parse

#: Printed by the CMD of an app whose start command is unknown; ``migrate build`` refuses such an image.
UNKNOWN_START = "migrate: no start command is known for this app"

#: Shell syntax that exec-form ``CMD`` cannot express; such commands run as ``sh -c "exec ..."``.
_SHELL_SYNTAX = ("$", "&&", "||", "|", ";", ">", "<", "`", "*")


#: The container health check's timings (seconds), the same in the image's HEALTHCHECK and in ECS's
#: ``healthCheck`` (ECS ignores the image's): a probe every 10 s, 5 s to answer, unhealthy after 3 misses.
HEALTH_INTERVAL = 10
HEALTH_TIMEOUT = 5
HEALTH_RETRIES = 3
#: How long a fresh container may take before failed probes count (framework boot, migrations).
START_PERIOD_SECONDS = 20


def dockerfile_path(app: AppProfile) -> str:
    """The generated Dockerfile's tree-relative path: the one place it is computed (generate, build, messages)."""
    return posixpath.join(app.path, "Dockerfile") if app.path not in (".", "") else "Dockerfile"


def image_name(app: AppProfile) -> str:
    """The name of the app's image (``shop-api``): compose's ``:dev``, build's ``:local``, deploy's repository."""
    return slug(app.name)


@dataclass(frozen=True)
class HealthCheck:
    """The container's health check: the probe the image runs, what it asks, and its timings (seconds)."""

    #: Exec-form probe command (the runtime's own: slim images have no curl).
    command: tuple[str, ...]
    #: The HTTP path it asks (URL-quoted, with its leading ``/``), or None for a TCP probe.
    path: str | None
    #: Whether ``path`` is the app's own health path (answers below 400), not ``/`` (any answer below 500).
    is_health_path: bool
    interval: int = HEALTH_INTERVAL
    timeout: int = HEALTH_TIMEOUT
    retries: int = HEALTH_RETRIES
    start_period: int = START_PERIOD_SECONDS


@dataclass(frozen=True)
class Worker:
    """A long-running process of the app besides its web process (Celery, Sidekiq, a Procfile line): no port."""

    #: The process name as the source names it (``worker``, ``beat``).
    name: str
    #: Exec-form command in the app's image.
    command: tuple[str, ...]


@dataclass(frozen=True)
class WatchRule:
    """One ``develop.watch`` rule of compose: sync source, rebuild on manifest changes."""

    action: str  # "sync", "rebuild", "sync+restart"
    path: str  # relative to the app folder
    target: str | None = None
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerPlan:
    """Everything the templates need to containerise one app."""

    #: The app's profile, for names, paths, env and services.
    app: AppProfile
    #: Slug used for the compose service, image name and volumes.
    service: str
    #: Dockerfile template under ``dockerfile_templates/dockerfile/``.
    template: str
    #: Image references by role (``build``, ``runtime``...), pinned to a version.
    images: dict[str, str]
    #: Exec-form command of the runtime image.
    cmd: tuple[str, ...]
    #: Exec-form command of the dev target (live reload where the framework has it).
    dev_cmd: tuple[str, ...]
    #: Exec-form ``HEALTHCHECK CMD`` that works in the runtime image, or None (workers).
    healthcheck: tuple[str, ...] | None
    port: int | None
    #: Ecosystem-specific values the template lays out (manifests, install steps...).
    values: dict[str, Any] = field(default_factory=dict)
    watch: tuple[WatchRule, ...] = ()
    #: Command run in the dev container after it is created (installs dependencies).
    post_create: str | None = None
    #: Editor extensions for the dev container.
    extensions: tuple[str, ...] = ()
    #: Working directory inside the image.
    workdir: str = "/app"
    #: Why each decision was made, for CONTAINERS.md.
    notes: tuple[str, ...] = ()
    #: The unprivileged user the image runs as: its name (dev container ``remoteUser``, docs) and numeric uid.
    user: str = "app"
    uid: int = 10001
    #: Extra files the Dockerfile COPYs (a web server config): (path relative to the app, content).
    files: tuple[tuple[str, str], ...] = ()
    #: Seconds a fresh container may take before failed probes count (the JVM boots slower).
    start_period: int = START_PERIOD_SECONDS
    #: The app's other long-running processes, each run from the same image with its own command.
    workers: tuple[Worker, ...] = ()
    #: The release step (migrations) run once per deploy before the new version takes traffic, or None.
    release: tuple[str, ...] | None = None

    @property
    def image(self) -> str:
        """The image's name, without a tag (:func:`image_name`)."""
        return image_name(self.app)

    @property
    def dockerfile(self) -> str:
        """The Dockerfile's tree-relative path (:func:`dockerfile_path`)."""
        return dockerfile_path(self.app)

    @property
    def health(self) -> HealthCheck | None:
        """The container health check, or None when the app serves no port (a worker)."""
        if self.healthcheck is None:
            return None
        probe = probe_of(self.app)
        path = probe.path if probe is not None else None
        return HealthCheck(self.healthcheck, path, probe is not None and probe.max_status == 400, start_period=self.start_period)

    @property
    def health_path(self) -> str | None:
        """The HTTP path probed by health checks (the app's own, or None for a TCP probe)."""
        return self.app.health_path.value

    @property
    def start_known(self) -> bool:
        """Whether the image starts the app (else its CMD only says that no start command is known)."""
        return not any(UNKNOWN_START in part for part in self.cmd)

    @property
    def probes_http(self) -> bool:
        """Whether the health check asks for an HTTP answer (else a TCP connection, or nothing)."""
        probe = probe_of(self.app)
        return probe is not None and probe.path is not None

    @property
    def listen_env(self) -> dict[str, str]:
        """The app's own listen-address setting, pointed at every interface (``LISTEN_ADDR=0.0.0.0:8080``)."""
        name, _, value = (self.app.detail("listen_env") or "").partition("=")
        return {name: value} if name else {}

    @property
    def env(self) -> tuple[EnvVar, ...]:
        """Environment variables the app reads."""
        return self.app.env


def unknown_start(dockerfile: str) -> tuple[str, ...]:
    """The CMD of an app whose start command is unknown: it fails at once, saying what to edit.

    Never a plausible guess (``node index.js``, ``python -m app``): a wrong command
    builds, starts and crash-loops far from the cause; this one names the fix.
    """
    message = f"{UNKNOWN_START}: replace this CMD in {dockerfile} with the command that starts it"
    return ("sh", "-c", f"echo {shlex.quote(message)} >&2; exit 1")


def start_argv(command: str | None, dockerfile: str) -> tuple[str, ...]:
    """Exec-form argv of a detected start command, or the failing CMD when there is none."""
    return command_argv(command) if command else unknown_start(dockerfile)


def command_argv(command: str) -> tuple[str, ...]:
    """Exec-form argv for a shell command line.

    Plain commands are split like a shell would; commands that need a shell
    (variables, ``&&``, pipes) run as ``sh -c`` with their last command run by
    ``exec`` (``flask db upgrade; exec gunicorn app:app``), so that the server
    still replaces the shell and receives ``SIGTERM`` from ``docker stop``.
    """
    if any(token in command for token in _SHELL_SYNTAX):
        return ("sh", "-c", parse(command).exec_last())
    try:
        words = tuple(shlex.split(command))
    except ValueError:
        return ("sh", "-c", command)
    # ``REMAP_SIGTERM=SIGQUIT celery ...`` (a Procfile line): a shell reads the assignment; exec would
    # look for a program named "REMAP_SIGTERM=SIGQUIT".
    return ("sh", "-c", parse(command).exec_last()) if words and is_assignment(words[0]) else words

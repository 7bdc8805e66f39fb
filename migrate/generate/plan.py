"""The typed plan generation renders: what each app's container needs.

A :class:`ContainerPlan` is derived from an :class:`~migrate.profile.AppProfile`
by a recipe of its language (``migrate/generate/recipes/``). Templates get
only plans and the quoting filters, never raw profiles: every decision
(which image, which command, which files to copy first) is made here, in
code that tests can call, and laid out there.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from migrate.generate.probes import probe_of
from migrate.profile import AppProfile, EnvVar

#: Printed by the CMD of an app whose start command is unknown; ``migrate build`` refuses such an image.
UNKNOWN_START = "migrate: no start command is known for this app"

#: Shell syntax that exec-form ``CMD`` cannot express; such commands run as ``sh -c "exec ..."``.
_SHELL_SYNTAX = ("$", "&&", "||", "|", ";", ">", "<", "`", "*")


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
    (variables, ``&&``, pipes) run as ``sh -c "exec ..."`` so that the real
    process still replaces the shell and receives ``SIGTERM`` from ``docker stop``.
    """
    if any(token in command for token in _SHELL_SYNTAX):
        return ("sh", "-c", command if command.startswith("exec ") or "&&" in command or ";" in command else f"exec {command}")
    try:
        return tuple(shlex.split(command))
    except ValueError:
        return ("sh", "-c", command)

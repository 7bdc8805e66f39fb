"""The app's other processes as compose services: its release step and its workers.

A release step (migrations: ``rails db:prepare``, ``php artisan migrate``,
Django's ``migrate``, a Procfile ``release:``) runs once, to completion,
before the app and its workers start: a one-shot service they wait for with
``service_completed_successfully``. A worker (Celery, Sidekiq, ``queue:work``,
a Procfile process...) is a long-running service of its own. Both run the
app's own dev image with its own environment; only the command differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from migrate.generate.plan import ContainerPlan, Worker, command_argv
from migrate.generate.render import slug
from migrate.profile import AppProfile

#: Procfile process names that are the app itself or a one-off step, never a worker service.
_NOT_WORKERS = frozenset({"web", "release"})

#: How a worker's watch rule follows the app's: a worker does not reload itself, so a synced change
#: restarts it; where the app's restart recompiles (Go), the worker runs what the image holds: rebuild.
_WORKER_WATCH = {"sync": "sync+restart", "sync+restart": "rebuild", "rebuild": "rebuild"}


@dataclass(frozen=True)
class TaskService:
    """A compose service running another command of an app's image."""

    #: The compose service name (``shopfront-worker``).
    name: str
    role: Literal["release", "worker"]
    #: The process it runs, as the source names it (``worker``, ``beat``, ``release``).
    process: str
    #: Exec-form command in the dev image.
    command: tuple[str, ...]
    #: Compose healthcheck ``test`` for a worker; None for the one-shot release step.
    healthcheck: tuple[str, ...] | None
    #: Why this check, for a comment beside it.
    health_why: str = ""
    #: ``develop.watch`` rules (compose form).
    watch: tuple[dict[str, Any], ...] = ()


def release_of(app: AppProfile) -> tuple[str, ...] | None:
    """The exec-form release step of ``app`` (migrations), or None."""
    release = app.detail("release_command")
    return command_argv(release) if release else None


def workers_of(app: AppProfile) -> tuple[Worker, ...]:
    """The long-running processes of ``app`` other than its web process, in source order."""
    return tuple(Worker(p.name, command_argv(p.command)) for p in app.processes
                 if p.name not in _NOT_WORKERS and p.command != app.start_command.value)


def task_services(plan: ContainerPlan, service: str, watch: list[dict[str, Any]], taken: set[str]) -> tuple[TaskService, ...]:
    """The release step (first) and the workers of ``plan``, whose own compose service is ``service``.

    ``taken`` holds the compose service names already used; the new names are added to it.
    """
    tasks: list[TaskService] = []
    if plan.release:
        tasks.append(TaskService(_unique(f"{service}-release", taken), "release", "release", plan.release, None))
    worker_watch = tuple(_worker_watch(rule) for rule in watch)
    for worker in plan.workers:
        name = _unique(f"{service}-{slug(worker.name)}", taken)
        tasks.append(TaskService(name, "worker", worker.name, worker.command, WORKER_HEALTHCHECK, WORKER_HEALTH_WHY, worker_watch))
    return tuple(tasks)


#: A worker's compose healthcheck. The image's HTTP probe must not be inherited (a worker serves no
#: port, so it would be marked unhealthy), and it cannot simply be disabled: ``docker compose up
#: --wait`` fails on a running container whose healthcheck is disabled. A worker that stops ends its
#: container (compose reports that), so it is healthy while it runs. Probes that start the worker's
#: runtime (``celery inspect ping``) took over 30 s on a loaded machine and failed ``--wait``.
WORKER_HEALTHCHECK = ("CMD", "true")
WORKER_HEALTH_WHY = "a worker serves no port: it is healthy while it runs (this replaces the image's HTTP probe)"


def _worker_watch(rule: dict[str, Any]) -> dict[str, Any]:
    action = _WORKER_WATCH.get(rule["action"], rule["action"])
    # A rebuild copies nothing into the container: it has no target.
    return {**rule, "action": action, "target": None if action == "rebuild" else rule["target"]}


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate

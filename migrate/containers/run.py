"""How migrate runs an app's image on the local engine: one run spec, turned into docker-py's options.

Two callers run production images here and must run them the same way: deploy's local check (the
image as its ECS task will run, before anything reaches AWS) and the local cutover's colours (the
image behind the local router). What they share is here: the spec and the last lines of a
container's log, the diagnosis shown when it stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Lines of a stopped container's log kept for its diagnosis.
LOG_LINES = 15


@dataclass(frozen=True)
class RunSpec:
    """What a container of an image runs with beyond the image itself; None everywhere means the image's own.

    ``init`` adds Docker's ``--init`` (tini as PID 1, passing SIGTERM on): only for an image whose
    PID 1 would ignore SIGTERM; migrate's generated images bring their own (tini in the ENTRYPOINT,
    gunicorn's handler), so it is off unless asked.
    """

    environment: Mapping[str, str] = field(default_factory=dict)
    command: tuple[str, ...] | None = None
    user: int | None = None
    memory_mb: int | None = None
    cpu_units: int | None = None  # ECS's units: 1024 is one CPU
    init: bool = False
    stop_timeout: int | None = None  # seconds from SIGTERM to SIGKILL on `docker stop`

    def options(self) -> dict[str, Any]:
        """Keyword arguments for docker-py's ``containers.create``/``run``: only what the spec sets."""
        options: dict[str, Any] = {"environment": dict(self.environment)}
        if self.command is not None:
            options["command"] = list(self.command)
        if self.user is not None:
            options["user"] = str(self.user)
        if self.memory_mb is not None:
            options["mem_limit"] = f"{self.memory_mb}m"
        if self.cpu_units is not None:
            options["nano_cpus"] = self.cpu_units * 10**9 // 1024
        if self.init:
            options["init"] = True
        if self.stop_timeout is not None:
            options["stop_timeout"] = self.stop_timeout
        return options


def log_tail(container: Any, lines: int = LOG_LINES) -> tuple[str, ...]:
    """The last non-blank lines of a container's log (stdout and stderr), for a diagnosis."""
    text = container.logs(tail=lines).decode("utf-8", "replace")
    return tuple(line for line in text.splitlines() if line.strip())

"""What one ECS service runs: a typed description, checked before anything touches AWS.

Built from what the earlier stages found (the image, its port, its health probe, its environment)
and the user's settings; every AWS resource of the service derives from it. :func:`fargate_size_problem`
is part of the pre-flight: Fargate accepts only some CPU and memory pairs, and AWS reports a wrong
pair late, at registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Fargate's CPU units -> the memory sizes (MiB) it accepts with them.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

#: Fargate stops a container at most this long after SIGTERM before SIGKILL.
FARGATE_MAX_STOP_TIMEOUT = 120


def fargate_size_problem(cpu: int, memory: int) -> str | None:
    """Why Fargate would refuse ``cpu`` units with ``memory`` MiB, or None when it accepts them."""
    if cpu not in FARGATE_SIZES:
        return f"Fargate has no size with {cpu} CPU units (choose one of {', '.join(map(str, FARGATE_SIZES))})"
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        return f"Fargate does not run {cpu} CPU units with {memory} MiB (with {cpu}: {allowed[0]} to {allowed[-1]} MiB in steps of {allowed[1] - allowed[0] if len(allowed) > 1 else allowed[0]})"
    return None


@dataclass(frozen=True)
class Probe:
    """The container health check ECS runs itself (it ignores the image's HEALTHCHECK)."""

    command: tuple[str, ...]  # exec form, as in the image's HEALTHCHECK
    interval: int = 10
    timeout: int = 5
    retries: int = 3
    start_period: int = 20


@dataclass(frozen=True)
class ServiceSpec:
    """One ECS service of an app: its web process, or a worker (no port)."""

    app: str
    image: str
    port: int | None
    probe: Probe | None
    command: tuple[str, ...] | None = None  # None: the image's own CMD
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)  # variable -> secret or parameter ARN
    cpu: int = 256
    memory: int = 512
    stop_timeout: int = 30
    desired_count: int = 2
    health_path: str | None = None  # what the load balancer checks; None: "/" answering below 500
    paths: tuple[str, ...] = ()  # ALB path patterns routed to it when several apps share the balancer
    min_tasks: int = 2
    max_tasks: int = 10
    #: The image's unprivileged uid: ECS runs the container as it, so a later image cannot drift to root.
    user: int | None = None
    #: The app whose image this service runs, and whose repository, log group and roles it uses: a
    #: worker's is its web app's (the same image, pulled from the same repository). "" means ``app``.
    image_app: str = ""
    #: The variable the app reads the Host names it answers from (Django's ALLOWED_HOSTS), and their
    #: separator: set to the load balancer's address, which every request through it names.
    hosts_variable: str | None = None
    hosts_separator: str = ","

    def __post_init__(self) -> None:
        if not self.image_app:
            object.__setattr__(self, "image_app", self.app)

    @property
    def grace_period(self) -> int:
        """Seconds ECS ignores failing load balancer checks after a task starts (AWS's default 0 kills slow starters)."""
        return (self.probe.start_period if self.probe else 0) + 30

    def problems(self) -> list[str]:
        """What AWS would refuse, found before any call: each a sentence naming the setting."""
        problems = [p for p in [fargate_size_problem(self.cpu, self.memory)] if p]
        if not 2 <= self.stop_timeout <= FARGATE_MAX_STOP_TIMEOUT:
            problems.append(f"stop timeout {self.stop_timeout} s is outside Fargate's 2 to {FARGATE_MAX_STOP_TIMEOUT} s")
        if not 1 <= self.min_tasks <= self.max_tasks:
            problems.append(f"autoscaling needs 1 <= min tasks <= max tasks (got {self.min_tasks} and {self.max_tasks})")
        overlap = sorted(set(self.environment) & set(self.secrets))
        if overlap:
            problems.append(f"{', '.join(overlap)} set both as plain environment and as a secret")
        return problems

"""From what generate planned and what the user set to the ECS services of a project.

Each app's :class:`~migrate.generate.plan.ContainerPlan` already holds the typed facts a service
needs (image name, port, health check with its timings, workers); ``migrate.toml`` adds sizes,
counts, routes, environment and secrets. The web process becomes one service behind the load
balancer; each worker becomes a service of its own on the same image, with its own command, no port
and no load balancer.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from migrate.config import AppSettings, Config, ConfigError
from migrate.deploy.spec import Probe, ServiceSpec
from migrate.generate.plan import ContainerPlan
from migrate.generate.probes import speaks_http
from migrate.generate.render import slug
from migrate.profile import AppProfile, Evidence, Fact

#: Workers run one task unless migrate.toml says otherwise: most queues want one consumer to start.
WORKER_DESIRED_COUNT = 1

#: Before the app starts, its Host allow-list variable (Django's ALLOWED_HOSTS) gets the task's own
#: address and ``localhost`` appended: the load balancer's health checks name the task's IP
#: (``Host: 10.0.1.23:8000``, unknown before the task runs) and the container's own probe names
#: localhost; without them Django answers both with 400 and ECS replaces every task. The address is
#: the one the hostname resolves to (ECS's awsvpc tasks and Docker map it to the task's IP), asked
#: of Python (the app's own interpreter), else of ``hostname -i``.
_OWN_ADDRESS = ('own=$(python -c "import socket; print(socket.gethostbyname(socket.gethostname()))" 2>/dev/null'
                ' || hostname -i 2>/dev/null | cut -d " " -f 1); '
                'export {var}="${{{var}:+${var}{sep}}}localhost{sep}$own"; exec "$@"')


def answering_own_address(start: Sequence[str], variable: str, separator: str) -> tuple[str, ...]:
    """``start`` run through ``sh`` with ``variable`` extended by the task's address and localhost (see :data:`_OWN_ADDRESS`)."""
    return ("sh", "-c", _OWN_ADDRESS.format(var=variable, sep=separator), "sh", *start)


def image_command(plan: ContainerPlan, root: Path | None) -> tuple[str, ...]:
    """The command the app's image starts with: its Dockerfile's CMD for the stage deploy builds (the user may
    have edited it since migrate wrote it), else the one migrate planned."""
    from migrate.containers.targets import effective_cmd, last_stage
    from migrate.deploy.publish import build_stage

    if root is None:
        return plan.cmd
    try:
        text = (root / plan.dockerfile).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return plan.cmd
    line = effective_cmd(text, build_stage(text) or last_stage(text))
    if line is None:
        return plan.cmd
    argument = line.split(None, 1)[1].strip() if len(line.split(None, 1)) > 1 else ""
    try:
        parsed = json.loads(argument)
    except ValueError:
        return ("sh", "-c", argument) if argument else plan.cmd  # the shell form: what Docker runs for it
    return tuple(str(word) for word in parsed) if isinstance(parsed, list) and parsed else plan.cmd


@dataclass(frozen=True)
class Sizing:
    """Fargate CPU units and memory (MiB) for an app, and why."""

    cpu: int
    memory: int
    why: str


def default_size(plan: ContainerPlan) -> Sizing:
    """The size an app starts with when migrate.toml names none: by what its runtime needs to boot."""
    language = plan.app.language.value
    if language == "java":
        return Sizing(1024, 2048, "a JVM with Spring-sized heaps needs a full vCPU and 2 GiB to start within its start period")
    if language in ("dotnet", "ruby"):
        return Sizing(512, 1024, f"{language} runtimes with a framework loaded use most of 512 MiB")
    return Sizing(256, 512, "Fargate's smallest size; raise cpu/memory in migrate.toml when the app needs more")


def with_settings(app: AppProfile, settings: AppSettings, source: str) -> AppProfile:
    """``app`` with the port and health path migrate.toml sets, so that every probe derived from it agrees."""
    if settings.port is not None:
        app = dataclasses.replace(app, port=Fact(settings.port, (Evidence(source, None, "port in migrate.toml"),)))
    if settings.health_path is not None:
        app = dataclasses.replace(app, health_path=Fact(settings.health_path, (Evidence(source, None, "health_path in migrate.toml"),)))
    return app


def specs_from_plans(
    plans: Sequence[ContainerPlan], config: Config, images: Mapping[str, str], secret_arn: Callable[[str], str],
    root: Path | None = None,
) -> tuple[ServiceSpec, ...]:
    """The ECS services of ``plans``: each app's web process (when it serves a port), then its workers.

    ``images`` maps each app's image name to the image URI to run; ``secret_arn`` turns a secret
    named in migrate.toml (an ARN, or an SSM parameter name) into the ARN ECS and IAM need; ``root``
    is where the project's Dockerfiles are read from (their CMD, when a command must wrap it).
    """
    known = {p.image for p in plans}
    stray = sorted(set(config.apps) - known)
    if stray:
        raise ConfigError(f"{config.source}: apps.{stray[0]} names no app here (apps: {', '.join(sorted(known))})",
                          hint="use the app names `migrate inspect` shows")
    specs: list[ServiceSpec] = []
    for plan in plans:
        settings = config.app(plan.image)
        if plan.port is None and speaks_http(plan.app):
            # Deploying its workers alone would report success for an app nobody can reach.
            raise ConfigError(f"{plan.image} serves HTTP but no port is known for it",
                              hint=f"set it in migrate.toml: [apps.{plan.image}] port = 8000 (the port it listens on)")
        base = _base(plan, settings, images[plan.image], secret_arn)
        if plan.port is not None:
            specs.append(_web(plan, settings, base, root))
        specs.extend(_worker(plan, settings, base, worker.name, worker.command) for worker in plan.workers)
    return tuple(specs)


def _base(plan: ContainerPlan, settings: AppSettings, image: str, secret_arn: Callable[[str], str]) -> ServiceSpec:
    size = default_size(plan)
    maximum = settings.max_tasks or 10
    return ServiceSpec(
        app=plan.image, image=image, port=None, probe=None,
        environment=dict(settings.environment), secrets={k: secret_arn(v) for k, v in settings.secrets.items()},
        cpu=settings.cpu or size.cpu, memory=settings.memory or size.memory,
        desired_count=settings.desired_count if settings.desired_count is not None else 2,
        min_tasks=settings.min_tasks or min(2, maximum), max_tasks=maximum, user=plan.uid, image_app=plan.image,
    )


def _web(plan: ContainerPlan, settings: AppSettings, base: ServiceSpec, root: Path | None) -> ServiceSpec:
    health = plan.health
    probe = None
    if health is not None:
        probe = Probe(health.command, interval=health.interval, timeout=health.timeout, retries=health.retries,
                      start_period=health.start_period)
    # The load balancer checks the app's own health path; without one, "/" answering below 500.
    path = health.path if health is not None and health.is_health_path else None
    hosts = plan.app.detail("allowed_hosts_env")
    variable = hosts.split()[0] if hosts else None
    separator = plan.app.detail("allowed_hosts_separator") or ","
    command = answering_own_address(image_command(plan, root), variable, separator) if variable else None
    return dataclasses.replace(base, port=plan.port, probe=probe, health_path=path, paths=settings.paths,
                               hosts_variable=variable, hosts_separator=separator, command=command)


def _worker(plan: ContainerPlan, settings: AppSettings, base: ServiceSpec, name: str, command: tuple[str, ...]) -> ServiceSpec:
    count = WORKER_DESIRED_COUNT
    return dataclasses.replace(base, app=f"{plan.image}-{slug(name)}", command=command,
                               desired_count=count, min_tasks=min(count, base.max_tasks) or 1)

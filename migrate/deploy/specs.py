"""From what generate planned and what the user set to the ECS services of a project.

Each app's :class:`~migrate.generate.plan.ContainerPlan` already holds the typed facts a service
needs (image name, port, health check with its timings, workers); ``migrate.toml`` adds sizes,
counts, routes, environment and secrets. The web process becomes one service behind the load
balancer; each worker becomes a service of its own on the same image, with its own command, no port
and no load balancer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from migrate.config import AppSettings, Config, ConfigError
from migrate.deploy.spec import Probe, ServiceSpec
from migrate.generate.plan import ContainerPlan
from migrate.generate.probes import speaks_http
from migrate.generate.render import slug
from migrate.profile import AppProfile, Evidence, Fact

#: Workers run one task unless migrate.toml says otherwise: most queues want one consumer to start.
WORKER_DESIRED_COUNT = 1


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
    plans: Sequence[ContainerPlan], config: Config, images: Mapping[str, str], secret_arn: Callable[[str], str]
) -> tuple[ServiceSpec, ...]:
    """The ECS services of ``plans``: each app's web process (when it serves a port), then its workers.

    ``images`` maps each app's image name to the image URI to run; ``secret_arn`` turns a secret
    named in migrate.toml (an ARN, or an SSM parameter name) into the ARN ECS and IAM need.
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
            specs.append(_web(plan, settings, base))
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


def _web(plan: ContainerPlan, settings: AppSettings, base: ServiceSpec) -> ServiceSpec:
    health = plan.health
    probe = None
    if health is not None:
        probe = Probe(health.command, interval=health.interval, timeout=health.timeout, retries=health.retries,
                      start_period=health.start_period)
    # The load balancer checks the app's own health path; without one, "/" answering below 500.
    path = health.path if health is not None and health.is_health_path else None
    hosts = plan.app.detail("allowed_hosts_env")
    return dataclasses.replace(base, port=plan.port, probe=probe, health_path=path, paths=settings.paths,
                               hosts_variable=hosts.split()[0] if hosts else None,
                               hosts_separator=plan.app.detail("allowed_hosts_separator") or ",")


def _worker(plan: ContainerPlan, settings: AppSettings, base: ServiceSpec, name: str, command: tuple[str, ...]) -> ServiceSpec:
    count = WORKER_DESIRED_COUNT
    return dataclasses.replace(base, app=f"{plan.image}-{slug(name)}", command=command,
                               desired_count=count, min_tasks=min(count, base.max_tasks) or 1)

"""Opening each web app's cutover target for a command, and the cutover settings for it.

The glue between the project (inspect, plans, migrate.toml) and a target's gateway: ``local``
(:mod:`migrate.containers.cutover`, Docker) or ``ecs`` (:mod:`migrate.deploy.cutover`, AWS). Each
gateway finds what exists from the target itself (names, labels, tags); this module only says which
apps, with which port, health path and environment.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from migrate.config import DeploySettings, load_config
from migrate.cutover.engine import Settings
from migrate.cutover.ports import Target
from migrate.deploy.native import NATIVE_STRATEGIES, NativeError, NativeSettings
from migrate.errors import UserError

#: A rehearsal on a laptop: nobody's traffic is at stake, so the waits are short (each can be set in
#: migrate.toml's [deploy] or by flags). On ECS the engine's own defaults hold (bake 60 s, final bake
#: 120 s, drain 30 s), sized for real traffic and the ALB's health checks.
LOCAL_DEFAULTS = Settings(bake=5.0, final_bake=5.0, drain=3.0, ready_timeout=180.0, poll=1.0)
#: The Host names a local app must answer (Django's ALLOWED_HOSTS): the router's health check names
#: ``localhost``, a browser or hey ``127.0.0.1``.
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def target_kind(path: Path, flag: str | None) -> str:
    """``--target``, else migrate.toml's [deploy] target, else ``ecs``."""
    return flag or deploy_settings(path).target or "ecs"


def settings_for(kind: str, configured: DeploySettings, *, strategy: str | None = None, steps: Sequence[int] | None = None,
                 bake: float | None = None, drain: float | None = None, smoke: Sequence[str] = ()) -> Settings:
    """The cutover's settings: flags over migrate.toml's [deploy] (``configured``) over the target's defaults."""
    base = LOCAL_DEFAULTS if kind == "local" else Settings()
    chosen: dict[str, Any] = {
        "strategy": strategy or configured.strategy,
        "canary_steps": tuple(steps) if steps else configured.canary_steps,
        "bake": bake if bake is not None else configured.bake,
        "final_bake": configured.final_bake,
        "drain": drain if drain is not None else configured.drain,
        "ready_timeout": configured.ready_timeout,
        "smoke": tuple(smoke) or configured.smoke,
    }
    if chosen["strategy"] == "rolling" or chosen["strategy"] in NATIVE_STRATEGIES:
        if chosen["smoke"] and chosen["strategy"] == "rolling":
            raise UserError("a smoke test (--smoke, [deploy] smoke) runs before the traffic moves to the new version; "
                            "ECS's rolling update moves it task by task, with no such moment",
                            hint="use --strategy blue-green, canary or an ecs-* one, or drop the smoke test")
        if kind == "local":
            raise UserError(f"the {chosen['strategy']} strategy is ECS's own: locally a new version takes the traffic by weight",
                            hint="use --strategy blue-green or canary with --target local")
        if chosen["strategy"] in NATIVE_STRATEGIES:
            del chosen["canary_steps"]  # ECS's units (a canary's share, a linear step), read by :func:`native_settings`
        del chosen["strategy"]  # not the engine's: ECS's own update or strategy moves the services (see :func:`rolls`)
    return dataclasses.replace(base, **{k: v for k, v in chosen.items() if v is not None})


def rolls(configured: DeploySettings, strategy: str | None) -> bool:
    """Whether the deploy on ECS moves its apps by ECS's own rolling update (``--strategy rolling``, else migrate.toml's)."""
    return (strategy or configured.strategy) == "rolling"


def native_settings(configured: DeploySettings, strategy: str | None, steps: Sequence[int] | None = None,
                    bake: float | None = None, smoke: Sequence[str] = ()) -> NativeSettings | None:
    """One of ECS's own strategies (``--strategy ecs-*``, else migrate.toml's), in ECS's units; None for migrate's own.

    ``steps``' first share is the canary's (ecs-canary) or each step's (ecs-linear); ``bake`` (seconds, else
    [deploy] bake) each step's hold and [deploy] final_bake the last one, in whole minutes, rounded up. With
    smoke paths (``smoke``, else [deploy] smoke), ECS pauses after its test traffic shift for the smoke test.
    """
    chosen = strategy or configured.strategy
    if chosen not in NATIVE_STRATEGIES:
        return None
    if steps and chosen == "ecs-blue-green":
        raise UserError("--steps are for canary strategies: ecs-blue-green moves all the traffic at once",
                        hint="drop --steps, or use --strategy ecs-canary or ecs-linear")
    chosen_steps = steps or configured.canary_steps
    step_bake = bake if bake is not None else configured.bake
    values: dict[str, Any] = {"pause": bool(smoke or configured.smoke)}
    if chosen_steps and chosen != "ecs-blue-green":
        values["step_percent"] = float(chosen_steps[0])
    if step_bake is not None:
        values["step_bake_minutes"] = math.ceil(step_bake / 60)
    if configured.final_bake is not None:
        values["bake_minutes"] = math.ceil(configured.final_bake / 60)
    try:
        return NativeSettings(chosen, **values)
    except NativeError as exc:
        raise UserError(f"--strategy {chosen}: {exc}") from None


def moved_by_ecs(project: Any, aws: Any, apps: Sequence[str], act: Any) -> dict[str, Any]:
    """Each selected web app one of ECS's own strategies moves (``--strategy ecs-*``), with what ``act``
    (:func:`~migrate.deploy.native.state` or :func:`~migrate.deploy.native.abort`) returned for its service;
    the others are left out (migrate's own engine, or ECS's rolling update, moves them)."""
    from migrate.deploy.foundation import Names

    ecs = aws.client("ecs")
    found = {spec.app: act(ecs, cluster=Names(project.name, spec.app, project.config.cluster).cluster, service=spec.app) for spec in web_specs(project, apps)}
    return {app: state for app, state in found.items() if state is not None}


def open_targets(path: Path, kind: str | None, apps: Sequence[str], *, region: str | None, create: bool,
                 external: Sequence[str] = ()) -> list[tuple[str, Target | None]]:
    """Each selected web app and its target (None: nothing of it on that target, and ``create`` is off)."""
    from migrate.deploy.workflow import load_project

    kind = target_kind(path, kind)
    project = load_project(path)
    specs = web_specs(project, apps)
    if kind == "local":
        return [(spec.app, open_local_target(project, spec, create=create, external=external)) for spec in specs]
    if external:
        raise UserError("--from is not available with --target ecs yet", hint="rehearse a migration here with --target local")
    from migrate.deploy.aws import connect
    from migrate.deploy.cutover import open_ecs

    aws = connect(region or project.config.region)
    return [(spec.app, open_ecs(aws, project.name, spec.app, create=create, cluster=project.config.cluster)) for spec in specs]


def web_specs(project: Any, apps: Sequence[str]) -> list[Any]:
    """The web service of each selected app (workers take no traffic: they have no cutover)."""
    from migrate.deploy.specs import specs_from_plans

    known = [p.image for p in project.plans]
    unknown = [a for a in apps if a not in known]
    if unknown:
        raise UserError(f"--app {unknown[0]}: no such app here (apps: {', '.join(known)})")
    specs = specs_from_plans(project.plans, project.config, {p: p for p in known}, lambda value: value)
    chosen = [s for s in specs if s.port is not None and (not apps or s.app in apps)]
    if not chosen:
        raise UserError(f"{project.root}: no web app to cut over" + (f" among {', '.join(apps)}" if apps else ""),
                        hint="a cutover moves HTTP traffic: only apps with a port have one")
    return chosen


def local_environment(project: Any, spec: Any) -> tuple[dict[str, str], str | None]:
    """What a colour runs with locally: the compose file's environment for the app (its backing
    services' addresses, ``.env``), migrate.toml's over it; and the compose project's network, so
    those services resolve while ``migrate dev`` runs them."""
    from migrate.containers import compose

    environment: dict[str, str] = {}
    network = None
    plan = next(p for p in project.plans if p.image == spec.app)
    if (project.root / "compose.yaml").is_file():
        runtime = compose.service_runtime(compose.find_compose(), project.root, plan.service)
        if runtime is not None:
            environment, network = dict(runtime.environment), runtime.network
    environment.update(spec.environment)
    if spec.hosts_variable and spec.hosts_variable not in environment:
        environment[spec.hosts_variable] = spec.hosts_separator.join(LOCAL_HOSTS)
    return environment, network


def open_local_target(project: Any, spec: Any, *, create: bool, external: Sequence[str]) -> Target | None:
    from migrate.containers import engine
    from migrate.containers.cutover import open_local

    client = engine.connect()
    environment, network = local_environment(project, spec) if create else ({}, None)
    if network is not None and not _network_exists(client, network):
        network = None
    return open_local(client, project=project.name, app=spec.app, port=spec.port, health_path=spec.health_path or "/",
                      environment=environment, external=tuple(external), create=create, network=network)


def check_external_reachable(target: Target, external: Sequence[str], health_path: str, *, now: Any, sleep: Any,
                             timeout: float = 20.0) -> None:
    """Before a migration moves anything: the router must reach the app where it runs today (``--from``).

    From the router's container, ``127.0.0.1`` is the container itself: the app is reached through the
    host's address on Docker's network, which an app listening on 127.0.0.1 only does not answer.
    """
    from migrate.cutover.ports import is_colour

    sides = [side for side in target.router.weights() if not is_colour(side)]
    end = now() + timeout
    while True:
        down = [side for side in sides if not target.fleet.status(side).is_ready]
        if not down:
            return
        if now() >= end:
            raise UserError(f"the router cannot reach the app at {', '.join(external)}: its health path {health_path} "
                            f"answers no 2xx or 3xx from a container after {timeout:.0f} s",
                            hint="make the app listen on 0.0.0.0 (not only 127.0.0.1), so that containers reach it "
                                 "through the host's address, then run the deploy again")
        sleep(1.0)


def _network_exists(client: Any, name: str) -> bool:
    return bool(client.networks.list(names=[name]))


def deploy_settings(path: Path) -> DeploySettings:
    """migrate.toml's [deploy] of the project at ``path`` (a folder, or a file in it)."""
    root = path.resolve()
    return load_config(root if root.is_dir() else root.parent).deploy

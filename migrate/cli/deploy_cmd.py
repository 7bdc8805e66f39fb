"""``migrate deploy PATH``: run the apps at PATH on AWS ECS; the work is :mod:`migrate.deploy.workflow`'s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from migrate.cli import pass_env
from migrate.cli.cutover_cmd import target_option
from migrate.environment import Environment
from migrate.errors import UserError


@click.command("deploy")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--plan", "plan_only", is_flag=True, help="Show what would be created, changed or left alone; change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Apply without asking (needed when stdin is not a terminal).")
@click.option("--image", "images", multiple=True, metavar="URI|APP=URI",
              help="Deploy an image already in a registry, skipping build and push (with several apps: APP=URI, repeatable).")
@click.option("--region", help="AWS region (default: migrate.toml, then the AWS chain).")
@click.option("--provision", metavar="postgres,mysql,redis", help="Create these backing services in the cloud for the apps that use them "
              "(comma-separated; default: migrate.toml's [project] provision).")
@click.option("--break-lock", is_flag=True, help="Break a deploy lock left by a deploy that died.")
@click.option("--no-local-check", is_flag=True, help="Do not run the built web images here (as their services will run, "
              "asked what the load balancer will ask) before deploying them.")
@click.option("--wait-timeout", type=click.IntRange(1, 7200), default=900, show_default=True, help="Seconds to wait for the rollout.")
@target_option
@click.option("--strategy", type=click.Choice(["blue-green", "canary", "rolling", "ecs-blue-green", "ecs-canary", "ecs-linear"]),
              help="How a web app's new version takes the traffic (default: migrate.toml's [deploy] strategy, else "
                   "blue-green); rolling: ECS's own update; ecs-*: ECS's own traffic shifting, followed by migrate. "
                   "Workers, and an app's first deploy on ECS, always roll.")
@click.option("--steps", metavar="10,50,100", help="Canary steps: the new version's share after each (ends at 100); "
              "with ecs-canary the first is the canary's share, with ecs-linear each step's.")
@click.option("--bake", type=click.FloatRange(0, 86400), help="Seconds each canary step is watched before the next "
              "(ECS's strategies take whole minutes: rounded up).")
@click.option("--drain", type=click.FloatRange(0, 3600), help="Seconds the old version finishes open requests before it stops.")
@click.option("--smoke", "smoke", multiple=True, metavar="PATH",
              help="Before any traffic moves to the new version, GET PATH from it through a test route (requests naming it in "
                   "the X-Migrate-Side header); anything but 2xx or 3xx stops the deploy (repeatable; default: migrate.toml's "
                   "[deploy] smoke). With blue-green and canary; with ecs-* strategies ECS pauses for it once its test "
                   "listener rule (X-Migrate-Side: test) reaches the new version.")
@click.option("--from", "from_", metavar="HOST:PORT[,HOST:PORT...]",
              help="Migration cutover: the app as it runs today (outside containers); traffic moves from it in the same steps. "
                   "On ECS, on the app's first deploy: its old servers' IP addresses, put behind the load balancer first.")
@click.option("--dns-name", metavar="NAME",
              help="With --from on ECS: the name clients use today, in a Route 53 zone of this account. Its clients move from "
                   "the --from endpoint (the host name or IP addresses it points at now) to the load balancer by weighted records.")
@click.option("--hold", is_flag=True,
              help="With --from on ECS: put the old servers behind the load balancer and stop there, so the app's name can "
                   "be pointed at it before the traffic moves (the same deploy without --hold moves it).")
@click.option("--app", "apps", multiple=True, metavar="NAME",
              help="With --target local: only this app (repeatable). With --from on ECS: the app the old servers run.")
@click.option("--json", "as_json", is_flag=True, help="With --strategy blue-green or canary: the cutover's events as JSON lines on standard output.")
@pass_env
def command(env: Environment, path: Path, plan_only: bool, yes: bool, images: tuple[str, ...], region: str | None,
            provision: str | None, break_lock: bool, no_local_check: bool, wait_timeout: int, target_kind: str | None,
            strategy: str | None, steps: str | None, bake: float | None, drain: float | None, smoke: tuple[str, ...],
            from_: str | None, dns_name: str | None, hold: bool, apps: tuple[str, ...], as_json: bool) -> None:
    """Deploy the apps at PATH to AWS ECS (Fargate), or rehearse it here (--target local), creating or updating what they need.

    Settings come from PATH/migrate.toml (written by `migrate init`); flags override it.
    Success means every changed service runs its new revision with every target healthy;
    a rollback or a stopped task is a failure, shown with its diagnosis.

    With --target local each web app runs as containers on this machine's Docker behind HAProxy
    (http://127.0.0.1:PORT): a new version starts beside the old one and takes the traffic by weight
    (blue-green, or canary steps), watched by its health check; a failing one is rolled back.
    """
    from migrate.cli.targets import target_kind as kind_of

    external = tuple(a.strip() for a in (from_ or "").split(",") if a.strip())
    if kind_of(path, target_kind) == "local":
        if dns_name:
            raise UserError("--dns-name moves a name in Route 53: it is for --target ecs")
        if plan_only or images or provision:
            raise UserError("--plan, --image and --provision are for --target ecs", hint="drop them with --target local")
        _deploy_local(env, path, apps=apps, strategy=strategy, steps=_steps(steps), bake=bake, drain=drain, smoke=smoke,
                      external=external, as_json=as_json, break_lock=break_lock)
        return
    if dns_name and (not external or hold):
        raise UserError("--dns-name moves a name's clients off the endpoint --from names" if not external else
                        "--hold puts old servers behind the load balancer first: a migration by --dns-name needs no such step",
                        hint="give the endpoint the name points at today: --from HOST or --from IP,IP" if not external else "drop --hold")
    if hold and not external:
        raise UserError("--hold stops a migration (--from) before its traffic moves: it needs --from")
    if apps and not external:
        raise UserError("--app names the app --from moves off its old servers; on ECS every app of the project is deployed",
                        hint="drop --app, or add --from with the old servers' addresses")
    from migrate.cli.targets import native_settings, rolls, settings_for
    from migrate.deploy import workflow
    from migrate.deploy.aws import connect
    from migrate.deploy.plan import render

    project = workflow.load_project(path)
    settings = settings_for("ecs", project.config.deploy, strategy=strategy, steps=_steps(steps), bake=bake, drain=drain,
                            smoke=smoke)
    native = native_settings(project.config.deploy, strategy, _steps(steps), bake, smoke)
    rolling = rolls(project.config.deploy, strategy) or native is not None  # ECS moves the services, not migrate's engine
    if as_json and rolling:
        raise UserError("--json follows a weighted cutover: pass --strategy blue-green or canary")
    say = _say(env)
    aws = connect(region or project.config.region)
    if external and rolling:
        raise UserError("--from moves the traffic by weight: it takes --strategy blue-green or canary, "
                        f"not {strategy or project.config.deploy.strategy}")
    if native is None:
        _check_not_moved_by_ecs(project, aws, strategy or project.config.deploy.strategy or "blue-green")
    migration = _migration(project, aws, from_ or "", external, apps, dns_name) if external else None
    if migration is not None and dns_name:
        settings = _dns_drain(env, settings, drain, project.config.deploy.drain)
    weighted = None if rolling else _weighted(env, project, aws, settings, as_json, migration, hold)
    publishing = None
    if images:
        chosen = workflow.images_from_flags(project, images)
    else:  # build here (after the plan, before the confirmation), push between registering the revisions and moving the services
        from migrate.deploy import publish

        built = publish.source_images(project.name, project.root, project.plans, aws)
        publish.check_buildable(built, project.plans)
        chosen = {image.app: image.uri for image in built}
        publishing = _publishing(built, aws, say, check=not no_local_check)
    services = workflow.services_of(project, aws, chosen, _provision(provision, project.config.provision), native,
                                    settings.smoke if native is not None else ())
    network = workflow.network_of(aws, project.config)
    clock = workflow.Clock(env.clock, env.sleep, timeout=wait_timeout)
    # With --json, standard output carries only JSON lines: the plan, for the person watching, goes to standard error.
    plan_out = env.stderr if as_json else env.stdout
    result = workflow.deploy(project, aws, services, network, confirm=_confirm(env, yes, "deploy", render, out=plan_out), say=say,
                             plan_only=plan_only, clock=clock, break_stale_lock=break_lock, publishing=publishing, weighted=weighted)
    if plan_only or not result.applied:
        plan_out.write(render(result.plan))
        if plan_only or (not result.plan.changes_anything and not result.rollouts):
            if not result.plan.changes_anything:
                say(f"{project.name} is up to date: nothing to change" + (f" ({result.url})" if result.url else ""))
            return
    for service, outcome in result.rollouts:
        say(f"{service}: {outcome.reason}")
        for line in outcome.diagnosis:
            env.stderr.write(f"  {line}\n")
    if not result.succeeded:
        failed = next((name for name, outcome in result.rollouts if not outcome.succeeded), None)
        if failed is None:
            cut = next(name for name, ok in result.cutovers if not ok)
            raise UserError(f"the cutover of {cut} did not succeed: the traffic stayed on (or went back to) the version that was live",
                            hint="`migrate status PATH` shows where each side stands")
        raise UserError(f"the deploy of {failed} failed (see above)", hint="fix the cause, then run `migrate deploy` again")
    say(f"deployed {project.name} in {aws.region}" + (f": {result.url}" if result.url else ""))


def _check_not_moved_by_ecs(project: Any, aws: Any, strategy: str) -> None:
    """A web app ECS's own strategy moves (``--strategy ecs-*`` before) is not switched to another strategy: after
    an ECS deployment its traffic may be on the alternate target group, which neither the rolling update nor
    migrate's colours route to."""
    from migrate.cli.targets import moved_by_ecs
    from migrate.deploy.native import state

    try:
        moved = moved_by_ecs(project, aws, (), state)
    except UserError:
        return  # no web app
    if moved:
        app, found = next(iter(moved.items()))
        raise UserError(f"{app} is moved by ECS's own strategy ({found.name}): switching it to {strategy} is not supported",
                        hint=f"deploy with --strategy {found.name} (or another ecs-* strategy), or `migrate destroy` "
                             "and deploy anew with the strategy you want")


def _migration(project: Any, aws: Any, text: str, external: tuple[str, ...], apps: tuple[str, ...],
               dns_name: str | None) -> tuple[str, Any]:
    """``--from`` on ECS: the app that moves off its old servers and their addresses (or, with ``--dns-name``, the
    name that moves and the endpoint it points at), checked before anything is planned."""
    from migrate.cli.targets import web_specs
    from migrate.deploy.cutover import check_migration
    from migrate.deploy.dns import DnsMigration, Endpoint, find_zone, fqdn
    from migrate.deploy.legacy import parse_servers

    specs = web_specs(project, apps)
    if len(specs) > 1:
        raise UserError(f"--from: name the app the old servers run with --app (web apps here: {', '.join(s.app for s in specs)})")
    if dns_name:
        name = fqdn(dns_name)
        moved: Any = DnsMigration(name, find_zone(aws, name), Endpoint.parse(text))
    else:
        moved = parse_servers(external, specs[0].port)
    check_migration(aws, project.name, specs[0].app, moved if dns_name else None, cluster=project.config.cluster)
    return specs[0].app, moved


def _dns_drain(env: Environment, settings: Any, flag: float | None, configured: float | None) -> Any:
    """A migration by DNS drains past the records' TTL (resolvers keep the old answer that long): by default the TTL
    and half again; a drain set shorter is refused."""
    import dataclasses

    from migrate.deploy.dns import TTL, check_drain

    if flag is None and configured is None:
        settings = dataclasses.replace(settings, drain=TTL * 1.5)
        _say(env)(f"drain: {settings.drain:g} s, past the DNS records' TTL of {TTL} s (resolvers keep an answer that long)")
    check_drain(settings.drain)
    return settings


def _weighted(env: Environment, project: Any, aws: Any, settings: Any, as_json: bool, migration: tuple[str, Any] | None,
              hold: bool = False) -> Any:
    """The web apps' cutover on ECS, run by the deploy once everything else is applied (it holds their deploy locks);
    ``migration``: the app moving off its old servers (``--from``) and their addresses; ``hold``: stop that migration
    once the old servers are behind the load balancer."""
    import dataclasses
    import time

    from migrate.cli.cutover_cmd import run_cutover
    from migrate.cli.targets import web_specs
    from migrate.deploy.cutover import open_dns_migration, open_ecs, open_migration
    from migrate.deploy.dns import DnsMigration
    from migrate.deploy.weighted import live_revision
    from migrate.deploy.workflow import Weighted

    opened: dict[str, Any] = {}

    def target(app: str, colours: Any = None) -> Any:
        if app not in opened:
            if migration is not None and app == migration[0]:
                opening = open_dns_migration if isinstance(migration[1], DnsMigration) else open_migration
                opened[app] = opening(aws, project.name, app, migration[1], colours, _say(env), now=time.time, cluster=project.config.cluster)
                return opened[app]
            found = open_ecs(aws, project.name, app, create=True, settings=colours, now=time.time, cluster=project.config.cluster)
            if found is None:
                raise UserError(f"{app}: no load balancer or target group of it on AWS: it cannot be cut over")
            opened[app] = found
        return opened[app]

    def run(app: str, revision: str, count: int, colours: Any) -> bool:
        if hold and migration is not None and app == migration[0]:
            _say(env)(f"{app}: held before its traffic moves: the old servers take all of it through {target(app, colours).url}. "
                      "Point the app's name there, then run this deploy again without --hold")
            return True
        chosen = dataclasses.replace(settings, count=count)
        return run_cutover(env, target(app, colours), app, "deploy", revision, chosen, as_json, break_lock=False, locked=True)

    def live(app: str) -> str | None:
        found = opened.get(app) or open_ecs(aws, project.name, app, now=time.time, cluster=project.config.cluster)
        if found is None:  # no colours yet: nothing is live by weight (and nothing is created while planning)
            return None
        if migration is None or app != migration[0]:  # a migration's target is opened once its old servers are behind the route
            opened[app] = found  # every colour's target group exists: the same target ``target`` would open
        return live_revision(found.router, found.fleet)

    try:
        apps = frozenset(spec.app for spec in web_specs(project, ()))
    except UserError:  # no web app: workers take no traffic, ECS's rolling update moves them
        return None
    return Weighted(apps, run, lambda app: target(app).router, live, frozenset([migration[0]]) if migration else frozenset())


def _deploy_local(env: Environment, path: Path, *, apps: tuple[str, ...], strategy: str | None, steps: tuple[int, ...] | None,
                  bake: float | None, drain: float | None, smoke: tuple[str, ...], external: tuple[str, ...], as_json: bool,
                  break_lock: bool) -> None:
    """Build each web app's production image, then cut over to it on this machine: one router and two colours per app."""
    from migrate.cli.cutover_cmd import run_cutover
    from migrate.cli.targets import check_external_reachable, open_local_target, settings_for, web_specs
    from migrate.containers import engine
    from migrate.deploy import publish
    from migrate.deploy.workflow import load_project

    project = load_project(path)
    settings = settings_for("local", project.config.deploy, strategy=strategy, steps=steps, bake=bake, drain=drain, smoke=smoke)
    specs = web_specs(project, apps)
    plans = [next(p for p in project.plans if p.image == spec.app) for spec in specs]
    built = publish.local_images(project.name, project.root, plans)
    publish.check_buildable(built, plans)
    client = engine.connect()
    say = _say(env)
    publish.build(built, client, say)
    failed = []
    for spec, image in zip(specs, built, strict=True):
        revision = client.images.get(image.local).id
        target = open_local_target(project, spec, create=True, external=external)
        assert target is not None  # created
        if external:
            check_external_reachable(target, external, spec.health_path or "/", now=env.clock, sleep=env.sleep)
        if run_cutover(env, target, spec.app, "deploy", revision, settings, as_json, break_lock):
            if target.url and not as_json:
                env.stdout.write(f"url: {target.url}\n" if len(specs) == 1 else f"{spec.app} url: {target.url}\n")
        else:
            failed.append(spec.app)
    if failed:
        raise UserError(f"the cutover of {', '.join(failed)} did not succeed: the traffic stayed on (or went back to) "
                        "the version that was live", hint="`migrate status PATH --target local` shows where each side stands")


def _steps(flag: str | None) -> tuple[int, ...] | None:
    """``--steps 10,50,100`` as numbers (the engine checks they rise to 100)."""
    if flag is None:
        return None
    try:
        return tuple(int(part) for part in flag.split(",") if part.strip())
    except ValueError:
        raise UserError(f"--steps {flag}: give whole percentages, e.g. 10,50,100") from None


def _provision(flag: str | None, configured: tuple[str, ...]) -> tuple[str, ...]:
    """``--provision a,b``, checked, else migrate.toml's list."""
    from migrate.config import PROVISIONABLE

    if flag is None:
        return configured
    chosen = tuple(part.strip() for part in flag.split(",") if part.strip())
    unknown = [p for p in chosen if p not in PROVISIONABLE]
    if unknown:
        raise UserError(f"--provision {unknown[0]}: migrate provisions {', '.join(PROVISIONABLE)}",
                        hint="for another service, create it yourself and name its endpoint in [apps.NAME] secrets")
    return chosen


def _publishing(built: Any, aws: Any, say: Any, check: bool) -> Any:
    """Build with the local engine, connected only when the deploy gets that far (``--plan`` needs no Docker);
    with ``check``, run the built web images here before deploying them."""
    import time

    from migrate.deploy import localcheck, publish
    from migrate.deploy.workflow import Publishing

    engine_client: list[Any] = []

    def client() -> Any:
        if not engine_client:
            from migrate.containers import engine

            engine_client.append(engine.connect())
        return engine_client[0]

    def run_here(specs: Any) -> Any:
        # Real time, not the environment's clock: what is waited for is a real container on this machine.
        return localcheck.check_images(client(), {image.uri: image.local for image in built}, specs, time.monotonic, time.sleep)

    return Publishing(frozenset(image.uri for image in built), lambda: publish.build(built, client(), say),
                      lambda: publish.push(built, client(), aws, say), run_here if check else None)


def _say(env: Environment) -> Any:
    def say(line: str) -> None:
        env.stderr.write(line + "\n")
        env.stderr.flush()
    return say


def _confirm(env: Environment, yes: bool, verb: str, render: Any, question: str | None = None, *, out: Any = None) -> Any:
    """Show the plan (``render(plan)``, on ``out``: standard output unless given), then ask on a terminal;
    refuse without ``--yes`` when there is none to ask on."""
    shown = env.stdout if out is None else out

    def confirm(plan: Any) -> bool:
        shown.write(render(plan))
        shown.flush()
        if yes:
            return True
        if not env.stdin_isatty:
            raise UserError(f"stdin is not a terminal, so migrate cannot ask before it {verb}s: pass --yes to {verb} without asking")
        return bool(click.confirm(question or f"Apply this plan ({verb})?", default=False))
    return confirm

"""``migrate deploy`` and ``migrate destroy`` as core functions: the CLI only asks and prints.

A deploy is these steps, in this order (each a function here, or a seam for another module):

1. :func:`load_project`: inspect the tree, read ``migrate.toml``, plan each app's container (typed facts).
2. images: ``--image`` URIs (:func:`images_from_flags`), or, without ``--image``, each app's ECR
   image named after its source (:mod:`migrate.deploy.publish`), built in step 4.
3. :func:`~migrate.deploy.specs.specs_from_plans`, checked (:meth:`ServiceSpec.problems`), then the
   pre-flight (:func:`~migrate.deploy.preflight.preflight`, read-only) on the resources of step 4.
4. the plan (:func:`~migrate.deploy.plan.make_plan`, read-only calls only), shown; without ``--image``
   the images are built here, before the confirmation; then the confirmation.
5. the deploy lock of every app (:mod:`migrate.deploy.lock`), and the plan made again under it.
6. apply, phase one: everything but the ECS services and their autoscaling (task definitions
   registered, repositories created); then the push of the images built in step 4
   (:class:`Publishing`, without ``--image``).
7. apply, phase two: each service moves to its new revision, after its app's release step
   (:mod:`migrate.deploy.release`: a one-off task of that revision) when it has one; autoscaling is set.
8. :func:`~migrate.deploy.rollout.wait_for_rollout` for each service that changed, on an injected clock;
   a failed first deploy is left at zero tasks (nothing to roll back to).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from migrate.config import CONFIG_FILE, Config, ConfigError, load_config, project_name
from migrate.deploy.autoscaling import ServiceScaling
from migrate.deploy.aws import Aws
from migrate.deploy.cache import client_warnings
from migrate.deploy.database import ENGINES
from migrate.deploy.errors import DeployError
from migrate.deploy.fleet import ColourSettings
from migrate.deploy.foundation import Names
from migrate.deploy.loadbalancer import HTTPS_PORT, IDLE_TIMEOUT, Listener, LoadBalancer
from migrate.deploy.lock import break_lock, deploy_lock, report_held_locks
from migrate.deploy.native import TEST_TRAFFIC, NativeSettings, follow, in_progress
from migrate.deploy.plan import Plan, Resource, Step, apply, destroy_plan, make_plan
from migrate.deploy.preflight import Finding, preflight
from migrate.deploy.release import release_before_service, run_release_of
from migrate.deploy.rollout import Outcome, ServiceWatch, wait_for_rollout
from migrate.deploy.secrets import SsmSecret, parameter_name, read_secrets_file, stored_parameters
from migrate.deploy.service import EcsService, Network, default_network
from migrate.deploy.spec import ServiceSpec
from migrate.deploy.specs import specs_from_plans, with_settings
from migrate.deploy.stack import stack
from migrate.deploy.testroute import smoke_test_rule
from migrate.deploy.weighted import (
    Moving,
    candidates,
    colour_settings,
    rollback_reads,
    rolling_count,
    settle,
    take_over,
    with_colours,
)
from migrate.errors import UserError
from migrate.generate.plan import ContainerPlan, image_name
from migrate.generate.services import redis_settings, service_settings
from migrate.profile import AppProfile

#: What a deploy reports as it goes (one line each) and how it asks before it changes anything.
Say = Callable[[str], None]
Confirm = Callable[[Plan], bool]


@dataclass(frozen=True)
class Project:
    """A source tree ready to deploy: its name in AWS, its settings, and each app's container plan."""

    root: Path
    name: str
    config: Config
    plans: tuple[ContainerPlan, ...]

    @property
    def apps(self) -> tuple[str, ...]:
        """Each app's image name, as migrate.toml and ``--image APP=URI`` name it."""
        return tuple(p.image for p in self.plans)


@dataclass(frozen=True)
class Clock:
    """Time for the rollout wait, injected so that tests of long waits take milliseconds."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 900
    poll: float = 5


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did: the plan, whether it was applied, and how each changed service rolled out."""

    plan: Plan
    applied: bool = False
    rollouts: tuple[tuple[str, Outcome], ...] = field(default=())
    #: Where the web apps answer (the load balancer's address), once it exists.
    url: str | None = None
    #: Each app whose traffic moved by weight, and whether its cutover succeeded.
    cutovers: tuple[tuple[str, bool], ...] = field(default=())

    @property
    def succeeded(self) -> bool:
        """Every service that changed runs its new revision, complete and healthy; every cutover succeeded."""
        return all(outcome.succeeded for _, outcome in self.rollouts) and all(ok for _, ok in self.cutovers)


@dataclass(frozen=True)
class Weighted:
    """A deploy whose web apps (``apps``) take the new revision by weight: ``run(app, revision, count, settings)`` runs
    the cutover (the app's deploy lock is held by the deploy; ``count``: the tasks to start when no colour
    is live to copy the count from; ``settings``: how to create a colour when no service of the app exists
    to copy them from) and says whether it succeeded; ``router(app)``
    is the app's router once it ran (read to settle autoscaling and the rolling service); ``live(app)``
    the revision that takes all of the app's traffic now (None: none does, or the traffic is split)."""

    apps: frozenset[str]
    run: Callable[[str, str, int, ColourSettings], bool]
    router: Callable[[str], Any]
    live: Callable[[str], str | None]
    #: The apps whose first deploy moves them off their old servers (``--from``): a cutover from those, not a new service.
    migrating: frozenset[str] = frozenset()


def load_project(path: Path) -> Project:
    """Inspect ``path``, read its migrate.toml, and plan each app's container with its health path override."""
    from migrate.generate.recipes import plan_for
    from migrate.init import select_apps
    from migrate.inspect import inspect_tree

    inspection = select_apps(inspect_tree(path), ())
    root = Path(inspection.root)
    config = load_config(root)
    source = str(config.source.relative_to(root)) if config.source else CONFIG_FILE
    plans = tuple(_release_of(plan_for(with_settings(app, config.app(image_name(app)), source)), config) for app in inspection.apps)
    return Project(root, project_name(root, config), config, plans)


def _release_of(plan: ContainerPlan, config: Config) -> ContainerPlan:
    """``plan`` with migrate.toml's release step: a command line, or "" for none (else the one inspect found)."""
    from migrate.generate.plan import command_argv

    release = config.app(plan.image).release
    if release is None:
        return plan
    return dataclasses.replace(plan, release=command_argv(release) if release.strip() else None)


def images_from_flags(project: Project, flags: Sequence[str]) -> dict[str, str]:
    """``--image URI`` (one app) or ``--image APP=URI`` (each app): the image each app runs.

    Without flags deploy builds and pushes instead (:mod:`migrate.deploy.publish`).
    """
    images: dict[str, str] = {}
    for flag in flags:
        app, sep, uri = flag.partition("=")
        if not sep or "/" in app or ":" in app:  # a plain URI (registry hosts and tags have / and :)
            if len(project.apps) != 1 or len(flags) != 1:
                raise DeployError(f"--image {flag}: with several apps, name each: --image APP=URI (apps: {', '.join(project.apps)})")
            app, uri = project.apps[0], flag
        if app not in project.apps:
            raise DeployError(f"--image {flag}: no app named {app} (apps: {', '.join(project.apps)})")
        if not uri:
            raise DeployError(f"--image {flag}: the image URI is empty")
        images[app] = uri
    missing = [a for a in project.apps if a not in images]
    if missing:
        raise DeployError(f"no --image for {', '.join(missing)}", hint=f"pass --image APP=URI for each app ({', '.join(project.apps)})")
    return images


def network_of(aws: Aws, config: Config) -> Network:
    """The VPC and subnets of migrate.toml's [network], else the region's default VPC."""
    net = config.network
    if net.vpc is None and not net.subnets:
        return default_network(aws)
    if net.vpc is None or len(net.subnets) < 2:
        raise DeployError(f"{config.source}: [network] needs vpc and at least two subnets in different availability zones")
    return Network(net.vpc, tuple(sorted(net.subnets)), public_ip=net.assign_public_ip)


def secret_resolver(aws: Aws) -> Callable[[str], str]:
    """An ARN as it is; an SSM parameter name (``/shop/DB_URL``) as its ARN in this account and region."""
    def resolve(value: str) -> str:
        return value if value.startswith("arn:") else aws.arn("ssm", "parameter/" + value.lstrip("/"))
    return resolve


@dataclass(frozen=True)
class Services:
    """The project's ECS services, and the secret values migrate stores for them (each app's secrets file)."""

    specs: tuple[ServiceSpec, ...]
    secrets: tuple[SsmSecret, ...] = ()
    #: The databases migrate provisions (engine: postgres, mysql) and the apps (image name -> profile) each serves.
    database_apps: Mapping[str, Mapping[str, AppProfile]] = field(default_factory=dict)
    #: The apps (image name -> profile) a Redis migrate provisions on ElastiCache serves; None: none is provisioned.
    cache_apps: Mapping[str, AppProfile] | None = None
    #: One of ECS's own strategies moves the web services (``--strategy ecs-*``); None: they roll, or move by weight.
    native: NativeSettings | None = None
    #: With ``native``: the paths the smoke test asks through ECS's test listener rule while ECS pauses for it.
    smoke: tuple[str, ...] = ()


def stored_secrets(project: Project, aws: Aws) -> tuple[SsmSecret, ...]:
    """Each app's ``secrets_file``, as the encrypted parameters migrate stores (values read, never shown)."""
    source = project.config.source or project.root / CONFIG_FILE
    stored: list[SsmSecret] = []
    for app in project.apps:
        settings = project.config.app(app)
        if settings.secrets_file is None:
            continue
        values = read_secrets_file(project.root / settings.secrets_file, f"{source}: apps.{app}.secrets_file")
        twice = sorted(set(values) & (set(settings.secrets) | set(settings.environment)))
        if twice:
            raise ConfigError(f"{source}: {twice[0]} is set in {settings.secrets_file} and in [apps.{app}] too",
                              hint="keep one of them")
        stored.extend(SsmSecret(aws, app, project.name, variable, value) for variable, value in sorted(values.items()))
    return tuple(stored)


@dataclass(frozen=True)
class _Provisioned:
    """A backing service deploy can create (``provision``): how people call it, and the variables apps reach it through."""

    title: str
    settings: Callable[[AppProfile], Mapping[str, str]]
    examples: str


_PROVISIONED = {
    **{kind: _Provisioned(engine.title, functools.partial(service_settings, kind=kind), engine.examples)
       for kind, engine in ENGINES.items()},
    "redis": _Provisioned("Redis", redis_settings, "REDIS_URL, CELERY_BROKER_URL..."),
}


def _apps_using(project: Project, kind: str) -> dict[str, AppProfile]:
    """The apps whose code reads a connection setting of ``kind`` (inspect), by image name."""
    return {plan.image: plan.app for plan in project.plans if _PROVISIONED[kind].settings(plan.app)}


def provisioned_apps(project: Project, provision: Collection[str], kind: str) -> dict[str, AppProfile]:
    """The apps a provisioned ``kind`` (postgres, mysql, redis) serves: those whose default configuration uses one (inspect), by image name."""
    if kind not in provision:
        return {}
    apps = _apps_using(project, kind)
    if not apps:
        service = _PROVISIONED[kind]
        raise DeployError(f"provision {kind}: no app here reads a {service.title} connection setting ({service.examples})",
                          hint=f"drop {kind} from provision, or check `migrate inspect`'s env and backing services")
    return apps


def database_apps(project: Project, provision: Collection[str]) -> dict[str, dict[str, AppProfile]]:
    """The databases to provision (engine -> apps): each serves the apps whose default configuration uses it (inspect), by image name."""
    return {kind: provisioned_apps(project, provision, kind) for kind in sorted(set(provision) & set(ENGINES))}


def _provisioned_arns(project: Project, aws: Aws, served: Mapping[str, AppProfile], kind: str, arns: dict[str, dict[str, str]]) -> None:
    """Add to ``arns`` (app -> variable -> ARN) the parameters of the variables a provisioned ``kind`` sets; refuse one set twice."""
    service = _PROVISIONED[kind]
    for image, app in served.items():
        configured = project.config.app(image)
        for variable in service.settings(app):
            if variable in arns.get(image, {}) or variable in configured.secrets or variable in configured.environment:
                raise ConfigError(f"{image}: {variable} is set in {CONFIG_FILE} (or its secrets file), and the provisioned "
                                  f"{service.title} sets it too", hint=f"remove it there, or drop {kind} from provision")
            arns.setdefault(image, {})[variable] = aws.arn("ssm", "parameter" + parameter_name(project.name, image, variable))


def services_of(project: Project, aws: Aws, images: Mapping[str, str], provision: Collection[str] = (),
                native: NativeSettings | None = None, smoke: Sequence[str] = ()) -> Services:
    """The project's ECS services and stored secrets, checked before any call that could change something.

    ``native``: the web services are moved by that one of ECS's own strategies (:mod:`migrate.deploy.native`),
    paused after ECS's test traffic shift for a smoke test of ``smoke`` (paths) when there are some.

    ``provision``: the backing services migrate creates (``postgres``, ``mysql``, ``redis``); the apps that use
    one read its connection settings from parameters migrate stores (:mod:`migrate.deploy.database`).
    """
    specs = specs_from_plans(project.plans, project.config, images, secret_resolver(aws), project.root)
    stored = stored_secrets(project, aws)
    arns: dict[str, dict[str, str]] = {}
    for secret in stored:
        arns.setdefault(secret.app, {})[secret.variable] = secret.arn
    served = database_apps(project, provision)
    for kind, apps in served.items():
        _provisioned_arns(project, aws, apps, kind, arns)
    cached = provisioned_apps(project, provision, "redis") if "redis" in provision else None
    if cached:
        _provisioned_arns(project, aws, cached, "redis", arns)
    # The web service and the workers of an app run the same code: each reads the app's secrets.
    specs = tuple(dataclasses.replace(s, secrets={**s.secrets, **arns.get(s.image_app, {})}) for s in specs)
    for spec in specs:
        problems = spec.problems()
        if problems:
            raise DeployError(f"{spec.app}: {problems[0]}", hint=f"change it in {CONFIG_FILE}, then run again")
    if native is not None and native.pause != bool(smoke):
        raise ValueError("a smoke test of ECS's strategies needs its pause, and a pause its smoke test")
    return Services(specs, stored, served, cached, native, tuple(smoke))


@dataclass(frozen=True)
class Publishing:
    """The images a deploy without ``--image`` builds here and pushes to the apps' repositories itself."""

    #: The URIs the task definitions name: pre-flight does not require them in ECR yet.
    uris: frozenset[str]
    #: Runs after the pre-flight and the plan, before the confirmation: a failing build changes nothing in AWS.
    build: Callable[[], None]
    #: Runs after phase one (the repositories exist, the revisions are registered), before any service moves.
    push: Callable[[], None]
    #: Runs the built web images here as their services will run (:mod:`migrate.deploy.localcheck`), after the
    #: build and before the confirmation; None: not asked for (``--no-local-check``).
    check: Callable[[Sequence[ServiceSpec]], list[Finding]] | None = None


def _first_service(plan: ContainerPlan, specs: Sequence[ServiceSpec]) -> ServiceSpec | None:
    """The app's first service: its web service, else its first worker (None when it has none)."""
    return next((s for s in specs if s.image_app == plan.image), None)


def release_commands(project: Project, specs: Sequence[ServiceSpec]) -> dict[str, tuple[str, ...]]:
    """Each app's release step (migrations), keyed by the service it runs before: its web service, else its first worker."""
    commands: dict[str, tuple[str, ...]] = {}
    for plan in project.plans:
        first = _first_service(plan, specs)
        if plan.release and first is not None:
            commands[first.app] = plan.release
    return commands


def check_before_deploy(aws: Aws, project: Project, specs: Sequence[ServiceSpec], resources: Sequence[Resource],
                        say: Say, pushed_images: Collection[str] = ()) -> None:
    """The pre-flight (read-only): warnings and notes said, errors raised together before anything mutates."""
    planned = [r.arn for r in resources if isinstance(r, SsmSecret)]
    findings = preflight(aws, project.name, specs, resources, planned_secrets=planned, pushed_images=pushed_images,
                         certificate=project.config.certificate)
    report_findings("pre-flight", findings, say)


def report_findings(stage: str, findings: Sequence[Finding], say: Say) -> None:
    """Say the warnings and notes; raise the errors together (nothing has changed yet)."""
    errors = [f.message for f in findings if f.severity == "error"]
    for finding in findings:
        if finding.severity != "error":
            say(f"{finding.severity}: {finding.message}")
    if len(errors) == 1:
        raise DeployError(f"{stage}: {errors[0]}", hint="nothing was changed")
    if errors:
        raise DeployError(f"{stage} found {len(errors)} problems; nothing was changed",
                          hint="\n".join(f"- {e}" for e in errors))


def unset_required(project: Project, specs: Sequence[ServiceSpec]) -> list[str]:
    """Warnings for variables inspect found the app cannot start without that nothing sets on ECS.

    Set means: in the service's environment or secrets, or by the image itself (its port and listen
    address settings). A warning, not an error: inspect reads code, and the app may set it another way.
    """
    warnings = []
    for plan in project.plans:
        spec = _first_service(plan, specs)
        if spec is None:
            continue
        image_sets = {plan.app.detail("port_env"), *plan.listen_env}
        for var in plan.env:
            if var.required and var.default is None and var.name not in image_sets \
                    and var.name not in spec.environment and var.name not in spec.secrets:
                where = f" ({var.evidence[0]})" if var.evidence else ""
                kind = "secrets (or secrets_file)" if var.secret else "environment or secrets"
                warnings.append(f"{plan.image}: the app needs {var.name}{where}, which nothing sets: "
                                f"add it to [apps.{plan.image}] {kind} in {CONFIG_FILE}")
    return warnings


#: Node's HTTP server closes an idle connection after 5 s; Fastify sets 72 s itself.
_NODE_KEEP_ALIVE_MS = 5000
_OWN_KEEP_ALIVE_MS = {"fastify": 72000}


def keep_alive_warnings(project: Project) -> list[str]:
    """Node web apps whose server closes idle connections before the load balancer does (502s during normal traffic).

    The generated commands of Python servers set their keep-alive above it (generate); Node's is set
    in the app's code, so deploy can only say where. nginx (static sites) keeps 75 s.
    """
    warnings = []
    for plan in project.plans:
        app = plan.app
        if plan.port is None or app.language.value != "node" or plan.template != "node.Dockerfile.j2":
            continue
        limit_ms = IDLE_TIMEOUT * 1000
        found = app.detail("keep_alive_timeout")
        if found:
            value, where = found.split()
            ms = int(value)
            if ms <= limit_ms:
                warnings.append(f"{plan.image}: keepAliveTimeout is {ms} ms ({where}), not above the load balancer's "
                                f"{IDLE_TIMEOUT} s idle timeout: requests on connections it closes fail with 502; set it to 65000")
            continue
        if _OWN_KEEP_ALIVE_MS.get(app.framework.value or "", _NODE_KEEP_ALIVE_MS) > limit_ms \
                or "KEEP_ALIVE_TIMEOUT" in project.config.app(plan.image).environment:
            continue
        fix = ("set KEEP_ALIVE_TIMEOUT = \"65000\" in its environment (Next.js's server reads it)" if app.framework.value == "nextjs"
               else "set server.keepAliveTimeout = 65000 and server.headersTimeout = 66000 where the server is created")
        warnings.append(f"{plan.image}: Node's HTTP server closes idle connections after 5 s, before the load balancer's "
                        f"{IDLE_TIMEOUT} s idle timeout, so some requests fail with 502: {fix}")
    return warnings


def host_warnings(project: Project) -> list[str]:
    """Django web apps whose ALLOWED_HOSTS is a fixed list without ``*``: every request through the balancer gets 400.

    (An app that reads the list from a variable gets the balancer's address there: see the task definition.)
    """
    warnings = []
    for plan in project.plans:
        where = plan.app.detail("allowed_hosts_fixed")
        if plan.port is not None and where:
            warnings.append(f"{plan.image}: ALLOWED_HOSTS is a fixed list ({where}) without the load balancer's address, so "
                            "Django answers 400 to every request through it: read it from a variable "
                            "(os.environ.get(\"DJANGO_ALLOWED_HOSTS\", \"localhost\").split(\",\")), which deploy sets, or add your domain")
    return warnings


def deploy(
    project: Project, aws: Aws, services: Services, network: Network, *,
    confirm: Confirm, say: Say, plan_only: bool = False, clock: Clock = Clock(),
    publishing: Publishing | None = None, break_stale_lock: bool = False, weighted: Weighted | None = None,
) -> DeployResult:
    """Pre-flight and plan the project's resources; unless ``plan_only``, build, confirm, lock, apply and wait.

    Without ``publishing`` every image must already be in its registry (``--image``). Secret
    parameters whose variable left its secrets file are deleted once every service runs without them.
    With ``weighted``, the services of its apps that already run are left out of the plan and moved by
    the cutover instead, after everything else is applied (:mod:`migrate.deploy.weighted`).
    """
    specs = services.specs

    def planned() -> list[Resource]:
        return stack(aws, project.name, specs, network, services.secrets, project.config.certificate, services.database_apps,
                     clock.now, clock.sleep, services.cache_apps, services.native, cluster=project.config.cluster)

    def plan_of(resources: list[Resource], kept: dict[str, str] | None = None) -> tuple[Plan, dict[str, Moving]]:
        """The plan, and (with ``weighted``) the apps the cutover moves, whose services leave the plan."""
        moving: dict[str, Moving] = {}
        plan = make_plan(resources)
        if weighted is not None:
            plan, moving = take_over(plan, candidates(aws, resources, sorted(weighted.apps), sorted(weighted.migrating)), weighted.live)
        return _with_retired(aws, project, services, plan, frozenset(moving), kept), moving

    resources = planned()
    check_before_deploy(aws, project, specs, resources, say, publishing.uris if publishing else ())
    for warning in [*unset_required(project, specs), *keep_alive_warnings(project), *host_warnings(project), *client_warnings(services.cache_apps or {})]:
        say(f"warning: {warning}")
    kept: dict[str, str] = {}
    plan, moving = plan_of(resources, kept)
    for name, colour in sorted(kept.items()):
        say(f"{name} stays, though no longer in its secrets file: the revision of {colour} reads it, and a rollback starts that revision")
    if weighted is not None:
        for app in sorted(weighted.apps):
            if app in moving and app in weighted.migrating:
                say(f"{app}: once the plan is applied, its containers take the traffic of its old servers by weight")
            elif app in moving:
                say(f"{app}: its new revision takes the traffic by weight once the plan is applied")
            elif any(s.action == "create" and isinstance(s.resource, EcsService) and s.resource.name == app for s in plan.steps):
                say(f"{app}: first deploy: its service is created (no traffic to move yet); the next deploy moves by weight")
    if plan_only:
        return DeployResult(plan, url=_url(project, plan))
    if not plan.changes_anything and not moving:
        # A lock left by a deploy that died must not outlive the next deploy unseen; a rollout it started, neither.
        report_held_locks(aws, project.name, sorted({s.app for s in specs}), break_them=break_stale_lock, say=say)
        return DeployResult(plan, rollouts=_wait(project, aws, plan, say, clock, smoke=services.smoke), url=_url(project, plan))
    if publishing is not None:
        publishing.build()
        if publishing.check is not None:
            say("running the built images here, as their services will run")
            report_findings("local check", publishing.check(specs), say)
    if not confirm(plan):
        raise UserError("deploy cancelled: nothing was changed")
    apps = sorted({s.app for s in specs})
    with contextlib.ExitStack() as locks:
        for app in apps:
            if break_stale_lock and (holder := break_lock(aws, project.name, app)) is not None:
                say(f"broke the deploy lock of {app} held by {holder.who}")
            locks.enter_context(deploy_lock(aws, project.name, app, took_over=functools.partial(_took_over, say, app)))
        again, moving = plan_of(planned())
        if again != plan:  # someone changed AWS between the plan shown and the lock taken
            raise DeployError("AWS changed since the plan was shown; nothing was applied", hint="run the deploy again to see the new plan")
        releases = release_commands(project, specs)
        # Before any service changes (ECS's own strategies are followed by the deployments created from here on),
        # a minute early for the difference between this machine's clock and AWS's.
        applying = datetime.now(UTC) - timedelta(seconds=60)
        _apply_in_two_phases(again, say, publishing.push if publishing else None,
                             release_before_service(aws, releases, say, clock=clock.now, sleep=clock.sleep, poll=clock.poll))
        rollouts = _wait(project, aws, again, say, clock, applying, smoke=services.smoke)
        cutovers: list[tuple[str, bool]] = []
        if weighted is not None and all(outcome.succeeded for _, outcome in rollouts):
            cutovers = _cut_over(aws, project.name, releases, moving, weighted, say, clock)
        stale = [s for s in again.steps if s.action == "delete"]
        if stale and all(outcome.succeeded for _, outcome in rollouts) and all(ok for _, ok in cutovers):
            apply(Plan(tuple(stale)), lambda step: say(f"deleting {step.title} ({_why_retired(step.resource)})"))
    return DeployResult(again, applied=True, rollouts=rollouts, url=_url(project, again), cutovers=tuple(cutovers))


def _took_over(say: Say, app: str, holder: Any) -> None:
    say(f"took over the deploy lock of {app} left by {holder.who} (that process of this machine has ended)")


def _cut_over(aws: Aws, project_name: str, releases: Mapping[str, Sequence[str]], moving: Mapping[str, Moving], weighted: Weighted, say: Say,
              clock: Clock) -> list[tuple[str, bool]]:
    """Each moving app's release step (when it has one), then its cutover onto the revision registered; the
    first failure ends the deploy (the next apps keep their version), as a failed rollout does."""
    results: list[tuple[str, bool]] = []
    for app in sorted(moving):
        move = moving[app]
        revision = move.definition.arn_after_apply
        if move.service.app in releases and move.definition.registered:  # a new revision: its release first
            run_release_of(aws, move.service, releases[move.service.app], say, clock=clock.now, sleep=clock.sleep, poll=clock.poll)
        ok = weighted.run(app, revision, rolling_count(aws, move) or move.service.spec.desired_count, colour_settings(move.service))
        settle(aws, project_name, move, weighted.router(app), say)
        results.append((app, ok))
        if not ok:
            break
    return results


def _url(project: Project, plan: Plan) -> str | None:
    """Where the project's web apps answer: its load balancer's address, once the balancer exists."""
    balancer = next((s.resource for s in plan.steps if isinstance(s.resource, LoadBalancer)), None)
    if balancer is None or not balancer.dns_name:
        return None
    return f"{'https' if project.config.certificate else 'http'}://{balancer.dns_name}/"


def _with_retired(aws: Aws, project: Project, services: Services, plan: Plan, moving: frozenset[str] = frozenset(),
                  kept: dict[str, str] | None = None) -> Plan:
    """``plan`` and the deletion of what an earlier deploy made that this one no longer wants: each stored
    secret whose variable is no longer in its app's secrets file (nor set by a provisioned database), and
    the HTTPS listener once migrate.toml names no certificate.

    They go only after the services run without them (see :func:`deploy`). A secret that a colour's revision
    still reads stays, since a rollback would start that revision again (:func:`~migrate.deploy.weighted.rollback_reads`;
    ``moving``: the apps this deploy's cutover moves): it is put in ``kept`` (parameter -> the colour service), and goes
    with a later deploy.
    """
    wanted = {s.resource.name for s in plan.steps if isinstance(s.resource, SsmSecret)}
    stored = [p for app in sorted({s.image_app for s in services.specs})
              for p in stored_parameters(aws, project.name, app) if p.name not in wanted]
    reads: dict[str, str] = {}
    if stored:  # only then: reading the colours' revisions costs calls
        for spec in services.specs:
            found = rollback_reads(aws, Names(project.name, spec.app, project.config.cluster).cluster, spec.app, moving=spec.app in moving)
            reads |= {k: v for k, v in found.items() if k not in reads}
    retired: list[Resource] = [p for p in stored if p.name not in reads]
    if kept is not None:
        kept.update({p.name: reads[p.name] for p in stored if p.name in reads})
    balancer = next((s.resource for s in plan.steps if isinstance(s.resource, LoadBalancer)), None)
    if balancer is not None and not project.config.certificate:
        retired.append(Listener(aws, project.name, balancer, (), HTTPS_PORT))
    return Plan(plan.steps + destroy_plan(retired).steps) if retired else plan


def _why_retired(resource: Resource) -> str:
    """Why a deploy deletes ``resource`` (one of :func:`_with_retired`'s)."""
    return "no certificate in migrate.toml any more" if isinstance(resource, Listener) else "no longer in its secrets file"


def _apply_in_two_phases(plan: Plan, say: Say, push: Callable[[], None] | None, before_service: Callable[[Step], None]) -> None:
    """Everything but the services first (new revisions registered), then the push, then each service
    (its app's release step first, when its revision is new)."""
    moving = (EcsService, ServiceScaling)
    # Deletions wait until the services run without what is deleted (see deploy).
    first = Plan(tuple(s for s in plan.steps if not isinstance(s.resource, moving) and s.action != "delete"))
    second = Plan(tuple(s for s in plan.steps if isinstance(s.resource, moving)))
    total = sum(1 for s in plan.steps if s.action in ("create", "update"))
    done = [0]

    def progress(step: Step) -> None:
        done[0] += 1
        say(f"[{done[0]}/{total}] {_VERBS[step.action]} {step.title}")

    def release_then_progress(step: Step) -> None:
        before_service(step)
        progress(step)

    apply(first, progress)
    if push is not None:
        push()
    apply(second, release_then_progress)


_VERBS = {"create": "creating", "update": "updating", "delete": "deleting"}


def _wait(project: Project, aws: Aws, plan: Plan, say: Say, clock: Clock,
          since: datetime | None = None, smoke: Sequence[str] = ()) -> tuple[tuple[str, Outcome], ...]:
    """Wait for each service this deploy moved, and for each one it left alone whose rollout has not completed.

    A service moved by one of ECS's own strategies is followed through its service deployment, created at or
    after ``since`` (None: an earlier deploy's, still under way), and ``smoke`` (paths) tested where ECS pauses it.

    A deploy killed after it moved a service (Ctrl-C, a CI runner stopped) left that rollout to go on
    unwatched: the next deploy plans no change to the service, yet its success must not be claimed
    before the rollout is (a read per service says whether it is).
    """
    results: list[tuple[str, Outcome]] = []
    for step in plan.steps:
        service = step.resource
        if not isinstance(service, EcsService) or step.action not in ("create", "update", "unchanged"):
            continue
        if service.native is not None:
            outcome = _follow_native(aws, service, step.action, since, say, clock, smoke)
        else:
            outcome = _follow_rollout(project, aws, service, step.action, say, clock)
        if outcome is None:  # left alone, and nothing of it under way
            continue
        results.append((service.name, outcome))
        if not outcome.succeeded:
            # Nothing to roll back to: a first deploy, or the restart of one left at zero tasks. A wait that
            # ran out with nothing failed is left running: its tasks may still be starting (a slow pull).
            first = step.action == "create" or any(change.name == "tasks" for change in step.changes)
            if first and not outcome.timed_out:
                _stop_first_deploy(plan, service, say)
            elif first:
                say(f"{service.name} was left running, as nothing failed yet (its tasks may still be starting): follow it with "
                    f"`aws ecs describe-services --cluster {service.cluster} --services {service.name}`")
            break  # the first failure is the diagnosis: the next services keep their running version
    return tuple(results)


def _follow_rollout(project: Project, aws: Aws, service: EcsService, action: str, say: Say, clock: Clock) -> Outcome | None:
    """Wait for ECS's rolling update of the service to its revision (None: left alone, and its rollout complete)."""
    target = service.target_group.arn if service.target_group else None
    watch = ServiceWatch(aws, service.cluster, service.name, target, Names(project.name, service.spec.image_app).log_group)
    revision = service.task_definition.arn_after_apply
    if action == "unchanged":
        snap = watch.snapshot(revision)
        if snap.completed or snap.primary_revision is None:
            return None
        say(f"{service.name}: an earlier deploy left its rollout unfinished ({snap.rollout_state or 'no state'})")
    say(f"waiting for {service.name} to run {revision.rsplit('/', 1)[-1]} (at most {clock.timeout:.0f} s)")
    return wait_for_rollout(watch, revision, timeout=clock.timeout, poll=clock.poll, clock=clock.now, sleep=clock.sleep)


def _follow_native(aws: Aws, service: EcsService, action: str, since: datetime | None, say: Say, clock: Clock,
                   smoke: Sequence[str] = ()) -> Outcome | None:
    """Follow the service deployment ECS runs for the service's revision (None: nothing under way for a service left alone).

    The wait covers the strategy's own bakes beyond ``clock.timeout``: ECS holds the deployment that long by design;
    one still running then is stopped with a rollback (:func:`~migrate.deploy.native.follow`), never left timed out.
    """
    assert service.native is not None
    ecs = aws.client("ecs")
    if action == "unchanged":
        if in_progress(ecs, cluster=service.cluster, service=service.name) is None:
            return None
        say(f"{service.name}: an earlier deploy left its ECS deployment under way")
        since = datetime.now(UTC) - timedelta(days=1)
    revision = service.task_definition.arn_after_apply
    timeout = clock.timeout + 60 * service.native.settings.minutes
    say(f"{service.name}: ECS moves its traffic to {revision.rsplit('/', 1)[-1]} ({service.native.settings.describe()}); "
        f"following its deployment (at most {timeout:.0f} s)")
    ended = follow(ecs, cluster=service.cluster, service=service.name, task_definition=revision,
                   since=since or datetime.now(UTC) - timedelta(seconds=60), now=clock.now, sleep=clock.sleep,
                   timeout=timeout, poll=clock.poll, on_progress=lambda progress: say(f"{service.name}: {progress.line()}"),
                   smoke=_native_smoke(service, smoke, say, clock) if smoke else None)
    return Outcome(ended.succeeded, ended.reason, ended.diagnosis)


def _native_smoke(service: EcsService, paths: Sequence[str], say: Say, clock: Clock) -> Callable[[], str | None]:
    """The smoke test of a deployment ECS paused for it: ``paths`` through ECS's test listener rule (None: it passed)."""
    assert service.native is not None
    listener = service.native.listener
    dns_name = listener.load_balancer.dns_name
    if dns_name is None:
        raise DeployError(f"{service.name}: the load balancer's address is not known: no smoke test can reach it")

    def run() -> str | None:
        say(f"{service.name}: ECS paused the deployment for the smoke test; asking the new revision through its test "
            f"listener rule ({TEST_TRAFFIC[0]}: {TEST_TRAFFIC[1]})")
        answered, failed = smoke_test_rule(dns_name, listener.port, listener.certificate is not None, TEST_TRAFFIC, paths,
                                           sleep=clock.sleep)
        say(f"{service.name}: smoke test {'FAILED' if failed else 'passed'} ({'; '.join(answered or failed)}): "
            + ("ECS rolls the deployment back" if failed else "ECS goes on"))
        return "; ".join(failed) or None
    return run


def _stop_first_deploy(plan: Plan, service: EcsService, say: Say) -> None:
    """A failed first deploy has nothing for the circuit breaker to roll back to: leave it at zero tasks, not crash-looping."""
    scaling = next((s.resource for s in plan.steps if isinstance(s.resource, ServiceScaling) and s.resource.service == service.name), None)
    if scaling is not None:
        scaling.hold_at_zero()
    service.stop_tasks()
    say(f"{service.name} was left at zero tasks (a first deploy has no earlier version to roll back to); "
        "the next `migrate deploy` starts it again")


def destroy(project: Project, aws: Aws, network: Network, *, confirm: Confirm, say: Say) -> Plan:
    """Delete what migrate created for the project, after confirmation; what it does not own is left alone."""
    # The secrets stored for each app, as AWS has them: its secrets file may be gone, or name fewer now.
    specs = specs_from_plans(project.plans, project.config, {app: "(destroyed)" for app in project.apps}, secret_resolver(aws))
    stored = [p for app in sorted({s.image_app for s in specs}) for p in stored_parameters(aws, project.name, app)]
    # Each backing service migrate provisioned goes too (a database after a final snapshot), whether or not migrate.toml
    # still asks for it: when an app uses it, or when migrate stored its credential (no app may use it any more).
    # Neither: no call to RDS or ElastiCache.
    found = {kind: apps for kind in _PROVISIONED if (apps := _apps_using(project, kind)) or stored_parameters(aws, project.name, kind)}
    connections = {parameter_name(project.name, image, variable) for kind, apps in found.items()
                   for image, app in apps.items() for variable in _PROVISIONED[kind].settings(app)}
    stored = [p for p in stored if p.name not in connections]  # the database's and the cache's own resources list them
    served = {kind: apps for kind, apps in found.items() if kind in ENGINES}
    # As an ECS strategy deploys it: its alternate target groups and ECS's role go too, where they exist.
    plan = destroy_plan(with_colours(aws, project.name, stack(aws, project.name, specs, network, stored, project.config.certificate, served,
                                               cache_apps=found.get("redis"), native=NativeSettings("ecs-blue-green"),
                                               cluster=project.config.cluster)))
    if plan.count("delete") == 0:
        return plan
    if not confirm(plan):
        raise UserError("destroy cancelled: nothing was deleted")
    with contextlib.ExitStack() as locks:
        for app in sorted({s.app for s in specs}):
            locks.enter_context(deploy_lock(aws, project.name, app))
        steps = [s for s in plan.steps if s.action == "delete"]
        for number, step in enumerate(steps, 1):
            say(f"[{number}/{len(steps)}] deleting {step.title}")
            apply(Plan((step,)))
    return plan

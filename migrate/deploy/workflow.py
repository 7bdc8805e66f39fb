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
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from migrate.config import CONFIG_FILE, Config, load_config, project_name
from migrate.deploy.autoscaling import ServiceScaling
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError
from migrate.deploy.foundation import Names
from migrate.deploy.lock import break_lock, deploy_lock
from migrate.deploy.plan import Plan, Resource, Step, apply, destroy_plan, make_plan
from migrate.deploy.preflight import preflight
from migrate.deploy.release import release_before_service
from migrate.deploy.rollout import Outcome, ServiceWatch, wait_for_rollout
from migrate.deploy.secrets import SsmSecret
from migrate.deploy.service import EcsService, Network, default_network
from migrate.deploy.spec import ServiceSpec
from migrate.deploy.specs import specs_from_plans, with_settings
from migrate.deploy.stack import stack
from migrate.errors import UserError
from migrate.generate.plan import ContainerPlan, image_name

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

    @property
    def succeeded(self) -> bool:
        """Every service that changed runs its new revision, complete and healthy."""
        return all(outcome.succeeded for _, outcome in self.rollouts)


def load_project(path: Path) -> Project:
    """Inspect ``path``, read its migrate.toml, and plan each app's container with its health path override."""
    from migrate.generate.recipes import plan_for
    from migrate.init import select_apps
    from migrate.inspect import inspect_tree

    inspection = select_apps(inspect_tree(path), ())
    root = Path(inspection.root)
    config = load_config(root)
    source = str(config.source.relative_to(root)) if config.source else CONFIG_FILE
    plans = tuple(plan_for(with_settings(app, config.app(image_name(app)), source)) for app in inspection.apps)
    return Project(root, project_name(root, config), config, plans)


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


def services_of(project: Project, aws: Aws, images: Mapping[str, str]) -> tuple[ServiceSpec, ...]:
    """The project's ECS services, checked before any call that could change something (the pre-flight)."""
    specs = specs_from_plans(project.plans, project.config, images, secret_resolver(aws))
    for spec in specs:
        problems = spec.problems()
        if problems:
            raise DeployError(f"{spec.app}: {problems[0]}", hint=f"change it in {CONFIG_FILE}, then run again")
    return specs


@dataclass(frozen=True)
class Publishing:
    """The images a deploy without ``--image`` builds here and pushes to the apps' repositories itself."""

    #: The URIs the task definitions name: pre-flight does not require them in ECR yet.
    uris: frozenset[str]
    #: Runs after the pre-flight and the plan, before the confirmation: a failing build changes nothing in AWS.
    build: Callable[[], None]
    #: Runs after phase one (the repositories exist, the revisions are registered), before any service moves.
    push: Callable[[], None]


def release_commands(project: Project, specs: Sequence[ServiceSpec]) -> dict[str, tuple[str, ...]]:
    """Each app's release step (migrations), keyed by the service it runs before: its web service, else its first worker."""
    commands: dict[str, tuple[str, ...]] = {}
    for plan in project.plans:
        first = next((s for s in specs if s.image_app == plan.image), None)
        if plan.release and first is not None:
            commands[first.app] = plan.release
    return commands


def check_before_deploy(aws: Aws, project: Project, specs: Sequence[ServiceSpec], resources: Sequence[Resource],
                        say: Say, pushed_images: Collection[str] = ()) -> None:
    """The pre-flight (read-only): warnings and notes said, errors raised together before anything mutates."""
    planned = [r.arn for r in resources if isinstance(r, SsmSecret)]
    findings = preflight(aws, project.name, specs, resources, planned_secrets=planned, pushed_images=pushed_images)
    errors = [f.message for f in findings if f.severity == "error"]
    for finding in findings:
        if finding.severity != "error":
            say(f"{finding.severity}: {finding.message}")
    if len(errors) == 1:
        raise DeployError(f"pre-flight: {errors[0]}", hint="nothing was changed")
    if errors:
        raise DeployError(f"pre-flight found {len(errors)} problems; nothing was changed",
                          hint="\n".join(f"- {e}" for e in errors))


def deploy(
    project: Project, aws: Aws, specs: Sequence[ServiceSpec], network: Network, *,
    confirm: Confirm, say: Say, plan_only: bool = False, clock: Clock = Clock(),
    publishing: Publishing | None = None, break_stale_lock: bool = False,
) -> DeployResult:
    """Pre-flight and plan the project's resources; unless ``plan_only``, build, confirm, lock, apply and wait.

    Without ``publishing`` every image must already be in its registry (``--image``).
    """
    resources = stack(aws, project.name, specs, network)
    check_before_deploy(aws, project, specs, resources, say, publishing.uris if publishing else ())
    plan = make_plan(resources)
    if plan_only or not plan.changes_anything:
        return DeployResult(plan)
    if publishing is not None:
        publishing.build()
    if not confirm(plan):
        raise UserError("deploy cancelled: nothing was changed")
    apps = sorted({s.app for s in specs})
    with contextlib.ExitStack() as locks:
        for app in apps:
            if break_stale_lock and (holder := break_lock(aws, project.name, app)) is not None:
                say(f"broke the deploy lock of {app} held by {holder.who}")
            locks.enter_context(deploy_lock(aws, project.name, app))
        resources = stack(aws, project.name, specs, network)
        again = make_plan(resources)
        if again != plan:  # someone changed AWS between the plan shown and the lock taken
            raise DeployError("AWS changed since the plan was shown; nothing was applied", hint="run the deploy again to see the new plan")
        releases = release_commands(project, specs)
        _apply_in_two_phases(again, say, publishing.push if publishing else None,
                             release_before_service(aws, releases, say, clock=clock.now, sleep=clock.sleep, poll=clock.poll))
        rollouts = _wait(project, aws, again, say, clock)
    return DeployResult(again, applied=True, rollouts=rollouts)


def _apply_in_two_phases(plan: Plan, say: Say, push: Callable[[], None] | None, before_service: Callable[[Step], None]) -> None:
    """Everything but the services first (new revisions registered), then the push, then each service
    (its app's release step first, when its revision is new)."""
    moving = (EcsService, ServiceScaling)
    first = Plan(tuple(s for s in plan.steps if not isinstance(s.resource, moving)))
    second = Plan(tuple(s for s in plan.steps if isinstance(s.resource, moving)))
    total = sum(1 for s in plan.steps if s.action in ("create", "update", "delete"))
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


def _wait(project: Project, aws: Aws, plan: Plan, say: Say, clock: Clock) -> tuple[tuple[str, Outcome], ...]:
    results: list[tuple[str, Outcome]] = []
    for step in plan.steps:
        service = step.resource
        if not isinstance(service, EcsService) or step.action not in ("create", "update"):
            continue
        target = service.target_group.arn if service.target_group else None
        watch = ServiceWatch(aws, service.cluster, service.name, target, Names(project.name, service.spec.image_app).log_group)
        revision = service.task_definition.arn_after_apply
        say(f"waiting for {service.name} to run {revision.rsplit('/', 1)[-1]} (at most {clock.timeout:.0f} s)")
        outcome = wait_for_rollout(watch, revision, timeout=clock.timeout, poll=clock.poll, clock=clock.now, sleep=clock.sleep)
        results.append((service.name, outcome))
        if not outcome.succeeded:
            if step.action == "create":
                _stop_first_deploy(plan, service, say)
            break  # the first failure is the diagnosis: the next services keep their running version
    return tuple(results)


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
    specs = services_of(project, aws, {app: "(destroyed)" for app in project.apps})
    plan = destroy_plan(stack(aws, project.name, specs, network))
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

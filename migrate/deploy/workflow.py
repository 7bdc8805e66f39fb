"""``migrate deploy`` and ``migrate destroy`` as core functions: the CLI only asks and prints.

A deploy is these steps, in this order (each a function here, or a seam for another module):

1. :func:`load_project`: inspect the tree, read ``migrate.toml``, plan each app's container (typed facts).
2. images: ``--image`` URIs (:func:`images_from_flags`), or, without ``--image``, each app's ECR
   image named after its source (:mod:`migrate.deploy.publish`), built locally before the plan.
3. :func:`~migrate.deploy.specs.specs_from_plans` and the pre-flight (:meth:`ServiceSpec.problems`).
4. the plan (:func:`~migrate.deploy.plan.make_plan`, read-only calls only), shown, then confirmed.
5. the deploy lock of every app (:mod:`migrate.deploy.lock`), and the plan made again under it.
6. apply, phase one: everything but the ECS services and their autoscaling (task definitions
   registered, repositories created). SEAM ``release``: what must happen before any service moves —
   the push of the built images (:func:`migrate.deploy.publish.pusher`) today; the release step
   (:mod:`migrate.deploy.release`) as a one-off task of the new revisions belongs here too.
7. apply, phase two: the services move to the new revisions, autoscaling is set.
8. :func:`~migrate.deploy.rollout.wait_for_rollout` for each service that changed, on an injected clock.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from migrate.config import CONFIG_FILE, Config, load_config, project_name
from migrate.deploy.autoscaling import ServiceScaling
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError
from migrate.deploy.foundation import Names
from migrate.deploy.lock import break_lock, deploy_lock, report_held_locks
from migrate.deploy.plan import Plan, Step, apply, destroy_plan, make_plan
from migrate.deploy.rollout import Outcome, ServiceWatch, wait_for_rollout
from migrate.deploy.service import EcsService, Network, TaskDefinition, default_network
from migrate.deploy.spec import ServiceSpec
from migrate.deploy.specs import specs_from_plans, with_settings
from migrate.deploy.stack import stack
from migrate.errors import UserError
from migrate.generate.plan import ContainerPlan, image_name

#: What a deploy reports as it goes (one line each) and how it asks before it changes anything.
Say = Callable[[str], None]
Confirm = Callable[[Plan], bool]
#: The release seam: given the task definitions just registered, run the release step (or raise).
Release = Callable[[Sequence[TaskDefinition]], None]


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

    Without flags deploy builds and pushes instead (:mod:`migrate.deploy.publish`); never called so.
    """
    if not flags:
        raise DeployError("no --image given", hint="pass --image URI (with several apps: --image APP=URI for each)")
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


def deploy(
    project: Project, aws: Aws, specs: Sequence[ServiceSpec], network: Network, *,
    confirm: Confirm, say: Say, plan_only: bool = False, clock: Clock = Clock(),
    release: Release | None = None, break_stale_lock: bool = False,
) -> DeployResult:
    """Plan the project's resources, and unless ``plan_only``, confirm, lock, apply and wait for the rollout."""
    plan = make_plan(stack(aws, project.name, specs, network))
    if plan_only or not plan.changes_anything:
        if not plan_only:  # a lock left by a deploy that died must not outlive the next deploy unseen
            report_held_locks(aws, project.name, sorted({s.app for s in specs}), break_them=break_stale_lock, say=say)
        return DeployResult(plan)
    for step in plan.steps:
        if isinstance(step.resource, EcsService) and step.action == "create":
            say(f"first deploy of {step.resource.name}: there is no earlier version for the circuit breaker to roll back to, "
                "so a failing start stops at the diagnosis")
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
        _apply_in_two_phases(again, say, release)
        rollouts = _wait(project, aws, again, say, clock)
    return DeployResult(again, applied=True, rollouts=rollouts)


def _apply_in_two_phases(plan: Plan, say: Say, release: Release | None) -> None:
    """Everything but the services first (new revisions registered), then the release seam, then the services."""
    moving = (EcsService, ServiceScaling)
    first = Plan(tuple(s for s in plan.steps if not isinstance(s.resource, moving)))
    second = Plan(tuple(s for s in plan.steps if isinstance(s.resource, moving)))
    total = sum(1 for s in plan.steps if s.action in ("create", "update", "delete"))
    done = [0]

    def progress(step: Step) -> None:
        done[0] += 1
        say(f"[{done[0]}/{total}] {_VERBS[step.action]} {step.title}")

    apply(first, progress)
    if release is not None:
        release(tuple(s.resource for s in first.steps if isinstance(s.resource, TaskDefinition)))
    apply(second, progress)


_VERBS = {"create": "creating", "update": "updating", "delete": "deleting"}


def _wait(project: Project, aws: Aws, plan: Plan, say: Say, clock: Clock) -> tuple[tuple[str, Outcome], ...]:
    results: list[tuple[str, Outcome]] = []
    for step in plan.steps:
        service = step.resource
        if not isinstance(service, EcsService) or step.action not in ("create", "update"):
            continue
        target = service.target_group.arn if service.target_group else None
        watch = ServiceWatch(aws, service.cluster, service.name, target, Names(project.name, service.app).log_group)
        revision = service.task_definition.arn_after_apply
        say(f"waiting for {service.name} to run {revision.rsplit('/', 1)[-1]} (at most {clock.timeout:.0f} s)")
        outcome = wait_for_rollout(watch, revision, timeout=clock.timeout, poll=clock.poll, clock=clock.now, sleep=clock.sleep)
        results.append((service.name, outcome))
        if not outcome.succeeded:
            break  # the first failure is the diagnosis: the next services keep their running version
    return tuple(results)


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

"""A deploy whose web apps take their new revision by weight (blue-green, canary) rather than by ECS's rolling update.

The deploy stage plans and applies everything as usual (roles, registry, task definitions, balancer,
listener, target groups): only the *services* of the apps that move by weight are taken out of its
plan (:func:`take_over`) and handed to the cutover engine (:mod:`migrate.deploy.cutover`), with the
revision the deploy registered. Which apps move by weight (:func:`candidates`):

- an app already under a cutover (a colour service ``APP-blue``/``-green`` exists), or whose rolling
  service (``APP``) runs and gets a new revision: there is traffic to move, and the engine moves it;
- an app with no service yet is created by the deploy stage as usual (nothing to move traffic from):
  the next deploy moves by weight.

After the engine has finished, :func:`settle` makes the rest follow the live side: the autoscaling
of the app moves to the live colour's service (a colour at zero keeps none, or Application Auto
Scaling would start it again), and once the traffic has left the rolling service, that service is
held at zero tasks (its revision kept, as a colour's is).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrate.cutover.ports import COLOURS, LEGACY, Fleet, Router, is_colour
from migrate.deploy.autoscaling import ServiceScaling
from migrate.deploy.aws import Aws
from migrate.deploy.cutover import SsmJournal
from migrate.deploy.dns import DnsMigration, DnsRouter
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.fleet import ColourSettings, app_services, colour_service
from migrate.deploy.legacy import forget_if_retired, legacy_group
from migrate.deploy.loadbalancer import TargetGroup
from migrate.deploy.ownership import from_list
from migrate.deploy.plan import Observed, Plan, Resource, apply, make_plan
from migrate.deploy.router import side_target_group
from migrate.deploy.service import EcsService, TaskDefinition

#: The strategies the cutover engine runs (``rolling`` is ECS's own update, planned by the deploy stage).
WEIGHTED = ("blue-green", "canary")


@dataclass(frozen=True)
class Moving:
    """One app whose service the cutover moves: the service as the deploy planned it (its revision is
    registered in the deploy's first phase) and its planned autoscaling."""

    service: EcsService
    scaling: ServiceScaling | None
    #: The app's services that exist now (``api``, ``api-blue``...), each with its task definition and desired count.
    running: Mapping[str, tuple[str, int]]

    @property
    def app(self) -> str:
        """The service's name (``api``), which is also its app's within the project."""
        return self.service.name

    @property
    def definition(self) -> TaskDefinition:
        """The task definition the deploy registers."""
        return self.service.task_definition

    @property
    def rolling_only(self) -> str | None:
        """The rolling service's revision when no colour exists yet (it takes all the traffic), else None."""
        return self.running[self.app][0] if set(self.running) == {self.app} else None


def colour_settings(service: EcsService) -> ColourSettings:
    """How the app's colours are created, from its service as planned (applied: its security groups have ids)."""
    if service.spec.port is None:
        raise DeployError(f"{service.name} has no port: it takes no traffic to cut over")
    return ColourSettings(service.network_configuration(), service.spec.app, service.spec.port, service.spec.grace_period)


def rollback_reads(aws: Aws, cluster: str, app: str, *, moving: bool) -> dict[str, str]:
    """The parameters (by name) the revisions of the app's colours read, each with the first colour service that reads it.

    A rollback starts the idle colour's revision again, reading its secrets when its tasks start: a
    parameter a deploy retired from the secrets file must outlive every colour revision that reads it.
    ``moving``: this deploy's cutover gives the idle colour (at 0 tasks) the new revision, so only the
    revisions that run now count (the live one becomes the rollback's); a failed cutover parks the idle
    colour back on its revision, but then nothing is deleted.
    """
    ecs = aws.client("ecs")
    reads: dict[str, str] = {}
    for name, service in app_services(aws, cluster, app).items():
        if name == app:  # the rolling service's revision is no rollback's
            continue
        if moving and not service.get("desiredCount"):
            continue
        definition = str(service["taskDefinition"])
        with aws_call("ecs:DescribeTaskDefinition", f"task definition {definition}"):
            containers = ecs.describe_task_definition(taskDefinition=definition)["taskDefinition"].get("containerDefinitions", [])
        for container in containers:
            for secret in container.get("secrets", []):
                reads.setdefault(_parameter_name(str(secret["valueFrom"])), name)
    return reads


def _parameter_name(value_from: str) -> str:
    """An SSM parameter's name from a secret's ``valueFrom`` (its ARN, or its name)."""
    return value_from.split(":parameter", 1)[1] if value_from.startswith("arn:") and ":parameter" in value_from else value_from


def services_running(aws: Aws, cluster: str, app: str) -> dict[str, tuple[str, int]]:
    """Which of the app's services exist (ACTIVE): ``APP`` (rolling) and its colours, each with its task definition
    and desired count."""
    return {name: (str(s["taskDefinition"]), int(s.get("desiredCount", 0))) for name, s in app_services(aws, cluster, app).items()}


def candidates(aws: Aws, resources: Sequence[Resource], apps: Sequence[str], migrating: Sequence[str] = ()) -> dict[str, Moving]:
    """The apps among ``apps`` whose traffic a cutover could move: a service of theirs runs tasks, or a colour exists,
    or the app moves off its old servers (``migrating``, ``--from``: its first deploy is a cutover from them).

    Otherwise, an app none of whose services exists yet is not one (its first deploy creates its service), nor one
    whose only service is the rolling one at zero tasks (a failed first deploy, which the plan starts again).
    """
    found: dict[str, Moving] = {}
    for service in resources:
        if not isinstance(service, EcsService) or service.name not in apps or service.target_group is None:
            continue
        running = services_running(aws, service.cluster, service.name)
        if service.name in migrating or set(running) - {service.name} or running.get(service.name, ("", 0))[1] > 0:
            scaling = next((r for r in resources if isinstance(r, ServiceScaling) and r.service == service.name), None)
            found[service.name] = Moving(service, scaling, running)
    return found


def take_over(plan: Plan, candidates: Mapping[str, Moving], live: Callable[[str], str | None]) -> tuple[Plan, dict[str, Moving]]:
    """``plan`` without the services (and their autoscaling) the cutover owns, and the apps it moves now.

    Once an app has colours, they own its traffic: its rolling service and autoscaling leave the plan
    (else the plan would start the rolling service again). While only the rolling service runs, it
    stays in the plan unless its revision changes: then the cutover moves its traffic onto a colour;
    else the plan keeps it (an unfinished rollout of it is still waited for). An app moves when its
    revision is new, or is not yet the one that takes all its traffic (a cutover killed midway, or
    rolled back, is taken up again).
    """
    unchanged = {id(s.resource) for s in plan.steps if s.action == "unchanged"}
    moving: dict[str, Moving] = {}
    owned: set[str] = set()
    for app, move in candidates.items():
        new = id(move.definition) not in unchanged
        if move.rolling_only is not None:
            if new or move.rolling_only != move.definition.arn_after_apply:
                moving[app] = move
                owned.add(app)
        else:
            owned.add(app)
            if new or live(app) != move.definition.arn_after_apply:
                moving[app] = move

    def owned_by_cutover(resource: Resource) -> bool:
        return (isinstance(resource, EcsService) and resource.name in owned) or (isinstance(resource, ServiceScaling) and resource.service in owned)

    return Plan(tuple(s for s in plan.steps if not owned_by_cutover(s.resource))), moving


def live_revision(router: Router, fleet: Fleet) -> str | None:
    """The revision that takes all the traffic (None: the traffic is split, or goes to no colour)."""
    weights = router.weights()
    taking = [side for side, weight in weights.items() if weight > 0]
    if len(taking) != 1 or not is_colour(taking[0]):
        return None
    return fleet.status(taking[0]).revision


def live_colour(weights: Mapping[str, int]) -> str | None:
    """The colour that takes the most of ``weights`` (None: no colour takes any)."""
    colours = {side: weight for side, weight in weights.items() if is_colour(side) and weight > 0}
    return max(colours, key=lambda side: colours[side]) if colours else None


def settle(aws: Aws, project: str, moving: Moving, router: Router, say: Callable[[str], None]) -> None:
    """After the engine: the autoscaling on the live colour only, the rolling service at zero once no traffic goes to it,
    and the old servers' target group of a migration deleted once it left the route."""
    weights = router.weights()  # one read of the rule: the live colour and the rolling side's share both come from it
    live = live_colour(weights)
    if moving.scaling is not None and live is not None:
        _scaling_follows(moving, live, say)
    rolling_out = all(side != "rolling" or weight == 0 for side, weight in weights.items())
    if live is not None and rolling_out:
        _hold_rolling_at_zero(aws, moving, say)
    if live is not None and moving.service.target_group is not None:
        forget_if_retired(legacy_group(moving.service.target_group), weights, say)
    if live is not None and isinstance(router, DnsRouter) and LEGACY not in weights:
        DnsMigration.forget(aws, project, moving.app)
        say(f"{router.name.rstrip('.')} now resolves to the load balancer alone: the migration of {moving.app} is over")


def _scaling_follows(moving: Moving, live: str, say: Callable[[str], None]) -> None:
    """Autoscaling on the live colour's service (its target group's request count); removed from every other service of the app."""
    assert moving.scaling is not None
    base = moving.scaling
    group = None
    if base.target_group is not None:
        group = side_target_group(base.target_group, live)
        group.observe()  # its ARN: the resource label of the request-count policy
    wanted = dataclasses.replace(base, service=colour_service(moving.app, live), target_group=group)
    plan = make_plan([wanted])
    if plan.changes_anything:
        apply(plan)
        say(f"autoscaling of {moving.app} now follows {wanted.service}")
    for other in [moving.app, *(colour_service(moving.app, c) for c in COLOURS if c != live)]:
        stale = dataclasses.replace(base, service=other)
        if stale.observe() is not None:
            stale.delete()


def rolling_count(aws: Aws, moving: Moving) -> int:
    """The tasks the rolling service runs now (0: none, or no such service): the first colour starts at as many
    (autoscaling may have raised them above the configured count)."""
    service = _rolling(aws, moving)
    return int(service.get("desiredCount", 0)) if service is not None else 0


def _rolling(aws: Aws, moving: Moving) -> dict[str, Any] | None:
    return app_services(aws, moving.service.cluster, moving.app).get(moving.app)


def _hold_rolling_at_zero(aws: Aws, moving: Moving, say: Callable[[str], None]) -> None:
    """The rolling service, once the cutover took its traffic: no task (its revision kept)."""
    ecs = aws.client("ecs")
    cluster, name = moving.service.cluster, moving.app
    service = _rolling(aws, moving)
    if service is None or not service.get("desiredCount"):
        return
    with aws_call("ecs:UpdateService", f"service {name} in cluster {cluster}"):
        ecs.update_service(cluster=cluster, service=name, desiredCount=0)
    say(f"{name} (the service of the rolling deploys) scaled to 0: its traffic went to {name}-blue/-green")


@dataclass
class ColourService:
    """A colour's service (``api-blue``) as a resource ``migrate destroy`` deletes: the deploy stage's plan does
    not list it (the cutover creates it), yet the cluster cannot go while it exists."""

    aws: Aws
    cluster: str
    app: str
    colour: str
    kind: str = dataclasses.field(default="ECS service", init=False)

    @property
    def name(self) -> str:
        """``api-blue``."""
        return colour_service(self.app, self.colour)

    @property
    def desired(self) -> Mapping[str, str]:
        """Nothing: a colour is the cutover's to shape, never planned."""
        return {}

    def observe(self) -> Observed | None:
        """The colour's service (its revision and whether it runs), with its tags; None when it does not exist."""
        service = app_services(self.aws, self.cluster, self.app).get(self.name)
        if service is None:
            return None
        with aws_call("ecs:ListTagsForResource", f"service {self.name}"):
            tags = self.aws.client("ecs").list_tags_for_resource(resourceArn=service["serviceArn"]).get("tags", [])
        fields = {"task_definition": str(service["taskDefinition"]).rsplit("/", 1)[-1],
                  "tasks": str(service.get("desiredCount", 0))}
        return Observed(fields, from_list(tags, "key", "value"))

    def create(self) -> None:
        """Never planned (the cutover's fleet creates colours)."""
        raise DeployError(f"{self.name} is created by a cutover, not by a plan")

    def update(self, fields: Sequence[str]) -> None:
        """Never planned (the cutover's fleet moves colours)."""
        raise DeployError(f"{self.name} is moved by a cutover, not by a plan")

    def delete(self) -> None:
        """Scale to zero, then delete the service (force: ECS drains its tasks)."""
        ecs = self.aws.client("ecs")
        with aws_call("ecs:UpdateService", f"service {self.name} in cluster {self.cluster}"):
            ecs.update_service(cluster=self.cluster, service=self.name, desiredCount=0)
        with aws_call("ecs:DeleteService", f"service {self.name} in cluster {self.cluster}"):
            ecs.delete_service(cluster=self.cluster, service=self.name, force=True)


def with_colours(aws: Aws, project: str, resources: Sequence[Resource]) -> list[Resource]:
    """``resources`` and, beside each web app's service, target group and autoscaling, its colours', its
    cutover journal and its old servers' target group of a migration (for
    ``migrate destroy``, which deletes in the reverse order: a colour's service before its target group,
    the listener before both)."""
    out: list[Resource] = []
    for resource in resources:
        out.append(resource)
        if isinstance(resource, EcsService) and resource.target_group is not None:
            out.extend(ColourService(aws, resource.cluster, resource.name, c) for c in COLOURS)
            out.append(SsmJournal(aws, project, resource.name))
        elif isinstance(resource, TargetGroup):
            out.extend([*(side_target_group(resource, c) for c in COLOURS), legacy_group(resource)])
        elif isinstance(resource, ServiceScaling) and resource.target_group is not None:
            out.extend(dataclasses.replace(resource, service=colour_service(resource.service, c),
                                           target_group=side_target_group(resource.target_group, c)) for c in COLOURS)
    return out

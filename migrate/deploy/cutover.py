"""The ECS target of a cutover: an app's ALB routing, its two colour services, and the deploy lock.

:func:`open_ecs` finds everything on AWS from the project's and the app's names, as the deploy stage
named them (the balancer ``PROJECT``, the app's target group ``PROJECT-APP``, the cluster ``PROJECT``):
no state is kept anywhere else. The colours' target groups are the app's under the names
``PROJECT-APP-blue`` and ``-green`` (:func:`~migrate.deploy.router.side_target_group`: same port,
health check and deregistration delay); ``create`` makes the missing ones. The app's own target
group, where a rolling deploy left the traffic, is the side :data:`ROLLING`: an external side to the
engine, which moves the traffic off it onto a colour as it would off the old servers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from migrate.cutover.ports import COLOURS, LEGACY, Fleet, Gate, Target
from migrate.cutover.ports import LockedError as CutoverLockedError
from migrate.deploy import legacy
from migrate.deploy.aws import Aws
from migrate.deploy.dns import DnsFleet, DnsMigration, DnsRouter, balancer_of
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.fleet import ColourSettings, EcsFleet, app_services
from migrate.deploy.foundation import Names
from migrate.deploy.gates import cloudwatch_gates
from migrate.deploy.loadbalancer import HTTPS_PORT, HealthCheck, TargetGroup, _paths, app_rules, elb_name
from migrate.deploy.lock import LockedError as DeployLockedError
from migrate.deploy.lock import break_lock, current_holder, deploy_lock
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.plan import Observed
from migrate.deploy.router import AlbRouter, _forward_groups, side_target_group
from migrate.deploy.testroute import AlbTestRoute

#: The side of the app's own target group (what a rolling deploy routes to).
ROLLING = "rolling"


#: SSM's largest value of a standard String parameter.
SSM_STANDARD_MAX = 4096


@dataclass
class SsmJournal:
    """The last lines of an app's cutovers, as a JSON list in the String parameter
    ``/migrate/PROJECT/APP/cutover-events`` (not a variable's name: never taken for a stored secret).

    Best effort: a journal that cannot be read or written (a role without ``ssm:PutParameter`` on it)
    keeps nothing, and the cutover goes on. ``migrate destroy`` deletes it (it is a resource too).
    """

    aws: Aws
    project: str
    app: str
    kind: str = field(default="SSM parameter", init=False)
    _exists: bool = field(default=False, init=False, repr=False)

    @property
    def name(self) -> str:
        """``/migrate/shop/api/cutover-events``."""
        return f"/migrate/{self.project}/{self.app}/cutover-events"

    @property
    def desired(self) -> Mapping[str, str]:
        """Nothing to plan: the cutovers write it."""
        return {}

    def read(self) -> tuple[str, ...]:
        """The lines kept, oldest first."""
        ssm = self.aws.client("ssm")
        try:
            value = ssm.get_parameter(Name=self.name)["Parameter"]["Value"]
            lines = json.loads(value)
        except (ClientError, ValueError):  # not written yet, not readable, or not ours to parse
            return ()
        self._exists = True
        return tuple(str(line) for line in lines) if isinstance(lines, list) else ()

    def write(self, lines: Sequence[str]) -> None:
        """Keep ``lines`` (the oldest dropped until they fit a standard parameter)."""
        kept = list(lines)
        value = json.dumps(kept)
        while len(value) > SSM_STANDARD_MAX and kept:
            kept.pop(0)
            value = json.dumps(kept)
        ssm = self.aws.client("ssm")
        try:
            if self._exists:
                ssm.put_parameter(Name=self.name, Value=value, Type="String", Overwrite=True)
            else:
                try:
                    ssm.put_parameter(Name=self.name, Value=value, Type="String", Tags=as_list(owner_tags(self.app)))
                except ssm.exceptions.ParameterAlreadyExists:
                    ssm.put_parameter(Name=self.name, Value=value, Type="String", Overwrite=True)
            self._exists = True
        except ClientError:
            return  # best effort (see the class docstring)

    def observe(self) -> Observed | None:
        """The parameter with its tags, or None (for ``migrate destroy``)."""
        ssm = self.aws.client("ssm")
        with aws_call("ssm:DescribeParameters", self.name):
            found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [self.name]}])["Parameters"]
        if not found:
            return None
        with aws_call("ssm:ListTagsForResource", self.name):
            tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=self.name).get("TagList", [])
        return Observed({}, from_list(tags))

    def create(self) -> None:
        """Never planned: the first cutover writes it."""

    def update(self, fields: Sequence[str]) -> None:
        """Never planned."""

    def delete(self) -> None:
        """Delete the parameter."""
        with aws_call("ssm:DeleteParameter", self.name):
            self.aws.client("ssm").delete_parameter(Name=self.name)


@dataclass(frozen=True)
class EcsTarget:
    """One app's cutover target on ECS (:class:`migrate.cutover.ports.Target`)."""

    aws: Aws
    project: str
    app: str
    router: AlbRouter | DnsRouter  # DnsRouter: while a migration moves the app's own name (--dns-name)
    fleet: EcsFleet | DnsFleet
    url: str | None
    test_route: AlbTestRoute  # the smoke test's: a rule on the app's listener while it lasts
    gates: Sequence[Gate] = ()
    name: str = field(default="ecs", init=False)

    journal: SsmJournal = field(init=False)  # the app's cutover journal (an SSM parameter)

    def __post_init__(self) -> None:
        object.__setattr__(self, "journal", SsmJournal(self.aws, self.project, self.app))

    @contextlib.contextmanager
    def lock(self, who: str, *, break_stale: bool = False,
             took_over: Callable[[str], None] = lambda holder: None) -> Iterator[None]:
        """The app's deploy lock (an SSM parameter, shared with rolling deploys); the cutover's
        :class:`~migrate.cutover.ports.LockedError` naming the holder when another holds it. One left by an
        ended process of this machine is taken over (:func:`~migrate.deploy.lock.deploy_lock`), and ``took_over`` hears whose."""
        if break_stale:
            break_lock(self.aws, self.project, self.app)
        held = contextlib.ExitStack()
        try:
            held.enter_context(deploy_lock(self.aws, self.project, self.app, who=who,
                                           took_over=lambda holder: took_over(holder.who)))
        except DeployLockedError as error:
            holder = current_holder(self.aws, self.project, self.app)
            if holder is None:  # released between the refusal and the read: say what the refusal said
                raise CutoverLockedError(self.app, str(error), datetime.now(UTC)) from None
            raise CutoverLockedError(self.app, holder.who, holder.since) from None
        with held:
            yield


def open_ecs(aws: Aws, project: str, app: str, *, create: bool = False, settings: ColourSettings | None = None,
             gates: Sequence[Gate] | None = None, now: Callable[[], float] = time.time, cluster: str | None = None) -> EcsTarget | None:
    """The app's ECS target, or None when the app has no balancer, target group or (without ``create``) colours.

    ``create``: make the colours' target groups that are missing (their services are created by the
    fleet's first start, from an existing service of the app, else from ``settings``). The old servers' target group of a migration (``--from``, :mod:`migrate.deploy.legacy`),
    while it exists, is the side :data:`~migrate.cutover.ports.LEGACY`, so that every command sees the
    migration where it stands. ``gates``: None, the incoming side's 5xx rate and latency from the ALB's CloudWatch metrics
    (:mod:`migrate.deploy.gates`). ``now``: the wall clock of the colours' started tags. ``cluster``: the existing
    cluster the services run in (``[project] cluster``), None: the project's own.
    """
    elbv2 = aws.client("elbv2")
    balancer = _balancer(aws, elb_name(project))
    base = _app_group(aws, project, app)
    if balancer is None or base is None:
        return None
    colours = {c: side_target_group(base, c) for c in COLOURS}
    for group in colours.values():
        if group.observe() is None:
            if not create:
                return None
            group.create()
    with aws_call("elasticloadbalancing:DescribeListeners", f"load balancer {elb_name(project)}"):
        listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    listener = _serving(listeners)
    legacy = side_target_group(base, LEGACY)
    external = {LEGACY: str(legacy.arn)} if legacy.observe() is not None else {}
    sides = {ROLLING: str(base.arn), **{c: str(g.arn) for c, g in colours.items()}, **external}
    paths = _app_paths(aws, str(listener["ListenerArn"]), set(sides.values()))
    in_cluster = Names(project, app, cluster).cluster
    fleet = EcsFleet(aws, in_cluster, app, sides, _settings(aws, in_cluster, app) or settings, now)
    router = AlbRouter(aws, str(listener["ListenerArn"]), sides, paths)
    if gates is None:
        gates = (cloudwatch_gates(aws, str(balancer["LoadBalancerArn"]), sides, fleet.started_at, now),)
    test_route = AlbTestRoute(aws, str(listener["ListenerArn"]), sides, paths, str(balancer["DNSName"]),
                              int(listener.get("Port", 80)), listener.get("Protocol") == "HTTPS")
    target = EcsTarget(aws, project, app, router, fleet, f"http://{balancer['DNSName']}", test_route, gates)
    migration = DnsMigration.load(aws, project, app)
    return _by_dns(target, migration, base.health.path) if migration is not None else target


def _by_dns(target: EcsTarget, migration: DnsMigration, health_path: str) -> EcsTarget:
    """``target`` while a migration moves the app's own name: the old endpoint and the ALB weighted in Route 53."""
    assert isinstance(target.router, AlbRouter) and isinstance(target.fleet, EcsFleet)
    router = DnsRouter(target.aws, migration.zone_id, migration.name, migration.old,
                       balancer_of(target.aws, elb_name(target.project)), target.router)
    return dataclasses.replace(target, router=router, fleet=DnsFleet(target.fleet, migration, health_path),
                               url=f"http://{migration.name.rstrip('.')}")


def check_migration(aws: Aws, project: str, app: str, by_dns: DnsMigration | None = None, *, cluster: str | None = None) -> None:
    """Before a deploy with ``--from``: refuse it when the app already runs on ECS (nothing is applied then);
    a migration under way is taken up (:func:`migrate.deploy.legacy.check_first_deploy`), by the same means
    (``by_dns``: the one this deploy asks for by DNS, None: by the old servers' addresses)."""
    target = open_ecs(aws, project, app, cluster=cluster)  # None: no colours yet, so no cutover has run (nor a DNS migration, which makes them)
    under_way = target.router if target is not None and isinstance(target.router, DnsRouter) else None
    if under_way is not None and (under_way.name, under_way.old) != ((by_dns.name, by_dns.old) if by_dns else (None, None)):
        raise DeployError(f"a migration of {app} by DNS is under way: {under_way.name.rstrip('.')} from {','.join(under_way.old.values)}",
                          hint=f"run the deploy with --from {','.join(under_way.old.values)} --dns-name {under_way.name.rstrip('.')} "
                               "to go on with it")
    weights = target.router.weights() if target is not None else {}
    running = _desired_counts(aws, project, app, cluster)
    legacy.check_first_deploy(app, weights, running)


def open_migration(aws: Aws, project: str, app: str, servers: Sequence[legacy.OldServer], settings: ColourSettings,
                   say: Callable[[str], None], *, now: Callable[[], float] = time.time, cluster: str | None = None) -> EcsTarget:
    """The app's target for its migration off ``servers`` (``--from``): the old servers put behind its route first
    (:func:`migrate.deploy.legacy.prepare`), so the engine moves the traffic from them. ``settings``: how to create
    its first colour (no service of the app exists to copy them from)."""
    target, base = open_ecs(aws, project, app, create=True, settings=settings, now=now, cluster=cluster), _app_group(aws, project, app)
    if target is None or base is None:
        raise DeployError(f"{app}: no load balancer or target group of it on AWS: it cannot be cut over")
    if isinstance(target.router, DnsRouter):
        raise DeployError(f"{app} is migrating by DNS ({target.router.name.rstrip('.')}): its old endpoint is not behind the load balancer",
                          hint=f"run the deploy with --dns-name {target.router.name.rstrip('.')} to go on with it")
    running = _desired_counts(aws, project, app, cluster)
    legacy.prepare(aws, app, base, servers, target.router, running, say)
    found = open_ecs(aws, project, app, settings=settings, now=now, cluster=cluster)
    assert found is not None  # every colour's group exists: just made
    return found


def open_dns_migration(aws: Aws, project: str, app: str, migration: DnsMigration, settings: ColourSettings,
                       say: Callable[[str], None], *, now: Callable[[], float] = time.time, cluster: str | None = None) -> EcsTarget:
    """The app's target for its migration by DNS (``--from ENDPOINT --dns-name NAME``): the name's plain record
    replaced by the weighted pair, the old endpoint taking every client (:meth:`DnsRouter.begin`), and the
    migration kept on AWS, so the engine moves the name's clients from the old endpoint to the ALB."""
    target, base = open_ecs(aws, project, app, create=True, settings=settings, now=now, cluster=cluster), _app_group(aws, project, app)
    if target is None or base is None:
        raise DeployError(f"{app}: no load balancer or target group of it on AWS: it cannot be cut over")
    found = target if isinstance(target.router, DnsRouter) else _by_dns(target, migration, base.health.path)
    assert isinstance(found.router, DnsRouter)
    legacy.check_first_deploy(app, found.router.weights(), _desired_counts(aws, project, app, cluster))
    if not isinstance(target.router, DnsRouter):
        found.router.begin()
        migration.save(aws, project, app)
        say(f"{app}: {migration.name.rstrip('.')} now resolves by weight: the old endpoint "
            f"({', '.join(migration.old.values)}) takes every client until the containers take them")
    return found


def _desired_counts(aws: Aws, project: str, app: str, cluster: str | None) -> dict[str, int]:
    """The desired count of each of the app's ECS services that exist (``api``, ``api-blue``...)."""
    return {name: int(s.get("desiredCount", 0)) for name, s in app_services(aws, Names(project, app, cluster).cluster, app).items()}


def _balancer(aws: Aws, name: str) -> dict[str, Any] | None:
    elbv2 = aws.client("elbv2")
    with aws_call("elasticloadbalancing:DescribeLoadBalancers", f"load balancer {name}"):
        try:
            return dict(elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0])
        except elbv2.exceptions.LoadBalancerNotFoundException:
            return None


def _app_group(aws: Aws, project: str, app: str) -> TargetGroup | None:
    """The app's target group as the deploy stage made it (health check and delay read back), or None."""
    elbv2, name = aws.client("elbv2"), elb_name(project, app)
    with aws_call("elasticloadbalancing:DescribeTargetGroups", f"target group {name}"):
        try:
            tg = elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]
        except elbv2.exceptions.TargetGroupNotFoundException:
            return None
    with aws_call("elasticloadbalancing:DescribeTargetGroupAttributes", f"target group {name}"):
        attributes = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    health = HealthCheck(str(tg.get("HealthCheckPath", "/")), int(tg.get("HealthCheckIntervalSeconds", 10)),
                         int(tg.get("HealthCheckTimeoutSeconds", 5)), int(tg.get("HealthyThresholdCount", 2)),
                         int(tg.get("UnhealthyThresholdCount", 3)), str(tg.get("Matcher", {}).get("HttpCode", "200-399")))
    group = TargetGroup(aws, app, name, str(tg["VpcId"]), int(tg["Port"]), health,
                        int(attributes.get("deregistration_delay.timeout_seconds", 30)))
    group.arn = str(tg["TargetGroupArn"])
    return group


def _serving(listeners: list[dict[str, Any]]) -> dict[str, Any]:
    """The listener that forwards requests (HTTPS when there is one; HTTP then only redirects to it)."""
    return sorted(listeners, key=lambda lst: (lst.get("Port") != HTTPS_PORT, lst.get("Port", 0)))[0]


def _app_paths(aws: Aws, listener_arn: str, groups: set[str]) -> tuple[str, ...]:
    """The path patterns of the listener rule forwarding to one of the app's target groups; none: the default action."""
    with aws_call("elasticloadbalancing:DescribeRules", f"listener {listener_arn}"):
        rules = aws.client("elbv2").describe_rules(ListenerArn=listener_arn)["Rules"]
    for rule in app_rules(rules):
        if any(arn in groups for arn, _ in _forward_groups(list(rule.get("Actions", [])))):
            return tuple(_paths(rule))
    return ()


def _settings(aws: Aws, cluster: str, app: str) -> ColourSettings | None:
    """How to create a colour: from the app's rolling service, else from a colour's (None: neither exists)."""
    service = next((s for s in app_services(aws, cluster, app).values() if s.get("loadBalancers")), None)
    return ColourSettings.of_service(service) if service is not None else None


if TYPE_CHECKING:  # mypy proves the ECS target and fleet are what the engine and the commands drive
    _TARGET: type[Target] = EcsTarget
    _FLEET: type[Fleet] = EcsFleet

"""The cutover engine's fleet on ECS: an app's two colours as two ECS services, and any external side.

Colour ``blue`` is the service ``APP-blue``, ``green`` is ``APP-green``, in the project's cluster, each
behind its own target group (the ones :class:`~migrate.deploy.router.AlbRouter` weights). Everything
the engine needs to know is kept in the services themselves: the revision is the service's task
definition (kept when it is scaled to 0: that is the rollback target), and when it was last started
is its ``migrate:started`` tag. An external side (``--from``: the old servers' addresses in an ``ip``
target group) only reports its targets.

A colour's failure is diagnosed by :mod:`migrate.deploy.rollout`, exactly as a rolling deploy's:
the circuit breaker's rollback, a FAILED deployment, a stopped task of the revision (with its log
tail), an unhealthy target.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrate.cutover.ports import COLOURS, Failure, SideStatus, is_colour
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.resources import active_services
from migrate.deploy.rollout import ServiceWatch, diagnose
from migrate.deploy.service import DEPLOYMENT_CONFIGURATION

#: The tag of a colour's service holding when it was last started (epoch seconds).
STARTED_TAG = "migrate:started"


def colour_service(app: str, colour: str) -> str:
    """The ECS service of ``colour``: ``web-blue``."""
    return f"{app}-{colour}"


def app_services(aws: Aws, cluster: str, app: str) -> dict[str, dict[str, Any]]:
    """The app's ACTIVE services, its rolling one (``APP``) first, then its colours', by name (none: no cluster yet)."""
    return active_services(aws, cluster, [app, *(colour_service(app, c) for c in COLOURS)], f"services of {app}")


@dataclass(frozen=True)
class ColourSettings:
    """What a colour's service shares with the app's service: its network, the container and port the
    load balancer reaches, and the health check grace period."""

    network_configuration: Mapping[str, Any]
    container: str
    port: int
    grace_period: int

    @classmethod
    def of_service(cls, service: Mapping[str, Any], default_grace: int = 60) -> ColourSettings:
        """The settings of a service as DescribeServices returns it (one the deploy stage made)."""
        balancers = service.get("loadBalancers") or []
        if not balancers:
            raise DeployError(f"service {service.get('serviceName')} is behind no load balancer: it cannot be cut over",
                              hint="workers deploy with --strategy rolling")
        # AWS reports the grace period of every service behind a balancer; moto 5.2.5 drops it.
        return cls(service.get("networkConfiguration", {}), str(balancers[0]["containerName"]), int(balancers[0]["containerPort"]),
                   int(service.get("healthCheckGracePeriodSeconds", default_grace)))


@dataclass
class EcsFleet:
    """One app's colours (ECS services) and external sides (target groups) in ``cluster``.

    ``target_groups``: each side's target group ARN. ``settings``: how to create a colour's service
    that does not exist yet (None: only existing colours can be started). ``now``: the clock of the
    started tags (wall time: it orders starts across machines).
    """

    aws: Aws
    cluster: str
    app: str
    target_groups: Mapping[str, str]
    settings: ColourSettings | None = None
    now: Callable[[], float] = time.time
    #: Each colour's started stamp as last read or written. Only this fleet starts a colour while the cutover
    #: holds the app's lock, so the gates' lookups (every check) reuse it rather than describe the service again.
    _started: dict[str, float | None] = field(default_factory=dict, init=False, repr=False)

    @property
    def ecs(self) -> Any:
        """The ECS client."""
        return self.aws.client("ecs")

    # ------------------------------------------------------------------ Fleet
    def start(self, colour: str, revision: str, count: int) -> None:
        """Run ``count`` tasks of ``revision`` (a task definition ARN) as ``colour``; mark it started now."""
        service = self._describe(colour)
        if service is None:
            self._create(colour, revision, count)
            return
        if service["taskDefinition"] != revision or service.get("desiredCount") != count:
            # From 0 a new deployment is forced, so that the circuit breaker and the diagnosis count afresh
            # (tasks stopped by an earlier attempt at the same revision are not this start's failure).
            with aws_call("ecs:UpdateService", f"service {service['serviceName']}"):
                self.ecs.update_service(cluster=self.cluster, service=service["serviceName"], taskDefinition=revision,
                                        desiredCount=count, forceNewDeployment=service.get("desiredCount", 0) == 0,
                                        deploymentConfiguration=DEPLOYMENT_CONFIGURATION)
        stamp = self._stamp()
        with aws_call("ecs:TagResource", f"service {service['serviceName']}"):
            self.ecs.tag_resource(resourceArn=service["serviceArn"], tags=as_list(stamp, "key", "value"))
        self._started[colour] = float(stamp[STARTED_TAG])

    def scale(self, colour: str, count: int) -> None:
        """Set the colour's desired count, keeping its task definition (a colour at 0 is the rollback target)."""
        service = self._describe(colour)
        if service is None:
            if count == 0:
                return
            raise DeployError(f"{colour_service(self.app, colour)} does not exist: start it first")
        if service.get("desiredCount") != count:
            with aws_call("ecs:UpdateService", f"service {service['serviceName']}"):
                self.ecs.update_service(cluster=self.cluster, service=service["serviceName"], desiredCount=count)

    def park(self, colour: str, revision: str) -> None:
        """Point the colour's service, at 0 tasks, back at ``revision`` (the one a rollback goes to): its task
        definition changes, nothing starts."""
        service = self._describe(colour)
        if service is None or service.get("taskDefinition") == revision:
            return
        if service.get("desiredCount"):
            raise DeployError(f"{service['serviceName']} runs {service['desiredCount']} tasks: scale it to 0 first")
        with aws_call("ecs:UpdateService", f"service {service['serviceName']}"):
            self.ecs.update_service(cluster=self.cluster, service=service["serviceName"], taskDefinition=revision,
                                    desiredCount=0)

    def status(self, side: str) -> SideStatus:
        """The side now: a colour from its service, its PRIMARY deployment and its targets; an external side from its targets."""
        if not is_colour(side):
            targets = self._targets(side)
            healthy = sum(1 for t in targets if t["TargetHealth"]["State"] == "healthy")
            return SideStatus(None, len(targets), len(targets), healthy)
        service = self._describe(side)
        if service is None:
            return SideStatus(None, 0, 0, 0)
        revision, desired = str(service["taskDefinition"]), int(service.get("desiredCount", 0))
        name = str(service["serviceName"])
        snap = self._watch(name, "").snapshot(revision, service)
        running = snap.running if snap.primary_revision == revision else 0
        healthy = sum(1 for t in snap.targets if t.state == "healthy")
        started = from_list(service.get("tags"), "key", "value").get(STARTED_TAG)
        self._started[side] = float(started) if started else None
        failure = None
        if desired > 0 and snap.failed:  # a colour at 0 runs nothing that could be failing now
            failure = Failure(*diagnose(self._watch(name, *self._logs_of(revision)), snap))
        return SideStatus(revision, desired, running, healthy, float(started) if started else None, failure)

    def started_at(self, side: str) -> float | None:
        """When the colour was last started (its tag, read once; then as :meth:`status` or :meth:`start` last saw it),
        None for an external side or one never started."""
        if not is_colour(side):
            return None
        if side not in self._started:
            service = self._describe(side)
            started = from_list(service.get("tags"), "key", "value").get(STARTED_TAG) if service else None
            self._started[side] = float(started) if started else None
        return self._started[side]

    # ------------------------------------------------------------------ AWS
    def _describe(self, colour: str) -> dict[str, Any] | None:
        """The colour's ACTIVE service with its tags, or None."""
        name = colour_service(self.app, colour)
        with aws_call("ecs:DescribeServices", f"service {name} in cluster {self.cluster}"):
            try:
                found = self.ecs.describe_services(cluster=self.cluster, services=[name], include=["TAGS"])["services"]
            except self.ecs.exceptions.ClusterNotFoundException:
                return None
        return next((dict(s) for s in found if s.get("status") == "ACTIVE"), None)

    def _create(self, colour: str, revision: str, count: int) -> None:
        """The colour's service, with the app's network and deployment settings, behind the colour's target group."""
        name = colour_service(self.app, colour)
        if self.settings is None:
            raise DeployError(f"{name} does not exist and nothing says how to make it",
                              hint="run `migrate deploy` first: it creates the app's service and its settings")
        s, stamp = self.settings, self._stamp()
        with aws_call("ecs:CreateService", f"service {name} in cluster {self.cluster}"):
            self.ecs.create_service(
                clientToken=str(uuid.uuid4()),  # see EcsService.create: a retried create returns the first one
                cluster=self.cluster, serviceName=name, taskDefinition=revision, desiredCount=count, launchType="FARGATE",
                networkConfiguration=dict(s.network_configuration), deploymentConfiguration=DEPLOYMENT_CONFIGURATION,
                loadBalancers=[{"targetGroupArn": self.target_groups[colour], "containerName": s.container, "containerPort": s.port}],
                healthCheckGracePeriodSeconds=s.grace_period, propagateTags="SERVICE", enableECSManagedTags=True,
                tags=as_list({**owner_tags(self.app), **stamp}, "key", "value"),
            )
        self._started[colour] = float(stamp[STARTED_TAG])

    def _stamp(self) -> dict[str, str]:
        return {STARTED_TAG: f"{self.now():.3f}"}

    def _targets(self, side: str) -> list[dict[str, Any]]:
        arn = self.target_groups.get(side)
        if arn is None:
            raise DeployError(f"no target group for side {side} of {self.app}")
        with aws_call("elasticloadbalancing:DescribeTargetHealth", f"target group of {side}"):
            return list(self.aws.client("elbv2").describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"])

    def _watch(self, service: str, log_group: str, stream_prefix: str | None = None) -> ServiceWatch:
        colour = service.removeprefix(f"{self.app}-")
        return ServiceWatch(self.aws, self.cluster, service, self.target_groups.get(colour), log_group, stream_prefix)

    def _logs_of(self, revision: str) -> tuple[str, str | None]:
        """The awslogs group and stream prefix of the revision's container (read only to diagnose a failure)."""
        with aws_call("ecs:DescribeTaskDefinition", revision):
            definition = self.ecs.describe_task_definition(taskDefinition=revision)["taskDefinition"]
        options = definition["containerDefinitions"][0].get("logConfiguration", {}).get("options", {})
        return str(options.get("awslogs-group", "")), options.get("awslogs-stream-prefix")

"""ECS's own traffic-shifting strategies (2025), opt-in: ``ecs-blue-green``, ``ecs-canary``, ``ecs-linear``.

ECS shifts the production listener rule between the service's target group and an *alternate*
one itself (``deploymentConfiguration.strategy`` BLUE_GREEN, CANARY or LINEAR, with bake times),
through an *infrastructure role* it assumes to call Elastic Load Balancing. migrate then only
follows the *service deployment* (``ListServiceDeployments``/``DescribeServiceDeployments``):
success is SUCCESSFUL with the target revision running our task definition; a rollback (by the
circuit breaker or an alarm) or a stop is a failure with ECS's reasons; and ``abort`` is
``StopServiceDeployment`` with ``ROLLBACK``.

The same promise as migrate's own engine, kept by ECS; what migrate's engine adds (gates it reads
itself, the migration from servers outside ECS, the local rehearsal) is not available here.

Wired behind ``migrate deploy --strategy ecs-*``: the stack gives each web app an alternate target
group, a listener rule ECS can move (``/*`` for an app that takes every request) with its test rule
just above it (:data:`TEST_TRAFFIC`), and the project a role for ECS (:func:`infrastructure_role`);
the service is created and updated with the strategy (:class:`NativeDeployment`); the deploy follows
ECS's deployment (:func:`follow`), smoke-testing the new revision through the test rule where ECS
pauses for it (``--smoke``: :func:`pause_hook`, then ``ContinueServiceDeployment``); ``migrate
status`` and ``migrate abort`` read and stop it (:func:`state`, :func:`abort`).

moto implements none of these calls: the request shapes are checked with botocore's Stubber against
the real API model, and the following logic against recorded response sequences
(tests/deploy/test_native.py); the command runs on moto with ECS's service deployments played by a
fake of those calls only (tests/deploy/ecs_deployments.py, tests/deploy/test_cli_native.py).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from migrate.cutover.ports import SIDE_HEADER
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.loadbalancer import ALTERNATE, Listener, TargetGroup, _forward_arns, _header, app_rules, elb_name
from migrate.deploy.resources import IamRole

NativeStrategy = Literal["ecs-blue-green", "ecs-canary", "ecs-linear"]
NATIVE_STRATEGIES: tuple[NativeStrategy, ...] = ("ecs-blue-green", "ecs-canary", "ecs-linear")
_API_STRATEGY: dict[NativeStrategy, str] = {"ecs-blue-green": "BLUE_GREEN", "ecs-canary": "CANARY", "ecs-linear": "LINEAR"}
#: ECS's name of each strategy -> ours (``CANARY`` -> ``ecs-canary``).
_OURS = {api: ours for ours, api in _API_STRATEGY.items()}

#: The AWS managed policy ECS needs on the infrastructure role to move listener rules and target groups.
INFRASTRUCTURE_POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
#: Who may assume the infrastructure role: ECS itself.
INFRASTRUCTURE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
#: The path pattern of the rule ECS moves for an app that takes every request: ECS shifts a listener *rule*
#: (an ALB listener's default action is not one), so such an app gets a rule matching every path.
EVERY_PATH = "/*"
#: The header of ECS's test listener rule: a request carrying it reaches the new revision from ECS's test traffic
#: shift on (the same header names a colour in migrate's own smoke test, :mod:`migrate.deploy.testroute`).
TEST_TRAFFIC = (SIDE_HEADER, "test")

#: How long ECS waits, paused for migrate's smoke test, before it rolls the deployment back by itself (a deploy
#: that died while ECS waited leaves the old revision serving, not a deployment paused for a day).
PAUSE_MINUTES = 30
#: The lifecycle stage the smoke test's pause holds: ECS's test listener rule routes to the new revision, no
#: production traffic does yet.
PAUSE_STAGE = "POST_TEST_TRAFFIC_SHIFT"


def pause_hook() -> dict[str, Any]:
    """The lifecycle hook that pauses a deployment for the smoke test (ContinueServiceDeployment resumes or rolls it back)."""
    return {"targetType": "PAUSE", "lifecycleStages": [PAUSE_STAGE],
            "timeoutConfiguration": {"timeoutInMinutes": PAUSE_MINUTES, "action": "ROLLBACK"}}


def _is_pause(hook: Mapping[str, Any]) -> bool:
    return hook.get("targetType") == "PAUSE" and PAUSE_STAGE in (hook.get("lifecycleStages") or [])

#: Statuses after which a service deployment changes no more.
_DONE = {"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
_MAX_MINUTES = 1440


class NativeError(DeployError):
    """Settings ECS would refuse, found before any call."""


@dataclass(frozen=True)
class NativeSettings:
    """One of ECS's strategies and its timings, in ECS's own units (minutes, percent)."""

    strategy: NativeStrategy
    #: Minutes both revisions run after all the traffic moved, before ECS retires the old one (a rollback is instant meanwhile).
    bake_minutes: int = 5
    #: ecs-canary: the share the canary takes first; ecs-linear: the share each step adds.
    step_percent: float = 10.0
    #: Minutes each canary or linear step is held.
    step_bake_minutes: int = 5
    #: CloudWatch alarms that roll the deployment back when they fire.
    alarms: tuple[str, ...] = ()
    #: ECS pauses the deployment once the test listener rule points at the new revision (a PAUSE lifecycle hook at
    #: POST_TEST_TRAFFIC_SHIFT), for migrate's smoke test to continue it or roll it back (:func:`follow`).
    pause: bool = False

    def __post_init__(self) -> None:
        for problem in self.problems():
            raise NativeError(problem)

    def problems(self) -> list[str]:
        """What ECS would refuse, each a sentence naming the setting (AWS's documented ranges)."""
        problems = []
        if self.strategy not in NATIVE_STRATEGIES:
            problems.append(f"strategy {self.strategy!r} is not one of {', '.join(NATIVE_STRATEGIES)}")
        for name, minutes in (("bake", self.bake_minutes), ("step bake", self.step_bake_minutes)):
            if not 0 <= minutes <= _MAX_MINUTES:
                problems.append(f"{name} time {minutes} min is outside ECS's 0 to {_MAX_MINUTES} minutes")
        low = 3.0 if self.strategy == "ecs-linear" else 0.1
        tenths = round(self.step_percent * 10)
        if self.strategy != "ecs-blue-green" and (not low <= self.step_percent <= 100 or abs(tenths - self.step_percent * 10) > 1e-6):
            problems.append(f"step {self.step_percent} % must be a multiple of 0.1 from {low} to 100 for {self.strategy}")
        return problems

    @classmethod
    def of_api(cls, config: Mapping[str, Any]) -> NativeSettings | None:
        """The settings a service's ``deploymentConfiguration`` holds (DescribeServices), None for a rolling one."""
        strategy = _OURS.get(str(config.get("strategy")))
        if strategy is None:
            return None
        step = config.get("canaryConfiguration") or {}
        percent, minutes = step.get("canaryPercent"), step.get("canaryBakeTimeInMinutes")
        if strategy == "ecs-linear":
            step = config.get("linearConfiguration") or {}
            percent, minutes = step.get("stepPercent"), step.get("stepBakeTimeInMinutes")
        alarms = tuple(sorted((config.get("alarms") or {}).get("alarmNames", [])))
        defaults = cls(strategy)
        return dataclasses.replace(defaults, bake_minutes=int(config.get("bakeTimeInMinutes", defaults.bake_minutes)),
                                   step_percent=float(percent if percent is not None else defaults.step_percent),
                                   step_bake_minutes=int(minutes if minutes is not None else defaults.step_bake_minutes),
                                   alarms=alarms, pause=any(_is_pause(hook) for hook in config.get("lifecycleHooks") or []))

    @property
    def minutes(self) -> int:
        """The minutes ECS holds the deployment by design (its steps' bakes, then the final bake), waits for tasks aside."""
        steps = {"ecs-blue-green": 0, "ecs-canary": 1, "ecs-linear": max(0, math.ceil(100 / self.step_percent) - 1)}[self.strategy]
        return steps * self.step_bake_minutes + self.bake_minutes

    def describe(self) -> str:
        """For the plan: ``ecs-canary: 10 % for 5 min, then all; bake 5 min``."""
        steps = {"ecs-blue-green": "all at once",
                 "ecs-canary": f"{self.step_percent:g} % for {self.step_bake_minutes} min, then all",
                 "ecs-linear": f"{self.step_percent:g} % more every {self.step_bake_minutes} min"}[self.strategy]
        alarms = f"; rolled back by {', '.join(self.alarms)}" if self.alarms else ""
        pause = "; paused after the test traffic shift for a smoke test" if self.pause else ""
        return f"{self.strategy}: {steps}; bake {self.bake_minutes} min{alarms}{pause}"


def infrastructure_role_name(project: str) -> str:
    """The name of the project's role for ECS's strategies."""
    return f"{project}-ecs-infrastructure"[:64]


def infrastructure_role(aws: Any, project: str) -> IamRole:
    """The role ECS assumes to move the app's listener rule between its two target groups (one per project)."""
    return IamRole(aws, project, infrastructure_role_name(project),
                   "ECS moves the listener rules of the project's apps (ECS blue/green, canary and linear deployments)",
                   trust=json.loads(INFRASTRUCTURE_TRUST), managed=(INFRASTRUCTURE_POLICY,))


def alternate_group(target: TargetGroup) -> TargetGroup:
    """The app's alternate target group: the app's own settings (port, health check, delay) under a name of its own."""
    return dataclasses.replace(target, name=elb_name(target.name, ALTERNATE))


@dataclass(frozen=True)
class NativeDeployment:
    """What a service moved by one of ECS's strategies needs: the settings, the alternate target group, the
    role ECS assumes, and the listener holding the app's rule (its ARN is read when the service is applied)."""

    settings: NativeSettings
    alternate: TargetGroup
    role: IamRole
    listener: Listener

    def rules(self, target: TargetGroup) -> tuple[str, str | None]:
        """The ARNs of the production listener rule that forwards to ``target`` (or, mid-deployment, to it and the
        alternate) and of its test rule (:data:`TEST_TRAFFIC`; None: the listener has none yet)."""
        elbv2 = self.listener.elbv2
        listener = self.listener._arn()
        with aws_call("elasticloadbalancing:DescribeRules", f"listener {self.listener.name}"):
            rules = elbv2.describe_rules(ListenerArn=listener)["Rules"]
        ours = {str(target.arn), str(self.alternate.arn)}
        found = [r for r in app_rules(rules) if set(_forward_arns(r["Actions"])) & ours]
        production = next((r for r in found if _header(r) is None), None)
        test = next((r for r in found if _header(r) == TEST_TRAFFIC), None)
        if production is None:
            raise DeployError(f"no rule of listener {self.listener.name} forwards to {target.name}: ECS has no rule to move",
                              hint="run `migrate deploy --plan` to see what the listener's rules should be")
        return str(production["RuleArn"]), str(test["RuleArn"]) if test is not None else None


def deployment_configuration(settings: NativeSettings) -> dict[str, Any]:
    """``deploymentConfiguration`` for CreateService/UpdateService: the strategy, bakes, circuit breaker and alarms."""
    config: dict[str, Any] = {
        "strategy": _API_STRATEGY[settings.strategy],
        "bakeTimeInMinutes": settings.bake_minutes,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        # Both revisions at full size through the shift, as blue-green needs; ECS scales the old one down after the bake.
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    if settings.strategy == "ecs-canary":
        config["canaryConfiguration"] = {"canaryPercent": settings.step_percent,
                                         "canaryBakeTimeInMinutes": settings.step_bake_minutes}
    elif settings.strategy == "ecs-linear":
        config["linearConfiguration"] = {"stepPercent": settings.step_percent,
                                         "stepBakeTimeInMinutes": settings.step_bake_minutes}
    if settings.alarms:
        config["alarms"] = {"alarmNames": list(settings.alarms), "enable": True, "rollback": True}
    if settings.pause:
        config["lifecycleHooks"] = [pause_hook()]
    return config


def load_balancer(*, target_group: str, alternate_target_group: str, production_rule: str, role: str,
                  container: str, port: int, test_rule: str | None = None) -> dict[str, Any]:
    """One ``loadBalancers`` entry with the ``advancedConfiguration`` ECS's strategies need.

    ``production_rule`` is the listener rule ECS moves; ``test_rule``, when given, routes the new
    revision's test traffic (a header match, :data:`TEST_TRAFFIC`) from ECS's test traffic shift on.
    """
    advanced = {"alternateTargetGroupArn": alternate_target_group, "productionListenerRule": production_rule,
                "roleArn": role}
    if test_rule:
        advanced["testListenerRule"] = test_rule
    return {"targetGroupArn": target_group, "containerName": container, "containerPort": port,
            "advancedConfiguration": advanced}


@dataclass(frozen=True)
class Progress:
    """One change seen in the service deployment: its status and lifecycle stage, and the traffic each revision takes."""

    status: str
    stage: str | None
    weights: tuple[tuple[str, float], ...]  # (revision ARN tail, production weight %)

    def line(self) -> str:
        """For people."""
        weights = ", ".join(f"{rev} {w:g} %" for rev, w in self.weights)
        return f"{self.status.lower().replace('_', ' ')}" + (f", {self.stage.lower().replace('_', ' ')}" if self.stage else "") + (
            f" ({weights})" if weights else "")


@dataclass(frozen=True)
class NativeOutcome:
    """How ECS's deployment ended."""

    succeeded: bool
    reason: str
    deployment: str | None = None
    diagnosis: tuple[str, ...] = ()


def follow(ecs: Any, *, cluster: str, service: str, task_definition: str, since: datetime,
           now: Callable[[], float], sleep: Callable[[float], None], timeout: float, poll: float = 10.0,
           on_progress: Callable[[Progress], None] = lambda p: None, stop_on_timeout: bool = True,
           smoke: Callable[[], str | None] | None = None) -> NativeOutcome:
    """Follow the service deployment ECS started at or after ``since`` for ``task_definition`` until it ends.

    A deployment still running at ``timeout`` is stopped with ROLLBACK (``stop_on_timeout``): a
    deploy that gives up leaves the old revision serving, not a half-shifted rule. Where ECS pauses it
    for the smoke test (:func:`pause_hook`), ``smoke`` runs (None when it passed, else what failed) and
    the deployment is continued, or rolled back; without ``smoke`` a pause is left to its timeout.
    """
    began = now()
    arn: str | None = None
    seen: Progress | None = None
    acted: set[str] = set()
    failed: str | None = None
    while True:
        if arn is None:
            arn = _find(ecs, cluster, service, task_definition, since)
        if arn is not None:
            deployment = _describe(ecs, arn)
            progress = Progress(deployment["status"], deployment.get("lifecycleStage"), _weights(deployment))
            if progress != seen:
                on_progress(progress)
                seen = progress
            if deployment["status"] in _DONE:
                ended = _outcome(ecs, deployment)
                if failed is None:
                    return ended
                return dataclasses.replace(ended, reason=f"the smoke test through ECS's test listener rule failed "
                                           f"({failed}); {ended.reason}")
            hook = _paused(deployment)
            if hook is not None and smoke is not None and hook not in acted:
                acted.add(hook)
                failed = smoke()
                with aws_call("ecs:ContinueServiceDeployment", arn):
                    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook,
                                                    action="ROLLBACK" if failed else "CONTINUE")
        if now() - began >= timeout:
            if arn is None:
                return NativeOutcome(False, f"ECS started no deployment of {_tail(task_definition)} within {timeout:.0f} s")
            if stop_on_timeout:
                stop(ecs, arn)
            return NativeOutcome(False, f"the deployment was still {seen.status if seen else 'pending'} after {timeout:.0f} s"
                                 + ("; stopped with a rollback" if stop_on_timeout else ""), arn)
        sleep(poll)


def stop(ecs: Any, deployment: str, *, rollback: bool = True) -> None:
    """Stop a service deployment: ROLLBACK puts the traffic back on the revision that served before it; ABORT leaves it."""
    with aws_call("ecs:StopServiceDeployment", deployment):
        ecs.stop_service_deployment(serviceDeploymentArn=deployment, stopType="ROLLBACK" if rollback else "ABORT")


def in_progress(ecs: Any, *, cluster: str, service: str) -> str | None:
    """The service deployment under way on ``service`` (for ``migrate abort`` and ``status``), or None."""
    with aws_call("ecs:ListServiceDeployments", service):
        found = ecs.list_service_deployments(cluster=cluster, service=service, status=[
            "PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED"])
    briefs = sorted(found.get("serviceDeployments", []), key=lambda b: b.get("createdAt") or datetime.min)
    return str(briefs[-1]["serviceDeploymentArn"]) if briefs else None


@dataclass(frozen=True)
class NativeState:
    """A service one of ECS's strategies moves, now: its strategy, revision and tasks, and ECS's deployment under way."""

    service: str
    strategy: str  # ECS's name: BLUE_GREEN, CANARY, LINEAR
    revision: str
    running: int
    desired: int
    deployment: str | None = None
    progress: Progress | None = None

    @property
    def name(self) -> str:
        """``ecs-canary``: the strategy as ``--strategy`` names it."""
        return _OURS[self.strategy]

    def lines(self) -> list[str]:
        """For people: what ``migrate status`` prints."""
        head = (f"{self.service}: moved by ECS's own strategy ({self.name}); runs {_tail(self.revision)}, "
                f"{self.running}/{self.desired} tasks running")
        if self.deployment is None or self.progress is None:
            return [head, "  no ECS deployment under way"]
        return [head, f"  ECS deployment {_tail(self.deployment)}: {self.progress.line()}",
                f"  the new revision answers requests carrying {TEST_TRAFFIC[0]}: {TEST_TRAFFIC[1]} from ECS's test traffic shift on"]

    def as_json(self) -> dict[str, Any]:
        """For scripts."""
        return {"app": self.service, "strategy": self.name, "revision": self.revision, "running": self.running,
                "desired": self.desired, "deployment": self.deployment,
                "deployment_status": self.progress.status if self.progress else None,
                "weights": dict(self.progress.weights) if self.progress else {}}


def state(ecs: Any, *, cluster: str, service: str) -> NativeState | None:
    """The service as one of ECS's strategies moves it, or None when none does (or it does not exist)."""
    with aws_call("ecs:DescribeServices", f"service {service} in cluster {cluster}"):
        try:
            found = ecs.describe_services(cluster=cluster, services=[service])["services"]
        except ecs.exceptions.ClusterNotFoundException:
            return None
    active = next((s for s in found if s.get("status") == "ACTIVE"), None)
    strategy = str((active or {}).get("deploymentConfiguration", {}).get("strategy", "ROLLING"))
    if active is None or strategy not in _OURS:
        return None
    now = NativeState(service, strategy, str(active["taskDefinition"]), int(active.get("runningCount", 0)),
                      int(active.get("desiredCount", 0)))
    deployment = in_progress(ecs, cluster=cluster, service=service)
    if deployment is None:
        return now
    described = _describe(ecs, deployment)
    progress = Progress(described["status"], described.get("lifecycleStage"), _weights(described))
    return dataclasses.replace(now, deployment=deployment, progress=progress)


def abort(ecs: Any, *, cluster: str, service: str) -> NativeState | None:
    """``migrate abort`` on a service one of ECS's strategies moves: its deployment under way (``deployment`` of
    the state returned; None: nothing was) stopped with a rollback, ECS putting the traffic back on the revision
    that served before. None when no ECS strategy moves the service."""
    found = state(ecs, cluster=cluster, service=service)
    if found is not None and found.deployment is not None:
        stop(ecs, found.deployment)
    return found


def _find(ecs: Any, cluster: str, service: str, task_definition: str, since: datetime) -> str | None:
    """The newest service deployment created at or after ``since`` whose target revision runs ``task_definition``."""
    with aws_call("ecs:ListServiceDeployments", service):
        found = ecs.list_service_deployments(cluster=cluster, service=service, createdAt={"after": since})
    briefs = sorted(found.get("serviceDeployments", []), key=lambda b: b.get("createdAt") or since, reverse=True)
    revisions = [b["targetServiceRevisionArn"] for b in briefs if b.get("targetServiceRevisionArn")]
    if not revisions:
        return None
    with aws_call("ecs:DescribeServiceRevisions", service):
        described = ecs.describe_service_revisions(serviceRevisionArns=revisions[:20])
    ours = {r["serviceRevisionArn"] for r in described.get("serviceRevisions", []) if r.get("taskDefinition") == task_definition}
    return next((str(b["serviceDeploymentArn"]) for b in briefs if b.get("targetServiceRevisionArn") in ours), None)


def _describe(ecs: Any, arn: str) -> Mapping[str, Any]:
    with aws_call("ecs:DescribeServiceDeployments", arn):
        answer = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    deployments = answer.get("serviceDeployments", [])
    if not deployments:
        failures = answer.get("failures") or [{}]
        raise DeployError(f"ECS cannot describe service deployment {arn}: {failures[0].get('reason', 'no answer')}")
    found: Mapping[str, Any] = deployments[0]
    return found


def _paused(deployment: Mapping[str, Any]) -> str | None:
    """The id of the PAUSE hook the deployment waits on now (:func:`pause_hook`), or None."""
    for hook in deployment.get("lifecycleHookDetails") or []:
        if hook.get("targetType") == "PAUSE" and hook.get("status") == "AWAITING_ACTION" and hook.get("hookId"):
            return str(hook["hookId"])
    return None


def _weights(deployment: Mapping[str, Any]) -> tuple[tuple[str, float], ...]:
    revisions = [*deployment.get("sourceServiceRevisions", []), deployment.get("targetServiceRevision") or {}]
    return tuple((_tail(r["arn"]), float(r["requestedProductionTrafficWeight"]))
                 for r in revisions if r.get("arn") and r.get("requestedProductionTrafficWeight") is not None)


def _outcome(ecs: Any, deployment: Mapping[str, Any]) -> NativeOutcome:
    arn = str(deployment["serviceDeploymentArn"])
    status = deployment["status"]
    if status == "SUCCESSFUL":
        return NativeOutcome(True, "ECS shifted all the traffic to the new revision and retired the old one", arn)
    return NativeOutcome(False, _why(deployment), arn, tuple(_diagnosis(deployment)))


def _why(deployment: Mapping[str, Any]) -> str:
    status = deployment["status"]
    what = {"ROLLBACK_SUCCESSFUL": "ECS rolled the deployment back: the old revision serves",
            "ROLLBACK_FAILED": "ECS's rollback FAILED: check which revision serves",
            "STOPPED": "the deployment was stopped"}[status]
    reason = (deployment.get("rollback") or {}).get("reason") or deployment.get("statusReason")
    return f"{what}" + (f" ({reason})" if reason else "")


def _diagnosis(deployment: Mapping[str, Any]) -> Sequence[str]:
    lines = []
    breaker = deployment.get("deploymentCircuitBreaker") or {}
    if breaker.get("status") == "TRIGGERED":
        lines.append(f"circuit breaker triggered: {breaker.get('failureCount', '?')} failed tasks (threshold {breaker.get('threshold', '?')})")
    alarms = deployment.get("alarms") or {}
    if alarms.get("triggeredAlarmNames"):
        lines.append("alarms that fired: " + ", ".join(alarms["triggeredAlarmNames"]))
    if deployment.get("statusReason") and (deployment.get("rollback") or {}).get("reason"):
        lines.append(f"ECS: {deployment['statusReason']}")
    return lines


def _tail(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]

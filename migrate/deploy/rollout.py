"""Truthful success and fast diagnosis of an ECS rolling deployment.

A deploy succeeds only when the service's PRIMARY deployment runs the revision just registered,
its ``rolloutState`` is COMPLETED, it runs its desired count, and every target in its target group
is healthy. A rollback by the circuit breaker is a failure, not "stable". The first stopped task of
the new revision, or the first unhealthy target, ends the wait at once with why: the task's
``stoppedReason``, each container's exit code and reason, the last lines of its log, and the target
group's reason code. Polling is a plain loop over an injected clock and sleep (botocore's waiters
poll every 15 s and know nothing of rollbacks), so tests of long waits run in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import aws_call


@dataclass(frozen=True)
class StoppedTask:
    """A task of the new revision that stopped, and why."""

    task_id: str
    reason: str
    containers: tuple[tuple[str, int | None, str], ...]  # (name, exit code, reason)

    def lines(self) -> list[str]:
        """The task's story, one line per fact."""
        out = [f"task {self.task_id} stopped: {self.reason or 'no reason given'}"]
        for name, code, reason in self.containers:
            out.append(f"  container {name}: exit code {code if code is not None else 'none'}" + (f" ({reason})" if reason else ""))
        return out


@dataclass(frozen=True)
class Target:
    """One registered target and its health as the load balancer sees it."""

    id: str
    state: str  # initial, healthy, unhealthy, unused, draining, unavailable
    reason: str
    description: str


@dataclass(frozen=True)
class Snapshot:
    """The service's state at one poll, as the questions a deploy asks of it."""

    revision: str  # the task definition ARN this deploy wants running
    primary_revision: str | None
    rollout_state: str | None
    rollout_reason: str
    running: int
    desired: int
    stopped: tuple[StoppedTask, ...]
    targets: tuple[Target, ...]

    @property
    def rolled_back(self) -> bool:
        """The circuit breaker (or someone) put another revision back as PRIMARY."""
        return self.primary_revision is not None and self.primary_revision != self.revision

    @property
    def unhealthy(self) -> tuple[Target, ...]:
        """Targets the load balancer has judged unhealthy."""
        return tuple(t for t in self.targets if t.state == "unhealthy")

    @property
    def completed(self) -> bool:
        """Our revision is PRIMARY, its rollout COMPLETED, at full count, every target healthy."""
        return (not self.rolled_back and self.primary_revision == self.revision and self.rollout_state == "COMPLETED"
                and self.running >= self.desired and all(t.state == "healthy" for t in self.targets))

    @property
    def failed(self) -> bool:
        """Rolled back, FAILED, a stopped task of our revision, or an unhealthy target."""
        return self.rolled_back or self.rollout_state == "FAILED" or bool(self.stopped) or bool(self.unhealthy)


class ServiceWatch:
    """Reads one service's deployment, its stopped tasks, its targets and their logs (read-only calls)."""

    def __init__(self, aws: Aws, cluster: str, service: str, target_group_arn: str | None, log_group: str,
                 stream_prefix: str | None = None) -> None:
        """Watch ``service`` in ``cluster``; ``target_group_arn`` None for a worker. ``stream_prefix``: the
        container's ``awslogs-stream-prefix`` where it is not the service's name (a cutover's ``APP-blue``
        runs the app's task definition, whose prefix is the app's)."""
        self.aws, self.cluster, self.service = aws, cluster, service
        self.target_group_arn, self.log_group = target_group_arn, log_group
        self.stream_prefix = stream_prefix or service

    def snapshot(self, revision: str, service: Mapping[str, Any] | None = None) -> Snapshot:
        """The service now, judged against ``revision``; ``service``: as DescribeServices just returned it
        (a caller that read it already saves the call)."""
        if service is None:
            with aws_call("ecs:DescribeServices", f"service {self.service}"):
                service = self.aws.client("ecs").describe_services(cluster=self.cluster, services=[self.service])["services"][0]
        deployments = service.get("deployments", [])
        primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
        ours: dict[str, Any] = next((d for d in deployments if d.get("taskDefinition") == revision), {})
        return Snapshot(
            revision=revision, primary_revision=primary.get("taskDefinition"), rollout_state=ours.get("rolloutState"),
            rollout_reason=str(ours.get("rolloutStateReason", "")), running=int(ours.get("runningCount", 0)),
            desired=int(ours.get("desiredCount", service.get("desiredCount", 0))),
            stopped=self._stopped(revision, ours.get("id")), targets=self._targets(),
        )

    def _stopped(self, revision: str, deployment: str | None) -> tuple[StoppedTask, ...]:
        """Tasks of ``revision`` that stopped in ``deployment`` (ECS marks a service's tasks ``startedBy`` its
        deployment's id): a task stopped by an earlier attempt at the same revision is not this one's failure."""
        ecs = self.aws.client("ecs")
        with aws_call("ecs:ListTasks", f"service {self.service}"):
            arns = ecs.list_tasks(cluster=self.cluster, serviceName=self.service, desiredStatus="STOPPED")["taskArns"]
        if not arns:
            return ()
        with aws_call("ecs:DescribeTasks", f"service {self.service}"):
            tasks = ecs.describe_tasks(cluster=self.cluster, tasks=arns[:100])["tasks"]
        return tuple(
            StoppedTask(t["taskArn"].rsplit("/", 1)[-1], str(t.get("stoppedReason", "")),
                        tuple((c.get("name", "?"), c.get("exitCode"), str(c.get("reason", ""))) for c in t.get("containers", [])))
            # The service's own tasks only (ECS groups them as service:NAME): a release step runs the same
            # revision as a one-off task, and its exit is not the service failing. ECS filters by serviceName
            # already; moto 5.2.5 ignores that filter, and the group check costs nothing.
            for t in tasks if t.get("taskDefinitionArn") == revision and t.get("group", f"service:{self.service}") == f"service:{self.service}"
            and (deployment is None or t.get("startedBy", deployment) == deployment)
        )

    def _targets(self) -> tuple[Target, ...]:
        if self.target_group_arn is None:
            return ()
        with aws_call("elasticloadbalancing:DescribeTargetHealth", f"target group of {self.service}"):
            found = self.aws.client("elbv2").describe_target_health(TargetGroupArn=self.target_group_arn)["TargetHealthDescriptions"]
        return tuple(Target(d["Target"]["Id"], d["TargetHealth"]["State"], str(d["TargetHealth"].get("Reason", "")),
                            str(d["TargetHealth"].get("Description", ""))) for d in found)

    def log_tail(self, container: str, task_id: str, lines: int = 20) -> list[str]:
        """The last ``lines`` lines the task's container wrote (awslogs stream ``PREFIX/CONTAINER/TASK``)."""
        logs = self.aws.client("logs")
        stream = f"{self.stream_prefix}/{container}/{task_id}"
        with aws_call("logs:GetLogEvents", f"log stream {stream}"):
            try:
                events = logs.get_log_events(logGroupName=self.log_group, logStreamName=stream, limit=lines, startFromHead=False)["events"]
            except logs.exceptions.ResourceNotFoundException:
                return []
        return [str(e["message"]).rstrip("\n") for e in events][-lines:]


@dataclass(frozen=True)
class Outcome:
    """How the rollout ended: succeeded or not, the one-line reason, and the diagnosis lines."""

    succeeded: bool
    reason: str
    diagnosis: tuple[str, ...] = ()
    #: The wait ran out with nothing failed yet (tasks may still be starting): not a failure ECS saw.
    timed_out: bool = False


def diagnose(watch: ServiceWatch, snap: Snapshot) -> tuple[str, tuple[str, ...]]:
    """Why ``snap`` failed: a one-line reason and the facts behind it (stopped tasks, logs, targets)."""
    if snap.rolled_back:
        reason = f"the deployment was rolled back to {_short(snap.primary_revision)}"
    elif snap.rollout_state == "FAILED":
        reason = f"the deployment failed: {snap.rollout_reason or 'no reason given'}"
    elif snap.stopped:
        reason = f"a task of {_short(snap.revision)} stopped"
    elif snap.unhealthy:
        reason = f"the load balancer finds {len(snap.unhealthy)} target(s) unhealthy"
    else:
        reason = "the deployment did not complete"
    lines: list[str] = []
    for task in snap.stopped[:3]:
        lines.extend(task.lines())
        for name, _, _ in task.containers[:1]:
            tail = watch.log_tail(name, task.task_id)
            if tail:
                lines.append(f"  last lines of {name}'s log:")
                lines.extend(f"    {line}" for line in tail)
    for target in snap.unhealthy:
        lines.append(f"target {target.id}: {target.state} ({target.reason}: {target.description})".rstrip())
    return reason, tuple(lines)


def _short(arn: str | None) -> str:
    return (arn or "?").rsplit("/", 1)[-1]


def wait_for_rollout(
    watch: ServiceWatch,
    revision: str,
    *,
    timeout: float = 900,
    poll: float = 5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[Snapshot], None] = lambda snap: None,
) -> Outcome:
    """Poll until the rollout of ``revision`` completes, fails, or ``timeout`` seconds pass."""
    deadline = clock() + timeout
    while True:
        snap = watch.snapshot(revision)
        on_poll(snap)
        if snap.failed:
            return Outcome(False, *diagnose(watch, snap))
        if snap.completed:
            return Outcome(True, f"{_short(revision)} runs {snap.running} of {snap.desired} tasks, every target healthy")
        if clock() >= deadline:
            state = f"{snap.rollout_state or 'no deployment'}, {snap.running} of {snap.desired} running"
            return Outcome(False, f"not complete after {timeout:.0f} s ({state})", timed_out=True)
        sleep(poll)



"""The release step: one one-off task of the new revision (migrations...), before any traffic moves to it.

It runs after the new task definition revision is registered and before the service is moved to
it, on the service's own network (same subnets and security groups, so it reaches the same
database), with the container's command replaced by the release command. It succeeds only when the
container exits 0; anything else stops the deploy with the exit code, ECS's ``stoppedReason`` and
the last lines of the task's log (read the way :mod:`migrate.deploy.rollout` reads them).

A retried deploy does not start a second release: the task carries ``startedBy`` and a
``clientToken`` derived from the revision, the command and how many releases of that revision have
already failed, so two attempts of the same deploy get the same task from ECS, a running release of
the revision is waited on rather than duplicated, and one that already exited 0 is not run again.
The wait is a plain loop over an injected clock and sleep, never botocore's waiters.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.plan import Step
from migrate.deploy.rollout import Outcome, ServiceWatch, StoppedTask
from migrate.deploy.service import EcsService

#: ``startedBy`` on every release task, so a retried deploy finds the one it started.
STARTED_BY = "migrate-release"


@dataclass(frozen=True)
class ReleaseTask:
    """What to run: ``command`` in the app's container of ``revision``, on the service's network."""

    cluster: str
    revision: str  # the new task definition revision's ARN
    container: str  # the container's name (the app's), also its awslogs stream prefix
    command: tuple[str, ...]
    network_configuration: dict[str, Any]  # as ECS takes it: {"awsvpcConfiguration": {...}}
    log_group: str

    @property
    def overrides(self) -> dict[str, Any]:
        """The container's command replaced by the release command."""
        return {"containerOverrides": [{"name": self.container, "command": list(self.command)}]}

    @classmethod
    def for_service(cls, service: EcsService, command: Sequence[str]) -> ReleaseTask:
        """The release of ``service``'s new revision, on its network: call once its task definition and security groups are applied."""
        definition = service.task_definition
        network = service.network_configuration()  # the service's own: the release reaches what its tasks reach
        return cls(service.cluster, definition.arn_after_apply, service.spec.app, tuple(command), network, definition.log_group)

    def client_token(self, attempt: int) -> str:
        """The same for every retry of one attempt, another once an attempt has failed (ECS: at most 64 characters)."""
        digest = hashlib.sha256("\0".join([self.revision, *self.command, str(attempt)]).encode()).hexdigest()
        return f"release-{digest[:48]}"


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _describe(aws: Aws, cluster: str, arns: Sequence[str]) -> list[dict[str, Any]]:
    if not arns:
        return []
    with aws_call("ecs:DescribeTasks", f"cluster {cluster}"):
        return list(aws.client("ecs").describe_tasks(cluster=cluster, tasks=list(arns)[:100])["tasks"])


def _earlier(aws: Aws, release: ReleaseTask) -> list[dict[str, Any]]:
    """Release tasks of this revision and command that ECS still knows (it keeps stopped ones for about an hour)."""
    ecs = aws.client("ecs")
    arns: list[str] = []
    for status in ("RUNNING", "STOPPED"):  # RUNNING lists every task not yet stopped (pending ones too)
        with aws_call("ecs:ListTasks", f"cluster {release.cluster}"):
            arns += ecs.list_tasks(cluster=release.cluster, startedBy=STARTED_BY, desiredStatus=status)["taskArns"]
    return [t for t in _describe(aws, release.cluster, arns)
            if t.get("taskDefinitionArn") == release.revision and t.get("overrides", {}).get("containerOverrides") == release.overrides["containerOverrides"]]


def _exit_code(task: dict[str, Any], container: str) -> int | None:
    found: dict[str, Any] = next((c for c in task.get("containers", []) if c.get("name") == container), {})
    code = found.get("exitCode")
    return int(code) if code is not None else None


def _start(aws: Aws, release: ReleaseTask) -> tuple[str | None, Outcome | None]:
    """The task to wait on (an earlier one still going, or a new one), or the outcome without waiting."""
    earlier = _earlier(aws, release)
    going = next((t for t in earlier if t.get("lastStatus") != "STOPPED"), None)
    if going is not None:
        return str(going["taskArn"]), None
    if any(_exit_code(t, release.container) == 0 for t in earlier):
        return None, Outcome(True, f"the release of {_short(release.revision)} already ran and exited 0")
    with aws_call("ecs:RunTask", f"the release task of {_short(release.revision)}"):
        found = aws.client("ecs").run_task(
            cluster=release.cluster, taskDefinition=release.revision, launchType="FARGATE", count=1,
            networkConfiguration=release.network_configuration, overrides=release.overrides,
            startedBy=STARTED_BY, clientToken=release.client_token(len(earlier)),
        )
    if not found.get("tasks"):
        failures = found.get("failures", [])
        reasons = [f"{f.get('reason', 'unknown')}" + (f": {f['detail']}" if f.get("detail") else "") for f in failures]
        return None, Outcome(False, f"ECS could not start the release task: {', '.join(reasons) or 'no reason given'}")
    return str(found["tasks"][0]["taskArn"]), None


def _stopped(aws: Aws, release: ReleaseTask, task: dict[str, Any]) -> Outcome:
    code = _exit_code(task, release.container)
    command = " ".join(release.command)
    if code == 0:
        return Outcome(True, f"{command} exited 0")
    stopped = StoppedTask(_short(str(task["taskArn"])), str(task.get("stoppedReason", "")),
                          tuple((c.get("name", "?"), c.get("exitCode"), str(c.get("reason", ""))) for c in task.get("containers", [])))
    lines = stopped.lines()
    tail = ServiceWatch(aws, release.cluster, release.container, None, release.log_group).log_tail(release.container, stopped.task_id)
    if tail:
        lines.append(f"  last lines of {release.container}'s log:")
        lines.extend(f"    {line}" for line in tail)
    what = f"exited with code {code}" if code is not None else f"stopped before it ran ({stopped.reason or 'no reason given'})"
    return Outcome(False, f"the release step ({command}) {what}; the deploy stops here", tuple(lines))


def run_release(
    aws: Aws,
    release: ReleaseTask,
    *,
    start_timeout: float = 600,
    timeout: float = 3600,
    poll: float = 5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[str], None] = lambda status: None,
) -> Outcome:
    """Run the release task (or find the one already running) and wait until it stops; success is exit code 0.

    A task still not running after ``start_timeout`` seconds is stopped (it must not migrate later,
    behind the user's back); one still running after ``timeout`` is left running, and named.
    """
    task_arn, outcome = _start(aws, release)
    if outcome is not None:
        return outcome
    assert task_arn is not None
    started, deadline = clock(), clock() + timeout
    while True:
        (task,) = _describe(aws, release.cluster, [task_arn])
        status = str(task.get("lastStatus", "PROVISIONING"))
        on_poll(status)
        if status == "STOPPED":
            return _stopped(aws, release, task)
        if status in ("PROVISIONING", "PENDING", "ACTIVATING") and clock() - started >= start_timeout:
            reason = f"migrate: the release task did not start within {start_timeout:.0f} s"
            with aws_call("ecs:StopTask", f"release task {_short(task_arn)}"):
                aws.client("ecs").stop_task(cluster=release.cluster, task=task_arn, reason=reason)
            return Outcome(False, f"the release task {_short(task_arn)} did not start within {start_timeout:.0f} s (still {status}); it was stopped",
                           tuple(f"{k}: {task[k]}" for k in ("stopCode", "stoppedReason") if task.get(k)))
        if clock() >= deadline:
            return Outcome(False, f"the release task {_short(task_arn)} still runs after {timeout:.0f} s; it was left running",
                           ("a retried deploy waits for it rather than starting another",))
        sleep(poll)


class ReleaseFailed(DeployError):
    """The release step did not exit 0: the deploy stops before the service moves."""

    def __init__(self, outcome: Outcome) -> None:
        """Carry ``outcome``; its diagnosis (reason, exit codes, log tail) is the hint."""
        super().__init__(outcome.reason, hint="\n".join(outcome.diagnosis) or None)
        self.outcome = outcome


def release_before_service(aws: Aws, commands: Mapping[str, Sequence[str]], say: Callable[[str], None] = lambda line: None,
                           **wait: Any) -> Callable[[Step], None]:
    """An ``on_step`` for :func:`~migrate.deploy.plan.apply`: before a service moves to a new revision, run its app's release.

    ``commands`` maps an app to its release command; apps without one move straight on. A failed
    release raises :class:`ReleaseFailed`, so apply stops with the service still on its old revision.
    ``say`` hears when it starts and how it ended; ``wait`` goes to :func:`run_release` (timeouts, clock, sleep).
    """

    def on_step(step: Step) -> None:
        service = step.resource
        if not isinstance(service, EcsService) or service.app not in commands or step.action not in ("create", "update"):
            return
        if step.action == "update" and "task_definition" not in {c.name for c in step.changes}:
            return  # same revision: nothing new to release
        run_release_of(aws, service, commands[service.app], say, **wait)

    return on_step


def run_release_of(aws: Aws, service: EcsService, command: Sequence[str], say: Callable[[str], None] = lambda line: None,
                   **wait: Any) -> None:
    """Run ``command`` as a one-off task of ``service``'s new revision; :class:`ReleaseFailed` unless it succeeded."""
    task = ReleaseTask.for_service(service, command)
    say(f"release step of {service.app}: {' '.join(task.command)}, as a one-off task of {_short(task.revision)}")
    outcome = run_release(aws, task, **wait)
    if not outcome.succeeded:
        raise ReleaseFailed(outcome)
    say(f"release step of {service.app}: {outcome.reason}")

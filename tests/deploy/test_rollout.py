"""Truthful success and fast diagnosis of a rolling deploy.

moto runs no deployment: the ECS scheduler's part (a new deployment, tasks, target health) is
played by tests/deploy/scheduler.py, and nothing else is faked. Waits run on a fake clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from migrate.deploy.plan import apply, make_plan
from migrate.deploy.rollout import Outcome, ServiceWatch, wait_for_rollout
from migrate.deploy.service import default_network
from migrate.deploy.stack import stack

from .scheduler import FakeScheduler, OneOffTasks, scheduler_health  # noqa: F401 (a fixture)
from .test_service import WEB

TRACEBACK = ("Traceback (most recent call last):", '  File "/app/main.py", line 3, in <module>',
             "KeyError: 'DATABASE_URL'")


@dataclasses.dataclass
class Deployed:
    aws: Any
    watch: ServiceWatch
    scheduler: FakeScheduler
    target_group: str

    def revision(self, number: int) -> str:
        return self.aws.arn("ecs", f"task-definition/shop-api:{number}")


@pytest.fixture
def deployed(aws: Any, scheduler_health: dict[str, tuple[str, str, str]]) -> Deployed:  # noqa: F811
    apply(make_plan(stack(aws, "shop", (WEB,), default_network(aws))))
    tg = aws.client("elbv2").describe_target_groups(Names=["shop-api"])["TargetGroups"][0]["TargetGroupArn"]
    return Deployed(aws, ServiceWatch(aws, "shop", "api", tg, "/ecs/shop/api"), FakeScheduler(aws, "shop", "api", scheduler_health), tg)


def second_revision(d: Deployed) -> str:
    """Deploy a new image: migrate registers revision 2 and updates the service; ECS starts a deployment."""
    apply(make_plan(stack(d.aws, "shop", (dataclasses.replace(WEB, image=WEB.image + "-2"),), default_network(d.aws))))
    d.scheduler.start_deployment(d.revision(2))
    return d.revision(2)


def run(d: Deployed, revision: str, script: dict[int, Callable[[], None]], timeout: float = 900) -> tuple[Outcome, float]:
    """Wait for ``revision`` on a fake clock; ``script[n]`` is what ECS does before poll n (1-based)."""
    now = [0.0]
    polls = [0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def on_poll(_: Any) -> None:
        polls[0] += 1
        if polls[0] + 1 in script:
            script[polls[0] + 1]()

    if 1 in script:
        script[1]()
    outcome = wait_for_rollout(d.watch, revision, timeout=timeout, poll=5, clock=lambda: now[0], sleep=sleep, on_poll=on_poll)
    return outcome, now[0]


def test_a_rollout_succeeds_only_when_complete_and_every_target_is_healthy(deployed: Deployed) -> None:
    d, rev = deployed, deployed.revision(1)
    outcome, waited = run(d, rev, {
        2: lambda: (d.scheduler.run(rev, 2), d.scheduler.target(d.target_group, "10.0.1.5", "initial", "Elb.RegistrationInProgress")),
        3: lambda: d.scheduler.complete(rev),  # COMPLETED, but a target is still initial: not yet
        4: lambda: (d.scheduler.target(d.target_group, "10.0.1.5", "healthy"), d.scheduler.target(d.target_group, "10.0.2.7", "healthy")),
    })
    assert outcome == Outcome(True, "shop-api:1 runs 2 of 2 tasks, every target healthy")
    assert waited == 15  # polled at 0, 5, 10 and 15 s


def test_a_crashing_task_ends_the_wait_at_once_with_why(deployed: Deployed) -> None:
    d = deployed
    rev = second_revision(d)
    stopped: list[str] = []
    outcome, waited = run(d, rev, {
        3: lambda: stopped.append(d.scheduler.stop_task(rev, "Essential container in task exited", 1, TRACEBACK)),
    })
    assert not outcome.succeeded and outcome.reason == "a task of shop-api:2 stopped"
    assert waited == 10  # the first stopped task, not the circuit breaker 10 minutes later
    assert outcome.diagnosis[:2] == (f"task {stopped[0]} stopped: Essential container in task exited", "  container api: exit code 1")
    assert outcome.diagnosis[-1] == "    KeyError: 'DATABASE_URL'"


def test_a_rollback_is_a_failure_not_stable(deployed: Deployed) -> None:
    d = deployed
    rev = second_revision(d)
    outcome, _ = run(d, rev, {2: lambda: d.scheduler.roll_back(rev, "deployment circuit breaker: rolling back")})
    assert outcome == Outcome(False, "the deployment was rolled back to shop-api:1")
    # What the services_stable waiter would have said: the service is steady, on the old revision.
    service = d.aws.client("ecs").describe_services(cluster="shop", services=["api"])["services"][0]
    assert next(x for x in service["deployments"] if x["status"] == "PRIMARY")["taskDefinition"] == d.revision(1)


def test_targets_that_never_become_healthy_are_named_with_the_balancers_reason(deployed: Deployed) -> None:
    d = deployed
    rev = second_revision(d)
    outcome, _ = run(d, rev, {
        2: lambda: (d.scheduler.run(rev, 2), d.scheduler.target(d.target_group, "10.0.1.9", "initial")),
        4: lambda: d.scheduler.target(d.target_group, "10.0.1.9", "unhealthy", "Target.ResponseCodeMismatch",
                                      "Health checks failed with these codes: [404]"),
    })
    assert outcome.reason == "the load balancer finds 1 target(s) unhealthy"
    assert outcome.diagnosis == ("target 10.0.1.9: unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [404])",)


def test_a_rollout_that_never_finishes_times_out_on_the_injected_clock(deployed: Deployed) -> None:
    d = deployed
    rev = second_revision(d)
    outcome, waited = run(d, rev, {2: lambda: d.scheduler.run(rev, 1)}, timeout=600)
    assert outcome == Outcome(False, "not complete after 600 s (IN_PROGRESS, 1 of 2 running)", timed_out=True)
    assert waited == 600


def test_tasks_stopped_by_an_earlier_deployment_or_a_release_of_the_same_revision_are_not_this_rollouts_failure(
        deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> None:
    """A redeploy of the same revision (forceNewDeployment, after a failed first deploy) and a release step's
    one-off task run the revision too: only the tasks the watched deployment started count."""
    d, rev = deployed, deployed.revision(1)
    d.scheduler.stop_task(rev, "Essential container in task exited", 3, TRACEBACK)  # the failed attempt
    ecs = d.aws.client("ecs")
    ecs.update_service(cluster="shop", service="api", desiredCount=2, forceNewDeployment=True)  # a new deployment id
    OneOffTasks(d.aws, "shop").hold_new_tasks(monkeypatch)
    release = ecs.run_task(cluster="shop", taskDefinition=rev, launchType="FARGATE", startedBy="migrate-release",
                           networkConfiguration=ecs.describe_services(cluster="shop", services=["api"])["services"][0]["networkConfiguration"])
    ecs.stop_task(cluster="shop", task=release["tasks"][0]["taskArn"], reason="Essential container in task exited")
    outcome, _ = run(d, rev, {2: lambda: (d.scheduler.run(rev, 2), d.scheduler.complete(rev))})
    assert outcome == Outcome(True, "shop-api:1 runs 2 of 2 tasks, every target healthy")

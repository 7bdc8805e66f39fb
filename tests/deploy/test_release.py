"""The release step on moto: one one-off task of the new revision, success only on exit code 0.

moto's run_task creates the task and never runs it; tests/deploy/scheduler.py's OneOffTasks plays
ECS starting and stopping it. Waits run on a fake clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from migrate.deploy.plan import apply, make_plan
from migrate.deploy.release import STARTED_BY, ReleaseFailed, ReleaseTask, release_before_service, run_release
from migrate.deploy.rollout import Outcome
from migrate.deploy.service import default_network
from migrate.deploy.stack import stack

from .conftest import CallLog
from .scheduler import OneOffTasks
from .test_service import WEB

MIGRATE = ("python", "manage.py", "migrate")


@pytest.fixture
def release(aws: Any) -> ReleaseTask:
    apply(make_plan(stack(aws, "shop", (WEB,), default_network(aws))))
    service = aws.client("ecs").describe_services(cluster="shop", services=["api"])["services"][0]
    return ReleaseTask("shop", service["taskDefinition"], "api", MIGRATE, service["networkConfiguration"], "/ecs/shop/api")


def wait(aws: Any, release: ReleaseTask, script: dict[int, Callable[[OneOffTasks, str], None]], **limits: float) -> tuple[Outcome, float]:
    """Run the release on a fake clock; ``script[n](tasks, task_arn)`` is what ECS does after poll n."""
    now, polls = [0.0], [0]
    tasks = OneOffTasks(aws, "shop")

    def sleep(seconds: float) -> None:
        polls[0] += 1
        if polls[0] in script:
            script[polls[0]](tasks, tasks.launched()[-1])
        now[0] += seconds

    outcome = run_release(aws, release, poll=5, clock=lambda: now[0], sleep=sleep, **limits)
    return outcome, now[0]


@pytest.fixture
def held(aws: Any, monkeypatch: pytest.MonkeyPatch) -> OneOffTasks:
    tasks = OneOffTasks(aws, "shop")
    tasks.hold_new_tasks(monkeypatch)
    return tasks


def test_a_release_that_exits_0_succeeds_and_ran_the_command_on_the_new_revision(
        aws: Any, release: ReleaseTask, held: OneOffTasks, calls: CallLog) -> None:
    outcome, waited = wait(aws, release, {1: OneOffTasks.start, 3: lambda t, arn: t.finish(arn, 0)})
    assert outcome == Outcome(True, "python manage.py migrate exited 0") and waited == 15
    sent = calls.request("ecs.RunTask")
    assert sent["taskDefinition"] == release.revision and sent["startedBy"] == STARTED_BY
    assert sent["overrides"] == {"containerOverrides": [{"name": "api", "command": list(MIGRATE)}]}
    assert sent["networkConfiguration"] == release.network_configuration and sent["clientToken"].startswith("release-")
    # A retried deploy does not run it twice.
    calls.clear()
    again, _ = wait(aws, release, {})
    assert again == Outcome(True, "the release of shop-api:1 already ran and exited 0") and "ecs.RunTask" not in calls.calls


def test_a_failing_release_stops_the_deploy_with_its_exit_code_and_log_tail(aws: Any, release: ReleaseTask, held: OneOffTasks) -> None:
    log = ("Operations to perform:", "django.db.utils.OperationalError: could not connect to server")
    outcome, _ = wait(aws, release, {1: OneOffTasks.start, 2: lambda t, arn: t.finish(arn, 1, log=log)})
    assert not outcome.succeeded
    assert outcome.reason == "the release step (python manage.py migrate) exited with code 1; the deploy stops here"
    assert outcome.diagnosis[1:] == ("  container api: exit code 1", "  last lines of api's log:",
                                     "    Operations to perform:", "    django.db.utils.OperationalError: could not connect to server")
    assert outcome.diagnosis[0].endswith("stopped: Essential container in task exited")


def test_a_release_stopped_before_running_says_why(aws: Any, release: ReleaseTask, held: OneOffTasks) -> None:
    reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s)"
    outcome, _ = wait(aws, release, {2: lambda t, arn: t.finish(arn, None, reason=reason)})
    assert outcome.reason == f"the release step (python manage.py migrate) stopped before it ran ({reason}); the deploy stops here"


def test_a_release_that_never_starts_times_out_and_is_stopped(aws: Any, release: ReleaseTask, held: OneOffTasks) -> None:
    outcome, waited = wait(aws, release, {}, start_timeout=60)
    assert outcome.reason.endswith("did not start within 60 s (still PROVISIONING); it was stopped") and waited == 60
    (task,) = aws.client("ecs").describe_tasks(cluster="shop", tasks=OneOffTasks(aws, "shop").launched())["tasks"]
    assert task["lastStatus"] == "STOPPED" and task["stoppedReason"] == "migrate: the release task did not start within 60 s"


def test_a_retried_deploy_waits_for_the_release_already_running(aws: Any, release: ReleaseTask, held: OneOffTasks, calls: CallLog) -> None:
    aws.client("ecs").run_task(cluster="shop", taskDefinition=release.revision, launchType="FARGATE", startedBy=STARTED_BY,
                               networkConfiguration=release.network_configuration, overrides=release.overrides)
    calls.clear()
    outcome, _ = wait(aws, release, {1: OneOffTasks.start, 2: lambda t, arn: t.finish(arn, 0)})
    assert outcome.succeeded and "ecs.RunTask" not in calls.calls and len(OneOffTasks(aws, "shop").launched()) == 1


def test_a_retry_after_a_failed_release_runs_it_again_with_another_token(aws: Any, release: ReleaseTask, held: OneOffTasks, calls: CallLog) -> None:
    wait(aws, release, {1: lambda t, arn: t.finish(arn, 1)})
    first = calls.request("ecs.RunTask")["clientToken"]
    outcome, _ = wait(aws, release, {1: lambda t, arn: t.finish(arn, 0)})
    assert outcome.succeeded and calls.request("ecs.RunTask")["clientToken"] != first


def test_no_capacity_is_reported_from_run_tasks_failures(aws: Any, release: ReleaseTask, monkeypatch: pytest.MonkeyPatch) -> None:
    OneOffTasks(aws, "shop").no_capacity(monkeypatch, "Capacity is unavailable at this time", "Please try again later")
    outcome, waited = wait(aws, release, {})
    assert outcome == Outcome(False, "ECS could not start the release task: Capacity is unavailable at this time: Please try again later")
    assert waited == 0


def test_in_a_deploy_the_release_runs_on_the_new_revision_before_the_service_moves(
        aws: Any, release: ReleaseTask, held: OneOffTasks, calls: CallLog) -> None:
    tasks = OneOffTasks(aws, "shop")
    new = (dataclasses.replace(WEB, image=WEB.image + "-2"),)

    def ecs_runs_it(seconds: float) -> None:  # the scheduler, between polls: the task runs and fails
        tasks.finish(tasks.launched()[-1], 2, log=("relation already exists",))

    hook = release_before_service(aws, {"api": MIGRATE}, clock=lambda: 0.0, sleep=ecs_runs_it)
    with pytest.raises(ReleaseFailed) as failed:
        apply(make_plan(stack(aws, "shop", new, default_network(aws))), on_step=hook)
    assert str(failed.value) == "the release step (python manage.py migrate) exited with code 2; the deploy stops here"
    assert failed.value.hint is not None and failed.value.hint.endswith("    relation already exists")
    assert calls.request("ecs.RunTask")["taskDefinition"].endswith("task-definition/shop-api:2")
    assert "ecs.UpdateService" not in calls.calls  # no traffic moved
    service = aws.client("ecs").describe_services(cluster="shop", services=["api"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/shop-api:1")


def test_a_redeploy_of_the_same_revision_runs_no_release(aws: Any, release: ReleaseTask, calls: CallLog) -> None:
    calls.clear()
    apply(make_plan(stack(aws, "shop", (WEB,), default_network(aws))), on_step=release_before_service(aws, {"api": MIGRATE}))
    assert "ecs.RunTask" not in calls.calls

"""ECS's own strategies (ecs-blue-green, ecs-canary, ecs-linear): request shapes and the following logic.

moto implements neither the 2025 deployment strategies nor service deployments, so every call here
goes through botocore's Stubber, which checks each request's parameters *and* each recorded
response against ECS's real API model (a misspelt field or a wrong type fails the test). The
response sequences are the ones ECS documents for a deployment's life: PENDING, IN_PROGRESS through
its lifecycle stages, then SUCCESSFUL, or ROLLBACK_IN_PROGRESS and ROLLBACK_SUCCESSFUL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from migrate.deploy.native import (
    INFRASTRUCTURE_POLICY,
    NativeError,
    NativeSettings,
    Progress,
    deployment_configuration,
    follow,
    in_progress,
    load_balancer,
    stop,
)
from tests.cutover.fakes import FakeClock

ACCOUNT = "123456789012"
CLUSTER = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/shop"
SERVICE = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/shop/shop-web"
OURS = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/shop-web:8"
THEIRS = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/shop-web:7"
DEPLOYMENT = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service-deployment/shop/shop-web/Abc123"
NEW_REV = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service-revision/shop/shop-web/222"
OLD_REV = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service-revision/shop/shop-web/111"
SINCE = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TG = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/shop-web-blue/1"
ALT = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/shop-web-green/2"
RULE = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:listener-rule/app/shop/1/2/3"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/shop-ecs-infrastructure"


@pytest.fixture
def ecs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ecs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def listed(*briefs: dict[str, Any]) -> dict[str, Any]:
    return {"serviceDeployments": list(briefs)}


def brief(revision: str = NEW_REV, status: str = "PENDING") -> dict[str, Any]:
    return {"serviceDeploymentArn": DEPLOYMENT, "serviceArn": SERVICE, "clusterArn": CLUSTER, "createdAt": SINCE,
            "targetServiceRevisionArn": revision, "status": status}


def deployment(status: str, stage: str | None = None, new: float | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"serviceDeploymentArn": DEPLOYMENT, "serviceArn": SERVICE, "clusterArn": CLUSTER,
                             "status": status,
                             "sourceServiceRevisions": [{"arn": OLD_REV, "requestedTaskCount": 2, "runningTaskCount": 2}],
                             "targetServiceRevision": {"arn": NEW_REV, "requestedTaskCount": 2, "runningTaskCount": 2}}
    if stage:
        found["lifecycleStage"] = stage
    if new is not None:
        found["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] = 100.0 - new
        found["targetServiceRevision"]["requestedProductionTrafficWeight"] = new
    found.update(extra)
    return {"serviceDeployments": [found], "failures": []}


def expect_find(stub: Stubber, task_definition: str = OURS) -> None:
    stub.add_response("list_service_deployments", listed(brief()),
                      {"cluster": "shop", "service": "shop-web", "createdAt": {"after": SINCE}})
    stub.add_response("describe_service_revisions", {"serviceRevisions": [
        {"serviceRevisionArn": NEW_REV, "serviceArn": SERVICE, "clusterArn": CLUSTER, "taskDefinition": task_definition}],
        "failures": []}, {"serviceRevisionArns": [NEW_REV]})


def expect_describe(stub: Stubber, answer: dict[str, Any]) -> None:
    stub.add_response("describe_service_deployments", answer, {"serviceDeploymentArns": [DEPLOYMENT]})


def run_follow(client: Any, clock: FakeClock, timeout: float = 3600, **kw: Any) -> tuple[Any, list[Progress]]:
    seen: list[Progress] = []
    outcome = follow(client, cluster="shop", service="shop-web", task_definition=OURS, since=SINCE, now=clock.now,
                     sleep=clock.sleep, timeout=timeout, poll=10, on_progress=seen.append, **kw)
    return outcome, seen


@pytest.mark.parametrize(("strategy", "extra"), [
    ("ecs-blue-green", {}),
    ("ecs-canary", {"canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}}),
    ("ecs-linear", {"linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 5}}),
])
def test_each_strategy_is_a_service_update_ecs_accepts(ecs: tuple[Any, Stubber], strategy: Any, extra: dict[str, Any]) -> None:
    client, stub = ecs
    settings = NativeSettings(strategy, alarms=("shop-web-5xx",), pause=True)
    config = deployment_configuration(settings)
    assert {k: v for k, v in config.items() if k in extra} == extra
    assert config["strategy"] == {"ecs-blue-green": "BLUE_GREEN", "ecs-canary": "CANARY", "ecs-linear": "LINEAR"}[strategy]
    assert config["alarms"] == {"alarmNames": ["shop-web-5xx"], "enable": True, "rollback": True}
    # The smoke test's pause: once the test rule reaches the new revision, rolled back by ECS itself if nobody answers.
    assert config["lifecycleHooks"] == [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                                         "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "ROLLBACK"}}]
    balancer = load_balancer(target_group=TG, alternate_target_group=ALT, production_rule=RULE, role=ROLE,
                             container="web", port=8000, test_rule=RULE.replace("/3", "/4"))
    params = {"cluster": "shop", "service": "shop-web", "taskDefinition": OURS, "deploymentConfiguration": config,
              "loadBalancers": [balancer]}
    stub.add_response("update_service", {"service": {"serviceName": "shop-web"}}, params)
    client.update_service(**params)  # the Stubber validated every field against ECS's model


def test_the_infrastructure_role_is_the_aws_managed_policy_for_load_balancers() -> None:
    assert INFRASTRUCTURE_POLICY == "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"


@pytest.mark.parametrize(("settings", "problem"), [
    ({"strategy": "ecs-canary", "step_percent": 0.05}, "multiple of 0.1 from 0.1 to 100"),
    ({"strategy": "ecs-canary", "step_percent": 12.34}, "multiple of 0.1"),
    ({"strategy": "ecs-linear", "step_percent": 2.5}, "from 3.0 to 100 for ecs-linear"),
    ({"strategy": "ecs-blue-green", "bake_minutes": 1441}, "bake time 1441 min is outside ECS's 0 to 1440 minutes"),
    ({"strategy": "ecs-canary", "step_bake_minutes": -1}, "step bake time -1 min"),
    ({"strategy": "ecs-rainbow"}, "is not one of ecs-blue-green, ecs-canary, ecs-linear"),
])
def test_settings_ecs_would_refuse_are_refused_before_any_call(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(NativeError, match=problem):
        NativeSettings(**settings)


def test_a_canary_is_followed_through_its_stages_to_success(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    clock = FakeClock()
    stub.add_response("list_service_deployments", listed(), {"cluster": "shop", "service": "shop-web", "createdAt": {"after": SINCE}})
    expect_find(stub)
    for answer in (deployment("PENDING"), deployment("IN_PROGRESS", "SCALE_UP"), deployment("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0),
                   deployment("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0), deployment("IN_PROGRESS", "BAKE_TIME", 100.0),
                   deployment("SUCCESSFUL", "CLEAN_UP", 100.0)):
        expect_describe(stub, answer)
    outcome, seen = run_follow(client, clock)
    assert outcome.succeeded and outcome.deployment == DEPLOYMENT
    assert [p.line() for p in seen] == [
        "pending",
        "in progress, scale up",
        "in progress, production traffic shift (111 90 %, 222 10 %)",
        "in progress, bake time (111 0 %, 222 100 %)",
        "successful, clean up (111 0 %, 222 100 %)",
    ]  # an unchanged poll reports nothing
    assert clock.t == 60  # six polls ten seconds apart: the first found nothing yet


def test_a_rollback_by_an_alarm_is_a_failure_with_ecs_reasons(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    expect_find(stub)
    expect_describe(stub, deployment("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0))
    expect_describe(stub, deployment("ROLLBACK_IN_PROGRESS", new=0.0))
    expect_describe(stub, deployment("ROLLBACK_SUCCESSFUL", new=0.0, statusReason="alarm shop-web-5xx in ALARM",
                                     rollback={"reason": "Deployment alarm triggered", "serviceRevisionArn": OLD_REV},
                                     alarms={"status": "TRIGGERED", "alarmNames": ["shop-web-5xx"], "triggeredAlarmNames": ["shop-web-5xx"]},
                                     deploymentCircuitBreaker={"status": "MONITORING", "failureCount": 0, "threshold": 3}))
    outcome, _ = run_follow(client, FakeClock())
    assert not outcome.succeeded
    assert outcome.reason == "ECS rolled the deployment back: the old revision serves (Deployment alarm triggered)"
    assert outcome.diagnosis == ("alarms that fired: shop-web-5xx", "ECS: alarm shop-web-5xx in ALARM")


def test_a_circuit_breaker_rollback_names_the_failed_tasks(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    expect_find(stub)
    expect_describe(stub, deployment("ROLLBACK_FAILED", statusReason="tasks failed to start",
                                     deploymentCircuitBreaker={"status": "TRIGGERED", "failureCount": 3, "threshold": 3}))
    outcome, _ = run_follow(client, FakeClock())
    assert outcome.reason == "ECS's rollback FAILED: check which revision serves (tasks failed to start)"
    assert outcome.diagnosis == ("circuit breaker triggered: 3 failed tasks (threshold 3)",)


def test_a_deployment_still_running_at_the_timeout_is_stopped_with_a_rollback(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    expect_find(stub)
    for _ in range(4):
        expect_describe(stub, deployment("IN_PROGRESS", "BAKE_TIME", 100.0))
    stub.add_response("stop_service_deployment", {"serviceDeploymentArn": DEPLOYMENT},
                      {"serviceDeploymentArn": DEPLOYMENT, "stopType": "ROLLBACK"})
    outcome, _ = run_follow(client, FakeClock(), timeout=30)
    assert not outcome.succeeded
    assert outcome.reason == "the deployment was still IN_PROGRESS after 30 s; stopped with a rollback"


def test_another_revisions_deployment_is_not_taken_for_ours(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    for _ in range(3):
        expect_find(stub, task_definition=THEIRS)
    outcome, _ = run_follow(client, FakeClock(), timeout=20)
    assert (outcome.succeeded, outcome.deployment) == (False, None)
    assert outcome.reason == "ECS started no deployment of shop-web:8 within 20 s"


def test_abort_finds_the_deployment_under_way_and_stops_it(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    stub.add_response("list_service_deployments", listed(brief(status="IN_PROGRESS")),
                      {"cluster": "shop", "service": "shop-web", "status": ANY})
    stub.add_response("stop_service_deployment", {"serviceDeploymentArn": DEPLOYMENT},
                      {"serviceDeploymentArn": DEPLOYMENT, "stopType": "ROLLBACK"})
    found = in_progress(client, cluster="shop", service="shop-web")
    assert found == DEPLOYMENT
    stop(client, found)


def test_an_error_from_ecs_is_a_one_line_deploy_error(ecs: tuple[Any, Stubber]) -> None:
    from migrate.deploy.errors import DeployError

    client, stub = ecs
    stub.add_client_error("list_service_deployments", "AccessDeniedException", "not authorized to perform ecs:ListServiceDeployments")
    with pytest.raises(DeployError) as caught:
        in_progress(client, cluster="shop", service="shop-web")
    assert "\n" not in str(caught.value) and "ListServiceDeployments" in str(caught.value)


def paused(hook_status: str = "AWAITING_ACTION") -> dict[str, Any]:
    return deployment("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", 0.0, lifecycleHookDetails=[
        {"hookId": "hook-1", "targetType": "PAUSE", "status": hook_status, "timeoutAction": "ROLLBACK"}])


@pytest.mark.parametrize("passes", [True, False], ids=["passes", "fails"])
def test_a_deployment_paused_for_the_smoke_test_is_continued_or_rolled_back_by_it(ecs: tuple[Any, Stubber], passes: bool) -> None:
    client, stub = ecs
    expect_find(stub)
    expect_describe(stub, deployment("IN_PROGRESS", "TEST_TRAFFIC_SHIFT", 0.0))
    expect_describe(stub, paused())
    stub.add_response("continue_service_deployment", {"serviceDeploymentArn": DEPLOYMENT},
                      {"serviceDeploymentArn": DEPLOYMENT, "hookId": "hook-1", "action": "CONTINUE" if passes else "ROLLBACK"})
    expect_describe(stub, paused())  # ECS has not moved on yet: the hook is acted on once, not twice
    if passes:
        expect_describe(stub, deployment("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 100.0))
        expect_describe(stub, deployment("SUCCESSFUL", "CLEAN_UP", 100.0))
    else:
        expect_describe(stub, deployment("ROLLBACK_SUCCESSFUL", new=0.0, rollback={"reason": "lifecycle hook rollback"}))
    asked: list[str] = []

    def smoke() -> str | None:
        asked.append("smoke")
        return None if passes else "/healthz: 503 from 10.0.1.7"

    outcome, seen = run_follow(client, FakeClock(), smoke=smoke)
    stub.assert_no_pending_responses()
    assert asked == ["smoke"] and "in progress, post test traffic shift (111 100 %, 222 0 %)" in [p.line() for p in seen]
    assert outcome.succeeded is passes
    if not passes:
        assert outcome.reason == ("the smoke test through ECS's test listener rule failed (/healthz: 503 from 10.0.1.7); "
                                  "ECS rolled the deployment back: the old revision serves (lifecycle hook rollback)")


def test_a_pause_nobody_smoke_tests_is_left_to_ecs(ecs: tuple[Any, Stubber]) -> None:
    client, stub = ecs
    expect_find(stub)
    expect_describe(stub, paused())
    expect_describe(stub, deployment("ROLLBACK_SUCCESSFUL", new=0.0, rollback={"reason": "lifecycle hook timed out"}))
    outcome, _ = run_follow(client, FakeClock())
    stub.assert_no_pending_responses()  # no ContinueServiceDeployment: another deploy's pause is not ours to decide
    assert not outcome.succeeded and "lifecycle hook timed out" in outcome.reason


@pytest.mark.parametrize("settings", [
    NativeSettings("ecs-blue-green", bake_minutes=3, pause=True),
    NativeSettings("ecs-canary", step_percent=12.5, step_bake_minutes=4, alarms=("shop-5xx", "shop-latency")),
    NativeSettings("ecs-linear", step_percent=25, step_bake_minutes=2, bake_minutes=0),
])
def test_settings_read_back_from_what_ecs_reports_are_the_ones_set(settings: NativeSettings) -> None:
    # A plan compares the service's deploymentConfiguration (as DescribeServices reports it) with the settings wanted.
    assert NativeSettings.of_api(deployment_configuration(settings)) == settings
    assert NativeSettings.of_api({"strategy": "ROLLING", "maximumPercent": 200}) is None


def test_how_long_ecs_holds_a_deployment_by_design() -> None:
    assert NativeSettings("ecs-blue-green", bake_minutes=5).minutes == 5
    assert NativeSettings("ecs-canary", step_bake_minutes=3, bake_minutes=5).minutes == 8
    assert NativeSettings("ecs-linear", step_percent=25, step_bake_minutes=2, bake_minutes=5).minutes == 3 * 2 + 5  # 25, 50, 75, then all

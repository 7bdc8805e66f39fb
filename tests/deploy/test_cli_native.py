"""`migrate deploy --strategy ecs-blue-green|ecs-canary|ecs-linear`: ECS's own traffic shifting, planned and followed.

moto keeps the service, the alternate target group, the listener rule and ECS's role; the service
deployments ECS would run are played by :class:`~tests.deploy.ecs_deployments.EcsDeployments` (moto
has none), whose answers are validated against ECS's API model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate.deploy.aws import connect
from migrate.deploy.native import INFRASTRUCTURE_POLICY

from .conftest import REGION
from .ecs_deployments import ROLLS_BACK, EcsDeployments
from .scheduler import scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import FLASK_CONFIG, IMAGE, Cli, copy_example
from .test_cli_weighted import IMAGE2, two_images_published

APP = "python-flask-postgres"
ALTERNATE = "notes-python-flask-postgres-alt"


class NativeCli(Cli):
    """:class:`Cli` with ECS's service deployments played for the services an ECS strategy moves."""

    def __init__(self, health: dict[str, tuple[str, str, str]]) -> None:
        super().__init__(health)
        self.deployments = EcsDeployments(REGION)
        self.session_hooks.append(self.deployments.attach)

    def deploy_elsewhere(self, script: tuple[tuple[str, str | None, float | None], ...]) -> Any:
        """Another machine's deploy got ECS going on the app's service, then stopped following it; the deployment."""
        import boto3

        self.deployments.script = script
        session = boto3.Session(region_name=REGION)
        self.deployments.attach(session)
        ecs = session.client("ecs")
        current = ecs.describe_services(cluster="notes", services=[APP])["services"][0]
        ecs.update_service(cluster="notes", service=APP, taskDefinition=current["taskDefinition"],
                           deploymentConfiguration=current["deploymentConfiguration"], forceNewDeployment=True)
        return self.deployments.deployments[-1]


@pytest.fixture
def cli(moto: None, scheduler_health: dict[str, tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> NativeCli:  # noqa: F811
    # moto knows AWS's managed policies (the one ECS's role needs among them) but loads them only when asked.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    two_images_published(monkeypatch)
    return NativeCli(scheduler_health)


def deploy(cli: NativeCli, root: Path, image: str, *flags: str) -> tuple[int, str, str]:
    return cli("deploy", str(root), "--image", image, "--yes", "--strategy", "ecs-canary", "--steps", "10,100", "--bake", "90", *flags)


def test_ecs_canary_creates_what_ecs_needs_and_follows_its_deployment(cli: NativeCli, tmp_path: Path) -> None:
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    status, out, err = deploy(cli, root, IMAGE)
    assert status == 0, err
    assert "ecs-canary: 10 % for 2 min, then all; bake" in out  # the plan says how ECS will move it (90 s: 2 whole minutes)
    assert f"+ target group {ALTERNATE}" in out and "+ IAM role notes-ecs-infrastructure" in out

    # The service: ECS's canary, over the app's target group and its alternate, moving the app's listener rule.
    created = cli.calls.request("ecs.CreateService")
    config = created["deploymentConfiguration"]
    assert config["strategy"] == "CANARY" and config["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2}
    advanced = created["loadBalancers"][0]["advancedConfiguration"]
    elbv2 = aws.client("elbv2")
    groups = {g["TargetGroupName"]: g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert created["loadBalancers"][0]["targetGroupArn"] == groups["notes-python-flask-postgres"]
    assert advanced["alternateTargetGroupArn"] == groups[ALTERNATE]
    balancer = elbv2.describe_load_balancers(Names=["notes"])["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"][0]["ListenerArn"]
    rule = next(r for r in elbv2.describe_rules(ListenerArn=listener)["Rules"] if r["RuleArn"] == advanced["productionListenerRule"])
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/*"]  # ECS moves a rule: the app takes every path through one
    iam = aws.client("iam")
    role = iam.get_role(RoleName="notes-ecs-infrastructure")["Role"]
    assert advanced["roleArn"] == role["Arn"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="notes-ecs-infrastructure")["AttachedPolicies"]] == [
        INFRASTRUCTURE_POLICY]
    # Followed to its end, each stage told.
    assert "python-flask-postgres: in progress, production traffic shift (" in err and "successful" in err
    assert "ECS shifted all the traffic to the new revision" in err

    # A new image: the same service updated, ECS runs the canary again, migrate follows the new deployment.
    status, out, err = deploy(cli, root, IMAGE2)
    assert status == 0, err
    updated = cli.calls.request("ecs.UpdateService")
    assert updated["deploymentConfiguration"]["strategy"] == "CANARY"
    assert updated["loadBalancers"][0]["advancedConfiguration"] == advanced
    assert cli.deployments.strategies == ["CANARY", "CANARY"]
    assert "notes-python-flask-postgres:2" in err and "ECS shifted all the traffic" in err

    # The same deploy again: nothing to change (the rule, the alternate group and the role are as planned).
    cli.calls.clear()
    status, out, err = deploy(cli, root, IMAGE2)
    assert status == 0, err
    assert cli.calls.mutating == [] and "is up to date" in err


def test_a_deployment_ecs_rolls_back_fails_the_deploy_with_ecs_reasons(cli: NativeCli, tmp_path: Path) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    cli.deployments.script = ROLLS_BACK
    status, _out, err = deploy(cli, root, IMAGE2)
    assert status != 0
    assert "ECS rolled the deployment back: the old revision serves (alarm notes-5xx fired)" in err
    assert "alarms that fired: notes-5xx" in err and "Traceback" not in err


def test_ecs_strategies_are_refused_where_they_cannot_run(cli: NativeCli, tmp_path: Path) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--strategy", "ecs-blue-green", "--steps", "10,100")
    assert status != 0 and "--steps are for canary strategies" in err
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--strategy", "ecs-linear", "--steps", "1,100")
    assert status != 0 and "--strategy ecs-linear: step 1.0 % must be a multiple of 0.1 from 3.0 to 100" in err
    status, _, err = cli("deploy", str(root), "--target", "local", "--strategy", "ecs-canary")
    assert status != 0 and "the ecs-canary strategy is ECS's own" in err
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--strategy", "ecs-canary", "--from", "10.0.0.5:8000")
    assert status != 0 and "not ecs-canary" in err
    assert cli.calls.mutating == []


def test_destroy_removes_the_alternate_target_group_and_ecs_role(cli: NativeCli, tmp_path: Path) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    status, _out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    aws = connect(REGION)
    names = [g["TargetGroupName"] for g in aws.client("elbv2").describe_target_groups()["TargetGroups"]]
    assert ALTERNATE not in names
    roles = [r["RoleName"] for r in aws.client("iam").list_roles()["Roles"]]
    assert "notes-ecs-infrastructure" not in roles


def test_an_app_switched_to_an_ecs_strategy_keeps_a_route_at_every_moment(cli: NativeCli, tmp_path: Path) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert cli("deploy", str(root), "--image", IMAGE, "--yes", "--strategy", "rolling")[0] == 0  # routed by the default action
    cli.calls.clear()
    status, _out, err = deploy(cli, root, IMAGE2)
    assert status == 0, err
    # ECS moves a rule: the app's `/*` rules (its test rule, then the production one) are created before the default
    # action turns to 404, never after.
    elbv2 = [c for c in cli.calls.calls if c in ("elbv2.CreateRule", "elbv2.ModifyListener", "elbv2.DeleteRule")]
    assert elbv2 == ["elbv2.CreateRule", "elbv2.CreateRule", "elbv2.ModifyListener"], elbv2
    assert cli.calls.request("elbv2.ModifyListener")["DefaultActions"][0]["Type"] == "fixed-response"
    update = cli.calls.request("ecs.UpdateService")
    assert update["deploymentConfiguration"]["strategy"] == "CANARY" and cli.deployments.strategies == ["CANARY"]
    # ECS's test listener rule: X-Migrate-Side: test on the same paths, just above the production rule.
    advanced = update["loadBalancers"][0]["advancedConfiguration"]
    rules = {r["RuleArn"]: r for r in connect(REGION).client("elbv2").describe_rules(
        ListenerArn=advanced["productionListenerRule"].replace(":listener-rule/", ":listener/").rsplit("/", 1)[0])["Rules"]}
    production, test = rules[advanced["productionListenerRule"]], rules[advanced["testListenerRule"]]
    assert int(test["Priority"]) < int(production["Priority"])
    assert [c["Field"] for c in production["Conditions"]] == ["path-pattern"]
    assert {c["Field"]: c for c in test["Conditions"]}["http-header"]["HttpHeaderConfig"] == {
        "HttpHeaderName": "X-Migrate-Side", "Values": ["test"]}
    assert "ECS shifted all the traffic" in err


def test_abort_stops_the_deployment_ecs_is_running_with_a_rollback(cli: NativeCli, tmp_path: Path) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    running = cli.deploy_elsewhere((("IN_PROGRESS", "BAKE_TIME", 10.0),))  # ECS is mid-canary
    cli.calls.clear()
    status, _, err = cli("abort", str(root), "--target", "ecs")
    assert status == 0, err
    assert f"ECS's deployment {running.arn.rsplit('/', 1)[-1]} stopped with a rollback" in err
    assert "ecs.StopServiceDeployment" in cli.calls.calls and cli.deployments.state(running)[0] == "STOPPED"
    # Nothing under way any more: a second abort stops nothing, and says so.
    cli.calls.clear()
    status, _out, err = cli("abort", str(root), "--target", "ecs")
    assert status == 0 and "ecs.StopServiceDeployment" not in cli.calls.calls
    assert "moved by ECS's own strategy (ecs-canary), no deployment under way: nothing to abort" in err


def test_status_shows_ecs_deployment_and_rollback_says_how_to_go_back(cli: NativeCli, tmp_path: Path) -> None:
    import json

    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    status, out, err = cli("status", str(root), "--target", "ecs")
    assert status == 0, err
    first, second = out.splitlines()
    # (moto counts no running task here: its tasks are the scheduler fake's, not the service's)
    assert first.startswith(f"{APP}: moved by ECS's own strategy (ecs-canary); runs notes-python-flask-postgres:1, ")
    assert first.endswith("/2 tasks running") and second == "  no ECS deployment under way"
    # Mid-canary (another machine's deploy): status shows ECS's stage and weights, as JSON too.
    cli.deployments.script = (("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0),)
    assert deploy(cli, root, IMAGE2, "--wait-timeout", "1")[0] != 0  # gives up following: stops it with a rollback
    assert cli.deployments.state(cli.deployments.deployments[-1])[0] == "STOPPED"
    cli.deploy_elsewhere((("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0),))
    status, out, err = cli("status", str(root), "--target", "ecs", "--json")
    assert status == 0, err
    line = json.loads(out)
    assert line["strategy"] == "ecs-canary" and line["deployment_status"] == "IN_PROGRESS" and list(line["weights"].values()) == [10.0]
    status, out, err = cli("rollback", str(root), "--target", "ecs")
    assert status != 0 and "which keeps no idle version to go back to: deploy the previous image" in err


def test_an_app_ecs_moves_is_not_switched_to_another_strategy(cli: NativeCli, tmp_path: Path) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    cli.calls.clear()
    for other in ("blue-green", "rolling"):
        status, _, err = cli("deploy", str(root), "--image", IMAGE2, "--yes", "--strategy", other)
        assert status != 0 and f"is moved by ECS's own strategy (ecs-canary): switching it to {other} is not supported" in err
    assert cli.calls.mutating == []
    # Another of ECS's strategies is a change of settings ECS makes itself.
    status, out, err = cli("deploy", str(root), "--image", IMAGE2, "--yes", "--strategy", "ecs-linear", "--steps", "25")
    assert status == 0, err
    assert "strategy: ecs-canary: 10 % for 2 min, then all; bake 5 min -> ecs-linear: 25 % more every 5 min; bake 5 min" in out
    assert cli.calls.request("ecs.UpdateService")["deploymentConfiguration"][
        "linearConfiguration"]["stepPercent"] == 25.0


def test_a_smoke_test_through_ecs_test_rule_continues_or_rolls_back_the_paused_deployment(
        cli: NativeCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ECS's pause and ContinueServiceDeployment are played by EcsDeployments; ECS pointing its test listener rule at the
    alternate target group (its test traffic shift) is done here by hand; the balancer's nodes answering are AlbNodes."""
    from migrate.deploy import testroute

    from .alb_nodes import AlbNodes, Node

    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    advanced = cli.calls.request("ecs.CreateService")["loadBalancers"][0]["advancedConfiguration"]
    elbv2 = aws.client("elbv2")
    elbv2.modify_rule(RuleArn=advanced["testListenerRule"], Actions=[
        {"Type": "forward", "TargetGroupArn": advanced["alternateTargetGroupArn"]}])
    listener = advanced["testListenerRule"].replace(":listener-rule/", ":listener/").rsplit("/", 1)[0]
    nodes = AlbNodes(aws, listener, {"10.0.1.7": Node(), "10.0.2.9": Node()}, answers={ALTERNATE: 503})
    monkeypatch.setattr(testroute, "fetch", nodes.fetch)
    monkeypatch.setattr(testroute, "addresses", nodes.addresses)

    status, out, err = deploy(cli, root, IMAGE2, "--smoke", "/healthz")
    assert status != 0
    assert "paused after the test traffic shift for a smoke test" in out  # the plan says ECS will pause
    hooks = cli.calls.request("ecs.UpdateService")["deploymentConfiguration"]["lifecycleHooks"]
    assert hooks == [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                      "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "ROLLBACK"}}]
    assert "ECS paused the deployment for the smoke test" in err
    assert "smoke test FAILED (/healthz 503 from 2 nodes): ECS rolls the deployment back" in err
    assert ("the smoke test through ECS's test listener rule failed (/healthz: 503 from 10.0.1.7; /healthz: 503 from 10.0.2.9); "
            "ECS rolled the deployment back: the old revision serves") in err and "Traceback" not in err
    assert cli.calls.request("ecs.ContinueServiceDeployment")["action"] == "ROLLBACK"
    assert {what for _, path, what in nodes.log} == {ALTERNATE}  # every request reached the test rule's side only

    nodes.answers = {}
    config = root / "migrate.toml"
    config.write_text(config.read_text().replace("[project]", '[deploy]\nsmoke = ["/healthz"]\n\n[project]', 1))
    # (moto keeps the service on the revision ECS rolled back from: the first image is the one a deploy changes now)
    status, out, err = deploy(cli, root, IMAGE)
    assert status == 0, err
    assert "smoke test passed (/healthz 200 from 2 nodes): ECS goes on" in err
    assert cli.calls.request("ecs.ContinueServiceDeployment")["action"] == "CONTINUE"
    assert "ECS shifted all the traffic" in err

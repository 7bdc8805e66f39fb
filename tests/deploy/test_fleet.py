"""The cutover engine on ECS: :func:`open_ecs` over moto, the real engine on a fake clock.

The app is first deployed by the deploy stage itself (its rolling service ``api`` behind the target
group ``shop-api``); the cutover then moves its traffic onto the colour services ``api-blue`` and
``api-green``. moto runs no task and judges no target: the ECS scheduler's part is played by
tests/deploy/scheduler.py's :class:`ColourScheduler`, once per sleep of the fake clock. The weights
asserted are read back from moto's listener, not from the engine's events alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from migrate.cutover.engine import Engine, Settings
from migrate.cutover.events import Event, Result, Shifted
from migrate.cutover.ports import BLUE, GREEN, LockedError, SideStatus
from migrate.deploy.aws import count_calls
from migrate.deploy.cutover import ROLLING, EcsTarget, open_ecs
from migrate.deploy.fleet import STARTED_TAG
from migrate.deploy.plan import apply, make_plan
from migrate.deploy.service import default_network
from migrate.deploy.stack import stack
from tests.cutover.fakes import FakeClock

from .conftest import REGION
from .scheduler import ColourScheduler, deployments_on_update, scheduler_health  # noqa: F401 (a fixture)
from .test_over_http import endpoint  # noqa: F401 (a fixture)
from .test_rollout import TRACEBACK
from .test_service import WEB

FAST = Settings(bake=30, final_bake=60, drain=20, ready_timeout=300, poll=5, count=2)


@dataclass
class Cutover:
    """One app's ECS target, the scheduler playing ECS, and an engine on a fake clock."""

    aws: Any
    target: EcsTarget
    ecs: ColourScheduler
    clock: FakeClock = field(default_factory=FakeClock)
    events: list[Event] = field(default_factory=list)

    def engine(self, settings: Settings = FAST) -> Engine:
        def sleep(seconds: float) -> None:
            self.clock.sleep(seconds)
            self.ecs.tick()  # ECS acts while the engine waits

        return Engine(self.target.router, self.target.fleet, now=self.clock.now, sleep=sleep,
                      on_event=self.events.append, settings=settings)

    def revision(self, tag: str) -> str:
        """Register the app's task definition again with image ``:tag`` (as deploy registers a new image)."""
        ecs = self.aws.client("ecs")
        latest = ecs.describe_task_definition(taskDefinition="shop-api")["taskDefinition"]
        container = {**latest["containerDefinitions"][0], "image": WEB.image.rsplit(":", 1)[0] + ":" + tag}
        keys = ("family", "networkMode", "requiresCompatibilities", "cpu", "memory", "executionRoleArn", "taskRoleArn")
        found = ecs.register_task_definition(**{k: latest[k] for k in keys}, containerDefinitions=[container])
        return str(found["taskDefinition"]["taskDefinitionArn"])

    def forward(self) -> dict[str, int]:
        """The listener's forward action as moto stores it: side -> weight."""
        elbv2 = self.aws.client("elbv2")
        action = elbv2.describe_listeners(ListenerArns=[self.target.router.listener_arn])["Listeners"][0]["DefaultActions"][0]
        names = {arn: side for side, arn in self.target.router.sides.items()}
        if "ForwardConfig" not in action:
            return {names[action["TargetGroupArn"]]: 1}
        return {names[g["TargetGroupArn"]]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}

    def service(self, colour: str) -> dict[str, Any]:
        return dict(self.aws.client("ecs").describe_services(cluster="shop", services=[f"api-{colour}"],
                                                             include=["TAGS"])["services"][0])


@pytest.fixture
def cut(aws: Any, scheduler_health: dict[str, tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> Cutover:  # noqa: F811
    # ECS answers UpdateService with the new PRIMARY deployment in the same call; moto keeps the old one.
    deployments_on_update(monkeypatch, aws)
    apply(make_plan(stack(aws, "shop", (WEB,), default_network(aws))))  # a first, rolling deploy
    scheduler = ColourScheduler(aws, "shop", scheduler_health)
    scheduler.tick()  # the rolling service runs and its targets are healthy
    target = open_ecs(aws, "shop", "api", create=True)
    assert target is not None
    return Cutover(aws, target, scheduler)


def deployed(cut: Cutover, revision: str, settings: Settings = FAST) -> Result:
    result = cut.engine(settings).deploy(revision)
    assert result.status == "succeeded", result
    return result


def test_open_ecs_finds_nothing_before_a_deploy_and_does_not_create_without_asking(aws: Any) -> None:
    assert open_ecs(aws, "shop", "api", create=True) is None  # no balancer: the app was never deployed
    apply(make_plan(stack(aws, "shop", (WEB,), default_network(aws))))
    assert open_ecs(aws, "shop", "api") is None  # no colour target groups, and none made
    assert aws.client("elbv2").describe_target_groups(Names=["shop-api"])["TargetGroups"]
    with pytest.raises(aws.client("elbv2").exceptions.TargetGroupNotFoundException):
        aws.client("elbv2").describe_target_groups(Names=["shop-api-blue"])


def test_the_colour_groups_copy_the_apps_and_the_url_is_the_balancers(cut: Cutover) -> None:
    elbv2 = cut.aws.client("elbv2")
    app, blue = (elbv2.describe_target_groups(Names=[n])["TargetGroups"][0] for n in ("shop-api", "shop-api-blue"))
    for key in ("Port", "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthyThresholdCount", "TargetType", "VpcId"):
        assert blue[key] == app[key], key
    dns = elbv2.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]["DNSName"]
    assert cut.target.url == f"http://{dns}" and cut.target.name == "ecs"


def test_the_first_cutover_moves_the_rolling_deploys_traffic_onto_blue(cut: Cutover) -> None:
    rev1 = cut.revision("v1")
    assert cut.forward() == {ROLLING: 1}  # a plain forward, as the deploy stage made it
    result = deployed(cut, rev1)
    assert "blue takes all the traffic" in result.reason
    assert cut.forward() == {BLUE: 999}  # the rolling group retired from the rule
    blue = cut.service(BLUE)
    assert (blue["taskDefinition"], blue["desiredCount"]) == (rev1, 2)
    assert STARTED_TAG in {t["key"] for t in blue["tags"]}
    # The colour service has the app service's network and sits behind blue's target group.
    app = cut.aws.client("ecs").describe_services(cluster="shop", services=["api"])["services"][0]
    assert blue["networkConfiguration"] == app["networkConfiguration"]
    assert blue["loadBalancers"][0]["targetGroupArn"] == cut.target.router.sides[BLUE]


def test_blue_green_to_revision_2_leaves_blue_at_zero_with_its_revision(cut: Cutover) -> None:
    rev1, rev2 = cut.revision("v1"), cut.revision("v2")
    deployed(cut, rev1)
    deployed(cut, rev2)
    assert cut.forward() == {BLUE: 0, GREEN: 999}
    blue, green = cut.service(BLUE), cut.service(GREEN)
    assert (blue["taskDefinition"], blue["desiredCount"]) == (rev1, 0)  # the rollback target, kept
    assert (green["taskDefinition"], green["desiredCount"]) == (rev2, 2)  # the live count copied
    status = cut.target.fleet.status(GREEN)
    assert (status.revision, status.running, status.healthy, status.failure) == (rev2, 2, 2, None)
    assert deployed(cut, rev2).reason.startswith("green already runs")  # idempotent: nothing moves


def test_canary_steps_are_read_back_from_the_rule(cut: Cutover) -> None:
    rev1, rev2 = cut.revision("v1"), cut.revision("v2")
    deployed(cut, rev1)
    cut.events.clear()
    deployed(cut, rev2, Settings(**{**FAST.__dict__, "strategy": "canary"}))
    steps = [dict(e.weights)[GREEN] for e in cut.events if isinstance(e, Shifted)]
    assert steps == [10, 50, 100]
    assert cut.forward() == {BLUE: 0, GREEN: 999}


def test_a_revision_that_never_gets_healthy_moves_no_weight_and_is_stopped(cut: Cutover) -> None:
    rev1, bad = cut.revision("v1"), cut.revision("bad")
    deployed(cut, rev1)
    cut.ecs.health_of[bad] = ("unhealthy", "Target.FailedHealthChecks", "Health checks failed with these codes: [500]")
    calls = count_calls(cut.aws)
    result = cut.engine().deploy(bad)
    assert result.status == "failed"
    assert "unhealthy" in result.reason and any("Target.FailedHealthChecks" in line for line in result.diagnosis)
    assert not [c for c in calls if c in ("elbv2.ModifyListener", "elbv2.ModifyRule")]  # weights never moved
    assert cut.forward() == {BLUE: 999}
    green = cut.service(GREEN)
    assert (green["taskDefinition"], green["desiredCount"]) == (bad, 0)


def test_a_colour_whose_new_revision_failed_is_parked_back_on_the_revision_that_served(cut: Cutover) -> None:
    rev1, rev2, bad = cut.revision("v1"), cut.revision("v2"), cut.revision("bad")
    deployed(cut, rev1)
    deployed(cut, rev2)  # green serves rev2, blue holds rev1 at 0 tasks
    cut.ecs.health_of[bad] = ("unhealthy", "Target.FailedHealthChecks", "Health checks failed with these codes: [500]")
    assert cut.engine().deploy(bad).status == "failed"
    blue = cut.service(BLUE)
    assert (blue["taskDefinition"], blue["desiredCount"]) == (rev1, 0)  # not the bad revision
    cut.ecs.tick()  # ECS stops the failed tasks and deregisters their targets before anyone rolls back
    assert cut.aws.client("elbv2").describe_target_health(TargetGroupArn=cut.target.router.sides[BLUE])["TargetHealthDescriptions"] == []
    result = cut.engine().rollback()
    assert result.status == "succeeded", result
    assert cut.forward() == {BLUE: 999, GREEN: 0} and cut.service(BLUE)["taskDefinition"] == rev1


def test_a_crashing_revision_is_diagnosed_with_its_log_tail_and_stopped(cut: Cutover) -> None:
    rev1, crash = cut.revision("v1"), cut.revision("crash")
    deployed(cut, rev1)
    cut.ecs.crashes[crash] = ("Essential container in task exited", 1, TRACEBACK)
    result = cut.engine().deploy(crash)
    assert result.status == "failed" and "a task of shop-api:3 stopped" in result.reason
    assert "  container api: exit code 1" in result.diagnosis and f"    {TRACEBACK[-1]}" in result.diagnosis
    assert cut.forward() == {BLUE: 999} and cut.service(GREEN)["desiredCount"] == 0


def test_rollback_shifts_back_onto_the_previous_revision(cut: Cutover) -> None:
    rev1, rev2 = cut.revision("v1"), cut.revision("v2")
    deployed(cut, rev1)
    deployed(cut, rev2)
    result = cut.engine().rollback()
    assert result.status == "succeeded", result
    assert cut.forward() == {BLUE: 999, GREEN: 0}
    assert (cut.service(BLUE)["taskDefinition"], cut.service(BLUE)["desiredCount"]) == (rev1, 2)
    assert cut.service(GREEN)["desiredCount"] == 0


def test_an_external_side_reports_its_registered_and_healthy_targets(cut: Cutover) -> None:
    elbv2 = cut.aws.client("elbv2")
    vpc = elbv2.describe_target_groups(Names=["shop-api"])["TargetGroups"][0]["VpcId"]
    legacy = elbv2.create_target_group(Name="shop-api-legacy", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    cut.ecs.health["10.1.0.7"] = ("unhealthy", "Target.Timeout", "Request timed out")
    elbv2.register_targets(TargetGroupArn=legacy, Targets=[{"Id": "10.1.0.6", "Port": 80}, {"Id": "10.1.0.7", "Port": 80}])
    target = open_ecs(cut.aws, "shop", "api")  # the old servers' group, named after the app's, is found
    assert target is not None
    assert target.fleet.status("legacy") == SideStatus(None, 2, 2, 1)


def test_a_second_cutover_is_refused_naming_the_holder(cut: Cutover) -> None:
    with cut.target.lock("alice@ci (pid 1)"):
        with pytest.raises(LockedError) as refused:
            with cut.target.lock("bob@laptop (pid 2)"):
                pass
        assert refused.value.holder == "alice@ci (pid 1)" and "alice@ci (pid 1)" in str(refused.value)
    with cut.target.lock("bob@laptop (pid 2)"):  # released at the end of the first
        pass


def test_the_ecs_targets_lock_takes_over_one_left_by_an_ended_process_of_this_machine_and_says_whose(cut: Cutover) -> None:
    import socket
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = f"ci@{socket.gethostname()} (pid {child.pid})"
    held = cut.target.lock(dead)
    held.__enter__()  # killed holding it
    heard: list[str] = []
    with cut.target.lock("bob", took_over=heard.append):
        pass
    assert heard == [dead]


def test_a_stale_lock_is_broken_only_when_asked(cut: Cutover) -> None:
    held = cut.target.lock("dead@runner (pid 9)")
    held.__enter__()  # a cutover that died holding it
    with pytest.raises(LockedError):
        with cut.target.lock("bob"):
            pass
    with cut.target.lock("bob", break_stale=True):
        pass


def test_aws_calls_per_deploy_are_counted(cut: Cutover) -> None:
    rev1, rev2, rev3 = cut.revision("v1"), cut.revision("v2"), cut.revision("v3")
    deployed(cut, rev1)
    counts = []
    for revision, first_mutations in ((rev2, ["ecs.CreateService"]), (rev3, ["ecs.UpdateService", "ecs.TagResource"])):
        calls = count_calls(cut.aws)
        deployed(cut, revision)
        mutating = [c for c in calls if not c.split(".", 1)[1].startswith(("Describe", "List", "Get"))]
        # The idle colour started (created, or moved to the revision and tagged), one weight change,
        # the old colour scaled to 0: nothing else changes on AWS.
        assert mutating == [*first_mutations, "elbv2.ModifyListener", "ecs.UpdateService"]
        counts.append(len(calls))
    # Reads: each poll reads the rule and both colours; bounded, so that a change that multiplies them shows.
    assert all(0 < n < 150 for n in counts), counts


def test_the_gates_reuse_the_started_stamp_the_fleet_read_or_wrote(cut: Cutover) -> None:
    """Each gate check asks when the incoming colour started: from what status read, or start wrote, not a new DescribeServices."""
    rev1 = cut.revision("v1")
    deployed(cut, rev1)
    fleet = cut.target.fleet
    calls = count_calls(cut.aws)
    blue = fleet.status(BLUE)
    described = calls.count("ecs.DescribeServices")
    assert fleet.started_at(BLUE) == blue.started is not None and calls.count("ecs.DescribeServices") == described
    fleet.start(GREEN, rev1, 1)
    described = calls.count("ecs.DescribeServices")
    tags = cut.aws.client("ecs").describe_services(cluster="shop", services=["api-green"], include=["TAGS"])["services"][0]["tags"]
    written = float(next(t["value"] for t in tags if t["key"] == STARTED_TAG))
    assert fleet.started_at(GREEN) == written and calls.count("ecs.DescribeServices") == described + 1  # +1: the read just above
    # A fleet that has read nothing yet describes once, then remembers.
    fresh = open_ecs(cut.aws, "shop", "api")
    assert fresh is not None
    calls = count_calls(cut.aws)
    assert fresh.fleet.started_at(GREEN) == written == fresh.fleet.started_at(GREEN)
    assert calls.count("ecs.DescribeServices") == 1


def test_blue_green_over_moto_server(endpoint: str, scheduler_health: dict[str, tuple[str, str, str]],  # noqa: F811
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cutover through AWS_ENDPOINT_URL (moto's server in a thread): the calls go over HTTP,
    the scheduler plays ECS on the server's backend."""
    import urllib.request

    try:
        _blue_green_over(endpoint, scheduler_health, monkeypatch)
    finally:  # the server's backends outlive the test (mock_aws's do not): reset them for the next test
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()


def _blue_green_over(url: str, health: dict[str, tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.deploy.aws import connect

    aws = connect(REGION)
    assert aws.client("ecs").meta.endpoint_url == url
    deployments_on_update(monkeypatch, aws)
    apply(make_plan(stack(aws, "shop", (WEB,), default_network(aws))))
    scheduler = ColourScheduler(aws, "shop", health)
    scheduler.tick()
    target = open_ecs(aws, "shop", "api", create=True)
    assert target is not None
    cut = Cutover(aws, target, scheduler)
    rev1, rev2 = cut.revision("v1"), cut.revision("v2")
    deployed(cut, rev1)
    calls = count_calls(aws)
    deployed(cut, rev2)
    assert cut.forward() == {BLUE: 0, GREEN: 999}
    assert calls.count("elbv2.ModifyListener") == 1 and calls.count("ecs.CreateService") == 1

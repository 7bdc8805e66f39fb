"""The ALB router of the cutover engine, on moto: weights set in one call and read back from AWS every time.

The listener and the app's target group are made by the deploy stage's own classes (the routing a
first deploy leaves behind); the cutover's side target groups are made from the app's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from migrate.cutover.engine import Engine, Settings
from migrate.cutover.events import Event, Mismatch
from migrate.cutover.ports import BLUE, GREEN
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError
from migrate.deploy.loadbalancer import HealthCheck, Listener, LoadBalancer, Route, TargetGroup
from migrate.deploy.network import SecurityGroup
from migrate.deploy.router import ALB_MAX_WEIGHT, AlbRouter, side_target_group
from tests.cutover.fakes import External, FakeClock, FakeFleet, Tripwire

from .conftest import CallLog

LEGACY = "legacy"
MUTATING = ["elbv2.ModifyRule", "elbv2.ModifyListener"]


@dataclass
class Alb:
    """A balancer whose listener routes the app (by ``paths``, or by default) to its target group, and the side groups."""

    aws: Any
    listener_arn: str
    app: TargetGroup
    sides: dict[str, TargetGroup]
    paths: tuple[str, ...]

    def router(self) -> AlbRouter:
        return AlbRouter(self.aws, self.listener_arn, {s: str(g.arn) for s, g in self.sides.items()}, self.paths)

    def arn(self, side: str) -> str:
        return str(self.sides[side].arn)


def _alb(aws: Any, paths: tuple[str, ...] = ()) -> Alb:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = tuple(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"]
                    for i, z in enumerate("ab"))
    group = SecurityGroup(aws, "shop", "shop-alb", vpc, "balancer", ((80, "0.0.0.0/0"),))
    group.create()
    balancer = LoadBalancer(aws, "shop", "shop", subnets, group)
    balancer.create()
    app = TargetGroup(aws, "web", "shop-web", vpc, 8000, HealthCheck("/health"), 20)
    app.create()
    routes = (Route(app, paths),) if paths else (Route(app),)
    if paths:  # another app takes every other request, as in a monorepo
        other = TargetGroup(aws, "api", "shop-api", vpc, 8000, HealthCheck("/health"), 20)
        other.create()
        routes = (*routes, Route(other))
    Listener(aws, "shop", balancer, routes).create()
    listener_arn = aws.client("elbv2").describe_listeners(LoadBalancerArn=balancer.arn)["Listeners"][0]["ListenerArn"]
    sides = {side: side_target_group(app, side) for side in (BLUE, GREEN, LEGACY)}
    for g in sides.values():
        g.create()
    return Alb(aws, listener_arn, app, sides, paths)


@pytest.fixture(params=[(), ("/shop/*",)], ids=["default-action", "path-rule"])
def alb(request: pytest.FixtureRequest, aws: Any) -> Alb:
    return _alb(aws, request.param)


def _forward(alb: Alb) -> dict[str, Any]:
    """The app's forward action as AWS stores it."""
    elbv2 = alb.aws.client("elbv2")
    if alb.paths:
        rule = next(r for r in elbv2.describe_rules(ListenerArn=alb.listener_arn)["Rules"] if not r["IsDefault"])
        return dict(rule["Actions"][0])
    return dict(elbv2.describe_listeners(ListenerArns=[alb.listener_arn])["Listeners"][0]["DefaultActions"][0])


@pytest.mark.parametrize("weights", [{BLUE: 0, GREEN: 999}, {BLUE: 100, GREEN: 899}, {BLUE: 999, GREEN: 0},
                                     {LEGACY: 899, BLUE: 100}, {LEGACY: 0, BLUE: 999}])
def test_weights_set_in_one_call_read_back_as_set(alb: Alb, calls: CallLog, weights: dict[str, int]) -> None:
    router = alb.router()
    calls.clear()
    router.set_weights(weights)
    assert calls.mutating == [MUTATING[0] if alb.paths else MUTATING[1]]
    assert router.weights() == weights
    stored = _forward(alb)["ForwardConfig"]
    assert {g["TargetGroupArn"]: g["Weight"] for g in stored["TargetGroups"]} == {alb.arn(s): w for s, w in weights.items()}
    assert stored["TargetGroupStickinessConfig"]["Enabled"] is False


def test_the_routing_a_deploy_left_reads_as_the_app_group_at_full_weight(alb: Alb) -> None:
    router = AlbRouter(alb.aws, alb.listener_arn, {BLUE: str(alb.app.arn)}, alb.paths)
    assert router.max_weight == ALB_MAX_WEIGHT == 999
    assert router.weights() == {BLUE: 999}


def test_a_side_left_out_leaves_the_forward_action(alb: Alb) -> None:
    router = alb.router()
    router.set_weights({LEGACY: 899, BLUE: 100})
    router.set_weights({BLUE: 999})
    assert router.weights() == {BLUE: 999}
    assert [g["TargetGroupArn"] for g in _forward(alb)["ForwardConfig"]["TargetGroups"]] == [alb.arn(BLUE)]


def test_reads_are_never_cached_someone_elses_change_is_seen(alb: Alb) -> None:
    router = alb.router()
    router.set_weights({BLUE: 899, GREEN: 100})
    assert router.weights() == {BLUE: 899, GREEN: 100}
    AlbRouter(alb.aws, alb.listener_arn, {"x": alb.arn(GREEN), "y": alb.arn(BLUE)}, alb.paths).set_weights({"x": 500, "y": 499})
    assert router.weights() == {GREEN: 500, BLUE: 499}


def test_a_target_group_of_no_known_side_is_named_by_its_arn_and_can_be_kept(alb: Alb) -> None:
    router = AlbRouter(alb.aws, alb.listener_arn, {BLUE: alb.arn(BLUE)}, alb.paths)
    foreign = alb.arn(GREEN)
    router.set_weights({BLUE: 999, foreign: 0})
    assert router.weights() == {BLUE: 999, foreign: 0}


@pytest.mark.parametrize(("weights", "message"), [({BLUE: 1000}, "range 0-999"), ({BLUE: -1, GREEN: 999}, "range"),
                                                  ({BLUE: 0, GREEN: 0}, "no side would take"), ({}, "no side"),
                                                  ({"purple": 999}, "no target group for purple")])
def test_impossible_weights_are_refused_before_any_call(alb: Alb, calls: CallLog, weights: dict[str, int], message: str) -> None:
    calls.clear()
    with pytest.raises(DeployError, match=message):
        alb.router().set_weights(weights)
    assert calls.mutating == []


def test_drain_changes_nothing_on_alb(alb: Alb, calls: CallLog) -> None:
    router = alb.router()
    router.set_weights({BLUE: 0, GREEN: 999})
    calls.clear()
    router.drain(BLUE)
    assert calls.calls == []


def test_no_rule_for_the_paths_is_one_clear_error(aws: Any) -> None:
    alb = _alb(aws, ("/shop/*",))
    with pytest.raises(DeployError, match=r"no rule for /other/\*") as caught:
        AlbRouter(aws, alb.listener_arn, {BLUE: alb.arn(BLUE)}, ("/other/*",)).weights()
    assert "migrate deploy" in str(caught.value.hint)


def test_a_routing_that_does_more_than_forward_is_left_alone(alb: Alb, calls: CallLog) -> None:
    """A redirect (or an authentication step before the forward) would be lost by replacing the actions."""
    elbv2 = alb.aws.client("elbv2")
    balancer = elbv2.describe_listeners(ListenerArns=[alb.listener_arn])["Listeners"][0]["LoadBalancerArn"]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    listener = elbv2.create_listener(LoadBalancerArn=balancer, Port=8080, Protocol="HTTP", DefaultActions=redirect)["Listeners"][0]
    router = AlbRouter(alb.aws, listener["ListenerArn"], {BLUE: alb.arn(BLUE)})
    assert router.weights() == {}
    calls.clear()
    with pytest.raises(DeployError, match="does redirect, not only a forward"):
        router.set_weights({BLUE: 999})
    assert calls.mutating == []


def test_a_missing_permission_is_one_line(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    router = alb.router()
    elbv2 = alb.aws.client("elbv2")

    def denied(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ModifyRule")

    monkeypatch.setattr(elbv2, "modify_rule", denied)
    monkeypatch.setattr(elbv2, "modify_listener", denied)
    action = "ModifyRule" if alb.paths else "ModifyListener"
    with pytest.raises(DeployError, match=f"missing permission elasticloadbalancing:{action} on "):
        router.set_weights({BLUE: 999})


def test_the_request_matches_the_real_api_model(alb: Alb) -> None:
    """moto accepts more than AWS: botocore's Stubber checks the very request against ELBv2's model."""
    from botocore.stub import Stubber

    real = alb.aws.client("elbv2")
    answer = real.describe_rules(ListenerArn=alb.listener_arn) if alb.paths else \
        real.describe_listeners(ListenerArns=[alb.listener_arn])
    stubbed = alb.aws.session.client("elbv2", region_name=alb.aws.region)
    router = dataclasses.replace(alb.router(), aws=Aws(alb.aws.session, alb.aws.region, {"elbv2": stubbed}))
    with Stubber(stubbed) as stub:
        if alb.paths:
            stub.add_response("describe_rules", {"Rules": answer["Rules"]})
            stub.add_response("modify_rule", {"Rules": []})
        else:
            stub.add_response("describe_listeners", {"Listeners": answer["Listeners"]})
            stub.add_response("modify_listener", {"Listeners": []})
        router.set_weights({BLUE: 100, GREEN: 899, LEGACY: 0})
        stub.assert_no_pending_responses()


@dataclass
class Cutover:
    """The engine over the ALB router and the in-memory fleet, blue live at rev-1 with all the traffic."""

    router: AlbRouter
    fleet: FakeFleet
    engine: Engine
    events: list[Event]


def _cutover(alb: Alb, after_set: Callable[[dict[str, int]], None], live: str = BLUE) -> Cutover:
    """``after_set`` runs after each of the engine's ``set_weights`` calls, with the weights it set;
    ``live``: blue at rev-1, or the old servers (an external side of two addresses)."""
    router = alb.router()
    router.set_weights({live: 999})
    clock = FakeClock()
    fleet = FakeFleet(clock, Tripwire())
    if live == BLUE:
        fleet.run(BLUE, "rev-1", 2)
    else:
        fleet.externals[live] = External(addresses=2)
    original = router.set_weights

    def set_then(weights: Mapping[str, int]) -> None:
        original(weights)
        after_set(dict(weights))

    router.set_weights = set_then  # type: ignore[method-assign]
    events: list[Event] = []
    engine = Engine(router, fleet, now=clock.now, sleep=clock.sleep, on_event=events.append,
                    settings=Settings(strategy="canary", canary_steps=(10, 50, 100)))
    return Cutover(router, fleet, engine, events)


def test_the_engine_drives_a_canary_to_completion_on_the_alb(alb: Alb) -> None:
    seen: list[dict[str, int]] = []
    run = _cutover(alb, lambda _: seen.append(dict(run.router.weights())))
    result = run.engine.deploy("rev-2")
    assert result.succeeded, result.reason
    assert seen == [{BLUE: 899, GREEN: 100}, {BLUE: 500, GREEN: 500}, {BLUE: 0, GREEN: 999}]
    assert run.router.weights() == {BLUE: 0, GREEN: 999}
    assert not [e for e in run.events if isinstance(e, Mismatch)]
    assert run.fleet.status(BLUE).desired == 0 and run.fleet.status(GREEN).revision == "rev-2"


def test_the_engine_sees_a_rule_changed_behind_its_back(alb: Alb) -> None:
    """A forward action rewritten by someone else between the set and the read is a mismatch, and the cutover goes back."""
    meddler = AlbRouter(alb.aws, alb.listener_arn, {BLUE: alb.arn(BLUE), GREEN: alb.arn(GREEN)}, alb.paths)

    def someone_else(weights: dict[str, int]) -> None:
        if weights == {BLUE: 899, GREEN: 100}:
            meddler.set_weights({BLUE: 499, GREEN: 500})

    run = _cutover(alb, someone_else)
    result = run.engine.deploy("rev-2")
    assert result.status == "failed"
    assert [(e.planned, e.read) for e in run.events if isinstance(e, Mismatch)] == [
        (((BLUE, 899), (GREEN, 100)), ((BLUE, 499), (GREEN, 500)))]
    assert run.router.weights() == {BLUE: 999, GREEN: 0}  # put back on blue in one call
    assert run.fleet.status(GREEN).desired == 0


def test_a_migration_moves_off_the_old_servers_and_takes_their_group_out_of_the_rule(alb: Alb) -> None:
    seen: list[dict[str, int]] = []
    run = _cutover(alb, lambda _: seen.append(dict(run.router.weights())), live=LEGACY)
    result = run.engine.deploy("rev-1")
    assert result.succeeded, result.reason
    assert seen == [{LEGACY: 899, BLUE: 100}, {LEGACY: 500, BLUE: 500}, {LEGACY: 0, BLUE: 999}, {BLUE: 999}]
    assert [g["TargetGroupArn"] for g in _forward(alb)["ForwardConfig"]["TargetGroups"]] == [alb.arn(BLUE)]


def test_a_side_group_is_the_apps_under_its_own_name(aws: Any) -> None:
    alb = _alb(aws)
    green = alb.sides[GREEN]
    assert green.name == "shop-web-green" and green.arn != alb.app.arn
    observed = green.observe()
    assert observed is not None and dict(observed.fields) == dict(alb.app.desired)
    tg = aws.client("elbv2").describe_target_groups(Names=[green.name])["TargetGroups"][0]
    assert (tg["TargetType"], tg["Port"], tg["HealthCheckPath"]) == ("ip", 8000, "/health")


# ------------------------------------------------------------------ the deploy stage's listener beside a cutover
def _listener(alb: Alb, paths: tuple[str, ...]) -> Listener:
    """The listener as the next deploy plans it: the app's route (by ``paths``, or the default) and, with paths, the other app's."""
    elbv2 = alb.aws.client("elbv2")
    balancer_arn = elbv2.describe_listeners(ListenerArns=[alb.listener_arn])["Listeners"][0]["LoadBalancerArn"]
    balancer = LoadBalancer(alb.aws, "shop", "shop", (), None)  # type: ignore[arg-type]  # only its ARN is read
    balancer.arn = balancer_arn
    app = dataclasses.replace(alb.app)
    routes = (Route(app, paths),) if paths else (Route(app),)
    if alb.paths:
        other = TargetGroup(alb.aws, "api", "shop-api", alb.app.vpc_id, 8000, HealthCheck("/health"), 20)
        other.observe()
        routes = (*routes, Route(other))
    return Listener(alb.aws, "shop", balancer, routes)


def test_a_deploy_keeps_the_weights_a_cutover_set_on_the_apps_route(alb: Alb) -> None:
    from migrate.deploy.plan import apply, make_plan

    alb.router().set_weights({BLUE: 100, GREEN: 899})
    weighted = _forward(alb)
    plan = make_plan([_listener(alb, alb.paths)])
    assert [s.action for s in plan.steps] == ["unchanged"]  # the weighted forward is the app's route
    if not alb.paths:
        return
    # The app's paths change: its new rule carries the cutover's weights, not a plain forward to its group.
    plan = make_plan([_listener(alb, ("/shop/*", "/store/*"))])
    assert [s.action for s in plan.steps] == ["update"]
    apply(plan)
    rules = [r for r in alb.aws.client("elbv2").describe_rules(ListenerArn=alb.listener_arn)["Rules"] if not r["IsDefault"]]
    assert len(rules) == 1 and sorted(rules[0]["Conditions"][0]["PathPatternConfig"]["Values"]) == ["/shop/*", "/store/*"]
    assert rules[0]["Actions"][0]["ForwardConfig"] == weighted["ForwardConfig"]
    assert dataclasses.replace(alb.router(), paths=("/shop/*", "/store/*")).weights() == {BLUE: 100, GREEN: 899}

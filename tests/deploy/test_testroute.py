"""The smoke test's route on ECS, on moto: a rule naming the colour by header, made as a marker, then a forward,
and gone after. ALB's nodes answering by those rules, each late, are :mod:`tests.deploy.alb_nodes`'s."""

from __future__ import annotations

from typing import Any

import pytest

from migrate.cutover.ports import BLUE, GREEN, SIDE_HEADER, Answer
from migrate.deploy import testroute
from migrate.deploy.loadbalancer import app_rules, is_test_rule
from migrate.deploy.testroute import ABOVE, LAST_PRIORITY, MARKER_STATUS, AlbTestRoute
from tests.cutover.fakes import FakeClock

from .alb_nodes import AlbNodes, Node
from .test_router import Alb, _alb

NODES = ("10.0.1.7", "10.0.2.9")


@pytest.fixture(params=[(), ("/shop/*",)], ids=["default-action", "path-rule"])
def alb(request: pytest.FixtureRequest, aws: Any) -> Alb:
    """The app takes every request (the listener's default action), or those of its path rule (another app the rest)."""
    return _alb(aws, request.param)


def _route(alb: Alb, clock: FakeClock, **kwargs: Any) -> AlbTestRoute:
    sides = {side: str(group.arn) for side, group in alb.sides.items()}
    return AlbTestRoute(alb.aws, alb.listener_arn, sides, alb.paths, "shop-123.eu-west-1.elb.amazonaws.com",
                        now=clock.now, sleep=clock.sleep, **kwargs)


def _nodes(alb: Alb, monkeypatch: pytest.MonkeyPatch, lags: tuple[int, ...] = (0, 0)) -> AlbNodes:
    nodes = AlbNodes(alb.aws, alb.listener_arn, {address: Node(lag) for address, lag in zip(NODES, lags, strict=True)})
    monkeypatch.setattr(testroute, "fetch", nodes.fetch)
    monkeypatch.setattr(testroute, "addresses", nodes.addresses)
    nodes.settle()
    return nodes


def _rules(alb: Alb) -> list[dict[str, Any]]:
    return [r for r in alb.aws.client("elbv2").describe_rules(ListenerArn=alb.listener_arn)["Rules"] if not r.get("IsDefault")]


def _path(alb: Alb) -> str:
    return "/shop/healthz" if alb.paths else "/healthz"


def test_the_rule_names_the_colour_on_the_apps_paths_just_above_its_own_rule(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    _nodes(alb, monkeypatch)
    route = _route(alb, FakeClock())
    route.open(GREEN)
    (test,) = [r for r in _rules(alb) if is_test_rule(r)]
    fields = {c["Field"]: c for c in test["Conditions"]}
    assert fields["http-header"]["HttpHeaderConfig"] == {"HttpHeaderName": SIDE_HEADER, "Values": [GREEN]}
    if alb.paths:
        (own,) = app_rules(_rules(alb))
        assert int(test["Priority"]) == int(own["Priority"]) - ABOVE
        assert fields["path-pattern"]["PathPatternConfig"]["Values"] == list(alb.paths)
    else:
        assert int(test["Priority"]) == LAST_PRIORITY and set(fields) == {"http-header"}
    assert test["Actions"][0]["Type"] == "fixed-response"
    assert test["Actions"][0]["FixedResponseConfig"]["StatusCode"] == str(MARKER_STATUS)
    route.close(GREEN)
    assert not any(is_test_rule(r) for r in _rules(alb))


@pytest.mark.parametrize("lags", [(0, 0), (3, 0), (0, 5)], ids=["prompt", "first-node-late", "second-node-later"])
def test_the_answer_judged_is_the_colours_even_from_nodes_that_see_the_rule_late(
        alb: Alb, monkeypatch: pytest.MonkeyPatch, lags: tuple[int, int]) -> None:
    nodes = _nodes(alb, monkeypatch, lags)
    nodes.answers = {"shop-web-green": 503}  # the live side would pass; only green's own answer fails
    clock = FakeClock()
    route = _route(alb, clock)
    route.open(GREEN)
    assert route.get(GREEN, _path(alb)) == Answer(503)
    # Before the rule reached a node, that node answered from the live routing: never judged.
    judged = [what for node, path, what in nodes.log]
    assert {node: what for node, _, what in nodes.log} == dict.fromkeys(NODES, "shop-web-green")  # each node's last
    assert judged.count("shop-web") == sum(lags)  # the live routing, each late node's
    nodes.answers = {}
    assert route.get(GREEN, _path(alb)) == Answer(200)
    route.close(GREEN)
    assert not any(is_test_rule(r) for r in _rules(alb))


def test_a_node_that_never_sees_the_rule_is_no_pass(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    _nodes(alb, monkeypatch, (0, 10_000))
    clock = FakeClock()
    route = _route(alb, clock, timeout=30)
    route.open(GREEN)
    answer = route.get(GREEN, _path(alb))
    assert answer.status is None and NODES[1] in answer.error and "within 30 s" in answer.error
    assert 30 <= clock.t <= 32
    route.close(GREEN)


def test_a_rule_left_by_a_command_that_died_is_replaced_and_the_apps_rules_are_untouched(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    _nodes(alb, monkeypatch)
    route = _route(alb, FakeClock())
    route.open(BLUE)  # the process dies here: the rule stays
    before = app_rules(_rules(alb))
    fresh = _route(alb, FakeClock())
    fresh.open(GREEN)
    tests = [r for r in _rules(alb) if is_test_rule(r)]
    assert len(tests) == 1 and tests[0]["Conditions"][-1]["HttpHeaderConfig"]["Values"] == [GREEN]
    assert app_rules(_rules(alb)) == before  # the app's own rules are untouched
    assert fresh.get(GREEN, _path(alb)) == Answer(200)
    fresh.close(GREEN)


def test_names_that_do_not_resolve_are_an_answer_not_a_crash(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    route = _route(alb, FakeClock())
    monkeypatch.setattr(testroute.socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(OSError("Name or service not known")))
    route.open(GREEN)
    answer = route.get(GREEN, "/")
    assert answer.status is None and "does not resolve" in answer.error
    route.close(GREEN)


def test_ecs_test_rule_smoke_test_waits_for_the_rule_then_asks_every_node(alb: Alb, monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = _nodes(alb, monkeypatch)
    nodes.answers = {"shop-web": 502}
    clock = FakeClock()
    answered, failed = testroute.smoke_test_rule("shop-1.elb.amazonaws.com", 80, False, ("X-Migrate-Side", "test"),
                                                 [_path(alb), "/missing" if not alb.paths else "/shop/missing"], sleep=clock.sleep)
    assert clock.t == testroute.PROPAGATION  # ALB applies ECS's rule change node by node: waited before asking
    assert answered == [f"{_path(alb)} 502 from 2 nodes", f"{'/shop' if alb.paths else ''}/missing 502 from 2 nodes"]
    assert failed[0] == f"{_path(alb)}: 502 from {NODES[0]}" and len(failed) == 4

    def unresolved(name: str, port: int) -> list[str]:
        raise testroute.DeployError(f"the load balancer's name {name} does not resolve")

    monkeypatch.setattr(testroute, "addresses", unresolved)
    assert testroute.smoke_test_rule("shop-1", 80, False, ("X-Migrate-Side", "test"), ["/"], sleep=clock.sleep) == (
        [], ["the load balancer's name shop-1 does not resolve"])

"""The ECS target's gates from the ALB's CloudWatch metrics (migrate/deploy/gates.py).

moto 5.2.5's GetMetricData cannot compute a percentile (asked for ``p99`` over data it holds, it
fails to serialise its answer), so the calls go through botocore's Stubber: it checks each request
against the real API model, and the answers are of the documented shape. Time is a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from migrate.deploy.aws import Aws
from migrate.deploy.gates import ErrorRateGate, LatencyGate, Window, cloudwatch_gates, dimension

BALANCER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188"
GROUPS = {side: f"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-api-{side}/73e2d6bc24d8a06{n}"
          for n, side in enumerate(("blue", "green"))}
NOW = 1_800_000_030.0  # 30 s into a minute
STARTED = {"blue": NOW - 290, "green": NOW - 3600}


@pytest.fixture
def cloudwatch() -> Iterator[tuple[Aws, Stubber]]:
    session = boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    aws = Aws(session, "eu-west-1")
    with Stubber(aws.client("cloudwatch")) as stub:
        yield aws, stub
        stub.assert_no_pending_responses()


def window(aws: Aws) -> Window:
    return Window(aws, BALANCER, GROUPS, STARTED.get, now=lambda: NOW)


def minute(n: int) -> datetime:
    """The start of the minute ``n`` minutes before NOW's."""
    return datetime.fromtimestamp(NOW - NOW % 60 - 60 * n, UTC)


def answer(**series: list[tuple[int, float]]) -> dict[str, Any]:
    """GetMetricData's answer: query id -> (minutes ago, value)."""
    return {"MetricDataResults": [{"Id": key, "Label": key, "StatusCode": "Complete",
                                   "Timestamps": [minute(n) for n, _ in values], "Values": [v for _, v in values]}
                                  for key, values in series.items()]}


def expect(stub: Stubber, response: dict[str, Any], start: float = STARTED["blue"]) -> None:
    stub.add_response("get_metric_data", response, {
        "MetricDataQueries": ANY, "ScanBy": "TimestampAscending",
        "StartTime": datetime.fromtimestamp(start - start % 60, UTC), "EndTime": datetime.fromtimestamp(NOW, UTC)})


def test_the_dimensions_are_cloudwatchs_and_the_request_asks_each_metric_of_the_side(cloudwatch: tuple[Aws, Stubber]) -> None:
    aws, stub = cloudwatch
    assert dimension(BALANCER) == "app/shop/50dc6c495c0c9188"
    assert dimension(GROUPS["blue"]) == "targetgroup/shop-api-blue/73e2d6bc24d8a060"
    seen: list[dict[str, Any]] = []
    aws.client("cloudwatch").meta.events.register("before-parameter-build.cloudwatch.GetMetricData",
                                                  lambda params, **_: seen.append(params))
    expect(stub, answer())
    window(aws).traffic(["blue"])
    queries = {q["Id"]: q["MetricStat"] for q in seen[0]["MetricDataQueries"]}
    assert {k: (v["Metric"]["MetricName"], v["Stat"], v["Period"]) for k, v in queries.items()} == {
        "requ0": ("RequestCount", "Sum", 60), "http0": ("HTTPCode_Target_5XX_Count", "Sum", 60),
        "targ0": ("TargetResponseTime", "p99", 60)}
    assert queries["requ0"]["Metric"]["Dimensions"] == [{"Name": "LoadBalancer", "Value": "app/shop/50dc6c495c0c9188"},
                                                         {"Name": "TargetGroup", "Value": "targetgroup/shop-api-blue/73e2d6bc24d8a060"}]


def test_a_side_answering_5xx_above_the_limit_fails_the_gate(cloudwatch: tuple[Aws, Stubber]) -> None:
    aws, stub = cloudwatch
    expect(stub, answer(requ0=[(2, 60.0), (1, 60.0)], http0=[(1, 3.0)], targ0=[]))
    verdict = ErrorRateGate(window(aws)).check("blue")
    assert not verdict.passed and verdict.detail == "blue: 3 of 120 answers 5xx (2.5%, limit 1.0%)"


def test_minutes_before_the_side_started_are_not_its_own(cloudwatch: tuple[Aws, Stubber]) -> None:
    """Blue's target group served an earlier revision until 10 minutes ago: those errors are not this one's."""
    aws, stub = cloudwatch
    expect(stub, answer(requ0=[(9, 500.0), (3, 100.0)], http0=[(9, 400.0)], targ0=[]))
    verdict = ErrorRateGate(window(aws)).check("blue")
    assert verdict.passed and "0 of 100 answers" in verdict.detail


def test_too_few_requests_are_not_judged(cloudwatch: tuple[Aws, Stubber]) -> None:
    aws, stub = cloudwatch
    expect(stub, answer(requ0=[(0, 12.0)], http0=[(0, 12.0)], targ0=[(0, 9.0)]))
    verdict = ErrorRateGate(window(aws)).check("blue")
    assert verdict.passed and "12 requests in CloudWatch so far, fewer than 20: not judged yet" in verdict.detail


def test_latency_is_judged_against_the_other_side(cloudwatch: tuple[Aws, Stubber]) -> None:
    aws, stub = cloudwatch
    gate = cloudwatch_gates(aws, BALANCER, GROUPS, STARTED.get, now=lambda: NOW)
    # Green has served for an hour: the window goes back 10 minutes for it (the query starts at the earliest).
    expect(stub, answer(requ0=[(1, 100.0)], http0=[], targ0=[(1, 0.250), (0, 0.900)],
                        requ1=[(5, 300.0)], http1=[], targ1=[(5, 0.120), (2, 0.200)]), start=NOW - 600)
    verdict = gate.check("blue")
    assert not verdict.passed and verdict.detail == "blue: p99 900 ms (limit 400 ms, 2x green's 200 ms)"
    expect(stub, answer(requ0=[(1, 100.0)], http0=[], targ0=[(1, 0.250)], requ1=[(5, 300.0)], http1=[], targ1=[(2, 0.200)]),
           start=NOW - 600)
    assert gate.check("blue").passed


def test_a_set_latency_limit_needs_no_other_side(cloudwatch: tuple[Aws, Stubber]) -> None:
    aws, stub = cloudwatch
    expect(stub, answer(requ0=[(1, 100.0)], http0=[], targ0=[(1, 0.030)]))
    verdict = LatencyGate(window(aws), limit_ms=25).check("blue")
    assert not verdict.passed and verdict.detail == "blue: p99 30 ms (limit 25 ms, as set)"


def test_both_gates_are_judged_from_one_request_per_check(cloudwatch: tuple[Aws, Stubber]) -> None:
    # The Stubber holds one answer per check: a second request in a check would fail the test.
    aws, stub = cloudwatch
    gates = cloudwatch_gates(aws, BALANCER, GROUPS, STARTED.get, now=lambda: NOW)
    expect(stub, answer(requ0=[(1, 100.0)], http0=[], targ0=[(1, 0.100)], requ1=[(5, 300.0)], http1=[], targ1=[(2, 0.200)]),
           start=NOW - 600)
    verdict = gates.check("blue")
    assert verdict.passed and verdict.detail == ("blue: 0 of 100 answers 5xx (0.0%, limit 1.0%); "
                                                 "blue: p99 100 ms (limit 400 ms, 2x green's 200 ms)")
    expect(stub, answer(requ0=[(1, 100.0)], http0=[(1, 9.0)], targ0=[(1, 0.900)], requ1=[(5, 300.0)], http1=[], targ1=[]),
           start=NOW - 600)
    verdict = gates.check("blue")  # both fail: the first is the one told
    assert not verdict.passed and verdict.gate == "5xx rate" and verdict.detail == "blue: 9 of 100 answers 5xx (9.0%, limit 1.0%)"

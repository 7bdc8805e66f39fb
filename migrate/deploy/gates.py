"""The ECS target's gates, from the ALB's CloudWatch metrics: the incoming side's 5xx share and its latency.

The ALB publishes, per target group and minute, ``RequestCount``, ``HTTPCode_Target_5XX_Count`` and
``TargetResponseTime`` (namespace ``AWS/ApplicationELB``, dimensions ``LoadBalancer`` and
``TargetGroup``). A gate reads the minutes since the side was last started (a colour's target group
served earlier revisions too: those minutes are not this one's), at most :attr:`Window.seconds` back,
in one ``GetMetricData`` call. Until ``min_requests`` have been answered the gate passes and says so:
a handful of requests proves nothing, and target health judges a silent side. The two gates are
judged together (:class:`MetricGates`), from one read of every side per check.

CloudWatch's ALB metrics arrive a minute or more late: with a bake shorter than that a gate judges
nothing (it says so in its verdict); the engine's default bakes on ECS (60 s per step, 120 s at 100%)
leave it a few minutes of data at each judgement.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from migrate.cutover.ports import Verdict
from migrate.deploy.aws import Aws
from migrate.deploy.errors import aws_call

NAMESPACE = "AWS/ApplicationELB"
#: ALB metrics are published per minute.
PERIOD = 60


@dataclass(frozen=True)
class Traffic:
    """One side's answers over the window: requests, 5xx from its targets, and its worst minute's p99 (seconds)."""

    requests: float
    errors_5xx: float
    p99_seconds: float | None


def dimension(arn: str) -> str:
    """CloudWatch's dimension value of a balancer or target group ARN: ``app/shop/50dc...``, ``targetgroup/shop-api/73e2...``."""
    return arn.split(":", 5)[-1].removeprefix("loadbalancer/")


class Reads(Protocol):
    """Where a gate reads each side's traffic."""

    def traffic(self, sides: Sequence[str]) -> dict[str, Traffic]:
        """Each of ``sides``' traffic since it was started."""
        ...


@dataclass
class Window:
    """Reads the ALB's metrics of each side since it was started.

    ``target_groups``: side -> target group ARN. ``started``: when a side was last started (epoch
    seconds; None: unknown, then the whole window counts).
    """

    aws: Aws
    load_balancer_arn: str
    target_groups: Mapping[str, str]
    started: Callable[[str], float | None]
    now: Callable[[], float] = time.time
    seconds: float = 600.0

    def traffic(self, sides: Sequence[str]) -> dict[str, Traffic]:
        """Each of ``sides``' traffic since it was started (at most :attr:`seconds` back), in one call."""
        end = self.now()
        queries: list[dict[str, Any]] = []
        begins: dict[str, float] = {}
        for n, side in enumerate(sides):
            began = self.started(side)
            begins[side] = max(end - self.seconds, began if began is not None else end - self.seconds)
            for metric, stat in (("RequestCount", "Sum"), ("HTTPCode_Target_5XX_Count", "Sum"), ("TargetResponseTime", "p99")):
                queries.append({"Id": f"{metric[:4].lower()}{n}", "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": [
                        {"Name": "LoadBalancer", "Value": dimension(self.load_balancer_arn)},
                        {"Name": "TargetGroup", "Value": dimension(self.target_groups[side])}]},
                    "Period": PERIOD, "Stat": stat}})
        start = min(begins.values(), default=end - self.seconds)
        # CloudWatch aligns the window on whole periods: a start inside a minute counts that minute.
        cloudwatch = self.aws.client("cloudwatch")
        with aws_call("cloudwatch:GetMetricData", "the load balancer's metrics"):
            results = cloudwatch.get_metric_data(
                MetricDataQueries=queries, ScanBy="TimestampAscending",
                StartTime=datetime.fromtimestamp(start - start % PERIOD, UTC), EndTime=datetime.fromtimestamp(end, UTC),
            )["MetricDataResults"]
        found = {r["Id"]: list(zip(r.get("Timestamps", []), r.get("Values", []), strict=False)) for r in results}
        traffic = {}
        for n, side in enumerate(sides):
            floor = begins[side] - begins[side] % PERIOD

            def values(key: str, floor: float = floor) -> list[float]:
                return [float(v) for t, v in found.get(key, []) if t.timestamp() >= floor]

            p99 = values(f"targ{n}")
            traffic[side] = Traffic(sum(values(f"requ{n}")), sum(values(f"http{n}")), max(p99) if p99 else None)
        return traffic


@dataclass
class ErrorRateGate:
    """The incoming side's share of 5xx answers stays at or under ``max_share`` once it has answered ``min_requests``."""

    window: Reads
    max_share: float = 0.01
    min_requests: int = 20

    def check(self, side: str) -> Verdict:
        """Judge ``side``'s answers since it was started."""
        seen = self.window.traffic([side])[side]
        if seen.requests < self.min_requests:
            return Verdict("5xx rate", True, f"{side}: {seen.requests:.0f} requests in CloudWatch so far, "
                                             f"fewer than {self.min_requests}: not judged yet")
        share = seen.errors_5xx / seen.requests
        return Verdict("5xx rate", share <= self.max_share, f"{side}: {seen.errors_5xx:.0f} of {seen.requests:.0f} "
                                                            f"answers 5xx ({share:.1%}, limit {self.max_share:.1%})")


@dataclass
class LatencyGate:
    """The incoming side's p99 stays under ``factor`` times the other sides' (never below ``floor_ms``), or
    under ``limit_ms`` when given, once it has answered ``min_requests``."""

    window: Reads
    limit_ms: float | None = None
    factor: float = 2.0
    floor_ms: float = 50.0
    min_requests: int = 20
    others: Callable[[str], Sequence[str]] = field(default=lambda side: ())

    def check(self, side: str) -> Verdict:
        """Judge ``side``'s worst minute against the bound."""
        sides = [side, *self.others(side)]
        seen = self.window.traffic(sides)
        mine = seen[side]
        if mine.requests < self.min_requests or mine.p99_seconds is None:
            return Verdict("latency", True, f"{side}: {mine.requests:.0f} requests in CloudWatch so far: not judged yet")
        p99 = mine.p99_seconds * 1000
        if self.limit_ms is not None:
            bound, against = self.limit_ms, "as set"
        else:
            rest = [(s, t.p99_seconds * 1000) for s, t in seen.items() if s != side and t.p99_seconds is not None and t.requests]
            if not rest:
                return Verdict("latency", True, f"{side}: p99 {p99:.0f} ms, no other side to compare with")
            slowest, ms = max(rest, key=lambda item: item[1])
            bound, against = max(self.factor * ms, self.floor_ms), f"{self.factor:g}x {slowest}'s {ms:.0f} ms"
        return Verdict("latency", p99 <= bound, f"{side}: p99 {p99:.0f} ms (limit {bound:.0f} ms, {against})")


@dataclass(frozen=True)
class _Read:
    """One answer of a :class:`Window`, read again by each gate."""

    found: Mapping[str, Traffic]

    def traffic(self, sides: Sequence[str]) -> dict[str, Traffic]:
        return {side: self.found[side] for side in sides}


@dataclass
class MetricGates:
    """The 5xx-rate and latency gates, judged from one read of every side: one ``GetMetricData`` call per
    check, where each gate would make its own (the engine checks every gate at every poll)."""

    window: Window
    error_rate: ErrorRateGate
    latency: LatencyGate

    def check(self, side: str) -> Verdict:
        """The first gate that fails, else one passed verdict saying what each found."""
        read = _Read(self.window.traffic([side, *self.latency.others(side)]))  # every side either gate reads
        verdicts = [dataclasses.replace(self.error_rate, window=read).check(side),
                    dataclasses.replace(self.latency, window=read).check(side)]
        failed = next((v for v in verdicts if not v.passed), None)
        return failed or Verdict("5xx rate and latency", True, "; ".join(v.detail for v in verdicts))


def cloudwatch_gates(aws: Aws, load_balancer_arn: str, target_groups: Mapping[str, str],
                     started: Callable[[str], float | None], now: Callable[[], float] = time.time) -> MetricGates:
    """The 5xx-rate and latency gates of one app's sides, with their defaults, judged together."""
    window = Window(aws, load_balancer_arn, target_groups, started, now)
    return MetricGates(window, ErrorRateGate(window), LatencyGate(window, others=lambda side: [s for s in target_groups if s != side]))

"""The gates checked after each weight change and through each bake.

Target health is always checked (the engine adds it); the 5xx rate and latency of the incoming side
and the user's alarms are checked when the target supplies them (CloudWatch on ECS, HAProxy's stats
locally) through :class:`Metrics` and :class:`Alarms`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from migrate.cutover.ports import Fleet, Verdict


class Metrics(Protocol):
    """The incoming side's traffic over the last window."""

    def error_rate(self, side: str) -> float | None:
        """The share of its responses that were 5xx (0.0-1.0); None when it has answered nothing yet."""
        ...

    def latency_ms(self, side: str) -> float | None:
        """Its p99 response time in milliseconds; None when it has answered nothing yet."""
        ...


class Alarms(Protocol):
    """The user's own alarms on the app."""

    def firing(self) -> tuple[str, ...]:
        """The names of those in alarm now."""
        ...


@dataclass(frozen=True)
class TargetHealth:
    """Every task of the incoming side runs and every one of its targets is healthy."""

    fleet: Fleet

    def check(self, side: str) -> Verdict:
        """Ask the fleet."""
        status = self.fleet.status(side)
        return Verdict("target health", status.is_ready, f"{side}: {status.summary()}")


def _at_most(gate: str, side: str, value: float | None, limit: float, unit: Callable[[float], str]) -> Verdict:
    """``value`` at or under ``limit``; no value yet (no traffic) passes: target health judges a silent side."""
    shown = "n/a" if value is None else unit(value)
    return Verdict(gate, value is None or value <= limit, f"{side}: {gate} {shown} (limit {unit(limit)})")


@dataclass(frozen=True)
class ErrorRate:
    """The incoming side's 5xx rate stays at or under ``limit`` (0.01: one response in a hundred)."""

    metrics: Metrics
    limit: float

    def check(self, side: str) -> Verdict:
        """Ask the metrics."""
        return _at_most("5xx rate", side, self.metrics.error_rate(side), self.limit, lambda v: f"{v:.1%}")


@dataclass(frozen=True)
class Latency:
    """The incoming side's p99 latency stays at or under ``limit_ms``."""

    metrics: Metrics
    limit_ms: float

    def check(self, side: str) -> Verdict:
        """Ask the metrics."""
        return _at_most("latency", side, self.metrics.latency_ms(side), self.limit_ms, lambda v: f"{v:.0f} ms")


@dataclass(frozen=True)
class AlarmGate:
    """None of the user's alarms is firing."""

    alarms: Alarms

    def check(self, side: str) -> Verdict:
        """Any alarm in alarm fails the gate, whichever side it watches."""
        firing = self.alarms.firing()
        return Verdict("alarms", not firing, "in alarm: " + ", ".join(firing) if firing else "no alarm firing")

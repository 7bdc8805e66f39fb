"""The local target's gates, from HAProxy's own counters: the incoming side's 5xx share and its latency.

HAProxy's ``show stat`` gives, per server, counters over its whole life (responses by status class,
requests, connection errors) and sliding averages of its last 1024 requests (``rtime``, ``ttime``).
A colour's server lives through many deploys (green served the revision before last too), so the
gates judge *deltas*: each keeps a mark of the counters, judges what happened since, and moves the
mark on once it has judged. Until ``min_requests`` have been answered since the mark a gate passes
and says so: a handful of requests proves nothing, and target health judges a silent side.

Free of Docker: the gates talk to HAProxy through :class:`~migrate.cutover.local.RuntimeApi`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace

from migrate.cutover.local import RouterError, RuntimeApi
from migrate.cutover.ports import Verdict

#: The response classes ``show stat`` counts per server.
_CLASSES = ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other")


@dataclass(frozen=True)
class ServerStats:
    """One server's line of ``show stat``: its lifetime counters and its recent averages.

    ``responses`` counts every HTTP response by class (``hrsp_*``), ``errors_5xx`` the 5xx among them;
    ``rtime_ms`` is HAProxy's average response time over the server's last 1024 requests (0 before any).
    """

    name: str
    status: str
    check_status: str
    requests: int
    responses: int
    errors_5xx: int
    connect_errors: int
    response_errors: int
    rtime_ms: int
    ttime_ms: int

    def minus(self, mark: ServerStats) -> ServerStats:
        """The counters since ``mark`` (averages are HAProxy's own, kept as they are now).

        A counter that went down means HAProxy restarted (or the server was re-created): everything
        counted now happened since.
        """
        counters = ("requests", "responses", "errors_5xx", "connect_errors", "response_errors")
        if any(getattr(self, c) < getattr(mark, c) for c in counters):
            return self
        return replace(self, **{c: getattr(self, c) - getattr(mark, c) for c in counters})


def parse_stat(text: str, backend: str) -> dict[str, ServerStats]:
    """Read ``show stat``'s CSV (``# pxname,svname,...`` header) into the servers of ``backend``, by name."""
    if not text.startswith("# pxname,"):
        raise RouterError(f"router: HAProxy answered `show stat` with: {(text.strip().splitlines() or ['nothing'])[0]}")
    rows = csv.DictReader(io.StringIO(text[2:]))
    servers = {}
    for row in rows:
        if row.get("pxname") != backend or row.get("svname") in ("FRONTEND", "BACKEND"):
            continue
        try:
            servers[row["svname"]] = _server(row)
        except (KeyError, ValueError):
            raise RouterError(f"router: cannot read `show stat` for {backend}/{row.get('svname')}") from None
    return servers


def _server(row: dict[str, str]) -> ServerStats:
    def count(column: str) -> int:
        return int(row[column] or 0)  # HAProxy leaves a column empty where it counts nothing

    responses = sum(count(c) for c in _CLASSES)
    return ServerStats(row["svname"], row["status"], row["check_status"], count("stot"), responses,
                       count("hrsp_5xx"), count("econ"), count("eresp"), count("rtime"), count("ttime"))


@dataclass
class StatsWindow:
    """The servers of one backend, counted from a mark that moves on each time a gate has judged a side.

    One window per gate: a gate that moves the mark must not take the responses another has yet to judge.
    """

    api: RuntimeApi
    backend: str = "app"
    marks: dict[str, ServerStats] = field(default_factory=dict)

    def read(self) -> dict[str, ServerStats]:
        """Every server's lifetime counters now."""
        return parse_stat(self.api.send([f"show stat {self.backend} 4 -1"]), self.backend)

    def mark(self) -> None:
        """Count every server from now on (a target calls this when it opens its gates)."""
        self.marks = self.read()

    def since(self, side: str, now: dict[str, ServerStats]) -> ServerStats:
        """``side``'s counters since its mark; a side never marked is marked now, so it counts nothing yet."""
        if side not in now:
            raise RouterError(f"router: no server {side} in backend {self.backend} (it has {', '.join(sorted(now))})")
        mark = self.marks.setdefault(side, now[side])
        return now[side].minus(mark)

    def move_mark(self, side: str, now: dict[str, ServerStats]) -> None:
        """Start ``side``'s next window at ``now``."""
        self.marks[side] = now[side]

    def judge(self, gate: str, side: str, min_requests: int) -> tuple[ServerStats, dict[str, ServerStats]] | Verdict:
        """``side``'s counters since the mark, and every server now, with the mark moved on; or, with fewer
        than ``min_requests`` answers since the mark, a pass that judges nothing and keeps the mark."""
        now = self.read()
        delta = self.since(side, now)
        if delta.responses < min_requests:
            return Verdict(gate, True, f"{side}: {delta.responses} responses since the last check, "
                                       f"too few to judge (at least {min_requests})")
        self.move_mark(side, now)
        return delta, now


@dataclass
class ErrorRateGate:
    """The incoming side's share of 5xx responses since the last judgement stays at or under ``max_share``.

    With fewer than ``min_requests`` responses since the mark it passes without judging and keeps the
    mark, so responses add up until there are enough.
    """

    window: StatsWindow
    max_share: float = 0.01
    min_requests: int = 20

    def check(self, side: str) -> Verdict:
        """Judge ``side``'s responses since the mark."""
        judged = self.window.judge("5xx rate", side, self.min_requests)
        if isinstance(judged, Verdict):
            return judged
        delta, _ = judged
        share = delta.errors_5xx / delta.responses
        return Verdict("5xx rate", share <= self.max_share,
                       f"{side}: {delta.errors_5xx} of {delta.responses} responses 5xx ({share:.1%}, "
                       f"limit {self.max_share:.1%})")


@dataclass
class LatencyGate:
    """The incoming side's average response time stays under a bound.

    The bound is ``limit_ms`` when given; else ``factor`` times the slowest other side that has answered
    (the outgoing one), never below ``floor_ms`` (1 ms against 3 ms is noise, not a regression). HAProxy's
    ``rtime`` is the average of the server's last 1024 requests; the gate judges only once the side has
    answered ``min_requests`` since the mark, so the average is mostly this window's.
    """

    window: StatsWindow
    limit_ms: float | None = None
    factor: float = 2.0
    floor_ms: float = 50.0
    min_requests: int = 20

    def check(self, side: str) -> Verdict:
        """Judge ``side``'s average against the bound."""
        judged = self.window.judge("latency", side, self.min_requests)
        if isinstance(judged, Verdict):
            return judged
        delta, now = judged
        bound, against = self._bound(side, now)
        if bound is None:
            return Verdict("latency", True, f"{side}: {delta.rtime_ms} ms average, no other side to compare with")
        return Verdict("latency", delta.rtime_ms <= bound,
                       f"{side}: {delta.rtime_ms} ms average (limit {bound:.0f} ms, {against})")

    def _bound(self, side: str, now: dict[str, ServerStats]) -> tuple[float | None, str]:
        if self.limit_ms is not None:
            return self.limit_ms, "as set"
        others = [s for name, s in now.items() if name != side and s.responses > 0]
        if not others:
            return None, ""
        slowest = max(others, key=lambda s: s.rtime_ms)
        return max(self.factor * slowest.rtime_ms, self.floor_ms), f"{self.factor:g}x {slowest.name}'s {slowest.rtime_ms} ms"


def open_gates(api: RuntimeApi, backend: str = "app") -> tuple[ErrorRateGate, LatencyGate]:
    """The 5xx-rate and latency gates with their defaults, each counting from now (from its first check
    when HAProxy does not answer yet: a first deploy starts the router after the gates are made)."""
    error_rate, latency = ErrorRateGate(StatsWindow(api, backend)), LatencyGate(StatsWindow(api, backend))
    for gate in (error_rate, latency):
        try:
            gate.window.mark()
        except RouterError:
            pass
    return error_rate, latency

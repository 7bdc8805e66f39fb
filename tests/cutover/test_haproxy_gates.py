"""The local target's gates over HAProxy's ``show stat``, from answers captured from the haproxy:2.6 image.

``haproxy/stat-idle.txt``: blue and green just up, nothing served. ``haproxy/stat-green-500.txt``: then 30
requests at blue 256 / green 0 and 40 at 128 / 128, green answering 500 to everything (blue 50 x 2xx,
green 20 x 5xx; ``rtime`` 3 and 4 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from migrate.cutover.haproxy_gates import (
    ErrorRateGate,
    LatencyGate,
    StatsWindow,
    open_gates,
    parse_stat,
)
from migrate.cutover.local import RouterError

CAPTURED = Path(__file__).parent / "haproxy"
IDLE = (CAPTURED / "stat-idle.txt").read_text(encoding="utf-8")
GREEN_500 = (CAPTURED / "stat-green-500.txt").read_text(encoding="utf-8")


def edited(text: str, server: str, **columns: int) -> str:
    """``text`` with ``server``'s ``columns`` set (the header names them), every other byte as captured."""
    lines = text.splitlines(keepends=True)
    header = lines[0][2:].rstrip("\n").split(",")
    for i, line in enumerate(lines):
        cells = line.split(",")
        if len(cells) > 2 and cells[0] == "app" and cells[1] == server:
            for column, value in columns.items():
                cells[header.index(column)] = str(value)
            lines[i] = ",".join(cells)
    return "".join(lines)


@dataclass
class Answers:
    """A runtime API answering ``show stat`` with the next captured text (the last one repeats)."""

    texts: list[str]
    sent: list[list[str]] = field(default_factory=list)

    def send(self, commands: Sequence[str]) -> str:
        self.sent.append(list(commands))
        return self.texts.pop(0) if len(self.texts) > 1 else self.texts[0]


def test_parse_reads_each_server_of_the_backend_only() -> None:
    servers = parse_stat(GREEN_500, "app")
    assert set(servers) == {"blue", "green"}
    blue, green = servers["blue"], servers["green"]
    assert (blue.requests, blue.responses, blue.errors_5xx, blue.rtime_ms) == (50, 50, 0, 3)
    assert (green.requests, green.responses, green.errors_5xx, green.rtime_ms) == (20, 20, 20, 4)
    assert (green.status, green.check_status) == ("UP", "L7OK")
    assert parse_stat(IDLE, "app")["green"].check_status == "INI"
    assert parse_stat(GREEN_500, "other") == {}


def test_an_answer_that_is_not_stats_is_a_router_error() -> None:
    with pytest.raises(RouterError, match="Unknown command"):
        parse_stat("Unknown command: 'show stats'\n", "app")


def test_a_side_answering_500_fails_the_error_rate_gate() -> None:
    api = Answers([IDLE, GREEN_500])
    gate = ErrorRateGate(StatsWindow(api))
    gate.window.mark()
    verdict = gate.check("green")
    assert not verdict.passed
    assert verdict.detail == "green: 20 of 20 responses 5xx (100.0%, limit 1.0%)"
    assert api.sent[-1] == ["show stat app 4 -1"]


def test_a_healthy_side_passes_and_lifetime_errors_before_the_mark_do_not_count() -> None:
    later = edited(GREEN_500, "green", stot=45, hrsp_2xx=25)  # 25 more answers, all 2xx
    gate = ErrorRateGate(StatsWindow(Answers([GREEN_500, later])))
    gate.window.mark()
    assert gate.check("blue").passed  # nothing since the mark: too few to judge
    verdict = gate.check("green")
    assert verdict.passed and verdict.detail == "green: 0 of 25 responses 5xx (0.0%, limit 1.0%)"


def test_too_few_responses_pass_without_judging_and_add_up() -> None:
    ten_bad = edited(IDLE, "green", stot=10, hrsp_5xx=10)
    twenty_bad = edited(IDLE, "green", stot=20, hrsp_5xx=20)
    gate = ErrorRateGate(StatsWindow(Answers([IDLE, ten_bad, twenty_bad])))
    gate.window.mark()
    first = gate.check("green")
    assert first.passed and "10 responses since the last check, too few" in first.detail
    assert not gate.check("green").passed  # the mark stayed: 20 since it


def test_the_mark_moves_on_once_judged() -> None:
    bad = edited(IDLE, "green", stot=20, hrsp_5xx=20)
    then_good = edited(IDLE, "green", stot=45, hrsp_5xx=20, hrsp_2xx=25)
    gate = ErrorRateGate(StatsWindow(Answers([IDLE, bad, then_good])))
    gate.window.mark()
    assert not gate.check("green").passed
    assert gate.check("green").passed  # judged on the 25 since


def test_a_side_never_marked_counts_from_its_first_check() -> None:
    gate = ErrorRateGate(StatsWindow(Answers([GREEN_500])))
    verdict = gate.check("green")
    assert verdict.passed and verdict.detail.startswith("green: 0 responses")


def test_counters_that_went_down_mean_a_restart_and_count_from_zero() -> None:
    restarted = edited(IDLE, "green", stot=20, hrsp_5xx=20)
    gate = ErrorRateGate(StatsWindow(Answers([GREEN_500, edited(GREEN_500, "green", stot=100, hrsp_5xx=100), restarted])))
    gate.window.mark()
    assert not gate.check("green").passed
    assert not gate.check("green").passed  # 20 since HAProxy restarted, all 5xx


def test_an_unknown_side_is_a_router_error() -> None:
    gate = ErrorRateGate(StatsWindow(Answers([GREEN_500])))
    with pytest.raises(RouterError, match="no server purple"):
        gate.check("purple")


def test_latency_against_the_outgoing_side() -> None:
    slow = edited(GREEN_500, "green", stot=40, hrsp_5xx=40, rtime=400)
    gate = LatencyGate(StatsWindow(Answers([GREEN_500, slow])), floor_ms=5)
    gate.window.mark()
    verdict = gate.check("green")
    assert not verdict.passed
    assert verdict.detail == "green: 400 ms average (limit 6 ms, 2x blue's 3 ms)"


def test_latency_under_the_floor_passes_and_a_set_limit_wins() -> None:
    ok = edited(GREEN_500, "green", stot=40, hrsp_2xx=20, rtime=40)
    assert LatencyGate(StatsWindow(Answers([IDLE, ok]))).check("green").passed  # marked at its first check
    relative = LatencyGate(StatsWindow(Answers([IDLE, ok])))
    relative.window.mark()
    assert relative.check("green").passed  # 40 ms against max(2 x 3 ms, 50 ms)
    bounded = LatencyGate(StatsWindow(Answers([IDLE, ok])), limit_ms=30)
    bounded.window.mark()
    verdict = bounded.check("green")
    assert not verdict.passed and verdict.detail == "green: 40 ms average (limit 30 ms, as set)"


def test_latency_with_no_other_side_answering_passes() -> None:
    only_green = edited(IDLE, "green", stot=30, hrsp_2xx=30, rtime=900)
    gate = LatencyGate(StatsWindow(Answers([IDLE, only_green])))
    gate.window.mark()
    verdict = gate.check("green")
    assert verdict.passed and "no other side" in verdict.detail


def test_open_gates_marks_each_window_apart_and_tolerates_a_router_not_up() -> None:
    error_rate, latency = open_gates(Answers([IDLE, IDLE, GREEN_500]))
    assert error_rate.window is not latency.window
    assert not error_rate.check("green").passed

    class Down:
        def send(self, commands: Sequence[str]) -> str:
            raise RouterError("router: does not answer")

    error_rate, _ = open_gates(Down())
    assert error_rate.window.marks == {}

"""The cutover engine over honest fakes, on a fake clock: every transition, in milliseconds.

Timeline of the defaults used throughout: green starts at t=0 and its tasks boot in 20 s, polled
every 5 s, so it is ready at t=20; canary steps bake 60 s, the 100 % step 120 s; the drain is 30 s
and the old side is retired one second past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from migrate.cutover.engine import DRAIN_MARGIN, CutoverError, Engine, Settings
from migrate.cutover.events import Baked, GateFailed, Held, Mismatch, Parked, Ready, Reverted, Shifted, SmokeTested
from migrate.cutover.gates import AlarmGate, ErrorRate, Latency
from migrate.cutover.ports import BLUE, GREEN, Answer, Failure, to_percent, to_raw
from migrate.errors import UserError

from .fakes import Crash, Script, World

CANARY: dict[str, Any] = {"strategy": "canary"}


def test_blue_green_shifts_once_after_ready_and_retires_the_old_colour_past_the_drain() -> None:
    w = World()
    w.live(BLUE, "rev-1", count=3)
    result = w.engine().deploy("rev-2")
    assert (result.status, result.succeeded) == ("succeeded", True)
    assert w.router.shares() == [{GREEN: 100}]
    shifted_at = w.router.history[0][0]
    assert shifted_at == 20  # not before green was ready
    assert w.fleet.status(GREEN).revision == "rev-2" and w.fleet.status(GREEN).desired == 3  # the live count
    assert w.router.drained == [(shifted_at + 120, BLUE)]  # after the final bake, blue still warm through it
    assert w.fleet.scaled_down_at(BLUE) == shifted_at + 120 + 30 + DRAIN_MARGIN
    assert w.fleet.status(BLUE).revision == "rev-1"  # kept for a rollback
    assert result.weights == ((BLUE, 0), (GREEN, 100))


def test_canary_steps_each_bake_then_the_final_bake_and_drain() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    result = w.engine(**CANARY).deploy("rev-2")
    assert result.succeeded
    assert w.router.shares() == [{BLUE: 90, GREEN: 10}, {BLUE: 50, GREEN: 50}, {GREEN: 100}]
    assert [t for t, _ in w.router.history] == [20, 80, 140]
    assert [(b.percent, b.at) for b in w.of(Baked)] == [(10, 80), (50, 140), (100, 260)]
    assert w.fleet.scaled_down_at(BLUE) == 260 + 30 + DRAIN_MARGIN


def test_first_deploy_has_nothing_to_protect_and_starts_at_the_configured_count() -> None:
    w = World()
    result = w.engine(**CANARY, count=2).deploy("rev-1")
    assert result.succeeded
    assert w.router.shares() == [{BLUE: 100}]
    assert w.fleet.status(BLUE).desired == 2
    assert w.router.drained == [] and w.clock.t == 20


def test_deploying_the_live_revision_again_changes_nothing() -> None:
    w = World()
    w.live(GREEN, "rev-2")
    result = w.engine().deploy("rev-2")
    assert result.succeeded and "already runs" in result.reason
    assert w.router.history == [] and w.fleet.log == []


def test_a_new_side_that_fails_ends_the_wait_at_once_with_its_diagnosis_and_weights_never_move() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.scripts["rev-2"] = Script(failure=Failure("a task of rev-2 stopped", ("exit code 1", "KeyError: 'DATABASE_URL'")),
                                      fail_after=10)
    result = w.engine().deploy("rev-2")
    assert result.status == "failed" and "a task of rev-2 stopped" in result.reason
    assert result.diagnosis == ("exit code 1", "KeyError: 'DATABASE_URL'")
    assert w.router.history == []
    assert w.clock.t == 10  # fail fast: not the 600 s timeout
    assert w.fleet.status(GREEN).desired == 0 and w.fleet.status(BLUE).desired == 3
    assert w.router.percent == {BLUE: 100, GREEN: 0}


@pytest.mark.parametrize("script", [Script(boot=10_000), Script(sick_at=0)], ids=["never-runs", "runs-never-healthy"])
def test_a_new_side_never_ready_times_out_and_weights_never_move(script: Script) -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.scripts["rev-2"] = script
    result = w.engine(ready_timeout=600).deploy("rev-2")
    assert result.status == "failed" and "not ready after 600 s" in result.reason
    assert w.router.history == [] and w.clock.t == 600
    assert w.fleet.status(GREEN).desired == 0


def test_canary_whose_new_side_fails_mid_shift_is_restored_in_one_call_within_a_poll() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.scripts["rev-2"] = Script(sick_at=52)  # healthy at 10 %, then its health check fails
    result = w.engine(**CANARY).deploy("rev-2")
    assert (result.status, result.succeeded) == ("rolled-back", False)
    assert w.router.shares() == [{BLUE: 90, GREEN: 10}, {BLUE: 100}]
    failed, restored = w.of(GateFailed)[0], w.of(Reverted)[0]
    assert failed.verdict.gate == "target health"
    assert restored.at - 52 <= 5 and restored.at == failed.at  # detected within a poll, restored in the same breath
    assert w.router.history[-1][0] == restored.at
    assert w.fleet.status(BLUE).desired == 3  # the old side was never touched
    assert w.fleet.scaled_down_at(GREEN) == restored.at + 30 + DRAIN_MARGIN


def test_rollback_guard_holds_the_weights_when_the_old_side_is_not_healthy_either() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.scripts["rev-1"] = Script(sick_at=40)
    w.fleet.scripts["rev-2"] = Script(sick_at=52)
    result = w.engine(**CANARY).deploy("rev-2")
    assert result.status == "held"
    assert w.router.shares() == [{BLUE: 90, GREEN: 10}]  # no traffic shifted back onto an unhealthy blue
    held = w.of(Held)[0]
    assert "HELD at blue 90 % / green 10 %" in held.reason and "blue, the side to go back to, is not healthy" in held.reason
    assert w.of(Reverted) == []
    assert w.fleet.status(BLUE).desired == 3 and w.fleet.status(GREEN).desired == 3  # nothing stopped


def test_old_side_healthy_but_new_side_breaches_a_metric_gate_rolls_back() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    metrics = FakeMetrics(w, errors_from=(33.0, 0.25))
    result = w.engine(ErrorRate(metrics, 0.01), **CANARY).deploy("rev-2")
    assert result.status == "rolled-back" and "5xx rate 25.0% (limit 1.0%)" in result.reason
    assert w.router.shares() == [{BLUE: 90, GREEN: 10}, {BLUE: 100}]
    assert w.of(Reverted)[0].at == 35


def test_latency_and_alarm_gates_judge_the_new_side() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    metrics = FakeMetrics(w, p99_from=(90.0, 2500.0))
    alarms = FakeAlarms(w, firing_from=(150.0, "shop-api-p99"))
    result = w.engine(Latency(metrics, 1000), AlarmGate(alarms), **CANARY).deploy("rev-2")
    assert result.status == "rolled-back" and "gate latency failed at 50 %" in result.reason
    assert w.router.shares() == [{BLUE: 90, GREEN: 10}, {BLUE: 50, GREEN: 50}, {BLUE: 100}]
    w2 = World()
    w2.live(BLUE, "rev-1")
    alarmed = w2.engine(AlarmGate(FakeAlarms(w2, firing_from=(150.0, "shop-api-p99"))), **CANARY).deploy("rev-2")
    assert alarmed.status == "rolled-back" and "in alarm: shop-api-p99" in alarmed.reason
    assert w2.router.shares() == [{BLUE: 90, GREEN: 10}, {BLUE: 50, GREEN: 50}, {GREEN: 100}, {BLUE: 100}]


def test_gates_pass_a_side_that_has_answered_nothing_yet() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    metrics = FakeMetrics(w)
    assert w.engine(ErrorRate(metrics, 0.0), Latency(metrics, 1.0)).deploy("rev-2").succeeded


def test_a_read_back_mismatch_is_reported_and_the_weights_go_back() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.router.faulty = lambda weights: {**weights, GREEN: 0}  # a stale rule: green's weight never lands
    result = w.engine(**CANARY).deploy("rev-2")
    assert result.status == "failed" and "read back other weights" in result.reason
    assert [(m.planned, m.read) for m in w.of(Mismatch)] == [(((BLUE, 230), (GREEN, 26)), ((BLUE, 230), (GREEN, 0)))]
    assert w.router.percent == {BLUE: 100, GREEN: 0} and w.fleet.status(GREEN).desired == 0
    assert w.of(Baked) == []  # no bake, no gate, on weights the router does not have


def test_a_mismatch_on_the_way_back_too_says_the_router_needs_a_look() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.router.faulty = lambda weights: {side: v // 2 for side, v in weights.items()}
    result = w.engine(**CANARY).deploy("rev-2")
    assert result.status == "failed" and "check the router" in result.reason
    assert len(w.of(Mismatch)) == 2
    assert w.fleet.status(BLUE).desired == 3  # nothing retired on weights nobody can vouch for


def test_the_old_colour_stays_when_the_new_one_turns_unhealthy_during_the_drain() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.scripts["rev-2"] = Script(sick_at=150)  # after the final bake (ends at 140), inside the drain
    result = w.engine().deploy("rev-2")
    assert result.status == "rolled-back" and "not healthy after the drain" in result.reason
    assert w.router.shares() == [{GREEN: 100}, {BLUE: 100}]
    assert w.fleet.status(BLUE).desired == 3 and w.fleet.status(GREEN).desired == 0


@pytest.mark.parametrize(("max_weight", "ten_percent"), [(256, {BLUE: 230, GREEN: 26}), (999, {BLUE: 899, GREEN: 100})])
def test_percentages_become_each_routers_own_weights(max_weight: int, ten_percent: dict[str, int]) -> None:
    w = World(max_weight=max_weight)
    w.live(BLUE, "rev-1")
    stored: list[dict[str, int]] = []

    def record(weights: dict[str, int]) -> dict[str, int]:
        stored.append(weights)
        return weights

    w.router.faulty = record
    assert w.engine(**CANARY).deploy("rev-2").succeeded
    assert stored[0] == ten_percent
    assert [to_percent(s) for s in stored] == [{BLUE: 90, GREEN: 10}, {BLUE: 50, GREEN: 50}, {BLUE: 0, GREEN: 100}]
    assert w.of(Shifted)[0].weights == ((BLUE, 90), (GREEN, 10))


def test_every_percentage_survives_the_round_trip_through_both_routers() -> None:
    for max_weight in (256, 999):
        for p in range(1, 100):
            assert to_percent(to_raw({GREEN: p, BLUE: 100 - p}, max_weight)) == {GREEN: p, BLUE: 100 - p}


def test_ready_waits_for_the_new_revision_not_a_colour_that_was_already_up() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.run(GREEN, "rev-0", 3, started=-200)  # warm with an older revision: restarted, so not ready at once
    w.engine().deploy("rev-2")
    assert w.of(Ready)[0].at == 20 and w.router.history[0][0] == 20


@pytest.mark.parametrize("settings", [{"canary_steps": (50, 10, 100)}, {"canary_steps": (10, 50)}, {"canary_steps": ()},
                                      {"canary_steps": (0, 100)}, {"poll": 0}, {"drain": -1}, {"count": 0}])
def test_settings_that_cannot_work_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(CutoverError):
        Settings(**settings)  # type: ignore[arg-type]


@dataclass
class FakeMetrics:
    """Green's 5xx rate and p99 once it takes traffic: ``before`` until the time given, then the value given.

    Without a change given, green has answered nothing (None), as a side the router sends nothing to.
    """

    world: World
    errors_from: tuple[float, float] | None = None
    p99_from: tuple[float, float] | None = None

    def error_rate(self, side: str) -> float | None:
        return self._at(self.errors_from, side, 0.0)

    def latency_ms(self, side: str) -> float | None:
        return self._at(self.p99_from, side, 120.0)

    def _at(self, change: tuple[float, float] | None, side: str, before: float) -> float | None:
        if change is None or side != GREEN or self.world.router.percent.get(GREEN, 0) == 0:
            return None
        return change[1] if change and self.world.clock.now() >= change[0] else before


@dataclass
class FakeAlarms:
    world: World
    firing_from: tuple[float, str]

    def firing(self) -> tuple[str, ...]:
        return (self.firing_from[1],) if self.world.clock.now() >= self.firing_from[0] else ()


def test_events_tell_the_story_in_order_on_the_clock() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.engine().deploy("rev-2")
    story = [(type(e).__name__, e.at) for e in w.events]
    assert story == [("Decided", 0), ("Started", 0), ("Ready", 20), ("Shifted", 20), ("Baked", 140),
                     ("Drained", 171), ("Retired", 171)]


def test_a_metric_breach_with_the_old_side_unhealthy_holds_rather_than_going_back() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.scripts["rev-1"] = Script(sick_at=30)
    result = w.engine(ErrorRate(FakeMetrics(w, errors_from=(33.0, 0.5)), 0.01), **CANARY).deploy("rev-2")
    assert result.status == "held" and "5xx rate" in result.reason
    assert w.router.shares() == [{BLUE: 90, GREEN: 10}]


@pytest.mark.parametrize("failure", ["never ready", "gate at the canary step"])
def test_a_colour_whose_new_revision_failed_goes_back_to_the_revision_a_rollback_wants(failure: str) -> None:
    """blue serves rev-2; green holds rev-1, the revision before. rev-3 fails on green: green is parked on
    rev-1 again, so `rollback` goes to rev-1 (what served last), not to the rev-3 that just failed."""
    w = World()
    w.live(BLUE, "rev-2")
    w.fleet.run(GREEN, "rev-1", 0)
    if failure == "never ready":
        w.fleet.scripts["rev-3"] = Script(failure=Failure("exited with code 1"))
    else:
        w.fleet.scripts["rev-3"] = Script(sick_at=40)
    result = w.engine(**CANARY).deploy("rev-3")
    assert not result.succeeded
    assert w.fleet.status(GREEN).revision == "rev-1" and w.fleet.status(GREEN).desired == 0
    assert w.of(Parked) == [Parked(w.clock.t, GREEN, "rev-1")]
    assert [verb for _, verb, colour, _ in w.fleet.log if colour == GREEN][-2:] == ["scale", "park"]  # stopped first
    result = w.engine().rollback()
    assert result.succeeded and w.fleet.status(GREEN).revision == "rev-1" and w.router.percent[GREEN] == 100


def test_a_colour_that_held_nothing_before_is_not_parked() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.scripts["rev-2"] = Script(failure=Failure("exited with code 1"))
    w.engine().deploy("rev-2")
    assert w.of(Parked) == [] and "park" not in [verb for _, verb, _, _ in w.fleet.log]


SMOKE: dict[str, Any] = {"smoke": ("/healthz", "/api/items")}


def test_a_smoke_test_through_the_test_route_passes_before_any_weight_moves() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    result = w.engine(**SMOKE).deploy("rev-2")
    assert result.succeeded
    assert w.test_route.log == [(20, "open", GREEN), (20, "get /healthz", GREEN), (20, "get /api/items", GREEN),
                                (20, "close", GREEN)]
    smoked = w.of(SmokeTested)
    assert smoked == [SmokeTested(20, GREEN, (("/healthz", "200"), ("/api/items", "200")), True)]
    story = [type(e).__name__ for e in w.events]
    assert story.index("Ready") < story.index("SmokeTested") < story.index("Shifted")
    assert w.router.shares() == [{GREEN: 100}]


@pytest.mark.parametrize("answers", [{"/api/items": 500}, {"/healthz": 404}])
def test_a_failed_smoke_test_moves_no_weight_stops_the_colour_and_closes_the_route(answers: dict[str, int]) -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.run(GREEN, "rev-0", 0)
    w.fleet.scripts["rev-2"] = Script(smoke=answers)
    result = w.engine(**CANARY, **SMOKE).deploy("rev-2")
    assert result.status == "failed" and "smoke test" in result.reason
    (path, status), = answers.items()
    assert f"{path}: {status}" in result.reason and "no traffic went to it" in result.reason
    assert w.router.history == [] and w.router.percent == {BLUE: 100, GREEN: 0}
    assert w.fleet.status(GREEN).desired == 0 and w.fleet.status(GREEN).revision == "rev-0"  # parked for a rollback
    assert w.test_route.open_for == set() and w.test_route.log[-1][1] == "close"
    assert w.of(SmokeTested)[0].passed is False


def test_an_answer_from_another_side_is_no_pass() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.test_route.open = lambda side: None  # type: ignore[method-assign]  # a route that never took: the live side answers
    result = w.engine(**SMOKE).deploy("rev-2")
    assert result.status == "failed" and "answered by another side" in result.reason
    assert w.router.history == []


def test_a_test_route_that_cannot_be_made_is_a_failed_smoke_test_not_a_dead_command() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.fleet.run(GREEN, "rev-0", 0)

    def refuse(side: str) -> None:
        w.test_route.log.append((w.clock.now(), "open", side))  # a rule made before the refusal: close takes it away
        raise UserError("no free priority just above the app's rule (3)", hint="run `migrate deploy` without --smoke once")

    w.test_route.open = refuse  # type: ignore[method-assign]
    result = w.engine(**CANARY, **SMOKE).deploy("rev-2")
    assert result.status == "failed"
    assert result.reason == ("green could not be smoke-tested: the test route could not be made (no free priority just above "
                             "the app's rule (3) (run `migrate deploy` without --smoke once)): no traffic went to it")
    assert w.router.history == [] and w.router.percent == {BLUE: 100, GREEN: 0}
    assert w.fleet.status(GREEN).desired == 0 and w.fleet.status(GREEN).revision == "rev-0"  # parked, as after a failed test
    assert [verb for _, verb, _ in w.test_route.log] == ["open", "close"]
    assert w.of(SmokeTested) == [SmokeTested(20, GREEN, (("/healthz", "not asked: no test route"),
                                                         ("/api/items", "not asked: no test route")), False)]


def test_the_route_is_closed_even_when_the_command_dies_during_the_smoke_test() -> None:
    w = World()
    w.live(BLUE, "rev-1")

    def die(side: str, path: str) -> Answer:
        raise Crash

    w.test_route.get = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        w.engine(**SMOKE).deploy("rev-2")
    assert w.test_route.log[-1][1:] == ("close", GREEN)


def test_a_rollback_is_smoke_tested_and_a_resumed_shift_is_not_again() -> None:
    w = World()
    w.live(GREEN, "rev-2")
    w.fleet.run(BLUE, "rev-1", 0)
    assert w.engine(**SMOKE).rollback().succeeded
    assert [entry[1] for entry in w.test_route.log].count("open") == 1 and w.test_route.log[0][2] == BLUE
    # A canary killed at its first step is resumed from there: the side took traffic already, no smoke test.
    w2 = World()
    w2.live(BLUE, "rev-1")
    w2.fleet.run(GREEN, "rev-2", 3, started=0)
    w2.router.raw = to_raw({BLUE: 90, GREEN: 10}, w2.max_weight)
    assert w2.engine(**CANARY, **SMOKE).deploy("rev-2").succeeded
    assert w2.test_route.log == []


def test_a_smoke_test_needs_a_route_and_url_paths() -> None:
    w = World()
    with pytest.raises(CutoverError, match="test route"):
        Engine(w.router, w.fleet, now=w.clock.now, sleep=w.clock.sleep, on_event=w.events.append, settings=Settings(**SMOKE))
    for bad in (("healthz",), ("/a b",), ("/x", "/x")):
        with pytest.raises(CutoverError):
            Settings(smoke=bad)

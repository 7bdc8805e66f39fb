"""A cutover killed at any point is picked up from what the router and the fleet say (migrate/cutover/state.py's rule)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from migrate.cutover.events import Decided, Ready, Started
from migrate.cutover.ports import BLUE, GREEN, SideStatus
from migrate.cutover.state import Position, State, position

from .fakes import Crash, External, Script, World

LEGACY = "legacy"


def warm(revision: str | None, started: float | None, count: int = 3) -> SideStatus:
    return SideStatus(revision, count, count, count, started)


IDLE = SideStatus(None, 0, 0, 0, None)


@pytest.mark.parametrize(("raw", "sides", "expected"), [
    ({}, {}, Position("empty", None, None)),
    ({BLUE: 0, GREEN: 0}, {BLUE: warm("r1", 5)}, Position("starting", BLUE, None)),
    ({BLUE: 256, GREEN: 0}, {BLUE: warm("r1", 1)}, Position("steady", None, BLUE)),
    ({BLUE: 256, GREEN: 0}, {BLUE: warm("r1", 1), GREEN: warm("r2", 5)}, Position("starting", GREEN, BLUE)),
    ({BLUE: 0, GREEN: 256}, {BLUE: warm("r1", 1), GREEN: warm("r2", 5)}, Position("baking", GREEN, BLUE)),
    ({BLUE: 128, GREEN: 128}, {BLUE: warm("r1", 1), GREEN: warm("r2", 5)}, Position("shifting", GREEN, BLUE)),
    ({BLUE: 26, GREEN: 230}, {BLUE: warm("r1", 9), GREEN: warm("r2", 5)}, Position("shifting", BLUE, GREEN)),  # a rollback
    ({LEGACY: 256}, {LEGACY: warm(None, None, 2)}, Position("steady", None, LEGACY)),
    ({LEGACY: 256}, {LEGACY: warm(None, None, 2), BLUE: warm("r1", 5)}, Position("starting", BLUE, LEGACY)),
    ({LEGACY: 230, BLUE: 26}, {LEGACY: warm(None, None, 2), BLUE: warm("r1", 5)}, Position("shifting", BLUE, LEGACY)),
    ({LEGACY: 0, BLUE: 256}, {LEGACY: warm(None, None, 2), BLUE: warm("r1", 5)}, Position("baking", BLUE, LEGACY)),
], ids=["empty", "first-starting", "steady", "starting", "baking", "shifting", "shifting-back", "external-steady",
        "external-starting", "external-shifting", "external-baking"])
def test_the_position_rule(raw: dict[str, int], sides: dict[str, SideStatus], expected: Position) -> None:
    assert position(State(raw, {BLUE: IDLE, GREEN: IDLE, **sides})) == expected


@dataclass(frozen=True)
class Scenario:
    setup: Callable[[World], None]
    settings: dict[str, Any]
    revision: str
    router_after: dict[str, int]
    running_after: dict[str, tuple[str, int]]  # colour -> (revision, count) of each warm colour


def _blue_live(w: World) -> None:
    w.live(BLUE, "rev-1")


def _nothing(w: World) -> None:
    pass


def _legacy(w: World) -> None:
    w.router.raw = {LEGACY: 256}
    w.fleet.externals[LEGACY] = External(addresses=2)


SCENARIOS = {
    "canary": Scenario(_blue_live, {"strategy": "canary"}, "rev-2", {BLUE: 0, GREEN: 256}, {GREEN: ("rev-2", 3)}),
    "blue-green": Scenario(_blue_live, {}, "rev-2", {BLUE: 0, GREEN: 256}, {GREEN: ("rev-2", 3)}),
    "first-deploy": Scenario(_nothing, {"count": 2}, "rev-1", {BLUE: 256}, {BLUE: ("rev-1", 2)}),
    "migration": Scenario(_legacy, {"strategy": "canary", "count": 2}, "rev-1", {BLUE: 256}, {BLUE: ("rev-1", 2)}),
}


def _world(scenario: Scenario) -> tuple[World, list[str]]:
    """A world whose router refuses nothing but notes every write that sends traffic to a side not ready for it."""
    w = World()
    scenario.setup(w)
    unsafe: list[str] = []

    def check(weights: dict[str, int]) -> dict[str, int]:
        unsafe.extend(f"{side} at t={w.clock.t}" for side, v in weights.items() if v and not w.fleet.status(side).is_ready)
        return weights

    w.router.faulty = check
    return w, unsafe


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_crash_at_every_mutating_call_then_deploy_again_converges(name: str, when: Literal["before", "after"]) -> None:
    scenario = SCENARIOS[name]
    clean, _ = _world(scenario)
    assert clean.engine(**scenario.settings).deploy(scenario.revision).succeeded
    assert clean.trip.calls >= 2
    for k in range(clean.trip.calls):
        w, unsafe = _world(scenario)
        w.trip.at, w.trip.when = k, when
        with pytest.raises(Crash):
            w.engine(**scenario.settings).deploy(scenario.revision)
        w.trip.at = None
        w.clock.sleep(7)  # the user runs deploy again a little later
        result = w.engine(**scenario.settings).deploy(scenario.revision)
        assert result.succeeded, (k, result)
        assert w.router.raw == scenario.router_after, k
        running = {c: (s.revision, s.desired) for c, s in w.fleet.colours.items() if s.desired}
        assert running == scenario.running_after, k
        assert unsafe == [], k


def _crashed_at_fifty(call: int = 2) -> World:
    """A canary from blue rev-1 to green rev-2 killed just before its 50 % write (call 2): the router says 90/10."""
    w = World()
    w.live(BLUE, "rev-1")
    w.trip.at = call  # start green (0), write 10 % (1), write 50 % (2), write 100 % (3)
    with pytest.raises(Crash):
        w.engine(strategy="canary").deploy("rev-2")
    w.trip.at = None
    assert w.router.percent == ({BLUE: 90, GREEN: 10} if call == 2 else {BLUE: 50, GREEN: 50})
    w.clock.sleep(7)
    w.events.clear()
    return w


@pytest.mark.parametrize(("call", "then"), [
    (2, [{BLUE: 90, GREEN: 10}, {BLUE: 50, GREEN: 50}, {GREEN: 100}]),
    (3, [{BLUE: 50, GREEN: 50}, {GREEN: 100}]),  # never a step back to 10 %
])
def test_resume_forward_bakes_the_current_step_again_then_goes_on(call: int, then: list[dict[str, int]]) -> None:
    w = _crashed_at_fifty(call)
    done = len(w.router.history)
    result = w.engine(strategy="canary").deploy("rev-2")
    assert result.succeeded
    assert w.router.shares()[done:] == then
    assert w.of(Decided)[0].action == "resume"
    assert w.of(Started) == []  # green kept its tasks


def test_resume_reverts_when_the_incoming_side_is_no_longer_healthy() -> None:
    w = _crashed_at_fifty()
    w.fleet.scripts["rev-2"] = Script(sick_at=w.clock.t)
    result = w.engine(strategy="canary").deploy("rev-2")
    assert result.status == "rolled-back"
    assert w.router.shares()[1:] == [{BLUE: 100}]
    assert w.of(Decided)[0].action == "revert"
    assert w.fleet.status(GREEN).desired == 0 and w.fleet.status(BLUE).desired == 3


def test_resume_holds_when_neither_side_is_healthy() -> None:
    w = _crashed_at_fifty()
    w.fleet.scripts["rev-2"] = Script(sick_at=w.clock.t)
    w.fleet.scripts["rev-1"] = Script(sick_at=w.clock.t)
    result = w.engine(strategy="canary").deploy("rev-2")
    assert result.status == "held"
    assert w.router.shares()[1:] == []


def test_a_deploy_of_another_revision_reverts_the_interrupted_cutover_then_makes_its_own() -> None:
    w = _crashed_at_fifty()
    result = w.engine(strategy="canary").deploy("rev-3")
    assert result.succeeded
    assert w.router.shares()[1:] == [{BLUE: 100}, {BLUE: 90, GREEN: 10}, {BLUE: 50, GREEN: 50}, {GREEN: 100}]
    assert (w.fleet.status(GREEN).revision, w.fleet.status(BLUE).desired) == ("rev-3", 0)


def test_abort_mid_shift_puts_the_traffic_back_in_one_call_and_stops_the_new_side() -> None:
    w = _crashed_at_fifty()
    result = w.engine().abort()
    assert result.status == "rolled-back"
    assert w.router.shares()[1:] == [{BLUE: 100}]
    assert w.fleet.status(GREEN).desired == 0 and w.fleet.status(BLUE).desired == 3


def test_abort_of_a_colour_still_starting_stops_it_without_touching_the_weights() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    w.trip.at = 1  # the first write
    with pytest.raises(Crash):
        w.engine().deploy("rev-2")
    w.trip.at = None
    result = w.engine().abort()
    assert result.status == "rolled-back" and "before any traffic moved" in result.reason
    assert w.router.history == [] and w.fleet.status(GREEN).desired == 0


def _crashed_in_final_bake(w: World) -> None:
    """Kill a canary right after its 100 % write (start 0, 10 % 1, 50 % 2, 100 % 3), the outgoing side still warm."""
    w.trip.at, w.trip.when = 3, "after"
    with pytest.raises(Crash):
        w.engine(strategy="canary").deploy("rev-2")
    w.trip.at = None
    w.clock.sleep(7)
    w.events.clear()


def test_abort_in_the_final_bake_goes_back_to_the_warm_old_colour() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    _crashed_in_final_bake(w)
    assert w.router.percent == {BLUE: 0, GREEN: 100}
    result = w.engine().abort()
    assert result.status == "rolled-back"
    assert w.router.shares()[-1] == {BLUE: 100} and w.fleet.status(GREEN).desired == 0


def test_abort_with_no_cutover_in_progress_does_nothing() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    result = w.engine().abort()
    assert result.succeeded and "nothing to abort" in result.reason
    assert w.router.history == [] and w.fleet.log == []


def test_rollback_restarts_the_previous_revision_on_the_idle_colour_with_the_same_shift() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    assert w.engine(strategy="canary").deploy("rev-2").succeeded
    w.events.clear()
    result = w.engine(strategy="canary").rollback()
    assert result.succeeded
    assert w.router.shares()[3:] == [{BLUE: 10, GREEN: 90}, {BLUE: 50, GREEN: 50}, {BLUE: 100}]
    assert [(s.colour, s.revision, s.count) for s in w.of(Started)] == [(BLUE, "rev-1", 3)]
    assert w.fleet.status(GREEN).desired == 0 and w.fleet.status(GREEN).revision == "rev-2"


def test_rollback_in_the_final_bake_shifts_back_onto_the_warm_colour_without_restarting_it() -> None:
    w = World()
    w.live(BLUE, "rev-1")
    _crashed_in_final_bake(w)
    booted = w.fleet.colours[BLUE].booted_at
    result = w.engine(strategy="canary").rollback()
    assert result.succeeded
    assert w.router.shares()[-3:] == [{BLUE: 10, GREEN: 90}, {BLUE: 50, GREEN: 50}, {BLUE: 100}]
    assert w.fleet.colours[BLUE].booted_at == booted and w.of(Ready)[0].waited == 0
    assert w.fleet.status(GREEN).desired == 0


def test_rollback_is_refused_mid_shift_and_with_nothing_to_go_back_to() -> None:
    w = _crashed_at_fifty()
    refused = w.engine().rollback()
    assert refused.status == "failed" and "`migrate abort`" in refused.reason
    first = World()
    assert first.engine().deploy("rev-1").succeeded
    assert first.engine().rollback().status == "failed"
    assert World().engine().rollback().status == "failed"
    assert first.router.shares() == [{BLUE: 100}]


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_at_every_call_of_a_cutover_that_rolls_back_ends_back_on_the_old_side(when: Literal["before", "after"]) -> None:
    def bad_canary() -> tuple[World, list[str]]:
        w, unsafe = _world(SCENARIOS["canary"])
        w.fleet.scripts["rev-2"] = Script(sick_at=52)
        return w, unsafe

    clean, _ = bad_canary()
    assert clean.engine(strategy="canary").deploy("rev-2").status == "rolled-back"
    for k in range(clean.trip.calls):
        w, unsafe = bad_canary()
        w.trip.at, w.trip.when = k, when
        with pytest.raises(Crash):
            w.engine(strategy="canary").deploy("rev-2")
        w.trip.at = None
        w.clock.sleep(7)
        result = w.engine(strategy="canary").deploy("rev-2")
        assert result.status in ("rolled-back", "failed"), (k, result)
        assert w.router.percent == {BLUE: 100, GREEN: 0}, k
        assert (w.fleet.status(BLUE).desired, w.fleet.status(GREEN).desired) == (3, 0), k
        assert unsafe == [], k

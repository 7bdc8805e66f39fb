"""Migration cutover (``--from``): the old side is an external address group the fleet cannot start or scale."""

from __future__ import annotations

import pytest

from migrate.cutover.events import Held, Retired
from migrate.cutover.ports import BLUE

from .fakes import Crash, External, Script, World

LEGACY = "legacy"


def _leaving_legacy(healthy_until: float | None = None) -> World:
    """The app runs on two old servers, behind the router as the external side ``legacy``, with all the traffic."""
    w = World(max_weight=999)
    w.router.raw = {LEGACY: 999}
    w.fleet.externals[LEGACY] = External(addresses=2, sick_at=healthy_until)
    return w


def test_migration_moves_traffic_off_the_old_servers_in_steps_then_takes_them_out_of_the_router() -> None:
    w = _leaving_legacy()
    result = w.engine(strategy="canary", count=2).deploy("rev-1")
    assert result.succeeded
    assert w.router.shares() == [{BLUE: 10, LEGACY: 90}, {BLUE: 50, LEGACY: 50}, {BLUE: 100}, {BLUE: 100}]
    assert w.router.raw == {BLUE: 999}  # legacy is out of the routing: the migration is over
    assert [side for _, side in w.router.drained] == [LEGACY]
    assert w.router.history[-1][0] > w.router.drained[0][0] + 30  # taken out only past the drain
    assert [(verb, colour, n) for _, verb, colour, n in w.fleet.log] == [("start", BLUE, 2)]  # never started/scaled
    assert [r.side for r in w.of(Retired)] == [LEGACY]


def test_a_failing_new_side_sends_the_traffic_back_to_the_old_servers() -> None:
    w = _leaving_legacy()
    w.fleet.scripts["rev-1"] = Script(sick_at=90)
    result = w.engine(strategy="canary", count=2).deploy("rev-1")
    assert result.status == "rolled-back"
    assert w.router.shares() == [{BLUE: 10, LEGACY: 90}, {BLUE: 50, LEGACY: 50}, {LEGACY: 100}]
    assert w.fleet.status(BLUE).desired == 0
    assert w.router.raw[LEGACY] == 999


def test_old_servers_down_and_the_new_side_failing_holds_the_weights() -> None:
    w = _leaving_legacy(healthy_until=60)
    w.fleet.scripts["rev-1"] = Script(sick_at=90)
    result = w.engine(strategy="canary", count=2).deploy("rev-1")
    assert result.status == "held"
    assert w.router.shares() == [{BLUE: 10, LEGACY: 90}, {BLUE: 50, LEGACY: 50}]
    assert "legacy, the side to go back to, is not healthy (external, 0/2 healthy)" in w.of(Held)[0].reason


def test_a_migration_whose_first_tasks_never_start_leaves_the_old_servers_serving() -> None:
    w = _leaving_legacy()
    w.fleet.scripts["rev-1"] = Script(boot=10_000)
    result = w.engine(count=2).deploy("rev-1")
    assert result.status == "failed"
    assert w.router.history == [] and w.router.raw == {LEGACY: 999}


def _in_final_bake() -> World:
    w = _leaving_legacy()
    w.trip.at, w.trip.when = 3, "after"  # start, 10 %, 50 %, 100 % <- killed right after
    with pytest.raises(Crash):
        w.engine(strategy="canary", count=2).deploy("rev-1")
    w.trip.at = None
    w.clock.sleep(7)
    assert w.router.raw == {LEGACY: 0, BLUE: 999}
    return w


def test_abort_of_a_migration_in_its_final_bake_returns_to_the_old_servers() -> None:
    w = _in_final_bake()
    result = w.engine().abort()
    assert result.status == "rolled-back"
    assert w.router.shares()[-1] == {LEGACY: 100} and w.fleet.status(BLUE).desired == 0


def test_rollback_of_a_migration_in_its_final_bake_shifts_back_to_the_old_servers_in_steps() -> None:
    w = _in_final_bake()
    done = len(w.router.history)
    result = w.engine(strategy="canary").rollback()
    assert result.succeeded
    assert w.router.shares()[done:] == [{BLUE: 90, LEGACY: 10}, {BLUE: 50, LEGACY: 50}, {LEGACY: 100}]
    assert w.fleet.status(BLUE).desired == 0
    assert w.router.raw == {LEGACY: 999, BLUE: 0}


def test_the_next_deploy_after_a_migration_is_an_ordinary_colour_cutover() -> None:
    w = _leaving_legacy()
    assert w.engine(count=2).deploy("rev-1").succeeded
    result = w.engine().deploy("rev-2")
    assert result.succeeded
    assert w.router.shares()[-1] == {"green": 100}
    assert w.fleet.status("green").desired == 2  # the live count, no longer the configured one

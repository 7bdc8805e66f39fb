"""The commands over a target (lock, engine, status) and how their events read, on the fakes."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from migrate.cutover import command
from migrate.cutover.engine import Settings
from migrate.cutover.events import Event, GateFailed, Mismatch, Result
from migrate.cutover.ports import BLUE, GREEN, Failure, Gate, LockedError, Router, Verdict
from migrate.cutover.report import AppStatus, as_json, describe, kind, result_json, short
from migrate.cutover.state import read_state

from .fakes import External, FakeFleet, FakeTestRoute, Script, World


@dataclass
class ListJournal:
    """A journal kept in a list (the real ones: an SSM parameter, a file in the router container)."""

    lines: list[str] = field(default_factory=list)

    def read(self) -> tuple[str, ...]:
        return tuple(self.lines)

    def write(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)


@dataclass
class FakeTarget:
    """The Target protocol over a World, with a lock that is a plain attribute (held or not)."""

    world: World
    holder: tuple[str, datetime] | None = None
    #: The holder's process has ended on this machine (as the real targets tell, from the pid): taken over.
    holder_gone: bool = False
    gate_list: tuple[Gate, ...] = ()
    lock_log: list[str] = field(default_factory=list)
    name: str = "local"
    url: str | None = "http://127.0.0.1:8080"
    journal: ListJournal = field(default_factory=lambda: ListJournal())

    @property
    def router(self) -> Router:
        return self.world.router

    @property
    def fleet(self) -> FakeFleet:
        return self.world.fleet

    @property
    def gates(self) -> Sequence[Gate]:
        return self.gate_list

    @property
    def test_route(self) -> FakeTestRoute:
        return self.world.test_route

    @contextlib.contextmanager
    def lock(self, who: str, *, break_stale: bool = False, took_over: Callable[[str], None] = lambda holder: None) -> Iterator[None]:
        if self.holder is not None and self.holder_gone and not break_stale:
            took_over(self.holder[0])
        elif self.holder is not None and not break_stale:
            raise LockedError("web", *self.holder)
        self.holder = (who, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
        self.lock_log.append(f"take {who}")
        try:
            yield
        finally:
            self.holder = None
            self.lock_log.append(f"release {who}")


def run(target: FakeTarget, action: command.Action, revision: str | None = None, **settings: object) -> tuple[Result, list[Event]]:
    events: list[Event] = []
    clock = target.world.clock
    result = command.run(target, action, revision=revision, settings=Settings(**settings), now=clock.now,  # type: ignore[arg-type]
                         sleep=clock.sleep, on_event=events.append, who="ci@runner (pid 7)")
    return result, events


def test_a_deploy_holds_the_lock_while_it_runs_and_releases_it_after() -> None:
    target = FakeTarget(World())
    target.world.live(BLUE, "rev-1")
    result, events = run(target, "deploy", "rev-2")
    assert result.succeeded and target.world.router.percent[GREEN] == 100
    assert target.lock_log == ["take ci@runner (pid 7)", "release ci@runner (pid 7)"] and target.holder is None
    assert [kind(e) for e in events][:3] == ["decided", "started", "ready"]


def test_a_second_cutover_is_refused_naming_the_holder_and_since_when_and_changes_nothing() -> None:
    target = FakeTarget(World(), holder=("ana@laptop (pid 12)", datetime(2026, 11, 28, 9, 30, tzinfo=UTC)))
    target.world.live(BLUE, "rev-1")
    with pytest.raises(LockedError) as caught:
        run(target, "deploy", "rev-2")
    assert "ana@laptop (pid 12) holds the lock since 2026-11-28T09:30:00+00:00" in str(caught.value)
    assert "--break-lock" in (caught.value.hint or "")
    assert target.world.router.history == [] and target.world.fleet.log == []


def test_the_lock_is_released_when_the_cutover_dies_midway() -> None:
    target = FakeTarget(World())
    target.world.live(BLUE, "rev-1")
    target.world.fleet.scripts["rev-2"] = Script(failure=Failure("exited with code 3", ("boom",)))
    result, _ = run(target, "deploy", "rev-2")
    assert result.status == "failed" and result.diagnosis == ("boom",)
    assert target.holder is None


def test_rollback_and_abort_go_through_the_same_lock() -> None:
    target = FakeTarget(World())
    target.world.live(BLUE, "rev-1")
    run(target, "deploy", "rev-2")
    result, _ = run(target, "rollback")
    assert result.succeeded and target.world.router.percent[BLUE] == 100
    result, _ = run(target, "abort")
    assert result.reason == "no cutover in progress: nothing to abort"
    assert target.lock_log.count("release ci@runner (pid 7)") == 3


def test_the_targets_gates_are_checked_as_well_as_target_health() -> None:
    @dataclass
    class Failing:
        def check(self, side: str) -> Verdict:
            return Verdict("5xx rate", False, f"{side}: 5xx rate 12.0% (limit 1.0%)")

    target = FakeTarget(World(), gate_list=(Failing(),))
    target.world.live(BLUE, "rev-1")
    result, events = run(target, "deploy", "rev-2")
    assert result.status == "rolled-back" and target.world.router.percent[BLUE] == 100
    assert [describe(e) for e in events if isinstance(e, GateFailed)] == ["gate 5xx rate FAILED: green: 5xx rate 12.0% (limit 1.0%)"]


def test_a_deploy_without_a_revision_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="revision"):
        run(FakeTarget(World()), "deploy")


def test_status_reads_the_stage_weights_and_sides_without_the_lock() -> None:
    target = FakeTarget(World(), holder=("someone", datetime(2026, 11, 28, tzinfo=UTC)))
    target.world.live(BLUE, "arn:aws:ecs:eu-west-1:1:task-definition/shop-web:7", count=2)
    target.world.router.raw = {BLUE: 230, GREEN: 26}
    target.world.fleet.run(GREEN, "arn:aws:ecs:eu-west-1:1:task-definition/shop-web:8", 2, started=0.0)
    status = command.status(target, "web")
    assert (status.stage, status.incoming, status.outgoing) == ("shifting", GREEN, BLUE)
    assert status.percent == {BLUE: 90, GREEN: 10}
    lines = status.lines()
    assert lines[0] == "web (local): cutover IN PROGRESS: blue -> green  url: http://127.0.0.1:8080"
    assert lines[1].split() == ["blue", "90", "%", "shop-web:7", "2/2", "healthy,", "2", "running"]
    data = status.as_json()
    assert json.loads(json.dumps(data))["sides"]["green"]["revision"].endswith("shop-web:8")
    assert data["weights"] == {"blue": 90, "green": 10} and data["stage"] == "shifting"


def test_status_of_an_empty_target() -> None:
    status = command.status(FakeTarget(World(), url=None), "web")
    assert status.lines()[0] == "web (local): nothing deployed"


def test_status_shows_an_external_side_and_a_failure() -> None:
    world = World()
    world.fleet.externals["legacy"] = External(addresses=2)
    world.router.raw = {BLUE: 0, GREEN: 0, "legacy": 256}
    world.fleet.scripts["sha256:" + "ab" * 32] = Script(failure=Failure("exited with code 1"), fail_after=0)
    world.fleet.run(BLUE, "sha256:" + "ab" * 32, 1, started=0.0)
    status = AppStatus.of("web", "local", read_state(world.router, world.fleet), None)
    text = "\n".join(status.lines())
    assert "starting blue (traffic on legacy)" in text
    assert "legacy" in text and "external" in text and "abababababab" in text and "exited with code 1" in text


def test_a_lock_left_by_an_ended_process_is_taken_over_and_the_command_says_so() -> None:
    target = FakeTarget(World(), holder=("ana@laptop (pid 12)", datetime(2026, 11, 28, 9, 30, tzinfo=UTC)), holder_gone=True)
    target.world.live(BLUE, "rev-1")
    result, events = run(target, "deploy", "rev-2")
    assert result.succeeded
    assert describe(events[0]) == "took over the lock left by ana@laptop (pid 12) (that process of this machine has ended)"
    assert as_json(events[0], "web")["holder"] == "ana@laptop (pid 12)"
    assert "took over the lock left by ana@laptop (pid 12)" in target.journal.lines[0]  # status shows it too


def test_every_event_has_a_line_and_a_json_object() -> None:
    target = FakeTarget(World())
    target.world.live(BLUE, "rev-1")
    _, events = run(target, "deploy", "rev-2", strategy="canary", canary_steps=(50, 100))
    events.append(Mismatch(1.0, ((BLUE, 256),), ((BLUE, 0),)))
    kinds = {kind(e) for e in events}
    assert {"decided", "started", "ready", "shifted", "baked", "drained", "retired", "mismatch"} <= kinds
    for event in events:
        line = json.loads(json.dumps(as_json(event, "web")))
        assert line["app"] == "web" and line["event"] == kind(event) and line["text"] == describe(event)
    shifted = [as_json(e, "web") for e in events if kind(e) == "shifted"]
    assert [s["weights"] for s in shifted] == [{BLUE: 50, GREEN: 50}, {BLUE: 0, GREEN: 100}]
    assert describe(events[-1]) == "the router read back blue 0, not the blue 256 just set"


def test_the_result_is_the_last_json_line() -> None:
    line = result_json(Result("held", "not healthy", ((BLUE, 50), (GREEN, 50)), ("x",)), "web")
    assert line == {"app": "web", "event": "result", "status": "held", "reason": "not healthy",
                    "weights": {BLUE: 50, GREEN: 50}, "diagnosis": ["x"], "url": None}


@pytest.mark.parametrize(("revision", "shown"), [
    ("arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:12", "shop-web:12"),
    ("sha256:" + "0123456789ab" + "f" * 52, "0123456789ab"),
    (None, "-"),
])
def test_revisions_read_short(revision: str | None, shown: str) -> None:
    assert short(revision) == shown


def test_each_command_keeps_its_lines_in_the_targets_journal_and_status_shows_the_last() -> None:
    target = FakeTarget(World())
    result, events = run(target, "deploy", "arn:aws:ecs:eu-west-1:1:task-definition/shop-web:7")
    assert result.status == "succeeded"
    kept = target.journal.lines
    assert len(kept) == len(events) + 1  # every event, then how it ended
    assert kept[0].endswith(f"  deploy  {describe(events[0])}") and kept[-1].endswith(f"  deploy  succeeded: {result.reason}")
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  ", kept[0])  # UTC wall time: read from another machine
    for n in (8, 9, 10):  # more lines than the journal keeps: the oldest go
        run(target, "deploy", f"arn:aws:ecs:eu-west-1:1:task-definition/shop-web:{n}")
    run(target, "rollback")
    assert len(target.journal.lines) == command.KEPT and "  rollback  succeeded" in target.journal.lines[-1]
    status = command.status(target, "web")
    assert status.events == tuple(target.journal.lines)
    lines = status.lines()
    assert "  last events:" in lines and lines[-1] == f"    {target.journal.lines[-1]}"
    assert len(lines[lines.index("  last events:") + 1:]) == 8  # the last few; --json has them all
    assert status.as_json()["events"] == target.journal.lines

"""The live table of a cutover on a terminal (migrate/cutover/board.py, and the CLI's progress)."""

from __future__ import annotations

import io

from rich.console import Console

from migrate.cli.cutover_cmd import progress
from migrate.cutover.board import Board
from migrate.cutover.events import Baked, Decided, Event, GateFailed, Ready, Reverted, Shifted, Started, Stopped
from migrate.cutover.ports import Verdict
from migrate.environment import Environment

REV = "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:7"

A_FAILING_CANARY: tuple[Event, ...] = (
    Decided(100.0, "cutover", "green takes shop-api:7 from blue"),
    Started(100.5, "green", REV, 2),
    Ready(130.0, "green", 29.5),
    Shifted(131.0, (("blue", 90), ("green", 10))),
    Baked(161.0, 10, 30.0),
    Shifted(162.0, (("blue", 50), ("green", 50))),
    GateFailed(170.0, Verdict("5xx rate", False, "green: 9 of 120 answers 5xx (7.5%, limit 1.0%)")),
    Reverted(170.5, (("blue", 100), ("green", 0))),
    Stopped(171.0, "green", "rolled back"),
)


def rendered(board: Board) -> str:
    console = Console(file=io.StringIO(), width=140, record=True, color_system=None)
    console.print(board.table())
    return console.export_text()


def test_each_side_shows_its_revision_its_share_and_its_state_as_the_events_come() -> None:
    board = Board("api", began=100.0)
    for event in A_FAILING_CANARY[:4]:
        board.add(event)
    assert (board.rows["green"].revision, board.rows["green"].weight, board.rows["green"].state) == ("shop-api:7", 10, "ready after 30 s")
    assert board.rows["blue"].weight == 90 and board.stage == "cutover: green takes shop-api:7 from blue"
    text = rendered(board)
    assert "api   31.0 s  cutover: green takes shop-api:7 from blue" in text
    assert "10 % │ ██░░░░░░░░░░░░░░░░░░ │" in text and "90 % │ ██████████████████░░ │" in text

    for event in A_FAILING_CANARY[4:]:
        board.add(event)
    assert board.stage == "reverted: the traffic is back on the old side"
    assert (board.rows["blue"].weight, board.rows["green"].weight, board.rows["green"].state) == (100, 0, "stopped: rolled back")


def test_a_gate_that_fails_is_the_stage_until_the_weights_move_back() -> None:
    board = Board("api", began=100.0)
    for event in A_FAILING_CANARY[:7]:
        board.add(event)
    assert board.stage == "gate 5xx rate failed: green: 9 of 120 answers 5xx (7.5%, limit 1.0%)"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_table_is_drawn_with_the_event_lines_and_off_it_only_lines() -> None:
    out = Terminal()
    env = Environment(stdout=io.StringIO(), stderr=out, stdin=io.StringIO(), width=120, no_color=True, clock=lambda: 100.0)
    with progress(env, "api", as_json=False) as show:
        for event in A_FAILING_CANARY:
            show(event)
    text = out.getvalue()
    assert "   70.0s  api  gate 5xx rate FAILED" in text  # the line, as off a terminal
    assert "api  -100.0 s" not in text  # the table's clock starts with the command
    assert "reverted: the traffic is back on the old side" in text and "stopped: rolled back" in text  # the table, last drawn

    plain = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=plain, stdin=io.StringIO(), width=120, no_color=True, clock=lambda: 100.0)
    with progress(env, "api", as_json=False) as show:
        for event in A_FAILING_CANARY:
            show(event)
    assert "█" not in plain.getvalue() and "\x1b" not in plain.getvalue()
    assert "api  gate 5xx rate FAILED" in plain.getvalue()

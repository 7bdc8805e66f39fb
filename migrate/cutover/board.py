"""The live table a cutover shows on a terminal: one row per side, redrawn as the events come.

:class:`Board` folds the engine's events into rows (pure); :meth:`Board.table` renders them with
rich, whose ``Live`` redraws the table in place while the event lines scroll above it (the CLI's
part). Off a terminal the same events are lines, or JSON lines with ``--json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.cutover.events import (
    Baked,
    Decided,
    Drained,
    Event,
    GateFailed,
    Held,
    Parked,
    Ready,
    Retired,
    Reverted,
    Shifted,
    SmokeTested,
    Started,
    Stopped,
)
from migrate.cutover.report import short


@dataclass
class Row:
    """One side as the events have told it so far."""

    side: str
    revision: str = ""
    weight: int | None = None
    state: str = ""


@dataclass
class Board:
    """One app's cutover, as a table: stage, then each side's revision, weight and state."""

    app: str
    began: float
    stage: str = "starting"
    now: float = 0.0
    rows: dict[str, Row] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.now = max(self.now, self.began)

    def row(self, side: str) -> Row:
        """The side's row (added on first mention)."""
        return self.rows.setdefault(side, Row(side))

    def add(self, event: Event) -> None:
        """Fold one event into the table."""
        self.now = event.at
        match event:
            case Decided(action=action, why=why):
                self.stage = f"{action}: {why}"
            case Started(colour=colour, revision=revision, count=count):
                row = self.row(colour)
                row.revision, row.state = short(revision), f"starting {count} task{'s' if count != 1 else ''}"
            case Ready(side=side, waited=waited):
                self.row(side).state = f"ready after {waited:.0f} s"
            case SmokeTested(side=side, passed=passed):
                self.row(side).state = "smoke test passed" if passed else "smoke test FAILED"
            case Shifted(weights=weights) | Reverted(weights=weights) | Held(weights=weights):
                for side, percent in weights:
                    self.row(side).weight = percent
                if isinstance(event, Reverted):
                    self.stage = "reverted: the traffic is back on the old side"
                elif isinstance(event, Held):
                    self.stage = f"held: {event.reason}"
            case GateFailed(verdict=verdict):
                self.stage = f"gate {verdict.gate} failed: {verdict.detail}"
            case Baked(percent=percent, seconds=seconds):
                self.stage = f"baked {seconds:.0f} s at {percent} %"
            case Drained(side=side, seconds=seconds):
                self.row(side).state = f"drained {seconds:.0f} s"
            case Retired(side=side):
                self.row(side).state = "retired"
            case Stopped(colour=colour, reason=reason):
                self.row(colour).state = f"stopped: {reason}"
            case Parked(colour=colour, revision=revision):
                row = self.row(colour)
                row.revision, row.state = short(revision), "parked at 0 (the revision a rollback goes to)"

    def table(self) -> Any:
        """The rich table: a title with the app, the time and the stage; a row per side."""
        from rich.table import Table

        table = Table(title=f"{self.app}  {self.now - self.began:5.1f} s  {self.stage}", title_justify="left",
                      expand=False, show_edge=False)
        for column, justify in (("side", "left"), ("revision", "left"), ("traffic", "right"), ("", "left"), ("state", "left")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for row in sorted(self.rows.values(), key=lambda r: r.side):
            weight = "" if row.weight is None else f"{row.weight} %"
            table.add_row(row.side, row.revision, weight, _bar(row.weight), row.state)
        return table


def _bar(percent: int | None, width: int = 20) -> str:
    """``██████░░░░`` for a share of the traffic."""
    if percent is None:
        return ""
    full = round(width * percent / 100)
    return "█" * full + "░" * (width - full)

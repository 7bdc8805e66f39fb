"""Where a cutover stands, read from the target alone: the router's weights and the fleet's colours.

No state is kept anywhere else, so a cutover killed at any point (Ctrl-C, a CI runner stopped) is
picked up by the next command from what it reads. The rule, applied by :func:`position`:

* two sides with weight: **shifting**. The incoming side is the colour started most recently (an
  external side is never incoming), the outgoing one the other side with weight.
* no side with weight: **empty** (nothing deployed), or **starting** when a colour runs (a first
  deploy stopped before its only shift).
* one side with all the weight, the *live* side:
  - another colour runs and was started after the live one: **starting** (it is the incoming side,
    stopped before the first shift);
  - another colour runs and was started before it, or an external side is still in the router at
    weight 0: **baking** (the live side took all the traffic; the outgoing side is still warm, not
    yet drained and retired);
  - otherwise **steady**.

What each command does from each position is in :mod:`migrate.cutover.engine`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from migrate.cutover.ports import COLOURS, Fleet, Router, SideStatus, is_colour, other, to_percent

Stage = Literal["empty", "steady", "starting", "shifting", "baking"]


@dataclass(frozen=True)
class State:
    """The router's weights (raw, and in percent) and every side's status, read at one moment."""

    raw: Mapping[str, int]
    sides: Mapping[str, SideStatus]

    @property
    def percent(self) -> dict[str, int]:
        """Each side's share of the traffic."""
        return to_percent(self.raw)

    @property
    def externals(self) -> tuple[str, ...]:
        """Sides the router holds that are not colours."""
        return tuple(side for side in self.raw if not is_colour(side))

    def started(self, side: str) -> float:
        """When ``side`` was last started; an external side, and a colour never started, count as oldest."""
        stamp = self.sides[side].started if is_colour(side) else None
        return float("-inf") if stamp is None else stamp


@dataclass(frozen=True)
class Position:
    """The stage, the incoming side and the outgoing one (None where there is none)."""

    stage: Stage
    incoming: str | None
    outgoing: str | None


def read_state(router: Router, fleet: Fleet) -> State:
    """Read the router, then each colour and each external side from the fleet."""
    raw = dict(router.weights())
    names = list(COLOURS) + [side for side in raw if not is_colour(side)]
    return State(raw, {side: fleet.status(side) for side in names})


def position(state: State) -> Position:
    """Apply the rule in this module's docstring."""
    weighted = [side for side, p in state.percent.items() if p > 0]
    if len(weighted) >= 2:
        incoming = max((s for s in weighted if is_colour(s)), key=state.started, default=None)
        outgoing = max((s for s in weighted if s != incoming), key=lambda s: state.percent[s])
        return Position("shifting", incoming, outgoing)
    running = [c for c in COLOURS if state.sides[c].is_warm]
    if not weighted:
        if running:
            return Position("starting", max(running, key=state.started), None)
        return Position("empty", None, None)
    return _one_live(state, weighted[0], running)


def _one_live(state: State, live: str, running: list[str]) -> Position:
    """One side holds all the traffic: starting, baking or steady."""
    if not is_colour(live):
        return Position("starting", max(running, key=state.started), live) if running else Position("steady", None, live)
    idle = other(live)
    if state.sides[idle].is_warm:
        if state.started(idle) > state.started(live):
            return Position("starting", idle, live)
        return Position("baking", live, idle)
    if state.externals:
        return Position("baking", live, state.externals[0])
    return Position("steady", None, live)

"""What a cutover tells its user: each event as a line for people and as a JSON object for CI,
and where an app stands (``migrate status``), read from the target alone.

Pure: the events and the state come in, strings and plain dicts go out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrate.cutover.events import (
    Baked,
    Decided,
    Drained,
    Event,
    GateFailed,
    Held,
    LockTakenOver,
    Mismatch,
    Parked,
    Ready,
    Result,
    Retired,
    Reverted,
    Shifted,
    SmokeTested,
    Started,
    Stopped,
    Weights,
    show,
)
from migrate.cutover.ports import COLOURS, SideStatus
from migrate.cutover.state import Position, State, position

#: How many of the kept lines ``status`` shows (``--json`` gives them all).
SHOWN = 8


def kind(event: Event) -> str:
    """The event's name in lines and JSON: ``shifted``, ``gate-failed``..."""
    name = type(event).__name__
    return "".join(f"-{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def describe(event: Event) -> str:
    """One line for people, without the time."""
    match event:
        case Decided(action=action, why=why):
            return f"{action}: {why}"
        case Started(colour=colour, revision=revision, count=count):
            return f"{colour}: starting {short(revision)} ({count} task{'s' if count != 1 else ''})"
        case Ready(side=side, waited=waited):
            return f"{side}: ready (every target healthy) after {waited:.0f} s"
        case SmokeTested(side=side, answers=answers, passed=passed):
            told = ", ".join(f"{path} {answer}" for path, answer in answers)
            return f"{side}: smoke test {'passed' if passed else 'FAILED'} through the test route ({told})"
        case Shifted(weights=weights):
            return f"traffic: {show(weights)}"
        case Reverted(weights=weights):
            return f"traffic back: {show(weights)}"
        case Mismatch(planned=planned, read=read):
            return f"the router read back {_raw(read)}, not the {_raw(planned)} just set"
        case GateFailed(verdict=verdict):
            return f"gate {verdict.gate} FAILED: {verdict.detail}"
        case Baked(percent=percent, seconds=seconds):
            return f"{percent} % held {seconds:.0f} s, every gate passing"
        case Held(reason=reason):
            return f"HELD: {reason}"
        case Drained(side=side, seconds=seconds):
            return f"{side}: drained ({seconds:.0f} s for open requests)"
        case Retired(side=side):
            return f"{side}: retired"
        case Stopped(colour=colour, reason=reason):
            return f"{colour}: stopped ({reason})"
        case Parked(colour=colour, revision=revision):
            return f"{colour}: back on {short(revision)} (not running), what a rollback returns to"
        case LockTakenOver(holder=holder):
            return f"took over the lock left by {holder} (that process of this machine has ended)"
    raise TypeError(f"not a cutover event: {event!r}")  # pragma: no cover - Event is a closed union


def as_json(event: Event, app: str) -> dict[str, Any]:
    """The event as one JSON object: ``{"app", "event", "at", ...its fields}``; weights as a side -> percent object."""
    fields: dict[str, Any] = {"app": app, "event": kind(event)}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if field.name in ("weights", "planned", "read", "answers"):
            value = dict(value)
        elif field.name == "verdict":
            value = dataclasses.asdict(value)
        fields[field.name] = value
    fields["text"] = describe(event)
    return fields


def result_json(result: Result, app: str, url: str | None = None) -> dict[str, Any]:
    """How the command ended, as the last JSON line (with where the app answers, when given)."""
    return {"app": app, "event": "result", "status": result.status, "reason": result.reason,
            "weights": dict(result.weights), "diagnosis": list(result.diagnosis), "url": url}


@dataclass(frozen=True)
class AppStatus:
    """Where one app stands on a target: the stage, the weights and every side."""

    app: str
    target: str
    stage: str
    incoming: str | None
    outgoing: str | None
    percent: Mapping[str, int]
    sides: Mapping[str, SideStatus]
    url: str | None
    #: The last lines the app's cutovers told (the target's journal), oldest first.
    events: tuple[str, ...] = ()

    @classmethod
    def of(cls, app: str, target: str, state: State, url: str | None, events: tuple[str, ...] = ()) -> AppStatus:
        """The status of ``state`` as :func:`~migrate.cutover.state.position` reads it."""
        pos: Position = position(state)
        return cls(app, target, pos.stage, pos.incoming, pos.outgoing, state.percent, state.sides, url, events)

    def lines(self) -> list[str]:
        """For people: a headline, then one line per side."""
        head = {"empty": "nothing deployed", "steady": f"steady on {self.outgoing}",
                "starting": f"starting {self.incoming}" + (f" (traffic on {self.outgoing})" if self.outgoing else ""),
                "shifting": f"cutover IN PROGRESS: {self.outgoing} -> {self.incoming}",
                "baking": f"baking on {self.incoming}, {self.outgoing} still warm"}[self.stage]
        lines = [f"{self.app} ({self.target}): {head}" + (f"  url: {self.url}" if self.url else "")]
        for side, status in self.sides.items():
            if side not in COLOURS and side not in self.percent:
                continue
            revision = short(status.revision) if status.revision else ("external" if side not in COLOURS else "-")
            failure = f"  {status.failure.reason}" if status.failure else ""
            lines.append(f"  {side:<10} {self.percent.get(side, 0):>3} %  {revision:<28} "
                         f"{status.healthy}/{status.desired} healthy, {status.running} running{failure}")
        if self.events:
            lines.append("  last events:")
            lines.extend(f"    {line}" for line in self.events[-SHOWN:])
        return lines

    def as_json(self) -> dict[str, Any]:
        """For scripts: the same facts as one object."""
        return {"app": self.app, "target": self.target, "stage": self.stage, "incoming": self.incoming,
                "outgoing": self.outgoing, "weights": dict(self.percent), "url": self.url,
                "sides": {side: {"revision": s.revision, "desired": s.desired, "running": s.running, "healthy": s.healthy,
                                 "failure": s.failure.reason if s.failure else None} for side, s in self.sides.items()},
                "events": list(self.events)}


def short(revision: str | None) -> str:
    """A revision as people read it: a task definition's ``family:7``, an image's first 12 hex digits."""
    if not revision:
        return "-"
    tail = revision.rsplit("/", 1)[-1]
    if tail.startswith("sha256:"):
        return tail[7:19]
    return tail


def _raw(weights: Weights) -> str:
    return ", ".join(f"{side} {w}" for side, w in weights) or "nothing"

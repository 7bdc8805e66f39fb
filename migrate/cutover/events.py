"""What a cutover reports as it goes (typed events, each stamped with the injected clock), and how it ended."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from migrate.cutover.ports import Verdict

#: Percent per side, sorted by side: hashable, and printed the same way every time.
Weights = tuple[tuple[str, int], ...]


def weights_of(percent: Mapping[str, int]) -> Weights:
    """``{"green": 10, "blue": 90}`` as ``(("blue", 90), ("green", 10))``."""
    return tuple(sorted(percent.items()))


def show(weights: Weights) -> str:
    """``blue 90 % / green 10 %``."""
    return " / ".join(f"{side} {p} %" for side, p in weights) or "no side"


@dataclass(frozen=True)
class Decided:
    """What the engine read and what it will do (a fresh cutover, a resume, a revert)."""

    at: float
    action: str
    why: str


@dataclass(frozen=True)
class Started:
    """A colour was asked to run a revision."""

    at: float
    colour: str
    revision: str
    count: int


@dataclass(frozen=True)
class Ready:
    """The incoming side runs its revision and every target is healthy."""

    at: float
    side: str
    waited: float


@dataclass(frozen=True)
class Shifted:
    """The router took new weights, and reading them back gave the plan."""

    at: float
    weights: Weights


@dataclass(frozen=True)
class Mismatch:
    """The router read back other weights than the ones just set (both in the router's own units)."""

    at: float
    planned: Weights
    read: Weights


@dataclass(frozen=True)
class SmokeTested:
    """The incoming side answered (or not) the smoke test's requests through the test route, before any weight moved."""

    at: float
    side: str
    answers: tuple[tuple[str, str], ...]  # (path, status or error), in the order asked
    passed: bool


@dataclass(frozen=True)
class GateFailed:
    """A gate failed while the incoming side took traffic."""

    at: float
    verdict: Verdict


@dataclass(frozen=True)
class Baked:
    """A step held for its bake time with every gate passing."""

    at: float
    percent: int
    seconds: float


@dataclass(frozen=True)
class Reverted:
    """The weights went back to the outgoing side, in one call, read back as planned."""

    at: float
    weights: Weights


@dataclass(frozen=True)
class Held:
    """The weights were left where they are because the side to go back to is not healthy. Say it loudly."""

    at: float
    weights: Weights
    reason: str


@dataclass(frozen=True)
class Drained:
    """A side at weight 0 was drained, and the drain time has passed."""

    at: float
    side: str
    seconds: float


@dataclass(frozen=True)
class Retired:
    """The outgoing side is done: a colour scaled to 0, or an external side taken out of the router."""

    at: float
    side: str


@dataclass(frozen=True)
class Stopped:
    """The incoming colour was scaled to 0 (it failed, or the cutover was reverted or aborted)."""

    at: float
    colour: str
    reason: str


@dataclass(frozen=True)
class Parked:
    """A colour whose new revision did not take the traffic was pointed back at the revision it held before (0 tasks)."""

    at: float
    colour: str
    revision: str


@dataclass(frozen=True)
class LockTakenOver:
    """The app's lock was held by a command of this machine whose process has ended (killed, a power cut): taken over."""

    at: float
    holder: str


Event = (Decided | Started | Ready | SmokeTested | Shifted | Mismatch | GateFailed | Baked | Reverted | Held | Drained | Retired | Stopped | Parked
         | LockTakenOver)

Status = Literal["succeeded", "rolled-back", "failed", "held"]


@dataclass(frozen=True)
class Result:
    """How a cutover ended, why, and the weights it left (as last read back)."""

    status: Status
    reason: str
    weights: Weights = ()
    diagnosis: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        """Only ``succeeded`` is success: a cutover that ended rolled back or held exits non-zero."""
        return self.status == "succeeded"

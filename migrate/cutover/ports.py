"""What the cutover engine drives, as protocols: a router, a fleet and gates.

Two targets implement them (ECS: an ALB listener rule's weighted ``forward`` over two target groups
and two ECS services; local: HAProxy's runtime API and containers), and tests implement them with
in-memory fakes. Nothing here imports an SDK.

Sides: the two colours, ``blue`` and ``green``, which the fleet starts and scales, and any other
side the router holds: an *external* side, the address group of a deployment being left (``--from``),
which takes weight and reports health but is never started or scaled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from migrate.errors import UserError

BLUE = "blue"
GREEN = "green"
COLOURS = (BLUE, GREEN)
#: The external side of a migration (``--from``): the deployment being left, on every target.
LEGACY = "legacy"


def other(colour: str) -> str:
    """The other colour."""
    return GREEN if colour == BLUE else BLUE


def is_colour(side: str) -> bool:
    """Whether the fleet starts and scales ``side`` (an external side it only reports on)."""
    return side in COLOURS


@dataclass(frozen=True)
class Failure:
    """Why a side's revision failed, as the deploy stage diagnoses it: a one-line reason and the facts behind it."""

    reason: str
    diagnosis: tuple[str, ...] = ()


@dataclass(frozen=True)
class SideStatus:
    """One side as the fleet reads it now.

    ``running`` counts tasks of ``revision``; ``healthy`` counts its targets registered with the router and
    passing its health check. ``started`` orders the colours by when each was last started (any clock the
    fleet keeps the same for both colours: an ECS tag, a container label); only the order is used, to
    tell the incoming side from the outgoing one after a crash. An external side has ``revision`` None
    and ``desired`` the number of its addresses.
    """

    revision: str | None
    desired: int
    running: int
    healthy: int
    started: float | None = None
    failure: Failure | None = None

    @property
    def is_warm(self) -> bool:
        """Something is meant to run there: it could take traffic back."""
        return self.desired > 0

    @property
    def is_ready(self) -> bool:
        """Every desired task runs and every target is healthy, and nothing failed: it may take traffic."""
        return self.desired > 0 and self.running >= self.desired and self.healthy >= self.desired and self.failure is None

    def runs(self, revision: str) -> bool:
        """Whether this side is meant to run ``revision``."""
        return self.is_warm and self.revision == revision

    def summary(self) -> str:
        """``rev-7, 2/3 healthy`` for messages."""
        what = self.revision.rsplit("/", 1)[-1] if self.revision else "external"
        return f"{what}, {self.healthy}/{self.desired} healthy" + (f", {self.failure.reason}" if self.failure else "")


class Router(Protocol):
    """Splits traffic between sides by weight.

    Weights are the router's own integers (ALB: 0-999 per target group; HAProxy: 0-256 per server);
    the engine turns percentages into them with :attr:`max_weight` and back. A side's share is its
    weight over the sum.
    """

    @property
    def max_weight(self) -> int:
        """The largest weight one side can take."""
        ...

    def weights(self) -> Mapping[str, int]:
        """Every side the router holds and its weight, as the router has it now (a read, never a cache)."""
        ...

    def set_weights(self, weights: Mapping[str, int]) -> None:
        """Make ``weights`` the router's, in one call: exactly these sides (one left out is taken out of the routing)."""
        ...

    def drain(self, side: str) -> None:
        """Send ``side`` (already at weight 0) no new request and let open ones finish (HAProxy's drain state)."""
        ...


class Fleet(Protocol):
    """Runs the colours, and reports on every side."""

    def status(self, side: str) -> SideStatus:
        """``side`` now; ``failure`` only for the revision it runs now (an earlier attempt's failure is not its own)."""
        ...

    def start(self, colour: str, revision: str, count: int) -> None:
        """Run ``count`` tasks of ``revision`` as ``colour`` and mark it the most recently started.

        Idempotent: a colour that already runs ``revision`` at ``count`` keeps its tasks.
        """
        ...

    def scale(self, colour: str, count: int) -> None:
        """Run ``count`` tasks of the colour's revision (0: stop it, keeping the revision for a rollback)."""
        ...

    def park(self, colour: str, revision: str) -> None:
        """Point the colour, which runs nothing, at ``revision`` again, with no task started: the revision a
        rollback goes back to (after a new revision failed on it)."""
        ...


@dataclass(frozen=True)
class Verdict:
    """One gate's judgement of the incoming side."""

    gate: str
    passed: bool
    detail: str


class Gate(Protocol):
    """A check made after each weight change and through each bake; a failed one rolls the cutover back."""

    def check(self, side: str) -> Verdict:
        """Judge ``side`` (the one taking traffic in) now."""
        ...


#: The request header that names the side a smoke test reaches through a :class:`TestRoute`, whatever the weights.
SIDE_HEADER = "X-Migrate-Side"


@dataclass(frozen=True)
class Answer:
    """What one smoke request through a test route got: the HTTP status, or None and why there was none
    (no answer, or one that did not come from the side asked for)."""

    status: int | None
    error: str = ""

    @property
    def passed(self) -> bool:
        """A success or a redirect, from the side asked for."""
        return self.status is not None and 200 <= self.status < 400

    def show(self) -> str:
        """``200``, or the error."""
        return str(self.status) if self.status is not None else self.error or "no answer"


class TestRoute(Protocol):
    """Requests carrying :data:`SIDE_HEADER` reach that side whatever the weights (Argo Rollouts' preview,
    ECS's test listener rule): how a side is smoke-tested before any client's request goes to it."""

    def open(self, side: str) -> None:
        """Route requests naming ``side`` to it, and only to it (idempotent: one left by a crash is replaced).

        A route that cannot be made raises a :class:`~migrate.errors.UserError` saying why: the side is then
        not smoke-tested, which the engine takes as a failed test (no traffic goes to it)."""
        ...

    def get(self, side: str, path: str) -> Answer:
        """``GET path`` through the route to ``side``; an answer that did not come from ``side`` is no pass."""
        ...

    def close(self, side: str) -> None:
        """Take the route away again, leaving nothing of it on the router."""
        ...


class LockedError(UserError):
    """Another cutover of the same app holds the lock: the message names the holder and since when."""

    def __init__(self, app: str, holder: str, since: datetime, *, hint: str | None = None) -> None:
        super().__init__(f"another cutover of {app} is in progress: {holder} holds the lock since "
                         f"{since.isoformat(timespec='seconds')}",
                         hint=hint or "wait for it to end; if it died, break its lock (`--break-lock`)")
        self.holder, self.since = holder, since


class Journal(Protocol):
    """The last lines a cutover told, kept on the target (``migrate status`` shows them from any machine)."""

    def read(self) -> tuple[str, ...]:
        """The lines kept, oldest first (none: nothing kept, or it cannot be read)."""
        ...

    def write(self, lines: Sequence[str]) -> None:
        """Keep ``lines`` in place of what was kept (best effort: a journal never stops a cutover)."""
        ...


class Target(Protocol):
    """One app's cutover target (``local``: HAProxy and containers; ``ecs``: an ALB rule and two services),
    opened by a command: what the engine drives, and what the user is told.

    Each target's module opens one from what it finds on the target itself (names, tags, labels): no
    state is kept anywhere else.
    """

    @property
    def name(self) -> str:
        """``local`` or ``ecs``."""
        ...

    @property
    def router(self) -> Router:
        """The app's router."""
        ...

    @property
    def fleet(self) -> Fleet:
        """The app's colours and any external side."""
        ...

    @property
    def gates(self) -> Sequence[Gate]:
        """The gates beyond target health (the incoming side's 5xx rate and latency, user alarms)."""
        ...

    @property
    def test_route(self) -> TestRoute:
        """How a smoke test reaches one side before it takes traffic."""
        ...

    @property
    def url(self) -> str | None:
        """Where the app answers through the router (``http://127.0.0.1:PORT`` locally, the ALB's address)."""
        ...

    @property
    def journal(self) -> Journal:
        """Where the last events are kept."""
        ...

    def lock(self, who: str, *, break_stale: bool = False,
             took_over: Callable[[str], None] = lambda holder: None) -> AbstractContextManager[None]:
        """Hold the app's cutover lock for the block, kept on the target; :class:`LockedError` when another holds it.

        A lock left by a command of this machine whose process has ended is taken over, and ``took_over``
        hears its holder; ``break_stale`` removes any lock first, whoever held it.
        """
        ...


def to_raw(percent: Mapping[str, int], max_weight: int) -> dict[str, int]:
    """Percentages as the router's integer weights (HAProxy's 10 % of 256 is 26, ALB's 10 % of 999 is 100)."""
    return {side: round(p * max_weight / 100) for side, p in percent.items()}


def to_percent(raw: Mapping[str, int]) -> dict[str, int]:
    """The router's weights as each side's share of the traffic, in whole percent."""
    total = sum(raw.values())
    return {side: round(100 * w / total) if total else 0 for side, w in raw.items()}

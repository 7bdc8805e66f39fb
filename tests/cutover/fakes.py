"""In-memory router, fleet and clock for the cutover engine's tests, honest about what they model.

* :class:`FakeClock`: time is a number; ``sleep`` advances it and nothing else does.
* :class:`FakeRouter`: weights are a real dict in the router's own units (a weight above the
  router's maximum is refused, as HAProxy and ALB refuse it); every ``set_weights`` is one entry of
  :attr:`FakeRouter.history`, in percent, stamped with the clock. A ``faulty`` function models a
  router that stores something other than what it was asked (a stale rule).
* :class:`FakeFleet`: each colour runs one revision; tasks of a revision boot for ``Script.boot``
  seconds, then run and pass their health check until ``Script.sick_at`` (a time on the clock), or
  fail ``Script.fail_after`` seconds after they started with the script's diagnosis. External sides
  are address groups: always running, healthy until their ``sick_at``; starting or scaling one is
  refused, as no real fleet can do it.
* :class:`FakeTestRoute`: a request naming a colour reaches it while the route is open and the colour
  is ready, and answers its revision's ``Script.smoke`` status for the path (200 when not scripted);
  otherwise, as HAProxy's ``use-server`` falls through to another server, it was not the colour that answered.
* :class:`Tripwire`: a crash (Ctrl-C, a runner killed) just before or just after the Nth mutating
  call of either fake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from migrate.cutover.engine import Engine, Settings
from migrate.cutover.events import Event
from migrate.cutover.ports import BLUE, COLOURS, GREEN, Answer, Failure, Gate, SideStatus, to_percent

E = TypeVar("E")


class Crash(BaseException):
    """The process died here (BaseException, as KeyboardInterrupt is: nothing in the engine catches it)."""


@dataclass
class FakeClock:
    t: float = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep {seconds}"
        self.t += seconds


@dataclass
class Tripwire:
    """Counts the mutating calls of router and fleet; raises :class:`Crash` at number ``at`` (0-based)."""

    at: int | None = None
    when: Literal["before", "after"] = "before"
    calls: int = 0

    def call(self, apply: Callable[[], None]) -> None:
        hit = self.at is not None and self.calls == self.at
        self.calls += 1
        if hit and self.when == "before":
            raise Crash
        apply()
        if hit:
            raise Crash


@dataclass
class FakeRouter:
    clock: FakeClock
    trip: Tripwire
    max_weight: int = 256
    raw: dict[str, int] = field(default_factory=dict)
    history: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    drained: list[tuple[float, str]] = field(default_factory=list)
    faulty: Callable[[dict[str, int]], dict[str, int]] | None = None

    def weights(self) -> Mapping[str, int]:
        return dict(self.raw)

    def set_weights(self, weights: Mapping[str, int]) -> None:
        bad = {s: w for s, w in weights.items() if not 0 <= w <= self.max_weight}
        if bad:
            raise ValueError(f"weights out of range 0-{self.max_weight}: {bad}")

        def apply() -> None:
            stored = dict(weights) if self.faulty is None else self.faulty(dict(weights))
            self.raw = stored
            self.history.append((self.clock.now(), to_percent(stored)))

        self.trip.call(apply)

    def drain(self, side: str) -> None:
        assert self.raw.get(side, 0) == 0, f"drained {side} while it had weight {self.raw[side]}"
        self.trip.call(lambda: self.drained.append((self.clock.now(), side)))

    @property
    def percent(self) -> dict[str, int]:
        return to_percent(self.raw)

    def shares(self) -> list[dict[str, int]]:
        """Each write, in percent, dropping sides at 0 for readability."""
        return [{s: p for s, p in w.items() if p} for _, w in self.history]


@dataclass(frozen=True)
class Script:
    """How tasks of one revision behave, on the fake clock."""

    boot: float = 20.0
    sick_at: float | None = None  # targets fail their health check from this time on
    failure: Failure | None = None  # tasks crash...
    fail_after: float = 10.0  # ...this long after they started
    smoke: Mapping[str, int] = field(default_factory=dict)  # path -> the status it answers (else 200)


@dataclass
class Colour:
    revision: str | None = None
    desired: int = 0
    started: float | None = None
    booted_at: float = 0.0  # when its current tasks began to start


@dataclass
class External:
    addresses: int = 2
    sick_at: float | None = None


@dataclass
class FakeFleet:
    clock: FakeClock
    trip: Tripwire
    scripts: dict[str, Script] = field(default_factory=dict)
    colours: dict[str, Colour] = field(default_factory=lambda: {c: Colour() for c in COLOURS})
    externals: dict[str, External] = field(default_factory=dict)
    log: list[tuple[float, str, str, int]] = field(default_factory=list)  # (time, start|scale, colour, count)

    def status(self, side: str) -> SideStatus:
        if side in self.externals:
            ext = self.externals[side]
            sick = ext.sick_at is not None and self.clock.now() >= ext.sick_at
            return SideStatus(None, ext.addresses, ext.addresses, 0 if sick else ext.addresses)
        c = self.colours[side]
        if c.desired == 0 or c.revision is None:
            return SideStatus(c.revision, 0, 0, 0, c.started)
        script = self.scripts.get(c.revision, Script())
        age = self.clock.now() - c.booted_at
        if script.failure is not None and age >= script.fail_after:
            return SideStatus(c.revision, c.desired, 0, 0, c.started, script.failure)
        running = c.desired if age >= script.boot else 0
        sick = script.sick_at is not None and self.clock.now() >= script.sick_at
        return SideStatus(c.revision, c.desired, running, 0 if sick else running, c.started)

    def start(self, colour: str, revision: str, count: int) -> None:
        c = self.colours[colour]  # KeyError for an external side: it cannot be started

        def apply() -> None:
            if not (c.revision == revision and c.desired == count):
                c.revision, c.desired, c.booted_at = revision, count, self.clock.now()
            c.started = self.clock.now()
            self.log.append((self.clock.now(), "start", colour, count))

        self.trip.call(apply)

    def scale(self, colour: str, count: int) -> None:
        c = self.colours[colour]

        def apply() -> None:
            if c.desired == 0 and count > 0:
                c.booted_at = self.clock.now()
            c.desired = count
            self.log.append((self.clock.now(), "scale", colour, count))

        self.trip.call(apply)

    def park(self, colour: str, revision: str) -> None:
        c = self.colours[colour]
        assert c.desired == 0, f"parked {colour} while it ran {c.desired} tasks"

        def apply() -> None:
            c.revision = revision
            self.log.append((self.clock.now(), "park", colour, 0))

        self.trip.call(apply)

    def run(self, colour: str, revision: str, count: int, started: float = -100.0) -> None:
        """Set up: ``colour`` has run ``revision`` at ``count`` since long before the test."""
        self.colours[colour] = Colour(revision, count, started, started - 1000)

    def scaled_down_at(self, colour: str) -> float:
        return next(t for t, verb, c, n in self.log if verb == "scale" and c == colour and n == 0)


@dataclass
class FakeTestRoute:
    fleet: FakeFleet
    open_for: set[str] = field(default_factory=set)
    log: list[tuple[float, str, str]] = field(default_factory=list)  # (time, open|get PATH|close, side)

    def open(self, side: str) -> None:
        self.open_for.add(side)
        self.log.append((self.fleet.clock.now(), "open", side))

    def get(self, side: str, path: str) -> Answer:
        self.log.append((self.fleet.clock.now(), f"get {path}", side))
        status = self.fleet.status(side)
        if side not in self.open_for or not status.is_ready:
            return Answer(None, f"answered by another side: {side} is not in the route")
        assert status.revision is not None
        return Answer(self.fleet.scripts.get(status.revision, Script()).smoke.get(path, 200))

    def close(self, side: str) -> None:
        self.open_for.discard(side)
        self.log.append((self.fleet.clock.now(), "close", side))


@dataclass
class World:
    """A router, a fleet and a clock that outlive any one engine (a crash loses only the engine)."""

    max_weight: int = 256
    clock: FakeClock = field(default_factory=FakeClock)
    trip: Tripwire = field(default_factory=Tripwire)
    events: list[Event] = field(default_factory=list)
    router: FakeRouter = field(init=False)
    fleet: FakeFleet = field(init=False)
    test_route: FakeTestRoute = field(init=False)

    def __post_init__(self) -> None:
        self.router = FakeRouter(self.clock, self.trip, self.max_weight)
        self.fleet = FakeFleet(self.clock, self.trip)
        self.test_route = FakeTestRoute(self.fleet)

    def live(self, colour: str, revision: str, count: int = 3) -> None:
        """``colour`` runs ``revision`` and takes all the traffic; the other colour is idle."""
        self.fleet.run(colour, revision, count)
        self.router.raw = {BLUE: 0, GREEN: 0, colour: self.max_weight}

    def engine(self, *gates: Gate, **settings: Any) -> Engine:
        return Engine(self.router, self.fleet, now=self.clock.now, sleep=self.clock.sleep,
                      on_event=self.events.append, gates=gates, settings=Settings(**settings), test_route=self.test_route)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

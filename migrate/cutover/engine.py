"""The cutover state machine: weighted blue-green and canary over any router and fleet.

A cutover from the live side to the idle colour:

1. start the idle colour at the revision, at the live side's desired count (``Settings.count`` when
   there is no live colour: a first deploy, or a migration from an external side);
2. wait until it runs the revision and every target is healthy, at most ``ready_timeout``; the
   fleet's failure diagnosis ends the wait at once. Either way the weights never moved: the colour is
   scaled to 0, pointed back at the revision it held before (so a rollback still goes to the revision
   that last served), and the result is a failure;
   with ``smoke`` paths, then ``GET`` each through the target's test route (a request naming the colour
   in :data:`~migrate.cutover.ports.SIDE_HEADER` reaches it whatever the weights): one answering
   anything but a success or a redirect, or answered by another side, fails it the same way;
3. shift the weights, all at once (``blue-green``) or in steps (``canary``); after each change read
   them back (a mismatch is an error) and bake, checking the gates every ``poll``: target health
   always, plus the supplied ones. At 100 % the bake is ``final_bake``, the outgoing side still warm;
4. on a breach put the weights back on the outgoing side in one call, but only when that side is
   healthy: otherwise hold them where they are and say so (fluxcd/flagger#1898). The incoming colour
   is then drained and scaled to 0;
5. drain the outgoing side, wait past ``drain``, check the incoming side is still healthy, and only
   then retire the outgoing side (a colour scaled to 0, an external side taken out of the router).

Every command reads the target first and acts from its :func:`~migrate.cutover.state.position`:

============  ==========================================  ==========================  ======================
position      deploy REVISION                             abort                       rollback
============  ==========================================  ==========================  ======================
empty         first deploy onto blue                      nothing to do               refused: nothing deployed
steady        nothing when the live colour runs it;       nothing to do               cutover onto the idle colour
              else a cutover onto the idle colour                                     at the revision it kept
starting      cutover onto the starting colour (start     incoming colour scaled to 0 refused: abort or deploy
              is idempotent: resumes when it runs it)
shifting      incoming side runs it and is ready: resume  weights back (guarded),     refused: abort or deploy
              from the current step; otherwise revert     incoming scaled to 0
              (guarded), then a fresh cutover if it was
              another revision's
baking        live side runs it: final bake, drain,       weights back (guarded),     cutover back onto the
              retire; otherwise a cutover onto the idle   live colour scaled to 0     warm outgoing side
              colour
============  ==========================================  ==========================  ======================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from migrate.cutover.events import (
    Baked,
    Decided,
    Drained,
    Event,
    GateFailed,
    Held,
    Mismatch,
    Parked,
    Ready,
    Result,
    Retired,
    Reverted,
    Shifted,
    SmokeTested,
    Started,
    Status,
    Stopped,
    Weights,
    show,
    weights_of,
)
from migrate.cutover.gates import TargetHealth
from migrate.cutover.ports import BLUE, Fleet, Gate, Router, TestRoute, Verdict, is_colour, other, to_percent, to_raw
from migrate.cutover.state import Position, State, position, read_state
from migrate.errors import UserError

Strategy = Literal["blue-green", "canary"]

#: How far past the drain time the outgoing side is retired: a request that started at the last
#: instant of the drain still gets its whole time.
DRAIN_MARGIN = 1.0


class CutoverError(UserError):
    """The cutover's settings cannot work."""


@dataclass(frozen=True)
class Settings:
    """How a cutover moves: the strategy, its steps and every wait, in seconds."""

    strategy: Strategy = "blue-green"
    canary_steps: tuple[int, ...] = (10, 50, 100)
    bake: float = 60.0
    final_bake: float = 120.0
    drain: float = 30.0
    ready_timeout: float = 600.0
    poll: float = 5.0
    #: Tasks to start when there is no live colour to copy the count from.
    count: int = 1
    #: Paths the incoming colour must answer (2xx or 3xx) through the test route before any weight moves.
    smoke: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        steps = self.canary_steps
        if not steps or steps[-1] != 100 or any(not 0 < p <= 100 for p in steps) or list(steps) != sorted(set(steps)):
            raise CutoverError(f"canary steps must rise from above 0 to 100, got {', '.join(map(str, steps)) or 'none'}",
                               hint="for example 10,50,100")
        if self.poll <= 0 or self.count < 1 or min(self.bake, self.final_bake, self.drain, self.ready_timeout) < 0:
            raise CutoverError("waits must not be negative, the poll interval and the count must be positive")
        bad = next((p for p in self.smoke if not p.startswith("/") or any(c.isspace() or c == "#" for c in p)), None)
        if bad is not None:
            raise CutoverError(f"smoke test path {bad!r} is not a URL path", hint="for example /healthz or /api/items?limit=1")
        if len(set(self.smoke)) != len(self.smoke):
            raise CutoverError(f"smoke test paths repeat: {', '.join(self.smoke)}")

    @property
    def steps(self) -> tuple[int, ...]:
        """The incoming side's share after each shift."""
        return (100,) if self.strategy == "blue-green" else self.canary_steps


class Engine:
    """Drives one app's router and fleet through deploys, rollbacks and aborts."""

    def __init__(self, router: Router, fleet: Fleet, *, now: Callable[[], float], sleep: Callable[[float], None],
                 on_event: Callable[[Event], None], gates: Sequence[Gate] = (), settings: Settings = Settings(),
                 test_route: TestRoute | None = None) -> None:
        """``now`` and ``sleep`` are the clock (injected: tests run hours of waits in milliseconds);
        ``test_route``: how the smoke test reaches the incoming colour (needed with ``settings.smoke``)."""
        if settings.smoke and test_route is None:
            raise CutoverError("a smoke test needs a test route, and this target has none")
        self.router, self.fleet, self.settings, self.test_route = router, fleet, settings, test_route
        self.now, self.sleep, self.on_event = now, sleep, on_event
        self.gates: tuple[Gate, ...] = (TargetHealth(fleet), *gates)
        #: The colour this command's cutover started and the revision it held before: a cutover that
        #: ends without success parks the colour back there, so a later rollback goes to the revision
        #: that last served, not to the one that just failed.
        self._before: tuple[str, str] | None = None

    # ------------------------------------------------------------------ commands
    def deploy(self, revision: str) -> Result:
        """Move all the traffic to ``revision``, or resume or revert an interrupted cutover first."""
        state = read_state(self.router, self.fleet)
        pos = position(state)
        if pos.stage == "shifting":
            return self._resume_shift(state, pos, revision)
        live = _live(pos)
        if pos.stage == "baking" and pos.incoming is not None and state.sides[pos.incoming].runs(revision):
            self._decide("resume", f"{pos.incoming} runs {_short(revision)} with all the traffic and {pos.outgoing} "
                         "is still warm: bake, drain and retire it")
            return self._shift(pos.incoming, pos.outgoing, (100,))
        if pos.stage == "steady" and live is not None and state.sides[live].runs(revision):
            return Result("succeeded", f"{live} already runs {_short(revision)} with all the traffic", self._weights())
        return self._cutover(state, revision, _idle(pos), live)

    def abort(self) -> Result:
        """Stop the cutover in progress: weights back on the outgoing side (guarded), the incoming colour to 0."""
        pos = position(read_state(self.router, self.fleet))
        if pos.stage in ("shifting", "baking") and pos.incoming is not None and pos.outgoing is not None:
            self._decide("abort", f"{pos.stage}: traffic goes back to {pos.outgoing}, {pos.incoming} is stopped")
            return self._revert(pos.incoming, pos.outgoing, f"aborted: the traffic is back on {pos.outgoing}", "rolled-back")
        if pos.stage == "starting" and pos.incoming is not None:
            self._decide("abort", f"{pos.incoming} was starting and took no traffic: it is stopped")
            return self._stop(pos.incoming, "rolled-back", f"aborted before any traffic moved: {pos.incoming} stopped")
        return Result("succeeded", "no cutover in progress: nothing to abort", self._weights())

    def rollback(self) -> Result:
        """Back to the previous revision (the idle colour's, or the warm outgoing side) with the same weighted shift."""
        state = read_state(self.router, self.fleet)
        pos = position(state)
        live = _live(pos)
        if pos.stage in ("shifting", "starting"):
            return Result("failed", f"a cutover is in progress ({show(self._weights())}): `migrate abort` puts the "
                          "traffic back in one call, `migrate deploy` resumes it", self._weights())
        previous = pos.outgoing if pos.stage == "baking" else other(live) if live is not None and is_colour(live) else None
        if previous is None or live is None:
            return Result("failed", "nothing to roll back to: no earlier version was deployed here", self._weights())
        revision = state.sides[previous].revision
        if is_colour(previous) and revision is None:
            return Result("failed", f"nothing to roll back to: {previous} never ran a revision", self._weights())
        return self._cutover(state, revision, previous, live)

    # ------------------------------------------------------------------ the cutover
    def _cutover(self, state: State, revision: str | None, new: str, old: str | None) -> Result:
        """Start ``new`` (a colour) at ``revision``, wait until it is ready, then shift from ``old``."""
        copy = old is not None and is_colour(old) and state.sides[old].is_warm
        count = state.sides[old].desired if copy and old is not None else self.settings.count
        self._decide("cutover", f"{new} takes {_short(revision)}" + (f" from {old}" if old else " (first deploy)"))
        if revision is not None and is_colour(new):
            before = state.sides[new].revision
            self._before = (new, before) if before is not None and before != revision else None
            self.fleet.start(new, revision, count)
            self._emit(Started(self.now(), new, revision, count))
        failed = self._wait_ready(new, revision) or self._smoke(new)
        return failed or self._shift(new, old, self.settings.steps if old is not None else (100,))

    def _resume_shift(self, state: State, pos: Position, revision: str) -> Result:
        """Forward from the current step when the incoming side runs ``revision`` and is ready; back otherwise."""
        new, old = pos.incoming, pos.outgoing
        if new is None or old is None:
            return Result("failed", f"the router splits the traffic between external sides only ({show(self._weights())})",
                          self._weights())
        status = state.sides[new]
        if status.runs(revision) and status.is_ready:
            current = state.percent[new]
            self._decide("resume", f"{new} runs {_short(revision)}, healthy, at {current} %: the shift goes on from there")
            return self._shift(new, old, tuple(p for p in self.settings.steps if p >= current) or (100,))
        why = (f"{new} is not healthy ({status.summary()})" if status.runs(revision)
               else f"the interrupted cutover to {new} ({status.summary()}) is not this deploy's")
        self._decide("revert", why)
        result = self._revert(new, old, why, "rolled-back")
        if result.status != "rolled-back" or status.runs(revision):
            return result
        return self.deploy(revision)  # back on the outgoing side, steady: now this deploy's own cutover

    def _wait_ready(self, side: str, revision: str | None) -> Result | None:
        """None once ``side`` is ready; a failed result (the side stopped) on its failure or the timeout."""
        began = self.now()
        while True:
            status = self.fleet.status(side)
            if status.failure is not None:
                return self._stop(side, "failed", f"{side} failed: {status.failure.reason}", status.failure.diagnosis)
            if status.is_ready and (revision is None or status.revision == revision):
                self._emit(Ready(self.now(), side, self.now() - began))
                return None
            if self.now() - began >= self.settings.ready_timeout:
                return self._stop(side, "failed", f"{side} not ready after {self.settings.ready_timeout:.0f} s "
                                  f"({status.running}/{status.desired} running, {status.healthy} healthy)")
            self.sleep(self.settings.poll)

    def _smoke(self, colour: str) -> Result | None:
        """None when ``colour`` answers every smoke path through the test route (or there are none); else
        a failed result, the colour stopped, with no weight moved. The route is taken away either way."""
        paths, route = self.settings.smoke, self.test_route
        if not paths or route is None or not is_colour(colour):
            return None
        try:
            route.open(colour)
        except UserError as exc:  # no route to test through (no free rule priority, AWS refused...): not tested, no pass
            route.close(colour)  # whatever part of it was made
            why = str(exc) + (f" ({exc.hint})" if exc.hint else "")
            self._emit(SmokeTested(self.now(), colour, tuple((path, "not asked: no test route") for path in paths), False))
            return self._stop(colour, "failed", f"{colour} could not be smoke-tested: the test route could not be made ({why}): "
                              "no traffic went to it")
        try:
            answers = [(path, route.get(colour, path)) for path in paths]
        finally:
            route.close(colour)
        passed = all(answer.passed for _, answer in answers)
        self._emit(SmokeTested(self.now(), colour, tuple((path, answer.show()) for path, answer in answers), passed))
        if passed:
            return None
        failed = "; ".join(f"{path}: {answer.show()}" for path, answer in answers if not answer.passed)
        return self._stop(colour, "failed", f"{colour} failed its smoke test through the test route ({failed}): "
                          "no traffic went to it")

    def _shift(self, new: str, old: str | None, steps: tuple[int, ...]) -> Result:
        """Each step: set the weights, read them back, bake with the gates; then finish."""
        for percent in steps:
            if not self._set(self._plan(new, old, percent), Shifted):
                reason = "the router read back other weights than the ones set"
                return self._revert(new, old, reason, "failed") if old else Result("failed", reason, self._weights())
            if old is None:
                continue  # a first deploy: no traffic to protect, nothing to go back to
            breach = self._bake(new, percent, self.settings.bake if percent < 100 else self.settings.final_bake)
            if breach is not None:
                return self._revert(new, old, f"gate {breach.gate} failed at {percent} %: {breach.detail}", "rolled-back")
        if old is None:
            return Result("succeeded", f"{new} takes all the traffic (first deploy)", self._weights())
        return self._finish(new, old)

    def _bake(self, new: str, percent: int, seconds: float) -> Verdict | None:
        """Hold ``percent`` for ``seconds``, checking every gate every poll; the first failed verdict, or None."""
        end = self.now() + seconds
        while True:
            for gate in self.gates:
                verdict = gate.check(new)
                if not verdict.passed:
                    self._emit(GateFailed(self.now(), verdict))
                    return verdict
            if self.now() >= end:
                self._emit(Baked(self.now(), percent, seconds))
                return None
            self.sleep(min(self.settings.poll, end - self.now()))

    def _finish(self, new: str, old: str) -> Result:
        """Drain ``old``, wait past the drain, and retire it only while ``new`` is still healthy."""
        self.router.drain(old)
        self._wait_past(self.settings.drain)
        self._emit(Drained(self.now(), old, self.settings.drain))
        status = self.fleet.status(new)
        if not status.is_ready:
            return self._revert(new, old, f"{new} is not healthy after the drain ({status.summary()})", "rolled-back")
        leftovers = [s for s, w in self.router.weights().items() if not is_colour(s) and w == 0 and s != old]
        for side in (old, *leftovers):
            if not self._retire(side):
                return Result("failed", f"taking {side} out of the router read back other weights", self._weights())
        return Result("succeeded", f"{new} takes all the traffic; {old} is retired", self._weights())

    # ------------------------------------------------------------------ going back
    def _revert(self, new: str, old: str, why: str, status: Status) -> Result:
        """All the traffic back on ``old`` in one call, when ``old`` is healthy; then ``new`` drained and stopped."""
        back = self.fleet.status(old)
        if not back.is_ready:
            weights = self._weights()
            reason = (f"{why}; NOT rolled back: {old}, the side to go back to, is not healthy ({back.summary()}), "
                      f"{new}: {self.fleet.status(new).summary()}. The traffic is HELD at {show(weights)}: "
                      "fix a side, then run `migrate deploy` or `migrate abort`")
            self._emit(Held(self.now(), weights, reason))
            return Result("held", reason, weights)
        if not self._set(self._plan(old, new, 100), Reverted):
            return Result("failed", f"{why}; putting the traffic back on {old} read back other weights: "
                          "check the router", self._weights())
        self.router.drain(new)
        self._wait_past(self.settings.drain)
        self._emit(Drained(self.now(), new, self.settings.drain))
        return self._stop(new, status, why)

    def _stop(self, colour: str, status: Status, reason: str, diagnosis: tuple[str, ...] = ()) -> Result:
        """Scale the incoming colour to 0 (an external side is left as it is) and end with ``status``."""
        if is_colour(colour):
            self.fleet.scale(colour, 0)
            self._emit(Stopped(self.now(), colour, reason))
            if self._before is not None and self._before[0] == colour:
                self.fleet.park(colour, self._before[1])
                self._emit(Parked(self.now(), colour, self._before[1]))
        return Result(status, reason, self._weights(), diagnosis)

    def _retire(self, side: str) -> bool:
        """A colour scaled to 0; an external side taken out of the router (False: the read-back disagreed)."""
        if is_colour(side):
            self.fleet.scale(side, 0)
        else:
            remaining = {s: p for s, p in to_percent(self.router.weights()).items() if s != side}
            if not self._set(remaining, Shifted):
                return False
        self._emit(Retired(self.now(), side))
        return True

    # ------------------------------------------------------------------ the router
    def _plan(self, new: str, old: str | None, percent: int) -> dict[str, int]:
        """``new`` at ``percent``, ``old`` at the rest, every other side the router holds at 0."""
        plan = {side: 0 for side in self.router.weights()}
        plan[new] = percent
        if old is not None:
            plan[old] = 100 - percent
        return plan

    def _set(self, percent: Mapping[str, int], event: type[Shifted] | type[Reverted]) -> bool:
        """Set the weights in one call and read them back; a mismatch is reported and returns False."""
        planned = to_raw(percent, self.router.max_weight)
        self.router.set_weights(planned)
        read = dict(self.router.weights())
        if read != planned:
            self._emit(Mismatch(self.now(), weights_of(planned), weights_of(read)))
            return False
        self._emit(event(self.now(), weights_of(to_percent(read))))
        return True

    def _weights(self) -> Weights:
        return weights_of(to_percent(self.router.weights()))

    # ------------------------------------------------------------------ time and events
    def _wait_past(self, seconds: float) -> None:
        until = self.now() + seconds
        while self.now() <= until:
            self.sleep(until - self.now() + DRAIN_MARGIN)

    def _decide(self, action: str, why: str) -> None:
        self._emit(Decided(self.now(), action, why))

    def _emit(self, event: Event) -> None:
        self.on_event(event)


def _live(pos: Position) -> str | None:
    """The side holding all the traffic (the incoming one once it has it), or None."""
    return pos.incoming if pos.stage == "baking" else pos.outgoing


def _idle(pos: Position) -> str:
    """The colour a fresh cutover goes onto."""
    if pos.stage == "starting" and pos.incoming is not None:
        return pos.incoming
    live = _live(pos)
    return other(live) if live is not None and is_colour(live) else BLUE


def _short(revision: str | None) -> str:
    """A task definition's ``family:7``, an image id's first 12 hex digits."""
    tail = (revision or "the external side").rsplit("/", 1)[-1]
    return tail[7:19] if tail.startswith("sha256:") else tail

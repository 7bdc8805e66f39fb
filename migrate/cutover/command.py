"""``deploy``, ``rollback``, ``abort`` and ``status`` on any target: the engine under the target's lock.

Each command reads the target first (:mod:`migrate.cutover.state`): a cutover killed midway is
resumed or reverted by whichever command comes next. ``status`` reads only and takes no lock, so it
answers while a cutover runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from migrate.cutover.engine import Engine, Settings
from migrate.cutover.events import Event, LockTakenOver, Result
from migrate.cutover.ports import Target
from migrate.cutover.report import AppStatus, describe
from migrate.cutover.state import read_state

Action = Literal["deploy", "rollback", "abort"]
#: How many lines of its cutovers a target keeps.
KEPT = 20


def run(target: Target, action: Action, *, revision: str | None = None, settings: Settings,
        now: Callable[[], float], sleep: Callable[[float], None], on_event: Callable[[Event], None],
        who: str, break_stale: bool = False, locked: bool = False,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Result:
    """Run ``action`` on ``target`` while holding its lock (:class:`~migrate.cutover.ports.LockedError` when another does).

    Each event, and how it ended, is also kept in the target's journal (the last :data:`KEPT` lines,
    stamped with ``wall``'s UTC time), which ``status`` shows. ``locked``: the caller holds the lock already (a deploy on ECS holds every app's deploy lock, which is
    the ECS target's), so it is not taken again.
    """
    if action == "deploy" and revision is None:
        raise ValueError("a deploy needs the revision to deploy")
    taken: list[str] = []  # the holder of a lock left by an ended process of this machine, which the target took over
    with contextlib.nullcontext() if locked else target.lock(who, break_stale=break_stale, took_over=taken.append):
        kept = list(target.journal.read())

        def keep(line: str) -> None:
            kept.append(f"{wall().strftime('%Y-%m-%d %H:%M:%S')}Z  {action}  {line}")
            del kept[:-KEPT]
            target.journal.write(kept)

        def told(event: Event) -> None:
            on_event(event)
            keep(describe(event))

        for holder in taken:
            told(LockTakenOver(now(), holder))
        engine = Engine(target.router, target.fleet, now=now, sleep=sleep, on_event=told,
                        gates=tuple(target.gates), settings=settings,
                        test_route=target.test_route if settings.smoke else None)
        if action == "deploy":
            assert revision is not None
            result = engine.deploy(revision)
        else:
            result = engine.rollback() if action == "rollback" else engine.abort()
        keep(f"{result.status}: {result.reason}")
        return result


def status(target: Target, app: str) -> AppStatus:
    """Where ``app`` stands on ``target`` now, with the last lines its cutovers told."""
    return AppStatus.of(app, target.name, read_state(target.router, target.fleet), target.url, target.journal.read())

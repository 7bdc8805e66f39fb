"""``deploy``, ``rollback``, ``abort`` and ``status`` on any target: the engine under the target's lock.

Each command reads the target first (:mod:`migrate.cutover.state`): a cutover killed midway is
resumed or reverted by whichever command comes next. ``status`` reads only and takes no lock, so it
answers while a cutover runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Literal

from migrate.cutover.engine import Engine, Settings
from migrate.cutover.events import Event, Result
from migrate.cutover.ports import Target
from migrate.cutover.report import AppStatus
from migrate.cutover.state import read_state

Action = Literal["deploy", "rollback", "abort"]


def run(target: Target, action: Action, *, revision: str | None = None, settings: Settings,
        now: Callable[[], float], sleep: Callable[[float], None], on_event: Callable[[Event], None],
        who: str, break_stale: bool = False, locked: bool = False) -> Result:
    """Run ``action`` on ``target`` while holding its lock (:class:`~migrate.cutover.ports.LockedError` when another does).

    ``locked``: the caller holds the lock already (a deploy on ECS holds every app's deploy lock, which is
    the ECS target's), so it is not taken again.
    """
    if action == "deploy" and revision is None:
        raise ValueError("a deploy needs the revision to deploy")
    with contextlib.nullcontext() if locked else target.lock(who, break_stale=break_stale):
        engine = Engine(target.router, target.fleet, now=now, sleep=sleep, on_event=on_event,
                        gates=tuple(target.gates), settings=settings)
        if action == "deploy":
            assert revision is not None
            return engine.deploy(revision)
        return engine.rollback() if action == "rollback" else engine.abort()


def status(target: Target, app: str) -> AppStatus:
    """Where ``app`` stands on ``target`` now."""
    return AppStatus.of(app, target.name, read_state(target.router, target.fleet), target.url)

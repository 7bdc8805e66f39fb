"""The deploy lock: one deploy of an app at a time, held in AWS (SSM), broken only on request."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from migrate.deploy.lock import LockedError, break_lock, current_holder, deploy_lock

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_a_second_deploy_is_refused_with_who_holds_the_lock_and_since_when(aws: Any) -> None:
    with deploy_lock(aws, "shop", "api", who="ci@runner-7 (pid 42)", now=lambda: T0):
        with pytest.raises(LockedError) as caught, deploy_lock(aws, "shop", "api", who="ana@laptop", now=lambda: T0 + timedelta(minutes=12)):
            pass
        assert str(caught.value) == "another deploy of api is running: ci@runner-7 (pid 42), since 2026-11-28 09:00:00 UTC (12 min ago)"
        assert "--break-lock" in (caught.value.hint or "")
        # Another app of the project deploys freely.
        with deploy_lock(aws, "shop", "worker", who="ana@laptop"):
            pass
    assert current_holder(aws, "shop", "api") is None


def test_the_lock_is_released_when_the_deploy_fails(aws: Any) -> None:
    with pytest.raises(RuntimeError), deploy_lock(aws, "shop", "api", who="a"):
        raise RuntimeError("the deploy failed")
    with deploy_lock(aws, "shop", "api", who="b") as holder:
        assert holder.who == "b"


def test_a_stale_lock_is_broken_only_explicitly(aws: Any) -> None:
    stale = deploy_lock(aws, "shop", "api", who="dead@runner (pid 9)", now=lambda: T0)
    stale.__enter__()  # a deploy that died without releasing it
    with pytest.raises(LockedError), deploy_lock(aws, "shop", "api", who="ana"):
        pass
    broken = break_lock(aws, "shop", "api")
    assert broken is not None and broken.who == "dead@runner (pid 9)" and broken.since == T0
    with deploy_lock(aws, "shop", "api", who="ana"):
        pass
    assert break_lock(aws, "shop", "api") is None


def _ended_pid() -> int:
    """The pid of a process of this machine that has ended."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_lock_left_by_an_ended_process_of_this_machine_is_taken_over_and_said(aws: Any) -> None:
    import os
    import socket

    host = socket.gethostname()
    dead = f"ci@{host} (pid {_ended_pid()})"
    left = [deploy_lock(aws, "shop", "api", who=dead, now=lambda: T0)]  # kept: a collected one would release the lock
    left[0].__enter__()  # killed without releasing it
    heard = []
    with deploy_lock(aws, "shop", "api", who="ana", took_over=heard.append) as holder:
        assert holder.who == "ana" and current_holder(aws, "shop", "api") == holder
    assert [h.who for h in heard] == [dead]
    # Never one of a live process of this machine, nor one of another machine (which migrate cannot see).
    for who in (f"ci@{host} (pid {os.getppid()})", f"ci@another-{host} (pid {_ended_pid()})"):
        left.append(deploy_lock(aws, "shop", "api", who=who, now=lambda: T0))
        left[-1].__enter__()
        with pytest.raises(LockedError, match=f"another deploy of api is running: {re.escape(who)}"), deploy_lock(aws, "shop", "api", who="ana"):
            pass
        assert break_lock(aws, "shop", "api") is not None

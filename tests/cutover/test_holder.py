"""Who holds a lock, and whether that holder is gone (only knowable on this machine)."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys

import pytest

from migrate.cutover.holder import is_gone, whoami


def test_whoami_names_user_host_and_process() -> None:
    assert whoami() == f"{getpass.getuser()}@{socket.gethostname()} (pid {os.getpid()})"


def test_a_holder_of_this_machine_whose_process_ended_is_gone() -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    assert is_gone(f"ci@{socket.gethostname()} (pid {ended.pid})")


def test_a_living_holder_is_not_gone() -> None:
    assert not is_gone(whoami())  # this very process
    parent = f"ci@{socket.gethostname()} (pid {os.getppid()})"
    assert not is_gone(parent)


@pytest.mark.parametrize("who", ["ci@another-host (pid 1)", "someone", "unknown ('{}')", f"x@{socket.gethostname()} (pid abc)"])
def test_a_holder_elsewhere_or_unreadable_is_never_taken_for_gone(who: str) -> None:
    assert not is_gone(who)

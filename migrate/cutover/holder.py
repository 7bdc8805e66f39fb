"""Who holds a lock, in words a person can find (``user@host (pid N)``), and whether that holder is gone.

A lock left by a command that died must not block the next one for ever, nor be broken silently
while its holder still runs. The one case that can be told for sure is a holder on this very machine
whose process no longer exists: that lock is stale. Anywhere else (another host, a CI runner, a
container with its own hostname) only the person knows, and breaks it with ``--break-lock``.
"""

from __future__ import annotations

import getpass
import os
import re
import socket

_WHO = re.compile(r".+@(?P<host>[^\s@]+) \(pid (?P<pid>\d+)\)")


def whoami() -> str:
    """``user@host (pid N)``: enough to find the command that holds a lock."""
    return f"{getpass.getuser()}@{socket.gethostname()} (pid {os.getpid()})"


def is_gone(who: str) -> bool:
    """Whether ``who`` (as :func:`whoami` wrote it) ran on this machine and its process has ended."""
    found = _WHO.fullmatch(who)
    if found is None or found["host"] != socket.gethostname():
        return False
    pid = int(found["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, as another user's process
    return False

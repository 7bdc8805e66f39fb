"""The process environment, injected so that tests can replace every stream.

Follows httpie's ``Environment``: streams, TTY flags, colour and width live on
one object; commands never touch ``sys.stdout`` directly. Diagnostics go to
``stderr``; machine output (``--json``) goes to ``stdout``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported lazily: ``migrate --help`` must stay fast.
    from rich.console import Console


@dataclass
class Environment:
    """Streams and terminal facts for one invocation."""

    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] | None = field(default_factory=lambda: sys.stdin)
    width: int | None = None
    no_color: bool = field(default_factory=lambda: "NO_COLOR" in os.environ)
    #: Time for waits (a deploy's rollout): tests inject a fake clock so long waits take milliseconds.
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @property
    def stdout_isatty(self) -> bool:
        """Whether standard output is an interactive terminal."""
        return _isatty(self.stdout)

    @property
    def stderr_isatty(self) -> bool:
        """Whether standard error is an interactive terminal (progress may be redrawn in place)."""
        return _isatty(self.stderr)

    @property
    def stdin_isatty(self) -> bool:
        """Whether standard input is an interactive terminal (prompts are allowed)."""
        return self.stdin is not None and _isatty(self.stdin)

    def console(self, *, stderr: bool = False) -> Console:
        """A rich console writing to stdout (or stderr), honouring NO_COLOR and width."""
        from rich.console import Console

        stream = self.stderr if stderr else self.stdout
        return Console(
            file=stream,
            width=self.width,
            no_color=self.no_color,
            highlight=False,
            soft_wrap=False,
        )


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

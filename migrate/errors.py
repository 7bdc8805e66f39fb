"""One error tree for the whole tool, mapped to exit codes at the CLI boundary.

``UserError`` and its children are expected failures: the CLI prints their
one-line message (and hint) and exits non-zero without a traceback. Anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes used by every command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    INTERRUPTED = 130


class MigrateError(Exception):
    """Root of every error raised on purpose by migrate."""


class UserError(MigrateError):
    """A problem the user can fix: bad input, missing tool, conflicting file."""

    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class SourceTreeError(UserError):
    """The PATH given to a command cannot be inspected (missing, unreadable, not a folder)."""

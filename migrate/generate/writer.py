"""Conflict-aware, atomic writes of generated files (the edge of the generate stage).

Writing is planned before it happens, like a change set: every file gets an
:class:`Action` by comparing bytes with what is on disk. Nothing of the
user's is overwritten unless ``force`` is given, and then the old file is
kept as a backup next to it. Each write goes to a temporary file in the same
folder and is moved into place with :func:`os.replace`, so a crash never
leaves a half-written file.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from migrate.errors import UserError


class Action(str, Enum):
    """What happens to one file."""

    CREATE = "create"
    IDENTICAL = "identical"
    KEEP = "keep"
    CONFLICT = "conflict"
    OVERWRITE = "overwrite"


@dataclass(frozen=True)
class PlannedFile:
    """One file to write: where, what, and what is there now."""

    path: str
    content: str
    action: Action
    existing: str | None = None
    #: Another file, read in place of this one by the same tool (``docker-compose.yml`` for
    #: ``compose.yaml``): writing this file would silently take its place, so it is a conflict,
    #: and ``force`` moves that file to a backup. ``existing`` is then that file's content.
    replaces: str | None = None

    def diff(self) -> str:
        """A unified diff from the file on disk to the new content (empty if identical)."""
        old = (self.existing or "").splitlines(keepends=True)
        new = self.content.splitlines(keepends=True)
        label = "/dev/null" if self.existing is None else f"a/{self.replaces or self.path}"
        return "".join(difflib.unified_diff(old, new, label, f"b/{self.path}"))


class UnsafePathError(UserError):
    """A generated path would land outside the target folder or write through a link."""


def plan(
    root: Path,
    files: Iterable[tuple[str, str]],
    *,
    force: bool,
    keep: frozenset[str] | set[str] = frozenset(),
    alternatives: dict[str, tuple[str, ...]] | None = None,
) -> tuple[PlannedFile, ...]:
    """Decide the action for each ``(relative path, content)`` under ``root``.

    Paths in ``keep`` are starting points (``.env.example``): an existing one is
    the user's and is kept as it is, even with ``force``. ``alternatives`` maps
    a path to the other names its reader accepts (compose reads ``compose.yaml``
    before ``docker-compose.yml``): a new file beside an existing alternative is
    a conflict, never a silent replacement.
    """
    planned = []
    for rel, content in files:
        target = _safe_target(root, rel)
        existing = _read_existing(target)
        other = _existing_alternative(root, (alternatives or {}).get(rel, ())) if existing is None else None
        if other is not None:
            action = Action.OVERWRITE if force else Action.CONFLICT
            planned.append(PlannedFile(rel, content, action, _read_existing(root / other), replaces=other))
            continue
        if existing is None:
            action = Action.CREATE
        elif existing == content:
            action = Action.IDENTICAL
        elif rel in keep:
            action = Action.KEEP
        else:
            action = Action.OVERWRITE if force else Action.CONFLICT
        planned.append(PlannedFile(rel, content, action, existing))
    return tuple(planned)


def apply(root: Path, planned: Iterable[PlannedFile], *, backup_suffix: str) -> list[Path]:
    """Write every CREATE/OVERWRITE file atomically; return the backups made.

    CONFLICT files are never touched. An OVERWRITE first copies the old file to
    ``<name><backup_suffix>`` (never replacing an earlier backup).
    """
    backups = []
    for item in planned:
        if item.action not in (Action.CREATE, Action.OVERWRITE):
            continue
        target = _safe_target(root, item.path)
        try:
            if item.replaces is not None:
                # Moved aside, not copied: the tool must find only the new file.
                replaced = _safe_target(root, item.replaces)
                backup = _free_name(replaced.with_name(replaced.name + backup_suffix))
                os.replace(replaced, backup)
                backups.append(backup)
            elif item.action is Action.OVERWRITE and item.existing is not None:
                backup = _free_name(target.with_name(target.name + backup_suffix))
                _atomic_write(backup, item.existing.encode("utf-8"), mode=_mode(target))
                backups.append(backup)
            _atomic_write(target, item.content.encode("utf-8"), mode=_mode(target))
        except OSError as exc:
            raise UserError(f"{item.path}: cannot write ({exc.strerror or exc})") from None
    return backups


def _safe_target(root: Path, rel: str) -> Path:
    """``root / rel``, refusing absolute paths, ``..`` and writes through symlinks."""
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts or not parts:
        raise UnsafePathError(f"refusing to write {rel!r}: outside {root}")
    target = root / rel
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise UnsafePathError(f"refusing to write {rel}: {current} is a symbolic link")
    return target


def _existing_alternative(root: Path, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that exists under ``root`` as a file."""
    return next((name for name in names if (root / name).is_file() and not _safe_target(root, name).is_symlink()), None)


def _read_existing(target: Path) -> str | None:
    if not target.exists():
        return None
    if not target.is_file():
        raise UserError(f"{target}: exists and is not a regular file")
    try:
        return target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return target.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise UserError(f"{target}: cannot read ({exc.strerror or exc})") from None


def _mode(target: Path) -> int | None:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        return None


def _free_name(path: Path) -> Path:
    candidate, counter = path, 1
    while candidate.exists():
        counter += 1
        candidate = path.with_name(f"{path.name}.{counter}")
    return candidate


def _atomic_write(target: Path, data: bytes, *, mode: int | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode if mode is not None else 0o644)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise

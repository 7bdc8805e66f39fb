"""The conflict-aware writer: nothing of the user's is lost or overwritten without consent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from migrate.errors import UserError
from migrate.generate.writer import Action, UnsafePathError, apply, plan


def test_plan_classifies_create_identical_conflict(tmp_path: Path) -> None:
    (tmp_path / "same.txt").write_text("a\n")
    (tmp_path / "mine.txt").write_text("my edits\n")
    planned = plan(tmp_path, [("new.txt", "n\n"), ("same.txt", "a\n"), ("mine.txt", "generated\n")], force=False)
    assert [p.action for p in planned] == [Action.CREATE, Action.IDENTICAL, Action.CONFLICT]


def test_conflicts_are_never_written(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM mine\n")
    planned = plan(tmp_path, [("Dockerfile", "FROM generated\n"), ("a/b.txt", "x\n")], force=False)
    apply(tmp_path, planned, backup_suffix=".bak")
    assert (tmp_path / "Dockerfile").read_text() == "FROM mine\n"
    assert (tmp_path / "a" / "b.txt").read_text() == "x\n"


def test_force_overwrites_and_keeps_every_backup(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    for version in ("one\n", "two\n"):
        target.write_text(version)
        apply(tmp_path, plan(tmp_path, [("Dockerfile", "generated\n")], force=True), backup_suffix=".bak")
    assert target.read_text() == "generated\n"
    assert (tmp_path / "Dockerfile.bak").read_text() == "one\n"
    assert (tmp_path / "Dockerfile.bak.2").read_text() == "two\n"


def test_keep_existing_is_kept_even_with_force(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("MINE=1\n")
    planned = plan(tmp_path, [(".env.example", "GENERATED=\n")], force=True, keep={".env.example"})
    assert planned[0].action is Action.KEEP
    apply(tmp_path, planned, backup_suffix=".bak")
    assert (tmp_path / ".env.example").read_text() == "MINE=1\n"


def test_overwrite_preserves_file_mode(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("old\n")
    script.chmod(0o755)
    apply(tmp_path, plan(tmp_path, [("run.sh", "new\n")], force=True), backup_suffix=".bak")
    assert script.stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("rel", ["../escape.txt", "/etc/passwd", "a/../../x"])
def test_paths_outside_the_root_are_refused(tmp_path: Path, rel: str) -> None:
    with pytest.raises(UnsafePathError):
        plan(tmp_path, [(rel, "x")], force=True)


def test_writing_through_a_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / ".devcontainer")
    with pytest.raises(UnsafePathError):
        plan(root, [(".devcontainer/devcontainer.json", "{}")], force=True)
    assert not list(outside.iterdir())


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "keep.txt").write_text("original\n")
    planned = plan(tmp_path, [("keep.txt", "new\n")], force=True)

    def boom(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(UserError, match=r"keep\.txt: cannot write"):
        apply(tmp_path, planned, backup_suffix=".bak")
    assert (tmp_path / "keep.txt").read_text() == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_diff_shows_the_change(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a\nb\n")
    (item,) = plan(tmp_path, [("f", "a\nc\n")], force=False)
    assert "-b\n+c\n" in item.diff()

"""Unit tests of :class:`SourceTree`: the scan rules and the safe readers.

The whole-pipeline view of the same hostile inputs is in test_hostile_trees.py.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from migrate.errors import SourceTreeError
from migrate.inspect import tree as tree_module
from migrate.inspect.tree import MAX_FILE_BYTES, SKIPPED_DIRS, SourceTree

MakeTree = Callable[[dict[str, str | bytes]], Path]

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<project><artifactId>&lol9;</artifactId></project>
"""


class Blocked(BaseException):
    """Raised by :func:`deadline`; not an OSError, so no ``except OSError`` in the code swallows it."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block blocks longer than ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise Blocked(f"blocked for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def warned(tree: SourceTree, *parts: str) -> bool:
    """Whether one warning contains every one of ``parts``."""
    return any(all(p in w for p in parts) for w in tree.warnings)


# ---------------------------------------------------------------- the root
def test_scan_indexes_files_and_folders_relative_to_the_root(make_tree: MakeTree) -> None:
    root = make_tree({"a.txt": "x", "src/pkg/b.py": "y"})
    tree = SourceTree.scan(root)
    assert tree.root == root.resolve()
    assert tree.list_files(".") == ["a.txt"]
    assert tree.list_dirs(".") == ["src"]
    assert tree.exists("src/pkg/b.py") and not tree.exists("src/pkg")
    assert tree.is_dir("src/pkg") and not tree.is_dir("a.txt")
    assert list(tree.walk()) == [(".", ["a.txt"]), ("src", []), ("src/pkg", ["b.py"])]
    assert list(tree.walk(prune=frozenset({"src/pkg"}))) == [(".", ["a.txt"]), ("src", [])]
    assert tree.file_count() == 2
    assert tree.warnings == []


def test_missing_root_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(SourceTreeError, match="no such file or folder"):
        SourceTree.scan(tmp_path / "nope")


def test_file_root_is_a_user_error(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "flask\n"})
    with pytest.raises(SourceTreeError, match="not a folder"):
        SourceTree.scan(root / "requirements.txt")


def test_root_given_through_a_symlink_is_resolved(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"requirements.txt": "flask\n"})
    (tmp_path / "alias").symlink_to(root)
    tree = SourceTree.scan(tmp_path / "alias")
    assert tree.root == root.resolve()
    assert tree.exists("requirements.txt")


# ---------------------------------------------------------------- skipped folders
@pytest.mark.parametrize(
    "folder",
    ["node_modules", ".git", ".venv", "venv", "vendor", "target", "dist", "build", "__pycache__", ".tox", ".next", "pkg.egg-info"],
)
def test_dependency_build_and_vcs_folders_are_not_entered(make_tree: MakeTree, folder: str) -> None:
    root = make_tree({f"{folder}/requirements.txt": "flask\n", f"app/{folder}/package.json": "{}", "keep.py": ""})
    tree = SourceTree.scan(root)
    assert folder in SKIPPED_DIRS or folder.endswith(".egg-info")
    assert tree.list_dirs(".") == ["app"]
    assert tree.list_dirs("app") == []
    assert not tree.exists(f"{folder}/requirements.txt")


def test_a_virtualenv_under_any_name_is_skipped_by_its_pyvenv_cfg(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "env-3.12/pyvenv.cfg": "home = /usr/bin\n",
            "env-3.12/lib/python3.12/site-packages/flask/__init__.py": "",
            "env-3.12/requirements.txt": "flask\n",
            "app/main.py": "",
        }
    )
    tree = SourceTree.scan(root)
    assert tree.list_dirs(".") == ["app"]
    assert not tree.is_dir("env-3.12")


def test_a_pyvenv_cfg_at_the_root_does_not_hide_the_whole_tree(make_tree: MakeTree) -> None:
    root = make_tree({"pyvenv.cfg": "home = /usr/bin\n", "requirements.txt": "flask\n"})
    assert SourceTree.scan(root).exists("requirements.txt")


def test_similar_names_are_not_skipped(make_tree: MakeTree) -> None:
    root = make_tree({"builder/a.py": "", "vendors/b.py": "", "distribution/c.py": "", "my_venv_notes/d.py": ""})
    assert SourceTree.scan(root).list_dirs(".") == ["builder", "distribution", "my_venv_notes", "vendors"]


# ---------------------------------------------------------------- .gitignore
def test_root_gitignore_hides_files_and_folders(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            ".gitignore": "# comment\n\nsecrets/\n*.log\n/only-at-root\n",
            "secrets/requirements.txt": "x",
            "a.log": "x",
            "src/b.log": "x",
            "only-at-root/x.py": "",
            "src/only-at-root/y.py": "",
            "src/main.py": "",
        }
    )
    tree = SourceTree.scan(root)
    assert tree.list_dirs(".") == ["src"]
    assert tree.list_files(".") == [".gitignore"]
    assert tree.list_files("src") == ["main.py"]
    assert tree.list_dirs("src") == ["only-at-root"]  # anchored pattern applies at the root only


def test_nested_gitignore_applies_below_its_folder_only(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "svc/.gitignore": "old/\n/local.py\n",
            "svc/old/requirements.txt": "x",
            "svc/local.py": "",
            "svc/pkg/local.py": "",
            "old/requirements.txt": "x",
        }
    )
    tree = SourceTree.scan(root)
    assert tree.list_dirs(".") == ["old", "svc"]
    assert tree.list_dirs("svc") == ["pkg"]
    assert tree.list_files("svc") == [".gitignore"]
    assert tree.list_files("svc/pkg") == ["local.py"]


def test_gitignore_negation_re_includes(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            ".gitignore": "apps/*\n!apps/keep/\n*.txt\n!requirements.txt\n",
            "apps/keep/requirements.txt": "x",
            "apps/drop/requirements.txt": "x",
            "notes.txt": "x",
            "requirements.txt": "x",
        }
    )
    tree = SourceTree.scan(root)
    assert tree.list_dirs("apps") == ["keep"]
    assert tree.list_files(".") == [".gitignore", "requirements.txt"]
    assert tree.exists("apps/keep/requirements.txt")


def test_gitignore_dir_only_pattern_does_not_hide_a_file_of_that_name(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "data/\n", "data/requirements.txt": "x", "src/data": "a file"})
    tree = SourceTree.scan(root)
    assert not tree.is_dir("data")
    assert tree.exists("src/data")


def test_a_parent_gitignore_still_applies_under_a_nested_one(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "*.bak\n", "a/.gitignore": "tmp/\n", "a/x.bak": "", "a/tmp/y.py": "", "a/z.py": ""})
    tree = SourceTree.scan(root)
    assert tree.list_files("a") == [".gitignore", "z.py"]
    assert tree.list_dirs("a") == []


def test_a_nested_gitignore_overrides_its_parent_as_in_git(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            ".gitignore": "*.log\ngenerated/\n",
            "a/.gitignore": "!keep.log\n!generated/\n",
            "a/keep.log": "",
            "a/drop.log": "",
            "a/generated/x.py": "",
            "b/keep.log": "",
            "b/generated/y.py": "",
        }
    )
    tree = SourceTree.scan(root)
    assert tree.list_files("a") == [".gitignore", "keep.log"]
    assert tree.list_dirs("a") == ["generated"]
    assert tree.list_files("b") == []
    assert tree.list_dirs("b") == []


@pytest.mark.parametrize(
    ("pattern", "path", "ignored"),
    [
        ("*.py[cod]", "src/m.pyc", True),
        ("*.py[cod]", "src/m.py", False),
        ("docs/**/*.md", "docs/a/b/c.md", True),
        ("docs/**/*.md", "src/docs/a.md", False),
        ("**/cache", "x/y/cache/z.txt", True),
        ("a\\ b", "a b", True),  # an escaped space is a space
        ("trailing.txt   ", "trailing.txt", True),  # unescaped trailing spaces are dropped
        ("name with space.txt", "name with space.txt", True),
        ("(?P<x>", "(?P<x>", True),  # regex syntax in a name is literal
        ("[!a]*.txt", "b.txt", True),
        ("[!a]*.txt", "a.txt", False),
    ],
)
def test_gitignore_pattern_syntax(make_tree: MakeTree, pattern: str, path: str, ignored: bool) -> None:
    root = make_tree({".gitignore": pattern + "\n", path: "x", "other.bin": "x"})
    tree = SourceTree.scan(root)
    assert tree.exists(path) is not ignored
    assert tree.exists("other.bin")


_IGNORE_LINES = [
    "node_modules/", "dist/", "*.log", ".env", "/scratch", "docs/**/*.md", "**/cache", "a/b", "!keep.log", "*.py[cod]",
    "[!a]*.txt", "build", "x/**", "**/y/**/z", "\\#literal", "name with space.txt", "(?P<x>", "*", "?", "a*b/",
]  # fmt: skip
_IGNORE_PATHS = [
    "a", "a/b", "a/b/c.log", "keep.log", "x/keep.log", "src/m.pyc", "src/m.py", "docs/a/b/c.md", "src/docs/a.md",
    "x/y/cache/z.txt", "cache", "node_modules", "deep/node_modules", "deep/er/dist", "scratch", "sub/scratch",
    ".env", "sub/.env", "b.txt", "a.txt", "x", "x/q", "q/y/r/z", "#literal", "name with space.txt", "(?P<x>",
    "aXb", "aXb/c", "build", "k/build", "line\nbreak.log", "/lead/dist",
]  # fmt: skip


@pytest.mark.parametrize("line", _IGNORE_LINES)
def test_the_gitignore_screen_never_rules_out_what_pathspec_matches(line: str) -> None:
    """The one-regex screen may let through more than pathspec matches, never less (files and folders)."""
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines([line])
    screen = tree_module._screen(spec)
    assert screen is not None
    for path in _IGNORE_PATHS:
        for sub in (path, path + "/"):
            if spec.check_file(sub).include is not None:
                assert screen.match(sub) is not None, (line, sub)


@pytest.mark.parametrize("line", _IGNORE_LINES)
def test_the_folder_screen_finds_every_folder_holding_a_path_pathspec_decides(line: str) -> None:
    """A folder's names are searched at once, one per line: a folder none of whose paths it finds has none pathspec decides."""
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines([line])
    screen = tree_module._screen(spec)
    for base in (".", "lead"):
        ignore = tree_module._Ignore(base=base, spec=spec, screen=screen, folder_screen=tree_module._folder_screen(screen))
        folders: dict[str, list[str]] = {}
        for path in _IGNORE_PATHS:
            folder, _, name = path.rpartition("/")
            folders.setdefault(folder or ".", []).append(name)
        for folder, names in folders.items():
            rel = folder if base == "." else (base if folder == "." else f"{base}/{folder}")
            for tail in ("", "/"):
                if any(spec.check_file(f"{folder}/{n}{tail}" if folder != "." else n + tail).include is not None for n in names):
                    assert tree_module._may_ignore((ignore,), rel, names, tail), (line, rel, names, tail)


def test_a_folder_without_an_ignored_name_is_not_checked_path_by_path(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """One search of the folder's names, not a regex match per path: only the folder holding a candidate is checked."""
    files: dict[str, str | bytes] = {".gitignore": "*.log\nbuild/\n", "logs/a.log": "x", "logs/b.txt": "x"}
    files.update({f"src/m{i}.py": "x" for i in range(20)})
    root = make_tree(files)
    checked: list[str] = []
    original = tree_module._is_ignored
    monkeypatch.setattr(tree_module, "_is_ignored", lambda ignores, rel, is_dir: (checked.append(rel), original(ignores, rel, is_dir))[1])
    tree = SourceTree.scan(root)
    assert sorted(checked) == ["logs/a.log", "logs/b.txt"]
    assert tree.list_files("logs") == ["b.txt"] and len(tree.list_files("src")) == 20


def test_a_malformed_gitignore_line_is_skipped_with_a_warning(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "!\nhidden/\n", "hidden/a.py": "", "shown/b.py": ""})
    tree = SourceTree.scan(root)
    assert tree.list_dirs(".") == ["shown"]
    assert warned(tree, ".gitignore", "malformed pattern")


def test_a_binary_or_non_utf8_gitignore_does_not_break_the_scan(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": b"\xff\xfe\x00\x01junk", "a/.gitignore": b"caf\xe9/\nold/\n", "a/old/x.py": "", "a/new/y.py": ""})
    tree = SourceTree.scan(root)
    assert tree.list_dirs("a") == ["new"]


def test_a_fifo_named_gitignore_does_not_block_the_scan(make_tree: MakeTree) -> None:
    root = make_tree({"app/requirements.txt": "flask\n"})
    os.mkfifo(root / ".gitignore")
    with deadline(10):
        tree = SourceTree.scan(root)
    assert tree.exists("app/requirements.txt")


def test_a_gitignore_symlinked_out_of_the_tree_is_not_read(make_tree: MakeTree, tmp_path: Path) -> None:
    outside = tmp_path / "outside.gitignore"
    outside.write_text("app/\n", encoding="utf-8")
    root = make_tree({"app/requirements.txt": "flask\n"})
    (root / ".gitignore").symlink_to(outside)
    tree = SourceTree.scan(root)
    assert tree.exists("app/requirements.txt")
    assert warned(tree, ".gitignore", "outside the tree")


# ---------------------------------------------------------------- symlinks
def test_symlinks_to_files_inside_are_kept_and_readable(make_tree: MakeTree) -> None:
    root = make_tree({"config/reqs.txt": "flask\n"})
    (root / "requirements.txt").symlink_to("config/reqs.txt")
    tree = SourceTree.scan(root)
    assert tree.exists("requirements.txt")
    assert tree.read_text("requirements.txt") == "flask\n"


def test_symlinks_out_of_the_tree_are_skipped_with_a_warning(make_tree: MakeTree, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "app").mkdir(parents=True)
    (outside / "app" / "requirements.txt").write_text("django\n", encoding="utf-8")
    root = make_tree({"main.py": ""})
    (root / "linked-dir").symlink_to(outside / "app")
    (root / "requirements.txt").symlink_to(outside / "app" / "requirements.txt")
    (root / "etc-passwd").symlink_to("/etc/passwd")
    tree = SourceTree.scan(root)
    assert tree.list_files(".") == ["main.py"]
    assert tree.list_dirs(".") == []
    for name in ("linked-dir", "requirements.txt", "etc-passwd"):
        assert warned(tree, name, "outside the tree")
    assert tree.read_text("requirements.txt") is None


def test_symlink_cycles_and_folder_links_are_not_followed(make_tree: MakeTree) -> None:
    root = make_tree({"app/requirements.txt": "flask\n"})
    (root / "self").symlink_to(".")
    (root / "app" / "up").symlink_to("..")
    (root / "app" / "alias").symlink_to("../app")
    (root / "loop-a").symlink_to("loop-b")
    (root / "loop-b").symlink_to("loop-a")
    with deadline(10):
        tree = SourceTree.scan(root)
    assert tree.list_dirs(".") == ["app"]
    assert tree.list_dirs("app") == []
    assert tree.list_files("app") == ["requirements.txt"]
    assert tree.file_count() == 1


def test_parent_link_escaping_the_tree_is_skipped(make_tree: MakeTree) -> None:
    root = make_tree({"a.py": ""})
    (root / "parent").symlink_to("..")
    tree = SourceTree.scan(root)
    assert tree.list_dirs(".") == []
    assert warned(tree, "parent", "outside the tree")


def test_dangling_symlinks_are_skipped(make_tree: MakeTree) -> None:
    root = make_tree({"a.py": ""})
    (root / "requirements.txt").symlink_to("missing.txt")
    tree = SourceTree.scan(root)
    assert tree.list_files(".") == ["a.py"]
    assert tree.read_text("requirements.txt") is None


# ---------------------------------------------------------------- special files
def test_fifos_and_sockets_are_not_indexed(make_tree: MakeTree) -> None:
    import socket

    root = make_tree({"app/main.py": ""})
    os.mkfifo(root / "app" / "requirements.txt")
    (root / "app" / "fifo-link.txt").symlink_to("requirements.txt")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(root / "app" / "package.json"))
        with deadline(10):
            tree = SourceTree.scan(root)
    finally:
        sock.close()
    assert tree.list_files("app") == ["main.py"]


def test_a_file_replaced_by_a_fifo_after_the_scan_is_not_read(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "flask\n"})
    tree = SourceTree.scan(root)
    (root / "requirements.txt").unlink()
    os.mkfifo(root / "requirements.txt")
    with deadline(10):
        assert tree.read_text("requirements.txt") is None
    assert warned(tree, "requirements.txt", "not a regular file")


def test_a_file_gone_after_the_scan_gives_a_warning(make_tree: MakeTree) -> None:
    """The one 'cannot read' case that a root user hits too."""
    root = make_tree({"pyproject.toml": "[project]\nname = 'x'\n"})
    tree = SourceTree.scan(root)
    (root / "pyproject.toml").unlink()
    assert tree.read_toml("pyproject.toml") is None
    assert warned(tree, "pyproject.toml", "cannot read")


# ---------------------------------------------------------------- reading
def test_files_over_the_size_bound_are_indexed_but_not_read(make_tree: MakeTree) -> None:
    root = make_tree({"requirements.txt": "flask==3.0.0\n" * (2_000_000 // 13)})
    assert (root / "requirements.txt").stat().st_size > MAX_FILE_BYTES
    tree = SourceTree.scan(root)
    assert tree.exists("requirements.txt")
    assert tree.read_text("requirements.txt") is None
    assert warned(tree, "requirements.txt", "larger than")


def test_a_file_just_under_the_bound_is_read(make_tree: MakeTree) -> None:
    root = make_tree({"big.txt": "a" * MAX_FILE_BYTES})
    text = SourceTree.scan(root).read_text("big.txt")
    assert text is not None and len(text) == MAX_FILE_BYTES


def test_a_small_file_is_read_in_one_call(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """One ``read`` a file, not a second one to see its end: the floor reading a large tree makes one."""
    root = make_tree({"server.js": "app.listen(3000);\n"})
    calls: list[int] = []
    real_read = os.read

    def counting_read(fd: int, size: int) -> bytes:
        calls.append(size)
        return real_read(fd, size)

    monkeypatch.setattr(tree_module.os, "read", counting_read)
    assert SourceTree.scan(root).read_text("server.js") == "app.listen(3000);\n"
    assert calls == [len("app.listen(3000);\n") + 1]  # no buffer of the size bound for a few bytes either


@pytest.mark.parametrize("expected", [0, 5, 17, 18, 40])
def test_a_file_is_read_to_its_end_whatever_size_fstat_gave(tmp_path: Path, expected: int) -> None:
    """A file that grew or shrank between ``fstat`` and ``read`` is read whole, up to the bound."""
    path = tmp_path / "grown.txt"
    path.write_bytes(b"0123456789abcdefg\n")  # 18 bytes
    fd = os.open(path, os.O_RDONLY)
    try:
        assert tree_module._read_fd(fd, MAX_FILE_BYTES, expected) == b"0123456789abcdefg\n"
    finally:
        os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert tree_module._read_fd(fd, 10, expected) == b"0123456789"
    finally:
        os.close(fd)


def test_a_short_read_before_the_expected_size_reads_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A file system that returns less than asked mid-file (FUSE, network) is not taken as the file's end."""
    path = tmp_path / "slow.txt"
    path.write_bytes(b"x" * 100)
    real_read = os.read
    monkeypatch.setattr(tree_module.os, "read", lambda fd, size: real_read(fd, min(size, 7)))
    fd = os.open(path, os.O_RDONLY)
    try:
        assert tree_module._read_fd(fd, MAX_FILE_BYTES, 100) == b"x" * 100
    finally:
        os.close(fd)


def test_binary_files_are_not_read(make_tree: MakeTree) -> None:
    root = make_tree({"package.json": b'{"name": "x"}\0\0\0\x89PNG', "requirements.txt": b"flask\n\0"})
    tree = SourceTree.scan(root)
    assert tree.read_json("package.json") is None
    assert tree.read_text("requirements.txt") is None
    assert warned(tree, "requirements.txt", "binary")
    assert not warned(tree, "malformed")


def test_invalid_utf8_is_read_with_replacement_and_a_warning(make_tree: MakeTree) -> None:
    root = make_tree({"app.py": b"# caf\xe9\nimport os\n"})
    tree = SourceTree.scan(root)
    assert tree.read_text("app.py") == "# caf\ufffd\nimport os\n"
    assert warned(tree, "app.py", "not valid UTF-8")


def test_a_utf8_bom_is_stripped(make_tree: MakeTree) -> None:
    root = make_tree({"package.json": b'\xef\xbb\xbf{"name": "bom"}', "pyproject.toml": b"\xef\xbb\xbf[project]\nname = 'bom'\n"})
    tree = SourceTree.scan(root)
    assert tree.read_json("package.json") == {"name": "bom"}
    assert tree.read_toml("pyproject.toml") == {"project": {"name": "bom"}}
    assert tree.warnings == []


def test_reading_a_file_outside_the_index_gives_none(make_tree: MakeTree) -> None:
    root = make_tree({".gitignore": "hidden.txt\n", "hidden.txt": "secret"})
    tree = SourceTree.scan(root)
    assert tree.read_text("hidden.txt") is None
    assert tree.read_text("../etc/passwd") is None
    assert tree.read_text("nope.txt") is None


def test_line_of(make_tree: MakeTree) -> None:
    root = make_tree({"app.py": "import os\n\nPORT = 8000\n"})
    tree = SourceTree.scan(root)
    assert tree.line_of("app.py", r"^PORT") == 3
    assert tree.line_of("app.py", r"nothing") is None
    assert tree.line_of("missing.py", r"x") is None


# ---------------------------------------------------------------- parsers
@pytest.mark.parametrize(
    ("name", "content", "reader", "kind"),
    [
        ("package.json", '{"name": "x",', "read_json", "JSON"),
        ("deno.jsonc", "{ name: ", "read_json5", "JSON5"),
        ("pyproject.toml", "[project\nname = 1", "read_toml", "TOML"),
        ("Pipfile", "[packages]\nflask = \n", "read_toml", "TOML"),
        ("pnpm-workspace.yaml", "packages: [\n  - 'a'\n", "read_yaml", "YAML"),
        ("compose.yaml", "services:\n  web:\n    image: [unclosed\n", "read_yaml", "YAML"),
        ("pom.xml", "<project><artifactId>x</project>", "read_xml", "XML"),
        ("pom.xml", BILLION_LAUGHS, "read_xml", "XML"),
    ],
)
def test_malformed_manifests_give_none_and_a_warning_naming_the_file(
    make_tree: MakeTree, name: str, content: str, reader: str, kind: str
) -> None:
    root = make_tree({f"app/{name}": content})
    tree = SourceTree.scan(root)
    started = time.perf_counter()
    assert getattr(tree, reader)(f"app/{name}") is None
    assert time.perf_counter() - started < 2
    assert warned(tree, f"app/{name}", f"malformed {kind}")


def test_xml_external_entities_are_refused(make_tree: MakeTree) -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><project>&x;</project>'
    root = make_tree({"pom.xml": xxe})
    tree = SourceTree.scan(root)
    assert tree.read_xml("pom.xml") is None
    assert warned(tree, "pom.xml", "malformed XML")


def test_yaml_is_loaded_safely(make_tree: MakeTree) -> None:
    root = make_tree({"compose.yaml": "services: !!python/object/apply:os.system ['echo pwned']\n"})
    tree = SourceTree.scan(root)
    assert tree.read_yaml("compose.yaml") is None
    assert warned(tree, "compose.yaml", "malformed YAML")


def test_a_yaml_alias_bomb_loads_without_expanding(make_tree: MakeTree) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(8)]
    root = make_tree({"compose.yaml": "\n".join(lines) + "\n"})
    started = time.perf_counter()
    data = SourceTree.scan(root).read_yaml("compose.yaml")
    assert time.perf_counter() - started < 2
    assert isinstance(data, dict) and len(data["i"]) == 10


def test_well_formed_manifests_parse(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "package.json": '{"name": "web"}',
            "deno.jsonc": "{ // comment\n  tasks: {start: 'deno run main.ts'},\n}",
            "pyproject.toml": "[project]\nname = 'api'\n",
            "compose.yaml": "services:\n  db:\n    image: postgres:16\n---\nsecond: doc\n",
            "pom.xml": "<project><artifactId>svc</artifactId></project>",
        }
    )
    tree = SourceTree.scan(root)
    assert tree.read_json("package.json") == {"name": "web"}
    assert tree.read_json5("deno.jsonc") == {"tasks": {"start": "deno run main.ts"}}
    assert tree.read_toml("pyproject.toml") == {"project": {"name": "api"}}
    assert tree.read_yaml("compose.yaml") == {"services": {"db": {"image": "postgres:16"}}}
    assert tree.read_xml("pom.xml").find("artifactId").text == "svc"
    assert tree.warnings == []


# ---------------------------------------------------------------- names and shape
def test_non_utf8_names_are_skipped_with_a_warning(make_tree: MakeTree) -> None:
    root = make_tree({"ok.py": ""})
    base = os.fsencode(root)
    os.mkdir(base + b"/caf\xe9")
    fd = os.open(base + b"/caf\xe9/requirements.txt", os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"flask\n")
    os.close(fd)
    fd = os.open(base + b"/bad\xff.py", os.O_CREAT | os.O_WRONLY, 0o644)
    os.close(fd)
    tree = SourceTree.scan(root)
    assert tree.list_files(".") == ["ok.py"]
    assert tree.list_dirs(".") == []
    assert warned(tree, "caf\\xe9", "not valid UTF-8")
    assert warned(tree, "bad\\xff.py", "not valid UTF-8")


def test_deep_nesting_is_indexed_without_recursion_limits(make_tree: MakeTree) -> None:
    deep = "/".join(["d"] * 200)
    root = make_tree({f"{deep}/requirements.txt": "flask\n"})
    tree = SourceTree.scan(root)
    assert tree.exists(f"{deep}/requirements.txt")
    assert tree.read_text(f"{deep}/requirements.txt") == "flask\n"


def test_empty_folders_are_indexed(make_tree: MakeTree) -> None:
    root = make_tree({})
    (root / "empty").mkdir()
    tree = SourceTree.scan(root)
    assert tree.list_dirs(".") == ["empty"]
    assert tree.file_count() == 0


def test_the_file_count_bound_stops_the_scan_with_a_warning(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_module, "MAX_FILES", 5)
    root = make_tree({f"d{i}/f{j}.txt": "" for i in range(5) for j in range(3)})
    tree = SourceTree.scan(root)
    assert tree.file_count() <= 8
    assert warned(tree, "more than 5 files")

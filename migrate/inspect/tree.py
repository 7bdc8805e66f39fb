"""A read-only, bounded index of a source tree.

Inspection never walks the disk itself: it asks a :class:`SourceTree`, built
once by :meth:`SourceTree.scan`. The scan is where every hostile-input rule
lives, so detectors cannot get them wrong:

* symlinks to folders are never followed (no cycles, no escaping the tree);
  symlinks to files are kept only when they resolve inside the tree;
* dependency, build, cache and VCS folders are skipped by name, virtualenvs by
  their ``pyvenv.cfg``, and whatever ``.gitignore`` files say;
* files over :data:`MAX_FILE_BYTES` and binary files are listed but never read;
* names that are not valid UTF-8 are skipped with a warning;
* malformed JSON/TOML/YAML/XML gives ``None`` and a warning naming the file.

Paths are POSIX strings relative to the root; the root itself is ``"."``.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.errors import SourceTreeError

if TYPE_CHECKING:
    from migrate.inspect.readahead import ReadAhead

#: Folders never worth entering: VCS data, installed dependencies, build output, caches.
SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr",
        "node_modules", "bower_components", "jspm_packages", ".pnpm-store", ".yarn",
        ".venv", "venv", "__pycache__", ".tox", ".nox", ".eggs", "site-packages",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
        "vendor", "target", "dist", "build", "out", "obj", "coverage", ".coverage",
        ".next", ".nuxt", ".output", ".svelte-kit", ".turbo", ".vercel", ".netlify",
        ".cache", ".parcel-cache", ".angular", ".expo",
        ".gradle", ".m2", ".idea", ".vscode", ".bundle", ".terraform", ".serverless",
        ".dart_tool", "Pods", ".devcontainer-cache",
    }
)  # fmt: skip

#: Files larger than this are indexed (their existence is a fact) but never read.
MAX_FILE_BYTES = 1_000_000
#: Upper bound on indexed files, so a pathological tree cannot exhaust memory.
MAX_FILES = 250_000
_BINARY_SNIFF = 8192


@dataclass
class SourceTree:
    """An index of the readable files under ``root``, with cached, safe readers."""

    root: Path
    files: dict[str, list[str]] = field(default_factory=dict)
    subdirs: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _text_cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _parsed_cache: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _name_sets: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _by_extension: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)
    _listings: dict[tuple[str, frozenset[str]], tuple[tuple[str, str, str], ...]] = field(default_factory=dict, repr=False)
    _endings: dict[tuple[str, frozenset[str], tuple[str, ...]], tuple[str, ...]] = field(default_factory=dict, repr=False)
    _root_prefix: str = field(init=False, repr=False)
    #: A child reading an app's files from the other end while its profile runs (migrate/inspect/readahead.py).
    ahead: ReadAhead | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._root_prefix = os.path.join(str(self.root), "")  # the root and a separator: joined by concatenation

    # ------------------------------------------------------------------ scanning
    @classmethod
    def scan(cls, root: Path | str) -> SourceTree:
        """Index the tree under ``root``; raise :class:`SourceTreeError` if it cannot be read."""
        root_path = Path(root)
        if not root_path.exists():
            raise SourceTreeError(f"{root}: no such file or folder")
        if not root_path.is_dir():
            raise SourceTreeError(f"{root}: not a folder (give the folder that holds the app)")
        if not os.access(root_path, os.R_OK | os.X_OK):
            raise SourceTreeError(f"{root}: permission denied")
        tree = cls(root=root_path.resolve())
        tree._walk()
        return tree

    def _walk(self) -> None:
        root_str = str(self.root)
        count = 0
        # Each stack entry: (relative dir, absolute dir, active gitignore specs).
        stack: list[tuple[str, str, tuple[_Ignore, ...]]] = [(".", root_str, ())]
        while stack:
            rel, absolute, ignores = stack.pop()
            entries = self._list(rel, absolute)
            if entries is None:
                continue
            if rel != "." and any(e.name == "pyvenv.cfg" for e in entries):
                parent, _, name = rel.rpartition("/")
                self.subdirs[parent or "."].remove(name)  # a virtualenv under any name
                continue
            files: list[str] = []
            dirs: list[str] = []
            for entry in entries:
                kind = self._classify(rel, entry, root_str)
                if kind is not None:
                    (dirs if kind == "dir" else files).append(entry.name)
            # Only a regular file (or a link to one inside the tree) is a .gitignore:
            # a FIFO would block the scan, a link out of the tree must not be read.
            if ".gitignore" in files:
                ignores = ignores + self._gitignore(rel)
            if ignores:
                files = _kept(ignores, rel, files, False)
                dirs = _kept(ignores, rel, dirs, True)
            self.files[rel] = files
            self.subdirs[rel] = dirs
            count += len(files)
            if count > MAX_FILES:
                self.warn(f"tree has more than {MAX_FILES} files; stopped indexing at {rel}")
                return
            for name in reversed(dirs):
                child = name if rel == "." else f"{rel}/{name}"
                stack.append((child, os.path.join(absolute, name), ignores))

    def _list(self, rel: str, absolute: str) -> list[os.DirEntry[str]] | None:
        try:
            with os.scandir(absolute) as it:
                # Sorted, so that files, folders and warnings come in the same order on every file system.
                return sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.warn(f"{rel}: cannot read folder ({exc.strerror or exc})")
            return None

    def _classify(self, rel: str, entry: os.DirEntry[str], root_str: str) -> str | None:
        """``"dir"``, ``"file"`` or None (skipped) for one folder entry."""
        name = entry.name
        try:
            if not name.isascii():  # ASCII is valid UTF-8: the encode would only copy it
                name.encode("utf-8")
        except UnicodeEncodeError:
            shown = os.fsencode(name).decode("utf-8", "backslashreplace")
            self.warn(f"{_join(rel, shown)}: skipped, name is not valid UTF-8")
            return None
        try:
            if entry.is_symlink():
                return self._classify_symlink(rel, entry, root_str)
            if entry.is_dir(follow_symlinks=False):
                return None if name in SKIPPED_DIRS or name.endswith(".egg-info") else "dir"
            if entry.is_file(follow_symlinks=False):
                return "file"
        except OSError:
            return None
        return None  # sockets, fifos, devices

    def _classify_symlink(self, rel: str, entry: os.DirEntry[str], root_str: str) -> str | None:
        target = os.path.realpath(entry.path)
        inside = target == root_str or target.startswith(root_str + os.sep)
        if not inside:
            self.warn(f"{_join(rel, entry.name)}: skipped, symlink points outside the tree")
            return None
        try:
            mode = os.stat(target).st_mode
        except OSError:
            return None  # dangling
        # Folder links are never followed: their target is indexed on its own if it is in the tree.
        return "file" if stat.S_ISREG(mode) else None

    def _gitignore(self, rel: str) -> tuple[_Ignore, ...]:
        import pathspec

        path = _join(rel, ".gitignore")
        data = self._read_bytes(path, self.warn)
        if data is None or b"\0" in data[:_BINARY_SNIFF]:
            return ()
        lines = data.decode("utf-8", "replace").splitlines()
        lines = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        if not lines:
            return ()
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception:  # noqa: BLE001 (pathspec raises plain errors on bad patterns)
            # Git skips a bad line and keeps the others: do the same.
            good = [ln for ln in lines if _valid_pattern(pathspec, ln)]
            bad = next(ln for ln in lines if ln not in good) if len(good) < len(lines) else "?"
            self.warn(f"{path}: skipped the malformed pattern {bad.strip()!r}")
            spec = pathspec.GitIgnoreSpec.from_lines(good)
        screen = _screen(spec)
        return (_Ignore(base=rel, spec=spec, screen=screen, folder_screen=_folder_screen(screen)),)

    # ------------------------------------------------------------------ queries
    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def is_dir(self, rel: str) -> bool:
        """Whether ``rel`` is an indexed folder."""
        return rel in self.files

    def exists(self, rel: str) -> bool:
        """Whether ``rel`` is an indexed file."""
        folder, _, name = rel.rpartition("/")
        return self.holds(folder or ".", name)

    def holds(self, folder: str, name: str) -> bool:
        """Whether folder ``folder`` (``"."`` for the root) holds the indexed file ``name``."""
        names = self._name_sets.get(folder)
        if names is None:  # a set per folder, made on first use: detectors ask about dozens of names in each
            names = self._name_sets[folder] = frozenset(self.files.get(folder, ()))
        return name in names

    def with_extension(self, rel: str, extension: str) -> list[str]:
        """File names directly in folder ``rel`` whose last extension is ``extension`` (``".csproj"``), sorted."""
        index = self._by_extension.get(rel)
        if index is None:
            index = self._by_extension[rel] = {}
            for name in self.files.get(rel, ()):
                dot = name.rfind(".")
                if dot >= 0:
                    index.setdefault(name[dot:], []).append(name)
        return list(index.get(extension, ()))

    def list_files(self, rel: str = ".") -> list[str]:
        """File names directly in folder ``rel`` (sorted)."""
        return self.files.get(rel, [])

    def list_dirs(self, rel: str = ".") -> list[str]:
        """Sub-folder names directly in folder ``rel`` (sorted)."""
        return self.subdirs.get(rel, [])

    def walk(self, rel: str = ".", *, prune: frozenset[str] = frozenset()) -> Iterator[tuple[str, list[str]]]:
        """Yield ``(folder, file names)`` for ``rel`` and every indexed folder below it.

        Folders in ``prune`` (relative paths) are not entered.
        """
        stack = [rel]
        while stack:
            folder = stack.pop()
            yield folder, self.files.get(folder, [])
            for name in reversed(self.subdirs.get(folder, [])):
                child = _join(folder, name)
                if child not in prune:
                    stack.append(child)

    def listing(self, rel: str = ".", *, prune: frozenset[str] = frozenset()) -> tuple[tuple[str, str, str], ...]:
        """``(folder, name, path)`` of every indexed file under ``rel``, in :meth:`walk` order, pruned the same way.

        Made once per (folder, prune) and shared: every scanner that searches an app's
        sources walks it again, and the same path objects keep their hashes for the
        read cache (a path joined afresh is hashed afresh at every lookup).
        """
        key = (rel, prune)
        found = self._listings.get(key)
        if found is None:
            found = self._listings[key] = tuple(
                (folder, name, _join(folder, name)) for folder, names in self.walk(rel, prune=prune) for name in names
            )
        return found

    def ending(self, rel: str, prune: frozenset[str], suffixes: tuple[str, ...]) -> tuple[str, ...]:
        """The paths of :meth:`listing`'s files whose names end in one of ``suffixes``; made once and shared."""
        key = (rel, prune, suffixes)
        found = self._endings.get(key)
        if found is None:
            found = self._endings[key] = tuple(path for _folder, name, path in self.listing(rel, prune=prune) if name.endswith(suffixes))
        return found

    def file_count(self) -> int:
        """How many files were indexed."""
        return sum(len(v) for v in self.files.values())

    # ------------------------------------------------------------------ reading
    def read_text(self, rel: str) -> str | None:
        """The text of an indexed file, or None if it is missing, too large or binary.

        Invalid UTF-8 is decoded with replacement characters and warned about once.
        """
        text = self._text_cache.get(rel, self)  # the tree itself as "not read yet": None is a cached answer
        if text is not self:
            return text  # type: ignore[return-value]
        text = self._read(rel)
        self._text_cache[rel] = text
        return text

    def _read(self, rel: str) -> str | None:
        if not self.exists(rel):
            return None
        data = self._read_bytes(rel, self.warn)
        if data is None:
            return None
        if data.find(b"\0", 0, _BINARY_SNIFF) != -1:  # find: no copy of the first 8 kB
            self.warn(f"{rel}: not read, binary file")
            return None
        try:
            return _decode(data)
        except UnicodeDecodeError:
            self.warn(f"{rel}: not valid UTF-8, read with replacement characters")
            return data.decode("utf-8", "replace")

    def clean_text(self, rel: str) -> str | None:
        """The text :meth:`read_text` gives, when reading it warns of nothing; else None, and no warning.

        For a reader in another process (migrate/inspect/readahead.py), whose warnings would be lost:
        a file it cannot read cleanly is left to this process to read, and to warn about.
        """
        if rel in self._text_cache:
            return None  # read here already: its text, or its warning, is this process's
        if not self.exists(rel):
            return None
        data = self._read_bytes(rel, _quiet)
        if data is None or data.find(b"\0", 0, _BINARY_SNIFF) != -1:
            return None
        try:
            return _decode(data)
        except UnicodeDecodeError:
            return None

    def passing(self, paths: Iterable[str], needles: tuple[tuple[str, ...], ...], bit: int = 0) -> Iterator[tuple[str, str]]:
        """``(path, text)`` of each of ``paths`` whose text holds a needle of each set of ``needles``, lazily, in order.

        The text of a file that cannot be read is "" (it passes only ``needles`` without sets). For full
        passes over an app's files, the cost of each file that fails is what counts, so the loop is flat.
        ``bit``: a registered read-ahead screen's (:func:`migrate.inspect.readahead.bit_of`) for the same
        needles, so that a child that has read a file already can answer "fails" without a read here.
        """
        cache, read, ahead = self._text_cache, self.read_text, self.ahead if bit else None
        for path in paths:
            if ahead is not None and ahead.ruled_out(path, bit):
                continue
            text = cache.get(path, self)  # the tree itself as "not read yet", as in read_text
            if text is self:
                text = read(path)
            if text is None:
                text = ""
            for found in needles:  # prefilter.passes, inline: this runs for every file of every full pass
                for needle in found:
                    if needle in text:  # type: ignore[operator]
                        break
                else:
                    break
            else:
                yield path, text  # type: ignore[misc]

    def _read_bytes(self, rel: str, warn: Callable[[str], None]) -> bytes | None:
        """The bytes of a regular file under the size bound, or None (``warn`` told why).

        Opened non-blocking and checked with ``fstat`` on the open descriptor, so a
        file swapped for a FIFO or a device after the scan can neither block nor
        stream forever.
        """
        # os.open/os.read on the root's string: pathlib and a buffered file object
        # cost more than the read itself for the thousands of small files of an app.
        try:
            fd = os.open(self._root_prefix + rel, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as exc:
            warn(f"{rel}: cannot read ({exc.strerror or exc})")
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                warn(f"{rel}: not read, not a regular file")
                return None
            if info.st_size > MAX_FILE_BYTES:
                warn(f"{rel}: not read, larger than {MAX_FILE_BYTES // 1000} kB")
                return None
            return _read_fd(fd, MAX_FILE_BYTES, info.st_size)
        except OSError as exc:
            warn(f"{rel}: cannot read ({exc.strerror or exc})")
            return None
        finally:
            os.close(fd)

    def read_json(self, rel: str) -> Any:
        """Parsed JSON, or None (with a warning) when missing or malformed."""
        return self._parse(rel, "JSON", json.loads)

    def read_json5(self, rel: str) -> Any:
        """Parsed JSONC/JSON5 (comments, trailing commas), or None with a warning."""
        import json5

        return self._parse(rel, "JSON5", json5.loads)

    def read_toml(self, rel: str) -> dict[str, Any] | None:
        """Parsed TOML, or None (with a warning) when missing or malformed."""
        value = self._parse(rel, "TOML", tomllib.loads)
        return value if isinstance(value, dict) else None

    def read_yaml(self, rel: str) -> Any:
        """Parsed YAML (safe loader, first document), or None with a warning."""
        import yaml

        def load(text: str) -> Any:
            docs = list(yaml.safe_load_all(text))
            return docs[0] if docs else None

        return self._parse(rel, "YAML", load)

    def read_xml(self, rel: str) -> Any:
        """A parsed XML root element (defusedxml), or None with a warning."""
        import defusedxml.ElementTree as ET

        return self._parse(rel, "XML", ET.fromstring)

    def _parse(self, rel: str, kind: str, loader: Any) -> Any:
        key = (rel, kind)
        if key in self._parsed_cache:
            return self._parsed_cache[key]
        text = self.read_text(rel)
        value = None
        if text is not None:
            try:
                value = loader(text)
            except Exception as exc:  # noqa: BLE001 (every parser has its own error type; all mean "malformed")
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.warn(f"{rel}: malformed {kind}, ignored ({reason})")
        self._parsed_cache[key] = value
        return value

    def line_of(self, rel: str, pattern: str | re.Pattern[str], *, flags: int = 0) -> int | None:
        """The 1-based line of the first regex match in a file, or None."""
        text = self.read_text(rel)
        if text is None:
            return None
        match = re.search(pattern, text, flags | re.MULTILINE) if isinstance(pattern, str) else pattern.search(text)
        if match is None:
            return None
        return text.count("\n", 0, match.start()) + 1

    def line_text(self, rel: str, line: int) -> str:
        """The text of a file's 1-based ``line`` ("" when the file or the line is not there)."""
        lines = (self.read_text(rel) or "").splitlines()
        return lines[line - 1] if 1 <= line <= len(lines) else ""


@dataclass(frozen=True)
class _Ignore:
    base: str
    spec: Any  # pathspec.GitIgnoreSpec, imported lazily
    #: One regex matching whatever any pattern of ``spec`` matches: a cheap first test.
    screen: re.Pattern[str] | None = None
    #: ``screen`` searched over all the names of a folder at once, one per line (see :func:`_kept`).
    folder_screen: re.Pattern[str] | None = None


#: How pathspec begins a pattern that may match in any folder (``*.log``, ``node_modules/``).
_ANY_FOLDER = "^(?:.+/)?"


def _screen(spec: Any) -> re.Pattern[str] | None:
    """All the patterns of ``spec`` as one regex, or None if they cannot be combined.

    Most paths match no pattern at all; one regex match settles those, and
    only the rare candidate pays for pathspec's pattern-by-pattern check.
    The patterns for any folder share one prefix, ``^(?:[^/\n]*/)*``, instead
    of each its own ``^(?:.+/)?``: that one backtracked over every character of
    the path for each pattern (microseconds a path); the shared one steps back
    a folder at a time, once for all of them. It matches whatever the original
    matches (and a path starting with ``/``, which never occurs here), and
    pathspec decides every path it lets through.
    """
    sources = [p.regex.pattern for p in spec.patterns if getattr(p, "regex", None) is not None]
    if not sources:
        return None
    # pathspec names a group in every pattern; names cannot repeat in one regex.
    sources = [re.sub(r"\(\?P<\w+>", "(?:", source) for source in sources]
    anywhere = [source[len(_ANY_FOLDER) :] for source in sources if source.startswith(_ANY_FOLDER)]
    anchored = [source for source in sources if not source.startswith(_ANY_FOLDER)]
    if anywhere:
        anchored.append(r"^(?:[^/\n]*/)*(?:" + "|".join("(?:" + source + ")" for source in anywhere) + ")")
    combined = "|".join("(?:" + source + ")" for source in anchored)
    try:
        return re.compile(combined)
    except re.error:
        return None


def _folder_screen(screen: re.Pattern[str] | None) -> re.Pattern[str] | None:
    """``screen`` for a folder's paths joined by newlines, or None where a joined search could miss one.

    With MULTILINE, ``^`` and ``$`` match at each path's start and end as they did at the
    string's; a character class may run across a newline, which only finds more (every
    such find sends the folder to the per-path check). ``\\Z``, ``\\A`` and look-behinds
    see the neighbouring lines, so a screen holding one is not used this way.
    """
    if screen is None or any(token in screen.pattern for token in ("\\Z", "\\A", "(?<")):
        return None
    try:
        return re.compile(screen.pattern, screen.flags | re.MULTILINE)
    except re.error:
        return None


def _kept(ignores: tuple[_Ignore, ...], rel: str, names: list[str], is_dir: bool) -> list[str]:
    """``names`` of folder ``rel`` less those the ``.gitignore`` files ignore.

    Most folders hold no ignored name: one search of each screen over the folder's
    paths joined by newlines (built in C by ``str.join``) settles those, where a
    call per path matched each path on its own; a folder with a candidate, or a
    name holding a newline, is checked path by path as before.
    """
    if names and not _may_ignore(ignores, rel, names, "/" if is_dir else ""):
        return names
    return [n for n in names if not _is_ignored(ignores, _join(rel, n), is_dir)]


def _may_ignore(ignores: tuple[_Ignore, ...], rel: str, names: list[str], tail: str) -> bool:
    """Whether any screen of ``ignores`` matches a path of ``names`` in ``rel`` (False: none is ignored)."""
    for ignore in ignores:
        if ignore.base == ".":
            prefix = "" if rel == "." else rel + "/"
        elif rel == ignore.base:
            prefix = ""
        elif rel.startswith(ignore.base + "/"):
            prefix = rel[len(ignore.base) + 1 :] + "/"
        else:
            continue  # not under this .gitignore's folder
        if ignore.folder_screen is None:
            return True  # no screen to search with: pathspec decides each path
        joined = prefix + (tail + "\n" + prefix).join(names) + tail
        if joined.count("\n") != len(names) - 1 or ignore.folder_screen.search(joined) is not None:
            return True
    return False


def _is_ignored(ignores: tuple[_Ignore, ...], rel: str, is_dir: bool) -> bool:
    # As in git, the deepest .gitignore with a matching pattern decides, so a
    # nested ``!keep.log`` re-includes what a parent's ``*.log`` ignored.
    for ignore in reversed(ignores):
        if ignore.base == ".":
            sub = rel
        elif rel.startswith(ignore.base + "/"):
            sub = rel[len(ignore.base) + 1 :]
        else:
            continue
        if is_dir:
            sub += "/"
        if ignore.screen is not None and ignore.screen.match(sub) is None:
            continue
        verdict = ignore.spec.check_file(sub).include
        if verdict is not None:
            return bool(verdict)
    return False


def _decode(data: bytes) -> str:
    """UTF-8 without a leading BOM: what the "utf-8-sig" codec does, on the C fast path (that codec runs
    Python code per call). Raises UnicodeDecodeError."""
    return (data[3:] if data.startswith(codecs.BOM_UTF8) else data).decode("utf-8")


def _quiet(_message: str) -> None:
    """A warning nobody records (:meth:`SourceTree.clean_text`)."""


def _read_fd(fd: int, limit: int, expected: int = 0) -> bytes:
    """At most ``limit`` bytes from ``fd``, to its end (a file may grow after its ``fstat``).

    The first read asks for one byte more than the ``expected`` size: a regular file
    that returns less, but all it was expected to hold, is at its end. So most files
    take one ``read`` call, not two, and no buffer of ``limit`` bytes is allocated for
    a file of a few hundred; a file system that returns less than asked mid-file
    (FUSE, network) is read on to the empty read that ends it, as before.
    """
    chunks = []
    size = 0
    want = min(expected, limit) + 1
    while size < limit:
        chunk = os.read(fd, want)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if len(chunk) < want and size >= expected:
            break
        want = limit + 1 - size
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return data[:limit]


def _valid_pattern(pathspec: Any, line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except Exception:  # noqa: BLE001 (pathspec raises plain errors on bad patterns)
        return False
    return True


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


def join(folder: str, name: str) -> str:
    """Join a relative folder (``"."`` for the root) and a name into a relative path."""
    return _join(folder, name)

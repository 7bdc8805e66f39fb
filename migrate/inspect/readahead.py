"""Read one large app's files from both ends at once: this process from the first, a forked one from the last.

Profiling an app makes full passes over its sources (the Node port default, ``keepAliveTimeout``,
the environment idioms...): each pass reads a file once (the tree caches the text) and tests its
*screen* first, the needles one of which every match holds (:mod:`migrate.inspect.prefilter`). On
an app of thousands of files, reading them is most of the work, and one app cannot be profiled
side by side with others (:mod:`migrate.inspect.parallel`). So a child forked from this process
walks the app's files from the last backwards, reads each, tests every *registered* screen on it
and sends back, per file, the screens it fails: a few bytes, not the text. When a pass here
reaches a file the child has done, a failed screen answers without a read (:meth:`SourceTree.passing`);
the passes meet in the middle however fast either side goes.

The result is exactly the serial one, by construction:

- a screen is a pure function of a file's text, tested by the same code on both sides
  (:func:`~migrate.inspect.prefilter.passes`); only a *failed* screen is used, and it only saves
  the read of a file whose every match that screen rules out;
- the child reports only files it read without a warning (:meth:`SourceTree.clean_text`): a binary,
  oversized, unreadable or non-UTF-8 file is read here, when a pass reaches it, and warned about
  then, in the serial order;
- a child that dies, or is slow, only leaves more files to read here.

Screens are registered where their patterns are defined (:func:`ahead`, :func:`register`), by file
extension, so the child can know them when it is forked. A scan whose pattern is not registered
reads every file as before. Linux only, from a single-threaded process (:func:`parallel.can_fork`).
"""

from __future__ import annotations

import os
import re
import signal
import struct
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrate.inspect.prefilter import passes, screens

if TYPE_CHECKING:
    from migrate.inspect.tree import SourceTree

#: Files per message from the child: ~1 ms of its work, so the passes here meet it within that.
CHUNK = 128
#: A pass here looks for the child's news once per this many files it has to read itself.
POLL_EVERY = 16
#: Each message: the index of its first file in the listing, how many files, then one mask each.
_HEADER = struct.Struct("<II")
_MASK = "Q"
_MASK_BYTES = array(_MASK).itemsize
#: One bit per screen in a 64-bit mask.
MAX_SCREENS = 64


@dataclass(frozen=True)
class Screen:
    """A screen tested in full passes over an app's files of ``extensions``: ``needles``' sets
    (a file may match only if it holds a needle of each), and its ``bit`` in the child's masks."""

    extensions: frozenset[str]
    needles: tuple[tuple[str, ...], ...]
    bit: int


_REGISTERED: list[Screen] = []
_OF_PATTERN: dict[re.Pattern[str], Screen] = {}


def register(extensions: Iterable[str], needles: tuple[tuple[str, ...], ...]) -> Screen:
    """Have the child test ``needles`` on the app's files of ``extensions`` (``.js``: one dot, at the start).

    A screen without needles (every text passes) is not worth a bit: it gets bit 0, never used.
    """
    extensions = frozenset(extensions)
    for extension in extensions:
        if not re.fullmatch(r"\.[^./]+", extension):
            raise ValueError(f"read-ahead screens take file extensions like '.js', not {extension!r}")
    if not needles or any(not found or "" in found for found in needles):
        return Screen(extensions, needles, 0)
    if len(_REGISTERED) == MAX_SCREENS:
        raise ValueError(f"more than {MAX_SCREENS} read-ahead screens")
    screen = Screen(extensions, needles, 1 << len(_REGISTERED))
    _REGISTERED.append(screen)
    return screen


def ahead(pattern: re.Pattern[str], extensions: Iterable[str]) -> re.Pattern[str]:
    """Register ``pattern``'s screen for full passes over files of ``extensions``; returns the pattern."""
    _OF_PATTERN[pattern] = register(extensions, screens(pattern))
    return pattern


def bit_of(pattern: re.Pattern[str]) -> int:
    """The read-ahead bit of ``pattern``'s screen, 0 if it is not registered."""
    screen = _OF_PATTERN.get(pattern)
    return screen.bit if screen is not None else 0


def registered() -> tuple[Screen, ...]:
    """The screens registered so far, in bit order (a child forked now tests these)."""
    return tuple(_REGISTERED)


class ReadAhead:
    """The child reading an app's files backwards, and what it has sent back so far.

    ``listing``: the app's ``(folder, name, path)`` triples (:meth:`SourceTree.listing`), the order
    every full pass walks; the child's messages name files by their index in it.
    """

    def __init__(self, pid: int, fd: int, listing: Sequence[tuple[str, str, str]]) -> None:
        self.pid = pid
        self.fd = fd
        self.listing = listing
        #: path -> the bits of the screens its text fails (files that fail none are left out).
        self.failed: dict[str, int] = {}
        self._data = bytearray()
        self._misses = 0
        self.status: int | None = None

    @classmethod
    def fork(cls, tree: SourceTree, listing: Sequence[tuple[str, str, str]], found: Sequence[Screen]) -> ReadAhead:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child_main(write_fd, tree, listing, found)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        return cls(pid, read_fd, listing)

    def ruled_out(self, path: str, bit: int) -> bool:
        """Whether the child found that ``path``'s text fails the screen of ``bit`` (False: read it)."""
        mask = self.failed.get(path)
        if mask is None:
            if self.fd < 0:
                return False
            self._misses += 1
            if self._misses < POLL_EVERY:
                return False
            self._misses = 0
            self._receive()
            mask = self.failed.get(path)
            if mask is None:
                return False
        if self.fd >= 0:
            # A pass here has reached the files the child did: everything it reads now, this process has
            # read already (the passes walk the same order from opposite ends).
            self.stop()
        return mask & bit != 0

    def _receive(self) -> None:
        """Take in what the child has sent (without waiting); at its end, reap it."""
        while self.fd >= 0:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                self._close()
                break
            self._data += chunk
        self._parse()

    def _parse(self) -> None:
        data, at, listing, failed = self._data, 0, self.listing, self.failed
        while len(data) - at >= _HEADER.size:
            first, count = _HEADER.unpack_from(data, at)
            end = at + _HEADER.size + count * _MASK_BYTES
            if len(data) < end or first + count > len(listing):
                break  # the rest is still on its way (or, from a broken child, never comes: those files are read here)
            masks = array(_MASK, data[at + _HEADER.size : end])
            for offset, mask in enumerate(masks):
                if mask:
                    failed[listing[first + offset][2]] = mask
            at = end
        del data[:at]

    def stop(self) -> None:
        """End the child: kill it, take in what it had sent, and reap it."""
        if self.fd < 0:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._drain()

    def wait(self) -> None:
        """Take in everything the child sends, to its end (tests: a child that has finished)."""
        if self.fd >= 0:
            self._drain()

    def _drain(self) -> None:
        """Read the pipe to its end (it closes with the child; a killed child's is bounded by the pipe's
        buffer), then reap the child."""
        os.set_blocking(self.fd, True)
        while chunk := os.read(self.fd, 1 << 16):
            self._data += chunk
        self._close()
        self._parse()

    def _close(self) -> None:
        os.close(self.fd)
        self.fd = -1
        try:
            self.status = os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            self.status = -1


@contextmanager
def reading_ahead(tree: SourceTree, listing: Sequence[tuple[str, str, str]]) -> Iterator[ReadAhead | None]:
    """While in this block, passes over ``listing``'s files use a child's screens (None: nothing registered).

    The child is stopped and reaped when the block ends, however it ends (Ctrl-C included).
    """
    found = registered()
    if not found or tree.ahead is not None:
        yield None
        return
    child = ReadAhead.fork(tree, listing, found)
    tree.ahead = child
    try:
        yield child
    finally:
        tree.ahead = None
        child.stop()


def _child_main(fd: int, tree: SourceTree, listing: Sequence[tuple[str, str, str]], found: Sequence[Screen]) -> None:
    """From the last file backwards, send each chunk's masks; leave at once (no atexit handler, no
    flush of buffers this process inherited: they are the parent's to write)."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child quietly; the parent decides
        by_extension: dict[str, list[tuple[int, tuple[tuple[str, ...], ...]]]] = {}
        for screen in found:
            for extension in screen.extensions:
                by_extension.setdefault(extension, []).append((screen.bit, screen.needles))
        end = len(listing)
        while end > 0:
            first = max(0, end - CHUNK)
            masks = array(_MASK, bytes(_MASK_BYTES * (end - first)))
            for index in range(first, end):
                _folder, name, path = listing[index]
                dot = name.rfind(".")
                tests = by_extension.get(name[dot:]) if dot >= 0 else None
                if tests is None:
                    continue
                text = tree.clean_text(path)
                if text is None:
                    continue  # read there, where its warning belongs
                mask = 0
                for bit, needles in tests:
                    if not passes(needles, text):
                        mask |= bit
                masks[index - first] = mask
            view = memoryview(_HEADER.pack(first, end - first) + masks.tobytes())
            while view:
                view = view[os.write(fd, view) :]
            end = first
        status = 0
    finally:
        os._exit(status)

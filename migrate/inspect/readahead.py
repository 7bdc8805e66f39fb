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

There, what the child reads would be files this process has read already, so it is told so (SIGUSR1)
and turns to a second stage: a screen may have a *scan*, the work its pass does with a file that
passes when that is a pure function of the file (the env idioms' :func:`envvars._scan_file`). The
child runs it on the files it did that pass, first to last, and sends the results back; the pass
here, which first works through its own half, takes them (:meth:`ReadAhead.result`) instead of
reading and scanning those files. Where it has no scan to offer, the child is killed at the meeting.

The result is exactly the serial one, by construction:

- a screen is a pure function of a file's text, tested by the same code on both sides
  (:func:`~migrate.inspect.prefilter.passes`); only a *failed* screen is used, and it only saves
  the read of a file whose every match that screen rules out;
- the child reports only files it read without a warning (:meth:`SourceTree.clean_text`): a binary,
  oversized, unreadable or non-UTF-8 file is read here, when a pass reaches it, and warned about
  then, in the serial order;
- a scan's result is the same function's on the same text, merged in the pass's own order; one that
  has not arrived when the pass gets to its file is done here instead;
- a child that dies, or is slow, only leaves more files to read here.

Screens are registered where their patterns are defined (:func:`ahead`, :func:`register`), by file
extension, so the child can know them when it is forked. A scan whose pattern is not registered
reads every file as before. Linux only, from a single-threaded process (:func:`parallel.can_fork`).
"""

from __future__ import annotations

import os
import pickle
import re
import signal
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
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
#: Each message: the index of its first file in the listing, how many files, the length of a pickled
#: payload; then one mask per file, then the payload: ``(index, bit, result)`` of scans (see Screen.scan).
_HEADER = struct.Struct("<III")
#: Scans per message in the second stage.
SCAN_CHUNK = 64
_MASK = "Q"
_MASK_BYTES = array(_MASK).itemsize
#: One bit per screen in a 64-bit mask.
MAX_SCREENS = 64


@dataclass(frozen=True)
class Screen:
    """A screen tested in full passes over an app's files of ``extensions``: ``needles``' sets
    (a file may match only if it holds a needle of each), and its ``bit`` in the child's masks.

    ``scan``: what the pass does with a file that passes, when that is a pure function of its path and
    text with a small picklable result, never None. Once the passes here have met the child, the child
    runs it on the files it did that pass, and the pass takes the result (:meth:`ReadAhead.result`).
    """

    extensions: frozenset[str]
    needles: tuple[tuple[str, ...], ...]
    bit: int
    scan: Callable[[str, str], object] | None = None


_REGISTERED: list[Screen] = []
_OF_PATTERN: dict[re.Pattern[str], Screen] = {}


def register(extensions: Iterable[str], needles: tuple[tuple[str, ...], ...],
             scan: Callable[[str, str], object] | None = None) -> Screen:
    """Have the child test ``needles`` on the app's files of ``extensions`` (``.js``: one dot, at the start),
    and, once met, run ``scan`` on those of its files that pass (see :class:`Screen`).

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
    screen = Screen(extensions, needles, 1 << len(_REGISTERED), scan)
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

    def __init__(self, pid: int, fd: int, listing: Sequence[tuple[str, str, str]], scans: bool = False) -> None:
        self.pid = pid
        self.fd = fd
        #: Whether a registered screen has a scan: the child then has a second stage to run once met.
        self._scans = scans
        self.listing = listing
        #: path -> the bits of the screens its text fails (files that fail none are left out).
        self.failed: dict[str, int] = {}
        #: bit -> path -> what the screen's scan gave for the file in the child.
        self.results: dict[int, dict[str, object]] = {}
        #: Whether the child has been told that the passes here reached its files.
        self.met = False
        #: The first file of the listing the child has screened so far (its length: none yet).
        self.low = len(listing)
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
        return cls(pid, read_fd, listing, any(screen.scan is not None and screen.bit for screen in found))

    def ruled_out(self, path: str, bit: int) -> bool:
        """Whether the child found that ``path``'s text fails the screen of ``bit`` (False: read it)."""
        mask = self.failed.get(path)
        if mask is None:
            if not self._news():
                return False
            mask = self.failed.get(path)
            if mask is None:
                return False
        if not self.met:
            self._meet()
        return mask & bit != 0

    def result(self, path: str, bit: int) -> object | None:
        """What the scan of the screen of ``bit`` gave for ``path`` in the child; None: not (yet) done there."""
        done = self.results.get(bit)
        value = done.get(path) if done is not None else None
        if value is None and self._news():
            done = self.results.get(bit)
            value = done.get(path) if done is not None else None
        return value

    def _news(self) -> bool:
        """Once in :data:`POLL_EVERY` calls while the child runs, take in what it has sent: whether that was now."""
        if self.fd < 0:
            return False
        self._misses += 1
        if self._misses < POLL_EVERY:
            return False
        self._misses = 0
        self._receive()
        return True

    def _meet(self) -> None:
        """A pass here has reached the files the child did: what it would read from now on, this process has
        read already (the passes walk the same order from opposite ends). Told so (SIGUSR1), the child scans
        the files it did for the passes still to come; a child with no scan to run is stopped instead."""
        self.met = True
        if self.fd < 0:
            return
        if not self._scans:
            self.stop()
            return
        try:
            os.kill(self.pid, signal.SIGUSR1)
        except ProcessLookupError:
            pass

    def _receive(self) -> None:
        """Take in what the child has sent (without waiting); at its end, reap it."""
        while self.fd >= 0 and self._take():
            pass
        self._parse()

    def _take(self) -> bool:
        """Read one chunk of what the child has sent into the buffer (waiting for it only on a blocking pipe):
        False when there is none now, or ever again (the pipe's end: the child is then reaped)."""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            self._close()
            return False
        self._data += chunk
        return True

    def _parse(self) -> None:
        data, at, listing, failed = self._data, 0, self.listing, self.failed
        while len(data) - at >= _HEADER.size:
            first, count, size = _HEADER.unpack_from(data, at)
            masks_end = at + _HEADER.size + count * _MASK_BYTES
            end = masks_end + size
            if len(data) < end or first + count > len(listing):
                break  # the rest is still on its way (or, from a broken child, never comes: those files are read here)
            masks = array(_MASK, data[at + _HEADER.size : masks_end])
            if count:
                self.low = min(self.low, first)
            for offset, mask in enumerate(masks):
                if mask:
                    failed[listing[first + offset][2]] = mask
            if size:
                for index, bit, value in pickle.loads(data[masks_end:end]):
                    self.results.setdefault(bit, {})[listing[index][2]] = value
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
        """Take in what the child sends until it has screened every file, or ended (tests: a child that has
        done its first stage before the passes here start)."""
        if self.fd < 0:
            return
        os.set_blocking(self.fd, True)
        while self.low > 0 and self._take():
            self._parse()
        if self.fd >= 0:
            os.set_blocking(self.fd, False)

    def finish(self) -> None:
        """Tell the child the passes here have met it and take in all it sends until it ends (tests: a child
        that has scanned every file it did before the passes here start)."""
        self._meet()
        if self.fd >= 0:
            self._drain()

    def _drain(self) -> None:
        """Read the pipe to its end (it closes with the child; a killed child's is bounded by the pipe's
        buffer), then reap the child."""
        os.set_blocking(self.fd, True)
        while self._take():
            pass
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
    """From the last file backwards, send each chunk's masks until told the passes here have met it (SIGUSR1);
    then scan the files it did that pass a screen with a scan, from the first of them on (the order the passes
    here reach them). Leave at once (no atexit handler, no flush of buffers this process inherited: they are
    the parent's to write)."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child quietly; the parent decides
        # "Met" is a signal kept pending (blocked), looked at between chunks and waited for at the end: no
        # handler, so none can be lost between a look and a wait.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        tests = _by_extension(found)
        masks = array(_MASK, bytes(_MASK_BYTES * len(listing)))
        done: list[bool] = [False] * len(listing)
        end = len(listing)
        while end > 0 and signal.SIGUSR1 not in signal.sigpending():
            first = max(0, end - CHUNK)
            for index in range(first, end):
                mask = _screened(tree, listing[index], tests)
                if mask is not None:
                    masks[index] = mask
                    done[index] = True
            _send(fd, first, masks[first:end], [])
            end = first
        if any(scan is not None for found_tests in tests.values() for _bit, _needles, scan in found_tests):
            signal.sigwait({signal.SIGUSR1})  # at once when pending; after every file, until the passes here get there
            _scan_done(fd, tree, listing, tests, masks, done, end)
        status = 0
    finally:
        os._exit(status)


_Tests = dict[str, list[tuple[int, tuple[tuple[str, ...], ...], Callable[[str, str], object] | None]]]


def _by_extension(found: Sequence[Screen]) -> _Tests:
    tests: _Tests = {}
    for screen in found:
        for extension in screen.extensions:
            tests.setdefault(extension, []).append((screen.bit, screen.needles, screen.scan))
    return tests


def _screened(tree: SourceTree, entry: tuple[str, str, str], tests: _Tests) -> int | None:
    """The bits of the screens a file fails; None when no screen is for it or it does not read cleanly
    (it is read there, where its warning belongs)."""
    _folder, name, path = entry
    dot = name.rfind(".")
    found = tests.get(name[dot:]) if dot >= 0 else None
    if found is None:
        return None
    text = tree.clean_text(path)
    if text is None:
        return None
    mask = 0
    for bit, needles, _scan in found:
        if not passes(needles, text):
            mask |= bit
    return mask


def _scan_done(fd: int, tree: SourceTree, listing: Sequence[tuple[str, str, str]], tests: _Tests,
               masks: array[int], done: list[bool], low: int) -> None:
    """The second stage: scan the files done (from ``low`` on) that pass a screen with a scan, in order."""
    results: list[tuple[int, int, object]] = []
    for index in range(low, len(listing)):
        if not done[index]:
            continue
        _folder, name, path = listing[index]
        text: str | None = None
        for bit, _needles, scan in tests[name[name.rfind("."):]]:
            if scan is None or masks[index] & bit:
                continue
            if text is None:
                text = tree.clean_text(path)  # read again: keeping every text would double this process's memory
                if text is None:
                    break
            results.append((index, bit, scan(path, text)))
        if len(results) >= SCAN_CHUNK:
            _send(fd, 0, array(_MASK), results)
            results = []
    if results:
        _send(fd, 0, array(_MASK), results)


def _send(fd: int, first: int, masks: array[int], results: list[tuple[int, int, object]]) -> None:
    payload = pickle.dumps(results, pickle.HIGHEST_PROTOCOL) if results else b""
    view = memoryview(_HEADER.pack(first, len(masks), len(payload)) + masks.tobytes() + payload)
    while view:
        view = view[os.write(fd, view) :]

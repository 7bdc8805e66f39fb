"""Profile a tree's apps side by side: on a large monorepo, one forked process per group of apps.

Each app's profile (:func:`migrate.inspect.profiler.profile`) reads and searches only its own
sources, so apps are independent once discovery has found them. On a tree whose apps hold
thousands of files, and a machine with more than one core for this process, the apps are split
into groups by size (largest first, each to the lightest group) and each group but the first is
profiled in a child forked from this process: the child inherits the tree's index (no re-walk,
nothing sent to it), profiles its apps and sends back their profiles, pickled, through a pipe.
This process profiles the first group meanwhile, then collects the others in order.

The result is the serial one, app for app and warning for warning (but see the last point):

- the tree's own warnings raised while profiling (a file that is not UTF-8...) come back with
  each group and are recorded in the apps' order, each once, as :meth:`SourceTree.warn` does;
- a child that fails in any way (an exception, a signal, a result that does not unpickle) costs
  only time: its apps are profiled again here, so an error surfaces exactly as it would serially
  (a warning about a file this process had read already then comes at the app that read it here);
- Ctrl-C kills the children and reaps them before it propagates: no process outlives the command.

Forking is done only on Linux, from a process with a single thread (forking a threaded process
can deadlock the child); otherwise, and on small trees where a fork costs more than it saves,
everything runs in this process.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from migrate.inspect.discover import Candidate
from migrate.inspect.readahead import reading_ahead

T = TypeVar("T")

#: Below this many files in all the apps, one process does it all: a fork and the profiles'
#: trip through a pipe cost a few milliseconds, about what profiling 500 files costs.
PARALLEL_FILES = 2_000


def cores() -> int:
    """The cores this process may run on (its affinity mask, which ``taskset`` and containers narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def weight(candidate: Candidate) -> int:
    """How much profiling ``candidate`` costs, in files: those its scanners walk (nested apps pruned).

    The listing is cached on the tree, so the children forked after this inherit it built.
    """
    app = candidate.app
    return len(app.tree.listing(app.path, prune=app.nested))


def groups(weights: Sequence[int], count: int) -> list[list[int]]:
    """``count`` groups of indexes into ``weights``, balanced: largest first, each to the lightest group.

    Each group's indexes are in ascending order; empty groups are dropped.
    """
    loads = [0] * count
    members: list[list[int]] = [[] for _ in range(count)]
    for index in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        lightest = min(range(count), key=lambda g: (loads[g], g))
        loads[lightest] += weights[index]
        members[lightest].append(index)
    return [sorted(m) for m in members if m]


def can_fork() -> bool:
    """Whether forking is safe here: Linux, and no other thread in this process.

    Not macOS, where a forked child that touches some system frameworks can crash or hang (Python's
    own ``multiprocessing`` stopped forking there), and a hung child would hang the command.
    """
    return sys.platform.startswith("linux") and threading.active_count() == 1


def profile_all(candidates: Sequence[Candidate], profile: Callable[[Candidate], T], *,
                jobs: int | None = None, min_files: int = PARALLEL_FILES) -> list[T]:
    """``profile`` of each candidate, in order; in several processes when the apps are many files.

    ``jobs``: the most processes to use (default: this process's cores). ``min_files``: the size
    of the apps together below which one process does it all.
    """
    jobs = cores() if jobs is None else jobs
    if not candidates or jobs < 2 or not can_fork():
        return [profile(c) for c in candidates]
    weights = [weight(c) for c in candidates]
    if sum(weights) < min_files:
        return [profile(c) for c in candidates]
    if len(candidates) == 1:
        # One app: nothing to profile side by side, but its files can be read from both ends at once.
        app = candidates[0].app
        with reading_ahead(app.tree, app.tree.listing(app.path, prune=app.nested)):
            return [profile(candidates[0])]
    # More processes than cores: equal apps (three of a monorepo on two cores) finish together,
    # where one process per core would leave the third app to run alone after the first two.
    split = groups(weights, min(len(candidates), 2 * jobs))
    tree = candidates[0].app.tree
    before = len(tree.warnings)
    children = [_Child.fork([candidates[i] for i in group], profile) for group in split[1:]]
    results: dict[int, tuple[T, list[str]]] = {}
    try:
        for index in split[0]:
            results[index] = _profiled(candidates[index], profile)
        _collect(children)
    except BaseException:
        for child in children:
            child.kill()
        raise
    for group, child in zip(split[1:], children, strict=True):
        found = child.result(len(group))
        for index in group:  # a group that failed is profiled again here
            results[index] = found[group.index(index)] if found is not None else _profiled(candidates[index], profile)
    # The tree's warnings as serial profiling records them: each app's in the apps' order, each
    # warning once (SourceTree.warn), so a file two apps read is warned about at the first of them.
    del tree.warnings[before:]
    for index in range(len(candidates)):
        for message in results[index][1]:
            tree.warn(message)
    return [results[i][0] for i in range(len(candidates))]


def _profiled(candidate: Candidate, profile: Callable[[Candidate], T]) -> tuple[T, list[str]]:
    """``profile(candidate)`` and the warnings the tree recorded meanwhile."""
    tree = candidate.app.tree
    before = len(tree.warnings)
    return profile(candidate), tree.warnings[before:]


class _Child:
    """One forked process profiling a group of apps, and the pipe its result comes back through."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.data = bytearray()
        self.status: int | None = None

    @classmethod
    def fork(cls, group: Sequence[Candidate], profile: Callable[[Candidate], T]) -> _Child:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child_main(write_fd, group, profile)
        os.close(write_fd)
        return cls(pid, read_fd)

    def kill(self) -> None:
        """Stop the child (if it still runs) and reap it."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.reap()
        self.close()

    def reap(self) -> None:
        if self.status is None:
            try:
                self.status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                self.status = -1

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def result(self, count: int) -> list[tuple[Any, list[str]]] | None:
        """Each of the ``count`` apps' profile and the tree warnings it raised, or None if the child failed."""
        if self.status != 0 or not self.data:
            return None
        try:
            found = pickle.loads(bytes(self.data))
        except Exception:  # noqa: BLE001 (unpickling raises anything): a truncated or corrupt result, profiled again
            return None
        return found if isinstance(found, list) and len(found) == count else None


def _collect(children: Sequence[_Child]) -> None:
    """Read every child's pipe to its end (all at once: a result larger than a pipe's buffer must not
    stall its child while another is read), then reap them."""
    with selectors.DefaultSelector() as selector:
        for child in children:
            selector.register(child.fd, selectors.EVENT_READ, child)
        open_pipes = len(children)
        while open_pipes:
            for key, _ in selector.select():
                child = key.data
                chunk = os.read(child.fd, 1 << 20)
                if chunk:
                    child.data += chunk
                    continue
                selector.unregister(child.fd)
                child.close()
                open_pipes -= 1
    for child in children:
        child.reap()


def _child_main(fd: int, group: Sequence[Candidate], profile: Callable[[Candidate], T]) -> None:
    """Profile ``group``, write the pickled result to ``fd`` and leave at once (no atexit handler,
    no flush of buffers this process inherited: they are the parent's to write)."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child quietly; the parent decides
        try:
            payload = pickle.dumps([_profiled(c, profile) for c in group], pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 (any error): the parent profiles this group again and meets it itself
            payload = pickle.dumps(None)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        status = 0
    finally:
        os._exit(status)

"""Profiling apps in forked processes (migrate/inspect/parallel.py) gives exactly the serial result."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.inspect import inspect_tree, parallel
from migrate.inspect.detectors import ecosystems
from migrate.inspect.discover import Candidate, discover
from migrate.inspect.profiler import profile
from migrate.inspect.tree import SourceTree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="inspect forks only on Linux")


@pytest.fixture(autouse=True)
def _single_threaded() -> None:
    """inspect forks only from a process with one thread: a test that left a thread running would make
    these tests profile serially and prove nothing, so that is a failure here, not a silent pass."""
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    assert not others, f"threads left running by earlier tests: {others}"


def _forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the children forked from now on."""
    forked: list[int] = []
    fork = parallel._Child.fork

    def counted(group: list[Candidate], work: Callable[[Candidate], object]) -> parallel._Child:
        child = fork(group, work)
        forked.append(child.pid)
        return child

    monkeypatch.setattr(parallel._Child, "fork", counted)
    return forked


def _inspect(root: Path, monkeypatch: pytest.MonkeyPatch, *, jobs: int, min_files: int) -> dict[str, object]:
    real = parallel.profile_all

    def forced(candidates: list[Candidate], profile: Callable[[Candidate], object], **_: object) -> list[object]:
        return real(candidates, profile, jobs=jobs, min_files=min_files)

    monkeypatch.setattr("migrate.inspect.profile_all", forced)
    return inspect_tree(root).to_json()


@pytest.fixture(scope="module")
def polyglot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every example as a folder of one tree: apps of every language, side by side, some of them
    monorepos themselves, so every kind of profile crosses the pipe."""
    root = tmp_path_factory.mktemp("polyglot")
    for example in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        shutil.copytree(example, root / example.name, symlinks=True)
    # A source file that is not valid UTF-8 in two apps: the tree's warnings raised in a child come back.
    for name in ("python-flask-sqlite", "python-quart"):
        (root / name / "latin1.py").write_bytes(b"# caf\xe9\nimport os\nos.environ.get('SHARED_FLAG')\n")
    return root


def test_forked_profiles_are_the_serial_ones_on_every_example(polyglot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = _inspect(polyglot, monkeypatch, jobs=1, min_files=0)
    assert len(serial["apps"]) > 20  # type: ignore[arg-type]
    assert sum("not valid UTF-8" in w for w in serial["warnings"]) == 2  # type: ignore[union-attr]
    forked = _forks(monkeypatch)
    for jobs in (2, 3, 8):
        assert _inspect(polyglot, monkeypatch, jobs=jobs, min_files=0) == serial
    assert len(forked) == 3 + 5 + 15  # each group but this process's own: 2 * jobs groups


@pytest.mark.parametrize("example", ["node-monorepo", "microservices-shop", "python-uv-workspace"])
def test_forked_profiles_of_each_monorepo_example(example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = _inspect(EXAMPLES / example, monkeypatch, jobs=1, min_files=0)
    forked = _forks(monkeypatch)
    assert _inspect(EXAMPLES / example, monkeypatch, jobs=2, min_files=0) == serial
    assert forked


def test_small_trees_and_single_apps_are_profiled_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    forks: list[object] = []
    monkeypatch.setattr(parallel._Child, "fork", lambda *a: forks.append(a))
    candidates = _candidates(EXAMPLES / "node-monorepo")
    assert len(candidates) == 3
    parallel.profile_all(candidates, profile, jobs=2)  # a few files: below PARALLEL_FILES
    parallel.profile_all(candidates[:1], profile, jobs=2, min_files=0)  # one app: read ahead (test_readahead.py)
    parallel.profile_all(candidates, profile, jobs=1, min_files=0)
    assert forks == []


def test_no_fork_from_a_threaded_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 2)
    monkeypatch.setattr(parallel._Child, "fork", lambda *a: pytest.fail("forked from a threaded process"))
    candidates = _candidates(EXAMPLES / "node-monorepo")
    assert [p[0].name for p in parallel.profile_all(candidates, profile, jobs=2, min_files=0)] == [
        p[0].name for p in map(profile, candidates)]


def _candidates(root: Path) -> list[Candidate]:
    return list(discover(SourceTree.scan(root), ecosystems()).candidates)


@pytest.mark.parametrize("failure", ["exception", "killed", "garbage"])
def test_a_child_that_fails_costs_only_time(failure: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its apps are profiled again in this process: the same result as serially."""
    parent = os.getpid()

    def flaky(candidate: Candidate) -> object:
        if os.getpid() != parent:
            if failure == "exception":
                raise RuntimeError("boom")
            if failure == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
        return profile(candidate)

    if failure == "garbage":
        monkeypatch.setattr(parallel.pickle, "dumps", lambda *a, **k: b"not a pickle")
    candidates = _candidates(EXAMPLES / "node-monorepo")
    forked = _forks(monkeypatch)
    got = parallel.profile_all(candidates, flaky, jobs=2, min_files=0)
    assert len(forked) == 2
    assert [(p[0], p[1]) for p in got] == [(p[0], p[1]) for p in map(profile, _candidates(EXAMPLES / "node-monorepo"))]


def test_an_error_here_stops_and_reaps_the_children(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or any error) while this process profiles its own apps: no child outlives the call."""
    parent = os.getpid()
    children: list[parallel._Child] = []
    fork = parallel._Child.fork

    def recorded(group: list[Candidate], work: Callable[[Candidate], object]) -> parallel._Child:
        child = fork(group, work)
        children.append(child)
        return child

    def slow_children(candidate: Candidate) -> object:
        if os.getpid() != parent:
            time.sleep(60)
        raise KeyboardInterrupt

    monkeypatch.setattr(parallel._Child, "fork", recorded)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        parallel.profile_all(_candidates(EXAMPLES / "node-monorepo"), slow_children, jobs=2, min_files=0)
    assert time.monotonic() - started < 30
    assert len(children) == 2
    for child in children:
        assert child.status is not None and child.fd == -1
        with pytest.raises(ProcessLookupError):
            os.kill(child.pid, 0)  # reaped: no zombie left


@pytest.mark.parametrize(("weights", "count", "expected"), [
    ([10, 10, 10], 4, [[0], [1], [2]]),
    ([1, 5, 3, 3], 2, [[0, 1], [2, 3]]),
    ([7, 1, 1, 1, 1, 1, 1, 1], 2, [[0], [1, 2, 3, 4, 5, 6, 7]]),
    ([2, 2, 2, 2], 2, [[0, 2], [1, 3]]),
])
def test_groups_balance_the_apps_largest_first(weights: list[int], count: int, expected: list[list[int]]) -> None:
    assert parallel.groups(weights, count) == expected

"""One app's files read from both ends at once (migrate/inspect/readahead.py): the serial result, fewer reads here."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from migrate.inspect import envvars, inspect_tree, parallel, readahead
from migrate.inspect.detectors import ecosystems
from migrate.inspect.detectors.base import EnvRead, Findings
from migrate.inspect.discover import Candidate, discover
from migrate.inspect.profiler import profile
from migrate.inspect.tree import MAX_FILE_BYTES, SourceTree
from migrate.profile import Evidence

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MakeTree = Callable[[dict[str, str | bytes]], Path]

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="read-ahead forks only on Linux")


@pytest.fixture(autouse=True)
def _single_threaded() -> None:
    """Forking needs a process with one thread: a thread left by an earlier test would turn read-ahead off."""
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    assert not others, f"threads left running by earlier tests: {others}"


def _node_app(modules: int = 300) -> dict[str, str | bytes]:
    """A Node app whose every kind of file sits at both ends of its listing: config modules reading the
    environment, files that cannot be read cleanly (binary, not UTF-8, too large, a BOM, empty), the
    PORT default and the keep-alive setting in the last files, where the child starts."""
    files: dict[str, str | bytes] = {
        "package.json": json.dumps({"name": "shop", "main": "src/main.js", "scripts": {"start": "node src/main.js"},
                                    "dependencies": {"express": "^4.19.0"}}),
        "src/main.js": 'const express = require("express");\nconst app = express();\napp.get("/healthz", (q, r) => r.send("ok"));\n'
                       "app.listen(Number(process.env.HTTP_PORT) || 3000);\n",
        "src/aaa/binary.js": b"\x00\x01process.env.BINARY_NEVER",
        "src/aaa/latin1.js": b"// caf\xe9\nconst x = process.env.LATIN_FIRST;\n",
        "src/aaa/bom.js": "\ufeffconst y = process.env.BOM_READ || 'b';\n",
        "src/aaa/empty.js": "",
        "src/aaa/db.js": 'const url = process.env.DATABASE_URL || "sqlite://dev.db";\n',  # optional here, needed by the schema
        "src/aaa/huge.js": "// " + "x" * MAX_FILE_BYTES + "\n",
    }
    for i in range(modules):
        kind = i % 6
        if kind == 0:
            body = f'export const setting{i} = process.env.SETTING_{i % 7} ?? "v{i}";\n'
        elif kind == 1:
            body = f"export const {{ VALUE_{i % 5} = 'd' }} = process.env;\n"
        else:
            body = f'import {{ helper }} from "./helper";\nexport function f{i}(a) {{ return helper(a) + {i}; }}\n'
        files[f"src/m{i // 50:02d}/mod{i:04d}.js"] = body
    files["src/zzz/latin1.js"] = b"// na\xefve\nconst z = process.env.LATIN_LAST;\n"
    files["src/zzz/binary.ts"] = b"\x00process.env.NEVER"
    files["src/zzz/server.js"] = "server.keepAliveTimeout = 65_000;\nconst port = process.env.PORT || 8080;\n"
    # A schema (a needed variable) and a detail (the switch that skips it), among the child's files.
    files["src/zzy/env.ts"] = ('import { createEnv } from "@t3-oss/env-core";\nexport const env = createEnv({\n'
                               '  server: { DATABASE_URL: z.string().url() },\n  runtimeEnv: process.env,\n'
                               '  skipValidation: !!process.env.SKIP_ENV_VALIDATION,\n});\n')
    return files


def _candidate(root: Path) -> Candidate:
    (found,) = discover(SourceTree.scan(root), ecosystems()).candidates
    return found


def _profiled(candidate: Candidate) -> tuple[object, list[str], bool, list[str]]:
    app, warnings, runnable = profile(candidate)
    return app.to_json(), warnings, runnable, list(candidate.app.tree.warnings)


@contextmanager
def _ahead(candidate: Candidate, *, finished: bool) -> Iterator[readahead.ReadAhead]:
    """Read ``candidate``'s files ahead; ``finished``: wait for the child to finish before profiling, so
    every file it did is answered from its masks (otherwise the two ends race, as in use)."""
    app = candidate.app
    with readahead.reading_ahead(app.tree, app.tree.listing(app.path, prune=app.nested)) as child:
        assert child is not None
        if finished:
            child.wait()
        yield child


@pytest.mark.parametrize("finished", [True, False])
def test_the_profile_read_ahead_is_the_serial_one(make_tree: MakeTree, finished: bool) -> None:
    root = make_tree(_node_app())
    serial = _profiled(_candidate(root))
    assert serial[0]["port"] == 8080  # type: ignore[index]
    assert {"name": "DATABASE_URL", "secret": True, "required": True} in [
        {k: v[k] for k in ("name", "secret", "required")} for v in serial[0]["env"]]  # type: ignore[index]
    assert "SKIP_ENV_VALIDATION src/zzy/env.ts:5" in json.dumps(serial[0])
    assert sum("not valid UTF-8" in w for w in serial[3]) == 2 and any("binary" in w for w in serial[3])
    candidate = _candidate(root)
    with _ahead(candidate, finished=finished) as child:
        assert _profiled(candidate) == serial
    assert child.fd == -1 and child.status is not None


def test_files_the_child_ruled_out_are_not_read_here(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(_node_app())
    candidate = _candidate(root)
    reads: Counter[str] = Counter()
    original = SourceTree._read

    def counting(self: SourceTree, rel: str) -> str | None:
        reads[rel] += 1
        return original(self, rel)

    with _ahead(candidate, finished=True) as child:
        ruled_out = dict(child.failed)
        monkeypatch.setattr(SourceTree, "_read", counting)  # after the fork: counts this process's reads only
        profile(candidate)
    sources = [p for _, name, p in candidate.app.tree.listing(".") if name.endswith(".js")]
    # The helpers' modules fail every screen (no "env", no PORT default, no keepAliveTimeout...).
    assert len(ruled_out) > len(sources) // 2
    assert not reads.keys() & {p for p, mask in ruled_out.items() if mask == _all_bits_of(".js")}
    assert "src/zzz/latin1.js" in reads and "src/aaa/binary.js" in reads  # not clean: read, and warned about, here
    assert len(reads) < len(sources) // 2


def test_files_the_child_did_are_scanned_there(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once met, the child scans the files it did that pass the env screen; the env pass here takes its reads."""
    root = make_tree(_node_app())
    serial = _profiled(_candidate(root))
    candidate = _candidate(root)
    scanned: list[str] = []
    original = envvars._scan_file

    def counting(path: str, *rest: object) -> None:
        scanned.append(path)
        original(path, *rest)  # type: ignore[arg-type]

    with _ahead(candidate, finished=True) as child:
        child.finish()  # every file screened, then every passing one scanned, before the passes here start
        assert child.status == 0 and child.results
        monkeypatch.setattr(envvars, "_scan_file", counting)  # after the child ended: counts this process's scans
        assert _profiled(candidate) == serial
    done_there = {p for found in child.results.values() for p in found}
    assert done_there and not done_there & set(scanned)
    # Only files the child did not read cleanly are scanned here (the BOM file reads cleanly; latin-1 does not).
    assert set(scanned) <= {"src/aaa/latin1.js", "src/zzz/latin1.js"}


def _all_bits_of(extension: str) -> int:
    bits = 0
    for screen in readahead.registered():
        if extension in screen.extensions:
            bits |= screen.bit
    return bits


def test_every_screen_answers_as_a_read_would(make_tree: MakeTree) -> None:
    """For each registered screen and each file, the answer with the child's masks is the answer without."""
    files: dict[str, str | bytes] = {"package.json": '{"name": "x", "scripts": {"start": "node a.js"}}'}
    needles = sorted({n for s in readahead.registered() for found in s.needles for n in found})
    extensions = sorted({e for s in readahead.registered() for e in s.extensions})
    for i, extension in enumerate(extensions):
        files[f"plain/f{i}{extension}"] = "nothing to see\n"
        for j, needle in enumerate(needles):
            files[f"n{j}/f{i}{extension}"] = f"a {needle} b\n"
        files[f"all/f{i}{extension}"] = " ".join(needles)
    root = make_tree(files)
    tree = SourceTree.scan(root)
    listing = tree.listing(".")
    fresh = SourceTree.scan(root)
    expected = {(p, s.bit): dict(fresh.passing([p], s.needles)).get(p) for _, _, p in listing for s in readahead.registered()}
    with readahead.reading_ahead(tree, listing) as child:
        assert child is not None
        child.wait()
        assert child.failed
        got = {(p, s.bit): dict(tree.passing([p], s.needles, s.bit)).get(p) for _, _, p in listing for s in readahead.registered()}
    assert got == expected


def test_a_child_that_dies_leaves_the_reads_here(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(_node_app(60))
    serial = _profiled(_candidate(root))
    monkeypatch.setattr(readahead, "_child_main", lambda *a: os._exit(3))
    candidate = _candidate(root)
    with _ahead(candidate, finished=True) as child:
        assert child.failed == {} and child.status is not None
        assert _profiled(candidate) == serial


def test_ctrl_c_kills_and_reaps_the_child(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(_node_app(60))
    candidate = _candidate(root)

    def slow(*_: object) -> None:
        time.sleep(60)
        os._exit(0)

    monkeypatch.setattr(readahead, "_child_main", slow)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), _ahead(candidate, finished=False) as child:
        raise KeyboardInterrupt
    assert time.monotonic() - started < 30
    assert child.fd == -1 and child.status is not None and os.WIFSIGNALED(child.status)
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)  # reaped: no zombie left
    assert candidate.app.tree.ahead is None


def test_inspect_reads_one_large_app_ahead_and_several_side_by_side(
        make_tree: MakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    fork = readahead.ReadAhead.fork

    def recorded(tree: SourceTree, listing: object, found: object) -> readahead.ReadAhead:
        child = fork(tree, listing, found)  # type: ignore[arg-type]
        started.append(child.pid)
        return child

    monkeypatch.setattr(readahead.ReadAhead, "fork", recorded)
    root = make_tree(_node_app())
    serial = inspect_tree(root, jobs=1).to_json()
    assert started == []
    real = parallel.profile_all
    monkeypatch.setattr("migrate.inspect.profile_all", lambda c, p, **_: real(c, p, jobs=2, min_files=100))
    assert inspect_tree(root).to_json() == serial
    assert len(started) == 1
    monorepo = tmp_path / "monorepo"
    shutil.copytree(EXAMPLES / "node-monorepo", monorepo)
    inspect_tree(monorepo)
    assert len(started) == 1  # apps profiled side by side: no core is left for a reader


def test_screens_are_registered_by_extension() -> None:
    with pytest.raises(ValueError, match="extensions like"):
        readahead.register([".test.js"], (("x",),))
    assert readahead.register([".js"], (("",),)).bit == 0  # screens nothing: no bit spent on it
    assert all(s.bit and s.needles for s in readahead.registered())


def test_a_read_scanned_there_comes_back_whole() -> None:
    """Every field of an env read makes the trip (a field added to EnvRead must be added to the packing)."""
    assert [f.name for f in dataclasses.fields(EnvRead)] == ["name", "evidence", "default", "has_default", "example", "shape", "needed"]
    read = EnvRead("API_KEY", Evidence("src/env.ts", 7, "read in code"), "d", True, "e", "int", True)
    found = Findings()
    envvars._unpack(((envvars._pack(read),), (("skip_env_validation", "SKIP src/env.ts:9"),)), found)
    assert found.env_reads == [read] and found.details == {"skip_env_validation": "SKIP src/env.ts:9"}

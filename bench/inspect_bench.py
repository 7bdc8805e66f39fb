"""How fast is ``migrate inspect``? Figures printed, nothing asserted.

Three measurements:

1. A generated tree of more than 100,000 files, most of them in a
   ``node_modules`` folder, with a ``.git`` folder, build output, a virtualenv
   and gitignored folders around a realistic monorepo (a Node web app and a
   Python service). ``inspect_tree`` is timed against a bare ``os.walk`` of the
   same tree (best of N runs each); the target is inspect within 1.5x of the walk.
2. Trees shaped like a user's, whose apps have many source files that inspect
   must read and search: three Node apps of 10,000 JS/TS files each in an npm
   workspace, next to a large ``node_modules`` and a ``.git`` folder (about
   100,000 files); a Python service and a Go service of 10,000 files each; and
   the monorepo's sources as one Node app of 30,000 files (inspect profiles the
   apps of a tree side by side, one process per group of apps: a single app
   gains nothing from that, and has its files read from both ends instead).
   What ``migrate inspect --json`` does (``inspect_tree`` and the JSON it
   prints) is timed against the walk-and-read floor: walking the same tree,
   skipping what inspect skips, and reading every remaining file once. The
   target is inspect within 1.5x of that floor.
3. ``inspect_tree`` on every folder of ``examples/`` (target: under 0.2 s each).

The trees are generated once and cached under ``bench/.data/`` (gitignored)::

    python bench/inspect_bench.py            # best of 5
    python bench/inspect_bench.py --runs 10
    python bench/inspect_bench.py --profile  # cProfile of one inspect run on each tree, top 25
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import user_trees  # noqa: E402 (after the sys.path inserts above)

from migrate.inspect import inspect_tree, parallel  # noqa: E402
from migrate.inspect.tree import SKIPPED_DIRS, SourceTree  # noqa: E402

#: Bump when the generated layout changes, so a stale cache is rebuilt.
LAYOUT_VERSION = 2
DATA = HERE / ".data"
TREE = DATA / f"tree-v{LAYOUT_VERSION}"
MARKER = TREE / ".bench-complete"
#: The trees shaped like a user's (bench/user_trees.py): name -> generator. Bump the suffix when they change.
USER_TREES: dict[str, Callable[[Path], None]] = {
    "node-monorepo-v3": user_trees.generate_node_monorepo,
    "polyglot-v3": user_trees.generate_polyglot,
    "node-monolith-v1": user_trees.generate_node_monolith,
}

# Sizes of the generated tree (files). node_modules dominates, as in real repos.
NODE_PACKAGES = 2_000  # x ~50 files each = ~100,000 files
GIT_OBJECTS = 6_000
IGNORED_FILES = 3_000  # spread over gitignored folders
WEB_COMPONENTS = 300
PY_MODULES = 120
LIBS = 30  # shared source libraries, each with its own .gitignore
LIB_FILES = 300

PACKAGE_JSON = """{
  "name": "web",
  "version": "1.4.0",
  "private": true,
  "scripts": {
    "build": "vite build",
    "start": "node server.js",
    "dev": "vite"
  },
  "dependencies": {
    "express": "^4.19.2",
    "pg": "^8.11.5",
    "redis": "^4.6.13"
  },
  "devDependencies": {
    "vite": "^5.2.0"
  },
  "engines": {"node": ">=20"}
}
"""

SERVER_JS = """const express = require("express");

const app = express();
const port = process.env.PORT || 3000;
const databaseUrl = process.env.DATABASE_URL;

app.get("/healthz", (req, res) => res.send("ok"));
app.use(express.static("dist"));

app.listen(port, () => console.log(`listening on ${port} (${databaseUrl ? "db" : "no db"})`));
"""

PYPROJECT = """[project]
name = "api"
version = "0.3.0"
requires-python = ">=3.11"
dependencies = [
    "fastapi>=0.110",
    "uvicorn[standard]>=0.29",
    "psycopg[binary]>=3.1",
]
"""

MAIN_PY = """import os

from fastapi import FastAPI

app = FastAPI()
DATABASE_URL = os.environ["DATABASE_URL"]
SECRET_KEY = os.getenv("SECRET_KEY", "")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
"""

GITIGNORE = """# generated
node_modules/
logs/
tmp/
*.log
coverage-report/
/scratch
!keep.log
"""


# ---------------------------------------------------------------- tree generation
def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _web_app(root: Path) -> None:
    web = root / "web"
    _write(web / "package.json", PACKAGE_JSON)
    _write(web / "server.js", SERVER_JS)
    _write(web / ".env.example", "PORT=3000\nDATABASE_URL=postgres://app:app@localhost:5432/app\n")
    _write(web / "index.html", "<!doctype html><div id=app></div><script type=module src=/src/main.js></script>\n")
    for i in range(WEB_COMPONENTS):
        _write(web / "src" / "components" / f"Widget{i}.js", f"export function Widget{i}() {{ return '<div>{i}</div>'; }}\n")
    _write(web / "src" / "main.js", "import { Widget0 } from './components/Widget0.js';\ndocument.body.innerHTML = Widget0();\n")
    for i in range(200):  # build output and caches next to the app
        _write(web / "dist" / "assets" / f"chunk-{i}.js", "var a=1;\n")
        _write(web / ".next" / "cache" / f"c{i}.json", "{}\n")


def _python_service(root: Path) -> None:
    api = root / "services" / "api"
    _write(api / "pyproject.toml", PYPROJECT)
    _write(api / "requirements.txt", "fastapi==0.111.0\nuvicorn[standard]==0.30.1\npsycopg[binary]==3.1.19\n")
    _write(api / "src" / "api" / "__init__.py", "")
    _write(api / "src" / "api" / "main.py", MAIN_PY)
    for i in range(PY_MODULES):
        _write(api / "src" / "api" / f"module_{i}.py", f"import os\n\nVALUE_{i} = os.getenv('API_VALUE_{i % 7}', '{i}')\n")
        _write(api / "tests" / f"test_module_{i}.py", f"def test_{i}() -> None:\n    assert True\n")
    venv = api / ".venv-api"  # a virtualenv under a custom name: found by its pyvenv.cfg
    _write(venv / "pyvenv.cfg", "home = /usr/bin\n")
    for i in range(500):
        _write(venv / "lib" / "python3.11" / "site-packages" / f"mod{i}" / "__init__.py", "X = 1\n")
    for i in range(100):
        _write(api / "src" / "api" / "__pycache__" / f"module_{i}.cpython-311.pyc", "\0")


def _libraries(root: Path) -> None:
    """Plain source folders that are walked (not skipped), each with a nested .gitignore."""
    for lib in range(LIBS):
        folder = root / "libs" / f"lib{lib}"
        _write(folder / ".gitignore", "generated/\n*.tmp\n!important.tmp\n")
        for i in range(LIB_FILES):
            _write(folder / "src" / f"d{i // 50}" / f"unit{i}.ts", f"export const unit{i} = {i};\n")
        for i in range(20):
            _write(folder / "generated" / f"g{i}.ts", "export {};\n")
            _write(folder / "src" / f"scratch{i}.tmp", "x\n")


def _ignored_folders(root: Path) -> None:
    _write(root / ".gitignore", GITIGNORE)
    per_folder = IGNORED_FILES // 3
    for folder in ("logs", "tmp/uploads", "scratch"):
        for i in range(per_folder):
            _write(root / folder / f"f{i // 100}" / f"{i}.log", "line\n")
    _write(root / "web" / "coverage-report" / "index.html", "<html></html>\n")
    _write(root / "web" / "debug.log", "x\n")


def generate(root: Path) -> None:
    """Build the benchmark tree at ``root`` (from scratch)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    _write(root / "README.md", "# bench monorepo\n")
    _write(root / "compose.yaml", "services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n")
    for i in range(NODE_PACKAGES):
        user_trees.node_package(root / "node_modules", i)
    user_trees.git_folder(root, GIT_OBJECTS, repeat=1)
    _web_app(root)
    _python_service(root)
    _libraries(root)
    _ignored_folders(root)
    MARKER.write_text(f"{LAYOUT_VERSION}\n", encoding="utf-8")


def ensure_tree() -> Path:
    """The cached tree, generated on first use."""
    if not MARKER.exists():
        print(f"generating the benchmark tree in {TREE} (once) ...", flush=True)
        started = time.perf_counter()
        generate(TREE)
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return TREE


def ensure_user_tree(name: str, regenerate: bool = False) -> Path:
    """The cached user-shaped tree ``name``, generated on first use."""
    root = DATA / name
    marker = root / ".bench-complete"
    if regenerate or not marker.exists():
        print(f"generating the benchmark tree in {root} (once) ...", flush=True)
        started = time.perf_counter()
        if root.exists():
            shutil.rmtree(root)
        USER_TREES[name](root)
        marker.write_text("done\n", encoding="utf-8")
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return root


# ---------------------------------------------------------------- timing
def best_of(runs: int, func: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """The fastest time of ``runs`` calls of ``func`` by ``clock`` (wall time by default), in seconds."""
    best = float("inf")
    for _ in range(runs):
        started = clock()
        func()
        best = min(best, clock() - started)
    return best


def bare_walk(root: Path) -> int:
    """Visit every folder and file name under ``root`` with ``os.walk`` and nothing else."""
    count = 0
    for _dirpath, _dirnames, filenames in os.walk(root):
        count += len(filenames)
    return count


def pruned_walk(root: Path) -> int:
    """``os.walk`` that skips the folder names inspect skips (no .gitignore, no reads)."""
    from migrate.inspect.tree import SKIPPED_DIRS

    count = 0
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        count += len(filenames)
    return count


def bench_tree(root: Path, runs: int) -> None:
    """Print inspect against a bare walk of the generated tree."""
    files = bare_walk(root)  # also warms the page cache for both contenders
    inspection = inspect_tree(root)
    walk = best_of(runs, lambda: bare_walk(root))
    pruned = best_of(runs, lambda: pruned_walk(root))
    inspect = best_of(runs, lambda: inspect_tree(root))
    apps = ", ".join(f"{a.path} ({a.language.value}/{a.framework.value})" for a in inspection.apps)
    print(f"tree: {root} ({files:,} files); apps found: {apps}")
    print(f"  os.walk (bare)  best of {runs}: {walk:8.3f} s")
    print(f"  os.walk pruning the skipped folder names: {pruned:8.3f} s ({pruned_walk(root):,} files)")
    print(f"  inspect_tree    best of {runs}: {inspect:8.3f} s")
    print(f"  ratio inspect/walk: {inspect / walk:.2f}x (target <= 1.5x)")
    print(f"  ratio inspect/pruned walk: {inspect / pruned:.2f}x (what the rest of inspect costs)")


def walk_and_read(root: Path) -> tuple[int, int]:
    """The floor under ``migrate inspect``: walk the tree as inspect does and read every file once.

    Skips what inspect skips (the folder names of ``SKIPPED_DIRS``, ``*.egg-info``,
    virtualenvs by their ``pyvenv.cfg``, the bench's own marker file) and reads
    each remaining file whole. The user trees' ``.gitignore`` files only name
    folders skipped by name already, so no pattern matching is needed here:
    :func:`bench_user_tree` checks that the two file counts agree.
    Returns (files read, bytes read).
    """
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath != str(root) and "pyvenv.cfg" in filenames:
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            if name == ".bench-complete":
                continue
            with open(os.path.join(dirpath, name), "rb") as fh:
                size += len(fh.read())
            files += 1
    return files, size


def inspect_json(root: Path, jobs: int | None = None) -> str:
    """What ``migrate inspect --json`` does: inspect the tree and serialise the result."""
    return json.dumps(inspect_tree(root, jobs=jobs).to_json(), indent=2, ensure_ascii=False)


def cpu_time() -> float:
    """CPU seconds of this process and of its children that have ended (inspect reaps the processes
    it forks to profile apps side by side before it returns), user and system."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def bench_user_tree(root: Path, runs: int) -> None:
    """Print ``migrate inspect --json``'s work against the walk-and-read floor, side by side."""
    all_files = bare_walk(root)
    read, size = walk_and_read(root)  # also warms the page cache for both contenders
    indexed = SourceTree.scan(root).file_count() - 1  # less the marker file
    inspection = inspect_tree(root)
    floor = best_of(runs, lambda: walk_and_read(root))
    work = best_of(runs, lambda: inspect_json(root))
    alone = best_of(runs, lambda: inspect_json(root, jobs=1))
    # CPU time too: on a shared machine wall time swings with the load, and both contenders
    # are CPU-bound once the page cache is warm (system time included, and inspect's children).
    floor_cpu = best_of(runs, lambda: walk_and_read(root), cpu_time)
    work_cpu = best_of(runs, lambda: inspect_json(root), cpu_time)
    alone_cpu = best_of(runs, lambda: inspect_json(root, jobs=1), cpu_time)
    apps = ", ".join(f"{a.path} ({a.language.value}/{a.framework.value}, port {a.port.value})" for a in inspection.apps)
    print(f"tree: {root.name} ({all_files:,} files; {read:,} outside skipped folders, {size / 1e6:.1f} MB)")
    print(f"  apps found: {apps}")
    if indexed != read:
        print(f"  NOTE: inspect indexed {indexed:,} files, the floor read {read:,}: the floor is not like for like")
    print(f"  best of {runs}:                          wall       CPU")
    print(f"  walk and read every file once       {floor:7.3f} s {floor_cpu:7.3f} s   (one process)")
    print(f"  migrate inspect --json's work       {work:7.3f} s {work_cpu:7.3f} s   "
          f"(apps profiled side by side on up to {parallel.cores()} core(s))")
    print(f"  the same in one process (jobs=1)    {alone:7.3f} s {alone_cpu:7.3f} s")
    print(f"  ratio inspect/floor: {work / floor:.2f}x wall, {work_cpu / floor_cpu:.2f}x CPU (target <= 1.5x); "
          f"in one process {alone / floor:.2f}x wall, {alone_cpu / floor_cpu:.2f}x CPU")


def bench_examples(runs: int) -> None:
    """Print inspect's time on every folder of examples/."""
    examples = REPO / "examples"
    names = sorted(p.name for p in examples.iterdir() if p.is_dir()) if examples.is_dir() else []
    if not names:
        print("examples/: no example folders yet")
        return
    print(f"examples/ (best of {runs}, target < 0.200 s each):")
    worst = 0.0
    for name in names:
        seconds = best_of(runs, lambda name=name: inspect_tree(examples / name))  # type: ignore[misc]
        worst = max(worst, seconds)
        flag = "" if seconds < 0.2 else "  <-- over target"
        print(f"  {name:<32} {seconds:7.3f} s{flag}")
    print(f"  slowest: {worst:.3f} s")


def profile_once(root: Path) -> None:
    """Print the 25 most expensive functions of one ``inspect --json`` run."""
    profiler = cProfile.Profile()
    profiler.enable()
    inspect_json(root)
    profiler.disable()
    print(f"profile of inspect --json on {root}:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    """Parse arguments, build the tree if needed, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="best of this many runs (default 5)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one inspect run and stop")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached trees")
    args = parser.parse_args()
    if args.regenerate and MARKER.exists():
        MARKER.unlink()
    roots = [ensure_tree()] + [ensure_user_tree(name, args.regenerate) for name in USER_TREES]
    if args.profile:
        for root in roots:
            profile_once(root)
        return
    bench_tree(roots[0], args.runs)
    for root in roots[1:]:
        bench_user_tree(root, args.runs)
    bench_examples(args.runs)


if __name__ == "__main__":
    main()

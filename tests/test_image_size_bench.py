"""bench/image_size_bench.py's helpers that need no Docker engine."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "image_size_bench.py"


def _bench() -> ModuleType:
    """The benchmark as a module; the folders it puts on sys.path are taken off again."""
    spec = importlib.util.spec_from_file_location("image_size_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def test_base_rewrites_only_the_named_image(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM golang:1.22-bookworm AS build\n"
        "FROM debian:bookworm-slim AS runtime\n"
        "from debian:bookworm-slim-extra AS other\n"
        "# FROM debian:bookworm-slim in a comment\n"
    )
    _bench()._rebase(dockerfile, {"debian:bookworm-slim": "mine/debian:bookworm-slim"})
    assert dockerfile.read_text() == (
        "FROM golang:1.22-bookworm AS build\n"
        "FROM mine/debian:bookworm-slim AS runtime\n"
        "from debian:bookworm-slim-extra AS other\n"
        "# FROM debian:bookworm-slim in a comment\n"
    )


def test_base_wants_a_pair() -> None:
    bench = _bench()
    assert bench._pair("a:1=b/a:1") == ("a:1", "b/a:1")
    with pytest.raises(SystemExit, match="IMAGE=OTHER"):
        bench._pair("debian:bookworm-slim")

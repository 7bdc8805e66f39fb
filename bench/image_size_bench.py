"""Image size against what the app needs (issue #11, "ship only what runs").

For each buildable example: generate its files into a temporary copy, build the runtime target,
and print

* growth: the image's size minus its base image's (the runtime stage's FROM);
* floor: what the app needs, measured inside the built image from its filesystem (copied out
  with the engine's archive API, so images without a shell work too):

  - Python: every file the installed distributions' RECORDs list under ``/opt/venv`` (their
    byte-code included), plus the app's source under ``/app``;
  - Node and others with an ``/app`` folder: ``/app`` (production ``node_modules`` plus source);
  - a web server (nginx) serving files: the served folder and the server configuration the image adds;
  - Go, Rust and other single binaries: the file the image's entrypoint or command runs;

* overhead: growth minus floor (target: at most 3 MB for every language).

Figures are printed, never asserted. Needs a Docker engine and the base images
(``bash .ci/docker-up.sh && bash .ci/base-images.sh``). Usage::

    python bench/image_size_bench.py [--base IMAGE=OTHER ...] [EXAMPLE ...]

``--base debian:bookworm-slim=mine/debian:bookworm-slim`` builds every stage that starts from the
first image from the second instead, and measures growth over it: to measure against a base that
is closer to the official image than the offline stand-in (which, for instance, carries
``ca-certificates`` and OpenSSL where the official ``debian:bookworm-slim`` has neither).
"""

from __future__ import annotations

import argparse
import csv
import io
import posixpath
import re
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from containers_bench import _runtime_base, initialised_copy  # noqa: E402

from migrate.containers import engine  # noqa: E402
from migrate.containers.targets import build_targets  # noqa: E402
from migrate.inspect import inspect_tree  # noqa: E402

DEFAULT = (
    "python-flask-postgres",
    "python-procfile",
    "python-django-celery",
    "python-fastapi-uv",
    "microservices-shop",
    "node-express-redis",
    "go-nethttp",
    "static-site",
    "node-vite-react",
    "node-nextjs",
)
#: Overhead allowed over the dependency-plus-source floor.
TARGET_MB = 3.0


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", nargs="*", help="examples/ folders (default: %(default)s)", default=list(DEFAULT))
    parser.add_argument("--base", action="append", default=[], metavar="IMAGE=OTHER", help="build from OTHER where a stage starts from IMAGE")
    args = parser.parse_args(argv)
    bases = dict(_pair(b) for b in args.base)
    client = engine.connect()
    print(f"{'app':<34} {'image MB':>9} {'growth MB':>10} {'floor MB':>9} {'overhead MB':>12} {'target':>7}")
    for name in args.examples:
        with tempfile.TemporaryDirectory() as tmp:
            root = initialised_copy(name, tmp)
            for target in build_targets(inspect_tree(root), f"imgsize-bench-{name}:latest"):
                _rebase(target.context / target.dockerfile, bases)
                _measure(client, name, target)


def _pair(text: str) -> tuple[str, str]:
    image, sep, other = text.partition("=")
    if not (image and sep and other):
        raise SystemExit(f"--base wants IMAGE=OTHER, got {text!r}")
    return image, other


def _rebase(dockerfile: Path, bases: dict[str, str]) -> None:
    """Rewrite ``FROM IMAGE`` to ``FROM OTHER`` in ``dockerfile`` for each pair of ``bases``."""
    text = dockerfile.read_text()
    for image, other in bases.items():
        text = re.sub(rf"^(FROM\s+){re.escape(image)}(?=\s)", rf"\g<1>{other}", text, flags=re.MULTILINE | re.IGNORECASE)
    dockerfile.write_text(text)


def _measure(client: Any, name: str, target: Any) -> None:
    label = f"{name}/{target.app.name}" if target.app.path != "." else name
    try:
        built = engine.build(client, context=str(target.context), dockerfile=target.dockerfile, tag=target.tag, target="runtime")
    except engine.BuildFailedError as exc:
        print(f"{label:<34} build failed: {str(exc).splitlines()[0]}")
        return
    base = engine.image_size(client, _runtime_base(target.context / target.dockerfile)) or 0
    growth = built.size_bytes - base
    floor = _floor(client, target.tag)
    overhead = growth - floor
    verdict = "ok" if overhead <= TARGET_MB * 1e6 else "over"
    print(f"{label:<34} {built.size_bytes / 1e6:>9.1f} {growth / 1e6:>10.2f} {floor / 1e6:>9.2f} {overhead / 1e6:>12.2f} {verdict:>7}")
    client.images.remove(target.tag, force=True)


def _floor(client: Any, tag: str) -> int:
    """Bytes the app needs in image ``tag``: see the module docstring."""
    container = client.containers.create(tag)
    try:
        venv = _files(container, "/opt/venv")
        app = _files(container, "/app")
        if venv:
            return _recorded_bytes(venv) + sum(size for _, size, _ in app)
        if app:
            return sum(size for _, size, _ in app)
        config = client.images.get(tag).attrs["Config"]
        command = (config.get("Entrypoint") or []) + (config.get("Cmd") or [])
        program = next((word for word in command if word not in _WRAPPERS), "")
        if program == "nginx":
            served = _files(container, "/usr/share/nginx/html") + _files(container, "/etc/nginx/conf.d/default.conf")
            return sum(size for _, size, _ in served)
        return sum(size for _, size, _ in _files(container, program))
    finally:
        container.remove(force=True)


def _files(container: Any, path: str) -> list[tuple[str, int, bytes | None]]:
    """``(path, size, content of RECORD files)`` of every regular file under ``path``; [] when absent."""
    import docker.errors

    try:
        stream, _ = container.get_archive(path)
    except docker.errors.NotFound:
        return []
    data = io.BytesIO(b"".join(stream))
    parent = posixpath.dirname(path.rstrip("/"))
    found: list[tuple[str, int, bytes | None]] = []
    with tarfile.open(fileobj=data) as archive:
        for member in archive:
            if member.isfile():
                wanted = member.name.endswith((".dist-info/RECORD", ".dist-info/METADATA"))
                content = archive.extractfile(member).read() if wanted else None  # type: ignore[union-attr]
                found.append((posixpath.join(parent, member.name), member.size, content))
    return found


#: Words of an entrypoint that start the program rather than being it: tini and its options, the nginx image's script.
_WRAPPERS = frozenset(("tini", "/usr/bin/tini", "-s", "--", "/docker-entrypoint.sh"))

#: What ``python -m venv`` seeds a virtualenv with: not the app's dependencies unless one requires them.
_VENV_SEEDS = frozenset(("pip", "setuptools", "wheel"))


def _recorded_bytes(venv: list[tuple[str, int, bytes | None]]) -> int:
    """Bytes of the files the app's installed distributions' RECORDs list (relative to site-packages)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    metadata = {p: c.decode(errors="replace") for p, _, c in venv if c is not None and p.endswith("/METADATA")}
    requirements = [
        Requirement(line.split(":", 1)[1].strip())
        for text in metadata.values()
        for line in text.split("\n\n", 1)[0].splitlines()
        if line.startswith("Requires-Dist:")
    ]
    # Requirements of extras nobody asked for are not installed because of them.
    required = {canonicalize_name(r.name) for r in requirements if "extra" not in str(r.marker or "")}
    sizes = {path: size for path, size, _ in venv}
    listed: set[str] = set()
    for path, _, record in venv:
        if record is None or not path.endswith("/RECORD"):
            continue
        dist = canonicalize_name(posixpath.basename(posixpath.dirname(path)).split("-")[0])
        if dist in _VENV_SEEDS and dist not in required:
            continue
        site_packages = posixpath.dirname(posixpath.dirname(path))
        for row in csv.reader(io.StringIO(record.decode())):
            if row:
                listed.add(posixpath.normpath(posixpath.join(site_packages, row[0])))
    return sum(sizes.get(p, 0) for p in listed)


if __name__ == "__main__":
    main(sys.argv[1:])

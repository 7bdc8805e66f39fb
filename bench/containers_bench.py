"""Container benchmarks (issue #4): image size, cold and warm build times, build-context size.

For each buildable example: generate its files into a temporary copy, then

* cold build: ``--no-cache`` build of the runtime target;
* warm rebuild: after a one-line source change (target: under 10% of the cold build);
* image size above its base image (the runtime stage's FROM);
* build-context size (what the engine receives, after .dockerignore) next to the size of the
  example's tracked source files (target: no more than the tracked sources).

Figures are printed, never asserted. Needs a Docker engine and the base images
(``bash .ci/docker-up.sh && bash .ci/base-images.sh``). Usage::

    python bench/containers_bench.py [EXAMPLE ...]
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from docker_images import ensure_base_images  # noqa: E402

from migrate.containers import engine  # noqa: E402
from migrate.containers.targets import build_targets  # noqa: E402
from migrate.generate import generate  # noqa: E402
from migrate.generate.pinning import image_references  # noqa: E402
from migrate.inspect import inspect_tree  # noqa: E402

DEFAULT = ("go-nethttp", "static-site", "python-flask-postgres", "node-express-redis", "microservices-shop")


def main(names: list[str]) -> None:
    client = engine.connect()
    print(f"{'app':<34} {'cold s':>7} {'warm s':>7} {'warm %':>7} {'image MB':>9} {'+base MB':>9} {'context kB':>11} {'source kB':>10}")
    for name in names or DEFAULT:
        with tempfile.TemporaryDirectory() as tmp:
            root = initialised_copy(name, tmp)
            for target in build_targets(inspect_tree(root), f"bench-{name}:latest"):
                _measure(client, name, root, target)


def initialised_copy(name: str, folder: str) -> Path:
    """A copy of example ``name`` in ``folder`` with the files migrate generates; its Dockerfiles' base images present."""
    root = Path(folder) / name
    shutil.copytree(REPO / "examples" / name, root)
    files = generate(inspect_tree(root))
    for file in files:
        (root / file.path).parent.mkdir(parents=True, exist_ok=True)
        (root / file.path).write_text(file.content)
    # Only the images the Dockerfiles build from: compose's services (mongo, adminer) have no stand-in.
    dockerfiles = [f.content for f in files if f.path.endswith("Dockerfile")]
    ensure_base_images(sorted(r for r in image_references(files) if any(r in d for d in dockerfiles)))
    return root


def _measure(client: object, name: str, root: Path, target: object) -> None:
    t = target  # BuildTarget
    cold = engine.build(client, context=str(t.context), dockerfile=t.dockerfile, tag=t.tag, target="runtime", nocache=True)
    _touch(root / t.app.path)
    warm = engine.build(client, context=str(t.context), dockerfile=t.dockerfile, tag=t.tag, target="runtime")
    base = _runtime_base(t.context / t.dockerfile)
    base_size = engine.image_size(client, base) or 0
    label = f"{name}/{t.app.name}" if t.app.path != "." else name
    print(
        f"{label:<34} {cold.seconds:>7.1f} {warm.seconds:>7.1f} {100 * warm.seconds / cold.seconds:>6.1f}%"
        f" {cold.size_bytes / 1e6:>9.1f} {(cold.size_bytes - base_size) / 1e6:>9.1f}"
        f" {_context_bytes(t.context, t.dockerfile) / 1e3:>11.1f} {_tracked_bytes(name, t.context.relative_to(root)) / 1e3:>10.1f}"
    )


def _runtime_base(dockerfile: Path) -> str:
    """The image the runtime stage starts from (following stage names back to an image)."""
    stages: dict[str, str] = {}
    for match in re.finditer(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile.read_text(), re.MULTILINE | re.IGNORECASE):
        image, stage = match.group(1), match.group(2)
        stages[stage or ""] = stages.get(image, image)
    return stages.get("runtime", "")


def _context_bytes(context: Path, dockerfile: str) -> int:
    """Bytes of file content in the build context docker-py sends (after .dockerignore).

    The generated Dockerfile and .dockerignore, always sent, are not counted (they are not the
    app's source); neither are tar headers.
    """
    import tarfile

    from docker.utils.build import tar

    ignore = context / ".dockerignore"
    patterns = [p for p in ignore.read_text().splitlines() if p.strip() and not p.startswith("#")] if ignore.exists() else []
    archive = tar(str(context), exclude=patterns, dockerfile=(dockerfile, None), gzip=False)
    with tarfile.open(fileobj=archive) as members:
        return sum(m.size for m in members if m.isfile() and m.name.rsplit("/", 1)[-1] not in ("Dockerfile", ".dockerignore"))


def _tracked_bytes(name: str, sub: Path) -> int:
    """Size of the example's files tracked by git, under the build context (before migrate init)."""
    folder = REPO / "examples" / name / sub
    files = subprocess.run(["git", "ls-files", "-z", "--", str(folder)], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    return sum((REPO / f.decode()).stat().st_size for f in files if f)


def _touch(folder: Path) -> None:
    """A unique one-line change (the engine's layer cache outlives runs)."""
    import time

    mark = f"bench {time.time_ns()}"
    for pattern, comment in (("*.py", f"# {mark}\n"), ("*.go", f"// {mark}\n"), ("*.js", f"// {mark}\n"), ("*.ts", f"// {mark}\n"), ("*.tsx", f"// {mark}\n"), ("*.html", f"<!-- {mark} -->\n")):
        for path in sorted(folder.rglob(pattern)):
            path.write_text(path.read_text() + comment)
            return


if __name__ == "__main__":
    main(sys.argv[1:])

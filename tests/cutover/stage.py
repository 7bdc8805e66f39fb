"""A router-only stage for load scenarios: HAProxy (haproxy:2.6) in front of two stdlib-Python backends.

Each backend answers its colour on ``/``, after N seconds on ``/slow/N``, 200 on ``/healthz``;
once ``/tmp/fail`` exists in its container it answers 500 to everything but the health path (a bad
version whose health check still passes: only the 5xx gate sees it), once ``/tmp/slow`` exists 200 ms
late (only the latency gate sees it). On SIGTERM it stops accepting,
finishes the requests it holds, and exits. Shared by the docker tests and ``bench/cutover.py``.
"""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from migrate.containers.router import IMAGE, RouterContainer, remove_router, start_router
from migrate.cutover.haproxy_gates import open_gates
from migrate.cutover.local import HaproxyConfig, LocalRouter, Server, wait_ready
from migrate.cutover.ports import Gate, Verdict, to_raw

from .load import Background, Load, LoadReport

BACKEND = "python:3.12-slim"
APP = """
import os, signal, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/slow/"):  # /slow/SECONDS
            time.sleep(float(self.path[6:]))
        if self.path != "/healthz" and os.path.exists("/tmp/slow"):
            time.sleep(0.2)
        failing = self.path != "/healthz" and os.path.exists("/tmp/fail")
        body = os.environ["COLOUR"].encode()
        self.send_response(500 if failing else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
server = ThreadingHTTPServer(("0.0.0.0", 8000), H)
server.daemon_threads = False  # server_close() joins the handlers: requests in flight are answered
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
server.serve_forever()
server.server_close()
"""


@dataclass(frozen=True)
class Stage:
    """The router and the two backend containers (``blue``, ``green``) behind it."""

    client: Any
    router: LocalRouter
    container: RouterContainer
    backends: dict[str, str]  # colour -> container name
    check_interval_s: float
    rise: int

    @property
    def url(self) -> str:
        """The router's published port on 127.0.0.1."""
        return self.container.url + "/"

    def get(self, path: str = "/") -> tuple[int, str]:
        """One request through the router."""
        with urllib.request.urlopen(self.container.url + path, timeout=30) as resp:
            return resp.status, resp.read().decode()

    def colours(self, n: int) -> Counter[str]:
        """Who answers ``n`` requests (each must be a 200)."""
        seen: Counter[str] = Counter()
        for _ in range(n):
            status, body = self.get()
            assert status == 200, (status, body)
            seen[body] += 1
        return seen

    def shift(self, green_percent: int) -> None:
        """Give green ``green_percent`` of the traffic, blue the rest, and check the router took it."""
        weights = to_raw({"blue": 100 - green_percent, "green": green_percent}, self.router.max_weight)
        self.router.set_weights(weights)
        assert self.router.weights() == weights

    def fail(self, colour: str) -> None:
        """Make ``colour`` answer 500 to everything but its health check."""
        self.client.containers.get(self.backends[colour]).exec_run(["touch", "/tmp/fail"])

    def slow_down(self, colour: str) -> None:
        """Make ``colour`` take 200 ms more over everything but its health check."""
        self.client.containers.get(self.backends[colour]).exec_run(["touch", "/tmp/slow"])

    def stop(self, colour: str, timeout: int = 30) -> None:
        """SIGTERM ``colour``'s container and wait for it to exit (SIGKILL only after ``timeout``)."""
        self.client.containers.get(self.backends[colour]).stop(timeout=timeout)

    def exit_code(self, colour: str) -> int:
        """How ``colour``'s container ended (137 is a SIGKILL: it did not stop by itself)."""
        container = self.client.containers.get(self.backends[colour])
        container.reload()
        return int(container.attrs["State"]["ExitCode"])


@contextmanager
def stage(client: Any, name: str, *, check_interval_ms: int = 300, rise: int = 1) -> Iterator[Stage]:
    """Start the backends and the router on a network of their own (all named and labelled after ``name``),
    blue taking all traffic once both pass their health checks; remove everything afterwards."""
    tag = f"{name}-{uuid.uuid4().hex[:8]}"
    labels = {name: "1"}
    network = client.networks.create(tag, labels=labels)
    backends = {"blue": f"{tag}-blue", "green": f"{tag}-green"}
    try:
        for colour, container in backends.items():
            client.containers.run(BACKEND, ["python", "-c", APP], name=container, detach=True,
                                  labels=labels, network=tag, environment={"COLOUR": colour})
        config = HaproxyConfig(servers=tuple(Server(c, f"{n}:8000", 256 if c == "blue" else 0) for c, n in backends.items()),
                               health_path="/healthz", check_interval_ms=check_interval_ms, rise=rise)
        container = start_router(client, config, f"{tag}-lb", labels=labels, network=tag)
        router = LocalRouter(container.api())
        wait_ready(router, now=time.monotonic, sleep=time.sleep)
        end = time.monotonic() + 60
        while not all(s.is_up for s in router.servers()):
            assert time.monotonic() < end, f"backends not healthy: {router.servers()}"
            time.sleep(0.2)
        yield Stage(client, router, container, backends, check_interval_ms / 1000, rise)
    finally:
        for container_name in (*backends.values(), f"{tag}-lb"):
            remove_router(client, container_name)
        network.remove()


def base_images() -> tuple[str, ...]:
    """The images a stage runs."""
    return (IMAGE, BACKEND)


@dataclass(frozen=True)
class Shift:
    """A router-only cutover from blue to green: the steps, each followed by a bake, then the drain.

    ``slow`` requests are opened on blue before the first shift and last until past the drain's start, so
    they are open on blue when its weight goes to 0, and still open when SIGTERM follows ``drain``
    seconds later (it must wait for them).
    """

    steps: tuple[int, ...] = (100,)
    bake: float = 1.5
    drain: float = 0.5
    slow: int = 5
    rate: int = 60


@dataclass(frozen=True)
class Outcome:
    """What a shift under load gave: hey's report, the slow requests' answers, how blue ended, and times."""

    load: LoadReport
    slow_answers: tuple[tuple[int, str], ...]
    blue_exit: int
    wall_s: float
    after: Counter[str]


def shift_under_load(ready: Stage, shift: Shift, hey: str | None = None) -> Outcome:
    """Run ``shift`` while hey sends ``shift.rate`` requests/s, then stop blue with SIGTERM.

    Wall time runs from the first weight change to blue's container exited.
    """
    slow_for = len(shift.steps) * shift.bake + shift.drain + 1.5
    seconds = int(2 + slow_for + 2)
    with Background(Load(ready.url, seconds, rate=shift.rate, workers=6), hey) as load, \
            ThreadPoolExecutor(max_workers=max(shift.slow, 1)) as pool:
        time.sleep(1.0)  # traffic before the cutover
        slow = [pool.submit(ready.get, f"/slow/{slow_for}") for _ in range(shift.slow)]
        time.sleep(0.3)  # the slow requests are open on blue
        start = time.monotonic()
        for step in shift.steps:
            ready.shift(step)
            time.sleep(shift.bake)
        ready.router.drain("blue")
        assert ready.router.weights() == {"blue": 0, "green": ready.router.max_weight}
        time.sleep(shift.drain)
        ready.stop("blue")  # SIGTERM; returns once the container exited
        wall = time.monotonic() - start
        answers = tuple(f.result(timeout=60) for f in slow)
        report = load.report()
    return Outcome(report, answers, ready.exit_code("blue"), wall, ready.colours(20))


def lower_bound(ready: Stage, shift: Shift) -> float:
    """The least a cutover configured so can take: health checks to rise, the bakes, the drain."""
    return ready.check_interval_s * ready.rise + len(shift.steps) * shift.bake + shift.drain


@dataclass(frozen=True)
class Breach:
    """A canary that starts failing: the gate's verdicts, seconds to detect it and to weights restored."""

    load: LoadReport
    healthy: tuple[Verdict, ...]
    failed: Verdict
    detect_s: float
    restore_s: float
    after: Counter[str]


def bad_canary(ready: Stage, fault: Literal["fail", "slow"], *, percent: int = 50, poll: float = 0.5, rate: int = 60,
               hey: str | None = None) -> Breach:
    """Shift ``percent`` to green under load, judge it twice healthy with the gate for ``fault`` (``fail``:
    the 5xx gate, ``slow``: the latency gate), bring the fault on, and put every weight back on blue as
    soon as the gate fails (as the engine does on a breach)."""
    error_rate, latency = open_gates(ready.router.api)
    gate: Gate = error_rate if fault == "fail" else latency
    with Background(Load(ready.url, 12, rate=rate, workers=6), hey) as load:
        ready.shift(percent)
        healthy: list[Verdict] = []
        while len(healthy) < 2:  # two judged windows, not "too few to judge"
            time.sleep(poll)
            verdict = gate.check("green")
            assert verdict.passed, verdict
            if "too few" not in verdict.detail:
                healthy.append(verdict)
        if fault == "fail":
            ready.fail("green")
        else:
            ready.slow_down("green")
        since = time.monotonic()
        while (verdict := gate.check("green")).passed:
            assert time.monotonic() - since < 30, f"the gate never tripped: {verdict}"
            time.sleep(poll)
        detected = time.monotonic()
        ready.shift(0)
        restored = time.monotonic()
        report = load.report()
    return Breach(report, tuple(healthy), verdict, detected - since, restored - since, ready.colours(20))

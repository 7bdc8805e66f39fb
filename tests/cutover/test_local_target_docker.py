"""The local target for real: the cutover engine, with real time, over HAProxy and containers on the local engine.

Tiny images of a stdlib HTTP app answer their version on every path; one variant's health path
answers 500 from the start (never healthy), another exits at once. Requests go to 127.0.0.1 only
(the router's published port), a handful per step.
"""

from __future__ import annotations

import dataclasses
import getpass
import http.server
import io
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from unittest.mock import ANY

import pytest
from conftest import unavailable
from docker_images import ensure_base_images

from migrate.containers.cutover import LocalTarget, destroy_local, open_local
from migrate.containers.fleet import PREFIX
from migrate.containers.router import IMAGE
from migrate.cutover.engine import Engine, Settings
from migrate.cutover.events import Event, Shifted, SmokeTested
from migrate.cutover.ports import BLUE, GREEN, LockedError, Target

pytestmark = pytest.mark.docker

BASE = "python:3.12-slim"
TAG = "localfleet-test-app"
APP = """
import os, signal, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
if os.environ.get("EXIT"):
    print("cannot read DATABASE_URL", flush=True)
    sys.exit(int(os.environ["EXIT"]))
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        sick = self.path == "/health" and os.environ.get("SICK") == "1"
        broken = self.path == os.environ.get("BROKEN")  # healthy, but this page fails
        body = os.environ["VERSION"].encode()
        self.send_response(500 if sick or broken else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))  # PID 1: stop at once on docker stop
ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
"""
VARIANTS = {"v1": "VERSION=v1", "v2": "VERSION=v2", "v3": "VERSION=v3 SICK=1", "v4": "VERSION=v4 EXIT=3",
            "v5": "VERSION=v5 BROKEN=/api/items"}
FAST = Settings(bake=2, final_bake=2, drain=2, poll=0.5, ready_timeout=20)


def _build(client: Any, version: str, env: str) -> str:
    dockerfile = f'FROM {BASE}\nCOPY app.py /app.py\nENV {env}\nUSER 1000\nCMD ["python", "/app.py"]\n'
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in (("Dockerfile", dockerfile.encode()), ("app.py", APP.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    image, _ = client.images.build(fileobj=context, custom_context=True, tag=f"{TAG}:{version}", rm=True)
    return str(image.id)


@pytest.fixture(scope="module")
def images(client: Any) -> Iterator[dict[str, str]]:
    missing = ensure_base_images([IMAGE, BASE])
    if missing:
        unavailable(f"base images missing: {', '.join(missing)} (bash .ci/base-images.sh {' '.join(missing)})")
    built = {version: _build(client, version, env) for version, env in VARIANTS.items()}
    yield built
    for version in VARIANTS:
        client.images.remove(f"{TAG}:{version}", force=True)


@pytest.fixture
def project(client: Any) -> Iterator[str]:
    """A project name of this test's own; whatever it left is destroyed, and nothing of it may remain."""
    name = f"lf{uuid.uuid4().hex[:6]}"
    yield name
    destroy_local(client, name, "web")
    assert client.containers.list(all=True, filters={"label": f"{PREFIX}project={name}"}) == []
    assert client.networks.list(filters={"label": f"{PREFIX}project={name}"}) == []


def _open(client: Any, project: str, *, create: bool = True) -> LocalTarget | None:
    return open_local(client, project=project, app="web", port=8000, health_path="/health",
                      environment={"GREETING": "hello"}, create=create, check_interval_ms=300)


def _engine(target: Target, events: list[Event], settings: Settings = FAST) -> Engine:
    return Engine(target.router, target.fleet, now=time.monotonic, sleep=time.sleep, on_event=events.append,
                  gates=target.gates, settings=settings, test_route=target.test_route)


def _answers(url: str, n: int = 10) -> set[str]:
    seen = set()
    for _ in range(n):
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200
            seen.add(resp.read().decode())
    return seen


def _serves(url: str, version: str, within: float = 10.0) -> Callable[[], bool]:
    """Wait (bounded) until the url answers ``version``; return a check that it still does."""
    end = time.monotonic() + within
    while _answers(url, 1) != {version} and time.monotonic() < end:
        time.sleep(0.2)
    return lambda: _answers(url) == {version}


def test_blue_green_rollback_and_versions_that_never_become_healthy(client: Any, images: dict[str, str],
                                                                    project: str) -> None:
    assert _open(client, project, create=False) is None  # nothing yet, and nothing made
    target = _open(client, project)
    assert target is not None and target.url is not None and target.url.startswith("http://127.0.0.1:")
    events: list[Event] = []

    first = _engine(target, events).deploy(images["v1"])
    assert first.succeeded, first.reason
    assert _serves(target.url, "v1")()
    # The journal is a file in the router container: what one command keeps, the next one (a new target) reads.
    assert target.journal.read() == ()
    target.journal.write(["line one", "line \"two\""])
    reopened = _open(client, project, create=False)
    assert reopened is not None and reopened.journal.read() == ("line one", 'line "two"')
    blue = target.fleet.status(BLUE)
    assert (blue.revision, blue.desired, blue.running, blue.healthy) == (images["v1"], 1, 1, 1)
    running = client.containers.get(f"{project}-web-blue")
    assert running.attrs["Config"]["User"] == "1000" and "GREETING=hello" in running.attrs["Config"]["Env"]

    second = _engine(target, events).deploy(images["v2"])
    assert second.succeeded, second.reason
    assert _serves(target.url, "v2")()
    kept = target.fleet.status(BLUE)
    assert (kept.revision, kept.desired, kept.running) == (images["v1"], 0, 0)  # stopped, its revision kept
    assert client.containers.get(f"{project}-web-blue").status == "created"

    # The engine (or the machine) restarts the router: it comes back with the weights it kept, at the same URL.
    before = {s.name: (s.weight, s.is_held, s.is_draining) for s in target.router.servers()}
    assert before["green"] == (256, True, False) and before["blue"][0] == 0  # the configuration starts green at 0
    router = client.containers.get(f"{project}-web-router")
    router.restart(timeout=2)
    again = _open(client, project, create=False)
    assert again is not None and again.url == target.url
    assert {s.name: (s.weight, s.is_held, s.is_draining) for s in again.router.servers()} == before
    assert _serves(target.url, "v2")()

    back = _engine(target, events).rollback()
    assert back.succeeded, back.reason
    assert _serves(target.url, "v1")()
    assert target.fleet.status(GREEN).desired == 0 and target.router.weights() == {BLUE: 256, GREEN: 0}

    sick = _engine(target, events, Settings(poll=0.5, ready_timeout=4, drain=1)).deploy(images["v3"])
    assert sick.status == "failed" and "not ready after 4 s" in sick.reason
    assert target.router.weights() == {BLUE: 256, GREEN: 0} and _answers(target.url) == {"v1"}
    assert target.fleet.status(GREEN).desired == 0

    began = time.monotonic()
    crash = _engine(target, events).deploy(images["v4"])
    assert crash.status == "failed" and "exited with code 3" in crash.reason, crash.reason
    assert "cannot read DATABASE_URL" in crash.diagnosis and time.monotonic() - began < 10  # fails fast
    assert _answers(target.url) == {"v1"} and target.fleet.status(GREEN).desired == 0

    again = _open(client, project, create=False)  # a later command reads the same state from the engine
    assert again is not None and again.url == target.url and _engine(again, events).deploy(images["v1"]).succeeded

    removed = destroy_local(client, project, "web")
    assert set(removed) == {f"{project}-web-blue", f"{project}-web-green", f"{project}-web-router",
                            f"{project}-web-cutover"}
    assert _open(client, project, create=False) is None


def test_a_smoke_test_reaches_the_new_colour_through_the_router_before_any_traffic(client: Any, images: dict[str, str],
                                                                                  project: str) -> None:
    target = _open(client, project)
    assert target is not None and target.url is not None
    events: list[Event] = []
    assert _engine(target, events).deploy(images["v1"]).succeeded
    smoke = dataclasses.replace(FAST, smoke=("/", "/api/items"))
    passed = _engine(target, events, smoke).deploy(images["v2"])
    assert passed.succeeded, passed.reason
    assert [e for e in events if isinstance(e, SmokeTested)] == [SmokeTested(ANY, GREEN, (("/", "200"), ("/api/items", "200")), True)]
    assert _serves(target.url, "v2")()

    events.clear()
    failed = _engine(target, events, smoke).deploy(images["v5"])  # healthy, but /api/items answers 500
    assert failed.status == "failed" and "/api/items: 500" in failed.reason, failed.reason
    assert not any(isinstance(e, Shifted) for e in events)  # no weight ever moved
    assert target.router.weights() == {BLUE: 0, GREEN: 256} and _answers(target.url) == {"v2"}
    assert target.fleet.status(BLUE).desired == 0 and target.fleet.status(BLUE).revision == images["v1"]  # parked back


def test_a_second_lock_is_refused_naming_the_holder_and_a_stale_one_can_be_broken(client: Any, project: str) -> None:
    if ensure_base_images([IMAGE]):
        unavailable(f"base image missing: {IMAGE}")
    target = _open(client, project)
    assert target is not None
    other = _open(client, project, create=False)
    assert other is not None
    with target.lock("alice@laptop (pid 1)"):
        with pytest.raises(LockedError, match=r"alice@laptop \(pid 1\) holds the lock since 20"):
            with other.lock("bob"):
                pass
        with other.lock("bob", break_stale=True):  # alice's is gone; bob holds it now
            with pytest.raises(LockedError, match="bob holds the lock"):
                with target.lock("carol"):
                    pass
    with other.lock("bob"):  # released on the way out, however the block ended
        pass
    # A command of this machine that died holding it (its process is gone): the next one takes it over.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with target.lock(f"{getpass.getuser()}@{socket.gethostname()} (pid {dead.pid})"):
        with other.lock("dave"):
            pass


class _Quiet(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # HAProxy's health check closes its connection once it has the status line


class _Legacy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"legacy")

    def log_message(self, *args: Any) -> None:
        pass


def test_a_migration_moves_the_traffic_from_the_app_on_this_machine_to_the_containers(
        client: Any, images: dict[str, str], project: str) -> None:
    # The app run the old way, on the host: it must listen where containers reach it (not 127.0.0.1 only).
    server = _Quiet(("0.0.0.0", 0), _Legacy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = open_local(client, project=project, app="web", port=8000, health_path="/health", environment={},
                            external=[f"127.0.0.1:{server.server_address[1]}"], create=True, check_interval_ms=300)
        assert target is not None and target.url is not None
        end = time.monotonic() + 10
        while not target.fleet.status("legacy").is_ready and time.monotonic() < end:
            time.sleep(0.2)
        assert _answers(target.url) == {"legacy"}  # the router serves the old app from the start
        assert target.router.weights() == {BLUE: 0, GREEN: 0, "legacy": 256}
        result = _engine(target, []).deploy(images["v1"])
        assert result.succeeded, result.reason
        assert _answers(target.url) == {"v1"} and target.router.weights() == {BLUE: 256, GREEN: 0}  # legacy retired
    finally:
        server.shutdown()
        server.server_close()

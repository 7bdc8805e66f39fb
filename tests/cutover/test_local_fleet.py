"""The local fleet without Docker: what its labels and container states mean, and what start and scale decide.

:class:`FakeEngine` keeps containers and images as the engine does, for the calls the fleet makes:
a name is created at most once (409), an image that is not there cannot be created from, a start
the engine refuses leaves the container ``created`` with ``State.Error``, ``stop`` leaves it
``exited``. Docker's own exception classes are raised, as docker-py raises them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from docker.errors import APIError, ImageNotFound, NotFound

from migrate.containers.cutover import destroy_local, open_local, router_address
from migrate.containers.fleet import PREFIX, AppNames, FleetError, LocalFleet
from migrate.containers.run import RunSpec
from migrate.cutover.local import ServerState
from migrate.cutover.ports import BLUE, GREEN, Fleet
from migrate.errors import UserError

_ids = itertools.count(1)


def _conflict(message: str) -> APIError:
    response = requests.Response()
    response.status_code = 409
    return APIError(message, response=response)


@dataclass
class FakeContainer:
    engine: FakeEngine
    name: str
    image: str
    labels: dict[str, str]
    options: dict[str, Any]
    id: str = field(default_factory=lambda: f"c{next(_ids)}")
    status: str = "created"
    state: dict[str, Any] = field(default_factory=lambda: {"ExitCode": 0, "Error": "", "OOMKilled": False})
    log: str = ""
    calls: list[str] = field(default_factory=list)

    ip: str = field(default_factory=lambda: f"172.18.0.{next(_ids)}")

    @property
    def attrs(self) -> dict[str, Any]:
        running = self.status == "running"
        networks = {self.options["network"]: {"IPAddress": self.ip if running else ""}} if "network" in self.options else {}
        return {"Image": self.image, "State": dict(self.state, Status=self.status), "NetworkSettings": {"Networks": networks}}

    def reload(self) -> None:
        pass

    def start(self) -> None:
        self.calls.append("start")
        if self.image in self.engine.unstartable:
            self.state["Error"] = "exec: \"python\": executable file not found in $PATH"
            raise APIError("OCI runtime create failed")
        self.status = "running"

    def stop(self) -> None:
        self.calls.append("stop")
        self.status, self.state["ExitCode"] = "exited", 0

    def remove(self, force: bool = False, v: bool = False) -> None:
        assert force or self.status != "running"
        self.calls.append("remove")
        del self.engine.containers[self.name]

    def logs(self, tail: int) -> bytes:
        return "\n".join(self.log.splitlines()[-tail:]).encode()


@dataclass
class FakeContainers:
    engine: FakeEngine

    def get(self, name: str) -> FakeContainer:
        if name not in self.engine.containers:
            raise NotFound(f"No such container: {name}")
        return self.engine.containers[name]

    def list(self, all: bool = False, filters: dict[str, list[str]] | None = None) -> list[FakeContainer]:
        wanted = (filters or {}).get("label", [])
        return [c for c in self.engine.containers.values()
                if (all or c.status == "running") and not [w for w in wanted if not _has(c.labels, w)]]

    def create(self, image: str, *, name: str, labels: Mapping[str, str], **options: Any) -> FakeContainer:
        if image not in self.engine.images:
            raise ImageNotFound(f"No such image: {image}")
        if name in self.engine.containers:
            raise _conflict(f"Conflict. The container name \"/{name}\" is already in use")
        container = FakeContainer(self.engine, name, image, dict(labels), options)
        self.engine.containers[name] = container
        self.engine.created.append(container)
        return container


@dataclass
class FakeImages:
    engine: FakeEngine

    def get(self, ref: str) -> object:
        if ref not in self.engine.images:
            raise ImageNotFound(f"No such image: {ref}")
        return object()


@dataclass
class FakeEngine:
    images: set[str] = field(default_factory=lambda: {"sha256:v1", "sha256:v2", "sha256:broken"})
    unstartable: set[str] = field(default_factory=lambda: {"sha256:broken"})
    containers: dict[str, FakeContainer] = field(default_factory=dict)
    created: list[FakeContainer] = field(default_factory=list)
    networks: list[FakeNetwork] = field(default_factory=list)

    @property
    def client(self) -> Any:
        return _Client(FakeContainers(self), FakeImages(self), FakeNetworks(self))


@dataclass(frozen=True)
class _Client:
    containers: FakeContainers
    images: FakeImages
    networks: FakeNetworks


@dataclass
class FakeNetworks:
    engine: FakeEngine

    def list(self, names: list[str] | None = None, filters: dict[str, list[str]] | None = None) -> list[FakeNetwork]:
        wanted = (filters or {}).get("label", [])
        return [n for n in self.engine.networks
                if (names is None or n.name in names) and not [w for w in wanted if not _has(n.labels, w)]]


@dataclass
class FakeNetwork:
    engine: FakeEngine
    name: str
    labels: dict[str, str]

    def remove(self) -> None:
        self.engine.networks.remove(self)


def _has(labels: Mapping[str, str], want: str) -> bool:
    key, _, value = want.partition("=")
    return labels.get(key) == value


@dataclass
class FakeServers:
    """The router's servers, as HAProxy keeps them: a colour's name resolves to its running container's
    address only from the ``resolve_after``-th read on, and resolving counts it UP before any check
    ("UP/READY (resolves again)"); ``force_down`` counts one down until a check passes (tests set ``up``)."""

    engine: FakeEngine
    up: dict[str, bool] = field(default_factory=lambda: {BLUE: False, GREEN: False, "legacy": True})
    forced: list[str] = field(default_factory=list)
    resolve_after: int = 0
    resolved: dict[str, str] = field(default_factory=dict)
    reads: int = 0

    def servers(self) -> tuple[ServerState, ...]:
        self.reads += 1
        for side in (BLUE, GREEN):
            container = self.engine.containers.get(f"shop-web-{side}")
            address = container.ip if container is not None and container.status == "running" else "-"
            if address != self.resolved.get(side, "-") and self.reads > self.resolve_after:
                self.resolved[side] = address
                self.up[side] = address != "-"
        return tuple(ServerState(name, self.resolved.get(name, "172.17.0.1"),
                                 2 if up else 0, 0 if name == "legacy" or self.resolved.get(name, "-") != "-" else 0x20, 0)
                     for name, up in self.up.items())

    def force_down(self, side: str) -> None:
        self.forced.append(side)
        self.up[side] = False


@dataclass
class Setup:
    engine: FakeEngine
    servers: FakeServers
    fleet: LocalFleet
    clock: list[float]


def setup(resolve_after: int = 0) -> Setup:
    engine, clock = FakeEngine(), [1000.0]
    servers = FakeServers(engine, resolve_after=resolve_after)

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    fleet = LocalFleet(engine.client, AppNames("shop", "web"), "shop-web-cutover", servers,
                       RunSpec({"GREETING": "hi"}, memory_mb=256), clock=lambda: clock[0], sleep=sleep)
    return Setup(engine, servers, fleet, clock)


def test_it_is_the_engines_fleet() -> None:
    fleet: Fleet = setup().fleet  # mypy checks the protocol
    assert fleet.status(BLUE).desired == 0


# ------------------------------------------------------------------ status from labels and states
def test_a_running_colour_is_healthy_only_while_its_router_server_is_up() -> None:
    s = setup()
    s.fleet.start(BLUE, "sha256:v1", 1)
    container = s.engine.containers["shop-web-blue"]
    assert container.labels[PREFIX + "revision"] == "sha256:v1" and container.labels[PREFIX + "started"] == "1000.0"
    assert container.options["network"] == "shop-web-cutover" and container.options["mem_limit"] == "256m"
    assert container.options["environment"] == {"GREETING": "hi"} and "command" not in container.options  # the image's own
    status = s.fleet.status(BLUE)
    assert (status.revision, status.desired, status.running, status.healthy, status.started) == ("sha256:v1", 1, 1, 0, 1000.0)
    s.servers.up[BLUE] = True
    assert s.fleet.status(BLUE).is_ready


def test_a_colour_that_exited_reports_its_code_and_last_log_lines() -> None:
    s = setup()
    s.fleet.start(GREEN, "sha256:v2", 1)
    crashed = s.engine.containers["shop-web-green"]
    crashed.status, crashed.state["ExitCode"] = "exited", 3
    crashed.log = "\n".join(f"line {i}" for i in range(40)) + "\nKeyError: 'SECRET_KEY'\n"
    failure = s.fleet.status(GREEN).failure
    assert failure is not None and failure.reason == "exited with code 3"
    assert len(failure.diagnosis) == 15 and failure.diagnosis[-1] == "KeyError: 'SECRET_KEY'"
    crashed.state["OOMKilled"], crashed.state["ExitCode"] = True, 137
    assert s.fleet.status(GREEN).failure == failure.__class__("exited with code 137 (out of memory)", failure.diagnosis)


def test_a_start_the_engine_refuses_is_a_failure_not_a_colour_scaled_to_0() -> None:
    s = setup()
    s.fleet.start(BLUE, "sha256:broken", 1)
    status = s.fleet.status(BLUE)
    assert status.desired == 1 and status.failure is not None
    assert status.failure.reason == 'cannot start: exec: "python": executable file not found in $PATH'
    s.fleet.scale(BLUE, 0)  # the engine gives up on it: now it is scaled to 0, and says nothing failed
    assert (s.fleet.status(BLUE).desired, s.fleet.status(BLUE).failure) == (0, None)
    s.engine.unstartable.add("sha256:v1")  # a colour scaled to 0 whose start is refused when scaled up again
    s.fleet.start(GREEN, "sha256:v1", 1)
    s.fleet.scale(GREEN, 0)
    s.fleet.scale(GREEN, 1)
    again = s.fleet.status(GREEN)
    assert again.desired == 1 and again.failure is not None and again.failure.reason.startswith("cannot start")


def test_an_image_not_on_the_engine_changes_nothing_and_is_the_colours_failure() -> None:
    s = setup()
    s.fleet.start(BLUE, "sha256:v1", 1)
    s.fleet.start(BLUE, "sha256:gone", 1)
    status = s.fleet.status(BLUE)
    assert status.failure is not None and status.failure.reason == "image sha256:gone is not on this Docker engine"
    assert s.engine.containers["shop-web-blue"].status == "running"  # untouched until the engine scales it
    s.fleet.scale(BLUE, 0)
    assert s.fleet.status(BLUE).failure is None and s.fleet.status(BLUE).revision == "sha256:v1"


def test_an_external_side_is_one_address_always_running_healthy_as_its_server() -> None:
    s = setup()
    assert s.fleet.status("legacy") == s.fleet.status("legacy").__class__(None, 1, 1, 1)
    s.servers.up["legacy"] = False
    assert s.fleet.status("legacy").healthy == 0
    with pytest.raises(ValueError, match="never started or scaled"):
        s.fleet.start("legacy", "sha256:v1", 1)


# ------------------------------------------------------------------ start and scale
def test_start_keeps_a_container_already_running_the_revision() -> None:
    s = setup()
    s.fleet.start(BLUE, "sha256:v1", 1)
    s.servers.up[BLUE] = True
    first = s.engine.containers["shop-web-blue"]
    s.clock[0] = 2000.0
    s.fleet.start(BLUE, "sha256:v1", 1)
    assert s.engine.containers["shop-web-blue"] is first and first.calls == ["start"]
    assert s.servers.forced == [BLUE, BLUE] and s.fleet.status(BLUE).is_ready  # not counted down again


def test_start_replaces_another_revision_gracefully_and_counts_its_server_down_first() -> None:
    s = setup()
    s.fleet.start(GREEN, "sha256:v1", 1)
    old = s.engine.containers["shop-web-green"]
    s.servers.up[GREEN] = True
    s.clock[0] = 2000.0
    s.fleet.start(GREEN, "sha256:v2", 3)
    new = s.engine.containers["shop-web-green"]
    assert old.calls == ["start", "stop", "remove"]  # SIGTERM first, then removed
    assert new.image == "sha256:v2" and new.status == "running" and new.labels[PREFIX + "requested"] == "3"
    status = s.fleet.status(GREEN)
    assert (status.desired, status.healthy, status.started) == (1, 0, 2000.0)  # one container; the old check no longer counts


def test_a_server_counted_up_when_its_new_container_resolves_is_counted_down_again() -> None:
    s = setup(resolve_after=5)  # HAProxy picks the new address up a few reads later
    s.fleet.start(BLUE, "sha256:v1", 1)
    assert s.servers.resolved[BLUE] == s.engine.containers["shop-web-blue"].ip
    assert s.fleet.status(BLUE).healthy == 0  # no check of this container has passed yet
    assert s.clock[0] < 1001


def test_a_name_that_never_resolves_ends_the_wait_bounded() -> None:
    s = setup(resolve_after=10**6)
    s.fleet.start(GREEN, "sha256:v1", 1)
    assert s.clock[0] >= 1000 + s.fleet.resolve_timeout and s.servers.forced == [GREEN]
    assert s.fleet.status(GREEN).healthy == 0


def test_scale_to_0_keeps_the_revision_and_scale_to_1_runs_it_again() -> None:
    s = setup()
    s.fleet.start(BLUE, "sha256:v1", 2)
    s.fleet.scale(BLUE, 0)
    parked = s.engine.containers["shop-web-blue"]
    assert parked.status == "created" and parked.options["environment"] == {"GREETING": "hi"}
    status = s.fleet.status(BLUE)
    assert (status.revision, status.desired, status.running, status.started, status.is_warm) == ("sha256:v1", 0, 0, 1000.0, False)
    s.fleet.scale(BLUE, 0)
    assert s.engine.containers["shop-web-blue"] is parked  # already stopped: nothing done
    s.clock[0] = 3000.0
    s.fleet.scale(BLUE, 1)
    assert parked.status == "running" and s.servers.forced == [BLUE] * 4
    assert s.fleet.status(BLUE).started == 1000.0  # scaling is not a start: the order of the colours holds


def test_park_points_a_stopped_colour_back_at_the_revision_that_served_without_starting_it() -> None:
    s = setup()
    s.fleet.start(BLUE, "sha256:v1", 1)
    s.fleet.scale(BLUE, 0)
    s.fleet.start(BLUE, "sha256:v2", 1)  # a new revision that then failed: stopped by the engine
    s.fleet.scale(BLUE, 0)
    s.fleet.park(BLUE, "sha256:v1")
    parked = s.engine.containers["shop-web-blue"]
    assert (parked.image, parked.status) == ("sha256:v1", "created")
    status = s.fleet.status(BLUE)
    assert (status.revision, status.desired, status.is_warm) == ("sha256:v1", 0, False)
    created = len(s.engine.created)
    s.fleet.park(BLUE, "sha256:v1")
    assert len(s.engine.created) == created  # already there: nothing done
    s.fleet.scale(BLUE, 1)
    assert s.engine.containers["shop-web-blue"].status == "running"
    with pytest.raises(FleetError, match="is running"):
        s.fleet.park(BLUE, "sha256:v2")


def test_scale_up_of_a_colour_that_crashed_runs_a_fresh_container_of_its_revision() -> None:
    s = setup()
    s.fleet.start(BLUE, "sha256:v1", 1)
    s.engine.containers["shop-web-blue"].status = "exited"
    s.fleet.scale(BLUE, 1)
    fresh = s.engine.containers["shop-web-blue"]
    assert fresh is s.engine.created[-1] and fresh.status == "running" and fresh.image == "sha256:v1"
    with pytest.raises(FleetError, match="shop-web-green has never run a revision"):
        s.fleet.scale(GREEN, 1)


def test_a_container_migrate_did_not_make_is_never_touched() -> None:
    s = setup()
    s.engine.containers["shop-web-blue"] = FakeContainer(s.engine, "shop-web-blue", "sha256:v1", {}, {}, status="running")
    with pytest.raises(FleetError, match="migrate did not create it"):
        s.fleet.start(BLUE, "sha256:v2", 1)
    assert s.engine.containers["shop-web-blue"].calls == []


# ------------------------------------------------------------------ names and addresses
@pytest.mark.parametrize(("given", "routed"), [
    ("127.0.0.1:8000", "host.docker.internal:8000"),
    ("localhost:3000", "host.docker.internal:3000"),
    ("[::1]:8000", "host.docker.internal:8000"),
    ("10.0.0.5:80", "10.0.0.5:80"),
    ("old.example.com:8080", "old.example.com:8080"),
])
def test_an_address_on_this_machine_is_the_host_seen_from_the_router(given: str, routed: str) -> None:
    assert router_address(given) == routed


@pytest.mark.parametrize("bad", ["127.0.0.1", ":8000", "host:http", "host:70000"])
def test_an_address_that_is_not_host_port_is_a_user_error(bad: str) -> None:
    with pytest.raises(UserError, match="is not HOST:PORT"):
        router_address(bad)


def test_names_that_cannot_name_a_container_are_refused() -> None:
    assert AppNames("shop", "web").container("router") == "shop-web-router"
    with pytest.raises(UserError, match="cannot name a container"):
        AppNames("Shop Co", "web")


def test_a_run_spec_sets_only_what_it_is_given() -> None:
    assert RunSpec().options() == {"environment": {}}
    assert RunSpec({"A": "1"}, ("gunicorn", "app:app"), 10001, 512, 256, init=True, stop_timeout=30).options() == {
        "environment": {"A": "1"}, "command": ["gunicorn", "app:app"], "user": "10001", "mem_limit": "512m",
        "nano_cpus": 250_000_000, "init": True, "stop_timeout": 30}


# ------------------------------------------------------------------ opening and destroying the target
def test_open_without_create_finds_nothing_and_makes_nothing() -> None:
    engine = FakeEngine()
    assert open_local(engine.client, project="shop", app="web", port=8000, health_path="/health", environment={},
                      create=False) is None
    assert engine.containers == {} and engine.created == []


def test_the_local_target_leaves_one_external_side_so_several_from_addresses_are_refused() -> None:
    engine = FakeEngine()
    with pytest.raises(UserError, match="takes one --from address, got 2"):
        open_local(engine.client, project="shop", app="web", port=8000, health_path="/health", environment={},
                   external=["127.0.0.1:8001", "127.0.0.1:8002"], create=True)
    assert engine.created == []


def test_a_router_made_for_another_port_is_not_reused_silently() -> None:
    engine = FakeEngine()
    names = AppNames("shop", "web")
    engine.containers["shop-web-router"] = FakeContainer(
        engine, "shop-web-router", "sha256:v1", names.labels("router", port="8000", network="shop-web-cutover",
                                                               external="", **{"health-path": "/health"}), {})
    with pytest.raises(UserError, match="created with port '8000', this deploy asks for '3000'") as caught:
        open_local(engine.client, project="shop", app="web", port=3000, health_path="/health", environment={},
                   create=True)
    assert caught.value.hint is not None and "migrate destroy" in caught.value.hint


def test_destroy_removes_only_what_carries_the_apps_labels() -> None:
    engine = FakeEngine()
    shop, other = AppNames("shop", "web"), AppNames("shop", "api")
    for name, labels in (("shop-web-blue", shop.labels("colour")), ("shop-web-cutover-lock", shop.labels("lock")),
                         ("shop-api-blue", other.labels("colour")), ("shop-web-blue-mine", {})):
        engine.containers[name] = FakeContainer(engine, name, "sha256:v1", labels, {})
    engine.networks = [FakeNetwork(engine, "shop-web-cutover", shop.labels("network")),
                       FakeNetwork(engine, "shop-api-cutover", other.labels("network"))]
    assert destroy_local(engine.client, "shop", "web") == ("shop-web-blue", "shop-web-cutover-lock", "shop-web-cutover")
    assert sorted(engine.containers) == ["shop-api-blue", "shop-web-blue-mine"]
    assert [n.name for n in engine.networks] == ["shop-api-cutover"]

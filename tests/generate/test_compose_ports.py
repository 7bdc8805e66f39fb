"""Host ports in compose.yaml: each published once, deterministically (issue 11, pattern 6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from migrate.generate import generate, host_ports
from migrate.generate.checks import check_compose
from migrate.generate.services import SERVICES
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]

CSPROJ = '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>'


def _files(root: Path) -> dict[str, str]:
    return {f.path: f.content for f in generate(inspect_tree(root))}


def test_two_apps_on_one_container_port_get_distinct_host_ports(make_tree: MakeTree) -> None:
    # Two ASP.NET Core services: both listen on 8080 in their containers (eShopOnWeb's shape).
    root = make_tree({"src/Api/Api.csproj": CSPROJ, "src/Web/Web.csproj": CSPROJ})
    files = _files(root)
    compose = yaml.safe_load(files["compose.yaml"])
    assert compose["services"]["api"]["ports"] == ["127.0.0.1:8080:8080"]
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8081:8080"]
    assert check_compose(compose) == []
    assert "`web` (8080) on 127.0.0.1:8081" in files["CONTAINERS.md"]


def test_a_backing_service_moves_past_an_app_on_its_port() -> None:
    hosts = host_ports([("api", 5432), ("web", None)], [SERVICES["postgres"]], [("adminer", 8081)])
    assert hosts == {"api": 5432, "postgres": 5433, "adminer": 8081}


def test_the_next_free_port_skips_every_taken_one() -> None:
    hosts = host_ports([("a", 8080), ("b", 8081), ("c", 8080), ("d", 8080)], [])
    assert hosts == {"a": 8080, "b": 8081, "c": 8082, "d": 8083}


def test_no_note_when_every_port_is_its_own(make_tree: MakeTree) -> None:
    root = make_tree({"src/Api/Api.csproj": CSPROJ})
    files = _files(root)
    assert yaml.safe_load(files["compose.yaml"])["services"]["api"]["ports"] == ["127.0.0.1:8080:8080"]
    assert "cannot publish one host port" not in files["CONTAINERS.md"]


def test_the_check_finds_a_shared_host_port() -> None:
    data = {"services": {"a": {"build": ".", "ports": ["127.0.0.1:8080:8080"]}, "b": {"build": ".", "ports": ["127.0.0.1:8080:80"]}}}
    assert check_compose(data) == ["services 'a' and 'b' both publish host port 127.0.0.1:8080"]

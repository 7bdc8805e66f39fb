"""The semantic checks catch what the official schemas accept."""

from __future__ import annotations

from migrate.generate.checks import check_compose, check_devcontainer, check_dockerfile

SOUND = {
    "services": {
        "app": {"build": ".", "ports": ["127.0.0.1:8000:8000"], "depends_on": {"db": {"condition": "service_healthy"}}},
        "db": {"image": "postgres:16", "healthcheck": {"test": ["CMD", "pg_isready"]}},
    }
}


def test_a_sound_compose_file_has_no_findings() -> None:
    assert check_compose(SOUND) == []


def test_waiting_for_health_of_a_service_without_healthcheck() -> None:
    data = {"services": {"app": {"build": ".", "depends_on": {"db": {"condition": "service_healthy"}}}, "db": {"image": "postgres:16"}}}
    assert check_compose(data) == ["service 'app': waits for 'db' to be healthy, but 'db' has no healthcheck"]


def test_a_disabled_healthcheck_does_not_count() -> None:
    data = {"services": {"app": {"build": ".", "depends_on": {"db": {"condition": "service_healthy"}}},
                         "db": {"image": "postgres:16", "healthcheck": {"test": ["CMD", "true"], "disable": True}}}}
    assert "has no healthcheck" in check_compose(data)[0]


def test_floating_tags_missing_targets_open_ports_and_version() -> None:
    data = {
        "version": "3.9",
        "services": {
            "app": {"build": ".", "ports": ["8000:8000"], "depends_on": ["cache"]},
            "db": {"image": "postgres"},
            "web": {"image": "nginx:latest"},
            "pinned": {"image": "redis@sha256:" + "a" * 64},
        },
    }
    assert sorted(check_compose(data)) == sorted([
        "the top-level 'version' key is obsolete in the Compose Specification",
        "service 'app': depends on 'cache', which is not a service",
        "service 'app': port '8000:8000' is published on every interface, not only 127.0.0.1",
        "service 'db': image 'postgres' is not pinned to a version",
        "service 'web': image 'nginx:latest' is not pinned to a version",
    ])


def test_devcontainer_findings() -> None:
    config = {"dockerComposeFile": ["../compose.yaml"], "service": "api", "runServices": ["api", "db"], "remoteUser": "root"}
    assert check_devcontainer(config, SOUND) == [
        "service 'api' is not in the compose files",
        "runServices names 'api', which is not in the compose files",
        "a compose-based dev container needs a workspaceFolder",
        "remoteUser should be a non-root user",
    ]
    assert check_devcontainer({"image": "mcr.microsoft.com/devcontainers/base:latest", "remoteUser": "vscode"}, None) == [
        "image 'mcr.microsoft.com/devcontainers/base:latest' is not pinned to a version"
    ]


def test_dockerfile_findings() -> None:
    text = "FROM python AS base\nFROM base AS build\nFROM node:latest\n"
    assert check_dockerfile(text) == [
        "base image 'python' is not pinned to a version",
        "base image 'node:latest' is not pinned to a version",
        "no 'runtime' target",
        "no 'dev' target",
    ]
    assert check_dockerfile("FROM python:3.12-slim AS runtime\nFROM runtime AS dev\n") == []

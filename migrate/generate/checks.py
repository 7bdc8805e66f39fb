"""Semantic checks of generated files that JSON schemas cannot make.

A schema says a compose file is well-formed; these say it will work: every
``depends_on: service_healthy`` target has a healthcheck, no image floats on
``latest``, every dependency exists, and a dev container names a compose
service that exists. Each finding is one readable sentence.
"""

from __future__ import annotations

import re
from typing import Any

#: A COPY of the whole build context (``COPY . /app``, ``COPY --chown=1:1 . .``, ``COPY [".", "/app"]``).
_WHOLE_CONTEXT = re.compile(r"""^COPY\s+(?:--\S+\s+)*(?:\.\s|\[\s*"\./?")""")


def check_compose(compose: dict[str, Any]) -> list[str]:
    """Problems in a parsed compose file (empty when it is sound)."""
    problems: list[str] = []
    services = compose.get("services") or {}
    if "version" in compose:
        problems.append("the top-level 'version' key is obsolete in the Compose Specification")
    for name, spec in services.items():
        problems.extend(f"service {name!r}: {p}" for p in _service_problems(spec, services))
    return problems + _shared_host_ports(services)


def _shared_host_ports(services: dict[str, Any]) -> list[str]:
    """One host port published by two services: ``compose up`` fails to bind the second."""
    owners: dict[str, str] = {}
    problems = []
    for name, spec in services.items():
        for port in spec.get("ports") or []:
            host = ":".join(str(port).split(":")[:-1]) if ":" in str(port) else None
            if host is None:
                continue
            if host in owners:
                problems.append(f"services {owners[host]!r} and {name!r} both publish host port {host}")
            owners.setdefault(host, name)
    return problems


def _service_problems(spec: dict[str, Any], services: dict[str, Any]) -> list[str]:
    problems = []
    image = spec.get("image")
    if isinstance(image, str) and "build" not in spec and _is_floating(image):
        problems.append(f"image {image!r} is not pinned to a version")
    depends = spec.get("depends_on") or {}
    items = depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends)
    for target, condition in items:
        if target not in services:
            problems.append(f"depends on {target!r}, which is not a service")
        elif (condition or {}).get("condition") == "service_healthy" and not _has_healthcheck(services[target]):
            problems.append(f"waits for {target!r} to be healthy, but {target!r} has no healthcheck")
    for port in spec.get("ports") or []:
        if isinstance(port, str) and not port.startswith("127.0.0.1:"):
            problems.append(f"port {port!r} is published on every interface, not only 127.0.0.1")
    return problems


def _has_healthcheck(spec: dict[str, Any]) -> bool:
    check = spec.get("healthcheck")
    return isinstance(check, dict) and bool(check.get("test")) and not check.get("disable")


def _is_floating(image: str) -> bool:
    name = image.split("@", 1)[0]
    if "@sha256:" in image:
        return False
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else None
    return tag in (None, "latest")


def check_devcontainer(config: dict[str, Any], compose: dict[str, Any] | None) -> list[str]:
    """Problems in a parsed devcontainer.json, given the compose files it builds on (merged)."""
    problems = []
    if "dockerComposeFile" in config:
        services = (compose or {}).get("services") or {}
        service = config.get("service")
        if service not in services:
            problems.append(f"service {service!r} is not in the compose files")
        for name in config.get("runServices") or []:
            if name not in services:
                problems.append(f"runServices names {name!r}, which is not in the compose files")
        if not config.get("workspaceFolder"):
            problems.append("a compose-based dev container needs a workspaceFolder")
    if config.get("remoteUser") in (None, "root"):
        problems.append("remoteUser should be a non-root user")
    image = config.get("image")
    if isinstance(image, str) and _is_floating(image):
        problems.append(f"image {image!r} is not pinned to a version")
    return problems


def check_dockerfile(text: str) -> list[str]:
    """Problems in a generated Dockerfile: floating base images, missing runtime target."""
    problems = []
    stages = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "FROM":
            image = words[1]
            stages.append(words[3] if len(words) >= 4 and words[2].upper() == "AS" else None)
            if image not in stages and _is_floating(image) and image != "scratch":
                problems.append(f"base image {image!r} is not pinned to a version")
    for target in ("runtime", "dev"):
        if target not in stages:
            problems.append(f"no {target!r} target")
    return problems


def installs_before_source(dockerfile: str) -> bool:
    """Whether the Dockerfile copies some files (the manifests) and RUNs a step before it copies the
    whole build context: then a source change reuses that dependency layer.

    CONTAINERS.md says so only where this holds, so its account of the layer order is the file's own.
    """
    seen = ""  # "" -> "copy" (part of the context copied) -> "run" (a step ran on it)
    for line in dockerfile.splitlines():
        from_context = line.startswith("COPY") and "--from=" not in line
        if from_context and _WHOLE_CONTEXT.match(line):
            return seen == "run"
        if from_context and not seen:
            seen = "copy"
        elif line.startswith("RUN") and seen == "copy":
            seen = "run"
    return seen == "run"

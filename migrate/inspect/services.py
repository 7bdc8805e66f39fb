"""Backing services (databases, caches, brokers) an app needs.

Four independent signals, each with its own evidence: the app's
dependencies (a Postgres driver), the environment it reads (``REDIS_URL``, or
a ``postgres://`` example value), an existing compose file that runs the
service next to it, and a Prisma schema's datasource provider.
"""

from __future__ import annotations

import re
from typing import Any

from migrate.inspect.detectors.base import AppDir, Findings
from migrate.inspect.knowledge import (
    SERVICE_BY_DEPENDENCY,
    VERSIONED_SERVICES,
    service_for_env_name,
    service_for_image,
    service_for_url,
)
from migrate.inspect.tree import SourceTree, join
from migrate.profile import Evidence

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")

# Laravel and friends name the database driver instead of a URL.
_DRIVER_VALUES = {"pgsql": "postgres", "postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}
_DRIVER_VARS = ("DB_CONNECTION", "DATABASE_ENGINE", "DB_ENGINE", "DB_DRIVER")


def detect(app: AppDir, found: Findings, language: str | None) -> None:
    """Add the backing services of ``app`` to ``found.services``."""
    table = SERVICE_BY_DEPENDENCY.get(language or "", {})
    for dep, evidence in found.deps.items():
        service = table.get(dep) or table.get(dep.lower())
        if service:
            found.add_service(service, Evidence(evidence.path, evidence.line, f"dependency {dep!r}"))
            if service in VERSIONED_SERVICES:
                _client_major(app, dep, evidence, service, found)
    for read in found.env_reads:
        _from_env(read.name, read.example or read.default, read.evidence, found)
    _from_compose(app, found)
    _from_prisma(app, found)


#: Prisma datasource providers that are a server to run (sqlite is a file; sqlserver has no dev service here).
_PRISMA_PROVIDERS = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mongodb": "mongodb"}
_PRISMA_DATASOURCE = re.compile(r"^\s*datasource\s+\w+\s*\{(?P<body>[^}]*)\}", re.MULTILINE)
_PRISMA_PROVIDER = re.compile(r"^\s*provider\s*=\s*\"(?P<name>\w+)\"", re.MULTILINE)


def _from_prisma(app: AppDir, found: Findings) -> None:
    """The database a Prisma schema's ``datasource`` block names (Prisma's default and multi-file locations)."""
    schemas = [n for n in ("schema.prisma", "prisma/schema.prisma") if app.has(n)]
    schemas += [f"{folder}/{n}" for folder in ("prisma", "prisma/schema") for n in app.files(folder) if n.endswith(".prisma")]
    for name in dict.fromkeys(schemas):
        text = app.read(name) or ""
        for block in _PRISMA_DATASOURCE.finditer(text):
            provider = _PRISMA_PROVIDER.search(block.group("body"))
            kind = _PRISMA_PROVIDERS.get(provider.group("name")) if provider else None
            if provider and kind:
                line = text.count("\n", 0, block.start("body") + provider.start("name")) + 1
                found.add_service(kind, Evidence(app.rel(name), line, f"Prisma datasource provider {provider.group('name')!r}"))


_MAJOR_IN_NAME = re.compile(r"/v(\d+)$")


def _client_major(app: AppDir, dep: str, evidence: Evidence, kind: str, found: Findings) -> None:
    """The major version a client dependency pins (``elasticsearch==5.5.3``, ``"^7.10.0"``, ``.../v8``)."""
    major = _MAJOR_IN_NAME.search(dep)
    if major is None and evidence.line is not None:
        text = app.tree.line_text(evidence.path, evidence.line)
        # The first version after the name: "==5.5.3", ">=7,<8", "^8.1.0", "~> 7.0", "<version>7.17.0".
        major = re.search(rf"{re.escape(dep)}\b(?:\[[^\]]*\])?\W*?(?:==|~=|>=|\^|~>?|=|:|\s|>)\s*[\"']?v?(\d+)(?:\.|[\"',<\s]|$)", text, re.IGNORECASE)
    if major is not None:
        found.service_versions.setdefault(kind, major.group(1))
        found.add_service(kind, Evidence(evidence.path, evidence.line, f"client {dep} {major.group(1)}.x needs a {major.group(1)}.x server"))


def _from_env(name: str, value: str | None, evidence: Evidence, found: Findings) -> None:
    by_value = service_for_url(value) if value else None
    if by_value:
        found.add_service(by_value, Evidence(evidence.path, evidence.line, f"{name} is a {by_value} URL"))
    elif name.upper() in _DRIVER_VARS and value and value.lower() in _DRIVER_VALUES:
        kind = _DRIVER_VALUES[value.lower()]
        found.add_service(kind, Evidence(evidence.path, evidence.line, f"{name}={value}"))
    by_name = service_for_env_name(name)
    if by_name:
        found.add_service(by_name, Evidence(evidence.path, evidence.line, f"reads {name}"))


def _from_compose(app: AppDir, found: Findings) -> None:
    """Services from a compose file in the app folder, or at the root naming this app."""
    folder = app.path
    while True:
        for name in COMPOSE_FILES:
            path = join(folder, name)
            if app.tree.exists(path):
                _compose_services(app, app.tree, path, folder, found)
        if folder == ".":
            return
        folder = folder.rpartition("/")[0] or "."


def _compose_services(app: AppDir, tree: SourceTree, path: str, folder: str, found: Findings) -> None:
    data = tree.read_yaml(path)
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return
    linked = _services_for_app(app, services, folder)
    wanted = linked if folder != app.path else set(services)
    for key in sorted(wanted):
        spec = services.get(key)
        image = spec.get("image") if isinstance(spec, dict) else None
        kind = service_for_image(image) if isinstance(image, str) else None
        if kind and isinstance(image, str):
            line = tree.line_of(path, rf"^\s*image:\s*['\"]?{re.escape(image)}")
            for_app = " for this app" if key in linked else ""
            evidence = Evidence(path, line, f"compose service {key!r} runs {image}{for_app}")
            found.add_service(kind, evidence)
            if for_app:
                # The project's own dev setup runs the app against it: its default configuration uses it.
                found.decide_service(kind, "default", evidence)


def _services_for_app(app: AppDir, services: dict[str, Any], folder: str) -> set[str]:
    """Names of compose services that the compose service building ``app`` depends on or links to."""
    wanted: set[str] = set()
    for spec in services.values():
        if not isinstance(spec, dict):
            continue
        build = spec.get("build")
        context = build.get("context") if isinstance(build, dict) else build
        if not isinstance(context, str) or _normalise(join(folder, context)) != app.path:
            continue
        for key in ("depends_on", "links"):
            names = spec.get(key) or []
            wanted.update(names if isinstance(names, (list, dict)) else [])
    # ``links: ["db:database"]`` names the service before the colon.
    return {w.split(":")[0] for w in wanted if isinstance(w, str)}


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts) or "."


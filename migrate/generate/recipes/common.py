"""Pieces every language recipe uses: plan defaults, health probes, manifests."""

from __future__ import annotations

import posixpath
from typing import Any

from migrate.generate.plan import ContainerPlan, WatchRule
from migrate.generate.render import RenderError, slug, templates_dir
from migrate.profile import AppProfile

#: How long a fresh container may take before failed probes count (framework boot, migrations).
START_PERIOD_SECONDS = 20

# Probes run by the runtime itself: slim images have no curl or wget.
_HTTP_PROBES: dict[str, tuple[str, ...]] = {
    "python": (
        "python",
        "-c",
        "import sys, urllib.request; "
        "sys.exit(0 if urllib.request.urlopen('{url}', timeout=3).status < 400 else 1)",
    ),
    "node": (
        "node",
        "-e",
        "fetch('{url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
    ),
    "ruby": ("ruby", "-rnet/http", "-e", "exit(Net::HTTP.get_response(URI('{url}')).code.to_i < 400)"),
    # file_get_contents fails (false) on a status >= 400; redirects are followed.
    "php": (
        "php",
        "-r",
        "exit(@file_get_contents('{url}', false, stream_context_create(['http' => ['timeout' => 3]])) === false ? 1 : 0);",
    ),
}
_TCP_PROBES: dict[str, tuple[str, ...]] = {
    "python": ("python", "-c", "import socket; socket.create_connection(('127.0.0.1', {port}), 3).close()"),
    "node": (
        "node",
        "-e",
        "require('net').connect({port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))",
    ),
    "ruby": ("ruby", "-rsocket", "-e", "Socket.tcp('127.0.0.1', {port}, connect_timeout: 3).close"),
    "php": ("php", "-r", "exit(@fsockopen('127.0.0.1', {port}, timeout: 3) ? 0 : 1);"),
}


def http_probe(runtime: str, port: int | None, path: str | None) -> tuple[str, ...] | None:
    """An exec-form probe using ``runtime`` that passes when the app answers on ``port``.

    With a health path it checks for an HTTP status below 400; without one it
    checks that the port accepts connections (honest: no route is invented).
    """
    if port is None:
        return None
    if path:
        url = f"http://127.0.0.1:{port}{path}"
        return tuple(part.replace("{url}", url) for part in _HTTP_PROBES[runtime])
    return tuple(part.replace("{port}", str(port)) for part in _TCP_PROBES[runtime])


#: Where the probe built by the ``probe_stage`` or ``rust_probe_stage`` macro lands in runtime images.
PROBE_PATH = "/usr/local/bin/probe"


def probe_source(name: str) -> tuple[str, ...]:
    """The lines of a health probe's source (``dockerfile_templates/probes/NAME``), comments left out.

    A Dockerfile writes them with ``printf '%s\\n' 'line'...`` (the classic builder has no heredocs),
    so no line may hold a single quote.
    """
    text = (templates_dir() / "probes" / name).read_text(encoding="utf-8")
    lines = tuple(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("//"))
    quoted = [n for n, line in enumerate(lines, 1) if "'" in line]
    if quoted:
        raise RenderError(f"probes/{name}:{quoted[0]}: a single quote cannot be written by printf in a RUN")
    return lines


def static_probe(port: int | None, path: str | None) -> tuple[str, ...] | None:
    """A HEALTHCHECK command using the static probe (for images with no HTTP client)."""
    if port is None:
        return None
    return (PROBE_PATH, f"http://127.0.0.1:{port}{path}" if path else f"127.0.0.1:{port}")


def tcp_or_http(app: AppProfile, probe: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The probe, or None for apps that serve no port (workers)."""
    return probe if app.port.value is not None else None


def manifests(app: AppProfile) -> list[str]:
    """Dependency manifests and lockfiles (app-relative), copied before the source for layer caching."""
    listed = app.detail("manifests")
    return listed.split() if listed else []


def build_context(app: AppProfile) -> str:
    """The folder (tree-relative) compose builds from: the workspace root for a member, else the app."""
    return app.detail("workspace_root") or app.path


def in_context(app: AppProfile, path: str) -> str | None:
    """An app-relative path (``../pom.xml``) as a build-context-relative one; None when outside it.

    A trailing ``/`` (a folder) is kept.
    """
    joined = posixpath.normpath(posixpath.join(app.path, path.rstrip("/")))
    relative = posixpath.relpath(joined, build_context(app))
    if relative == ".." or relative.startswith("../"):
        return None
    return relative + "/" if path.endswith("/") else relative


def copy_groups(paths: list[str]) -> list[list[str]]:
    """JSON-form ``COPY`` argument lists that recreate context-relative ``paths`` at the same places.

    Files of one folder share one instruction (``["a/pom.xml", "a/mvnw", "a/"]``);
    a folder (a trailing ``/``) gets its own, since COPY copies a folder's contents.
    """
    groups: dict[tuple[bool, str], list[str]] = {}
    for path in paths:
        is_folder = path.endswith("/")
        target = path if is_folder else (posixpath.dirname(path) + "/" if "/" in path else "./")
        groups.setdefault((is_folder, target), []).append(path)
    return [[*sources, target] for (_, target), sources in groups.items()]


def base_plan(
    app: AppProfile,
    *,
    template: str,
    images: dict[str, str],
    cmd: tuple[str, ...],
    dev_cmd: tuple[str, ...],
    healthcheck: tuple[str, ...] | None,
    values: dict[str, Any],
    watch: tuple[WatchRule, ...] = (),
    post_create: str | None = None,
    extensions: tuple[str, ...] = (),
) -> ContainerPlan:
    """A :class:`ContainerPlan` with the fields every recipe shares filled from ``app``."""
    return ContainerPlan(
        app=app,
        service=slug(app.name),
        template=template,
        images=images,
        cmd=cmd,
        dev_cmd=dev_cmd,
        healthcheck=healthcheck,
        port=app.port.value,
        values=values,
        watch=watch,
        post_create=post_create,
        extensions=extensions,
    )

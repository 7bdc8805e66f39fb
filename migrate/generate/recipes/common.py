"""Pieces every language recipe uses: plan defaults, manifests, build contexts (probes: :mod:`migrate.generate.probes`)."""

from __future__ import annotations

import posixpath
from typing import Any

from migrate.generate.plan import ContainerPlan, WatchRule, dockerfile_path
from migrate.generate.processes import release_of, workers_of
from migrate.generate.render import RenderError, slug, templates_dir
from migrate.profile import AppProfile

__all__ = ["dockerfile_path"]  # re-exported: the recipes name the Dockerfile in their failing CMDs


#: Build-time stand-ins that parse as their kind: settings code validates what it reads
#: (dj-database-url rejects "build-placeholder"), so a URL variable gets a URL. First match wins.
_PLACEHOLDER_URLS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("SENTRY",), "https://build@localhost/1"),
    (("REDIS", "CACHE"), "redis://localhost:6379/0"),
    (("AMQP", "RABBIT", "BROKER", "CELERY"), "amqp://build:build@localhost:5672//"),
    (("MYSQL", "MARIADB"), "mysql://build:build@localhost:3306/build"),
    (("MONGO",), "mongodb://localhost:27017/build"),
    (("DATABASE", "POSTGRES", "PG", "DB", "SQL"), "postgres://build@localhost/build"),
)


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


def build_placeholder(name: str) -> str:
    """A value for required variable ``name`` during a build step only, shaped like what it holds."""
    words = set(name.upper().split("_"))
    if words & {"URL", "URI", "DSN"}:
        upper = name.upper()
        return next((url for keys, url in _PLACEHOLDER_URLS if any(k in upper for k in keys)), "http://localhost/")
    if words & {"PORT"}:
        return "0"
    return "build-placeholder"


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
        workers=workers_of(app),
        release=release_of(app),
    )

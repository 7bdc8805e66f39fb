"""Deno: the official Debian-based image, dependencies cached into ``DENO_DIR`` before the source.

The image brings its own non-root user (``deno``, uid 1993, owner of ``DENO_DIR``) and tini as
PID 1 (its entrypoint), so ``docker stop``'s SIGTERM reaches Deno, which exits on it.
"""

from __future__ import annotations

import dataclasses
import re

from migrate.generate.plan import ContainerPlan, WatchRule, start_argv
from migrate.generate.probes import Probe, probe_of
from migrate.generate.recipes.common import base_plan, dockerfile_path, manifests
from migrate.generate.versions import DENO_RELEASES, RUNTIME_IMAGES
from migrate.profile import AppProfile

#: The image's own unprivileged user (denoland/deno creates it and gives it DENO_DIR).
USER, UID = "deno", 1993
DENO_DIR = "/deno-dir"
_FULL_VERSION = re.compile(r"\d+\.\d+\.\d+")

# Probes run by Deno itself (the image has no curl); `deno eval` has every permission. Both ask the
# container's own non-loopback address, the one clients reach; redirects are answers, not followed.
_ADDRESS = "const a = Deno.networkInterfaces().find((i) => i.family === 'IPv4' && !i.address.startsWith('127.')).address;"
_HTTP_PROBE = (
    _ADDRESS + " const r = await fetch(`http://${{a}}:{port}{path}`, {{ redirect: 'manual', signal: AbortSignal.timeout(3000) }});"
    " Deno.exit(r.status < {max} ? 0 : 1);"
)
_TCP_PROBE = _ADDRESS + " (await Deno.connect({{ hostname: a, port: {port} }})).close();"


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Deno app."""
    version = image_version(app.runtime_version.value)
    entrypoint = app.detail("entrypoint")
    # The entry file the detector found is a fact; with neither it nor a task, the CMD says so and fails.
    start = app.start_command.value or (f"deno run --allow-net --allow-env {entrypoint}" if entrypoint else None)
    files = manifests(app)
    lock = "deno.lock" in files
    values = {
        "manifests": files,
        "install_deps": _install_deps(version, lock) if files else None,
        "install": _install(app, lock),
        "build_command": app.build_command.value,
        "deno_dir": DENO_DIR,
        "uid": UID,
    }
    result = base_plan(
        app,
        template="deno.Dockerfile.j2",
        images={"runtime": RUNTIME_IMAGES["deno"].format(version=version)},
        cmd=start_argv(start, dockerfile_path(app)),
        dev_cmd=start_argv(dev_command(start) if start else None, dockerfile_path(app)),
        healthcheck=healthcheck(probe_of(app)),
        values=values,
        watch=(
            WatchRule("sync", ".", "/app", ignore=("node_modules/",)),
            *(WatchRule("rebuild", m) for m in files),
        ),
        post_create=app.detail("install_command") or "deno install",
        extensions=("denoland.vscode-deno",),
    )
    return dataclasses.replace(result, user=USER, uid=UID, notes=_notes(app, version))


def image_version(pinned: str | None) -> str:
    """A full Deno release (images have no major-only tags): the pinned one, else the major's default."""
    if pinned and _FULL_VERSION.fullmatch(pinned):
        return pinned
    major = (pinned or "2").split(".")[0]
    return DENO_RELEASES.get(major, DENO_RELEASES["2"])


def dev_command(start: str) -> str:
    """The start command with ``--watch`` (restart on change), when it is a ``deno run``/``deno serve``."""
    if "--watch" in start:
        return start
    return re.sub(r"^deno (run|serve)\b", r"deno \1 --watch", start, count=1)


def healthcheck(probe: Probe | None) -> tuple[str, ...] | None:
    """An exec-form probe run by Deno: an HTTP status below the probe's limit, else a TCP connect."""
    if probe is None:
        return None
    if probe.path:
        return ("deno", "eval", _HTTP_PROBE.format(port=probe.port, path=probe.path, max=probe.max_status))
    return ("deno", "eval", _TCP_PROBE.format(port=probe.port))


def _install_deps(version: str, lock: bool) -> str | None:
    """Deno 2 installs what the config and package.json list with no source (Deno 1 needs the entry file)."""
    if version.split(".")[0] == "1":
        return None
    return "deno install --frozen" if lock else "deno install"


def _install(app: AppProfile, lock: bool) -> str:
    """The whole module graph from the entry point (inline ``jsr:``/``npm:``/URL imports included)."""
    command = app.detail("install_command") or "deno install"
    if lock and command.startswith("deno install"):
        command = command.replace("deno install", "deno install --frozen", 1)
    return command


def _notes(app: AppProfile, version: str) -> tuple[str, ...]:
    notes = [
        (
            f"denoland/deno:debian-{version}: the official image on Debian; it runs as its own user `deno` "
            "(uid 1993), with tini as PID 1, so `docker stop` gets a clean exit."
        ),
        (
            f"Dependencies are cached in DENO_DIR ({DENO_DIR}) before the source is copied, then the whole module "
            "graph from the entry file; nothing is downloaded when the container starts."
        ),
    ]
    if app.runtime_version.value != version:
        notes.append(f"No full Deno release pinned (.dvmrc or .tool-versions): {version} is used; pin yours to match.")
    return tuple(notes)


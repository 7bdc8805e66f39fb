"""Turn one candidate app folder into an :class:`~migrate.profile.AppProfile`.

The order of steps is the order of trust: the user's own Procfile first, then
the ecosystem and its frameworks (most specific first), then code-level scans
(environment, health routes) and backing services, which need the
dependencies the ecosystem found.
"""

from __future__ import annotations

import re

from migrate.inspect import envvars, health, listen, procfile, service_status, services
from migrate.inspect.detectors.base import Findings
from migrate.inspect.discover import Candidate
from migrate.profile import AppProfile

# Facts worth a warning when unknown, and what to say.
_UNKNOWN = {
    "start_command": (
        "could not tell how to start it: the generated Dockerfile's CMD fails until you replace it "
        "(or add a Procfile web: line or a start script and run migrate init again)"
    ),
    "port": "could not tell which port it listens on",
    "runtime_version": "could not tell the runtime version",
}


def profile(candidate: Candidate) -> tuple[AppProfile, list[str], bool]:
    """Inspect one candidate: the profile, warnings about it, and whether it is runnable."""
    app, eco = candidate.app, candidate.ecosystem
    found = Findings()
    found.set("language", eco.language, candidate.claim.evidence)
    procfile.detect(app, found)
    eco.inspect(app, found)
    procfile.release_run_by_web(app, found)
    envvars.scan(app, found)
    listen.detect(found)
    _port_from_env(found)
    procfile.port_fallback(found)
    health.detect(app, found)
    services.detect(app, found, eco.language)
    service_status.decide(app, found, eco.language)
    for other in candidate.others:
        found.detail("also_" + other.language, str(other.evidence))
    found.detail("workspace_root", app.workspace_root)
    env = envvars.collect(found)
    name = found.name[0] if found.name else _folder_name(app.path, app.tree.root.name)
    result = found.to_profile(name, app.path, env)
    runnable = result.start_command.is_known or result.framework.is_known
    warnings = list(found.warnings)
    for fact, message in _UNKNOWN.items():
        if not result.fact(fact).is_known and _expected(fact, result):
            warnings.append(message)
    return result, warnings, runnable


def _port_from_env(found: Findings) -> None:
    """``PORT`` read with a numeric default is the port the app listens on.

    Unless the start command binds its port explicitly (``gunicorn --bind
    0.0.0.0:8000``): then the PORT read belongs to another entry point (a dev
    server under ``__main__``), and taking it would contradict the command.
    """
    command, port = found.get("start_command"), found.get("port")
    if isinstance(command, str) and port is not None and re.search(rf"[:=\s]{port}\b", command):
        return
    for read in found.env_reads:
        if read.name == "PORT" and read.default and read.default.isdigit() and read.example is None:
            found.set("port", int(read.default), read.evidence)
            return


def _expected(fact: str, app: AppProfile) -> bool:
    """Whether an unknown ``fact`` is worth a warning for ``app``.

    A static site is files served by a web server: it has no runtime and no
    start command of its own, so their absence is not a gap.
    """
    if app.language.value == "static" and fact in {"start_command", "runtime_version"}:
        return False
    # An SPA build (Vite, static Next export...) is static files too, once built.
    if app.detail("static_output") == "true" and fact == "start_command":
        return False
    return fact != "port" or _serves_http(app)


def _serves_http(app: AppProfile) -> bool:
    return app.framework.value not in {"celery", "worker"} and app.language.value != "static"


def _folder_name(path: str, root_name: str) -> str:
    return root_name if path == "." else path.rsplit("/", 1)[-1]

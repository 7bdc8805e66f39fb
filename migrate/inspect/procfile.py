"""Procfile-driven apps (Heroku, Dokku, foreman): explicit process commands.

A Procfile is the user's own statement of how the app runs, so its ``web``
process beats any framework guess for the start command.
"""

from __future__ import annotations

import re

from migrate.inspect.detectors.base import AppDir, Findings
from migrate.profile import Evidence

_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.+?)\s*$")
_PORT_FLAG = re.compile(r"(?:--port[= ]|-p\s+|--bind[= ]\S*:|-b\s+\S*:|:)(\d{2,5})\b")


def detect(app: AppDir, found: Findings) -> None:
    """Record the Procfile's processes; its ``web`` (or only) process is the start command."""
    text = app.read("Procfile")
    if text is None:
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _LINE.match(raw)
        if match and not raw.lstrip().startswith("#"):
            evidence = Evidence(app.rel("Procfile"), number, f"Procfile {match.group(1)} process")
            found.add_process(match.group(1), match.group(2), evidence)
    web = found.processes.get("web") or (next(iter(found.processes.values())) if len(found.processes) == 1 else None)
    if web is None:
        return
    found.set("start_command", web.command, *web.evidence)
    port = _PORT_FLAG.search(web.command)
    if port:
        found.set("port", int(port.group(1)), *web.evidence)
    release = found.processes.get("release")
    if release is not None:
        found.detail("release_command", release.command)

"""Where the app listens: a listen-address setting whose default is loopback.

Many servers read their address from the environment (``LISTEN_ADDR``,
``HOST``, ``BIND_ADDRESS``...) and default to ``127.0.0.1`` or ``localhost``,
safe on a laptop and unreachable in a container: a client, a load balancer
or compose's port mapping connects to the container's own address, never
its loopback. Such a setting is recorded as the ``listen_env`` detail
(``LISTEN_ADDR=0.0.0.0:8080``), which the image sets, so the app binds every
interface through its own setting.
"""

from __future__ import annotations

import re

from migrate.inspect.detectors.base import EnvRead, Findings
from migrate.profile import Evidence

#: Variables that name the address a server binds (not HOSTNAME: Docker sets it to the container id).
ADDRESS_VARIABLES = frozenset({
    "LISTEN_ADDR", "LISTEN_ADDRESS", "LISTEN_HOST", "LISTEN_IP", "BIND", "BIND_ADDR", "BIND_ADDRESS", "BIND_HOST",
    "HOST", "HTTP_ADDR", "HTTP_ADDRESS", "HTTP_LISTEN_ADDR", "SERVER_HOST", "SERVER_ADDR", "SERVER_ADDRESS",
    "SERVER_LISTEN_ADDR", "APP_HOST", "WEB_HOST", "ADDR",
})
# ``127.0.0.1``, ``localhost``, ``[::1]``, ``::1``, each with an optional ``:port``.
_LOOPBACK = re.compile(r"^(?:https?://)?(?:127\.0\.0\.1|localhost|\[::1\]|::1)(?::(\d{2,5}))?/?$")


def detect(found: Findings) -> None:
    """Record the first loopback-defaulting address setting as ``listen_env``; its port, when none was found."""
    for read in found.env_reads:
        if read.name not in ADDRESS_VARIABLES or read.example is not None or read.default is None:
            continue
        match = _LOOPBACK.match(read.default.strip())
        if match is None:
            continue
        port = match.group(1)
        found.detail("listen_env", f"{read.name}=0.0.0.0" + (f":{port}" if port else ""))
        if port:
            _port(found, read, int(port))
        return


def _port(found: Findings, read: EnvRead, port: int) -> None:
    """The port of the default address, unless the code said more specifically where it listens."""
    reason = f"{read.name} defaults to {read.default}: port {port}, bound to every interface in the image"
    found.set("port", port, Evidence(read.evidence.path, read.evidence.line, reason))

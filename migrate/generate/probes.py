"""Health probes: what a HEALTHCHECK asks of an app, and the command each runtime runs to ask it.

Two rules hold for every language. The probe connects to the container's own
network address, the one clients reach, never loopback: an app listening on
127.0.0.1 only is unreachable, and must not report healthy. And where the app
speaks HTTP the probe asks for an answer, not only a connection: a server
whose master process listens while its workers crash-loop (gunicorn with an
app that raises at import) accepts connections and answers nothing.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import quote

from migrate.profile import AppProfile
from migrate.shell import parse

#: Start commands of servers that speak HTTP (a port alone does not say so: it may be a raw TCP server).
_HTTP_SERVERS = frozenset({
    "gunicorn", "uvicorn", "hypercorn", "daphne", "waitress-serve", "granian", "streamlit", "flask", "fastapi",
    "puma", "rails", "rackup", "unicorn", "thin", "falcon", "next", "nuxt", "remix-serve", "react-router-serve",
    "apache2-foreground", "nginx", "php", "frankenphp",
})
#: Apps served by an HTTP server of the recipe's own (Apache for PHP, nginx), always built as web apps
#: (Java), or whose detector finds a port only in HTTP serving calls (Deno.serve, std serve, Oak/Hono).
_HTTP_LANGUAGES = frozenset({"php", "static", "java", "deno"})
#: Frameworks that run no server at all.
_NOT_SERVERS = frozenset({"celery", "worker"})


@dataclass(frozen=True)
class Probe:
    """What a HEALTHCHECK asks of the app, from the container's own network address.

    The address is the one a client reaches (never loopback): an app that
    listens on 127.0.0.1 only is unreachable from outside, and must not pass.
    With a ``path`` the app must answer HTTP with a status below
    ``max_status``: its health path below 400, else ``/`` below 500 (any answer
    but a server error means it serves requests). Without one (an app not known
    to speak HTTP) a TCP connection is all that can be asked.
    """

    port: int
    path: str | None
    max_status: int = 500


def probe_of(app: AppProfile) -> Probe | None:
    """The probe of ``app``: None when it serves no port (a worker)."""
    port = app.port.value
    if port is None:
        return None
    if app.health_path.value:
        # Quoted: the path is written inside each runtime's string literal, so a quote must never end it.
        return Probe(port, "/" + quote(app.health_path.value.lstrip("/"), safe="/-._~"), 400)
    return Probe(port, "/", 500) if speaks_http(app) else Probe(port, None)


def speaks_http(app: AppProfile) -> bool:
    """Whether ``app`` serves HTTP on its port: a web framework, an HTTP server, or a ``web`` process."""
    framework = app.framework.value
    if framework in _NOT_SERVERS:
        return False
    if framework is not None or app.health_path.value or app.detail("port_env") or app.detail("serves_http") \
            or app.language.value in _HTTP_LANGUAGES:
        return True
    # The server is the chain's last command (`flask db upgrade; gunicorn app:app`), not its first word.
    words = parse(app.start_command.value or "").words
    words = words[2:] if words[:2] == ("bundle", "exec") else words
    return bool(words) and posixpath.basename(words[0]) in _HTTP_SERVERS


# Probes run by the runtime itself (slim images have no curl or wget), each finding the container's
# non-loopback address first. {port}, {path} and {max} are filled in; a missing address fails the probe.
_HTTP_PROBES: dict[str, str] = {
    # Host: localhost, the one name a Python web framework's host check lets through by default
    # (Django's ALLOWED_HOSTS in development and the examples' defaults, Flask's TRUSTED_HOSTS): with
    # the container's IP as Host, Django answers 400 to every probe and the app is never healthy.
    "python": (
        "import http.client, socket, sys; "
        "c = http.client.HTTPConnection(socket.gethostbyname(socket.gethostname()), {port}, timeout=3); "
        "c.request('GET', '{path}', headers={'Host': 'localhost'}); sys.exit(0 if c.getresponse().status < {max} else 1)"
    ),
    "node": (
        "const a = Object.values(require('os').networkInterfaces()).flat()"
        ".find((i) => !i.internal && (i.family === 'IPv4' || i.family === 4)); "
        "require('http').get({ host: a.address, port: {port}, path: '{path}', timeout: 3000 }, "
        "(r) => process.exit(r.statusCode < {max} ? 0 : 1))"
        ".on('timeout', () => process.exit(1)).on('error', () => process.exit(1))"
    ),
    "ruby": (
        "ip = Socket.ip_address_list.find { |a| a.ipv4? && !a.ipv4_loopback? }.ip_address; "
        "exit(Net::HTTP.start(ip, {port}, open_timeout: 3, read_timeout: 3) { |h| h.get('{path}').code.to_i } < {max})"
    ),
    # ignore_errors: the body (and status line) of any status is read, not only of a 2xx.
    "php": (
        "$c = stream_context_create(['http' => ['timeout' => 3, 'ignore_errors' => true, 'follow_location' => 0]]); "
        "$ok = @file_get_contents('http://' . gethostbyname(gethostname()) . ':{port}{path}', false, $c) !== false; "
        "exit($ok && (int) substr($http_response_header[0], 9, 3) < {max} ? 0 : 1);"
    ),
}
_TCP_PROBES: dict[str, str] = {
    "python": "import socket; socket.create_connection((socket.gethostbyname(socket.gethostname()), {port}), 3).close()",
    "node": (
        "const a = Object.values(require('os').networkInterfaces()).flat()"
        ".find((i) => !i.internal && (i.family === 'IPv4' || i.family === 4)); "
        "require('net').connect({port}, a.address).on('connect', () => process.exit(0)).on('error', () => process.exit(1))"
    ),
    "ruby": "Socket.tcp(Socket.ip_address_list.find { |a| a.ipv4? && !a.ipv4_loopback? }.ip_address, {port}, connect_timeout: 3).close",
    "php": "exit(@fsockopen(gethostbyname(gethostname()), {port}, timeout: 3) ? 0 : 1);",
}
_RUNTIME_ARGV: dict[str, tuple[str, ...]] = {
    "python": ("python", "-c"),
    "node": ("node", "-e"),
    "ruby": ("ruby", "-rnet/http", "-e"),
    "php": ("php", "-r"),
}


def http_probe(runtime: str, probe: Probe | None) -> tuple[str, ...] | None:
    """An exec-form HEALTHCHECK run by ``runtime`` itself (python, node, ruby, php), or None for no probe."""
    if probe is None:
        return None
    code = _HTTP_PROBES[runtime] if probe.path else _TCP_PROBES[runtime]
    return (*_RUNTIME_ARGV[runtime], _fill(code, probe))


def _fill(code: str, probe: Probe) -> str:
    """``code`` with the probe's port, path and status bound (``str.format`` would trip on the braces)."""
    return code.replace("{port}", str(probe.port)).replace("{path}", probe.path or "/").replace("{max}", str(probe.max_status))


#: Where the static probe built by the ``probe_stage`` (Go) or ``rust_probe_stage`` macro lands in runtime images
#: (.NET runs its probe.dll with ``dotnet`` instead, same arguments).
PROBE_PATH = "/usr/local/bin/probe"


def static_probe(probe: Probe | None) -> tuple[str, ...] | None:
    """A HEALTHCHECK command using the static probe (for images with no HTTP client): ``probe PORT [PATH MAX]``."""
    if probe is None:
        return None
    tail = (probe.path, str(probe.max_status)) if probe.path else ()
    return (PROBE_PATH, str(probe.port), *tail)

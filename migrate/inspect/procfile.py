"""Procfile-driven apps (Heroku, Dokku, foreman): explicit process commands.

A Procfile is the user's own statement of how the app runs, so its ``web``
process beats any framework guess for the start command. A Procfile is not an
ecosystem: it never makes a folder an app by itself, it only describes an app
some ecosystem claimed.

The ``release`` process is a one-off command run before each deploy
(migrations), not a long-running process: it is recorded as the
``release_command`` detail only.
"""

from __future__ import annotations

import re

from migrate.inspect.detectors.base import AppDir, EnvRead, Findings
from migrate.profile import Evidence, Process
from migrate.shell import CommandLine, parse

_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.+?)\s*$")
# A fixed port in a server command line: --port 5000, -p 5000, --bind 0.0.0.0:5000, -Dserver.port=5000,
# or a listen address ":5000" / "0.0.0.0:5000" (not "db:5432", which is another host's port).
_PORT_FLAG = re.compile(
    r"(?:--port[= ]|(?<!\S)-p\s*|--bind[= ]\S*?:|(?<!\S)-b\s*\S*?:|\.port=|(?:^|[\s=])(?:0\.0\.0\.0|\[::\]|localhost|127\.0\.0\.1|\*)?:)"
    r"(\d{2,5})\b"
)
# ``${PORT:-5000}``: the platform's PORT, with the port the app uses when none is given.
_PORT_FALLBACK = re.compile(r"\$\{PORT:?-(\d{2,5})\}")
_PORT_VAR = re.compile(r"\$(?:PORT\b|\{PORT\b)")
# gunicorn with no bind of its own listens on 0.0.0.0:$PORT when PORT is set (its documented default).
_BIND_FLAG = re.compile(r"(?<!\S)(?:-b|--bind)(?:[= ]|\S)")
_CONFIG_FLAG = re.compile(r"(?<!\S)(?:-c|--config)[= ](?:python:)?(\S+)")
_CONFIG_BIND = re.compile(r"^\s*bind\s*=", re.MULTILINE)
# Servers that listen on loopback unless told a host, and the setting each reads from the environment.
_HOST_SETTINGS = (
    (re.compile(r"^uvicorn\b"), re.compile(r"(?<!\S)--host\b|(?<!\S)--uds\b|(?<!\S)--fd\b"), "UVICORN_HOST"),
    (re.compile(r"^(?:python\s+-m\s+)?flask\b.*\brun\b"), re.compile(r"(?<!\S)(?:--host|-h)\b"), "FLASK_RUN_HOST"),
)
# Servers that listen on loopback unless their command line (or a config file) binds, with no setting to open them.
_LOOPBACK_BY_DEFAULT = ((re.compile(r"^hypercorn\b"), re.compile(r"(?<!\S)(?:-b|--bind|-c|--config)\b"), "127.0.0.1:8000"),)
# A bind to loopback written into the command itself: no setting can open it.
_LOOPBACK_BIND = re.compile(r"(?:--bind[= ]|(?<!\S)-b\s*|--host[= ]|(?<!\S)-h\s+)(?:127\.0\.0\.1|localhost|\[::1\])\b")
# The app a WSGI/ASGI server is given as its first argument: ``gunicorn myapp.wsgi``, ``uvicorn main:app``.
_SERVED_APP = re.compile(r"\b(gunicorn|uvicorn|hypercorn)\s+['\"]?((?:[\w.-]+/)*[A-Za-z_][\w.]*(?::[\w.()'\"]+)?)(?=\s|$)")


def detect(app: AppDir, found: Findings) -> None:
    """Record the Procfile's processes; its ``web`` (or only) process is the start command."""
    text = app.read("Procfile")
    if text is None:
        return
    release: Process | None = None
    for number, name, command in _entries(text):
        evidence = Evidence(app.rel("Procfile"), number, f"Procfile {name} process")
        if name == "release":
            release = release or Process(name, command, (evidence,))
        else:
            found.add_process(name, command, evidence)
    if release is not None:
        found.detail("release_command", release.command)
    web = found.processes.get("web") or (next(iter(found.processes.values())) if len(found.processes) == 1 else None)
    if web is not None:
        found.set("start_command", web.command, *web.evidence)
        # A chain (`flask db upgrade; gunicorn app:app`) runs its steps on every start, as the Procfile
        # says (Heroku does the same), and stays whole in the start command; its last command serves.
        line = parse(web.command)
        _port(line, web, found)
        _honours_port(app, line, found)
        _listen_host(line, found)
        _served_app(line, found)


def _entries(text: str) -> list[tuple[int, str, str]]:
    """``(line number, process name, command)`` of each Procfile line."""
    matches = ((number, _LINE.match(raw)) for number, raw in enumerate(text.splitlines(), start=1))
    return [(number, m.group(1), m.group(2)) for number, m in matches if m is not None]


def release_run_by_web(app: AppDir, found: Findings) -> None:
    """Drop a framework's release step that the Procfile's web process already runs before its server.

    ``web: flask db upgrade; gunicorn app:app`` migrates on every start, as the
    user chose (Heroku runs it so on every dyno): the chain stays the start
    command, and the same migration is not added as a release step too (it
    would run twice, and the docs would say it does not run in CMD). A
    Procfile ``release:`` line is the user's own and always stays.
    """
    web, release = found.processes.get("web"), found.details.get("release_command")
    if web is None or release is None or any(name == "release" for _, name, _ in _entries(app.read("Procfile") or "")):
        return
    step = next((s for s in parse(web.command).steps if _same_step(s, release)), None)
    if step is None:
        return
    del found.details["release_command"]
    where = web.evidence[0]
    found.warnings.append(
        f"{where.path}:{where.line}: the web process runs {step} before its server on every start, so it is not "
        f"also a release step ({release}); to run it once per deploy instead, move it to a Procfile release: line"
    )


def _same_step(step: str, release: str) -> bool:
    """Whether ``step`` runs the command ``release`` runs, give or take options (``--app X``, ``--noinput``).

    Same program, same last word that is not an option, and every other word of
    the step found in the release: ``flask db upgrade`` is ``flask --app blog:app db upgrade``.
    """
    ours, theirs = parse(step).words, parse(release).words
    plain = [w for w in ours if not w.startswith("-")]
    if len(plain) < 2 or not theirs or ours[0] != theirs[0]:
        return False
    return plain[-1] == [w for w in theirs if not w.startswith("-")][-1] and set(plain) <= set(theirs)


def _port(line: CommandLine, web: Process, found: Findings) -> None:
    """A port fixed on the server's command line; ``$PORT`` is noted so the container sets it."""
    fixed = _PORT_FLAG.search(line.server) or _PORT_FALLBACK.search(line.server)
    if fixed:
        found.set("port", int(fixed.group(1)), *web.evidence)
    if _PORT_VAR.search(line.server):
        found.detail("port_env", "PORT")


def _honours_port(app: AppDir, line: CommandLine, found: Findings) -> None:
    """A server that listens on ``$PORT`` by itself (gunicorn with no bind on its command line or in its config).

    Heroku, Cloud Foundry and buildpacks set PORT for the web process; a
    container must do the same, or gunicorn listens on 127.0.0.1:8000 where
    nothing outside the container reaches it.
    """
    if line.program != "gunicorn" or _BIND_FLAG.search(line.server):
        return
    config = _CONFIG_FLAG.search(line.server)
    # gunicorn reads ./gunicorn.conf.py by itself when no --config is given (./: where `cd` steps left it).
    path = line.path(config.group(1) if config else "gunicorn.conf.py")
    if path is None:
        return  # it runs from a folder outside the tree (`cd /srv`): its config cannot be read
    text = app.read(path)
    if text is not None and _CONFIG_BIND.search(text):
        return  # the config binds (often from PORT, read with its own default: the env scan finds it)
    found.detail("port_env", "PORT")


def _listen_host(line: CommandLine, found: Findings) -> None:
    """Open a server that listens on loopback by default (uvicorn, ``flask run``) through its own setting."""
    if _LOOPBACK_BIND.search(line.server):
        found.warnings.append(
            f"the web process listens on loopback ({line.server}): nothing outside the container can reach it; bind 0.0.0.0"
        )
        return
    server_words = " ".join(line.words)
    for server, bind_flag, address in _LOOPBACK_BY_DEFAULT:
        if server.match(server_words) and not bind_flag.search(server_words):
            found.warnings.append(
                f"the web process ({line.server}) names no bind, so it listens on {address} only: nothing outside "
                "the container can reach it; add --bind 0.0.0.0:$PORT"
            )
            return
    for server, host_flag, setting in _HOST_SETTINGS:
        if server.match(server_words) and not host_flag.search(server_words):
            found.detail("listen_env", f"{setting}=0.0.0.0")
            return


def _served_app(line: CommandLine, found: Findings) -> None:
    """The WSGI/ASGI app the Procfile serves, so framework details agree with the start command."""
    match = _SERVED_APP.search(line.server)
    if match is None:
        return
    server, target = match.groups()
    # hypercorn takes a module as a path (src/api:app: module api, its folder put on sys.path).
    target = target.rpartition("/")[2]
    if server == "gunicorn":
        # gunicorn looks for ``application`` when the target names only a module.
        found.detail("wsgi_app", target if ":" in target else f"{target}:application")
    elif server == "hypercorn":
        # hypercorn looks for ``app`` when the target names only a module.
        found.detail("asgi_app", target if ":" in target else f"{target}:app")
    elif ":" in target:
        found.detail("asgi_app", target)


#: The port chosen for a web process that binds ``$PORT`` when nothing else set one.
PORT_FOR_PORT_ENV = 8000


def port_fallback(found: Findings) -> None:
    """An app that listens on ``$PORT`` listens where it is told: choose 8000 when no detector chose.

    Two signs of the convention: the web process binds ``$PORT`` (or its server
    does by itself), or the code reads ``PORT`` with no default of its own.
    Runs after the ecosystem, so a framework's own default (set with the
    same ``port_env`` convention) wins; later stages set ``PORT`` to the port.
    """
    if found.has("port"):
        return
    web = found.processes.get("web")
    if found.details.get("port_env") == "PORT" and web is not None:
        where, why = web.evidence[0], "the web process binds $PORT"
    else:
        read = _port_read_without_default(found)
        if read is None:
            return
        found.detail("port_env", "PORT")
        where, why = read.evidence, "the code reads PORT with no default (the platform sets it)"
    reason = f"{why}; PORT={PORT_FOR_PORT_ENV} is set for it"
    found.set("port", PORT_FOR_PORT_ENV, Evidence(where.path, where.line, reason), default=True)


def _port_read_without_default(found: Findings) -> EnvRead | None:
    """The code's read of ``PORT`` when no read gives it a default, for a server app (not a worker)."""
    if found.details.get("worker") or not (found.has("start_command") or found.has("framework")):
        return None
    reads = [r for r in found.env_reads if r.name == "PORT" and r.example is None]
    # A default value, not "optional": `process.env.PORT` is an optional read (undefined, no crash)
    # with no default, which is exactly the $PORT convention; `process.env.PORT || 3000` is not.
    if not reads or any(r.default is not None for r in reads):
        return None
    return reads[0]

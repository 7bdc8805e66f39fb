"""Health probes answer the questions a client asks: reachable from outside, and answering.

Every runtime's probe targets the container's own (non-loopback) address: an app
listening on 127.0.0.1 only is unreachable, so it must report unhealthy. An app
that speaks HTTP is asked for an answer (its health path below 400, else ``/``
below 500), never only a TCP connection: a gunicorn master whose workers
crash-loop accepts connections and answers nothing.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import MakeTree

from migrate.generate import generate
from migrate.generate.probes import Probe, http_probe, probe_of, speaks_http, static_probe
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree

#: One HTTP app without a health route per language (each listens on a port the detector finds).
HTTP_APPS: dict[str, dict[str, str | bytes]] = {
    "python": {"requirements.txt": "flask==3.0.3\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"},
    "node": {
        "package.json": '{"name": "api", "scripts": {"start": "node server.js"}, "dependencies": {"express": "^4"}}\n',
        "server.js": "require('express')().listen(3000);\n",
    },
    "ruby": {"Gemfile": 'source "https://rubygems.org"\ngem "rack"\ngem "puma"\n', "config.ru": "run ->(env) { [200, {}, ['ok']] }\n"},
    "php": {"index.php": "<?php echo 'hi';\n"},
    "go": {"go.mod": "module example.com/api\n\ngo 1.22\n", "main.go": 'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n'},
    "deno": {"deno.json": '{"tasks": {"start": "deno run --allow-net main.ts"}}\n', "main.ts": "Deno.serve({ port: 8000 }, () => new Response('hi'));\n"},
}
_LOOPBACK = re.compile(r"127\.0\.0\.1|localhost|'::1'")


@pytest.mark.parametrize("language", sorted(HTTP_APPS))
def test_http_apps_without_a_health_route_are_asked_for_an_answer_on_their_own_address(make_tree: MakeTree, language: str) -> None:
    (app,) = inspect_tree(make_tree(HTTP_APPS[language])).apps
    assert app.health_path.value is None and app.port.value is not None
    plan = plan_for(app)
    assert plan.healthcheck is not None and plan.probes_http
    probe = " ".join(plan.healthcheck)
    assert not _LOOPBACK.search(probe), probe  # the address a client reaches, never loopback
    assert "500" in probe  # any answer below a server error counts as alive
    assert "create_connection" not in probe and "Socket.tcp" not in probe and "fsockopen" not in probe


def test_a_health_route_must_answer_below_400() -> None:
    assert static_probe(Probe(8080, "/healthz", 400)) == ("/usr/local/bin/probe", "8080", "/healthz", "400")
    python = http_probe("python", Probe(8000, "/health", 400))
    assert python is not None and "c.request('GET', '/health')" in python[2] and "< 400" in python[2]
    assert "socket.gethostbyname(socket.gethostname())" in python[2] and "timeout=3" in python[2]


def test_a_server_not_known_to_speak_http_gets_a_tcp_probe_on_its_own_address(make_tree: MakeTree) -> None:
    files = {"requirements.txt": "pyzmq==26.2.0\n", "Procfile": "broker: python broker.py --port 5555\n", "broker.py": "import zmq\n"}
    (app,) = inspect_tree(make_tree(files)).apps
    assert app.port.value == 5555 and not speaks_http(app)
    probe = http_probe("python", probe_of(app))
    assert probe is not None and "create_connection((socket.gethostbyname(socket.gethostname()), 5555), 3)" in probe[2]


def test_compose_escapes_the_probes_own_dollar_signs(make_tree: MakeTree) -> None:
    files = {f.path: f.content for f in generate(inspect_tree(make_tree(HTTP_APPS["php"])), ["compose"])}
    test_line = next(line for line in files["compose.yaml"].splitlines() if "test:" in line and "php" in line)
    argv = json.loads(test_line.split("test:", 1)[1])
    assert "$$c = stream_context_create(" in argv[-1] and "$c " not in argv[-1].replace("$$c", "")


def test_a_loopback_listen_setting_is_pointed_at_every_interface(make_tree: MakeTree) -> None:
    files = dict(HTTP_APPS["node"])
    files["server.js"] = "const host = process.env.HOST || '127.0.0.1';\nrequire('express')().listen(Number(process.env.PORT || 4000), host);\n"
    (app,) = inspect_tree(make_tree(files)).apps
    assert app.detail("listen_env") == "HOST=0.0.0.0" and app.port.value == 4000
    generated = {f.path: f.content for f in generate(inspect_tree(make_tree(files)), ["dockerfile", "compose"])}
    assert 'ENV HOST="0.0.0.0"' in generated["Dockerfile"]
    # compose's environment beats a .env copied from .env.example, which holds the code's default.
    assert '    environment:\n      HOST: "0.0.0.0"\n' in generated["compose.yaml"]


def test_a_listen_address_default_gives_the_port(make_tree: MakeTree) -> None:
    """miniflux-style: LISTEN_ADDR defaults to 127.0.0.1:8080; the image sets 0.0.0.0:8080."""
    files = {
        "go.mod": "module example.com/feeds\n\ngo 1.22\n",
        "main.go": 'package main\n\nimport (\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\taddr := os.Getenv("LISTEN_ADDR")\n'
        '\tif addr == "" {\n\t\taddr = "127.0.0.1:9090"\n\t}\n\thttp.ListenAndServe(addr, nil)\n}\n',
    }
    (app,) = inspect_tree(make_tree(files)).apps
    assert app.detail("listen_env") == "LISTEN_ADDR=0.0.0.0:9090" and app.port.value == 9090


def test_a_hostile_health_path_cannot_end_the_probes_string_literal() -> None:
    from migrate.profile import AppProfile, Fact

    app = AppProfile(name="x", path=".", language=Fact("python"), port=Fact(8000), health_path=Fact("/h'); import os; os.system('x"))
    probe = probe_of(app)
    assert probe is not None and "'" not in (probe.path or "") and probe.path.startswith("/h%27")

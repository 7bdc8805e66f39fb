"""A server that closes idle connections before the load balancer does turns some requests into 502s.

The ALB keeps an idle connection 60 s; Node's HTTP server closes one after 5 s unless the app sets
``keepAliveTimeout``. Inspect records where the app sets it; deploy warns when it is not above 60 s.
(Python servers get a longer keep-alive on their generated command: tests/generate/test_python_recipe.py.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migrate.deploy.workflow import keep_alive_warnings, load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SERVER = """const express = require('express');
const app = express();
app.get('/', (req, res) => res.send('ok'));
const server = app.listen(process.env.PORT || 3000);
{setting}
"""
PACKAGE = '{"name": "api", "scripts": {"start": "node server.js"}, "dependencies": {"express": "^5.1.0"}}\n'


def express(tmp_path: Path, setting: str) -> Path:
    root = tmp_path / "api"
    root.mkdir()
    (root / "package.json").write_text(PACKAGE)
    (root / "server.js").write_text(SERVER.format(setting=setting))
    return root


@pytest.mark.parametrize(("setting", "warning"), [
    ("", "api: Node's HTTP server closes idle connections after 5 s, before the load balancer's 60 s idle timeout, "
         "so some requests fail with 502: set server.keepAliveTimeout = 65000 and server.headersTimeout = 66000 where the server is created"),
    ("server.keepAliveTimeout = 30_000;", "api: keepAliveTimeout is 30000 ms (server.js:5), not above the load balancer's 60 s idle timeout"),
    ("server.keepAliveTimeout = 65000;\nserver.headersTimeout = 66000;", None),
])
def test_an_express_server_is_warned_unless_it_keeps_connections_longer(tmp_path: Path, setting: str, warning: str | None) -> None:
    warnings = keep_alive_warnings(load_project(express(tmp_path, setting)))
    assert warnings == [] if warning is None else warnings[0].startswith(warning)


def test_nextjs_is_told_its_setting_and_quiet_once_set(tmp_path: Path) -> None:
    root = tmp_path / "web"
    shutil.copytree(EXAMPLES / "node-nextjs", root)
    (warning,) = keep_alive_warnings(load_project(root))
    assert warning.endswith('set KEEP_ALIVE_TIMEOUT = "65000" in its environment (Next.js\'s server reads it)')
    (root / "migrate.toml").write_text(f'[apps.{warning.split(":")[0]}.environment]\nKEEP_ALIVE_TIMEOUT = "65000"\n')
    assert keep_alive_warnings(load_project(root)) == []


def test_fastify_keeps_72_s_by_itself(tmp_path: Path) -> None:
    root = tmp_path / "api"
    root.mkdir()
    (root / "package.json").write_text('{"name": "api", "scripts": {"start": "node server.js"}, "dependencies": {"fastify": "^5.0.0"}}\n')
    (root / "server.js").write_text("const app = require('fastify')();\napp.listen({ port: 3000, host: '0.0.0.0' });\n")
    assert keep_alive_warnings(load_project(root)) == []

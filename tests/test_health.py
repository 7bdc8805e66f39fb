"""Health-check routes the app already declares, in each language's routing idiom."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.inspect import health
from migrate.inspect.detectors.base import AppDir, Findings
from migrate.inspect.tree import SourceTree
from migrate.profile import Evidence

MakeTree = Callable[[dict[str, str | bytes]], Path]


def detect(make_tree: MakeTree, files: dict[str, str | bytes], found: Findings | None = None) -> Findings:
    found = found or Findings()
    health.detect(AppDir(SourceTree.scan(make_tree(files)), "."), found)
    return found


@pytest.mark.parametrize(
    ("path", "code", "route"),
    [
        ("main.py", '@app.get("/health")\ndef h(): ...\n', "/health"),
        ("main.py", "@router.api_route('/healthz', methods=['GET', 'HEAD'])\n", "/healthz"),
        ("app.py", "@app.route('/ping', methods=['GET'])\n", "/ping"),
        ("app.py", "@bp.get('/api/health')\n", "/api/health"),
        ("app.py", "app.add_url_rule('/health', view_func=health)\n", "/health"),
        ("proj/urls.py", 'urlpatterns = [\n    path("healthz/", healthz),\n]\n', "/healthz/"),
        ("proj/urls.py", 'urlpatterns = [re_path(r"^health/$", health)]\n', "/health/"),
        ("app.py", 'routes = [Route("/health", endpoint=health)]\n', "/health"),
        ("server.js", "app.get('/health', (req, res) => res.send('ok'));\n", "/health"),
        ("server.ts", "fastify.get(`/livez`, async () => ({}));\n", "/livez"),
        ("main.go", 'r.GET("/healthz", health)\n', "/healthz"),
        ("main.go", 'mux.HandleFunc("GET /healthz", health)\n', "/healthz"),
        ("main.go", 'http.HandleFunc("/readyz", ready)\n', "/readyz"),
        ("Health.java", '@GetMapping("/health")\npublic String h() { return "ok"; }\n', "/health"),
        ("Health.java", '@GetMapping(value = "/status/health")\n', "/status/health"),
        ("app.rb", "get '/up' do\n  'ok'\nend\n", "/up"),
        ("config/routes.rb", 'get "up" => "rails/health#show"\n', "/up"),
        ("routes/web.php", "Route::get('/health', fn () => 'ok');\n", "/health"),
        ("Program.cs", 'app.MapHealthChecks("/healthz");\n', "/healthz"),
        ("src/main.rs", '#[get("/health")]\nasync fn health() -> &\'static str { "ok" }\n', "/health"),
        ("src/main.rs", 'let app = Router::new().route("/health", get(health));\n', "/health"),
        ("app.py", 'app = tornado.web.Application([\n    (r"/", MainHandler),\n    (r"/health", HealthHandler),\n])\n', "/health"),
    ],
)
def test_routes(make_tree: MakeTree, path: str, code: str, route: str) -> None:
    found = detect(make_tree, {path: code})
    assert found.get("health_path") == route
    fact = found.facts["health_path"]
    assert fact.evidence[0].path == path and fact.evidence[0].reason == f"route {route}"
    assert fact.evidence[0].line == code[: code.index(route.strip("/").split("/")[-1])].count("\n") + 1


@pytest.mark.parametrize(
    "code",
    [
        '@app.get("/users")\n',
        '@app.get("/healthy-food")\n',
        'requests.get("https://api.example.com/health")\n',
        'HEALTH = "/health"\n',
        '@app.get("/upload")\n',
        # A mapping's get with a key named like a health path (seen in healthchecks/healthchecks' forms): not a route.
        'up = self.cleaned_data.get("up")\n',
        'flag = os.environ.get("ready")\n',
        "answer = request.args.get('ping')\n",
        'QUIET_PATHS = ["/metrics", "/health"]  # not logged\n',  # a list of paths, not a route table
    ],
)
def test_non_health_routes_are_ignored(make_tree: MakeTree, code: str) -> None:
    assert detect(make_tree, {"app.py": code}).get("health_path") is None


@pytest.mark.parametrize(
    "path",
    ["tests/test_api.py", "test/api.py", "app/test_routes.py", "polls/tests.py", "src/api.test.ts", "spec/app_spec/x.rb", "main_test.go"],
)
def test_routes_in_tests_are_ignored(make_tree: MakeTree, path: str) -> None:
    assert detect(make_tree, {path: '@app.get("/health")\n'}).get("health_path") is None


def test_a_mappings_get_does_not_hide_the_route_after_it(make_tree: MakeTree) -> None:
    found = detect(make_tree, {"app.py": 'up = form.cleaned_data.get("up")\n\n@app.get("/health")\ndef h(): ...\n'})
    assert found.get("health_path") == "/health" and found.facts["health_path"].evidence[0].line == 3


def test_files_that_only_look_like_tests_count(make_tree: MakeTree) -> None:
    assert detect(make_tree, {"latest_routes.py": '@app.get("/health")\n'}).get("health_path") == "/health"


def test_a_framework_health_path_is_kept(make_tree: MakeTree) -> None:
    found = Findings()
    found.set("health_path", "/_stcore/health", Evidence(".", None, "built in"), default=True)
    detect(make_tree, {"app.py": '@app.get("/health")\n'}, found)
    assert found.get("health_path") == "/_stcore/health"


def test_first_route_in_walk_order_wins(make_tree: MakeTree) -> None:
    found = detect(make_tree, {"a.py": '@app.get("/healthz")\n', "b.py": '@app.get("/ping")\n'})
    assert found.get("health_path") == "/healthz"


# Routes on routers mounted under prefixes (issue 11, pattern 9). Each case is a small tree in the
# shape of a real app: the health route's full path is every prefix above it, outermost first.
FASTAPI_TEMPLATE = {
    "app/core/config.py": 'class Settings(BaseSettings):\n    API_V1_STR: str = "/api/v1"\n\nsettings = Settings()\n',
    "app/main.py": (
        "from fastapi import FastAPI\nfrom app.api.main import api_router\nfrom app.core.config import settings\n\n"
        "app = FastAPI()\napp.include_router(api_router, prefix=settings.API_V1_STR)\n"
    ),
    "app/api/main.py": (
        "from fastapi import APIRouter\nfrom app.api.routes import items, utils\n\n"
        "api_router = APIRouter()\napi_router.include_router(items.router)\napi_router.include_router(utils.router)\n"
    ),
    "app/api/routes/items.py": 'from fastapi import APIRouter\nrouter = APIRouter(prefix="/items")\n',
    "app/api/routes/utils.py": (
        'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/utils", tags=["utils"])\n\n\n'
        '@router.get("/health-check/")\nasync def health_check() -> bool:\n    return True\n'
    ),
}


@pytest.mark.parametrize(
    ("files", "route"),
    [
        (FASTAPI_TEMPLATE, "/api/v1/utils/health-check/"),
        (  # a module-level constant, a relative import, and a prefix on include_router only
            {
                "svc/main.py": 'from fastapi import FastAPI\nfrom .ops import ops\nPREFIX = "/internal"\napp = FastAPI()\napp.include_router(ops, prefix=PREFIX + "/ops")\n',
                "svc/ops.py": 'from fastapi import APIRouter\nops = APIRouter()\n@ops.get("/healthz")\ndef h(): ...\n',
                "svc/__init__.py": "",
            },
            "/internal/ops/healthz",
        ),
        (  # Flask: the blueprint's own url_prefix
            {
                "app/__init__.py": "from flask import Flask\nfrom app.health import bp\napp = Flask(__name__)\napp.register_blueprint(bp)\n",
                "app/health.py": 'from flask import Blueprint\nbp = Blueprint("health", __name__, url_prefix="/api")\n@bp.route("/health")\ndef h(): ...\n',
            },
            "/api/health",
        ),
        (  # Flask: a url_prefix at registration replaces the blueprint's own
            {
                "app/__init__.py": 'from flask import Flask\nfrom . import health\napp = Flask(__name__)\napp.register_blueprint(health.bp, url_prefix="/v2")\n',
                "app/health.py": 'from flask import Blueprint\nbp = Blueprint("health", __name__, url_prefix="/api")\n@bp.get("/health")\ndef h(): ...\n',
            },
            "/v2/health",
        ),
        (  # Django: include() of another URLconf
            {
                "proj/urls.py": 'from django.urls import include, path\nurlpatterns = [path("api/", include("monitor.urls"))]\n',
                "monitor/urls.py": 'from django.urls import path\nurlpatterns = [path("health/", views.health)]\n',
            },
            "/api/health/",
        ),
        (  # Express: a router file mounted by require() and by import
            {
                "src/app.js": "const express = require('express');\nconst app = express();\napp.use('/api', require('./routes'));\n",
                "src/routes/index.js": "const router = require('express').Router();\nconst ops = require('./ops');\nrouter.use('/ops', auth, ops);\nmodule.exports = router;\n",
                "src/routes/ops.js": "const router = require('express').Router();\nrouter.get('/health', (req, res) => res.send('ok'));\nmodule.exports = router;\n",
            },
            "/api/ops/health",
        ),
        (
            {
                "src/server.ts": "import express from 'express';\nimport healthRouter from './health';\nconst app = express();\napp.use('/status', healthRouter);\n",
                "src/health.ts": "import { Router } from 'express';\nconst router = Router();\nrouter.get('/healthz', (_req, res) => res.send('ok'));\nexport default router;\n",
            },
            "/status/healthz",
        ),
        (  # Express: a router mounted in the same file
            {"server.js": "const router = express.Router();\nrouter.get('/ping', h);\napp.use('/api/v1', router);\n"},
            "/api/v1/ping",
        ),
        (  # Starlette/FastAPI: a sub-application mounted under a path
            {
                "main.py": 'from fastapi import FastAPI\nfrom internal import ops\napp = FastAPI()\napp.mount("/internal", ops)\n',
                "internal.py": 'from fastapi import FastAPI\nops = FastAPI()\n@ops.get("/healthz")\ndef h(): ...\n',
            },
            "/internal/healthz",
        ),
        ({"main.go": 'r := gin.Default()\napi := r.Group("/api")\nv1 := api.Group("/v1")\nv1.GET("/health", h)\n'}, "/api/v1/health"),
        (  # chi: routes inside Route() blocks, nested
            {
                "main.go": (
                    'r := chi.NewRouter()\nr.Get("/", index)\nr.Route("/api", func(r chi.Router) {\n\tr.Get("/users", users)\n'
                    '\tr.Route("/ops", func(r chi.Router) {\n\t\tr.Get("/healthz", h)\n\t})\n})\n'
                )
            },
            "/api/ops/healthz",
        ),
        ({"main.go": 'r.Route("/api", func(r chi.Router) {\n\tr.Get("/users", users)\n})\nr.Get("/healthz", h)\n'}, "/healthz"),
        ({"Program.cs": 'var api = app.MapGroup("/api");\napi.MapGet("/health", () => "ok");\n'}, "/api/health"),
        ({"Program.cs": 'app.UseHealthChecks("/health",\n    new HealthCheckOptions { ResponseWriter = Write });\n'}, "/health"),
    ],
)
def test_routes_under_mount_prefixes(make_tree: MakeTree, files: dict[str, str | bytes], route: str) -> None:
    found = detect(make_tree, files)
    assert found.get("health_path") == route
    evidence = found.facts["health_path"].evidence
    assert evidence[0].reason.startswith("route ")
    # Every prefix has its own evidence, pointing at the line that sets it.
    for piece in evidence[1:]:
        assert piece.line is not None and piece.path in files
        assert repr(piece.reason.split("'")[1]) in piece.reason


def test_fastapi_prefix_evidence_names_the_settings_default(make_tree: MakeTree) -> None:
    evidence = [str(e) for e in detect(make_tree, FASTAPI_TEMPLATE).facts["health_path"].evidence]
    assert evidence == [
        "app/api/routes/utils.py:6: route /health-check/",
        "app/main.py:6: api_router mounted under '/api/v1' (API_V1_STR = '/api/v1' at app/core/config.py:2)",
        "app/api/routes/utils.py:3: router has prefix '/utils'",
    ]


def test_a_prefix_that_cannot_be_computed_gives_no_path_and_a_warning(make_tree: MakeTree) -> None:
    found = detect(
        make_tree,
        {
            "main.py": "import os\nfrom fastapi import FastAPI\nfrom ops import router\napp = FastAPI()\napp.include_router(router, prefix=os.environ['PREFIX'])\n",
            "ops.py": 'from fastapi import APIRouter\nrouter = APIRouter()\n@router.get("/health")\ndef h(): ...\n',
        },
    )
    assert found.get("health_path") is None
    assert found.warnings == [
        "health route /health (ops.py:3) is mounted under a prefix migrate cannot compute: "
        "main.py:5: the prefix router is mounted under is not a constant"
    ]


def test_a_router_nobody_mounts_keeps_its_own_prefix(make_tree: MakeTree) -> None:
    files = {"ops.py": 'from fastapi import APIRouter\nrouter = APIRouter(prefix="/ops")\n@router.get("/health")\ndef h(): ...\n'}
    assert detect(make_tree, files).get("health_path") == "/ops/health"


def test_python_that_does_not_parse_keeps_the_route_as_written(make_tree: MakeTree) -> None:
    files = {
        "main.py": "from fastapi import FastAPI\napp = FastAPI()\napp.include_router(router, prefix='/api'\n",  # unclosed
        "deep.py": "x = " + "(" * 200_000 + ")" * 200_000 + "\nAPIRouter()\n",
        "ops.py": '@router.get("/health")\ndef h(): ...\n',
    }
    assert detect(make_tree, files).get("health_path") == "/health"

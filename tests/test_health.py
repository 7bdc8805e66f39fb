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

"""PHP: claims, every runtime source, Composer, extensions, Laravel, Symfony, Slim, plain PHP, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.inspect import inspect_tree
from migrate.inspect.detectors.base import AppDir
from migrate.inspect.detectors.php import ECOSYSTEM, pick_minor
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.inspect.tree import SourceTree

MakeTree = Callable[[dict[str, str | bytes]], Path]
INDEX = "<?php\necho 'hello';\n"
MINORS = ("8.1", "8.2", "8.3", "8.4")


def composer(**data: Any) -> str:
    return json.dumps(data, indent=4) + "\n"


def only_app(root: Path) -> dict[str, Any]:
    apps = inspect_tree(root).to_json()["apps"]
    assert len(apps) == 1, [a["path"] for a in apps]
    app: dict[str, Any] = apps[0]
    return app


def claim_strength(root: Path) -> int | None:
    claim = ECOSYSTEM.claim(AppDir(SourceTree.scan(root), "."))
    return None if claim is None else claim.strength


# ---------------------------------------------------------------- claims
@pytest.mark.parametrize("package", ["laravel/framework", "symfony/framework-bundle", "slim/slim"])
def test_framework_package_is_a_runnable_claim(make_tree: MakeTree, package: str) -> None:
    assert claim_strength(make_tree({"composer.json": composer(require={package: "*"})})) == 2


@pytest.mark.parametrize("index", ["index.php", "public/index.php"])
def test_composer_with_index_is_a_runnable_claim(make_tree: MakeTree, index: str) -> None:
    assert claim_strength(make_tree({"composer.json": composer(require={"php": ">=8.1"}), index: INDEX})) == 2


def test_composer_library_is_a_weak_claim(make_tree: MakeTree) -> None:
    assert claim_strength(make_tree({"composer.json": composer(require={"psr/log": "^3.0"}), "src/Logger.php": INDEX})) == 1


def test_index_php_alone_is_a_weak_claim(make_tree: MakeTree) -> None:
    assert claim_strength(make_tree({"index.php": INDEX})) == 1


def test_no_php_no_claim(make_tree: MakeTree) -> None:
    assert claim_strength(make_tree({"src/lib.php": INDEX})) is None


# ---------------------------------------------------------------- runtime version
def test_require_php_caret_picks_the_default(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"composer.json": composer(require={"php": "^8.2"}), "index.php": INDEX}))
    assert app["runtime_version"] == DEFAULT_RUNTIME["php"]
    assert app["evidence"]["runtime_version"] == [f"composer.json:3: require php '^8.2' allows {DEFAULT_RUNTIME['php']}"]
    assert "runtime_version" not in app["defaults"]


def test_require_php_range_below_default_picks_newest_allowed(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"composer.json": composer(require={"php": "~8.1.0"}), "index.php": INDEX}))
    assert app["runtime_version"] == "8.1"


def test_platform_pin_beats_require(make_tree: MakeTree) -> None:
    data = composer(require={"php": "^8.1"}, config={"platform": {"php": "8.2.15"}})
    app = only_app(make_tree({"composer.json": data, "index.php": INDEX}))
    assert app["runtime_version"] == "8.2"
    assert app["evidence"]["runtime_version"][0].startswith("composer.json:6: config.platform.php '8.2.15'")


def test_tool_versions(make_tree: MakeTree) -> None:
    root = make_tree({"composer.json": composer(require={"php": "^8.1"}), "index.php": INDEX, ".tool-versions": "nodejs 22.0.0\nphp 8.4.1\n"})
    app = only_app(root)
    assert app["runtime_version"] == "8.4.1"
    assert app["evidence"]["runtime_version"] == [".tool-versions:2: pins PHP 8.4.1"]


def test_php_version_file(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"index.php": INDEX, ".php-version": "8.2\n"}))
    assert app["runtime_version"] == "8.2"


def test_no_pin_uses_default(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"index.php": INDEX}))
    assert app["runtime_version"] == DEFAULT_RUNTIME["php"]
    assert "runtime_version" in app["defaults"]


def test_unreadable_constraint_warns_and_uses_default(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"composer.json": composer(require={"php": "dev-main as banana"}), "index.php": INDEX}))
    assert result.apps[0].runtime_version.is_default
    assert any("could not read the PHP constraint" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("^8.2", "8.3"),
        (">=8.1", "8.3"),
        (">= 8.1 <8.3", "8.2"),
        ("~8.1.0", "8.1"),
        ("~8.1", "8.3"),
        ("8.2.*", "8.2"),
        ("^7.4|^8.0", "8.3"),
        ("^7.4 || ~8.1.0", "8.1"),
        ("8.1 - 8.2", "8.2"),
        (">=8.4", "8.4"),
        ("<8.0", None),
        ("^8.2@dev", "8.3"),
    ],
)
def test_composer_constraints(spec: str, expected: str | None) -> None:
    assert pick_minor(spec, MINORS, "8.3") == expected


# ---------------------------------------------------------------- composer and extensions
def test_composer_install_and_runtime_requirements(make_tree: MakeTree) -> None:
    data = composer(require={"php": "^8.2", "ext-pdo_pgsql": "*", "ext-redis": "*", "predis/predis": "^2.2"}, **{"require-dev": {"phpunit/phpunit": "^11.0"}})
    root = make_tree({"composer.json": data, "composer.lock": "{}\n", "index.php": INDEX})
    app = only_app(root)
    assert app["package_manager"] == "composer"
    assert app["evidence"]["package_manager"] == ["composer.lock: Composer lockfile"]
    assert app["details"]["install_command"] == "composer install --no-dev --optimize-autoloader --no-interaction"
    assert app["details"]["php_extensions"] == "pdo_pgsql,redis"
    assert app["backing_services"] == ["postgres", "redis"]
    assert "composer.json:4: dependency 'ext-pdo_pgsql'" in app["evidence"]["backing_services"]


def test_no_composer_lock_warns(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"composer.json": composer(require={"php": "^8.2"}), "index.php": INDEX}))
    assert any("no composer.lock" in w for w in result.warnings)


def test_dev_requirements_are_not_dependencies(make_tree: MakeTree) -> None:
    data = composer(require={"php": "^8.2"}, **{"require-dev": {"ext-pdo_mysql": "*", "mongodb/mongodb": "^1.0"}})
    app = only_app(make_tree({"composer.json": data, "index.php": INDEX}))
    assert app["backing_services"] == []
    assert "php_extensions" not in app["details"]


def test_malformed_composer_json_warns_and_does_not_crash(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"composer.json": '{"require": {"php": "^8.2",}', "public/index.php": INDEX}))
    app = result.to_json()["apps"][0]
    assert app["language"] == "php"
    assert app["runtime_version"] == DEFAULT_RUNTIME["php"]
    assert app["start_command"] == "apache2-foreground"
    assert any("composer.json: malformed JSON" in w for w in result.warnings)


def test_composer_json_of_the_wrong_shape_does_not_crash(make_tree: MakeTree) -> None:
    data = composer(require=["laravel/framework"], config={"platform": "8.2"})
    app = only_app(make_tree({"composer.json": data, "index.php": INDEX}))
    assert app["framework"] is None and app["runtime_version"] == DEFAULT_RUNTIME["php"]


# ---------------------------------------------------------------- laravel
LARAVEL: dict[str, str | bytes] = {
    "composer.json": composer(require={"php": "^8.2", "laravel/framework": "^11.9"}),
    "artisan": "#!/usr/bin/env php\n<?php\n",
    "public/index.php": INDEX,
    "bootstrap/app.php": "<?php\nreturn Application::configure(basePath: dirname(__DIR__))\n    ->withRouting(\n        health: '/up',\n    )->create();\n",
    "database/migrations/2024_01_01_000000_create_users_table.php": "<?php\n",
    ".env.example": "APP_KEY=\nDB_CONNECTION=pgsql\nREDIS_HOST=127.0.0.1\n",
}


def test_laravel(make_tree: MakeTree) -> None:
    app = only_app(make_tree(LARAVEL))
    assert (app["framework"], app["start_command"], app["port"], app["health_path"]) == ("laravel", "apache2-foreground", 8080, "/up")
    assert app["evidence"]["framework"] == ["composer.json:4: requires laravel/framework"]
    assert app["evidence"]["health_path"] == ["bootstrap/app.php:4: Laravel health route"]
    assert app["evidence"]["start_command"] == ["public/index.php: front controller; served by Apache with mod_php (apache2-foreground)"]
    assert app["defaults"] == ["start_command", "port"]
    details = app["details"]
    assert details["document_root"] == "public"
    assert details["release_command"] == "php artisan migrate --force"
    assert "config:cache" in details["prestart_command"]
    # phpredis is installed by the recipe only if Redis is a service the default configuration uses.
    assert (details["php_extensions"], details["redis_client"]) == ("pdo_pgsql", "phpredis")
    assert app["build_command"] is None
    assert app["backing_services"] == ["postgres", "redis"]


def test_laravel_app_key_is_a_secret(make_tree: MakeTree) -> None:
    app = only_app(make_tree(LARAVEL))
    key = next(e for e in app["env"] if e["name"] == "APP_KEY")
    assert key["secret"] and key["required"]


def test_laravel_vite_build_and_node_stays_weak(make_tree: MakeTree) -> None:
    package = json.dumps({"private": True, "scripts": {"dev": "vite", "build": "vite build"}, "devDependencies": {"vite": "^5.0"}})
    app = only_app(make_tree({**LARAVEL, "package.json": package, "package-lock.json": "{}\n"}))
    assert app["language"] == "php"
    assert app["build_command"] == "npm run build"
    assert app["evidence"]["build_command"] == ["package.json:1: asset build script: vite build"]
    assert app["details"]["assets_install_command"] == "npm ci"


def test_laravel_with_predis_needs_no_redis_extension(make_tree: MakeTree) -> None:
    data = composer(require={"php": "^8.2", "laravel/framework": "^11.9", "predis/predis": "^2.2"})
    app = only_app(make_tree({**LARAVEL, "composer.json": data, ".env.example": "DB_CONNECTION=mysql\nREDIS_CLIENT=predis\nREDIS_HOST=redis\n"}))
    assert (app["details"]["php_extensions"], app["details"]["redis_client"]) == ("pdo_mysql", "predis")


def test_laravel_workers(make_tree: MakeTree) -> None:
    jobs = only_app(make_tree({**LARAVEL, "app/Jobs/SendMail.php": "<?php\n"}))
    assert jobs["processes"] == {"worker": "php artisan queue:work --tries=3"}


def test_laravel_horizon_worker(make_tree: MakeTree) -> None:
    data = composer(require={"laravel/framework": "^11.9", "laravel/horizon": "^5.24"})
    app = only_app(make_tree({**LARAVEL, "composer.json": data}))
    assert app["processes"] == {"worker": "php artisan horizon"}


def test_laravel_10_health_route_from_routes_file(make_tree: MakeTree) -> None:
    files = {k: v for k, v in LARAVEL.items() if k != "bootstrap/app.php"}
    files["routes/web.php"] = "<?php\nRoute::get('/healthz', fn () => 'ok');\n"
    app = only_app(make_tree(files))
    assert app["health_path"] == "/healthz"


def test_laravel_without_health_route_has_none(make_tree: MakeTree) -> None:
    files = {k: v for k, v in LARAVEL.items() if k != "bootstrap/app.php"}
    assert only_app(make_tree(files))["health_path"] is None


# ---------------------------------------------------------------- symfony, slim, plain
def test_symfony(make_tree: MakeTree) -> None:
    data = composer(require={"php": ">=8.2", "symfony/framework-bundle": "7.1.*", "doctrine/doctrine-migrations-bundle": "^3.3"})
    app = only_app(make_tree({"composer.json": data, "public/index.php": INDEX, "bin/console": "#!/usr/bin/env php\n"}))
    assert (app["framework"], app["start_command"], app["port"]) == ("symfony", "apache2-foreground", 8080)
    assert app["details"]["document_root"] == "public"
    assert app["details"]["release_command"] == "php bin/console doctrine:migrations:migrate --no-interaction"


def test_slim_serves_the_folder_of_its_front_controller(make_tree: MakeTree) -> None:
    code = "<?php\n$app = AppFactory::create();\n$app->get('/health', function ($req, $res) { return $res; });\n"
    app = only_app(make_tree({"composer.json": composer(require={"slim/slim": "^4.14"}), "public/index.php": code}))
    assert app["framework"] == "slim"
    assert app["details"]["document_root"] == "public"
    assert app["health_path"] == "/health"


def test_slim_without_front_controller_warns(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"composer.json": composer(require={"slim/slim": "^4.14"})}))
    assert any("Slim front controller" in w for w in result.warnings)


def test_plain_php_in_the_app_folder(make_tree: MakeTree) -> None:
    code = "<?php\nswitch ($_SERVER['REQUEST_URI']) {\n    case '/ping':\n        echo 'pong';\n}\n"
    app = only_app(make_tree({"index.php": code}))
    assert (app["framework"], app["start_command"], app["port"], app["health_path"]) == (None, "apache2-foreground", 8080, "/ping")
    assert app["evidence"]["health_path"] == ["index.php:3: request path /ping answered in code"]
    assert app["details"]["document_root"] == "."
    assert app["package_manager"] is None
    assert "install_command" not in app["details"]


def test_plain_php_match_arm_health(make_tree: MakeTree) -> None:
    code = "<?php\necho match ($path) {\n    '/healthz' => 'ok',\n    default => 'hi',\n};\n"
    app = only_app(make_tree({"composer.json": composer(require={"php": ">=8.1"}), "public/index.php": code}))
    assert app["health_path"] == "/healthz"
    assert app["details"]["document_root"] == "public"


def test_php_library_has_no_start(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"composer.json": composer(require={"psr/log": "^3.0"}), "composer.lock": "{}\n"}))
    app = result.to_json()["apps"][0]
    assert app["start_command"] is None and app["framework"] is None
    assert any("could not tell how to start it" in w for w in result.warnings)

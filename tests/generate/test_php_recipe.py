"""PHP recipe: plans and Dockerfiles for Laravel, Symfony and plain PHP apps built from small trees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.checks import check_dockerfile
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]
INDEX = "<?php\necho 'hi';\n"


def composer(**data: Any) -> str:
    return json.dumps({"name": "acme/app", **data}, indent=4) + "\n"


LARAVEL: dict[str, str | bytes] = {
    "composer.json": composer(require={"php": "^8.2", "laravel/framework": "^11.9"}),
    "composer.lock": "{}\n",
    "artisan": "#!/usr/bin/env php\n<?php\n",
    "public/index.php": INDEX,
    "bootstrap/app.php": "<?php\nreturn Application::configure(basePath: dirname(__DIR__))\n    ->withRouting(\n        health: '/up',\n    )->create();\n",
    "database/migrations/2024_01_01_000000_create_users_table.php": "<?php\n",
    ".env.example": "APP_KEY=\nDB_CONNECTION=pgsql\nREDIS_HOST=127.0.0.1\n",
    "package.json": json.dumps({"private": True, "scripts": {"build": "vite build"}}),
    "package-lock.json": "{}\n",
}
PLAIN: dict[str, str | bytes] = {
    "composer.json": composer(require={"php": ">=8.1", "ext-mbstring": "*", "ext-pdo_mysql": "*"}),
    "composer.lock": "{}\n",
    "public/index.php": "<?php\nif ($path === '/healthz') { echo 'ok'; }\n",
}


def plan_of(root: Path) -> ContainerPlan:
    apps = inspect_tree(root).apps
    assert len(apps) == 1
    return plan_for(apps[0])


def dockerfile_of(root: Path) -> str:
    files = [f for f in generate(inspect_tree(root), ["dockerfile"]) if f.output == "dockerfile"]
    return files[0].content


# ---------------------------------------------------------------- Laravel
def test_laravel_plan(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree(LARAVEL))
    assert plan.images == {"runtime": "php:8.3-apache-bookworm", "composer": "composer:2.8", "assets": "node:22-slim"}
    assert plan.cmd == plan.dev_cmd == ("apache2-foreground",)
    assert (plan.user, plan.uid, plan.port) == ("www-data", 33, 8080)
    assert plan.healthcheck is not None and plan.healthcheck[:2] == ("php", "-r")
    assert "':8080/up'" in plan.healthcheck[2] and "< 400" in plan.healthcheck[2]
    values = plan.values
    assert values["document_root"] == "/app/public"
    assert values["composer_files"] == ["composer.json", "composer.lock"]
    assert values["assets"] == {"manifests": ["package.json", "package-lock.json"], "setup": None, "install": "npm ci", "build": "npm run build"}
    assert values["writable_dirs"] == ["storage", "bootstrap/cache"]
    assert values["env"] == {"APP_ENV": "production", "APP_DEBUG": "false", "LOG_CHANNEL": "stderr"}
    assert values["dev_env"] == {"APP_ENV": "local", "APP_DEBUG": "true"}
    # The caches run at start and then exec the CMD, so Apache stays PID 1.
    entrypoint = values["entrypoint"]
    assert entrypoint[:2] == ("sh", "-c") and entrypoint[2].startswith("php artisan config:cache") and entrypoint[2].endswith('exec "$@"')
    ext = values["extensions"]
    assert ext.bundled == ("pdo_pgsql", "opcache") and ext.pecl == ("redis-6.1.0",)
    assert (ext.build_packages, ext.runtime_packages) == (("libpq-dev",), ("libpq5",))
    assert plan.post_create == "composer install"
    assert "bmewburn.vscode-intelephense-client" in plan.extensions
    assert [(r.action, r.path) for r in plan.watch][1:] == [("rebuild", f) for f in ("composer.json", "composer.lock", "package.json", "package-lock.json")]


def test_laravel_dockerfile(make_tree: MakeTree) -> None:
    text = dockerfile_of(make_tree(LARAVEL))
    assert text.index('COPY ["composer.json", "composer.lock", "./"]') < text.index("RUN composer install --no-dev --no-scripts --no-autoloader") < text.index("COPY . .")
    assert "composer dump-autoload --no-dev --optimize --classmap-authoritative" in text
    assert "COPY --from=composer:2.8 /usr/bin/composer /usr/bin/composer" in text
    assert "Listen 8080" in text and "DocumentRoot /app/public" in text and "a2enmod rewrite" in text
    assert "apt-get purge -y --auto-remove libpq-dev" in text
    assert "STOPSIGNAL SIGWINCH" in text and "USER 33:33" in text
    assert "chown -R 33:33 storage bootstrap/cache" in text
    assert "COPY --from=assets /app/public /app/public" in text
    assert "ENTRYPOINT []" in text  # the dev target skips the production caches
    assert check_dockerfile(text) == []


def test_laravel_with_pnpm_installs_a_pinned_pnpm(make_tree: MakeTree) -> None:
    tree = {k: v for k, v in LARAVEL.items() if k != "package-lock.json"}
    plan = plan_of(make_tree({**tree, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}))
    assets = plan.values["assets"]
    assert assets["setup"].startswith("npm install -g pnpm@") and assets["install"] == "pnpm install --frozen-lockfile"
    assert assets["manifests"] == ["package.json", "pnpm-lock.yaml"]


def test_laravel_worker_and_release_are_notes(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree({**LARAVEL, "app/Jobs/Send.php": "<?php\n"}))
    assert any("queue:work" in n for n in plan.notes)
    assert any("php artisan migrate --force" in n for n in plan.notes)


# ---------------------------------------------------------------- Symfony, plain PHP
def test_symfony(make_tree: MakeTree) -> None:
    tree: dict[str, str | bytes] = {
        "composer.json": composer(require={"php": "^8.2", "symfony/framework-bundle": "^7.0"}),
        "composer.lock": "{}\n",
        "public/index.php": INDEX,
    }
    plan = plan_of(make_tree(tree))
    assert plan.values["dev_env"] == {"APP_ENV": "dev", "APP_DEBUG": "1"}
    assert plan.values["writable_dirs"] == ["var"]
    assert "cache:warmup" in plan.values["entrypoint"][2]
    assert "assets" not in plan.images


def test_plain_php_with_composer(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree(PLAIN))
    ext = plan.values["extensions"]
    assert ext.bundled == ("pdo_mysql", "opcache")  # mbstring is compiled into the image
    assert ext.build_packages == () and ext.pecl == ()
    assert plan.values["entrypoint"] is None and plan.values["writable_dirs"] == []
    assert plan.healthcheck is not None and "':8080/healthz'" in plan.healthcheck[2]
    text = dockerfile_of(make_tree(PLAIN))
    assert "ENTRYPOINT" not in text and "apt-get update \\\n && apt-get install -y --no-install-recommends libpq" not in text


def test_bare_index_php_without_composer(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree({"index.php": INDEX}))
    assert plan.images == {"runtime": "php:8.3-apache-bookworm"}
    assert plan.values["document_root"] == "/app" and not plan.values["composer"]
    assert plan.post_create is None
    # Apache speaks HTTP: with no health route, any answer on / below 500 (not a mere connection).
    assert plan.healthcheck is not None and "':8080/'" in plan.healthcheck[2] and "< 500" in plan.healthcheck[2]
    text = dockerfile_of(make_tree({"index.php": INDEX}))
    assert "COPY . /app" in text and "composer" not in text


def test_gd_is_configured_and_unknown_extensions_are_noted(make_tree: MakeTree) -> None:
    tree: dict[str, str | bytes] = {"composer.json": composer(require={"ext-gd": "*", "ext-intl": "*", "ext-imagick": "*"}), "index.php": INDEX}
    plan = plan_of(make_tree(tree))
    ext = plan.values["extensions"]
    assert ext.configure == {"gd": "--with-freetype --with-jpeg"}
    assert "libicu-dev" in ext.build_packages and "libicu72" in ext.runtime_packages
    assert ext.unknown == ("imagick",)
    assert any("imagick" in n for n in plan.notes)


# ---------------------------------------------------------------- lint every variant
VARIANTS: dict[str, dict[str, str | bytes]] = {
    "laravel": {**LARAVEL, "app/Jobs/Send.php": "<?php\n"},
    "plain": PLAIN,
    "bare": {"index.php": INDEX},
    "gd-intl-apcu": {"composer.json": composer(require={"ext-gd": "*", "ext-intl": "*", "ext-apcu": "*"}), "index.php": INDEX},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_passes_hadolint(make_tree: MakeTree, tmp_path: Path, variant: str) -> None:
    text = dockerfile_of(make_tree(VARIANTS[variant]))
    assert check_dockerfile(text) == []
    assert_hadolint_clean(text, tmp_path)

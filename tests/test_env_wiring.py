"""What compose and .env.example give each variable: required ones a harmless dev value, optional ones nothing.

Each tree reproduces a pattern seen on a real app (named in the test), written from scratch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import only_app

from migrate.generate import generate
from migrate.generate.services import dev_placeholder, service_settings, wiring
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]

_PLACEHOLDER = re.compile(r"^\$\{(\w+):-(.*)\}$")


def placeholders(make_tree: MakeTree, files: dict[str, str | bytes]) -> dict[str, str]:
    """Variable -> the dev value compose would give it when ``.env`` does not."""
    app, _ = only_app(make_tree, files)
    return {k: m.group(2) for k, v in wiring(app).items() if (m := _PLACEHOLDER.match(v))}


LARAVEL = {
    "composer.json": '{"require": {"php": "^8.2", "laravel/framework": "^11.0"}}',
    "artisan": "#!/usr/bin/env php\n",
    "public/index.php": "<?php\n",
    # laravel/laravel: env() returns null when unset, and null means "the default connection".
    "config/session.php": "<?php\nreturn ['connection' => env('SESSION_CONNECTION'), 'store' => env('SESSION_STORE'),\n"
    "  'domain' => env('SESSION_DOMAIN'), 'secure' => env('SESSION_SECURE_COOKIE')];\n",
    "config/logging.php": "<?php\nreturn ['formatter' => env('LOG_STDERR_FORMATTER'), 'url' => env('PAPERTRAIL_URL')];\n",
    "config/app.php": "<?php\nreturn ['key' => env('APP_KEY'), 'env' => env('APP_ENV', 'production')];\n",
}


def test_laravel_optional_env_reads_get_no_value(make_tree: MakeTree) -> None:
    found = placeholders(make_tree, LARAVEL)
    assert list(found) == ["APP_KEY"], "only the key Laravel cannot run without"
    assert found["APP_KEY"].startswith("base64:")


def test_ruby_env_index_is_optional_and_fetch_is_required(make_tree: MakeTree) -> None:
    files = {
        "Gemfile": "source 'https://rubygems.org'\ngem 'sinatra'\n",
        "config.ru": "require './app'\nrun Sinatra::Application\n",
        # maybe-finance/maybe: Plaid is switched on when both are set.
        "app.rb": "require 'sinatra'\nPLAID = ENV['PLAID_CLIENT_ID'] && ENV['PLAID_SECRET']\n"
        "KEY = ENV.fetch('ENCRYPTION_KEY')\n",
    }
    assert placeholders(make_tree, files) == {"ENCRYPTION_KEY": "dev-only-encryption-key"}


def test_express_node_env_gets_no_made_up_value(make_tree: MakeTree) -> None:
    files = {
        "package.json": '{"name": "shop", "dependencies": {"express": "^4"}, "scripts": {"start": "node server.js"}}',
        # sahat/hackathon-starter: NODE_ENV and API keys read bare; the session secret is needed.
        "server.js": "const express = require('express');\nconst session = require('express-session');\n"
        "if (!process.env.NODE_ENV) throw new Error('set NODE_ENV');\n"
        "const app = express();\napp.use(session({ secret: process.env.SESSION_SECRET }));\n"
        "const stripe = process.env.STRIPE_SKEY;\napp.listen(process.env.PORT || 3000);\n",
    }
    app, _ = only_app(make_tree, files)
    assert {v.name for v in app.env if v.required} == {"NODE_ENV", "SESSION_SECRET"}
    assert placeholders(make_tree, files) == {"SESSION_SECRET": "dev-only-session-secret"}, "NODE_ENV gets a proper value or none"


def test_node_schema_validated_env_compose_values(make_tree: MakeTree) -> None:
    files = {
        "package.json": '{"name": "api", "dependencies": {"express": "^4", "envalid": "^8", "mongoose": "^8"}, "scripts": {"start": "node src/index.js"}}',
        # hagopj13/node-express-boilerplate validates process.env with Joi; envalid apps the same way.
        "src/config.js": "const { cleanEnv, str, port, url } = require('envalid');\n"
        "module.exports = cleanEnv(process.env, {\n  PORT: port({ default: 3000 }),\n  MONGODB_URL: url(),\n"
        "  JWT_SECRET: str(),\n  SMTP_HOST: str({ default: '' }),\n  MAIL_SENDER: str({ devDefault: 'dev@example.com' }),\n});\n",
        "src/index.js": "const express = require('express');\nconst config = require('./config');\nexpress().listen(config.PORT);\n",
    }
    app, _ = only_app(make_tree, files)
    assert {v.name for v in app.env if v.required} == {"JWT_SECRET", "MAIL_SENDER", "MONGODB_URL"}
    wired = wiring(app)
    assert wired["MONGODB_URL"].startswith("mongodb://"), "a required connection points at the compose service"
    # The secret gets a dev-only value; devDefault serves the dev target; optional ones get nothing.
    assert placeholders(make_tree, files) == {"JWT_SECRET": "dev-only-jwt-secret"}
    assert not {"SMTP_HOST", "MAIL_SENDER", "PORT"} & set(wired)


def test_dotnet_connection_named_after_its_server_gets_that_server(make_tree: MakeTree) -> None:
    files = {
        "Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>'
        '<ItemGroup><PackageReference Include="Aspire.Npgsql" Version="9.0.0" /><PackageReference Include="Aspire.StackExchange.Redis" Version="9.0.0" />'
        '<PackageReference Include="Npgsql" Version="8.0.5" /><PackageReference Include="StackExchange.Redis" Version="2.8.16" /></ItemGroup></Project>',
        # dotnet/eShop's Basket/Ordering services: Aspire clients named after their connection strings.
        "Program.cs": 'var builder = WebApplication.CreateBuilder(args);\nbuilder.AddNpgsqlDataSource("orderingdb");\n'
        'builder.AddRedisClient("redis");\nbuilder.Build().Run();\n',
    }
    app, _ = only_app(make_tree, files)
    wired = wiring(app)
    assert wired["ConnectionStrings__redis"] == "redis:6379"
    assert wired["ConnectionStrings__orderingdb"].startswith("Host=postgres;")
    # A database deploy provisions follows the same rules: Redis's connection string is not PostgreSQL's.
    assert service_settings(app, "postgres") == {"ConnectionStrings__orderingdb": "adonet"}


def test_systemd_variables_are_not_app_configuration(make_tree: MakeTree) -> None:
    files = {
        "go.mod": "module example.com/feeds\n\ngo 1.22\n",
        # miniflux/v2: sd_notify and socket activation, set by systemd when it starts the service.
        "main.go": 'package main\n\nimport "os"\n\nfunc main() {\n\t_ = os.Getenv("NOTIFY_SOCKET")\n'
        '\t_, _ = os.LookupEnv("WATCHDOG_USEC")\n\t_ = mustGetenv("LISTEN_PID")\n\t_ = os.Getenv("HOME")\n}\n',
    }
    app, _ = only_app(make_tree, files)
    assert app.env == ()


def test_package_runner_variables_are_not_app_configuration(make_tree: MakeTree) -> None:
    files = {
        "package.json": '{"name": "web", "dependencies": {"express": "^4"}, "scripts": {"start": "node index.js"}}',
        # t3-oss/create-t3-turbo: validation is skipped under ``npm run lint``, which npm tells the script.
        "index.js": "const lint = process.env.npm_lifecycle_event === 'lint';\nconst v = process.env.npm_package_version;\n",
    }
    app, _ = only_app(make_tree, files)
    assert app.env == ()


def test_python_reads_guarded_by_the_environment_are_optional(make_tree: MakeTree) -> None:
    files = {
        "requirements.txt": "django==5.0\n",
        "manage.py": "import os\n",
        # wagtail/bakerydemo: features configured only when their variable is present.
        "mysite/settings.py": 'import os\nif "PRIMARY_HOST" in os.environ:\n    BASE = os.environ["PRIMARY_HOST"]\n'
        'if "AWS_STORAGE_BUCKET_NAME" in os.environ:\n    REGION = os.environ["AWS_S3_REGION_NAME"]\n'
        'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\n',
    }
    assert placeholders(make_tree, files) == {"DJANGO_SECRET_KEY": "dev-only-django-secret-key"}


@pytest.mark.parametrize(
    ("name", "shape", "value"),
    [
        ("SECRET_KEY", None, "dev-only-secret-key"),
        ("NODE_ENV", None, None),
        ("RAILS_ENV", None, None),
        ("DEBUG", None, None),
        ("LOG_LEVEL", None, None),
        ("PORT", None, None),
        ("HOST", None, None),
        ("PAPERTRAIL_PORT", None, None),
        ("SMTP_TLS_ENABLED", None, None),
        ("USE_AUTH", None, None),
        ("SESSION_CONNECTION", None, None),
        ("LOG_STDERR_FORMATTER", None, None),
        ("TOKEN_EXPIRE_MINUTES", None, None),
        ("FIRST_SUPERUSER", "email", "first-superuser@example.com"),
        ("ADMIN_EMAIL", None, "admin-email@example.com"),
        ("WEBHOOK_URL", None, "http://webhook-url.dev-only.invalid/"),
        ("FRONTEND", "url", "http://frontend.dev-only.invalid/"),
        ("WORKERS", "int", None),
        # Checked to be hexadecimal (class-validator's @IsHexadecimal): 64 of them, the size openssl rand -hex 32 gives.
        ("SECRET_KEY", "hex", "d97ee743c6970347b257a1404e8bb260db9f5be7d3b4f2de708eae741f3cdcf4"),
    ],
)
def test_dev_placeholder_never_changes_behaviour(name: str, shape: str | None, value: str | None) -> None:
    assert dev_placeholder(name, shape) == value


def test_env_example_comments_out_optional_variables(make_tree: MakeTree) -> None:
    root = make_tree(LARAVEL)
    files = {f.path: f.content for f in generate(inspect_tree(root), ["env"])}
    lines = files[".env.example"].splitlines()
    assert "APP_KEY=" in lines
    assert '# APP_ENV="production"' in lines
    assert "# SESSION_CONNECTION=" in lines, 'set to "" Laravel would look for a connection named ""'


def test_rails_master_key_gets_no_made_up_value(make_tree: MakeTree) -> None:
    files = {
        "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n",
        "Gemfile.lock": "GEM\n  specs:\n    rails (7.1.3)\n",
        "config/application.rb": "require 'rails'\n",
        "config.ru": "run Rails.application\n",
        # maybe-finance/maybe: only the real key decrypts credentials.yml.enc; a fake one stops boot.
        "config/credentials.yml.enc": "abc--def\n",
    }
    app, _ = only_app(make_tree, files)
    assert {v.name: v.required for v in app.env}.get("RAILS_MASTER_KEY") is True
    assert "RAILS_MASTER_KEY" not in placeholders(make_tree, files)


def test_containers_md_names_required_variables_compose_leaves_unset(make_tree: MakeTree) -> None:
    files = {
        "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n",
        "Gemfile.lock": "GEM\n  specs:\n    rails (7.1.3)\n",
        "config/application.rb": "require 'rails'\nPORT = ENV.fetch('PAPERTRAIL_PORT')\n",
        "config.ru": "run Rails.application\n",
        "config/credentials.yml.enc": "abc--def\n",
    }
    docs = {f.path: f.content for f in generate(inspect_tree(make_tree(files)), ["docs"])}["CONTAINERS.md"]
    assert "Required, and no made-up value would do (set them in `.env`): `PAPERTRAIL_PORT`, `RAILS_MASTER_KEY`." in docs

"""Backing services from dependencies, environment variables and existing compose files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.inspect import services
from migrate.inspect.detectors.base import AppDir, EnvRead, Findings
from migrate.inspect.knowledge import service_for_image, service_for_url
from migrate.inspect.tree import SourceTree
from migrate.profile import Evidence

MakeTree = Callable[[dict[str, str | bytes]], Path]
EV = Evidence("app.py", 3, "read in code")


def detect(make_tree: MakeTree, files: dict[str, str | bytes], found: Findings | None = None, folder: str = ".", language: str = "python") -> dict[str, list[str]]:
    tree = SourceTree.scan(make_tree(files or {"README": ""}))
    found = found or Findings()
    services.detect(AppDir(tree, folder), found, language)
    return {kind: [str(e) for e in evidence] for kind, evidence in found.services.items()}


def test_from_dependencies_per_language(make_tree: MakeTree) -> None:
    found = Findings()
    found.add_dep("psycopg", Evidence("requirements.txt", 2, "requires psycopg"))
    found.add_dep("redis", Evidence("requirements.txt", 3, "requires redis"))
    found.add_dep("flask", Evidence("requirements.txt", 1, "requires flask"))
    assert detect(make_tree, {}, found) == {
        "postgres": ["requirements.txt:2: dependency 'psycopg'"],
        "redis": ["requirements.txt:3: dependency 'redis'"],
    }


def test_dependency_table_is_per_language(make_tree: MakeTree) -> None:
    found = Findings()
    found.add_dep("pg", Evidence("package.json", 5, "requires pg"))
    assert detect(make_tree, {}, found, language="python") == {}
    found = Findings()
    found.add_dep("pg", Evidence("package.json", 5, "requires pg"))
    assert detect(make_tree, {}, found, language="node") == {"postgres": ["package.json:5: dependency 'pg'"]}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "postgresql+psycopg://u:p@db/app", {"postgres": ["app.py:3: DATABASE_URL is a postgres URL"]}),
        ("CELERY_BROKER_URL", "amqp://guest@rabbit//", {"rabbitmq": ["app.py:3: CELERY_BROKER_URL is a rabbitmq URL"]}),
        ("MONGO_URL", "mongodb+srv://cluster/x", {"mongodb": ["app.py:3: MONGO_URL is a mongodb URL", "app.py:3: reads MONGO_URL"]}),
        ("REDIS_HOST", None, {"redis": ["app.py:3: reads REDIS_HOST"]}),
        ("PGHOST", None, {"postgres": ["app.py:3: reads PGHOST"]}),
        ("DB_CONNECTION", "pgsql", {"postgres": ["app.py:3: DB_CONNECTION=pgsql"]}),
        ("DATABASE_URL", "sqlite:///db.sqlite3", {}),
        ("DATABASE_URL", None, {}),
        ("APP_NAME", "redis", {}),
    ],
)
def test_from_environment(make_tree: MakeTree, name: str, value: str | None, expected: dict[str, list[str]]) -> None:
    found = Findings()
    found.env_reads.append(EnvRead(name, EV, value, value is not None))
    assert detect(make_tree, {}, found) == expected


def test_example_value_is_used_for_services(make_tree: MakeTree) -> None:
    found = Findings()
    found.env_reads.append(EnvRead("CACHE", Evidence(".env.example", 1, "listed"), example="rediss://cache:6380"))
    assert detect(make_tree, {}, found) == {"redis": [".env.example:1: CACHE is a redis URL"]}


COMPOSE = """services:
  web:
    build: ./api
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_started
  worker:
    build: ./worker
    depends_on: [queue]
  db:
    image: postgres:16
  cache:
    image: "docker.io/library/redis:7-alpine"
  queue:
    image: rabbitmq:3-management
"""


def test_compose_at_the_root_names_only_what_the_app_depends_on(make_tree: MakeTree) -> None:
    files = {"compose.yaml": COMPOSE, "api/app.py": "", "worker/w.py": ""}
    assert detect(make_tree, files, folder="api") == {
        "postgres": ["compose.yaml:13: compose service 'db' runs postgres:16 for this app"],
        "redis": ["compose.yaml:15: compose service 'cache' runs docker.io/library/redis:7-alpine for this app"],
    }
    assert detect(make_tree, files, folder="worker") == {"rabbitmq": ["compose.yaml:17: compose service 'queue' runs rabbitmq:3-management for this app"]}


def test_compose_in_the_app_folder_names_every_service(make_tree: MakeTree) -> None:
    compose = "services:\n  app:\n    build: .\n  search:\n    image: opensearchproject/opensearch:2\n  db:\n    image: bitnami/postgresql:16\n"
    assert detect(make_tree, {"docker-compose.yml": compose}) == {
        "elasticsearch": ["docker-compose.yml:5: compose service 'search' runs opensearchproject/opensearch:2"],
        "postgres": ["docker-compose.yml:7: compose service 'db' runs bitnami/postgresql:16"],
    }


@pytest.mark.parametrize(
    "compose",
    ["services: [1, 2]\n", "just text\n", "services:\n  db: 5\n  x:\n    image: [1]\n", "services:\n  web:\n    build: {context: 7}\n", ": : :\n  - ["],
)
def test_odd_or_malformed_compose_files_do_not_crash(make_tree: MakeTree, compose: str) -> None:
    assert detect(make_tree, {"compose.yaml": compose}) == {}


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("postgres", "postgres"), ("postgis/postgis:16-3.4", "postgres"), ("bitnami/postgresql:16", "postgres"),
        ("mysql/mysql-server:8.0", "mysql"), ("mariadb:11", "mysql"), ("valkey/valkey:8", "redis"),
        ("mongo@sha256:abc", "mongodb"), ("confluentinc/cp-kafka:7.6.0", "kafka"), ("nginx:1.27", None),
    ],
)  # fmt: skip
def test_service_for_image(image: str, kind: str | None) -> None:
    assert service_for_image(image) == kind


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("postgres://h/db", "postgres"), ("postgresql+asyncpg://h/db", "postgres"), ("mysql2://h/db", "mysql"),
        ("'redis://h:6379'", "redis"), ("mongodb+srv://c/x", "mongodb"), ("amqps://h", "rabbitmq"),
        ("nats://h:4222", "nats"), ("https://example.com", None), ("not a url", None),
        ("jdbc:postgresql://h:5432/db", "postgres"), ("jdbc:mysql://h/db", "mysql"), ("jdbc:h2:mem:db", None),
        ("sqlite:///db.sqlite3", None),
    ],
)  # fmt: skip
def test_service_for_url(url: str, kind: str | None) -> None:
    assert service_for_url(url) == kind


@pytest.mark.parametrize(
    ("dep", "manifest", "line", "major"),
    [
        ("elasticsearch", "requirements.txt", "elasticsearch==5.5.3", "5"),
        ("elasticsearch", "requirements.txt", "elasticsearch[async]>=8,<9", "8"),
        ("@elastic/elasticsearch", "package.json", '    "@elastic/elasticsearch": "^7.10.0",', "7"),
        ("elasticsearch", "Gemfile", 'gem "elasticsearch", "~> 7.17"', "7"),
        ("github.com/elastic/go-elasticsearch/v8", "go.mod", "\tgithub.com/elastic/go-elasticsearch/v8 v8.15.0", "8"),
        ("elasticsearch", "requirements.txt", "elasticsearch", None),
    ],
)
def test_a_versioned_client_pins_its_server_major(make_tree: MakeTree, dep: str, manifest: str, line: str, major: str | None) -> None:
    language = {"requirements.txt": "python", "package.json": "node", "Gemfile": "ruby", "go.mod": "go"}[manifest]
    found = Findings()
    found.add_dep(dep, Evidence(manifest, 1, f"requires {dep}"))
    detect(make_tree, {manifest: line + "\n"}, found, language=language)
    assert found.service_versions.get("elasticsearch") == major


PRISMA_CLIENT = 'generator client {\n  provider = "prisma-client-js"\n}\n\n'


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"prisma/schema.prisma": PRISMA_CLIENT + 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'},
         {"postgres": ["prisma/schema.prisma:6: Prisma datasource provider 'postgresql'"]}),
        ({"schema.prisma": 'datasource db {\n  url = env("DATABASE_URL")\n  provider = "mysql"\n}\n'},
         {"mysql": ["schema.prisma:3: Prisma datasource provider 'mysql'"]}),
        # Prisma 5.15+ multi-file schemas: the datasource lives in any file of prisma/schema/.
        ({"prisma/schema/main.prisma": 'datasource db {\n  provider = "mongodb"\n}\n', "prisma/schema/user.prisma": "model User {\n  id String @id\n}\n"},
         {"mongodb": ["prisma/schema/main.prisma:2: Prisma datasource provider 'mongodb'"]}),
        # A file, not a server; and a generator's provider is not a database.
        ({"prisma/schema.prisma": PRISMA_CLIENT + 'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n'}, {}),
    ],
)
def test_a_prisma_datasource_names_the_database(make_tree: MakeTree, files: dict[str, str | bytes], expected: dict[str, list[str]]) -> None:
    assert detect(make_tree, files, language="node") == expected

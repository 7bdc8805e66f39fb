"""Backing services the default configuration uses are started; the others are listed as options.

Each tree has the shape of a real app where a driver or setting for a backend sits next to a
default configuration that does not use it (issue 11, pattern 10): laravel/laravel (SQLite and
database drivers by default), spring-petclinic (H2, with MySQL and Postgres profiles), wagtail's
bakerydemo (an Elasticsearch 5 client imported only when an endpoint is set).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from migrate.generate import generate
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

MakeTree = Callable[[dict[str, str | bytes]], Path]

COMPOSER = json.dumps({"require": {"php": "^8.2", "laravel/framework": "^11.9"}}) + "\n"
LARAVEL_DEFAULTS: dict[str, str | bytes] = {
    "composer.json": COMPOSER,
    "artisan": "#!/usr/bin/env php\n<?php\n",
    "public/index.php": "<?php\nrequire __DIR__.'/../vendor/autoload.php';\n",
    "config/database.php": (
        "<?php\nreturn [\n    'default' => env('DB_CONNECTION', 'sqlite'),\n    'connections' => [\n"
        "        'mysql' => ['host' => env('DB_HOST', '127.0.0.1'), 'options' => [PDO::MYSQL_ATTR_SSL_CA => env('MYSQL_ATTR_SSL_CA')]],\n"
        "    ],\n    'redis' => ['default' => ['host' => env('REDIS_HOST', '127.0.0.1'), 'port' => env('REDIS_PORT', '6379')]],\n];\n"
    ),
    "config/cache.php": (
        "<?php\nreturn [\n    'default' => env('CACHE_STORE', 'database'),\n"
        "    'stores' => ['memcached' => ['servers' => [['host' => env('MEMCACHED_HOST', '127.0.0.1')]]]],\n];\n"
    ),
    "config/queue.php": "<?php\nreturn ['default' => env('QUEUE_CONNECTION', 'database')];\n",
    ".env.example": "APP_KEY=\nDB_CONNECTION=sqlite\nSESSION_DRIVER=database\nQUEUE_CONNECTION=database\nCACHE_STORE=database\nREDIS_HOST=127.0.0.1\nMEMCACHED_HOST=127.0.0.1\n",
}


def only(root: Path) -> AppProfile:
    (app,) = inspect_tree(root).apps
    return app


def compose_of(root: Path) -> dict[str, Any]:
    content = next(f.content for f in generate(inspect_tree(root)) if f.path == "compose.yaml")
    data: dict[str, Any] = yaml.safe_load(content)
    return data


def started(compose: dict[str, Any]) -> list[str]:
    """Services ``docker compose up`` starts (optional tools sit behind a profile)."""
    return sorted(name for name, spec in compose["services"].items() if "profiles" not in spec)


def generated(root: Path, path: str) -> str:
    return next(f.content for f in generate(inspect_tree(root)) if f.path == path)


def test_laravel_defaults_start_no_server_and_list_the_options(make_tree: MakeTree) -> None:
    root = make_tree(LARAVEL_DEFAULTS)
    app = only(root)
    assert app.backing_services == ()
    optional = {s.kind: s for s in app.optional_services}
    assert sorted(optional) == ["memcached", "mysql", "redis"]
    assert optional["mysql"].enable == "set DB_CONNECTION=mysql"
    assert str(optional["mysql"].evidence[0]) == ".env.example:2: DB_CONNECTION=sqlite: the default configuration does not use mysql"
    assert optional["redis"].enable == "set CACHE_STORE=redis or SESSION_DRIVER=redis or QUEUE_CONNECTION=redis"
    assert optional["memcached"].enable == "set CACHE_STORE=memcached or SESSION_DRIVER=memcached"
    assert all(s.status == "optional" for s in app.optional_services)

    compose = compose_of(root)
    assert started(compose) == ["tree"]
    environment = compose["services"]["tree"].get("environment", {})
    # Settings of servers that are not started get no value (MYSQL_ATTR_SSL_CA is mysql's, by its name).
    assert not {"DB_CONNECTION", "DB_HOST", "REDIS_HOST", "MYSQL_ATTR_SSL_CA", "MEMCACHED_HOST"} & set(environment)
    docs = generated(root, "CONTAINERS.md")
    assert "| `mysql` (image `mysql:8.4`) | set DB_CONNECTION=mysql | .env.example:2: DB_CONNECTION=sqlite" in docs
    assert "| `memcached` | set CACHE_STORE=memcached or SESSION_DRIVER=memcached |" in docs
    # No server, so no PDO server driver and no phpredis compiled into the image.
    dockerfile = generated(root, "Dockerfile")
    assert "pdo_mysql" not in dockerfile and "pecl install redis" not in dockerfile


def test_the_code_default_decides_when_the_example_env_is_silent(make_tree: MakeTree) -> None:
    files = {**LARAVEL_DEFAULTS, ".env.example": "APP_KEY=\n"}
    files["config/database.php"] = str(files["config/database.php"]).replace("'sqlite'", "'mysql'")
    root = make_tree(files)
    app = only(root)
    assert [s.kind for s in app.backing_services] == ["mysql"]
    assert "config/database.php:3: DB_CONNECTION=mysql" in [str(e) for e in app.backing_services[0].evidence]
    assert sorted(s.kind for s in app.optional_services) == ["memcached", "redis"]
    # Compose points the app at mysql, so the image has the driver for it, though no
    # .env.example names it for the detector's own extension list.
    assert app.detail("php_extensions") is None
    assert compose_of(root)["services"]["tree"]["environment"]["DB_CONNECTION"] == "mysql"
    assert "pdo_mysql" in generated(root, "Dockerfile")


def test_a_database_url_that_falls_back_to_sqlite_starts_no_server(make_tree: MakeTree) -> None:
    """miguelgrinberg/flasky: psycopg2 is installed (for Heroku), the default configuration runs on sqlite."""
    config = ("import os\nbasedir = os.path.dirname(__file__)\n\nclass Config:\n"
              "    SQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL') or \\\n"
              "        'sqlite:///' + os.path.join(basedir, 'data.sqlite')\n")
    app = only(make_tree({"requirements.txt": "flask\npsycopg2==2.9.9\ngunicorn\n", "config.py": config,
                          "app.py": "from flask import Flask\napp = Flask(__name__)\n"}))
    assert app.backing_services == ()
    (postgres,) = app.optional_services
    assert postgres.kind == "postgres" and postgres.enable == "set DATABASE_URL=<a postgres URL>"
    assert "config.py:5: DATABASE_URL=sqlite:///…: the default configuration does not use postgres" in [str(e) for e in postgres.evidence]


def test_a_selector_that_picks_a_service_starts_it(make_tree: MakeTree) -> None:
    files = {**LARAVEL_DEFAULTS, ".env.example": "DB_CONNECTION=pgsql\nCACHE_STORE=redis\nQUEUE_CONNECTION=database\n"}
    root = make_tree(files)
    app = only(root)
    assert sorted(s.kind for s in app.backing_services) == ["postgres", "redis"]
    # MySQL stays an option (its settings are in config/database.php): DB_CONNECTION picks Postgres.
    assert [s.kind for s in app.optional_services] == ["memcached", "mysql"]
    assert started(compose_of(root)) == ["postgres", "redis", "tree"]
    dockerfile = generated(root, "Dockerfile")
    assert "pdo_pgsql" in dockerfile and "redis-" in dockerfile


PETCLINIC: dict[str, str | bytes] = {
    "pom.xml": (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n'
        "  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.4.0</version></parent>\n"
        "  <artifactId>petclinic</artifactId><version>1.0</version>\n  <properties><java.version>17</java.version></properties>\n"
        "  <dependencies>\n"
        "    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>\n"
        "    <dependency>\n      <groupId>com.h2database</groupId>\n      <artifactId>h2</artifactId>\n      <scope>runtime</scope>\n    </dependency>\n"
        "    <dependency><groupId>com.mysql</groupId><artifactId>mysql-connector-j</artifactId><scope>runtime</scope></dependency>\n"
        "    <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><scope>runtime</scope></dependency>\n"
        "  </dependencies>\n</project>\n"
    ),
    "src/main/java/p/App.java": "package p;\n@SpringBootApplication\npublic class App {}\n",
    "src/main/resources/application.properties": "database=h2\nspring.sql.init.schema-locations=classpath*:db/${database}/schema.sql\n",
    "src/main/resources/application-mysql.properties": (
        "spring.datasource.url=${MYSQL_URL:jdbc:mysql://localhost/petclinic}\nspring.datasource.username=${MYSQL_USER:petclinic}\n"
    ),
    "src/main/resources/application-postgres.properties": (
        "spring.datasource.url=${POSTGRES_URL:jdbc:postgresql://localhost/petclinic}\nspring.datasource.username=${POSTGRES_USER:petclinic}\n"
    ),
    "docker-compose.yml": "services:\n  mysql:\n    image: mysql:9.6\n  postgres:\n    image: postgres:18.3\n",
}


def test_spring_on_h2_lists_its_database_profiles_as_options(make_tree: MakeTree) -> None:
    root = make_tree(PETCLINIC)
    app = only(root)
    assert app.backing_services == ()
    optional = {s.kind: s for s in app.optional_services}
    assert optional["mysql"].enable == "run with SPRING_PROFILES_ACTIVE=mysql"
    assert optional["postgres"].enable == "run with SPRING_PROFILES_ACTIVE=postgres"
    assert str(optional["mysql"].evidence[0]) == (
        "pom.xml:10: depends on h2 and the default profile sets no spring.datasource.url: Spring Boot runs on h2"
    )
    compose = compose_of(root)
    assert started(compose) == ["petclinic"]
    assert not {"MYSQL_URL", "POSTGRES_URL", "MYSQL_USER"} & set(compose["services"]["petclinic"].get("environment", {}))


def test_spring_with_an_active_profile_starts_its_database(make_tree: MakeTree) -> None:
    files = {**PETCLINIC, "src/main/resources/application.properties": "spring.profiles.active=postgres\n"}
    root = make_tree(files)
    app = only(root)
    assert [s.kind for s in app.backing_services] == ["postgres"]
    assert [s.kind for s in app.optional_services] == ["mysql"]
    assert str(app.optional_services[0].evidence[0]) == (
        "src/main/resources/application-postgres.properties:1: "
        "spring.datasource.url=${POSTGRES_URL:jdbc:postgresql://localhost/petclinic}: the default profile uses postgres"
    )
    environment = compose_of(root)["services"]["petclinic"]["environment"]
    # Each URL variable is wired to its own server or not at all: MYSQL_URL never gets a postgres URL.
    assert environment["POSTGRES_URL"] == "jdbc:postgresql://postgres:5432/app"
    assert "MYSQL_URL" not in environment


def test_server_specific_variables_get_only_their_own_server(make_tree: MakeTree) -> None:
    files = {
        "requirements.txt": "flask==3.0.0\npsycopg2-binary==2.9.9\nPyMySQL==1.1.0\n",
        "app.py": (
            "import os\nfrom flask import Flask\napp = Flask(__name__)\n"
            "PG = os.environ['POSTGRES_URL']\nMY = os.environ['MYSQL_URL']\nMYHOST = os.environ['MYSQL_HOST']\nPGHOST = os.environ['PGHOST']\n"
        ),
    }
    environment = compose_of(make_tree(files))["services"]["tree"]["environment"]
    assert environment["POSTGRES_URL"].startswith("postgresql://") and environment["PGHOST"] == "postgres"
    assert environment["MYSQL_URL"].startswith("mysql://") and environment["MYSQL_HOST"] == "mysql"


BAKERY: dict[str, str | bytes] = {
    "requirements.txt": "Django>=5.0,<5.1\nelasticsearch==5.5.3\npsycopg[binary]>=3.1\n",
    "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'bakery.settings')\n",
    "bakery/settings.py": (
        "import os\nDATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n"
        "ELASTICSEARCH_ENDPOINT = os.getenv('ELASTICSEARCH_ENDPOINT', '')\n\n"
        "if ELASTICSEARCH_ENDPOINT:\n    from elasticsearch import RequestsHttpConnection\n\n"
        "    WAGTAILSEARCH_BACKENDS = {'default': {'HOSTS': [ELASTICSEARCH_ENDPOINT]}}\n"
    ),
    "bakery/wsgi.py": "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
}


def test_a_client_imported_only_under_an_if_is_optional(make_tree: MakeTree) -> None:
    root = make_tree(BAKERY)
    app = only(root)
    assert [s.kind for s in app.backing_services] == ["postgres"]
    (search,) = app.optional_services
    assert (search.kind, search.enable, search.version) == ("elasticsearch", "set ELASTICSEARCH_ENDPOINT", "5")
    assert str(search.evidence[0]) == "bakery/settings.py:5: the elasticsearch client is imported only under `if ELASTICSEARCH_ENDPOINT:`"
    assert started(compose_of(root)) == ["postgres", "tree", "tree-release"]  # the release step (manage.py migrate) runs once
    # If it is started, the server's major matches the client's.
    assert "| `elasticsearch` (image `docker.elastic.co/elasticsearch/elasticsearch:5.6.16`) |" in generated(root, "CONTAINERS.md")


def test_an_unconditional_import_keeps_the_service_and_its_major(make_tree: MakeTree) -> None:
    files = {**BAKERY, "bakery/search.py": "from elasticsearch import Elasticsearch\nclient = Elasticsearch()\n"}
    root = make_tree(files)
    app = only(root)
    assert sorted(s.kind for s in app.backing_services) == ["elasticsearch", "postgres"]
    assert compose_of(root)["services"]["elasticsearch"]["image"] == "docker.elastic.co/elasticsearch/elasticsearch:5.6.16"


def test_the_projects_own_compose_decides_before_the_framework(make_tree: MakeTree) -> None:
    compose = "services:\n  app:\n    build: .\n    depends_on: [db]\n  db:\n    image: mysql:8\n"
    files = {**LARAVEL_DEFAULTS, "docker-compose.yml": compose}
    app = only(make_tree(files))
    assert [s.kind for s in app.backing_services] == ["mysql"]
    assert "docker-compose.yml:6: compose service 'db' runs mysql:8 for this app" in [str(e) for e in app.backing_services[0].evidence]


def test_optional_services_in_json(make_tree: MakeTree) -> None:
    data = inspect_tree(make_tree(BAKERY)).to_json()["apps"][0]
    assert data["backing_services"] == ["postgres"]
    assert data["optional_services"] == [
        {
            "kind": "elasticsearch",
            "status": "optional",
            "enable": "set ELASTICSEARCH_ENDPOINT",
            "version": "5",
            "evidence": [
                "bakery/settings.py:5: the elasticsearch client is imported only under `if ELASTICSEARCH_ENDPOINT:`",
                "requirements.txt:2: client elasticsearch 5.x needs a 5.x server",
                "requirements.txt:2: dependency 'elasticsearch'",
            ],
        }
    ]


def test_the_switch_of_an_optional_service_is_left_unset(make_tree: MakeTree) -> None:
    # Any value in REDIS_URL (a dev-only placeholder included) would turn the cache on, against a
    # server compose does not start.
    files = {
        "requirements.txt": "flask==3.0.0\nredis==5.2.1\n",
        ".env.example": "REDIS_URL=\n",
        "app.py": (
            "from flask import Flask\nfrom config import settings\napp = Flask(__name__)\n"
            "if settings.REDIS_URL:\n    import redis\n    cache = redis.Redis.from_url(settings.REDIS_URL)\n"
        ),
    }
    root = make_tree(files)
    app = only(root)
    assert [s.kind for s in app.optional_services] == ["redis"]
    assert [v.name for v in app.env] == ["REDIS_URL"]
    assert "REDIS_URL" not in compose_of(root)["services"]["tree"].get("environment", {})


def test_a_database_url_defaulting_to_sqlite_picks_no_server(make_tree: MakeTree) -> None:
    files = {
        "requirements.txt": "flask==3.0.0\npsycopg2-binary==2.9.9\n",
        "app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\nDB = os.environ.get('DATABASE_URL', 'sqlite:///notes.db')\n",
    }
    root = make_tree(files)
    app = only(root)
    assert app.backing_services == ()
    (postgres,) = app.optional_services
    assert postgres.enable == "set DATABASE_URL=<a postgres URL>"
    assert str(postgres.evidence[0]) == "app.py:4: DATABASE_URL=sqlite:///notes.db: the default configuration does not use postgres"
    assert "DATABASE_URL" not in compose_of(root)["services"]["tree"].get("environment", {})
    # ...and an example env file that points it at a server starts that server.
    (root / ".env.example").write_text("DATABASE_URL=postgresql://app:app@localhost/notes\n")
    assert [s.kind for s in only(root).backing_services] == ["postgres"]

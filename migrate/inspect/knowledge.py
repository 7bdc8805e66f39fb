"""Facts about the ecosystem that inspection relies on, kept as data.

Nothing here reads a tree; detectors look things up in these tables so that a
new database driver or runtime default is a one-line change.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: The runtime assumed when a project pins none (current, supported, with official slim images).
DEFAULT_RUNTIME: dict[str, str] = {
    "python": "3.12",
    "node": "22",
    "go": "1.24",
    "java": "21",
    "ruby": "3.3",
    "php": "8.3",
    "dotnet": "8.0",
    "rust": "1.85",
    "deno": "2",
}

#: Dependency name (as the ecosystem spells it) -> backing service it talks to.
SERVICE_BY_DEPENDENCY: dict[str, dict[str, str]] = {
    "python": {
        "psycopg2": "postgres", "psycopg2-binary": "postgres", "psycopg": "postgres",
        "asyncpg": "postgres", "pg8000": "postgres",
        "mysqlclient": "mysql", "pymysql": "mysql", "aiomysql": "mysql", "mysql-connector-python": "mysql",
        "redis": "redis", "aioredis": "redis", "django-redis": "redis", "rq": "redis",
        "pymongo": "mongodb", "motor": "mongodb", "mongoengine": "mongodb", "beanie": "mongodb",
        "pika": "rabbitmq", "aio-pika": "rabbitmq",
        "kafka-python": "kafka", "confluent-kafka": "kafka", "aiokafka": "kafka",
        "elasticsearch": "elasticsearch", "elasticsearch-dsl": "elasticsearch",
        "pymemcache": "memcached", "python-memcached": "memcached",
        "nats-py": "nats",
        "psycopg-binary": "postgres", "psycopg-pool": "postgres", "psycopg2cffi": "postgres", "aiopg": "postgres",
        "asyncmy": "mysql", "mysql-connector": "mysql",
        "hiredis": "redis", "valkey": "redis", "channels-redis": "redis", "arq": "redis", "redis-om": "redis",
        "flask-pymongo": "mongodb", "odmantic": "mongodb", "djongo": "mongodb",
        "opensearch-py": "elasticsearch", "elasticsearch8": "elasticsearch", "pylibmc": "memcached",
    },
    "node": {
        "pg": "postgres", "postgres": "postgres", "pg-promise": "postgres", "@neondatabase/serverless": "postgres",
        "mysql": "mysql", "mysql2": "mysql",
        "redis": "redis", "ioredis": "redis", "bullmq": "redis", "bull": "redis", "@upstash/redis": "redis",
        "mongodb": "mongodb", "mongoose": "mongodb",
        "amqplib": "rabbitmq", "amqp-connection-manager": "rabbitmq",
        "kafkajs": "kafka", "@elastic/elasticsearch": "elasticsearch",
        "memjs": "memcached", "nats": "nats",
        "@redis/client": "redis", "connect-redis": "redis", "bee-queue": "redis", "@fastify/redis": "redis",
        "@fastify/postgres": "postgres", "mariadb": "mysql", "@fastify/mongodb": "mongodb",
        "@opensearch-project/opensearch": "elasticsearch",
        # Cache and rate-limit stores that connect on start-up (hapi's catbox engines: hapijs/university).
        "catbox-redis": "redis", "@hapi/catbox-redis": "redis", "catbox-memcached": "memcached",
        "@hapi/catbox-memcached": "memcached", "catbox-mongodb": "mongodb", "@keyv/redis": "redis",
        "rate-limit-redis": "redis", "@socket.io/redis-adapter": "redis",
    },
    "go": {
        "github.com/lib/pq": "postgres", "github.com/jackc/pgx": "postgres", "github.com/jackc/pgx/v4": "postgres",
        "github.com/jackc/pgx/v5": "postgres", "gorm.io/driver/postgres": "postgres",
        "github.com/go-sql-driver/mysql": "mysql", "gorm.io/driver/mysql": "mysql",
        "github.com/redis/go-redis/v9": "redis", "github.com/go-redis/redis/v8": "redis",
        "github.com/gomodule/redigo": "redis",
        "go.mongodb.org/mongo-driver": "mongodb", "go.mongodb.org/mongo-driver/v2": "mongodb",
        "github.com/rabbitmq/amqp091-go": "rabbitmq", "github.com/streadway/amqp": "rabbitmq",
        "github.com/segmentio/kafka-go": "kafka", "github.com/IBM/sarama": "kafka",
        "github.com/elastic/go-elasticsearch/v8": "elasticsearch", "github.com/nats-io/nats.go": "nats",
    },
    "java": {
        "postgresql": "postgres", "mysql-connector-j": "mysql", "mysql-connector-java": "mysql",
        "mariadb-java-client": "mysql",
        "spring-boot-starter-data-redis": "redis", "jedis": "redis", "lettuce-core": "redis",
        "spring-boot-starter-data-mongodb": "mongodb", "mongodb-driver-sync": "mongodb",
        "spring-boot-starter-amqp": "rabbitmq", "amqp-client": "rabbitmq",
        "spring-kafka": "kafka", "kafka-clients": "kafka",
        "spring-boot-starter-data-elasticsearch": "elasticsearch",
    },
    "ruby": {
        "pg": "postgres", "mysql2": "mysql", "trilogy": "mysql",
        "redis": "redis", "sidekiq": "redis", "resque": "redis",
        "mongoid": "mongodb", "mongo": "mongodb", "bunny": "rabbitmq", "sneakers": "rabbitmq",
        "ruby-kafka": "kafka", "rdkafka": "kafka", "karafka": "kafka",
        "elasticsearch": "elasticsearch", "searchkick": "elasticsearch", "dalli": "memcached",
    },
    "php": {
        "predis/predis": "redis", "ext-redis": "redis", "ext-pgsql": "postgres", "ext-pdo_pgsql": "postgres",
        "ext-mysqli": "mysql", "ext-pdo_mysql": "mysql", "mongodb/laravel-mongodb": "mongodb",
        "mongodb/mongodb": "mongodb", "ext-mongodb": "mongodb", "php-amqplib/php-amqplib": "rabbitmq",
        "elasticsearch/elasticsearch": "elasticsearch",
    },
    "dotnet": {
        "npgsql": "postgres", "npgsql.entityframeworkcore.postgresql": "postgres",
        "mysqlconnector": "mysql", "mysql.data": "mysql", "pomelo.entityframeworkcore.mysql": "mysql",
        "stackexchange.redis": "redis", "microsoft.extensions.caching.stackexchangeredis": "redis",
        "mongodb.driver": "mongodb", "rabbitmq.client": "rabbitmq", "masstransit.rabbitmq": "rabbitmq",
        "confluent.kafka": "kafka", "elastic.clients.elasticsearch": "elasticsearch", "nest": "elasticsearch",
        # Aspire client integrations (not the Aspire.Hosting.* packages of an AppHost, which starts them).
        "aspire.npgsql": "postgres", "aspire.npgsql.entityframeworkcore.postgresql": "postgres",
        "aspire.mysqlconnector": "mysql", "aspire.pomelo.entityframeworkcore.mysql": "mysql",
        "aspire.stackexchange.redis": "redis", "aspire.stackexchange.redis.distributedcaching": "redis",
        "aspire.stackexchange.redis.outputcaching": "redis", "aspire.mongodb.driver": "mongodb",
        "aspire.rabbitmq.client": "rabbitmq", "aspire.confluent.kafka": "kafka",
        "aspire.elastic.clients.elasticsearch": "elasticsearch",
    },
    "rust": {
        "tokio-postgres": "postgres", "postgres": "postgres", "sqlx/postgres": "postgres",
        "diesel/postgres": "postgres", "deadpool-postgres": "postgres", "sea-orm/sqlx-postgres": "postgres",
        "mysql": "mysql", "mysql_async": "mysql", "sqlx/mysql": "mysql", "diesel/mysql": "mysql",
        "redis": "redis", "deadpool-redis": "redis", "fred": "redis",
        "mongodb": "mongodb", "lapin": "rabbitmq", "rdkafka": "kafka", "elasticsearch": "elasticsearch",
        "async-nats": "nats",
    },
    "deno": {
        "npm:pg": "postgres", "npm:postgres": "postgres", "npm:redis": "redis", "npm:ioredis": "redis",
        "npm:mongodb": "mongodb", "npm:mysql2": "mysql",
        "npm:pg-promise": "postgres", "npm:@neondatabase/serverless": "postgres", "jsr:@db/postgres": "postgres",
        "deno.land/x/postgres": "postgres", "npm:mysql": "mysql", "deno.land/x/mysql": "mysql",
        "jsr:@db/redis": "redis", "deno.land/x/redis": "redis", "npm:bullmq": "redis",
        "npm:mongoose": "mongodb", "deno.land/x/mongo": "mongodb",
        "npm:amqplib": "rabbitmq", "npm:kafkajs": "kafka", "npm:nats": "nats", "jsr:@nats-io/transport-deno": "nats",
    },
}  # fmt: skip

#: Image name (without registry path and tag) in an existing compose file -> service.
SERVICE_BY_IMAGE: dict[str, str] = {
    "postgres": "postgres", "postgresql": "postgres", "postgis": "postgres", "pgvector": "postgres", "timescaledb": "postgres",
    "mysql": "mysql", "mysql-server": "mysql", "mariadb": "mysql", "percona": "mysql",
    "redis": "redis", "redis-stack": "redis", "valkey": "redis", "keydb": "redis",
    "mongo": "mongodb", "mongodb": "mongodb", "mongodb-community-server": "mongodb",
    "rabbitmq": "rabbitmq", "kafka": "kafka", "cp-kafka": "kafka", "redpanda": "kafka",
    "elasticsearch": "elasticsearch", "opensearch": "elasticsearch",
    "memcached": "memcached", "nats": "nats", "localstack": "localstack",
}  # fmt: skip

#: URL schemes seen in env values (``.env.example``) -> service.
SERVICE_BY_URL_SCHEME: dict[str, str] = {
    "postgres": "postgres", "postgresql": "postgres", "postgis": "postgres",
    "mysql": "mysql", "mysql2": "mysql", "mariadb": "mysql",
    "redis": "redis", "rediss": "redis", "mongodb": "mongodb", "mongodb+srv": "mongodb",
    "amqp": "rabbitmq", "amqps": "rabbitmq", "kafka": "kafka", "nats": "nats",
}  # fmt: skip

#: Env var name patterns -> service (checked in order).
SERVICE_BY_ENV_NAME: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), s)
    for p, s in (
        (r"^(POSTGRES(QL)?_|PG(HOST|USER|PASSWORD|DATABASE|PORT)$)", "postgres"),
        (r"^(MYSQL|MARIADB)_", "mysql"),
        (r"^REDIS(_|$)", "redis"),
        (r"^MONGO(DB)?_", "mongodb"),
        (r"^(RABBITMQ|AMQP)_", "rabbitmq"),
        (r"^KAFKA_", "kafka"),
        (r"^(ELASTICSEARCH|ELASTIC|OPENSEARCH)_(URL|HOST|HOSTS|NODE)", "elasticsearch"),
        (r"^MEMCACHED?_", "memcached"),
        (r"^NATS_", "nats"),
    )
)

#: Servers whose clients speak only their own major version (the compose image must match the client).
VERSIONED_SERVICES: frozenset[str] = frozenset({"elasticsearch"})

_SQL_DRIVERS = {"mysql": "mysql", "mariadb": "mysql", "pgsql": "postgres", "pg": "postgres", "postgres": "postgres", "postgresql": "postgres"}
#: Variables whose value picks a backend among several the app is configured for (Laravel, AdonisJS):
#: name -> (service kinds it governs, value -> kind). A governed service no selector picks is optional.
SERVICE_SELECTORS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "DB_CONNECTION": (("mysql", "postgres"), _SQL_DRIVERS),
    "CACHE_STORE": (("redis", "memcached"), {"redis": "redis", "memcached": "memcached"}),
    "CACHE_DRIVER": (("redis", "memcached"), {"redis": "redis", "memcached": "memcached"}),
    "SESSION_DRIVER": (("redis", "memcached"), {"redis": "redis", "memcached": "memcached"}),
    "QUEUE_CONNECTION": (("redis",), {"redis": "redis"}),
    "BROADCAST_CONNECTION": (("redis",), {"redis": "redis"}),
    "BROADCAST_DRIVER": (("redis",), {"redis": "redis"}),
}

#: Variables whose URL value picks the SQL server (``DATABASE_URL=sqlite:///db.sqlite3`` picks none).
SQL_URL_SELECTOR = re.compile(r"^(DATABASE|DB|SQLALCHEMY_DATABASE)_(URL|URI|DSN)$")

#: Env var names that hold secrets. Matched against the upper-cased name.
SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|PASSWD|PASSPHRASE|_PASS$|^PASS$|_PWD$|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|"
    r"_KEY$|^KEY$|_KEY_|CREDENTIAL|SALT|SIGNING|DSN$|ENCRYPTION|CONNECTION_?STRING)"
)
#: Connection strings embed credentials, so they are secrets too.
#: Prefixed names count too: SQLALCHEMY_DATABASE_URI, APP_DB_URL, CELERY_RESULT_BACKEND.
SECRET_URL_NAME = re.compile(
    r"(^|_)(DATABASE|DB|POSTGRES(QL)?|PG|MYSQL|MARIADB|REDIS|MONGO(DB)?|AMQP|RABBITMQ|BROKER|CACHE)_(URL|URI|DSN)$"
    r"|^CELERY_RESULT_BACKEND$"
)
#: Names that match SECRET_NAME but hold settings about a secret, not the secret: token
#: lifetimes, hash algorithms, header names, paths to key files (the *_FILE convention).
NOT_SECRET_SUFFIX = re.compile(
    r"_(EXPIRES?|EXPIRY|EXPIRATION|EXPIRE_(MINUTES|SECONDS|HOURS|DAYS)|TTL|TIMEOUT|LIFETIME|AGE|LENGTH|"
    r"MINUTES|SECONDS|HOURS|DAYS|ALGORITHM|HEADER|PREFIX|NAME|FILE|PATH|DIR|URL|ENDPOINT|ENABLED)$"
)
#: Prefixes of variables compiled into browser bundles: public by construction.
PUBLIC_PREFIXES: tuple[str, ...] = ("NEXT_PUBLIC_", "VITE_", "REACT_APP_", "NUXT_PUBLIC_", "PUBLIC_", "EXPO_PUBLIC_", "GATSBY_")

#: Paths that conventionally answer health checks, in order of preference.
HEALTH_PATH = re.compile(r"^/?(healthz?|health[-_]?check|_health|livez|readyz|ready|ping|status|up)/?$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether an environment variable called ``name`` holds a secret."""
    upper = name.upper()
    if upper.startswith(PUBLIC_PREFIXES):
        return False
    if SECRET_URL_NAME.search(upper):
        return True
    return bool(SECRET_NAME.search(upper)) and not NOT_SECRET_SUFFIX.search(upper)


@lru_cache(maxsize=4096)  # asked once per read, and large apps read the same names in many files
def service_for_env_name(name: str) -> str | None:
    """The backing service an env var name points at, or None."""
    for pattern, service in SERVICE_BY_ENV_NAME:
        if pattern.search(name.upper()):
            return service
    return None


def service_for_url(value: str) -> str | None:
    """The backing service a connection URL points at (by scheme), or None."""
    # JDBC URLs put the driver's own URL after "jdbc:" (jdbc:postgresql://host/db).
    scheme, sep, _ = value.strip().strip("'\"").removeprefix("jdbc:").partition("://")
    if not sep:
        return None
    scheme = scheme.lower()
    # "postgresql+psycopg://" (SQLAlchemy) names the driver after a "+"; "mongodb+srv" is its own scheme.
    return SERVICE_BY_URL_SCHEME.get(scheme) or SERVICE_BY_URL_SCHEME.get(scheme.split("+")[0])


def service_for_image(image: str) -> str | None:
    """The backing service an image reference (``docker.io/library/postgres:16``) runs, or None."""
    name = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0].lower()
    return SERVICE_BY_IMAGE.get(name)

"""Backing services for local development, and how apps are wired to them.

Each service is data: a pinned image, the settings it starts with, a
healthcheck that the app's ``depends_on: service_healthy`` waits for, and its
data folder for a named volume. Wiring maps the environment variables an app
reads (``DATABASE_URL``, ``REDIS_HOST``, ``SPRING_DATASOURCE_URL``...) to
values that reach the compose service by name.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field, replace

from migrate.generate.versions import SERVICE_IMAGES, SERVICE_IMAGES_BY_MAJOR
from migrate.inspect.knowledge import service_for_env_name
from migrate.profile import AppProfile, BackingService

#: Local-only credentials: compose services are published on 127.0.0.1 only.
DEV_USER = "app"
DEV_PASSWORD = "app"
DEV_DB = "app"


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one backing service in compose."""

    kind: str
    name: str  # compose service name
    image: str
    port: int
    environment: dict[str, str] = field(default_factory=dict)
    healthcheck: tuple[str, ...] = ()
    data_path: str | None = None


SERVICES: dict[str, ServiceSpec] = {
    "postgres": ServiceSpec(
        "postgres", "postgres", SERVICE_IMAGES["postgres"], 5432,
        {"POSTGRES_USER": DEV_USER, "POSTGRES_PASSWORD": DEV_PASSWORD, "POSTGRES_DB": DEV_DB},
        ("CMD-SHELL", f"pg_isready -U {DEV_USER} -d {DEV_DB}"),
        "/var/lib/postgresql/data",
    ),
    "mysql": ServiceSpec(
        "mysql", "mysql", SERVICE_IMAGES["mysql"], 3306,
        {"MYSQL_DATABASE": DEV_DB, "MYSQL_USER": DEV_USER, "MYSQL_PASSWORD": DEV_PASSWORD, "MYSQL_ROOT_PASSWORD": DEV_PASSWORD},
        ("CMD-SHELL", f"mysqladmin ping -h 127.0.0.1 -u{DEV_USER} -p{DEV_PASSWORD} --silent"),
        "/var/lib/mysql",
    ),
    "redis": ServiceSpec("redis", "redis", SERVICE_IMAGES["redis"], 6379, {}, ("CMD", "redis-cli", "ping"), "/data"),
    "mongodb": ServiceSpec(
        "mongodb", "mongo", SERVICE_IMAGES["mongodb"], 27017, {},
        ("CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"), "/data/db",
    ),
    "rabbitmq": ServiceSpec(
        "rabbitmq", "rabbitmq", SERVICE_IMAGES["rabbitmq"], 5672,
        {"RABBITMQ_DEFAULT_USER": DEV_USER, "RABBITMQ_DEFAULT_PASS": DEV_PASSWORD},
        ("CMD", "rabbitmq-diagnostics", "-q", "ping"), "/var/lib/rabbitmq",
    ),
    "kafka": ServiceSpec(
        "kafka", "kafka", SERVICE_IMAGES["kafka"], 9092,
        {
            # One KRaft node that is its own controller, reachable as kafka:9092 from other containers.
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
            "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka:9092",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@kafka:9093",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        },
        ("CMD-SHELL", "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 > /dev/null"),
        "/var/lib/kafka/data",
    ),
    "elasticsearch": ServiceSpec(
        "elasticsearch", "elasticsearch", SERVICE_IMAGES["elasticsearch"], 9200,
        {"discovery.type": "single-node", "xpack.security.enabled": "false", "ES_JAVA_OPTS": "-Xms512m -Xmx512m"},
        ("CMD-SHELL", "curl -fsS http://localhost:9200/_cluster/health > /dev/null"),
        "/usr/share/elasticsearch/data",
    ),
}  # fmt: skip

_URLS: dict[str, str] = {
    "postgres": f"postgresql://{DEV_USER}:{DEV_PASSWORD}@postgres:5432/{DEV_DB}",
    "mysql": f"mysql://{DEV_USER}:{DEV_PASSWORD}@mysql:3306/{DEV_DB}",
    "redis": "redis://redis:6379/0",
    "mongodb": f"mongodb://mongo:27017/{DEV_DB}",
    "rabbitmq": f"amqp://{DEV_USER}:{DEV_PASSWORD}@rabbitmq:5672/",
    "kafka": "kafka:9092",
    "elasticsearch": "http://elasticsearch:9200",
}
#: .NET connection strings (``ConnectionStrings__Default``): Npgsql, MySqlConnector, StackExchange.Redis, MongoDB.
_ADONET = {
    "postgres": f"Host=postgres;Port=5432;Database={DEV_DB};Username={DEV_USER};Password={DEV_PASSWORD}",
    "mysql": f"Server=mysql;Port=3306;Database={DEV_DB};User ID={DEV_USER};Password={DEV_PASSWORD}",
    "redis": "redis:6379",
}
_JDBC = {"postgres": f"jdbc:postgresql://postgres:5432/{DEV_DB}", "mysql": f"jdbc:mysql://mysql:3306/{DEV_DB}"}

# (env name pattern, service kinds it may point at, value kind). Checked in order; the
# first service kind the app actually uses wins. A name that says which server it is for
# (MYSQL_URL, PGHOST) gets that server's value or none: never another server's.
_SQL = ("postgres", "mysql")
_SQL_PREFIXES = (("(POSTGRES(QL)?|PG)", ("postgres",)), ("(MYSQL|MARIADB)", ("mysql",)), ("(DB|DATABASE)", _SQL))
_SQL_SETTINGS = (
    ("_(URL|URI|DSN)", "url"), ("_?HOST(NAME)?", "host"), ("_?PORT", "port"), ("_?(USER|USERNAME)", "user"),
    ("_?(PASSWORD|PASS)", "password"), ("_?(NAME|DATABASE|DB)", "database"),
)  # fmt: skip
_RULES: tuple[tuple[re.Pattern[str], tuple[str, ...], str], ...] = tuple(
    (re.compile(p), kinds, value)
    for p, kinds, value in (
        (r"^SPRING_DATASOURCE_URL$", _SQL, "jdbc"),
        (r"^SPRING_DATASOURCE_USERNAME$", _SQL, "user"),
        (r"^SPRING_DATASOURCE_PASSWORD$", _SQL, "password"),
        (r"^CONNECTIONSTRINGS__\w+$", _SQL + ("redis", "mongodb"), "adonet"),
        *((f"^{prefix}{setting}$", kinds, value) for prefix, kinds in _SQL_PREFIXES for setting, value in _SQL_SETTINGS),
        (r"^DB_CONNECTION$", _SQL, "driver"),
        (r"^(REDIS|CACHE)_(URL|URI|DSN)$", ("redis",), "url"),
        (r"^REDIS_HOST$", ("redis",), "host"),
        (r"^REDIS_PORT$", ("redis",), "port"),
        (r"^(CELERY_BROKER|BROKER)_URL$", ("rabbitmq", "redis"), "url"),
        (r"^CELERY_RESULT_BACKEND$", ("redis",), "url"),
        (r"^MONGO(DB)?_(URL|URI|DSN)$", ("mongodb",), "url"),
        (r"^(AMQP|RABBITMQ|RABBIT)_(URL|URI)$", ("rabbitmq",), "url"),
        (r"^KAFKA_(BROKERS|BOOTSTRAP_SERVERS|URL)$", ("kafka",), "url"),
        (r"^(ELASTICSEARCH|ELASTIC|OPENSEARCH)_(URL|HOST|HOSTS|NODE)$", ("elasticsearch",), "url"),
    )
)


def services_for(apps: list[AppProfile]) -> list[ServiceSpec]:
    """The backing services the apps' default configurations use, each once, in a stable order.

    Optional services (``AppProfile.optional_services``) are not started: CONTAINERS.md lists them.
    A server whose client speaks one major version runs that major.
    """
    used = {s.kind: s for a in apps for s in a.backing_services if s.kind in SERVICES}
    return [replace(SERVICES[k], image=service_image(used[k]) or SERVICES[k].image) for k in sorted(used)]


def service_image(service: BackingService) -> str | None:
    """The image that runs ``service`` (matching its client's major version where that matters), or None."""
    by_major = SERVICE_IMAGES_BY_MAJOR.get(service.kind, {})
    if service.version is not None and service.version in by_major:
        return by_major[service.version]
    return SERVICES[service.kind].image if service.kind in SERVICES else None


@dataclass(frozen=True)
class Peer:
    """Another app of the same compose file, reachable by its service name."""

    service: str
    port: int | None


_PEER_SUFFIX = re.compile(r"_(URL|URI|ENDPOINT|BASE_URL|API_URL|HOST|ADDR|ADDRESS)$")


def wiring(app: AppProfile, peers: dict[str, Peer] | None = None) -> dict[str, str]:
    """Env var -> value for local development, as compose sets it for ``app``.

    Connection settings point at the compose backing services and at sibling
    apps (``ORDERS_URL`` -> ``http://orders:8000``); required variables with no
    default get a dev-only value, overridable from ``.env``, so the stack starts
    out of the box. Optional variables get no value at all: the app's own
    default applies, and no made-up value switches a feature on.
    """
    used = {s.kind for s in app.backing_services}
    optional = {s.kind for s in app.optional_services}
    jvm = app.language.value == "java"  # JDBC drivers take jdbc: URLs only
    values: dict[str, str] = {}
    for var in app.env:
        if _for_optional_service(var.name, used, optional, jvm):
            continue  # a setting of a service compose does not start: any value could switch it on
        value = _service_value(var.name, used, jvm) or _peer_value(var.name, peers or {})
        if value is None and var.required and var.default is None:
            placeholder = dev_placeholder(var.name, var.shape)
            value = None if placeholder is None else f"${{{var.name}:-{placeholder}}}"
        if value is not None:
            values[var.name] = value
    return values


def _for_optional_service(name: str, used: set[str], optional: set[str], jvm: bool) -> bool:
    """Whether ``name`` is a setting of an optional service (``REDIS_URL``, ``MYSQL_ATTR_SSL_CA``) and of no used one."""
    if _service_value(name, used, jvm) is not None:
        return False
    named = service_for_env_name(name)
    return _service_value(name, optional, jvm) is not None or (named in optional and named not in used)


def _service_value(name: str, used: set[str], jvm: bool = False) -> str | None:
    setting = _service_setting(name, used, jvm)
    return _value(*setting) if setting is not None else None


def _service_setting(name: str, used: set[str], jvm: bool = False) -> tuple[str, str] | None:
    """(service kind, value kind) of variable ``name`` among the services ``used``: the first rule it matches decides."""
    for pattern, kinds, value_kind in _RULES:
        if pattern.match(name.upper()):
            kinds = _named_connection(name, kinds)
            kind = next((k for k in kinds if k in used), None)
            if kind is not None and jvm and value_kind == "url" and kind in _JDBC:
                value_kind = "jdbc"
            return (kind, value_kind) if kind is not None else None
    return None


def _named_connection(name: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """A .NET connection named after its server (Aspire's ``ConnectionStrings__redis``) is that server's alone.

    Otherwise ``ConnectionStrings__redis`` of an app with Postgres and Redis would get Postgres's.
    """
    prefix, sep, connection = name.upper().partition("__")
    named = service_for_env_name(connection + "_") if sep and prefix == "CONNECTIONSTRINGS" else None
    return (named,) if named in kinds else kinds


def _peer_value(name: str, peers: dict[str, Peer]) -> str | None:
    suffix = _PEER_SUFFIX.search(name.upper())
    if suffix is None:
        return None
    prefix = name.upper()[: suffix.start()]
    for key, peer in peers.items():
        if key.upper().replace("-", "_") == prefix:
            if suffix.group(1) in ("HOST", "ADDR", "ADDRESS"):
                return peer.service if suffix.group(1) == "HOST" or peer.port is None else f"{peer.service}:{peer.port}"
            return f"http://{peer.service}:{peer.port}" if peer.port else None
    return None


#: Dev-only values for secrets whose format the framework checks at boot.
_FORMATTED_PLACEHOLDERS = {
    # Laravel refuses keys that are not 32 bytes, base64-encoded.
    "APP_KEY": "base64:" + base64.b64encode(hashlib.sha256(b"migrate dev-only APP_KEY").digest()).decode(),
    # Rails wants at least 64 hex characters.
    "SECRET_KEY_BASE": hashlib.sha512(b"migrate dev-only SECRET_KEY_BASE").hexdigest(),
}


#: Variables that choose how the app behaves (which environment, debug, logging, where to listen):
#: any made-up value changes what the app does, so they get a proper value from elsewhere or none.
_BEHAVIOUR = frozenset(
    {
        "NODE_ENV", "RAILS_ENV", "RACK_ENV", "APP_ENV", "MIX_ENV", "FLASK_ENV", "FLASK_DEBUG", "GIN_MODE",
        "ENV", "ENVIRONMENT", "DJANGO_SETTINGS_MODULE", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT",
        "SPRING_PROFILES_ACTIVE", "DEBUG", "APP_DEBUG", "LOG_LEVEL", "LOGLEVEL", "PORT", "HOST", "BIND",
    }
)  # fmt: skip
#: Names whose value has a shape a "dev-only-..." string does not parse as: a number, a flag, a
#: choice among the app's own names (a driver, a connection, a channel, a class).
_SHAPED = re.compile(
    r"(?:^|_)(?:PORT|ENABLED?|DISABLED?|DEBUG|MODE|LEVEL|ENV|TIMEOUT|TTL|SIZE|COUNT|MAX|MIN|LIMIT|WORKERS|THREADS"
    r"|SECURE|VERBOSE|FORMATTER|DRIVER|CONNECTION|CHANNEL|STORE|CLASS|SCHEME|PROTOCOL|SECONDS|MINUTES|HOURS|DAYS)$"
    r"|^(?:USE|ENABLE|DISABLE|IS|HAS|ALLOW|SKIP|FORCE)_"
)
_URL_NAME = re.compile(r"(?:^|_)(?:URL|URI|ENDPOINT|WEBHOOK)$")
_EMAIL_NAME = re.compile(r"(?:^|_)(?:EMAIL|E_MAIL|MAIL_FROM|EMAIL_ADDRESS)$")


def dev_placeholder(name: str, shape: str | None = None) -> str | None:
    """A value that lets the app boot locally, or None where no made-up value is harmless.

    Never a real secret (the value says "dev-only"); shaped like what the app parses
    (``shape`` is what the code declares, "email" or "url"; else the name says it);
    None for behaviour switches and numbers, flags and choices, which a placeholder
    would change or break.
    """
    upper = name.upper()
    if upper in _FORMATTED_PLACEHOLDERS:
        return _FORMATTED_PLACEHOLDERS[upper]
    slug = name.lower().replace("_", "-")
    if shape == "email" or (shape is None and _EMAIL_NAME.search(upper)):
        return f"{slug}@example.com"  # example.com is reserved for examples (RFC 2606)
    if shape == "url" or (shape is None and _URL_NAME.search(upper)):
        return f"http://{slug}.dev-only.invalid/"  # .invalid never resolves (RFC 2606)
    if shape == "hex":
        # A key checked to be hexadecimal (Outline's SECRET_KEY: 64 of them, openssl rand -hex 32's size).
        return hashlib.sha256(f"migrate dev-only {upper}".encode()).hexdigest()
    if upper in _BEHAVIOUR or _SHAPED.search(upper) or shape is not None:
        return None
    return f"dev-only-{slug}"


def _value(kind: str, value_kind: str) -> str:
    spec = SERVICES[kind]
    return {
        "url": _URLS[kind],
        "jdbc": _JDBC.get(kind, _URLS[kind]),
        "adonet": _ADONET.get(kind, _URLS[kind]),
        "host": spec.name,
        "port": str(spec.port),
        "user": DEV_USER,
        "password": DEV_PASSWORD,
        "database": DEV_DB,
        "driver": "pgsql" if kind == "postgres" else kind,
    }[value_kind]


@dataclass(frozen=True)
class Endpoint:
    """A database server somewhere else than compose (a managed one): its kind (postgres, mysql), where it is, how to log in."""

    kind: str
    host: str
    port: int
    user: str
    password: str
    database: str

    def value(self, value_kind: str, language: str | None) -> str:
        """The setting of kind ``value_kind`` (url, host, jdbc...) for an app in ``language``, asking for TLS in the driver's own words."""
        from urllib.parse import quote

        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        address = f"{self.host}:{self.port}/{self.database}"
        urls = _postgres_urls(credentials, address, language) if self.kind == "postgres" else _mysql_urls(credentials, address, language)
        adonet = {"postgres": f"Host={self.host};Port={self.port};Database={self.database};Username={self.user};Password={self.password};SSL Mode=Require",
                  "mysql": f"Server={self.host};Port={self.port};Database={self.database};User ID={self.user};Password={self.password};SslMode=Required"}
        return {
            **urls,
            "adonet": adonet[self.kind],
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "password": self.password,
            "database": self.database,
            "driver": "pgsql" if self.kind == "postgres" else self.kind,
        }[value_kind]


def _postgres_urls(credentials: str, address: str, language: str | None) -> dict[str, str]:
    """A managed PostgreSQL speaks TLS (RDS's 15 and later refuses anything else): its URLs ask for it.

    libpq and most drivers take ``sslmode=require`` (encrypt, no CA check); node-postgres reads
    ``require`` as verify-full against Node's CA store, which has no RDS CA, unless
    ``uselibpqcompat=true`` gives it libpq's meaning.
    """
    query = "sslmode=require" + ("&uselibpqcompat=true" if language == "node" else "")
    return {"url": f"postgresql://{credentials}@{address}?{query}", "jdbc": f"jdbc:postgresql://{address}?sslmode=require"}


#: mysql2 and mysql (Node) read each URL parameter as JSON: ``ssl={"rejectUnauthorized":false}`` encrypts without a CA check.
_NODE_MYSQL_TLS = "ssl=%7B%22rejectUnauthorized%22%3Afalse%7D"


def _mysql_urls(credentials: str, address: str, language: str | None) -> dict[str, str]:
    """A managed MySQL offers TLS (RDS's require_secure_transport is off up to 8.4): its URLs ask for it where the driver reads it.

    Connector/J takes ``sslMode=REQUIRED`` (encrypt, no CA check, as libpq's ``require``); Node's
    mysql2 and mysql take an ``ssl`` object as JSON. Python's drivers share no spelling (mysqlclient
    takes ``ssl_mode``, which PyMySQL, often installed as MySQLdb, refuses with a TypeError), so a
    Python URL carries none: the app's own connect arguments decide.
    """
    query = f"?{_NODE_MYSQL_TLS}" if language == "node" else ""
    return {"url": f"mysql://{credentials}@{address}{query}", "jdbc": f"jdbc:mysql://{address}?sslMode=REQUIRED"}


def service_settings(app: AppProfile, kind: str) -> dict[str, str]:
    """Env var -> value kind (url, host, user...) of each variable ``app`` reads to reach its ``kind`` server (postgres, mysql, redis).

    The same rules compose's wiring follows (:func:`wiring`), so a variable that points at the
    compose service points at a managed one in the cloud: an app's ``DATABASE_URL`` is its
    PostgreSQL's when it uses one, else its MySQL's; ``MYSQL_URL`` is MySQL's alone; ``CELERY_BROKER_URL``
    is Redis's only when the app uses no RabbitMQ; ``ConnectionStrings__redis`` is Redis's even beside PostgreSQL.
    """
    used = {s.kind for s in app.backing_services}
    if kind not in used:
        return {}
    jvm = app.language.value == "java"
    settings = {var.name: _service_setting(var.name, used, jvm) for var in app.env}
    return {name: setting[1] for name, setting in settings.items() if setting is not None and setting[0] == kind}


#: A password for Redis, set in the cloud only: the compose Redis has none (AUTH there is an error).
_REDIS_PASSWORD = re.compile(r"^REDIS_(PASSWORD|PASS|AUTH|AUTH_TOKEN)$")


def redis_settings(app: AppProfile) -> dict[str, str]:
    """Env var -> value kind of each variable ``app`` reads to reach its Redis server (``REDIS_PASSWORD`` too)."""
    settings = service_settings(app, "redis")
    if settings:
        settings.update({var.name: "password" for var in app.env if _REDIS_PASSWORD.match(var.name.upper())})
    return settings


@dataclass(frozen=True)
class RedisEndpoint:
    """A Redis server somewhere else than compose (ElastiCache): where it is, and its AUTH token.

    It speaks TLS only (in-transit encryption), so every URL is ``rediss://``. Python's clients
    take ``ssl_cert_reqs`` from the URL: Celery's result backend refuses a ``rediss://`` URL without
    it, and ``required`` (verify the server's certificate, which a public CA signs) is the one
    spelling redis-py, kombu and Celery all accept. Other languages' clients verify by default, and
    some refuse unknown URL parameters (go-redis), so theirs carry none.
    """

    host: str
    port: int
    token: str

    def value(self, value_kind: str, language: str | None) -> str:
        """The setting of kind ``value_kind`` (url, adonet, host, port, password) for an app in ``language``."""
        from urllib.parse import quote

        query = "?ssl_cert_reqs=required" if language == "python" else ""
        return {
            "url": f"rediss://:{quote(self.token, safe='')}@{self.host}:{self.port}/0{query}",
            # StackExchange.Redis's configuration string.
            "adonet": f"{self.host}:{self.port},ssl=True,password={self.token}",
            "host": self.host,
            "port": str(self.port),
            "password": self.token,
        }[value_kind]

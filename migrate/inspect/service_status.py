"""Which backing services the app's *default* configuration uses, and which are options.

:mod:`migrate.inspect.services` finds every service an app *can* talk to: a
driver in its dependencies, a variable it reads, a compose file beside it.
Many apps ship drivers and settings for several backends and pick one by
configuration: Laravel's ``DB_CONNECTION`` defaults to ``sqlite``, Spring's
default profile runs on an embedded H2 while ``application-mysql.properties``
is a profile to activate, bakerydemo imports its Elasticsearch client only
``if ELASTICSEARCH_ENDPOINT:``. Compose should start what the default
configuration uses and list the rest as options with the switch that enables
each. The rules, most certain first (the first decision for a kind wins):

1. the project's own compose file builds this app and links it to the service: used;
2. a selector variable (``DB_CONNECTION``, ``CACHE_STORE``...) set in the
   example env file, else defaulted in code, picks among the services it governs;
3. Spring Boot with an embedded database and no datasource URL in the default
   profile: SQL servers are reached only through a profile;
4. Python: a client library imported only under an ``if``.

A service no rule decides stays used, as before.
"""

from __future__ import annotations

import re

from migrate.inspect.detectors.base import AppDir, EnvRead, Findings
from migrate.inspect.knowledge import SERVICE_SELECTORS, SQL_URL_SELECTOR, service_for_url
from migrate.profile import Evidence

_RESOURCES = "src/main/resources"
#: Embedded databases Spring Boot configures by itself when no datasource URL is set.
_EMBEDDED_DATABASES = ("h2", "hsqldb", "derby")
_SQL_KINDS = ("mysql", "postgres")


def decide(app: AppDir, found: Findings, language: str | None) -> None:
    """Mark each service in ``found.services`` as used by default or optional, with evidence."""
    _selectors(found)
    if language == "java":
        _spring_profiles(app, found)
    if language == "python":
        _python_conditional_imports(app, found)


# --------------------------------------------------------------------------- 2. selectors


def _selectors(found: Findings) -> None:
    """``DB_CONNECTION=sqlite``: the services a selector governs are used only if one selects them.

    A database URL selects too: ``DATABASE_URL`` defaulting to ``sqlite:///db.sqlite3`` picks no server.
    """
    chosen: dict[str, Evidence] = {}
    offered: dict[str, list[tuple[str, str, Evidence]]] = {}
    for name, governed, pick in _selector_settings(found):
        setting = _effective(found.env_reads, name)
        if setting is None or (pick is None and "://" not in setting[0]):
            continue
        value, evidence = setting
        kind = pick.get(value.lower()) if pick is not None else service_for_url(value)
        if kind is not None:
            # Worded as the URL signal of services.py words it, so the two are one piece of evidence.
            reason = f"{name}={value}" if pick is not None else f"{name} is a {kind} URL"
            chosen.setdefault(kind, Evidence(evidence.path, evidence.line, reason))
        for other in governed:
            switch = next(v for v, k in pick.items() if k == other) if pick is not None else f"<a {other} URL>"
            offered.setdefault(other, []).append((name, switch, Evidence(evidence.path, evidence.line, f"{name}={value}")))
    for kind, why in chosen.items():
        found.add_service(kind, why)
        found.decide_service(kind, "default", why)
    for kind, switches in offered.items():
        if kind in found.services and kind not in chosen:
            enable = " or ".join(f"{name}={value}" for name, value, _ in switches)
            why = switches[0][2]
            found.decide_service(kind, "optional", Evidence(why.path, why.line, f"{why.reason}: the default configuration does not use {kind}"), f"set {enable}")


def _selector_settings(found: Findings) -> list[tuple[str, tuple[str, ...], dict[str, str] | None]]:
    """Selector variables: the named ones (value -> kind), then database URLs the app reads (kind by scheme)."""
    named = [(name, governed, values) for name, (governed, values) in SERVICE_SELECTORS.items()]
    urls = sorted({r.name for r in found.env_reads if SQL_URL_SELECTOR.match(r.name.upper())})
    return [*named, *((name, _SQL_KINDS, None) for name in urls)]


def _effective(reads: list[EnvRead], name: str) -> tuple[str, Evidence] | None:
    """The value a selector has out of the box: the example env file's (copied to .env), else the code's default."""
    example = next((r for r in reads if r.name == name and r.example), None)
    if example is not None and example.example is not None:
        return example.example, example.evidence
    default = next((r for r in reads if r.name == name and r.default), None)
    if default is not None and default.default is not None:
        return default.default, default.evidence
    return None


# --------------------------------------------------------------------------- 3. Spring profiles


def _spring_profiles(app: AppDir, found: Findings) -> None:
    """The default profile's datasource (its URL, else an embedded database) is used; other servers are profiles."""
    from migrate.inspect.detectors.java import spring_config

    active = spring_config(app, "spring.profiles.active")
    profiles = [p.strip() for p in active[0].split(",")] if active else []
    url = spring_config(app, "spring.datasource.url") or next(
        (hit for p in profiles if (hit := _profile_key(app, p, "spring.datasource.url"))), None
    )
    chosen = service_for_url(_url_default(url[0]).removeprefix("jdbc:")) if url else None
    embedded = next((n for n in _EMBEDDED_DATABASES if n in found.deps), None)
    if url is not None and chosen is not None:
        found.add_service(chosen, url[1])
        found.decide_service(chosen, "default", url[1])
        why = Evidence(url[1].path, url[1].line, f"{url[1].reason}: the default profile uses {chosen}")
    elif embedded is not None:
        evidence = found.deps[embedded]
        reason = f"depends on {embedded} and the default profile sets no spring.datasource.url: Spring Boot runs on {embedded}"
        why = Evidence(evidence.path, evidence.line, reason)
    else:
        return  # a driver and no URL: Spring Boot cannot start without a server, so nothing is optional
    for kind in _SQL_KINDS:
        if kind in found.services and kind != chosen:
            profile = _profile_for(app, kind)
            enable = f"run with SPRING_PROFILES_ACTIVE={profile}" if profile else "set SPRING_DATASOURCE_URL"
            found.decide_service(kind, "optional", why, enable)


def _url_default(raw: str) -> str:
    """``${MYSQL_URL:jdbc:mysql://localhost/petclinic}`` -> its default, ``jdbc:mysql://localhost/petclinic``."""
    match = re.fullmatch(r"\$\{[\w.\-]+:(.*)\}", raw.strip())
    return match.group(1) if match else raw


def _profile_key(app: AppDir, profile: str, key: str) -> tuple[str, Evidence] | None:
    name = f"{_RESOURCES}/application-{profile}.properties"
    text = app.read(name) or ""
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*[=:][ \t]*(.*?)[ \t]*$", text, re.MULTILINE)
    if match is None:
        return None
    return match.group(1), Evidence(app.rel(name), text.count("\n", 0, match.start()) + 1, f"{key}={match.group(1)}")


_JDBC = {"mysql": r"jdbc:(mysql|mariadb):", "postgres": r"jdbc:postgresql:"}


def _profile_for(app: AppDir, kind: str) -> str | None:
    """The Spring profile whose configuration file points the datasource at ``kind``."""
    for name in sorted(app.files(_RESOURCES) if app.has_dir(_RESOURCES) else []):
        match = re.fullmatch(r"application-([\w-]+)\.(?:properties|ya?ml)", name)
        if match and re.search(_JDBC[kind], app.read(f"{_RESOURCES}/{name}") or ""):
            return match.group(1)
    return None


# --------------------------------------------------------------------------- 4. Python conditional imports

#: Distribution name -> module imported, where they differ beyond ``-`` -> ``_``.
_PY_MODULES = {"mysqlclient": "MySQLdb", "psycopg2-binary": "psycopg2", "psycopg-binary": "psycopg", "python-memcached": "memcache",
               "mysql-connector-python": "mysql.connector", "kafka-python": "kafka", "confluent-kafka": "confluent_kafka",
               "nats-py": "nats", "redis-om": "redis_om", "aio-pika": "aio_pika"}  # fmt: skip


def _python_conditional_imports(app: AppDir, found: Findings) -> None:
    """A service whose client the code imports only inside an ``if``: used only when that condition holds."""
    from migrate.inspect.knowledge import SERVICE_BY_DEPENDENCY

    table = SERVICE_BY_DEPENDENCY["python"]
    modules: dict[str, list[str]] = {}
    for dep in found.deps:
        kind = table.get(dep.lower())
        if kind is not None and kind in found.services:
            modules.setdefault(kind, []).append(_PY_MODULES.get(dep.lower(), dep.lower().replace("-", "_")))
    for kind, names in sorted(modules.items()):
        guard = _only_guarded_imports(app, names)
        if guard is not None:
            path, line, condition = guard
            enable = _enabling_variable(condition, found)
            why = Evidence(path, line, f"the {kind} client is imported only under `if {condition}:`")
            found.decide_service(kind, "optional", why, f"set {enable}" if enable else f"make `{condition}` true")


def _only_guarded_imports(app: AppDir, modules: list[str]) -> tuple[str, int, str] | None:
    """The first ``if`` guarding an import of ``modules``, when every import is guarded; else None."""
    names = "|".join(re.escape(m) for m in modules)
    pattern = re.compile(rf"^([ \t]*)(?:from[ \t]+(?:{names})(?:\.[\w.]+)?[ \t]+import|import[ \t]+(?:{names})\b)", re.MULTILINE)
    guard: tuple[str, int, str] | None = None
    for path, line, match in app.grep((".py",), pattern):
        if _is_test(path):
            continue
        condition = _enclosing_if(app.tree.read_text(path) or "", line, len(match.group(1).expandtabs()))
        if condition is None:
            return None  # an unconditional import: the client is used
        guard = guard or (path, condition[0], condition[1])
    return guard


def _enclosing_if(text: str, line: int, indent: int) -> tuple[int, str] | None:
    """The ``if`` condition of the nearest block around ``line`` (None at module level or in a def/try)."""
    if indent == 0:
        return None
    lines = text.splitlines()
    for number in range(line - 2, -1, -1):
        raw = lines[number]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or len(raw) - len(raw.lstrip()) >= indent:
            continue
        match = re.match(r"(?:el)?if\s+(.+?):\s*(?:#.*)?$", stripped)
        return (number + 1, match.group(1)) if match else None
    return None


def _enabling_variable(condition: str, found: Findings) -> str | None:
    """An environment variable the condition tests, directly or through a same-named setting."""
    names = {read.name for read in found.env_reads}
    tokens: list[str] = re.findall(r"[A-Z][A-Z0-9_]+", condition)
    return next((token for token in tokens if token in names), None)


def _is_test(path: str) -> bool:
    return bool(re.search(r"(^|/)(tests?)/|(^|/)test_[^/]*\.py$|_test\.py$", path))

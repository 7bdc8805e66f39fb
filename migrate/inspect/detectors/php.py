"""PHP: Composer; Laravel, Symfony, Slim and plain PHP apps.

How PHP is served is a choice, not something a tree says, so it is made once
here: **Apache with mod_php** (the official ``php:<version>-apache`` image,
started by ``apache2-foreground``). One process per container suits ECS and
compose better than php-fpm plus an nginx sidecar, and the image already
carries everything a front controller needs. Apache is set to listen on
**8080** so the container can run as the unprivileged ``www-data`` user (ports
below 1024 need root). Both are recorded as defaults, with that reason as
evidence; the ``document_root`` detail says which folder Apache serves.

Extensions (``ext-*`` in ``require``) are recorded as dependencies and in the
``php_extensions`` detail, which later stages install with
``docker-php-ext-install``.
"""

from __future__ import annotations

import re
from typing import Any

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    EnvRead,
    Findings,
    FrameworkDetector,
    first_match,
    match_evidence,
    parse_env_file,
    tool_versions_pin,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.profile import Evidence

_KNOWN_MINORS = ("8.1", "8.2", "8.3", "8.4")
_PHP = (".php",)
_WEB_PACKAGES = ("laravel/framework", "symfony/framework-bundle", "slim/slim")
#: Requirements that are the platform itself, not packages to install.
_PLATFORM = re.compile(r"^(php(-64bit|-ipv6|-zts|-debug)?|composer(-plugin|-runtime)?-api|composer|lib-.*)$")
_START = "apache2-foreground"
_PORT = 8080
_SERVED = "served by Apache with mod_php (apache2-foreground)"
_INSTALL = "composer install --no-dev --optimize-autoloader --no-interaction"


# ---------------------------------------------------------------- composer.json
def _composer(app: AppDir) -> dict[str, Any]:
    data = app.json("composer.json")
    return data if isinstance(data, dict) else {}


def _require(data: dict[str, Any], key: str = "require") -> dict[str, str]:
    block = data.get(key)
    if not isinstance(block, dict):
        return {}
    return {str(k).lower(): v for k, v in block.items() if isinstance(v, str)}


def _collect_dependencies(app: AppDir, found: Findings) -> None:
    """Runtime packages and extensions of ``require`` (``require-dev`` is left out of the image)."""
    for name in _require(_composer(app)):
        if _PLATFORM.match(name):
            continue
        evidence = app.evidence("composer.json", f"requires {name}", r'"' + re.escape(name) + r'"\s*:')
        found.add_dep(name, evidence)


def _extensions(found: Findings) -> list[str]:
    return sorted(name.removeprefix("ext-") for name in found.deps if name.startswith("ext-"))


# ---------------------------------------------------------------- runtime
def _runtime(app: AppDir, found: Findings) -> None:
    """Exact pins first (config.platform.php, .tool-versions, .php-version), then ``require.php``."""
    for source in (_platform_pin, _tool_versions, _php_version_file, _require_php):
        pinned = source(app, found)
        if pinned is not None:
            found.set("runtime_version", pinned[0], pinned[1])
            return
    default = DEFAULT_RUNTIME["php"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no PHP version pinned; using {default}"), default=True)


Pin = tuple[str, Evidence]


def _platform_pin(app: AppDir, found: Findings) -> Pin | None:
    config = _composer(app).get("config")
    platform = config.get("platform") if isinstance(config, dict) else None
    version = platform.get("php") if isinstance(platform, dict) else None
    match = re.match(r"^[ \t]*(\d+\.\d+)", version) if isinstance(version, str) else None
    if match is None:
        return None
    # Composer resolved the lockfile for this PHP: the image runs the same minor.
    return match.group(1), app.evidence("composer.json", f"config.platform.php {version!r}", r'"platform"')


def _tool_versions(app: AppDir, found: Findings) -> Pin | None:
    return tool_versions_pin(app, ("php",), "PHP")


def _php_version_file(app: AppDir, found: Findings) -> Pin | None:
    match = re.match(r"^[ \t]*(\d+\.\d+(?:\.\d+)?)\s*$", app.read(".php-version") or "")
    if match is None:
        return None
    return match.group(1), app.evidence(".php-version", f"pins PHP {match.group(1)}")


def _require_php(app: AppDir, found: Findings) -> Pin | None:
    spec = _require(_composer(app)).get("php")
    if spec is None:
        return None
    version = pick_minor(spec, _KNOWN_MINORS, DEFAULT_RUNTIME["php"])
    if version is None:
        found.warnings.append(f"could not read the PHP constraint {spec!r} in composer.json")
        return None
    return version, app.evidence("composer.json", f"require php {spec!r} allows {version}", r'"php"\s*:')


_TOKEN = re.compile(r"^(\^|~|>=|<=|!=|==|=|>|<)?v?(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?(?:\.\d+)?(?:[-@].*)?$")
Check = tuple[str, tuple[int, int, int]]


def pick_minor(spec: str, minors: tuple[str, ...], default: str) -> str | None:
    """The default minor if a Composer constraint allows it, else the newest allowed; None if unreadable."""
    alternatives = _parse_constraint(spec)
    if alternatives is None:
        return None
    allowed = []
    for minor in minors:
        major, sub = (int(p) for p in minor.split("."))
        probes = ((major, sub, 0), (major, sub, 99))
        if any(all(_holds(v, c) for c in checks) for checks in alternatives for v in probes):
            allowed.append(minor)
    if not allowed:
        return None
    return default if default in allowed else allowed[-1]


def _parse_constraint(spec: str) -> list[list[Check]] | None:
    """``"^8.1 || ~7.4.0"`` as alternatives of AND-ed ``(op, version)`` checks."""
    result: list[list[Check]] = []
    for alternative in re.split(r"\s*\|\|?\s*", spec.strip()):
        alternative = re.sub(r"(\d[\w.*]*)\s+-\s+(\d[\w.*]*)", r">=\1 <=\2", alternative)  # hyphen range
        alternative = re.sub(r"(\^|~|>=|<=|!=|==|=|>|<)\s+", r"\1", alternative)
        checks: list[Check] = []
        for token in filter(None, re.split(r"[\s,]+", alternative)):
            parsed = _token(token)
            if parsed is None:
                return None
            checks.extend(parsed)
        result.append(checks)
    return result or None


def _token(token: str) -> list[Check] | None:
    if token == "*":
        return []
    match = _TOKEN.match(token)
    if match is None:
        return None
    op, major, minor, patch = match.group(1) or "", int(match.group(2)), match.group(3), match.group(4)
    if minor == "*" or patch == "*" or (not op and minor is None):  # 8.* / 8.2.* / 8: a wildcard range
        return _wildcard(major, None if minor in (None, "*") else int(minor))
    low = (major, int(minor or 0), int(patch or 0))
    if op == "^":
        return [(">=", low), ("<", (major + 1, 0, 0) if major > 0 else (0, low[1] + 1, 0))]
    if op == "~":
        upper = (major, low[1] + 1, 0) if patch is not None else (major + 1, 0, 0)
        return [(">=", low), ("<", upper)]
    return [(op if op not in ("", "==") else "=", low)]


def _wildcard(major: int, minor: int | None) -> list[Check]:
    if minor is None:
        return [(">=", (major, 0, 0)), ("<", (major + 1, 0, 0))]
    return [(">=", (major, minor, 0)), ("<", (major, minor + 1, 0))]


def _holds(version: tuple[int, int, int], check: Check) -> bool:
    op, want = check
    if op == "<=" and want[2] == 0:  # "<=8.3" in Composer means up to the 8.3 line
        want = (want[0], want[1], 999)
    return {"=": version == want, "!=": version != want, ">": version > want, "<": version < want, ">=": version >= want, "<=": version <= want}[op]


# ---------------------------------------------------------------- package manager
def _package_manager(app: AppDir, found: Findings) -> None:
    if not app.has("composer.json"):
        return
    if app.has("composer.lock"):
        found.set("package_manager", "composer", app.evidence("composer.lock", "Composer lockfile"))
    else:
        found.set("package_manager", "composer", app.evidence("composer.json", "composer.json, no lockfile"))
        found.warnings.append("no composer.lock: package versions are resolved at build time; run `composer update` and commit composer.lock")
    found.detail("install_command", _INSTALL)


# ---------------------------------------------------------------- serving
def _front_controller(app: AppDir) -> str | None:
    """The app-relative path of the ``index.php`` Apache serves: ``public/`` first, then the app folder."""
    return next((n for n in ("public/index.php", "web/index.php", "index.php") if app.has(n)), None)


def _serve(app: AppDir, found: Findings, document_root: str | None, why: Evidence) -> None:
    """Apache + mod_php serving ``document_root`` on port 8080 (see the module docstring)."""
    controller = _front_controller(app)
    root = document_root or (controller.rpartition("/")[0] or "." if controller else ".")
    evidence = app.evidence(controller, f"front controller; {_SERVED}") if controller else Evidence(why.path, why.line, _SERVED)
    found.set("start_command", _START, evidence, default=True)
    found.set("port", _PORT, Evidence(app.path, None, "Apache listens on 8080 so the container runs as non-root www-data"), default=True)
    found.detail("web_server", "apache")
    found.detail("document_root", root)
    if controller:
        found.detail("front_controller", controller)


_NODE_INSTALL = (
    ("package-lock.json", "npm ci"),
    ("pnpm-lock.yaml", "pnpm install --frozen-lockfile"),
    ("yarn.lock", "yarn install --frozen-lockfile"),
    ("bun.lockb", "bun install --frozen-lockfile"),
    ("bun.lock", "bun install --frozen-lockfile"),
)


def _asset_build(app: AppDir, found: Findings) -> None:
    """``npm run build`` (Vite, Mix) when package.json has a build script: the app's only build step."""
    data = app.json("package.json")
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict) or not isinstance(scripts.get("build"), str):
        return
    found.set("build_command", "npm run build", app.evidence("package.json", f"asset build script: {scripts['build']}", r'"build"\s*:'))
    install = next((cmd for lock, cmd in _NODE_INSTALL if app.has(lock)), "npm install")
    found.detail("assets_install_command", install)


def _manifests(app: AppDir, found: Findings) -> None:
    """The files dependency installs read before the source: Composer's, and the asset build's."""
    files = [f for f in ("composer.json", "composer.lock") if app.has(f)]
    if found.has("build_command"):
        files += [f for f in ("package.json", *(lock for lock, _ in _NODE_INSTALL)) if app.has(f)]
    if files:
        found.detail("manifests", " ".join(files))


# ---------------------------------------------------------------- frameworks
_HEALTH_OPTION = re.compile(r"""\bhealth\s*:\s*['"](/[^'"]*)['"]""")
_LARAVEL_CACHES = "php artisan config:cache && php artisan route:cache && php artisan view:cache"
_DRIVER_EXTENSIONS = {"pgsql": "pdo_pgsql", "mysql": "pdo_mysql", "mariadb": "pdo_mysql", "sqlsrv": "pdo_sqlsrv"}


class LaravelDetector(FrameworkDetector):
    """Laravel: ``public/`` served by Apache, Vite assets at build, artisan caches at start."""

    name = "laravel"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on ``laravel/framework`` or an ``artisan`` file."""
        evidence = found.dep("laravel/framework") or (app.evidence("artisan", "Laravel artisan") if app.has("artisan") else None)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        _serve(app, found, "public", evidence)
        _asset_build(app, found)
        # config:cache bakes the environment in, so it runs when the container starts, not at build.
        found.detail("prestart_command", _LARAVEL_CACHES)
        if app.has_dir("database/migrations"):
            found.detail("release_command", "php artisan migrate --force")
        found.detail("writable_dirs", "storage bootstrap/cache")
        found.detail("runtime_env", "APP_ENV=production APP_DEBUG=false LOG_CHANNEL=stderr")
        # env('APP_KEY') is an optional read, but the encrypter throws MissingAppKeyException without it.
        why = Evidence(evidence.path, evidence.line, "Laravel encrypts sessions and cookies with APP_KEY")
        found.env_reads.append(EnvRead("APP_KEY", why, needed=True))
        self._health(app, found)
        self._worker(app, found)
        return True

    def _health(self, app: AppDir, found: Findings) -> None:
        """Laravel 11's ``->withRouting(health: '/up')`` in bootstrap/app.php."""
        match = _HEALTH_OPTION.search(app.read("bootstrap/app.php") or "")
        if match:
            why = app.evidence("bootstrap/app.php", "Laravel health route", _HEALTH_OPTION.pattern)
            found.set("health_path", match.group(1), why)

    def _worker(self, app: AppDir, found: Findings) -> None:
        horizon = found.dep("laravel/horizon")
        if horizon is not None:
            found.add_process("worker", "php artisan horizon", horizon)
        elif app.has_dir("app/Jobs"):
            found.add_process("worker", "php artisan queue:work --tries=3", Evidence(app.rel("app/Jobs"), None, "queued job classes"))


def laravel_extensions(app: AppDir, found: Findings) -> list[str]:
    """The PDO driver a Laravel app's example env picks (DB_CONNECTION), and which Redis client it uses.

    The Redis client is recorded as the ``redis_client`` detail rather than installed here: whether
    Redis is used at all depends on the default configuration (``CACHE_STORE``, ``QUEUE_CONNECTION``...),
    which the PHP recipe learns from the backing services; phpredis is Laravel's default client.
    """
    text = next((app.read(n) for n in (".env.example", ".env.dist") if app.has(n)), None) or ""
    env = {name: value for name, value, _ in parse_env_file(text)}
    predis = env.get("REDIS_CLIENT", "phpredis") == "predis" or "predis/predis" in found.deps
    found.detail("redis_client", "predis" if predis else "phpredis")
    driver = _DRIVER_EXTENSIONS.get(env.get("DB_CONNECTION", "").lower())
    return [driver] if driver else []


class SymfonyDetector(FrameworkDetector):
    """Symfony: ``public/`` served by Apache, cache warmed at start, Doctrine migrations on release."""

    name = "symfony"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on ``symfony/framework-bundle``."""
        evidence = found.dep("symfony/framework-bundle")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        _serve(app, found, "public", evidence)
        _asset_build(app, found)
        found.detail("prestart_command", "php bin/console cache:warmup")
        if found.dep("doctrine/doctrine-migrations-bundle"):
            found.detail("release_command", "php bin/console doctrine:migrations:migrate --no-interaction")
        found.detail("writable_dirs", "var")
        found.detail("runtime_env", "APP_ENV=prod APP_DEBUG=0")
        return True


class SlimDetector(FrameworkDetector):
    """Slim: the folder of its ``index.php`` front controller served by Apache."""

    name = "slim"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on ``slim/slim``."""
        evidence = found.dep("slim/slim")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        _serve(app, found, None, evidence)
        if _front_controller(app) is None:
            found.warnings.append("could not find the Slim front controller (public/index.php)")
        return True


_PLAIN_HEALTH = re.compile(
    r"""(?:===?\s*|\bcase\s+)['"](/(?:healthz?|health-check|livez|readyz|ping|up))['"]"""
    r"""|['"](/(?:healthz?|health-check|livez|readyz|ping|up))['"]\s*=>"""
)


def _plain_php(app: AppDir, found: Findings) -> None:
    """No framework: Apache serves the folder holding ``index.php``."""
    controller = _front_controller(app)
    if controller is None or found.has("framework"):
        return
    _serve(app, found, None, app.evidence(controller, "index.php"))
    hit = first_match(app, _PHP, _PLAIN_HEALTH)
    if hit is not None:
        path = hit[2].group(1) or hit[2].group(2)
        found.set("health_path", path, match_evidence(hit, f"request path {path} answered in code"))


class PhpEcosystem(Ecosystem):
    """PHP apps: a composer.json, or an index.php."""

    language = "php"
    frameworks = (LaravelDetector(), SymfonyDetector(), SlimDetector())

    def claim(self, app: AppDir) -> Claim | None:
        """Claim composer.json folders (runnable with a web framework or an index.php), or a bare index.php."""
        controller = next((n for n in ("public/index.php", "index.php") if app.has(n)), None)
        if not app.has("composer.json"):
            return Claim(self.language, 1, app.evidence(controller, "PHP front controller")) if controller else None
        require = _require(_composer(app))
        strong = controller is not None or app.has("artisan") or any(p in require for p in _WEB_PACKAGES)
        return Claim(self.language, 2 if strong else 1, app.evidence("composer.json", "Composer manifest"))

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, Composer, requirements, the framework (or plain PHP), then extensions."""
        _runtime(app, found)
        _package_manager(app, found)
        _collect_dependencies(app, found)
        self.run_frameworks(app, found)
        _plain_php(app, found)
        _manifests(app, found)
        extensions = _extensions(found)
        if found.get("framework") == "laravel":
            extensions = sorted(set(extensions) | set(laravel_extensions(app, found)))
        found.detail("php_extensions", ",".join(extensions) if extensions else None)


ECOSYSTEM = PhpEcosystem()

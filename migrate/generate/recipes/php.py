"""PHP: Composer in a build stage, Apache with mod_php as the runtime (``php:<v>-apache``).

Apache listens on 8080 so the container runs as the unprivileged ``www-data``
(uid 33, the user the image and PHP conventions expect); the application code
stays owned by root and only the folders the framework writes to belong to
``www-data``. Extensions come from the profile's ``php_extensions`` detail;
their ``-dev`` packages are removed in the same layer that compiles them.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

from migrate.generate.plan import ContainerPlan, WatchRule, command_argv
from migrate.generate.probes import http_probe, probe_of
from migrate.generate.recipes.common import base_plan, manifests
from migrate.generate.render import RenderError
from migrate.generate.versions import RUNTIME_IMAGES, TOOLS
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.profile import AppProfile

#: www-data in Debian's php images: Apache's own user, and the owner PHP tooling expects.
USER, UID = "www-data", 33
COMPOSER_IMAGE = f"composer:{TOOLS['composer']}"
#: Compiled into the official image already (``php -m``): nothing to install.
_BUILTIN = frozenset({
    "ctype", "curl", "date", "dom", "fileinfo", "filter", "hash", "iconv", "json", "libxml", "mbstring",
    "mysqlnd", "openssl", "pcre", "pdo", "pdo_sqlite", "phar", "posix", "random", "readline", "reflection",
    "session", "simplexml", "sodium", "spl", "sqlite3", "standard", "tokenizer", "xml", "xmlreader",
    "xmlwriter", "zlib",
})
#: Bundled extensions -> (-dev packages to compile them, shared libraries they need at run time), Debian bookworm.
_BUNDLED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pdo_pgsql": (("libpq-dev",), ("libpq5",)),
    "pgsql": (("libpq-dev",), ("libpq5",)),
    "pdo_mysql": ((), ()),
    "mysqli": ((), ()),
    "gd": (("libfreetype-dev", "libjpeg62-turbo-dev", "libpng-dev"), ("libfreetype6", "libjpeg62-turbo", "libpng16-16")),
    "zip": (("libzip-dev",), ("libzip4",)),
    "intl": (("libicu-dev",), ("libicu72",)),
    "gmp": (("libgmp-dev",), ("libgmp10",)),
    "xsl": (("libxslt1-dev",), ("libxslt1.1",)),
    "bcmath": ((), ()),
    "calendar": ((), ()),
    "exif": ((), ()),
    "pcntl": ((), ()),
    "sockets": ((), ()),
    "opcache": ((), ()),
}
#: Extensions from PECL, pinned: extension -> (PECL package, version key in TOOLS).
_PECL: dict[str, tuple[str, str]] = {"redis": ("redis", "phpredis"), "apcu": ("apcu", "apcu")}
#: ``docker-php-ext-configure`` flags an extension needs.
_CONFIGURE = {"gd": "--with-freetype --with-jpeg"}
#: Framework settings for the dev target (full errors, no production caches).
_DEV_ENV = {
    "laravel": {"APP_ENV": "local", "APP_DEBUG": "true"},
    "symfony": {"APP_ENV": "dev", "APP_DEBUG": "1"},
}
#: How the asset build installs its packages (pnpm is pinned; yarn 1 ships with the node image).
_NODE_TOOLS = {"pnpm": f"npm install -g pnpm@{TOOLS['pnpm']}"}
_NODE_LOCKFILES = ("package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb", "bun.lock")
_SAFE_PATH = re.compile(r"[A-Za-z0-9_./-]+")


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a PHP app."""
    port = app.port.value or 8080
    files = manifests(app)
    composer_files = [f for f in files if f.startswith("composer.")]
    extensions = _extensions(app)
    assets = _assets(app, files)
    values = {
        "extensions": extensions,
        "document_root": _document_root(app),
        "port": port,
        "env": dict(_pairs(app.detail("runtime_env"))),
        "dev_env": _DEV_ENV.get(app.framework.value or "", {}),
        "composer": "composer.json" in composer_files,
        "composer_files": composer_files,
        "assets": assets,
        "writable_dirs": [shlex.quote(d) for d in (app.detail("writable_dirs") or "").split()],
        "entrypoint": _entrypoint(app),
        "xdebug": f"xdebug-{TOOLS['xdebug']}",
    }
    images = {"runtime": RUNTIME_IMAGES["php"].format(version=app.runtime_version.value)}
    if values["composer"]:
        images["composer"] = COMPOSER_IMAGE
    if assets:
        images["assets"] = RUNTIME_IMAGES["node"].format(version=DEFAULT_RUNTIME["node"])
    start = app.start_command.value or "apache2-foreground"
    result = base_plan(
        app,
        template="php.Dockerfile.j2",
        images=images,
        cmd=command_argv(start),
        # PHP reads changed files on the next request (opcache revalidates in dev): Apache itself is the reloader.
        dev_cmd=command_argv(start),
        healthcheck=http_probe("php", probe_of(app)),
        values=values,
        watch=(
            WatchRule("sync", ".", "/app", ignore=("vendor/", "node_modules/", "storage/", "bootstrap/cache/")),
            *(WatchRule("rebuild", m) for m in files),
        ),
        post_create="composer install" if values["composer"] else None,
        extensions=("bmewburn.vscode-intelephense-client", "xdebug.php-debug"),
    )
    return replace(result, user=USER, uid=UID, notes=_notes(app, extensions))


def _pairs(detail: str | None) -> list[tuple[str, str]]:
    """``"A=1 B=2"`` (a profile detail) as pairs."""
    return [(k, v) for k, _, v in (w.partition("=") for w in (detail or "").split()) if k]


def _document_root(app: AppProfile) -> str:
    """The absolute folder Apache serves (``/app/public``); it is written into sed and Apache config."""
    root = app.detail("document_root") or "."
    if not _SAFE_PATH.fullmatch(root) or ".." in root.split("/"):
        raise RenderError(f"{app.path}: cannot serve document root {root!r}: use a plain relative folder name")
    return "/app" if root in (".", "") else f"/app/{root.strip('/')}"


@dataclass(frozen=True)
class Extensions:
    """How the image gets the PHP extensions the app needs."""

    #: Extensions of PHP's source tree, built with ``docker-php-ext-install`` (opcache always).
    bundled: tuple[str, ...]
    #: ``docker-php-ext-configure`` flags by extension.
    configure: dict[str, str]
    #: PECL packages, pinned (``redis-6.1.0``), and the extension names they enable.
    pecl: tuple[str, ...]
    pecl_names: tuple[str, ...]
    #: -dev packages removed after compiling, and the shared libraries kept for run time.
    build_packages: tuple[str, ...]
    runtime_packages: tuple[str, ...]
    #: Extensions this recipe does not know how to install.
    unknown: tuple[str, ...]


#: The PDO driver of each database server compose can start for the app.
_PDO_DRIVERS = {"postgres": "pdo_pgsql", "mysql": "pdo_mysql"}


def _extensions(app: AppProfile) -> Extensions:
    """What to install for the ``php_extensions`` detail (+ opcache), and the Debian packages that takes.

    The PDO driver of every database the default configuration uses is added: compose points the
    app at that server (``DB_CONNECTION: mysql``), so the image must be able to talk to it. So is
    phpredis when Redis is used by a Laravel app on its default client.
    """
    wanted = [e.strip().lower() for e in (app.detail("php_extensions") or "").split(",") if e.strip()]
    for service in app.backing_services:
        needed = _PDO_DRIVERS.get(service.kind)
        if service.kind == "redis" and app.detail("redis_client") == "phpredis":
            needed = "redis"
        if needed and needed not in wanted:
            wanted.append(needed)
    bundled = [e for e in wanted if e in _BUNDLED and e != "opcache"] + ["opcache"]
    return Extensions(
        bundled=tuple(bundled),
        configure={e: _CONFIGURE[e] for e in bundled if e in _CONFIGURE},
        pecl=tuple(f"{_PECL[e][0]}-{TOOLS[_PECL[e][1]]}" for e in wanted if e in _PECL),
        pecl_names=tuple(_PECL[e][0] for e in wanted if e in _PECL),
        build_packages=tuple(sorted({p for e in bundled for p in _BUNDLED[e][0]})),
        runtime_packages=tuple(sorted({p for e in bundled for p in _BUNDLED[e][1]})),
        unknown=tuple(e for e in wanted if e not in _BUILTIN and e not in _BUNDLED and e not in _PECL),
    )


def _assets(app: AppProfile, files: list[str]) -> dict[str, object] | None:
    """The front-end build (``npm run build``: Vite or Mix) in a node stage, or None."""
    build = app.build_command.value
    if not build:
        return None
    install = app.detail("assets_install_command") or "npm install"
    tool = install.split()[0]
    return {
        "manifests": [f for f in files if f == "package.json" or f in _NODE_LOCKFILES],
        "setup": _NODE_TOOLS.get(tool),
        "install": install,
        "build": build,
    }


def _entrypoint(app: AppProfile) -> tuple[str, ...] | None:
    """Runs the framework's start-time step (caches that bake in the environment), then execs the CMD.

    ``exec "$@"`` replaces the shell, so Apache (or a worker's command) is still PID 1.
    """
    prestart = app.detail("prestart_command")
    if not prestart:
        return None
    return ("sh", "-c", f'{prestart} && exec "$@"', "entrypoint")


def _notes(app: AppProfile, extensions: Extensions) -> tuple[str, ...]:
    """Why-lines for CONTAINERS.md: server, signals, start-time steps, processes, unknown extensions."""
    notes = [
        (
            "Apache (apache2-foreground) is PID 1 and listens on 8080, so the container runs as www-data (uid 33); "
            "STOPSIGNAL SIGWINCH makes docker stop a graceful Apache stop that lets requests finish."
        ),
        "The code belongs to root and is read-only for www-data; only the folders the framework writes to are www-data's.",
    ]
    if _document_root(app) == "/app":
        notes.append("Apache serves the whole app folder (index.php is at its top): move the public files to public/ so vendor/ and configuration are not served.")
    prestart = app.detail("prestart_command")
    if prestart:
        notes.append(f"{prestart} runs when the container starts (it bakes the run-time environment in), then Apache is exec'd.")
    for process in app.processes:
        notes.append(
            f"The {process.name} process ({process.command}) runs from the same image with its own command; "
            "disable the image's HTTP health check for it (it serves no port)."
        )
    notes.append(f"The dev target has Xdebug {TOOLS['xdebug']} installed but off: set XDEBUG_MODE=debug in .env to use it.")
    if extensions.unknown:
        notes.append(f"Extensions not installed automatically (add them to the Dockerfile): {', '.join(extensions.unknown)}.")
    if "composer.lock" not in manifests(app) and "composer.json" in manifests(app):
        notes.append("No composer.lock: packages are resolved at build time, so builds are not reproducible; commit one.")
    return tuple(notes)

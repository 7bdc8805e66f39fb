"""Ruby: gems installed by Bundler in a build stage with compilers, copied into a slim runtime stage.

The build stage has ``build-essential`` and the ``-dev`` packages native gems
link against; the runtime stage gets only the shared libraries (``libpq5``
for ``pg``...). Bundler is configured with ``BUNDLE_*`` variables (the
environment form of ``bundle config``) so that the same settings hold when
``bundle exec`` starts the server in the runtime stage.
"""

from __future__ import annotations

from dataclasses import replace

from migrate.generate.plan import ContainerPlan, WatchRule, start_argv
from migrate.generate.probes import http_probe, probe_of
from migrate.generate.recipes.common import base_plan, dockerfile_path, manifests
from migrate.generate.versions import RUNTIME_IMAGES, TOOLS
from migrate.profile import AppProfile
from migrate.shell import parse

#: Where Bundler installs gems (the official image's GEM_HOME): one folder to copy into the runtime stage.
BUNDLE_PATH = "/usr/local/bundle"
#: Always in the build stage: compilers, and libyaml for psych (a dependency of most Rails apps).
_BUILD_PACKAGES = ("build-essential", "libyaml-dev")
#: Gem -> (-dev package for the build stage, shared library for the runtime stage), Debian bookworm names.
_SYSTEM_LIBRARIES: dict[str, tuple[str | None, str]] = {
    "pg": ("libpq-dev", "libpq5"),
    "mysql2": ("default-libmysqlclient-dev", "libmariadb3"),
    "ruby-vips": (None, "libvips42"),
    "image_processing": (None, "libvips42"),
    "rmagick": ("libmagickwand-dev", "libmagickwand-6.q16-6"),
}
#: Settings Rails reads in production: logs to stdout, and Puma serves public/ (no web server in front).
_RAILS_ENV = {"RAILS_LOG_TO_STDOUT": "1", "RAILS_SERVE_STATIC_FILES": "1"}
#: Folders Rails writes at run time (Puma's pidfile, logs, Active Storage); .dockerignore leaves them out.
_RAILS_WRITABLE = ("tmp/pids", "log", "storage")


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Ruby app."""
    framework = app.framework.value
    files = manifests(app)
    build_packages, runtime_packages = _packages(app)
    values = {
        "env": _env(app),
        "dev_env": _dev_env(app),
        "bundler_version": app.detail("bundler_version"),
        "bundle_path": BUNDLE_PATH,
        "build_packages": build_packages,
        # git too in the dev image: the dev container is where the team works.
        "dev_packages": build_packages if "git" in build_packages else [*build_packages, "git"],
        "runtime_packages": runtime_packages,
        "manifests": files,
        "install_needs_source": not files,
        "bootsnap": app.detail("bootsnap_precompile"),
        "writable_dirs": list(_RAILS_WRITABLE) if framework == "rails" else [],
        "build_command": app.build_command.value,
        "build_env": _build_env(app),
        "dev_tools": [] if framework == "rails" else [f"rerun -v {TOOLS['rerun']}"],
    }
    start = app.start_command.value  # None: the CMD says so and fails, never a guess
    result = base_plan(
        app,
        template="ruby.Dockerfile.j2",
        images={"runtime": RUNTIME_IMAGES["ruby"].format(version=app.runtime_version.value)},
        cmd=start_argv(start, dockerfile_path(app)),
        dev_cmd=start_argv(_dev_command(app, start), dockerfile_path(app)),
        healthcheck=http_probe("ruby", probe_of(app)),
        values=values,
        watch=(
            WatchRule("sync", ".", "/app", ignore=("tmp/", "log/", "vendor/bundle/", "node_modules/")),
            *(WatchRule("rebuild", m) for m in files),
        ),
        post_create="bundle install",
        extensions=("shopify.ruby-lsp",),
    )
    return replace(result, notes=_notes(app))


def _pairs(detail: str | None) -> dict[str, str]:
    """``"A=1 B=2"`` (a profile detail) as a dict."""
    return dict(word.split("=", 1) for word in (detail or "").split() if "=" in word)


def _env(app: AppProfile) -> dict[str, str]:
    """Bundler's production settings, then the framework's (``RAILS_ENV``, ``APP_ENV``...)."""
    env = {**_pairs(app.detail("install_env")), "BUNDLE_PATH": BUNDLE_PATH}
    env.update(_pairs(app.detail("runtime_env")))
    if app.framework.value == "rails":
        env.update(_RAILS_ENV)
    return env


def _dev_env(app: AppProfile) -> dict[str, str]:
    """The dev target installs every gem group and runs the framework in development mode."""
    env = {}
    if "BUNDLE_DEPLOYMENT" in _env(app):
        env["BUNDLE_DEPLOYMENT"] = "false"  # the dev container may change the Gemfile
    env["BUNDLE_WITHOUT"] = ""
    env.update({k: "development" for k, v in _pairs(app.detail("runtime_env")).items() if v == "production"})
    return env


def _packages(app: AppProfile) -> tuple[list[str], list[str]]:
    """Debian packages of the build stage (compilers, ``-dev``) and of the runtime stage (shared libraries)."""
    build, runtime = list(_BUILD_PACKAGES), []
    for gem in (app.detail("native_gems") or "").split():
        dev, lib = _SYSTEM_LIBRARIES.get(gem, (None, None))
        if dev and dev not in build:
            build.append(dev)
        if lib and lib not in runtime:
            runtime.append(lib)
    if app.detail("git_sources"):
        build.append("git")  # gems fetched from git repositories
    return build, runtime


def _build_env(app: AppProfile) -> dict[str, str]:
    """Variables only the build step needs (``SECRET_KEY_BASE_DUMMY``), minus those the image already sets."""
    if not app.build_command.value:
        return {}
    image_env = _env(app)
    return {k: v for k, v in _pairs(app.detail("build_env")).items() if image_env.get(k) != v}


def _dev_command(app: AppProfile, start: str | None) -> str | None:
    """Rails reloads code itself in development; other Rack apps restart under rerun on changes."""
    if app.framework.value == "rails":
        port = app.port.value or 3000
        # A pidfile left by a killed container makes "rails server" refuse to start: remove it first.
        return f"rm -f tmp/pids/server.pid && exec bundle exec rails server -b 0.0.0.0 -p {port}"
    return f"rerun --background -- {start}" if start else None


def _notes(app: AppProfile) -> tuple[str, ...]:
    """Why-lines for CONTAINERS.md: signals, processes that share the image, one-off tasks."""
    notes = []
    if app.start_command.value:
        # The chain's last command is the server (`rm -f tmp/pids/server.pid && exec bundle exec rails s`).
        argv = parse(app.start_command.value).words or (app.start_command.value,)
        server = argv[2] if argv[:2] == ("bundle", "exec") and len(argv) > 2 else argv[0]
        notes.append(f"{server} is PID 1 (bundle exec replaces itself with it) and stops gracefully on SIGTERM.")
    for process in app.processes:
        notes.append(
            f"The {process.name} process ({process.command}) runs from the same image with its own command "
            "(a compose service or an ECS service overriding CMD); it serves no port, so it has no HTTP health check."
        )
    if "BUNDLE_DEPLOYMENT" not in _env(app):
        notes.append("No Gemfile.lock: gems are resolved at build time, so builds are not reproducible; commit one (bundle lock).")
    return tuple(notes)

"""A non-root nginx serving built files: for static sites and for single-page apps (Node builds).

Shared by the ``static`` recipe and the ``node`` recipe (SPA builds). API, all small:

``IMAGE``, ``PORT``, ``HTML_ROOT``, ``CONFIG_FILE``, ``HEALTH_PATH``, ``COMMAND``
    nginxinc/nginx-unprivileged (Debian bookworm, ships ``curl``), the port it listens on as a
    non-root user (8080), where the site goes in the image, the server config's file name
    (generated next to the Dockerfile), nginx's own liveness endpoint, and the ``cmd``/``dev_cmd``.

``server(app, *, site_stage, site_dir, spa=False, immutable_prefix=None) -> WebServer``
    Everything a recipe needs for the runtime stage, in one value:

    * ``.values``  -> put it in ``plan.values["web"]``; the template macro reads it;
    * ``.files``   -> ``ContainerPlan.files`` (the generated ``nginx.conf``);
    * ``.healthcheck`` -> ``ContainerPlan.healthcheck`` (curl, which the image ships);
    * ``.app``     -> the profile as served: ``start_command`` nginx, ``port`` 8080, ``health_path``
      what is probed (the site's own health file, else ``/healthz``); build the plan from it so
      CONTAINERS.md and compose say the truth.

    ``site_stage``/``site_dir``: the build stage and absolute folder holding the files to serve
    (``site_stage=None`` copies ``site_dir`` from the build context, app-relative). ``spa=True``
    falls back to ``/index.html`` for client-side routes; ``immutable_prefix`` (``"/assets/"`` for
    Vite) is a URL prefix of fingerprinted files, cached for a year.

Template side (``dockerfile_templates/dockerfile/_webserver.j2``)::

    {% import "dockerfile/_webserver.j2" as web %}
    {{ web.runtime(values.web) }}   {# FROM IMAGE AS runtime ... CMD nginx (user, config, probe, SIGQUIT) #}
    {{ web.dev(values.web) }}       {# FROM runtime AS dev: the same server, its files owned by the app user #}

The config is ``dockerfile_templates/nginx/default.conf.j2``: it replaces the image's
``conf.d/default.conf`` (the image's ``nginx.conf`` keeps logs on stdout/stderr and pid/temp files
in /tmp, which is what lets nginx run unprivileged).
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass
from typing import Any

from migrate import __version__
from migrate.generate.recipes.common import build_context
from migrate.generate.render import render
from migrate.generate.versions import WEB_SERVER_IMAGE
from migrate.profile import AppProfile, Evidence, Fact

IMAGE = WEB_SERVER_IMAGE
#: nginx-unprivileged listens on 8080: a non-root process cannot bind ports below 1024.
PORT = 8080
HTML_ROOT = "/usr/share/nginx/html"
#: The generated server config, next to the Dockerfile (app-relative).
CONFIG_FILE = "nginx.conf"
#: nginx's own liveness endpoint (``location = /healthz``), used when the site has no health file.
HEALTH_PATH = "/healthz"
#: The server command (the image's own): nginx in the foreground, so it is the container's process.
COMMAND: tuple[str, ...] = ("nginx", "-g", "daemon off;")


@dataclass(frozen=True)
class WebServer:
    """What a recipe puts into its plan to serve files with nginx."""

    app: AppProfile
    values: dict[str, Any]
    files: tuple[tuple[str, str], ...]
    healthcheck: tuple[str, ...]


def server(
    app: AppProfile,
    *,
    site_stage: str | None,
    site_dir: str,
    spa: bool = False,
    immutable_prefix: str | None = None,
) -> WebServer:
    """The nginx runtime of ``app``: template values, the config file, the probe."""
    own_health = app.health_path.value
    probed = own_health or HEALTH_PATH
    config = render(
        "nginx/default.conf.j2",
        name=app.name,
        port=PORT,
        root=HTML_ROOT,
        spa=spa,
        immutable_prefix=immutable_prefix,
        healthz=own_health is None,
        health_path=HEALTH_PATH,
        version=__version__,
    )
    values = {
        "image": IMAGE,
        "port": PORT,
        "html_root": HTML_ROOT,
        "config_src": _context_path(app, CONFIG_FILE),
        "site_stage": site_stage,
        "site_dir": site_dir,
        "healthcheck": healthcheck(probed),
        "healthz": own_health is None,
    }
    return WebServer(
        app=_served_by_nginx(app, probed),
        values=values,
        files=((CONFIG_FILE, config),),
        healthcheck=healthcheck(probed),
    )


def healthcheck(path: str) -> tuple[str, ...]:
    """curl (the nginx Debian images ship it): fails on a refused connection or an HTTP error."""
    return ("curl", "--fail", "--silent", "--show-error", "--output", "/dev/null", f"http://127.0.0.1:{PORT}{path}")


def _served_by_nginx(app: AppProfile, path: str) -> AppProfile:
    """The profile as served: nginx starts it on :data:`PORT`, the probed path is its health path.

    CONTAINERS.md and compose read these facts, so they say what the image really does.
    """
    why = Evidence(CONFIG_FILE, None, "nginx serves the files")
    served = dataclasses.replace(app, start_command=Fact("nginx -g 'daemon off;'", (why,), is_default=True))
    if served.port.value != PORT:
        listens = Evidence(CONFIG_FILE, None, "nginx listens on 8080 as a non-root user")
        served = dataclasses.replace(served, port=Fact(PORT, (listens,), is_default=True))
    if served.health_path.value is None:
        liveness = Evidence(CONFIG_FILE, None, "nginx's own liveness endpoint (200 while the server answers)")
        served = dataclasses.replace(served, health_path=Fact(path, (liveness,), is_default=True))
    return served


def _context_path(app: AppProfile, name: str) -> str:
    """``name`` (app-relative) as a path relative to the build context (the workspace root in monorepos)."""
    context = build_context(app)
    return posixpath.relpath(posixpath.join(app.path, name), context)

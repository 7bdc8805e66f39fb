"""Static sites: files served by a non-root nginx; generator sites (Hugo, Jekyll, MkDocs) built first.

A plain site ships its document root as it is. A generator site is rendered in a build stage
with the generator pinned (``versions.TOOLS``), and only its output ships: the runtime image
is nginx and the site's files, nothing of the generator. The nginx side (config, probe,
signals) is :mod:`migrate.generate.recipes.webserver`, shared with single-page apps.
"""

from __future__ import annotations

import dataclasses
import posixpath
import shlex

from migrate.generate.plan import ContainerPlan, WatchRule
from migrate.generate.recipes import webserver
from migrate.generate.recipes.common import base_plan, manifests
from migrate.generate.versions import DEBIAN_RUNTIME_IMAGE, STATIC_BUILD_IMAGES, TOOLS
from migrate.profile import AppProfile, Evidence, Fact

#: Where generator sites are built in their build stage.
_SRC = "/src"
#: Local output and caches of each generator: never part of the source to sync or rebuild on.
_OUTPUTS: dict[str, tuple[str, ...]] = {
    "hugo": ("resources/_gen/", ".hugo_build.lock"),
    "jekyll": (".jekyll-cache/", ".sass-cache/"),
    "mkdocs": (),
}
_MARKDOWN = ("yzhang.markdown-all-in-one", "DavidAnson.vscode-markdownlint")
_EXTENSIONS: dict[str | None, tuple[str, ...]] = {
    None: ("ritwickdey.liveserver",),
    "hugo": ("budparr.language-hugo-vscode", *_MARKDOWN),
    "jekyll": _MARKDOWN,
    "mkdocs": _MARKDOWN,
}


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a static site (plain or generated)."""
    generator = app.framework.value if app.framework.value in STATIC_BUILD_IMAGES else None
    root = _clean(app.detail("document_root") or ".")
    if generator is None:
        web = _plain_server(app, root)
        values: dict[str, object] = {"generator": None, "strip": [webserver.CONFIG_FILE] if root == "." else []}
        watch: tuple[WatchRule, ...] = (
            WatchRule("sync", root, webserver.HTML_ROOT, ignore=(webserver.CONFIG_FILE,) if root == "." else ()),
            WatchRule("rebuild", webserver.CONFIG_FILE),
        )
    else:
        web = webserver.server(app, site_stage="build", site_dir=posixpath.join(_SRC, root) if root != "." else _SRC)
        values = _generator_values(app, generator)
        # The server ships only the rendered output: a source change means a new build.
        watch = (WatchRule("rebuild", ".", ignore=(f"{root}/", *_OUTPUTS[generator])),)
    values["web"] = web.values
    result = base_plan(
        _with_server_version(web.app),
        template="static.Dockerfile.j2",
        images=_images(generator, root),
        cmd=webserver.COMMAND,
        dev_cmd=webserver.COMMAND,
        healthcheck=web.healthcheck,
        values=values,
        watch=watch,
        post_create=None,
        extensions=_EXTENSIONS[generator],
    )
    return dataclasses.replace(result, files=web.files, notes=_notes(app, generator))


def _with_server_version(app: AppProfile) -> AppProfile:
    """A static site has no runtime of its own: the version that matters is the web server's."""
    tag = webserver.IMAGE.rsplit(":", 1)[1]
    why = Evidence(webserver.CONFIG_FILE, None, "static files need no runtime; the web server is pinned")
    return dataclasses.replace(app, runtime_version=Fact(f"nginx {tag}", (why,), is_default=True))


def _plain_server(app: AppProfile, root: str) -> webserver.WebServer:
    """A plain site at the app's root goes through a stage that drops the server config from it."""
    if root == ".":
        return webserver.server(app, site_stage="site", site_dir="/site")
    return webserver.server(app, site_stage=None, site_dir=root)


def _images(generator: str | None, root: str) -> dict[str, str]:
    if generator is None:
        # A root (no USER to reset, unlike nginx's) stage that only copies files: the smallest Debian.
        return {"site": DEBIAN_RUNTIME_IMAGE, "runtime": webserver.IMAGE} if root == "." else {"runtime": webserver.IMAGE}
    return {"build": STATIC_BUILD_IMAGES[generator], "runtime": webserver.IMAGE}


def _generator_values(app: AppProfile, generator: str) -> dict[str, object]:
    """The build stage: the pinned generator, the dependency layer, the build command."""
    files = manifests(app)
    install: list[str] = []
    tool: str | None = None
    env: dict[str, str] = {}
    if generator == "hugo":
        tool = f"CGO_ENABLED=1 GOFLAGS=-tags=extended go install github.com/gohugoio/hugo@v{TOOLS['hugo']}"
        if "go.mod" in files:
            install.append("hugo mod download")  # Hugo Modules: themes and components, from go.mod
        env["HUGO_ENVIRONMENT"] = "production"
    elif generator == "jekyll":
        env["JEKYLL_ENV"] = "production"
        if "Gemfile" in files:
            install.append("bundle install")
            if "Gemfile.lock" in files:
                env["BUNDLE_FROZEN"] = "true"  # install exactly the lockfile, fail if it is out of date
        else:
            tool = f"gem install --no-document jekyll -v {TOOLS['jekyll']}"
    else:  # mkdocs
        requirements = next((f for f in files if f.endswith(".txt")), None)
        if requirements:
            install.append(f"pip install --no-cache-dir -r {shlex.quote(requirements)}")
        else:
            tool = f"pip install --no-cache-dir mkdocs=={TOOLS['mkdocs']}"
    return {
        "generator": generator,
        "tool": tool,
        "manifests": _by_folder(files),
        "install": install,
        "env": env,
        "build_command": app.build_command.value or generator,
        "src": _SRC,
    }


def _by_folder(files: list[str]) -> list[tuple[list[str], str]]:
    """Manifests grouped by folder, as (sources, destination) of one COPY each (JSON COPY flattens)."""
    groups: dict[str, list[str]] = {}
    for name in files:
        folder = posixpath.dirname(name)
        groups.setdefault(folder + "/" if folder else "./", []).append(name)
    return [(names, folder) for folder, names in groups.items()]


def _clean(path: str) -> str:
    cleaned = posixpath.normpath(path.strip("/")) if path.strip("/") else "."
    return cleaned


def _notes(app: AppProfile, generator: str | None) -> tuple[str, ...]:
    notes = [
        (
            "nginx (nginxinc/nginx-unprivileged) serves the files on 8080 as uid 10001; its config is the generated "
            "nginx.conf: caching headers, gzip, security headers, dotfiles hidden, and /healthz when the site has no "
            "health file of its own (nginx's liveness endpoint, not a page of the site)."
        ),
        "docker stop sends SIGQUIT, nginx's graceful stop: requests in flight finish.",
    ]
    if generator is None:
        notes.append("dev target: the same server; `docker compose watch` syncs your edits into it, reload the page to see them.")
    else:
        version = "" if generator == "jekyll" and app.detail("install_command") else f" {TOOLS[generator]}"
        notes.append(
            f"{generator}{version} renders the site in a build stage; only its output ships. dev target: the same "
            f"server, and `docker compose watch` rebuilds it on every change (for live reload while writing, run "
            f"the generator's own server on your machine)."
        )
    if generator == "hugo":
        notes.append("Hugo extended is built from source with `go install` at a pinned release: the Go checksum database "
                     "verifies it, on every CPU architecture, and Go is there for Hugo Modules.")
    return tuple(notes)

"""Node.js: dependencies installed from the lockfile in their own stages, a slim runtime under tini.

Servers (Express, Fastify, Koa, hapi, NestJS, Remix/React Router, SvelteKit adapter-node, Next.js
``next start``) ship their source and build output plus *production* dependencies, installed in a
stage of their own. Self-contained builds ship only their output: Next.js ``standalone`` (its
server.js carries the traced node_modules it needs) and Nuxt's ``.output``. Static builds (Vite,
Create React App, Vue CLI, ``next export``, SvelteKit adapter-static, ``nuxt generate``) are built
with node and served by the shared non-root nginx (:mod:`migrate.generate.recipes.webserver`).

Node as PID 1 ignores SIGTERM unless the app handles it, so servers run under ``tini``.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import shlex
from typing import Any

from migrate.generate.plan import ContainerPlan, WatchRule, command_argv, unknown_start
from migrate.generate.probes import http_probe, probe_of
from migrate.generate.recipes import webserver
from migrate.generate.recipes.common import (
    base_plan,
    build_context,
    copy_groups,
    dockerfile_path,
    in_context,
    manifests,
)
from migrate.generate.render import RenderError
from migrate.generate.versions import (
    NODE_COREPACK_CURRENT_KEYS,
    NODE_COREPACK_FIRST,
    NODE_COREPACK_LAST_MAJOR,
    NODE_IMAGE_LAST_YARN1_MAJOR,
    TOOLS,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.profile import AppProfile

#: Where the build context lands in every node stage.
ROOT = "/app"
_PLAIN_PATH = re.compile(r"[A-Za-z0-9._@+/-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: corepack's cache of package-manager releases, shared by root (the build) and the dev user.
_COREPACK_HOME = "/opt/corepack"
#: The package managers run through corepack (yarn 1 is preinstalled in the node images, or comes from npm).
_COREPACK_MANAGERS = ("pnpm", "yarn-berry")
_EXTENSIONS = ("dbaeumer.vscode-eslint", "esbenp.prettier-vscode")

#: (frozen install, install without a lockfile) of every dependency, dev ones included. NODE_ENV is
#: unset where these run: pnpm, yarn and bun would skip dev dependencies under NODE_ENV=production.
_INSTALL_ALL: dict[str, tuple[str, str]] = {
    "npm": ("npm ci", "npm install"),
    "pnpm": ("pnpm install --frozen-lockfile", "pnpm install"),
    "yarn": ("yarn install --frozen-lockfile", "yarn install"),
    "yarn-berry": ("yarn install --immutable", "yarn install"),
    "bun": ("bun install --frozen-lockfile", "bun install"),
}
#: The same, production dependencies only: what the runtime image ships.
_INSTALL_PROD: dict[str, tuple[str, str]] = {
    "npm": ("npm ci --omit=dev", "npm install --omit=dev"),
    "pnpm": ("pnpm install --frozen-lockfile --prod", "pnpm install --prod"),
    "yarn": ("yarn install --frozen-lockfile --production", "yarn install --production"),
    # Yarn 4 has "workspaces focus" built in: it installs one workspace's (or all) production dependencies.
    "yarn-berry": ("yarn workspaces focus --all --production", "yarn workspaces focus --all --production"),
    "bun": ("bun install --frozen-lockfile --production", "bun install --production"),
}
#: Frameworks whose build output runs without node_modules (the bundler traced what it needs).
_SELF_CONTAINED = {"nextjs", "nuxt"}


def plan(app: AppProfile) -> ContainerPlan:
    """The container plan of a Node.js app."""
    if app.detail("static_output"):
        return _static_plan(app)
    return _server_plan(app)


# ---------------------------------------------------------------- servers
def _server_plan(app: AppProfile) -> ContainerPlan:
    values = _common_values(app)
    standalone = _self_contained(app)
    start = _start_command(app)
    values.update(
        {
            "standalone": standalone,
            "runtime_copies": _standalone_copies(app) if standalone else [],
            # Next.js standalone mirrors the workspace: its start command names the member's server.js.
            "runtime_workdir": ROOT if standalone and app.framework.value == "nextjs" else values["workdir"],
            "build_steps": _build_steps(app),
            "runtime_env": _runtime_env(app),
            "bin_path": _bin_path(app),
        }
    )
    result = base_plan(
        app,
        template="node.Dockerfile.j2",
        images={"runtime": _node_image(app)},
        cmd=command_argv(start) if start else unknown_start(dockerfile_path(app)),
        dev_cmd=_dev_command(app, start),
        healthcheck=http_probe("node", probe_of(app)),
        values=values,
        watch=_watch(app, values["workdir"]),
        post_create=_post_create(app),
        extensions=_EXTENSIONS,
    )
    return dataclasses.replace(result, workdir=values["runtime_workdir"], notes=_notes(app, standalone))


def _self_contained(app: AppProfile) -> bool:
    """Next.js standalone and Nuxt (Nitro) builds carry their own dependencies."""
    if app.framework.value == "nextjs":
        return app.detail("next_output") == "standalone"
    return app.framework.value in _SELF_CONTAINED and app.detail("output_dir") == ".output"


def _start_command(app: AppProfile) -> str | None:
    """The detected start command (None: unknown, never guessed); binaries are found on PATH (hoisting moves them)."""
    start = app.start_command.value
    return start.removeprefix("node_modules/.bin/") if start else None


def _standalone_copies(app: AppProfile) -> list[tuple[str, str]]:
    """(build-stage path, runtime path) of a self-contained build's output."""
    member = _member_dir(app)
    if app.framework.value == "nuxt":
        return [(_abs(member, ".output"), _abs(member, ".output"))]
    # The standalone folder mirrors the workspace layout; static files and public/ are not traced into it.
    return [
        (_abs(member, ".next/standalone"), ROOT),
        (_abs(member, ".next/static"), _abs(member, ".next/static")),
        (_abs(member, "public"), _abs(member, "public")),
    ]


def _build_steps(app: AppProfile) -> list[str]:
    """The build, then what the runtime must not get from its stage: dev dependencies, build caches.

    Empty when there is nothing to build: the runtime then copies the source from the context.
    """
    build = app.build_command.value or _default_build(app)
    if build is None:
        return []
    skip = app.detail("skip_env_validation")
    if skip:
        # The build imports the env schema (next.config.js does) without the runtime's secrets: the
        # schema's own switch skips the check for this step only; the running app still validates.
        build = f"{skip.split()[0]}=1 {build}"
    if _self_contained(app):
        # public/ is optional in Next.js; an empty one keeps the runtime's COPY valid.
        return [build, "mkdir -p public"] if app.framework.value == "nextjs" else [build]
    # node_modules here holds dev dependencies: the runtime gets the production ones from the deps stage.
    steps = [build, f"find {ROOT} -name node_modules -type d -prune -exec rm -rf {{}} +"]
    return steps + (["rm -rf .next/cache"] if app.framework.value == "nextjs" else [])


def _default_build(app: AppProfile) -> str | None:
    """Frameworks that cannot run unbuilt get their own build when the package has no build script."""
    return {"nextjs": "next build", "nuxt": "nuxt generate" if app.detail("static_output") else "nuxt build"}.get(app.framework.value or "")


def _runtime_env(app: AppProfile) -> dict[str, str]:
    """NODE_ENV and what the framework needs at run time (Next.js binds HOSTNAME, which Docker sets)."""
    env = {"NODE_ENV": "production"}
    for pair in (app.detail("runtime_env") or "").split():
        key, _, value = pair.partition("=")
        if key:
            env[key] = value
    if app.framework.value == "nextjs":
        env["NEXT_TELEMETRY_DISABLED"] = "1"
    return env


def _bin_path(app: AppProfile) -> str:
    """PATH with the dependencies' binaries: the app's own folder first, then the hoisted root."""
    member = _member_dir(app)
    folders = [_abs(member, "node_modules/.bin")] + ([f"{ROOT}/node_modules/.bin"] if member != "." else [])
    return ":".join(folders)


# ---------------------------------------------------------------- dev commands
def _dev_command(app: AppProfile, start: str | None) -> tuple[str, ...]:
    """The framework's own dev server where it has one, else the start command under ``node --watch``."""
    port = str(app.port.value or 3000)
    framework = app.framework.value
    if framework == "nextjs":
        return ("next", "dev", "--hostname", "0.0.0.0", "--port", port)
    if framework == "nuxt":
        return ("nuxt", "dev", "--host", "0.0.0.0", "--port", port)
    if framework == "sveltekit":
        return ("vite", "dev", "--host", "0.0.0.0", "--port", port, "--strictPort")
    if start is None:
        return unknown_start(dockerfile_path(app))
    if framework == "remix" and start.startswith(("react-router-serve", "remix-serve")):
        if start.startswith("react-router-serve"):
            return ("react-router", "dev", "--host", "0.0.0.0", "--port", port)
        if "build/server/" in start:
            return ("remix", "vite:dev", "--host", "0.0.0.0", "--port", port)
        return ("remix", "dev")
    if framework == "nestjs":
        return _nest_dev(app, start)
    return _node_watch(start)


def _nest_dev(app: AppProfile, start: str) -> tuple[str, ...]:
    """``nest start --watch``; without the Nest CLI, tsc in watch mode next to ``node --watch`` of its output."""
    if app.detail("nest_cli"):
        return ("nest", "start", "--watch")
    script = app.detail("build_script") or ""
    if script.startswith("tsc") and not any(c in script for c in "&|;$`<>"):
        node = " ".join(_node_watch(start))
        return ("sh", "-c", f"{script} --watch --preserveWatchOutput & exec {node}")
    return _node_watch(start)


def _node_watch(start: str) -> tuple[str, ...]:
    """``node x.js`` -> ``node --watch x.js``: node restarts on every change of a loaded file."""
    argv = command_argv(start)
    if argv and argv[0] == "node":
        return ("node", "--watch", *argv[1:])
    return argv


# ---------------------------------------------------------------- static builds
def _static_plan(app: AppProfile) -> ContainerPlan:
    """Build with node; serve the output folder with the shared non-root nginx."""
    output = app.detail("output_dir") or "dist"
    member = _member_dir(app)
    vite = app.framework.value in ("vite", "sveltekit")
    web = webserver.server(
        app,
        site_stage="build",
        site_dir=_abs(member, output),
        spa=True,
        immutable_prefix=_immutable_prefix(app),
    )
    values = _common_values(app)
    values["web"] = web.values
    values["bin_path"] = _bin_path(app)
    values["build_command"] = app.build_command.value or _default_build(app) or f"{_run(app)} build"
    result = base_plan(
        web.app,
        template="node-static.Dockerfile.j2",
        images={"build": _node_image(app), "runtime": webserver.IMAGE},
        cmd=webserver.COMMAND,
        dev_cmd=_static_dev_command(app, webserver.PORT),
        healthcheck=web.healthcheck,
        values=values,
        watch=_watch(app, values["workdir"]),
        post_create=_post_create(app),
        extensions=_EXTENSIONS,
    )
    notes = (
        f"The build runs on {_node_image(app)}; only its output ({output}/) ships, served by nginx "
        f"(nginxinc/nginx-unprivileged) on {webserver.PORT} as uid 10001 with the generated nginx.conf: "
        "client-side routes fall back to index.html.",
        "docker stop sends SIGQUIT, nginx's graceful stop: requests in flight finish.",
        "The dev target is the framework's dev server with live reload (node, dev dependencies, your source), not nginx."
        + (" It serves any path (index.html for unknown ones), so the same health probe passes." if vite else ""),
        *_build_arg_note(app),
    )
    return dataclasses.replace(result, files=web.files, notes=notes)


def _run(app: AppProfile) -> str:
    """How the package manager runs a package script (``npm run``, ``yarn run``...)."""
    return (app.package_manager.value or "npm").split("-")[0] + " run"


def _immutable_prefix(app: AppProfile) -> str | None:
    """URL prefix of fingerprinted build output, cached for a year."""
    return {"vite": "/assets/", "react": "/static/", "vue": "/js/", "nextjs": "/_next/static/", "sveltekit": "/_app/immutable/"}.get(
        app.framework.value or ""
    )


def _static_dev_command(app: AppProfile, port: int) -> tuple[str, ...]:
    """The build tool's dev server, on the port the image serves, reachable from outside the container."""
    p = str(port)
    return {
        "vite": ("vite", "--host", "0.0.0.0", "--port", p, "--strictPort"),
        "sveltekit": ("vite", "dev", "--host", "0.0.0.0", "--port", p, "--strictPort"),
        "react": ("react-scripts", "start"),  # HOST and PORT come from the environment
        "vue": ("vue-cli-service", "serve", "--host", "0.0.0.0", "--port", p),
        "nextjs": ("next", "dev", "--hostname", "0.0.0.0", "--port", p),
        "nuxt": ("nuxt", "dev", "--host", "0.0.0.0", "--port", p),
    }.get(app.framework.value or "", ("vite", "--host", "0.0.0.0", "--port", p))


def _build_arg_note(app: AppProfile) -> tuple[str, ...]:
    names = app.detail("build_env")
    if not names:
        return ()
    several = "," in names
    return (f"{names.replace(',', ', ')}: inlined into the bundle at build time, so {'they are build arguments' if several else 'it is a build argument'} "
            "(docker build --build-arg NAME=value), not a runtime setting.",)


# ---------------------------------------------------------------- shared values
def _common_values(app: AppProfile) -> dict[str, Any]:
    """What both templates lay out: the package manager, the dependency layers, the build step."""
    manager = app.package_manager.value or "npm"
    frozen = bool(app.detail("lockfile"))
    files = [p for p in (in_context(app, m) for m in manifests(app)) if p]
    member = _member_dir(app)
    setup = _manager_setup(app, manager)
    return {
        "manager": manager,
        "setup": setup,
        "corepack_from_npm": any(step.startswith("npm install -g corepack@") for step in setup),
        "manager_env": _manager_env(manager),
        "manifest_copies": copy_groups(files or [posixpath.join(member, "package.json") if member != "." else "package.json"]),
        "install_all": _with_workspace(app, app.detail("install_command") or _INSTALL_ALL[manager][1], prod=False),
        "install_prod": _with_workspace(app, _INSTALL_PROD[manager][0 if frozen else 1], prod=True),
        # The install's download cache is outside /app and never ships; yarn's is cleaned for hadolint (DL3060).
        "cache_clean": {"yarn": "yarn cache clean", "yarn-berry": "yarn cache clean --all"}.get(manager),
        "workdir": _abs(member, "."),
        "build_command": app.build_command.value,
        "build_args": sorted(n for n in (app.detail("build_env") or "").split(",") if _ENV_NAME.fullmatch(n)),
        "corepack_home": _COREPACK_HOME if manager in _COREPACK_MANAGERS else None,
    }


@dataclasses.dataclass(frozen=True)
class NodeImageLayout:
    """What an official ``node:<version>-slim`` image carries besides node and npm."""

    has_yarn1: bool  # /usr/local/bin/yarn and yarnpkg, links into /opt/yarn-v1.22.22
    has_corepack: bool  # bundled with Node: /usr/local/bin/corepack
    corepack_is_current: bool  # the bundled corepack verifies today's pnpm and yarn releases


def node_image_layout(version: str) -> NodeImageLayout:
    """The layout of the official image of a Node version (``22``, ``20.11.1``).

    A major alone names that line's newest release, the one its image tag points to.
    """
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:3]) or (int(DEFAULT_RUNTIME["node"]),)
    major = parts[0]
    newest = len(parts) == 1
    first = NODE_COREPACK_FIRST.get(major, (major,))
    has_corepack = (major >= min(NODE_COREPACK_FIRST) and major <= NODE_COREPACK_LAST_MAJOR and major != 15
                    and (newest or parts >= first))
    keys = NODE_COREPACK_CURRENT_KEYS.get(major)
    return NodeImageLayout(
        has_yarn1=major <= NODE_IMAGE_LAST_YARN1_MAJOR,
        has_corepack=has_corepack,
        corepack_is_current=has_corepack and keys is not None and (newest or parts >= keys),
    )


def _manager_setup(app: AppProfile, manager: str) -> list[str]:
    """Make the pinned package manager runnable on the official node image of the app's version.

    npm comes with node. Yarn 1 is preinstalled in the images up to Node 25, so it is used as it is
    (installing corepack over its links fails with EEXIST); later images get it from npm. pnpm and
    Yarn 2+ run through corepack: the one Node bundles where it is recent enough, else a pinned one
    from npm, after removing yarn 1's links that would block its own.
    """
    if manager == "bun":
        return [f"npm install -g bun@{TOOLS['bun']}", "npm cache clean --force"]
    if manager not in ("pnpm", "yarn", "yarn-berry"):
        return []
    layout = node_image_layout(_node_version(app))
    version = app.detail("package_manager_version") or TOOLS[manager]
    if manager == "yarn":
        if layout.has_yarn1:
            return []
        return [f"npm install -g {shlex.quote(f'yarn@{version}')}", "npm cache clean --force"]
    name = "yarn" if manager == "yarn-berry" else manager
    steps = []
    if not layout.corepack_is_current:
        steps = [f"npm install -g corepack@{TOOLS['corepack']}", "npm cache clean --force"]
        if layout.has_yarn1:
            steps.insert(0, "rm -f /usr/local/bin/yarn /usr/local/bin/yarnpkg")
    return [*steps, f"corepack enable {name}", f"corepack prepare {shlex.quote(f'{name}@{version}')} --activate"]


def _manager_env(manager: str) -> dict[str, str]:
    env: dict[str, str] = {}
    if manager in _COREPACK_MANAGERS:
        # A shared corepack home (not /root's): the dev target's user runs the same pinned release.
        env.update({"COREPACK_HOME": _COREPACK_HOME, "COREPACK_ENABLE_DOWNLOAD_PROMPT": "0"})
    if manager == "yarn-berry":
        # Plug'n'Play needs a loader on every node command; a node_modules folder needs nothing.
        env.update({"YARN_NODE_LINKER": "node-modules", "YARN_ENABLE_TELEMETRY": "0"})
    return env


def _with_workspace(app: AppProfile, command: str, *, prod: bool) -> str:
    """Limit a workspace member's install to that member (and, for the build, the root's tools)."""
    member = _member_dir(app)
    if member == ".":
        return command
    manager = app.package_manager.value or "npm"
    name = app.detail("package_name") or app.name
    if manager == "npm":
        # The root's devDependencies are the workspace's build tools; production needs only the member's.
        return f"{command} --workspace {shlex.quote(member)}" + ("" if prod else " --include-workspace-root")
    if manager == "pnpm":
        return f"{command} --filter {shlex.quote(name + '...')}"
    if manager == "yarn-berry" and prod:
        return f"yarn workspaces focus --production {shlex.quote(name)}"
    return command  # yarn classic and bun install the whole workspace


def _post_create(app: AppProfile) -> str:
    """Install every dependency into the mounted source (package managers find the workspace root)."""
    return app.detail("install_command") or _INSTALL_ALL[app.package_manager.value or "npm"][1]


def _watch(app: AppProfile, workdir: str) -> tuple[WatchRule, ...]:
    """Sync the source into the dev container; a changed manifest or lockfile rebuilds it.

    A workspace member syncs the whole workspace: its shared packages are its source too.
    """
    outputs = tuple(f"{d}/" for d in ("node_modules", ".next", ".nuxt", ".output", ".svelte-kit", "dist", "build"))
    member = _member_dir(app)
    if member != ".":
        sync = WatchRule("sync", posixpath.relpath(".", member), ROOT, ignore=outputs)
    else:
        sync = WatchRule("sync", ".", workdir, ignore=outputs)
    return (sync, *(WatchRule("rebuild", m) for m in manifests(app)))


def _node_version(app: AppProfile) -> str:
    return app.runtime_version.value or DEFAULT_RUNTIME["node"]


def _node_image(app: AppProfile) -> str:
    return f"node:{_node_version(app)}-slim"


def _member_dir(app: AppProfile) -> str:
    """The app folder relative to the build context (``.`` unless the app is a workspace member).

    It is written unquoted into WORKDIR and PATH, so only plain folder names are accepted.
    """
    member = posixpath.relpath(app.path, build_context(app))
    if not _PLAIN_PATH.fullmatch(member):
        raise RenderError(f"{app.path}: a workspace member's folder name can only use letters, digits and ._@+-/")
    return member


def _abs(member: str, path: str) -> str:
    """An absolute path in the image of ``path`` inside the app folder."""
    return posixpath.normpath(posixpath.join(ROOT, member, path))


def _notes(app: AppProfile, standalone: bool) -> tuple[str, ...]:
    manager = app.package_manager.value or "npm"
    notes = [
        "tini is PID 1: node does not stop on SIGTERM unless the app handles it; tini passes the signal on "
        "and reaps zombies, so docker stop is quick and clean.",
    ]
    if standalone:
        what = "Next.js standalone output (server.js with the dependencies it traced)" if app.framework.value == "nextjs" else "Nuxt's .output (Nitro bundles its dependencies)"
        notes.append(f"The runtime image holds only the {what}: no node_modules, no source.")
    else:
        notes.append(f"Production dependencies are installed ({_INSTALL_PROD[manager][0].split(' --')[0]} without dev dependencies) in a stage "
                     "of their own; dev dependencies exist only in the build stage and the dev target.")
    if _member_dir(app) != ".":
        notes.append("A workspace member: the build context is the workspace root, so the root lockfile and every "
                     "member's package.json are copied before the install.")
    if manager == "yarn-berry":
        notes.append("Yarn is told to install a node_modules folder in the image (YARN_NODE_LINKER), so plain node runs the app.")
    if app.framework.value == "nextjs":
        notes.append("HOSTNAME=0.0.0.0: Docker sets HOSTNAME to the container id, and Next.js would listen only there.")
    notes.extend(_build_arg_note(app))
    return tuple(notes)

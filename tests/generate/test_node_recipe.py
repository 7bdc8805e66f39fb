"""The Node.js recipe: every package manager, server framework, static build and workspace layout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.checks import check_dockerfile
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.generate.versions import TOOLS, WEB_SERVER_IMAGE
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

MakeTree = Callable[[dict[str, str | bytes]], Path]
SERVER_JS = "const express = require('express');\nconst app = express();\napp.get('/health', (q, r) => r.send('ok'));\napp.listen(process.env.PORT || 3000);\n"
INDEX = "<!doctype html><div id=root></div>\n"


def pkg(**fields: Any) -> str:
    return json.dumps({"name": "app", "version": "1.0.0", **fields}, indent=2) + "\n"


EXPRESS = pkg(scripts={"start": "node server.js"}, dependencies={"express": "^5.1.0"})


def express(lockfile: str, content: str = "{}\n", **extra: str) -> dict[str, str]:
    return {"package.json": EXPRESS, "server.js": SERVER_JS, lockfile: content, **extra}


def apps_of(root: Path) -> tuple[AppProfile, ...]:
    return inspect_tree(root).apps


def plan_of(make_tree: MakeTree, files: dict[str, str]) -> ContainerPlan:
    apps = apps_of(make_tree(files))
    assert len(apps) == 1, apps
    return plan_for(apps[0])


def dockerfile_of(make_tree: MakeTree, files: dict[str, str], path: str = "Dockerfile") -> str:
    return {f.path: f.content for f in generate(inspect_tree(make_tree(files)))}[path]


def assert_lints_clean(dockerfile: str, tmp_path: Path) -> None:
    assert check_dockerfile(dockerfile) == []
    assert_hadolint_clean(dockerfile, tmp_path)


# ---------------------------------------------------------------- package managers
def test_npm_express_installs_production_dependencies_and_runs_under_tini(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, express("package-lock.json"))
    assert plan.images == {"runtime": "node:22-slim"}
    assert plan.cmd == ("node", "server.js")
    assert plan.dev_cmd == ("node", "--watch", "server.js")
    assert plan.healthcheck is not None and plan.healthcheck[:2] == ("node", "-e")
    assert "port: 3000, path: '/health'" in plan.healthcheck[2] and "r.statusCode < 400" in plan.healthcheck[2]
    assert plan.values["install_prod"] == "npm ci --omit=dev"
    assert plan.values["install_all"] == "npm ci"
    assert plan.values["setup"] == []  # npm ships with node
    assert plan.post_create == "npm ci"
    assert plan.extensions == ("dbaeumer.vscode-eslint", "esbenp.prettier-vscode")
    assert [(r.action, r.path) for r in plan.watch] == [("sync", "."), ("rebuild", "package.json"), ("rebuild", "package-lock.json")]


def test_npm_dockerfile_layout(make_tree: MakeTree, tmp_path: Path) -> None:
    dockerfile = dockerfile_of(make_tree, express("package-lock.json"))
    # Manifests are installed before the source is copied.
    assert dockerfile.index('COPY ["package.json", "package-lock.json", "./"]') < dockerfile.index("COPY --chown=10001:10001 . /app/")
    assert 'ENTRYPOINT ["tini", "--"]' in dockerfile
    assert 'ENV NODE_ENV="production"' in dockerfile
    assert "USER 10001:10001" in dockerfile
    assert "COPY --from=deps /app /app" in dockerfile
    assert dockerfile.rstrip().endswith("FROM runtime AS production")
    assert_lints_clean(dockerfile, tmp_path)


def test_without_a_lockfile_the_install_is_not_frozen(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"package.json": EXPRESS, "server.js": SERVER_JS})
    assert plan.values["install_prod"] == "npm install --omit=dev"
    assert plan.values["install_all"] == "npm install"


def test_pnpm_runs_through_corepack_at_the_declared_version(make_tree: MakeTree) -> None:
    files = express("pnpm-lock.yaml", "lockfileVersion: '9.0'\n")
    files["package.json"] = pkg(scripts={"start": "node server.js"}, dependencies={"express": "^5"}, packageManager="pnpm@9.12.3")
    plan = plan_of(make_tree, files)
    assert plan.values["install_prod"] == "pnpm install --frozen-lockfile --prod"
    assert plan.values["install_all"] == "pnpm install --frozen-lockfile"
    # node:22-slim bundles a corepack that verifies current releases, and yarn 1 holds the yarn
    # links an npm-installed corepack would need (EEXIST): use the bundled one.
    assert plan.values["setup"] == ["corepack enable pnpm", "corepack prepare pnpm@9.12.3 --activate"]


def test_pnpm_without_packagemanager_uses_the_pinned_release(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, express("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"))
    assert f"corepack prepare pnpm@{TOOLS['pnpm']} --activate" in plan.values["setup"]


def test_yarn_classic(make_tree: MakeTree, tmp_path: Path) -> None:
    files = express("yarn.lock", "# yarn lockfile v1\n")
    plan = plan_of(make_tree, files)
    assert plan.values["install_prod"] == "yarn install --frozen-lockfile --production"
    assert plan.values["install_all"] == "yarn install --frozen-lockfile"
    # The node image's preinstalled yarn 1 runs it: no corepack, no tools stage.
    assert plan.values["setup"] == []
    assert plan.values["corepack_home"] is None and plan.values["manager_env"] == {}
    dockerfile = dockerfile_of(make_tree, files)
    assert "AS tools" not in dockerfile and "corepack" not in dockerfile
    assert_lints_clean(dockerfile, tmp_path)


# (Node pin, package manager) -> how the generated Dockerfile gets the package manager on the
# official image of that Node: yarn 1 is preinstalled through 25, corepack bundled through 24.
NODE_SETUPS = [
    ("22", "yarn", []),
    ("20", "yarn", []),
    ("25", "yarn", []),
    ("26", "yarn", ["npm install -g yarn@1.22.19", "npm cache clean --force"]),
    ("24", "pnpm", ["corepack enable pnpm", "corepack prepare pnpm@9.12.3 --activate"]),
    ("20", "pnpm", ["corepack enable pnpm", "corepack prepare pnpm@9.12.3 --activate"]),
    # Node 25 dropped corepack but its image still links yarn 1: those links go first (uppy#3287).
    ("25", "pnpm", ["rm -f /usr/local/bin/yarn /usr/local/bin/yarnpkg", f"npm install -g corepack@{TOOLS['corepack']}",
                    "npm cache clean --force", "corepack enable pnpm", "corepack prepare pnpm@9.12.3 --activate"]),
    ("26", "yarn-berry", [f"npm install -g corepack@{TOOLS['corepack']}", "npm cache clean --force",
                          "corepack enable yarn", "corepack prepare yarn@4.5.0 --activate"]),
    # A bundled corepack from before npm's 2025 key rotation cannot verify current releases.
    ("20.11.1", "pnpm", ["rm -f /usr/local/bin/yarn /usr/local/bin/yarnpkg", f"npm install -g corepack@{TOOLS['corepack']}",
                         "npm cache clean --force", "corepack enable pnpm", "corepack prepare pnpm@9.12.3 --activate"]),
    ("22.14.0", "yarn-berry", ["corepack enable yarn", "corepack prepare yarn@4.5.0 --activate"]),
]
LOCKFILES = {"yarn": ("yarn.lock", "# yarn lockfile v1\n", "yarn@1.22.19"), "pnpm": ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n", "pnpm@9.12.3"),
             "yarn-berry": ("yarn.lock", "__metadata:\n  version: 8\n", "yarn@4.5.0")}


@pytest.mark.parametrize(("node", "manager", "setup"), NODE_SETUPS)
def test_the_package_manager_fits_the_official_node_image(make_tree: MakeTree, tmp_path: Path, node: str, manager: str, setup: list[str]) -> None:
    lockfile, content, pinned = LOCKFILES[manager]
    files = express(lockfile, content, **{".nvmrc": f"{node}\n"})
    files["package.json"] = pkg(scripts={"start": "node server.js"}, dependencies={"express": "^5"}, packageManager=pinned)
    plan = plan_of(make_tree, files)
    assert plan.images["runtime"] == f"node:{node}-slim"
    assert plan.values["setup"] == setup
    dockerfile = dockerfile_of(make_tree, files)
    assert ("AS tools" in dockerfile) == bool(setup)
    assert_lints_clean(dockerfile, tmp_path)


def test_yarn_berry_installs_node_modules_and_copies_its_release(make_tree: MakeTree, tmp_path: Path) -> None:
    files = express(
        "yarn.lock",
        "__metadata:\n  version: 8\n",
        **{".yarnrc.yml": "yarnPath: .yarn/releases/yarn-4.5.0.cjs\n", ".yarn/releases/yarn-4.5.0.cjs": "// yarn\n"},
    )
    files["package.json"] = pkg(scripts={"start": "node server.js"}, dependencies={"express": "^5"}, packageManager="yarn@4.5.0")
    plan = plan_of(make_tree, files)
    assert plan.values["install_all"] == "yarn install --immutable"
    assert plan.values["install_prod"] == "yarn workspaces focus --all --production"
    assert plan.values["manager_env"]["YARN_NODE_LINKER"] == "node-modules"  # Plug'n'Play needs a loader on every node command
    assert any(
        ".yarn/releases/yarn-4.5.0.cjs" in group for group in plan.values["manifest_copies"]
    )
    dockerfile = dockerfile_of(make_tree, files)
    assert 'COPY [".yarn/releases/yarn-4.5.0.cjs", ".yarn/releases/"]' in dockerfile
    assert "corepack prepare yarn@4.5.0 --activate" in dockerfile
    assert_lints_clean(dockerfile, tmp_path)


def test_bun_installs_with_a_pinned_bun_and_runs_on_node(make_tree: MakeTree, tmp_path: Path) -> None:
    files = express("bun.lock", "{}\n")
    plan = plan_of(make_tree, files)
    assert plan.values["setup"][0] == f"npm install -g bun@{TOOLS['bun']}"
    assert plan.values["install_prod"] == "bun install --frozen-lockfile --production"
    assert plan.cmd == ("node", "server.js")
    assert_lints_clean(dockerfile_of(make_tree, files), tmp_path)


# ---------------------------------------------------------------- servers
NEXT_DEPS = {"next": "^16.0.0", "react": "^19.2.0", "react-dom": "^19.2.0"}


def test_nextjs_standalone_ships_only_its_output(make_tree: MakeTree, tmp_path: Path) -> None:
    files = {
        "package.json": pkg(scripts={"build": "next build", "start": "next start"}, dependencies=NEXT_DEPS),
        "package-lock.json": "{}\n",
        "next.config.mjs": "export default { output: 'standalone' };\n",
        "app/api/health/route.ts": "export async function GET() { return Response.json({ ok: true }); }\n",
    }
    plan = plan_of(make_tree, files)
    assert plan.cmd == ("node", "server.js")
    assert plan.dev_cmd == ("next", "dev", "--hostname", "0.0.0.0", "--port", "3000")
    assert plan.values["standalone"] is True
    assert [dest for _, dest in plan.values["runtime_copies"]] == ["/app", "/app/.next/static", "/app/public"]
    assert plan.values["runtime_env"]["HOSTNAME"] == "0.0.0.0"
    assert plan.healthcheck is not None and "/api/health" in plan.healthcheck[2]
    dockerfile = dockerfile_of(make_tree, files)
    assert "COPY --from=deps" not in dockerfile  # standalone carries its traced dependencies
    assert "mkdir -p public" in dockerfile  # public/ is optional; the COPY must not fail
    assert_lints_clean(dockerfile, tmp_path)


def test_nextjs_server_mode_runs_next_start(make_tree: MakeTree, tmp_path: Path) -> None:
    files = {
        "package.json": pkg(scripts={"build": "next build", "start": "next start"}, dependencies=NEXT_DEPS),
        "package-lock.json": "{}\n",
        "next.config.js": "module.exports = {};\n",
    }
    plan = plan_of(make_tree, files)
    assert plan.cmd == ("next", "start")  # found on PATH: hoisting moves node_modules/.bin in workspaces
    assert plan.values["standalone"] is False
    assert "rm -rf .next/cache" in plan.values["build_steps"]
    assert_lints_clean(dockerfile_of(make_tree, files), tmp_path)


#: create-t3-app's src/env.js: the schema next.config.js imports, so `next build` validates the environment.
T3_ENV = """import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

export const env = createEnv({
  server: {
    DATABASE_URL: z.string().url(),
    AUTH_SECRET: process.env.NODE_ENV === "production" ? z.string() : z.string().optional(),
  },
  client: {},
  runtimeEnv: { DATABASE_URL: process.env.DATABASE_URL, AUTH_SECRET: process.env.AUTH_SECRET },
  skipValidation: !!process.env.SKIP_ENV_VALIDATION,
  emptyStringAsUndefined: true,
});
"""


def test_t3_env_validation_is_skipped_for_the_build_only(make_tree: MakeTree, tmp_path: Path) -> None:
    """Without the runtime's secrets `next build` fails ("Invalid environment variables"): the schema's switch is set for that step."""
    files = {
        "package.json": pkg(scripts={"build": "next build", "start": "next start"}, dependencies={**NEXT_DEPS, "@t3-oss/env-nextjs": "^0.12.0"}),
        "package-lock.json": "{}\n",
        "next.config.js": 'import "./src/env.js";\nexport default {};\n',
        "src/env.js": T3_ENV,
    }
    apps = apps_of(make_tree(files))
    assert apps[0].detail("skip_env_validation") == "SKIP_ENV_VALIDATION src/env.js:11"
    plan = plan_for(apps[0])
    assert plan.values["build_steps"][0] == "SKIP_ENV_VALIDATION=1 npm run build"
    dockerfile = dockerfile_of(make_tree, files)
    assert "SKIP_ENV_VALIDATION" not in dockerfile.split("FROM base AS runtime")[1]  # the running app still validates
    assert_lints_clean(dockerfile, tmp_path)


def test_nuxt_ships_the_nitro_output(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"package.json": pkg(scripts={"build": "nuxt build"}, dependencies={"nuxt": "^3.13.0"}), "package-lock.json": "{}\n"})
    assert plan.cmd == ("node", ".output/server/index.mjs")
    assert plan.values["runtime_copies"] == [("/app/.output", "/app/.output")]
    assert plan.dev_cmd[:2] == ("nuxt", "dev")


def test_sveltekit_adapter_node(make_tree: MakeTree) -> None:
    files = {
        "package.json": pkg(scripts={"build": "vite build"}, devDependencies={"@sveltejs/kit": "^2", "@sveltejs/adapter-node": "^5", "vite": "^6"}),
        "package-lock.json": "{}\n",
        "svelte.config.js": "import adapter from '@sveltejs/adapter-node';\nexport default { kit: { adapter: adapter() } };\n",
    }
    plan = plan_of(make_tree, files)
    assert plan.cmd == ("node", "build")
    assert plan.dev_cmd == ("vite", "dev", "--host", "0.0.0.0", "--port", "3000", "--strictPort")
    assert plan.values["standalone"] is False  # adapter-node's build imports its production dependencies


def test_react_router_serve(make_tree: MakeTree) -> None:
    files = {
        "package.json": pkg(scripts={"build": "react-router build"}, dependencies={"@react-router/serve": "^7", "@react-router/node": "^7"}),
        "package-lock.json": "{}\n",
    }
    plan = plan_of(make_tree, files)
    assert plan.cmd == ("react-router-serve", "build/server/index.js")
    assert plan.dev_cmd == ("react-router", "dev", "--host", "0.0.0.0", "--port", "3000")


NEST_MAIN = "import { NestFactory } from '@nestjs/core';\nasync function main() { const app = await NestFactory.create(AppModule); await app.listen(3000); }\n"


def test_nestjs_with_its_cli_watches_with_nest_start(make_tree: MakeTree) -> None:
    files = {
        "package.json": pkg(scripts={"build": "nest build", "start:prod": "node dist/main"}, dependencies={"@nestjs/core": "^11"}, devDependencies={"@nestjs/cli": "^11"}),
        "package-lock.json": "{}\n",
        "src/main.ts": NEST_MAIN,
    }
    plan = plan_of(make_tree, files)
    assert plan.cmd == ("node", "dist/main")
    assert plan.dev_cmd == ("nest", "start", "--watch")


def test_nestjs_without_its_cli_runs_tsc_in_watch_mode(make_tree: MakeTree) -> None:
    files = {
        "package.json": pkg(scripts={"build": "tsc -p tsconfig.build.json", "start:prod": "node dist/main.js"}, dependencies={"@nestjs/core": "^11"}),
        "package-lock.json": "{}\n",
        "src/main.ts": NEST_MAIN,
    }
    plan = plan_of(make_tree, files)
    assert plan.dev_cmd == ("sh", "-c", "tsc -p tsconfig.build.json --watch --preserveWatchOutput & exec node --watch dist/main.js")


def test_a_worker_without_a_port_has_no_healthcheck(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree, {"package.json": pkg(scripts={"start": "node worker.js"}), "worker.js": "setInterval(() => {}, 1000);\n", "package-lock.json": "{}\n"})
    assert plan.cmd == ("node", "worker.js")
    assert plan.port is None and plan.healthcheck is None


# ---------------------------------------------------------------- static builds
def test_vite_spa_is_built_with_node_and_served_by_nginx(make_tree: MakeTree, tmp_path: Path) -> None:
    files = {
        "package.json": pkg(scripts={"dev": "vite", "build": "vite build"}, dependencies={"react": "^19"}, devDependencies={"vite": "^7"}),
        "package-lock.json": "{}\n",
        "index.html": INDEX,
        "src/main.jsx": "console.log(import.meta.env.VITE_API_URL);\n",
    }
    plan = plan_of(make_tree, files)
    assert plan.template == "node-static.Dockerfile.j2"
    assert plan.images == {"build": "node:22-slim", "runtime": WEB_SERVER_IMAGE}
    assert plan.cmd == ("nginx", "-g", "daemon off;")
    assert plan.dev_cmd == ("vite", "--host", "0.0.0.0", "--port", "8080", "--strictPort")
    assert plan.healthcheck is not None and plan.healthcheck[0] == "curl"
    assert [path for path, _ in plan.files] == ["nginx.conf"]
    assert "try_files $uri $uri/ /index.html;" in plan.files[0][1]  # client-side routes
    assert plan.values["build_args"] == ["VITE_API_URL"]
    dockerfile = dockerfile_of(make_tree, files)
    assert 'COPY --from=build ["/app/dist/", "/usr/share/nginx/html/"]' in dockerfile
    assert "ARG VITE_API_URL" in dockerfile
    assert "apt-get install -y --no-install-recommends curl" in dockerfile  # the dev target runs the same probe
    assert_lints_clean(dockerfile, tmp_path)


def test_next_export_is_a_static_build(make_tree: MakeTree) -> None:
    files = {
        "package.json": pkg(scripts={"build": "next build"}, dependencies=NEXT_DEPS),
        "package-lock.json": "{}\n",
        "next.config.mjs": "export default { output: 'export' };\n",
    }
    plan = plan_of(make_tree, files)
    assert plan.images["runtime"] == WEB_SERVER_IMAGE
    assert plan.values["web"]["site_dir"] == "/app/out"
    assert plan.dev_cmd == ("next", "dev", "--hostname", "0.0.0.0", "--port", "8080")


# ---------------------------------------------------------------- workspaces
MONOREPO = {
    "package.json": pkg(private=True, workspaces=["apps/*", "packages/*"]),
    "package-lock.json": "{}\n",
    "apps/api/package.json": pkg(name="@acme/api", scripts={"start": "node src/server.js"}, dependencies={"express": "^5", "@acme/shared": "1.0.0"}),
    "apps/api/src/server.js": SERVER_JS,
    "apps/admin/package.json": pkg(name="@acme/admin", scripts={"start": "node index.js"}, dependencies={"koa": "^2"}),
    "apps/admin/index.js": "require('koa');\n",
    "packages/shared/package.json": pkg(name="@acme/shared"),
}


def test_a_workspace_member_installs_from_the_workspace_root(make_tree: MakeTree, tmp_path: Path) -> None:
    apps = {a.name: a for a in apps_of(make_tree(MONOREPO))}
    plan = plan_for(apps["api"])
    assert plan.values["install_prod"] == "npm ci --omit=dev --workspace apps/api"
    assert plan.values["install_all"] == "npm ci --workspace apps/api --include-workspace-root"
    assert plan.values["workdir"] == "/app/apps/api"
    assert plan.values["manifest_copies"] == [
        ["package.json", "package-lock.json", "./"],
        ["apps/admin/package.json", "apps/admin/"],
        ["apps/api/package.json", "apps/api/"],
        ["packages/shared/package.json", "packages/shared/"],
    ]
    # The whole workspace is synced (shared packages are source too); manifests rebuild.
    assert (plan.watch[0].path, plan.watch[0].target) == ("../..", "/app")
    assert {r.path for r in plan.watch[1:]} >= {"../../package-lock.json", "package.json", "../../packages/shared/package.json"}
    files = {f.path: f.content for f in generate(inspect_tree(make_tree(MONOREPO)))}
    assert ".dockerignore" in files and "apps/api/.dockerignore" not in files  # the context is the root
    assert "WORKDIR /app/apps/api" in files["apps/api/Dockerfile"]
    assert_lints_clean(files["apps/api/Dockerfile"], tmp_path)


def test_a_pnpm_workspace_member_is_filtered_by_name(make_tree: MakeTree) -> None:
    tree = dict(MONOREPO)
    del tree["package-lock.json"]
    tree["pnpm-lock.yaml"] = "lockfileVersion: '9.0'\n"
    tree["pnpm-workspace.yaml"] = "packages:\n  - 'apps/*'\n  - 'packages/*'\n  - '!apps/admin'\n"
    tree["package.json"] = pkg(private=True)
    apps = {a.name: a for a in apps_of(make_tree(tree))}
    plan = plan_for(apps["api"])
    assert plan.values["install_prod"] == "pnpm install --frozen-lockfile --prod --filter @acme/api..."
    copied = [path for group in plan.values["manifest_copies"] for path in group[:-1]]
    assert "pnpm-workspace.yaml" in copied
    assert "apps/admin/package.json" not in copied  # excluded from the workspace


def test_an_unsafe_member_folder_is_refused(make_tree: MakeTree) -> None:
    from migrate.generate.render import RenderError

    tree = dict(MONOREPO)
    tree["apps/we ird/package.json"] = pkg(name="weird", scripts={"start": "node a.js"}, dependencies={"express": "^5"})
    apps = {a.path: a for a in apps_of(make_tree(tree))}
    with pytest.raises(RenderError):
        plan_for(apps["apps/we ird"])

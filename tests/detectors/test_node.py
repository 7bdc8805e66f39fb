"""The Node.js ecosystem: claims, workspaces, runtime, package managers, frameworks, commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.inspect import inspect_tree
from migrate.inspect.detectors.base import AppDir
from migrate.inspect.detectors.node import ECOSYSTEM, _pick_major
from migrate.inspect.tree import SourceTree
from migrate.profile import AppProfile, Inspection

MakeTree = Callable[[dict[str, str | bytes]], Path]


def pkg(**fields: Any) -> str:
    """A package.json with one key per line, as npm writes it."""
    return json.dumps({"name": "app", "version": "1.0.0", **fields}, indent=2) + "\n"


EXPRESS = pkg(scripts={"start": "node server.js"}, dependencies={"express": "^4.21.0"})
SERVER_JS = "const express = require('express');\nconst app = express();\napp.listen(3000);\n"


def inspect(make_tree: MakeTree, files: dict[str, str | bytes]) -> Inspection:
    return inspect_tree(make_tree(files))


def only_app(make_tree: MakeTree, files: dict[str, str | bytes]) -> AppProfile:
    result = inspect(make_tree, files)
    assert len(result.apps) == 1, result.apps
    return result.apps[0]


def evidence(app: AppProfile, fact: str) -> list[str]:
    return [str(e) for e in app.fact(fact).evidence]


# ---------------------------------------------------------------- claims
def claim_strength(make_tree: MakeTree, files: dict[str, str | bytes]) -> int | None:
    claim = ECOSYSTEM.claim(AppDir(SourceTree.scan(make_tree(files)), "."))
    return None if claim is None else claim.strength


@pytest.mark.parametrize(
    ("files", "strength"),
    [
        ({"package.json": pkg(scripts={"start": "node index.js"})}, 2),
        ({"package.json": pkg(dependencies={"fastify": "^5"})}, 2),
        ({"package.json": pkg(dependencies={"next": "^15"})}, 2),
        ({"package.json": pkg(devDependencies={"vite": "^6"}), "index.html": "<html></html>"}, 2),
        ({"package.json": pkg(devDependencies={"react-scripts": "5"}), "public/index.html": "<html></html>"}, 2),
        # Laravel/Rails asset tooling: vite without an index.html is only a manifest.
        ({"package.json": pkg(devDependencies={"vite": "^6", "laravel-vite-plugin": "^1"}), "composer.json": "{}"}, 1),
        ({"package.json": pkg(scripts={"build": "esbuild app/javascript/*.js --bundle"}), "Gemfile": ""}, 1),
        ({"package.json": "{ not json"}, 1),
        ({"README.md": "hi"}, None),
    ],
)
def test_claim_strength(make_tree: MakeTree, files: dict[str, str | bytes], strength: int | None) -> None:
    assert claim_strength(make_tree, files) == strength


def test_django_asset_tooling_stays_part_of_the_python_app(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "requirements.txt": "django==5.1\n",
            "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n",
            "package.json": pkg(scripts={"build": "tailwindcss -i in.css -o out.css"}, devDependencies={"tailwindcss": "^3"}),
        },
    )
    assert app.language.value == "python"
    assert app.detail("also_node") == "package.json: Node manifest"


# ---------------------------------------------------------------- workspaces
@pytest.mark.parametrize(
    "root",
    [
        {"package.json": pkg(private=True, workspaces=["apps/*", "packages/*"]), "package-lock.json": "{}"},
        {"package.json": pkg(private=True, workspaces={"packages": ["apps/*", "packages/*"]}), "yarn.lock": "# yarn lockfile v1\n"},
        {
            "package.json": pkg(private=True),
            "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - 'packages/*'\n  - '!**/test/**'\n",
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        },
    ],
)
def test_workspace_members_are_apps_and_libraries_are_dropped(make_tree: MakeTree, root: dict[str, str]) -> None:
    files: dict[str, str | bytes] = {
        **root,
        ".nvmrc": "20\n",
        "apps/api/package.json": pkg(name="@acme/api", scripts={"start": "node server.js"}, dependencies={"express": "^4"}),
        "apps/api/server.js": SERVER_JS,
        "packages/shared/package.json": pkg(name="@acme/shared", main="index.js"),
        "packages/shared/index.js": "module.exports = { add: (a, b) => a + b };\n",
    }
    result = inspect(make_tree, files)
    assert [(a.name, a.path) for a in result.apps] == [("api", "apps/api")]
    api = result.apps[0]
    lockfile = next(name for name in root if "lock" in name)
    assert api.detail("lockfile") == lockfile
    assert api.detail("workspace_root") == "."
    assert api.detail("package_name") == "@acme/api"
    assert api.runtime_version.value == "20"
    assert evidence(api, "runtime_version") == [".nvmrc:1: pins Node 20"]
    assert "packages/shared: a library of the workspace at ., not an app" in result.warnings


def test_workspace_patterns(make_tree: MakeTree) -> None:
    tree = SourceTree.scan(make_tree({"package.json": pkg(workspaces=["apps/*", "!apps/legacy", 3])}))
    assert ECOSYSTEM.workspace_members(AppDir(tree, ".")) == ["apps/*", "!apps/legacy"]
    plain = SourceTree.scan(make_tree({"package.json": pkg(workspaces="apps/*")}))
    assert ECOSYSTEM.workspace_members(AppDir(plain, ".")) is None


def test_member_uses_package_manager_declared_at_the_root(make_tree: MakeTree) -> None:
    result = inspect(
        make_tree,
        {
            "package.json": pkg(private=True, packageManager="pnpm@9.12.0", workspaces=["apps/*"]),
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
            "apps/web/package.json": pkg(dependencies={"next": "15.0.0"}, scripts={"build": "next build"}),
        },
    )
    web = result.apps[0]
    assert web.package_manager.value == "pnpm"
    assert evidence(web, "package_manager") == ["package.json:5: packageManager pnpm@9.12.0", "pnpm-lock.yaml: pnpm lockfile"]
    assert web.build_command.value == "pnpm run build"


# ---------------------------------------------------------------- runtime
@pytest.mark.parametrize(
    ("files", "version", "where"),
    [
        ({".nvmrc": "v20.11.1\n"}, "20.11.1", ".nvmrc:1: pins Node v20.11.1"),
        ({".nvmrc": "lts/iron\n"}, "20", ".nvmrc:1: pins Node lts/iron"),
        ({".node-version": "18\n"}, "18", ".node-version:1: pins Node 18"),
        ({".tool-versions": "python 3.12.1\nnodejs 20.10.0\n"}, "20.10.0", ".tool-versions:2: pins Node 20.10.0"),
        ({".tool-versions": "node 22.1.0\n"}, "22.1.0", ".tool-versions:1: pins Node 22.1.0"),
    ],
)
def test_runtime_from_version_files(make_tree: MakeTree, files: dict[str, str], version: str, where: str) -> None:
    app = only_app(make_tree, {"package.json": EXPRESS, "server.js": SERVER_JS, **files})
    assert app.runtime_version.value == version
    assert not app.runtime_version.is_default
    assert evidence(app, "runtime_version") == [where]


def test_runtime_from_volta_beats_engines(make_tree: MakeTree) -> None:
    manifest = pkg(scripts={"start": "node a.js"}, engines={"node": ">=18"}, volta={"node": "20.11.0"})
    app = only_app(make_tree, {"package.json": manifest})
    assert app.runtime_version.value == "20.11.0"
    assert evidence(app, "runtime_version")[0].startswith("package.json:11: volta pins Node 20.11.0")


@pytest.mark.parametrize(
    ("spec", "major"),
    [
        (">=18", "22"),
        ("^18 || ^20", "20"),
        ("18.x", "18"),
        (">=18.17.0 <21", "20"),
        ("20 - 24", "22"),
        ("~20.10", "20"),
        ("^24.1.0", "24"),
        (">=20.9.0", "22"),
        ("^20.19.0 || >=22.12.0", "22"),
        ("*", "22"),
        ("16.x", "16"),
        (">=30", None),
        ("lts please", None),
        # npm's grammar, read by node-semver: the newest known major with a release in the range.
        (">=18 <21", "20"),
        ("^20.1", "20"),  # no 20.0.0, but 20.1.0 and later
        (">20.1 <21", "20"),
        ("18.x || 20.x", "20"),
        ("~22", "22"),
        ("~>20.3", "20"),  # npm's tilde accepts "~>"
        (">=16", "22"),  # the default when allowed, not simply the newest
        (">= 18 < 21", "20"),
        ("^18.0.0-rc.1", "18"),
        ("v20.x", "20"),
        ("<=16", "16"),
        ("<8", None),
        ("lts/*", None),
        ("node", None),
    ],
)
def test_engines_range_picks_a_major(spec: str, major: str | None) -> None:
    assert _pick_major(spec) == major


def test_runtime_from_engines_with_evidence(make_tree: MakeTree) -> None:
    app = only_app(make_tree, {"package.json": pkg(scripts={"start": "node a.js"}, engines={"node": "^18 || ^20"})})
    assert app.runtime_version.value == "20"
    assert evidence(app, "runtime_version") == ["package.json:8: engines.node '^18 || ^20'"]


def test_end_of_life_engines_warns(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node a.js"}, engines={"node": "16.x"})})
    assert result.apps[0].runtime_version.value == "16"
    assert any("end-of-life" in w for w in result.warnings)


def test_unreadable_engines_falls_back_to_default_with_a_warning(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node a.js"}, engines={"node": "latest please"})})
    app = result.apps[0]
    assert app.runtime_version.value == "22" and app.runtime_version.is_default
    assert any("engines.node" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [("lts/*", "is not an npm version range"), ("latest", "is not an npm version range"), (">=30", "allows no Node version this tool knows")],
)
def test_engines_warning_says_why_the_range_was_not_used(make_tree: MakeTree, spec: str, reason: str) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node a.js"}, engines={"node": spec})})
    assert result.apps[0].runtime_version.is_default
    assert f".: package.json: engines.node {spec!r} {reason}; using the default" in result.warnings


def test_no_runtime_pinned_is_the_default(make_tree: MakeTree) -> None:
    app = only_app(make_tree, {"package.json": EXPRESS})
    assert app.runtime_version.value == "22"
    assert app.runtime_version.is_default
    assert "runtime_version" in app.to_json()["defaults"]


# ---------------------------------------------------------------- package managers
@pytest.mark.parametrize(
    ("files", "manager", "install"),
    [
        ({"package-lock.json": "{}"}, "npm", "npm ci"),
        ({"npm-shrinkwrap.json": "{}"}, "npm", "npm ci"),
        ({"yarn.lock": "# yarn lockfile v1\n"}, "yarn", "yarn install --frozen-lockfile"),
        ({"yarn.lock": "__metadata:\n  version: 8\n"}, "yarn-berry", "yarn install --immutable"),
        ({"yarn.lock": "# yarn\n", ".yarnrc.yml": "nodeLinker: node-modules\n"}, "yarn-berry", "yarn install --immutable"),
        ({"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}, "pnpm", "pnpm install --frozen-lockfile"),
        ({"bun.lockb": b"\x00bun"}, "bun", "bun install --frozen-lockfile"),
        ({"bun.lock": "{}\n"}, "bun", "bun install --frozen-lockfile"),
    ],
)
def test_package_manager_from_lockfile(make_tree: MakeTree, files: dict[str, str | bytes], manager: str, install: str) -> None:
    app = only_app(make_tree, {"package.json": EXPRESS, **files})
    assert app.package_manager.value == manager
    lockfile = next(n for n in files if not n.startswith("."))
    assert evidence(app, "package_manager") == [f"{lockfile}: {manager} lockfile"]
    assert app.detail("install_command") == install
    assert app.detail("lockfile") == lockfile


@pytest.mark.parametrize(
    ("declared", "manager", "version"),
    [
        ("pnpm@9.12.0+sha512.abcdef", "pnpm", "9.12.0"),
        ("yarn@1.22.22", "yarn", "1.22.22"),
        ("yarn@4.5.1", "yarn-berry", "4.5.1"),
        ("npm@10.9.0", "npm", "10.9.0"),
        ("bun@1.1.30", "bun", "1.1.30"),
    ],
)
def test_package_manager_from_corepack_field(make_tree: MakeTree, declared: str, manager: str, version: str) -> None:
    result = inspect(make_tree, {"package.json": pkg(packageManager=declared, scripts={"start": "node a.js", "build": "tsc"})})
    app = result.apps[0]
    assert app.package_manager.value == manager
    assert evidence(app, "package_manager") == [f"package.json:4: packageManager {declared.split('+')[0]}"]
    assert app.detail("package_manager_version") == version
    assert app.build_command.value == f"{manager.split('-')[0]} run build"
    assert any("not reproducible" in w for w in result.warnings)  # declared, but no lockfile


def test_no_lockfile_is_npm_install_with_a_warning(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": EXPRESS})
    app = result.apps[0]
    assert app.package_manager.value == "npm" and app.package_manager.is_default
    assert app.detail("install_command") == "npm install"
    assert app.detail("lockfile") is None
    assert ".: no npm lockfile: dependency versions are not pinned, so builds are not reproducible" in result.warnings


def test_several_lockfiles_warn(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": EXPRESS, "package-lock.json": "{}", "yarn.lock": "# v1\n"})
    assert result.apps[0].package_manager.value == "yarn"
    assert any("several lockfiles" in w for w in result.warnings)


def test_unknown_package_manager_field_warns(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": pkg(packageManager="deno@2", scripts={"start": "node a.js"}), "package-lock.json": "{}"})
    assert result.apps[0].package_manager.value == "npm"
    assert any("packageManager 'deno@2' not understood" in w for w in result.warnings)


# ---------------------------------------------------------------- dependencies
def test_runtime_dependencies_only_with_lines(make_tree: MakeTree) -> None:
    manifest = pkg(
        scripts={"start": "node server.js"},
        dependencies={"express": "^4", "ioredis": "^5"},
        devDependencies={"pg": "^8", "mongodb": "^6"},
    )
    app = only_app(make_tree, {"package.json": manifest, "server.js": SERVER_JS})
    assert [s.kind for s in app.backing_services] == ["redis"]
    assert [str(e) for e in app.backing_services[0].evidence] == ["package.json:9: dependency 'ioredis'"]
    assert evidence(app, "framework") == ["package.json:8: depends on express"]


# ---------------------------------------------------------------- frameworks
def test_nextjs_standalone(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "package.json": pkg(scripts={"build": "next build", "start": "next start"}, dependencies={"next": "15.1.0"}),
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
            "next.config.mjs": "const config = {\n  output: 'standalone',\n};\nexport default config;\n",
            "app/page.tsx": "export default function Page() { return <p>{process.env.NEXT_PUBLIC_TITLE}</p>; }\n",
            "app/(ops)/api/healthz/route.ts": "import x from 'y';\n\nexport async function GET() {\n  return Response.json({ ok: true });\n}\n",
        },
    )
    assert (app.framework.value, app.start_command.value, app.port.value) == ("nextjs", "node server.js", 3000)
    assert evidence(app, "start_command") == ["next.config.mjs:2: output: 'standalone'"]
    assert app.port.is_default
    assert app.build_command.value == "pnpm run build"
    assert app.health_path.value == "/api/healthz"
    assert evidence(app, "health_path") == ["app/(ops)/api/healthz/route.ts:3: Next.js route /api/healthz"]
    assert app.detail("next_output") == "standalone"
    assert app.detail("build_env") == "NEXT_PUBLIC_TITLE"


def test_nextjs_standalone_in_a_monorepo_keeps_the_workspace_layout(make_tree: MakeTree) -> None:
    result = inspect(
        make_tree,
        {
            "package.json": pkg(workspaces=["apps/*"]),
            "package-lock.json": "{}",
            "apps/site/package.json": pkg(dependencies={"next": "15"}),
            "apps/site/next.config.js": "module.exports = { output: \"standalone\" };\n",
        },
    )
    assert result.apps[0].start_command.value == "node apps/site/server.js"


def test_nextjs_server_and_pages_health(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "package.json": pkg(scripts={"build": "next build", "start": "next start"}, dependencies={"next": "14.2.0"}),
            "src/pages/api/health.ts": "export default function handler(req, res) { res.json({ ok: true }); }\n",
            "src/pages/index.tsx": "export default function Home() { return null; }\n",
        },
    )
    assert app.start_command.value == "node_modules/.bin/next start"
    assert app.health_path.value == "/api/health"
    assert app.detail("next_output") == "server"


def test_nextjs_static_export(make_tree: MakeTree) -> None:
    result = inspect(
        make_tree,
        {
            "package.json": pkg(scripts={"build": "next build"}, dependencies={"next": "15"}),
            "next.config.ts": "export default { output: 'export' };\n",
        },
    )
    app = result.apps[0]
    assert (app.framework.value, app.start_command.value, app.port.value) == ("nextjs", None, 8080)
    assert app.detail("output_dir") == "out" and app.detail("static_output") == "true"
    assert not any("could not tell how to start" in w for w in result.warnings)


def test_nuxt(make_tree: MakeTree) -> None:
    app = only_app(make_tree, {"package.json": pkg(scripts={"build": "nuxt build"}, dependencies={"nuxt": "^3.13"})})
    assert (app.framework.value, app.start_command.value, app.port.value) == ("nuxt", "node .output/server/index.mjs", 3000)


def test_nuxt_generate_is_static(make_tree: MakeTree) -> None:
    app = only_app(make_tree, {"package.json": pkg(scripts={"build": "nuxt generate"}, devDependencies={"nuxt": "^3.13"})})
    assert (app.framework.value, app.start_command.value) == ("nuxt", None)
    assert app.detail("output_dir") == ".output/public"


@pytest.mark.parametrize(
    ("deps", "files", "command"),
    [
        ({"@remix-run/serve": "2", "@remix-run/node": "2"}, {}, "node_modules/.bin/remix-serve build/index.js"),
        ({"@remix-run/serve": "2"}, {"vite.config.ts": "export default {}\n"}, "node_modules/.bin/remix-serve build/server/index.js"),
        ({"@react-router/serve": "7", "@react-router/node": "7"}, {}, "node_modules/.bin/react-router-serve build/server/index.js"),
    ],
)
def test_remix_and_react_router(make_tree: MakeTree, deps: dict[str, str], files: dict[str, str], command: str) -> None:
    app = only_app(make_tree, {"package.json": pkg(scripts={"build": "remix build"}, dependencies=deps), **files})
    assert (app.framework.value, app.start_command.value, app.port.value) == ("remix", command, 3000)


LOADER = "export async function loader() {\n  return new Response(\"OK\");\n}\n"


@pytest.mark.parametrize(("files", "route"), [
    ({"app/routes/healthcheck.tsx": LOADER}, "/healthcheck"),  # remix-run/indie-stack
    ({"app/routes/api.health.ts": LOADER, "app/routes/_index.tsx": "export default function Index() {}\n"}, "/api/health"),
    ({"app/routes/_auth.healthz.ts": LOADER}, "/healthz"),  # a pathless layout's child
    ({"app/routes/healthz/route.ts": LOADER}, "/healthz"),
    ({"app/routes/notes.$id.ping.ts": LOADER}, None),  # under a parameter: no fixed path to probe
    ({"app/routes/healthy-recipes.tsx": LOADER}, None),
    ({"app/components/health.tsx": LOADER}, None),  # not a route
])
def test_a_remix_health_route_is_a_file(make_tree: MakeTree, files: dict[str, str], route: str | None) -> None:
    app = only_app(make_tree, {"package.json": pkg(scripts={"build": "remix build"}, dependencies={"@remix-run/serve": "2"}), **files})
    assert app.health_path.value == route
    if route:
        path = next(iter(files))
        assert evidence(app, "health_path") == [f"{path}:1: Remix route {route}"]


def test_sveltekit_adapter_node(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "package.json": pkg(scripts={"build": "vite build"}, devDependencies={"@sveltejs/kit": "^2", "@sveltejs/adapter-node": "^5"}),
            "svelte.config.js": "import adapter from '@sveltejs/adapter-node';\nexport default { kit: { adapter: adapter() } };\n",
        },
    )
    assert (app.framework.value, app.start_command.value, app.port.value) == ("sveltekit", "node build", 3000)
    assert evidence(app, "start_command") == ["svelte.config.js:1: uses adapter-node"]


def test_sveltekit_adapter_static(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "package.json": pkg(scripts={"build": "vite build"}, devDependencies={"@sveltejs/kit": "^2", "@sveltejs/adapter-static": "^3"}),
            "svelte.config.js": "import adapter from '@sveltejs/adapter-static';\nexport default { kit: { adapter: adapter({ pages: 'public' }) } };\n",
        },
    )
    assert (app.start_command.value, app.port.value, app.detail("output_dir")) == (None, 8080, "public")


def test_sveltekit_adapter_auto_warns(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": pkg(devDependencies={"@sveltejs/kit": "^2", "@sveltejs/adapter-auto": "^3"})})
    assert result.apps[0].start_command.value is None
    assert any("adapter-node" in w for w in result.warnings)


def test_nestjs(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "package.json": pkg(
                scripts={"build": "nest build", "start": "nest start", "start:prod": "node dist/main"},
                dependencies={"@nestjs/core": "^10", "@nestjs/common": "^10"},
            ),
            "src/main.ts": "const app = await NestFactory.create(AppModule);\napp.setGlobalPrefix('v1');\nawait app.listen(process.env.PORT ?? 8080);\n",
            "src/status.controller.ts": "@Controller()\nexport class StatusController {\n  @Get('version')\n  v() {}\n  @Get('healthz')\n  h() {}\n}\n",
        },
    )
    assert (app.framework.value, app.start_command.value, app.port.value) == ("nestjs", "node dist/main", 8080)
    assert evidence(app, "port") == ["src/main.ts:3: PORT defaults to 8080"]
    assert app.health_path.value == "/v1/healthz"
    assert evidence(app, "health_path") == ["src/status.controller.ts:5: route /v1/healthz"]
    assert app.build_command.value == "npm run build"


def test_nestjs_without_prod_script_uses_the_entry_file(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "package.json": pkg(scripts={"start": "nest start"}, dependencies={"@nestjs/core": "^10"}),
            "nest-cli.json": '{\n  "sourceRoot": "src",\n  "entryFile": "server"\n}\n',
        },
    )
    assert app.start_command.value == "node dist/server.js"
    assert app.port.value == 3000 and app.port.is_default


def test_fastify_listen_port_and_localhost_warning(make_tree: MakeTree) -> None:
    result = inspect(
        make_tree,
        {
            "package.json": pkg(scripts={"start": "node index.js"}, dependencies={"fastify": "^5"}),
            "index.js": "const app = require('fastify')();\napp.get('/health', async () => ({}));\napp.listen({ port: 8081 });\n",
        },
    )
    app = result.apps[0]
    assert (app.framework.value, app.port.value, app.health_path.value) == ("fastify", 8081, "/health")
    assert evidence(app, "port") == ["index.js:3: listens on 8081"]
    assert any("localhost" in w for w in result.warnings)


def test_express_literal_port(make_tree: MakeTree) -> None:
    app = only_app(make_tree, {"package.json": EXPRESS, "server.js": SERVER_JS.replace("3000", "8080")})
    assert (app.framework.value, app.start_command.value, app.port.value) == ("express", "node server.js", 8080)
    assert not app.port.is_default


def test_express_port_ignores_tests(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {"package.json": EXPRESS, "server.js": "require('express')().listen(process.env.PORT);\n", "test/app.test.js": "app.listen(9999);\n"},
    )
    assert app.port.value == 3000 and app.port.is_default


def test_koa(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {"package.json": pkg(scripts={"start": "node app.js"}, dependencies={"koa": "^2"}), "app.js": "const PORT = 4000;\napp.listen(PORT);\n"},
    )
    assert (app.framework.value, app.port.value) == ("koa", 4000)


def test_hapi(make_tree: MakeTree) -> None:
    code = "const server = Hapi.server({\n  port: 5000,\n  host: '0.0.0.0',\n});\n"
    app = only_app(make_tree, {"package.json": pkg(main="server.js", dependencies={"@hapi/hapi": "^21"}), "server.js": code})
    assert (app.framework.value, app.port.value) == ("hapi", 5000)
    assert app.start_command.value is None  # main does not call listen()/createServer()


@pytest.mark.parametrize(
    ("tool", "index", "framework", "output"),
    [
        ("vite", "index.html", "vite", "dist"),
        ("react-scripts", "public/index.html", "react", "build"),
        ("@vue/cli-service", "public/index.html", "vue", "dist"),
    ],
)
def test_spa_builds(make_tree: MakeTree, tool: str, index: str, framework: str, output: str) -> None:
    result = inspect(
        make_tree,
        {
            "package.json": pkg(scripts={"build": "build-it"}, dependencies={"react": "^18"}, devDependencies={tool: "^5"}),
            "yarn.lock": "# yarn lockfile v1\n",
            index: "<div id=root></div>",
            "src/main.js": "fetch(import.meta.env.VITE_API_URL ?? process.env.REACT_APP_API_URL);\nif (import.meta.env.DEV) {}\n",
        },
    )
    app = result.apps[0]
    assert (app.framework.value, app.start_command.value, app.port.value) == (framework, None, 8080)
    assert app.port.is_default
    assert app.build_command.value == "yarn run build"
    assert (app.detail("output_dir"), app.detail("static_output"), app.detail("ui_library")) == (output, "true", "react")
    assert not any("could not tell how to start" in w for w in result.warnings)
    assert "DEV" not in [v.name for v in app.env]  # a Vite built-in, not an environment variable


def test_vite_out_dir_and_build_env(make_tree: MakeTree) -> None:
    app = only_app(
        make_tree,
        {
            "package.json": pkg(scripts={"build": "vite build"}, devDependencies={"vite": "^6"}),
            "index.html": "<html></html>",
            "vite.config.ts": "export default { build: { outDir: 'public-dist' } };\n",
            "src/main.ts": "const api = import.meta.env.VITE_API_URL;\n",
        },
    )
    assert app.detail("output_dir") == "public-dist"
    assert app.detail("build_env") == "VITE_API_URL"
    assert [(v.name, v.secret) for v in app.env] == [("VITE_API_URL", False)]


def test_express_serving_an_spa_is_a_server(make_tree: MakeTree) -> None:
    manifest = pkg(scripts={"start": "node server.js", "build": "vite build"}, dependencies={"express": "^4"}, devDependencies={"vite": "^6"})
    app = only_app(make_tree, {"package.json": manifest, "index.html": "<html></html>", "server.js": SERVER_JS})
    assert (app.framework.value, app.start_command.value) == ("express", "node server.js")


# ---------------------------------------------------------------- plain node and start scripts
def test_plain_node_from_start_script(make_tree: MakeTree) -> None:
    code = "const http = require('http');\nhttp.createServer(handler).listen(process.env.PORT || 8000);\n"
    app = only_app(make_tree, {"package.json": pkg(scripts={"start": "node index.js"}), "index.js": code, "package-lock.json": "{}"})
    assert (app.framework.value, app.start_command.value, app.port.value) == (None, "node index.js", 8000)
    assert evidence(app, "start_command") == ['package.json:5: scripts.start: node index.js']


def test_plain_node_from_main_when_it_is_a_server(make_tree: MakeTree) -> None:
    app = only_app(make_tree, {"package.json": pkg(main="./src/app.js"), "src/app.js": "require('http').createServer(h).listen(8000);\n"})
    assert app.start_command.value == "node src/app.js"
    assert evidence(app, "start_command") == ["package.json:4: main ./src/app.js starts a server"]


@pytest.mark.parametrize(
    ("script", "command"),
    [
        ("cross-env NODE_ENV=production node dist/index.js", "node dist/index.js"),
        ("NODE_ENV=production node --enable-source-maps dist/index.js", "node --enable-source-maps dist/index.js"),
        ("npm run build && node build/server.js", "node build/server.js"),
        ("node --env-file=.env server.js", "node server.js"),
        ("nodemon --watch src src/index.js", "node src/index.js"),
        ("tsx src/index.ts", "node --import tsx src/index.ts"),
        ("ts-node src/index.ts", "node -r ts-node/register src/index.ts"),
    ],
)
def test_start_scripts_become_direct_node_commands(make_tree: MakeTree, script: str, command: str) -> None:
    app = only_app(make_tree, {"package.json": pkg(scripts={"start": script}, dependencies={"express": "^4"})})
    assert app.start_command.value == command


def test_start_script_that_is_not_node_is_unknown_with_a_warning(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "pm2 start ecosystem.config.js"})})
    app = result.apps[0]
    assert app.start_command.value is None
    assert any("not a plain node command" in w for w in result.warnings)
    assert any("could not tell how to start it" in w for w in result.warnings)


# ---------------------------------------------------------------- unknowns and bad input
def test_malformed_package_json_does_not_crash(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": '{"name": "x", "scripts": {', "package-lock.json": "{}"})
    app = result.apps[0]
    assert app.language.value == "node"
    assert (app.framework.value, app.start_command.value) == (None, None)
    assert any("package.json: malformed JSON" in w for w in result.warnings)
    assert any("package.json could not be read" in w for w in result.warnings)


@pytest.mark.parametrize(
    "manifest",
    [
        '["not", "an", "object"]',
        pkg(scripts=["start"], dependencies="express", engines="node 20", packageManager=7, workspaces=5, volta=[]),
        pkg(name=None, main=3, scripts={"start": 5}),
    ],
)
def test_wrongly_typed_fields_do_not_crash(make_tree: MakeTree, manifest: str) -> None:
    result = inspect(make_tree, {"package.json": manifest})
    assert result.apps[0].language.value == "node"
    assert result.apps[0].start_command.value is None


def test_bare_package_json_is_all_unknown(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": pkg()})
    app = result.apps[0]
    assert [app.fact(f).value for f in ("framework", "start_command", "port", "build_command", "health_path")] == [None] * 5
    assert any(w.startswith(".: could not tell how to start it: the generated Dockerfile's CMD fails") for w in result.warnings)


def test_malformed_pnpm_workspace_does_not_crash(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node a.js"}), "pnpm-workspace.yaml": "packages: [unclosed\n"})
    assert [a.start_command.value for a in result.apps] == ["node a.js"]
    assert any("pnpm-workspace.yaml: malformed YAML" in w for w in result.warnings)


def test_yarn_berry_plug_n_play_warns(make_tree: MakeTree) -> None:
    pnp = inspect(make_tree, {"package.json": EXPRESS, "yarn.lock": "__metadata:\n  version: 8\n"})
    assert pnp.apps[0].detail("yarn_pnp") == "true"
    assert any("Plug'n'Play" in w for w in pnp.warnings)


def test_yarn_berry_with_node_modules_linker_does_not_warn(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"package.json": EXPRESS, "yarn.lock": "# x\n", ".yarnrc.yml": "nodeLinker: node-modules\n"}
    result = inspect(make_tree, files)
    assert result.apps[0].detail("yarn_pnp") is None
    assert not any("Plug'n'Play" in w for w in result.warnings)


def test_a_start_file_missing_from_the_tree_and_the_build_is_reported(make_tree: Any) -> None:
    """``node dist/index.js`` with no build script names a file nothing makes: say so."""
    package = '{"name": "api", "scripts": {"start": "node dist/index.js"}, "dependencies": {"express": "^4"}}\n'
    result = inspect_tree(make_tree({"package.json": package, "src/index.ts": "export {};\n"}))
    assert any("runs dist/index.js, which is not in the source tree and no build script makes it" in w for w in result.warnings)
    built = package.replace('"start"', '"build": "tsc", "start"')
    assert not any("not in the source tree" in w for w in inspect_tree(make_tree({"package.json": built})).warnings)
    present = {"package.json": package.replace("dist/index.js", "--import tsx src/index.ts"), "src/index.ts": "export {};\n"}
    assert not any("not in the source tree" in w for w in inspect_tree(make_tree(present)).warnings)


def test_a_start_script_that_runs_another_script_is_followed(make_tree: Any) -> None:
    """``"start": "npm run serve"`` with ``"serve": "node dist/server.js"``: the command the scripts name."""
    package = {
        "name": "api",
        "scripts": {"build": "tsc", "start": "npm run serve", "serve": "node dist/server.js"},
        "dependencies": {"express": "^4"},
    }
    result = inspect_tree(make_tree({"package.json": json.dumps(package, indent=2)}))
    (app,) = result.apps
    assert app.start_command.value == "node dist/server.js"
    assert [str(e) for e in app.start_command.evidence] == ["package.json:5: scripts.start: npm run serve"]


@pytest.mark.parametrize("server", [
    "const http = require('http');\nhttp.createServer(handler).listen(PORT);\n",
    "import { createServer } from 'node:http';\ncreateServer(handler).listen(PORT);\n",
    "const { createServer } = require(\"https\");\ncreateServer(options, handler).listen(PORT);\n",
    "const http2 = require('http2');\nhttp2.createSecureServer(options, handler).listen(PORT);\n",
])
def test_plain_node_http_server_is_probed_over_http(make_tree: MakeTree, server: str) -> None:
    """No framework, Node's own http module: it speaks HTTP, so its probe asks `/` rather than only connecting."""
    from migrate.generate.probes import probe_of

    app = only_app(make_tree, {
        "package.json": '{"name": "plain", "scripts": {"start": "node server.js"}}',
        "server.js": "const PORT = process.env.PORT || 8080;\nfunction handler(req, res) { res.end('ok'); }\n" + server,
    })
    assert app.port.value == 8080 and app.framework.value is None
    assert app.detail("serves_http") in ("server.js:3", "server.js:4")  # the import, or the http.createServer( call
    probe = probe_of(app)
    assert probe is not None and probe.path == "/" and probe.max_status == 500


def test_plain_node_tcp_server_keeps_a_tcp_probe(make_tree: MakeTree) -> None:
    from migrate.generate.probes import probe_of

    app = only_app(make_tree, {
        "package.json": '{"name": "raw", "scripts": {"start": "node server.js"}}',
        "server.js": "const net = require('net');\nnet.createServer((s) => s.end()).listen(7000);\n",
    })
    assert app.port.value == 7000 and app.detail("serves_http") is None
    probe = probe_of(app)
    assert probe is not None and probe.path is None


def test_port_default_declared_in_an_env_schema(make_tree: MakeTree) -> None:
    files = {
        "package.json": pkg(scripts={"start": "node src/index.js"}, dependencies={"express": "^4.21.0", "envalid": "^8.0.0"}),
        "src/env.js": "const { cleanEnv, port } = require('envalid');\nmodule.exports = cleanEnv(process.env, { PORT: port({ default: 4000 }) });\n",
        "src/index.js": "const express = require('express');\nconst env = require('./env');\nexpress().listen(env.PORT);\n",
    }
    app = only_app(make_tree, files)
    assert app.port.value == 4000 and not app.port.is_default
    assert evidence(app, "port") == ["src/env.js:2: envalid cleanEnv() field"]


def test_a_commented_out_public_variable_is_no_build_argument(make_tree: MakeTree) -> None:
    # t3-oss/create-t3-turbo: the env template keeps its client variable commented out.
    files = {
        "package.json": pkg(scripts={"build": "next build", "start": "next start"}, dependencies={"next": "15.0.0", "react": "19.0.0"}),
        "src/env.ts": "export const env = {\n  // NEXT_PUBLIC_CLIENTVAR: process.env.NEXT_PUBLIC_CLIENTVAR,\n  API: process.env.NEXT_PUBLIC_API_URL,\n};\n",
    }
    assert only_app(make_tree, files).detail("build_env") == "NEXT_PUBLIC_API_URL"


# ---------------------------------------------------------------- stale lockfiles and npm pre-hooks
NEST_DEPS = {"@nestjs/core": "^7.0.5", "argon2": "^0.26.2"}
#: A Yarn classic lockfile written before argon2 was added to package.json.
STALE_YARN_LOCK = '# yarn lockfile v1\n\n\n"@nestjs/core@^7.0.5":\n  version "7.0.5"\n'
NPM_LOCK_V1 = json.dumps({"lockfileVersion": 1, "dependencies": {"@nestjs/core": {"version": "7.6.0"}, "argon2": {"version": "0.26.2"}}})


def test_of_two_lockfiles_the_one_that_agrees_with_package_json_is_used(make_tree: MakeTree) -> None:
    """yarn.lock left behind when the project moved to npm: `yarn install --frozen-lockfile` would fail."""
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node main.js"}, dependencies=NEST_DEPS),
                                 "main.js": SERVER_JS, "yarn.lock": STALE_YARN_LOCK, "package-lock.json": NPM_LOCK_V1})
    app = result.apps[0]
    assert (app.package_manager.value, app.detail("lockfile"), app.detail("install_command")) == ("npm", "package-lock.json", "npm ci")
    assert any("using package-lock.json, the one that records every dependency" in w for w in result.warnings)
    assert not any("out of date" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("lock", "missing"),
    [
        ({"yarn.lock": STALE_YARN_LOCK}, "yarn.lock is out of date: it has no entry for argon2@^0.26.2"),
        ({"package-lock.json": json.dumps({"lockfileVersion": 3, "packages": {"": {"dependencies": {"@nestjs/core": "^7.0.5"}}}})},
         "package-lock.json is out of date: it has no entry for argon2@^0.26.2"),
    ],
)
def test_a_lockfile_that_misses_a_declared_dependency_is_reported(make_tree: MakeTree, lock: dict[str, str], missing: str) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node main.js"}, dependencies=NEST_DEPS), "main.js": SERVER_JS, **lock})
    assert any(w.startswith(f".: {missing}") for w in result.warnings), result.warnings


def test_a_lockfile_that_agrees_is_not_reported(make_tree: MakeTree) -> None:
    yarn = STALE_YARN_LOCK + '\nargon2@^0.26.2, argon2@^0.26.0:\n  version "0.26.2"\n'
    npm3 = json.dumps({"lockfileVersion": 3, "packages": {"": {"dependencies": NEST_DEPS}}})
    for lock in ({"yarn.lock": yarn}, {"package-lock.json": npm3}):
        result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node main.js"}, dependencies=NEST_DEPS), "main.js": SERVER_JS, **lock})
        assert not any("out of date" in w for w in result.warnings), result.warnings


@pytest.mark.parametrize(
    ("lock", "warning"),
    [
        # lujakob/nestjs-realworld-example-app: a v1 lock resolved through a mirror that has gone (npm ci then dies
        # with "Exit handler never called!"); nested entries count too.
        ({"package-lock.json": json.dumps({"lockfileVersion": 1, "dependencies": {
            "@nestjs/core": {"version": "7.6.0", "resolved": "https://npm.example.de/@nestjs/core/-/core-7.6.0.tgz"},
            "argon2": {"version": "0.26.2", "resolved": "https://registry.npmjs.org/argon2/-/argon2-0.26.2.tgz", "dependencies": {
                "nan": {"version": "2.14.0", "resolved": "https://npm.example.de/nan/-/nan-2.14.0.tgz"}}}}})},
         "package-lock.json downloads packages from hosts other than the npm registry (2 from npm.example.de)"),
        ({"package-lock.json": json.dumps({"lockfileVersion": 3, "packages": {
            "": {"dependencies": NEST_DEPS},
            "node_modules/@nestjs/core": {"resolved": "https://registry.npmjs.org/@nestjs/core/-/core-7.6.0.tgz"},
            "node_modules/argon2": {"resolved": "git+ssh://git@github.com/ranisalt/node-argon2.git#abc"}}})},
         "package-lock.json downloads packages from hosts other than the npm registry (1 from github.com)"),
        # thelounge/thelounge: a git dependency, fetched as a tarball from GitHub
        ({"yarn.lock": STALE_YARN_LOCK.replace('version "7.0.5"\n', 'version "7.0.5"\n  resolved "https://registry.yarnpkg.com/x.tgz#1"\n')
         + '\nargon2@^0.26.2:\n  version "0.26.2"\n  resolved "https://codeload.github.com/ranisalt/node-argon2/tar.gz/abc"\n'},
         "yarn.lock downloads packages from hosts other than the npm registry (1 from codeload.github.com)"),
    ],
)
def test_a_lockfile_that_downloads_from_elsewhere_than_the_registry_is_reported(
        make_tree: MakeTree, lock: dict[str, str], warning: str) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node main.js"}, dependencies=NEST_DEPS), "main.js": SERVER_JS, **lock})
    assert any(w.startswith(f".: {warning}: the image's install fetches them from there") for w in result.warnings), result.warnings


def test_a_lockfile_from_the_public_registries_is_not_reported(make_tree: MakeTree) -> None:
    npm3 = json.dumps({"lockfileVersion": 3, "packages": {"": {"dependencies": NEST_DEPS},
                       "node_modules/argon2": {"resolved": "https://registry.npmjs.org/argon2/-/argon2-0.26.2.tgz"},
                       "node_modules/local": {"resolved": "file:../local"}}})
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node main.js"}, dependencies=NEST_DEPS), "main.js": SERVER_JS,
                                 "package-lock.json": npm3})
    assert not any("hosts other than" in w for w in result.warnings), result.warnings


def test_the_pre_hook_of_the_start_script_is_the_build(make_tree: MakeTree) -> None:
    """`npm run start:prod` runs `prestart:prod` (tsc) first: without it dist/main.js does not exist."""
    scripts = {"start": "node index.js", "prestart:prod": "tsc", "start:prod": "node dist/main.js"}
    app = only_app(make_tree, {"package.json": pkg(scripts=scripts, dependencies={"@nestjs/core": "^7.0.5"}),
                               "src/main.ts": "await app.listen(3000);\n"})
    assert (app.start_command.value, app.build_command.value) == ("node dist/main.js", "npm run prestart:prod")
    assert evidence(app, "build_command") == ["package.json:6: prestart:prod script: npm runs it before start:prod"]


@pytest.mark.parametrize(
    ("server", "warned"),
    [
        # A database's ``host:`` elsewhere does not bind the server (fastify/demo's knex config).
        ("const db = knex({ connection: { host: env.MYSQL_HOST } });\nawait app.listen({ port: process.env.PORT ?? 3000 });\n", True),
        ("app.listen(3000, (err) => { if (err) throw err });\n", True),
        ("await app.listen({ port: 3000, host: '0.0.0.0' });\n", False),
        ("app.listen({ host: process.env.HOST ?? '0.0.0.0', port: 3000 });\n", False),
        ("app.listen(3000, '0.0.0.0', (err) => {});\n", False),
        ("app.listen(PORT, HOST);\n", False),
    ],
)
def test_fastify_left_on_localhost_is_told_from_its_listen_call(make_tree: MakeTree, server: str, warned: bool) -> None:
    result = inspect(make_tree, {"package.json": pkg(scripts={"start": "node index.js"}, dependencies={"fastify": "^5"}),
                                 "index.js": "const app = require('fastify')();\n" + server})
    hits = [w for w in result.warnings if "fastify listens on localhost" in w]
    assert bool(hits) == warned, result.warnings
    assert not hits or hits[0].startswith(".: index.js:")


@pytest.mark.parametrize(("package", "kind"), [("catbox-redis", "redis"), ("@hapi/catbox-redis", "redis"), ("@hapi/catbox-memcached", "memcached")])
def test_hapi_catbox_engines_are_backing_services(make_tree: MakeTree, package: str, kind: str) -> None:
    """hapijs/university provisions a catbox-redis cache at start-up: without Redis the server never listens."""
    manifest = pkg(scripts={"start": "node lib/start.js"}, dependencies={"@hapi/hapi": "^21", package: "^1"})
    app = only_app(make_tree, {"package.json": manifest, "lib/start.js": "const Hapi = require('@hapi/hapi');\n"})
    assert [s.kind for s in app.backing_services] == [kind]

"""Deno: claims, runtime pins, tasks and entry files, frameworks, ports, dependencies, malformed configs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.inspect import inspect_tree
from migrate.inspect.detectors.base import AppDir
from migrate.inspect.detectors.deno import ECOSYSTEM, _is_dev_server, dependency_name
from migrate.inspect.tree import SourceTree

MakeTree = Callable[[dict[str, str | bytes]], Path]
SERVE = 'Deno.serve((_req) => new Response("hi"));\n'


def config(**data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"


def only_app(root: Path) -> dict[str, Any]:
    found = inspect_tree(root).to_json()["apps"]
    assert len(found) == 1, [a["path"] for a in found]
    app: dict[str, Any] = found[0]
    return app


def claim_strength(root: Path) -> int | None:
    claim = ECOSYSTEM.claim(AppDir(SourceTree.scan(root), "."))
    return None if claim is None else claim.strength


# ---------------------------------------------------------------- claims
def test_start_task_is_a_runnable_claim(make_tree: MakeTree) -> None:
    root = make_tree({"deno.json": config(tasks={"start": "deno run -A main.ts"}), "main.ts": "console.log(1)\n"})
    assert claim_strength(root) == 2


def test_serve_task_is_a_runnable_claim(make_tree: MakeTree) -> None:
    root = make_tree({"deno.json": config(tasks={"serve": "deno serve -A main.ts"}), "main.ts": "export default { fetch() {} };\n"})
    assert claim_strength(root) == 2


def test_main_file_with_deno_serve_is_a_runnable_claim(make_tree: MakeTree) -> None:
    root = make_tree({"deno.json": config(fmt={"lineWidth": 100}), "main.ts": SERVE})
    assert claim_strength(root) == 2


def test_config_alone_is_a_weak_claim(make_tree: MakeTree) -> None:
    root = make_tree({"deno.json": config(exports="./mod.ts"), "mod.ts": "export const x = 1;\n"})
    assert claim_strength(root) == 1


def test_no_config_weak_claim_only_for_deno_code(make_tree: MakeTree) -> None:
    # Deno needs no config: an entry file using Deno's API is a (manifest-less, so weak) claim.
    assert claim_strength(make_tree({"main.ts": SERVE})) == 1


def test_no_config_no_claim_for_plain_typescript(make_tree: MakeTree) -> None:
    assert claim_strength(make_tree({"index.ts": "export const x = 1;\n"})) is None


# ---------------------------------------------------------------- a full app
HONO_CONFIG = """{
  "name": "@acme/orders",
  "tasks": {
    "dev": "deno run --watch --allow-net --allow-env main.ts",
    "start": "deno run --allow-net --allow-env --watch main.ts"
  },
  "imports": {
    "hono": "jsr:@hono/hono@^4.6.14",
    "pg": "npm:pg@^8.13.1",
    "@std/assert": "jsr:@std/assert@^1.0.8"
  }
}
"""
HONO_MAIN = """import { Hono } from "hono";
import pg from "pg";

const pool = new pg.Pool({ connectionString: Deno.env.get("DATABASE_URL") });
const app = new Hono();
app.get("/healthz", (c) => c.text("ok"));
Deno.serve({ port: 8787 }, app.fetch);
"""


def test_hono_app(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"deno.json": HONO_CONFIG, "main.ts": HONO_MAIN}))
    assert app["name"] == "orders"
    assert (app["language"], app["framework"], app["package_manager"]) == ("deno", "hono", "deno")
    assert app["evidence"]["language"] == ["deno.json:5: Deno config with a start task"]
    assert app["evidence"]["framework"] == ["deno.json:8: imports jsr:@hono/hono@^4.6.14"]
    assert app["start_command"] == "deno run --allow-net --allow-env main.ts"
    assert app["evidence"]["start_command"] == ["deno.json:5: the start task"]
    assert (app["port"], app["evidence"]["port"]) == (8787, ["main.ts:7: port passed to the server"])
    assert app["health_path"] == "/healthz"
    assert app["backing_services"] == ["postgres"]
    assert "deno.json:9: dependency 'npm:pg'" in app["evidence"]["backing_services"]
    assert app["details"]["install_command"] == "deno install --entrypoint main.ts"
    assert app["details"]["entrypoint"] == "main.ts"
    assert app["runtime_version"] == "2" and "runtime_version" in app["defaults"]
    assert app["build_command"] is None


def test_deno_jsonc_with_comments_and_trailing_commas(make_tree: MakeTree) -> None:
    text = '{\n  // the production server\n  "tasks": {\n    "start": "deno run -A server.ts",\n  },\n}\n'
    app = only_app(make_tree({"deno.jsonc": text, "server.ts": SERVE}))
    assert app["start_command"] == "deno run -A server.ts"
    assert app["evidence"]["start_command"] == ["deno.jsonc:4: the start task"]


def test_task_objects_of_deno_2(make_tree: MakeTree) -> None:
    tasks = {"start": {"command": "deno run -A main.ts", "description": "run"}}
    app = only_app(make_tree({"deno.json": config(tasks=tasks), "main.ts": SERVE}))
    assert app["start_command"] == "deno run -A main.ts"


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("deno run -A --watch main.ts", "deno run -A main.ts"),
        ("deno run --watch=static/,routes/ -A main.ts", "deno run -A main.ts"),
        ("deno run --watch-hmr -A main.ts", "deno run -A main.ts"),
        ("deno serve --port 3000 -A main.ts", "deno serve --port 3000 -A main.ts"),
    ],
)
def test_start_task_is_cleaned_of_watch(make_tree: MakeTree, task: str, expected: str) -> None:
    app = only_app(make_tree({"deno.json": config(tasks={"start": task}), "main.ts": SERVE}))
    assert app["start_command"] == expected


def test_port_from_the_serve_task_flag(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"deno.json": config(tasks={"serve": "deno serve --port 3000 -A main.ts"}), "main.ts": "export default { fetch: () => new Response() };\n"}))
    assert (app["port"], app["evidence"]["port"]) == (3000, ["deno.json:3: the serve task passes --port"])


def test_fresh_1_dev_task_is_skipped_for_preview(make_tree: MakeTree) -> None:
    tasks = {
        "start": "deno run -A --watch=static/,routes/ dev.ts",
        "build": "deno run -A dev.ts build",
        "preview": "deno run -A main.ts",
    }
    imports = {"$fresh/": "https://deno.land/x/fresh@1.6.8/", "preact": "https://esm.sh/preact@10.19.6"}
    files = {
        "deno.json": config(tasks=tasks, imports=imports),
        "main.ts": 'import { start } from "$fresh/server.ts";\nawait start(manifest);\n',
        "dev.ts": 'import dev from "$fresh/dev.ts";\nawait dev(import.meta.url, "./main.ts");\n',
    }
    app = only_app(make_tree(files))
    assert app["framework"] == "fresh"
    assert app["start_command"] == "deno run -A main.ts"
    assert app["evidence"]["start_command"] == ["deno.json:5: the preview task"]
    assert app["build_command"] == "deno task build"
    assert app["evidence"]["build_command"] == ["deno.json:4: the build task"]
    assert (app["port"], app["defaults"]) == (8000, ["runtime_version", "port"])
    assert app["details"]["dev_task_start"] == tasks["start"]


def test_fresh_2_from_jsr(make_tree: MakeTree) -> None:
    tasks = {"dev": "vite", "build": "vite build", "start": "deno serve -A _fresh/server.js"}
    files = {"deno.json": config(tasks=tasks, imports={"fresh": "jsr:@fresh/core@^2.0.0"}), "main.ts": "export const app = 1;\n"}
    app = only_app(make_tree(files))
    assert (app["framework"], app["start_command"], app["build_command"]) == ("fresh", "deno serve -A _fresh/server.js", "deno task build")


def test_oak_app_listen_port(make_tree: MakeTree) -> None:
    main = 'import { Application } from "jsr:@oak/oak@17";\nconst app = new Application();\nawait app.listen({ port: 8080 });\n'
    app = only_app(make_tree({"deno.json": config(), "main.ts": main}))
    assert app["framework"] == "oak"
    assert app["evidence"]["framework"] == ["main.ts:1: imports jsr:@oak/oak@17"]
    assert (app["port"], app["evidence"]["port"]) == (8080, ["main.ts:3: port passed to the server"])
    assert app["start_command"] == "deno run --allow-net --allow-env main.ts"


def test_plain_deno_serve_without_tasks(make_tree: MakeTree) -> None:
    main = (
        "Deno.serve({ port: 3000 }, (req) => {\n"
        "  const url = new URL(req.url);\n"
        '  if (url.pathname === "/health") return new Response("ok");\n'
        '  return new Response("hello");\n'
        "});\n"
    )
    app = only_app(make_tree({"deno.json": config(), "src/main.ts": main}))
    assert app["framework"] is None
    assert app["start_command"] == "deno run --allow-net --allow-env src/main.ts"
    assert app["evidence"]["start_command"] == ["src/main.ts:1: starts the HTTP server"]
    assert app["port"] == 3000
    assert (app["health_path"], app["evidence"]["health_path"]) == ("/health", ["src/main.ts:3: route /health"])


def test_port_from_env_default_beats_the_default(make_tree: MakeTree) -> None:
    main = 'const port = Number(Deno.env.get("PORT") ?? 9000);\nDeno.serve({ port }, () => new Response("x"));\n'
    app = only_app(make_tree({"deno.json": config(), "main.ts": main}))
    assert (app["port"], "port" in app["defaults"]) == (9000, False)
    assert app["evidence"]["port"] == ["main.ts:1: read in code"]


def test_default_port_when_nothing_pins_it(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"deno.json": config(), "main.ts": SERVE}))
    assert (app["port"], app["evidence"]["port"]) == (8000, [".: Deno.serve's default port"])
    assert "port" in app["defaults"]


def test_file_serving_adds_read_permission(make_tree: MakeTree) -> None:
    main = 'import { serveDir } from "jsr:@std/http/file-server";\nDeno.serve((req) => serveDir(req, { fsRoot: "public" }));\n'
    app = only_app(make_tree({"deno.json": config(), "main.ts": main}))
    assert app["start_command"] == "deno run --allow-net --allow-env --allow-read main.ts"


def test_unknowns_when_there_is_no_entry_file(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"deno.json": config(tasks={"fmt": "deno fmt"}), "lib/util.ts": "export const x = 1;\n"}))
    app = result.to_json()["apps"][0]
    assert (app["start_command"], app["port"], app["framework"]) == (None, None, None)
    assert ".: could not find the Deno entry file (add a start task to deno.json)" in result.warnings
    assert app["details"]["install_command"] == "deno install"


# ---------------------------------------------------------------- runtime
@pytest.mark.parametrize(
    ("files", "version", "evidence"),
    [
        ({".dvmrc": "2.1.4\n"}, "2.1.4", ".dvmrc:1: pins Deno 2.1.4"),
        ({".dvmrc": "v1.46.3\n"}, "1.46.3", ".dvmrc:1: pins Deno 1.46.3"),
        ({".tool-versions": "nodejs 22.11.0\ndeno 2.0.6\n"}, "2.0.6", ".tool-versions:2: pins Deno 2.0.6"),
    ],
)
def test_runtime_pins(make_tree: MakeTree, files: dict[str, str], version: str, evidence: str) -> None:
    app = only_app(make_tree({"deno.json": config(), "main.ts": SERVE, **files}))
    assert (app["runtime_version"], app["evidence"]["runtime_version"]) == (version, [evidence])
    assert "runtime_version" not in app["defaults"]


def test_deno_1_caches_instead_of_installing(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"deno.json": config(), "main.ts": SERVE, ".dvmrc": "1.46.3\n"}))
    assert app["details"]["install_command"] == "deno cache main.ts"


def test_lockfile_is_package_manager_evidence(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"deno.json": config(), "deno.lock": '{"version": "4"}\n', "main.ts": SERVE}))
    assert app["evidence"]["package_manager"] == ["deno.lock: Deno lockfile"]


# ---------------------------------------------------------------- dependencies
@pytest.mark.parametrize(
    ("specifier", "name"),
    [
        ("npm:pg@^8.13.1", "npm:pg"),
        ("npm:@neondatabase/serverless@0.10", "npm:@neondatabase/serverless"),
        ("jsr:@hono/hono@^4", "jsr:@hono/hono"),
        ("jsr:@db/postgres", "jsr:@db/postgres"),
        ("https://deno.land/x/oak@v12.6.1/mod.ts", "deno.land/x/oak"),
        ("https://deno.land/std@0.211.0/http/server.ts", "deno.land/std"),
        ("https://esm.sh/@preact/signals@1.2.2", "esm.sh/@preact/signals"),
        ("./lib/mod.ts", None),
    ],
)
def test_dependency_names(specifier: str, name: str | None) -> None:
    assert dependency_name(specifier) == name


def test_services_from_imports_map_and_inline_specifiers(make_tree: MakeTree) -> None:
    main = (
        'import { Client } from "https://deno.land/x/postgres@v0.19.3/mod.ts";\n'
        'import { connect } from "jsr:@db/redis@0.37";\n'
        "Deno.serve(() => new Response());\n"
    )
    app = only_app(make_tree({"deno.json": config(imports={"mongo": "npm:mongodb@6.10.0"}), "main.ts": main}))
    assert app["backing_services"] == ["mongodb", "postgres", "redis"]
    assert "main.ts:1: dependency 'deno.land/x/postgres'" in app["evidence"]["backing_services"]


def test_test_files_and_test_tooling_are_not_dependencies(make_tree: MakeTree) -> None:
    files = {
        "deno.json": config(imports={"@std/assert": "jsr:@std/assert@1"}),
        "main.ts": SERVE,
        "main_test.ts": 'import pg from "npm:pg@8";\n',
    }
    app = only_app(make_tree(files))
    assert app["backing_services"] == []


# ---------------------------------------------------------------- malformed input
def test_malformed_config_warns_and_does_not_crash(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"deno.json": '{"tasks": {"start": "deno run main.ts"', "main.ts": SERVE}))
    assert any(w.startswith("deno.json: malformed JSON5") for w in result.warnings)
    assert ".: deno.json is not a readable JSON object; its tasks and imports are ignored" in result.warnings
    app = result.to_json()["apps"][0]
    assert app["language"] == "deno"
    assert app["start_command"] == "deno run --allow-net --allow-env main.ts"  # from the entry file instead


@pytest.mark.parametrize("text", ['["not", "an", "object"]\n', '{"tasks": ["start"], "imports": "hono", "name": 3}\n'])
def test_wrong_shapes_are_ignored(make_tree: MakeTree, text: str) -> None:
    app = only_app(make_tree({"deno.json": text, "main.ts": SERVE}))
    assert (app["language"], app["framework"]) == ("deno", None)
    assert app["name"] == "tree"


@pytest.mark.parametrize(
    ("command", "is_dev"),
    [
        ("deno run -A --watch=static/,routes/ dev.ts", True),
        ("vite", True),
        ("vite --host 0.0.0.0", True),
        ("deno run -A npm:vite@6 dev", True),
        ("deno task dev", True),
        ("vite build", False),
        ("deno serve -A _fresh/server.js", False),
        ("deno run -A --watch main.ts", False),
        ("deno run -A devtools.ts", False),
    ],
)
def test_dev_servers_are_recognised(command: str, is_dev: bool) -> None:
    assert _is_dev_server(command) is is_dev

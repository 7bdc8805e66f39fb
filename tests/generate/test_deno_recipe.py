"""The Deno recipe: the official Debian image, dependencies cached first, the image's own user."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.recipes import plan_for
from migrate.generate.recipes.deno import dev_command, image_version
from migrate.generate.versions import DENO_RELEASES
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

MakeTree = Callable[[dict[str, str | bytes]], Path]
SERVE = 'Deno.serve({ port: 8000 }, (req) => new URL(req.url).pathname === "/health" ? new Response("ok") : new Response("hi"));\n'


def config(**data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"


def only_app(root: Path) -> AppProfile:
    apps = inspect_tree(root).apps
    assert len(apps) == 1
    return apps[0]


def dockerfile_of(root: Path) -> str:
    return next(f.content for f in generate(inspect_tree(root)) if f.path == "Dockerfile")


def test_pinned_release_uses_its_debian_image_and_the_image_user(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({
        "deno.json": config(tasks={"start": "deno run --allow-net main.ts"}, imports={"hono": "jsr:@hono/hono@^4"}),
        "deno.lock": "{}\n",
        ".dvmrc": "2.1.4\n",
        "main.ts": SERVE,
    })
    plan = plan_for(only_app(root))
    assert plan.images == {"runtime": "denoland/deno:debian-2.1.4"}
    assert plan.cmd == ("deno", "run", "--allow-net", "main.ts")
    assert plan.dev_cmd == ("deno", "run", "--watch", "--allow-net", "main.ts")
    assert (plan.user, plan.uid) == ("deno", 1993)
    assert plan.values["manifests"] == ["deno.json", "deno.lock"]
    assert plan.values["install_deps"] == "deno install --frozen"
    assert plan.values["install"] == "deno install --frozen --entrypoint main.ts"
    assert plan.healthcheck is not None and plan.healthcheck[:2] == ("deno", "eval")
    assert ":8000/health`" in plan.healthcheck[2] and "r.status < 400" in plan.healthcheck[2]
    assert plan.extensions == ("denoland.vscode-deno",)
    dockerfile = dockerfile_of(root)
    assert dockerfile.index('COPY ["deno.json", "deno.lock", "./"]') < dockerfile.index("COPY . .")
    assert "USER 1993:1993" in dockerfile and "DENO_DIR=/deno-dir" in dockerfile
    assert_hadolint_clean(dockerfile, tmp_path)


def test_unpinned_deno_gets_a_full_release(make_tree: MakeTree) -> None:
    root = make_tree({"deno.json": config(tasks={"start": "deno run -A main.ts"}), "main.ts": "Deno.serve(() => new Response(''));\n"})
    plan = plan_for(only_app(root))
    assert plan.images["runtime"] == f"denoland/deno:debian-{DENO_RELEASES['2']}"
    assert any("pin yours" in note for note in plan.notes)
    # No health route: Deno.serve speaks HTTP, so / must answer with a status below 500.
    assert plan.healthcheck is not None and ":8000/`" in plan.healthcheck[2] and "r.status < 500" in plan.healthcheck[2]


def test_deno_1_caches_from_the_entry_file_after_the_source(make_tree: MakeTree) -> None:
    root = make_tree({"deno.json": config(tasks={"start": "deno run -A main.ts"}), ".dvmrc": "1.46.3\n", "main.ts": SERVE})
    plan = plan_for(only_app(root))
    assert plan.values["install_deps"] is None
    assert plan.values["install"] == "deno cache main.ts"
    assert "RUN deno cache main.ts" in dockerfile_of(root)


def test_package_json_is_a_manifest(make_tree: MakeTree) -> None:
    root = make_tree({
        "deno.json": config(tasks={"start": "deno run -A main.ts"}),
        "package.json": config(dependencies={"express": "^4"}),
        "main.ts": SERVE,
    })
    assert plan_for(only_app(root)).values["manifests"] == ["deno.json", "package.json"]


def test_build_task_runs_in_the_build_stage(make_tree: MakeTree) -> None:
    root = make_tree({"deno.json": config(tasks={"start": "deno run -A main.ts", "build": "deno run -A build.ts"}), "main.ts": SERVE, "build.ts": ""})
    assert "RUN deno task build" in dockerfile_of(root)


@pytest.mark.parametrize(
    ("start", "dev"),
    [
        ("deno run -A main.ts", "deno run --watch -A main.ts"),
        ("deno serve --port 8000 main.ts", "deno serve --watch --port 8000 main.ts"),
        ("deno run --watch main.ts", "deno run --watch main.ts"),
    ],
)
def test_dev_command_watches(start: str, dev: str) -> None:
    assert dev_command(start) == dev


def test_image_version_keeps_full_releases() -> None:
    assert image_version("2.1.4") == "2.1.4"
    assert image_version("1") == DENO_RELEASES["1"]
    assert image_version(None) == DENO_RELEASES["2"]

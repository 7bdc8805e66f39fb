"""Monorepos: workspace globs expanded as the package managers do (issue 11, pattern 6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result

from migrate.inspect import inspect_tree
from migrate.inspect.tree import SourceTree
from migrate.inspect.workspaces import expand

MakeTree = Callable[[dict[str, str | bytes]], Path]
RunCli = Callable[..., Result]


def pkg(**fields: Any) -> str:
    return json.dumps({"name": "app", "version": "1.0.0", **fields}, indent=2) + "\n"


NEXT_APP = pkg(name="site", scripts={"build": "next build", "start": "next start"}, dependencies={"next": "15.0.0", "react": "19.0.0"})
LIBRARY = pkg(name="ui", main="index.js")
SERVER = pkg(name="api", scripts={"start": "node server.js"}, dependencies={"express": "^4.21.0"})


def folders(make_tree: MakeTree, patterns: list[str], files: list[str]) -> list[str]:
    root = make_tree({f"{f}/package.json": "{}" for f in files} | {"package.json": "{}"})
    return expand(SourceTree.scan(root), ".", patterns)


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["**"], [".", "apps", "apps/web", "apps/web/nested", "packages", "packages/ui"]),
        (["apps/*"], ["apps/web"]),
        (["apps/**"], ["apps", "apps/web", "apps/web/nested"]),
        (["./packages/*/"], ["packages/ui"]),
        (["{apps,packages}/*"], ["apps/web", "packages/ui"]),
        (["**", "!apps/**"], [".", "packages", "packages/ui"]),
        (["apps/*", "!apps/web", "apps/web"], ["apps/web"]),  # the last matching pattern decides
        (["!apps/*"], []),  # exclusions alone select nothing
        (["pack?ges/u?"], ["packages/ui"]),
    ],
)
def test_member_globs(make_tree: MakeTree, patterns: list[str], expected: list[str]) -> None:
    assert folders(make_tree, patterns, ["apps/web", "apps/web/nested", "packages/ui"]) == expected


def test_pnpm_double_star_root_with_a_start_script_is_the_app(make_tree: MakeTree) -> None:
    # umami's layout: pnpm-workspace.yaml says packages: ['**'] and the root package is the Next.js app.
    root = make_tree(
        {
            "package.json": NEXT_APP,
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
            "pnpm-workspace.yaml": "packages:\n  - '**'\nonlyBuiltDependencies:\n  - prisma\n",
            "packages/ui/package.json": LIBRARY,
            "tests/helpers/package.json": LIBRARY,  # pnpm never looks under test/ or tests/
        }
    )
    result = inspect_tree(root)
    assert [a.path for a in result.apps] == ["."]
    app = result.apps[0]
    assert app.framework.value == "nextjs" and app.package_manager.value == "pnpm"
    # pnpm refuses a frozen lockfile whose workspace packages are missing: the member's manifest is copied.
    assert app.detail("manifests") == "package.json packages/ui/package.json pnpm-lock.yaml pnpm-workspace.yaml"
    assert result.warnings == ()


def test_pnpm_double_star_members_are_found_at_any_depth(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "package.json": pkg(name="root", private=True),
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
            "pnpm-workspace.yaml": "packages: ['**', '!legacy/**']\n",
            "services/shop/api/package.json": SERVER,
            "services/shop/api/server.js": "require('express')().listen(3000)\n",
            "legacy/old/package.json": SERVER,
        }
    )
    result = inspect_tree(root)
    apps = {a.path: a for a in result.apps}
    assert set(apps) == {"services/shop/api", "legacy/old"}
    assert apps["services/shop/api"].detail("workspace_root") == "."
    assert apps["services/shop/api"].package_manager.value == "pnpm"
    # Excluded by "!legacy/**": not a member, so it installs on its own (npm, no lockfile).
    assert apps["legacy/old"].detail("workspace_root") is None
    assert apps["legacy/old"].package_manager.value == "npm"


def test_init_and_build_fail_in_one_line_when_no_app_is_found(make_tree: MakeTree, run_cli: RunCli) -> None:
    root = make_tree({"package.json": pkg(private=True, workspaces=["packages/*"]), "packages/ui/package.json": LIBRARY})
    for command in ("init", "build"):
        result = run_cli(command, str(root))
        assert result.status == 1
        assert result.stderr.strip().splitlines() == [
            f"migrate: error: {root}: no app found: 1 workspace root(s) and 1 package(s), none of them runnable"
            " (no start command, server framework or main entry point)"
        ]
    assert not (root / "compose.yaml").exists()


def test_init_fails_on_an_empty_tree(make_tree: MakeTree, run_cli: RunCli) -> None:
    result = run_cli("init", str(make_tree({"README.md": "# notes\n"})))
    assert result.status == 1
    assert "no app found: no manifest of a known ecosystem" in result.stderr


UV_ROOT = '[tool.uv.workspace]\nmembers = ["services/*"]\nexclude = ["services/legacy"]\n\n[dependency-groups]\ndev = ["pytest>=8"]\n'
FASTAPI_MEMBER = '[project]\nname = "api"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = ["fastapi>=0.115", "uvicorn>=0.32"]\n'
FASTAPI_MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def test_a_full_stack_template_layout_uses_each_workspace(make_tree: MakeTree) -> None:
    # full-stack-fastapi-template: one root holds a uv workspace (backend) and a bun workspace (frontend).
    root = make_tree(
        {
            "pyproject.toml": UV_ROOT,
            "uv.lock": "version = 1\n",
            "package.json": pkg(name="stack", private=True, workspaces=["frontend", "packages/*"]),
            "bun.lock": "{}\n",
            "services/api/pyproject.toml": FASTAPI_MEMBER,
            "services/api/api/main.py": FASTAPI_MAIN,
            "services/legacy/requirements.txt": "flask==3.0.3\n",
            "services/legacy/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
            "frontend/package.json": pkg(name="frontend", scripts={"build": "vite build"}, devDependencies={"vite": "^6.0.0"}),
            "frontend/index.html": "<!doctype html>\n",
            "packages/emails/package.json": LIBRARY,
        }
    )
    result = inspect_tree(root)
    apps = {a.path: a for a in result.apps}
    assert set(apps) == {"services/api", "services/legacy", "frontend"}  # the root only holds the workspaces
    api = apps["services/api"]
    assert (api.package_manager.value, api.detail("workspace_root")) == ("uv", ".")
    assert [str(e) for e in api.package_manager.evidence] == ["uv.lock: lockfile of the uv workspace at ."]
    assert api.detail("manifests") == "../../pyproject.toml ../../uv.lock pyproject.toml"
    # Excluded from the uv workspace: an app of its own, installed by pip.
    assert (apps["services/legacy"].package_manager.value, apps["services/legacy"].detail("workspace_root")) == ("pip", None)
    frontend = apps["frontend"]
    assert (frontend.package_manager.value, frontend.detail("lockfile"), frontend.detail("workspace_root")) == ("bun", "bun.lock", ".")
    assert "packages/emails: a library of the workspace at ., not an app" in result.warnings


def test_a_uv_workspace_member_builds_from_the_workspace_root(make_tree: MakeTree) -> None:
    from migrate.generate import generate

    root = make_tree(
        {
            "pyproject.toml": UV_ROOT,
            "uv.lock": "version = 1\n",
            "services/api/pyproject.toml": FASTAPI_MEMBER,
            "services/api/api/main.py": FASTAPI_MAIN,
            "services/web/pyproject.toml": FASTAPI_MEMBER.replace('"api"', '"web"'),
        }
    )
    files = {f.path: f.content for f in generate(inspect_tree(root))}
    dockerfile = files["services/api/Dockerfile"]
    assert 'COPY ["pyproject.toml", "uv.lock", "./"]\nCOPY ["services/api/pyproject.toml", "services/api/"]\n' in dockerfile
    assert 'COPY ["services/web/pyproject.toml", "services/web/"]' in dockerfile  # uv reads every member
    assert "RUN uv sync --frozen --no-dev --no-install-workspace --active --package api\n" in dockerfile
    assert dockerfile.count("WORKDIR /app/services/api\n") == 2  # the build stage and the runtime
    assert 'context: "."\n      dockerfile: services/api/Dockerfile' in files["compose.yaml"]


def test_a_uv_workspace_root_with_its_own_app_is_an_app(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pyproject.toml": FASTAPI_MEMBER + '\n[tool.uv.workspace]\nmembers = ["libs/*"]\n',
            "uv.lock": "version = 1\n",
            "api/main.py": FASTAPI_MAIN,
            "libs/money/pyproject.toml": '[project]\nname = "money"\nversion = "1.0"\n',
        }
    )
    result = inspect_tree(root)
    assert [a.path for a in result.apps] == ["."]
    assert result.apps[0].package_manager.value == "uv"
    assert result.apps[0].detail("manifests") == "pyproject.toml uv.lock libs/money/pyproject.toml"


def test_workspace_packages_an_app_imports_are_installed_once_their_source_is_in(make_tree: MakeTree) -> None:
    from migrate.generate import generate

    sources = '\n[tool.uv.sources]\nmoney = { workspace = true }\n'
    root = make_tree(
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["services/*", "libs/*"]\n',
            "uv.lock": "version = 1\n",
            "services/api/pyproject.toml": FASTAPI_MEMBER.replace('"uvicorn>=0.32"', '"uvicorn>=0.32", "money"') + sources,
            "services/api/api/main.py": FASTAPI_MAIN,
            "libs/money/pyproject.toml": '[project]\nname = "money"\nversion = "1.0"\n',
        }
    )
    result = inspect_tree(root)
    assert [a.path for a in result.apps] == ["services/api"]
    dockerfile = next(f.content for f in generate(result) if f.path == "services/api/Dockerfile")
    assert "COPY . .\n# The workspace packages it imports, now that their source is here.\nRUN uv sync --frozen --no-dev --active --package api\n" in dockerfile


@pytest.mark.parametrize("start", ["turbo run start", "pnpm -r start", "npm run start --workspaces", "yarn workspaces foreach run start", "lerna run start"])
def test_a_root_start_script_that_starts_the_members_is_not_an_app(make_tree: MakeTree, start: str) -> None:
    root = make_tree(
        {
            "package.json": pkg(name="mono", private=True, workspaces=["apps/*"], scripts={"start": start}),
            "package-lock.json": "{}\n",
            "apps/api/package.json": SERVER,
        }
    )
    assert [a.path for a in inspect_tree(root).apps] == ["apps/api"]


# ---------------------------------------------------------------- patches the install applies
def _app_manifests(root: Path, path: str = ".") -> str | None:
    return next(a for a in inspect_tree(root).apps if a.path == path).detail("manifests")


def _express(**extra: Any) -> str:
    return json.dumps({"name": "app", "scripts": {"start": "node server.js"}, "dependencies": {"express": "^4.21.2"}} | extra)


@pytest.mark.parametrize(("files", "expected"), [
    # Without patches/, patch-package finds "no patch files" and the dependencies ship unpatched.
    ({"package.json": _express(scripts={"start": "node server.js", "postinstall": "patch-package"}),
      "package-lock.json": "{}", "patches/lib+1.0.0.patch": "diff\n"}, "package.json package-lock.json patches/"),
    ({"package.json": _express(scripts={"start": "node server.js", "prepare": "husky && patch-package --patch-dir fixes/deps"}),
      "fixes/deps/lib+1.0.0.patch": "diff\n"}, "package.json fixes/deps/"),
    # Nothing more: the script without its folder, or a folder no script uses.
    ({"package.json": _express(scripts={"start": "node server.js", "postinstall": "patch-package"})}, "package.json"),
    ({"package.json": _express(), "patches/notes.md": ""}, "package.json"),
    # pnpm: package.json's and pnpm-workspace.yaml's lists; a file the tree does not hold is left out (the install
    # says which), since COPY would fail on it first.
    ({"package.json": _express(pnpm={"patchedDependencies": {"lib@1.0.0": "patches/lib@1.0.0.patch"}}),
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n", "patches/lib@1.0.0.patch": "diff\n",
      "pnpm-workspace.yaml": "patchedDependencies:\n  other@2.0.0: patches/other@2.0.0.patch\n  gone@1.0.0: patches/gone.patch\n",
      "patches/other@2.0.0.patch": "diff\n"},
     "package.json pnpm-lock.yaml pnpm-workspace.yaml patches/lib@1.0.0.patch patches/other@2.0.0.patch"),
    ({"package.json": _express(patchedDependencies={"lib@1.0.0": "patches/lib@1.0.0.patch"}),
      "bun.lock": "{}", "patches/lib@1.0.0.patch": "diff\n"}, "package.json bun.lock patches/lib@1.0.0.patch"),
    # yarn: .yarn/ is not scanned, so the patch is trusted where yarn finds it; a path out of the project never is.
    ({"package.json": _express(packageManager="yarn@4.5.0", resolutions={
        "lib@npm:1.0.0": "patch:lib@npm%3A1.0.0#~/.yarn/patches/lib-npm-1.0.0-1a2b.patch",
        "evil@npm:1.0.0": "patch:evil@npm%3A1.0.0#../outside.patch"}),
      "yarn.lock": "__metadata:\n  version: 8\n", ".yarnrc.yml": "nodeLinker: node-modules\n"},
     "package.json yarn.lock .yarnrc.yml .yarn/patches/lib-npm-1.0.0-1a2b.patch"),
])
def test_the_patches_an_install_applies_are_copied_before_it(make_tree: MakeTree, files: dict[str, str], expected: str) -> None:
    assert _app_manifests(make_tree({**files, "server.js": ""})) == expected


def test_a_workspace_member_copies_the_roots_patches(make_tree: MakeTree) -> None:
    root = make_tree({"package.json": json.dumps({"private": True, "workspaces": ["apps/*"], "scripts": {"postinstall": "patch-package"}}),
                      "package-lock.json": "{}", "patches/lib+1.0.0.patch": "diff\n",
                      "apps/api/package.json": _express(), "apps/api/server.js": ""})
    assert _app_manifests(root, "apps/api") == "../../package.json package.json ../../package-lock.json ../../patches/"

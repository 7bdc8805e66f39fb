"""Static sites: claim rules (plain folders, root layouts, generators), port, document root, health files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.inspect import inspect_tree
from migrate.inspect.detectors.base import AppDir
from migrate.inspect.detectors.static import ECOSYSTEM
from migrate.inspect.tree import SourceTree

MakeTree = Callable[[dict[str, str | bytes]], Path]
HTML = "<!doctype html><title>Hi</title><h1>Hello</h1>\n"
FLASK_APP = {"requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"}


def apps(root: Path) -> dict[str, dict[str, Any]]:
    """``{path: app json}`` of every app inspected under ``root``."""
    return {a["path"]: a for a in inspect_tree(root).to_json()["apps"]}


def only_app(root: Path) -> dict[str, Any]:
    found = apps(root)
    assert len(found) == 1, sorted(found)
    return next(iter(found.values()))


def test_index_html_alone_is_a_static_site(make_tree: MakeTree) -> None:
    root = make_tree({"index.html": HTML, "css/site.css": "body{}", "js/app.js": "console.log(1)"})
    app = only_app(root)
    assert app["language"] == "static"
    assert app["evidence"]["language"] == ["index.html: index.html and no other manifest"]
    assert (app["framework"], app["package_manager"], app["build_command"], app["start_command"]) == (None, None, None, None)
    assert app["runtime_version"] is None
    assert app["port"] == 8080 and app["defaults"] == ["port"]
    assert app["details"] == {"document_root": "."}
    assert app["health_path"] is None


def test_static_site_has_no_runtime_or_start_warnings(make_tree: MakeTree) -> None:
    root = make_tree({"index.html": HTML})
    assert inspect_tree(root).warnings == ()


def test_unknown_start_and_runtime_still_warn_for_other_languages(make_tree: MakeTree) -> None:
    """The static exemption is only for static sites: a Python library still gets its warnings."""
    root = make_tree({"pyproject.toml": "[project]\nname = 'lib'\nversion = '1'\n"})
    warnings = inspect_tree(root).warnings
    assert any("could not tell how to start it" in w for w in warnings)


def test_claim_strength_is_one_for_plain_html(make_tree: MakeTree) -> None:
    tree = SourceTree.scan(make_tree({"index.html": HTML}))
    claim = ECOSYSTEM.claim(AppDir(tree, "."))
    assert claim is not None and claim.strength == 1


def test_no_index_html_no_claim(make_tree: MakeTree) -> None:
    tree = SourceTree.scan(make_tree({"about.html": HTML, "README.md": "# x\n"}))
    assert ECOSYSTEM.claim(AppDir(tree, ".")) is None


def test_index_html_next_to_another_manifest_is_not_static(make_tree: MakeTree) -> None:
    root = make_tree({**FLASK_APP, "index.html": HTML})
    app = only_app(root)
    assert app["language"] == "python"
    assert "also_static" not in app["details"]


@pytest.mark.parametrize("manifest", ["package.json", "go.mod", "Gemfile", "composer.json", "pom.xml", "App.csproj", "deno.json"])
def test_other_ecosystem_manifests_block_the_claim(make_tree: MakeTree, manifest: str) -> None:
    tree = SourceTree.scan(make_tree({"index.html": HTML, manifest: "{}\n"}))
    assert ECOSYSTEM.claim(AppDir(tree, ".")) is None


def test_static_folders_nested_in_an_app_are_not_apps(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            **FLASK_APP,
            "templates/index.html": HTML,
            "static/index.html": HTML,
            "public/index.html": HTML,
            "docs/_build/html/index.html": HTML,
        }
    )
    assert list(apps(root)) == ["."]
    assert only_app(root)["language"] == "python"


def test_static_folder_beside_an_app_is_its_own_app(make_tree: MakeTree) -> None:
    root = make_tree({**{f"api/{k}": v for k, v in FLASK_APP.items()}, "web/index.html": HTML, "web/logo.svg": "<svg/>"})
    found = apps(root)
    assert sorted(found) == ["api", "web"]
    assert found["web"]["language"] == "static"
    assert found["web"]["details"]["document_root"] == "."
    assert found["web"]["evidence"]["language"] == ["web/index.html: index.html and no other manifest"]


@pytest.mark.parametrize("folder", ["public", "site", "docs"])
def test_root_layout_folder_makes_the_root_a_site(make_tree: MakeTree, folder: str) -> None:
    root = make_tree({"README.md": "# site\n", f"{folder}/index.html": HTML, f"{folder}/about.html": HTML})
    app = only_app(root)
    assert (app["path"], app["language"]) == (".", "static")
    assert app["details"]["document_root"] == folder
    assert app["evidence"]["language"] == [f"{folder}/index.html: the repository's site in {folder}/"]


def test_root_layout_prefers_public_and_keeps_one_app(make_tree: MakeTree) -> None:
    root = make_tree({"public/index.html": HTML, "docs/index.html": HTML})
    app = only_app(root)
    assert app["details"]["document_root"] == "public"


def test_root_index_html_beats_layout_folders(make_tree: MakeTree) -> None:
    root = make_tree({"index.html": HTML, "docs/index.html": HTML})
    assert only_app(root)["details"]["document_root"] == "."


def test_root_layout_is_not_claimed_when_the_root_has_a_manifest(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": "[project]\nname = 'tool'\nversion = '1'\n", "docs/index.html": HTML})
    app = only_app(root)
    assert (app["path"], app["language"]) == (".", "python")


def test_root_layout_applies_only_at_the_root(make_tree: MakeTree) -> None:
    """``frontend/public/index.html`` is a site in ``frontend/public``, not a claim on ``frontend``."""
    root = make_tree({"frontend/public/index.html": HTML, "frontend/README.md": "# x\n"})
    app = only_app(root)
    assert (app["path"], app["details"]["document_root"]) == ("frontend/public", ".")


def test_apps_nested_in_a_root_site_stay_apps(make_tree: MakeTree) -> None:
    root = make_tree({"public/index.html": HTML, **{f"api/{k}": v for k, v in FLASK_APP.items()}})
    found = apps(root)
    assert sorted(found) == [".", "api"]
    assert (found["."]["language"], found["api"]["language"]) == ("static", "python")


@pytest.mark.parametrize(
    ("files", "path", "evidence"),
    [
        ({"health.html": "ok"}, "/health.html", "health.html: health file served at /health.html"),
        ({"healthz": "ok"}, "/healthz", "healthz: health file served at /healthz"),
        ({"ping.txt": "pong"}, "/ping.txt", "ping.txt: health file served at /ping.txt"),
        ({"health/index.html": HTML}, "/health/", "health/index.html: health file served at /health/"),
    ],
)
def test_health_file(make_tree: MakeTree, files: dict[str, str], path: str, evidence: str) -> None:
    app = only_app(make_tree({"index.html": HTML, **files}))
    assert app["health_path"] == path
    assert app["evidence"]["health_path"] == [evidence]


def test_health_file_in_the_document_root(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"public/index.html": HTML, "public/healthz.txt": "ok", "health.html": "not served"}))
    assert app["health_path"] == "/healthz.txt"
    assert app["evidence"]["health_path"] == ["public/healthz.txt: health file served at /healthz.txt"]


def test_non_health_files_are_not_health_paths(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"index.html": HTML, "healthy-recipes.html": HTML, "css/health.css": "x"}))
    assert app["health_path"] is None


# ---------------------------------------------------------------- generators
def test_hugo_site(make_tree: MakeTree) -> None:
    root = make_tree({"hugo.toml": "baseURL = 'https://example.org/'\ntitle = 'Blog'\n", "content/_index.md": "# Hi\n"})
    app = only_app(root)
    assert (app["language"], app["framework"], app["build_command"]) == ("static", "hugo", "hugo --minify")
    assert app["evidence"]["framework"] == ["hugo.toml: hugo configuration"]
    assert app["details"]["document_root"] == "public"
    assert app["start_command"] is None and app["port"] == 8080


def test_hugo_config_toml_needs_base_url_and_hugo_folders(make_tree: MakeTree) -> None:
    hugo = make_tree({"config.toml": 'baseURL = "https://x.org/"\npublishDir = "dist"\n', "layouts/index.html": HTML})
    app = only_app(hugo)
    assert (app["framework"], app["details"]["document_root"]) == ("hugo", "dist")


def test_config_toml_without_hugo_folders_is_not_hugo(make_tree: MakeTree) -> None:
    tree = SourceTree.scan(make_tree({"config.toml": 'baseURL = "https://x.org/"\n'}))
    assert ECOSYSTEM.claim(AppDir(tree, ".")) is None


def test_jekyll_site_with_gemfile(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "_config.yml": "title: Docs\ndestination: ./out\n",
            "Gemfile": 'source "https://rubygems.org"\ngem "jekyll", "~> 4.3"\n',
            "index.md": "---\nlayout: home\n---\n",
        }
    )
    app = only_app(root)
    assert (app["framework"], app["package_manager"], app["build_command"]) == ("jekyll", "bundler", "bundle exec jekyll build")
    assert app["details"]["install_command"] == "bundle install"
    assert app["details"]["document_root"] == "out"
    tree = SourceTree.scan(root)
    claim = ECOSYSTEM.claim(AppDir(tree, "."))
    assert claim is not None and claim.strength == 2


def test_jekyll_without_gemfile(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"_config.yml": "title: Docs\n", "index.md": "# Hi\n"}))
    assert (app["build_command"], app["package_manager"], app["details"]["document_root"]) == ("jekyll build", None, "_site")


def test_github_pages_config_in_a_python_project_does_not_win(make_tree: MakeTree) -> None:
    """A library's ``_config.yml`` (GitHub Pages theme) claims only 1: Python wins the tie."""
    root = make_tree({"_config.yml": "theme: jekyll-theme-cayman\n", "pyproject.toml": "[project]\nname = 'lib'\nversion = '1'\n"})
    assert only_app(root)["language"] == "python"


def test_mkdocs_site_with_python_tags_and_site_dir(make_tree: MakeTree) -> None:
    config = (
        "site_name: Handbook\nsite_dir: 'build-site'\ntheme:\n  name: material\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
    )
    root = make_tree({"mkdocs.yml": config, "requirements.txt": "mkdocs-material==9.5.44\n", "docs/index.md": "# Hi\n"})
    result = inspect_tree(root)
    assert not [w for w in result.warnings if "malformed" in w]
    app = result.to_json()["apps"][0]
    assert (app["language"], app["framework"], app["package_manager"]) == ("static", "mkdocs", "pip")
    assert app["build_command"] == "mkdocs build"
    assert app["details"]["install_command"] == "pip install -r requirements.txt"
    assert app["details"]["document_root"] == "build-site"
    assert app["evidence"]["package_manager"] == ["requirements.txt: MkDocs and its plugins"]


def test_mkdocs_without_requirements(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"mkdocs.yml": "site_name: x\n", "docs/index.md": "# x\n"}))
    assert app["package_manager"] is None
    assert app["details"]["install_command"] == "pip install mkdocs"
    assert app["details"]["document_root"] == "site"


def test_generator_docs_nested_in_an_app_are_not_apps(make_tree: MakeTree) -> None:
    root = make_tree({**FLASK_APP, "docs/mkdocs.yml": "site_name: x\n", "docs/docs/index.md": "# x\n"})
    assert list(apps(root)) == ["."]

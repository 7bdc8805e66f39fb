"""The static recipe: plain sites and Hugo/Jekyll/MkDocs sites served by a non-root nginx."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for, webserver
from migrate.generate.versions import TOOLS, WEB_SERVER_IMAGE
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

MakeTree = Callable[[dict[str, str | bytes]], Path]
INDEX = "<!doctype html><title>hi</title>\n"
HUGO = 'baseURL = "https://example.org/"\ntitle = "Site"\n'


def only_app(root: Path) -> AppProfile:
    apps = inspect_tree(root).apps
    assert len(apps) == 1
    return apps[0]


def files_of(root: Path) -> dict[str, str]:
    return {f.path: f.content for f in generate(inspect_tree(root))}




def test_plain_site_is_served_by_nginx_with_its_own_liveness_endpoint(make_tree: MakeTree) -> None:
    plan = plan_for(only_app(make_tree({"index.html": INDEX, "css/site.css": "body{}\n"})))
    assert plan.images["runtime"] == WEB_SERVER_IMAGE
    assert plan.cmd == ("nginx", "-g", "daemon off;") == plan.dev_cmd
    assert plan.port == 8080
    assert plan.healthcheck is not None and plan.healthcheck[0] == "curl"
    assert plan.healthcheck[-1] == "http://127.0.0.1:8080/healthz"
    assert plan.health_path == "/healthz"  # what CONTAINERS.md and compose report
    assert [path for path, _ in plan.files] == ["nginx.conf"]
    assert "location = /healthz" in plan.files[0][1]


def test_plain_site_at_the_root_ships_without_the_server_config(make_tree: MakeTree) -> None:
    files = files_of(make_tree({"index.html": INDEX}))
    dockerfile = files["Dockerfile"]
    assert "FROM debian:bookworm-slim AS site" in dockerfile
    assert "RUN rm -f /site/nginx.conf" in dockerfile
    assert 'COPY --from=site ["/site/", "/usr/share/nginx/html/"]' in dockerfile
    assert "STOPSIGNAL SIGQUIT" in dockerfile
    assert "USER 10001:10001" in dockerfile
    assert dockerfile.rstrip().endswith("FROM runtime AS production")
    assert "try_files $uri $uri/ =404;" in files["nginx.conf"]


def test_site_in_a_publish_folder_is_copied_from_the_context(make_tree: MakeTree) -> None:
    root = make_tree({"public/index.html": INDEX, "README.md": "# site\n"})
    plan = plan_for(only_app(root))
    dockerfile = files_of(root)["Dockerfile"]
    assert "AS site" not in dockerfile
    assert 'COPY ["public/", "/usr/share/nginx/html/"]' in dockerfile
    assert plan.watch[0].path == "public" and plan.watch[0].target == webserver.HTML_ROOT


def test_a_health_file_of_the_site_is_probed_instead(make_tree: MakeTree) -> None:
    root = make_tree({"index.html": INDEX, "health.txt": "ok\n"})
    plan = plan_for(only_app(root))
    assert plan.healthcheck is not None and plan.healthcheck[-1] == "http://127.0.0.1:8080/health.txt"
    assert "/healthz" not in plan.files[0][1]


def test_hugo_is_built_from_a_pinned_release_and_only_the_output_ships(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"hugo.toml": HUGO, "content/_index.md": "# hi\n", "go.mod": "module site\n", "go.sum": ""})
    plan = plan_for(only_app(root))
    assert plan.images["build"] == "golang:1.24-bookworm"
    assert plan.values["manifests"] == [(["hugo.toml", "go.mod", "go.sum"], "./")]
    assert plan.values["install"] == ["hugo mod download"]
    dockerfile = files_of(root)["Dockerfile"]
    assert f"github.com/gohugoio/hugo@v{TOOLS['hugo']}" in dockerfile
    assert "RUN hugo --minify" in dockerfile
    assert 'COPY --from=build ["/src/public/", "/usr/share/nginx/html/"]' in dockerfile
    assert plan.watch[0].action == "rebuild" and "public/" in plan.watch[0].ignore
    assert_hadolint_clean(dockerfile, tmp_path)


def test_jekyll_installs_the_locked_gems_first(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"_config.yml": "title: x\n", "Gemfile": 'gem "jekyll"\n', "Gemfile.lock": "GEM\n", "index.md": "# hi\n"})
    plan = plan_for(only_app(root))
    assert plan.images["build"].startswith("ruby:")
    assert plan.values["env"] == {"JEKYLL_ENV": "production", "BUNDLE_FROZEN": "true"}
    dockerfile = files_of(root)["Dockerfile"]
    assert dockerfile.index('COPY ["Gemfile", "Gemfile.lock", "./"]') < dockerfile.index("RUN bundle install") < dockerfile.index("COPY . .")
    assert "RUN bundle exec jekyll build" in dockerfile
    assert '"/src/_site/"' in dockerfile
    assert_hadolint_clean(dockerfile, tmp_path)


def test_jekyll_without_a_gemfile_pins_jekyll(make_tree: MakeTree) -> None:
    plan = plan_for(only_app(make_tree({"_config.yml": "title: x\n", "index.md": "# hi\n"})))
    assert plan.values["tool"] == f"gem install --no-document jekyll -v {TOOLS['jekyll']}"
    assert plan.values["install"] == []


def test_mkdocs_installs_its_requirements_in_their_folder(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"mkdocs.yml": "site_name: x\nsite_dir: out\n", "docs/index.md": "# hi\n", "docs/requirements.txt": "mkdocs==1.6.1\n"})
    plan = plan_for(only_app(root))
    assert plan.images["build"].startswith("python:")
    assert plan.values["manifests"] == [(["docs/requirements.txt"], "docs/")]
    dockerfile = files_of(root)["Dockerfile"]
    assert 'COPY ["docs/requirements.txt", "docs/"]' in dockerfile
    assert "RUN pip install --no-cache-dir -r docs/requirements.txt" in dockerfile
    assert '"/src/out/"' in dockerfile
    assert_hadolint_clean(dockerfile, tmp_path)


def test_mkdocs_without_requirements_pins_mkdocs(make_tree: MakeTree) -> None:
    plan: ContainerPlan = plan_for(only_app(make_tree({"mkdocs.yml": "site_name: x\n", "docs/index.md": "# hi\n"})))
    assert plan.values["tool"] == f"pip install --no-cache-dir mkdocs=={TOOLS['mkdocs']}"


def test_spa_config_falls_back_to_index_and_caches_fingerprinted_assets(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"index.html": INDEX}))
    server = webserver.server(app, site_stage="build", site_dir="/app/dist", spa=True, immutable_prefix="/assets/")
    config = server.files[0][1]
    assert "try_files $uri $uri/ /index.html;" in config
    assert '"public, max-age=31536000, immutable"' in config
    assert server.values["site_stage"] == "build"

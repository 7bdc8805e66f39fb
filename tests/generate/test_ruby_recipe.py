"""Ruby recipe: plans and Dockerfiles for Rails, Sinatra and Rack apps built from small trees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import assert_hadolint_clean

from migrate.generate import generate
from migrate.generate.checks import check_dockerfile
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree

MakeTree = Callable[[dict[str, str | bytes]], Path]
SOURCE = 'source "https://rubygems.org"\n\n'
LOCK = """GEM
  remote: https://rubygems.org/
  specs:
    rack (3.0.10)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  rack

RUBY VERSION
   ruby 3.2.4p170

BUNDLED WITH
   2.5.9
"""
ROUTES = 'Rails.application.routes.draw do\n  get "up" => "rails/health#show", as: :rails_health_check\nend\n'
PUMA = 'port ENV.fetch("PORT") { 3000 }\n'


def gemfile(*gems: str, extra: str = "") -> str:
    return SOURCE + extra + "".join(f'gem "{g}"\n' for g in gems)


def rails_tree(*gems: str, lock: bool = True) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "Gemfile": gemfile("rails", "puma", "propshaft", *gems, extra="") + 'group :development, :test do\n  gem "debug"\nend\n',
        "config/application.rb": "module Blog\n  class Application < Rails::Application\n  end\nend\n",
        "config/routes.rb": ROUTES,
        "config/puma.rb": PUMA,
        "config/database.yml": "production:\n  url: <%= ENV['DATABASE_URL'] %>\n",
        "config.ru": "run Rails.application\n",
        "app/controllers/application_controller.rb": "class ApplicationController < ActionController::Base\nend\n",
    }
    if lock:
        files["Gemfile.lock"] = LOCK
    return files


SINATRA_GEMFILE = gemfile("sinatra", "puma", extra='ruby "~> 3.3"\n\n')
SINATRA: dict[str, str | bytes] = {
    "Gemfile": SINATRA_GEMFILE,
    "app.rb": 'require "sinatra/base"\nclass App < Sinatra::Base\n  get "/healthz" do\n    "ok"\n  end\nend\n',
    "config.ru": 'require_relative "app"\nrun App\n',
}


def plan_of(root: Path) -> ContainerPlan:
    apps = inspect_tree(root).apps
    assert len(apps) == 1
    return plan_for(apps[0])


def dockerfile_of(root: Path) -> str:
    files = [f for f in generate(inspect_tree(root), ["dockerfile"]) if f.output == "dockerfile"]
    return files[0].content


# ---------------------------------------------------------------- Rails
def test_rails_with_lockfile(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree(rails_tree("pg", "bootsnap")))
    assert plan.images == {"runtime": "ruby:3.2.4-slim-bookworm"}
    assert plan.cmd == ("bundle", "exec", "puma", "-C", "config/puma.rb")
    assert plan.port == 3000
    assert plan.healthcheck is not None and plan.healthcheck[:3] == ("ruby", "-rnet/http", "-e")
    assert "Net::HTTP.start(ip, 3000, open_timeout: 3, read_timeout: 3) { |h| h.get('/up').code.to_i } < 400" in plan.healthcheck[3]
    assert plan.dev_cmd == ("sh", "-c", "rm -f tmp/pids/server.pid && exec bundle exec rails server -b 0.0.0.0 -p 3000")
    values = plan.values
    assert values["manifests"] == ["Gemfile", "Gemfile.lock"]
    assert not values["install_needs_source"]
    # A lockfile means deployment mode; the dev target turns it off and installs every group.
    assert values["env"]["BUNDLE_DEPLOYMENT"] == "1"
    assert values["env"]["BUNDLE_WITHOUT"] == "development:test"
    assert values["env"]["RAILS_ENV"] == "production"
    assert values["dev_env"] == {"BUNDLE_DEPLOYMENT": "false", "BUNDLE_WITHOUT": "", "RAILS_ENV": "development"}
    assert values["bundler_version"] == "2.5.9"
    assert "libpq-dev" in values["build_packages"] and values["runtime_packages"] == ["libpq5"]
    assert values["bootsnap"] == "bundle exec bootsnap precompile app/"
    assert values["build_command"] == "bundle exec rails assets:precompile"
    assert values["build_env"] == {"SECRET_KEY_BASE_DUMMY": "1"}  # RAILS_ENV is already the image's
    assert plan.post_create == "bundle install"
    assert plan.extensions == ("shopify.ruby-lsp",)
    assert [(r.action, r.path) for r in plan.watch] == [("sync", "."), ("rebuild", "Gemfile"), ("rebuild", "Gemfile.lock")]


def test_rails_dockerfile_installs_manifests_before_source(make_tree: MakeTree) -> None:
    text = dockerfile_of(make_tree(rails_tree("pg", "bootsnap")))
    manifests = text.index('COPY ["Gemfile", "Gemfile.lock", "./"]')
    assert manifests < text.index("RUN bundle install") < text.index("COPY . .")
    assert 'SECRET_KEY_BASE_DUMMY="1" bundle exec rails assets:precompile' in text
    assert "bundle exec bootsnap precompile --gemfile" in text
    assert 'RUN gem install bundler -v "2.5.9" --no-document' in text
    assert "USER 10001:10001" in text and "mkdir -p tmp/pids log storage" in text
    assert check_dockerfile(text) == []


def test_rails_without_lockfile_has_no_deployment_mode(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree(rails_tree(lock=False)))
    assert "BUNDLE_DEPLOYMENT" not in plan.values["env"]
    assert "BUNDLE_DEPLOYMENT" not in plan.values["dev_env"]
    assert plan.values["manifests"] == ["Gemfile"]
    assert any("No Gemfile.lock" in n for n in plan.notes)


def test_mysql2_gets_the_mariadb_client_library(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree(rails_tree("mysql2")))
    assert "default-libmysqlclient-dev" in plan.values["build_packages"]
    assert plan.values["runtime_packages"] == ["libmariadb3"]


def test_sidekiq_worker_and_release_are_notes(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree(rails_tree("pg", "sidekiq")))
    assert any("bundle exec sidekiq" in n for n in plan.notes)
    assert any("rails db:prepare" in n for n in plan.notes)


# ---------------------------------------------------------------- Sinatra and Rack
def test_sinatra_reloads_under_rerun(make_tree: MakeTree) -> None:
    plan = plan_of(make_tree(SINATRA))
    assert plan.images == {"runtime": "ruby:3.3-slim-bookworm"}
    assert plan.cmd == ("bundle", "exec", "puma", "-b", "tcp://0.0.0.0:4567", "config.ru")
    assert plan.dev_cmd == ("rerun", "--background", "--", *plan.cmd)
    assert plan.healthcheck is not None and "Net::HTTP.start(ip, 4567," in plan.healthcheck[-1] and "h.get('/healthz')" in plan.healthcheck[-1]
    assert plan.values["env"]["APP_ENV"] == "production"
    assert plan.values["dev_env"]["APP_ENV"] == "development"
    assert plan.values["runtime_packages"] == [] and plan.values["build_command"] is None
    assert plan.values["dev_tools"] and plan.values["dev_tools"][0].startswith("rerun -v ")


def test_rack_app_without_health_route_gets_an_http_probe_of_the_root(make_tree: MakeTree) -> None:
    """A Rack app speaks HTTP: with no health route it must answer / below 500, not merely accept connections."""
    plan = plan_of(make_tree({"Gemfile": gemfile("rack", "puma"), "config.ru": "run ->(env) { [200, {}, ['ok']] }\n"}))
    assert plan.healthcheck is not None and "h.get('/').code.to_i } < 500" in plan.healthcheck[-1]


def test_gemspec_gemfile_installs_from_source(make_tree: MakeTree) -> None:
    tree = {**SINATRA, "Gemfile": SINATRA_GEMFILE + "gemspec\n", "app.gemspec": "Gem::Specification.new\n"}
    plan = plan_of(make_tree(tree))
    assert plan.values["manifests"] == [] and plan.values["install_needs_source"]
    text = dockerfile_of(make_tree(tree))
    assert text.index("COPY . .") < text.index("RUN bundle install")


def test_git_gems_need_git_and_ruby_file_is_a_manifest(make_tree: MakeTree) -> None:
    gems = SOURCE + 'ruby file: ".ruby-version"\ngem "sinatra"\ngem "puma"\ngem "tool", github: "acme/tool"\n'
    plan = plan_of(make_tree({**SINATRA, "Gemfile": gems, ".ruby-version": "3.3.4\n"}))
    assert "git" in plan.values["build_packages"]
    assert plan.values["manifests"] == ["Gemfile", ".ruby-version"]
    assert plan.images["runtime"] == "ruby:3.3.4-slim-bookworm"


def test_commented_git_gem_is_not_a_git_source(make_tree: MakeTree) -> None:
    gems = SINATRA_GEMFILE + '# gem "rails", github: "rails/rails"\n'
    plan = plan_of(make_tree({**SINATRA, "Gemfile": gems}))
    assert "git" not in plan.values["build_packages"]


# ---------------------------------------------------------------- lint every variant
VARIANTS: dict[str, Callable[[], dict[str, str | bytes]]] = {
    "rails-lock-pg-bootsnap": lambda: rails_tree("pg", "bootsnap", "sidekiq"),
    "rails-no-lock": lambda: rails_tree(lock=False),
    "sinatra": lambda: SINATRA,
    "gemspec": lambda: {**SINATRA, "Gemfile": SINATRA_GEMFILE + "gemspec\n", "a.gemspec": "Gem::Specification.new\n"},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_passes_hadolint(make_tree: MakeTree, tmp_path: Path, variant: str) -> None:
    text = dockerfile_of(make_tree(VARIANTS[variant]()))
    assert check_dockerfile(text) == []
    assert_hadolint_clean(text, tmp_path)

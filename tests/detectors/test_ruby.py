"""Ruby: claims, every runtime source, Gemfile groups, Bundler, Rails, Sinatra, Rack, Sidekiq."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.inspect import inspect_tree
from migrate.inspect.detectors.base import AppDir
from migrate.inspect.detectors.ruby import ECOSYSTEM, gemfile_gems, pick_minor
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.inspect.tree import SourceTree

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
PUMA = 'port ENV.fetch("PORT") { 3000 }\n'


def gemfile(*gems: str, extra: str = "") -> str:
    return SOURCE + extra + "".join(f'gem "{g}"\n' for g in gems)


def only_app(root: Path) -> dict[str, Any]:
    apps = inspect_tree(root).to_json()["apps"]
    assert len(apps) == 1, [a["path"] for a in apps]
    app: dict[str, Any] = apps[0]
    return app


def claim_strength(root: Path) -> int | None:
    claim = ECOSYSTEM.claim(AppDir(SourceTree.scan(root), "."))
    return None if claim is None else claim.strength


# ---------------------------------------------------------------- claims
@pytest.mark.parametrize("gem", ["rails", "sinatra", "hanami", "roda"])
def test_web_framework_gem_is_a_runnable_claim(make_tree: MakeTree, gem: str) -> None:
    assert claim_strength(make_tree({"Gemfile": gemfile(gem)})) == 2


def test_config_ru_is_a_runnable_claim(make_tree: MakeTree) -> None:
    assert claim_strength(make_tree({"Gemfile": gemfile("rack"), "config.ru": "run ->(env) { [200, {}, ['ok']] }\n"})) == 2


def test_gemfile_alone_is_a_weak_claim(make_tree: MakeTree) -> None:
    assert claim_strength(make_tree({"Gemfile": gemfile("nokogiri")})) == 1


def test_framework_only_in_test_group_is_a_weak_claim(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": SOURCE + 'group :test do\n  gem "sinatra"\nend\n'})
    assert claim_strength(root) == 1


def test_no_gemfile_no_claim(make_tree: MakeTree) -> None:
    assert claim_strength(make_tree({"app.rb": "puts 1\n"})) is None


# ---------------------------------------------------------------- Gemfile groups
def test_gems_in_development_and_test_groups_are_not_runtime() -> None:
    text = SOURCE + (
        'gem "rails", "~> 7.1"\n'
        "group :development, :test do\n"
        '  gem "debug", platforms: %i[ mri windows ]\n'
        "  platforms :mri do\n"
        '    gem "byebug"\n'
        "  end\n"
        "end\n"
        "group :production do\n"
        '  gem "pg"\n'
        "end\n"
        'gem "rubocop", group: :development\n'
        'gem "rspec", groups: [:development, :test]\n'
        'gem "redis" # cache\n'
    )
    runtime = {g.name: g.runtime for g in gemfile_gems(text)}
    assert runtime == {"rails": True, "debug": False, "byebug": False, "pg": True, "rubocop": False, "rspec": False, "redis": True}


def test_group_with_options_and_percent_i_names() -> None:
    text = SOURCE + 'group %i[development test], optional: true do\n  gem "pry"\nend\ngem "puma"\n'
    assert [(g.name, g.runtime) for g in gemfile_gems(text)] == [("pry", False), ("puma", True)]


def test_only_runtime_gems_are_dependencies_with_line_evidence(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": SOURCE + 'gem "sinatra"\ngem "pg"\ngroup :test do\n  gem "mysql2"\nend\n', "config.ru": "run App\n"})
    app = only_app(root)
    assert app["backing_services"] == ["postgres"]
    assert app["evidence"]["backing_services"] == ["Gemfile:4: dependency 'pg'"]


def test_gemspec_runtime_dependencies(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": SOURCE + "gemspec\n", "tool.gemspec": 'Gem::Specification.new do |s|\n  s.add_dependency "redis"\nend\n'})
    app = only_app(root)
    assert app["backing_services"] == ["redis"]
    assert app["evidence"]["backing_services"] == ["tool.gemspec:2: dependency 'redis'"]


# ---------------------------------------------------------------- runtime version
def test_ruby_version_file_wins(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("rack", extra='ruby "3.1.4"\n'), ".ruby-version": "ruby-3.3.0\n", "Gemfile.lock": LOCK})
    app = only_app(root)
    assert app["runtime_version"] == "3.3.0"
    assert app["evidence"]["runtime_version"] == [".ruby-version:1: pins Ruby 3.3.0"]


def test_gemfile_exact_ruby(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"Gemfile": gemfile("rack", extra='ruby "3.1.4"\n'), "Gemfile.lock": LOCK}))
    assert app["runtime_version"] == "3.1.4"
    assert app["evidence"]["runtime_version"] == ["Gemfile:3: ruby '3.1.4' in Gemfile"]


def test_gemfile_ruby_file_directive(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("rack", extra='ruby file: ".tool-versions"\n'), ".tool-versions": "nodejs 22.1.0\nruby 3.2.2\n"})
    app = only_app(root)
    assert app["runtime_version"] == "3.2.2"
    assert app["evidence"]["runtime_version"] == ["Gemfile:3: ruby file: '.tool-versions' pins Ruby 3.2.2"]


def test_lockfile_ruby_version(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"Gemfile": gemfile("rack"), "Gemfile.lock": LOCK}))
    assert app["runtime_version"] == "3.2.4"
    assert app["evidence"]["runtime_version"] == ["Gemfile.lock:13: RUBY VERSION 3.2.4"]


def test_tool_versions(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"Gemfile": gemfile("rack"), ".tool-versions": "ruby 3.4.1\n"}))
    assert app["runtime_version"] == "3.4.1"
    assert app["evidence"]["runtime_version"] == [".tool-versions:1: pins Ruby 3.4.1"]


def test_gemfile_range_picks_default_or_newest_allowed(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"Gemfile": gemfile("rack", extra='ruby "~> 3.1"\n')}))
    assert app["runtime_version"] == DEFAULT_RUNTIME["ruby"]
    assert app["evidence"]["runtime_version"] == [f"Gemfile:3: ruby '~> 3.1' in Gemfile allows {DEFAULT_RUNTIME['ruby']}"]
    assert "runtime_version" not in app["defaults"]


def test_ruby_requirements() -> None:
    minors = ("3.0", "3.1", "3.2", "3.3", "3.4")
    assert pick_minor(["~> 3.1.0"], minors, "3.3") == "3.1"
    assert pick_minor([">= 3.0", "< 3.3"], minors, "3.3") == "3.2"
    assert pick_minor(["~> 3.4"], minors, "3.3") == "3.4"
    assert pick_minor(["< 2.7"], minors, "3.3") is None
    assert pick_minor(["nonsense"], minors, "3.3") is None


def test_no_pin_uses_default_and_says_so(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("rack"), ".ruby-version": "jruby-9.4.5.0\n"})
    app = only_app(root)
    assert app["runtime_version"] == DEFAULT_RUNTIME["ruby"]
    assert "runtime_version" in app["defaults"]


# ---------------------------------------------------------------- bundler
def test_bundler_with_lockfile(make_tree: MakeTree) -> None:
    app = only_app(make_tree({"Gemfile": gemfile("rack"), "Gemfile.lock": LOCK}))
    assert app["package_manager"] == "bundler"
    assert app["evidence"]["package_manager"] == ["Gemfile.lock: Bundler lockfile"]
    assert app["details"]["install_command"] == "bundle install"
    assert app["details"]["install_env"] == "BUNDLE_DEPLOYMENT=1 BUNDLE_WITHOUT=development:test"
    assert app["details"]["bundler_version"] == "2.5.9"


def test_no_lockfile_warns_and_skips_deployment_mode(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"Gemfile": gemfile("rack")}))
    app = result.to_json()["apps"][0]
    assert app["details"]["install_env"] == "BUNDLE_WITHOUT=development:test"
    assert any("no Gemfile.lock" in w for w in result.warnings)


def test_lockfile_without_linux_platform_warns(make_tree: MakeTree) -> None:
    lock = LOCK.replace("  x86_64-linux\n", "  arm64-darwin-23\n")
    result = inspect_tree(make_tree({"Gemfile": gemfile("rack"), "Gemfile.lock": lock}))
    assert any("no Linux platform" in w for w in result.warnings)


# ---------------------------------------------------------------- rails
RAILS_APP: dict[str, str | bytes] = {
    "Gemfile": gemfile("rails", "puma", "pg", "propshaft", "sidekiq"),
    "config/puma.rb": PUMA,
    "config/routes.rb": 'Rails.application.routes.draw do\n  get "up" => "rails/health#show", as: :rails_health_check\nend\n',
    "config/database.yml": "production:\n  url: <%= ENV['DATABASE_URL'] %>\n",
    "config.ru": "require_relative 'config/environment'\nrun Rails.application\n",
}


def test_rails_with_puma_config(make_tree: MakeTree) -> None:
    app = only_app(make_tree(RAILS_APP))
    assert (app["framework"], app["start_command"], app["port"], app["health_path"]) == (
        "rails",
        "bundle exec puma -C config/puma.rb",
        3000,
        "/up",
    )
    assert app["evidence"]["port"] == ["config/puma.rb:1: Puma binds port 3000"]
    assert app["evidence"]["health_path"] == ["config/routes.rb:2: Rails health check route"]
    assert app["build_command"] == "bundle exec rails assets:precompile"
    assert app["evidence"]["build_command"] == ["Gemfile:6: requires propshaft: assets to precompile"]
    assert app["details"]["release_command"] == "bundle exec rails db:prepare"
    assert app["processes"] == {"worker": "bundle exec sidekiq"}
    assert "port" not in app["defaults"]


def test_rails_secret_key_base_is_a_required_secret(make_tree: MakeTree) -> None:
    app = only_app(make_tree(RAILS_APP))
    secret = next(v for v in app["env"] if v["name"] == "SECRET_KEY_BASE")
    assert secret["secret"] and secret["required"]


def test_rails_credentials_need_the_master_key(make_tree: MakeTree) -> None:
    app = only_app(make_tree({**RAILS_APP, "config/credentials.yml.enc": "abc--def\n"}))
    names = {v["name"] for v in app["env"]}
    assert "RAILS_MASTER_KEY" in names and "SECRET_KEY_BASE" not in names


def test_rails_puma_port_from_bind(make_tree: MakeTree) -> None:
    app = only_app(make_tree({**RAILS_APP, "config/puma.rb": 'bind "tcp://0.0.0.0:8080"\n'}))
    assert app["port"] == 8080


def test_rails_without_puma_config_uses_rails_server(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("rails", "puma"), "config/application.rb": "class App < Rails::Application; end\n"})
    app = only_app(root)
    assert app["start_command"] == "bundle exec rails server -b 0.0.0.0 -p 3000"
    assert app["port"] == 3000 and "port" in app["defaults"]
    assert app["build_command"] is None
    assert app["health_path"] is None
    assert "release_command" not in app["details"]


def test_rails_without_puma_gem_warns(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"Gemfile": gemfile("rails")}))
    assert any("puma is not in the Gemfile" in w for w in result.warnings)
    assert result.apps[0].detail("extra_dependency") == "puma"


def test_rails_from_application_class_without_rails_gem(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("railties", "puma"), "config/application.rb": "module Blog\n  class Application < Rails::Application\n  end\nend\n"})
    assert only_app(root)["framework"] == "rails"


def test_rails_asset_folder_alone_means_precompile(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("rails", "puma"), "app/assets/stylesheets/app.css": "body {}\n"})
    app = only_app(root)
    assert app["build_command"] == "bundle exec rails assets:precompile"
    assert app["evidence"]["build_command"] == ["app/assets: asset folder: assets to precompile"]


def test_procfile_beats_rails_default(make_tree: MakeTree) -> None:
    app = only_app(make_tree({**RAILS_APP, "Procfile": "web: bundle exec puma -p 5000\nworker: bundle exec sidekiq -q default\n"}))
    assert app["start_command"] == "bundle exec puma -p 5000"
    assert app["processes"]["worker"] == "bundle exec sidekiq -q default"


# ---------------------------------------------------------------- sinatra and rack
SINATRA_APP = 'require "sinatra/base"\n\nclass App < Sinatra::Base\n  get "/health" do\n    "ok"\n  end\nend\n'


def test_sinatra_with_config_ru(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("sinatra", "puma"), "config.ru": 'require_relative "app"\nrun App\n', "app.rb": SINATRA_APP})
    app = only_app(root)
    assert (app["framework"], app["start_command"], app["port"], app["health_path"]) == (
        "sinatra",
        "bundle exec puma -b tcp://0.0.0.0:4567 config.ru",
        4567,
        "/health",
    )
    assert app["evidence"]["start_command"] == ["config.ru:2: Rack app", "Gemfile:4: requires puma"]
    assert app["evidence"]["health_path"] == ["app.rb:4: route /health"]
    assert "port" in app["defaults"]


def test_sinatra_port_from_set(make_tree: MakeTree) -> None:
    code = SINATRA_APP.replace("Sinatra::Base\n", 'Sinatra::Base\n  set :port, ENV.fetch("PORT", 9000)\n')
    root = make_tree({"Gemfile": gemfile("sinatra", "puma"), "config.ru": "run App\n", "app.rb": code})
    app = only_app(root)
    assert app["port"] == 9000
    assert app["start_command"] == "bundle exec puma -b tcp://0.0.0.0:9000 config.ru"
    assert app["evidence"]["port"] == ["app.rb:4: set :port"]


def test_classic_sinatra_without_config_ru(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("sinatra", "puma"), "server.rb": "require 'sinatra'\nget('/') { 'hi' }\n"})
    app = only_app(root)
    assert app["start_command"] == "bundle exec ruby server.rb -o 0.0.0.0 -p 4567"
    assert app["evidence"]["start_command"] == ["server.rb:1: classic Sinatra app"]


def test_sinatra_under_unicorn(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("sinatra", "unicorn"), "config.ru": "run App\n", "app.rb": SINATRA_APP})
    assert only_app(root)["start_command"] == "bundle exec unicorn -o 0.0.0.0 -p 4567 config.ru"


def test_plain_rack_app(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("rack", "puma"), "config.ru": "run ->(env) { [200, {}, ['ok']] }\n"})
    app = only_app(root)
    assert (app["framework"], app["start_command"], app["port"]) == ("rack", "bundle exec puma -b tcp://0.0.0.0:9292 config.ru", 9292)


def test_hanami_with_puma_config(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": gemfile("hanami", "puma"), "config.ru": "run Hanami.app\n", "config/puma.rb": 'port ENV.fetch("HANAMI_PORT", 2300)\n'})
    app = only_app(root)
    assert (app["framework"], app["start_command"], app["port"]) == ("hanami", "bundle exec puma -C config/puma.rb", 2300)


def test_roda_route_health(make_tree: MakeTree) -> None:
    code = 'class App < Roda\n  route do |r|\n    r.get "ping" do\n      "pong"\n    end\n  end\nend\n'
    root = make_tree({"Gemfile": gemfile("roda", "puma"), "config.ru": "run App.freeze.app\n", "app.rb": code})
    app = only_app(root)
    assert (app["framework"], app["health_path"]) == ("roda", "/ping")


def test_library_gemfile_has_no_start(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"Gemfile": gemfile("nokogiri"), "Gemfile.lock": LOCK}))
    app = result.to_json()["apps"][0]
    assert app["framework"] is None and app["start_command"] is None
    assert any("could not tell how to start it" in w for w in result.warnings)


# ---------------------------------------------------------------- sidekiq
def test_sidekiq_outside_rails_loads_the_job_file(make_tree: MakeTree) -> None:
    job = "class Mailer\n  include Sidekiq::Job\n  def perform; end\nend\n"
    root = make_tree({"Gemfile": gemfile("sinatra", "puma", "sidekiq"), "config.ru": "run App\n", "app.rb": SINATRA_APP, "jobs/mailer.rb": job, "config/sidekiq.yml": ":concurrency: 5\n"})
    app = only_app(root)
    assert app["processes"] == {"worker": "bundle exec sidekiq -r ./jobs/mailer.rb -C config/sidekiq.yml"}


def test_sidekiq_without_job_class_warns(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({"Gemfile": gemfile("sinatra", "puma", "sidekiq"), "config.ru": "run App\n"}))
    assert result.to_json()["apps"][0]["processes"] == {}
    assert any("no Sidekiq job class" in w for w in result.warnings)


# ---------------------------------------------------------------- malformed input
def test_binary_and_garbage_gemfile_do_not_crash(make_tree: MakeTree) -> None:
    root = make_tree({"Gemfile": "gem \"rails\nend\nend\ngroup do\n\x00", "Gemfile.lock": b"\x00\x01binary", ".ruby-version": "\n"})
    result = inspect_tree(root)
    assert result.apps[0].language.value == "ruby"
    assert result.apps[0].runtime_version.is_default

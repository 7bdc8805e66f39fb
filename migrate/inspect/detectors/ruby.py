"""Ruby: Bundler; Rails, Sinatra, Hanami, Roda and plain Rack apps; Sidekiq workers.

Every web app is served by Puma, the Rails default and the most common Rack
server: with the app's own ``config/puma.rb`` when it has one, else bound to
``0.0.0.0`` on the framework's usual port. Dependencies come from the Gemfile,
runtime groups only: gems in ``group :development, :test`` blocks are what
``BUNDLE_WITHOUT=development:test`` leaves out of the image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    EnvRead,
    Findings,
    FrameworkDetector,
    first_match,
    match_evidence,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME, HEALTH_PATH
from migrate.profile import Evidence

_KNOWN_MINORS = ("3.0", "3.1", "3.2", "3.3", "3.4")
_RB = (".rb", ".ru")
#: Gems that make a Gemfile a runnable web app rather than a library or tooling.
_WEB_GEMS = ("rails", "railties", "sinatra", "hanami", "roda")
#: Groups ``BUNDLE_WITHOUT`` leaves out of a production install.
_DEV_GROUPS = frozenset({"development", "test"})
_INSTALL_ENV = "BUNDLE_DEPLOYMENT=1 BUNDLE_WITHOUT=development:test"
#: Platforms in Gemfile.lock that let ``bundle install`` work in a Linux image.
_LINUX_PLATFORMS = re.compile(r"^[ \t]+(ruby|x86_64-linux(-gnu|-musl)?|aarch64-linux(-gnu|-musl)?)\s*$", re.MULTILINE)
#: Gems whose presence means ``assets:precompile`` has work to do.
_ASSET_GEMS = ("propshaft", "sprockets-rails", "sprockets", "jsbundling-rails", "cssbundling-rails", "tailwindcss-rails", "dartsass-rails")


# ---------------------------------------------------------------- Gemfile
@dataclass(frozen=True)
class Gem:
    """One ``gem`` line of a Gemfile."""

    name: str
    line: int
    runtime: bool


_GEM_LINE = re.compile(r"""^[ \t]*gem\s*\(?\s*["']([A-Za-z0-9_.-]+)["'](.*)$""")
_GROUP_BLOCK = re.compile(r"^[ \t]*group\s*\(?(.*?)\)?\s+do\s*(?:#.*)?$")
_OTHER_BLOCK = re.compile(r"\bdo\s*(\|[^|]*\|)?\s*(?:#.*)?$|^[ \t]*(if|unless|case|begin|while|until|def)\b")
_END = re.compile(r"^[ \t]*end\b")
_INLINE_GROUPS = re.compile(r"\bgroups?\s*(?::|=>)\s*(\[[^\]]*\]|%i\[[^\]]*\]|:\w+|[\"']\w+[\"'])")
_GROUP_WORD = re.compile(r"""(?<![\w:]):(\w+)|["'](\w+)["']""")


def gemfile_gems(text: str) -> list[Gem]:
    """Every gem of a Gemfile, each marked runtime unless only in development/test groups."""
    gems: list[Gem] = []
    stack: list[frozenset[str] | None] = []  # one entry per open block: its groups, or None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #")[0] if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        if _END.match(line):
            if stack:
                stack.pop()
            continue
        group = _GROUP_BLOCK.match(line)
        if group:
            stack.append(_group_names(group.group(1)))
            continue
        gem = _GEM_LINE.match(line)
        if gem:
            inline = _INLINE_GROUPS.search(gem.group(2))
            groups = [g for g in stack if g is not None] + ([_group_names(inline.group(1))] if inline else [])
            gems.append(Gem(gem.group(1), number, not any(g and g <= _DEV_GROUPS for g in groups)))
        elif _OTHER_BLOCK.search(line):
            stack.append(None)
    return gems


def _group_names(text: str) -> frozenset[str]:
    """Group names in ``:development, :test``, ``[:test]`` or ``%i[development test]`` (options ignored)."""
    names = {a or b for a, b in _GROUP_WORD.findall(text)}
    for words in re.findall(r"%[iw]\[([^\]]*)\]", text):
        names.update(words.split())
    return frozenset(names)


_GEMSPEC_DEP = re.compile(r"""\.add_(?:runtime_)?dependency\s*\(?\s*["']([A-Za-z0-9_.-]+)["']""")


def _collect_dependencies(app: AppDir, found: Findings) -> None:
    """Runtime gems of the Gemfile (and of the gemspec it points at) as dependencies."""
    gemfile = _gemfile(app)
    text = app.read(gemfile) if gemfile else None
    if text is None:
        return
    for gem in gemfile_gems(text):
        if gem.runtime:
            found.add_dep(gem.name, Evidence(app.rel(gemfile or "Gemfile"), gem.line, f"requires {gem.name}"))
    if re.search(r"^[ \t]*gemspec\b", text, re.MULTILINE):
        for spec in app.glob("*.gemspec"):
            for number, raw in enumerate((app.read(spec) or "").splitlines(), start=1):
                match = _GEMSPEC_DEP.search(raw)
                if match:
                    found.add_dep(match.group(1), Evidence(app.rel(spec), number, f"requires {match.group(1)}"))


def _gemfile(app: AppDir) -> str | None:
    return next((n for n in ("Gemfile", "gems.rb") if app.has(n)), None)


def _lockfile(app: AppDir) -> str | None:
    return next((n for n in ("Gemfile.lock", "gems.locked") if app.has(n)), None)


# ---------------------------------------------------------------- runtime
_VERSION = re.compile(r"^(?:ruby-)?(\d+\.\d+(?:\.\d+)?)(?:p\d+)?$")
_GEMFILE_RUBY = re.compile(r"""^[ \t]*ruby\s*\(?\s*(?:["']([^"']+)["']((?:\s*,\s*["'][^"']+["'])*)|file:\s*["']([^"']+)["'])""", re.MULTILINE)
_LOCK_RUBY = re.compile(r"^RUBY VERSION\s*\n\s+ruby (\d+\.\d+\.\d+)(?:p\d+)?", re.MULTILINE)
_TOOL_RUBY = re.compile(r"^ruby\s+(\d+\.\d+(?:\.\d+)?)\s*$", re.MULTILINE)


def _runtime(app: AppDir, found: Findings) -> None:
    """Exact pins first (.ruby-version, Gemfile, Gemfile.lock, .tool-versions), then a Gemfile range."""
    for source in (_ruby_version_file, _gemfile_exact, _lock_version, _tool_versions, _gemfile_range):
        pinned = source(app)
        if pinned is not None:
            found.set("runtime_version", pinned[0], pinned[1])
            return
    default = DEFAULT_RUNTIME["ruby"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no Ruby version pinned; using {default}"), default=True)


Pin = tuple[str, Evidence]


def _ruby_version_file(app: AppDir, name: str = ".ruby-version") -> Pin | None:
    text = (app.read(name) or "").strip()
    if not text:
        return None
    match = _VERSION.match(text.splitlines()[0].strip())
    if match is None:
        return None  # jruby-9.4, truffleruby...: not an MRI version we can build
    return match.group(1), app.evidence(name, f"pins Ruby {match.group(1)}", re.escape(text.splitlines()[0].strip()))


def _gemfile_directive(app: AppDir) -> re.Match[str] | None:
    gemfile = _gemfile(app)
    return _GEMFILE_RUBY.search(app.read(gemfile) or "") if gemfile else None


def _gemfile_exact(app: AppDir) -> Pin | None:
    match = _gemfile_directive(app)
    gemfile = _gemfile(app) or "Gemfile"
    if match is None:
        return None
    if match.group(3):  # ruby file: ".ruby-version" (Bundler 2.4.20+)
        target = match.group(3)
        pinned = _tool_versions(app, target) if target.endswith(".tool-versions") else _ruby_version_file(app, target)
        return (pinned[0], app.evidence(gemfile, f"ruby file: {target!r} pins Ruby {pinned[0]}", r"^[ \t]*ruby\b")) if pinned else None
    version = _VERSION.match(match.group(1).strip().lstrip("= ").strip())
    if version is None or match.group(2) or re.match(r"\s*[~<>!]", match.group(1)):
        return None
    return version.group(1), app.evidence(gemfile, f"ruby {match.group(1)!r} in Gemfile", r"^[ \t]*ruby\b")


def _gemfile_range(app: AppDir) -> Pin | None:
    match = _gemfile_directive(app)
    if match is None or match.group(3):
        return None
    requirements = [match.group(1)] + re.findall(r"[\"']([^\"']+)[\"']", match.group(2) or "")
    version = pick_minor(requirements, _KNOWN_MINORS, DEFAULT_RUNTIME["ruby"])
    if version is None:
        return None
    spec = ", ".join(requirements)
    return version, app.evidence(_gemfile(app) or "Gemfile", f"ruby {spec!r} in Gemfile allows {version}", r"^[ \t]*ruby\b")


def _lock_version(app: AppDir) -> Pin | None:
    lock = _lockfile(app)
    match = _LOCK_RUBY.search(app.read(lock) or "") if lock else None
    if match is None or lock is None:
        return None
    return match.group(1), app.evidence(lock, f"RUBY VERSION {match.group(1)}", r"^[ \t]+ruby \d")


def _tool_versions(app: AppDir, name: str = ".tool-versions") -> Pin | None:
    match = _TOOL_RUBY.search(app.read(name) or "")
    if match is None:
        return None
    return match.group(1), app.evidence(name, f"pins Ruby {match.group(1)}", r"^ruby\s")


_REQUIREMENT = re.compile(r"^[ \t]*(~>|>=|<=|!=|>|<|=)?\s*(\d+(?:\.\d+)*)\s*$")


def pick_minor(requirements: list[str], minors: tuple[str, ...], default: str) -> str | None:
    """The default minor if RubyGems-style ``requirements`` allow it, else the newest allowed one."""
    checks = []
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if match is None:
            return None
        checks.append((match.group(1) or "=", _parts(match.group(2))))
    allowed = [m for m in minors if any(all(_satisfies(v, op, want) for op, want in checks) for v in _probe(m))]
    if not allowed:
        return None
    return default if default in allowed else allowed[-1]


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _probe(minor: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The first and a late patch release of a minor: a minor is allowed if either is."""
    return _parts(minor) + (0,), _parts(minor) + (99,)


def _satisfies(version: tuple[int, ...], op: str, want: tuple[int, ...]) -> bool:
    size = max(len(version), len(want))
    have, need = version + (0,) * (size - len(version)), want + (0,) * (size - len(want))
    if op == "~>":  # pessimistic: >= want and < want with its second-to-last part bumped
        upper = want[:-1] if len(want) > 1 else want
        upper = upper[:-1] + (upper[-1] + 1,)
        return have >= need and have[: len(upper)] < upper
    return {"=": have == need, "!=": have != need, ">": have > need, "<": have < need, ">=": have >= need, "<=": have <= need}[op]


# ---------------------------------------------------------------- package manager
def _package_manager(app: AppDir, found: Findings) -> None:
    lock = _lockfile(app)
    gemfile = _gemfile(app) or "Gemfile"
    found.set("package_manager", "bundler", app.evidence(lock, "Bundler lockfile") if lock else app.evidence(gemfile, "Gemfile, no lockfile"))
    found.detail("install_command", "bundle install")
    if lock is None:
        found.warnings.append("no Gemfile.lock: gem versions are resolved at build time; run `bundle lock` and commit it")
        found.detail("install_env", "BUNDLE_WITHOUT=development:test")
        return
    found.detail("install_env", _INSTALL_ENV)
    text = app.read(lock) or ""
    bundled = re.search(r"^BUNDLED WITH\s*\n\s+(\d+\.\d+\.\d+)", text, re.MULTILINE)
    found.detail("bundler_version", bundled.group(1) if bundled else None)
    platforms = re.search(r"^PLATFORMS\s*\n((?:\s+\S+\s*\n?)+)", text, re.MULTILINE)
    if platforms and not _LINUX_PLATFORMS.search(platforms.group(1)):
        found.warnings.append(f"{lock} lists no Linux platform; run `bundle lock --add-platform x86_64-linux aarch64-linux`")


# ---------------------------------------------------------------- build inputs
#: Runtime gems whose native extensions link a system library (the generated image installs it).
_SYSTEM_LIBRARY_GEMS = ("pg", "mysql2", "ruby-vips", "image_processing", "rmagick")
#: Gemfile lines that need more than the Gemfile and lockfile to install (the gemspec, local paths).
_NEEDS_SOURCE = re.compile(r"^[ \t]*(gemspec|eval_gemfile)\b|\bpath:\s|:path\s*=>", re.MULTILINE)
_GIT_SOURCE = re.compile(r"\b(git|github|gist|bitbucket):\s|:(git|github)\s*=>|^[ \t]*git\s", re.MULTILINE)
_RUBY_FILE = re.compile(r"""^[ \t]*ruby\s*\(?\s*file:\s*["']([^"'\s]+)["']""", re.MULTILINE)


def _code(text: str) -> str:
    """A Gemfile without its comments (a commented-out ``github:`` gem is no git source)."""
    return "\n".join(line.split(" #")[0] for line in text.splitlines() if not line.lstrip().startswith("#"))


def _build_inputs(app: AppDir, found: Findings) -> None:
    """What an image build needs before the source: manifests, system libraries, git, bootsnap.

    ``manifests`` lists the files ``bundle install`` reads (Gemfile, lockfile, a ``ruby file:``
    target), unless the Gemfile also needs source (``gemspec``, ``path:`` gems): then none.
    """
    gemfile = _gemfile(app)
    if gemfile is None:
        return
    text = _code(app.read(gemfile) or "")
    files = [gemfile, *(f for f in (_lockfile(app),) if f)]
    ruby_file = _RUBY_FILE.search(text)
    if ruby_file and app.has(ruby_file.group(1)):
        files.append(ruby_file.group(1))
    if not _NEEDS_SOURCE.search(text) and not any(re.search(r"\s", f) for f in files):
        found.detail("manifests", " ".join(files))
    native = [g for g in _SYSTEM_LIBRARY_GEMS if g in found.deps]
    found.detail("native_gems", " ".join(native) if native else None)
    if _GIT_SOURCE.search(text):
        found.detail("git_sources", "true")
    if "bootsnap" in found.deps:
        # Rails' own Dockerfile precompiles the app's code too; only folders that exist.
        dirs = [f"{d}/" for d in ("app", "lib") if app.has_dir(d)]
        if dirs:
            found.detail("bootsnap_precompile", "bundle exec bootsnap precompile " + " ".join(dirs))


# ---------------------------------------------------------------- servers
_PUMA_PORT = re.compile(
    r"""^[ \t]*(?:port\s+(?:ENV\.fetch\(\s*["']\w+["']\s*(?:,\s*["']?(\d{2,5})["']?\s*\)|\)\s*\{\s*["']?(\d{2,5})["']?\s*\})|(\d{2,5}))"""
    r"""|bind\s+["']tcp://[^:'"]*:(\d{2,5})["'])""",
    re.MULTILINE,
)


def _puma_config_port(app: AppDir) -> tuple[int, Evidence] | None:
    """The port ``config/puma.rb`` binds (``port ENV.fetch("PORT") { 3000 }``, ``bind "tcp://...:N"``)."""
    text = app.read("config/puma.rb") or ""
    match = _PUMA_PORT.search(text)
    if match is None:
        return None
    port = int(next(g for g in match.groups() if g))
    line = text.count("\n", 0, match.start()) + 1
    return port, Evidence(app.rel("config/puma.rb"), line, f"Puma binds port {port}")


def _needs(found: Findings, gem: str, why: str) -> None:
    if gem not in found.deps:
        found.warnings.append(f"{gem} is not in the Gemfile; add it ({why})")
        found.detail("extra_dependency", gem)


def _rack_server(app: AppDir, found: Findings, port: int, why: Evidence) -> None:
    """Start a Rack app (``config.ru``) under Puma, or Unicorn when that is the app's server."""
    if app.has("config/puma.rb"):
        cmd = "bundle exec puma -C config/puma.rb"
        if _puma_config_port(app) is None:
            cmd += f" -b tcp://0.0.0.0:{port}"
        found.set("start_command", cmd, app.evidence("config/puma.rb", "Puma configuration"))
    elif "unicorn" in found.deps and "puma" not in found.deps:
        found.set("start_command", f"bundle exec unicorn -o 0.0.0.0 -p {port} config.ru", why, found.deps["unicorn"])
    else:
        server = found.deps.get("puma")
        found.set("start_command", f"bundle exec puma -b tcp://0.0.0.0:{port} config.ru", *(why, server) if server else (why,))
        _needs(found, "puma", "the production Rack server")


def _set_port(app: AppDir, found: Findings, default: int, why: str) -> int:
    """Puma's configured port, else the framework's default; returns the port chosen."""
    configured = _puma_config_port(app)
    if configured is not None:
        found.set("port", configured[0], configured[1])
    found.set("port", default, Evidence(app.path, None, why), default=True)
    value = found.get("port")
    return value if isinstance(value, int) else default


# ---------------------------------------------------------------- frameworks
#: ``get "up" => "rails/health#show"`` (Rails, Hanami), ``get "/healthz" do`` (Sinatra), ``r.get "ping"`` (Roda).
_GET_ROUTE = re.compile(r"""^[ \t]*(?:r\.)?get\s*\(?\s*["'](/?[\w-]+)["']\s*(?:(?:=>|,\s*to:)\s*["']([\w/.#]+)["'])?""", re.MULTILINE)
_TEST_DIR = re.compile(r"(^|/)(spec|test)/")


def _route_health(app: AppDir, found: Findings, paths: list[str]) -> None:
    """The first GET route, in ``paths`` (tree-relative), whose path is a conventional health path."""
    for path in paths:
        text = app.tree.read_text(path) or ""
        for match in _GET_ROUTE.finditer(text):
            route = "/" + match.group(1).lstrip("/")
            if HEALTH_PATH.match(route):
                reason = "Rails health check route" if match.group(2) == "rails/health#show" else f"route {route}"
                found.set("health_path", route, Evidence(path, text.count("\n", 0, match.start()) + 1, reason))
                return


def _code_paths(app: AppDir) -> list[str]:
    """The app's Ruby files outside spec/ and test/."""
    return [p for p in app.source_files(_RB) if not _TEST_DIR.search(p)]
_APPLICATION = re.compile(r"<\s*Rails::Application\b")


class RailsDetector(FrameworkDetector):
    """Rails: Puma, assets precompiled at build, ``db:prepare`` on release, the ``/up`` health route."""

    name = "rails"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``rails``/``railties`` gem or a ``Rails::Application`` in config/application.rb."""
        evidence = found.dep("rails", "railties")
        if evidence is None and _APPLICATION.search(app.read("config/application.rb") or ""):
            evidence = app.evidence("config/application.rb", "Rails application class", _APPLICATION.pattern)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        port = _set_port(app, found, 3000, "Rails' default port")
        if app.has("config/puma.rb"):
            _rack_server(app, found, port, evidence)
        else:
            found.set("start_command", f"bundle exec rails server -b 0.0.0.0 -p {port}", evidence)
            _needs(found, "puma", "the server `rails server` runs in production")
        self._build(app, found)
        if app.has("config/database.yml"):
            found.detail("release_command", "bundle exec rails db:prepare")
        _route_health(app, found, [app.rel("config/routes.rb")])
        self._secret(app, found, evidence)
        found.detail("runtime_env", "RAILS_ENV=production")
        return True

    def _build(self, app: AppDir, found: Findings) -> None:
        evidence = found.dep(*_ASSET_GEMS)
        if evidence is None and app.has_dir("app/assets"):
            evidence = Evidence(app.rel("app/assets"), None, "asset folder")
        if evidence is not None:
            found.set("build_command", "bundle exec rails assets:precompile", Evidence(evidence.path, evidence.line, f"{evidence.reason}: assets to precompile"))
            # Rails 7.1+: precompile without the real secret key (it is a run-time secret).
            found.detail("build_env", "RAILS_ENV=production SECRET_KEY_BASE_DUMMY=1")

    def _secret(self, app: AppDir, found: Findings, rails: Evidence) -> None:
        """Production Rails refuses to boot without a secret key base: say which variable provides it."""
        if app.has("config/credentials.yml.enc"):
            why = Evidence(app.rel("config/credentials.yml.enc"), None, "encrypted credentials need the master key")
            # Only the real key decrypts the committed file: a made-up one makes boot fail, so no placeholder.
            found.env_reads.append(EnvRead("RAILS_MASTER_KEY", why, needed=True, shape="encryption-key"))
        else:
            found.env_reads.append(EnvRead("SECRET_KEY_BASE", Evidence(rails.path, rails.line, "Rails needs a secret key base in production"), needed=True))


_SINATRA_PORT = re.compile(r"""\bset\s*\(?\s*:port\s*,\s*(?:ENV\.fetch\(\s*["']\w+["']\s*,\s*)?["']?(\d{2,5})""")
_SINATRA_REQUIRE = re.compile(r"""^[ \t]*require\s*\(?\s*["']sinatra["']""", re.MULTILINE)


class SinatraDetector(FrameworkDetector):
    """Sinatra: its ``config.ru`` under Puma, or a classic app file run with ``ruby``."""

    name = "sinatra"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``sinatra`` gem."""
        evidence = found.dep("sinatra")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        hit = first_match(app, (".rb",), _SINATRA_PORT)
        if hit is not None and _puma_config_port(app) is None:
            found.set("port", int(hit[2].group(1)), match_evidence(hit, "set :port"))
        port = _set_port(app, found, 4567, "Sinatra's default port")
        found.detail("runtime_env", "APP_ENV=production RACK_ENV=production")
        _route_health(app, found, _code_paths(app))
        if app.has("config.ru"):
            _rack_server(app, found, port, app.evidence("config.ru", "Rack app", r"^[ \t]*run\b"))
            return True
        classic = first_match(app, (".rb",), _SINATRA_REQUIRE)
        if classic is None:
            found.warnings.append("could not find the Sinatra app file (no config.ru, no `require \"sinatra\"`)")
            return True
        script = classic[0][len(app.path) + 1 :] if app.path != "." else classic[0]
        found.set("start_command", f"bundle exec ruby {script} -o 0.0.0.0 -p {port}", match_evidence(classic, "classic Sinatra app"))
        _needs(found, "puma", "the server Sinatra runs on")
        return True


_RACK_PORTS = {"hanami": (2300, "Hanami's default port"), "roda": (9292, "Puma's default port"), "rack": (9292, "Puma's default port")}


class RackDetector(FrameworkDetector):
    """Hanami, Roda and plain Rack apps: a ``config.ru`` under Puma."""

    name = "rack"

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on a ``config.ru``, or on the ``hanami``/``roda`` gem."""
        kind = next((g for g in ("hanami", "roda") if g in found.deps), "rack")
        evidence = found.deps.get(kind) or (app.evidence("config.ru", "Rack app", r"^[ \t]*run\b") if app.has("config.ru") else None)
        if evidence is None:
            return False
        found.set("framework", kind, evidence)
        port, why = _RACK_PORTS[kind]
        port = _set_port(app, found, port, why)
        found.detail("runtime_env", "RACK_ENV=production" if kind != "hanami" else "HANAMI_ENV=production RACK_ENV=production")
        _route_health(app, found, _code_paths(app))
        if not app.has("config.ru"):
            found.warnings.append(f"{kind} app without a config.ru: could not tell how to start it")
            return True
        _rack_server(app, found, port, evidence)
        return True


# ---------------------------------------------------------------- workers
_SIDEKIQ_JOB = re.compile(r"^[ \t]*include\s+Sidekiq::(?:Job|Worker)\b", re.MULTILINE)


def _sidekiq(app: AppDir, found: Findings) -> None:
    """A ``worker`` process for Sidekiq: Rails loads jobs itself, other apps need ``-r``."""
    evidence = found.dep("sidekiq")
    if evidence is None:
        return
    command = "bundle exec sidekiq"
    if found.get("framework") != "rails":
        job = first_match(app, (".rb",), _SIDEKIQ_JOB)
        if job is None:
            found.warnings.append("sidekiq is a dependency but no Sidekiq job class was found to load")
            return
        command += " -r ./" + (job[0][len(app.path) + 1 :] if app.path != "." else job[0])
    if app.has("config/sidekiq.yml"):
        command += " -C config/sidekiq.yml"
    found.add_process("worker", command, evidence)


class RubyEcosystem(Ecosystem):
    """Ruby apps with a Gemfile."""

    language = "ruby"
    frameworks = (RailsDetector(), SinatraDetector(), RackDetector())

    def claim(self, app: AppDir) -> Claim | None:
        """Claim folders with a Gemfile; runnable with a web framework gem or a ``config.ru``."""
        gemfile = _gemfile(app)
        if gemfile is None:
            return None
        found = Findings()
        _collect_dependencies(app, found)
        strong = app.has("config.ru") or any(g in found.deps for g in _WEB_GEMS)
        return Claim(self.language, 2 if strong else 1, app.evidence(gemfile, "Ruby Gemfile"))

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, Bundler, runtime gems, the framework, then Sidekiq."""
        _runtime(app, found)
        _package_manager(app, found)
        _collect_dependencies(app, found)
        self.run_frameworks(app, found)
        _sidekiq(app, found)
        _build_inputs(app, found)


ECOSYSTEM = RubyEcosystem()

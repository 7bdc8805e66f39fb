"""Static sites: plain HTML folders and the Hugo, Jekyll and MkDocs generators.

A static site has no server of its own: later stages serve its document root
with a web server running as a non-root user, which cannot bind port 80, so
the port is the unprivileged web servers' 8080. There is no runtime version
and no start command to find.

Claim rules (the fallback ecosystem, last in the registry):

* a folder with ``index.html`` and no manifest of another ecosystem is a
  static site (strength 1); discovery drops it when another app encloses it,
  so a Python app's ``templates/index.html`` never becomes an app;
* the tree's root, when it has neither ``index.html`` nor another ecosystem's
  manifest but has ``public/``, ``site/`` or ``docs/`` with an ``index.html``
  (Firebase/Netlify publish folders, GitHub Pages' ``docs/``), is a static
  site whose document root is that folder; only at the root, where the
  folder is surely the repository's own site and not one app's assets;
* a generator configuration (Hugo, Jekyll, MkDocs) is a site built by that
  generator (strength 2: it is unmistakably a site, even next to the
  ``Gemfile``/``requirements.txt``/``go.mod`` the generator itself needs).
"""

from __future__ import annotations

import re

from migrate.inspect.detectors.base import AppDir, Claim, Ecosystem, Findings, FrameworkDetector
from migrate.inspect.knowledge import HEALTH_PATH
from migrate.profile import Evidence

#: Manifests of other ecosystems: a folder holding one is not a plain static site.
_OTHER_MANIFESTS: tuple[str, ...] = (
    "package.json", "deno.json", "deno.jsonc", "bun.lockb",
    "pyproject.toml", "requirements.txt", "Pipfile", "setup.py", "setup.cfg", "manage.py",
    "go.mod", "Cargo.toml", "pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle",
    "Gemfile", "config.ru", "composer.json", "index.php", "mix.exs",
    "*.csproj", "*.fsproj", "*.sln", "requirements*.txt",
)  # fmt: skip
#: Conventional document-root folders of a repository that is a static site, in preference order.
_ROOT_LAYOUTS: tuple[str, ...] = ("public", "site", "docs")
#: The port unprivileged web-server images (nginx-unprivileged, Caddy as non-root) listen on.
_PORT = 8080
_HEALTH_SUFFIXES: tuple[str, ...] = ("", ".html", ".txt", ".json")
#: Where MkDocs sites keep the requirements of MkDocs and its plugins, in preference order.
_MKDOCS_REQUIREMENTS: tuple[str, ...] = ("requirements.txt", "docs/requirements.txt")


def _other_manifests(app: AppDir) -> list[str]:
    """Names of other ecosystems' manifests in the app folder."""
    found: list[str] = []
    for pattern in _OTHER_MANIFESTS:
        names = app.glob(pattern) if "*" in pattern else ([pattern] if app.has(pattern) else [])
        found.extend(n for n in names if n not in found)
    return found


def _document_root(app: AppDir) -> str | None:
    """The folder (relative to the app) holding the site's ``index.html``, or None."""
    if app.has("index.html"):
        return "."
    if app.path != ".":
        return None
    return next((d for d in _ROOT_LAYOUTS if app.has(f"{d}/index.html")), None)


# ---------------------------------------------------------------- generators
class _GeneratorDetector(FrameworkDetector):
    """A static-site generator: its config file, build command and output folder."""

    #: Config files that identify the generator.
    configs: tuple[str, ...] = ()
    #: Other ecosystems' manifests a site of this generator commonly has for the generator itself.
    own_manifests: frozenset[str] = frozenset()
    #: Default output folder, and the config key that moves it.
    output: str = ""
    output_key: str = ""

    def config(self, app: AppDir) -> str | None:
        """The generator's config file in ``app``, or None."""
        return next((c for c in self.configs if app.has(c)), None)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Set framework, build command and output folder when the config is present."""
        config = self.config(app)
        if config is None:
            return False
        found.set("framework", self.name, app.evidence(config, f"{self.name} configuration"))
        self.install(app, found)
        found.set("build_command", self.build(app), app.evidence(config, f"{self.name} builds the site"))
        output = self._output(app, config)
        found.detail("output_dir", output)
        found.detail("document_root", output)
        files = [f for f in self.manifests(app, config) if app.has(f) and not re.search(r"\s", f)]
        if files:
            found.detail("manifests", " ".join(files))  # space-separated: names with spaces are left out
        return True

    def install(self, app: AppDir, found: Findings) -> None:
        """Package manager and install command of the generator's own dependencies."""

    def manifests(self, app: AppDir, config: str) -> list[str]:
        """Files the generator's dependencies install from (copied before the content), if present."""
        return []

    def build(self, app: AppDir) -> str:  # pragma: no cover - interface
        """The command that renders the site."""
        raise NotImplementedError

    def _output(self, app: AppDir, config: str) -> str:
        # Read the key with a regex: mkdocs.yml often holds `!!python/name:` tags a safe YAML load rejects.
        text = app.read(config) or ""
        match = re.search(rf"""^\s*"?{self.output_key}"?\s*[:=]\s*["']?([^"'\s#,]+)""", text, re.MULTILINE | re.IGNORECASE)
        if match is None:
            return self.output
        return match.group(1).removeprefix("./").strip("/") or self.output


class HugoDetector(_GeneratorDetector):
    """Hugo: ``hugo.toml`` (or a ``config.*`` with ``baseURL``), built into ``public/``."""

    name = "hugo"
    configs = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml")
    own_manifests = frozenset({"go.mod", "package.json"})  # Hugo modules; PostCSS tooling
    output = "public"
    output_key = "publishDir"

    def config(self, app: AppDir) -> str | None:
        """``hugo.*``, or a ``config.*`` with ``baseURL`` next to Hugo's folders (a bare config.toml is anyone's)."""
        for name in self.configs:
            if not app.has(name):
                continue
            if name.startswith("hugo.") or (self._has_layout(app) and re.search(r"(?im)^\s*\"?baseurl\"?\s*[:=]", app.read(name) or "")):
                return name
        return None

    @staticmethod
    def _has_layout(app: AppDir) -> bool:
        return any(app.has_dir(d) for d in ("content", "layouts", "themes", "archetypes"))

    def build(self, app: AppDir) -> str:
        """``hugo --minify``."""
        return "hugo --minify"

    def manifests(self, app: AppDir, config: str) -> list[str]:
        """Hugo Modules: ``go.mod``/``go.sum``, and the config that imports the modules."""
        return [config, "go.mod", "go.sum"] if app.has("go.mod") else []


class JekyllDetector(_GeneratorDetector):
    """Jekyll: ``_config.yml``, built into ``_site/``, with Bundler when there is a Gemfile."""

    name = "jekyll"
    configs = ("_config.yml", "_config.yaml")
    own_manifests = frozenset({"Gemfile"})
    output = "_site"
    output_key = "destination"

    def install(self, app: AppDir, found: Findings) -> None:
        """Bundler installs Jekyll and its plugins when a Gemfile lists them."""
        if app.has("Gemfile"):
            found.set("package_manager", "bundler", app.evidence("Gemfile", "Jekyll's gems"))
            found.detail("install_command", "bundle install")

    def manifests(self, app: AppDir, config: str) -> list[str]:
        """Bundler's ``Gemfile`` and ``Gemfile.lock``."""
        return ["Gemfile", "Gemfile.lock"]

    def build(self, app: AppDir) -> str:
        """``jekyll build``, through Bundler when there is a Gemfile."""
        return "bundle exec jekyll build" if app.has("Gemfile") else "jekyll build"


class MkDocsDetector(_GeneratorDetector):
    """MkDocs: ``mkdocs.yml``, built into ``site/``, its plugins from requirements.txt."""

    name = "mkdocs"
    configs = ("mkdocs.yml", "mkdocs.yaml")
    # Not pyproject.toml: a Python project's docs are not the project (it wins the tie at strength 1).
    own_manifests = frozenset({"requirements.txt"})
    output = "site"
    output_key = "site_dir"

    def install(self, app: AppDir, found: Findings) -> None:
        """pip installs MkDocs and its plugins (from requirements.txt when there is one)."""
        requirements = next((r for r in _MKDOCS_REQUIREMENTS if app.has(r)), None)
        if requirements is not None:
            found.set("package_manager", "pip", app.evidence(requirements, "MkDocs and its plugins"))
            found.detail("install_command", f"pip install -r {requirements}")
            return
        found.detail("install_command", "pip install mkdocs")

    def manifests(self, app: AppDir, config: str) -> list[str]:
        """The requirements file of MkDocs and its plugins."""
        return [next((r for r in _MKDOCS_REQUIREMENTS if app.has(r)), _MKDOCS_REQUIREMENTS[0])]

    def build(self, app: AppDir) -> str:
        """``mkdocs build``."""
        return "mkdocs build"


_GENERATORS: tuple[_GeneratorDetector, ...] = (HugoDetector(), JekyllDetector(), MkDocsDetector())


# ---------------------------------------------------------------- health
def _health_file(app: AppDir, root: str) -> tuple[str, str] | None:
    """``(url path, tree-relative file)`` of a health file in the document root, or None."""
    folder = "" if root == "." else root + "/"
    for name in app.files(root):
        stem, suffix = (name.rsplit(".", 1)[0], "." + name.rsplit(".", 1)[1]) if "." in name else (name, "")
        if suffix in _HEALTH_SUFFIXES and HEALTH_PATH.match(stem):
            return "/" + name, app.rel(folder + name)
    for sub in app.dirs(root):
        if HEALTH_PATH.match(sub) and app.has(f"{folder}{sub}/index.html"):
            return f"/{sub}/", app.rel(f"{folder}{sub}/index.html")
    return None


class StaticEcosystem(Ecosystem):
    """Static sites, served as files by a web server."""

    language = "static"
    frameworks = _GENERATORS

    def claim(self, app: AppDir) -> Claim | None:
        """A generator config (2), or an ``index.html`` with no other ecosystem's manifest (1).

        A generator config next to another ecosystem's manifest that the
        generator does not need claims only 1: that ecosystem, earlier in the
        registry, wins the tie (a library's GitHub Pages ``_config.yml``).
        """
        generator = next(((g, c) for g in _GENERATORS if (c := g.config(app)) is not None), None)
        if generator is not None:
            detector, config = generator
            strength = 1 if set(_other_manifests(app)) - detector.own_manifests else 2
            return Claim(self.language, strength, app.evidence(config, f"{detector.name} site configuration"))
        root = _document_root(app)
        # Other manifests looked for last: most folders of a tree are neither a site nor an app.
        if root is None or _other_manifests(app):
            return None
        index = "index.html" if root == "." else f"{root}/index.html"
        reason = "index.html and no other manifest" if root == "." else f"the repository's site in {root}/"
        return Claim(self.language, 1, app.evidence(index, reason))

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Generator (if any), document root, the web server's port, a health file."""
        self.run_frameworks(app, found)
        root = _document_root(app)
        if not found.has("framework"):
            found.detail("document_root", root or ".")
        found.set("port", _PORT, Evidence(app.path, None, "static files served by a non-root web server on 8080"), default=True)
        self._health(app, found, root)

    def _health(self, app: AppDir, found: Findings, root: str | None) -> None:
        if root is None or found.has("framework"):
            return  # a generator's output does not exist before the build
        hit = _health_file(app, root)
        if hit is not None:
            path, file = hit
            found.set("health_path", path, Evidence(file, None, f"health file served at {path}"))


ECOSYSTEM = StaticEcosystem()

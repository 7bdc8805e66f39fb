"""Python: pip, poetry, pipenv, uv, pdm, setuptools; Django, FastAPI, Flask, Streamlit, Celery."""

from __future__ import annotations

import re
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from migrate.inspect.detectors.base import (
    AppDir,
    Claim,
    Ecosystem,
    Findings,
    FrameworkDetector,
    first_match,
    match_evidence,
)
from migrate.inspect.knowledge import DEFAULT_RUNTIME
from migrate.profile import Evidence

_MANIFESTS = ("pyproject.toml", "requirements.txt", "Pipfile", "setup.py", "setup.cfg", "manage.py", "uv.lock", "poetry.lock")
_REQUIREMENT_FILES = (
    "requirements.txt",
    "requirements/production.txt",
    "requirements/prod.txt",
    "requirements/base.txt",
    "requirements/common.txt",
    "requirements.in",
)
_KNOWN_MINORS = tuple(f"3.{m}" for m in range(8, 15))
_FRAMEWORK_DEPS = ("django", "fastapi", "flask", "streamlit", "celery", "starlette", "gunicorn", "uvicorn")
_PY = (".py",)


# ---------------------------------------------------------------- name and runtime
def _name(app: AppDir, found: Findings) -> None:
    data = app.toml("pyproject.toml") or {}
    name = _get(data, "project", "name") or _get(data, "tool", "poetry", "name")
    if isinstance(name, str) and name:
        found.name = (name, app.evidence("pyproject.toml", "project name", r"^\s*name\s*="))


def _runtime(app: AppDir, found: Findings) -> None:
    for name in (".python-version", "runtime.txt", ".tool-versions"):
        text = app.read(name)
        if text is None:
            continue
        match = re.search(r"^(?:python[- ]+)?(\d+\.\d+(?:\.\d+)?)\s*$", text, re.MULTILINE)
        if match and (name != ".tool-versions" or "python" in match.group(0)):
            found.set("runtime_version", match.group(1), app.evidence(name, f"pins Python {match.group(1)}", re.escape(match.group(0))))
            return
    spec_source = _requires_python(app)
    if spec_source is not None:
        spec, evidence = spec_source
        version = _pick_minor(spec)
        if version is not None:
            found.set("runtime_version", version, evidence)
            return
    default = DEFAULT_RUNTIME["python"]
    found.set("runtime_version", default, Evidence(app.path, None, f"no Python version pinned; using {default}"), default=True)


def _requires_python(app: AppDir) -> tuple[str, Evidence] | None:
    data = app.toml("pyproject.toml") or {}
    spec = _get(data, "project", "requires-python")
    if isinstance(spec, str):
        return spec, app.evidence("pyproject.toml", f"requires-python {spec!r}", r"requires-python")
    poetry = _get(data, "tool", "poetry", "dependencies", "python")
    if isinstance(poetry, str):
        return _poetry_spec(poetry), app.evidence("pyproject.toml", f"poetry python {poetry!r}", r"^\s*python\s*=")
    pipfile = app.toml("Pipfile") or {}
    pinned = _get(pipfile, "requires", "python_version") or _get(pipfile, "requires", "python_full_version")
    if isinstance(pinned, str):
        return f"=={pinned}.*" if pinned.count(".") == 1 else f"=={pinned}", app.evidence("Pipfile", f"python_version {pinned!r}", r"python_(full_)?version")
    return None


def _poetry_spec(spec: str) -> str:
    """Poetry's ``^3.11`` / ``~3.11`` to a PEP 440 specifier."""
    spec = spec.strip()
    match = re.fullmatch(r"([\^~])\s*(\d+)\.(\d+)(?:\.\d+)?", spec)
    if match:
        major, minor = int(match.group(2)), int(match.group(3))
        upper = f"{major + 1}.0" if match.group(1) == "^" else f"{major}.{minor + 1}"
        return f">={major}.{minor},<{upper}"
    return spec


def _pick_minor(spec: str) -> str | None:
    """The default Python if ``spec`` allows it, else the newest known minor it allows."""
    try:
        allowed = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    default = DEFAULT_RUNTIME["python"]
    if allowed.contains(default + ".0") or allowed.contains(default):
        return default
    matching = [v for v in _KNOWN_MINORS if allowed.contains(v + ".0") or allowed.contains(v)]
    return matching[-1] if matching else None


# ---------------------------------------------------------------- package manager
_INSTALL = {
    "uv": "uv sync --frozen --no-dev",
    "poetry": "poetry install --only main --no-root",
    "pdm": "pdm install --prod --frozen-lockfile",
    "pipenv": "pipenv install --deploy",
    "setuptools": "pip install .",
}


def _package_manager(app: AppDir, found: Findings) -> None:
    data = app.toml("pyproject.toml") or {}
    checks: tuple[tuple[str, str | None, str, str | None], ...] = (
        ("uv", "uv.lock", "uv lockfile", None),
        ("poetry", "poetry.lock", "poetry lockfile", None),
        ("pdm", "pdm.lock", "pdm lockfile", None),
        ("pipenv", "Pipfile.lock", "pipenv lockfile", None),
        ("pipenv", "Pipfile", "Pipfile", None),
        ("poetry", "pyproject.toml", "[tool.poetry] section", "poetry"),
        ("pdm", "pyproject.toml", "[tool.pdm] section", "pdm"),
        ("uv", "pyproject.toml", "[tool.uv] section", "uv"),
    )
    for manager, file, reason, tool_key in checks:
        if file and app.has(file) and (tool_key is None or _get(data, "tool", tool_key) is not None):
            pattern = rf"^\[tool\.{tool_key}" if tool_key else None
            found.set("package_manager", manager, app.evidence(file, reason, pattern))
            found.detail("install_command", _INSTALL[manager])
            return
    requirements = _requirements_file(app)
    if requirements is not None:
        found.set("package_manager", "pip", app.evidence(requirements, "pip requirements file"))
        found.detail("requirements_file", requirements)
        found.detail("install_command", f"pip install -r {requirements}")
        return
    for file in ("setup.py", "setup.cfg", "pyproject.toml"):
        if app.has(file):
            manager = "setuptools" if file != "pyproject.toml" or _uses_setuptools(data) else "pip"
            found.set("package_manager", manager, app.evidence(file, "installable project, no lockfile"))
            found.detail("install_command", "pip install .")
            return


def _uses_setuptools(data: dict[str, Any]) -> bool:
    backend = _get(data, "build-system", "build-backend")
    return not isinstance(backend, str) or backend.startswith("setuptools")


def _requirements_file(app: AppDir) -> str | None:
    for name in _REQUIREMENT_FILES:
        if app.has(name):
            return name
    others = [n for n in app.glob("requirements*.txt") if not re.search(r"dev|test|lint|doc", n)]
    return others[0] if others else None


# ---------------------------------------------------------------- dependencies
def _collect_dependencies(app: AppDir, found: Findings) -> None:
    requirements = _requirements_file(app)
    if requirements is not None:
        _requirements(app, requirements, found, depth=0)
    data = app.toml("pyproject.toml") or {}
    for spec in _get(data, "project", "dependencies") or []:
        if isinstance(spec, str):
            _add_requirement(app, "pyproject.toml", spec, found)
    poetry = _get(data, "tool", "poetry", "dependencies")
    if isinstance(poetry, dict):
        for name in poetry:
            if name.lower() != "python":
                _add_named(app, "pyproject.toml", name, found)
    pipfile = app.toml("Pipfile") or {}
    packages = pipfile.get("packages")
    if isinstance(packages, dict):
        for name in packages:
            _add_named(app, "Pipfile", name, found)
    for file in ("setup.py", "setup.cfg"):
        text = app.read(file)
        if text and "install_requires" in text:
            block = text[text.index("install_requires") :]
            for spec in re.findall(r"[\"']([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*[<>=!~;\"']", block[:2000]):
                _add_named(app, file, spec, found)
            for spec in re.findall(r"^\s+([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:[<>=!~;]|$)", block[:2000], re.MULTILINE):
                _add_named(app, file, spec, found)


def _requirements(app: AppDir, name: str, found: Findings, depth: int) -> None:
    text = app.read(name)
    if text is None or depth > 3:
        return
    folder = name.rpartition("/")[0]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        include = re.match(r"^(?:-r|--requirement)\s*(\S+)", line)
        if include:
            target = f"{folder}/{include.group(1)}" if folder else include.group(1)
            _requirements(app, target, found, depth + 1)
            continue
        if line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        found.add_dep(canonicalize_name(requirement.name), Evidence(app.rel(name), number, f"requires {requirement.name}"))


def _add_requirement(app: AppDir, file: str, spec: str, found: Findings) -> None:
    try:
        name = Requirement(spec).name
    except InvalidRequirement:
        return
    _add_named(app, file, name, found)


def _add_named(app: AppDir, file: str, name: str, found: Findings) -> None:
    canonical = canonicalize_name(name)
    if canonical in found.deps:
        return
    pattern = r"[\"'\s]" + re.escape(name) + r"\b"
    evidence = app.evidence(file, f"requires {name}", pattern)
    if evidence.line is None:
        evidence = app.evidence(file, f"requires {name}", r"(?i)^" + re.escape(name) + r"\b")
    found.add_dep(canonical, evidence)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# ---------------------------------------------------------------- frameworks
def _module_of(app: AppDir, path: str) -> str:
    """Dotted module name of a tree-relative ``.py`` path, relative to the app (and its ``src/``)."""
    rel = path[len(app.path) + 1 :] if app.path != "." else path
    rel = rel.removeprefix("src/")
    return rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _app_dir_flag(app: AppDir, path: str) -> str:
    rel = path[len(app.path) + 1 :] if app.path != "." else path
    return " --chdir src" if rel.startswith("src/") else ""


_PORT_KWARG = re.compile(r"\b(?:app\.run|uvicorn\.run|web\.run_app|\.run_server|run)\([^)]*\bport\s*=\s*(\d{2,5})")


def _port(app: AppDir, found: Findings, default: int, why: str) -> None:
    hit = first_match(app, _PY, _PORT_KWARG)
    if hit is not None:
        found.set("port", int(hit[2].group(1)), match_evidence(hit, "port passed in code"))
    found.set("port", default, Evidence(app.path, None, why), default=True)


def _needs(found: Findings, dependency: str, why: str) -> None:
    if dependency not in found.deps:
        found.warnings.append(f"{dependency} is not a dependency; add it ({why})")
        found.detail("extra_dependency", dependency)


def _celery_worker(app: AppDir, found: Findings, module: str) -> None:
    if "celery" in found.deps:
        found.add_process("worker", f"celery -A {module} worker --loglevel=INFO", found.deps["celery"])


class DjangoDetector(FrameworkDetector):
    """Django, served by gunicorn (WSGI) or uvicorn (ASGI with Channels)."""

    name = "django"
    _SETTINGS = re.compile(r"DJANGO_SETTINGS_MODULE[\"']\s*,\s*[\"']([\w.]+)[\"']")
    _WSGI = re.compile(r"^WSGI_APPLICATION\s*=\s*[\"']([\w.]+)\.application[\"']", re.MULTILINE)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on a ``django`` dependency or a ``manage.py``."""
        evidence = found.dep("django") or (app.evidence("manage.py", "Django manage.py") if app.has("manage.py") else None)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        project = self._project(app)
        wsgi = first_match(app, _PY, self._WSGI)
        module = wsgi[2].group(1) if wsgi else (f"{project}.wsgi" if project else None)
        if module is None:
            found.warnings.append("could not find the Django WSGI module (WSGI_APPLICATION)")
            return True
        why = match_evidence(wsgi, "WSGI_APPLICATION") if wsgi else app.evidence("manage.py", f"settings module {project}.settings")
        found.set("start_command", f"gunicorn {module}:application --bind 0.0.0.0:8000", why)
        _needs(found, "gunicorn", "the production WSGI server")
        _port(app, found, 8000, "gunicorn's default port")
        found.detail("wsgi_module", module)
        found.detail("release_command", "python manage.py migrate --noinput")
        static_root = first_match(app, _PY, re.compile(r"^STATIC_ROOT\s*=", re.MULTILINE))
        if static_root is not None:
            found.set("build_command", "python manage.py collectstatic --noinput", match_evidence(static_root, "STATIC_ROOT is set"))
        _celery_worker(app, found, project or module.split(".")[0])
        return True

    def _project(self, app: AppDir) -> str | None:
        text = app.read("manage.py") or ""
        match = self._SETTINGS.search(text)
        return match.group(1).rsplit(".", 1)[0] if match else None


class AsgiDetector(FrameworkDetector):
    """FastAPI and Starlette, served by uvicorn."""

    def __init__(self, name: str, constructor: str) -> None:
        self.name = name  # type: ignore[misc]
        self._pattern = re.compile(rf"^(\w+)\s*(?::\s*\w+\s*)?=\s*{constructor}\(", re.MULTILINE)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the dependency; find the module-level app object."""
        evidence = found.dep(self.name)
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        hit = first_match(app, _PY, self._pattern)
        if hit is None:
            found.warnings.append(f"could not find the {self.name} app object")
            return True
        target = f"{_module_of(app, hit[0])}:{hit[2].group(1)}"
        src = " --app-dir src" if _app_dir_flag(app, hit[0]) else ""
        found.set("start_command", f"uvicorn {target} --host 0.0.0.0 --port 8000 --proxy-headers{src}", match_evidence(hit, f"{self.name} app object"))
        _needs(found, "uvicorn", "the production ASGI server")
        _port(app, found, 8000, "uvicorn's usual port")
        found.detail("asgi_app", target)
        return True


class FlaskDetector(FrameworkDetector):
    """Flask, served by gunicorn; app object or ``create_app()`` factory."""

    name = "flask"
    _APP = re.compile(r"^(\w+)\s*=\s*Flask\(", re.MULTILINE)
    _FACTORY = re.compile(r"^def (create_app|make_app)\(", re.MULTILINE)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``flask`` dependency."""
        evidence = found.dep("flask")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        hit = first_match(app, _PY, self._APP)
        factory = None if hit else first_match(app, _PY, self._FACTORY)
        chosen = hit or factory
        if chosen is None:
            found.warnings.append("could not find the Flask app object or factory")
            return True
        target = f"{_module_of(app, chosen[0])}:{chosen[2].group(1)}" + ("()" if factory else "")
        reason = "Flask app object" if hit else "Flask app factory"
        cmd = f"gunicorn '{target}' --bind 0.0.0.0:8000" if factory else f"gunicorn {target} --bind 0.0.0.0:8000"
        found.set("start_command", cmd + _app_dir_flag(app, chosen[0]), match_evidence(chosen, reason))
        _needs(found, "gunicorn", "the production WSGI server")
        _port(app, found, 8000, "gunicorn's default port")
        found.detail("wsgi_app", target)
        _celery_worker(app, found, _module_of(app, chosen[0]))
        return True


class StreamlitDetector(FrameworkDetector):
    """Streamlit apps: ``streamlit run`` on the script that imports streamlit."""

    name = "streamlit"
    _IMPORT = re.compile(r"^import streamlit|^from streamlit\b", re.MULTILINE)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``streamlit`` dependency."""
        evidence = found.dep("streamlit")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        preferred = [app.rel(n) for n in ("streamlit_app.py", "app.py", "main.py", "Home.py") if app.has(n)]
        hits = [h for h in app.grep(_PY, self._IMPORT)]
        script = next((p for p in preferred if any(h[0] == p for h in hits)), hits[0][0] if hits else None)
        if script is None:
            found.warnings.append("could not find the Streamlit script")
            return True
        rel = script[len(app.path) + 1 :] if app.path != "." else script
        cmd = f"streamlit run {rel} --server.port 8501 --server.address 0.0.0.0 --server.headless true"
        found.set("start_command", cmd, Evidence(script, None, "imports streamlit"))
        found.set("port", 8501, Evidence(app.path, None, "Streamlit's default port"), default=True)
        found.set("health_path", "/_stcore/health", Evidence(app.path, None, "Streamlit's built-in health endpoint"))
        return True


class CeleryDetector(FrameworkDetector):
    """A Celery worker with no web framework: a process, no port."""

    name = "celery"
    _APP = re.compile(r"^(\w+)\s*=\s*Celery\(", re.MULTILINE)

    def detect(self, app: AppDir, found: Findings) -> bool:
        """Match on the ``celery`` dependency when no web framework matched."""
        evidence = found.dep("celery")
        if evidence is None:
            return False
        found.set("framework", self.name, evidence)
        hit = first_match(app, _PY, self._APP)
        module = _module_of(app, hit[0]) if hit else None
        if module is None:
            found.warnings.append("could not find the Celery app object")
            return True
        found.set("start_command", f"celery -A {module} worker --loglevel=INFO", match_evidence(hit, "Celery app object") if hit else evidence)
        found.detail("worker", "true")
        return True


_MAIN_GUARD = re.compile(r"^if __name__ == [\"']__main__[\"']\s*:", re.MULTILINE)


def _fallback_start(app: AppDir, found: Findings) -> None:
    """No framework: a ``[project.scripts]`` entry point, or a main script."""
    if found.has("start_command"):
        return
    scripts = _get(app.toml("pyproject.toml") or {}, "project", "scripts")
    if isinstance(scripts, dict) and len(scripts) == 1:
        script = next(iter(scripts))
        found.set("start_command", script, app.evidence("pyproject.toml", "the project's only console script", r"^\[project\.scripts\]"))
        return
    for name in ("main.py", "app.py", "server.py", "run.py", "__main__.py"):
        if app.has(name) and _MAIN_GUARD.search(app.read(name) or ""):
            found.set("start_command", f"python {name}", app.evidence(name, "script with a __main__ guard", _MAIN_GUARD.pattern))
            return


class PythonEcosystem(Ecosystem):
    """Python apps, from any of its manifests."""

    language = "python"
    frameworks = (
        DjangoDetector(),
        AsgiDetector("fastapi", "FastAPI"),
        AsgiDetector("starlette", "Starlette"),
        FlaskDetector(),
        StreamlitDetector(),
        CeleryDetector(),
    )

    def claim(self, app: AppDir) -> Claim | None:
        """Claim folders with a Python manifest; runnable when a web/worker framework is a dependency."""
        manifest = next((m for m in _MANIFESTS if app.has(m)), None)
        if manifest is None and not app.glob("requirements*.txt"):
            return None
        manifest = manifest or app.glob("requirements*.txt")[0]
        evidence = app.evidence(manifest, "Python manifest")
        found = Findings()
        _collect_dependencies(app, found)
        strong = app.has("manage.py") or any(d in found.deps for d in _FRAMEWORK_DEPS)
        return Claim(self.language, 2 if strong else 1, evidence)

    def inspect(self, app: AppDir, found: Findings) -> None:
        """Runtime, package manager, dependencies, then the framework."""
        _name(app, found)
        _runtime(app, found)
        _package_manager(app, found)
        _collect_dependencies(app, found)
        self.run_frameworks(app, found)
        _fallback_start(app, found)


ECOSYSTEM = PythonEcosystem()

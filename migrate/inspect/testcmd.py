"""The command that runs an app's own tests, found in its tree (with evidence), or None when none is known.

Read only when a CI workflow is generated: it is not part of ``migrate inspect``'s report. Each rule
is small and says where it looked; an app whose tests migrate cannot see gets no test step (the
workflow says so) rather than a guess that fails every build.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from migrate.profile import AppProfile, Evidence

#: ``npm init``'s placeholder script: it fails on purpose, so it is no test suite.
_NPM_PLACEHOLDER = "no test specified"
#: Test runners a Python project declares (requirements files, pyproject.toml).
_PYTEST = re.compile(r"^\s*[\"']?pytest\b", re.IGNORECASE)
_PYTHON_MANIFESTS = ("requirements-dev.txt", "requirements-test.txt", "dev-requirements.txt", "test-requirements.txt",
                     "requirements/dev.txt", "requirements/test.txt", "pyproject.toml", "requirements.txt")
_PYTEST_CONFIGS = ("pytest.ini", "conftest.py", "tests/conftest.py")
_NODE_RUN = {"npm": "npm test", "pnpm": "pnpm test", "yarn": "yarn test", "bun": "bun run test"}


@dataclass(frozen=True)
class TestCommand:
    """A shell command line run in the app's folder, and where it was found."""

    __test__ = False  # not a pytest test class, whatever its name

    command: str
    evidence: Evidence


def test_command(root: Path, app: AppProfile) -> TestCommand | None:
    """The app's test command (run in its folder), or None when its tree shows no test suite migrate knows."""
    folder = root / app.path
    language = app.language.value
    if language == "node":
        return _node(folder, app)
    if language == "python":
        return _python(folder, app)
    if language == "go":
        found = next((p for p in sorted(folder.rglob("*_test.go")) if "vendor" not in p.parts), None)
        return TestCommand("go test ./...", Evidence(_rel(root, found), None, "a Go test file")) if found else None
    return None


def _node(folder: Path, app: AppProfile) -> TestCommand | None:
    manifest = folder / "package.json"
    try:
        scripts = json.loads(manifest.read_text(encoding="utf-8")).get("scripts") or {}
    except (OSError, ValueError, AttributeError):
        return None
    script = scripts.get("test") if isinstance(scripts, dict) else None
    if not isinstance(script, str) or not script.strip() or _NPM_PLACEHOLDER in script:
        return None
    run = _NODE_RUN.get(app.package_manager.value or "npm", "npm test")
    return TestCommand(run, Evidence(_app_rel(app, "package.json"), _line_of(manifest, '"test"'), f"scripts.test: {script}"))


def _python(folder: Path, app: AppProfile) -> TestCommand | None:
    # uv: the venv the image activates (VIRTUAL_ENV), where the dev setup (`uv sync --active`) installed
    run = "uv run --active pytest" if app.package_manager.value == "uv" else "python -m pytest"
    for name in _PYTHON_MANIFESTS:
        line = _line_matching(folder / name, _PYTEST)
        if line is not None:
            return TestCommand(run, Evidence(_app_rel(app, name), line, "pytest is declared"))
    for name in _PYTEST_CONFIGS:
        if (folder / name).is_file():
            return TestCommand(run, Evidence(_app_rel(app, name), None, "a pytest configuration"))
    return None


def _line_matching(path: Path, pattern: re.Pattern[str]) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((i for i, line in enumerate(lines, 1) if pattern.search(line)), None)


def _line_of(path: Path, text: str) -> int | None:
    return _line_matching(path, re.compile(re.escape(text)))


def _app_rel(app: AppProfile, name: str) -> str:
    return name if app.path in (".", "") else f"{app.path}/{name}"


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()

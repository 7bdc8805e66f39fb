"""Hostile source trees: inspect only reads, never escapes, never hangs, never crashes.

Every test builds a tree with something a real repository can hold by accident
or by malice (symlink cycles, links out of the tree, huge or binary manifests,
FIFOs, malformed or explosive manifests, non-UTF-8 names, unreadable files) and
checks the outcome of the whole pipeline: the apps found, and a warning
naming the file where one is due.

Permission tests must work as root too (CI runs as root, and root reads a
``chmod 000`` file anyway): they run the inspection in a forked child that
drops to the ``nobody`` user first when it is root.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Result

from migrate.cli import main
from migrate.environment import Environment
from migrate.inspect import inspect_tree
from migrate.inspect.detectors import ECOSYSTEM_MODULES
from migrate.profile import Inspection

MakeTree = Callable[[dict[str, str | bytes]], Path]
RunCli = Callable[..., Result]

FLASK_APP = {
    "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n",
    "app.py": 'import os\nfrom flask import Flask\n\napp = Flask(__name__)\nSECRET_KEY = os.environ["SECRET_KEY"]\n',
}


def flask_app(folder: str = ".") -> dict[str, str | bytes]:
    """A small runnable Flask app in ``folder``."""
    prefix = "" if folder == "." else folder + "/"
    return {prefix + name: text for name, text in FLASK_APP.items()}


def app_paths(inspection: Inspection) -> list[str]:
    """The folders of the apps found, sorted."""
    return sorted(a.path for a in inspection.apps)


def warning_about(inspection: Inspection, path: str, *words: str) -> str | None:
    """The first warning that starts with ``path`` and contains every word, or None."""
    for warning in inspection.warnings:
        if warning.startswith(path + ":") and all(w in warning for w in words):
            return warning
    return None


class Blocked(BaseException):
    """Raised by :func:`deadline`; not an OSError, so no ``except OSError`` in the code swallows it."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block blocks longer than ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise Blocked(f"blocked for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- symlinks
def test_symlink_to_a_folder_outside_the_tree_is_not_read(make_tree: MakeTree, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "other").mkdir(parents=True)
    (outside / "other" / "requirements.txt").write_text("django==5.0\n", encoding="utf-8")
    (outside / "other" / "manage.py").write_text("import django\n", encoding="utf-8")
    root = make_tree(flask_app("web"))
    (root / "other").symlink_to(outside / "other")
    result = inspect_tree(root)
    assert app_paths(result) == ["web"]
    assert warning_about(result, "other", "symlink points outside the tree")
    assert not any("django" in str(a.to_json()) for a in result.apps)


def test_symlink_to_a_manifest_outside_the_tree_is_not_read(make_tree: MakeTree, tmp_path: Path) -> None:
    outside = tmp_path / "secret-requirements.txt"
    outside.write_text("django==5.0\n", encoding="utf-8")
    root = make_tree({"api/app.py": "print('hi')\n"})
    (root / "api" / "requirements.txt").symlink_to(outside)
    result = inspect_tree(root)
    assert app_paths(result) == []
    assert warning_about(result, "api/requirements.txt", "outside the tree")
    assert any(w.startswith("no app found") for w in result.warnings)


@pytest.mark.parametrize("target", [".", "..", "../..", "loop"])
def test_symlink_cycles_do_not_loop(make_tree: MakeTree, target: str) -> None:
    root = make_tree(flask_app("svc/web"))
    link = root / "svc" / "web" / "loop"
    link.symlink_to(target)
    (root / "svc" / "again").symlink_to("web")
    with deadline(20):
        result = inspect_tree(root)
    assert app_paths(result) == ["svc/web"]
    if target == "../..":  # the tree root itself: inside, but a folder, so not followed
        assert not warning_about(result, "svc/web/loop")


def test_symlink_escaping_through_the_parent_is_skipped(make_tree: MakeTree) -> None:
    root = make_tree(flask_app())
    (root / "up").symlink_to("..")
    result = inspect_tree(root)
    assert app_paths(result) == ["."]
    assert warning_about(result, "up", "outside the tree")


def test_dangling_symlinks_are_harmless(make_tree: MakeTree) -> None:
    root = make_tree(flask_app())
    (root / "Procfile").symlink_to("does-not-exist")
    (root / "lib").mkdir()
    (root / "lib" / "requirements.txt").symlink_to("../gone/requirements.txt")
    result = inspect_tree(root)
    assert app_paths(result) == ["."]
    assert result.apps[0].framework.value == "flask"


def test_symlink_inside_the_tree_to_a_file_inside_is_read(make_tree: MakeTree) -> None:
    root = make_tree({"app.py": FLASK_APP["app.py"], "requirements/prod.txt": "flask==3.0.3\ngunicorn==22.0.0\n"})
    (root / "requirements.txt").symlink_to("requirements/prod.txt")
    result = inspect_tree(root)
    (app,) = result.apps
    assert app.framework.value == "flask"
    assert [str(e) for e in app.framework.evidence] == ["requirements.txt:1: requires flask"]


def test_symlink_to_a_folder_inside_does_not_duplicate_the_app(make_tree: MakeTree) -> None:
    root = make_tree(flask_app("services/api"))
    (root / "api").symlink_to("services/api")
    assert app_paths(inspect_tree(root)) == ["services/api"]


# ---------------------------------------------------------------- size, binary, special files
def test_a_manifest_over_the_size_bound_is_not_read(make_tree: MakeTree) -> None:
    huge = "django==5.0.6\n" * (2 * 1024 * 1024 // 14)
    root = make_tree({"requirements.txt": huge, "app.py": "print('hi')\n"})
    assert (root / "requirements.txt").stat().st_size >= 2_000_000
    result = inspect_tree(root)
    assert warning_about(result, "requirements.txt", "not read, larger than")
    assert all(a.framework.value != "django" for a in result.apps)


@pytest.mark.parametrize("name", ["requirements.txt", "pyproject.toml", "Pipfile", "package.json", "compose.yaml"])
def test_binary_files_with_manifest_names_are_not_read(make_tree: MakeTree, name: str) -> None:
    binary = b"django\nflask\n\x00\x00\x00\x89PNG\r\n\x1a\n" + bytes(range(256))
    root = make_tree({**flask_app("web"), f"tool/{name}": binary})
    with deadline(20):
        result = inspect_tree(root)
    assert "web" in app_paths(result)
    for app in result.apps:
        assert app.framework.value != "django"
        if app.path == "tool":
            assert app.framework.value is None
    assert not any("malformed" in w for w in result.warnings)


def test_a_fifo_named_like_a_manifest_does_not_hang_the_scan(make_tree: MakeTree) -> None:
    root = make_tree(flask_app("web"))
    (root / "api").mkdir()
    os.mkfifo(root / "api" / "requirements.txt")
    os.mkfifo(root / "web" / "compose.yaml")
    os.mkfifo(root / ".gitignore")
    (root / "web" / ".env.example").symlink_to("compose.yaml")
    with deadline(20):
        result = inspect_tree(root)
    assert app_paths(result) == ["web"]


def test_a_socket_named_like_a_manifest_is_ignored(make_tree: MakeTree) -> None:
    import socket

    root = make_tree(flask_app("web"))
    (root / "api").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(root / "api" / "requirements.txt"))
        with deadline(20):
            result = inspect_tree(root)
    finally:
        sock.close()
    assert app_paths(result) == ["web"]


# ---------------------------------------------------------------- skipped folders
@pytest.mark.parametrize(
    "folder",
    ["node_modules", ".git", ".venv", "venv", "vendor", "target", "dist", "build", "__pycache__", "site-packages", ".tox"],
)
def test_manifests_in_skipped_folders_never_create_apps(make_tree: MakeTree, folder: str) -> None:
    root = make_tree(
        {
            **flask_app("web"),
            f"{folder}/requirements.txt": "django==5.0\n",
            f"{folder}/pkg/pyproject.toml": "[project]\nname = 'dep'\ndependencies = ['fastapi']\n",
            f"{folder}/pkg/package.json": '{"name": "dep", "dependencies": {"express": "4"}}',
            f"web/{folder}/requirements.txt": "django==5.0\n",
            f"web/{folder}/lib/manage.py": "import django\n",
        }
    )
    assert app_paths(inspect_tree(root)) == ["web"]


def test_a_virtualenv_under_another_name_never_creates_apps(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            **flask_app(),
            "py312env/pyvenv.cfg": "home = /usr/bin\nversion = 3.12.3\n",
            "py312env/lib/python3.12/site-packages/django/requirements.txt": "django\n",
            "py312env/src/thing/pyproject.toml": "[project]\nname = 'thing'\ndependencies = ['fastapi']\n",
            "py312env/src/thing/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        }
    )
    result = inspect_tree(root)
    assert app_paths(result) == ["."]
    assert not any("py312env" in w for w in result.warnings)


# ---------------------------------------------------------------- .gitignore
def test_gitignore_rules_hide_apps(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            ".gitignore": "# local experiments\n/scratch\nold-*/\nservices/*\n!services/api/\nsecret-app/\n",
            **flask_app("scratch"),
            **flask_app("old-web"),
            **flask_app("services/api"),
            **flask_app("services/legacy"),
            **flask_app("tools/scratch"),  # /scratch is anchored at the root
            "notes/secret-app": "a file, not a folder: dir-only patterns do not hide it",
            **flask_app("secret-app"),
            "apps/.gitignore": "ignored-here/\n",
            **flask_app("apps/ignored-here"),
            **flask_app("apps/shown"),
            **flask_app("ignored-here"),  # the nested rule does not apply above its folder
        }
    )
    assert app_paths(inspect_tree(root)) == ["apps/shown", "ignored-here", "services/api", "tools/scratch"]


def test_an_ignored_manifest_does_not_count_but_the_app_stays(make_tree: MakeTree) -> None:
    root = make_tree({**flask_app(), ".gitignore": "pyproject.toml\n", "pyproject.toml": "[project\nbroken"})
    result = inspect_tree(root)
    assert app_paths(result) == ["."]
    assert not any("pyproject.toml" in w for w in result.warnings)


# ---------------------------------------------------------------- malformed manifests
@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("pyproject.toml", '[project]\nname = "api"\ndependencies = ["flask"\n', "TOML"),
        ("pyproject.toml", "\x00not toml", None),  # binary: not read at all
        ("Pipfile", "[packages]\nflask = \n[requires\n", "TOML"),
        ("compose.yaml", "services:\n  db:\n    image: postgres:16\n   ports: [\n", "YAML"),
        ("docker-compose.yml", "services: {db: {image: 'postgres\n", "YAML"),
    ],
)
def test_malformed_python_manifests_and_compose_files_warn_and_inspect_goes_on(
    make_tree: MakeTree, name: str, content: str, kind: str | None
) -> None:
    root = make_tree({**flask_app(), name: content})
    result = inspect_tree(root)
    assert app_paths(result) == ["."]
    assert result.apps[0].framework.value == "flask"
    if kind is not None:
        assert warning_about(result, name, f"malformed {kind}")


def test_a_malformed_pyproject_alone_still_gives_a_result(make_tree: MakeTree) -> None:
    root = make_tree({"pyproject.toml": "[project]]\nname = = 'x'\n", "main.py": "print(1)\n"})
    result = inspect_tree(root)
    assert warning_about(result, "pyproject.toml", "malformed TOML")
    assert [a.language.value for a in result.apps] == ["python"]
    assert result.apps[0].name == "tree"  # no name from the broken manifest: the folder's


def test_a_yaml_alias_bomb_in_compose_does_not_explode(make_tree: MakeTree) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(8)]
    bomb += ["services: &s {db: {image: postgres:16, x: *i}, web: {build: ., depends_on: [db], y: *i}}"]
    root = make_tree({**flask_app(), "compose.yaml": "\n".join(bomb) + "\n"})
    with deadline(20):
        result = inspect_tree(root)
        text = json.dumps(result.to_json())
    assert app_paths(result) == ["."]
    assert "postgres" in result.apps[0].to_json()["backing_services"]
    assert len(text) < 100_000


#: Manifests other ecosystems read: (module that reads it, files, the malformed file, kind), by id.
OTHER_ECOSYSTEMS = {
    "package.json": ("node", {"package.json": '{"name": "web", "scripts": {"start": "node server.js",}'}, "package.json", "JSON"),
    "pnpm-workspace.yaml": (
        "node",
        {"package.json": '{"name": "mono", "private": true}', "pnpm-lock.yaml": "lockfileVersion: '9.0'\n", "pnpm-workspace.yaml": "packages:\n  - 'apps/*\n  - [\n"},
        "pnpm-workspace.yaml",
        "YAML",
    ),
    "pom.xml": ("java", {"pom.xml": "<project><modelVersion>4.0.0</modelVersion><artifactId>svc</project>"}, "pom.xml", "XML"),
    "pom.xml-billion-laughs": ("java", {"pom.xml": None}, "pom.xml", "XML"),  # None: the XML bomb
    "composer.json": ("php", {"composer.json": '{"require": {"laravel/framework": "^11.0"'}, "composer.json", "JSON"),
    "Cargo.toml": ("rust", {"Cargo.toml": '[package]\nname = "svc"\nversion = 0.1.0\n'}, "Cargo.toml", "TOML"),
    "csproj": ("dotnet", {"Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup></Project>'}, "Api.csproj", "XML"),
}


@pytest.mark.parametrize(("module", "files", "broken", "kind"), list(OTHER_ECOSYSTEMS.values()), ids=list(OTHER_ECOSYSTEMS))
def test_malformed_manifests_of_other_ecosystems_warn_and_inspect_goes_on(
    make_tree: MakeTree, module: str, files: dict[str, str | None], broken: str, kind: str
) -> None:
    if module not in ECOSYSTEM_MODULES:
        pytest.skip(f"the {module} ecosystem is not registered yet, so nothing reads {broken}")
    from test_tree import BILLION_LAUGHS

    content = {f"other/{k}": (v if v is not None else BILLION_LAUGHS) for k, v in files.items()}
    root = make_tree({**flask_app("api"), **content})
    with deadline(20):
        result = inspect_tree(root)
    assert "api" in app_paths(result)
    assert warning_about(result, f"other/{broken}", f"malformed {kind}")


# ---------------------------------------------------------------- encodings and names
def test_non_utf8_file_and_folder_names_are_skipped_with_a_warning(make_tree: MakeTree) -> None:
    root = make_tree(flask_app("web"))
    base = os.fsencode(root)
    os.mkdir(base + b"/legacy-\xe9t\xe9")
    for path, data in ((b"/legacy-\xe9t\xe9/requirements.txt", b"django\n"), (b"/web/caf\xe9.py", b"x = 1\n")):
        fd = os.open(base + path, os.O_CREAT | os.O_WRONLY, 0o644)
        os.write(fd, data)
        os.close(fd)
    result = inspect_tree(root)
    assert app_paths(result) == ["web"]
    assert warning_about(result, "legacy-\\xe9t\\xe9", "name is not valid UTF-8")
    assert warning_about(result, "web/caf\\xe9.py", "name is not valid UTF-8")
    json.dumps(result.to_json())  # every string is printable as JSON


def test_non_utf8_contents_warn_and_are_still_used(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "requirements.txt": b"# d\xe9pendances\nflask==3.0.3\ngunicorn==22.0.0\n",
            "app.py": b"# -*- coding: latin-1 -*-\n# caf\xe9\nimport os\nfrom flask import Flask\napp = Flask(__name__)\nTOKEN = os.environ['API_TOKEN']\n",
        }
    )
    result = inspect_tree(root)
    (app,) = result.apps
    assert app.framework.value == "flask"
    assert app.start_command.value == "gunicorn app:app --bind 0.0.0.0:8000"
    assert [v.name for v in app.env] == ["API_TOKEN"]
    assert warning_about(result, "requirements.txt", "not valid UTF-8")
    assert warning_about(result, "app.py", "not valid UTF-8")


def test_a_utf8_bom_does_not_hide_anything(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pyproject.toml": b'\xef\xbb\xbf[project]\nname = "bom-app"\nrequires-python = ">=3.12"\ndependencies = ["flask", "gunicorn"]\n',
            "requirements.txt": b"\xef\xbb\xbfflask==3.0.3\n",
            "app.py": b"\xef\xbb\xbffrom flask import Flask\napp = Flask(__name__)\n",
        }
    )
    result = inspect_tree(root)
    (app,) = result.apps
    assert app.name == "bom-app"
    assert app.framework.value == "flask"
    assert [str(e) for e in app.framework.evidence] == ["requirements.txt:1: requires flask"]
    assert app.start_command.value == "gunicorn app:app --bind 0.0.0.0:8000"
    assert not [w for w in result.warnings if "UTF-8" in w or "malformed" in w]


# ---------------------------------------------------------------- shape of the tree
def test_deep_nesting(make_tree: MakeTree) -> None:
    deep = "/".join(f"level{i}" for i in range(200))
    root = make_tree(flask_app(deep))
    result = inspect_tree(root)
    assert app_paths(result) == [deep]
    assert result.apps[0].framework.value == "flask"


def test_an_empty_folder_has_no_app(make_tree: MakeTree) -> None:
    result = inspect_tree(make_tree({}))
    assert result.apps == ()
    assert [w for w in result.warnings if w.startswith("no app found")]


def test_only_unknown_files_gives_no_app_found(make_tree: MakeTree) -> None:
    root = make_tree({"notes.md": "# notes\n", "data/table.csv": "a,b\n1,2\n", "bin/blob.dat": b"\0\1\2", "LICENSE": "MIT\n"})
    result = inspect_tree(root)
    assert result.apps == ()
    assert result.warnings == ("no app found: no manifest of a known ecosystem (package.json, pyproject.toml, go.mod...)",)


def test_inspect_never_writes(make_tree: MakeTree) -> None:
    root = make_tree({**flask_app(), ".gitignore": "x/\n", "compose.yaml": "services: [", "pyproject.toml": "[bad"})
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    inspect_tree(root)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}
    assert before == after


# ---------------------------------------------------------------- PATH errors
def test_missing_path_is_a_one_line_error(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("inspect", str(tmp_path / "nope"))
    assert result.status == 1
    assert result.stdout == ""
    assert result.stderr == f"migrate: error: {tmp_path / 'nope'}: no such file or folder\n"


def test_path_that_is_a_file_is_a_one_line_error(run_cli: RunCli, make_tree: MakeTree) -> None:
    root = make_tree(flask_app())
    result = run_cli("inspect", str(root / "app.py"), "--json")
    assert result.status == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"migrate: error: {root / 'app.py'}: not a folder")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("case", ["missing", "file"])
def test_path_errors_in_a_real_process(make_tree: MakeTree, case: str) -> None:
    root = make_tree(flask_app())
    path = root / "nope" if case == "missing" else root / "app.py"
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "inspect", str(path)],
        capture_output=True, text=True, timeout=60, cwd=REPO, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"migrate: error: {path}: ")
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------- permissions
# As root, the child process becomes ``nobody``: root reads chmod 000 files anyway,
# so only an unprivileged process can see what a user sees.
NOBODY = pwd.getpwnam("nobody") if "nobody" in {p.pw_name for p in pwd.getpwall()} else None


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder in /tmp that an unprivileged user can enter (tmp_path's parents are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="migrate-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)


def build(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` under ``root``, world-readable."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def _drop_privileges() -> None:
    if os.geteuid() != 0:
        return
    if NOBODY is None:
        raise RuntimeError("running as root and there is no 'nobody' user to drop to")
    os.setgroups([])
    os.setgid(NOBODY.pw_gid)
    os.setuid(NOBODY.pw_uid)


def _warm_up(tmp: Path) -> None:
    """Import everything inspect imports lazily: after dropping to nobody, /root's packages are out of reach."""
    for module in ("defusedxml.ElementTree", "json5", "pathspec", "yaml", "migrate.cli.inspect_cmd", "migrate.cli.report"):
        importlib.import_module(module)
    warm = build(tmp / "warm", {**flask_app(), ".gitignore": "x/\n", "compose.yaml": "services: {}\n"})
    inspect_tree(warm)
    cli("inspect", str(warm))
    cli("inspect", str(warm), "--json")


def cli(*args: str) -> dict[str, Any]:
    """Run ``migrate ARGS`` in-process, as the ``run_cli`` fixture does, in a JSON-able form."""
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, stdin=io.StringIO(), width=100, no_color=True)
    status = main(list(args), env)
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}


def unprivileged(func: Callable[[], Any], tmp: Path) -> Any:
    """Run ``func`` in a forked child that file permissions apply to; return its JSON result."""
    _warm_up(tmp)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        os.close(read_end)
        try:
            _drop_privileges()
            payload = {"ok": func()}
        except BaseException as exc:  # noqa: BLE001 - report everything to the parent
            payload = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write_end, "w") as out:
            json.dump(payload, out)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    payload = json.loads(text)
    assert "error" not in payload, payload["error"]
    return payload["ok"]


def test_an_unreadable_manifest_gives_a_warning(open_tmp: Path) -> None:
    root = build(open_tmp / "tree", {**flask_app("web"), **flask_app("api"), "api/pyproject.toml": "[project]\nname = 'api'\n"})
    (root / "api" / "pyproject.toml").chmod(0)
    (root / "web" / "requirements.txt").chmod(0)
    result = unprivileged(lambda: inspect_tree(root).to_json(), open_tmp)
    paths = sorted(a["path"] for a in result["apps"])
    assert paths == ["api", "web"]
    assert any(w.startswith("api/pyproject.toml: cannot read (Permission denied)") for w in result["warnings"])
    assert any(w.startswith("web/requirements.txt: cannot read (Permission denied)") for w in result["warnings"])
    api = next(a for a in result["apps"] if a["path"] == "api")
    assert api["framework"] == "flask"  # requirements.txt still read


def test_an_unreadable_folder_gives_a_warning(open_tmp: Path) -> None:
    root = build(open_tmp / "tree", {**flask_app("web"), **flask_app("locked")})
    (root / "locked").chmod(0)
    result = unprivileged(lambda: inspect_tree(root).to_json(), open_tmp)
    assert [a["path"] for a in result["apps"]] == ["web"]
    assert "locked: cannot read folder (Permission denied)" in result["warnings"]


def test_an_unreadable_gitignore_is_a_warning_not_a_crash(open_tmp: Path) -> None:
    root = build(open_tmp / "tree", {**flask_app(), ".gitignore": "web/\n"})
    (root / ".gitignore").chmod(0)
    result = unprivileged(lambda: inspect_tree(root).to_json(), open_tmp)
    assert [a["path"] for a in result["apps"]] == ["."]
    assert any(w.startswith(".gitignore: cannot read") for w in result["warnings"])


def test_an_unreadable_path_is_a_one_line_error(open_tmp: Path) -> None:
    root = build(open_tmp / "tree", flask_app())
    root.chmod(0)

    outcome = unprivileged(lambda: cli("inspect", str(root)), open_tmp)
    assert outcome == {"status": 1, "stdout": "", "stderr": f"migrate: error: {root}: permission denied\n"}


def test_an_unreadable_path_in_a_real_process(open_tmp: Path) -> None:
    """``python -m migrate inspect`` as an unprivileged process (root drops to nobody first)."""
    root = build(open_tmp / "tree", flask_app())
    root.chmod(0)
    script = (
        "import os, sys\n"
        # Import everything first: the checkout itself may be private to root (mktemp -d is 0700).
        "import click, rich.console, migrate.cli, migrate.cli.inspect_cmd, migrate.inspect\n"
        "migrate.inspect.detectors.ecosystems()\n"
        "if os.geteuid() == 0:\n"
        f"    os.setgroups([]); os.setgid({NOBODY.pw_gid if NOBODY else 65534}); os.setuid({NOBODY.pw_uid if NOBODY else 65534})\n"
        f"sys.argv = ['migrate', 'inspect', {str(root)!r}]\n"
        "migrate.cli.main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == f"migrate: error: {root}: permission denied\n"

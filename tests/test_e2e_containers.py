"""End-to-end: generate, build and run the examples' containers on a real Docker engine.

Marked ``docker``. Without an engine these tests skip with the reason; with
``MIGRATE_REQUIRE_DOCKER=1`` (what ``.ci/run`` sets) they fail instead, so CI
can never pass by skipping them. Base images come from the registry where it
answers, else from the offline stand-ins of ``.ci/base-images.sh``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, require_tool
from docker_images import ensure_base_images

from migrate.cli import main as cli_main
from migrate.containers import engine
from migrate.containers.targets import build_targets
from migrate.environment import Environment
from migrate.generate import generate
from migrate.generate.pinning import image_references
from migrate.generate.services import services_for, wiring
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

pytestmark = pytest.mark.docker

#: Examples built and run here, each app healthy with its backing services.
RUNNABLE = (
    "go-nethttp",
    "static-site",
    "python-flask-postgres",
    "python-fastapi-routers",
    "python-procfile",
    "python-heroku-gunicorn",
    "python-procfile-chain",
    "python-quart",
    "python-streamlit",
    "python-uv-workspace",
    "node-express-redis",
    "node-express-host",
    "node-express-graceful",
    "node-vite-react",
    "node-nextjs",
    "python-django-celery",
    "python-flask-sqlite",
    "python-flask-manage-cli",
    "python-django-site-root",
    "python-flask-config-classes",
    "python-flask-old-pin",
    "python-tornado",
    "node-env-class",
    "node-patch-package",
    "node-pnpm-procfile",
)
#: Examples built and checked here (secrets, cache, user) but not run: their health needs MongoDB,
#: which no reachable registry provides (Debian does not package it).
BUILD_ONLY = ("node-monorepo",)
#: Examples not built here, and why (they are covered by the golden and lint tests).
NOT_RUNNABLE = {
    "python-fastapi-uv": "its health needs MongoDB, which no reachable registry provides (Debian does not package it)",
    "microservices-shop": "run by test_dev_environment (compose) instead",
    "python-flask-celery": "run by test_dev_environment_runs_its_release_step_and_worker (compose) instead",
    "go-gin-postgres": "its Go modules cannot be fetched (no Go module proxy is reachable)",
    "rust-axum": "crates.io is not reachable",
    "java-spring-maven": "Maven Central is not reachable",
    "java-spring-gradle": "Maven Central is not reachable",
    "dotnet-minimal-api": "NuGet is not reachable",
    "ruby-rails": "RubyGems is not reachable",
    "ruby-sinatra": "RubyGems is not reachable",
    "php-laravel": "Packagist is not reachable",
    "php-plain": "no PHP base image can be made offline yet",
    "deno-hono": "the Deno toolchain cannot be fetched",
    "node-no-start": "no start command is known by design: `migrate build` refuses it (tests/test_start_commands.py)",
}
#: Files planted in each copy: none may reach an image.
CANARIES = {
    ".env": "SECRET_TOKEN=canary-env\n",
    ".env.production": "SECRET_TOKEN=canary-env-production\n",
    "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\ncanary\n",
    "deploy.pem": "-----BEGIN PRIVATE KEY-----\ncanary\n",
    ".aws/credentials": "[default]\naws_secret_access_key = canary\n",
    ".npmrc": "//registry.npmjs.org/:_authToken=canary\n",
}
_INSTALL_STEP = ("pip install", "npm ci", "go mod download", "poetry install", "uv sync", "pnpm install", "yarn install")


@dataclass
class Built:
    """An example copied with canaries, generated, and built: one image per app."""

    root: Path
    apps: list[AppProfile]
    tags: dict[str, str]  # app name -> image tag


def _copy_with_canaries(name: str, tmp: Path) -> Path:
    root = tmp / name
    shutil.copytree(EXAMPLES / name, root)
    for rel, content in CANARIES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _cli(*args: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    status = cli_main(list(args), Environment(stdout=out, stderr=err, stdin=None, no_color=True))
    return status, out.getvalue(), err.getvalue()


def _ensure_images_for(root: Path, *, services: bool = False) -> None:
    """The base images the Dockerfiles build on (and, with ``services``, the compose services)."""
    files = [f for f in generate(inspect_tree(root)) if f.output == "dockerfile" or (services and f.output == "compose")]
    refs = image_references(files)
    missing = ensure_base_images(sorted(r for r in refs if not r.startswith("adminer")))
    assert not missing, f"base images missing and not buildable here: {missing}"


_BUILT: dict[str, Built] = {}


def _built(name: str, client: Any, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Copy, generate and build an example once per session (through `migrate build`)."""
    if name in _BUILT:
        return _BUILT[name]
    root = _copy_with_canaries(name, tmp_path_factory.mktemp("e2e"))
    status, _, err = _cli("init", str(root), "--yes")
    assert status == 0, err
    _ensure_images_for(root)
    tag = f"e2e-{name}:latest"
    status, out, err = _cli("build", str(root), "--tag", tag)
    assert status == 0, err[-4000:]
    inspection = inspect_tree(root)
    tags = {t.app.name: t.tag for t in build_targets(inspection, tag)}
    assert all(f"{t}  " in out and " MB  built in " in out for t in tags.values()), out
    _BUILT[name] = Built(root, list(inspection.apps), tags)
    return _BUILT[name]


@pytest.fixture(params=RUNNABLE)
def built(request: pytest.FixtureRequest, client: Any, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _built(request.param, client, tmp_path_factory)


@pytest.fixture(params=RUNNABLE + BUILD_ONLY)
def built_any(request: pytest.FixtureRequest, client: Any, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _built(request.param, client, tmp_path_factory)


# ---------------------------------------------------------------- running
@dataclass
class Running:
    container: Any
    port: int | None


def _wait_healthy(container: Any, seconds: float = 240) -> str:
    deadline = time.monotonic() + seconds
    status = "starting"
    while time.monotonic() < deadline:
        container.reload()
        state = container.attrs["State"]
        status = state.get("Health", {}).get("Status", "none")
        if status in ("healthy", "unhealthy") or not state.get("Running"):
            return status if state.get("Running") else f"exited {state.get('ExitCode')}"
        time.sleep(1)
    return status


#: Label on every container a test starts, so teardown finds them running or not.
LABEL = "org.migrate.e2e"


@pytest.fixture
def network(client: Any) -> Iterator[Any]:
    name = f"migrate-e2e-{os.getpid()}-{time.monotonic_ns()}"
    net = client.networks.create(name)
    yield net
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}={name}"}):
        container.remove(force=True)
    net.remove()


def _start_services(client: Any, network: Any, app: AppProfile) -> None:
    """The app's backing services, reachable on ``network`` by their compose names."""
    missing = ensure_base_images([spec.image for spec in services_for([app])])
    assert not missing, f"service images missing and not buildable here: {missing}"
    for spec in services_for([app]):
        container = client.containers.create(
            spec.image, environment=spec.environment, labels={LABEL: network.name},
            healthcheck={"test": list(spec.healthcheck), "interval": 1_000_000_000, "retries": 120},
        )
        network.connect(container, aliases=[spec.name])
        container.start()
        assert _wait_healthy(container, 120) == "healthy", container.logs()[-2000:].decode(errors="replace")


_DEFAULTED = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:-(.*)\}$")


def _environment(app: AppProfile) -> dict[str, str]:
    """What compose would pass: its wiring, with ``${NAME:-dev value}`` resolved to the dev value."""
    return {k: (m.group(1) if (m := _DEFAULTED.match(v)) else v) for k, v in wiring(app).items()}


def _run_app(client: Any, network: Any, tag: str, app: AppProfile) -> Running:
    container = client.containers.create(
        tag, environment=_environment(app), labels={LABEL: network.name},
        ports={f"{app.port.value}/tcp": ("127.0.0.1", None)} if app.port.value else {},
    )
    network.connect(container)
    container.start()
    status = _wait_healthy(container)
    logs = container.logs()[-3000:].decode(errors="replace")
    assert status == "healthy", f"{app.name}: {status}\n{logs}"
    container.reload()
    port = None
    if app.port.value:
        port = int(container.attrs["NetworkSettings"]["Ports"][f"{app.port.value}/tcp"][0]["HostPort"])
    return Running(container, port)


def test_every_example_is_run_or_explained() -> None:
    names = {p.name for p in EXAMPLES.iterdir() if p.is_dir()}
    assert names == set(RUNNABLE) | set(BUILD_ONLY) | set(NOT_RUNNABLE)


def test_containers_are_healthy_answer_run_unprivileged_and_stop_fast(built: Built, client: Any, network: Any) -> None:
    for app in built.apps:
        _start_services(client, network, app)
        running = _run_app(client, network, built.tags[app.name], app)
        if running.port is not None:
            url = f"http://127.0.0.1:{running.port}{app.health_path.value or '/'}"
            # As a browser on this machine asks: by name (Django's ALLOWED_HOSTS refuses a bare IP).
            request = urllib.request.Request(url, headers={"Host": f"localhost:{running.port}"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200, url
        uid = running.container.exec_run(["id", "-u"]).output.decode().strip()
        assert uid.isdigit() and int(uid) != 0, f"{app.name} runs as uid {uid}"
        started = time.monotonic()
        running.container.stop(timeout=10)
        stopped_in = time.monotonic() - started
        assert stopped_in < 5, f"{app.name}: docker stop took {stopped_in:.1f} s (signals not handled)"


def test_an_app_listening_on_loopback_only_is_unhealthy(client: Any, network: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The probe asks the container's own address, as a client would: a loopback-only app must fail it.

    node-express-host listens on HOST; its image sets HOST=0.0.0.0 (healthy, checked with the
    other examples). Put back on its default, 127.0.0.1, nothing outside reaches it.
    """
    built = _built("node-express-host", client, tmp_path_factory)
    (app,) = built.apps
    container = client.containers.create(
        built.tags[app.name], environment={"HOST": "127.0.0.1"}, labels={LABEL: network.name},
    )
    network.connect(container)
    container.start()
    assert _wait_healthy(container) == "unhealthy"


def test_images_hold_no_vcs_data_env_files_or_secrets(built_any: Built, client: Any) -> None:
    built = built_any
    for app in built.apps:
        container = client.containers.create(built.tags[app.name])
        try:
            names = _filesystem(container)
        finally:
            container.remove(force=True)
        leaked = [n for n in names if _is_leak(n)]
        assert leaked == [], f"{app.name}: {leaked}"


def test_images_declare_a_non_root_user(built_any: Built, client: Any) -> None:
    for app in built_any.apps:
        user = client.images.get(built_any.tags[app.name]).attrs["Config"].get("User") or "root"
        uid = user.split(":")[0]
        assert uid not in ("", "0", "root"), f"{app.name}: image user {user!r}"


def _filesystem(container: Any) -> list[str]:
    """Every path in the container's filesystem (an exported tar stream, read as it arrives)."""
    import io

    class Stream(io.RawIOBase):
        def __init__(self, chunks: Iterator[bytes]) -> None:
            self.chunks, self.buffer = chunks, b""

        def readable(self) -> bool:
            return True

        def readinto(self, target: Any) -> int:
            while not self.buffer:
                try:
                    self.buffer = next(self.chunks)
                except StopIteration:
                    return 0
            size = min(len(target), len(self.buffer))
            target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
            return size

    with tarfile.open(fileobj=io.BufferedReader(Stream(iter(container.export()))), mode="r|") as archive:
        return [member.name for member in archive]


def _is_leak(name: str) -> bool:
    parts = name.strip("/").split("/")
    base = parts[-1]
    return ".git" in parts or base in {".env", ".env.production", "id_rsa", "deploy.pem", ".npmrc"} or ".aws" in parts


def test_a_source_change_reuses_the_dependency_layer(built_any: Built, client: Any) -> None:
    built = built_any
    inspection = inspect_tree(built.root)
    for target in build_targets(inspection, "e2e-rebuild:latest"):
        _touch_source(built.root / target.app.path)
        result = engine.build(client, context=str(target.context), dockerfile=target.dockerfile, tag=target.tag, target="runtime")
        steps = _steps(result.log)
        copies_source = [s for s in steps if s[0].startswith("COPY") and (" . " in s[0] or s[0].endswith(" ."))]
        assert copies_source and not any(cached for _, cached in copies_source), f"{target.app.name}: the change was not seen"
        installs = [s for s in steps if s[0].startswith("RUN") and any(k in s[0] for k in _INSTALL_STEP)]
        # The dependencies install before the source arrives, from cache; what follows the source (the
        # project itself, --no-deps) reruns by design.
        dependencies = [s for s in installs if steps.index(s) < steps.index(copies_source[0])]
        if installs:
            assert dependencies and all(cached for _, cached in dependencies), f"{target.app.name}: {installs}"


def _steps(log: list[str]) -> list[tuple[str, bool]]:
    """(instruction, from cache) for each step of a classic-builder log."""
    steps: list[tuple[str, bool]] = []
    for line in log:
        if line.startswith("Step ") and " : " in line:
            steps.append((line.split(" : ", 1)[1], False))
        elif line.strip() == "---> Using cache" and steps:
            steps[-1] = (steps[-1][0], True)
    return steps


def _touch_source(folder: Path) -> None:
    """A one-line change to a source file, as a developer would make (unique: the engine's
    layer cache outlives test runs, and a change seen before would be a cache hit)."""
    mark = f"touched {time.time_ns()}"
    for pattern, comment in (("*.py", f"# {mark}\n"), ("*.go", f"// {mark}\n"), ("*.js", f"// {mark}\n"), ("*.ts", f"// {mark}\n"), ("*.tsx", f"// {mark}\n"), ("*.html", f"<!-- {mark} -->\n")):
        for path in sorted(folder.rglob(pattern)):
            if "node_modules" not in path.parts:
                path.write_text(path.read_text() + comment)
                return
    raise AssertionError(f"no source file to change in {folder}")


# ---------------------------------------------------------------- migrate dev (compose)
def _http(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_dev_environment_reaches_its_database(client: Any, tmp_path: Path) -> None:
    """`migrate dev` on the microservices example: a request through the gateway writes to Postgres."""
    root = _copy_with_canaries("microservices-shop", tmp_path)
    # The example keeps its own docker-compose.yml: init refuses to write compose.yaml beside it
    # (compose would read ours and ignore theirs) unless told to move theirs aside, as a user would.
    status, _, err = _cli("init", str(root), "--yes")
    assert status == 1 and "docker-compose.yml exists" in err
    assert _cli("init", str(root), "--yes", "--force")[0] == 0
    assert (root / "docker-compose.yml.migrate-backup").exists() and not (root / "docker-compose.yml").exists()
    _ensure_images_for(root, services=True)
    try:
        status, out, err = _cli("dev", str(root), "--timeout", "900")
        assert status == 0, err[-4000:]
        assert "gateway" in out and "127.0.0.1:3000" in out
        code, created = _http("POST", "http://127.0.0.1:3000/orders", {"sku": "mug-01", "quantity": 2})
        assert code == 201, created
        code, orders = _http("GET", "http://127.0.0.1:3000/orders")
        assert code == 200 and any(o["id"] == created["id"] and o["sku"] == "mug-01" for o in orders)
        code, products = _http("GET", "http://127.0.0.1:3000/products")
        assert code == 200 and products[0]["sku"] == "mug-01"
    finally:
        status, _, err = _cli("dev", str(root), "--down", "--volumes")
        assert status == 0, err


# ---------------------------------------------------------------- dev container
def _devcontainer(subcommand: str, *args: str, root: Path) -> subprocess.CompletedProcess[str]:
    from migrate.containers.compose import find_compose

    compose_command = find_compose()
    extra = ["--docker-compose-path", compose_command[0]] if len(compose_command) == 1 else []
    return subprocess.run(
        ["devcontainer", subcommand, *extra, "--workspace-folder", str(root), *args],
        capture_output=True, text=True, timeout=1200, check=False,
    )


def test_devcontainer_runs_the_examples_own_tests(client: Any, tmp_path: Path) -> None:
    """`devcontainer up` on the generated config, then the example's tests run inside it."""
    require_tool("devcontainer", "npm install -g @devcontainers/cli")
    root = _copy_with_canaries("python-flask-postgres", tmp_path)
    assert _cli("init", str(root), "--yes")[0] == 0
    _ensure_images_for(root, services=True)
    try:
        up = _devcontainer("up", root=root)
        assert up.returncode == 0 and '"outcome":"success"' in up.stdout, up.stdout[-3000:] + up.stderr[-3000:]
        tests = _devcontainer("exec", "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", root=root)
        assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
        assert "3 passed" in tests.stdout
    finally:
        from migrate.containers.compose import find_compose, run

        run(find_compose(), root, ["-p", root.name, "-f", "compose.yaml", "-f", ".devcontainer/compose.devcontainer.yaml",
                                   "down", "--volumes", "--remove-orphans"])


#: The uid most Linux developers have: the Dev Containers CLI gives the dev user this uid.
DEVELOPER_UID = 1000


def _as_developer(argv: list[str], home: Path) -> tuple[list[str], dict[str, str]]:
    """``argv`` run as uid 1000 with the docker socket's group, as a developer's own shell would.

    As root the CLI skips its uid remapping altogether, so a root run proves nothing about it.
    """
    if os.getuid() not in (0, DEVELOPER_UID):
        pytest.skip(f"needs uid {DEVELOPER_UID}, or root to switch to it (this is uid {os.getuid()})")
    env = {**os.environ, "HOME": str(home)}
    if os.getuid() == DEVELOPER_UID:
        return argv, env
    socket_group = os.stat("/var/run/docker.sock").st_gid
    switch = ["setpriv", f"--reuid={DEVELOPER_UID}", f"--regid={DEVELOPER_UID}", f"--groups={socket_group}", "--"]
    return [*switch, *argv], env


#: Examples whose dev container is opened by a uid-1000 developer: a command run inside it after
#: postCreateCommand (which installs the dev dependencies as the app user), and what it must print.
_DEVELOPER_CHECKS = {
    # The node image's own "node" user holds uid 1000: while it exists the CLI cannot remap the app
    # user ("User with UID exists"), and npm ci fails with EACCES on the workspace.
    "node-express-redis": ("node -e \"require('express'); require('ioredis'); console.log('modules ok')\"", "modules ok"),
    # pip installs the dev requirements into the image's virtualenv, which must follow the remap.
    "python-flask-postgres": ("python -m pytest -q -p no:cacheprovider", "3 passed"),
    # go build writes the build cache (GOCACHE) and go vet the module cache: both must follow the remap.
    "go-nethttp": ("go build -o /tmp/notes . && go vet ./... && echo built", "built"),
}


@pytest.mark.parametrize("name", sorted(_DEVELOPER_CHECKS))
def test_devcontainer_works_for_a_developer_with_uid_1000(client: Any, name: str) -> None:
    """`devcontainer up` run by uid 1000: the app user becomes uid 1000 and postCreateCommand succeeds."""
    if shutil.which("devcontainer") is None:
        reason = "the Dev Containers CLI is not installed (npm install -g @devcontainers/cli)"
        if os.environ.get("MIGRATE_REQUIRE_DOCKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    import tempfile

    from migrate.containers.compose import find_compose, run

    # Not under pytest's tmp_path: its folders are private to root. A developer owns the checkout.
    base = Path(tempfile.mkdtemp(prefix="migrate-uid1000-"))
    base.chmod(0o755)
    root = _copy_with_canaries(name, base)
    assert _cli("init", str(root), "--yes")[0] == 0
    _ensure_images_for(root, services=True)
    home = base / "home"
    home.mkdir()
    compose = find_compose()
    extra: list[str] = []
    if len(compose) == 1:
        # The developer's own compose binary: the one beside the interpreter may sit in a folder
        # only root can enter (a clone made in a 0700 temporary folder).
        own = home / "docker-compose"
        shutil.copy(compose[0], own)
        own.chmod(0o755)
        extra = ["--docker-compose-path", str(own)]
    for path in [base, *base.rglob("*")]:
        os.chown(path, DEVELOPER_UID, DEVELOPER_UID, follow_symlinks=False)
    check, expected = _DEVELOPER_CHECKS[name]
    try:
        argv, env = _as_developer(["devcontainer", "up", *extra, "--workspace-folder", str(root)], home)
        up = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1500, check=False)
        log = up.stdout[-4000:] + up.stderr[-8000:]
        assert up.returncode == 0 and '"outcome":"success"' in up.stdout, log
        assert "User with UID exists" not in up.stdout + up.stderr, log
        script = f"id -u && test -w . && {check}"
        argv, env = _as_developer(["devcontainer", "exec", *extra, "--workspace-folder", str(root), "sh", "-c", script], home)
        inside = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert inside.returncode == 0, inside.stdout[-3000:] + inside.stderr[-3000:]
        assert inside.stdout.split()[0] == str(DEVELOPER_UID) and expected in inside.stdout, inside.stdout[-3000:]
    finally:
        run(compose, root, ["-p", root.name, "-f", "compose.yaml", "-f", ".devcontainer/compose.devcontainer.yaml",
                            "down", "--volumes", "--remove-orphans"])
        shutil.rmtree(base, ignore_errors=True)


def test_dev_environment_runs_its_release_step_and_worker(client: Any, tmp_path: Path) -> None:
    """`migrate dev` on an app with migrations and a Celery worker: the schema exists before the app
    answers, and a job queued by a request is done by the worker."""
    root = _copy_with_canaries("python-flask-celery", tmp_path)
    assert _cli("init", str(root), "--yes")[0] == 0
    _ensure_images_for(root, services=True)
    try:
        status, _, err = _cli("dev", str(root), "--timeout", "900")
        assert status == 0, err[-4000:]
        code, notes = _http("GET", "http://127.0.0.1:8000/notes")
        assert (code, notes) == (200, []), notes  # the release step's `flask db upgrade` made the table
        code, created = _http("POST", "http://127.0.0.1:8000/notes", {"text": "three little words"})
        assert code == 201, created
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            code, notes = _http("GET", "http://127.0.0.1:8000/notes")
            if code == 200 and notes and notes[0]["words"] is not None:
                break
            time.sleep(1)
        assert notes[0]["words"] == 3, notes  # counted by the Celery worker service
    finally:
        status, _, err = _cli("dev", str(root), "--down", "--volumes")
        assert status == 0, err

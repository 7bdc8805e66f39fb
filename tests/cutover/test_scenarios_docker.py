"""The cutover proven under real load, as a user runs it: ``migrate deploy --target local`` moves an
example app from version to version while Debian's ``hey`` sends it 50 requests a second through the
local router, and every response must be a 2xx with no connection error (hey's own counts).

Two examples, a Python one (python-fastapi-routers, uvicorn) and a Node one (node-express-graceful),
each through: a first deploy, a blue-green deploy, a canary deploy, a canary whose new version starts
failing its health check mid-shift (rolled back by itself; the old version serves throughout), a
version that never becomes healthy (the weights never move; exit non-zero), a manual rollback, a
cutover killed midway and then resumed, and a migration from the app running outside containers.

Each release is the example's own code with a few lines the test appends (a release name in an
``x-release`` header, and how its health path behaves): what the user would change between two deploys.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool

from .load import Background, Load, LoadReport

pytestmark = pytest.mark.docker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Requests per second hey sends, and over how many connections.
RATE, WORKERS = 50, 5

PYTHON_RELEASE = '''
# --- the release, as the cutover load tests write it ---
import time as _time
from starlette.responses import JSONResponse as _JSONResponse

_RELEASE, _MODE, _BORN = "{release}", "{mode}", _time.monotonic()


@app.middleware("http")
async def _release(request, call_next):
    sick = _MODE == "never" or (_MODE == "later" and _time.monotonic() - _BORN > {sick_after})
    if sick and request.url.path.startswith("/api/v1/utils/health-check"):
        return _JSONResponse({{"healthy": False}}, status_code=503)
    response = await call_next(request)
    response.headers["x-release"] = _RELEASE
    return response
'''
NODE_RELEASE = '''
// --- the release, as the cutover load tests write it ---
const release = {{ name: "{release}", mode: "{mode}", born: Date.now() }};
app.use((req, res, next) => {{
  const sick = release.mode === "never" || (release.mode === "later" && Date.now() - release.born > {sick_after} * 1000);
  if (sick && req.path === "/healthz") return res.status(503).json({{ status: "sick" }});
  res.set("x-release", release.name);
  next();
}});
'''


@dataclass(frozen=True)
class Kind:
    example: str
    source: str  # the file the release lines go into
    anchor: str | None  # inserted after this line (None: appended)
    release: str
    run_here: tuple[str, ...]  # how the app runs outside containers, from its folder (PORT in the environment)
    path: str = "/"  # what the load asks for: a route of the app's own


KINDS = {
    "python": Kind("python-fastapi-routers", "app/main.py", None, PYTHON_RELEASE,
                   ("{venv}/bin/uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "{port}"), "/api/v1/items/"),
    "node": Kind("node-express-graceful", "src/server.js", "const app = express();", NODE_RELEASE,
                 ("node", "src/server.js")),
}


@dataclass
class Ran:
    status: int
    lines: list[dict[str, Any]]
    stderr: str

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("event") == kind]

    @property
    def result(self) -> dict[str, Any]:
        results = self.events("result")
        assert results, f"no result line; stderr:\n{self.stderr[-3000:]}"
        return results[-1]


@dataclass
class App:
    """A copy of an example with its generated files, deployed on the local target under a name of its own."""

    kind: Kind
    root: Path
    original: str
    reports: list[tuple[str, LoadReport]] = field(default_factory=list)

    def release(self, name: str, mode: str = "ok", sick_after: float = 0) -> None:
        """Write release ``name`` into the app's code (a new image for the next deploy)."""
        lines = self.kind.release.format(release=name, mode=mode, sick_after=sick_after)
        if self.kind.anchor is None:
            text = self.original + lines
        else:
            text = self.original.replace(self.kind.anchor, self.kind.anchor + "\n" + lines, 1)
        (self.root / self.kind.source).write_text(text)

    def migrate(self, *args: str, timeout: float = 600) -> Ran:
        """``migrate ARGS --json`` as a user runs it (the installed command line, in its own process)."""
        done = subprocess.run([sys.executable, "-m", "migrate", *args, "--json"], capture_output=True, text=True,
                              timeout=timeout, env=_env())
        return Ran(done.returncode, _json_lines(done.stdout), done.stderr)

    def deploy(self, *flags: str) -> Ran:
        return self.migrate("deploy", str(self.root), "--target", "local", *flags)

    @property
    def url(self) -> str:
        (state,) = self.migrate("status", str(self.root), "--target", "local").lines
        assert state.get("url"), state
        return str(state["url"])

    def answers(self) -> str:
        """The release the app answers with now, through the router."""
        return _release_at(self.url + self.kind.path)

    def under_load(self, scenario: str, seconds: int) -> Background:
        return _Loaded(self, scenario, Load(self.url + self.kind.path, seconds=seconds, rate=RATE, workers=WORKERS))


class _Loaded(Background):
    """hey over one scenario, its report kept with the scenario's name and checked clean on the way out."""

    def __init__(self, app: App, scenario: str, load: Load) -> None:
        super().__init__(load)
        self.app, self.scenario = app, scenario

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        super().__exit__(kind, exc, tb)
        if kind is None:
            report = self.report()
            self.app.reports.append((self.scenario, report))
            assert report.requests >= RATE * self.load.seconds * 0.8, f"{self.scenario}: hey sent only {report.requests}"
            assert report.is_clean, f"{self.scenario}: {report.line()}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MIGRATE_UPDATE_GOLDEN", None)
    return env


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _copy(kind: Kind, tmp: Path, settings: str) -> App:
    name = f"cut{kind.example[:6].replace('-', '')}{uuid.uuid4().hex[:6]}"
    root = tmp / name
    shutil.copytree(EXAMPLES / kind.example, root)
    (root / "migrate.toml").write_text(f'[project]\nname = "{name}"\n\n[deploy]\ntarget = "local"\n{settings}')
    done = subprocess.run([sys.executable, "-m", "migrate", "init", str(root), "--yes"], capture_output=True, text=True, env=_env())
    assert done.returncode == 0, done.stderr
    return App(kind, root, (root / kind.source).read_text())


def _destroy(client: Any, app: App) -> None:
    from migrate.containers.cutover import destroy_local
    from migrate.deploy.workflow import load_project

    project = load_project(app.root)
    for plan in project.plans:
        destroy_local(client, project.name, plan.image)
    from docker.errors import APIError

    for image in client.images.list(filters={"reference": f"{project.name}-*"}):
        for tag in image.tags:
            try:
                client.images.remove(tag)  # the tag; layers another image still uses stay
            except APIError:
                pass


#: Short waits: the proof is that no request fails, which does not need long bakes.
SETTINGS = "bake = 4\nfinal_bake = 4\ndrain = 3\nready_timeout = 40\n"


@pytest.fixture(params=sorted(KINDS), scope="module")
def app(request: pytest.FixtureRequest, client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    made = _copy(KINDS[request.param], tmp_path_factory.mktemp(request.param), SETTINGS)
    try:
        yield made
    finally:
        for scenario, report in made.reports:
            print(f"{made.kind.example}: scenario={scenario} {report.line()}")
        _destroy(client, made)


def test_every_cutover_under_load_drops_no_request(app: App) -> None:
    app.release("r1")
    first = app.deploy()
    assert first.status == 0 and first.result["status"] == "succeeded", first.stderr[-3000:]
    assert app.answers() == "r1"

    app.release("r2")
    with app.under_load("blue-green", 25):
        ran = app.deploy("--strategy", "blue-green", "--smoke", app.kind.path)
    assert ran.status == 0, ran.stderr[-3000:]
    (smoked,) = ran.events("smoke-tested")  # through the router's test route, before the weights moved
    assert smoked["passed"] and smoked["answers"] == {app.kind.path: "200"} and smoked["at"] <= ran.events("shifted")[0]["at"]
    assert app.answers() == "r2"

    app.release("r3")
    with app.under_load("canary", 30):
        ran = app.deploy("--strategy", "canary", "--steps", "20,50,100")
    assert ran.status == 0, ran.stderr[-3000:]
    assert [max(e["weights"].values()) for e in ran.events("shifted")][:3] == [80, 50, 100]
    assert app.answers() == "r3"

    # r4 is healthy long enough to take its first step, then its health check fails during the bake.
    app.release("r4", mode="later", sick_after=8)
    with app.under_load("failing-canary", 35):
        ran = app.deploy("--strategy", "canary", "--steps", "20,100", "--bake", "20")
    assert ran.status != 0 and ran.result["status"] == "rolled-back", ran.stderr[-3000:]
    assert ran.events("gate-failed") and ran.events("reverted")
    failed_at, restored_at = ran.events("gate-failed")[0]["at"], ran.events("reverted")[0]["at"]
    assert restored_at - failed_at < 10
    assert app.answers() == "r3"

    app.release("r5", mode="never")
    with app.under_load("never-healthy", 50):
        ran = app.deploy()
    assert ran.status != 0 and ran.result["status"] == "failed"
    assert ran.events("shifted") == []  # the weights never moved
    assert app.answers() == "r3"

    with app.under_load("rollback", 25):
        ran = app.migrate("rollback", str(app.root), "--target", "local")
    assert ran.status == 0, ran.stderr[-3000:]
    assert app.answers() == "r2"  # the revision that served before r3, not the r4 or r5 that failed

    app.release("r6")
    with app.under_load("killed-and-resumed", 45):
        killed = _kill_after_first_shift(app, "--strategy", "canary", "--steps", "20,100", "--bake", "30")
        assert killed
        ran = app.deploy("--strategy", "canary", "--steps", "20,100", "--bake", "2")
    assert ran.status == 0, ran.stderr[-3000:]
    assert ran.events("decided")[0]["action"] == "resume", ran.events("decided")
    assert app.answers() == "r6"


def _kill_after_first_shift(app: App, *flags: str) -> bool:
    """Start a deploy, SIGKILL it once its first weight change is read back (as a CI runner stopped midway)."""
    process = subprocess.Popen([sys.executable, "-m", "migrate", "deploy", str(app.root), "--target", "local", *flags,
                                "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env())
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.startswith("{") and json.loads(line).get("event") == "shifted":
                process.send_signal(signal.SIGKILL)
                return True
        return False
    finally:
        process.kill()
        process.wait()


def test_a_migration_from_the_app_running_outside_containers_drops_no_request(client: Any, tmp_path: Path) -> None:
    """The app as it runs today, a process on this machine; the first deploy moves its traffic to containers."""
    for name, kind in sorted(KINDS.items()):
        made = _copy(kind, tmp_path / name, SETTINGS)
        made.release("outside")
        port = _free_port()
        process = _run_outside(made, port, tmp_path / f"{name}-venv")
        try:
            made.release("inside")
            deploy = subprocess.Popen([sys.executable, "-m", "migrate", "deploy", str(made.root), "--target", "local",
                                       "--from", f"127.0.0.1:{port}", "--strategy", "canary", "--steps", "20,100",
                                       "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
            url = _wait_for_url(made)
            assert _release_at(url + kind.path) == "outside"  # the router sends the traffic where it went before
            with made.under_load("migration", 25):
                out, err = deploy.communicate(timeout=300)
            ran = Ran(deploy.returncode, _json_lines(out), err)
            assert ran.status == 0, err[-3000:]
            assert made.answers() == "inside"
        finally:
            process.terminate()
            process.wait(timeout=10)
            for scenario, report in made.reports:
                print(f"{kind.example}: scenario={scenario} {report.line()}")
            _destroy(client, made)


def _run_outside(app: App, port: int, venv: Path) -> subprocess.Popen[str]:
    """Install the app's dependencies here and start it as it ran before containers."""
    root = app.root
    if (root / "package.json").is_file():
        require_tool("node", "apt-get install nodejs npm")
        subprocess.run([require_tool("npm", "apt-get install npm"), "ci", "--no-audit", "--no-fund"], cwd=root, check=True,
                       capture_output=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", "-r", "requirements.txt"], cwd=root, check=True)
    argv = [part.format(venv=venv, port=port) for part in app.kind.run_here]
    process = subprocess.Popen(argv, cwd=root, env={**_env(), "PORT": str(port)}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, text=True)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if _release_at(f"http://127.0.0.1:{port}{app.kind.path}") == "outside":
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError(f"{app.kind.example} did not start outside containers on port {port}")


def _wait_for_url(app: App) -> str:
    end = time.monotonic() + 300
    while time.monotonic() < end:
        lines = app.migrate("status", str(app.root), "--target", "local").lines
        if lines and lines[0].get("url"):
            return str(lines[0]["url"])
        time.sleep(1)
    raise AssertionError("the router never came up")


def _release_at(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.headers.get("x-release"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        return int(sock.getsockname()[1])

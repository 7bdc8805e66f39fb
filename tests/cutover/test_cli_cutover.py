"""``migrate deploy --target local``, ``status``, ``rollback`` and ``abort`` as a user runs them, over the fakes.

The Docker side (build, the router and colour containers) is replaced at its seams, named here:
``open_local_target`` (the gateway opening an app's target) returns a :class:`FakeTarget` over one
World that outlives each command, the engine connection returns a client whose only use is the
built image's id, and the build itself does nothing. Everything between (flags, migrate.toml,
settings, lock, engine, events, exit codes) is the real code. The real gateway runs in the docker tests.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from migrate.cli import main
from migrate.cutover.ports import BLUE, GREEN, Failure
from migrate.environment import Environment

from .fakes import External, Script, World
from .test_command import FakeTarget

APP = {
    "app.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/health')\ndef health():\n    return 'ok'\n",
    "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n",
    "Procfile": "web: gunicorn app:app --bind 0.0.0.0:$PORT\n",
    "Dockerfile": "FROM python:3.12-slim\nCMD [\"gunicorn\", \"app:app\"]\n",
}


@dataclass
class Seams:
    world: World = field(default_factory=World)
    images: list[str] = field(default_factory=lambda: ["sha256:" + "1" * 64])
    built: list[str] = field(default_factory=list)
    opened: list[dict[str, Any]] = field(default_factory=list)
    target: FakeTarget | None = None


@pytest.fixture
def seams(monkeypatch: pytest.MonkeyPatch) -> Seams:
    s = Seams()
    s.target = FakeTarget(s.world)

    class Images:
        def get(self, tag: str) -> Any:
            return type("Image", (), {"id": s.images[0]})()

    class Client:
        images = Images()

    def open_local_target(project: Any, spec: Any, *, create: bool, external: Any) -> FakeTarget | None:
        s.opened.append({"app": spec.app, "create": create, "external": tuple(external), "port": spec.port,
                         "health": spec.health_path})
        if not create and not s.world.router.raw:
            return None
        return s.target

    monkeypatch.setattr("migrate.cli.targets.open_local_target", open_local_target)
    monkeypatch.setattr("migrate.containers.engine.connect", lambda *a, **k: Client())
    monkeypatch.setattr("migrate.deploy.publish.build", lambda images, client, say: s.built.extend(i.local for i in images))
    return s


@dataclass
class Ran:
    status: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def cli(seams: Seams, *args: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, stdin=io.StringIO(), width=100, no_color=True,
                      clock=seams.world.clock.now, sleep=seams.world.clock.sleep)
    status = main(list(args), env)
    return Ran(status, out.getvalue(), err.getvalue())


@pytest.fixture
def project(make_tree: Any) -> Path:
    root: Path = make_tree(APP)
    return root


def test_a_first_local_deploy_builds_cuts_over_and_prints_the_url(seams: Seams, project: Path) -> None:
    ran = cli(seams, "deploy", str(project), "--target", "local")
    assert ran.status == 0, ran.stderr
    assert ran.stdout == "tree: succeeded: blue takes all the traffic (first deploy)\nurl: http://127.0.0.1:8080\n"
    assert len(seams.built) == 1 and seams.built[0].startswith(f"{project.name}-")
    assert seams.opened == [{"app": "tree", "create": True, "external": (), "port": 8000, "health": "/health"}]
    assert seams.world.router.percent == {BLUE: 100}
    assert "traffic: blue 100 %" in ran.stderr and "first deploy" in ran.stderr


def test_a_second_deploy_is_a_blue_green_cutover_with_the_short_local_waits(seams: Seams, project: Path) -> None:
    cli(seams, "deploy", str(project), "--target", "local")
    seams.images[0] = "sha256:" + "2" * 64
    began = seams.world.clock.t
    ran = cli(seams, "deploy", str(project), "--target", "local")
    assert ran.status == 0, ran.stderr
    assert seams.world.router.percent == {BLUE: 0, GREEN: 100}
    assert seams.world.fleet.status(GREEN).revision == "sha256:" + "2" * 64
    # boot 20 s (the fake's), then 5 s final bake, 3 s drain and its margin: the rehearsal's defaults
    assert seams.world.clock.t - began < 40


def test_canary_steps_and_waits_come_from_migrate_toml_and_flags_win(seams: Seams, project: Path) -> None:
    (project / "migrate.toml").write_text("[deploy]\ntarget = \"local\"\nstrategy = \"canary\"\ncanary_steps = [20, 100]\nbake = 7\n")
    cli(seams, "deploy", str(project))
    seams.images[0] = "sha256:" + "2" * 64
    ran = cli(seams, "deploy", str(project), "--json")
    assert ran.status == 0, ran.stderr
    lines = ran.json_lines()
    assert [e["weights"] for e in lines if e["event"] == "shifted"] == [{BLUE: 80, GREEN: 20}, {BLUE: 0, GREEN: 100}]
    assert [e["seconds"] for e in lines if e["event"] == "baked"] == [7, 5]
    assert lines[-1]["event"] == "result" and lines[-1]["status"] == "succeeded" and lines[-1]["url"] == "http://127.0.0.1:8080"
    seams.images[0] = "sha256:" + "3" * 64
    ran = cli(seams, "deploy", str(project), "--json", "--steps", "50,100", "--bake", "1")
    assert [e["weights"] for e in ran.json_lines() if e["event"] == "shifted"] == [{BLUE: 50, GREEN: 50}, {BLUE: 100, GREEN: 0}]


def test_a_version_that_never_gets_healthy_moves_no_traffic_and_exits_non_zero(seams: Seams, project: Path) -> None:
    cli(seams, "deploy", str(project), "--target", "local")
    bad = "sha256:" + "9" * 64
    seams.images[0] = bad
    seams.world.fleet.scripts[bad] = Script(failure=Failure("exited with code 3", ("Traceback: ImportError",)))
    ran = cli(seams, "deploy", str(project), "--target", "local")
    assert ran.status == 1
    assert "tree: failed: green failed: exited with code 3" in ran.stderr
    assert "  Traceback: ImportError" in ran.stderr and "did not succeed" in ran.stderr
    assert seams.world.router.percent == {BLUE: 100}
    assert "url:" not in ran.stdout


def test_smoke_paths_from_flags_or_migrate_toml_go_through_the_test_route_before_any_weight(seams: Seams, project: Path) -> None:
    cli(seams, "deploy", str(project), "--target", "local")
    broken = "sha256:" + "2" * 64
    seams.images[0] = broken
    seams.world.fleet.scripts[broken] = Script(smoke={"/api/items": 503})
    ran = cli(seams, "deploy", str(project), "--target", "local", "--smoke", "/health", "--smoke", "/api/items")
    assert ran.status == 1
    assert "green: smoke test FAILED through the test route (/health 200, /api/items 503)" in ran.stderr
    assert "green failed its smoke test through the test route (/api/items: 503): no traffic went to it" in ran.stderr
    assert seams.world.router.percent == {BLUE: 100} and seams.world.fleet.status(GREEN).desired == 0

    (project / "migrate.toml").write_text("[deploy]\nsmoke = [\"/health\"]\n")
    seams.images[0] = "sha256:" + "3" * 64
    ran = cli(seams, "deploy", str(project), "--target", "local", "--json")
    assert ran.status == 0, ran.stderr
    smoked = [e for e in ran.json_lines() if e["event"] == "smoke-tested"]
    assert [(e["side"], e["answers"], e["passed"]) for e in smoked] == [(GREEN, {"/health": "200"}, True)]
    ran = cli(seams, "rollback", str(project), "--target", "local", "--smoke", "/api/items")
    assert ran.status == 0, ran.stderr
    assert [entry[1:] for entry in seams.world.test_route.log[-3:]] == [("open", BLUE), ("get /api/items", BLUE), ("close", BLUE)]


def test_a_smoke_test_is_refused_with_ecs_rolling_update(seams: Seams, project: Path) -> None:
    ran = cli(seams, "deploy", str(project), "--target", "ecs", "--strategy", "rolling", "--smoke", "/health")
    assert ran.status == 1 and "Traceback" not in ran.stderr
    assert "ECS's rolling update moves it task by task, with no such moment" in ran.stderr.splitlines()[0]


def test_status_rollback_and_abort(seams: Seams, project: Path) -> None:
    ran = cli(seams, "status", str(project), "--target", "local")
    assert ran.status == 0 and ran.stdout.endswith(": not deployed on this target\n")
    cli(seams, "deploy", str(project), "--target", "local")
    seams.images[0] = "sha256:" + "2" * 64
    cli(seams, "deploy", str(project), "--target", "local")
    ran = cli(seams, "status", str(project), "--target", "local", "--json")
    state = ran.json_lines()[0]
    assert (state["stage"], state["weights"], state["url"]) == ("steady", {BLUE: 0, GREEN: 100}, "http://127.0.0.1:8080")
    ran = cli(seams, "rollback", str(project), "--target", "local")
    assert ran.status == 0, ran.stderr
    assert seams.world.router.percent == {BLUE: 100, GREEN: 0}
    assert seams.world.fleet.status(BLUE).revision == "sha256:" + "1" * 64
    ran = cli(seams, "abort", str(project), "--target", "local")
    assert ran.status == 0 and "nothing to abort" in ran.stdout


def test_a_held_lock_is_one_line_naming_the_holder(seams: Seams, project: Path) -> None:
    from datetime import UTC, datetime

    cli(seams, "deploy", str(project), "--target", "local")
    assert seams.target is not None
    seams.target.holder = ("ana@laptop (pid 4)", datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    ran = cli(seams, "rollback", str(project), "--target", "local")
    assert ran.status == 1
    assert ran.stderr.splitlines()[0] == ("migrate: error: another cutover of web is in progress: ana@laptop (pid 4) "
                                          "holds the lock since 2026-11-28T10:00:00+00:00")
    ran = cli(seams, "rollback", str(project), "--target", "local", "--break-lock")
    assert "nothing to roll back to" in ran.stderr and ran.status == 1


@pytest.mark.parametrize(("args", "message"), [
    (("--strategy", "rolling"), "the rolling strategy is ECS's own: locally a new version takes the traffic by weight"),
    (("--strategy", "ecs-canary"), "the ecs-canary strategy is ECS's own: locally a new version takes the traffic by weight"),
    (("--dns-name", "shop.example.com"), "--dns-name moves a name in Route 53: it is for --target ecs"),
    (("--steps", "10,x"), "--steps 10,x: give whole percentages"),
    (("--steps", "50,20,100"), "canary steps must rise from above 0 to 100"),
    (("--plan",), "--plan, --image and --provision are for --target ecs"),
    (("--app", "nope"), "--app nope: no such app here"),
    (("--smoke", "health"), "smoke test path 'health' is not a URL path"),
])
def test_bad_flags_are_one_line_errors(seams: Seams, project: Path, args: tuple[str, ...], message: str) -> None:
    ran = cli(seams, "deploy", str(project), "--target", "local", "--strategy", "canary", *args)
    assert ran.status != 0 and message in ran.stderr and "Traceback" not in ran.stderr
    assert seams.world.router.history == []


def test_from_addresses_reach_the_gateway(seams: Seams, project: Path) -> None:
    cli(seams, "deploy", str(project), "--target", "local", "--from", "127.0.0.1:9000, 127.0.0.1:9001")
    assert seams.opened[0]["external"] == ("127.0.0.1:9000", "127.0.0.1:9001")


def _legacy(seams: Seams, sick_at: float | None = None) -> None:
    """The router as the gateway makes it for --from: the app where it runs today holds all the traffic."""
    seams.world.fleet.externals["legacy"] = External(addresses=1, sick_at=sick_at)
    seams.world.router.raw = {BLUE: 0, GREEN: 0, "legacy": 256}


def test_a_migration_moves_the_traffic_from_the_app_where_it_runs_today(seams: Seams, project: Path) -> None:
    _legacy(seams)
    ran = cli(seams, "deploy", str(project), "--target", "local", "--from", "127.0.0.1:9000", "--strategy", "canary")
    assert ran.status == 0, ran.stderr
    assert seams.world.router.shares() == [{"legacy": 90, BLUE: 10}, {"legacy": 50, BLUE: 50}, {BLUE: 100}, {BLUE: 100}]
    assert "legacy: retired" in ran.stderr


def test_a_migration_from_an_app_the_router_cannot_reach_moves_nothing(seams: Seams, project: Path) -> None:
    _legacy(seams, sick_at=0.0)  # e.g. it listens on 127.0.0.1 only: no container reaches it
    ran = cli(seams, "deploy", str(project), "--target", "local", "--from", "127.0.0.1:9000")
    assert ran.status == 1
    assert "the router cannot reach the app at 127.0.0.1:9000: its health path /health answers no 2xx" in ran.stderr
    assert "listen on 0.0.0.0" in ran.stderr
    assert seams.world.router.history == [] and seams.world.fleet.log == []


def test_destroy_local_lists_what_it_deletes_and_asks_unless_yes(seams: Seams, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Docker side of `destroy --target local` is two seams: what exists (local_resources) and its removal."""
    left = {"router", "blue", "green"}
    destroyed: list[str] = []

    def resources(client: Any, name: str, app: str) -> list[str]:
        return [f"{name}-{app}-{part}" for part in sorted(left)]

    def destroy(client: Any, name: str, app: str) -> None:
        destroyed.append(app)
        left.clear()

    monkeypatch.setattr("migrate.containers.cutover.local_resources", resources)
    monkeypatch.setattr("migrate.containers.cutover.destroy_local", destroy)
    refused = cli(seams, "destroy", str(project), "--target", "local")
    assert refused.status == 1 and destroyed == []
    assert f"{project.name}: delete " in refused.stdout and "-router" in refused.stdout
    assert refused.stderr.strip().endswith("pass --yes to destroy without asking")
    done = cli(seams, "destroy", str(project), "--target", "local", "--yes")
    assert done.status == 0 and destroyed == [project.name]
    assert cli(seams, "destroy", str(project), "--target", "local", "--yes").stderr.strip() == f"nothing of {project.name} runs on the local target"

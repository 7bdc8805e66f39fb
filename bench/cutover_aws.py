"""AWS API calls per deploy (issue 13's benchmarks): the real `migrate` command against moto's HTTP server.

moto runs as a real endpoint (``moto.server.ThreadedMotoServer`` on a free 127.0.0.1 port); boto3
reaches it through ``AWS_ENDPOINT_URL`` with dummy credentials set in this process only. The command
is ``migrate.cli.main`` run in-process with an Environment whose sleep plays ECS's scheduler
(tests/deploy/scheduler.py, through tests/deploy/test_cli_weighted.py's ``WeightedCli``): moto stores
services, target groups and listener rules but runs no deployment, no task and no health check, so
at each of the command's sleeps the scheduler starts the desired tasks and registers their targets.
The scheduler's own requests are not counted: recording pauses while it works.

Each scenario prints one line::

    scenario=ecs-<name> calls=<N> mutating=<M> by_service=ecs:12,elbv2:20,... wall_s=<t>

``calls`` are the requests the command sent (botocore's ``before-parameter-build`` hook, once per API
call, retries not counted), ``mutating`` those other than Describe/List/Get. Printed, never asserted.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the tests import their top conftest by name

import pytest  # noqa: E402  (its MonkeyPatch: the scheduler's hooks into moto are undone at the end)

from migrate.deploy.aws import connect  # noqa: E402
from tests.deploy.conftest import REGION, CallLog, put_image  # noqa: E402
from tests.deploy.scheduler import OneOffTasks, deployments_on_update, scheduler_health  # noqa: E402
from tests.deploy.test_cli_deploy import FLASK_CONFIG, IMAGE, copy_example, published  # noqa: E402
from tests.deploy.test_cli_weighted import APP, FAMILY, IMAGE2, WeightedCli  # noqa: E402
from tests.deploy.test_over_http import _free_port  # noqa: E402


@dataclass(frozen=True)
class CallsLine:
    """One deploy's AWS requests."""

    scenario: str
    calls: tuple[str, ...]
    mutating: int
    status: int
    wall_s: float

    def __str__(self) -> str:
        by_service = Counter(call.split(".", 1)[0] for call in self.calls)
        services = ",".join(f"{name}:{count}" for name, count in by_service.most_common())
        return (f"scenario=ecs-{self.scenario} calls={len(self.calls)} mutating={self.mutating}"
                f" by_service={services} wall_s={self.wall_s:.1f}")


class CountingCli(WeightedCli):
    """:class:`WeightedCli` whose log holds only the command's requests, not the scheduler's (run during sleeps)."""

    def __init__(self, health: dict[str, tuple[str, str, str]]) -> None:
        super().__init__(health)
        self.paused = False
        self.calls = _PausableLog(self)

    def sleep(self, seconds: float) -> None:
        self.paused = True
        try:
            super().sleep(seconds)
        finally:
            self.paused = False

    def run(self, scenario: str, *args: str) -> CallsLine:
        """``migrate ARGS``, its requests counted."""
        self.calls.clear()
        started = time.monotonic()
        status, _, err = self(*args)
        wall = time.monotonic() - started
        if status != 0 and scenario != "canary-failing":
            raise SystemExit(f"ecs-{scenario}: migrate {' '.join(args)} exited {status}: {err[-1500:]}")
        return CallsLine(scenario, tuple(self.calls.calls), len(self.calls.mutating), status, wall)


class _PausableLog(CallLog):
    def __init__(self, owner: CountingCli) -> None:
        super().__init__()
        self._owner = owner

    def attach(self, session: Any) -> None:
        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            if not self._owner.paused:
                self.calls.append(f"{model.service_model.service_name}.{model.name}")
                self.params.append(dict(params))

        session.events.register("before-parameter-build.*.*", record)


@contextmanager
def moto_endpoint() -> Iterator[str]:
    """moto's server on 127.0.0.1 and this process's AWS environment pointing at it (restored afterwards)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        for name, value in (("AWS_ENDPOINT_URL", url), ("AWS_ACCESS_KEY_ID", "testing"),
                            ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_DEFAULT_REGION", REGION),
                            ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
                            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")):
            patch.setenv(name, value)
        try:
            yield url
        finally:
            server.stop()


@contextmanager
def ecs_stage() -> Iterator[CountingCli]:
    """A fresh moto server with the image and secret published, and the scheduler hooked into moto."""
    with moto_endpoint(), pytest.MonkeyPatch.context() as patch:
        from moto.ecs.models import ecs_backends

        ecs_backends.reset()
        aws = connect(REGION)
        published(aws)
        put_image(aws, IMAGE2.split("/", 1)[1].split(":")[0], IMAGE2.rsplit(":", 1)[1])
        OneOffTasks(aws, "").hold_new_tasks(patch)
        deployments_on_update(patch, aws)
        health_fixture = getattr(scheduler_health, "__wrapped__", scheduler_health)
        health_iter = health_fixture(patch)
        health = next(health_iter)
        yield CountingCli(health)


@contextmanager
def smoke_answered(aws: Any) -> Iterator[None]:
    """The smoke test's requests answered by the balancer's nodes as tests/deploy/alb_nodes.py plays them (moto routes
    none): their own reads of the rules go through another session, not counted."""
    from migrate.deploy import testroute
    from tests.deploy.alb_nodes import AlbNodes, Node

    elbv2 = aws.client("elbv2")
    balancer = elbv2.describe_load_balancers(Names=["notes"])["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"][0]["ListenerArn"]
    nodes = AlbNodes(aws, listener, {"10.0.1.7": Node(), "10.0.2.9": Node()})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testroute, "fetch", nodes.fetch)
        patch.setattr(testroute, "addresses", nodes.addresses)
        yield


def deploy(root: Path, image: str, *flags: str) -> tuple[str, ...]:
    return ("deploy", str(root), "--image", image, "--yes", *flags)


def run_all(names: tuple[str, ...] | None = None, print_line: Callable[[CallsLine], None] = print) -> list[CallsLine]:
    """Every ECS scenario (or those ``names``), one line each, in order on two fresh stages."""
    wanted = set(names) if names else None
    lines: list[CallsLine] = []

    def emit(line: CallsLine) -> None:
        if wanted is None or line.scenario in wanted:
            lines.append(line)
            print_line(line)

    with tempfile.TemporaryDirectory(prefix="bench-cutover-aws-") as tmp:
        root = copy_example(APP, Path(tmp), FLASK_CONFIG)
        with ecs_stage() as cli:
            emit(cli.run("first-deploy", *deploy(root, IMAGE)))
            emit(cli.run("blue-green", *deploy(root, IMAGE2, "--strategy", "blue-green")))
            emit(cli.run("unchanged", *deploy(root, IMAGE2, "--strategy", "blue-green")))
            if wanted is None or wanted & {"canary", "canary-failing", "status", "blue-green-smoke"}:
                emit(cli.run("canary", *deploy(root, IMAGE, "--strategy", "canary", "--steps", "10,50,100")))
                aws = connect(REGION)
                # The next revision (the one after the canary's) never gets healthy: the canary is put back.
                revision = aws.arn("ecs", f"task-definition/{FAMILY}:4")
                cli.ecs.health_of[revision] = ("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
                emit(cli.run("canary-failing", *deploy(root, IMAGE2, "--strategy", "canary", "--steps", "10,50,100")))
                emit(cli.run("status", "status", str(root), "--target", "ecs"))
            if wanted is None or "blue-green-smoke" in wanted:
                # The failed revision healthy again, smoke-tested through the transient test rule before the shift.
                # (ECS would have stopped the failed attempt's tasks by now: one tick of the scheduler does.)
                aws = connect(REGION)
                cli.ecs.health_of.pop(aws.arn("ecs", f"task-definition/{FAMILY}:4"), None)
                cli.ecs.tick()
                with smoke_answered(aws):
                    emit(cli.run("blue-green-smoke", *deploy(root, IMAGE2, "--strategy", "blue-green", "--smoke", "/health")))
        if wanted is None or "migration" in wanted:
            legacy = copy_example(APP, Path(tmp) / "legacy", FLASK_CONFIG)
            with ecs_stage() as cli:
                emit(cli.run("migration", *deploy(legacy, IMAGE, "--strategy", "canary", "--steps", "50,100",
                                                  "--from", "10.0.7.5:8000,203.0.113.7")))
    return lines


def main() -> int:
    """Print every ECS scenario's line."""
    os.environ.setdefault("NO_COLOR", "1")
    run_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())

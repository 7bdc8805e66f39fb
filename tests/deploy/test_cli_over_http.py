"""The real `migrate` command, as a subprocess, against moto's HTTP server reached only through AWS_ENDPOINT_URL.

The server runs in this test's process, so the ECS scheduler's part (tests/deploy/scheduler.py) is
played here, in a thread, while the command waits for its rollout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrate.deploy.aws import connect

from .conftest import REGION
from .scheduler import scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import FLASK_CONFIG, IMAGE, copy_example, published, roll_out_everything
from .test_destroy import tagged_by_migrate
from .test_over_http import endpoint  # noqa: F401 (a fixture)


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from migrate.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"}, check=False)


@pytest.fixture
def ecs_at_work(endpoint: str, scheduler_health: dict[str, tuple[str, str, str]]) -> Iterator[None]:  # noqa: F811
    """ECS rolling out every deployment while the test runs."""
    stop = threading.Event()

    def work() -> None:
        while not stop.wait(0.2):
            roll_out_everything(scheduler_health)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.mark.slow
def test_deploy_plan_and_destroy_with_the_real_command_over_http(ecs_at_work: None, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    published(connect(REGION))
    deployed = migrate("deploy", str(root), "--image", IMAGE, "--yes")
    assert deployed.returncode == 0, deployed.stderr
    assert "runs 2 of 2 tasks, every target healthy" in deployed.stderr
    assert "deployed notes in eu-west-1" in deployed.stderr

    aws = connect(REGION)
    service = aws.client("ecs").describe_services(cluster="notes", services=["python-flask-postgres"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/notes-python-flask-postgres:1")
    assert aws.client("elbv2").describe_target_groups(Names=["notes-python-flask-postgres"])["TargetGroups"][0]["HealthCheckPath"] == "/health"

    planned = migrate("deploy", str(root), "--image", IMAGE, "--plan")
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.splitlines()[-1] == "0 to create, 0 to change, 13 unchanged"

    destroyed = migrate("destroy", str(root), "--yes")
    assert destroyed.returncode == 0, destroyed.stderr
    assert tagged_by_migrate(aws) == []


def test_no_credentials_over_http_is_one_line(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    root = copy_example("python-flask-postgres", tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = migrate("deploy", str(root), "--image", IMAGE, "--plan")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "migrate: error: no AWS credentials found" and "Traceback" not in result.stderr

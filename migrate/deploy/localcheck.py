"""Before anything reaches AWS: run each built web image here the way ECS will, and ask it what the load balancer will.

A task that never passes its health checks surfaces on ECS only after minutes of starting, failing
and being replaced. Much of that can be seen in seconds on the local engine, with the image deploy
just built: the task's command, environment, user and memory; a request shaped like the target
group's health check (its path, and a ``Host`` header naming the task's own address and port, which
an allow-list such as Django's ``ALLOWED_HOSTS`` rejects with 400); and the container health check
the task definition carries (ECS ignores the image's HEALTHCHECK, so a probe command the image
cannot run would mark every task unhealthy).

What the local run lacks is the cloud: the task's secrets (never read here) and the databases it
reaches. So only answers that do not depend on them stop the deploy (a health path answering 4xx,
a probe command that fails while the app answers); an app that exits, answers 5xx or does not answer
within ECS's grace period is reported as a warning, with its exit code and last log lines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

from migrate.containers.run import RunSpec, log_tail
from migrate.cutover.http import get
from migrate.deploy.errors import DeployError
from migrate.deploy.preflight import Finding
from migrate.deploy.spec import ServiceSpec
from migrate.deploy.stack import health_check

#: The load balancer's health checker names itself so; some apps answer it specially.
USER_AGENT = "ELB-HealthChecker/2.0"
#: How often the local run is polled, and how long one request may take (the target group's timeout).
POLL_SECONDS = 0.5
LABEL = "migrate.local-check"
_LOG_LINES = 10


def accepts(matcher: str, status: int) -> bool:
    """Whether an HTTP ``status`` passes a target group matcher (``200``, ``200-399``, ``200,302``)."""
    for part in matcher.split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


@dataclass(frozen=True)
class Answer:
    """What the local run of one web service showed."""

    status: int | None = None  # the health request's status; None: it never answered
    seconds: float = 0.0  # from start to that answer (or to giving up)
    host: str = ""  # the Host header sent: the container's address and port, as the target group's
    exit_code: int | None = None  # the container stopped with it
    probe_exit: int | None = None  # the task's own health check command, run in the container once the app answered
    probe_output: str = ""
    logs: tuple[str, ...] = ()
    #: After it answered: seconds from SIGTERM (``docker stop``) to its exit, and whether it had to be killed.
    stopped_in: float | None = None
    killed: bool = False


def judge(spec: ServiceSpec, answer: Answer) -> Finding:
    """A finding about ``answer``: an error only where the cloud would answer the same, else a warning or a note."""
    check = health_check(spec)
    name, grace = spec.app, spec.grace_period
    tail = "; last lines:\n    " + "\n    ".join(answer.logs) if answer.logs else ""
    if answer.exit_code is not None:
        return Finding("warning", f"{name}: run here, the image stopped after {answer.seconds:.0f} s with exit code "
                                  f"{answer.exit_code} (without its secrets and databases, which this run lacks; "
                                  f"on ECS it would stop the same way if it lacked them){tail}")
    if answer.status is None:
        return Finding("warning", f"{name}: run here, the app did not answer GET {check.path} on port {spec.port} within "
                                  f"{grace} s, the grace period ECS gives it (listening on another port or only on "
                                  f"127.0.0.1? waiting for a database this run lacks?){tail}")
    asked = f"GET {check.path} (Host: {answer.host}, as the load balancer sends it)"
    if not accepts(check.matcher, answer.status):
        if answer.status >= 500:
            return Finding("warning", f"{name}: run here, {asked} answered {answer.status}: the target group counts only "
                                      f"{check.matcher} healthy (the app may need a database or secret this run lacks){tail}")
        hint = (" (a Host allow-list, such as Django's ALLOWED_HOSTS, must admit the task's own address)"
                if answer.status == 400 else "")
        return Finding("error", f"{name}: {asked} answered {answer.status}; the target group counts only {check.matcher} "
                                f"healthy, so ECS would replace every task{hint}")
    if answer.status == 400:  # accepted by a matcher up to 499, which no health path means
        return Finding("warning", f"{name}: run here, {asked} answered 400, which the target group counts as alive; if "
                                  f"the app rejects Host names it does not know (Django's ALLOWED_HOSTS), requests for the "
                                  f"load balancer's address get 400 too: admit it (and your domain) in the app's settings")
    if spec.probe is not None and answer.probe_exit not in (None, 0):
        output = f": {answer.probe_output}" if answer.probe_output else ""
        return Finding("error", f"{name}: the app answers, but the task's health check command {' '.join(spec.probe.command)!r} "
                                f"exits {answer.probe_exit} in the image{output}: ECS would mark every task unhealthy")
    return Finding("note", f"{name}: run here, {asked} answered {answer.status} after {answer.seconds:.0f} s "
                           f"(ECS allows {grace} s)")


def judge_stop(spec: ServiceSpec, answer: Answer) -> Finding | None:
    """A warning when the app, once it answered, did not exit on SIGTERM and had to be killed."""
    if not answer.killed or answer.stopped_in is None:
        return None
    return Finding("warning", f"{spec.app}: run here, the app did not exit within {answer.stopped_in:.0f} s of SIGTERM and was "
                              f"killed: on ECS every task it replaces runs out its stop timeout ({spec.stop_timeout} s) and is "
                              "killed mid-request. Its PID 1 ignores SIGTERM (a shell form CMD, or a server without a "
                              "handler): start the server with exec, or put an init (tini) in front of it")


def check_images(client: Any, local_tags: Mapping[str, str], specs: Sequence[ServiceSpec],
                 clock: Callable[[], float], sleep: Callable[[float], None]) -> list[Finding]:
    """Run each web service of ``specs`` from its local build (``local_tags``: task image URI -> local tag) and judge
    it: its answer, then how it stops on SIGTERM."""
    findings = []
    for spec in specs:
        if spec.port is None or spec.image not in local_tags:
            continue
        answer = run(client, local_tags[spec.image], spec, clock, sleep)
        findings.append(judge(spec, answer))
        stop = judge_stop(spec, answer)
        if stop is not None:
            findings.append(stop)
    return findings


def run(client: Any, tag: str, spec: ServiceSpec, clock: Callable[[], float], sleep: Callable[[float], None]) -> Answer:
    """Start ``tag`` as the task would (command, environment, user, cpu and memory), ask it until ECS's grace period ends."""
    from docker.errors import DockerException

    assert spec.port is not None
    try:
        run_spec = RunSpec(spec.environment, spec.command or None, spec.user, spec.memory, spec.cpu)
        container = client.containers.run(tag, **run_spec.options(), detach=True, labels={LABEL: spec.app},
                                          ports={f"{spec.port}/tcp": ("127.0.0.1", None)})
    except DockerException as exc:
        raise DeployError(f"local check: the engine could not run {tag} for {spec.app}: {str(exc).splitlines()[0]}",
                          hint="nothing was changed; fix the engine, or skip this check with --no-local-check") from exc
    try:
        answer = _watch(container, spec, clock, sleep)
        if answer.status is not None:  # it runs: how does it stop?
            stopped_in, killed = _stop(container, min(spec.stop_timeout, STOP_CHECK_SECONDS), clock)
            answer = dataclasses.replace(answer, stopped_in=stopped_in, killed=killed)
        return answer
    finally:
        container.remove(force=True)


#: The longest the check waits for an app to exit on SIGTERM (ECS waits the task's stop timeout, 30 s by default).
STOP_CHECK_SECONDS = 10


def _stop(container: Any, timeout: int, clock: Callable[[], float]) -> tuple[float, bool]:
    """``docker stop`` (SIGTERM, then SIGKILL after ``timeout``): the seconds it took, and whether it was killed."""
    began = clock()
    container.stop(timeout=timeout)
    container.reload()
    seconds = clock() - began
    # SIGKILL: exit code 137. An app that exits on SIGTERM by the default disposition reports 143, or its own code.
    return seconds, int(container.attrs["State"]["ExitCode"]) == 137 and seconds >= timeout - 0.5


def _watch(container: Any, spec: ServiceSpec, clock: Callable[[], float], sleep: Callable[[float], None]) -> Answer:
    start = clock()
    check = health_check(spec)
    while True:
        container.reload()
        seconds = clock() - start
        if container.status in ("exited", "dead"):
            code = int(container.attrs["State"]["ExitCode"])
            return Answer(seconds=seconds, exit_code=code, logs=log_tail(container, _LOG_LINES))
        address = _address(container, spec.port)
        if address is not None:
            published, host = address
            status = _ask(published, check.path, host, timeout=check.timeout)
            if status is not None:
                probe_exit, output = _probe(container, spec)
                return Answer(status, seconds, host, probe_exit=probe_exit, probe_output=output,
                              logs=log_tail(container, _LOG_LINES) if status >= 500 else ())
        if seconds >= spec.grace_period:
            return Answer(seconds=seconds, logs=log_tail(container, _LOG_LINES))
        sleep(POLL_SECONDS)


def _address(container: Any, port: int | None) -> tuple[int, str] | None:
    """The port published on 127.0.0.1, and ``IP:PORT`` of the container as the load balancer would name the target."""
    settings = container.attrs.get("NetworkSettings") or {}
    bindings = (settings.get("Ports") or {}).get(f"{port}/tcp") or []
    ip = settings.get("IPAddress") or next((n.get("IPAddress") for n in (settings.get("Networks") or {}).values()
                                            if n.get("IPAddress")), None)
    if not bindings or not ip:
        return None
    return int(bindings[0]["HostPort"]), f"{ip}:{port}"


def _ask(published: int, path: str, host: str, timeout: float) -> int | None:
    """The status of ``GET path`` with the health checker's headers, or None while nothing answers HTTP there."""
    try:
        return get("127.0.0.1", published, path, {"Host": host, "User-Agent": USER_AGENT}, timeout=timeout).status
    except (OSError, HTTPException):
        return None


def _probe(container: Any, spec: ServiceSpec) -> tuple[int | None, str]:
    """Run the task definition's health check command in the container, as ECS's agent would."""
    if spec.probe is None:
        return None, ""
    result = container.exec_run(list(spec.probe.command), user=str(spec.user) if spec.user is not None else "")
    output = (result.output or b"").decode("utf-8", "replace").strip().splitlines()
    return int(result.exit_code), " ".join(output[-3:])

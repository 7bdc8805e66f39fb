"""Cutover benchmarks (issue 13): what a cutover costs the traffic going through it, measured by hey.

Each scenario runs on a fresh stage (``tests/cutover/stage.py``: HAProxy in front of two stdlib-Python
backends on the local engine) with Debian's ``hey`` sending requests to the router's port on 127.0.0.1,
and prints one line::

    scenario=<name> requests=<N> non2xx=<n> errors=<n> p50_ms=<t> p99_ms=<t> wall_s=<t> lower_bound_s=<t>

``requests`` to ``p99_ms`` are hey's own counts; ``wall_s`` runs from the first weight change to the
old side's container exited; ``lower_bound_s`` is the least such a cutover can take as configured
(health-check interval x rise + bakes + drain). The failing and slow canaries add ``detect_s`` (the
backend starts answering 500, or late -> the 5xx or latency gate fails) and ``restore_s`` (-> weights
back on the old side); their ``wall_s`` is ``restore_s``.
Figures are printed, never asserted. Scenarios that drive the whole engine over the local fleet go in
``SCENARIOS`` the same way: a function from the Docker client and hey's path to one :class:`Line`.

``aws-calls`` (bench/cutover_aws.py) needs neither Docker nor hey: the AWS requests of each kind of
``migrate deploy`` on ECS, against moto's HTTP server. With no scenario named it runs first; the
Docker scenarios are then skipped with a one-line note where Docker or hey is missing.

Usage::

    python bench/cutover.py [aws-calls] [SCENARIO ...]
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from cutover.load import Background, Load, LoadReport  # noqa: E402
from cutover.stage import (  # noqa: E402
    Shift,
    bad_canary,
    base_images,
    lower_bound,
    shift_under_load,
    stage,
)
from docker_images import ensure_base_images  # noqa: E402

from migrate.containers import engine  # noqa: E402

NAME = "bench-cutover"
#: The scenario that needs no Docker: the AWS requests per deploy on ECS (bench/cutover_aws.py).
AWS_CALLS = "aws-calls"


@dataclass(frozen=True)
class Line:
    """One scenario's figures."""

    scenario: str
    load: LoadReport
    wall_s: float
    lower_bound_s: float
    extra: tuple[tuple[str, float], ...] = ()

    def __str__(self) -> str:
        extra = "".join(f" {key}={value:.1f}" for key, value in self.extra)
        return (f"scenario={self.scenario} {self.load.counts()} wall_s={self.wall_s:.1f}"
                f" lower_bound_s={self.lower_bound_s:.1f}{extra}")


def steady(client: Any, hey: str) -> Line:
    """No cutover: the latency to compare the others' with (target: their p99 within 2x this one)."""
    with stage(client, NAME) as ready, Background(Load(ready.url, 8, rate=60, workers=6), hey) as load:
        report = load.report()
    return Line("steady", report, 0.0, 0.0)


def _shift(name: str, shift: Shift) -> Callable[[Any, str], Line]:
    def run(client: Any, hey: str) -> Line:
        with stage(client, NAME) as ready:
            outcome = shift_under_load(ready, shift, hey)
            return Line(name, outcome.load, outcome.wall_s, lower_bound(ready, shift))
    run.__doc__ = f"{name}: steps {shift.steps}, bake {shift.bake} s each, drain {shift.drain} s, {shift.slow} slow requests."
    return run


def canary_failing(client: Any, hey: str) -> Line:
    """Green at 50 % starts answering 500: the 5xx gate trips and the weights go back to blue."""
    with stage(client, NAME) as ready:
        breach = bad_canary(ready, "fail", hey=hey)
    return Line("canary-failing", breach.load, breach.restore_s, 0.0,
                (("detect_s", breach.detect_s), ("restore_s", breach.restore_s)))


def canary_slow(client: Any, hey: str) -> Line:
    """Green at 50 % starts taking 200 ms more: the latency gate trips and the weights go back to blue."""
    with stage(client, NAME) as ready:
        breach = bad_canary(ready, "slow", hey=hey)
    return Line("canary-slow", breach.load, breach.restore_s, 0.0,
                (("detect_s", breach.detect_s), ("restore_s", breach.restore_s)))


# ---------------------------------------------------------------- the whole product, as a user runs it
#: The local target's health check: every second, two passes to count a side up (migrate's HAProxy config).
CHECK_S, RISE = 1.0, 2
#: Short waits, as the load tests use them (migrate.toml [deploy]).
BAKE, FINAL_BAKE, DRAIN = 4.0, 4.0, 3.0


def _deployed(tmp: Path) -> Any:
    """node-express-graceful copied, initialised and deployed once on the local target (release r1)."""
    from cutover.test_scenarios_docker import KINDS, _copy

    app = _copy(KINDS["node"], tmp, f"bake = {BAKE:g}\nfinal_bake = {FINAL_BAKE:g}\ndrain = {DRAIN:g}\nready_timeout = 60\n")
    app.release("r1")
    first = app.deploy()
    if first.status != 0:
        raise SystemExit(f"the first deploy failed: {first.stderr[-2000:]}")
    return app


def _engine_scenario(name: str, flags: tuple[str, ...], bakes: float, *, sick_after: float | None = None
                     ) -> Callable[[Any, str], Line]:
    """``migrate deploy --target local FLAGS`` of release r2 under hey; wall time from the new colour's start to
    the old one retired (or, for a failing canary, to the weights restored)."""
    def run(client: Any, hey: str) -> Line:
        import tempfile

        from cutover.test_scenarios_docker import _destroy

        with tempfile.TemporaryDirectory(prefix="bench-cutover-") as tmp:
            app = _deployed(Path(tmp))
            try:
                app.release("r2", mode="later" if sick_after is not None else "ok", sick_after=sick_after or 0)
                seconds = int(bakes + FINAL_BAKE + DRAIN + 45)  # the build, the boot and the wait for health too
                with Background(Load(app.url + app.kind.path, seconds, rate=60, workers=6), hey) as load:
                    ran = app.deploy(*flags)
                    report = load.report()
            finally:
                _destroy(client, app)
        at = {event["event"]: event["at"] for event in reversed(ran.lines) if "at" in event}
        lower = CHECK_S * RISE + bakes + FINAL_BAKE + DRAIN
        if sick_after is None:
            return Line(name, report, at["retired"] - at["started"], lower)
        sick_at = at["started"] + sick_after
        return Line(name, report, at["reverted"] - at["started"], 0.0,
                    (("detect_s", at["gate-failed"] - sick_at), ("restore_s", at["reverted"] - at["gate-failed"])))
    run.__doc__ = f"{name}: migrate deploy --target local {' '.join(flags)} of node-express-graceful under hey."
    return run


SCENARIOS: dict[str, Callable[[Any, str], Line]] = {
    "steady": steady,
    "blue-green": _shift("blue-green", Shift(steps=(100,), bake=3.0, drain=1.0, slow=0)),
    "canary": _shift("canary", Shift(steps=(10, 50, 100), bake=2.0, drain=1.0, slow=0)),
    "drain": _shift("drain", Shift(steps=(100,), bake=1.0, drain=1.0, slow=5)),
    "canary-failing": canary_failing,
    "canary-slow": canary_slow,
    "deploy-blue-green": _engine_scenario("deploy-blue-green", ("--strategy", "blue-green"), 0.0),
    "deploy-canary": _engine_scenario("deploy-canary", ("--strategy", "canary", "--steps", "20,50,100"), 2 * BAKE),
    "deploy-canary-failing": _engine_scenario("deploy-canary-failing", ("--strategy", "canary", "--steps", "20,100",
                                                                        "--bake", "20"), 20.0, sick_after=8.0),
}


def _docker_missing() -> str | None:
    """Why the Docker scenarios cannot run here, or None."""
    if shutil.which("hey") is None:
        return "hey is not installed (apt-get install hey)"
    if shutil.which("docker") is None:
        return "docker is not installed"
    return None


def main(names: list[str]) -> int:
    """Run the named scenarios (all by default, aws-calls first), one line each."""
    unknown = sorted(set(names) - set(SCENARIOS) - {AWS_CALLS})
    if unknown:
        print(f"unknown scenario: {', '.join(unknown)} (known: {AWS_CALLS}, {', '.join(SCENARIOS)})", file=sys.stderr)
        return 2
    if not names or AWS_CALLS in names:
        from cutover_aws import run_all

        run_all()
        if names == [AWS_CALLS]:
            return 0
        names = [name for name in names if name != AWS_CALLS]
    missing_tool = _docker_missing()
    if missing_tool is not None:
        print(f"docker scenarios skipped: {missing_tool}", file=sys.stderr)
        return 0 if not names else 2
    hey = shutil.which("hey")
    assert hey is not None  # checked above
    missing = ensure_base_images(list(base_images()))
    if missing:
        print(f"base images missing: {', '.join(missing)} (bash .ci/base-images.sh)", file=sys.stderr)
        return 2
    client = engine.connect()
    for name in names or SCENARIOS:
        print(SCENARIOS[name](client, hey), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Zero downtime under real load, router only: hey at 60 requests/s through HAProxy while the weights move.

Load goes to 127.0.0.1 only (the router's published port), bounded in time; every request is counted
by hey, not by us.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import require_tool, unavailable
from docker_images import ensure_base_images

from .stage import Shift, Stage, bad_canary, base_images, shift_under_load, stage

pytestmark = pytest.mark.docker


@pytest.fixture
def hey() -> str:
    return require_tool("hey", "apt-get install hey")


@pytest.fixture
def ready(client: Any) -> Iterator[Stage]:
    missing = ensure_base_images(list(base_images()))
    if missing:
        unavailable(f"base images missing: {', '.join(missing)} (bash .ci/base-images.sh {' '.join(missing)})")
    with stage(client, "loadgate") as started:
        yield started


def test_a_canary_shift_and_a_drain_under_load_drop_nothing(ready: Stage, hey: str) -> None:
    outcome = shift_under_load(ready, Shift(steps=(10, 50, 100), bake=1.5, drain=0.5, slow=5), hey)
    assert outcome.load.is_clean, outcome.load
    assert outcome.load.requests >= 50 * 8  # 60/s asked for 10 s; hey waits for slow answers
    # K = 5 slow requests open on blue when its weight went to 0 and SIGTERM followed: all answered.
    assert outcome.slow_answers == ((200, "blue"),) * 5
    assert outcome.blue_exit == 0  # it stopped by itself once they were answered, not killed
    assert outcome.after == {"green": 20}


def test_a_side_that_starts_failing_trips_the_5xx_gate_within_seconds(ready: Stage, hey: str) -> None:
    breach = bad_canary(ready, "fail", hey=hey)
    assert all(v.passed and "0 of" in v.detail for v in breach.healthy)  # a healthy side passes, judged
    assert not breach.failed.passed and "5xx" in breach.failed.detail
    assert breach.detect_s < 5
    assert breach.load.error_count == 0 and set(breach.load.by_status) == {200, 500}
    assert breach.after == {"blue": 20}


def test_a_side_that_slows_down_trips_the_latency_gate(ready: Stage, hey: str) -> None:
    breach = bad_canary(ready, "slow", hey=hey)
    assert all(v.passed and "limit 50 ms" in v.detail for v in breach.healthy)  # a few ms, judged
    assert not breach.failed.passed and "limit 50 ms" in breach.failed.detail, breach.failed
    assert breach.detect_s < 10
    assert breach.load.is_clean and breach.after == {"blue": 20}

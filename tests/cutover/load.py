"""Real load through a scenario: Debian's ``hey`` in the background, and its summary read back.

``hey -z <s>s -q <per-worker rate> -c <workers> -t <timeout> URL`` is bounded by time (every worker
stops at the duration; a request open then finishes within the timeout) and by rate, and goes only
to 127.0.0.1: anything else is refused before hey starts. hey's text summary is the contract
(captured from hey 0.1.4 in ``hey/``): the status code distribution, the error distribution, the
``Latency distribution`` percentiles and the total time.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

#: The least total rate the proof runs at (issue 13: 50 requests/s or more).
MIN_RATE = 50

_STATUS = re.compile(r"^\s*\[(\d{3})\]\s+(\d+) responses\s*$")
_ERROR = re.compile(r"^\s*\[(\d+)\]\s+(.+?)\s*$")
_PERCENTILE = re.compile(r"^\s*(\d+)% in (\d+\.\d+) secs\s*$")
_TOTAL = re.compile(r"^\s*Total:\s+(\d+\.\d+) secs\s*$")


class HeyError(Exception):
    """hey could not run, or printed something this module cannot read."""


@dataclass(frozen=True)
class LoadReport:
    """What hey saw: every request sent, answers by status, errors by hey's message, latency, time.

    ``p50_ms``/``p99_ms`` are None when hey printed no such percentile: it prints none without an
    answer, and no p99 from fewer than 100 answers (its percentile loop stops short).
    """

    requests: int
    by_status: Mapping[int, int]
    errors: Mapping[str, int]
    p50_ms: float | None
    p99_ms: float | None
    wall_s: float

    @property
    def non2xx(self) -> int:
        """Answers outside 200-299."""
        return sum(n for status, n in self.by_status.items() if not 200 <= status < 300)

    @property
    def error_count(self) -> int:
        """Requests that got no answer (refused, reset, timed out)."""
        return sum(self.errors.values())

    @property
    def is_clean(self) -> bool:
        """Every request answered 2xx: the zero-downtime promise."""
        return self.requests > 0 and self.non2xx == 0 and self.error_count == 0

    def counts(self) -> str:
        """``requests=N non2xx=n errors=n p50_ms=t p99_ms=t``, the bench's figures from hey."""
        def ms(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.1f}"
        return (f"requests={self.requests} non2xx={self.non2xx} errors={self.error_count} "
                f"p50_ms={ms(self.p50_ms)} p99_ms={ms(self.p99_ms)}")

    def line(self) -> str:
        """:meth:`counts` and hey's own ``wall_s=t``, for messages."""
        return f"{self.counts()} wall_s={self.wall_s:.1f}"


def parse_hey(text: str) -> LoadReport:
    """Read hey's text summary."""
    by_status: dict[int, int] = {}
    errors: dict[str, int] = {}
    percentiles: dict[int, float] = {}
    wall: float | None = None
    section = ""
    for line in text.splitlines():
        if line and not line[0].isspace():
            section = line.strip().rstrip(":")
            continue
        if section == "Summary" and (m := _TOTAL.match(line)):
            wall = float(m[1])
        elif section == "Status code distribution" and (m := _STATUS.match(line)):
            by_status[int(m[1])] = int(m[2])
        elif section == "Error distribution" and (m := _ERROR.match(line)):
            errors[m[2]] = errors.get(m[2], 0) + int(m[1])
        elif section == "Latency distribution" and (m := _PERCENTILE.match(line)) and float(m[2]) > 0:
            percentiles[int(m[1])] = 1000 * float(m[2])  # hey prints "0% in 0.0000 secs" for one it lacks
    if wall is None:
        raise HeyError(f"hey printed no summary: {(text.strip().splitlines() or ['nothing'])[0]}")
    return LoadReport(sum(by_status.values()) + sum(errors.values()), by_status, errors,
                      percentiles.get(50), percentiles.get(99), wall)


def check_local(url: str) -> None:
    """Refuse any URL not on 127.0.0.1: load goes to the router's published port and nowhere else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.port is None:
        raise HeyError(f"load goes only to http://127.0.0.1:PORT, not {url!r}")


@dataclass(frozen=True)
class Load:
    """hey's settings: ``seconds`` long at ``rate`` requests/s in all, over ``workers`` connections."""

    url: str
    seconds: int
    rate: int = MIN_RATE
    workers: int = 5
    timeout: int = 10

    def __post_init__(self) -> None:
        check_local(self.url)
        if self.rate < MIN_RATE or self.rate % self.workers:
            raise HeyError(f"the rate must be at least {MIN_RATE}/s and split evenly over {self.workers} workers: {self.rate}")
        if not 0 < self.seconds <= 600 or not 0 < self.timeout <= 60:
            raise HeyError("hey runs 1-600 s with a timeout of 1-60 s")

    def command(self, hey: str = "hey") -> list[str]:
        """The hey command line (``-q`` is per worker)."""
        return [hey, "-z", f"{self.seconds}s", "-q", str(self.rate // self.workers), "-c", str(self.workers),
                "-t", str(self.timeout), "-disable-redirects", self.url]


class Background:
    """hey running while a scenario runs: ``with Background(load) as run: ...; report = run.report()``.

    Leaving the block without :meth:`report` (an exception) stops hey: nothing outlives the test.
    """

    def __init__(self, load: Load, hey: str | None = None) -> None:
        """Start hey now."""
        binary = hey or shutil.which("hey")
        if binary is None:
            raise HeyError("hey is not installed (apt-get install hey)")
        self.load = load
        self.process = subprocess.Popen(load.command(binary), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def report(self) -> LoadReport:
        """Wait for hey to end by itself (duration plus one timeout at most) and read its summary."""
        try:
            out, err = self.process.communicate(timeout=self.load.seconds + self.load.timeout + 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise HeyError(f"hey did not stop after {self.load.seconds} s") from None
        if self.process.returncode != 0:
            raise HeyError(f"hey failed ({self.process.returncode}): {err.strip() or out.strip()}")
        return parse_hey(out)

    def __enter__(self) -> Background:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.process.poll() is None and kind is not None:
            self.process.kill()
            self.process.wait()

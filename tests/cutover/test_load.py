"""The hey harness: its summaries as hey 0.1.4 prints them (captured in ``hey/`` against a local
http.server), its refusals, and one short real run when hey is installed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import require_tool

from .load import Background, HeyError, Load, check_local, parse_hey

CAPTURED = Path(__file__).parent / "hey"


def captured(name: str) -> str:
    return (CAPTURED / name).read_text(encoding="utf-8")


def test_a_clean_run() -> None:
    report = parse_hey(captured("clean.txt"))
    assert (report.requests, dict(report.by_status), dict(report.errors)) == (100, {200: 100}, {})
    assert (report.p50_ms, report.p99_ms, report.wall_s) == (pytest.approx(1.8), pytest.approx(44.1), 2.0151)
    assert report.is_clean
    assert report.line() == "requests=100 non2xx=0 errors=0 p50_ms=1.8 p99_ms=44.1 wall_s=2.0"


def test_answers_outside_2xx_are_counted() -> None:
    report = parse_hey(captured("non2xx.txt"))
    assert dict(report.by_status) == {200: 69, 404: 11, 500: 20}
    assert (report.requests, report.non2xx, report.error_count) == (100, 31, 0)
    assert not report.is_clean


def test_a_server_gone_midway_gives_errors_and_no_p99() -> None:
    report = parse_hey(captured("refused-midway.txt"))
    refused = 'Get "http://127.0.0.1:18931/mixed": dial tcp 127.0.0.1:18931: connect: connection refused'
    assert dict(report.errors) == {refused: 80}
    assert (report.requests, report.non2xx, report.error_count) == (150, 22, 80)
    # 70 answers: hey prints "0% in 0.0000 secs" where the p99 should be; it is unknown, not 0.
    assert report.p50_ms == pytest.approx(1.4) and report.p99_ms is None


def test_timeouts_are_errors() -> None:
    report = parse_hey(captured("timeouts.txt"))
    assert report.error_count == 6 and report.by_status == {200: 12}
    assert all("Client.Timeout exceeded" in message for message in report.errors)


def test_nothing_answered() -> None:
    report = parse_hey(captured("all-refused.txt"))
    assert (report.requests, report.error_count, report.p50_ms, report.p99_ms) == (20, 20, None, None)
    assert not report.is_clean


def test_text_that_is_not_a_summary_is_refused() -> None:
    with pytest.raises(HeyError, match="no summary"):
        parse_hey("flag provided but not defined: -y\n")


@pytest.mark.parametrize("url", ["http://localhost:80/", "http://10.0.0.1:8080/", "https://127.0.0.1:443/",
                                 "http://127.0.0.1/", "http://127.0.0.1.example.com:80/"])
def test_load_goes_only_to_127_0_0_1(url: str) -> None:
    with pytest.raises(HeyError, match=r"only to http://127\.0\.0\.1"):
        check_local(url)


def test_the_rate_is_at_least_50_and_the_time_bounded() -> None:
    with pytest.raises(HeyError, match="at least 50"):
        Load("http://127.0.0.1:8080/", seconds=5, rate=20)
    with pytest.raises(HeyError, match="1-600 s"):
        Load("http://127.0.0.1:8080/", seconds=0)
    assert Load("http://127.0.0.1:8080/", seconds=5, rate=60, workers=6).command() == [
        "hey", "-z", "5s", "-q", "10", "-c", "6", "-t", "10", "-disable-redirects", "http://127.0.0.1:8080/"]


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code = 503 if self.path == "/down" else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_hey_for_real(server: str) -> None:
    hey = require_tool("hey", "apt-get install hey")
    with Background(Load(server + "/", seconds=2), hey) as ok, Background(Load(server + "/down", seconds=2), hey) as down:
        good, bad = ok.report(), down.report()
    # At most 50/s for 2 s; fewer when the shared machine is busy (hey waits for each answer).
    assert good.is_clean and 0 < good.requests <= 110 and good.p50_ms is not None
    assert 1.9 <= good.wall_s <= 2 + 10
    assert bad.by_status.keys() == {503} and bad.non2xx == bad.requests

"""bench/cutover_aws.py: the AWS requests per ECS deploy, counted against moto's HTTP server (no Docker)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from cutover_aws import CallsLine, run_all

LINE = re.compile(r"^scenario=ecs-[a-z-]+ calls=\d+ mutating=\d+ by_service=([a-z0-9-]+:\d+)(,[a-z0-9-]+:\d+)* wall_s=\d+\.\d$")


def test_the_aws_calls_bench_prints_one_line_per_deploy_and_an_unchanged_redeploy_mutates_nothing() -> None:
    printed: list[str] = []
    lines = run_all(("first-deploy", "blue-green", "unchanged"), print_line=lambda line: printed.append(str(line)))
    assert [line.scenario for line in lines] == ["first-deploy", "blue-green", "unchanged"]
    assert all(LINE.match(text) for text in printed), printed
    by_name: dict[str, CallsLine] = {line.scenario: line for line in lines}
    assert all(len(line.calls) > 0 for line in lines)
    assert by_name["first-deploy"].mutating > 0 and by_name["blue-green"].mutating > 0
    # A deploy with nothing new reads the stack and changes nothing.
    assert by_name["unchanged"].mutating == 0
    assert by_name["blue-green"].status == 0

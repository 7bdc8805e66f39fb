"""The whole deploy against moto as a real HTTP endpoint, reached only through AWS_ENDPOINT_URL.

The in-process tests patch botocore; these go over a socket, as a deploy against LocalStack or any
AWS-compatible endpoint would: what migrate needs is boto3's standard ``AWS_ENDPOINT_URL``, nothing more.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from migrate.deploy.aws import connect
from migrate.deploy.plan import apply, destroy_plan, make_plan
from migrate.deploy.service import default_network
from migrate.deploy.stack import stack

from .conftest import REGION, CallLog
from .test_service import WEB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def endpoint(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield url
    finally:
        server.stop()


def test_deploy_converge_and_destroy_over_http(endpoint: str) -> None:
    aws = connect(REGION)
    calls = CallLog()
    calls.attach(aws.session)
    assert aws.client("ecs").meta.endpoint_url == endpoint
    network = default_network(aws)
    apply(make_plan(stack(aws, "shop", (WEB,), network)))
    service = aws.client("ecs").describe_services(cluster="shop", services=["api"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/shop-api:1")

    calls.clear()
    assert not make_plan(stack(aws, "shop", (WEB,), network)).changes_anything
    assert calls.calls and calls.mutating == []

    apply(destroy_plan(stack(aws, "shop", (WEB,), network)))
    assert all(s.action == "create" for s in make_plan(stack(aws, "shop", (WEB,), network)).steps)

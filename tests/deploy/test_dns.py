"""A migration by DNS: Route 53 weighted records between the old endpoint and the new ALB, on moto.

The ALB and its side target groups are the ALB router's test fixture; the fleet is the engine's
fake (moto runs no tasks): what is under test is that the name always resolves, that the weights
the engine sets are the ones Route 53 and the ALB then hold, and that the old record goes at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from migrate.cutover.engine import Engine, Settings
from migrate.cutover.events import Event
from migrate.cutover.ports import BLUE
from migrate.deploy.dns import LEGACY, TTL, Balancer, DnsRouter, Endpoint, check_drain
from migrate.deploy.errors import DeployError
from tests.cutover.fakes import External, FakeClock, FakeFleet, Script, Tripwire

from .test_router import Alb, _alb

NAME = "shop.example.com."


@pytest.fixture
def zone(aws: Any) -> str:
    return str(aws.client("route53").create_hosted_zone(Name="example.com.", CallerReference="t")["HostedZone"]["Id"])


def plain(aws: Any, zone: str, kind: str, *values: str) -> None:
    aws.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": NAME, "Type": kind, "TTL": 300, "ResourceRecords": [{"Value": v} for v in values]}}]})


def records(aws: Any, zone: str) -> dict[str, Any]:
    found = aws.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return {r.get("SetIdentifier", "plain"): r for r in found if r["Name"] == NAME}


def router(aws: Any, zone: str, alb: Alb, old: str) -> DnsRouter:
    return DnsRouter(aws, zone, NAME, Endpoint.parse(old), Balancer("shop-1.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2"), alb.router())


@pytest.mark.parametrize(("old", "kind"), [("old-lb.example.net", "CNAME"), ("203.0.113.7,203.0.113.8", "A")])
def test_the_plain_record_becomes_the_weighted_pair_in_one_batch(aws: Any, zone: str, old: str, kind: str) -> None:
    alb = _alb(aws)
    plain(aws, zone, kind, *old.split(","))
    dns = router(aws, zone, alb, old)
    dns.begin()
    found = records(aws, zone)
    assert set(found) == {"migrate-legacy", "migrate-ecs"}  # the plain record is gone, replaced in the same batch
    assert (found["migrate-legacy"]["Weight"], found["migrate-ecs"]["Weight"]) == (255, 0)
    assert [r["Value"] for r in found["migrate-legacy"]["ResourceRecords"]] == old.split(",")
    if kind == "A":  # a name of addresses: the ALB as an alias A record
        assert found["migrate-ecs"]["AliasTarget"]["DNSName"].startswith("shop-1.eu-west-1.elb.amazonaws.com")
    else:
        assert found["migrate-ecs"]["ResourceRecords"] == [{"Value": "shop-1.eu-west-1.elb.amazonaws.com"}]
    assert found["migrate-legacy"]["TTL"] == TTL
    dns.begin()  # idempotent
    assert dns.weights() == {LEGACY: 255}  # the ALB forwards to no colour yet


def test_a_name_pointing_elsewhere_than_from_is_refused(aws: Any, zone: str) -> None:
    plain(aws, zone, "CNAME", "somewhere-else.example.net")
    with pytest.raises(DeployError, match=r"points at somewhere-else\.example\.net, not at --from old-lb\.example\.net"):
        router(aws, zone, _alb(aws), "old-lb.example.net").begin()
    assert set(records(aws, zone)) == {"plain"}


@dataclass
class Migrating:
    """The name's plain record turned into the weighted pair, and the fake fleet with the old endpoint as its external side."""

    dns: DnsRouter
    fleet: FakeFleet
    clock: FakeClock


@pytest.fixture
def migrating(aws: Any, zone: str) -> Migrating:
    plain(aws, zone, "CNAME", "old-lb.example.net")
    dns = router(aws, zone, _alb(aws), "old-lb.example.net")
    dns.begin()
    clock = FakeClock()
    fleet = FakeFleet(clock, Tripwire())
    fleet.externals[LEGACY] = External(addresses=1)
    return Migrating(dns, fleet, clock)


def test_the_engine_migrates_by_dns_and_the_old_record_goes_at_the_end(aws: Any, zone: str, migrating: Migrating) -> None:
    dns, fleet, clock = migrating.dns, migrating.fleet, migrating.clock
    seen: list[Event] = []
    history: list[dict[str, int]] = []
    original = dns.set_weights

    def watched(weights: Any) -> None:
        original(weights)
        history.append({k: int(v["Weight"]) for k, v in records(aws, zone).items()})

    dns.set_weights = watched  # type: ignore[method-assign]
    check_drain(90)
    engine = Engine(dns, fleet, now=clock.now, sleep=clock.sleep, on_event=seen.append,
                    settings=Settings(strategy="canary", canary_steps=(10, 50, 100), drain=90))
    result = engine.deploy("arn:aws:ecs:eu-west-1:1:task-definition/shop-web:1")
    assert result.succeeded, result.reason
    assert history == [
        {"migrate-legacy": 230, "migrate-ecs": 26},
        {"migrate-legacy": 128, "migrate-ecs": 128},
        {"migrate-legacy": 0, "migrate-ecs": 255},
        {"migrate-ecs": 255},  # retired: the old endpoint's record is deleted, the name resolves to the ALB alone
    ]
    assert dns.weights() == {BLUE: 255}


def test_a_bad_canary_puts_the_name_back_on_the_old_endpoint(aws: Any, zone: str, migrating: Migrating) -> None:
    dns, fleet, clock = migrating.dns, migrating.fleet, migrating.clock
    fleet.scripts["bad"] = Script(sick_at=60.0)
    result = Engine(dns, fleet, now=clock.now, sleep=clock.sleep, on_event=lambda e: None,
                    settings=Settings(strategy="canary", canary_steps=(10, 100), drain=90)).deploy("bad")
    assert result.status == "rolled-back"
    found = records(aws, zone)
    assert (found["migrate-legacy"]["Weight"], found["migrate-ecs"]["Weight"]) == (255, 0)


def test_a_drain_within_the_ttl_is_refused() -> None:
    with pytest.raises(DeployError, match=r"drains for 30 s, not longer than the records' TTL \(60 s\)"):
        check_drain(30)


@pytest.mark.parametrize(("text", "problem"), [
    ("", "give the old endpoint"),
    ("a.example.net,b.example.net", "one host name, or IP addresses"),
    ("a.example.net,203.0.113.7", "cannot be mixed"),
    ("old-lb.example.net:8080", "a DNS record names no port"),
    ("203.0.113.7:80,203.0.113.8", "a DNS record names no port"),
])
def test_a_bad_old_endpoint_is_one_line(text: str, problem: str) -> None:
    with pytest.raises(DeployError, match=problem):
        Endpoint.parse(text)


def test_the_change_batch_is_one_route53_accepts() -> None:
    """moto accepts more than Route 53: the Stubber checks the batch against the real model."""
    import boto3
    from botocore.stub import Stubber

    from migrate.deploy.aws import Aws

    client = boto3.client("route53", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")

    class OneClient(Aws):
        def client(self, name: str) -> Any:
            return client

    aws = OneClient.__new__(OneClient)
    dns = DnsRouter(aws, "Z1", NAME, Endpoint.parse("203.0.113.7"), Balancer("shop-1.elb.amazonaws.com", "Z32O12XQLNTSW2"),
                    alb=None)  # type: ignore[arg-type]
    with Stubber(client) as stub:
        stub.add_response("list_resource_record_sets", {"ResourceRecordSets": [], "IsTruncated": False, "MaxItems": "100"})
        stub.add_response("change_resource_record_sets", {"ChangeInfo": {"Id": "c1", "Status": "PENDING",
                                                                         "SubmittedAt": "2026-11-28T00:00:00Z"}})
        dns.begin()
        stub.assert_no_pending_responses()


def test_the_old_endpoint_is_probed_as_a_client_of_the_name_would_ask_it() -> None:
    """A real HTTP server on 127.0.0.1: healthy below 400, asked with the name's Host; a 500 or no answer is not."""
    import http.server
    import threading

    from migrate.deploy.dns import probe

    seen: list[str] = []
    answer = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(f"{self.headers['Host']} {self.path}")
            self.send_response(answer["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        old = Endpoint.parse("127.0.0.1")
        assert probe(old, NAME, "/health", port=port) == 1
        assert seen == ["shop.example.com /health"]
        answer["status"] = 500
        assert probe(old, NAME, "/health", port=port) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert probe(old, NAME, "/health", port=port, timeout=1.0) == 0  # nothing listens any more

"""`migrate deploy --strategy blue-green|canary` on ECS (moto), the CLI end to end, and status/rollback on ECS.

moto stores the services, target groups and listener rules; it runs no task, no deployment and no
health check. ECS's part is played by :class:`~tests.deploy.scheduler.ColourScheduler` (every service
behind a balancer runs its desired count of its revision, with targets in the scripted health) at
each of the command's sleeps, on its fake clock: the cutover's bakes and drains take no real time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrate.deploy.aws import connect
from migrate.deploy.loadbalancer import elb_name

from .conftest import REGION, put_image
from .scheduler import ColourScheduler, OneOffTasks, deployments_on_update, scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import FLASK_CONFIG, IMAGE, Cli, copy_example, published

IMAGE2 = IMAGE.rsplit(":", 1)[0] + ":4b7d0e2"
APP = "python-flask-postgres"
FAMILY = f"notes-{APP}"
BLUE, GREEN = elb_name(FAMILY, "blue"), elb_name(FAMILY, "green")  # the colours' target groups (green's is hashed: 33 characters)


class WeightedCli(Cli):
    """:class:`Cli` whose scheduler (:attr:`ecs`) plays every service of the cluster behind the balancer,
    the rolling one too (its targets registered, so that the colours' and its own are counted alike)."""

    def __init__(self, health: dict[str, tuple[str, str, str]]) -> None:
        super().__init__(health)
        self.ecs = self.colours["notes"] = ColourScheduler(connect(REGION), "notes", health)


def two_images_published(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user deploying IMAGE then IMAGE2 has (both pushed, the secret stored), and ECS's one-off tasks and
    deployments as the scheduler plays them."""
    aws = connect(REGION)
    published(aws)
    put_image(aws, IMAGE2.split("/", 1)[1].split(":")[0], IMAGE2.rsplit(":", 1)[1])
    OneOffTasks(aws, "").hold_new_tasks(monkeypatch)
    deployments_on_update(monkeypatch, aws)


@pytest.fixture
def cli(moto: None, scheduler_health: dict[str, tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> WeightedCli:  # noqa: F811
    two_images_published(monkeypatch)
    return WeightedCli(scheduler_health)


def forward(aws: Any) -> dict[str, int]:
    """The listener's default action: target group name -> weight."""
    elbv2 = aws.client("elbv2")
    balancer = elbv2.describe_load_balancers(Names=["notes"])["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"][0]
    action = listener["DefaultActions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
    return {g["TargetGroupArn"].split("/")[1]: g["Weight"] for g in groups}


def service(aws: Any, name: str) -> dict[str, Any]:
    return dict(aws.client("ecs").describe_services(cluster="notes", services=[name])["services"][0])


def scaled(aws: Any) -> dict[str, tuple[int, int]]:
    """Each scalable target of the cluster: service -> (min, max)."""
    targets = aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    return {t["ResourceId"].rsplit("/", 1)[1]: (t["MinCapacity"], t["MaxCapacity"]) for t in targets}


def deploy(cli: WeightedCli, root: Path, image: str, *flags: str) -> tuple[int, str, str]:
    return cli("deploy", str(root), "--image", image, "--yes", "--strategy", "blue-green", *flags)


def test_blue_green_on_ecs_moves_the_traffic_by_weight_and_the_plan_keeps_the_weighted_rule(cli: WeightedCli, tmp_path: Path) -> None:
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    status, _, err = deploy(cli, root, IMAGE)
    assert status == 0, err
    assert "first deploy: its service is created" in err
    assert forward(aws) == {FAMILY: 1}  # the rolling service takes the traffic, as a rolling deploy leaves it

    status, out, err = deploy(cli, root, IMAGE2)
    assert status == 0, err
    assert "takes the traffic by weight" in err and "blue takes all the traffic" in out + err
    assert forward(aws) == {BLUE: 999}
    blue = service(aws, f"{APP}-blue")
    assert blue["taskDefinition"].endswith(f"{FAMILY}:2") and blue["desiredCount"] == 2
    assert service(aws, APP)["desiredCount"] == 0  # the rolling service keeps its revision, runs nothing
    assert scaled(aws) == {f"{APP}-blue": (2, 4)}  # autoscaling follows the live colour

    # The weighted rule is the app's route: a deploy with nothing new changes nothing (before this, the
    # plan put the plain forward back, onto the rolling service's empty target group).
    cli.calls.clear()
    status, out, err = deploy(cli, root, IMAGE2)
    assert status == 0, err
    assert "notes is up to date: nothing to change" in err
    assert cli.calls.mutating == []

    status, out, err = deploy(cli, root, IMAGE)
    assert status == 0, err
    assert forward(aws) == {BLUE: 0, GREEN: 999}
    assert service(aws, f"{APP}-blue")["desiredCount"] == 0
    assert service(aws, f"{APP}-green")["taskDefinition"].endswith(f"{FAMILY}:3")
    assert scaled(aws) == {f"{APP}-green": (2, 4)}

    status, out, err = cli("status", str(root), "--target", "ecs")
    assert status == 0, err
    assert "green" in out and f"{FAMILY}:3" in out
    # The last events, kept in AWS (an SSM parameter), whichever machine asks.
    assert "  last events:" in out and "  deploy  succeeded: green takes all the traffic; blue is retired" in out

    status, out, err = cli("rollback", str(root), "--target", "ecs")
    assert status == 0, err
    assert forward(aws) == {BLUE: 999, GREEN: 0}
    assert service(aws, f"{APP}-blue")["taskDefinition"].endswith(f"{FAMILY}:2")


def test_a_canary_whose_targets_never_get_healthy_moves_no_weight_and_exits_non_zero(cli: WeightedCli, tmp_path: Path) -> None:
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    revision = aws.arn("ecs", f"task-definition/{FAMILY}:2")
    cli.ecs.health_of[revision] = ("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
    status, out, err = cli("deploy", str(root), "--image", IMAGE2, "--yes", "--strategy", "canary", "--steps", "10,100", "--json")
    assert status == 1
    assert "the cutover of python-flask-postgres did not succeed" in err
    assert '"event": "result"' in out and '"status": "failed"' in out
    # Standard output is JSON lines only, for CI to parse; the plan went to standard error.
    assert all(json.loads(line) for line in out.splitlines()), out
    assert "task definition" in err.lower() or "service" in err.lower()
    assert forward(aws) == {FAMILY: 1}  # the rolling service never lost its traffic
    assert service(aws, APP)["desiredCount"] == 2
    assert service(aws, f"{APP}-blue")["desiredCount"] == 0
    assert scaled(aws) == {APP: (2, 4)}  # and kept its autoscaling


def test_a_canary_answering_5xx_in_cloudwatch_is_rolled_back_by_the_gate(cli: WeightedCli, tmp_path: Path) -> None:
    """The ALB's metrics say the new side answers 3 requests in 10 with a 5xx: the first canary step is put back.

    moto runs no balancer: the metrics are put into its CloudWatch as the ALB would publish them,
    each time ECS (the scheduler) has blue running. Only the sums are put: moto cannot compute the
    latency gate's percentile (see tests/deploy/test_gates.py), which then has no data and passes.
    """
    from datetime import UTC, datetime

    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    elbv2 = aws.client("elbv2")
    tick = cli.ecs.tick

    def tick_and_publish() -> None:
        tick()
        blue = aws.client("ecs").describe_services(cluster="notes", services=[f"{APP}-blue"])["services"]
        if not blue or not blue[0].get("desiredCount"):
            return
        balancer = elbv2.describe_load_balancers(Names=["notes"])["LoadBalancers"][0]["LoadBalancerArn"]
        group = elbv2.describe_target_groups(Names=[BLUE])["TargetGroups"][0]["TargetGroupArn"]
        dims = [{"Name": "LoadBalancer", "Value": balancer.split(":", 5)[-1].removeprefix("loadbalancer/")},
                {"Name": "TargetGroup", "Value": group.split(":", 5)[-1]}]
        now = datetime.now(UTC)
        aws.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": "RequestCount", "Dimensions": dims, "Timestamp": now, "Value": 10.0, "Unit": "Count"},
            {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dims, "Timestamp": now, "Value": 3.0, "Unit": "Count"}])

    cli.ecs.tick = tick_and_publish  # type: ignore[method-assign]
    status, _, err = cli("deploy", str(root), "--image", IMAGE2, "--yes", "--strategy", "canary", "--steps", "10,50,100")
    assert status == 1, err
    assert "5xx rate" in err and "(30.0%, limit 1.0%)" in err
    assert forward(aws) in ({FAMILY: 999, BLUE: 0}, {FAMILY: 1})  # every request back on the rolling service
    assert service(aws, APP)["desiredCount"] == 2 and service(aws, f"{APP}-blue")["desiredCount"] == 0


def test_destroy_deletes_the_colours_services_target_groups_and_autoscaling_too(cli: WeightedCli, tmp_path: Path) -> None:
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    for image in (IMAGE, IMAGE2, IMAGE):  # rolling, then blue, then green: both colours exist
        assert deploy(cli, root, image)[0] == 0
    assert {service(aws, f"{APP}-{c}")["status"] for c in ("blue", "green")} == {"ACTIVE"}
    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert f"- ECS service {APP}-blue" in out and f"- target group {GREEN}" in out
    services = aws.client("ecs").describe_services(cluster="notes", services=[APP, f"{APP}-blue", f"{APP}-green"])["services"]
    assert all(s["status"] != "ACTIVE" for s in services)
    assert aws.client("elbv2").describe_target_groups()["TargetGroups"] == []
    assert aws.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert scaled(aws) == {}
    assert [p["Name"] for p in aws.client("ssm").describe_parameters()["Parameters"] if "cutover-events" in p["Name"]] == []


LEGACY_GROUP = elb_name(FAMILY, "legacy")


def targets_of(aws: Any, name: str) -> dict[str, str | None]:
    """The target group's targets: ``ip:port`` -> the availability zone it was registered in (moto: always None)."""
    elbv2 = aws.client("elbv2")
    arn = elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
    found = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    return {f"{t['Target']['Id']}:{t['Target']['Port']}": t["Target"].get("AvailabilityZone") for t in found}


def group_names(aws: Any) -> set[str]:
    return {g["TargetGroupName"] for g in aws.client("elbv2").describe_target_groups()["TargetGroups"]}


def test_a_migration_moves_the_old_servers_traffic_to_the_containers_and_a_failure_keeps_it_on_them(
        cli: WeightedCli, tmp_path: Path) -> None:
    """``--from`` on the first deploy: the old servers go behind the app's route, then a canary moves their traffic.

    A first attempt whose containers never get healthy leaves every request on the old servers; the
    same command again (the containers fixed) takes the migration up and ends it; after that, ``--from``
    is refused (the app runs on ECS), before anything is applied.
    """
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    migrate = ("deploy", str(root), "--image", IMAGE, "--yes", "--strategy", "canary", "--steps", "50,100",
               "--from", "10.0.7.5:8000,203.0.113.7")
    cli.ecs.health_of[aws.arn("ecs", f"task-definition/{FAMILY}:1")] = (
        "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
    status, _, err = cli(*migrate)
    assert status == 1, err
    assert "its containers take the traffic of its old servers by weight" in err
    assert "the load balancer sends all its traffic to the old servers (10.0.7.5:8000, 203.0.113.7:8000)" in err
    assert forward(aws) == {LEGACY_GROUP: 999}  # the weights never moved off the old servers
    # moto keeps no target's zone: the one outside the VPC registered in zone "all" is checked in test_legacy.py.
    assert set(targets_of(aws, LEGACY_GROUP)) == {"10.0.7.5:8000", "203.0.113.7:8000"}
    assert service(aws, f"{APP}-blue")["desiredCount"] == 0
    services = aws.client("ecs").describe_services(cluster="notes", services=[APP])["services"]
    assert [s for s in services if s["status"] == "ACTIVE"] == []  # no rolling service: the colours take the traffic

    del cli.ecs.health_of[aws.arn("ecs", f"task-definition/{FAMILY}:1")]
    cli.ecs.tick()  # between the two commands, ECS stops blue's failed tasks: their targets leave its group
    status, _, err = cli(*migrate)
    assert status == 0, err
    assert forward(aws) == {BLUE: 999}
    assert LEGACY_GROUP not in group_names(aws)  # retired with the migration
    assert service(aws, f"{APP}-blue")["desiredCount"] == 2
    assert scaled(aws) == {f"{APP}-blue": (2, 4)}

    cli.calls.clear()
    status, _, err = cli(*migrate)
    assert status == 1
    assert "--from moves an app's first deploy off its old servers, and python-flask-postgres already runs on ECS" in err
    assert cli.calls.mutating == []


def test_a_held_migration_puts_the_old_servers_behind_the_load_balancer_and_the_next_deploy_moves_their_traffic(
        cli: WeightedCli, tmp_path: Path) -> None:
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    migrate = ("deploy", str(root), "--image", IMAGE, "--yes", "--from", "10.0.7.5:8000")
    status, _, err = cli(*migrate, "--hold")
    assert status == 0, err
    assert "held before its traffic moves: the old servers take all of it through http://" in err
    assert forward(aws) == {LEGACY_GROUP: 999}
    colours = aws.client("ecs").describe_services(cluster="notes", services=[APP, f"{APP}-blue"])["services"]
    assert [s for s in colours if s["status"] == "ACTIVE"] == []  # nothing of the app runs on ECS yet

    status, _, err = cli(*migrate)
    assert status == 0, err
    assert forward(aws) == {BLUE: 999} and LEGACY_GROUP not in group_names(aws)


def test_from_on_ecs_takes_addresses_and_a_weighted_strategy(cli: WeightedCli, tmp_path: Path) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--from", "old.example.com:8000")
    assert status == 1 and "--from old.example.com:8000: on ECS, give the old servers' IP addresses" in err
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--strategy", "rolling", "--from", "10.0.7.5")
    assert status == 1 and "--from moves the traffic by weight" in err
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--app", APP)
    assert status == 1 and "--app names the app --from moves" in err
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--hold")
    assert status == 1 and "--hold stops a migration (--from) before its traffic moves: it needs --from" in err
    assert "Traceback" not in err


def test_strategy_rolling_updates_the_apps_service_in_place_with_no_colour(cli: WeightedCli, tmp_path: Path) -> None:
    """``--strategy rolling`` is ECS's own update (before this, it fell back to the engine's blue-green default)."""
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    status, _, err = cli("deploy", str(root), "--image", IMAGE2, "--yes", "--strategy", "rolling")
    assert status == 0, err
    assert service(aws, APP)["taskDefinition"].endswith(f"{FAMILY}:2")
    assert forward(aws) == {FAMILY: 1}
    colours = aws.client("ecs").describe_services(cluster="notes", services=[f"{APP}-blue"])["services"]
    assert [s for s in colours if s["status"] == "ACTIVE"] == []


# ------------------------------------------------------------------ a migration by DNS (--dns-name)
SHOP = "shop.example.com."


@pytest.fixture
def shop_zone(cli: WeightedCli) -> str:
    """example.com in Route 53, shop.example.com a CNAME to the old servers' load balancer."""
    route53 = connect(REGION).client("route53")
    zone = str(route53.create_hosted_zone(Name="example.com.", CallerReference="shop")["HostedZone"]["Id"]).rsplit("/", 1)[-1]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": SHOP, "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "old-lb.example.net"}]}}]})
    return zone


def shop_records(zone: str) -> dict[str, Any]:
    found = connect(REGION).client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return {r.get("SetIdentifier", "plain"): r for r in found if r["Name"] == SHOP}


@pytest.fixture
def old_endpoint(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The old endpoint's health as this machine reads it: old-lb.example.net is not reachable from a test, so the
    probe (tested on a real server in test_dns.py) is played: how many of its addresses answer."""
    healthy = {"count": 1}
    monkeypatch.setattr("migrate.deploy.dns.probe", lambda old, name, path: healthy["count"])
    return healthy


def test_a_migration_by_dns_moves_the_names_clients_to_the_load_balancer(
        cli: WeightedCli, tmp_path: Path, shop_zone: str, old_endpoint: dict[str, int]) -> None:
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    migrate = ("deploy", str(root), "--image", IMAGE, "--yes", "--strategy", "canary", "--steps", "50,100",
               "--from", "old-lb.example.net", "--dns-name", "shop.example.com")
    # A first attempt whose containers never get healthy: the name stays on the old endpoint.
    cli.ecs.health_of[aws.arn("ecs", f"task-definition/{FAMILY}:1")] = (
        "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
    status, _, err = cli(*migrate)
    assert status == 1, err
    assert "drain: 90 s, past the DNS records' TTL of 60 s" in err
    assert "shop.example.com now resolves by weight: the old endpoint (old-lb.example.net) takes every client" in err
    found = shop_records(shop_zone)
    assert set(found) == {"migrate-legacy", "migrate-ecs"}  # the plain record became the weighted pair, in one batch
    assert (found["migrate-legacy"]["Weight"], found["migrate-ecs"]["Weight"]) == (255, 0)
    # From any machine, status finds the migration where it stands.
    status, out, _ = cli("status", str(root), "--target", "ecs", "--json")
    assert status == 0 and json.loads(out)["weights"]["legacy"] == 100
    # Going on with another name or endpoint than the one under way would be a guess: refused, before anything changes.
    cli.calls.clear()
    for other in ((*migrate[:-1], "www.example.com"), migrate[:-4] + ("--from", "10.0.7.5:8000")):
        status, _, err = cli(*other)
        assert status == 1 and "a migration of python-flask-postgres by DNS is under way: shop.example.com from old-lb.example.net" in err
    assert cli.calls.mutating == []

    del cli.ecs.health_of[aws.arn("ecs", f"task-definition/{FAMILY}:1")]
    cli.ecs.tick()
    status, _, err = cli(*migrate)
    assert status == 0, err
    found = shop_records(shop_zone)
    assert set(found) == {"migrate-ecs"} and found["migrate-ecs"]["Weight"] == 255  # the old endpoint's record went
    assert found["migrate-ecs"]["ResourceRecords"][0]["Value"].startswith("notes-")  # the ALB's name
    assert "shop.example.com now resolves to the load balancer alone: the migration of python-flask-postgres is over" in err
    ssm = aws.client("ssm")
    assert not ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"/migrate/notes/{APP}/dns-migration"]}])["Parameters"]
    assert forward(aws) == {BLUE: 255}  # all of the ALB's share, on Route 53's scale (the DNS router set it)
    # The next deploy is an ordinary blue-green behind the load balancer.
    status, _, err = cli("deploy", str(root), "--image", IMAGE2, "--yes", "--strategy", "blue-green")
    assert status == 0, err
    assert forward(aws) == {BLUE: 0, GREEN: 999}


def test_status_of_a_migration_by_dns_reads_the_old_endpoint_as_its_clients_find_it(
        cli: WeightedCli, tmp_path: Path, shop_zone: str, old_endpoint: dict[str, int]) -> None:
    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    cli.ecs.health_of[aws.arn("ecs", f"task-definition/{FAMILY}:1")] = (
        "unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
    old_endpoint["count"] = 0
    status, _, _ = cli("deploy", str(root), "--image", IMAGE, "--yes", "--from", "old-lb.example.net", "--dns-name", "shop.example.com")
    assert status == 1
    assert shop_records(shop_zone)["migrate-legacy"]["Weight"] == 255  # nothing moved
    status, out, _ = cli("status", str(root), "--target", "ecs", "--json")
    line = json.loads(out)
    assert line["url"] == "http://shop.example.com" and line["weights"] == {"legacy": 100}
    assert (line["sides"]["legacy"]["desired"], line["sides"]["legacy"]["healthy"]) == (1, 0)  # the old endpoint does not answer


def test_dns_migration_flags_are_checked_before_anything_changes(cli: WeightedCli, tmp_path: Path, shop_zone: str) -> None:
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--dns-name", "shop.example.com")
    assert status == 1 and "--dns-name moves a name's clients off the endpoint --from names" in err
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--from", "old-lb.example.net", "--dns-name", "shop.other.org")
    assert status == 1 and "--dns-name shop.other.org: no hosted zone of this AWS account holds it" in err
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--from", "old-lb.example.net", "--dns-name",
                         "shop.example.com", "--drain", "30")
    assert status == 1 and "not longer than the records' TTL (60 s)" in err
    assert cli.calls.mutating == []


def test_a_smoke_test_through_a_test_rule_decides_before_any_weight_moves(
        cli: WeightedCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test rule's requests are answered by :class:`~tests.deploy.alb_nodes.AlbNodes` (moto routes none)."""
    from migrate.deploy import testroute
    from migrate.deploy.loadbalancer import is_test_rule

    from .alb_nodes import AlbNodes, Node

    aws = connect(REGION)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    assert deploy(cli, root, IMAGE)[0] == 0
    elbv2 = aws.client("elbv2")
    balancer = elbv2.describe_load_balancers(Names=["notes"])["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"][0]["ListenerArn"]
    nodes = AlbNodes(aws, listener, {"10.0.1.7": Node(), "10.0.2.9": Node()}, answers={BLUE: 500})
    monkeypatch.setattr(testroute, "fetch", nodes.fetch)
    monkeypatch.setattr(testroute, "addresses", nodes.addresses)

    def test_rules() -> list[dict[str, Any]]:
        return [r for r in elbv2.describe_rules(ListenerArn=listener)["Rules"] if is_test_rule(r)]

    status, out, err = deploy(cli, root, IMAGE2, "--smoke", "/healthz", "--smoke", "/notes")
    assert status == 1
    assert "blue failed its smoke test through the test route (/healthz: 500; /notes: 500): no traffic went to it" in out + err
    assert forward(aws) == {FAMILY: 1} and service(aws, f"{APP}-blue")["desiredCount"] == 0
    assert {what for _, _, what in nodes.log} >= {BLUE} and FAMILY not in {what for _, _, what in nodes.log[-4:]}
    assert test_rules() == []  # nothing of the smoke test is left

    nodes.answers = {}
    config = root / "migrate.toml"
    config.write_text(config.read_text().replace("[project]", '[deploy]\nsmoke = ["/healthz"]\n\n[project]', 1))
    status, out, err = deploy(cli, root, IMAGE2)
    assert status == 0, err
    assert "blue: smoke test passed through the test route (/healthz 200)" in out + err
    assert forward(aws) == {BLUE: 999} and test_rules() == []

    # A test rule left by a command that died is the cutover's: a plan neither shows nor touches it.
    target = _open_ecs(aws)
    target.test_route.open("green")
    cli.calls.clear()
    status, out, err = deploy(cli, root, IMAGE2)
    assert status == 0, err
    assert "notes is up to date: nothing to change" in err and cli.calls.mutating == []
    assert len(test_rules()) == 1


def _open_ecs(aws: Any) -> Any:
    from migrate.deploy.cutover import open_ecs

    target = open_ecs(aws, "notes", APP, gates=())
    assert target is not None
    return target

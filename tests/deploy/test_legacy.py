"""The old servers of a migration on ECS (``--from``): their addresses, and how they are registered.

The CLI flow (the old servers behind the route, the canary off them, a failure kept on them, the
refusal once the app runs on ECS) is in test_cli_weighted.py, on moto. moto keeps no target's
availability zone, so the registration's request is checked here with botocore's Stubber, against
the real API model.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError
from migrate.deploy.legacy import OldServer, _register, check_first_deploy, parse_servers
from migrate.deploy.loadbalancer import HealthCheck, TargetGroup

GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-api-legacy/73e2d6bc24d8a067"


def test_addresses_take_the_apps_port_unless_they_give_their_own() -> None:
    assert parse_servers(["10.0.1.5:8000", "10.0.1.6", "[2001:db8::5]:9000", "2001:db8::6"], 5000) == (
        OldServer("10.0.1.5", 8000), OldServer("10.0.1.6", 5000), OldServer("2001:db8::5", 9000), OldServer("2001:db8::6", 5000))
    assert str(OldServer("2001:db8::5", 9000)) == "[2001:db8::5]:9000"


@pytest.mark.parametrize(("given", "says"), [
    (["old.example.com"], "on ECS, give the old servers' IP addresses"),
    (["10.0.1.5:http"], "the port must be a number from 1 to 65535"),
    (["10.0.1.5:70000"], "the port must be a number from 1 to 65535"),
    (["127.0.0.1:8000"], "is this machine's, not an address the load balancer can reach"),
    (["10.0.1.5:8000", "10.0.1.5:8000"], "an address is given twice"),
    ([], "give the old servers' addresses"),
])
def test_what_is_not_an_address_the_load_balancer_can_reach_is_refused(given: list[str], says: str) -> None:
    with pytest.raises(DeployError, match=says.replace("(", r"\(")):
        parse_servers(given, 8000)


def test_a_migration_is_refused_once_ecs_takes_the_traffic_and_taken_up_while_the_old_servers_keep_some() -> None:
    check_first_deploy("api", {}, {})  # nothing yet
    check_first_deploy("api", {"rolling": 999}, {"api": 0})  # a route to an empty group, a failed first deploy
    check_first_deploy("api", {"legacy": 500, "blue": 499}, {"api-blue": 2})  # killed midway: taken up
    with pytest.raises(DeployError, match="already runs on ECS"):
        check_first_deploy("api", {"blue": 999}, {"api-blue": 2})
    with pytest.raises(DeployError, match="already runs on ECS"):
        check_first_deploy("api", {"rolling": 999}, {"api": 2})


def test_an_address_outside_the_vpc_is_registered_in_zone_all_and_one_no_longer_given_leaves() -> None:
    session = boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    aws = Aws(session, "eu-west-1")
    group = TargetGroup(aws, "shop", "shop-api-legacy", "vpc-0a1b2c3d", 8000, HealthCheck("/health", 10, 5, 2, 3, "200-399"), 30)
    group.arn = GROUP
    with Stubber(aws.client("ec2")) as ec2, Stubber(aws.client("elbv2")) as elbv2:
        ec2.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-0a1b2c3d", "CidrBlock": "10.0.0.0/16",
                                                     "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16"}]}]},
                         {"VpcIds": ["vpc-0a1b2c3d"]})
        elbv2.add_response("describe_target_health", {"TargetHealthDescriptions": [
            {"Target": {"Id": "10.0.1.5", "Port": 8000}, "TargetHealth": {"State": "healthy"}},
            {"Target": {"Id": "10.0.1.9", "Port": 8000}, "TargetHealth": {"State": "healthy"}}]}, {"TargetGroupArn": GROUP})
        elbv2.add_response("register_targets", {}, {"TargetGroupArn": GROUP, "Targets": [
            {"Id": "10.0.1.6", "Port": 8000}, {"Id": "192.168.4.7", "Port": 8080, "AvailabilityZone": "all"}]})
        elbv2.add_response("deregister_targets", {}, {"TargetGroupArn": GROUP, "Targets": [{"Id": "10.0.1.9", "Port": 8000}]})
        _register(aws, group, parse_servers(["10.0.1.5", "10.0.1.6", "192.168.4.7:8080"], 8000))
        ec2.assert_no_pending_responses()
        elbv2.assert_no_pending_responses()

"""Pre-flight on moto: each problem found with read-only calls before the first mutating one."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from migrate.deploy.network import SecurityGroup
from migrate.deploy.plan import apply, make_plan
from migrate.deploy.preflight import Finding, preflight
from migrate.deploy.secrets import secret_arns, secrets
from migrate.deploy.service import default_network
from migrate.deploy.stack import stack

from .conftest import CallLog, put_image
from .scheduler import FakeScheduler
from .test_service import WEB

PARAMETER = "arn:aws:ssm:eu-west-1:123456789012:parameter/migrate/shop/api/DATABASE_URL"
GOOD = dataclasses.replace(WEB, secrets={"DATABASE_URL": PARAMETER}, health_path="/health")


def push(aws: Any, tag: str = "3f2a9c1") -> None:
    put_image(aws, "shop/api", tag)


def check(aws: Any, *specs: Any, planned: tuple[str, ...] = ()) -> list[Finding]:
    return preflight(aws, "shop", specs, stack(aws, "shop", specs, default_network(aws)), planned_secrets=planned)


@pytest.fixture
def deployed(aws: Any) -> Any:
    """GOOD deployed once (its rollout COMPLETED), its image pushed and its secret stored."""
    apply(make_plan([*secrets(aws, "shop", "api", {"DATABASE_URL": "postgres://x"}), *stack(aws, "shop", (GOOD,), default_network(aws))]))
    push(aws)
    FakeScheduler(aws, "shop", "api").complete(aws.arn("ecs", "task-definition/shop-api:1"))
    return aws


def test_a_sound_redeploy_finds_nothing_and_mutates_nothing(deployed: Any, calls: CallLog) -> None:
    calls.clear()
    assert check(deployed, GOOD) == []
    assert calls.mutating == []


def test_an_image_missing_from_ecr_is_an_error(deployed: Any) -> None:
    other = dataclasses.replace(GOOD, image=GOOD.image.replace(":3f2a9c1", ":0000000"))
    assert check(deployed, other) == [Finding("error", f"api: image {other.image} is not in ECR (push it first, or drop --image to let migrate build and push)")]
    elsewhere = dataclasses.replace(GOOD, image="ghcr.io/acme/shop:1")  # another registry: not ours to check
    assert check(deployed, elsewhere) == []


def test_a_missing_secret_is_an_error_unless_this_deploy_creates_it(aws: Any) -> None:
    findings = [f for f in check(aws, GOOD) if "secret" in f.message]
    assert findings == [Finding("error", f"api: secret DATABASE_URL refers to {PARAMETER}, which does not exist")]
    planned = secret_arns(secrets(aws, "shop", "api", {"DATABASE_URL": "postgres://x"}))
    assert [f for f in check(aws, GOOD, planned=tuple(planned.values())) if "secret" in f.message] == []


def test_a_secret_under_a_customer_managed_key_is_an_error(aws: Any) -> None:
    key = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    aws.client("ssm").put_parameter(Name="/migrate/shop/api/DATABASE_URL", Value="x", Type="SecureString", KeyId=key)
    (finding,) = [f for f in check(aws, GOOD) if "secret" in f.message]
    assert finding.severity == "error" and f"customer-managed KMS key {key}" in finding.message


def test_a_secret_the_execution_role_may_not_read_is_an_error(deployed: Any) -> None:
    resources = stack(deployed, "shop", (dataclasses.replace(GOOD, secrets={}),), default_network(deployed))  # a role planned without it
    findings = preflight(deployed, "shop", (GOOD,), resources)
    assert findings == [Finding("error", f"api: the execution role may not read secret DATABASE_URL (ssm:GetParameters on {PARAMETER})")]


def test_a_wrong_fargate_size_is_an_error(deployed: Any) -> None:
    assert check(deployed, dataclasses.replace(GOOD, cpu=256, memory=4096)) == [
        Finding("error", "api: Fargate does not run 256 CPU units with 4096 MiB (with 256: 512 to 2048 MiB in steps of 512)")]


def test_the_load_balancer_must_reach_the_container_port(deployed: Any) -> None:
    resources = stack(deployed, "shop", (GOOD,), default_network(deployed))
    tasks = next(r for r in resources if isinstance(r, SecurityGroup) and r.name == "shop-api-tasks")
    balancer = next(r for r in resources if isinstance(r, SecurityGroup) and r.name == "shop-alb")
    tasks.rules = ((9000, balancer),)
    assert preflight(deployed, "shop", (GOOD,), resources) == [Finding("error", "api: no rule lets the load balancer reach the tasks on port 8000")]
    ec2 = deployed.client("ec2")
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["shop-alb"]}])["SecurityGroups"][0]
    ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    assert check(deployed, GOOD) == [Finding("error", "api: security group shop-alb lets the load balancer send nothing to port 8000 (its outbound rules)")]


def test_a_first_deploy_is_warned_that_it_cannot_roll_back(aws: Any) -> None:
    push_first = [f for f in check(aws, GOOD) if f.severity == "warning"]
    assert [f.message.split(":")[0:2] for f in push_first] == [["api", " first deploy"]]
    apply(make_plan(stack(aws, "shop", (GOOD,), default_network(aws))))  # created, but no rollout COMPLETED yet
    assert [f.severity for f in check(aws, GOOD) if "first deploy" in f.message] == ["warning"]


def test_an_unknown_health_path_is_a_note(deployed: Any) -> None:
    assert check(deployed, dataclasses.replace(GOOD, health_path=None)) == [Finding("note", (
        "api: no health path is known; the load balancer checks / and accepts any answer below 500 (set health_path in migrate.toml for a real check)"))]

"""An app's task definition, tasks' security group and ECS service on moto: plan, apply, converge.

moto 5.2.5 stores services and task definitions but starts no deployment and runs no task; these
tests check only what it does hold: the resources, their settings, and which calls were made.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from migrate.deploy.errors import DeployError
from migrate.deploy.foundation import Names, service_resources
from migrate.deploy.plan import apply, make_plan
from migrate.deploy.service import default_network
from migrate.deploy.spec import Probe, ServiceSpec, fargate_size_problem

from .conftest import CallLog

NAMES = Names("shop", "api")
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/api/DATABASE_URL-AbCdEf"
WEB = ServiceSpec(
    app="api", image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:3f2a9c1", port=8000,
    probe=Probe(("python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')")),
    environment={"LOG_LEVEL": "info"}, secrets={"DATABASE_URL": SECRET}, cpu=512, memory=1024, stop_timeout=30,
)


def resources(aws: Any, spec: ServiceSpec = WEB) -> list[Any]:
    return service_resources(aws, NAMES, spec, default_network(aws))


def test_a_first_deploy_creates_the_task_definition_and_service(aws: Any) -> None:
    plan = make_plan(resources(aws))
    assert [s.title for s in plan.steps][-3:] == ["security group shop-api-tasks", "task definition shop-api", "ECS service api"]
    assert {s.action for s in plan.steps} == {"create"}
    apply(plan)

    ecs = aws.client("ecs")
    td = ecs.describe_task_definition(taskDefinition="shop-api")["taskDefinition"]
    assert (td["cpu"], td["memory"], td["networkMode"], td["requiresCompatibilities"]) == ("512", "1024", "awsvpc", ["FARGATE"])
    assert td["executionRoleArn"].endswith(":role/shop-api-execution") and td["taskRoleArn"].endswith(":role/shop-api-task")
    (container,) = td["containerDefinitions"]
    assert container["portMappings"] == [{"containerPort": 8000, "protocol": "tcp"}]
    assert container["healthCheck"]["command"][:2] == ["CMD", "python"]
    assert container["secrets"] == [{"name": "DATABASE_URL", "valueFrom": SECRET}]
    assert {"name": "DATABASE_URL"} not in [{"name": e["name"]} for e in container["environment"]]  # never plain text
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/ecs/shop/api"
    service = ecs.describe_services(cluster="shop", services=["api"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/shop-api:1")
    assert service["launchType"] == "FARGATE" and service["desiredCount"] == 2
    groups = service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    group = aws.client("ec2").describe_security_groups(GroupIds=groups)["SecurityGroups"][0]
    assert group["GroupName"] == "shop-api-tasks" and group["IpPermissions"] == []


def test_the_execution_role_may_read_the_secret_the_task_uses(aws: Any) -> None:
    apply(make_plan(resources(aws)))
    policy = aws.client("iam").get_role_policy(RoleName="shop-api-execution", PolicyName="migrate-execution")["PolicyDocument"]
    assert {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [SECRET]} in policy["Statement"]


def test_nothing_changed_means_no_new_revision_and_no_mutating_call(aws: Any, calls: CallLog) -> None:
    apply(make_plan(resources(aws)))
    calls.clear()
    plan = make_plan(resources(aws))
    apply(plan)
    assert not plan.changes_anything and calls.mutating == []


def test_a_new_image_registers_the_next_revision_and_moves_the_service(aws: Any, calls: CallLog) -> None:
    apply(make_plan(resources(aws)))
    calls.clear()
    plan = make_plan(resources(aws, dataclasses.replace(WEB, image=WEB.image.replace("3f2a9c1", "9e8d7c6"))))
    changed = {s.title: [c.name for c in s.changes] for s in plan.steps if s.action != "unchanged"}
    assert changed == {"task definition shop-api": ["container"], "ECS service api": ["task_definition"]}
    service_step = next(s for s in plan.steps if s.title == "ECS service api")
    assert [(c.before, c.after) for c in service_step.changes] == [("shop-api:1", "shop-api:2")]
    apply(plan)
    assert calls.mutating == ["ecs.RegisterTaskDefinition", "ecs.UpdateService"]
    service = aws.client("ecs").describe_services(cluster="shop", services=["api"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/shop-api:2")


def test_a_hand_opened_port_on_the_tasks_group_is_closed_again(aws: Any) -> None:
    apply(make_plan(resources(aws)))
    ec2 = aws.client("ec2")
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["shop-api-tasks"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    plan = make_plan(resources(aws))
    assert [(s.title, s.changes[0].before) for s in plan.steps if s.action == "update"] == [
        ("security group shop-api-tasks", "tcp 22 from 0.0.0.0/0")]
    apply(plan)
    assert ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]["IpPermissions"] == []


def test_a_worker_has_no_port_and_no_health_check(aws: Any) -> None:
    worker = ServiceSpec(app="api", image=WEB.image, port=None, probe=None, command=("celery", "-A", "proj", "worker"))
    apply(make_plan(resources(aws, worker)))
    (container,) = aws.client("ecs").describe_task_definition(taskDefinition="shop-api")["taskDefinition"]["containerDefinitions"]
    assert "portMappings" not in container or container["portMappings"] == []
    assert "healthCheck" not in container
    assert container["command"] == ["celery", "-A", "proj", "worker"]


def test_no_default_vpc_is_one_clear_error(aws: Any) -> None:
    ec2 = aws.client("ec2")
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]:
        for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        ec2.delete_vpc(VpcId=vpc["VpcId"])
    with pytest.raises(DeployError, match="eu-west-1 has no default VPC") as caught:
        default_network(aws)
    assert "--vpc" in (caught.value.hint or "")


@pytest.mark.parametrize(("cpu", "memory", "problem"), [
    (256, 512, None), (256, 2048, None), (512, 4096, None), (4096, 30720, None), (16384, 122880, None),
    (256, 4096, "Fargate does not run 256 CPU units with 4096 MiB (with 256: 512 to 2048 MiB"),
    (1024, 1024, "Fargate does not run 1024 CPU units with 1024 MiB"),
    (8192, 20000, "Fargate does not run 8192 CPU units with 20000 MiB"),
    (300, 512, "Fargate has no size with 300 CPU units"),
])
def test_fargate_sizes_are_checked_before_any_call(cpu: int, memory: int, problem: str | None) -> None:
    found = fargate_size_problem(cpu, memory)
    assert found == problem if problem is None else (found or "").startswith(problem)


def test_a_spec_lists_every_problem_it_has() -> None:
    bad = dataclasses.replace(WEB, cpu=256, memory=8192, stop_timeout=300, environment={"DATABASE_URL": "x"})
    problems = bad.problems()
    assert len(problems) == 3
    assert any("stop timeout 300 s is outside Fargate's 2 to 120 s" in p for p in problems)
    assert any("DATABASE_URL set both as plain environment and as a secret" in p for p in problems)
    assert WEB.problems() == []

"""An app's task definition, tasks' security group and ECS service on moto: plan, apply, converge.

moto 5.2.5 stores services and task definitions but starts no deployment and runs no task; these
tests check only what it does hold: the resources, their settings, and which calls were made.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from migrate.deploy.errors import DeployError
from migrate.deploy.plan import apply, make_plan
from migrate.deploy.service import default_network
from migrate.deploy.spec import Probe, ServiceSpec, fargate_size_problem
from migrate.deploy.stack import stack

from .conftest import CallLog

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/api/DATABASE_URL-AbCdEf"
WEB = ServiceSpec(
    app="api", image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:3f2a9c1", port=8000,
    probe=Probe(("python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')")),
    environment={"LOG_LEVEL": "info"}, secrets={"DATABASE_URL": SECRET}, cpu=512, memory=1024, stop_timeout=30,
)


def resources(aws: Any, *specs: ServiceSpec) -> list[Any]:
    return stack(aws, "shop", specs or (WEB,), default_network(aws))


def test_a_first_deploy_creates_the_task_definition_and_service(aws: Any) -> None:
    plan = make_plan(resources(aws))
    assert [s.title for s in plan.steps] == [
        "ECS cluster shop", "security group shop-alb", "ECR repository shop/api", "log group /ecs/shop/api",
        "IAM role shop-api-execution", "IAM role shop-api-task", "security group shop-api-tasks", "load balancer shop",
        "target group shop-api", "listener shop:80", "task definition shop-api", "ECS service api",
        "autoscaling service/shop/api",
    ]
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
    ec2 = aws.client("ec2")
    group = ec2.describe_security_groups(GroupIds=groups)["SecurityGroups"][0]
    alb_group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["shop-alb"]}])["SecurityGroups"][0]
    # Only the load balancer reaches the tasks, only on the app's port.
    assert group["GroupName"] == "shop-api-tasks"
    assert [(p["FromPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p["IpRanges"]) for p in group["IpPermissions"]] == [
        (8000, [alb_group["GroupId"]], [])]


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
    (step,) = [s for s in plan.steps if s.action == "update"]
    assert step.title == "security group shop-api-tasks" and "tcp 22 from 0.0.0.0/0" in (step.changes[0].before or "")
    apply(plan)
    rules = ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]["IpPermissions"]
    assert [p["FromPort"] for p in rules] == [8000]


def test_a_worker_has_no_port_and_no_health_check(aws: Any) -> None:
    worker = ServiceSpec(app="api", image=WEB.image, port=None, probe=None, command=("celery", "-A", "proj", "worker"))
    plan = make_plan(resources(aws, worker))
    assert not any(s.resource.kind in ("load balancer", "target group", "listener") for s in plan.steps)
    apply(plan)
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


def test_the_load_balancer_checks_the_health_path_and_drains_briefly(aws: Any, calls: CallLog) -> None:
    apply(make_plan(resources(aws, dataclasses.replace(WEB, health_path="/health"))))
    elbv2 = aws.client("elbv2")
    tg = elbv2.describe_target_groups(Names=["shop-api"])["TargetGroups"][0]
    assert (tg["TargetType"], tg["Port"], tg["HealthCheckPath"], tg["Matcher"]["HttpCode"]) == ("ip", 8000, "/health", "200-399")
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == "30"  # AWS's default is 300
    lb = elbv2.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert listener["Port"] == 80 and listener["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
    service = aws.client("ecs").describe_services(cluster="shop", services=["api"])["services"][0]
    assert service["loadBalancers"] == [{"targetGroupArn": tg["TargetGroupArn"], "containerName": "api", "containerPort": 8000}]
    # moto 5.2.5 drops these two at create: what was asked of ECS is what the request carried.
    request = calls.request("ecs.CreateService")
    assert request["healthCheckGracePeriodSeconds"] == 50  # the probe's start period and 30 s
    assert request["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_the_drain_is_never_longer_than_the_stop_timeout(aws: Any) -> None:
    apply(make_plan(resources(aws, dataclasses.replace(WEB, stop_timeout=10))))
    elbv2 = aws.client("elbv2")
    arn = elbv2.describe_target_groups(Names=["shop-api"])["TargetGroups"][0]["TargetGroupArn"]
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == "10"


def test_several_web_apps_share_one_balancer_routed_by_path(aws: Any, calls: CallLog) -> None:
    web = dataclasses.replace(WEB, app="web", port=3000)
    api = dataclasses.replace(WEB, paths=("/api/*",))
    apply(make_plan(resources(aws, web, api)))
    elbv2 = aws.client("elbv2")
    lb = elbv2.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    groups = {g["TargetGroupName"]: g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert listener["DefaultActions"][0]["TargetGroupArn"] == groups["shop-web"]
    (rule,) = [r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]]
    assert rule["Actions"][0]["TargetGroupArn"] == groups["shop-api"]
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/api/*"]
    calls.clear()
    plan = make_plan(resources(aws, web, api))
    assert not plan.changes_anything and calls.mutating == []


def test_an_apps_host_allow_list_names_the_load_balancer(aws: Any, calls: CallLog) -> None:
    """Django answers 400 to a Host it does not allow, and every request through the balancer names it."""
    web = dataclasses.replace(WEB, hosts_variable="DJANGO_ALLOWED_HOSTS", hosts_separator=",")
    plan = make_plan(resources(aws, web))
    (definition,) = [s for s in plan.steps if s.title == "task definition shop-api"]
    assert "(the load balancer's address, once created)" in next(c.after for c in definition.changes if c.name == "container")
    apply(plan)
    lb = aws.client("elbv2").describe_load_balancers(Names=["shop"])["LoadBalancers"][0]
    td = aws.client("ecs").describe_task_definition(taskDefinition="shop-api")["taskDefinition"]
    environment = {e["name"]: e["value"] for e in td["containerDefinitions"][0]["environment"]}
    assert environment["DJANGO_ALLOWED_HOSTS"] == lb["DNSName"]
    calls.clear()
    assert not make_plan(resources(aws, web)).changes_anything and calls.mutating == []
    # Set in migrate.toml (a domain of the user's), it is theirs: deploy leaves it as they wrote it.
    mine = dataclasses.replace(web, environment={"DJANGO_ALLOWED_HOSTS": "shop.example.com"})
    apply(make_plan(resources(aws, mine)))
    td = aws.client("ecs").describe_task_definition(taskDefinition="shop-api")["taskDefinition"]
    assert {"name": "DJANGO_ALLOWED_HOSTS", "value": "shop.example.com"} in td["containerDefinitions"][0]["environment"]


def test_with_a_certificate_the_allow_list_also_names_its_domains(aws: Any) -> None:
    arn = aws.client("acm").request_certificate(DomainName="shop.example.com",
                                                SubjectAlternativeNames=["shop.example.com", "*.shop.example.com"])["CertificateArn"]
    web = dataclasses.replace(WEB, hosts_variable="HOSTS", hosts_separator=" ")
    apply(make_plan(stack(aws, "shop", (web,), default_network(aws), certificate=arn)))
    lb = aws.client("elbv2").describe_load_balancers(Names=["shop"])["LoadBalancers"][0]
    td = aws.client("ecs").describe_task_definition(taskDefinition="shop-api")["taskDefinition"]
    environment = {e["name"]: e["value"] for e in td["containerDefinitions"][0]["environment"]}
    assert environment["HOSTS"] == f"{lb['DNSName']} shop.example.com .shop.example.com"


def test_the_django_examples_web_service_gets_its_allow_list_variable_and_its_worker_none(aws: Any) -> None:
    from pathlib import Path

    from migrate.deploy.workflow import load_project, services_of

    project = load_project(Path(__file__).resolve().parents[2] / "examples" / "python-django-celery")
    specs = services_of(project, aws, {plan.image: f"repo/{plan.image}:1" for plan in project.plans}).specs
    assert [(s.app, s.hosts_variable) for s in specs] == [("shopfront", "DJANGO_ALLOWED_HOSTS"), ("shopfront-worker", None)]


def test_changing_the_routes_never_leaves_a_routed_path_without_its_rule(aws: Any, calls: CallLog) -> None:
    """Between the calls that rewrite the rules, a path routed before and after keeps reaching its app."""
    import boto3

    web = dataclasses.replace(WEB, app="web", port=3000)
    api, admin = dataclasses.replace(WEB, paths=("/api/*",)), dataclasses.replace(WEB, app="admin", paths=("/admin/*",))
    old = dataclasses.replace(WEB, app="old", paths=("/old/*",))
    apply(make_plan(resources(aws, web, api, admin, old)))
    # Read through a session of its own: the check must not land in the call log, nor fire its own hook.
    elbv2 = boto3.session.Session(region_name="eu-west-1").client("elbv2")
    groups = {g["TargetGroupName"]: g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    lb = elbv2.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]

    def routed(path: str) -> str | None:
        rules = sorted((r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]),
                       key=lambda r: int(r["Priority"]))
        arn = next((r["Actions"][0]["TargetGroupArn"] for r in rules if path in r["Conditions"][0]["PathPatternConfig"]["Values"]), None)
        return next((name for name, a in groups.items() if a == arn), None)

    seen: list[tuple[str | None, str | None]] = []

    def check(model: Any, **_: Any) -> None:
        if model.name in ("CreateRule", "DeleteRule", "ModifyRule", "SetRulePriorities"):
            seen.append((routed("/api/*"), routed("/admin/*")))

    aws.client("elbv2").meta.events.register("after-call.*.*", check)
    # admin now comes first, api takes one more path, old is gone.
    plan = make_plan(resources(aws, web, admin, dataclasses.replace(api, paths=("/api/*", "/v2/*"))))
    apply(plan)
    assert seen and set(seen) == {("shop-api", "shop-admin")}
    rules = [r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]]
    assert sorted((r["Priority"], tuple(r["Conditions"][0]["PathPatternConfig"]["Values"])) for r in rules) == [
        ("10", ("/admin/*",)), ("20", ("/api/*", "/v2/*"))]
    calls.clear()
    assert not make_plan(resources(aws, web, admin, dataclasses.replace(api, paths=("/api/*", "/v2/*")))).changes_anything
    assert calls.mutating == []


def test_two_web_apps_without_a_path_cannot_share_the_balancer(aws: Any) -> None:
    with pytest.raises(DeployError, match="several web apps share the load balancer but api, web have no path"):
        resources(aws, WEB, dataclasses.replace(WEB, app="web", port=3000))


def test_long_project_names_fit_elb_names() -> None:
    from migrate.deploy.loadbalancer import elb_name

    name = elb_name("a-very-long-project-name-for-a-monorepo", "service")
    assert len(name) <= 32 and name == elb_name("a-very-long-project-name-for-a-monorepo", "service")
    assert name != elb_name("a-very-long-project-name-for-a-monorepo", "servicf")  # the hash keeps them apart
    assert elb_name("shop", "api") == "shop-api"


def test_a_web_service_scales_on_cpu_and_on_requests_per_target(aws: Any, calls: CallLog) -> None:
    apply(make_plan(resources(aws, dataclasses.replace(WEB, min_tasks=2, max_tasks=6))))
    client = aws.client("application-autoscaling")
    (target,) = client.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == ("service/shop/api", 2, 6)
    policies = {p["PolicyName"]: p["TargetTrackingScalingPolicyConfiguration"] for p in client.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]}
    assert policies["api-cpu"]["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    label = policies["api-requests"]["PredefinedMetricSpecification"]["ResourceLabel"]
    elbv2 = aws.client("elbv2")
    lb = elbv2.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.describe_target_groups(Names=["shop-api"])["TargetGroups"][0]["TargetGroupArn"]
    assert label == f"{lb.split(':loadbalancer/')[1]}/{tg.split(':')[-1]}"
    assert label.startswith("app/shop/") and "/targetgroup/shop-api/" in label
    calls.clear()
    assert not make_plan(resources(aws, dataclasses.replace(WEB, min_tasks=2, max_tasks=6))).changes_anything
    plan = make_plan(resources(aws, dataclasses.replace(WEB, min_tasks=3, max_tasks=6)))
    assert [(s.title, [c.name for c in s.changes]) for s in plan.steps if s.action != "unchanged"] == [("autoscaling service/shop/api", ["tasks"])]


def test_a_worker_scales_on_cpu_only(aws: Any) -> None:
    worker = ServiceSpec(app="worker", image=WEB.image, port=None, probe=None, command=("celery", "worker"))
    apply(make_plan(resources(aws, worker)))
    names = [p["PolicyName"] for p in aws.client("application-autoscaling").describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]]
    assert names == ["worker-cpu"]


def test_a_retried_create_service_resends_its_client_token(aws: Any) -> None:
    """A CreateService whose answer is lost is retried by botocore; with the same ``clientToken``, ECS returns the
    service it created instead of refusing ("Creation of service was not idempotent"). moto 5.2.5 ignores the token
    (and overwrites a service of the same name), so what is checked is what AWS is sent: one token per service,
    resent unchanged by the retry."""
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(json.loads(request.body)["clientToken"])

    def lose_the_first_answer(attempts: int, **_: Any) -> float | None:
        return 0 if attempts == 1 else None  # "retry now", as after a read timeout

    events = aws.session.events
    events.register("before-send.ecs.CreateService", record)
    events.register_first("needs-retry.ecs.CreateService", lose_the_first_answer)
    worker = dataclasses.replace(WEB, app="worker", port=None, probe=None, command=("celery", "worker"))
    apply(make_plan(resources(aws, WEB, worker)))
    first, retried, other, other_retried = sent
    assert first == retried and other == other_retried and first != other
    assert len(first) <= 36  # ECS's limit


@pytest.mark.parametrize(("before", "separator", "expected"), [
    (None, ",", "localhost,{ip}"),
    ("shop.example.com", ",", "shop.example.com,localhost,{ip}"),
    ("a b", " ", "a b localhost {ip}"),
])
def test_the_allow_list_gets_the_tasks_own_address_and_localhost_then_the_app_starts(
        before: str | None, separator: str, expected: str) -> None:
    """The wrapper is plain sh: run it here, with a start command that prints what the app would read."""
    import os
    import socket
    import subprocess
    import sys

    from migrate.deploy.specs import answering_own_address

    command = answering_own_address((sys.executable, "-c", "import os, sys; print(os.environ['HOSTS'], sys.argv[1:])", "--bind", "x y"),
                                    "HOSTS", separator)
    env = {k: v for k, v in os.environ.items() if k != "HOSTS"} | ({"HOSTS": before} if before is not None else {})
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    ip = socket.gethostbyname(socket.gethostname())
    assert out == expected.format(ip=ip) + " ['--bind', 'x y']\n"  # the app's own arguments arrive intact


def test_the_django_web_service_starts_through_the_wrapper_around_its_dockerfiles_cmd(aws: Any, tmp_path: Any) -> None:
    import shutil
    from pathlib import Path

    from migrate.deploy.workflow import load_project, services_of

    root = tmp_path / "shop"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "python-django-celery", root)
    project = load_project(root)
    assert services_of(project, aws, {p.image: "r" for p in project.plans}).specs[0].command[4:] == project.plans[0].cmd  # type: ignore[index]
    from migrate.init import apply_init, plan_init

    apply_init(plan_init(root))  # the Dockerfile, whose CMD is read from now on
    images = {plan.image: f"repo/{plan.image}:1" for plan in project.plans}
    web, worker = services_of(project, aws, images).specs
    assert web.command is not None and web.command[:2] == ("sh", "-c") and "DJANGO_ALLOWED_HOSTS" in web.command[2]
    assert web.command[4:] == project.plans[0].cmd and worker.command == project.plans[0].workers[0].command
    # The user edits the Dockerfile's CMD: the wrapper starts what the image would start.
    dockerfile = root / project.plans[0].dockerfile
    text = dockerfile.read_text()
    cmd_line = next(line for line in text.splitlines() if line.startswith("CMD "))  # the runtime stage production builds on
    dockerfile.write_text(text.replace(cmd_line, 'CMD ["gunicorn", "shop.wsgi", "--workers", "5"]'))
    web, _ = services_of(load_project(root), aws, images).specs
    assert web.command is not None and web.command[4:] == ("gunicorn", "shop.wsgi", "--workers", "5")

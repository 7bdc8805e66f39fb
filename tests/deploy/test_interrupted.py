"""Interrupted deploys: `migrate deploy` dies at each of its mutating AWS calls in turn, and the next one converges.

The example has a web app (load balancer, target group, listener, autoscaling on CPU and requests)
and a worker (a service of its own, no port), so a first deploy makes every kind of call migrate makes.
At each mutating call N of that first deploy (:data:`FIRST_DEPLOY`), the deploy stops:

- ``killed-after``: the process dies (SIGKILL, a power cut, a CI runner reclaimed) right after call N
  completed in AWS, before it saw the answer. Nothing runs after that, no ``finally``: the deploy lock
  stays in AWS. Dying right *before* call N leaves AWS as dying after call N-1 does (between the two a
  deploy only reads), which :func:`test_dying_before_a_call_leaves_aws_as_dying_after_the_one_before` checks.
- ``ctrl-c`` (at the calls of :data:`CTRL_C_AT`): the user presses Ctrl-C right before call N: Python
  unwinds, ``finally`` blocks run (the locks are released), the CLI exits 130.

Then the next `migrate deploy` must end where an uninterrupted deploy ends (:func:`snapshot`): the same
resources with the same settings and tags, nothing created twice, no deploy lock left, every rollout
watched to its end; and the deploy after it must make no mutating call. A lock left by a dead process is
named by the next deploy with the flag that breaks it (``--break-lock``), and refuses it when it has
something to change: migrate cannot tell a dead deploy from a slow one on another machine, so breaking
it is the user's call (migrate/deploy/lock.py).

moto as it really is (5.2.5): it ignores ECS's ``clientToken``, and its ``create_service`` replaces a
service of the same name where AWS refuses ("Creation of service was not idempotent"). Neither matters
here because migrate observes before it creates, but neither is tested here either: a retry of the
same CreateService request (an answer lost on the network) is AWS's idempotency, not moto's.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from migrate.deploy.aws import Aws, connect
from migrate.deploy.workflow import Project, load_project

from .conftest import REGION, CallLog, fake_aws_env, put_image
from .scheduler import OneOffTasks, scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import IMAGE, SHOP_CONFIG, Cli, copy_example, published

#: Some sixty deploys on moto, a few seconds each: `-m "not slow"` leaves them out of a quick run.
pytestmark = pytest.mark.slow

EXAMPLE = "python-flask-celery"
PROJECT = EXAMPLE
APPS = ("notes", "notes-worker")

#: The mutating calls of a first deploy of the example, in order. When deploy makes a new one, add it
#: here: each call is a point where the process can die, and gets its own tests below.
FIRST_DEPLOY = (
    "ssm.PutParameter", "ssm.PutParameter",  # the deploy locks of both apps
    "ecs.CreateCluster",
    "ec2.CreateSecurityGroup", "ec2.AuthorizeSecurityGroupIngress",  # the load balancer's
    # One repository, log group and pair of roles for the app: its web service and its worker share them.
    "ecr.CreateRepository", "ecr.PutLifecyclePolicy", "logs.CreateLogGroup", "logs.PutRetentionPolicy",
    "iam.CreateRole", "iam.PutRolePolicy", "iam.CreateRole",
    "ec2.CreateSecurityGroup", "ec2.AuthorizeSecurityGroupIngress",  # the web app's tasks
    "ec2.CreateSecurityGroup",  # the worker's tasks: no inbound rule
    "elbv2.CreateLoadBalancer", "elbv2.ModifyLoadBalancerAttributes",
    "elbv2.CreateTargetGroup", "elbv2.ModifyTargetGroupAttributes", "elbv2.CreateListener",
    "ecs.RegisterTaskDefinition", "ecs.RegisterTaskDefinition",
    "ecs.RunTask",  # the release step (flask db upgrade), before the first service moves
    "ecs.CreateService", "application-autoscaling.RegisterScalableTarget",
    "application-autoscaling.PutScalingPolicy", "application-autoscaling.PutScalingPolicy",
    "ecs.CreateService", "application-autoscaling.RegisterScalableTarget", "application-autoscaling.PutScalingPolicy",
    "ssm.DeleteParameter", "ssm.DeleteParameter",  # the locks released
)

Stop = Literal["killed-after", "killed-before", "ctrl-c"]




class Killed(BaseException):
    """The process died. Not an ``Exception``: nothing in migrate may catch it, as nothing catches SIGKILL."""


def is_mutating(call: str) -> bool:
    """Anything but Describe*, List*, Get*, BatchGet* (as :attr:`CallLog.mutating` counts)."""
    return bool(CallLog(calls=[call], params=[{}]).mutating)


@dataclass
class Interrupter(CallLog):
    """A :class:`CallLog` that, once armed, stops the process at its ``at``-th mutating call."""

    at: int = 0  # 0: never
    stop: Stop = "killed-after"
    seen: int = 0
    dead: bool = False

    def attach(self, session: Any) -> None:
        """Record every call of ``session``'s clients, and stop the process where told."""
        super().attach(session)
        session.events.register("before-call.*.*", self._before)
        session.events.register("after-call.*.*", self._after)

    def arm(self, at: int, stop: Stop) -> None:
        """Stop the next run at its ``at``-th mutating call."""
        self.clear()
        self.at, self.stop, self.seen, self.dead = at, stop, 0, False

    def disarm(self) -> None:
        """A new process: every call goes through."""
        self.arm(0, "killed-after")

    def _before(self, model: Any, **_: Any) -> None:
        if self.dead:
            raise Killed(f"a dead process calls nothing ({model.name})")
        if not is_mutating(f"{model.service_model.service_name}.{model.name}"):
            return
        self.seen += 1
        if self.seen != self.at or self.stop == "killed-after":
            return
        if self.stop == "ctrl-c":
            raise KeyboardInterrupt  # the calls made while Python unwinds (the lock's release) go through
        self.dead = True
        raise Killed(f"killed before {model.name}")

    def _after(self, model: Any, **_: Any) -> None:
        if self.at and self.stop == "killed-after" and self.seen == self.at and not self.dead:
            self.dead = True
            raise Killed(f"killed after {model.name}")


@functools.cache
def _project(path: Path) -> Project:
    return load_project(path)


@functools.cache
def _one_session() -> tuple[Aws, Interrupter]:
    """The AWS session of every run in this module, with the :class:`Interrupter` attached (moto intercepts
    its clients' calls whichever moto is active: its hook is botocore's, not the client's)."""
    aws = connect(REGION)
    log = Interrupter()
    log.attach(aws.session)
    return aws, log


class Machine:
    """A machine running `migrate deploy ROOT --image ... --yes` again and again, on moto.

    Every run uses one AWS session and inspects the tree once: a botocore client holds nothing of AWS's
    state, the tree does not change, and doing both anew for each run would take half of these tests'
    time. :class:`~tests.deploy.test_cli_deploy.Cli` plays ECS's scheduler while a run waits.
    """

    def __init__(self, health: dict[str, tuple[str, str, str]], root: Path, images: tuple[str, ...] = (f"--image={IMAGE}",)) -> None:
        self.cli, self.root, self.images = Cli(health), root, images
        self.aws, self.log = _one_session()
        self.log.disarm()
        _pushed_by_the_user()

    def deploy(self, *flags: str) -> tuple[int, str]:
        """One run: its exit status and stderr."""
        import migrate.deploy.aws
        from migrate.deploy import workflow

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(migrate.deploy.aws, "connect", lambda *_, **__: self.aws)
            patch.setattr(workflow, "load_project", _project)  # the tree does not change between runs
            status, _, err = self.cli("deploy", str(self.root), *self.images, "--yes", *flags)
        return status, err


# ------------------------------------------------------------------------------------ the state
def snapshot(aws: Any) -> dict[str, Any]:
    """Everything the deploy can have created, by name: settings, tags and counts, without AWS's random ids.

    Not only what carries migrate's tags: an orphan is often the untagged half of a create.
    """
    state = {"ssm": _parameters(aws), "ecr": _repositories(aws), "logs": _log_groups(aws), "iam": _roles(aws),
             "ec2": _security_groups(aws), "elbv2": _balancing(aws), "ecs": _ecs(aws), "autoscaling": _scaling(aws)}
    return _without_ids(aws, state)


def _parameters(aws: Any) -> list[str]:
    pages = aws.client("ssm").get_paginator("describe_parameters").paginate()
    return sorted(p["Name"] for page in pages for p in page["Parameters"])


def _repositories(aws: Any) -> dict[str, Any]:
    ecr = aws.client("ecr")
    result: dict[str, Any] = {}
    for repo in ecr.describe_repositories()["repositories"]:
        name = repo["repositoryName"]
        try:
            policy = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
        except ecr.exceptions.LifecyclePolicyNotFoundException:
            policy = None
        result[name] = {"scan": repo["imageScanningConfiguration"], "mutability": repo["imageTagMutability"], "lifecycle": policy,
                        "tags": ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
    return result


def _log_groups(aws: Any) -> dict[str, Any]:
    logs = aws.client("logs")
    return {g["logGroupName"]: {"retention": g.get("retentionInDays"), "tags": logs.list_tags_log_group(logGroupName=g["logGroupName"])["tags"]}
            for g in logs.describe_log_groups()["logGroups"]}


def _roles(aws: Any) -> dict[str, Any]:
    iam = aws.client("iam")
    result: dict[str, Any] = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        policies = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                    for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        result[name] = {"trust": role["AssumeRolePolicyDocument"], "policies": policies, "attached": attached,
                        "tags": iam.list_role_tags(RoleName=name)["Tags"]}
    return result


def _security_groups(aws: Any) -> dict[str, Any]:
    groups = aws.client("ec2").describe_security_groups()["SecurityGroups"]
    return {g["GroupName"]: {"description": g["Description"], "vpc": g["VpcId"], "ingress": g["IpPermissions"],
                             "egress": g["IpPermissionsEgress"], "tags": sorted(g.get("Tags", []), key=str)}
            for g in groups if g["GroupName"] != "default"}


def _balancing(aws: Any) -> dict[str, Any]:
    elbv2 = aws.client("elbv2")

    def tags(arn: str) -> Any:
        return elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]

    balancers: dict[str, Any] = {}
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        arn = lb["LoadBalancerArn"]
        listeners = {}
        for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
            rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
            listeners[listener["Port"]] = {
                "protocol": listener["Protocol"], "default": listener["DefaultActions"],
                "rules": sorted(({k: r[k] for k in ("Priority", "Conditions", "Actions")} for r in rules), key=str)}
        attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        # AWS reports a new balancer's idle timeout (60 s); moto 5.2.5 leaves it out of the list until it is set.
        attributes.setdefault("idle_timeout.timeout_seconds", "60")
        balancers[lb["LoadBalancerName"]] = {
            "scheme": lb["Scheme"], "type": lb["Type"], "subnets": sorted(z["SubnetId"] for z in lb["AvailabilityZones"]),
            "security_groups": lb["SecurityGroups"], "attributes": attributes, "tags": tags(arn), "listeners": listeners}
    groups: dict[str, Any] = {}
    for tg in elbv2.describe_target_groups()["TargetGroups"]:
        arn = tg["TargetGroupArn"]
        settings = {k: v for k, v in tg.items() if k not in ("TargetGroupArn", "LoadBalancerArns")}
        attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
        # A set in AWS; moto 5.2.5 appends the balancer again for each rule created, and never removes it.
        groups[tg["TargetGroupName"]] = {**settings, "balancers": sorted(set(tg.get("LoadBalancerArns", []))),
                                         "attributes": sorted(attributes, key=str), "tags": tags(arn)}
    return {"load_balancers": balancers, "target_groups": groups}


def _ecs(aws: Any) -> dict[str, Any]:
    ecs = aws.client("ecs")
    clusters: dict[str, Any] = {}
    for cluster in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"], include=["SETTINGS", "TAGS"])["clusters"]:
        name = cluster["clusterName"]
        # Every service of the cluster, ACTIVE or not: a second one, or a leftover DRAINING one, is an orphan.
        from moto.ecs.models import ecs_backends  # moto's list_services hides no status; its table is what exists

        names = sorted(key.split(":", 1)[1] for key in ecs_backends[aws.account_id][aws.region].services if key.startswith(f"{name}:"))
        found = ecs.describe_services(cluster=name, services=names, include=["TAGS"])["services"] if names else []
        services = {s["serviceName"]: {
            "status": s["status"], "task_definition": s["taskDefinition"], "desired": s["desiredCount"],
            "launch_type": s.get("launchType"), "network": s.get("networkConfiguration"), "load_balancers": s.get("loadBalancers"),
            "grace": s.get("healthCheckGracePeriodSeconds"), "tags": s.get("tags"), "propagate_tags": s.get("propagateTags"),
            "deployments": sorted((d["status"], d["taskDefinition"], d.get("rolloutState")) for d in s.get("deployments", []))}
            for s in found}
        # A set: moto 5.2.5's list_tasks without desiredStatus lists stopped tasks too (ECS lists RUNNING ones).
        tasks = ecs.list_tasks(cluster=name)["taskArns"] + ecs.list_tasks(cluster=name, desiredStatus="STOPPED")["taskArns"]
        clusters[name] = {"status": cluster["status"], "settings": cluster.get("settings"), "tags": cluster.get("tags"),
                          "services": services, "tasks": len(set(tasks))}
    definitions: dict[str, Any] = {}
    for status in ("ACTIVE", "INACTIVE"):
        for arn in ecs.list_task_definitions(status=status)["taskDefinitionArns"]:
            found = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
            td = found["taskDefinition"]
            definitions[arn.rsplit("/", 1)[-1]] = {
                "status": td["status"], "cpu": td.get("cpu"), "memory": td.get("memory"), "containers": td["containerDefinitions"],
                "roles": (td.get("executionRoleArn"), td.get("taskRoleArn")), "tags": found.get("tags")}
    return {"clusters": clusters, "task_definitions": definitions}


def _scaling(aws: Any) -> dict[str, Any]:
    client = aws.client("application-autoscaling")
    targets = client.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    policies = client.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    return {
        "targets": {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for t in targets},
        "policies": sorted((p["ResourceId"], p["PolicyName"], json.dumps(p.get("TargetTrackingScalingPolicyConfiguration"), sort_keys=True))
                           for p in policies),
    }


def _without_ids(aws: Any, state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with every id and ARN AWS chose at random replaced by the name of what it points at."""
    text = json.dumps(state, sort_keys=True, default=str)
    ec2 = aws.client("ec2")
    names = {v["VpcId"]: f"<vpc{' (default)' if v['IsDefault'] else ''} {v['CidrBlock']}>" for v in ec2.describe_vpcs()["Vpcs"]}
    names.update({s["SubnetId"]: f"<subnet {s['CidrBlock']} in {s['AvailabilityZone']}>" for s in ec2.describe_subnets()["Subnets"]})
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        names[group["GroupId"]] = f"<security group {group['GroupName']}>"
    elbv2 = aws.client("elbv2")
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        names[lb["LoadBalancerArn"]] = f"<load balancer {lb['LoadBalancerName']}>"
        names[lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]] = f"<load balancer {lb['LoadBalancerName']}>"
    for tg in elbv2.describe_target_groups()["TargetGroups"]:
        names[tg["TargetGroupArn"]] = f"<target group {tg['TargetGroupName']}>"
        names[tg["TargetGroupArn"].rsplit(":", 1)[1]] = f"<target group {tg['TargetGroupName']}>"
    for key in sorted(names, key=len, reverse=True):  # an ARN before the tail it ends with
        text = text.replace(key, names[key])
    leftover = re.findall(r"(?:sg|vpc|subnet)-[0-9a-f]{8,}|/[0-9a-f]{16}\b", text)
    assert not leftover, f"ids the snapshot cannot name: {leftover}"
    result: dict[str, Any] = _sets_sorted(json.loads(text))
    return result


#: Lists that are sets: AWS keeps them in the order they were given, migrate gives them sorted by id,
#: and the ids are random, so their order after naming differs from one moto to the next.
_SETS = ("subnets", "securityGroups", "security_groups")


def _sets_sorted(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _sets_sorted(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sets_sorted(v) for v in value]
        return sorted(items) if key in _SETS else items
    return value


# ------------------------------------------------------------------------------------ the runs
def _quicker(patch: pytest.MonkeyPatch) -> None:
    """What makes a hundred deploys on moto take a minute, not ten: the same calls, the same answers.

    Each CLI run makes a new boto3 session, which reads botocore's service models anew: they share one
    loader. Each fresh moto loads some ten thousand AMIs into its EC2 backend: a deploy uses none.
    """
    import botocore.loaders
    import botocore.session

    patch.setattr(botocore.session, "create_loader", functools.cache(botocore.loaders.create_loader))
    patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    OneOffTasks(None, "").hold_new_tasks(patch)  # the release step's task waits for the scheduler (Cli.sleep), as on ECS


@pytest.fixture(autouse=True)
def quicker(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`_quicker` for each test."""
    _quicker(monkeypatch)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, Any]]:
    """The mutating calls and the resulting state of an uninterrupted first deploy (made once for the module, in a moto of its own)."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        fake_aws_env(patch)
        _quicker(patch)
        machine = Machine({}, copy_example(EXAMPLE, tmp_path_factory.mktemp("baseline")))
        status, err = machine.deploy()
        assert status == 0, err
        return machine.log.mutating, snapshot(machine.aws)


def test_the_first_deploy_makes_the_calls_these_tests_interrupt(baseline: tuple[list[str], dict[str, Any]]) -> None:
    calls, state = baseline
    assert tuple(calls) == FIRST_DEPLOY, "a new mutating call in deploy: add it to FIRST_DEPLOY, so that a death there is tested"
    assert set(state["ecs"]["clusters"][PROJECT]["services"]) == set(APPS)


#: Ctrl-C before call N leaves AWS as killed-after N-1 does, but for the locks Python releases while it
#: unwinds; so it is tried where the unwinding differs: before, between and after taking the two locks,
#: at the first resource, the balancer, the release step, the services, the wait, and during the locks' release.
CTRL_C_AT = (1, 2, 3, 16, 23, 24, 25, 31, 32)
INTERRUPTIONS = [(n, "killed-after") for n in range(1, len(FIRST_DEPLOY) + 1)] + [(n, "ctrl-c") for n in CTRL_C_AT]


@pytest.mark.parametrize(("at", "stop"), INTERRUPTIONS, ids=[f"{n:02d}-{FIRST_DEPLOY[n - 1]}-{stop}" for n, stop in INTERRUPTIONS])
def test_the_next_deploy_converges_after_an_interrupted_one(
    moto: None, scheduler_health: dict[str, tuple[str, str, str]], tmp_path: Path,  # noqa: F811
    baseline: tuple[list[str], dict[str, Any]], at: int, stop: Stop, request: pytest.FixtureRequest,
) -> None:
    machine = Machine(scheduler_health, copy_example(EXAMPLE, tmp_path))
    machine.log.arm(at, stop)
    if stop == "ctrl-c":
        status, err = machine.deploy()
        assert status == 130 and err.endswith("migrate: interrupted\n")
    else:
        with pytest.raises(Killed):
            machine.deploy()
    assert machine.log.seen >= at  # Ctrl-C: the calls made while unwinding went through

    machine.log.disarm()
    locked = [app for app in APPS if f"/migrate/{PROJECT}/{app}/deploy-lock" in _parameters(machine.aws)]
    unwatched = _rolling_out(machine.aws)  # ECS rolls them out alone; nobody has seen whether they succeed
    status, err = machine.deploy()
    said = err
    if locked:
        # Left by a process that died (or by Ctrl-C during its release): the next deploy names it and the
        # way out, refusing when it has something to change, and touches nothing but the locks.
        assert f"deploy of {locked[0]} is running: " in err or f"the deploy lock of {locked[0]} is held by " in err
        assert "--break-lock" in err and status == (1 if "another deploy of" in err else 0), err
        assert set(machine.log.mutating) <= {"ssm.PutParameter", "ssm.DeleteParameter"}
        status, err = machine.deploy("--break-lock")
        assert f"broke the deploy lock of {locked[0]} held by " in err
        said += err
    assert status == 0, err
    # The rollouts the killed deploy started and nobody watched are waited for (by whichever run comes first),
    # and checked complete: a later one may have completed while the deploy waited for the first (ECS works
    # meanwhile), which the state's comparison below, deployments included, shows; without a wait, it could not.
    assert not unwatched or f"waiting for {unwatched[0]} to run" in said, said
    assert differences(snapshot(machine.aws), baseline[1]) == {}

    machine.log.clear()
    status, err = machine.deploy()
    assert status == 0, err
    assert machine.log.mutating == [] and "up to date" in err


@pytest.mark.parametrize("at", [1, 2, 3, 5, 16, 21, 23, 24, 31, 32], ids=lambda n: f"{n:02d}-{FIRST_DEPLOY[n - 1]}")
def test_dying_before_a_call_leaves_aws_as_dying_after_the_one_before(
    moto: None, scheduler_health: dict[str, tuple[str, str, str]], tmp_path: Path, at: int,  # noqa: F811
) -> None:
    """Why ``killed-before`` is not among the interruptions: between two mutating calls a deploy only reads, and waits.

    While it waits ECS rolls the services out (here: the scheduler of tests/deploy/scheduler.py), which
    is ECS's doing, not the deploy's: the deployments' progress is left out of the comparison.
    """
    machine = Machine(scheduler_health, copy_example(EXAMPLE, tmp_path))
    states = []
    stops: tuple[tuple[int, Stop], ...] = ((at - 1, "killed-after"), (at, "killed-before"))
    for n, stop in stops:
        machine.log.arm(n, stop)
        if n:
            with pytest.raises(Killed):
                machine.deploy()
        machine.log.disarm()
        states.append(snapshot(machine.aws))
        _forget_everything()
    assert {k: v for k, v in differences(states[1], states[0]).items() if "/deployments[" not in k} == {}


def test_a_deploy_killed_while_it_routes_several_apps_converges(
    moto: None, scheduler_health: dict[str, tuple[str, str, str]], tmp_path: Path,  # noqa: F811
) -> None:
    """Several web apps share the listener through path rules, created one by one after it: a death between
    them leaves a listener that routes some of the paths, or none."""
    images = tuple(f"--image={app}=123456789012.dkr.ecr.eu-west-1.amazonaws.com/ci/{app}:1" for app in ("catalog", "gateway", "orders"))
    machine = Machine(scheduler_health, copy_example("microservices-shop", tmp_path, SHOP_CONFIG), images)
    status, err = machine.deploy()
    assert status == 0, err
    calls, wanted = list(machine.log.mutating), snapshot(machine.aws)
    routing = [n for n, call in enumerate(calls, 1) if call in ("elbv2.CreateListener", "elbv2.CreateRule")]
    assert [calls[n - 1] for n in routing] == ["elbv2.CreateListener", "elbv2.CreateRule", "elbv2.CreateRule"]
    for at in routing:
        _forget_everything()
        machine.log.arm(at, "killed-after")
        with pytest.raises(Killed):
            machine.deploy()
        machine.log.disarm()
        status, err = machine.deploy("--break-lock")
        assert status == 0, err
        assert differences(snapshot(machine.aws), wanted) == {}, f"killed after call {at} ({calls[at - 1]})"
        machine.log.clear()
        assert machine.deploy()[0] == 0 and machine.log.mutating == []


def _forget_everything() -> None:
    """A fresh AWS: moto's backends emptied (the ids they hand out next differ, which snapshots do not show)."""
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    _pushed_by_the_user()


def _pushed_by_the_user() -> None:
    """What the user made before deploying, which the pre-flight checks: the images (and the secret) the deploys name.

    Made through a session of its own: these are not calls of the deploy's."""
    published(connect(REGION))
    for app in ("catalog", "gateway", "orders"):
        put_image(connect(REGION), f"ci/{app}", "1")


def _rolling_out(aws: Aws) -> list[str]:
    """The services whose PRIMARY deployment has not COMPLETED."""
    try:
        found = aws.client("ecs").describe_services(cluster=PROJECT, services=list(APPS))["services"]
    except aws.client("ecs").exceptions.ClusterNotFoundException:
        return []
    return [s["serviceName"] for s in found for d in s["deployments"] if d["status"] == "PRIMARY" and d.get("rolloutState") != "COMPLETED"]


def differences(state: dict[str, Any], wanted: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Each leaf of two snapshots that differs, by its path (``/ecs/clusters/NAME/...``): (got, wanted)."""
    got, want = _flat(state), _flat(wanted)
    return {k: (got.get(k), want.get(k)) for k in sorted(got.keys() | want.keys()) if got.get(k) != want.get(k)}


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}/{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{path}[{i}]").items()}
    return {path: value}

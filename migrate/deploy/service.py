"""An app's task definition and ECS service, on the network its tasks run in.

The task definition is versioned by AWS: a change registers a new revision, and the service moves to
it. Its container definition is compared on the keys migrate sets only (AWS adds defaults of its own,
``cpu: 0``, ``mountPoints: []``..., which are not drift). The service's desired count is set when it is
created and then left to autoscaling: a redeploy must not undo a scale-out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.loadbalancer import LoadBalancer, TargetGroup
from migrate.deploy.native import NativeDeployment, NativeError, NativeSettings, deployment_configuration, load_balancer
from migrate.deploy.network import SecurityGroup
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.plan import Observed
from migrate.deploy.secrets import SsmSecret
from migrate.deploy.spec import ServiceSpec

#: The Docker label naming the version of each stored secret the task reads.
SECRET_VERSIONS = "migrate.secret-versions"


@dataclass(frozen=True)
class Network:
    """Where tasks run: a VPC, its subnets, and whether tasks get public IPs (to pull without NAT)."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    public_ip: bool


def default_network(aws: Aws) -> Network:
    """The region's default VPC and its default subnets, or a :class:`DeployError` saying what to pass."""
    ec2 = aws.client("ec2")
    with aws_call("ec2:DescribeVpcs", f"the default VPC of {aws.region}"):
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        raise DeployError(f"{aws.region} has no default VPC", hint="name one in migrate.toml ([deploy] vpc and subnets) or pass --vpc and --subnets")
    vpc = vpcs[0]["VpcId"]
    with aws_call("ec2:DescribeSubnets", f"the subnets of {vpc}"):
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    if not subnets:
        raise DeployError(f"the default VPC {vpc} has no default subnets", hint="pass --subnets")
    # Default subnets are public: tasks need a public IP to reach ECR without a NAT gateway.
    return Network(vpc, tuple(sorted(s["SubnetId"] for s in subnets)), public_ip=True)


# ------------------------------------------------------------------------------- task definition
#: What the plan shows for the load balancer's address before the balancer exists.
BALANCER_ADDRESS = "(the load balancer's address, once created)"


def container_definition(spec: ServiceSpec, log_group: str, region: str, labels: Mapping[str, str] | None = None,
                         environment: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The one container of the app's task, as ECS takes it (``labels``: its Docker labels; ``environment``:
    variables deploy sets beside the spec's own)."""
    variables = {**(environment or {}), **spec.environment}
    container: dict[str, Any] = {
        "name": spec.app,
        "image": spec.image,
        "essential": True,
        "environment": [{"name": k, "value": v} for k, v in sorted(variables.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(spec.secrets.items())],
        "stopTimeout": spec.stop_timeout,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": spec.app,
        }},
    }
    if spec.port is not None:
        container["portMappings"] = [{"containerPort": spec.port, "protocol": "tcp"}]
    if spec.command is not None:
        container["command"] = list(spec.command)
    if spec.user is not None:
        container["user"] = str(spec.user)  # its group is the one /etc/passwd gives it in the image
    if labels:
        container["dockerLabels"] = dict(sorted(labels.items()))
    if spec.probe is not None:
        p = spec.probe
        container["healthCheck"] = {"command": ["CMD", *p.command], "interval": p.interval, "timeout": p.timeout,
                                    "retries": p.retries, "startPeriod": p.start_period}
    return container


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=2)


@dataclass
class TaskDefinition:
    """The app's task definition family; a change registers its next revision."""

    aws: Aws
    spec: ServiceSpec
    family: str
    log_group: str
    execution_role_arn: str
    task_role_arn: str
    #: The secrets migrate stores for it: their versions label the container, so that a changed value
    #: registers a new revision and the service rolls onto it (ECS reads secrets only when a task starts).
    stored_secrets: tuple[SsmSecret, ...] = ()
    #: The load balancer in front of a web service: its address goes in the app's Host allow-list variable,
    #: with the names of its HTTPS certificate (an ACM ARN), which clients use to reach it.
    balancer: LoadBalancer | None = None
    certificate: str | None = None
    kind: str = field(default="task definition", init=False)
    registered: str | None = field(default=None, init=False)  # the ARN apply registered

    @property
    def app(self) -> str:
        """The app it belongs to."""
        return self.spec.app

    @property
    def name(self) -> str:
        """The family name."""
        return self.family

    @property
    def ecs(self) -> Any:
        """The ECS client."""
        return self.aws.client("ecs")

    @property
    def container(self) -> dict[str, Any]:
        """The desired container definition."""
        versions = ",".join(f"{s.variable}={s.version_after_apply}" for s in sorted(self.stored_secrets, key=lambda s: s.variable))
        return container_definition(self.spec, self.log_group, self.aws.region, {SECRET_VERSIONS: versions} if versions else None,
                                    self._hosts())

    def _hosts(self) -> dict[str, str]:
        """The app's Host allow-list variable, naming the load balancer, unless migrate.toml sets it.

        A first deploy plans before the balancer exists: the plan shows a placeholder, and the revision
        registered after the balancer is created names its address.
        """
        variable = self.spec.hosts_variable
        if variable is None or self.balancer is None or variable in self.spec.environment or variable in self.spec.secrets:
            return {}
        return {variable: self.spec.hosts_separator.join((self.balancer.dns_name or BALANCER_ADDRESS, *self._domains))}

    @cached_property
    def _domains(self) -> tuple[str, ...]:
        """The certificate's names, a wildcard as Django writes one (``*.example.com`` -> ``.example.com``).

        Read when the plan is made, after the pre-flight has checked that the certificate exists."""
        if self.certificate is None:
            return ()
        with aws_call("acm:DescribeCertificate", f"certificate {self.certificate}"):
            found = self.aws.client("acm").describe_certificate(CertificateArn=self.certificate)["Certificate"]
        names = [found["DomainName"], *found.get("SubjectAlternativeNames", [])]
        return tuple(dict.fromkeys(name.removeprefix("*") for name in names))

    @property
    def desired(self) -> Mapping[str, str]:
        """Size, roles and the container, each as canonical text."""
        return {"cpu": str(self.spec.cpu), "memory": str(self.spec.memory), "execution_role": self.execution_role_arn,
                "task_role": self.task_role_arn, "container": _canonical(self.container)}

    @cached_property
    def latest(self) -> dict[str, Any] | None:
        """The newest ACTIVE revision, with its tags, or None (read once per plan)."""
        with aws_call("ecs:DescribeTaskDefinition", f"task definition {self.family}"):
            try:
                found = self.ecs.describe_task_definition(taskDefinition=self.family, include=["TAGS"])
            except self.ecs.exceptions.ClientException:
                return None
        if found["taskDefinition"].get("status", "ACTIVE") != "ACTIVE":  # every revision deregistered
            return None
        result: dict[str, Any] = {**found["taskDefinition"], "tags": found.get("tags", [])}
        return result

    def observe(self) -> Observed | None:
        """The newest revision's fields (its container compared on the keys migrate sets), or None."""
        latest = self.latest
        if latest is None:
            return None
        live: dict[str, Any] = next((c for c in latest["containerDefinitions"] if c["name"] == self.spec.app), {})
        container = {k: live[k] for k in self.container if k in live}
        fields = {"cpu": str(latest.get("cpu")), "memory": str(latest.get("memory")),
                  "execution_role": str(latest.get("executionRoleArn")), "task_role": str(latest.get("taskRoleArn")),
                  "container": _canonical(container)}
        return Observed(fields, from_list(latest["tags"], "key", "value"))

    @property
    def arn_after_apply(self) -> str:
        """The revision the service should run: the one registered now, else the newest existing one."""
        if self.registered:
            return self.registered
        if self.latest is None:
            raise DeployError(f"task definition {self.family} has no revision yet")
        return str(self.latest["taskDefinitionArn"])

    def create(self) -> None:
        """Register a revision."""
        with aws_call("ecs:RegisterTaskDefinition", f"task definition {self.family}"):
            found = self.ecs.register_task_definition(
                family=self.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                cpu=str(self.spec.cpu), memory=str(self.spec.memory),
                executionRoleArn=self.execution_role_arn, taskRoleArn=self.task_role_arn,
                runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
                containerDefinitions=[self.container], tags=as_list(owner_tags(self.spec.app), "key", "value"),
            )
        self.registered = str(found["taskDefinition"]["taskDefinitionArn"])

    def update(self, fields: Sequence[str]) -> None:
        """Register the next revision (a task definition is never edited in place)."""
        self.create()



    def delete(self) -> None:
        """Deregister and delete every active revision of the family."""
        with aws_call("ecs:ListTaskDefinitions", f"task definition {self.family}"):
            pages = self.ecs.get_paginator("list_task_definitions").paginate(familyPrefix=self.family, status="ACTIVE")
            arns = [a for page in pages for a in page["taskDefinitionArns"] if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == self.family]
        for arn in arns:
            with aws_call("ecs:DeregisterTaskDefinition", arn):
                self.ecs.deregister_task_definition(taskDefinition=arn)
        # Deregistered revisions stay (INACTIVE, tagged) until deleted; ECS deletes at most 10 per call.
        for start in range(0, len(arns), 10):
            with aws_call("ecs:DeleteTaskDefinitions", f"task definition {self.family}"):
                self.ecs.delete_task_definitions(taskDefinitions=arns[start : start + 10])

# --------------------------------------------------------------------------------------- service
#: A service's ``tasks`` field: it runs tasks, or it was left at zero (desired count 0) after a failed first deploy.
RUNNING = "running"
#: How every service of an app rolls: the circuit breaker on, with rollback, never below the desired count.
#: ``strategy`` is said, so that a service an ECS strategy moved before (``--strategy ecs-*``) rolls again.
DEPLOYMENT_CONFIGURATION: Mapping[str, Any] = {"strategy": "ROLLING", "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                               "minimumHealthyPercent": 100, "maximumPercent": 200}
STOPPED = "stopped (desired count 0)"


@dataclass
class EcsService:
    """The app's ECS service on Fargate, with the deployment circuit breaker and rollback on."""

    aws: Aws
    spec: ServiceSpec
    cluster: str
    task_definition: TaskDefinition
    network: Network
    security_groups: tuple[SecurityGroup, ...] = ()
    target_group: TargetGroup | None = None
    #: Moved by one of ECS's own strategies (``--strategy ecs-*``, :mod:`migrate.deploy.native`), else rolled.
    native: NativeDeployment | None = None
    kind: str = field(default="ECS service", init=False)

    @property
    def app(self) -> str:
        """The app it belongs to."""
        return self.spec.app

    @property
    def name(self) -> str:
        """The service name (the app's)."""
        return self.spec.app

    @property
    def ecs(self) -> Any:
        """The ECS client."""
        return self.aws.client("ecs")

    def network_configuration(self) -> dict[str, Any]:
        """The tasks' subnets, security groups and public IP, as CreateService takes them."""
        # A group planned for creation has no id yet: the plan shows its name, apply uses its id.
        groups = sorted(g.group_id or f"(new: {g.name})" for g in self.security_groups)
        return {"awsvpcConfiguration": {"subnets": list(self.network.subnet_ids), "securityGroups": groups,
                                        "assignPublicIp": "ENABLED" if self.network.public_ip else "DISABLED"}}

    @property
    def desired(self) -> Mapping[str, str]:
        """The revision it runs (the next one when the task definition changes) and its network."""
        td = self.task_definition
        latest = td.latest
        if latest is not None and not _changed(td):
            revision = f"{td.family}:{latest['revision']}"
        else:
            revision = f"{td.family}:{(latest or {}).get('revision', 0) + 1}"
        fields = {"task_definition": revision, "network": _canonical(self.network_configuration()), "tasks": RUNNING}
        if self.target_group is not None:
            fields["load_balancer"] = f"{self.target_group.name} -> {self.spec.app}:{self.spec.port}"
            fields["health_check_grace_period"] = f"{self.spec.grace_period}s"
        if self.native is not None:
            fields["strategy"] = self.native.settings.describe()
        return fields

    def _deployment_configuration(self) -> dict[str, Any]:
        return deployment_configuration(self.native.settings) if self.native else dict(DEPLOYMENT_CONFIGURATION)

    def _load_balancers(self) -> list[dict[str, Any]]:
        if self.target_group is None:
            return []
        if self.native is not None:
            assert self.spec.port is not None  # a target group is a web service's
            native = self.native
            production, test = native.rules(self.target_group)
            return [load_balancer(target_group=str(self.target_group.arn), alternate_target_group=str(native.alternate.arn),
                                  production_rule=production, test_rule=test, role=native.role.arn,
                                  container=self.spec.app, port=self.spec.port)]
        return [{"targetGroupArn": self.target_group.arn, "containerName": self.spec.app, "containerPort": self.spec.port}]

    def _balancer_arguments(self) -> dict[str, Any]:
        if self.target_group is None:
            return {}
        return {"loadBalancers": self._load_balancers(), "healthCheckGracePeriodSeconds": self.spec.grace_period}

    def observe(self) -> Observed | None:
        """The service's revision, network and tags, or None (an INACTIVE service counts as absent)."""
        with aws_call("ecs:DescribeServices", f"service {self.name} in cluster {self.cluster}"):
            try:
                found = self.ecs.describe_services(cluster=self.cluster, services=[self.name], include=["TAGS"])["services"]
            except self.ecs.exceptions.ClusterNotFoundException:
                return None
        service = next((s for s in found if s.get("status") == "ACTIVE"), None)
        if service is None:
            return None
        revision = str(service["taskDefinition"]).rsplit("/", 1)[-1]
        fields = {"task_definition": revision, "network": _canonical(service.get("networkConfiguration", {})),
                  "tasks": RUNNING if service.get("desiredCount", 0) > 0 else STOPPED}
        if self.target_group is not None:
            names = {str(self.target_group.arn): self.target_group.name}
            fields["load_balancer"] = " ".join(f"{names.get(b['targetGroupArn'], b['targetGroupArn'])} -> {b['containerName']}:{b['containerPort']}"
                                               for b in service.get("loadBalancers", [])) or "(none)"
            # AWS reports the grace period of every service behind a balancer; moto 5.2.5 drops it. A value
            # the API does not report cannot be compared, so it is not planned as a change.
            grace = service.get("healthCheckGracePeriodSeconds", self.spec.grace_period)
            fields["health_check_grace_period"] = f"{grace}s"
        if self.native is not None:
            fields["strategy"] = _observed_strategy(service, self.native)
        return Observed(fields, from_list(service.get("tags"), "key", "value"))

    def create(self) -> None:
        """Create the service at its desired count, rolling back on a failing deployment.

        The ``clientToken`` makes botocore's retry of a CreateService whose answer was lost (a timeout,
        a dropped connection) return the service it created, where ECS would otherwise refuse the retry
        ("Creation of service was not idempotent") and fail a deploy that succeeded. One token per
        create: botocore resends the same request on retry. A later deploy needs none: it observes the
        service first. (moto 5.2.5 ignores the token.)
        """
        with aws_call("ecs:CreateService", f"service {self.name} in cluster {self.cluster}"):
            self.ecs.create_service(
                clientToken=str(uuid.uuid4()),  # ECS: at most 36 characters, a UUID's length
                cluster=self.cluster, serviceName=self.name, taskDefinition=self.task_definition.arn_after_apply,
                desiredCount=self.spec.desired_count, launchType="FARGATE", networkConfiguration=self.network_configuration(),
                deploymentConfiguration=self._deployment_configuration(),
                propagateTags="SERVICE", enableECSManagedTags=True, tags=as_list(owner_tags(self.spec.app), "key", "value"),
                **self._balancer_arguments(),
            )

    def update(self, fields: Sequence[str]) -> None:
        """Move the service to the new revision and network (ECS then rolls the tasks over).

        The desired count is autoscaling's to change, except for a service left at zero tasks (by
        :meth:`stop_tasks`, after a failed first deploy): a deploy starts it again at its desired count.
        """
        # A new deployment, so that the circuit breaker that stopped the failed one counts afresh.
        count = {"desiredCount": self.spec.desired_count, "forceNewDeployment": True} if "tasks" in fields else {}
        with aws_call("ecs:UpdateService", f"service {self.name} in cluster {self.cluster}"):
            self.ecs.update_service(
                cluster=self.cluster, service=self.name, taskDefinition=self.task_definition.arn_after_apply,
                networkConfiguration=self.network_configuration(),
                deploymentConfiguration=self._deployment_configuration(),
                **count, **self._balancer_arguments(),
            )

    def stop_tasks(self) -> None:
        """Leave the service at zero tasks: a failed first deploy has no earlier version to roll back to,
        and its tasks would otherwise fail and restart until someone notices (each start pulling, logging, billing)."""
        with aws_call("ecs:UpdateService", f"service {self.name} in cluster {self.cluster}"):
            self.ecs.update_service(cluster=self.cluster, service=self.name, desiredCount=0)


    def delete(self) -> None:
        """Scale to zero, then delete the service (force: ECS drains its tasks)."""
        with aws_call("ecs:UpdateService", f"service {self.name} in cluster {self.cluster}"):
            self.ecs.update_service(cluster=self.cluster, service=self.name, desiredCount=0)
        with aws_call("ecs:DeleteService", f"service {self.name} in cluster {self.cluster}"):
            self.ecs.delete_service(cluster=self.cluster, service=self.name, force=True)

def _observed_strategy(service: Mapping[str, Any], native: NativeDeployment) -> str:
    """The strategy the service is moved by, said as :meth:`NativeSettings.describe` says the wanted one.

    AWS reports every service's ``deploymentConfiguration``; moto 5.2.5 reports none (it keeps no strategy):
    a value the API does not report cannot be compared, so it is not planned as a change.
    """
    config = service.get("deploymentConfiguration")
    if config is None:
        return native.settings.describe()
    try:
        found = NativeSettings.of_api(config)
    except NativeError as exc:  # settings migrate would not set (someone changed them): shown, and set again
        return f"{config.get('strategy')}: {exc}"
    if found is None:
        return "rolling"
    advanced = [b.get("advancedConfiguration", {}) for b in service.get("loadBalancers", [])]
    if native.alternate.arn is None or str(native.alternate.arn) not in {a.get("alternateTargetGroupArn") for a in advanced}:
        return f"{found.describe()} (over another alternate target group)"
    if not any(a.get("testListenerRule") for a in advanced):
        return f"{found.describe()} (no test listener rule)"
    return found.describe()


def _changed(td: TaskDefinition) -> bool:
    observed = td.observe()
    return observed is None or any(observed.fields.get(k) != v for k, v in td.desired.items())

"""Pre-flight: what AWS would reject late (or never), found with read-only calls before anything mutates.

Each finding is a sentence naming the app and the setting, with a severity: an ``error`` stops the
deploy before its first mutating call; a ``warning`` is said before it starts (a first deploy the
circuit breaker cannot roll back); a ``note`` explains a default migrate chose (no known health path).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from migrate.deploy.aws import Aws
from migrate.deploy.errors import aws_call
from migrate.deploy.network import SecurityGroup
from migrate.deploy.plan import Resource
from migrate.deploy.resources import IamRole
from migrate.deploy.spec import ServiceSpec

Severity = Literal["error", "warning", "note"]

_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$")
#: The key ECS may use without a kms:Decrypt grant on the execution role.
_AWS_MANAGED_SSM_KEY = "alias/aws/ssm"


@dataclass(frozen=True)
class Finding:
    """One thing pre-flight found."""

    severity: Severity
    message: str


def _image(aws: Aws, spec: ServiceSpec) -> list[Finding]:
    match = _ECR_IMAGE.match(spec.image)
    if not match or match[1] != aws.account_id or match[2] != aws.region:
        return []  # another registry or account: ECS finds out when it pulls
    repository, tag, digest = match[3], match[4], match[5]
    image_id = {"imageDigest": digest} if digest else {"imageTag": tag or "latest"}
    ecr = aws.client("ecr")
    with aws_call("ecr:DescribeImages", f"repository {repository}"):
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[image_id])
        except (ecr.exceptions.ImageNotFoundException, ecr.exceptions.RepositoryNotFoundException):
            return [Finding("error", f"{spec.app}: image {spec.image} is not in ECR (push it first, or drop --image to let migrate build and push)")]
    return []


def _may_read(policy: dict[str, Any], action: str, arn: str) -> bool:
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if statement.get("Effect") == "Allow" and action in actions and arn in resources:
            return True
    return False


def _stored_key(aws: Aws, arn: str) -> tuple[bool, str | None]:
    """Whether the secret or parameter at ``arn`` exists, and the customer-managed KMS key encrypting it."""
    if ":ssm:" in arn:
        name = arn.split(":parameter", 1)[1]
        with aws_call("ssm:DescribeParameters", f"parameter {name}"):
            found = aws.client("ssm").describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
        if not found:
            return False, None
        key = found[0].get("KeyId")
        return True, key if key and key != _AWS_MANAGED_SSM_KEY else None
    sm = aws.client("secretsmanager")
    with aws_call("secretsmanager:DescribeSecret", arn):
        try:
            described = sm.describe_secret(SecretId=arn)
        except sm.exceptions.ResourceNotFoundException:
            return False, None
    return "DeletedDate" not in described, described.get("KmsKeyId")


def _secrets(aws: Aws, spec: ServiceSpec, role: IamRole | None, planned: Collection[str]) -> list[Finding]:
    findings: list[Finding] = []
    policy = next(iter(role.policies.values()), {}) if role else {}
    for variable, arn in sorted(spec.secrets.items()):
        action = "ssm:GetParameters" if ":ssm:" in arn else "secretsmanager:GetSecretValue"
        if arn not in planned:
            exists, key = _stored_key(aws, arn)
            if not exists:
                findings.append(Finding("error", f"{spec.app}: secret {variable} refers to {arn}, which does not exist"))
            elif key:
                findings.append(Finding("error", f"{spec.app}: secret {variable} is encrypted with the customer-managed KMS key {key}, "
                                                 "which the execution role may not decrypt (store it with the AWS-managed key, or grant kms:Decrypt on that key)"))
        if not _may_read(dict(policy), action, arn):
            findings.append(Finding("error", f"{spec.app}: the execution role may not read secret {variable} ({action} on {arn})"))
    return findings


def _egress_allows(group: dict[str, Any], port: int, target_group_id: str | None) -> bool:
    for rule in group.get("IpPermissionsEgress", []):
        protocol_ok = rule.get("IpProtocol") == "-1" or (rule.get("IpProtocol") == "tcp" and rule.get("FromPort", 0) <= port <= rule.get("ToPort", 65535))
        to_anywhere = any(r.get("CidrIp") == "0.0.0.0/0" for r in rule.get("IpRanges", []))
        to_tasks = any(p.get("GroupId") == target_group_id for p in rule.get("UserIdGroupPairs", []))
        if protocol_ok and (to_anywhere or to_tasks):
            return True
    return False


def _reachable(aws: Aws, spec: ServiceSpec, tasks: SecurityGroup | None, balancer: SecurityGroup | None) -> list[Finding]:
    if spec.port is None or balancer is None:
        return []
    port = spec.port
    if tasks is None or not any(p == port and s is balancer for p, s in tasks.rules):
        return [Finding("error", f"{spec.app}: no rule lets the load balancer reach the tasks on port {port}")]
    with aws_call("ec2:DescribeSecurityGroups", f"security group {balancer.name}"):
        found = aws.client("ec2").describe_security_groups(Filters=[
            {"Name": "group-name", "Values": [balancer.name]}, {"Name": "vpc-id", "Values": [balancer.vpc_id]}])["SecurityGroups"]
    if found and not _egress_allows(found[0], port, tasks.group_id):
        return [Finding("error", f"{spec.app}: security group {balancer.name} lets the load balancer send nothing to port {port} (its outbound rules)")]
    return []


def _is_first_deploy(aws: Aws, cluster: str, spec: ServiceSpec) -> bool:
    ecs = aws.client("ecs")
    with aws_call("ecs:DescribeServices", f"service {spec.app} in cluster {cluster}"):
        try:
            services = ecs.describe_services(cluster=cluster, services=[spec.app])["services"]
        except ecs.exceptions.ClusterNotFoundException:
            services = []
    service = next((s for s in services if s.get("status") == "ACTIVE"), None)
    return not (service and any(d.get("rolloutState") == "COMPLETED" for d in service.get("deployments", [])))


def _first_deploys(apps: Sequence[str]) -> list[Finding]:
    """One warning for every service that never completed a deployment."""
    if not apps:
        return []
    return [Finding("warning", f"{', '.join(apps)}: first deploy: with no earlier completed deployment the circuit breaker cannot roll back; "
                               "if it fails, the service is left at zero tasks with the diagnosis")]


def _certificate(aws: Aws, arn: str | None) -> list[Finding]:
    """An HTTPS listener's certificate must be issued, in ACM, in the balancer's region."""
    if arn is None:
        return []
    if arn.split(":")[3] != aws.region:
        return [Finding("error", f"certificate {arn} is in {arn.split(':')[3]}; a load balancer in {aws.region} can use only a certificate of its own region")]
    acm = aws.client("acm")
    with aws_call("acm:DescribeCertificate", f"certificate {arn}"):
        try:
            status = acm.describe_certificate(CertificateArn=arn)["Certificate"].get("Status")
        except acm.exceptions.ResourceNotFoundException:
            return [Finding("error", f"certificate {arn} does not exist in ACM")]
    if status != "ISSUED":
        return [Finding("error", f"certificate {arn} is {status}, not ISSUED: finish its validation (ACM's DNS record) before serving HTTPS with it")]
    return []


def _health_path(spec: ServiceSpec) -> list[Finding]:
    if spec.port is None or spec.health_path:
        return []
    return [Finding("note", f"{spec.app}: no health path is known; the load balancer checks / and accepts any answer below 500 "
                            "(set health_path in migrate.toml for a real check)")]


def preflight(aws: Aws, cluster: str, specs: Sequence[ServiceSpec], resources: Sequence[Resource],
              *, planned_secrets: Collection[str] = (), pushed_images: Collection[str] = (), certificate: str | None = None) -> list[Finding]:
    """Everything found about ``specs`` and their planned ``resources`` (from :func:`~migrate.deploy.stack.stack`), errors first.

    ``planned_secrets`` are the ARNs the same deploy's secrets plan creates, and ``pushed_images`` the
    image URIs it builds and pushes itself: neither need exist yet. Read-only calls only.
    """
    groups = {r.name: r for r in resources if isinstance(r, SecurityGroup)}
    roles = {r.name: r for r in resources if isinstance(r, IamRole)}
    findings: list[Finding] = []
    for spec in specs:
        findings += [Finding("error", f"{spec.app}: {p}") for p in spec.problems()]
        findings += [] if spec.image in pushed_images else _image(aws, spec)
        role = next((r for name, r in roles.items() if r.app == spec.image_app and name.endswith("-execution")), None)
        findings += _secrets(aws, spec, role, planned_secrets)
        findings += _reachable(aws, spec, groups.get(f"{cluster}-{spec.app}-tasks"), groups.get(f"{cluster}-alb"))
        findings += _health_path(spec)
    findings += _first_deploys([spec.app for spec in specs if _is_first_deploy(aws, cluster, spec)])
    findings += _certificate(aws, certificate) if any(spec.port is not None for spec in specs) else []
    order = {"error": 0, "warning": 1, "note": 2}
    return sorted(findings, key=lambda f: order[f.severity])

"""The AWS resources every deployed app needs before its service: image repository, logs, roles, cluster.

Each class is one resource behind its service's client (from :class:`~migrate.deploy.aws.Aws`),
implementing :class:`~migrate.deploy.plan.Resource`: desired fields as canonical strings, a read-only
``observe``, ``create`` and ``update``. Every call goes through :func:`~migrate.deploy.errors.aws_call`,
so an AWS error reaches the user as one line naming the permission or quota.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.plan import Borrowed, Observed


def canonical(document: Any) -> str:
    """A JSON document (or its text, as IAM returns it) as stable, readable text: sorted keys, indented."""
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True, indent=2)


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


# ---------------------------------------------------------------------------------------------- ECR
def keep_last_images(count: int) -> dict[str, Any]:
    """An ECR lifecycle policy that expires all but the newest ``count`` images."""
    return {"rules": [{
        "rulePriority": 1,
        "description": f"keep the last {count} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": count},
        "action": {"type": "expire"},
    }]}


@dataclass
class EcrRepository:
    """The app's image repository: scanned on push, old images expired by a lifecycle policy."""

    aws: Aws
    app: str
    name: str
    keep_images: int = 30
    kind: str = field(default="ECR repository", init=False)

    @property
    def ecr(self) -> Any:
        """The ECR client."""
        return self.aws.client("ecr")

    @property
    def arn(self) -> str:
        """The repository's ARN (for the execution role's pull permission)."""
        return self.aws.arn("ecr", f"repository/{self.name}")

    @property
    def desired(self) -> Mapping[str, str]:
        """Scan on push, mutable tags (a redeploy of a commit pushes its tag again), the lifecycle policy."""
        return {"scan_on_push": "true", "tag_mutability": "MUTABLE", "lifecycle_policy": canonical(keep_last_images(self.keep_images))}

    def observe(self) -> Observed | None:
        """The repository's settings and tags, or None."""
        with aws_call("ecr:DescribeRepositories", f"repository {self.name}"):
            try:
                repo = self.ecr.describe_repositories(repositoryNames=[self.name])["repositories"][0]
            except self.ecr.exceptions.RepositoryNotFoundException:
                return None
        with aws_call("ecr:GetLifecyclePolicy", f"repository {self.name}"):
            try:
                policy = canonical(self.ecr.get_lifecycle_policy(repositoryName=self.name)["lifecyclePolicyText"])
            except self.ecr.exceptions.LifecyclePolicyNotFoundException:
                policy = ""
        with aws_call("ecr:ListTagsForResource", f"repository {self.name}"):
            tags = from_list(self.ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"])
        fields = {
            "scan_on_push": str(repo.get("imageScanningConfiguration", {}).get("scanOnPush", False)).lower(),
            "tag_mutability": str(repo.get("imageTagMutability", "MUTABLE")),
            "lifecycle_policy": policy,
        }
        return Observed(fields, tags)

    def create(self) -> None:
        """Create the repository, then put its lifecycle policy."""
        with aws_call("ecr:CreateRepository", f"repository {self.name}"):
            self.ecr.create_repository(
                repositoryName=self.name, imageTagMutability="MUTABLE",
                imageScanningConfiguration={"scanOnPush": True}, tags=as_list(owner_tags(self.app)),
            )
        self.update(["lifecycle_policy"])

    def update(self, fields: Sequence[str]) -> None:
        """Put each setting that differs."""
        if "scan_on_push" in fields:
            with aws_call("ecr:PutImageScanningConfiguration", f"repository {self.name}"):
                self.ecr.put_image_scanning_configuration(repositoryName=self.name, imageScanningConfiguration={"scanOnPush": True})
        if "tag_mutability" in fields:
            with aws_call("ecr:PutImageTagMutability", f"repository {self.name}"):
                self.ecr.put_image_tag_mutability(repositoryName=self.name, imageTagMutability="MUTABLE")
        if "lifecycle_policy" in fields:
            with aws_call("ecr:PutLifecyclePolicy", f"repository {self.name}"):
                self.ecr.put_lifecycle_policy(repositoryName=self.name, lifecyclePolicyText=json.dumps(keep_last_images(self.keep_images)))



    def delete(self) -> None:
        """Delete the repository and every image in it."""
        with aws_call("ecr:DeleteRepository", f"repository {self.name}"):
            self.ecr.delete_repository(repositoryName=self.name, force=True)

# --------------------------------------------------------------------------------------------- Logs
@dataclass
class LogGroup:
    """The CloudWatch log group the app's containers write to, with a retention period."""

    aws: Aws
    app: str
    name: str
    retention_days: int = 30
    kind: str = field(default="log group", init=False)

    @property
    def logs(self) -> Any:
        """The CloudWatch Logs client."""
        return self.aws.client("logs")

    @property
    def arn(self) -> str:
        """The log group's ARN (without the trailing ``:*``)."""
        return self.aws.arn("logs", f"log-group:{self.name}")

    @property
    def desired(self) -> Mapping[str, str]:
        """The retention, in days."""
        return {"retention_days": str(self.retention_days)}

    def observe(self) -> Observed | None:
        """The group's retention and tags, or None."""
        with aws_call("logs:DescribeLogGroups", f"log group {self.name}"):
            pages = self.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=self.name)
            group = next((g for page in pages for g in page["logGroups"] if g["logGroupName"] == self.name), None)
        if group is None:
            return None
        with aws_call("logs:ListTagsForResource", f"log group {self.name}"):
            tags = self.logs.list_tags_for_resource(resourceArn=self.arn)["tags"]
        return Observed({"retention_days": str(group.get("retentionInDays", "never expire"))}, tags)

    def create(self) -> None:
        """Create the group, tagged, then set its retention."""
        with aws_call("logs:CreateLogGroup", f"log group {self.name}"):
            self.logs.create_log_group(logGroupName=self.name, tags=owner_tags(self.app))
        self.update(["retention_days"])

    def update(self, fields: Sequence[str]) -> None:
        """Set the retention."""
        with aws_call("logs:PutRetentionPolicy", f"log group {self.name}"):
            self.logs.put_retention_policy(logGroupName=self.name, retentionInDays=self.retention_days)



    def delete(self) -> None:
        """Delete the group and its logs."""
        with aws_call("logs:DeleteLogGroup", f"log group {self.name}"):
            self.logs.delete_log_group(logGroupName=self.name)

# ---------------------------------------------------------------------------------------------- IAM
def ecs_tasks_trust() -> dict[str, Any]:
    """The trust policy that lets ECS tasks assume a role."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
    }]}


@dataclass
class IamRole:
    """A role with exactly the inline policies given (none: a role with no permissions) and the AWS managed
    policies named in ``managed``; assumed by ECS tasks unless ``trust`` says who else."""

    aws: Aws
    app: str
    name: str
    description: str
    policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    trust: Mapping[str, Any] = field(default_factory=ecs_tasks_trust)
    managed: tuple[str, ...] = ()
    kind: str = field(default="IAM role", init=False)

    @property
    def iam(self) -> Any:
        """The IAM client."""
        return self.aws.client("iam")

    @property
    def arn(self) -> str:
        """The role's ARN (IAM is global: no region)."""
        return self.aws.arn("iam", f"role/{self.name}", regional=False)

    @property
    def desired(self) -> Mapping[str, str]:
        """The trust policy, one field per inline policy, and the managed policies when it has any."""
        managed = {"managed_policies": "\n".join(sorted(self.managed))} if self.managed else {}
        return {"trust_policy": canonical(self.trust), **{f"policy {n}": canonical(d) for n, d in sorted(self.policies.items())},
                **managed}

    def observe(self) -> Observed | None:
        """The role's trust policy, inline (and, where it should have some, managed) policies and tags, or None."""
        with aws_call("iam:GetRole", f"role {self.name}"):
            try:
                role = self.iam.get_role(RoleName=self.name)["Role"]
            except self.iam.exceptions.NoSuchEntityException:
                return None
        fields = {"trust_policy": canonical(role["AssumeRolePolicyDocument"])}
        for policy in self._inline():
            with aws_call("iam:GetRolePolicy", f"role {self.name}"):
                fields[f"policy {policy}"] = canonical(self.iam.get_role_policy(RoleName=self.name, PolicyName=policy)["PolicyDocument"])
        if self.managed:
            fields["managed_policies"] = "\n".join(sorted(self._attached())) or "(none)"
        with aws_call("iam:ListRoleTags", f"role {self.name}"):
            tags = from_list(self.iam.list_role_tags(RoleName=self.name)["Tags"])
        return Observed(fields, tags)

    def _inline(self) -> list[str]:
        with aws_call("iam:ListRolePolicies", f"role {self.name}"):
            return [n for page in self.iam.get_paginator("list_role_policies").paginate(RoleName=self.name) for n in page["PolicyNames"]]

    def _attached(self) -> list[str]:
        with aws_call("iam:ListAttachedRolePolicies", f"role {self.name}"):
            return [p["PolicyArn"] for page in self.iam.get_paginator("list_attached_role_policies").paginate(RoleName=self.name)
                    for p in page["AttachedPolicies"]]

    def create(self) -> None:
        """Create the role, tagged, then put its inline policies and attach its managed ones."""
        with aws_call("iam:CreateRole", f"role {self.name}"):
            self.iam.create_role(
                RoleName=self.name, AssumeRolePolicyDocument=json.dumps(self.trust),
                Description=self.description, Tags=as_list(owner_tags(self.app)),
            )
        self.update([f"policy {n}" for n in self.policies] + (["managed_policies"] if self.managed else []))

    def update(self, fields: Sequence[str]) -> None:
        """Put the trust policy and each inline policy that differs; attach the managed policies it lacks, detach others."""
        if "trust_policy" in fields:
            with aws_call("iam:UpdateAssumeRolePolicy", f"role {self.name}"):
                self.iam.update_assume_role_policy(RoleName=self.name, PolicyDocument=json.dumps(self.trust))
        for policy, document in sorted(self.policies.items()):
            if f"policy {policy}" in fields:
                with aws_call("iam:PutRolePolicy", f"role {self.name}"):
                    self.iam.put_role_policy(RoleName=self.name, PolicyName=policy, PolicyDocument=json.dumps(document))
        if "managed_policies" in fields:
            attached = set(self._attached())
            for arn in sorted(set(self.managed) - attached):
                with aws_call("iam:AttachRolePolicy", f"role {self.name}"):
                    self.iam.attach_role_policy(RoleName=self.name, PolicyArn=arn)
            for arn in sorted(attached - set(self.managed)):
                with aws_call("iam:DetachRolePolicy", f"role {self.name}"):
                    self.iam.detach_role_policy(RoleName=self.name, PolicyArn=arn)

    def delete(self) -> None:
        """Delete the inline policies, detach the managed ones, then delete the role (IAM refuses a role that has either)."""
        for policy in self._inline():
            with aws_call("iam:DeleteRolePolicy", f"role {self.name}"):
                self.iam.delete_role_policy(RoleName=self.name, PolicyName=policy)
        for arn in self._attached() if self.managed else ():
            with aws_call("iam:DetachRolePolicy", f"role {self.name}"):
                self.iam.detach_role_policy(RoleName=self.name, PolicyArn=arn)
        with aws_call("iam:DeleteRole", f"role {self.name}"):
            self.iam.delete_role(RoleName=self.name)

# ---------------------------------------------------------------------------------------------- ECS
@dataclass
class EcsCluster:
    """The ECS cluster the app's services run in, with Container Insights on."""

    aws: Aws
    app: str
    name: str
    kind: str = field(default="ECS cluster", init=False)

    @property
    def ecs(self) -> Any:
        """The ECS client."""
        return self.aws.client("ecs")

    @property
    def desired(self) -> Mapping[str, str]:
        """Container Insights (per-task CPU and memory metrics, what autoscaling decisions are checked against)."""
        return {"container_insights": "enabled"}

    def observe(self) -> Observed | None:
        """The cluster's settings and tags, or None (an INACTIVE cluster counts as absent)."""
        with aws_call("ecs:DescribeClusters", f"cluster {self.name}"):
            found = self.ecs.describe_clusters(clusters=[self.name], include=["SETTINGS", "TAGS"])["clusters"]
        cluster = next((c for c in found if c.get("status") == "ACTIVE"), None)
        if cluster is None:
            return None
        settings = {s["name"]: s["value"] for s in cluster.get("settings", [])}
        tags = from_list(cluster.get("tags"), "key", "value")
        return Observed({"container_insights": settings.get("containerInsights", "disabled")}, tags)

    def create(self) -> None:
        """Create the cluster, tagged."""
        with aws_call("ecs:CreateCluster", f"cluster {self.name}"):
            self.ecs.create_cluster(
                clusterName=self.name, settings=[{"name": "containerInsights", "value": "enabled"}],
                tags=as_list(owner_tags(self.app), "key", "value"),
            )

    def update(self, fields: Sequence[str]) -> None:
        """Turn Container Insights on."""
        with aws_call("ecs:UpdateClusterSettings", f"cluster {self.name}"):
            self.ecs.update_cluster_settings(cluster=self.name, settings=[{"name": "containerInsights", "value": "enabled"}])


    def delete(self) -> None:
        """Delete the cluster (ECS refuses while services of other apps still run in it)."""
        with aws_call("ecs:DeleteCluster", f"cluster {self.name}"):
            self.ecs.delete_cluster(cluster=self.name)


@dataclass
class ExistingCluster(Borrowed):
    """An ECS cluster someone else made (``[project] cluster``), that the services run in as it is.

    It must exist and be ACTIVE; migrate never creates, changes, tags or deletes it (``migrate destroy``
    leaves it, with whatever else runs in it). Which capacity it offers is its owner's business: the
    services ask for Fargate by launch type, which every cluster offers.

    A cluster shared with others may hold a service of the same name as one of the project's (``api``,
    ``api-blue``): ``services`` maps each name the project's apps use to the task definition family
    migrate runs in it (``PROJECT-APP``), and a service of that name running another family (another
    team's, or another migrate project's: the ownership tags name the app, not the project) stops
    the plan before anything is made. So does a project whose services already run in its own
    cluster (``project``): they would keep running there, behind the same target groups.
    """

    aws: Aws
    app: str
    name: str
    project: str = ""
    services: Mapping[str, str] = field(default_factory=dict)
    kind: str = field(default="ECS cluster", init=False)

    @property
    def desired(self) -> Mapping[str, str]:
        """Nothing: migrate changes nothing of it."""
        return {}

    def observe(self) -> Observed | None:
        """The cluster as it is (no fields: nothing to compare); a missing or inactive one, a service of another's
        under one of the project's names, or services of the project still in its own cluster stop the plan."""
        with aws_call("ecs:DescribeClusters", f"cluster {self.name}"):
            found = self.aws.client("ecs").describe_clusters(clusters=[self.name])["clusters"]
        if not any(c.get("status") == "ACTIVE" for c in found):
            raise DeployError(f"ECS cluster {self.name} ([project] cluster in migrate.toml) does not exist in {self.aws.region}",
                              hint="create it, name an existing one, or remove the setting to let migrate make the project's own")
        for service in active_services(self.aws, self.name, sorted(self.services), f"services of {self.project}").values():
            name, family = str(service["serviceName"]), _family(str(service.get("taskDefinition", "")))
            if family != self.services[name]:
                raise DeployError(f"ECS cluster {self.name} already runs a service named {name} (task definition {family}), "
                                  f"not this project's ({self.services[name]})",
                                  hint="give the project's app another name, or deploy into another cluster")
        if self.project and self.project != self.name:
            left = sorted(active_services(self.aws, self.project, sorted(self.services), f"services of {self.project}"))
            if left:
                raise DeployError(f"{', '.join(left)} run in ECS cluster {self.project}, the project's own; moving them to "
                                  f"{self.name} is not supported", hint="run `migrate destroy` first, or remove [project] cluster")
        return Observed({}, {})

    def create(self) -> None:
        raise AssertionError("an existing cluster is never created")  # plan_step never asks: observe() raised

    def update(self, fields: Sequence[str]) -> None:
        raise AssertionError("an existing cluster is never changed")  # nothing desired: nothing differs

    def delete(self) -> None:
        raise AssertionError("an existing cluster is never deleted")  # destroy_plan leaves borrowed resources alone


def active_services(aws: Aws, cluster: str, names: Sequence[str], what: str) -> dict[str, dict[str, Any]]:
    """The ACTIVE services of ``cluster`` among ``names``, by name in their order (none when the cluster does not exist).
    ``what``: how messages name them (``services of shop``)."""
    ecs = aws.client("ecs")
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(names), 10):  # DescribeServices takes at most ten names
        with aws_call("ecs:DescribeServices", f"{what} in cluster {cluster}"):
            try:
                found.update((str(s["serviceName"]), dict(s)) for s in ecs.describe_services(cluster=cluster, services=list(names[start:start + 10]))["services"])
            except ecs.exceptions.ClusterNotFoundException:
                return {}
    return {n: found[n] for n in names if n in found and found[n].get("status") == "ACTIVE"}


def _family(task_definition_arn: str) -> str:
    """``shop-api`` of ``arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:7``."""
    return task_definition_arn.rpartition("/")[2].rpartition(":")[0]

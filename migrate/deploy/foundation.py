"""The resources every deployed app needs before its service runs, named and wired together.

Names derive from the project and the app, so a second deploy finds what the first made:
repository ``PROJECT/APP``, log group ``/ecs/PROJECT/APP``, roles ``PROJECT-APP-execution`` and
``PROJECT-APP-task``, cluster ``PROJECT`` (or an existing one migrate.toml names, used as it is). The execution role may pull exactly this repository, write
exactly this log group and read exactly the secrets the task definition references, no ``*`` beyond
``ecr:GetAuthorizationToken`` (which AWS only grants on ``*``). The task role starts with no
permissions: what the app itself may call is the app's decision, not a default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.plan import Resource
from migrate.deploy.resources import EcrRepository, EcsCluster, ExistingCluster, IamRole, LogGroup

#: IAM role names are at most 64 characters.
_ROLE_MAX = 64


@dataclass(frozen=True)
class Names:
    """Where one app's resources live."""

    project: str
    app: str
    #: An existing cluster to run in (``[project] cluster``); None: the project's own.
    existing_cluster: str | None = None

    @property
    def repository(self) -> str:
        """The ECR repository."""
        return f"{self.project}/{self.app}"

    @property
    def log_group(self) -> str:
        """The CloudWatch log group."""
        return f"/ecs/{self.project}/{self.app}"

    @property
    def cluster(self) -> str:
        """The ECS cluster, shared by the project's apps: the existing one named, else the project's own."""
        return self.existing_cluster or self.project

    @property
    def cluster_is_borrowed(self) -> bool:
        """Whether the cluster is someone else's (named in migrate.toml, and not the project's own name)."""
        return self.existing_cluster is not None and self.existing_cluster != self.project

    def role(self, purpose: str) -> str:
        """An IAM role name, shortened to IAM's limit keeping the purpose readable."""
        suffix = f"-{purpose}"
        return f"{self.project}-{self.app}"[: _ROLE_MAX - len(suffix)] + suffix


def execution_policy(repository_arn: str, log_group_arn: str, secret_arns: Sequence[str]) -> dict[str, Any]:
    """What ECS itself needs to start the task: pull the image, write logs, read its secrets."""
    statements: list[dict[str, Any]] = [
        {"Sid": "PullAuthToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "PullImage", "Effect": "Allow",
         "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Resource": repository_arn},
        {"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:log-stream:*"},
    ]
    parameters = sorted(a for a in secret_arns if ":ssm:" in a)
    secrets = sorted(a for a in secret_arns if ":secretsmanager:" in a)
    if secrets:
        statements.append({"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secrets})
    if parameters:
        statements.append({"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameters})
    return {"Version": "2012-10-17", "Statement": statements}


def foundation(
    aws: Aws, names: Names, *, secret_arns: Sequence[str] = (), keep_images: int = 30, log_retention_days: int = 30
) -> list[Resource]:
    """The cluster, repository, log group and both roles of one app, in the order they apply."""
    repository = EcrRepository(aws, names.app, names.repository, keep_images=keep_images)
    logs = LogGroup(aws, names.app, names.log_group, retention_days=log_retention_days)
    execution = IamRole(
        aws, names.app, names.role("execution"), f"ECS pulls {names.repository}, writes its logs, reads its secrets",
        {"migrate-execution": execution_policy(repository.arn, logs.arn, secret_arns)},
    )
    task = IamRole(aws, names.app, names.role("task"), f"What {names.app}'s own code may call on AWS (nothing by default)")
    cluster = (ExistingCluster(aws, names.project, names.cluster, names.project) if names.cluster_is_borrowed
               else EcsCluster(aws, names.project, names.cluster))
    return [cluster, repository, logs, execution, task]


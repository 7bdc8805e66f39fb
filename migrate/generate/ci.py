"""The CI/CD output: a GitHub Actions workflow, and the AWS role it deploys through.

``.github/workflows/migrate.yml`` tests and builds every app on pull requests and, on pushes to the
default branch, runs ``migrate deploy`` with an OIDC-assumed role (no long-lived keys). Beside it,
``.github/migrate/``: the role's trust policy (only that repository's default branch may assume it),
its permission policy (the actions ``migrate deploy`` calls, scoped by the project's name prefixes
where the names are migrate's own) and a README with the commands that create the role.
Values from the tree reach the workflow only as YAML scalars, and ``${{`` (a GitHub expression) is
refused in them: it would let a file name or a script run code in the workflow.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.config import Config
from migrate.deploy.ownership import MANAGED_BY
from migrate.errors import UserError
from migrate.inspect.testcmd import TestCommand
from migrate.profile import Inspection

WORKFLOW = ".github/workflows/migrate.yml"
TRUST_POLICY = ".github/migrate/deploy-role.trust.json"
PERMISSION_POLICY = ".github/migrate/deploy-role.permissions.json"
ROLE_README = ".github/migrate/README.md"
#: GitHub's OIDC issuer, and the audience configure-aws-credentials asks the token for.
OIDC_PROVIDER = "token.actions.githubusercontent.com"
OIDC_AUDIENCE = "sts.amazonaws.com"

_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_GITHUB_REMOTE = re.compile(r"^(?:https://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
                            r"(?P<repo>[^/]+/[^/]+?)(?:\.git)?/?$")
_BRANCH = re.compile(r"[A-Za-z0-9._/-]+")
_ACCOUNT = re.compile(r"\d{12}")
_EXPRESSION = "${{"


class CiError(UserError):
    """The CI workflow cannot be generated as asked."""


@dataclass(frozen=True)
class CiSettings:
    """Where the workflow runs and deploys: ``OWNER/REPO`` on GitHub, its default branch, the AWS account and region."""

    repository: str
    branch: str
    account: str
    #: migrate.toml's region; None: the repository variable AWS_REGION (deploy reads the same chain).
    region: str | None
    #: The project's name in AWS (migrate.toml's [project] name, else the folder's): the role and resource prefix.
    project: str
    #: Each app's test command, keyed by the app's path (None: no test suite was found).
    tests: Mapping[str, TestCommand | None]
    #: An existing ECS cluster the services run in (``[project] cluster``); None: the project's own.
    cluster: str | None = None

    def __post_init__(self) -> None:
        if not _REPOSITORY.fullmatch(self.repository):
            raise CiError(f"--github-repo {self.repository!r}: give it as OWNER/REPO (e.g. acme/shop)")
        if not _BRANCH.fullmatch(self.branch) or ".." in self.branch:
            raise CiError(f"--branch {self.branch!r}: not a branch name migrate can put in a workflow")
        if not _ACCOUNT.fullmatch(self.account):
            raise CiError(f"--aws-account {self.account!r}: an AWS account id is 12 digits")

    @property
    def role(self) -> str:
        """The deploy role's name (IAM's 64-character limit: the project name is at most 20)."""
        return f"{self.project}-github-deploy"


def github_repository(root: Path) -> str:
    """``OWNER/REPO`` of the ``origin`` remote of the git repository at ``root``; a one-line error when it is not GitHub."""
    try:
        done = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is None or done.returncode != 0:
        raise CiError(f"{root}: no git remote named origin to take the GitHub repository from", hint="pass --github-repo OWNER/REPO")
    url = done.stdout.strip()
    match = _GITHUB_REMOTE.match(url)
    if match is None:
        raise CiError(f"the origin remote ({url}) is not a GitHub repository", hint="pass --github-repo OWNER/REPO")
    return match.group("repo")


def default_branch(root: Path) -> str:
    """The branch ``origin/HEAD`` names (the remote's default), else ``main``."""
    try:
        done = subprocess.run(["git", "-C", str(root), "symbolic-ref", "--short", "refs/remotes/origin/HEAD"],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "main"
    name = done.stdout.strip().partition("/")[2]
    return name if done.returncode == 0 and name else "main"


def ci_settings(root: Path, inspection: Inspection, config: Config, *, account: str | None, repository: str | None = None,
                branch: str | None = None) -> CiSettings:
    """The settings for ``inspection``'s workflow: flags, else the git remote; each app's tests found in its tree."""
    from migrate.config import project_name
    from migrate.inspect.testcmd import test_command

    if account is None:
        raise CiError("the deploy role's trust policy names the AWS account: pass --aws-account ACCOUNT_ID (12 digits)")
    return CiSettings(
        repository=repository or github_repository(root), branch=branch or default_branch(root), account=account,
        region=config.region, project=project_name(root, config),
        tests={app.path: test_command(root, app) for app in inspection.apps}, cluster=config.cluster,
    )


@dataclass(frozen=True)
class CiApp:
    """One app as the workflow sees it: its job, its compose service and how its image is built."""

    name: str
    job: str
    service: str
    #: Build context and Dockerfile, relative to the repository root.
    context: str
    dockerfile: str
    test: TestCommand | None
    #: What the dev container runs after it is created (installs the dev dependencies the tests need).
    setup: str | None

    @property
    def test_run(self) -> str:
        """The test step: the command in the app's compose service (its backing services started and healthy)."""
        assert self.test is not None
        script = " && ".join(part for part in (self.setup, self.test.command) if part)
        return _guarded(f"docker compose run --rm --build {shlex.quote(self.service)} sh -c {shlex.quote(script)}")

    @property
    def build_run(self) -> str:
        """The pull request's build of the production image."""
        return _guarded(f"docker build --target runtime --file {shlex.quote(self.dockerfile)} {shlex.quote(self.context)}")


def render_ci(apps: Sequence[CiApp], settings: CiSettings, version: str) -> list[tuple[str, str]]:
    """The workflow, the role's two policies and the README that creates the role, as ``(path, content)``."""
    import json

    from migrate.generate.render import render

    region = settings.region or "${{ vars.AWS_REGION }}"
    workflow = render(
        "ci/github-actions.yml.j2", apps=apps, project=settings.project, branch=settings.branch, account=settings.account,
        role=settings.role, region=region, role_arn="${{ vars.MIGRATE_DEPLOY_ROLE_ARN }}", version=version,
        deploy_if=f"github.event_name == 'push' && github.ref == 'refs/heads/{settings.branch}'",
        install_run=f"pip install migrate-to-ecs=={version}",
    )
    readme = render("ci/README.md.j2", settings=settings, trust=TRUST_POLICY, permissions=PERMISSION_POLICY,
                    provider=OIDC_PROVIDER, audience=OIDC_AUDIENCE, workflow=WORKFLOW, version=version)
    return [
        (WORKFLOW, workflow),
        (TRUST_POLICY, json.dumps(trust_policy(settings), indent=2) + "\n"),
        (PERMISSION_POLICY, json.dumps(permission_policy(settings), indent=2) + "\n"),
        (ROLE_README, readme),
    ]


def trust_policy(settings: CiSettings) -> dict[str, Any]:
    """Who may assume the deploy role: GitHub's OIDC tokens for pushes to the repository's default branch, nothing else.

    ``sub`` is ``repo:OWNER/REPO:ref:refs/heads/BRANCH`` only for runs on that branch; a pull request's
    token says ``repo:OWNER/REPO:pull_request``, so no pull request (not even one from the repository)
    can deploy. StringEquals, not StringLike: no wildcard to widen it by mistake.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "GitHubActionsDeployFromDefaultBranch",
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{settings.account}:oidc-provider/{OIDC_PROVIDER}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{OIDC_PROVIDER}:aud": OIDC_AUDIENCE,
                f"{OIDC_PROVIDER}:sub": f"repo:{settings.repository}:ref:refs/heads/{settings.branch}",
            }},
        }],
    }


#: What ``migrate deploy`` calls (every ``aws_call`` in migrate/deploy; a test keeps the two in step), by scope.
#: Actions on resources migrate names itself are scoped by the project's prefix; the rest (describe and
#: list calls, and resources whose names AWS or the user choose: VPCs, subnets, load balancers, databases)
#: take ``*``.
_ECR_REPOSITORY = ("ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeImages", "ecr:DescribeRepositories",
                   "ecr:GetLifecyclePolicy", "ecr:ListTagsForResource", "ecr:PutImageScanningConfiguration",
                   "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy", "ecr:TagResource",
                   # docker push and pull through the registry's API
                   "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                   "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
_ECS_CLUSTER = ("ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:UpdateClusterSettings")
_ECS_SERVICE = ("ecs:CreateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:ListTagsForResource", "ecs:UpdateService")
_IAM_ROLE = ("iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:GetRole", "iam:GetRolePolicy",
             "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoleTags", "iam:PutRolePolicy",
             "iam:UpdateAssumeRolePolicy", "iam:TagRole")
_LOG_GROUP = ("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:GetLogEvents", "logs:ListTagsForResource",
              "logs:PutRetentionPolicy", "logs:TagResource")
_SSM_PARAMETER = ("ssm:DeleteParameter", "ssm:GetParameter", "ssm:ListTagsForResource", "ssm:PutParameter", "ssm:AddTagsToResource")
_ANY_RESOURCE = (
    "acm:DescribeCertificate",
    "route53:ListHostedZones",  # a migration by DNS (--dns-name) finds its name's zone
    "cloudwatch:GetMetricData",  # the cutover's gates (no resource-level permission exists for it)
    "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:DeleteSecurityGroup",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:RevokeSecurityGroupIngress",
    "ecr:GetAuthorizationToken",
    "ecs:ContinueServiceDeployment", "ecs:DeleteTaskDefinitions", "ecs:DeregisterTaskDefinition", "ecs:DescribeServiceDeployments",
    "ecs:DescribeServiceRevisions", "ecs:DescribeTaskDefinition", "ecs:DescribeTasks", "ecs:ListServiceDeployments",
    "ecs:ListTaskDefinitions", "ecs:ListTasks", "ecs:RegisterTaskDefinition", "ecs:RunTask", "ecs:StopServiceDeployment",
    "ecs:StopTask", "ecs:TagResource",
    "elasticache:CreateCacheSubnetGroup", "elasticache:CreateReplicationGroup", "elasticache:DeleteCacheSubnetGroup",
    "elasticache:DeleteReplicationGroup", "elasticache:DescribeCacheSubnetGroups", "elasticache:DescribeReplicationGroups",
    "elasticache:ListTagsForResource", "elasticache:ModifyCacheSubnetGroup", "elasticache:ModifyReplicationGroup",
    "elasticache:AddTagsToResource",
    "elasticloadbalancing:AddTags", "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateRule", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DeleteTargetGroup",
    # the old servers' addresses of a migration (deploy --from), in their target group
    "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:SetRulePriorities",
    "logs:DescribeLogGroups",
    "rds:AddTagsToResource", "rds:CreateDBInstance", "rds:CreateDBSubnetGroup", "rds:DeleteDBInstance",
    "rds:DeleteDBSubnetGroup", "rds:DescribeDBInstances", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource",
    "rds:ModifyDBInstance", "rds:ModifyDBSubnetGroup",
    "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
    "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
    "ssm:DescribeParameters",
    "sts:GetCallerIdentity",
)


def permission_policy(settings: CiSettings) -> dict[str, Any]:
    """What the deploy role may do: the calls ``migrate deploy`` makes, on the project's resources where AWS scopes them."""
    from migrate.deploy.native import INFRASTRUCTURE_POLICY, infrastructure_role_name  # what deploy makes, named once

    project = settings.project
    arn = f"arn:aws:{{}}:{settings.region or '*'}:{settings.account}:{{}}"
    infrastructure = f"arn:aws:iam::{settings.account}:role/{infrastructure_role_name(project)}"
    statements = [
        _statement("EcrRepositories", _ECR_REPOSITORY, arn.format("ecr", f"repository/{project}/*")),
        *_ecs_statements(settings, arn),
        _statement("TaskAndExecutionRoles", _IAM_ROLE, f"arn:aws:iam::{settings.account}:role/{project}-*"),
        _statement("LogGroups", _LOG_GROUP, arn.format("logs", f"log-group:/ecs/{project}/*")),
        # Where migrate keeps its parameters: /migrate/PROJECT/APP/... (secrets, the deploy lock, the cutover journal).
        _statement("SsmParameters", _SSM_PARAMETER, arn.format("ssm", f"parameter/migrate/{project}/*")),
        _statement("DescribeAndUnnamedResources", _ANY_RESOURCE, "*"),
        {   # the task definitions name the roles migrate made; only ECS tasks may be handed them
            "Sid": "PassTaskRolesToEcs",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"arn:aws:iam::{settings.account}:role/{project}-*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        # ECS's own strategies (--strategy ecs-*): the role ECS assumes to move the listener rules gets AWS's managed
        # policy for it, and only that one (attaching any other to a role of the project would escalate).
        {
            "Sid": "EcsInfrastructureRolePolicy",
            "Effect": "Allow",
            "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            "Resource": infrastructure,
            "Condition": {"ArnEquals": {"iam:PolicyARN": INFRASTRUCTURE_POLICY}},
        },
        {   # a migration by DNS (--dns-name): the name's A or CNAME records become weighted ones, old endpoint and ALB
            "Sid": "WeightedRecordsOfAMigrationByDns",
            "Effect": "Allow",
            "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
            "Resource": "arn:aws:route53:::hostedzone/*",
            "Condition": {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["A", "CNAME"]}},
        },
        {
            "Sid": "PassInfrastructureRoleToEcs",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": infrastructure,
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}},
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _ecs_statements(settings: CiSettings, arn: str) -> list[dict[str, Any]]:
    """The cluster and the services: the project's own cluster, all of it; an existing one (``[project] cluster``)
    only read, and in it only the services migrate made (created with its tag, changed and deleted only with it),
    never another team's; and a read of the project's own, where deploy checks no service of the project is left."""
    project, cluster = settings.project, settings.cluster
    if cluster is None or cluster == project:
        return [_statement("EcsCluster", _ECS_CLUSTER, arn.format("ecs", f"cluster/{project}")),
                _statement("EcsServices", _ECS_SERVICE, arn.format("ecs", f"service/{project}/*"))]
    services = arn.format("ecs", f"service/{cluster}/*")
    return [
        _statement("ExistingEcsCluster", ("ecs:DescribeClusters",), arn.format("ecs", f"cluster/{cluster}")),
        _statement("ReadServices", ("ecs:DescribeServices", "ecs:ListTagsForResource"),
                   [services, arn.format("ecs", f"service/{project}/*")]),
        {"Sid": "CreateServicesTaggedAsMigrates", "Effect": "Allow", "Action": "ecs:CreateService", "Resource": services,
         "Condition": {"StringEquals": {f"aws:RequestTag/{MANAGED_BY}": "migrate"}}},
        {"Sid": "ChangeOnlyMigratesServices", "Effect": "Allow", "Action": ["ecs:DeleteService", "ecs:UpdateService"],
         "Resource": services, "Condition": {"StringEquals": {f"aws:ResourceTag/{MANAGED_BY}": "migrate"}}},
    ]


def granted_actions(settings: CiSettings) -> frozenset[str]:
    """Every action the permission policy grants (for checks and tests)."""
    found: set[str] = set()
    for statement in permission_policy(settings)["Statement"]:
        action = statement["Action"]
        found.update([action] if isinstance(action, str) else action)
    return frozenset(found)


def _statement(sid: str, actions: Sequence[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}


def _guarded(value: str) -> str:
    """``value`` for the workflow, refused when it holds a GitHub expression (it would run in the workflow)."""
    if _EXPRESSION in value:
        raise CiError(f"cannot generate the workflow: {value!r} contains {_EXPRESSION!r} (a GitHub expression)")
    return value

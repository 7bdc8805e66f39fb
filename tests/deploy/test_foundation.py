"""The foundation of a deploy (cluster, repository, logs, roles) against moto: plan, apply, converge."""

from __future__ import annotations

import json
from typing import Any

import pytest

from migrate.deploy.errors import DeployError, NotOwnedError
from migrate.deploy.foundation import Names, execution_policy, foundation
from migrate.deploy.ownership import owner_tags
from migrate.deploy.plan import apply, make_plan, render

from .conftest import REGION, CallLog

NAMES = Names("shop", "api")


def test_an_empty_account_plans_every_resource_for_creation_without_mutating(aws: Any, calls: CallLog) -> None:
    plan = make_plan(foundation(aws, NAMES))
    assert [(s.action, s.title) for s in plan.steps] == [
        ("create", "ECS cluster shop"),
        ("create", "ECR repository shop/api"),
        ("create", "log group /ecs/shop/api"),
        ("create", "IAM role shop-api-execution"),
        ("create", "IAM role shop-api-task"),
    ]
    assert calls.calls and calls.mutating == []


def test_apply_creates_each_resource_as_planned(aws: Any) -> None:
    apply(make_plan(foundation(aws, NAMES)))

    ecr = aws.client("ecr")
    repo = ecr.describe_repositories(repositoryNames=["shop/api"])["repositories"][0]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    rule = json.loads(ecr.get_lifecycle_policy(repositoryName="shop/api")["lifecyclePolicyText"])["rules"][0]
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
    group = aws.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/shop/api")["logGroups"][0]
    assert group["retentionInDays"] == 30
    iam = aws.client("iam")
    trust = iam.get_role(RoleName="shop-api-execution")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert iam.list_role_policies(RoleName="shop-api-task")["PolicyNames"] == []
    cluster = aws.client("ecs").describe_clusters(clusters=["shop"], include=["SETTINGS"])["clusters"][0]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    for tags in (
        {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]},
        {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="shop-api-execution")["Tags"]},
    ):
        assert tags == owner_tags("api")


def test_a_second_run_plans_nothing_and_calls_nothing_that_mutates(aws: Any, calls: CallLog) -> None:
    apply(make_plan(foundation(aws, NAMES)))
    calls.clear()
    plan = make_plan(foundation(aws, NAMES))
    apply(plan)
    assert not plan.changes_anything
    assert {s.action for s in plan.steps} == {"unchanged"}
    assert calls.calls and calls.mutating == []


def test_drift_is_planned_as_an_update_of_that_field_only(aws: Any, calls: CallLog) -> None:
    apply(make_plan(foundation(aws, NAMES)))
    aws.client("logs").put_retention_policy(logGroupName="/ecs/shop/api", retentionInDays=7)
    aws.client("iam").put_role_policy(RoleName="shop-api-execution", PolicyName="migrate-execution", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    calls.clear()
    plan = make_plan(foundation(aws, NAMES))
    changed = {s.title: [c.name for c in s.changes] for s in plan.steps if s.action == "update"}
    assert changed == {"log group /ecs/shop/api": ["retention_days"], "IAM role shop-api-execution": ["policy migrate-execution"]}
    apply(plan)
    assert calls.mutating == ["logs.PutRetentionPolicy", "iam.PutRolePolicy"]
    assert not make_plan(foundation(aws, NAMES)).changes_anything


def test_a_resource_of_the_same_name_that_migrate_did_not_create_is_refused(aws: Any, calls: CallLog) -> None:
    aws.client("ecr").create_repository(repositoryName="shop/api")
    with pytest.raises(NotOwnedError, match="ECR repository shop/api already exists and was created by someone else"):
        make_plan(foundation(aws, NAMES))
    assert calls.mutating == ["ecr.CreateRepository"]  # only the test's own


def test_a_resource_of_another_app_is_refused(aws: Any) -> None:
    apply(make_plan(foundation(aws, Names("shop", "web"))))
    aws.client("iam").tag_role(RoleName="shop-web-task", Tags=[{"Key": "migrate:app", "Value": "web"}])
    other = foundation(aws, NAMES)
    # The shared cluster belongs to the project and is fine; the app's own names are free.
    assert make_plan(other).count("create") == 4
    aws.client("ecr").create_repository(repositoryName="shop/api", tags=[{"Key": k, "Value": v} for k, v in owner_tags("web").items()])
    with pytest.raises(NotOwnedError, match="created by migrate for app web"):
        make_plan(foundation(aws, NAMES))


def test_the_execution_role_reads_exactly_the_secrets_it_uses() -> None:
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/api/DATABASE_URL-AbCdEf"
    parameter = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api/SECRET_KEY"
    policy = execution_policy("arn:aws:ecr:eu-west-1:123456789012:repository/shop/api",
                              "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop/api", [secret, parameter])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ReadSecrets"] == {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [secret]}
    assert by_sid["ReadParameters"]["Resource"] == [parameter]
    assert [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"] == ["PullAuthToken"]
    assert "ReadSecrets" not in {s["Sid"] for s in execution_policy("r", "l", [])["Statement"]}


def test_long_names_fit_iam_and_keep_their_purpose() -> None:
    names = Names("a-very-long-project-name-for-a-monorepo", "and-an-equally-long-service-name")
    assert len(names.role("execution")) == 64 and names.role("execution").endswith("-execution")


def test_the_plan_reads_as_text(aws: Any) -> None:
    text = render(make_plan(foundation(aws, NAMES)))
    assert text.splitlines()[0] == "+ ECS cluster shop"
    assert "    retention_days: 30" in text
    assert '      "Principal": {' in text  # policies are shown whole before anything is created
    assert text.endswith("5 to create, 0 to change, 0 unchanged\n")
    apply(make_plan(foundation(aws, NAMES)))
    assert render(make_plan(foundation(aws, NAMES))).endswith("0 to create, 0 to change, 5 unchanged\n")


def test_no_credentials_is_one_clear_error(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.deploy.aws import connect

    # No moto here: it would supply credentials. botocore fails before sending anything.
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    aws = connect(REGION)
    with pytest.raises(DeployError, match=r"^no AWS credentials found$") as caught:
        make_plan(foundation(aws, NAMES))
    assert "aws configure" in (caught.value.hint or "")


def test_no_region_is_one_clear_error(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.deploy.aws import connect

    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(DeployError, match="no AWS region is set"):
        connect()


def test_a_missing_permission_names_the_action_and_the_resource(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto checks IAM policies once `set_initial_no_auth_action_count` is in force."""
    import boto3
    from moto import mock_aws
    from moto.core import set_initial_no_auth_action_count

    from migrate.deploy.aws import connect

    @set_initial_no_auth_action_count(4)  # the four admin calls below are let through
    def run() -> DeployError:
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="deployer")
        everything_but_ecr_create = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ecr:CreateRepository", "Resource": "*"},
        ]}
        iam.put_user_policy(UserName="deployer", PolicyName="p", PolicyDocument=json.dumps(everything_but_ecr_create))
        key = iam.create_access_key(UserName="deployer")["AccessKey"]
        iam.get_user(UserName="deployer")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        with pytest.raises(DeployError) as caught:
            apply(make_plan(foundation(connect(REGION), NAMES)))
        return caught.value

    with mock_aws():
        error = run()
    assert str(error) == "missing permission ecr:CreateRepository on repository shop/api"
    assert "IAM policy" in (error.hint or "")

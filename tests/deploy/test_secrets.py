"""Secrets on moto: stored encrypted, tagged, planned by comparison, and their values never in any string."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from migrate.deploy.errors import DeployError, NotOwnedError
from migrate.deploy.plan import apply, destroy_plan, make_plan, render
from migrate.deploy.secrets import SecretValue, secret_arns, secrets
from migrate.deploy.service import default_network
from migrate.deploy.stack import stack

from .conftest import CallLog
from .test_service import WEB

VALUE = 'postgres://shop:S3cr"et-ü@db/shop'


def test_a_first_plan_creates_each_secret_without_its_value(aws: Any) -> None:
    plan = make_plan(secrets(aws, "shop", "api", {"DATABASE_URL": VALUE, "API_KEY": "k-123456"}))
    assert render(plan) == (
        "+ secret parameter /migrate/shop/api/API_KEY\n    type: SecureString\n    value: (secret: as wanted)\n"
        "+ secret parameter /migrate/shop/api/DATABASE_URL\n    type: SecureString\n    value: (secret: as wanted)\n"
        "2 to create, 0 to change, 0 unchanged\n")
    apply(plan)
    ssm = aws.client("ssm")
    stored = ssm.get_parameter(Name="/migrate/shop/api/DATABASE_URL", WithDecryption=True)["Parameter"]
    assert (stored["Type"], stored["Value"]) == ("SecureString", VALUE)
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/migrate/shop/api/DATABASE_URL")["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"migrate:managed-by": "migrate", "migrate:app": "api"}


def test_the_same_value_again_changes_nothing_and_another_is_a_change(aws: Any, calls: CallLog) -> None:
    apply(make_plan(secrets(aws, "shop", "api", {"DATABASE_URL": VALUE})))
    calls.clear()
    plan = make_plan(secrets(aws, "shop", "api", {"DATABASE_URL": VALUE}))
    apply(plan)
    assert not plan.changes_anything and calls.mutating == []
    changed = make_plan(secrets(aws, "shop", "api", {"DATABASE_URL": VALUE + "2"}))
    assert render(changed).splitlines()[:2] == [
        "~ secret parameter /migrate/shop/api/DATABASE_URL", "    value: (secret: another value) -> (secret: as wanted)"]
    apply(changed)
    assert aws.client("ssm").get_parameter(Name="/migrate/shop/api/DATABASE_URL", WithDecryption=True)["Parameter"]["Value"] == VALUE + "2"


def test_a_parameter_migrate_did_not_create_is_refused(aws: Any) -> None:
    aws.client("ssm").put_parameter(Name="/migrate/shop/api/DATABASE_URL", Value="theirs", Type="SecureString")
    with pytest.raises(NotOwnedError, match="secret parameter /migrate/shop/api/DATABASE_URL already exists and was created by someone else"):
        make_plan(secrets(aws, "shop", "api", {"DATABASE_URL": VALUE}))


def test_no_plan_log_record_or_error_contains_a_value(aws: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # botocore logs request and response bodies at DEBUG
    resources = secrets(aws, "shop", "api", {"DATABASE_URL": VALUE})
    texts = [repr(resources), str(resources[0].value), render(make_plan(resources))]
    apply(make_plan(resources))
    texts.append(render(make_plan(secrets(aws, "shop", "api", {"DATABASE_URL": VALUE + "x"}))))
    texts.append(render(destroy_plan(resources)))
    big = "v" * 9000  # over SSM's 8 KB: refused before any call, naming the variable only
    with pytest.raises(DeployError) as refused:
        apply(make_plan(secrets(aws, "shop", "api", {"TOO_BIG": big})))
    assert str(refused.value) == "secret TOO_BIG is 9000 bytes, more than the 8192 bytes its store holds"
    assert "ssm.ListTagsForResource" in caplog.text  # botocore did log at DEBUG, but not a secret call's bodies
    for text in [*texts, caplog.text]:
        assert VALUE not in text and 'S3cr\\"et' not in text and "S3cr" not in text


def test_an_aws_error_that_echoes_the_value_is_scrubbed() -> None:
    # AWS's ValidationException quotes a rejected value ("Value '...' at 'value' failed to satisfy
    # constraint"); moto validates less, so the error is raised here as botocore would raise it.
    from botocore.exceptions import ClientError

    from migrate.deploy.secrets import _secret_call

    echo = {"Error": {"Code": "ValidationException", "Message": f"Value '{VALUE}' at 'value' failed to satisfy constraint"}}
    with pytest.raises(DeployError) as failed, _secret_call("ssm:PutParameter", "parameter /p", SecretValue(VALUE)):
        raise ClientError(echo, "PutParameter")  # type: ignore[arg-type]
    assert str(failed.value) == "ssm:PutParameter on parameter /p failed: ValidationException: Value '***' at 'value' failed to satisfy constraint"


def test_a_secret_value_hides_itself() -> None:
    value = SecretValue(VALUE)
    assert repr(value) == str(value) == f"{value}" == "SecretValue(***)" and value.reveal() == VALUE


def test_parameter_arns_feed_the_task_definition_and_the_execution_role(aws: Any) -> None:
    values = secrets(aws, "shop", "api", {"DATABASE_URL": VALUE})
    arns = secret_arns(values)
    assert arns == {"DATABASE_URL": "arn:aws:ssm:eu-west-1:123456789012:parameter/migrate/shop/api/DATABASE_URL"}
    spec = dataclasses.replace(WEB, secrets=arns)
    apply(make_plan([*values, *stack(aws, "shop", (spec,), default_network(aws))]))
    policy = aws.client("iam").get_role_policy(RoleName="shop-api-execution", PolicyName="migrate-execution")["PolicyDocument"]
    assert {"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": [arns["DATABASE_URL"]]} in policy["Statement"]
    container = aws.client("ecs").describe_task_definition(taskDefinition="shop-api")["taskDefinition"]["containerDefinitions"][0]
    assert container["secrets"] == [{"name": "DATABASE_URL", "valueFrom": arns["DATABASE_URL"]}]
    assert VALUE not in str(container)


def test_secrets_manager_is_supported_and_compared_the_same_way(aws: Any, calls: CallLog) -> None:
    resources = secrets(aws, "shop", "api", {"DATABASE_URL": VALUE}, store="secretsmanager")
    assert render(make_plan(resources)).splitlines()[0] == "+ secret migrate/shop/api/DATABASE_URL"
    with pytest.raises(DeployError, match="has no ARN until it is created"):
        secret_arns(resources)
    apply(make_plan(resources))
    arn = secret_arns(resources)["DATABASE_URL"]
    assert aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"] == VALUE
    calls.clear()
    again = secrets(aws, "shop", "api", {"DATABASE_URL": VALUE}, store="secretsmanager")
    assert not make_plan(again).changes_anything and calls.mutating == []
    assert secret_arns(again) == {"DATABASE_URL": arn}
    apply(make_plan(secrets(aws, "shop", "api", {"DATABASE_URL": "new"}, store="secretsmanager")))
    assert aws.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"] == "new"
    apply(destroy_plan(again))
    assert aws.client("secretsmanager").list_secrets()["SecretList"] == []

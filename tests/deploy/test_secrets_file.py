"""`secrets_file` in migrate.toml, through `migrate deploy` and `migrate destroy` on moto in-process.

Each NAME=value line of the user's dotenv file becomes an encrypted SSM parameter migrate owns; the
task definition references it by ARN, the execution role may read exactly those ARNs, and no value
is ever printed. A changed value rolls the service (its version labels the container); a removed
variable's parameter is deleted once no revision runs with it, nor the one a rollback would start
again (a colour's, parked at 0 tasks); destroy removes what is left
even when the file is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate.deploy.aws import connect

from .conftest import REGION
from .scheduler import scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import IMAGE, Cli, cli, copy_example  # noqa: F401 (cli: a fixture)
from .test_destroy import tagged_by_migrate

CONFIG = """
[project]
name = "notes"

[apps.python-flask-postgres]
secrets_file = ".env.production"
"""
APP = "python-flask-postgres"
PASSWORD = "pa$$word-${HOME}"  # neither interpolated nor shown
SECRETS = f"# production values\nDATABASE_URL=postgres://notes:{PASSWORD}@db.internal/notes\nSECRET_KEY='k3y with spaces'\n"


def parameter(name: str) -> str:
    return f"/migrate/notes/{APP}/{name}"


def container(aws: Any) -> dict[str, Any]:
    """The container of the revision that serves: the app's service's, or after a cutover its live colour's."""
    ecs = aws.client("ecs")
    services = ecs.describe_services(cluster="notes", services=[APP, f"{APP}-blue", f"{APP}-green"])["services"]
    serving = max((s for s in services if s["status"] == "ACTIVE"), key=lambda s: s["desiredCount"])
    definition = serving["taskDefinition"]
    result: dict[str, Any] = ecs.describe_task_definition(taskDefinition=definition)["taskDefinition"]["containerDefinitions"][0]
    return result


def deploy(cli: Cli, root: Path) -> tuple[str, str]:  # noqa: F811 (cli: the fixture)
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    for value in (PASSWORD, "k3y with spaces", "n3w-k3y"):
        assert value not in out and value not in err
    return out, err


def test_a_secrets_file_is_stored_encrypted_read_by_arn_rolled_on_change_and_cleaned_up(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = copy_example(APP, tmp_path, CONFIG)
    (root / ".env.production").write_text(SECRETS)
    out, _ = deploy(cli, root)
    assert f"+ secret parameter {parameter('DATABASE_URL')}" in out and "value: (secret: as wanted)" in out
    aws = connect(REGION)
    ssm = aws.client("ssm")
    stored = ssm.get_parameter(Name=parameter("DATABASE_URL"), WithDecryption=True)["Parameter"]
    assert (stored["Type"], stored["Value"]) == ("SecureString", f"postgres://notes:{PASSWORD}@db.internal/notes")
    assert ssm.get_parameter(Name=parameter("SECRET_KEY"), WithDecryption=True)["Parameter"]["Value"] == "k3y with spaces"
    arns = {name: aws.arn("ssm", f"parameter{parameter(name)}") for name in ("DATABASE_URL", "SECRET_KEY")}
    first = container(aws)
    assert {s["name"]: s["valueFrom"] for s in first["secrets"]} == arns
    assert first["dockerLabels"] == {"migrate.secret-versions": "DATABASE_URL=1,SECRET_KEY=1"}
    policy = aws.client("iam").get_role_policy(RoleName=f"notes-{APP}-execution", PolicyName="migrate-execution")["PolicyDocument"]
    (read,) = [s for s in policy["Statement"] if s.get("Sid") == "ReadParameters"]
    assert read["Resource"] == sorted(arns.values())

    cli.calls.clear()
    out, err = deploy(cli, root)
    assert cli.calls.mutating == [] and "up to date" in err

    # A new value: stored again, and the service rolls onto a revision that reads it.
    (root / ".env.production").write_text(SECRETS.replace("'k3y with spaces'", "n3w-k3y"))
    out, _ = deploy(cli, root)
    assert f"~ secret parameter {parameter('SECRET_KEY')}" in out and "(secret: another value) -> (secret: as wanted)" in out
    assert container(aws)["dockerLabels"] == {"migrate.secret-versions": "DATABASE_URL=1,SECRET_KEY=2"}
    assert ssm.get_parameter(Name=parameter("SECRET_KEY"), WithDecryption=True)["Parameter"]["Value"] == "n3w-k3y"

    # A variable removed from the file: the service moves off it (onto green, by weight), but its parameter
    # stays while blue, parked on the revision that reads it, is what a rollback starts again.
    (root / ".env.production").write_text(SECRETS.splitlines()[1] + "\n")
    out, err = deploy(cli, root)
    assert f"- secret parameter {parameter('SECRET_KEY')}" not in out
    assert (f"{parameter('SECRET_KEY')} stays, though no longer in its secrets file: the revision of {APP}-blue reads it, "
            "and a rollback starts that revision") in err
    assert [s["name"] for s in container(aws)["secrets"]] == ["DATABASE_URL"]
    assert ssm.get_parameter(Name=parameter("SECRET_KEY"), WithDecryption=True)["Parameter"]["Value"] == "n3w-k3y"
    status, _, err = cli("rollback", str(root), "--target", "ecs")
    assert status == 0, err
    assert [s["name"] for s in container(aws)["secrets"]] == ["DATABASE_URL", "SECRET_KEY"]  # it can start: its secret is there

    # Rolled back, blue serves that revision: the next one goes onto green, and blue, parked, still reads it.
    (root / ".env.production").write_text(SECRETS.splitlines()[1].replace("db.internal", "db2.internal") + "\n")
    out, err = deploy(cli, root)
    assert f"- secret parameter {parameter('SECRET_KEY')}" not in out and f"{parameter('SECRET_KEY')} stays" in err
    # Once no colour's revision reads it (the next one on blue, green parked on one without it), it goes,
    # after the outgoing side is retired.
    (root / ".env.production").write_text(SECRETS.splitlines()[1].replace("db.internal", "db3.internal") + "\n")
    out, err = deploy(cli, root)
    assert f"- secret parameter {parameter('SECRET_KEY')}" in out
    assert err.index(": retired") < err.index(f"deleting secret parameter {parameter('SECRET_KEY')} (no longer in its secrets file)")
    assert [s["name"] for s in container(aws)["secrets"]] == ["DATABASE_URL"]
    assert [p["Name"] for p in ssm.describe_parameters()["Parameters"] if "/SECRET_KEY" in p["Name"]] == []

    # destroy finds what migrate stored without the file.
    (root / ".env.production").unlink()
    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert f"- secret parameter {parameter('DATABASE_URL')}" in out
    assert tagged_by_migrate(aws) == []


@pytest.mark.parametrize(("text", "message"), [
    (None, f"apps.{APP}.secrets_file: {{root}}/.env.production does not exist"),
    ("DATABASE_URL=x\nSECRET_KEY\n", "{root}/.env.production:2: SECRET_KEY has no value (write SECRET_KEY=...)"),
    ("DATABASE_URL=x\n'broken\n", "{root}/.env.production:2: not a NAME=value line"),
    ("LOG_LEVEL=debug\n", f"LOG_LEVEL is set in .env.production and in [apps.{APP}] too"),
])
def test_a_bad_secrets_file_is_one_line_naming_the_line_never_a_value(
        cli: Cli, tmp_path: Path, text: str | None, message: str) -> None:  # noqa: F811
    root = copy_example(APP, tmp_path, CONFIG + 'environment = { LOG_LEVEL = "info" }\n')
    if text is not None:
        (root / ".env.production").write_text(text)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 1 and "Traceback" not in err
    assert message.format(root=root) in err.splitlines()[0]
    assert cli.calls.mutating == []

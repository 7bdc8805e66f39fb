"""`provision = ["postgres"]` (or --provision postgres): a PostgreSQL on RDS for the apps that use one, on moto in-process.

moto creates RDS instances available at once and with an address (AWS takes minutes: the wait is a
loop on the injected clock); everything else is moto's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrate.deploy.aws import connect

from .conftest import REGION
from .scheduler import scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import FLASK_CONFIG, IMAGE, Cli, cli, copy_example  # noqa: F401 (cli: a fixture)
from .test_destroy import tagged_by_migrate

APP = "python-flask-postgres"
CONFIG = FLASK_CONFIG.replace('name = "notes"\n', 'name = "notes"\nprovision = ["postgres"]\n').replace(
    '[apps.python-flask-postgres.secrets]\nDATABASE_URL = "/notes/DATABASE_URL"\n', "")


def parameter(aws: Any, name: str) -> str:
    return str(aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def test_a_provisioned_postgres_is_private_wired_by_arn_kept_on_redeploy_and_snapshotted_on_destroy(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = copy_example(APP, tmp_path, CONFIG)
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    assert "+ RDS database notes-postgres" in out and "+ DB subnet group notes-db" in out
    aws = connect(REGION)
    (db,) = aws.client("rds").describe_db_instances(DBInstanceIdentifier="notes-postgres")["DBInstances"]
    assert (db["Engine"], db["DBInstanceClass"], db["StorageEncrypted"], db["PubliclyAccessible"], db["BackupRetentionPeriod"]) == (
        "postgres", "db.t4g.micro", True, False, 7)
    password = parameter(aws, "/migrate/notes/postgres/PASSWORD")
    url = parameter(aws, f"/migrate/notes/{APP}/DATABASE_URL")
    assert url == f"postgresql://app:{password}@{db['Endpoint']['Address']}:5432/app?sslmode=require"
    assert password not in out + err and url not in out + err
    # Only the app's tasks reach it, on 5432.
    ec2 = aws.client("ec2")
    (group,) = ec2.describe_security_groups(GroupNames=["notes-postgres"])["SecurityGroups"]
    tasks = ec2.describe_security_groups(GroupNames=[f"notes-{APP}-tasks"])["SecurityGroups"][0]["GroupId"]
    assert [(p["FromPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]], p.get("IpRanges")) for p in group["IpPermissions"]] == [(5432, [tasks], [])]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [group["GroupId"]]
    # The task reads the URL by ARN, which the execution role may read.
    ecs = aws.client("ecs")
    container = ecs.describe_task_definition(taskDefinition=f"notes-{APP}")["taskDefinition"]["containerDefinitions"][0]
    arn = aws.arn("ssm", f"parameter/migrate/notes/{APP}/DATABASE_URL")
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == {"DATABASE_URL": arn}
    assert "DATABASE_URL" not in {e["name"] for e in container["environment"]}

    cli.calls.clear()  # the same password, the same URL: nothing changes
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0 and cli.calls.mutating == [] and "up to date" in err
    assert parameter(aws, "/migrate/notes/postgres/PASSWORD") == password

    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert "- RDS database notes-postgres" in out
    snapshots = aws.client("rds").describe_db_snapshots()["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"].startswith("notes-postgres-final-") for s in snapshots] == [True]
    assert tagged_by_migrate(aws) == [s["DBSnapshotArn"] for s in snapshots]  # the final snapshot is the user's data: kept


def test_provision_names_what_it_cannot_do_in_one_line(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan", "--provision", "postgres,mongodb")
    assert status == 1 and err.splitlines()[0] == "migrate: error: --provision mongodb: migrate provisions postgres, mysql, redis"
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan", "--provision", "postgres")
    assert status == 1 and "DATABASE_URL is set in migrate.toml (or its secrets file), and the provisioned PostgreSQL sets it too" in err
    static = copy_example("static-site", tmp_path)
    status, _, err = cli("deploy", str(static), "--image", IMAGE, "--plan", "--provision", "postgres")
    assert status == 1 and "provision postgres: no app here reads a PostgreSQL connection setting" in err
    assert cli.calls.mutating == []


def test_connection_settings_ask_for_tls_in_each_drivers_own_words() -> None:
    from migrate.generate.services import Endpoint

    server = Endpoint("postgres", "db.internal", 5432, "app", "p@ss/w:rd", "app")
    assert server.value("url", "python") == "postgresql://app:p%40ss%2Fw%3Ard@db.internal:5432/app?sslmode=require"
    # node-postgres reads sslmode=require as verify-full against Node's CAs (no RDS CA) unless told libpq's meaning.
    assert server.value("url", "node").endswith("?sslmode=require&uselibpqcompat=true")
    assert server.value("jdbc", "java") == "jdbc:postgresql://db.internal:5432/app?sslmode=require"
    assert server.value("adonet", "dotnet").endswith(";SSL Mode=Require")
    assert (server.value("host", None), server.value("port", None), server.value("password", None)) == ("db.internal", "5432", "p@ss/w:rd")


def test_destroy_waits_until_rds_has_deleted_the_instance_before_its_subnet_and_security_groups(aws: Any) -> None:
    """RDS deletes in the background; moto at once. The wait is shown on a scripted describe: two polls 'deleting', then gone."""
    from migrate.deploy.database import ENGINES, RdsInstance

    polls: list[float] = []
    answers = iter([{"DBInstanceStatus": "deleting"}, {"DBInstanceStatus": "deleting"}, None])
    instance = RdsInstance(aws, "postgres", "notes-postgres", ENGINES["postgres"], None, None, None, clock=lambda: len(polls) * 15.0,  # type: ignore[arg-type]
                                sleep=polls.append)
    instance.rds.delete_db_instance = lambda **_: None  # type: ignore[method-assign]
    instance._describe = lambda: next(answers)  # type: ignore[method-assign]
    instance.delete()
    assert polls == [15, 15]


def test_every_service_migrate_toml_may_provision_is_one_deploy_knows() -> None:
    from migrate.config import PROVISIONABLE
    from migrate.deploy.workflow import _PROVISIONED

    assert sorted(_PROVISIONED) == sorted(PROVISIONABLE)

"""`provision = ["mysql"]`: a MySQL on RDS for the apps whose default configuration uses one, on moto in-process.

The apps are small trees written here (a Flask app on mysqlclient, an Express app on mysql2, a
Spring Boot app on Connector/J), so that each language's connection value is checked exactly;
examples/php-plain (PDO) is deployed by the real command over HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate.deploy.aws import connect

from .conftest import REGION
from .scheduler import scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import IMAGE, Cli, cli  # noqa: F401 (cli: a fixture)
from .test_cli_over_http import ecs_at_work  # noqa: F401 (a fixture)
from .test_destroy import tagged_by_migrate
from .test_over_http import endpoint  # noqa: F401 (a fixture)
from .test_provision import parameter

#: mysql2's URL parameters are JSON: {"rejectUnauthorized":false}, URL-encoded.
NODE_TLS = "?ssl=%7B%22rejectUnauthorized%22%3Afalse%7D"

FLASK = {
    "requirements.txt": "Flask==3.1.3\nmysqlclient==2.2.7\ngunicorn==23.0.0\n",
    "app.py": 'import os\n\nfrom flask import Flask\n\napp = Flask(__name__)\nDATABASE_URL = os.environ["DATABASE_URL"]\n\n\n'
              '@app.get("/health")\ndef health():\n    return {"ok": True}\n',
}
EXPRESS = {
    "package.json": '{"name": "shop", "version": "1.0.0", "private": true, "scripts": {"start": "node src/index.js"},\n'
                    ' "dependencies": {"express": "^4.21.2", "mysql2": "^3.14.0"}}\n',
    "src/index.js": 'const express = require("express");\nconst mysql = require("mysql2/promise");\n\n'
                    "const pool = mysql.createPool(process.env.DATABASE_URL);\nconst app = express();\n"
                    'app.get("/health", (req, res) => res.json({ ok: true }));\n'
                    "const server = app.listen(process.env.PORT || 3000);\nserver.keepAliveTimeout = 65000;\nserver.headersTimeout = 66000;\n",
}
SPRING = {
    "pom.xml": """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.4.1</version></parent>
  <groupId>com.example</groupId><artifactId>billing</artifactId><version>0.0.1</version>
  <properties><java.version>21</java.version></properties>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-data-jpa</artifactId></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-actuator</artifactId></dependency>
    <dependency><groupId>com.mysql</groupId><artifactId>mysql-connector-j</artifactId><scope>runtime</scope></dependency>
  </dependencies>
</project>
""",
    "src/main/resources/application.properties": "spring.datasource.url=${DATABASE_URL}\nspring.datasource.username=${DATABASE_USERNAME}\n"
                                                 "spring.datasource.password=${DATABASE_PASSWORD}\n",
    "src/main/java/com/example/billing/BillingApplication.java": """package com.example.billing;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class BillingApplication {
    public static void main(String[] args) {
        SpringApplication.run(BillingApplication.class, args);
    }
}
""",
}


def write_tree(root: Path, apps: dict[str, dict[str, str]], config: str) -> Path:
    for app, files in apps.items():
        for name, text in files.items():
            (root / app / name).parent.mkdir(parents=True, exist_ok=True)
            (root / app / name).write_text(text)
    (root / "migrate.toml").write_text(config)
    return root


def images(*apps: str) -> list[str]:
    return [arg for app in apps for arg in ("--image", f"{app}={IMAGE}")]


def instance(aws: Any, name: str) -> dict[str, Any]:
    (db,) = aws.client("rds").describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
    return dict(db)


def ingress(aws: Any, group: str) -> list[tuple[int, int, list[str], list[Any]]]:
    """The group's rules: (from port, to port, source groups, CIDR ranges)."""
    (found,) = aws.client("ec2").describe_security_groups(GroupNames=[group])["SecurityGroups"]
    return [(p["FromPort"], p["ToPort"], sorted(g["GroupId"] for g in p["UserIdGroupPairs"]), p.get("IpRanges", []))
            for p in found["IpPermissions"]]


def tasks_group(aws: Any, name: str) -> str:
    return str(aws.client("ec2").describe_security_groups(GroupNames=[name])["SecurityGroups"][0]["GroupId"])


def task_secrets(aws: Any, family: str) -> dict[str, str]:
    container = aws.client("ecs").describe_task_definition(taskDefinition=family)["taskDefinition"]["containerDefinitions"][0]
    assert not {e["name"] for e in container.get("environment", [])} & {s["name"] for s in container["secrets"]}
    return {s["name"]: s["valueFrom"] for s in container["secrets"]}


BOOKS = """
[project]
name = "books"
provision = ["mysql"]

[apps.guestbook]
paths = ["/guestbook/*"]

[apps.shop]
paths = ["/shop/*"]
"""


def test_a_provisioned_mysql_serves_python_node_and_jvm_apps_each_in_its_drivers_words(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = write_tree(tmp_path / "books", {"guestbook": FLASK, "shop": EXPRESS, "billing": SPRING}, BOOKS)
    status, out, err = cli("deploy", str(root), *images("guestbook", "shop", "billing"), "--yes")
    assert status == 0, err
    assert "+ RDS database books-mysql" in out and "+ DB subnet group books-mysql-db" in out and "+ security group books-mysql" in out
    aws = connect(REGION)
    db = instance(aws, "books-mysql")
    assert (db["Engine"], db["EngineVersion"], db["Endpoint"]["Port"], db["DBInstanceClass"], db["StorageEncrypted"],
            db["PubliclyAccessible"], db["BackupRetentionPeriod"], db["DBSubnetGroup"]["DBSubnetGroupName"]) == (
        "mysql", "8.4", 3306, "db.t4g.micro", True, False, 7, "books-mysql-db")
    # 3306, and only from the three apps' tasks.
    tasks = sorted(tasks_group(aws, f"books-{app}-tasks") for app in ("billing", "guestbook", "shop"))
    assert ingress(aws, "books-mysql") == [(3306, 3306, tasks, [])]
    (group,) = aws.client("ec2").describe_security_groups(GroupNames=["books-mysql"])["SecurityGroups"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [group["GroupId"]]

    password, host = parameter(aws, "/migrate/books/mysql/PASSWORD"), db["Endpoint"]["Address"]
    values = {(app, variable): parameter(aws, f"/migrate/books/{app}/{variable}")
              for app, variable in [("guestbook", "DATABASE_URL"), ("shop", "DATABASE_URL"), ("billing", "DATABASE_URL"),
                                    ("billing", "DATABASE_USERNAME"), ("billing", "DATABASE_PASSWORD")]}
    assert values == {
        ("guestbook", "DATABASE_URL"): f"mysql://app:{password}@{host}:3306/app",
        ("shop", "DATABASE_URL"): f"mysql://app:{password}@{host}:3306/app{NODE_TLS}",
        ("billing", "DATABASE_URL"): f"jdbc:mysql://{host}:3306/app?sslMode=REQUIRED",
        ("billing", "DATABASE_USERNAME"): "app",
        ("billing", "DATABASE_PASSWORD"): password,
    }
    assert all(value not in out + err for value in [password, *values.values()] if value != "app")
    # Each task reads its app's parameters by ARN (none in plain text).
    assert task_secrets(aws, "books-billing") == {v: aws.arn("ssm", f"parameter/migrate/books/billing/{v}")
                                                  for v in ("DATABASE_PASSWORD", "DATABASE_URL", "DATABASE_USERNAME")}
    assert task_secrets(aws, "books-shop") == {"DATABASE_URL": aws.arn("ssm", "parameter/migrate/books/shop/DATABASE_URL")}

    cli.calls.clear()  # the same password, the same values: nothing changes
    status, _, err = cli("deploy", str(root), *images("guestbook", "shop", "billing"), "--yes")
    assert status == 0 and cli.calls.mutating == [] and "up to date" in err

    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert "- RDS database books-mysql" in out and "- DB subnet group books-mysql-db" in out
    snapshots = aws.client("rds").describe_db_snapshots()["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"].startswith("books-mysql-final-") for s in snapshots] == [True]
    assert tagged_by_migrate(aws) == [s["DBSnapshotArn"] for s in snapshots]  # the final snapshot is the user's data: kept


NOTES = {  # PostgreSQL by DATABASE_URL (psycopg), the MySQL of an older system by MYSQL_URL (mysqlclient)
    "requirements.txt": "Flask==3.1.3\npsycopg[binary]==3.2.12\nmysqlclient==2.2.7\ngunicorn==23.0.0\n",
    "app.py": 'import os\n\nfrom flask import Flask\n\napp = Flask(__name__)\nDATABASE_URL = os.environ["DATABASE_URL"]\n'
              'LEGACY_URL = os.environ["MYSQL_URL"]\n\n\n@app.get("/health")\ndef health():\n    return {"ok": True}\n',
}
BOTH = """
[project]
name = "mixed"
provision = ["postgres", "mysql"]

[apps.shop]
paths = ["/shop/*"]
"""


def test_postgres_and_mysql_in_one_project_each_app_wired_to_its_own_and_both_destroyed(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = write_tree(tmp_path / "mixed", {"notes": NOTES, "shop": EXPRESS}, BOTH)
    status, out, err = cli("deploy", str(root), *images("notes", "shop"), "--yes")
    assert status == 0, err
    aws = connect(REGION)
    pg, my = instance(aws, "mixed-postgres"), instance(aws, "mixed-mysql")
    assert (pg["Engine"], pg["Endpoint"]["Port"], my["Engine"], my["Endpoint"]["Port"]) == ("postgres", 5432, "mysql", 3306)
    notes, shop = tasks_group(aws, "mixed-notes-tasks"), tasks_group(aws, "mixed-shop-tasks")
    assert ingress(aws, "mixed-postgres") == [(5432, 5432, [notes], [])]  # the Node app does not use PostgreSQL
    assert ingress(aws, "mixed-mysql") == [(3306, 3306, sorted([notes, shop]), [])]

    pg_password, my_password = parameter(aws, "/migrate/mixed/postgres/PASSWORD"), parameter(aws, "/migrate/mixed/mysql/PASSWORD")
    assert pg_password != my_password
    pg_host, my_host = pg["Endpoint"]["Address"], my["Endpoint"]["Address"]
    assert parameter(aws, "/migrate/mixed/notes/DATABASE_URL") == f"postgresql://app:{pg_password}@{pg_host}:5432/app?sslmode=require"
    assert parameter(aws, "/migrate/mixed/notes/MYSQL_URL") == f"mysql://app:{my_password}@{my_host}:3306/app"
    assert parameter(aws, "/migrate/mixed/shop/DATABASE_URL") == f"mysql://app:{my_password}@{my_host}:3306/app{NODE_TLS}"
    assert sorted(task_secrets(aws, "mixed-notes")) == ["DATABASE_URL", "MYSQL_URL"]
    assert pg_password not in out + err and my_password not in out + err

    cli.calls.clear()
    status, _, err = cli("deploy", str(root), *images("notes", "shop"), "--yes")
    assert status == 0 and cli.calls.mutating == [] and "up to date" in err

    # migrate.toml no longer asks for either, and no app uses MySQL any more: destroy still deletes both
    # (each after its final snapshot), and the MySQL settings the apps were given.
    (root / "migrate.toml").write_text(BOTH.replace('provision = ["postgres", "mysql"]\n', ""))
    (root / "notes/requirements.txt").write_text(NOTES["requirements.txt"].replace("mysqlclient==2.2.7\n", ""))
    (root / "notes/app.py").write_text(NOTES["app.py"].replace('LEGACY_URL = os.environ["MYSQL_URL"]\n', ""))
    (root / "shop/package.json").write_text(EXPRESS["package.json"].replace(', "mysql2": "^3.14.0"', ""))
    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert "- RDS database mixed-postgres" in out and "- RDS database mixed-mysql" in out
    snapshots = sorted(s["DBSnapshotIdentifier"].rsplit("-final-", 1)[0] for s in aws.client("rds").describe_db_snapshots()["DBSnapshots"])
    assert snapshots == ["mixed-mysql", "mixed-postgres"]
    assert len(tagged_by_migrate(aws)) == 2  # the two snapshots, nothing else


def test_provision_mysql_with_no_app_using_mysql_is_one_line(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    from .test_cli_deploy import copy_example

    root = copy_example("python-flask-postgres", tmp_path, '[project]\nname = "notes"\nprovision = ["mysql"]\n')
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 1 and err.splitlines()[0] == (
        "migrate: error: provision mysql: no app here reads a MySQL connection setting (DATABASE_URL, MYSQL_HOST...)")
    assert cli.calls.mutating == []


def test_mysql_connection_settings_ask_for_tls_where_the_driver_reads_it() -> None:
    from migrate.generate.services import Endpoint

    server = Endpoint("mysql", "db.internal", 3306, "app", "p@ss/w:rd", "app")
    assert server.value("url", "python") == "mysql://app:p%40ss%2Fw%3Ard@db.internal:3306/app"
    assert server.value("url", "node") == f"mysql://app:p%40ss%2Fw%3Ard@db.internal:3306/app{NODE_TLS}"
    assert server.value("jdbc", "java") == "jdbc:mysql://db.internal:3306/app?sslMode=REQUIRED"
    assert server.value("adonet", "dotnet") == "Server=db.internal;Port=3306;Database=app;User ID=app;Password=p@ss/w:rd;SslMode=Required"
    assert (server.value("host", "php"), server.value("port", "php"), server.value("driver", "php")) == ("db.internal", "3306", "mysql")


@pytest.mark.slow
def test_the_real_command_over_http_provisions_mysql_for_php_plain_and_destroys_it(ecs_at_work: None, tmp_path: Path) -> None:  # noqa: F811
    """examples/php-plain (PDO MySQL, DB_HOST...): the command as a subprocess, moto reached only through AWS_ENDPOINT_URL."""
    from .test_cli_deploy import copy_example, published
    from .test_cli_over_http import migrate

    root = copy_example("php-plain", tmp_path, '[project]\nname = "guestbook"\nprovision = ["mysql"]\n')
    aws = connect(REGION)
    published(aws)
    deployed = migrate("deploy", str(root), "--image", IMAGE, "--yes")
    assert deployed.returncode == 0, deployed.stderr
    assert "+ RDS database guestbook-mysql" in deployed.stdout and "deployed guestbook in eu-west-1" in deployed.stderr
    db = instance(aws, "guestbook-mysql")
    password = parameter(aws, "/migrate/guestbook/mysql/PASSWORD")
    assert {v: parameter(aws, f"/migrate/guestbook/php-plain/{v}") for v in ("DB_HOST", "DB_PORT", "DB_DATABASE", "DB_USERNAME", "DB_PASSWORD")} == {
        "DB_HOST": db["Endpoint"]["Address"], "DB_PORT": "3306", "DB_DATABASE": "app", "DB_USERNAME": "app", "DB_PASSWORD": password}
    assert password not in deployed.stdout + deployed.stderr
    assert ingress(aws, "guestbook-mysql") == [(3306, 3306, [tasks_group(aws, "guestbook-php-plain-tasks")], [])]

    planned = migrate("deploy", str(root), "--image", IMAGE, "--plan")
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.splitlines()[-1].startswith("0 to create, 0 to change, ")

    destroyed = migrate("destroy", str(root), "--yes")
    assert destroyed.returncode == 0, destroyed.stderr
    snapshots = aws.client("rds").describe_db_snapshots()["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"].startswith("guestbook-mysql-final-") for s in snapshots] == [True]
    assert tagged_by_migrate(aws) == [s["DBSnapshotArn"] for s in snapshots]


def test_the_engine_is_compared_by_the_major_it_was_created_with(aws: Any) -> None:
    """RDS reports the minor it picked (8.4.3); moto echoes what was asked (8.4). Another major is a difference."""
    from migrate.deploy.database import ENGINES, RdsInstance

    def observed(kind: str, version: str) -> str:
        instance = RdsInstance(aws, kind, f"notes-{kind}", ENGINES[kind], None, None, None)  # type: ignore[arg-type]
        found = {"Engine": ENGINES[kind].rds_engine, "EngineVersion": version, "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": 20}
        instance._describe = lambda: found  # type: ignore[method-assign]
        observation = instance.observe()
        assert observation is not None
        return observation.fields["engine"]

    assert [observed("mysql", v) for v in ("8.4", "8.4.3", "8.0.39", "8.40.1")] == ["mysql 8.4", "mysql 8.4", "mysql 8.0.39", "mysql 8.40.1"]
    assert [observed("postgres", v) for v in ("16", "16.4", "17.2")] == ["postgres 16", "postgres 16", "postgres 17.2"]


def test_destroying_a_project_that_never_provisioned_a_database_makes_no_rds_call(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """A user whose policy has no RDS permission can destroy what they deployed without one."""
    root = write_tree(tmp_path / "plain", {"shop": {**EXPRESS, "package.json": EXPRESS["package.json"].replace(', "mysql2": "^3.14.0"', "")}},
                      '[project]\nname = "plain"\n')
    status, _, err = cli("deploy", str(root), *images("shop"), "--yes")
    assert status == 0, err
    cli.calls.clear()
    status, _, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert [c for c in cli.calls.calls if c.startswith("rds.")] == []
    assert tagged_by_migrate(connect(REGION)) == []

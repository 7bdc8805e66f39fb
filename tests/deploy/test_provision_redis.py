"""`provision = ["redis"]` (or --provision redis): a Redis on ElastiCache for the apps that use one, on moto in-process.

moto creates a replication group available at once, never finishes deleting one and has no
DeleteCacheSubnetGroup: tests/deploy/elasticache_lifecycle.py plays those (its fixture is named
where a test needs it); everything else is moto's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate.deploy.aws import connect
from migrate.generate.services import wiring

from .conftest import REGION
from .elasticache_lifecycle import Lifecycle, elasticache_lifecycle  # noqa: F401 (a fixture)
from .scheduler import scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import IMAGE, Cli, cli, copy_example  # noqa: F401 (cli: a fixture)
from .test_cli_over_http import ecs_at_work  # noqa: F401 (a fixture)
from .test_destroy import tagged_by_migrate
from .test_over_http import endpoint  # noqa: F401 (a fixture)
from .test_provision import parameter

CELERY_CONFIG = """
[project]
name = "notes"
provision = ["redis"]

[apps.notes.secrets]
DATABASE_URL = "/notes/DATABASE_URL"
"""


def _replication_group(aws: Any) -> dict[str, Any]:
    (group,) = aws.client("elasticache").describe_replication_groups(ReplicationGroupId="notes-redis")["ReplicationGroups"]
    return dict(group)


def _address(aws: Any) -> str:
    return str(_replication_group(aws)["NodeGroups"][0]["PrimaryEndpoint"]["Address"])


def _container_secrets(aws: Any, family: str) -> dict[str, str]:
    definition = aws.client("ecs").describe_task_definition(taskDefinition=family)["taskDefinition"]
    return {s["name"]: s["valueFrom"] for s in definition["containerDefinitions"][0].get("secrets", [])}


def test_a_provisioned_redis_is_private_encrypted_wired_by_arn_kept_on_redeploy_and_gone_after_destroy(
        cli: Cli, tmp_path: Path, elasticache_lifecycle: Lifecycle) -> None:  # noqa: F811
    root = copy_example("python-flask-celery", tmp_path, CELERY_CONFIG)
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    assert "+ ElastiCache Redis notes-redis" in out and "+ cache subnet group notes-cache" in out
    aws = connect(REGION)
    group = _replication_group(aws)
    assert (group["CacheNodeType"], group["MemberClusters"], group["ClusterEnabled"], group["AtRestEncryptionEnabled"],
            group["TransitEncryptionEnabled"], group["AuthTokenEnabled"]) == ("cache.t4g.micro", ["notes-redis-001"], False, True, True, True)
    created = cli.calls.request("elasticache.CreateReplicationGroup")  # moto does not describe these back
    assert (created["Engine"], created["EngineVersion"], created["NumCacheClusters"], created["CacheSubnetGroupName"]) == (
        "redis", "7.1", 1, "notes-cache")
    # In the services' subnets, behind a group that admits only the tasks of the app's web and worker services, on 6379.
    (subnets,) = aws.client("elasticache").describe_cache_subnet_groups(CacheSubnetGroupName="notes-cache")["CacheSubnetGroups"]
    ec2 = aws.client("ec2")
    default_subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert sorted(s["SubnetIdentifier"] for s in subnets["Subnets"]) == sorted(s["SubnetId"] for s in default_subnets)
    (security,) = ec2.describe_security_groups(GroupNames=["notes-redis"])["SecurityGroups"]
    tasks = sorted(g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["notes-notes-tasks", "notes-notes-worker-tasks"]}])["SecurityGroups"])
    assert len(tasks) == 2
    assert [(p["FromPort"], p["ToPort"], sorted(g["GroupId"] for g in p["UserIdGroupPairs"]), p.get("IpRanges"))
            for p in security["IpPermissions"]] == [(6379, 6379, tasks, [])]
    assert created["SecurityGroupIds"] == [security["GroupId"]]
    # The token, generated once, and the broker URL Celery (kombu) and redis-py both verify TLS with.
    token = parameter(aws, "/migrate/notes/redis/AUTH_TOKEN")
    assert len(token) == 64 and created["AuthToken"] == token
    broker = parameter(aws, "/migrate/notes/notes/CELERY_BROKER_URL")
    assert broker == f"rediss://:{token}@{_address(aws)}:6379/0?ssl_cert_reqs=required"
    assert token not in out + err and _address(aws) not in out + err
    # Web and worker read it by ARN; nothing in plain text.
    arn = aws.arn("ssm", "parameter/migrate/notes/notes/CELERY_BROKER_URL")
    for family in ("notes-notes", "notes-notes-worker"):
        assert _container_secrets(aws, family)["CELERY_BROKER_URL"] == arn

    cli.calls.clear()  # the same token, the same URL: nothing changes
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0 and cli.calls.mutating == [] and "up to date" in err, err
    assert parameter(aws, "/migrate/notes/redis/AUTH_TOKEN") == token

    # Destroy removes it although migrate.toml no longer asks for it: the group first, waited for, then its groups.
    (root / "migrate.toml").write_text(CELERY_CONFIG.replace('provision = ["redis"]\n', ""))
    elasticache_lifecycle.deleting_polls = 2
    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert "- ElastiCache Redis notes-redis" in out and "- cache subnet group notes-cache" in out
    assert elasticache_lifecycle.refused == []  # the subnet group was deleted only once the group was gone
    assert aws.client("elasticache").describe_replication_groups()["ReplicationGroups"] == []
    assert tagged_by_migrate(aws) == []


EXPRESS_CONFIG = """
[project]
name = "orders"
provision = ["postgres", "redis"]

[apps.orders-api.secrets]
SESSION_SECRET = "/orders/SESSION_SECRET"
"""


def test_a_node_app_gets_a_tls_url_without_python_parameters_beside_its_provisioned_postgres(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = copy_example("node-express-redis", tmp_path, EXPRESS_CONFIG)
    aws = connect(REGION)
    aws.client("ssm").put_parameter(Name="/orders/SESSION_SECRET", Value="s3cret-session", Type="SecureString")
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    token = parameter(aws, "/migrate/orders/redis/AUTH_TOKEN")
    address = aws.client("elasticache").describe_replication_groups(ReplicationGroupId="orders-redis")[
        "ReplicationGroups"][0]["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    assert parameter(aws, "/migrate/orders/orders-api/REDIS_URL") == f"rediss://:{token}@{address}:6379/0"
    assert parameter(aws, "/migrate/orders/orders-api/DATABASE_URL").endswith("?sslmode=require&uselibpqcompat=true")
    assert set(_container_secrets(aws, "orders-orders-api")) == {"DATABASE_URL", "REDIS_URL", "SESSION_SECRET"}
    assert token not in out + err


DOTNET_FILES = {
    "Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>'
    '<ItemGroup><PackageReference Include="Aspire.Npgsql" Version="9.0.0" /><PackageReference Include="Aspire.StackExchange.Redis" Version="9.0.0" />'
    '<PackageReference Include="Npgsql" Version="8.0.5" /><PackageReference Include="StackExchange.Redis" Version="2.8.16" /></ItemGroup></Project>',
    # dotnet/eShop's services: Aspire clients named after their connection strings.
    "Program.cs": 'var builder = WebApplication.CreateBuilder(args);\nbuilder.AddNpgsqlDataSource("orderingdb");\n'
    'builder.AddRedisClient("redis");\nvar app = builder.Build();\napp.MapGet("/health", () => "ok");\napp.Run();\n',
    "migrate.toml": '[project]\nname = "basket"\nprovision = ["postgres", "redis"]\n',
}


def test_a_dotnet_app_gets_stackexchange_redis_settings_for_the_connection_named_redis(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = tmp_path / "basket"
    root.mkdir()
    for name, text in DOTNET_FILES.items():
        (root / name).write_text(text)
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    aws = connect(REGION)
    token = parameter(aws, "/migrate/basket/redis/AUTH_TOKEN")
    address = aws.client("elasticache").describe_replication_groups(ReplicationGroupId="basket-redis")[
        "ReplicationGroups"][0]["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    # The connection named after Redis is Redis's, although the app uses PostgreSQL too.
    assert parameter(aws, "/migrate/basket/api/ConnectionStrings__redis") == f"{address}:6379,ssl=True,password={token}"
    assert parameter(aws, "/migrate/basket/api/ConnectionStrings__orderingdb").endswith(";SSL Mode=Require")
    assert token not in out + err


def test_provision_redis_names_what_it_cannot_do_in_one_line(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    root = copy_example("python-flask-celery", tmp_path, CELERY_CONFIG.replace(
        '[apps.notes.secrets]\n', '[apps.notes.secrets]\nCELERY_BROKER_URL = "/notes/BROKER"\n'))
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 1 and "CELERY_BROKER_URL is set in migrate.toml (or its secrets file), and the provisioned Redis sets it too" in err
    assert "drop redis from provision" in err
    static = copy_example("static-site", tmp_path)
    status, _, err = cli("deploy", str(static), "--image", IMAGE, "--plan", "--provision", "redis")
    assert status == 1 and "provision redis: no app here reads a Redis connection setting" in err
    assert cli.calls.mutating == []


def test_deploy_waits_for_the_group_to_be_available_and_destroy_for_it_to_be_gone(aws: Any, elasticache_lifecycle: Lifecycle) -> None:  # noqa: F811
    from migrate.deploy.cache import CacheSubnetGroup, RedisReplicationGroup
    from migrate.deploy.network import SecurityGroup
    from migrate.deploy.secrets import SecretValue, SsmSecret
    from migrate.deploy.service import default_network

    network = default_network(aws)
    elasticache_lifecycle.creating_polls, elasticache_lifecycle.deleting_polls = 3, 2
    polls: list[float] = []
    subnets = CacheSubnetGroup(aws, "redis", "shop-cache", network.subnet_ids)
    security = SecurityGroup(aws, "redis", "shop-redis", network.vpc_id, "Redis of shop")
    token = SsmSecret(aws, "redis", "shop", "AUTH_TOKEN", SecretValue("t" * 32))
    group = RedisReplicationGroup(aws, "redis", "shop-redis", subnets, security, token, clock=lambda: len(polls) * 15.0, sleep=polls.append)
    subnets.create()
    security.create()
    group.create()
    assert polls == [15, 15, 15] and group.endpoint().host.startswith("master.shop-redis.")
    polls.clear()
    group.delete()
    assert polls == [15, 15]
    subnets.delete()
    assert subnets.observe() is None and elasticache_lifecycle.refused == []


def test_a_group_still_creating_when_the_wait_runs_out_says_to_deploy_again(aws: Any, elasticache_lifecycle: Lifecycle) -> None:  # noqa: F811
    from migrate.deploy.cache import CacheSubnetGroup, RedisReplicationGroup
    from migrate.deploy.errors import DeployError
    from migrate.deploy.network import SecurityGroup
    from migrate.deploy.secrets import SecretValue, SsmSecret
    from migrate.deploy.service import default_network

    network = default_network(aws)
    elasticache_lifecycle.creating_polls = 1000
    now = [0.0]
    subnets = CacheSubnetGroup(aws, "redis", "shop-cache", network.subnet_ids)
    security = SecurityGroup(aws, "redis", "shop-redis", network.vpc_id, "Redis of shop")
    token = SsmSecret(aws, "redis", "shop", "AUTH_TOKEN", SecretValue("t" * 32))
    group = RedisReplicationGroup(aws, "redis", "shop-redis", subnets, security, token, clock=lambda: now[0],
                                  sleep=lambda s: now.__setitem__(0, now[0] + s))
    subnets.create()
    security.create()
    with pytest.raises(DeployError, match="still creating after 40 minutes") as raised:
        group.create()
    assert raised.value.hint == "deploy again once it is available: the deploy goes on from there"


def test_redis_settings_in_each_clients_own_words() -> None:
    from migrate.generate.services import RedisEndpoint

    server = RedisEndpoint("master.shop.cache.amazonaws.com", 6379, "t/k@n")
    # redis-py, kombu and Celery's result backend all read ssl_cert_reqs=required (and Celery refuses rediss:// without it).
    assert server.value("url", "python") == "rediss://:t%2Fk%40n@master.shop.cache.amazonaws.com:6379/0?ssl_cert_reqs=required"
    # go-redis refuses unknown URL parameters; Node's and Ruby's clients verify TLS by default.
    for language in ("node", "go", "ruby"):
        assert server.value("url", language) == "rediss://:t%2Fk%40n@master.shop.cache.amazonaws.com:6379/0"
    assert server.value("adonet", "dotnet") == "master.shop.cache.amazonaws.com:6379,ssl=True,password=t/k@n"
    assert (server.value("host", None), server.value("port", None), server.value("password", None)) == (
        "master.shop.cache.amazonaws.com", "6379", "t/k@n")


def test_an_auth_token_is_what_elasticache_accepts() -> None:
    import re

    from migrate.deploy.cache import auth_token, elasticache_name
    from migrate.deploy.errors import DeployError

    tokens = {auth_token() for _ in range(20)}
    assert len(tokens) == 20 and all(re.fullmatch(r"[0-9a-f]{64}", t) for t in tokens)
    assert elasticache_name("Shop-redis") == "shop-redis"
    for bad in ("9shop-redis", "shop--redis", "a" * 35 + "-redis"):
        with pytest.raises(DeployError):
            elasticache_name(bad)


@pytest.mark.slow
def test_the_real_command_provisions_and_destroys_redis_over_http(ecs_at_work: None, elasticache_lifecycle: Lifecycle,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    """`migrate deploy` and `migrate destroy` as subprocesses, against moto's HTTP server through AWS_ENDPOINT_URL."""
    from .test_cli_deploy import published
    from .test_cli_over_http import migrate

    elasticache_lifecycle.deleting_polls = 0  # gone at the first poll: the subprocess sleeps for real
    # No release step: moto's RunTask needs container-level memory, which the in-process tests' scheduler stands in for.
    config = CELERY_CONFIG.replace("[apps.notes.secrets]", '[apps.notes]\nrelease = ""\n\n[apps.notes.secrets]')
    root = copy_example("python-flask-celery", tmp_path, config)
    published(connect(REGION))
    deployed = migrate("deploy", str(root), "--image", IMAGE, "--yes")
    assert deployed.returncode == 0, deployed.stderr
    aws = connect(REGION)
    token = parameter(aws, "/migrate/notes/redis/AUTH_TOKEN")
    assert parameter(aws, "/migrate/notes/notes/CELERY_BROKER_URL") == f"rediss://:{token}@{_address(aws)}:6379/0?ssl_cert_reqs=required"
    assert token not in deployed.stdout + deployed.stderr

    planned = migrate("deploy", str(root), "--image", IMAGE, "--plan")
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.splitlines()[-1].startswith("0 to create, 0 to change")

    destroyed = migrate("destroy", str(root), "--yes")
    assert destroyed.returncode == 0, destroyed.stderr
    assert tagged_by_migrate(aws) == []


def _only_app(root: Path, files: dict[str, str]) -> Any:
    from migrate.inspect import inspect_tree

    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    (app,) = inspect_tree(root).apps
    return app


def test_redis_settings_follow_composes_wiring_and_warn_where_the_client_must_turn_tls_on(tmp_path: Path) -> None:
    from migrate.deploy.cache import client_warnings
    from migrate.generate.services import redis_settings

    # A Celery broker is RabbitMQ's when the app uses RabbitMQ: only the result backend is Redis's.
    celery = {"requirements.txt": "flask==3.1\ncelery[redis]==5.5\nredis==5.2\npika==1.3\n",
              "app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\n"
              "BROKER = os.environ['CELERY_BROKER_URL']\nBACKEND = os.environ['CELERY_RESULT_BACKEND']\n"
              "AMQP = os.environ['RABBITMQ_URL']\n"}
    app = _only_app(tmp_path / "celery", celery)
    assert {s.kind for s in app.backing_services} == {"rabbitmq", "redis"}
    assert redis_settings(app) == {"CELERY_RESULT_BACKEND": "url"}
    # Host and port: the client must turn TLS on itself; the token goes to REDIS_PASSWORD, which compose never sets.
    node = {"package.json": '{"name": "jobs", "dependencies": {"express": "^4", "ioredis": "^5"}, "scripts": {"start": "node index.js"}}',
            "index.js": "const Redis = require('ioredis');\nconst r = new Redis({host: process.env.REDIS_HOST, port: process.env.REDIS_PORT,"
            " password: process.env.REDIS_PASSWORD});\nrequire('express')().listen(3000);\n"}
    app = _only_app(tmp_path / "node", node)
    assert redis_settings(app) == {"REDIS_HOST": "host", "REDIS_PORT": "port", "REDIS_PASSWORD": "password"}
    assert client_warnings({"jobs": app}) == [
        "jobs: reaches Redis through REDIS_HOST, REDIS_PORT, and the provisioned Redis takes TLS connections only "
        "(its AUTH token is in REDIS_PASSWORD): turn TLS on in its Redis client"]
    assert "REDIS_PASSWORD" not in wiring(app)

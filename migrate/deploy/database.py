"""PostgreSQL and MySQL databases on RDS for the project's apps (``provision = ["postgres", "mysql"]`` in migrate.toml).

What compose runs locally as the ``postgres`` or ``mysql`` service, the cloud runs as one RDS
instance per project and engine (:data:`ENGINES`), in the service's VPC and subnets, reachable only
from the tasks of the apps that use it (its security group admits their groups on the engine's
port, nothing else), encrypted at rest, not public, with seven days of backups. Its password is
generated once and kept as an encrypted parameter ``/migrate/PROJECT/ENGINE/PASSWORD``; each
variable an app reads to reach it (``DATABASE_URL``, ``PGHOST``, ``MYSQL_HOST``,
``SPRING_DATASOURCE_URL``..., by the rules compose's wiring follows) becomes an encrypted parameter
of that app holding its value for this server, read by the task by ARN: no value is printed or
written in a task definition. ``migrate destroy`` deletes the instance after a final snapshot,
which it keeps.

An instance takes minutes to become available; creating one waits for it (polling on an injected
clock), since the connection settings name its address.
"""

from __future__ import annotations

import secrets as random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.network import SecurityGroup
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.plan import Observed, Resource
from migrate.deploy.secrets import SsmSecret, connection_secrets, generated_secret
from migrate.generate.services import Endpoint, service_settings
from migrate.profile import AppProfile

INSTANCE_CLASS = "db.t4g.micro"
STORAGE_GIB = 20
BACKUP_DAYS = 7
USER = "app"
DATABASE = "app"
#: How long an instance may take to become available (RDS: usually 5 to 15 minutes).
AVAILABLE_TIMEOUT = 40 * 60


@dataclass(frozen=True)
class Engine:
    """An RDS engine migrate provisions, and what differs between them."""

    #: The backing service's kind (inspect, compose, ``provision``); it also owns the database's resources
    #: (its password parameter sits under /migrate/PROJECT/KIND/).
    kind: str
    #: RDS's name for the engine.
    rds_engine: str
    #: The major version RDS creates (it picks that major's newest minor).
    version: str
    port: int
    #: Its name for people, in the plan and in messages.
    title: str
    #: The DB subnet group's name after the project's (PostgreSQL's came first, as PROJECT-db).
    subnet_group: str
    #: Some of the variables apps read to reach it, for messages.
    examples: str

    def is_of_major(self, version: str) -> bool:
        """Whether RDS's ``version`` (16.4, 8.4.3) is of the major this engine creates."""
        return version == self.version or version.startswith(self.version + ".")


ENGINES = {
    "postgres": Engine("postgres", "postgres", "16", 5432, "PostgreSQL", "db", "DATABASE_URL, PGHOST..."),
    # 8.4 is MySQL's long-term support release (8.0 reached its end of life in April 2026).
    "mysql": Engine("mysql", "mysql", "8.4", 3306, "MySQL", "mysql-db", "DATABASE_URL, MYSQL_HOST..."),
}


@dataclass
class DbSubnetGroup:
    """The subnets RDS places the instance in: the services' own."""

    aws: Aws
    app: str  # the project's database owner
    name: str
    subnet_ids: tuple[str, ...]
    kind: str = field(default="DB subnet group", init=False)

    @property
    def rds(self) -> Any:
        """The RDS client."""
        return self.aws.client("rds")

    @property
    def desired(self) -> Mapping[str, str]:
        """The subnets."""
        return {"subnets": " ".join(sorted(self.subnet_ids))}

    def observe(self) -> Observed | None:
        """The group's subnets and tags, or None."""
        with aws_call("rds:DescribeDBSubnetGroups", f"DB subnet group {self.name}"):
            try:
                group = self.rds.describe_db_subnet_groups(DBSubnetGroupName=self.name)["DBSubnetGroups"][0]
            except self.rds.exceptions.DBSubnetGroupNotFoundFault:
                return None
        with aws_call("rds:ListTagsForResource", f"DB subnet group {self.name}"):
            tags = self.rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])["TagList"]
        subnets = " ".join(sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])))
        return Observed({"subnets": subnets}, from_list(tags))

    def create(self) -> None:
        """Create the group, tagged."""
        with aws_call("rds:CreateDBSubnetGroup", f"DB subnet group {self.name}"):
            self.rds.create_db_subnet_group(DBSubnetGroupName=self.name, DBSubnetGroupDescription=f"Subnets of {self.name}, set by migrate",
                                            SubnetIds=list(self.subnet_ids), Tags=as_list(owner_tags(self.app)))

    def update(self, fields: Sequence[str]) -> None:
        """Set the subnets."""
        with aws_call("rds:ModifyDBSubnetGroup", f"DB subnet group {self.name}"):
            self.rds.modify_db_subnet_group(DBSubnetGroupName=self.name, SubnetIds=list(self.subnet_ids))

    def delete(self) -> None:
        """Delete the group (after the instance in it)."""
        with aws_call("rds:DeleteDBSubnetGroup", f"DB subnet group {self.name}"):
            self.rds.delete_db_subnet_group(DBSubnetGroupName=self.name)


@dataclass
class RdsInstance:
    """The RDS instance of one engine, in its subnet group, behind its security group."""

    aws: Aws
    app: str
    name: str  # the instance identifier
    engine: Engine
    subnet_group: DbSubnetGroup
    security_group: SecurityGroup
    password: SsmSecret
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    kind: str = field(default="RDS database", init=False)
    found: dict[str, Any] | None = field(default=None, init=False)

    @property
    def rds(self) -> Any:
        """The RDS client."""
        return self.aws.client("rds")

    @property
    def desired(self) -> Mapping[str, str]:
        """Engine, size, storage, encryption, exposure and backups."""
        return {"engine": f"{self.engine.rds_engine} {self.engine.version}", "class": INSTANCE_CLASS, "storage": f"{STORAGE_GIB} GiB",
                "encrypted": "yes", "public": "no", "backups": f"{BACKUP_DAYS} days"}

    def _describe(self) -> dict[str, Any] | None:
        with aws_call("rds:DescribeDBInstances", f"RDS database {self.name}"):
            try:
                found: dict[str, Any] = self.rds.describe_db_instances(DBInstanceIdentifier=self.name)["DBInstances"][0]
            except self.rds.exceptions.DBInstanceNotFoundFault:
                return None
        return found

    def observe(self) -> Observed | None:
        """The instance's settings and tags, or None (one being deleted counts as absent)."""
        found = self._describe()
        if found is None or found.get("DBInstanceStatus") == "deleting":
            return None
        self.found = found
        version = str(found.get("EngineVersion", ""))
        fields = {"engine": f"{found['Engine']} {self.engine.version if self.engine.is_of_major(version) else version}",
                  "class": str(found["DBInstanceClass"]), "storage": f"{found['AllocatedStorage']} GiB",
                  "encrypted": "yes" if found.get("StorageEncrypted") else "no",
                  "public": "yes" if found.get("PubliclyAccessible") else "no",
                  "backups": f"{found.get('BackupRetentionPeriod', 0)} days"}
        return Observed(fields, from_list(found.get("TagList")))

    def create(self) -> None:
        """Create the instance, then wait until it is available (its address is known then)."""
        with aws_call("rds:CreateDBInstance", f"RDS database {self.name}"):
            self.rds.create_db_instance(
                DBInstanceIdentifier=self.name, Engine=self.engine.rds_engine, EngineVersion=self.engine.version, DBInstanceClass=INSTANCE_CLASS,
                AllocatedStorage=STORAGE_GIB, StorageType="gp3", StorageEncrypted=True, PubliclyAccessible=False,
                MasterUsername=USER, MasterUserPassword=self.password.value.reveal(), DBName=DATABASE, Port=self.engine.port,
                DBSubnetGroupName=self.subnet_group.name, VpcSecurityGroupIds=[str(self.security_group.group_id)],
                BackupRetentionPeriod=BACKUP_DAYS, CopyTagsToSnapshot=True, Tags=as_list(owner_tags(self.app)),
            )
        self._wait_available()

    def _wait_available(self) -> None:
        deadline = self.clock() + AVAILABLE_TIMEOUT
        while True:
            found = self._describe()
            status = (found or {}).get("DBInstanceStatus")
            if found is not None and status == "available" and found.get("Endpoint"):
                self.found = found
                return
            if status in ("failed", "incompatible-parameters", "incompatible-network", "storage-full"):
                raise DeployError(f"RDS database {self.name} is {status}", hint="see its events in the RDS console, fix them, then deploy again")
            if self.clock() >= deadline:
                raise DeployError(f"RDS database {self.name} is still {status} after {AVAILABLE_TIMEOUT // 60} minutes",
                                  hint="deploy again once it is available: the deploy goes on from there")
            self.sleep(15)

    def update(self, fields: Sequence[str]) -> None:
        """Change the size and storage (at once); engine, encryption and exposure are not changed in place."""
        fixed = sorted(set(fields) - {"class", "storage", "backups"})
        if fixed:
            raise DeployError(f"RDS database {self.name} differs in {', '.join(fixed)}, which migrate does not change in place",
                              hint="change it in the RDS console, or restore a snapshot into a new instance")
        with aws_call("rds:ModifyDBInstance", f"RDS database {self.name}"):
            self.rds.modify_db_instance(DBInstanceIdentifier=self.name, DBInstanceClass=INSTANCE_CLASS, AllocatedStorage=STORAGE_GIB,
                                        BackupRetentionPeriod=BACKUP_DAYS, ApplyImmediately=True)

    def delete(self) -> None:
        """Delete the instance, keeping a final snapshot (its data is the user's), and wait until it is gone.

        RDS deletes in the background (minutes, the snapshot first): its subnet group and security
        group, deleted next, are refused as in use until then.
        """
        snapshot = f"{self.name}-final-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        with aws_call("rds:DeleteDBInstance", f"RDS database {self.name}"):
            self.rds.delete_db_instance(DBInstanceIdentifier=self.name, SkipFinalSnapshot=False, FinalDBSnapshotIdentifier=snapshot)
        deadline = self.clock() + AVAILABLE_TIMEOUT
        while (found := self._describe()) is not None:
            if self.clock() >= deadline:
                raise DeployError(f"RDS database {self.name} is still {found.get('DBInstanceStatus')} after {AVAILABLE_TIMEOUT // 60} minutes",
                                  hint="run `migrate destroy` again once it is gone: the rest is deleted then")
            self.sleep(15)

    def endpoint(self) -> Endpoint:
        """Where the apps reach it, and how they log in (known once it exists)."""
        found = self.found or self._describe()
        if found is None or not found.get("Endpoint"):
            raise DeployError(f"RDS database {self.name} has no address yet", hint="deploy again once it is available")
        address = found["Endpoint"]
        port = int(address.get("Port", self.engine.port))
        return Endpoint(self.engine.kind, str(address["Address"]), port, USER, self.password.value.reveal(), DATABASE)


@dataclass(frozen=True)
class Database:
    """Every resource of one of the project's databases, in apply order, and the parameters each app reads it through."""

    resources: tuple[Resource, ...]
    connections: tuple[SsmSecret, ...]


def password(aws: Aws, project: str, engine: Engine) -> SsmSecret:
    """The database password parameter: the stored value when there is one, else a new random one (read-only)."""
    # 32 letters, digits, - and _: nothing RDS or a URL refuses, and within RDS MySQL's 41 characters.
    return generated_secret(aws, project, engine.kind, "PASSWORD", lambda: random.token_urlsafe(24))


def database(aws: Aws, project: str, engine: Engine, subnet_ids: Sequence[str], vpc_id: str, apps: Mapping[str, AppProfile],
             task_groups: Mapping[str, SecurityGroup], *, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> Database:
    """The project's ``engine`` database for ``apps`` (image name -> profile) that use one, reachable from ``task_groups`` (service -> group)."""
    owner = engine.kind
    subnets = DbSubnetGroup(aws, owner, f"{project}-{engine.subnet_group}", tuple(subnet_ids))
    group = SecurityGroup(aws, owner, f"{project}-{engine.kind}", vpc_id, f"{engine.title} of {project}: only from its apps' tasks",
                          tuple((engine.port, g) for _, g in sorted(task_groups.items())))
    secret = password(aws, project, engine)
    instance = RdsInstance(aws, owner, f"{project}-{engine.kind}", engine, subnets, group, secret, clock, sleep)
    connections = connection_secrets(aws, project, apps, lambda app: service_settings(app, engine.kind),
                                     lambda kind, language: instance.endpoint().value(kind, language))
    return Database((subnets, group, secret, instance, *connections), tuple(connections))

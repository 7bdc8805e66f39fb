"""A Redis on ElastiCache for the project's apps (``provision = ["redis"]`` in migrate.toml).

What compose runs locally as the ``redis`` service, the cloud runs as one ElastiCache replication
group per project (one node, no replica: a cache and a task queue, not a system of record), in the
service's VPC and subnets, reachable only from the tasks of the apps that use it (its security
group admits their groups on 6379, nothing else), encrypted at rest and in transit, and guarded by
an AUTH token generated once and kept as an encrypted parameter ``/migrate/PROJECT/redis/AUTH_TOKEN``.
Each variable an app reads to reach Redis (``REDIS_URL``, ``CELERY_BROKER_URL``, ``REDIS_HOST``,
``ConnectionStrings__redis``..., by the rules compose's wiring follows) becomes an encrypted
parameter of that app holding its TLS value for this server, read by the task by ARN: no value is
printed or written in a task definition. ``migrate destroy`` deletes the group (no final snapshot:
what a cache holds can be rebuilt), waits until it is gone, then its subnet and security groups.

A replication group takes minutes to become available, and as long to be deleted; both are waited
for on an injected clock, since the connection settings name its address and AWS refuses to delete
a subnet or security group still in use.
"""

from __future__ import annotations

import re
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
from migrate.generate.services import RedisEndpoint, redis_settings
from migrate.profile import AppProfile

ENGINE_VERSION = "7.1"
NODE_TYPE = "cache.t4g.micro"
PORT = 6379
#: The owner of the cache's resources (its token parameter sits under /migrate/PROJECT/redis/).
OWNER = "redis"
#: How long a replication group may take to become available or to be deleted (usually 5 to 15 minutes).
WAIT_TIMEOUT = 40 * 60
POLL = 15
#: ElastiCache's identifiers: a letter, then letters, digits and single hyphens, at most 40 (stored lower-case).
_IDENTIFIER = re.compile(r"[a-z](?:-?[a-z0-9])*")


def elasticache_name(name: str) -> str:
    """``name`` as ElastiCache stores it (lower-case), refused when it cannot be an identifier."""
    lowered = name.lower()
    if len(lowered) > 40 or not _IDENTIFIER.fullmatch(lowered):
        raise DeployError(f"{name} cannot name an ElastiCache replication group (a letter, then letters, digits and "
                          "single hyphens, at most 40)", hint="set a shorter [project] name in migrate.toml")
    return lowered


def auth_token() -> str:
    """A new AUTH token: 64 hex digits (ElastiCache takes 16 to 128 characters, few symbols; URLs need no escaping)."""
    return random.token_hex(32)


@dataclass
class CacheSubnetGroup:
    """The subnets ElastiCache places the node in: the services' own."""

    aws: Aws
    app: str  # the project's cache owner
    name: str
    subnet_ids: tuple[str, ...]
    kind: str = field(default="cache subnet group", init=False)

    @property
    def elasticache(self) -> Any:
        """The ElastiCache client."""
        return self.aws.client("elasticache")

    @property
    def desired(self) -> Mapping[str, str]:
        """The subnets."""
        return {"subnets": " ".join(sorted(self.subnet_ids))}

    def observe(self) -> Observed | None:
        """The group's subnets and tags, or None."""
        with aws_call("elasticache:DescribeCacheSubnetGroups", f"cache subnet group {self.name}"):
            try:
                group = self.elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=self.name)["CacheSubnetGroups"][0]
            except self.elasticache.exceptions.CacheSubnetGroupNotFoundFault:
                return None
        with aws_call("elasticache:ListTagsForResource", f"cache subnet group {self.name}"):
            tags = self.elasticache.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]
        subnets = " ".join(sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])))
        return Observed({"subnets": subnets}, from_list(tags))

    def create(self) -> None:
        """Create the group, tagged."""
        with aws_call("elasticache:CreateCacheSubnetGroup", f"cache subnet group {self.name}"):
            self.elasticache.create_cache_subnet_group(
                CacheSubnetGroupName=self.name, CacheSubnetGroupDescription=f"Subnets of {self.name}, set by migrate",
                SubnetIds=list(self.subnet_ids), Tags=as_list(owner_tags(self.app)))

    def update(self, fields: Sequence[str]) -> None:
        """Set the subnets (moto 5.2.5 has no ModifyCacheSubnetGroup: this call is not exercised by the tests)."""
        with aws_call("elasticache:ModifyCacheSubnetGroup", f"cache subnet group {self.name}"):
            self.elasticache.modify_cache_subnet_group(CacheSubnetGroupName=self.name, SubnetIds=list(self.subnet_ids))

    def delete(self) -> None:
        """Delete the group (after the replication group in it).

        moto 5.2.5 has no DeleteCacheSubnetGroup: tests/deploy/elasticache_lifecycle.py stands in for it.
        """
        with aws_call("elasticache:DeleteCacheSubnetGroup", f"cache subnet group {self.name}"):
            self.elasticache.delete_cache_subnet_group(CacheSubnetGroupName=self.name)


@dataclass
class RedisReplicationGroup:
    """The ElastiCache Redis replication group (one node), in its subnet group, behind its security group."""

    aws: Aws
    app: str
    name: str  # the replication group id
    subnet_group: CacheSubnetGroup
    security_group: SecurityGroup
    token: SsmSecret
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    kind: str = field(default="ElastiCache Redis", init=False)
    found: dict[str, Any] | None = field(default=None, init=False)

    @property
    def elasticache(self) -> Any:
        """The ElastiCache client."""
        return self.aws.client("elasticache")

    @property
    def desired(self) -> Mapping[str, str]:
        """Engine, node type and count, encryption and AUTH.

        The engine version is set at creation; DescribeReplicationGroups does not return it, so it is not compared.
        """
        return {"engine": "redis", "node type": NODE_TYPE, "nodes": "1", "encrypted at rest": "yes",
                "encrypted in transit": "yes", "auth token": "yes"}

    def _describe(self) -> dict[str, Any] | None:
        with aws_call("elasticache:DescribeReplicationGroups", f"ElastiCache Redis {self.name}"):
            try:
                found: dict[str, Any] = self.elasticache.describe_replication_groups(ReplicationGroupId=self.name)["ReplicationGroups"][0]
            except self.elasticache.exceptions.ReplicationGroupNotFoundFault:
                return None
        return found

    def observe(self) -> Observed | None:
        """The group's settings and tags, or None (one being deleted counts as absent)."""
        found = self._describe()
        if found is None or found.get("Status") == "deleting":
            return None
        self.found = found
        fields = {"engine": str(found.get("Engine", "redis")), "node type": str(found.get("CacheNodeType")),
                  "nodes": str(len(found.get("MemberClusters", []))),
                  "encrypted at rest": "yes" if found.get("AtRestEncryptionEnabled") else "no",
                  "encrypted in transit": "yes" if found.get("TransitEncryptionEnabled") else "no",
                  "auth token": "yes" if found.get("AuthTokenEnabled") else "no"}
        with aws_call("elasticache:ListTagsForResource", f"ElastiCache Redis {self.name}"):
            tags = self.elasticache.list_tags_for_resource(ResourceName=found["ARN"])["TagList"]
        return Observed(fields, from_list(tags))

    def create(self) -> None:
        """Create the group, then wait until it is available (its address is known then)."""
        with aws_call("elasticache:CreateReplicationGroup", f"ElastiCache Redis {self.name}"):
            self.elasticache.create_replication_group(
                ReplicationGroupId=self.name, ReplicationGroupDescription=f"{self.name}, set by migrate",
                Engine="redis", EngineVersion=ENGINE_VERSION, CacheNodeType=NODE_TYPE, NumCacheClusters=1,
                AutomaticFailoverEnabled=False, MultiAZEnabled=False, Port=PORT,
                CacheSubnetGroupName=self.subnet_group.name, SecurityGroupIds=[str(self.security_group.group_id)],
                AtRestEncryptionEnabled=True, TransitEncryptionEnabled=True, AuthToken=self.token.value.reveal(),
                Tags=as_list(owner_tags(self.app)),
            )
        self._wait_available()

    def _wait_available(self) -> None:
        deadline = self.clock() + WAIT_TIMEOUT
        while True:
            found = self._describe()
            status = (found or {}).get("Status")
            if found is not None and status == "available" and _primary(found) is not None:
                self.found = found
                return
            if status in ("create-failed", "deleting"):
                raise DeployError(f"ElastiCache Redis {self.name} is {status}", hint="see its events in the ElastiCache console, then deploy again")
            if self.clock() >= deadline:
                raise DeployError(f"ElastiCache Redis {self.name} is still {status} after {WAIT_TIMEOUT // 60} minutes",
                                  hint="deploy again once it is available: the deploy goes on from there")
            self.sleep(POLL)

    def update(self, fields: Sequence[str]) -> None:
        """Change the node type (at once); the engine, node count, encryption and AUTH are not changed in place."""
        fixed = sorted(set(fields) - {"node type"})
        if fixed:
            raise DeployError(f"ElastiCache Redis {self.name} differs in {', '.join(fixed)}, which migrate does not change in place",
                              hint="change it in the ElastiCache console, or delete the group and deploy again")
        with aws_call("elasticache:ModifyReplicationGroup", f"ElastiCache Redis {self.name}"):
            self.elasticache.modify_replication_group(ReplicationGroupId=self.name, CacheNodeType=NODE_TYPE, ApplyImmediately=True)

    def delete(self) -> None:
        """Delete the group and wait until it is gone: its subnet and security groups, deleted next, are refused as in use until then."""
        with aws_call("elasticache:DeleteReplicationGroup", f"ElastiCache Redis {self.name}"):
            self.elasticache.delete_replication_group(ReplicationGroupId=self.name)
        deadline = self.clock() + WAIT_TIMEOUT
        while (found := self._describe()) is not None:
            if self.clock() >= deadline:
                raise DeployError(f"ElastiCache Redis {self.name} is still {found.get('Status')} after {WAIT_TIMEOUT // 60} minutes",
                                  hint="run `migrate destroy` again once it is gone: the rest is deleted then")
            self.sleep(POLL)

    def endpoint(self) -> RedisEndpoint:
        """Where the apps reach it, and its token (known once it exists)."""
        found = self.found or self._describe()
        primary = _primary(found) if found else None
        if primary is None:
            raise DeployError(f"ElastiCache Redis {self.name} has no address yet", hint="deploy again once it is available")
        return RedisEndpoint(str(primary["Address"]), int(primary.get("Port", PORT)), self.token.value.reveal())


def _primary(group: dict[str, Any]) -> dict[str, Any] | None:
    """The primary endpoint of a group without cluster mode (its one node group's), or None before it has one."""
    groups = group.get("NodeGroups") or [{}]
    primary: dict[str, Any] | None = groups[0].get("PrimaryEndpoint")
    return primary if primary and primary.get("Address") else None


@dataclass(frozen=True)
class Cache:
    """Every resource of the project's Redis, in apply order, and the parameters each app reads it through."""

    resources: tuple[Resource, ...]
    connections: tuple[SsmSecret, ...]


def cache(aws: Aws, project: str, subnet_ids: Sequence[str], vpc_id: str, apps: Mapping[str, AppProfile],
          task_groups: Mapping[str, SecurityGroup], *, clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Cache:
    """The project's Redis for ``apps`` (image name -> profile) that use one, reachable from ``task_groups`` (service -> group)."""
    name = elasticache_name(f"{project}-redis")
    subnets = CacheSubnetGroup(aws, OWNER, elasticache_name(f"{project}-cache"), tuple(subnet_ids))
    group = SecurityGroup(aws, OWNER, f"{project}-redis", vpc_id, f"Redis of {project}: only from its apps' tasks",
                          tuple((PORT, g) for _, g in sorted(task_groups.items())))
    token = generated_secret(aws, project, OWNER, "AUTH_TOKEN", auth_token)
    replication_group = RedisReplicationGroup(aws, OWNER, name, subnets, group, token, clock, sleep)
    connections = connection_secrets(aws, project, apps, redis_settings,
                                     lambda kind, language: replication_group.endpoint().value(kind, language))
    return Cache((subnets, group, token, replication_group, *connections), connections)


def client_warnings(apps: Mapping[str, AppProfile]) -> list[str]:
    """The apps (image name -> profile) that reach the provisioned Redis by host and port alone.

    A URL (``rediss://``) or a StackExchange.Redis string turns TLS on and carries the token; a host
    and a port do neither, so the app's own client must turn TLS on, or every connection is refused.
    """
    warnings = []
    for name, app in sorted(apps.items()):
        settings = redis_settings(app)
        if not settings or {"url", "adonet"} & set(settings.values()):
            continue
        token = ("its AUTH token is in " + ", ".join(v for v, kind in sorted(settings.items()) if kind == "password")
                 if "password" in settings.values() else "it reads no REDIS_PASSWORD for its AUTH token")
        warnings.append(f"{name}: reaches Redis through {', '.join(v for v, kind in sorted(settings.items()) if kind != 'password')}, "
                        f"and the provisioned Redis takes TLS connections only ({token}): turn TLS on in its Redis client")
    return warnings


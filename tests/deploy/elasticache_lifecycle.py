"""ElastiCache's lifecycle, as AWS has it and moto 5.2.5 does not: a stand-in patched onto moto's backend.

moto creates a replication group ``available`` at once; DeleteReplicationGroup leaves it ``deleting``
for good (still described, still tagged); and moto has no DeleteCacheSubnetGroup at all. On AWS a
new group is ``creating`` for minutes before it is ``available``; a deleted one is ``deleting`` for
minutes, then gone (ReplicationGroupNotFoundFault); and DeleteCacheSubnetGroup deletes a subnet group,
refusing (CacheSubnetGroupInUse) while a replication group is in it.

This module plays exactly those three behaviours, each state change after a number of
DescribeReplicationGroups calls (the polls of a waiting deploy); everything else is moto's own.
Being patched onto moto's backend and response classes, it holds in-process and behind
ThreadedMotoServer alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Lifecycle:
    """How many polls a new group shows ``creating`` and a deleted one ``deleting``; what happened meanwhile."""

    creating_polls: int = 0
    deleting_polls: int = 1
    #: Replication group id -> polls left in its current transitional state.
    left: dict[str, int] = field(default_factory=dict)
    #: Each DeleteCacheSubnetGroup refused because a group was still in it.
    refused: list[str] = field(default_factory=list)


def _backend_patches(lifecycle: Lifecycle) -> dict[str, Any]:
    from moto.elasticache.exceptions import ElastiCacheException, ReplicationGroupNotFound
    from moto.elasticache.models import ElastiCacheBackend

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

        def __init__(self, name: str) -> None:
            super().__init__(self.code, f"Cache subnet group {name} is currently in use by a replication group.")

    class CacheSubnetGroupNotFound(ElastiCacheException):
        code = "CacheSubnetGroupNotFoundFault"

        def __init__(self, name: str) -> None:
            super().__init__(self.code, f"CacheSubnetGroup {name} not found.")

    create, describe, delete = (ElastiCacheBackend.create_replication_group, ElastiCacheBackend.describe_replication_groups,
                                ElastiCacheBackend.delete_replication_group)

    def create_replication_group(backend: Any, **kwargs: Any) -> Any:
        group = create(backend, **kwargs)
        if lifecycle.creating_polls:
            group.status = "creating"
            lifecycle.left[group.replication_group_id] = lifecycle.creating_polls
        return group

    def describe_replication_groups(backend: Any, replication_group_id: str | None = None) -> Any:
        for group in list(backend.replication_groups.values()):
            if group.status not in ("creating", "deleting") or (replication_group_id not in (None, group.replication_group_id)):
                continue
            if lifecycle.left.get(group.replication_group_id, 0) > 0:
                lifecycle.left[group.replication_group_id] -= 1
            elif group.status == "creating":
                group.status = "available"
            else:  # deleted: gone, with its tags
                del backend.replication_groups[group.replication_group_id]
                backend.tagging_service.delete_all_tags_for_resource(group.arn)
        if replication_group_id and replication_group_id not in backend.replication_groups:
            raise ReplicationGroupNotFound(replication_group_id)
        return describe(backend, replication_group_id)

    def delete_replication_group(backend: Any, replication_group_id: str, retain_primary_cluster: bool | None) -> Any:
        group = delete(backend, replication_group_id, retain_primary_cluster)
        lifecycle.left[replication_group_id] = lifecycle.deleting_polls
        return group

    def delete_cache_subnet_group(backend: Any, cache_subnet_group_name: str) -> None:
        if cache_subnet_group_name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(cache_subnet_group_name)
        if any(g.cache_subnet_group_name == cache_subnet_group_name for g in backend.replication_groups.values()):
            lifecycle.refused.append(cache_subnet_group_name)
            raise CacheSubnetGroupInUse(cache_subnet_group_name)
        group = backend.cache_subnet_groups.pop(cache_subnet_group_name)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)

    return {"create_replication_group": create_replication_group, "describe_replication_groups": describe_replication_groups,
            "delete_replication_group": delete_replication_group, "delete_cache_subnet_group": delete_cache_subnet_group}


@pytest.fixture
def elasticache_lifecycle(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lifecycle]:
    """ElastiCache's creating/deleting states and DeleteCacheSubnetGroup on moto, for the test (tune the returned Lifecycle)."""
    from moto.core.responses import EmptyResult
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    lifecycle = Lifecycle()
    for name, patch in _backend_patches(lifecycle).items():
        monkeypatch.setattr(ElastiCacheBackend, name, patch, raising=False)

    def delete_cache_subnet_group_action(response: Any) -> Any:
        response.elasticache_backend.delete_cache_subnet_group(response._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    # moto dispatches an action to the response method of its snake_case name.
    monkeypatch.setattr(ElastiCacheResponse, "delete_cache_subnet_group", delete_cache_subnet_group_action, raising=False)
    yield lifecycle

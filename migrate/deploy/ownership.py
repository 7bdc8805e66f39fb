"""Tags that mark what migrate created, and the check that keeps it off everything else.

Every resource migrate creates carries :func:`owner_tags`. Before changing a resource that already
exists, the planner checks it carries them for the same app: a repository, role or log group of the
same name that someone else made is never adopted, changed or destroyed (``migrate destroy`` deletes
exactly what these tags mark).
"""

from __future__ import annotations

from collections.abc import Mapping

from migrate.deploy.errors import NotOwnedError

MANAGED_BY = "migrate:managed-by"
APP = "migrate:app"


def owner_tags(app: str) -> dict[str, str]:
    """The tags on every resource migrate creates for ``app``."""
    return {MANAGED_BY: "migrate", APP: app}


def check_owned(kind: str, name: str, tags: Mapping[str, str], app: str) -> None:
    """Raise :class:`NotOwnedError` unless the existing resource was created by migrate for ``app``."""
    if tags.get(MANAGED_BY) == "migrate" and tags.get(APP) == app:
        return
    owner = f"migrate for app {tags[APP]}" if tags.get(MANAGED_BY) == "migrate" and APP in tags else "someone else"
    raise NotOwnedError(
        f"{kind} {name} already exists and was created by {owner}; migrate will not change it",
        hint="choose another name in migrate.toml, or delete or rename the existing one",
    )


def as_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """Tags in the ``[{"Key": k, "Value": v}]`` shape most AWS APIs take (ECS: ``key``/``value``)."""
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def from_list(tags: list[dict[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """The inverse of :func:`as_list`."""
    return {t[key]: t[value] for t in tags or []}

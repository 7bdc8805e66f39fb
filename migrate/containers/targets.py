"""Which image to build for each app: its build context, Dockerfile and tag."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from migrate.errors import UserError
from migrate.generate.recipes.common import build_context
from migrate.generate.render import slug
from migrate.profile import AppProfile, Inspection


@dataclass(frozen=True)
class BuildTarget:
    """One image to build."""

    app: AppProfile
    tag: str
    context: Path
    dockerfile: str  # relative to the context, as the engine wants it


def build_targets(inspection: Inspection, tag: str | None = None) -> list[BuildTarget]:
    """A target per app; a missing Dockerfile is a user error naming the command that makes it."""
    if not inspection.apps:
        raise UserError(f"{inspection.root}: no app found to build", hint="run `migrate inspect` to see why")
    root = Path(inspection.root)
    targets = []
    for app in inspection.apps:
        context = build_context(app)
        dockerfile = posixpath.join(app.path, "Dockerfile") if app.path != "." else "Dockerfile"
        if not (root / dockerfile).is_file():
            raise UserError(f"{root / dockerfile}: no Dockerfile", hint=f"generate one with `migrate init {root}`")
        targets.append(BuildTarget(app, _tag(app, tag, len(inspection.apps)), root / context, posixpath.relpath(dockerfile, context)))
    return targets


def _tag(app: AppProfile, tag: str | None, count: int) -> str:
    if tag is None:
        return f"{slug(app.name)}:local"
    if count == 1:
        return tag
    name, _, version = tag.partition(":")
    return f"{name}-{slug(app.name)}:{version or 'local'}"

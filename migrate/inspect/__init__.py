"""Stage 1: read a source tree and describe every app in it, with evidence.

``inspect_tree(path)`` is the whole public surface: it only reads, and it
returns an :class:`~migrate.profile.Inspection`.
"""

from __future__ import annotations

from pathlib import Path

from migrate.inspect.detectors import ecosystems
from migrate.inspect.discover import discover
from migrate.inspect.parallel import profile_all
from migrate.inspect.profiler import profile
from migrate.inspect.tree import SourceTree
from migrate.profile import AppProfile, Inspection

__all__ = ["NO_APP", "inspect_tree"]

#: How the warning that a tree holds no app begins (commands that need an app quote it).
NO_APP = "no app found"


def inspect_tree(path: Path | str, *, jobs: int | None = None) -> Inspection:
    """Inspect the tree at ``path``; raise ``SourceTreeError`` if it cannot be read.

    ``jobs``: the most processes that profile apps side by side (default: this process's cores;
    only a large tree of several apps uses more than one, see :mod:`migrate.inspect.parallel`).
    """
    tree = SourceTree.scan(path)
    found = discover(tree, ecosystems())
    apps: list[AppProfile] = []
    warnings: list[str] = []
    for candidate, (app, app_warnings, runnable) in zip(found.candidates, profile_all(found.candidates, profile, jobs=jobs), strict=True):
        if not runnable and candidate.app.workspace_root is not None:
            warnings.append(f"{app.path}: a library of the workspace at {candidate.app.workspace_root}, not an app")
            continue
        apps.append(app)
        warnings.extend(f"{app.path}: {w}" for w in app_warnings)
    if not apps:
        warnings.append(_no_app(len(found.candidates), len(found.workspaces)))
    return Inspection(str(tree.root), tuple(_unique_names(apps)), tuple(tree.warnings + warnings))


def _no_app(libraries: int, workspaces: int) -> str:
    """Why no app was found: no manifest at all, or manifests of packages none of which runs."""
    if libraries or workspaces:
        held = f"{workspaces} workspace root(s) and {libraries} package(s)" if workspaces else f"{libraries} package(s)"
        return f"{NO_APP}: {held}, none of them runnable (no start command, server framework or main entry point)"
    return f"{NO_APP}: no manifest of a known ecosystem (package.json, pyproject.toml, go.mod...)"


def _unique_names(apps: list[AppProfile]) -> list[AppProfile]:
    """Disambiguate apps that share a name by their folder."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    for app in apps:
        seen[app.name] = seen.get(app.name, 0) + 1
    return [replace(a, name=a.path.replace("/", "-")) if seen[a.name] > 1 and a.path != "." else a for a in apps]

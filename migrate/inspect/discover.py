"""Find the deployable apps in a tree: one, or many in a monorepo.

Every folder is offered to every ecosystem; a folder some ecosystem claims
is a candidate. Then:

* a workspace root (npm/pnpm/yarn/bun workspaces, uv workspace, Cargo
  workspace, Maven aggregator, Gradle multi-project, go.work) is not an app
  itself unless its own manifest makes it one (a pnpm root with a start
  script): its members are, the folders its member globs select (expanded as
  the package manager does, see :mod:`migrate.inspect.workspaces`), and they
  find the shared lockfile through ``workspace_root``;
* a folder nested in another app is a separate app only if it is clearly
  runnable (claim strength 2); otherwise it is part of its parent (a
  ``docs/requirements.txt``, a ``package.json`` for asset tooling);
* a plain static site (``index.html``) counts only where no app encloses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from migrate.inspect.detectors.base import AppDir, Claim, Ecosystem
from migrate.inspect.tree import SourceTree
from migrate.inspect.workspaces import expand

# Folders holding sample or test trees, not the user's apps.
_NOT_APPS = re.compile(r"(^|/)(fixtures|__fixtures__|testdata|test-fixtures|__snapshots__)(/|$)")


@dataclass(frozen=True)
class Candidate:
    """A folder that holds an app, the ecosystem that owns it, and the other claims on it."""

    app: AppDir
    ecosystem: Ecosystem
    claim: Claim
    others: tuple[Claim, ...]


@dataclass(frozen=True)
class Discovery:
    """The apps of a tree and the workspace roots that group them."""

    candidates: tuple[Candidate, ...]
    workspaces: tuple[tuple[str, str], ...]  # (folder, language)


def discover(tree: SourceTree, ecosystems: tuple[Ecosystem, ...]) -> Discovery:
    """Find the candidate apps of ``tree``."""
    claims = _claims(tree, ecosystems)
    workspaces: dict[str, str] = {}
    members: dict[tuple[str, str], frozenset[str]] = {}  # (root, language) -> member folders
    apps: dict[str, tuple[Ecosystem, Claim, tuple[Claim, ...]]] = {}
    for folder in sorted(claims, key=lambda f: (f.count("/") if f != "." else -1, f)):
        ranked = sorted(claims[folder], key=lambda ec: (-ec[1].strength, ecosystems.index(ec[0])))
        eco, claim = ranked[0]
        others = tuple(c for _, c in ranked[1:])
        # Every ecosystem here may hold a workspace (a uv workspace and a bun one share a root).
        for other, _claim in ranked:
            patterns = other.workspace_members(AppDir(tree, folder))
            if patterns:
                members[(folder, other.language)] = frozenset(expand(tree, folder, patterns)) - {folder}
                workspaces.setdefault(folder, other.language)
        if (folder, eco.language) in members and not eco.workspace_root_is_app(AppDir(tree, folder), claim):
            continue  # it only holds the workspace: its members are the apps
        enclosing = _nearest(folder, apps)
        if enclosing is not None and (claim.strength < 2 or claim.language == "static"):
            continue  # tooling or docs of the enclosing app
        if claim.language == "static" and _nearest(folder, workspaces) is not None and claim.strength < 2:
            continue
        apps[folder] = (eco, claim, others)
    candidates = []
    for folder, (eco, claim, others) in apps.items():
        nested = frozenset(f for f in list(apps) + list(workspaces) if f != folder and _is_below(f, folder))
        root = _workspace_root(folder, members, claim)
        candidates.append(Candidate(AppDir(tree, folder, root, nested), eco, claim, others))
    return Discovery(tuple(candidates), tuple(sorted(workspaces.items())))


def _claims(tree: SourceTree, ecosystems: tuple[Ecosystem, ...]) -> dict[str, list[tuple[Ecosystem, Claim]]]:
    claims: dict[str, list[tuple[Ecosystem, Claim]]] = {}
    for folder, _names in tree.walk():
        if _NOT_APPS.search(folder):
            continue
        app = AppDir(tree, folder)
        for eco in ecosystems:
            claim = eco.claim(app)
            if claim is not None:
                claims.setdefault(folder, []).append((eco, claim))
    return claims


def _is_below(child: str, parent: str) -> bool:
    return (parent == "." and child != ".") or child.startswith(parent + "/")


def _nearest(folder: str, folders: Mapping[str, object]) -> str | None:
    """The closest folder in ``folders`` strictly above ``folder``."""
    best = None
    for other in folders:
        if _is_below(folder, other) and (best is None or len(other) > len(best) or best == "."):
            best = other
    return best


def _workspace_root(folder: str, members: dict[tuple[str, str], frozenset[str]], claim: Claim) -> str | None:
    """The closest workspace of the app's language whose member globs select ``folder``.

    A weak claim that no glob selects (an included Gradle build, a package.json
    for tooling) still belongs to the workspace around it: it is reported as
    the workspace's library, not as an app of its own.
    """
    roots = {root: lang for (root, lang), folders in members.items() if lang == claim.language and folder in folders}
    if roots or claim.strength == 2:
        return _nearest(folder, roots)
    same = {root: lang for (root, lang) in members if lang == claim.language}
    return _nearest(folder, same) or _nearest(folder, {root: lang for (root, lang) in members})

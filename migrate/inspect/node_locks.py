"""Whether a Node lockfile still agrees with the package.json beside it.

A frozen install (``npm ci``, ``yarn install --frozen-lockfile``) refuses a lockfile that
does not record every dependency package.json declares, so an image built from a stale one
fails at its install step. Two lockfiles in one app (``yarn.lock`` beside
``package-lock.json``) usually mean one of them is no longer maintained: the one that still
agrees is the one to install from.

Only what can be told without resolving versions is checked: npm's lockfile v2/v3 copies
package.json's ranges into its ``packages`` entry for the app (v1 lists the names it
installed), and a Yarn classic lockfile has a ``name@range`` key for every range asked for.
Other lockfiles are taken as they are.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from migrate.inspect.tree import SourceTree

#: The package.json sections a frozen install checks against the lockfile.
_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies")
#: A Yarn classic entry's header: ``"@scope/a@^1.0.0", a@~1.2:`` at the start of a line.
_YARN_HEADER = re.compile(r"^(?![\s#])(.+):\s*$", re.MULTILINE)


def missing_entry(tree: SourceTree, lock: str, manager: str, app_path: str, manifest: dict[str, Any]) -> str | None:
    """The first ``name@range`` of ``manifest`` that lockfile ``lock`` does not record, or None.

    ``app_path`` is the tree-relative folder of the app's package.json (the lockfile may be at
    its workspace root). None also when the lockfile is of a kind not checked here.
    """
    wanted = [(name, spec) for section in _SECTIONS for name, spec in _section(manifest, section).items()]
    if manager == "npm":
        data = tree.read_json(lock)
        return _npm_missing(data, posixpath.relpath(app_path or ".", posixpath.dirname(lock) or "."), wanted) if isinstance(data, dict) else None
    if manager == "yarn":
        return _yarn_missing(tree.read_text(lock) or "", wanted)
    return None


def _section(manifest: dict[str, Any], name: str) -> dict[str, str]:
    value = manifest.get(name)
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(value, dict) else {}


def _npm_missing(data: dict[str, Any], member: str, wanted: list[tuple[str, str]]) -> str | None:
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfile v2/v3: the app's own entry holds package.json's ranges
        entry = packages.get("" if member == "." else member)
        recorded = {k: v for section in _SECTIONS for k, v in _section(entry if isinstance(entry, dict) else {}, section).items()}
        return next((f"{name}@{spec}" for name, spec in wanted if recorded.get(name) != spec), None)
    if member != ".":  # a v1 lockfile records its workspace members' trees nowhere it can be told apart
        return None
    installed = data.get("dependencies")  # lockfile v1: the installed tree, by name
    installed = installed if isinstance(installed, dict) else {}
    return next((f"{name}@{spec}" for name, spec in wanted if name not in installed), None)


def _yarn_missing(text: str, wanted: list[tuple[str, str]]) -> str | None:
    if re.search(r"^__metadata:", text, re.MULTILINE):  # a Yarn berry lockfile keys entries differently
        return None
    keys = {key.strip().strip("\"'") for header in _YARN_HEADER.finditer(text) for key in header.group(1).split(",")}
    # Workspace links and local paths are not entries of their own.
    return next((f"{name}@{spec}" for name, spec in wanted
                 if f"{name}@{spec}" not in keys and not spec.startswith(("workspace:", "file:", "link:"))), None)

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
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

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


#: The public registries' hosts: npm rewrites registry.npmjs.org to the registry a build is configured with
#: (``replace-registry-host``), Yarn classic registry.yarnpkg.com likewise.
PUBLIC_REGISTRIES = frozenset({"registry.npmjs.org", "registry.yarnpkg.com"})
_YARN_RESOLVED = re.compile(r'^\s+resolved\s+"?([a-z+]+://[^"\s#]+)', re.MULTILINE)


def foreign_hosts(tree: SourceTree, lock: str, manager: str) -> list[tuple[str, int]]:
    """The hosts other than the public registries that lockfile ``lock`` downloads packages from, with how many
    packages each, most first: a company's registry, a mirror that has since gone, GitHub for git dependencies.
    A frozen install fetches from exactly those, so the image's build must reach them."""
    urls: list[str] = []
    if manager == "npm":
        data = tree.read_json(lock)
        if isinstance(data, dict):
            urls = list(_npm_resolved(data))
    elif manager == "yarn":
        urls = _YARN_RESOLVED.findall(tree.read_text(lock) or "")
    hosts = Counter(host for url in urls if (host := _host(url)) and host not in PUBLIC_REGISTRIES)
    return sorted(hosts.items(), key=lambda item: (-item[1], item[0]))


def _npm_resolved(data: dict[str, Any]) -> list[str]:
    """Every ``resolved`` URL of an npm lockfile: v2/v3's flat ``packages``, v1's nested ``dependencies``."""
    found: list[str] = []
    packages = data.get("packages")
    if isinstance(packages, dict):
        found += [str(entry["resolved"]) for entry in packages.values() if isinstance(entry, dict) and isinstance(entry.get("resolved"), str)]
        return found
    stack = [data.get("dependencies")]
    while stack:
        level = stack.pop()
        if not isinstance(level, dict):
            continue
        for entry in level.values():
            if isinstance(entry, dict):
                if isinstance(entry.get("resolved"), str):
                    found.append(entry["resolved"])
                stack.append(entry.get("dependencies"))
    return found


def _host(url: str) -> str | None:
    """The host of a download URL (``git+ssh://git@github.com/...``: github.com); None for a local path."""
    if "://" not in url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
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

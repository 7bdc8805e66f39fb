"""Workspace member globs, expanded the way the package managers expand them.

npm, yarn, pnpm and bun list members as globs (``apps/*``, ``packages/**``,
``!**/test/**``), uv as globs in ``[tool.uv.workspace] members`` with an
``exclude`` list, Cargo as globs too. All follow the same rules:

* ``*`` and ``?`` stay inside one folder name, ``**`` spans any number of
  folders (zero included, so ``**`` matches the workspace root itself);
  ``{a,b}`` is either;
* a pattern starting with ``!`` removes what the patterns before it matched;
* a member is a folder: ``apps/api/`` and ``./apps/api`` name ``apps/api``.

Dependency, build and VCS folders (``node_modules``...) never reach this code:
the :class:`~migrate.inspect.tree.SourceTree` does not index them.
"""

from __future__ import annotations

import re
from functools import cache

from migrate.inspect.tree import SourceTree


def expand(tree: SourceTree, root: str, patterns: list[str]) -> list[str]:
    """Tree-relative folders under ``root`` (``root`` included) that ``patterns`` select, sorted."""
    steps = [(p.startswith("!"), _regex(p.removeprefix("!"))) for p in patterns if p.strip("!").strip()]
    if not any(not negated for negated, _ in steps):
        return []
    members = []
    for folder, _names in tree.walk(root):
        relative = "" if folder == root else folder[len(root) + 1 :] if root != "." else folder
        if _selected(steps, relative):
            members.append(folder)
    return sorted(members)


def _selected(steps: list[tuple[bool, re.Pattern[str]]], relative: str) -> bool:
    """The last pattern that matches decides, as in npm's and pnpm's globbing."""
    chosen = False
    for negated, regex in steps:
        if regex.fullmatch(relative):
            chosen = not negated
    return chosen


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """One member glob as a regex over root-relative folder paths (``""`` is the root)."""
    text = pattern.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/")
    if text in ("", "."):
        return re.compile("")
    out = []
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif text.startswith("/**", i) and i + 3 == len(text):
            out.append("(?:/[^/]+)*")
            i += 3
        elif text.startswith("**", i):
            out.append("(?:[^/]+(?:/[^/]+)*)?")
            i += 2
        elif text[i] == "*":
            out.append("[^/]*")
            i += 1
        elif text[i] == "?":
            out.append("[^/]")
            i += 1
        elif text[i] == "{" and "}" in text[i:]:
            end = text.index("}", i)
            out.append("(?:" + "|".join(re.escape(a) for a in text[i + 1 : end].split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    return re.compile("".join(out))

"""A cheap first test for the source scanners: text a regex cannot match without.

Inspect searches every source file of an app with dozens of regular
expressions (environment reads, ports, health routes, framework markers).
Most files hold none of what they look for, and a regex that does not begin
with plain text (``\\bprocess\\.env``, ``(?<![.\\w])getenv\\(``) tries a match at
every position of the file. A substring test (``"process.env" in text``)
runs at memory speed, so each pattern gets its *needles*: strings one of
which every match must contain, found once from the pattern's own syntax
tree. A file without any of them is skipped without running the regex; the
result is the same, only cheaper.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: Needles shorter than this screen out too little to be worth the test.
_MIN_NEEDLE = 2


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when ``pattern`` cannot match anywhere in ``text``."""
    return may_match_any(needles(pattern), text)


def may_match_any(found: tuple[str, ...] | None, text: str) -> bool:
    """False only when ``text`` holds none of ``found`` (a :func:`screen`); None screens nothing."""
    if found is None:
        return True
    for needle in found:
        if needle in text:
            return True
    return False


def screen(patterns: tuple[re.Pattern[str], ...]) -> tuple[str, ...] | None:
    """Needles one of which any match of any of ``patterns`` contains, or None if one has none.

    As few as will do, since each costs a pass over the text: a needle that
    contains another is dropped, and needles that all contain one common
    string become that string (``process.env.``, ``import.meta.env.``,
    ``Bun.env.`` -> ``.env``).
    """
    found: dict[str, None] = {}
    for pattern in patterns:
        own = needles(pattern)
        if own is None:
            return None
        found.update(dict.fromkeys(own))
    kept = [n for n in found if not any(other != n and other in n for other in found)]
    common = _common_substring(kept)
    return (common,) if common is not None and len(kept) > 1 else tuple(kept)


def _common_substring(strings: list[str]) -> str | None:
    """The longest string of at least 3 characters that every one of ``strings`` contains, or None."""
    shortest = min(strings, key=len)
    for size in range(len(shortest), 2, -1):
        for start in range(len(shortest) - size + 1):
            part = shortest[start : start + size]
            if all(part in s for s in strings):
                return part
    return None


@lru_cache(maxsize=1024)
def needles(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` contains, or None when none is known.

    Read from the parsed pattern: a run of literal characters, an alternation
    whose every branch has needles, a group, or a repeat that must occur at
    least once. Case-insensitive patterns get none.
    """
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        from re import _parser  # type: ignore[attr-defined]  # the stdlib's own regex parser (3.11+)

        parsed = _parser.parse(pattern.pattern, pattern.flags)
        found = _sequence(list(parsed), _parser)
    except Exception:  # noqa: BLE001 (a parser change must only cost speed, never a result)
        return None
    if found is None or min(len(n) for n in found) < _MIN_NEEDLE:
        return None
    return found


def _sequence(items: list[Any], parser: Any) -> tuple[str, ...] | None:
    """Needles of a sequence of parsed items: the best of its literal runs and of its parts."""
    candidates: list[tuple[str, ...]] = []
    run = ""
    for op, arg in items:
        if op is parser.LITERAL:
            run += chr(arg)
            continue
        if run:
            candidates.append((run,))
            run = ""
        part = _item(op, arg, parser)
        if part is not None:
            candidates.append(part)
    if run:
        candidates.append((run,))
    if not candidates:
        return None
    # The best screen: the longest shortest needle, then the fewest needles.
    return max(candidates, key=lambda c: (min(len(n) for n in c), -len(c)))


def _item(op: Any, arg: Any, parser: Any) -> tuple[str, ...] | None:
    """Needles of one parsed item that is not a literal, or None."""
    if op is parser.SUBPATTERN:
        _group, add_flags, _del_flags, sub = arg
        return None if add_flags & re.IGNORECASE else _sequence(list(sub), parser)
    if op is parser.BRANCH:
        branches = [_sequence(list(branch), parser) for branch in arg[1]]
        if any(b is None for b in branches):
            return None
        return tuple(dict.fromkeys(n for b in branches if b is not None for n in b))
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT, getattr(parser, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = arg
        return _sequence(list(sub), parser) if low >= 1 else None
    if op is getattr(parser, "ATOMIC_GROUP", None):
        return _sequence(list(arg), parser)
    return None  # character classes, anchors, lookarounds, back references

"""Cheap ways to run the source scanners' regexes: needles, and matching only where one occurs.

Inspect searches every source file of an app with dozens of regular
expressions (environment reads, ports, health routes, framework markers).
Most files hold none of what they look for, and a regex that does not begin
with plain text (``\\bprocess\\.env``, ``(?<![.\\w])getenv\\(``) tries a match at
every position of the file. A substring test (``"process.env" in text``)
runs at memory speed, so each pattern gets its *needles*: strings one of
which every match must contain, found once from the pattern's own syntax
tree. A file without any of them is skipped without running the regex.

Where a needle also sits a bounded number of characters from the start of
every match (``os.getenv`` at 0 in ``\\bos\\.getenv\\(``; ``addr`` at 0 to 8 in
``(?:default|listen)?_?addr``), :func:`finditer` goes further: it finds the
needle's occurrences with ``str.find`` and tries the regex only at the few
positions a match could start from, instead of at every position. The
matches are the regex's own, in the same order; only the cost changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Needles shorter than this screen out too little to be worth the test.
_MIN_NEEDLE = 2
#: A needle farther than this from a match's start (or at no fixed distance) cannot anchor the search.
_MAX_REACH = 64
#: With more candidate starts than this in one text, the regex's own scan is cheaper than a call per start.
_MAX_STARTS = 200


@dataclass(frozen=True)
class Needle:
    """A string every match of a pattern contains (lower-cased when ``fold``: the pattern ignores case there).

    It begins between ``first`` and ``last`` characters after the match's start
    (``last`` None: no bound).
    """

    text: str
    fold: bool = False
    first: int = 0
    last: int | None = None


@dataclass(frozen=True)
class _Plan:
    """What is known of a pattern: the screens (all must pass) and the needles that anchor a search."""

    #: Case-sensitive needle sets; a text may match only if it holds one needle of every set.
    screens: tuple[tuple[str, ...], ...]
    #: One needle of these starts within a bounded distance of every match's start; None if no such set.
    anchors: tuple[Needle, ...] | None


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when ``pattern`` cannot match anywhere in ``text``."""
    return _passes(_plan(pattern).screens, text)


def _passes(screens: tuple[tuple[str, ...], ...], text: str) -> bool:
    """Whether ``text`` holds a needle of every screen (plain loops: this runs for every file and pattern)."""
    for found in screens:
        for needle in found:
            if needle in text:
                break
        else:
            return False
    return True


def screens(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """The needle sets of ``pattern``: a text may match only if it holds a needle of each (see :func:`passes`).

    For loops over many files with one pattern: the plan is looked up once, not per file.
    """
    return _plan(pattern).screens


def passes(found: tuple[tuple[str, ...], ...], text: str) -> bool:
    """Whether ``text`` holds a needle of every set of ``found`` (:func:`screens`): False means no match."""
    return _passes(found, text)


def may_match_any(found: tuple[str, ...] | None, text: str) -> bool:
    """False only when ``text`` holds none of ``found`` (a :func:`screen`); None screens nothing."""
    if found is None:
        return True
    for needle in found:
        if needle in text:
            return True
    return False


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text)``, found by trying the regex only where a match can start."""
    plan = _plan(pattern)
    if not _passes(plan.screens, text):
        return
    starts = _starts(plan.anchors, text) if plan.anchors is not None else None
    if starts is None:
        yield from pattern.finditer(text)
        return
    yield from _matches_at(pattern, text, starts)


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``pattern.search(text)``, the same way as :func:`finditer`."""
    return next(finditer(pattern, text), None)


class Scan:
    """Several patterns searched together: their shared needles are found once per text.

    Each pattern's anchor needles that contain one of the shared needles
    (``process.env.`` and ``import.meta.env.`` hold ``.env``) are checked only
    where that shared needle occurs; a pattern without such anchors is
    searched on its own (:func:`finditer`). The matches are each pattern's own,
    in order, as ``pattern.finditer`` gives them.
    """

    def __init__(self, patterns: tuple[re.Pattern[str], ...]) -> None:
        self.patterns = patterns
        self.keys = screen(patterns) or ()
        #: Shared needle -> for each anchor holding it: (pattern index, where the shared needle sits in the
        #: anchor, the anchor's text, and the farthest and nearest a match's start can be before the shared needle).
        self._routes: dict[str, list[tuple[int, int, str, int, int]]] = {key: [] for key in self.keys}
        #: Patterns searched on their own: no anchors, or an anchor without a shared needle.
        self._alone = [i for i, pattern in enumerate(patterns) if not self._route(i, pattern)]
        #: The routes grouped for the search, so each distinct anchor is compared once per occurrence of its
        #: shared needle: (shared needle, ((its offset in the anchor, the anchor, ((index, far, near), ...)), ...)).
        self._checks = tuple((key, _grouped(routes)) for key, routes in self._routes.items())
        #: With several shared needles, one string every match of every pattern holds (Go's idioms: ``nv``), so
        #: that a text without it costs one pass instead of one per shared needle; None when there is none.
        self.gate = _gate(patterns) if len(self.keys) > 1 else None

    def _route(self, index: int, pattern: re.Pattern[str]) -> bool:
        found = _plan(pattern).anchors
        if found is None or any(n.fold for n in found):
            return False
        routes = []
        for needle in found:
            key = next((k for k in self.keys if k in needle.text), None)
            if key is None:
                return False
            routes.append((key, needle.text.find(key), needle))
        for key, offset, needle in routes:
            self._routes[key].append((index, offset, needle.text, offset + (needle.last or 0), offset + needle.first))
        return True

    def finditer(self, text: str) -> list[list[re.Match[str]]] | None:
        """For each pattern, its matches in ``text``; None when no shared needle occurs (so none can match)."""
        hits = self.matches(text)
        if hits is None:
            return None
        found: list[list[re.Match[str]]] = [[] for _ in self.patterns]
        for index, matches in hits:
            found[index] = matches
        return found

    def matches(self, text: str) -> list[tuple[int, list[re.Match[str]]]] | None:
        """``(pattern index, its matches)`` for the patterns that match ``text``, by index; None as for :meth:`finditer`."""
        if not self.keys:
            return [(i, m) for i, m in enumerate(list(finditer(p, text)) for p in self.patterns) if m]
        if self.gate is not None and self.gate not in text:
            return []  # no pattern can match; whether a shared needle occurs is not known, so not None
        # Plain loops and lists: this runs for every source file, most of which hold a needle once or never.
        starts: dict[int, list[int]] = {}
        seen = False
        for key, checks in self._checks:
            at = text.find(key)
            if at != -1:
                seen = True
            while at != -1:
                for offset, anchor, targets in checks:
                    if at >= offset and text.startswith(anchor, at - offset):
                        for index, far, near in targets:
                            positions = starts.get(index)
                            if positions is None:
                                positions = starts[index] = []
                            if far == near:
                                if at >= far:
                                    positions.append(at - far)
                            else:
                                positions.extend(range(max(0, at - far), at - near + 1))
                at = text.find(key, at + 1)
        if not seen:
            return None
        hits: list[tuple[int, list[re.Match[str]]]] = []
        for index in self._alone:
            pattern = self.patterns[index]
            if _passes(_plan(pattern).screens, text):
                found = list(finditer(pattern, text))
                if found:
                    hits.append((index, found))
        for index, positions in starts.items():
            pattern = self.patterns[index]
            if len(positions) > 1:
                positions = sorted(set(positions))
            many = len(positions) > _MAX_STARTS
            found = list(pattern.finditer(text) if many else _matches_at(pattern, text, positions))
            if found:
                hits.append((index, found))
        if len(hits) > 1:
            hits.sort(key=_first)
        return hits


def _gate(patterns: tuple[re.Pattern[str], ...]) -> str | None:
    """The longest string (2 characters or more) that every match of each of ``patterns`` holds, or None.

    A pattern's matches hold it when every needle of one of its screens contains it
    (``os.Getenv(``, ``getEnv``, ``envOr`` and the ``nv`` of ``[mM]ust(?:Get)?[eE]nv`` all hold ``nv``).
    """
    plans = [_plan(p).screens for p in patterns]
    if not plans or not all(plans):
        return None
    candidates = {n[i:j] for found in plans[0] for n in found for i in range(len(n)) for j in range(i + _MIN_NEEDLE, len(n) + 1)}
    held = [c for c in candidates if all(any(all(c in n for n in found) for found in screens) for screens in plans)]
    return max(held, key=lambda c: (len(c), c)) if held else None


def _first(item: tuple[int, list[re.Match[str]]]) -> int:
    return item[0]


def _grouped(routes: list[tuple[int, int, str, int, int]]) -> tuple[tuple[int, str, tuple[tuple[int, int, int], ...]], ...]:
    """Routes of one shared needle by (offset, anchor): ``os.getenv`` at 6 serves every pattern anchored on it."""
    groups: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
    for index, offset, anchor, far, near in routes:
        groups.setdefault((offset, anchor), []).append((index, far, near))
    return tuple((offset, anchor, tuple(targets)) for (offset, anchor), targets in groups.items())


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` that start at one of ``starts`` (ascending), as finditer would take them."""
    end = 0
    for start in starts:
        if start < end:
            continue  # inside the previous match: finditer resumes after it
        match = pattern.match(text, start)
        if match is not None:
            yield match
            # Every match holds a needle, so none is empty and the scan resumes at its end.
            end = match.end()


def _starts(anchors: tuple[Needle, ...], text: str) -> list[int] | None:
    """Every position where a match could start, ascending; None when the regex's own scan is the better way."""
    folded: str | None = None
    found: set[int] = set()
    for needle in anchors:
        if needle.fold:
            if folded is None:
                folded = _folded(text)
            haystack = folded
        else:
            haystack = text
        last = needle.last if needle.last is not None else 0
        at = haystack.find(needle.text)
        while at != -1:
            found.update(range(max(0, at - last), max(-1, at - needle.first) + 1))
            if len(found) > _MAX_STARTS:
                return None
            at = haystack.find(needle.text, at + 1)
    return sorted(found)


#: Python's ``re`` ignoring case matches these to ASCII letters, while ``str.lower()`` leaves them be
#: (dotless i, long s) or makes two characters of one (dotted capital I): they are written as their letter.
#: ``tests/test_source_scans.py`` checks every code point against the regex.
_FOLD_FIXES = (("\u0131", "i"), ("\u017f", "s"))
_DOTTED_I = "\u0130"


def _fold(text: str) -> str:
    """``text`` with each character a case-ignoring regex matches to an ASCII letter written as that
    letter (lower case), one character for one: positions in it are positions in ``text``.

    ``lower()`` runs at memory speed (``translate()`` with a table looks up each character: ~0.4 ms for
    a 1 kB file that is not ASCII).
    """
    if text.isascii():
        return text.lower()
    if _DOTTED_I in text:
        text = text.replace(_DOTTED_I, "i")
    folded = text.lower()
    for char, letter in _FOLD_FIXES:
        if char in folded:
            folded = folded.replace(char, letter)
    return folded


#: The last text folded and its folded copy: the patterns that fold case search the same file one after another.
_FOLDED: list[tuple[str, str]] = [("", "")]


def _folded(text: str) -> str:
    """``text`` with every character a case-ignoring regex matches to an ASCII letter written as that letter."""
    last = _FOLDED[0]
    if last[0] is text:
        return last[1]
    folded = _fold(text)
    _FOLDED[0] = (text, folded)
    return folded


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


def cover(found: tuple[str, ...]) -> tuple[str, ...]:
    """Few strings, one of which each of ``found`` contains: a text without any of them holds none of ``found``.

    For a screen in front of several tests, each with its own needles: one pass per
    string of the cover instead of one per needle (``.env``, ``env-var`` and ``cleanEnv``
    -> ``env``, ``eEnv``). Greedy: the substring (3 characters or more) that the most
    needles still uncovered contain, longer first; or, when that takes more than two, the
    longest string (2 or more) that all of them contain. Shortest first: the likeliest to be
    found, ending the test early.
    """
    left = list(dict.fromkeys(found))
    chosen: list[str] = []
    while left:
        parts = {n[i:j] for n in left for i in range(len(n)) for j in range(i + 3, len(n) + 1)}
        best = max(parts, key=lambda part: (sum(part in n for n in left), len(part), part), default=None)
        if best is None:  # a needle shorter than 3 characters covers itself
            best = left[0]
        chosen.append(best)
        left = [n for n in left if best not in n]
    if len(chosen) > 2:
        shared = _common_substring(list(dict.fromkeys(found)), 2)
        if shared is not None:
            return (shared,)
    return tuple(sorted(chosen, key=len))


def _common_substring(strings: list[str], shortest_part: int = 3) -> str | None:
    """The longest string of at least ``shortest_part`` characters that every one of ``strings`` contains, or None."""
    shortest = min(strings, key=len)
    for size in range(len(shortest), shortest_part - 1, -1):
        for start in range(len(shortest) - size + 1):
            part = shortest[start : start + size]
            if all(part in s for s in strings):
                return part
    return None


def needles(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The best single screen of ``pattern``: strings one of which every match contains, or None.

    Read from the parsed pattern: a run of literal characters, an alternation
    whose every branch has needles, a group, or a repeat that must occur at
    least once. Literals matched ignoring case give none here (see :func:`anchors`).
    """
    screens = _plan(pattern).screens
    return max(screens, key=lambda s: (min(len(n) for n in s), -len(s))) if screens else None


def anchors(pattern: re.Pattern[str]) -> tuple[Needle, ...] | None:
    """Needles one of which starts a bounded distance into every match of ``pattern``, or None."""
    return _plan(pattern).anchors


#: id(pattern) -> (pattern, its plan). Not an lru_cache: hashing a compiled pattern hashes all its
#: compiled code, microseconds a call for the larger idioms, paid on every file. The entry keeps its
#: pattern alive, so its id cannot be reused while it is cached.
_PLANS: dict[int, tuple[re.Pattern[str], _Plan]] = {}


def _plan(pattern: re.Pattern[str]) -> _Plan:
    entry = _PLANS.get(id(pattern))
    if entry is not None and entry[0] is pattern:
        return entry[1]
    if len(_PLANS) >= 1024:
        _PLANS.clear()  # patterns compiled on the fly (one per settings attribute...) must not pile up
    plan = _make_plan(pattern)
    _PLANS[id(pattern)] = (pattern, plan)
    return plan


def _make_plan(pattern: re.Pattern[str]) -> _Plan:
    try:
        from re import _parser  # type: ignore[attr-defined]  # the stdlib's own regex parser (3.11+)

        parsed = _parser.parse(pattern.pattern, pattern.flags)
        walker = _Walker(_parser, parsed.state)
        candidates = walker.sequence(list(parsed), bool(pattern.flags & re.IGNORECASE))
    except Exception:  # noqa: BLE001 (a parser change must only cost speed, never a result)
        return _Plan((), None)
    candidates = [_fewest(c) for c in candidates if min(len(n.text) for n in c) >= _MIN_NEEDLE]
    screens = tuple(dict.fromkeys(_shortest(tuple(dict.fromkeys(n.text for n in c))) for c in candidates if not any(n.fold for n in c)))
    # Fewest needles first: a text is ruled out by the first set it lacks, and lacking a set costs a pass per needle
    # (a health route's five path words go before the seventeen routing calls).
    screens = tuple(sorted(screens, key=len))
    bounded = [c for c in candidates if all(n.last is not None and n.last <= _MAX_REACH for n in c)]
    best = max(bounded, key=_anchor_rank) if bounded else None
    return _Plan(screens, best)


def _shortest(texts: tuple[str, ...]) -> tuple[str, ...]:
    """``texts`` less those that contain another (``os.getenv`` holds ``getenv``)."""
    return tuple(t for t in texts if not any(other != t and other in t for other in texts))


def _fewest(needles: tuple[Needle, ...]) -> tuple[Needle, ...]:
    """``needles`` less those that add nothing: ``.RunTLS`` where ``.Run`` is found at the same place anyway."""
    return tuple(n for n in needles if not any(_covers(other, n) for other in needles if other != n))


def _covers(inner: Needle, outer: Needle) -> bool:
    """Whether every occurrence of ``outer`` holds one of ``inner`` that gives at least the same starts."""
    k = outer.text.find(inner.text)
    if k < 0 or inner.fold != outer.fold:
        return False
    if inner.last is None or outer.last is None:
        return inner.last is None and inner.first - k <= outer.first
    return inner.first - k <= outer.first and inner.last - k >= outer.last


def _anchor_rank(needles: tuple[Needle, ...]) -> tuple[int, int, int]:
    """Longer needles occur less often; fewer needles cost fewer passes; a narrow reach, fewer tries."""
    return min(len(n.text) for n in needles), -len(needles), -max((n.last or 0) - n.first for n in needles)


class _Walker:
    """Needle sets of a parsed pattern, with where each needle can begin in a match."""

    def __init__(self, parser: Any, state: Any) -> None:
        self.p = parser
        self.state = state

    def width(self, items: list[Any]) -> tuple[int, int | None]:
        """The fewest and most characters ``items`` can match (None: no bound)."""
        low, high = self.p.SubPattern(self.state, items).getwidth()
        return low, (high if high < self.p.MAXREPEAT - 1 and high <= 1 << 20 else None)

    def sequence(self, items: list[Any], fold: bool) -> list[tuple[Needle, ...]]:
        """Every needle set a sequence of parsed items yields: its literal runs and the best set of each part."""
        candidates: list[tuple[Needle, ...]] = []
        run = ""
        run_at: tuple[int, int | None] = (0, 0)
        # The width of the items before the current one (high None: no bound).
        low = 0
        high: int | None = 0
        for op, arg in items:
            if op is self.p.LITERAL and (not fold or chr(arg).isascii()):
                if not run:
                    run_at = (low, high)
                run += chr(arg).lower() if fold else chr(arg)
            else:
                if run:
                    candidates.append((_at(Needle(run, fold, 0, 0), *run_at),))
                    run = ""
                candidates.extend(tuple(_at(n, low, high) for n in part) for part in self.item(op, arg, fold))
            item_low, item_high = self.width([(op, arg)])
            low += item_low
            high = None if high is None or item_high is None else high + item_high
        if run:
            candidates.append((_at(Needle(run, fold, 0, 0), *run_at),))
        return candidates

    def best(self, items: list[Any], fold: bool) -> list[tuple[Needle, ...]]:
        """The needle sets of a part that its parent keeps: the best to anchor a search, and the best screen."""
        candidates = self.sequence(items, fold)
        if not candidates:
            return []
        anchoring = max(candidates, key=lambda c: (all(n.last is not None for n in c), *_anchor_rank(c)))
        screening = max(candidates, key=lambda c: (not any(n.fold for n in c), *_anchor_rank(c)[:2]))
        return list(dict.fromkeys((anchoring, screening)))

    def item(self, op: Any, arg: Any, fold: bool) -> list[tuple[Needle, ...]]:
        """The needle sets of one parsed item that is not a literal (offsets from the item's start)."""
        p = self.p
        if op is p.SUBPATTERN:
            _group, add_flags, _del_flags, sub = arg
            return self.best(list(sub), fold or bool(add_flags & re.IGNORECASE))
        if op is p.BRANCH:
            # Every branch must give a set; the branches' first picks together, and their second picks.
            picks = [self.best(list(branch), fold) for branch in arg[1]]
            if not all(picks):
                return []
            unions = [tuple(dict.fromkeys(n for pick in picks for n in pick[min(k, len(pick) - 1)])) for k in (0, 1)]
            return list(dict.fromkeys(unions))
        if op in (p.MAX_REPEAT, p.MIN_REPEAT, getattr(p, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = arg
            return self.best(list(sub), fold) if low >= 1 else []  # the first repetition holds it
        if op is getattr(p, "ATOMIC_GROUP", None):
            return self.best(list(arg), fold)
        return []  # character classes, anchors, lookarounds, back references


def _at(needle: Needle, low: int, high: int | None) -> Needle:
    """``needle`` inside a part that begins ``low`` to ``high`` characters into the match."""
    last = None if high is None or needle.last is None else high + needle.last
    return Needle(needle.text, needle.fold, low + needle.first, last)

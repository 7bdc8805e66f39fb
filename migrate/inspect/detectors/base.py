"""The detector contract: small classes, explicit inputs, evidence out.

An :class:`Ecosystem` (one per language) *claims* folders whose manifests it
understands, and *inspects* a claimed folder by filling a :class:`Findings`.
Inside an ecosystem, :class:`FrameworkDetector` classes are tried most specific
first; the first that matches sets the framework and the commands it implies.

Detectors never touch the disk or the current directory: they read through the
:class:`AppDir` they are given (a :class:`~migrate.inspect.tree.SourceTree` and
a folder in it). Every value they set carries :class:`~migrate.profile.Evidence`.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dotenv.parser import parse_stream

from migrate.inspect import readahead
from migrate.inspect.prefilter import finditer, screens
from migrate.inspect.tree import SourceTree, join
from migrate.profile import AppProfile, BackingService, EnvVar, Evidence, Fact, Process

_GLOB_MAGIC = re.compile(r"[*?\[]")
#: fnmatch compares names as the OS does: on POSIX as they are, so "*.x" is a suffix test.
_CASE_SENSITIVE_NAMES = os.path.normcase("A") == "A"


@dataclass(frozen=True)
class AppDir:
    """One candidate app: a folder of the tree, and what surrounds it."""

    tree: SourceTree
    path: str
    #: The folder of the workspace/aggregator this app belongs to (lockfiles live there).
    workspace_root: str | None = None
    #: Folders of other apps below this one; their files are not this app's.
    nested: frozenset[str] = frozenset()

    def rel(self, name: str) -> str:
        """The tree-relative path of ``name`` inside this app."""
        return join(self.path, name)

    def has(self, name: str) -> bool:
        """Whether the app folder holds file ``name`` (may contain ``/``)."""
        if "/" in name:
            return self.tree.exists(self.rel(name))
        return self.tree.holds(self.path, name)  # discovery asks dozens of names of every folder: no path to build

    def has_dir(self, name: str) -> bool:
        """Whether the app folder holds sub-folder ``name``."""
        return self.tree.is_dir(self.rel(name))

    def files(self, sub: str = ".") -> list[str]:
        """File names in a folder of the app (``"."`` for the app folder)."""
        return self.tree.list_files(self.rel(sub) if sub != "." else self.path)

    def dirs(self, sub: str = ".") -> list[str]:
        """Sub-folder names in a folder of the app."""
        return self.tree.list_dirs(self.rel(sub) if sub != "." else self.path)

    def glob(self, pattern: str) -> list[str]:
        """Names of files directly in the app folder matching a shell pattern."""
        suffix = pattern[1:]
        if pattern.startswith("*") and not _GLOB_MAGIC.search(suffix) and _CASE_SENSITIVE_NAMES:
            # "*.csproj": the folder's names by extension, not a regex match per name for every pattern
            if suffix.startswith(".") and "." not in suffix[1:]:
                return self.tree.with_extension(self.path, suffix)
            return [name for name in self.files() if name.endswith(suffix)]
        return fnmatch.filter(self.files(), pattern)  # compiles the pattern once

    def read(self, name: str) -> str | None:
        """Text of a file in the app, or None."""
        return self.tree.read_text(self.rel(name))

    def json(self, name: str) -> Any:
        """Parsed JSON file in the app, or None."""
        return self.tree.read_json(self.rel(name)) if self.has(name) else None

    def toml(self, name: str) -> dict[str, Any] | None:
        """Parsed TOML file in the app, or None."""
        return self.tree.read_toml(self.rel(name)) if self.has(name) else None

    def yaml(self, name: str) -> Any:
        """Parsed YAML file in the app, or None."""
        return self.tree.read_yaml(self.rel(name)) if self.has(name) else None

    def xml(self, name: str) -> Any:
        """Parsed XML root element of a file in the app, or None."""
        return self.tree.read_xml(self.rel(name)) if self.has(name) else None

    def evidence(self, name: str, reason: str, pattern: str | None = None) -> Evidence:
        """Evidence pointing at file ``name`` (at the line matching ``pattern``, if given)."""
        line = self.tree.line_of(self.rel(name), pattern) if pattern else None
        return Evidence(self.rel(name), line, reason)

    def source_files(self, suffixes: Iterable[str]) -> tuple[str, ...]:
        """Tree-relative paths of this app's files ending in one of ``suffixes``, in walk order.

        Folders of nested apps are not entered. Made once per suffixes and shared (see
        :meth:`SourceTree.listing`): every full pass over an app's sources starts here.
        """
        return self.tree.ending(self.path, self.nested, tuple(suffixes))

    def grep(self, suffixes: Iterable[str], pattern: re.Pattern[str]) -> Iterator[tuple[str, int, re.Match[str]]]:
        """Every match of ``pattern`` in this app's source files: ``(path, line, match)``.

        Lazy: a caller that wants the first match reads and searches no further.
        """
        # Screened once, not per file: most files are ruled out by the needles alone.
        for path, text in self.tree.passing(self.source_files(suffixes), screens(pattern), readahead.bit_of(pattern)):
            for match in finditer(pattern, text):
                yield path, text.count("\n", 0, match.start()) + 1, match

    def at_workspace_root(self, name: str) -> str | None:
        """Tree-relative path of ``name`` in the app folder, else at its workspace root."""
        if self.has(name):
            return self.rel(name)
        if self.workspace_root is not None and self.tree.exists(join(self.workspace_root, name)):
            return join(self.workspace_root, name)
        return None


@dataclass(frozen=True)
class Claim:
    """An ecosystem's claim on a folder.

    ``strength`` 2 means "this is a runnable app of mine" (a framework, a start
    script, a main package); 1 means "a manifest of mine is here" (it might be
    a library, or tooling for another ecosystem's app).
    """

    language: str
    strength: int
    evidence: Evidence


@dataclass(frozen=True)
class EnvRead:
    """One place where code (or an example env file) reads an environment variable."""

    name: str
    evidence: Evidence
    default: str | None = None
    has_default: bool = False
    #: Example value from a .env.example-style file (used for service hints, never as a secret).
    example: str | None = None
    #: The value's declared type, when the code declares one (a pydantic ``EmailStr`` field: "email").
    shape: str | None = None
    #: The framework refuses to run without it, whatever the reads say (Laravel's APP_KEY).
    needed: bool = False


@dataclass
class Findings:
    """What detectors found about one app, built up in detector order.

    :meth:`set` keeps the first value set for a fact: detectors run most
    specific first (a Procfile before a framework default), so later, more
    generic guesses never overwrite earlier, more specific ones.
    """

    facts: dict[str, Fact[Any]] = field(default_factory=dict)
    name: tuple[str, Evidence] | None = None
    deps: dict[str, Evidence] = field(default_factory=dict)
    env_reads: list[EnvRead] = field(default_factory=list)
    services: dict[str, list[Evidence]] = field(default_factory=dict)
    #: kind -> (``default`` or ``optional``, why, how to enable it); the first decision for a kind wins.
    service_status: dict[str, tuple[str, Evidence, str | None]] = field(default_factory=dict)
    #: kind -> the server major version its client library needs (first found wins).
    service_versions: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def set(self, fact: str, value: Any, *evidence: Evidence, default: bool = False) -> bool:
        """Set ``fact`` unless already known; return whether this call set it.

        An observed value replaces an earlier default (``default=True``), never
        the reverse: ``process.env.PORT || 3000`` beats Express's usual 3000.
        """
        current = self.facts.get(fact)
        if value is None:
            return False
        if current is not None and current.is_known and (default or not current.is_default):
            return False
        self.facts[fact] = Fact(value, tuple(evidence), default)
        return True

    def get(self, fact: str) -> Any:
        """The value set for ``fact`` so far, or None."""
        current = self.facts.get(fact)
        return None if current is None else current.value

    def has(self, fact: str) -> bool:
        """Whether ``fact`` has a value."""
        return self.get(fact) is not None

    def add_dep(self, name: str, evidence: Evidence) -> None:
        """Record a runtime dependency (first evidence wins)."""
        self.deps.setdefault(name, evidence)

    def dep(self, *names: str) -> Evidence | None:
        """Evidence for the first of ``names`` that is a dependency, or None."""
        for name in names:
            if name in self.deps:
                return self.deps[name]
        return None

    def add_service(self, kind: str, evidence: Evidence) -> None:
        """Record a backing service with a piece of evidence."""
        bucket = self.services.setdefault(kind, [])
        if evidence not in bucket:
            bucket.append(evidence)

    def decide_service(self, kind: str, status: str, why: Evidence, enable: str | None = None) -> None:
        """Record whether the default configuration uses service ``kind`` (first decision wins)."""
        self.service_status.setdefault(kind, (status, why, enable))

    def add_process(self, name: str, command: str, evidence: Evidence) -> None:
        """Record a process type (first definition wins)."""
        self.processes.setdefault(name, Process(name, command, (evidence,)))

    def detail(self, key: str, value: str | None) -> None:
        """Record a detector-specific detail for later stages (first value wins)."""
        if value is not None:
            self.details.setdefault(key, value)

    def to_profile(self, name: str, path: str, env: tuple[EnvVar, ...]) -> AppProfile:
        """Freeze the findings into an :class:`AppProfile`."""
        kwargs = {k: v for k, v in self.facts.items() if k in _PROFILE_FACTS}
        services = [self._service(k, v) for k, v in sorted(self.services.items())]
        return AppProfile(
            name=name,
            path=path,
            env=env,
            backing_services=tuple(s for s in services if s.status == "default"),
            optional_services=tuple(s for s in services if s.status == "optional"),
            processes=tuple(self.processes.values()),
            details=tuple(sorted(self.details.items())),
            **kwargs,
        )


    def _service(self, kind: str, evidence: list[Evidence]) -> BackingService:
        """A service with its status: the deciding evidence first, then what points at the service."""
        status, why, enable = self.service_status.get(kind, ("default", None, None))
        version = self.service_versions.get(kind)
        rest = tuple(sorted(e for e in evidence if e != why))
        if status == "optional" and why is not None:
            return BackingService(kind, (why, *rest), status="optional", enable=enable, version=version)
        return BackingService(kind, tuple(sorted({*evidence, *([why] if why else [])})), version=version)


_PROFILE_FACTS = frozenset(
    {"language", "runtime_version", "framework", "package_manager", "build_command", "start_command", "port", "health_path"}
)


class FrameworkDetector:
    """One framework: a cheap ``detect`` that fills framework facts when it matches."""

    #: Canonical lowercase framework name (``django``, ``nextjs``...).
    name: ClassVar[str]

    def detect(self, app: AppDir, found: Findings) -> bool:  # pragma: no cover - interface
        """Set the framework's facts and return True if ``app`` uses this framework."""
        raise NotImplementedError


class Ecosystem:
    """One language ecosystem: claims folders, fills language-level facts, runs its frameworks."""

    #: Canonical lowercase language name (``python``, ``node``...).
    language: ClassVar[str]
    #: Framework detectors, most specific first.
    frameworks: ClassVar[tuple[FrameworkDetector, ...]] = ()

    def claim(self, app: AppDir) -> Claim | None:  # pragma: no cover - interface
        """Whether this ecosystem owns ``app`` (and how strongly), or None."""
        raise NotImplementedError

    def workspace_members(self, app: AppDir) -> list[str] | None:
        """If ``app`` is a workspace/aggregator root, the glob patterns of its members (``!glob`` excludes)."""
        return None

    def workspace_root_is_app(self, app: AppDir, claim: Claim) -> bool:
        """Whether a workspace root claimed by this ecosystem is an app too, besides holding its members."""
        return False

    def inspect(self, app: AppDir, found: Findings) -> None:  # pragma: no cover - interface
        """Fill language, runtime, package manager, dependencies, framework and commands."""
        raise NotImplementedError

    def run_frameworks(self, app: AppDir, found: Findings) -> None:
        """Try each framework detector in order; stop at the first that matches."""
        for detector in self.frameworks:
            if detector.detect(app, found):
                return


def tool_versions_pin(app: AppDir, tools: tuple[str, ...], label: str) -> tuple[str, Evidence] | None:
    """The version an asdf/mise ``.tool-versions`` file pins for one of ``tools``, with evidence."""
    names = "|".join(re.escape(t) for t in tools)
    match = re.search(rf"^(?:{names})\s+v?(\d+\.\d+(?:\.\d+)?)\s*$", app.read(".tool-versions") or "", re.MULTILINE)
    if match is None:
        return None
    return match.group(1), app.evidence(".tool-versions", f"pins {label} {match.group(1)}", re.escape(match.group(0)))


def set_default_runtime(app: AppDir, found: Findings, language: str, label: str) -> None:
    """Set the current default runtime of ``language``, marked as a default, saying none was pinned."""
    from migrate.inspect.knowledge import DEFAULT_RUNTIME

    default = DEFAULT_RUNTIME[language]
    found.set("runtime_version", default, Evidence(app.path, None, f"no {label} version pinned; using {default}"), default=True)


def first_match(
    app: AppDir, suffixes: Iterable[str], pattern: re.Pattern[str]
) -> tuple[str, int, re.Match[str]] | None:
    """The first ``(path, line, match)`` of ``pattern`` in the app's source files."""
    return next(app.grep(suffixes, pattern), None)


def match_evidence(hit: tuple[str, int, re.Match[str]], reason: str) -> Evidence:
    """Evidence for a grep hit."""
    path, line, _ = hit
    return Evidence(path, line, reason)


def parse_env_file(text: str) -> Iterator[tuple[str, str, int]]:
    """``(name, value, line)`` for each assignment of a dotenv file, read as python-dotenv reads it.

    Lines that are not assignments (comments, a bare name, text that does not parse) are skipped.
    """
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is None or binding.value is None or binding.error:
            continue
        original = binding.original.string  # starts with the blank and comment lines before it
        yield binding.key, binding.value, binding.original.line + original[: original.find(binding.key)].count("\n")

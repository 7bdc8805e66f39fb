"""The typed result of inspection: what an application is, and why we think so.

Every value is a :class:`Fact` that carries its :class:`Evidence` (file and,
where there is one, line). Later stages (generate, build, deploy) read only
these models, never the source tree, so they stay pure and testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")

#: Facts every app profile has, in report order. The JSON schema uses these names.
FACT_NAMES: tuple[str, ...] = (
    "language",
    "runtime_version",
    "framework",
    "package_manager",
    "build_command",
    "start_command",
    "port",
    "health_path",
)


@dataclass(frozen=True, order=True)
class Evidence:
    """Why a fact is believed: a file relative to the inspected root, a line, a reason."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Fact(Generic[T]):
    """A value with the evidence behind it.

    ``is_default`` marks a value nothing in the tree pinned (a framework's
    documented default port, the current runtime when none is pinned); the
    evidence then says which default was taken.
    """

    value: T
    evidence: tuple[Evidence, ...] = ()
    is_default: bool = False

    @property
    def is_known(self) -> bool:
        """Whether inspection found a value at all."""
        return self.value is not None


def unknown() -> Fact[Any]:
    """A fact inspection could not establish."""
    return Fact(None)


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the app reads."""

    name: str
    secret: bool
    required: bool
    default: str | None = None
    evidence: tuple[Evidence, ...] = ()
    #: What the code declares the value to be ("email", "url", "int", "bool"...), when it says.
    shape: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form documented in README (``shape`` only when the code declares one)."""
        data: dict[str, Any] = {
            "name": self.name,
            "secret": self.secret,
            "required": self.required,
            "default": self.default,
            "evidence": [str(e) for e in self.evidence],
        }
        if self.shape is not None:
            data["shape"] = self.shape
        return data


@dataclass(frozen=True)
class BackingService:
    """A service the app talks to at run time (a database, a cache, a broker).

    ``status`` says whether the app's default configuration uses it (compose
    starts it) or only another configuration does; then ``enable`` says how to
    switch to it, and the first piece of evidence says why it is optional.
    """

    kind: str
    evidence: tuple[Evidence, ...] = ()
    status: Literal["default", "optional"] = "default"
    enable: str | None = None
    #: The server major version the app's client library speaks (Elasticsearch clients), if it matters.
    version: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "status", "enable", "version", "evidence"}`` (the ``optional_services`` items in README)."""
        evidence = [str(e) for e in self.evidence]
        return {"kind": self.kind, "status": self.status, "enable": self.enable, "version": self.version, "evidence": evidence}


@dataclass(frozen=True)
class Process:
    """A named process type (``web``, ``worker``) and the command that runs it."""

    name: str
    command: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class AppProfile:
    """Everything inspection knows about one deployable app."""

    name: str
    path: str
    language: Fact[str | None] = field(default_factory=unknown)
    runtime_version: Fact[str | None] = field(default_factory=unknown)
    framework: Fact[str | None] = field(default_factory=unknown)
    package_manager: Fact[str | None] = field(default_factory=unknown)
    build_command: Fact[str | None] = field(default_factory=unknown)
    start_command: Fact[str | None] = field(default_factory=unknown)
    port: Fact[int | None] = field(default_factory=unknown)
    health_path: Fact[str | None] = field(default_factory=unknown)
    env: tuple[EnvVar, ...] = ()
    #: Services the default configuration uses: compose starts these.
    backing_services: tuple[BackingService, ...] = ()
    #: Services the app can be configured for but does not use by default (listed in CONTAINERS.md).
    optional_services: tuple[BackingService, ...] = ()
    processes: tuple[Process, ...] = ()
    #: Detector-specific details later stages need (output folder, jar name, wsgi module...).
    details: tuple[tuple[str, str], ...] = ()

    def fact(self, name: str) -> Fact[Any]:
        """The fact called ``name`` (one of :data:`FACT_NAMES`)."""
        value: Fact[Any] = getattr(self, name)
        return value

    def detail(self, key: str) -> str | None:
        """A detector-specific detail, or None."""
        return dict(self.details).get(key)

    @property
    def secrets(self) -> tuple[EnvVar, ...]:
        """The environment variables that hold secrets."""
        return tuple(v for v in self.env if v.secret)

    def to_json(self) -> dict[str, Any]:
        """The JSON object documented in README (``migrate inspect --json``)."""
        data: dict[str, Any] = {"name": self.name, "path": self.path}
        evidence: dict[str, list[str]] = {}
        defaults: list[str] = []
        for name in FACT_NAMES:
            fact = self.fact(name)
            data[name] = fact.value
            if fact.evidence:
                evidence[name] = [str(e) for e in fact.evidence]
            if fact.is_default and fact.is_known:
                defaults.append(name)
        data["env"] = [v.to_json() for v in self.env]
        data["backing_services"] = [s.kind for s in self.backing_services]
        services_evidence = [str(e) for s in self.backing_services for e in s.evidence]
        if services_evidence:
            evidence["backing_services"] = services_evidence
        data["optional_services"] = [s.to_json() for s in self.optional_services]
        data["processes"] = {p.name: p.command for p in self.processes}
        data["details"] = dict(self.details)
        data["defaults"] = defaults
        data["evidence"] = evidence
        return data


@dataclass(frozen=True)
class Inspection:
    """The result of inspecting one source tree."""

    root: str
    apps: tuple[AppProfile, ...]
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``{"root", "apps", "warnings"}`` as documented in README."""
        return {
            "root": self.root,
            "apps": [a.to_json() for a in self.apps],
            "warnings": list(self.warnings),
        }

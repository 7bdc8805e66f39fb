"""Plan, then apply: compare each resource's desired state with what AWS has, then act on the difference.

A resource (:class:`Resource`) knows its desired fields as canonical strings, how to observe the
live ones through its gateway (read-only calls), and how to create itself or update the fields that
differ. :func:`make_plan` only reads; :func:`apply` performs the steps in order. A plan whose steps
are all ``unchanged`` makes no call at all when applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from migrate.deploy.ownership import check_owned

Action = Literal["create", "update", "unchanged"]


@dataclass(frozen=True)
class Observed:
    """A resource as AWS has it: its fields (canonical strings, as in :attr:`Resource.desired`) and tags."""

    fields: Mapping[str, str]
    tags: Mapping[str, str]


class Resource(Protocol):
    """One AWS resource migrate manages for an app."""

    @property
    def kind(self) -> str:
        """What it is, for people: ``ECR repository``, ``IAM role``..."""
        ...

    @property
    def name(self) -> str:
        """Its name in AWS."""
        ...

    @property
    def app(self) -> str:
        """The app (or project, for shared resources) it belongs to: its ``migrate:app`` tag."""
        ...

    @property
    def desired(self) -> Mapping[str, str]:
        """Field name -> canonical value that migrate wants (JSON documents with sorted keys)."""
        ...

    def observe(self) -> Observed | None:
        """The live resource, or None when it does not exist. Read-only calls only."""
        ...

    def create(self) -> None:
        """Create the resource in its desired state, tagged as migrate's."""
        ...

    def update(self, fields: Sequence[str]) -> None:
        """Bring ``fields`` (names from :attr:`desired`) to their desired values."""
        ...


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its live value (None when the resource does not exist) and the wanted one."""

    name: str
    before: str | None
    after: str


@dataclass(frozen=True)
class Step:
    """What applying the plan does to one resource."""

    resource: Resource = field(compare=False)
    action: Action
    changes: tuple[FieldChange, ...]

    @property
    def title(self) -> str:
        """``ECR repository shop-api``."""
        return f"{self.resource.kind} {self.resource.name}"


@dataclass(frozen=True)
class Plan:
    """Every step, in the order they apply (dependencies first)."""

    steps: tuple[Step, ...]

    @property
    def changes_anything(self) -> bool:
        """Whether applying would call anything that mutates."""
        return any(step.action != "unchanged" for step in self.steps)

    def count(self, action: Action) -> int:
        """How many steps take ``action``."""
        return sum(1 for step in self.steps if step.action == action)


def plan_step(resource: Resource) -> Step:
    """Observe ``resource`` and decide what to do with it; refuse one migrate does not own."""
    observed = resource.observe()
    desired = resource.desired
    if observed is None:
        return Step(resource, "create", tuple(FieldChange(k, None, v) for k, v in desired.items()))
    check_owned(resource.kind, resource.name, observed.tags, resource.app)
    changes = tuple(
        FieldChange(k, observed.fields.get(k), v) for k, v in desired.items() if observed.fields.get(k) != v
    )
    return Step(resource, "update" if changes else "unchanged", changes)


def make_plan(resources: Iterable[Resource]) -> Plan:
    """The plan for ``resources``, observed in order. Makes no mutating call."""
    return Plan(tuple(plan_step(r) for r in resources))


def apply(plan: Plan, on_step: Callable[[Step], None] = lambda step: None) -> None:
    """Carry out every step that changes something, telling ``on_step`` before each."""
    for step in plan.steps:
        if step.action == "unchanged":
            continue
        on_step(step)
        if step.action == "create":
            step.resource.create()
        else:
            step.resource.update([c.name for c in step.changes])


def render(plan: Plan) -> str:
    """The plan as text: one line per resource, then one per changed field (``+`` create, ``~`` update)."""
    marks = {"create": "+", "update": "~", "unchanged": "="}
    lines: list[str] = []
    for step in plan.steps:
        lines.append(f"{marks[step.action]} {step.title}" + ("" if step.action != "unchanged" else " (unchanged)"))
        for change in step.changes:
            lines.extend(_field_lines(change, step.action))
    summary = f"{plan.count('create')} to create, {plan.count('update')} to change, {plan.count('unchanged')} unchanged"
    return "\n".join([*lines, summary]) + "\n"


def _field_lines(change: FieldChange, action: Action) -> list[str]:
    after = change.after.splitlines() or ["(none)"]
    if len(after) > 1:  # a document (a policy): shown whole, as it will be
        head = f"    {change.name}:" if action == "create" or change.before is None else f"    {change.name}: (changed)"
        return [head, *(f"      {line}" for line in after)]
    if action == "create" or change.before is None:
        return [f"    {change.name}: {after[0]}"]
    return [f"    {change.name}: {change.before or '(none)'} -> {after[0]}"]

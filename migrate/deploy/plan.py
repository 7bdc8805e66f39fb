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

from migrate.deploy.errors import DeployError, NotOwnedError
from migrate.deploy.ownership import check_owned

Action = Literal["create", "update", "unchanged", "delete", "not-ours"]


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

    def delete(self) -> None:
        """Delete the resource (``migrate destroy``)."""
        ...


class Borrowed:
    """A resource migrate uses but did not make and never changes (an existing ECS cluster): it must exist,
    it is not checked for migrate's tags, its plan step is always ``unchanged``, and ``destroy`` leaves it."""


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
        return any(step.action in ("create", "update", "delete") for step in self.steps)

    def count(self, action: Action) -> int:
        """How many steps take ``action``."""
        return sum(1 for step in self.steps if step.action == action)


def plan_step(resource: Resource) -> Step:
    """Observe ``resource`` and decide what to do with it; refuse one migrate does not own."""
    observed = resource.observe()
    desired = resource.desired
    if isinstance(resource, Borrowed):
        if observed is None:  # its observe() says why it is missing; this is for one that does not
            raise DeployError(f"{resource.kind} {resource.name} does not exist", hint="create it, or name an existing one in migrate.toml")
        return Step(resource, "unchanged", ())
    if observed is None:
        return Step(resource, "create", tuple(FieldChange(k, None, v) for k, v in desired.items()))
    check_owned(resource.kind, resource.name, observed.tags, resource.app)
    changes = tuple(
        FieldChange(k, observed.fields.get(k), v) for k, v in desired.items() if observed.fields.get(k) != v
    )
    return Step(resource, "update" if changes else "unchanged", changes)


def destroy_plan(resources: Sequence[Resource]) -> Plan:
    """What ``migrate destroy`` deletes: each existing resource that migrate created, dependents first.

    A resource of the same name that migrate did not create for this app is left alone, and shown as such.
    """
    # Observed in apply order, so that each resource knows what it depends on (a listener its
    # balancer's ARN), then deleted in reverse.
    # A borrowed resource is not observed: it is left alone whatever its state (a cluster gone since is no reason
    # to keep the rest).
    observed_all = [(resource, None if isinstance(resource, Borrowed) else resource.observe()) for resource in resources]
    steps: list[Step] = []
    for resource, observed in reversed(observed_all):
        if isinstance(resource, Borrowed):
            steps.append(Step(resource, "not-ours", ()))
            continue
        if observed is None:
            continue
        try:
            check_owned(resource.kind, resource.name, observed.tags, resource.app)
        except NotOwnedError:
            steps.append(Step(resource, "not-ours", ()))
            continue
        steps.append(Step(resource, "delete", ()))
    return Plan(tuple(steps))


def make_plan(resources: Iterable[Resource]) -> Plan:
    """The plan for ``resources``, observed in order. Makes no mutating call."""
    return Plan(tuple(plan_step(r) for r in resources))


def apply(plan: Plan, on_step: Callable[[Step], None] = lambda step: None) -> None:
    """Carry out every step that changes something, telling ``on_step`` before each."""
    for step in plan.steps:
        if step.action in ("unchanged", "not-ours"):
            continue
        on_step(step)
        if step.action == "create":
            step.resource.create()
        elif step.action == "delete":
            step.resource.delete()
        else:
            step.resource.update([c.name for c in step.changes])


def render(plan: Plan) -> str:
    """The plan as text: one line per resource, then one per changed field (``+`` create, ``~`` update)."""
    marks = {"create": "+", "update": "~", "unchanged": "=", "delete": "-", "not-ours": "!"}
    notes = {"unchanged": " (unchanged)", "not-ours": " (not created by migrate: left alone)"}
    lines: list[str] = []
    for step in plan.steps:
        note = _BORROWED if isinstance(step.resource, Borrowed) and step.action == "unchanged" else notes.get(step.action, "")
        lines.append(f"{marks[step.action]} {step.title}{note}")
        for change in step.changes:
            lines.extend(_field_lines(change, step.action))
    if any(step.action in ("delete", "not-ours") for step in plan.steps):
        summary = f"{plan.count('delete')} to delete, {plan.count('not-ours')} left alone"
    else:
        summary = f"{plan.count('create')} to create, {plan.count('update')} to change, {plan.count('unchanged')} unchanged"
    return "\n".join([*lines, summary]) + "\n"


_BORROWED = " (exists, not made by migrate: used as it is, never changed)"


def _field_lines(change: FieldChange, action: Action) -> list[str]:
    after = change.after.splitlines() or ["(none)"]
    if len(after) > 1:  # a document (a policy): shown whole, as it will be
        head = f"    {change.name}:" if action == "create" or change.before is None else f"    {change.name}: (changed)"
        return [head, *(f"      {line}" for line in after)]
    if action == "create" or change.before is None:
        return [f"    {change.name}: {after[0]}"]
    return [f"    {change.name}: {change.before or '(none)'} -> {after[0]}"]

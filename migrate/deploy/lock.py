"""One deploy of an app at a time, across machines and CI runners: a lock kept in AWS.

The lock is an SSM parameter, ``/migrate/PROJECT/APP/deploy-lock``, created with ``Overwrite=False``:
SSM creates a parameter at most once, so of two deploys starting together exactly one gets it. Its
value says who holds it (user, host, process) and since when; the other deploy is refused with that.
A lock left by a deploy that died on another machine is broken explicitly (``--break-lock``), never
silently; one left by a process of this machine that has ended is taken over, and the deploy says so.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from migrate.cutover.holder import is_gone, whoami
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call


class LockedError(DeployError):
    """Another deploy of the same app holds the lock."""


@dataclass(frozen=True)
class Holder:
    """Who holds a deploy lock, and since when."""

    who: str
    since: datetime

    def to_json(self) -> str:
        """The parameter's value."""
        return json.dumps({"who": self.who, "since": self.since.isoformat()})

    @classmethod
    def from_json(cls, text: str) -> Holder:
        """Read a parameter's value; an unreadable one is shown as such rather than failing."""
        try:
            data = json.loads(text)
            return cls(str(data["who"]), datetime.fromisoformat(str(data["since"])))
        except (ValueError, KeyError, TypeError):
            return cls(f"unknown ({text[:60]!r})", datetime.fromtimestamp(0, UTC))


def lock_name(project: str, app: str) -> str:
    """The SSM parameter that is the lock."""
    return f"/migrate/{project}/{app}/deploy-lock"


@contextlib.contextmanager
def deploy_lock(aws: Aws, project: str, app: str, *, who: str | None = None,
                now: Callable[[], datetime] = lambda: datetime.now(UTC),
                took_over: Callable[[Holder], None] = lambda holder: None) -> Iterator[Holder]:
    """Hold the app's deploy lock for the ``with`` block; :class:`LockedError` when someone else holds it.

    A lock whose holder was a process of this machine that has ended (killed, a power cut) is taken
    over, and ``took_over`` hears whose it was; one of another machine, or of a live process, never is
    (migrate cannot tell a dead deploy elsewhere from a slow one: ``--break-lock`` is the user's call).
    """
    ssm = aws.client("ssm")
    name = lock_name(project, app)
    holder = Holder(who or whoami(), now())
    with aws_call("ssm:PutParameter", f"parameter {name}"):
        try:
            _take(ssm, name, holder)
        except ssm.exceptions.ParameterAlreadyExists:
            current = current_holder(aws, project, app)
            if current is not None and is_gone(current.who) and break_lock(aws, project, app) is not None:
                try:
                    _take(ssm, name, holder)  # another deploy may have taken it between the two: then it is refused
                    took_over(current)
                    current = None
                except ssm.exceptions.ParameterAlreadyExists:
                    current = current_holder(aws, project, app)
        else:
            current = None
        if current is not None:
            since = current.since.strftime("%Y-%m-%d %H:%M:%S UTC")
            minutes = int((now() - current.since).total_seconds() // 60)
            raise LockedError(
                f"another deploy of {app} is running: {current.who}, since {since} ({minutes} min ago)",
                hint="wait for it to finish; if it died, run again with --break-lock",
            )
    try:
        yield holder
    finally:
        with aws_call("ssm:DeleteParameter", f"parameter {name}"):
            with contextlib.suppress(ssm.exceptions.ParameterNotFound):
                ssm.delete_parameter(Name=name)


def _take(ssm: Any, name: str, holder: Holder) -> None:
    """Create the lock (SSM creates a parameter at most once: ParameterAlreadyExists when it is held)."""
    ssm.put_parameter(Name=name, Value=holder.to_json(), Type="String", Overwrite=False,
                      Description="held while migrate deploys this app")


def current_holder(aws: Aws, project: str, app: str) -> Holder | None:
    """Who holds the lock now, or None."""
    ssm = aws.client("ssm")
    name = lock_name(project, app)
    with aws_call("ssm:GetParameter", f"parameter {name}"):
        try:
            return Holder.from_json(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        except ssm.exceptions.ParameterNotFound:
            return None


def break_lock(aws: Aws, project: str, app: str) -> Holder | None:
    """Remove a stale lock; returns who held it (None: there was none)."""
    holder = current_holder(aws, project, app)
    if holder is not None:
        ssm = aws.client("ssm")
        with aws_call("ssm:DeleteParameter", f"parameter {lock_name(project, app)}"):
            with contextlib.suppress(ssm.exceptions.ParameterNotFound):
                ssm.delete_parameter(Name=lock_name(project, app))
    return holder


def report_held_locks(aws: Aws, project: str, apps: Sequence[str], *, break_them: bool, say: Callable[[str], None]) -> None:
    """For a deploy that finds nothing to change: say which of ``apps``' locks are still held, or break them.

    Such a deploy takes no lock (that would be a mutating call), so without this a lock left by a deploy
    that died stays until a deploy with changes is refused by it; and ``--break-lock`` would do nothing.
    """
    for app in apps:
        holder = break_lock(aws, project, app) if break_them else current_holder(aws, project, app)
        if holder is None:
            continue
        if break_them:
            say(f"broke the deploy lock of {app} held by {holder.who}")
        else:
            say(f"note: the deploy lock of {app} is held by {holder.who} since {holder.since.strftime('%Y-%m-%d %H:%M:%S UTC')}: "
                "if that deploy died, run again with --break-lock")

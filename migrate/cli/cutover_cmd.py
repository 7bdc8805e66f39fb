"""``migrate status``, ``migrate rollback`` and ``migrate abort``: the cutover of each web app on a target.

Each reads where the app stands from the target itself (router weights, colours' labels or tags), so
they work from any machine, and after a deploy that was killed: ``rollback`` and ``abort`` take the
app's cutover lock, ``status`` does not (it answers while a cutover runs). The work is
:mod:`migrate.cutover.command`'s; opening a target is :mod:`migrate.cli.targets`'.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from migrate.cli import pass_env
from migrate.environment import Environment
from migrate.errors import UserError


def target_option(func: Any) -> Any:
    """``--target ecs|local`` (default: migrate.toml's [deploy] target, else ecs)."""
    from migrate.config import TARGETS

    return click.option("--target", "target_kind", type=click.Choice(TARGETS),
                        help="Where the apps run: ecs (AWS) or local (Docker here, behind HAProxy); "
                             "default: migrate.toml's [deploy] target, else ecs.")(func)


def common(func: Any) -> Any:
    """PATH, --target, --app, --json, --region."""
    options: list[Callable[[Any], Any]] = [
        click.argument("path", type=click.Path(path_type=Path), default="."),
        target_option,
        click.option("--app", "apps", multiple=True, metavar="NAME", help="Only this app (repeatable); default: every web app."),
        click.option("--json", "as_json", is_flag=True, help="JSON lines on standard output, for scripts and CI."),
        click.option("--region", help="AWS region, with --target ecs (default: migrate.toml, then the AWS chain)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command("status")
@common
@pass_env
def status(env: Environment, path: Path, target_kind: str | None, apps: tuple[str, ...], as_json: bool, region: str | None) -> None:
    """Where each web app at PATH stands: revision per colour, weights, healthy/desired, and its URL."""
    from migrate.cli.targets import open_targets
    from migrate.cutover.command import status as read
    from migrate.deploy.native import state

    native = _native_apps(path, target_kind, apps, region, state)
    for app, target in open_targets(path, target_kind, apps, region=region, create=False):
        if app in native:
            if as_json:
                _json_line(env, native[app].as_json())
            else:
                env.stdout.write("\n".join(native[app].lines()) + "\n")
            continue
        if target is None:
            if as_json:
                _json_line(env, {"app": app, "stage": "empty", "deployed": False})
            else:
                env.stdout.write(f"{app}: not deployed on this target\n")
            continue
        report = read(target, app)
        if as_json:
            _json_line(env, report.as_json())
        else:
            env.stdout.write("\n".join(report.lines()) + "\n")


@click.command("rollback")
@common
@click.option("--break-lock", is_flag=True, help="Break a cutover lock left by a command that died.")
@click.option("--smoke", "smoke", multiple=True, metavar="PATH",
              help="Before any traffic moves back, GET PATH from the previous version through a test route; anything but "
                   "2xx or 3xx stops the rollback (repeatable; default: migrate.toml's [deploy] smoke).")
@pass_env
def rollback(env: Environment, path: Path, target_kind: str | None, apps: tuple[str, ...], as_json: bool, region: str | None,
             break_lock: bool, smoke: tuple[str, ...]) -> None:
    """Back to the previous revision of each web app at PATH, with the same weighted shift as a deploy.

    The previous revision is the idle colour's (kept when a deploy retired it); the old colour's
    targets must become healthy before any traffic moves. Exits non-zero unless every app is back.
    """
    _act(env, "rollback", path, target_kind, apps, as_json, region, break_lock, smoke)


@click.command("abort")
@common
@click.option("--break-lock", is_flag=True, help="Break a cutover lock left by a command that died.")
@pass_env
def abort(env: Environment, path: Path, target_kind: str | None, apps: tuple[str, ...], as_json: bool, region: str | None,
          break_lock: bool) -> None:
    """Stop a cutover in progress: the traffic back on the old side in one call (when it is healthy), the new one stopped.

    Use it on a cutover another machine runs only after breaking its lock (`--break-lock`): a running
    command would fight it.
    """
    _act(env, "abort", path, target_kind, apps, as_json, region, break_lock)


def _act(env: Environment, action: Any, path: Path, target_kind: str | None, apps: tuple[str, ...], as_json: bool,
         region: str | None, break_lock: bool, smoke: tuple[str, ...] = ()) -> None:
    from migrate.cli.targets import deploy_settings, open_targets, settings_for

    handled, native_failed = _native_act(env, action, path, target_kind, apps, as_json, region)
    opened = open_targets(path, target_kind, apps, region=region, create=False)
    configured = deploy_settings(path)
    failed = sorted(native_failed)
    for app, target in opened:
        if app in handled:
            continue
        if target is None:
            _tell(env, as_json, {"app": app, "event": "result", "status": "failed", "reason": "not deployed on this target"},
                  f"{app}: not deployed on this target: nothing to {action}")
            failed.append(app)
            continue
        ok = run_cutover(env, target, app, action, None, settings_for(target.name, configured, smoke=smoke), as_json, break_lock)
        if not ok:
            failed.append(app)
    if failed:
        raise UserError(f"the {action} of {', '.join(failed)} did not end with the traffic where it should be (see above)")


def _native_apps(path: Path, target_kind: str | None, apps: tuple[str, ...], region: str | None,
                 act: Callable[..., Any]) -> dict[str, Any]:
    """On ECS, :func:`~migrate.cli.targets.moved_by_ecs` of the project at ``path``; elsewhere none."""
    from migrate.cli.targets import moved_by_ecs
    from migrate.cli.targets import target_kind as kind_of
    from migrate.deploy.aws import connect
    from migrate.deploy.workflow import load_project

    if kind_of(path, target_kind) != "ecs":
        return {}
    project = load_project(path)
    return moved_by_ecs(project, connect(region or project.config.region), apps, act)


def _native_act(env: Environment, action: str, path: Path, target_kind: str | None, apps: tuple[str, ...], as_json: bool,
                region: str | None) -> tuple[set[str], set[str]]:
    """``abort`` and ``rollback`` of the apps ECS's own strategies move: the apps handled, and those of them that failed.

    An abort stops ECS's deployment under way with a rollback; a rollback is not migrate's to run there (ECS
    keeps no idle colour): it says how to go back.
    """
    from migrate.deploy.native import abort, state

    if action not in ("abort", "rollback"):
        return set(), set()
    found = _native_apps(path, target_kind, apps, region, abort if action == "abort" else state)
    failed = set()
    for app, now in found.items():
        if action == "rollback":
            _tell(env, as_json, {"app": app, "event": "result", "status": "failed", "reason": "moved by ECS's own strategy"},
                  f"{app}: moved by ECS's own strategy ({now.name}), which keeps no idle version to go back to: deploy the "
                  "previous image (`migrate deploy PATH --image URI`); while ECS deploys, `migrate abort` stops it with a rollback")
            failed.add(app)
        elif now.deployment is None:
            _tell(env, as_json, {"app": app, "event": "result", "status": "steady", "reason": "no ECS deployment under way"},
                  f"{app}: moved by ECS's own strategy ({now.name}), no deployment under way: nothing to abort")
        else:
            _tell(env, as_json, {"app": app, "event": "result", "status": "aborted", "deployment": now.deployment},
                  f"{app}: ECS's deployment {now.deployment.rsplit('/', 1)[-1]} stopped with a rollback: ECS puts the "
                  "traffic back on the revision that served before it")
    return set(found), failed


def run_cutover(env: Environment, target: Any, app: str, action: Any, revision: str | None, settings: Any, as_json: bool,
                break_lock: bool, locked: bool = False) -> bool:
    """Run one command on one app's target, printing each event as it comes; True when it succeeded.
    ``locked``: the caller holds the app's lock (see :func:`migrate.cutover.command.run`)."""
    from migrate.cutover.command import run
    from migrate.cutover.holder import whoami
    from migrate.cutover.report import result_json

    with progress(env, app, as_json) as on_event:
        result = run(target, action, revision=revision, settings=settings, now=env.clock, sleep=env.sleep,
                     on_event=on_event, who=whoami(), break_stale=break_lock, locked=locked)
    if as_json:
        _json_line(env, result_json(result, app, target.url if result.succeeded else None))
    else:
        say = f"{app}: {result.status}: {result.reason}"
        (env.stdout if result.succeeded else env.stderr).write(say + "\n")
        for line in result.diagnosis:
            env.stderr.write(f"  {line}\n")
    return result.succeeded


@contextlib.contextmanager
def progress(env: Environment, app: str, as_json: bool) -> Iterator[Callable[[Any], None]]:
    """Where a cutover's events go: on a terminal, a live table (:class:`~migrate.cutover.board.Board`, redrawn
    in place) with the event lines scrolling above it; else :func:`event_printer`'s lines or JSON lines."""
    if as_json or not env.stderr_isatty:
        yield event_printer(env, app, as_json)
        return
    from rich.live import Live

    from migrate.cutover.board import Board

    board = Board(app, env.clock())
    with Live(board.table(), console=env.console(stderr=True), auto_refresh=False, transient=False) as live:
        def show(event: Any) -> None:
            board.add(event)
            live.console.print(event_line(event.at - board.began, app, event), markup=False)
            live.update(board.table(), refresh=True)

        yield show


def event_line(seconds: float, app: str, event: Any) -> str:
    """One event as the timed line both the live table and the plain output print."""
    from migrate.cutover.report import describe

    return f"{seconds:7.1f}s  {app}  {describe(event)}"


def event_printer(env: Environment, app: str, as_json: bool) -> Callable[[Any], None]:
    """Each event as a JSON line on stdout (``--json``), else as a timed line on stderr."""
    from migrate.cutover.report import as_json as event_json

    began = env.clock()

    def show(event: Any) -> None:
        if as_json:
            _json_line(env, event_json(event, app))
        else:
            env.stderr.write(event_line(env.clock() - began, app, event) + "\n")
            env.stderr.flush()

    return show


def _tell(env: Environment, as_json: bool, data: dict[str, Any], line: str) -> None:
    if as_json:
        _json_line(env, data)
    else:
        env.stderr.write(line + "\n")


def _json_line(env: Environment, data: dict[str, Any]) -> None:
    env.stdout.write(json.dumps(data, sort_keys=False) + "\n")
    env.stdout.flush()


"""``migrate init PATH``: generate container files into the app, safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from migrate.cli import pass_env
from migrate.environment import Environment
from migrate.errors import UserError
from migrate.profile import Inspection

_OUTPUT_NAMES = ("dockerfile", "dockerignore", "compose", "devcontainer", "env", "docs")


def _parse_only(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    if not value:
        return _OUTPUT_NAMES
    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in chosen if v not in _OUTPUT_NAMES]
    if unknown:
        raise click.BadParameter(f"unknown output {', '.join(unknown)}; choose from {','.join(_OUTPUT_NAMES)}")
    return chosen


@click.command("init")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--diff", "show_diff", is_flag=True, help="Show a diff against existing files (implies --dry-run).")
@click.option("--force", is_flag=True, help="Overwrite files that differ (a backup of each is kept).")
@click.option("--only", callback=_parse_only, metavar="LIST", help=f"Comma-separated outputs: {','.join(_OUTPUT_NAMES)}.")
@click.option("--app", "apps", multiple=True, metavar="NAME", help="Only this app (repeatable); default: every app.")
@click.option("--pin-digests", is_flag=True, help="Pin every base and service image by digest (asks the registry).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation before writing.")
@pass_env
def command(
    env: Environment,
    path: Path,
    dry_run: bool,
    show_diff: bool,
    force: bool,
    only: tuple[str, ...],
    apps: tuple[str, ...],
    pin_digests: bool,
    yes: bool,
) -> None:
    """Generate Dockerfile, .dockerignore, compose.yaml, dev container and docs for the apps at PATH.

    Existing files are never overwritten unless --force is given; then the old
    file is kept next to the new one as NAME.migrate-backup.
    """
    from migrate.generate import generate
    from migrate.generate.writer import Action, apply, plan
    from migrate.inspect import inspect_tree

    inspection = select_apps(inspect_tree(path), apps)
    files = generate(inspection, only)  # type: ignore[arg-type]
    if pin_digests:
        files = _pinned(files)
    root = Path(inspection.root)
    keep = {f.path for f in files if f.keep_existing}
    alternatives = {f.path: f.alternatives for f in files if f.alternatives}
    planned = plan(root, [(f.path, f.content) for f in files], force=force, keep=keep, alternatives=alternatives)
    console = env.console()
    for item in planned:
        beside = f" (replaces {item.replaces})" if item.replaces else ""
        console.print(f"{item.action.value:>9}  {item.path}{beside}", markup=False, highlight=False)
        if show_diff and item.action in (Action.CONFLICT, Action.OVERWRITE, Action.CREATE):
            console.print(item.diff(), markup=False, highlight=False, end="")
    conflicts = [p.path for p in planned if p.action is Action.CONFLICT]
    if dry_run or show_diff:
        env.stderr.write("dry run: nothing was written\n")
        return
    clash = next((p for p in planned if p.action is Action.CONFLICT and p.replaces), None)
    if clash is not None:
        raise UserError(
            f"{clash.replaces} exists, and compose would read a new {clash.path} instead of it; nothing was written",
            hint=f"keep yours: --only without compose; or --force to write {clash.path} and move {clash.replaces} "
            f"to {clash.replaces}.migrate-backup (compare first with --diff)",
        )
    if conflicts:
        raise UserError(
            f"{len(conflicts)} existing file(s) differ: {', '.join(conflicts)}; nothing was written",
            hint="see the changes with --diff; overwrite with --force (backups are kept); or skip outputs with --only",
        )
    writes = [p for p in planned if p.action in (Action.CREATE, Action.OVERWRITE)]
    if not writes:
        env.stderr.write("everything is up to date\n")
        return
    if not yes and env.stdin_isatty and not click.confirm(f"Write {len(writes)} file(s) under {root}?", default=True):
        raise click.exceptions.Abort()
    backups = apply(root, planned, backup_suffix=".migrate-backup")
    for backup in backups:
        env.stderr.write(f"kept a backup: {backup.relative_to(root)}\n")
    env.stderr.write(f"wrote {len(writes)} file(s); next: `migrate build {path}` or `migrate dev {path}` (see CONTAINERS.md)\n")


def select_apps(inspection: Inspection, apps: tuple[str, ...]) -> Inspection:
    """Keep only the apps named by ``--app`` (all when none is named); fail when there is no app at all."""
    from dataclasses import replace

    from migrate.inspect import NO_APP

    if not inspection.apps:
        reason = next((w for w in inspection.warnings if w.startswith(NO_APP)), NO_APP)
        raise UserError(f"{inspection.root}: {reason}")
    if not apps:
        return inspection
    known = {a.name for a in inspection.apps}
    missing = [a for a in apps if a not in known]
    if missing:
        raise UserError(f"no app named {', '.join(missing)}; apps here: {', '.join(sorted(known)) or 'none'}")
    return replace(inspection, apps=tuple(a for a in inspection.apps if a.name in apps))


def _pinned(files: Any) -> Any:
    """The files with every external image pinned by the digest its registry reports."""
    from migrate.containers import engine
    from migrate.generate.pinning import image_references, pin

    client = engine.connect()
    digests = {ref: engine.resolve_digest(client, ref) for ref in sorted(image_references(files))}
    return pin(files, digests)

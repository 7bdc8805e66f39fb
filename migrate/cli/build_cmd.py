"""``migrate build PATH``: build each app's image through the Docker SDK, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from migrate.cli import pass_env
from migrate.environment import Environment


@click.command("build")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--tag", "-t", help="Image name:tag (default: <app>:local). With several apps, a name prefix.")
@click.option("--app", "apps", multiple=True, metavar="NAME", help="Only this app (repeatable); default: every app.")
@click.option("--target", default="runtime", show_default=True, help="Dockerfile target to build (runtime or dev).")
@pass_env
def command(env: Environment, path: Path, tag: str | None, apps: tuple[str, ...], target: str) -> None:
    """Build the image of every app at PATH from its Dockerfile (run `migrate init` first).

    Progress streams as the engine reports it; the command ends with each
    image's name, size and build time.
    """
    from migrate.containers import engine
    from migrate.containers.targets import build_targets, refuse_unknown_start
    from migrate.init import select_apps
    from migrate.inspect import inspect_tree

    inspection = select_apps(inspect_tree(path), apps)
    targets = build_targets(inspection, tag)
    refuse_unknown_start(targets, target)
    client = engine.connect()
    for item in targets:
        show = _progress(env, item.tag)
        result = engine.build(
            client, context=str(item.context), dockerfile=item.dockerfile, tag=item.tag, target=target, on_event=show
        )
        show(None)
        env.stdout.write(
            f"{result.tag}  {result.size_bytes / 1e6:.1f} MB  built in {result.seconds:.1f} s"
            f"  ({result.cached_steps}/{result.steps} steps from cache)\n"
        )


def _progress(env: Environment, tag: str) -> Any:
    """A callback showing build events: a live bar on a terminal, one line per step otherwise."""
    if env.stderr.isatty():
        return _live_progress(env, tag)

    def plain(event: Any) -> None:
        if event is not None and event.step is not None:
            env.stderr.write(f"{tag} [{event.step}/{event.total}] {event.text}\n")
            env.stderr.flush()

    return plain


def _live_progress(env: Environment, tag: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]{task.fields[tag]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=env.console(stderr=True), transient=True,
    )
    task = progress.add_task("starting", total=None, tag=tag)
    progress.start()

    def live(event: Any) -> None:
        if event is None:
            progress.stop()
        elif event.step is not None:
            progress.update(task, total=event.total, completed=event.step - 1, description=event.text[:60])

    return live

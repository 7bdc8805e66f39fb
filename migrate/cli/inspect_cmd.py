"""``migrate inspect PATH``: print what inspection found, as tables or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from migrate.cli import pass_env
from migrate.environment import Environment


@click.command("inspect")
# readable=False: click would reject an unreadable PATH as a usage error (exit 2);
# SourceTree.scan reports it, like a missing PATH, as a one-line user error (exit 1).
@click.argument("path", type=click.Path(path_type=Path, readable=False), default=".")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema in README) instead of tables.")
@pass_env
def command(env: Environment, path: Path, as_json: bool) -> None:
    """Describe every app in the source tree at PATH, with the evidence for each fact.

    PATH defaults to the current folder. Inspection only reads: it never
    changes a file.
    """
    from migrate.inspect import inspect_tree

    inspection = inspect_tree(path)
    if as_json:
        json.dump(inspection.to_json(), env.stdout, indent=2, ensure_ascii=False)
        env.stdout.write("\n")
        return
    from migrate.cli.report import print_inspection

    print_inspection(env, inspection)

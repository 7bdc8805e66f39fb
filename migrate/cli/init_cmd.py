"""``migrate init PATH``: generate container files into the app, safely."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import pass_env
from migrate.environment import Environment
from migrate.init import DEFAULT_OUTPUTS as _DEFAULT_OUTPUTS
from migrate.init import OUTPUTS as _OUTPUT_NAMES


def _parse_only(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    if not value:
        return _DEFAULT_OUTPUTS
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
@click.option("--ci", "ci_provider", type=click.Choice(["github"]), help="Also write a CI/CD workflow (GitHub Actions) and its "
              "deploy role's policies (the `ci` output).")
@click.option("--github-repo", metavar="OWNER/REPO", help="With --ci: the repository the role trusts (default: the origin remote).")
@click.option("--branch", metavar="NAME", help="With --ci: the branch that deploys (default: the remote's default branch, else main).")
@click.option("--aws-account", metavar="ID", help="With --ci: the AWS account (12 digits) the deploy role lives in.")
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
    ci_provider: str | None,
    github_repo: str | None,
    branch: str | None,
    aws_account: str | None,
    yes: bool,
) -> None:
    """Generate Dockerfile, .dockerignore, compose.yaml, dev container and docs for the apps at PATH.

    Existing files are never overwritten unless --force is given; then the old
    file is kept next to the new one as NAME.migrate-backup.
    """
    from migrate.config import load_config
    from migrate.generate.writer import Action
    from migrate.init import CiOptions, apply_init, plan_init

    remembered = load_config(path).ci.provider is not None and click.get_current_context().get_parameter_source("only") \
        is not click.core.ParameterSource.COMMANDLINE  # migrate.toml's [ci] keeps the workflow among the defaults
    if (ci_provider or remembered) and "ci" not in only:
        only = (*only, "ci")
    ci = CiOptions(aws_account, github_repo, branch) if "ci" in only else None
    planned = plan_init(path, outputs=only, apps=apps, force=force, pin_digests=pin_digests, ci=ci)
    console = env.console()
    for item in planned.files:
        beside = f" (replaces {item.replaces})" if item.replaces else ""
        console.print(f"{item.action.value:>9}  {item.path}{beside}", markup=False, highlight=False)
        if show_diff and item.action in (Action.CONFLICT, Action.OVERWRITE, Action.CREATE):
            console.print(item.diff(), markup=False, highlight=False, end="")
    if dry_run or show_diff:
        env.stderr.write("dry run: nothing was written\n")
        return
    if not planned.conflicts and not planned.writes:
        env.stderr.write("everything is up to date\n")
        return
    root = planned.root
    count = len(planned.writes)
    if not planned.conflicts and not yes and env.stdin_isatty and not click.confirm(f"Write {count} file(s) under {root}?", default=True):
        raise click.exceptions.Abort()
    backups = apply_init(planned)
    for backup in backups:
        env.stderr.write(f"kept a backup: {backup.relative_to(root)}\n")
    env.stderr.write(f"wrote {count} file(s); next: `migrate build {path}` or `migrate dev {path}` (see CONTAINERS.md)\n")

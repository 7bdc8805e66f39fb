"""``migrate destroy PATH``: delete what migrate created on AWS for the project (:mod:`migrate.deploy.workflow`)."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import pass_env
from migrate.cli.deploy_cmd import _confirm, _say
from migrate.environment import Environment


@click.command("destroy")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("-y", "--yes", is_flag=True, help="Delete without asking (needed when stdin is not a terminal).")
@click.option("--region", help="AWS region (default: migrate.toml, then the AWS chain).")
@pass_env
def command(env: Environment, path: Path, yes: bool, region: str | None) -> None:
    """Delete every AWS resource migrate created for the apps at PATH; anything else is left alone."""
    from migrate.deploy import workflow
    from migrate.deploy.aws import connect
    from migrate.deploy.plan import render

    project = workflow.load_project(path)
    aws = connect(region or project.config.region)
    plan = workflow.destroy(project, aws, workflow.network_of(aws, project.config),
                            confirm=_confirm(env, yes, "destroy", render), say=_say(env))
    if plan.count("delete") == 0:
        env.stdout.write(render(plan))
        _say(env)(f"nothing of {project.name} to delete")
        return
    _say(env)(f"destroyed {project.name} in {aws.region}")

"""``migrate destroy PATH``: delete what migrate created on AWS for the project (:mod:`migrate.deploy.workflow`)."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import pass_env
from migrate.cli.cutover_cmd import target_option
from migrate.cli.deploy_cmd import _confirm, _say
from migrate.environment import Environment
from migrate.errors import UserError


@click.command("destroy")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("-y", "--yes", is_flag=True, help="Delete without asking (needed when stdin is not a terminal).")
@click.option("--region", help="AWS region (default: migrate.toml, then the AWS chain).")
@target_option
@pass_env
def command(env: Environment, path: Path, yes: bool, region: str | None, target_kind: str | None) -> None:
    """Delete every resource migrate created for the apps at PATH on the target (AWS, or with --target local the
    local router, colours and network); anything else is left alone."""
    from migrate.cli.targets import target_kind as kind_of

    if kind_of(path, target_kind) == "local":
        _destroy_local(env, path, yes)
        return
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


def _destroy_local(env: Environment, path: Path, yes: bool) -> None:
    """Remove each web app's local cutover (router, colours, lock, network) after confirmation; images stay."""
    from migrate.containers import engine
    from migrate.containers.cutover import destroy_local, local_resources
    from migrate.deploy.workflow import load_project

    project = load_project(path)
    client = engine.connect()
    found = {plan.image: local_resources(client, project.name, plan.image) for plan in project.plans}
    found = {app: names for app, names in found.items() if names}
    if not found:
        _say(env)(f"nothing of {project.name} runs on the local target")
        return
    listing = "".join(f"{app}: delete {', '.join(names)}\n" for app, names in found.items())
    if not _confirm(env, yes, "destroy", lambda _: listing, "Delete these (the images stay)?")(found):
        raise UserError("nothing deleted")
    for app in found:
        destroy_local(client, project.name, app)
    _say(env)(f"destroyed the local cutover of {', '.join(found)}")

"""``migrate wizard PATH``: the interactive front door; every question also has a flag."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import pass_env
from migrate.cli.init_cmd import _parse_only
from migrate.config import STRATEGIES
from migrate.environment import Environment


def _per_app(key: str, values: tuple[str, ...]) -> dict[str, str]:
    """``APP=VALUE`` (or a bare VALUE for the only app, keyed ``*``) as question names -> answers."""
    answers: dict[str, str] = {}
    for value in values:
        app, sep, rest = value.partition("=")
        if not sep or not app or " " in app or "/" in app:
            app, rest = "*", value
        answers[f"{app}.{key}"] = rest
    return answers


@click.command("wizard")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--start", multiple=True, metavar="[APP=]COMMAND", help="An app's start command (repeatable).")
@click.option("--port", multiple=True, metavar="[APP=]PORT", help="The port an app listens on (repeatable).")
@click.option("--health-path", multiple=True, metavar="[APP=]PATH", help="An app's health check path (repeatable).")
@click.option("--runtime-version", multiple=True, metavar="[APP=]VERSION", help="An app's runtime version, e.g. 3.12 (repeatable).")
@click.option("--framework", multiple=True, metavar="[APP=]NAME", help="An app's framework, e.g. django, nextjs or none "
              "(repeatable; one inspect knows for its language).")
@click.option("--secret-vars", multiple=True, metavar="[APP=]NAME,NAME",
              help="The environment variables of an app that are secrets (repeatable; APP= for none).")
@click.option("--services", multiple=True, metavar="[APP=]KIND,KIND",
              help="The backing services the dev environment runs for an app, e.g. postgres,redis (repeatable; APP= for none).")
@click.option("--only", callback=_parse_only, default=None, metavar="LIST", help="Comma-separated outputs to write.")
@click.option("--github-repo", metavar="OWNER/REPO", help="With the ci output: the repository the deploy role trusts.")
@click.option("--branch", metavar="NAME", help="With the ci output: the branch that deploys.")
@click.option("--aws-account", metavar="ID", help="With the ci output: the AWS account (12 digits) of the deploy role.")
@click.option("--then", "then", type=click.Choice(["nothing", "build", "dev", "rehearse", "deploy"]),
              help="What to run once the files are written (default: ask; off a terminal, nothing).")
@click.option("--profile", metavar="NAME", help="With --then deploy: the AWS profile of this machine the deploy runs with "
              "(not saved: it is this machine's).")
@click.option("--region", metavar="REGION", help="With --then deploy: the AWS region (saved in migrate.toml).")
@click.option("--strategy", type=click.Choice(STRATEGIES),
              help="With --then deploy: how a new version takes the traffic (saved in migrate.toml).")
@click.option("--smoke", metavar="PATH,PATH", help="With --then deploy: paths the new version must answer through a test "
              "route before any traffic moves to it (saved in migrate.toml; empty: none).")
@click.option("--cluster", metavar="NAME", help="With --then deploy: an existing ECS cluster to run the services in, used "
              "as it is (default: the project's own, which migrate creates; saved in migrate.toml; empty: the project's own).")
@click.option("--vpc", metavar="VPC_ID", help="With --then deploy: an existing VPC to deploy into (default: the region's "
              "default VPC; saved in migrate.toml).")
@click.option("--subnets", metavar="SUBNET,SUBNET", help="With --vpc: its subnets (saved in migrate.toml).")
@click.option("--force", is_flag=True, help="Overwrite files that differ (a backup of each is kept).")
@click.option("-y", "--yes", is_flag=True, help="Take every default; ask nothing.")
@pass_env
def command(env: Environment, path: Path, start: tuple[str, ...], port: tuple[str, ...], health_path: tuple[str, ...],
            runtime_version: tuple[str, ...], framework: tuple[str, ...], secret_vars: tuple[str, ...], services: tuple[str, ...], only: tuple[str, ...], github_repo: str | None, branch: str | None, aws_account: str | None, then: str | None,
            profile: str | None, region: str | None, strategy: str | None, smoke: str | None, cluster: str | None, vpc: str | None, subnets: str | None, force: bool, yes: bool) -> None:
    """Walk through inspect -> corrections -> outputs -> preview -> write for the apps at PATH, then offer the
    next step: build, the dev environment, the cutover rehearsed here, or the deploy to AWS ECS."""
    from migrate.wizard.flow import WizardOptions, run_wizard

    answers: dict[str, object] = {**_per_app("start", start), **_per_app("port", port), **_per_app("health_path", health_path),
                                  **_per_app("runtime_version", runtime_version), **_per_app("framework", framework)}
    for key, values in (("secret_vars", secret_vars), ("services", services)):
        answers.update({name: tuple(part.strip() for part in value.split(",") if part.strip())
                        for name, value in _per_app(key, values).items()})
    flags = {"ci.repository": github_repo, "ci.branch": branch, "ci.aws_account": aws_account, "next": then,
             "deploy.profile": profile, "deploy.region": region, "deploy.strategy": strategy, "deploy.smoke": smoke, "deploy.cluster": cluster, "network.vpc": vpc, "network.subnets": subnets}
    answers.update({name: value for name, value in flags.items() if value is not None})
    if click.get_current_context().get_parameter_source("only") is click.core.ParameterSource.COMMANDLINE:
        answers["outputs"] = only
    status = run_wizard(env, WizardOptions(path, answers, yes=yes, force=force))
    if status:
        raise click.exceptions.Exit(status)  # the next step said why (its own one-line error)

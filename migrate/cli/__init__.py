"""The command line: a thin layer that parses, calls the core, and prints.

Each sub-command lives in its own module and is imported only when it runs,
so ``migrate --help`` never imports boto3, docker, jinja2 or rich. Errors are
mapped to exit codes here and nowhere else.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from typing import Any

import click

from migrate import __version__
from migrate.environment import Environment
from migrate.errors import ExitStatus, UserError

#: Sub-command name -> (``module`` or ``module:attribute``, the command there; one-line help shown by ``migrate --help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "inspect": ("migrate.cli.inspect_cmd", "Describe every app in a source tree, with evidence."),
    "init": ("migrate.cli.init_cmd", "Generate Dockerfile, compose, dev container and docs, safely."),
    "build": ("migrate.cli.build_cmd", "Build each app's image with the local Docker engine."),
    "dev": ("migrate.cli.dev_cmd", "Start (or --down: stop) the compose dev environment."),
    "deploy": ("migrate.cli.deploy_cmd", "Deploy to AWS ECS (Fargate), or rehearse here (--target local): plan, apply, move the traffic by weight."),
    "status": ("migrate.cli.cutover_cmd:status", "Where each web app stands: revision per colour, weights, health, URL."),
    "rollback": ("migrate.cli.cutover_cmd:rollback", "Back to the previous revision, with the same weighted shift."),
    "abort": ("migrate.cli.cutover_cmd:abort", "Stop a cutover in progress: traffic back on the old side, the new one stopped."),
    "wizard": ("migrate.cli.wizard_cmd", "Walk from source tree to generated files, asking what matters (the default on a terminal)."),
    "destroy": ("migrate.cli.destroy_cmd", "Delete everything migrate created for the project on the target (AWS, or local), after confirmation."),
}


class LazyGroup(click.Group):
    """A click group that imports a sub-command's module only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every sub-command name, in declaration order."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the sub-command ``cmd_name``."""
        if cmd_name not in COMMANDS:
            return None
        module_name, _, attribute = COMMANDS[cmd_name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute or "command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List sub-commands from :data:`COMMANDS` without importing them."""
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="migrate", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Take an app from "runs on a server" to containers, dev containers and AWS ECS.

    Start with `migrate inspect PATH` to see what migrate finds in your code.
    """
    ctx.ensure_object(Environment)
    if ctx.invoked_subcommand is None:  # plain `migrate`: the wizard on a terminal, else the overview
        wizard = cli.get_command(ctx, "wizard")
        if ctx.obj.stdin_isatty and wizard is not None:
            ctx.invoke(wizard)
        else:
            click.echo(ctx.get_help())


def main(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI; return (and, as a script, exit with) the process exit status."""
    env = env or Environment()
    status = run(argv, env)
    if argv is None:
        sys.exit(status)
    return status


def run(argv: list[str] | None, env: Environment) -> int:
    """Invoke the click group with ``env`` and map errors to exit codes."""
    try:
        with _streams(env):
            # Without standalone mode click hands a command's ``Exit(status)`` back as the return value.
            status = cli.main(args=argv, prog_name="migrate", standalone_mode=False, obj=env)
        if type(status) is int and status:
            return status
    except UserError as exc:
        env.stderr.write(f"migrate: error: {exc.message}\n")
        if exc.hint:
            env.stderr.write(f"hint: {exc.hint}\n")
        return int(exc.exit_status)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        env.stderr.write(f"migrate: error: {exc.format_message()}\n")
        return int(exc.exit_code)
    except click.exceptions.Abort:
        env.stderr.write("migrate: interrupted\n")
        return int(ExitStatus.INTERRUPTED)
    except KeyboardInterrupt:
        env.stderr.write("migrate: interrupted\n")
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitStatus.ERROR)
    return int(ExitStatus.OK)


@contextlib.contextmanager
def _streams(env: Environment) -> Iterator[None]:
    """Point ``sys.stdout``/``sys.stderr`` at the injected streams while click runs.

    Click prints ``--help`` and ``--version`` with ``click.echo`` to the process
    streams; without this they would bypass an injected :class:`Environment`.
    """
    with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
        yield


def pass_env(func: Any) -> Any:
    """Decorator: pass the injected :class:`Environment` as the first argument."""
    return click.pass_obj(func)

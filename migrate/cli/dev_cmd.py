"""``migrate dev PATH``: bring the compose dev environment up healthy, or take it down."""

from __future__ import annotations

from pathlib import Path

import click

from migrate.cli import pass_env
from migrate.environment import Environment
from migrate.errors import UserError


@click.command("dev")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--down", is_flag=True, help="Stop and remove the dev environment.")
@click.option("--volumes", is_flag=True, help="With --down: also delete the data volumes.")
@click.option("--timeout", default=600, show_default=True, help="Seconds to wait for every service to be healthy.")
@pass_env
def command(env: Environment, path: Path, down: bool, volumes: bool, timeout: int) -> None:
    """Start the apps and backing services of compose.yaml at PATH and wait until all are healthy.

    Prints where each service answers. `migrate dev PATH --down` stops it.
    """
    from migrate.containers import compose, engine
    from migrate.containers.targets import refuse_unknown_start_in_compose

    root = path.resolve()
    if not (root / "compose.yaml").is_file():
        raise UserError(f"{root / 'compose.yaml'}: no compose file", hint=f"generate one with `migrate init {path}`")
    if not down:
        refuse_unknown_start_in_compose(root)
    engine.connect()  # a clear error when no engine answers, before compose says something obscure
    command_ = compose.find_compose()
    if down:
        compose.down(command_, root, stream=env.stderr, volumes=volumes)
        env.stderr.write("dev environment stopped\n")
        return
    compose.up(command_, root, stream=env.stderr, timeout=timeout)
    for endpoint in compose.endpoints(command_, root):
        state = f" ({endpoint.health})" if endpoint.health else ""
        env.stdout.write(f"{endpoint.service:<16} {endpoint.url}{state}\n")
    env.stderr.write(f"stop with: migrate dev {path} --down\n")

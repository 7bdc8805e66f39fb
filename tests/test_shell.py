"""Start commands read as a shell runs them: steps first, then the server (:mod:`migrate.shell`)."""

from __future__ import annotations

import subprocess

import pytest

from migrate.generate.plan import command_argv
from migrate.shell import parse, program_offsets


@pytest.mark.parametrize(
    ("command", "steps", "server", "workdir"),
    [
        ("gunicorn app:app", (), "gunicorn app:app", ""),
        ("exec gunicorn app:app", (), "gunicorn app:app", ""),
        (
            "flask db upgrade; flask translate compile; gunicorn microblog:app",
            ("flask db upgrade", "flask translate compile"),
            "gunicorn microblog:app",
            "",
        ),
        ("cd backend && gunicorn app:app", ("cd backend",), "gunicorn app:app", "backend"),
        ("cd a && cd ../b/c; uvicorn m:app 2>&1 | tee log", ("cd a", "cd ../b/c"), "uvicorn m:app 2>&1", "b/c"),
        ("bin/start && exec bin/web -x", ("bin/start",), "bin/web -x", ""),
        ("nginx & gunicorn app:app", ("nginx",), "gunicorn app:app", ""),
        ("python -c 'print(1); print(2)' && node \"a;b.js\"", ("python -c 'print(1); print(2)'",), 'node "a;b.js"', ""),
        ("node $(echo a; echo b)", (), "node $(echo a; echo b)", ""),
        ("cd /srv && gunicorn app:app", ("cd /srv",), "gunicorn app:app", None),
        ("cd $APP_DIR && gunicorn app:app", ("cd $APP_DIR",), "gunicorn app:app", None),
        ("cd .. && gunicorn app:app", ("cd ..",), "gunicorn app:app", None),
        ("cd x\ngunicorn app:app", ("cd x",), "gunicorn app:app", "x"),
    ],
)
def test_the_last_command_is_the_server(command: str, steps: tuple[str, ...], server: str, workdir: str | None) -> None:
    line = parse(command)
    assert (line.steps, line.server, line.workdir) == (steps, server, workdir)


def test_the_program_skips_assignments_and_exec() -> None:
    line = parse("bin/migrate && PORT=5000 exec bin/web --flag")
    assert (line.words, line.program) == (("bin/web", "--flag"), "web")
    assert parse("cd src && gunicorn -c conf.py app:app").path("conf.py") == "src/conf.py"
    assert parse("cd /srv && gunicorn app:app").path("conf.py") is None


@pytest.mark.parametrize(
    ("command", "shell"),
    [
        ("flask db upgrade; gunicorn app:app", "flask db upgrade; exec gunicorn app:app"),
        ("cd backend && gunicorn app:app", "cd backend && exec gunicorn app:app"),
        ("migrate || true; A=1 B=$X gunicorn app:app", "migrate || true; A=1 B=$X exec gunicorn app:app"),
        ("gunicorn app:app --bind 0.0.0.0:$PORT", "exec gunicorn app:app --bind 0.0.0.0:$PORT"),
        ("rm -f x.pid && exec rails server", "rm -f x.pid && exec rails server"),
        ("while true; do work; done", "while true; do work; done"),
        ("uvicorn m:app 2>&1 | tee log", "exec uvicorn m:app 2>&1 | tee log"),
    ],
)
def test_a_shell_command_execs_its_last_command(command: str, shell: str) -> None:
    """The server replaces the shell (PID 1) and gets docker stop's SIGTERM; a shell would ignore it."""
    assert command_argv(command) == ("sh", "-c", shell)


def test_the_exec_form_runs_every_step_then_replaces_the_shell() -> None:
    """Run for real by sh: the steps run in order and the server has the shell's own pid (it replaced it)."""
    argv = command_argv('echo one; cd /tmp && echo two && A=3 sh -c \'echo "$A $PWD $$"\'')
    script = f'{argv[2]}\necho never'
    result = subprocess.run(["sh", "-c", f'echo "$$"; {script}'], capture_output=True, text=True, check=True)
    pid, one, two, last = result.stdout.split("\n")[:4]
    assert (one, two, last) == ("one", "two", f"3 /tmp {pid}") and "never" not in result.stdout


def test_each_command_names_its_program_where_it_starts() -> None:
    command = "A=1 app migrate && cd x; exec bin/web | tee log"
    assert [command[at:].split()[0] for at in program_offsets(command)] == ["app", "cd", "bin/web"]


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("REMAP_SIGTERM=SIGQUIT celery -A tasks worker", ("sh", "-c", "REMAP_SIGTERM=SIGQUIT exec celery -A tasks worker")),
        ("A=1 B=2 node server.js", ("sh", "-c", "A=1 B=2 exec node server.js")),
        ("celery -A tasks worker --opt=A=1", ("celery", "-A", "tasks", "worker", "--opt=A=1")),
    ],
)
def test_leading_assignments_are_read_by_a_shell(command: str, argv: tuple[str, ...]) -> None:
    """A Procfile's ``NAME=value cmd``: in exec form, docker would look for a program named ``NAME=value``."""
    assert command_argv(command) == argv

"""Whole wizard flows through prompt_toolkit's pipe input: keystrokes in, files out (no Docker)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from migrate.cli import run
from migrate.config import load_config
from migrate.environment import Environment

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ENTER, CLEAR, CTRL_C = "\r", "\x15", "\x03"  # Ctrl-U clears the prefilled default
DOWN, SPACE = "\x1b[B", " "


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _copy(tmp_path: Path, example: str) -> Path:
    root = tmp_path / example
    shutil.copytree(EXAMPLES / example, root)
    return root


def _wizard(argv: list[str], keys: str, *, tty: bool = True) -> tuple[int, str, str]:
    """Run `migrate ARGV` with ``keys`` typed at the prompts; returns (status, stdout, stderr).

    One more Enter follows ``keys``: it answers the last question, "What next?", with its default (nothing).
    """
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, stdin=_Terminal() if tty else io.StringIO(), width=100, no_color=True)
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text(keys + (ENTER if keys else ""))
        status = run(argv, env)
    return status, out.getvalue(), err.getvalue()


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def flask(tmp_path: Path) -> Iterator[Path]:
    yield _copy(tmp_path, "python-flask-postgres")


def test_python_app_with_postgres_takes_the_detected_answers(flask: Path) -> None:
    # start, port, health path, python version, framework, secrets, services: Enter keeps each; outputs: Enter keeps all;
    # write: Enter (yes)
    status, out, err = _wizard(["wizard", str(flask)], ENTER * 9 + "y")
    assert status == 0, err
    assert "DATABASE_URL" in out and "requirements.txt:3" in out  # the facts, with their evidence
    assert {"Dockerfile", "compose.yaml", ".devcontainer/devcontainer.json", "migrate.toml"} <= _files(flask)
    assert "postgres:16" in (flask / "compose.yaml").read_text()
    toml = (flask / "migrate.toml").read_text()
    assert "port = 8000" in toml and 'health_path = "/health"' in toml


def test_a_corrected_start_command_and_port_reach_the_dockerfile(flask: Path) -> None:
    keys = CLEAR + "waitress-serve --port=5001 notes:app" + ENTER + CLEAR + "5001" + ENTER + ENTER + ENTER * 4 + ENTER + "y"
    status, _, err = _wizard(["wizard", str(flask)], keys)
    assert status == 0, err
    dockerfile = (flask / "Dockerfile").read_text()
    assert 'CMD ["waitress-serve", "--port=5001", "notes:app"]' in dockerfile
    assert "EXPOSE 5001" in dockerfile and "EXPOSE 8000" not in dockerfile
    assert "5001" in (flask / "compose.yaml").read_text()


def test_a_second_run_starts_from_the_saved_answers_and_keeps_the_users_comments(flask: Path) -> None:
    assert _wizard(["wizard", str(flask)], CLEAR + "waitress-serve notes:app" + ENTER + CLEAR + "5001" + ENTER * 7 + "y")[0] == 0
    config = flask / "migrate.toml"
    config.write_text("# my own note\n" + config.read_text().replace("cpu = 256", "cpu = 512  # we need more"))
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 9)  # every default: the saved answers; nothing changes
    assert status == 0, err
    assert "everything is up to date" in err
    text = config.read_text()
    assert text.startswith("# my own note\n") and "cpu = 512  # we need more" in text
    assert "EXPOSE 5001" in (flask / "Dockerfile").read_text()


def test_corrected_runtime_version_secrets_and_services_reach_the_files_and_a_second_run_starts_from_them(flask: Path) -> None:
    # start, port, health: Enter; python version: 3.11; secrets: Space unchecks DATABASE_URL (SECRET_KEY stays); services (elasticsearch,
    # kafka, mongodb, mysql, postgres, rabbitmq, redis): postgres unchecked, redis checked; outputs: Enter; write: y
    keys = ENTER * 3 + CLEAR + "3.11" + ENTER + ENTER + SPACE + ENTER + DOWN * 4 + SPACE + DOWN * 2 + SPACE + ENTER + ENTER + "y"
    status, _, err = _wizard(["wizard", str(flask)], keys)
    assert status == 0, err
    assert "FROM python:3.11-slim" in (flask / "Dockerfile").read_text()
    compose = (flask / "compose.yaml").read_text()
    assert "redis:7" in compose and "postgres:16" not in compose
    assert "Secrets this app reads (pass them at run time, never bake them into the image):\n`SECRET_KEY`." in (flask / "CONTAINERS.md").read_text()
    settings = load_config(flask).app("python-flask-postgres")
    assert (settings.runtime_version, settings.secret_vars, settings.services) == ("3.11", ("SECRET_KEY",), ("redis",))

    # A second run offers the saved answers: Enter through it all changes nothing.
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 9)
    assert status == 0, err
    assert "everything is up to date" in err
    # Answering what inspect found again removes the correction from migrate.toml.
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 3 + CLEAR + "3.12" + ENTER + ENTER + SPACE + ENTER + DOWN * 4 + SPACE
                             + DOWN * 2 + SPACE + ENTER + ENTER + "y" + "y")
    assert status == 0, err
    settings = load_config(flask).app("python-flask-postgres")
    # (inspect now also finds redis, in the compose.yaml the first run wrote: postgres alone is a correction)
    assert (settings.runtime_version, settings.secret_vars, settings.services) == (None, None, ("postgres",))
    compose = (flask / "compose.yaml").read_text()
    assert "postgres:16" in compose and "redis:7" not in compose


def test_the_new_facts_have_flags_off_a_terminal(flask: Path) -> None:
    status, _, err = _wizard(["wizard", str(flask), "--runtime-version", "3.13", "--secret-vars", "SECRET_KEY,API_TOKEN",
                              "--services", "postgres,redis", "--only", "dockerfile,compose"], "", tty=False)
    assert status == 0, err
    assert "FROM python:3.13-slim" in (flask / "Dockerfile").read_text()
    compose = (flask / "compose.yaml").read_text()
    assert "redis:7" in compose and "postgres:16" in compose
    # API_TOKEN, which inspect did not find, is kept (init adds it as a secret the app needs).
    assert load_config(flask).app("python-flask-postgres").secret_vars == ("SECRET_KEY", "API_TOKEN")
    status, _, err = _wizard(["wizard", str(flask), "--services", "mongo"], "", tty=False)
    assert status != 0 and "services item 1 must be one of elasticsearch, kafka, mongodb" in err and "Traceback" not in err


def test_no_secret_at_all_is_an_answer_a_second_run_keeps(flask: Path) -> None:
    status, _, err = _wizard(["wizard", str(flask), "--secret-vars", "", "--only", "docs"], "", tty=False)
    assert status == 0, err
    assert load_config(flask).app("python-flask-postgres").secret_vars == ()
    status, _, err = _wizard(["wizard", str(flask), "--only", "docs"], ENTER * 7)  # Enter keeps every saved answer
    assert status == 0, err
    assert "everything is up to date" in err and load_config(flask).app("python-flask-postgres").secret_vars == ()


def test_an_existing_file_is_overwritten_only_with_consent(flask: Path) -> None:
    (flask / "Dockerfile").write_text("FROM scratch\n")
    status, out, err = _wizard(["wizard", str(flask)], ENTER * 8 + "n")  # refuse the overwrite
    assert status != 0 and "nothing was written" in err
    assert (flask / "Dockerfile").read_text() == "FROM scratch\n" and not (flask / "compose.yaml").exists()
    assert "-FROM scratch" in out  # the preview is init's diff
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 8 + "y" + "y")
    assert status == 0, err
    assert (flask / "Dockerfile.migrate-backup").read_text() == "FROM scratch\n"


def test_ctrl_c_midway_writes_nothing(flask: Path) -> None:
    before = _files(flask)
    status, _, err = _wizard(["wizard", str(flask)], ENTER + CTRL_C)
    assert status == 130 and "interrupted" in err
    assert _files(flask) == before


def test_a_node_app(tmp_path: Path) -> None:
    root = _copy(tmp_path, "node-express-redis")
    status, _, err = _wizard(["wizard", str(root)], ENTER * 9 + "y")
    assert status == 0, err
    assert "FROM node:" in (root / "Dockerfile").read_text() and "redis:7" in (root / "compose.yaml").read_text()


def test_a_monorepo_asks_per_app_and_saves_each(tmp_path: Path) -> None:
    root = _copy(tmp_path, "microservices-shop")
    status, _, err = _wizard(["wizard", str(root), "--yes"], "")
    assert status != 0 and "pass --force" in err  # --yes takes defaults; it does not overwrite their docker-compose.yml
    assert not (root / "migrate.toml").exists()
    status, _, err = _wizard(["wizard", str(root), "--yes", "--force", "--port", "gateway=8081"], "")
    assert status == 0, err
    config = load_config(root)
    assert set(config.apps) == {"catalog", "gateway", "orders"}
    assert config.app("gateway").port == 8081 and all(s.start and s.port for s in config.apps.values())
    assert "EXPOSE 8081" in (root / "services/gateway/Dockerfile").read_text()
    assert (root / "docker-compose.yml.migrate-backup").exists()


def test_without_a_terminal_flags_and_defaults_answer(flask: Path) -> None:
    status, _, err = _wizard(["wizard", str(flask), "--port", "5002", "--only", "dockerfile"], "", tty=False)
    assert status == 0, err
    assert "EXPOSE 5002" in (flask / "Dockerfile").read_text()
    assert not (flask / "compose.yaml").exists()


def test_without_a_terminal_a_missing_answer_names_its_flag(tmp_path: Path) -> None:
    root = _copy(tmp_path, "node-no-start")
    before = _files(root)
    status, _, err = _wizard(["wizard", str(root)], "", tty=False)
    assert status != 0
    last = err.strip().splitlines()[-1]
    assert last == "migrate: error: no answer for link-shortener: start command (stdin is not a terminal); " \
        "pass --start link-shortener=COMMAND", err
    assert "Traceback" not in err
    assert _files(root) == before


def test_plain_migrate_on_a_terminal_starts_the_wizard(flask: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(flask)
    status, _, err = _wizard([], ENTER * 9 + "y")
    assert status == 0, err
    assert (flask / "Dockerfile").exists()
    assert _wizard([], "", tty=False)[1].startswith("Usage:")


def test_choosing_the_ci_output_asks_what_the_role_needs_writes_the_workflow_and_remembers_it(flask: Path) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(flask), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(flask), "remote", "add", "origin", "git@github.com:acme/notes.git"], check=True)
    # start, port, health, version, framework, secrets, services: Enter; outputs: down to "ci" (the 8th), Space, Enter;
    # repository (from the remote) and branch: Enter; account: typed; write: y
    keys = ENTER * 7 + DOWN * 7 + SPACE + ENTER + ENTER * 2 + "123456789012" + ENTER + "y"
    status, _, err = _wizard(["wizard", str(flask)], keys)
    assert status == 0, err
    workflow = (flask / ".github/workflows/migrate.yml").read_text()
    assert "role-to-assume" in workflow and "docker compose run --rm --build python-flask-postgres" in workflow
    trust = (flask / ".github/migrate/deploy-role.trust.json").read_text()
    assert "repo:acme/notes:ref:refs/heads/main" in trust and "arn:aws:iam::123456789012:oidc-provider" in trust
    saved = load_config(flask).ci
    assert (saved.provider, saved.repository, saved.branch, saved.aws_account) == ("github", "acme/notes", "main", "123456789012")
    # A second run starts from migrate.toml: ci is checked, the answers are the saved ones; Enter through it all.
    (flask / ".github/workflows/migrate.yml").unlink()
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 8 + ENTER * 3 + "y")
    assert status == 0, err
    assert (flask / ".github/workflows/migrate.yml").read_text() == workflow


def test_the_ci_output_off_a_terminal_names_the_account_flag(flask: Path) -> None:
    status, _, err = _wizard(["wizard", str(flask), "--only", "dockerfile,compose,ci", "--github-repo", "acme/notes"], "", tty=False)
    assert status != 0 and "--aws-account" in err and "Traceback" not in err
    assert not (flask / ".github").exists()
    status, _, err = _wizard(["wizard", str(flask), "--only", "dockerfile,compose,ci", "--github-repo", "acme/notes",
                              "--aws-account", "123456789012"], "", tty=False)
    assert status == 0, err
    assert (flask / ".github/migrate/deploy-role.permissions.json").is_file()




@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """The commands the wizard's next step runs (each as `migrate ARGV` would), recorded instead of run, with the AWS
    profile each ran with (``AWS_PROFILE=NAME`` appended when set). No AWS files of this machine's are read."""
    ran: list[list[str]] = []
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def record(argv: list[str], env: Environment) -> int:
        import os

        ran.append([*argv, *([f"AWS_PROFILE={os.environ['AWS_PROFILE']}"] if "AWS_PROFILE" in os.environ else [])])
        return 3 if "--strategy" in argv and "canary" in argv else 0

    monkeypatch.setattr("migrate.cli.run", record)
    return ran


def test_after_writing_the_rehearsal_is_offered_and_run_as_its_command(flask: Path, steps: list[list[str]]) -> None:
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 9 + DOWN * 3)  # ...write: yes; next: the 4th, rehearse
    assert status == 0, err
    assert steps == [["deploy", str(flask), "--target", "local"]]
    assert f"running: migrate deploy {flask} --target local" in err


def test_the_deploy_step_saves_region_and_strategy_and_exits_with_the_deploys_status(
        flask: Path, steps: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")  # the user's AWS configuration: the default region
    # next: deploy (the 5th); region: keep eu-central-1; strategy: the 2nd, canary; smoke test: two paths; cluster: the
    # project's own; VPC: none
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 9 + DOWN * 4 + ENTER + ENTER + DOWN + ENTER + CLEAR + "/health,/notes" + ENTER * 3)
    assert status == 3, (steps, err)  # the deploy's own status
    assert steps == [["deploy", str(flask), "--target", "ecs", "--region", "eu-central-1", "--strategy", "canary"]]
    config = load_config(flask)
    assert (config.region, config.deploy.strategy, config.deploy.smoke) == ("eu-central-1", "canary", ("/health", "/notes"))
    assert config.cluster is None
    assert "[project], [deploy]" in err


def test_the_deploy_step_can_name_an_existing_cluster_and_take_it_back(flask: Path, steps: list[list[str]]) -> None:
    argv = ["wizard", str(flask), "--yes", "--then", "deploy", "--region", "us-east-2"]
    status, _, err = _wizard([*argv, "--cluster", "platform"], "")
    assert status == 0 and load_config(flask).cluster == "platform", err
    status, _, err = _wizard([*argv], "")  # the saved answer is the default
    assert status == 0 and load_config(flask).cluster == "platform", err
    assert "CI deploy role" not in err  # no CI workflow here
    status, _, err = _wizard([*argv, "--cluster", "arn:aws:ecs:us-east-2:123456789012:cluster/platform"], "")
    assert status == 1 and "an ECS cluster's name (letters, digits, - and _)" in err
    with (flask / "migrate.toml").open("a") as toml:
        toml.write('\n[ci]\nprovider = "github"\nrepository = "acme/notes"\nbranch = "main"\naws_account = "123456789012"\n')
    status, _, err = _wizard([*argv, "--cluster", ""], "")  # emptied: the project's own cluster again
    assert status == 0 and load_config(flask).cluster is None, err
    # The CI role's permissions name the cluster: the file that holds them is to be written again.
    assert f"`migrate init {flask} --only ci --force` writes .github/migrate/deploy-role.permissions.json again" in err
    assert not [line for line in (flask / "migrate.toml").read_text().splitlines() if line.startswith("cluster")]


def test_off_a_terminal_the_deploy_step_needs_its_flags_and_yes_reaches_the_deploy(
        flask: Path, steps: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    status, _, err = _wizard(["wizard", str(flask), "--then", "deploy"], "", tty=False)
    assert status == 1 and err.strip().splitlines()[-1] == "migrate: error: no answer for AWS region (stdin is not a terminal); pass --region"
    assert steps == []
    status, _, err = _wizard(["wizard", str(flask), "--yes", "--then", "deploy", "--region", "us-east-2", "--strategy", "blue-green"], "")
    assert status == 0, err
    assert steps == [["deploy", str(flask), "--target", "ecs", "--region", "us-east-2", "--strategy", "blue-green", "--yes"]]
    assert load_config(flask).network.vpc is None  # no --vpc: the region's default VPC
    assert load_config(flask).deploy.smoke is None  # no --smoke: no smoke test, and nothing written
    status, _, err = _wizard(["wizard", str(flask), "--yes", "--then", "deploy", "--region", "us-east-2", "--smoke", "/health"], "")
    assert status == 0 and load_config(flask).deploy.smoke == ("/health",), err
    status, _, err = _wizard(["wizard", str(flask), "--yes", "--then", "deploy", "--region", "us-east-2", "--smoke", ""], "")
    assert status == 0 and load_config(flask).deploy.smoke == (), err  # emptied: the earlier answer is cleared
    status, _, err = _wizard(["wizard", str(flask), "--yes", "--then", "deploy", "--region", "us-east-2", "--smoke", "health"], "")
    assert status == 1 and "--smoke health: URL paths starting with /" in err


def test_the_deploy_step_can_name_an_existing_vpc_and_its_subnets(flask: Path, steps: list[list[str]]) -> None:
    argv = ["wizard", str(flask), "--yes", "--then", "deploy", "--region", "us-east-2", "--strategy", "ecs-canary"]
    status, _, err = _wizard([*argv, "--vpc", "vpc-0abc12", "--subnets", "subnet-1a, subnet-2b"], "")
    assert status == 0, err
    config = load_config(flask)
    assert (config.network.vpc, config.network.subnets, config.deploy.strategy) == ("vpc-0abc12", ("subnet-1a", "subnet-2b"), "ecs-canary")
    status, _, err = _wizard([*argv, "--vpc", "my-vpc"], "")
    assert status == 1 and "a VPC id (vpc-...), or nothing for the region's default VPC" in err
    status, _, err = _wizard([*argv, "--vpc", "vpc-0abc12", "--subnets", "nope"], "")
    assert status == 1 and "subnet ids (subnet-...), comma-separated" in err


UP = "\x1b[A"


def test_a_corrected_framework_reaches_the_files_and_a_second_run_starts_from_it(tmp_path: Path) -> None:
    root = _copy(tmp_path, "node-express-redis")
    # start, port, health, node version: Enter; framework: from express (9th of node's) up to nextjs (1st); the rest: Enter
    status, _, err = _wizard(["wizard", str(root)], ENTER * 4 + UP * 8 + ENTER + ENTER * 4 + "y")
    assert status == 0, err
    dockerfile = (root / "Dockerfile").read_text()
    assert "RUN next build" in dockerfile and 'CMD ["next", "dev", "--hostname", "0.0.0.0", "--port", "3000"]' in dockerfile
    assert load_config(root).app("orders-api").framework == "nextjs"
    status, _, err = _wizard(["wizard", str(root)], ENTER * 9)  # the saved answer is the default now
    assert status == 0 and "everything is up to date" in err, err
    # Answering what inspect found again removes the correction, and the files follow.
    status, _, err = _wizard(["wizard", str(root)], ENTER * 4 + DOWN * 8 + ENTER + ENTER * 3 + "y" + "y")
    assert status == 0, err
    assert load_config(root).app("orders-api").framework is None
    assert "next build" not in (root / "Dockerfile").read_text()


def test_the_framework_has_a_flag_held_to_the_apps_language(flask: Path) -> None:
    status, _, err = _wizard(["wizard", str(flask), "--framework", "fastapi", "--only", "dockerfile"], "", tty=False)
    assert status == 0, err
    assert load_config(flask).app("python-flask-postgres").framework == "fastapi"
    status, _, err = _wizard(["wizard", str(flask), "--framework", "rails"], "", tty=False)
    assert status == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("migrate: error: --framework python-flask-postgres=NAME rails: one of django, fastapi")
    # Written by hand in migrate.toml, another language's framework is refused before anything is written.
    config = flask / "migrate.toml"
    config.write_text(config.read_text().replace('framework = "fastapi"', 'framework = "nextjs"'))
    status, _, err = _wizard(["wizard", str(flask), "--yes", "--force"], "")
    assert status == 1 and "apps.python-flask-postgres.framework 'nextjs' is not a python framework" in err, err


def test_the_deploy_step_asks_which_of_this_machines_aws_profiles_and_does_not_save_it(
        flask: Path, steps: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = us-east-1\n\n[profile staging]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    # next: deploy (the 5th); profile: default -> staging (Down); region: staging's, kept; strategy: kept; smoke: none;
    # VPC: none
    status, _, err = _wizard(["wizard", str(flask)], ENTER * 9 + DOWN * 4 + ENTER + DOWN + ENTER + ENTER + ENTER + ENTER + ENTER)
    assert status == 0, (steps, err)
    assert steps == [["deploy", str(flask), "--target", "ecs", "--region", "eu-north-1", "--strategy", "blue-green",
                      "AWS_PROFILE=staging"]]
    assert "(AWS profile staging)" in err and "AWS_PROFILE" not in os.environ  # only for the deploy it ran
    assert "staging" not in (flask / "migrate.toml").read_text()  # this machine's: CI assumes its own role
    status, _, err = _wizard(["wizard", str(flask), "--yes", "--then", "deploy", "--profile", "prod", "--strategy", "canary"], "")
    assert status == 1 and "--profile prod: one of this machine's profiles: default, staging" in err
    # AWS_PROFILE naming a profile this machine lacks: the question defaults to one it has, no traceback.
    monkeypatch.setenv("AWS_PROFILE", "gone")
    status, _, err = _wizard(["wizard", str(flask), "--yes", "--then", "deploy", "--strategy", "blue-green"], "")
    assert status == 0 and "Traceback" not in err, err
    assert steps[-1][-1] == "AWS_PROFILE=default"

"""Every question the wizard asks, declared once: name, help, kind, default, choices, validator, flag."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from migrate.init import DEFAULT_OUTPUTS, OUTPUTS

Kind = Literal["text", "confirm", "checkbox", "select"]


@dataclass(frozen=True)
class Question:
    """One question; ``flag`` is the command-line option that answers it without asking."""

    name: str
    message: str
    help: str
    kind: Kind
    flag: str
    default: Any = None
    choices: tuple[str, ...] = ()
    #: Returns a problem to show (the answer is asked again), or None when the answer is good.
    validate: Callable[[str], str | None] | None = None


def _port(value: str) -> str | None:
    return None if value.isdigit() and 1 <= int(value) <= 65535 else "a port is a whole number from 1 to 65535"


def _path(value: str) -> str | None:
    return None if value.startswith("/") and not any(c.isspace() for c in value) else "a path starts with / and has no spaces"


def _command(value: str) -> str | None:
    return None if value.strip() and "\n" not in value else "one command line, not empty"


def app_questions(app: str, start: str | None, port: int | None, health: str | None) -> tuple[Question, ...]:
    """The facts of app ``app`` that matter, each defaulting to what was detected (or saved)."""
    return (
        Question(f"{app}.start", f"{app}: start command", "the command the container runs (its CMD)", "text",
                 f"--start {app}=COMMAND", start or "", validate=_command),
        Question(f"{app}.port", f"{app}: port it listens on", "the port the app serves HTTP on", "text",
                 f"--port {app}=PORT", "" if port is None else str(port), validate=_port),
        Question(f"{app}.health_path", f"{app}: health check path", "a path that answers 200 when the app is up", "text",
                 f"--health-path {app}=PATH", health or "/", validate=_path),
    )


#: A runtime version the wizard offers to correct (the base image's tag): ``3.12``, ``20``, ``1.22.5``.
VERSION = re.compile(r"\d+(\.\d+){0,2}")


def runtime_question(app: str, language: str, version: str) -> Question:
    """The runtime's version, defaulting to the detected (or saved) one."""
    return Question(f"{app}.runtime_version", f"{app}: {language} version", "the base images' tag, e.g. 3.12 or 20", "text",
                    f"--runtime-version {app}=VERSION", version,
                    validate=lambda v: None if VERSION.fullmatch(v) else "a version such as 3.12 or 20")


def framework_question(app: str, frameworks: tuple[str, ...], current: str) -> Question:
    """The app's framework among those inspect knows for its language (``none``: it uses none): what the files assume
    (how it builds, its dev server, its health check)."""
    choices = (*frameworks, "none")
    return Question(f"{app}.framework", f"{app}: framework", "what the generated files assume: its build, dev server and "
                    "health check", "select", f"--framework {app}=NAME", current, choices=choices,
                    validate=lambda v: None if v in choices else f"one of {', '.join(choices)}")


def secrets_question(app: str, names: tuple[str, ...], secret: tuple[str, ...]) -> Question:
    """Which of the app's environment variables are secrets (never given a value in generated files)."""
    return Question(f"{app}.secret_vars", f"{app}: which variables are secrets?",
                    "space toggles; a secret gets no value in .env or compose, and is stored encrypted on deploy", "checkbox",
                    f"--secret-vars {app}=NAME,NAME", secret, choices=names)


def services_question(app: str, kinds: tuple[str, ...], chosen: tuple[str, ...]) -> Question:
    """The backing services the dev environment runs beside the app."""
    return Question(f"{app}.services", f"{app}: backing services to run locally",
                    "space toggles; compose runs each one beside the app, wired through its environment", "checkbox",
                    f"--services {app}=KIND,KIND", chosen, choices=kinds)


OUTPUTS_QUESTION = Question("outputs", "Which files should migrate write?",
                            "the outputs `migrate init` knows (ci: the GitHub Actions workflow and its deploy role)", "checkbox",
                            "--only", DEFAULT_OUTPUTS, choices=OUTPUTS)


def _matching(pattern: str, what: str) -> Callable[[str], str | None]:
    return lambda value: None if re.fullmatch(pattern, value) else what


def ci_questions(repository: str | None, branch: str, account: str | None) -> tuple[Question, ...]:
    """What the CI workflow needs: the GitHub repository and branch the deploy role trusts, and the AWS account."""
    return (
        Question("ci.repository", "GitHub repository the deploy role trusts (OWNER/REPO)", "from the origin remote when it is GitHub",
                 "text", "--github-repo", repository or "",
                 validate=_matching(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}", "OWNER/REPO, e.g. acme/shop")),
        Question("ci.branch", "Branch that deploys", "pushes to it deploy; pull requests only test and build", "text", "--branch",
                 branch, validate=_matching(r"[A-Za-z0-9._/-]+", "a branch name")),
        Question("ci.aws_account", "AWS account id the deploy role lives in", "12 digits", "text", "--aws-account", account or "",
                 validate=_matching(r"\d{12}", "an AWS account id is 12 digits")),
    )


def write_question(count: int, root: str) -> Question:
    """The consent to write (and, with conflicts, overwrite) the planned files."""
    return Question("write", f"Write {count} file(s) under {root}?", "nothing is written without it", "confirm", "--yes", True)


#: What the wizard offers once the files are written, in the order a person takes them.
NEXT_STEPS = ("nothing", "build", "dev", "rehearse", "deploy")

NEXT_QUESTION = Question(
    "next", "What next?",
    "build: the images here; dev: the compose dev environment; rehearse: the zero-downtime cutover on this machine "
    "(--target local, behind HAProxy); deploy: to AWS ECS (the plan first, then your go)",
    "select", "--then", "nothing", choices=NEXT_STEPS)


def profile_question(profiles: tuple[str, ...], current: str) -> Question:
    """The AWS profile the deploy runs with, among this machine's (its AWS config and credentials files)."""
    return Question("deploy.profile", "AWS profile", "this machine's credentials for the deploy (not saved: CI assumes "
                    "its own role)", "select", "--profile", current, choices=profiles,
                    validate=lambda v: None if v in profiles else f"one of this machine's profiles: {', '.join(profiles)}")


def deploy_questions(region: str | None, strategy: str) -> tuple[Question, ...]:
    """Where and how to deploy: the AWS region, and how a new version takes the traffic."""
    from migrate.config import STRATEGIES

    return (
        Question("deploy.region", "AWS region", "from migrate.toml, else your AWS configuration", "text", "--region", region or "",
                 validate=_matching(r"[a-z]{2}(-[a-z]+)+-\d", "an AWS region, e.g. eu-west-1")),
        Question("deploy.strategy", "How a new version takes the traffic",
                 "blue-green: all at once after its health check; canary: in steps; rolling: ECS's own update; "
                 "ecs-*: ECS's own traffic shifting, followed by migrate", "select",
                 "--strategy", strategy, choices=STRATEGIES),
    )


def _smoke(value: str) -> str | None:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if any(not part.startswith("/") or any(c.isspace() for c in part) for part in parts):
        return "URL paths starting with /, comma-separated (or nothing for no smoke test)"
    return None if len(set(parts)) == len(parts) else "each path once"


def smoke_question(paths: tuple[str, ...]) -> Question:
    """The paths a new version must answer through a test route before any traffic moves to it (none: no smoke test)."""
    return Question("deploy.smoke", "Smoke test paths (comma-separated; empty: none)",
                    "each must answer 2xx or 3xx from the new version, reached through a test route, before any traffic "
                    "moves to it", "text", "--smoke", ",".join(paths), validate=_smoke)


def _vpc(value: str) -> str | None:
    from migrate.config import VPC_ID

    return None if not value or VPC_ID.fullmatch(value) else "a VPC id (vpc-...), or nothing for the region's default VPC"


def _subnets(value: str) -> str | None:
    from migrate.config import SUBNET_ID

    parts = [part.strip() for part in value.split(",") if part.strip()]
    good = parts and all(SUBNET_ID.fullmatch(part) for part in parts)
    return None if good else "subnet ids (subnet-...), comma-separated: the VPC's subnets the tasks and the load balancer use"


def _cluster(value: str) -> str | None:
    from migrate.config import CLUSTER_NAME

    return None if not value or CLUSTER_NAME.fullmatch(value) else "an ECS cluster's name (letters, digits, - and _), or nothing for the project's own"


def cluster_question(cluster: str | None) -> Question:
    """The ECS cluster the services run in: an existing one (someone else's, used as it is), or the project's own."""
    return Question("deploy.cluster", "ECS cluster to run in (empty: the project's own, which migrate creates)",
                    "an existing cluster's name: migrate runs the services there and never changes or deletes it",
                    "text", "--cluster", cluster or "", validate=_cluster)


def network_questions(vpc: str | None, subnets: tuple[str, ...]) -> tuple[Question, Question]:
    """The network the services run in: an existing VPC and its subnets, or (no VPC) the region's default VPC."""
    return (
        Question("network.vpc", "VPC to deploy into (empty: the region's default VPC)",
                 "an existing VPC's id; migrate creates none", "text", "--vpc", vpc or "", validate=_vpc),
        Question("network.subnets", "Its subnets (comma-separated, in two zones or more)",
                 "the load balancer and the tasks run in these", "text", "--subnets", ",".join(subnets), validate=_subnets),
    )

"""``migrate.toml``: the user's deploy settings, kept in their repository beside the code.

Written once by ``migrate init`` (only when absent, never overwritten), read by ``migrate deploy``
and ``migrate destroy``; flags override it. Every key is checked: an unknown key or a bad value is
one line naming the key and the file, never a traceback or a silently ignored typo.

    [project]
    name = "shop"                  # prefix of every AWS resource's name
    region = "eu-west-1"           # optional: else the AWS chain's region
    certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/..."  # optional: HTTPS on 443, port 80 redirects
    cluster = "platform"           # optional: an existing ECS cluster to run the services in (used as is: never
                                   # created, changed or deleted by migrate); else the project's own, named after it
    provision = ["postgres", "redis"]  # optional: create the databases (RDS: "postgres", "mysql") and Redis (ElastiCache) the apps use, wired to them

    [deploy]                       # optional: how a new version takes the traffic
    target = "ecs"                 # or "local": the same cutover on this machine's Docker, behind HAProxy
    strategy = "blue-green"        # or "canary" (weighted steps), "rolling" (ECS's own rolling update),
                                   # "ecs-blue-green", "ecs-canary", "ecs-linear" (ECS's own traffic shifting)
    canary_steps = [10, 50, 100]   # the new version's share after each step
    bake = 60                      # seconds each canary step is watched before the next
    final_bake = 120               # seconds at 100 % with the old version still warm (rollback is a weight flip)
    drain = 30                     # seconds the old version finishes open requests before it stops
    ready_timeout = 600            # seconds the new version may take to become healthy
    smoke = ["/healthz"]           # optional: paths the new version must answer (2xx or 3xx) through a test
                                   # route (header X-Migrate-Side) before any traffic moves to it

    [ci]                           # optional: the CI/CD workflow (`migrate init --ci github`, the wizard) and its deploy role
    provider = "github"            # init writes .github/workflows/migrate.yml again on each run
    repository = "acme/shop"       # the repository the role trusts (default: the origin remote)
    branch = "main"                # the branch that deploys
    aws_account = "123456789012"   # the account the role lives in

    [network]                      # optional: else the region's default VPC and subnets
    vpc = "vpc-0abc"
    subnets = ["subnet-1", "subnet-2"]
    assign_public_ip = true        # false in private subnets behind a NAT gateway

    [apps.api]                     # one table per app (its image name, as `migrate inspect` shows it)
    cpu = 512                      # Fargate CPU units
    memory = 1024                  # MiB
    desired_count = 2
    min_tasks = 2
    max_tasks = 10
    port = 8000                    # overrides the one inspect found (needed when it found none)
    paths = ["/api/*"]             # load balancer path rules when several apps share it
    health_path = "/healthz"       # overrides the one inspect found
    environment = { LOG_LEVEL = "info" }
    secrets = { DATABASE_URL = "/shop/api/DATABASE_URL" }  # variable -> secret ARN or SSM parameter name
    secrets_file = ".env.production"  # a dotenv file (keep it out of git): each value stored by migrate, encrypted
    release = "python manage.py migrate"  # the release step; "" for none (default: the one inspect found)
    start = "gunicorn app:app"     # overrides the start command inspect found (the Dockerfile's CMD)
    framework = "flask"            # overrides the framework inspect found ("none": the app uses none)

The network is the project's, not an app's: the apps share one load balancer, which lives in one VPC.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.errors import UserError

CONFIG_FILE = "migrate.toml"
#: Backing services ``migrate deploy`` can create in the cloud (``provision``).
PROVISIONABLE = ("postgres", "mysql", "redis")
#: Where ``migrate deploy`` runs the apps, and how a new version takes the traffic.
TARGETS = ("ecs", "local")
#: What AWS's VPC and subnet ids look like ([network] vpc and subnets, the wizard's --vpc and --subnets).
VPC_ID = re.compile(r"vpc-[0-9a-f]+")
SUBNET_ID = re.compile(r"subnet-[0-9a-f]+")
#: What ECS accepts as a cluster's name ([project] cluster, the wizard's --cluster).
CLUSTER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
STRATEGIES = ("blue-green", "canary", "rolling", "ecs-blue-green", "ecs-canary", "ecs-linear")

#: Project names prefix load balancer and target group names, which AWS limits to 32 characters.
_PROJECT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(UserError):
    """``migrate.toml`` cannot be used as it is."""


@dataclass(frozen=True)
class NetworkSettings:
    """Where the tasks and the load balancer run; None: the region's default VPC."""

    vpc: str | None = None
    subnets: tuple[str, ...] = ()
    #: Tasks in public subnets need a public IP to pull from ECR without a NAT gateway.
    assign_public_ip: bool = True


@dataclass(frozen=True)
class AppSettings:
    """One app's settings; None: the default migrate derives from the app."""

    cpu: int | None = None
    memory: int | None = None
    desired_count: int | None = None
    min_tasks: int | None = None
    max_tasks: int | None = None
    port: int | None = None
    paths: tuple[str, ...] = ()
    health_path: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    #: A dotenv file, relative to migrate.toml, whose values migrate stores as encrypted parameters.
    secrets_file: str | None = None
    #: The release step as a shell command line; "" for none; None: the one inspect found.
    release: str | None = None
    #: The start command (the image's CMD) as a shell command line; None: the one inspect found.
    start: str | None = None
    #: The runtime's version (``3.12``, ``20``): the base images' tag; None: the one inspect found.
    runtime_version: str | None = None
    #: The web framework (``django``, ``nextjs``...; ``none``: no framework); None: the one inspect found.
    framework: str | None = None
    #: The backing services the dev environment runs (``postgres``, ``redis``...); None: the ones inspect found.
    services: tuple[str, ...] | None = None
    #: The environment variables that are secrets (never given a value in generated files); None: inspect's guess.
    secret_vars: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DeploySettings:
    """``[deploy]``: the target, the strategy and its waits (None: the command's default)."""

    target: str | None = None
    strategy: str | None = None
    canary_steps: tuple[int, ...] | None = None
    bake: float | None = None
    final_bake: float | None = None
    drain: float | None = None
    ready_timeout: float | None = None
    smoke: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CiConfig:
    """``[ci]``: the CI/CD workflow `migrate init --ci` (or the wizard) wrote, remembered for the next run."""

    provider: str | None = None
    repository: str | None = None
    branch: str | None = None
    aws_account: str | None = None


@dataclass(frozen=True)
class Config:
    """The whole file (the defaults when there is none)."""

    project: str | None = None
    region: str | None = None
    #: An ACM certificate ARN: the load balancer serves HTTPS with it, and HTTP redirects there.
    certificate: str | None = None
    #: An existing ECS cluster the services run in (None: the project's own, which migrate creates).
    cluster: str | None = None
    #: Backing services migrate creates in the cloud for the apps that use them (``postgres``, ``mysql``).
    provision: tuple[str, ...] = ()
    network: NetworkSettings = NetworkSettings()
    deploy: DeploySettings = DeploySettings()
    apps: Mapping[str, AppSettings] = field(default_factory=dict)
    ci: CiConfig = CiConfig()
    #: The file it was read from, for messages; None when there was none.
    source: Path | None = None

    def app(self, name: str) -> AppSettings:
        """The settings of app ``name`` (all defaults when it has no table)."""
        return self.apps.get(name, AppSettings())


def project_name(root: Path, config: Config) -> str:
    """The project's name in AWS: migrate.toml's, else the folder's, shortened to fit AWS's name limits."""
    from migrate.generate.render import slug

    return config.project or slug(root.resolve().name)[:20].strip("-") or "app"


def load_config(root: Path) -> Config:
    """Read ``root/migrate.toml``; the defaults when it does not exist."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """``text`` read as migrate.toml (``path`` names it in messages), every key checked."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _Reader(path).config(data)


# ----------------------------------------------------------------------------------- validation
def _integer(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be a whole number (got {value!r})"
        return None if low <= value <= high else f"must be between {low} and {high} (got {value})"
    return check


def _text(pattern: re.Pattern[str] | None = None, what: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            return f"must be a non-empty string (got {value!r})"
        return None if pattern is None or pattern.fullmatch(value) else f"must be {what} (got {value!r})"
    return check


def _url_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("/") or any(c.isspace() for c in value):
        return f"must be a path starting with / and without spaces (got {value!r})"
    return None


def _relative_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value or value.startswith("/") or ".." in Path(value).parts:
        return f"must be a path inside the project, relative to migrate.toml (got {value!r})"
    return None


def _list_of(check: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check_list(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"must be a list (got {value!r})"
        return next((f"item {i + 1} {problem}" for i, v in enumerate(value) if (problem := check(v))), None)
    return check_list


_PROJECT_KEYS: dict[str, Callable[[Any], str | None]] = {
    "name": _text(_PROJECT_NAME, "lowercase letters, digits and dashes, at most 20 characters"),
    "region": _text(re.compile(r"[a-z]{2}(-[a-z]+)+-\d+"), "an AWS region such as eu-west-1"),
    "provision": _list_of(lambda v: None if v in PROVISIONABLE else f"must be one of {', '.join(PROVISIONABLE)} (got {v!r})"),
    "certificate": _text(re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+"), "an ACM certificate ARN"),
    "cluster": _text(CLUSTER_NAME, "an ECS cluster's name (letters, digits, - and _, at most 255)"),
}
_NETWORK_KEYS: dict[str, Callable[[Any], str | None]] = {
    "vpc": _text(VPC_ID, "a VPC id (vpc-...)"),
    "subnets": _list_of(_text(SUBNET_ID, "a subnet id (subnet-...)")),
    "assign_public_ip": lambda v: None if isinstance(v, bool) else f"must be true or false (got {v!r})",
}
def _seconds(high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"must be a number of seconds (got {value!r})"
        return None if 0 <= value <= high else f"must be between 0 and {high} seconds (got {value})"
    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)} (got {v!r})"


def _steps(value: Any) -> str | None:
    problem = _list_of(_integer(1, 100))(value)
    if problem:
        return problem
    if not value or value[-1] != 100 or value != sorted(set(value)):
        return f"must rise from above 0 to 100, e.g. [10, 50, 100] (got {value!r})"
    return None


_DEPLOY_KEYS: dict[str, Callable[[Any], str | None]] = {
    "target": _one_of(TARGETS),
    "strategy": _one_of(STRATEGIES),
    "canary_steps": _steps,
    "bake": _seconds(86400),
    "final_bake": _seconds(86400),
    "drain": _seconds(3600),
    "ready_timeout": _seconds(7200),
    "smoke": lambda v: _list_of(_url_path)(v) or _unique(v),
}
_CI_KEYS: dict[str, Callable[[Any], str | None]] = {
    "provider": _one_of(("github",)),
    "repository": _text(re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}"), "OWNER/REPO"),
    "branch": _text(re.compile(r"[A-Za-z0-9._/-]+"), "a branch name"),
    "aws_account": _text(re.compile(r"\d{12}"), "an AWS account id (12 digits, as a string)"),
}
_APP_KEYS: dict[str, Callable[[Any], str | None]] = {
    "cpu": _integer(256, 16384),
    "memory": _integer(512, 122880),
    "desired_count": _integer(0, 1000),
    "min_tasks": _integer(1, 1000),
    "max_tasks": _integer(1, 1000),
    "port": _integer(1, 65535),
    "paths": _list_of(_url_path),
    "health_path": _url_path,
    "environment": lambda v: None,  # tables: checked key by key below
    "secrets": lambda v: None,
    "secrets_file": _relative_path,
    "release": lambda v: None if isinstance(v, str) else f"must be a command line, or \"\" for none (got {v!r})",
    "start": _text(re.compile(r"[^\n]*\S[^\n]*"), "one command line"),
    "runtime_version": _text(re.compile(r"\d+(\.\d+){0,2}"), "a version such as 3.12 or 20"),
    "framework": lambda v: _framework(v),
    "services": lambda v: _list_of(_service_kind)(v) or _unique(v),
    "secret_vars": lambda v: _list_of(_text(re.compile(r"[A-Za-z_][A-Za-z0-9_]*"), "an environment variable's name"))(v) or _unique(v),
}


def _framework(value: Any) -> str | None:
    from migrate.inspect.detectors import NO_FRAMEWORK, frameworks_of  # inspect's own table: what it can detect

    known = (*frameworks_of(), NO_FRAMEWORK)
    return None if value in known else f"must be one of {', '.join(known)} (got {value!r})"


def _service_kind(value: Any) -> str | None:
    from migrate.generate.services import SERVICES  # the generator's own table: what compose can run

    return None if value in SERVICES else f"must be one of {', '.join(sorted(SERVICES))} (got {value!r})"


def _unique(values: list[Any]) -> str | None:
    repeated = next((v for i, v in enumerate(values) if v in values[:i]), None)
    return None if repeated is None else f"names {repeated!r} twice"


@dataclass(frozen=True)
class _Reader:
    path: Path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key} {problem}")

    def table(self, data: Any, key: str, known: Mapping[str, Callable[[Any], str | None]] | None) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"must be a table ([{key}]), got {data!r}")
        for name, value in data.items():
            where = f"{key}.{name}"
            if known is None:
                continue
            if name not in known:
                raise self.fail(where, f"is not a setting migrate knows (known in [{key}]: {', '.join(known)})")
            problem = known[name](value)
            if problem:
                raise self.fail(where, problem)
        return data

    def config(self, data: dict[str, Any]) -> Config:
        unknown = sorted(set(data) - {"project", "deploy", "network", "apps", "ci"})
        if unknown:
            raise self.fail(unknown[0], "is not a table migrate knows (known: [project], [deploy], [network], [ci], [apps.NAME])")
        ci = self.table(data.get("ci", {}), "ci", _CI_KEYS)
        project = self.table(data.get("project", {}), "project", _PROJECT_KEYS)
        deploy = self.table(data.get("deploy", {}), "deploy", _DEPLOY_KEYS)
        network = self.table(data.get("network", {}), "network", _NETWORK_KEYS)
        apps = self.table(data.get("apps", {}), "apps", None)
        return Config(
            project=project.get("name"), region=project.get("region"), certificate=project.get("certificate"),
            cluster=project.get("cluster"),
            provision=tuple(project.get("provision", ())),
            network=NetworkSettings(network.get("vpc"), tuple(network.get("subnets", ())), network.get("assign_public_ip", True)),
            deploy=DeploySettings(**{k: deploy.get(k) for k in ("target", "strategy", "bake", "final_bake", "drain", "ready_timeout")},
                                  canary_steps=tuple(deploy["canary_steps"]) if "canary_steps" in deploy else None,
                                  smoke=tuple(deploy["smoke"]) if "smoke" in deploy else None),
            apps={name: self.app(name, value) for name, value in apps.items()}, source=self.path,
            ci=CiConfig(*(ci.get(k) for k in ("provider", "repository", "branch", "aws_account"))),
        )

    def app(self, name: str, data: Any) -> AppSettings:
        key = f"apps.{name}"
        values = self.table(data, key, _APP_KEYS)
        return AppSettings(
            cpu=values.get("cpu"), memory=values.get("memory"), desired_count=values.get("desired_count"),
            min_tasks=values.get("min_tasks"), max_tasks=values.get("max_tasks"), port=values.get("port"), paths=tuple(values.get("paths", ())),
            health_path=values.get("health_path"),
            environment=self.variables(values.get("environment", {}), f"{key}.environment", scalars=True),
            secrets=self.variables(values.get("secrets", {}), f"{key}.secrets", scalars=False),
            secrets_file=values.get("secrets_file"), release=values.get("release"), start=values.get("start"),
            runtime_version=values.get("runtime_version"),
            framework=values.get("framework"),
            services=tuple(values["services"]) if "services" in values else None,
            secret_vars=tuple(values["secret_vars"]) if "secret_vars" in values else None,
        )

    def variables(self, data: Any, key: str, *, scalars: bool) -> dict[str, str]:
        """``NAME = value`` pairs; environment values may be numbers or booleans (as TOML writes them)."""
        table = self.table(data, key, None)
        result: dict[str, str] = {}
        for name, value in table.items():
            if not _ENV_NAME.fullmatch(name):
                raise self.fail(f"{key}.{name}", "is not a valid environment variable name")
            if isinstance(value, bool) and scalars:
                value = "true" if value else "false"
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and scalars:
                value = str(value)
            if not isinstance(value, str) or (not scalars and not value):
                what = "a string, number or boolean" if scalars else "a secret ARN or an SSM parameter name"
                raise self.fail(f"{key}.{name}", f"must be {what} (got {value!r})")
            result[name] = value
        return result

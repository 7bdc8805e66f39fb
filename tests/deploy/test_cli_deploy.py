"""`migrate deploy` and `migrate destroy` end to end through the CLI, on moto in-process.

The ECS scheduler's part (a deployment rolling out, targets becoming healthy) is played by
tests/deploy/scheduler.py, driven from the injected sleep: each wait of the CLI is a moment in
which ECS does its work. Nothing else is faked.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from migrate.cli import main
from migrate.deploy.aws import connect
from migrate.deploy.release import STARTED_BY
from migrate.environment import Environment

from .conftest import REGION, CallLog, put_image
from .scheduler import ColourScheduler, FakeScheduler, OneOffTasks, deployments_on_update, scheduler_health  # noqa: F401 (a fixture)
from .test_destroy import tagged_by_migrate
from .test_registry import registry  # noqa: F401 (a fixture: a registry standing in for ECR)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/notes/web:3f2a9c1"


class Cli:
    """Runs `migrate ...` in-process; its sleeps let the scheduler roll every pending deployment out."""

    def __init__(self, health: dict[str, tuple[str, str, str]], ecs_works: bool = True) -> None:
        self.health, self.ecs_works, self.now = health, ecs_works, 0.0
        self.calls = CallLog()
        #: How a release step's one-off task ends: its exit code and the log lines it wrote.
        self.release_exit: tuple[int, tuple[str, ...]] = (0, ())
        #: ECS running a cutover's colour services (their targets registered), per cluster.
        self.colours: dict[str, ColourScheduler] = {}
        #: Called with each boto3 session the command makes (after its calls are recorded): fakes of what moto lacks.
        self.session_hooks: list[Any] = []

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.ecs_works:
            finish_release_tasks(*self.release_exit)
            roll_out_everything(self.health)
            self.run_colours()

    def run_colours(self) -> None:
        """ECS at work on the colours' services of every cluster (a deploy that moves by weight starts them)."""
        from moto.ecs.models import ecs_backends

        for cluster in list(ecs_backends["123456789012"][REGION].clusters):
            if cluster not in self.colours:
                self.colours[cluster] = ColourScheduler(connect(REGION), cluster, self.health, colours_only=True)
            self.colours[cluster].tick()

    def __call__(self, *args: str, stdin: io.StringIO | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, stdin=stdin or io.StringIO(), width=100, no_color=True,
                          clock=lambda: self.now, sleep=self.sleep)
        import boto3

        original = boto3.Session.__init__

        def record(session: Any, *a: Any, **k: Any) -> None:
            original(session, *a, **k)
            self.calls.attach(session)
            for hook in self.session_hooks:
                hook(session)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(boto3.Session, "__init__", record)
            status = main(list(args), env)
        return status, out.getvalue(), err.getvalue()


def roll_out_everything(health: dict[str, tuple[str, str, str]]) -> None:
    """ECS at work: every service's PRIMARY deployment runs its desired count, COMPLETED, targets healthy."""
    from moto.ecs.models import ecs_backends

    aws = connect(REGION)
    for key, service in ecs_backends["123456789012"][REGION].services.items():
        cluster, name = key.split(":", 1)
        scheduler = FakeScheduler(aws, cluster, name, health)
        primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
        if primary is None or primary.get("rolloutState") == "COMPLETED":
            continue
        primary.setdefault("desiredCount", service.desired_count)
        scheduler.run(primary["taskDefinition"], service.desired_count)
        scheduler.complete(primary["taskDefinition"])


def finish_release_tasks(exit_code: int, log: tuple[str, ...]) -> None:
    """ECS at work on one-off tasks: each release task still held (see OneOffTasks) runs and exits with ``exit_code``."""
    from moto.ecs.models import ecs_backends

    aws = connect(REGION)
    for cluster, tasks in ecs_backends["123456789012"][REGION].tasks.items():
        for arn, task in list(tasks.items()):
            if task.started_by == STARTED_BY and task.last_status != "STOPPED":
                OneOffTasks(aws, cluster).finish(arn, exit_code, log=log)


def copy_example(name: str, tmp_path: Path, config: str | None = None) -> Path:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root)
    if config is not None:
        (root / "migrate.toml").write_text(config)
    return root


def published(aws: Any) -> None:
    """What a user deploying IMAGE with FLASK_CONFIG has made beforehand: the image pushed, the secret stored."""
    put_image(aws, IMAGE.split("/", 1)[1].split(":")[0], IMAGE.rsplit(":", 1)[1])
    aws.client("ssm").put_parameter(Name="/notes/DATABASE_URL", Value="postgres://notes@db/notes", Type="SecureString")


@pytest.fixture
def cli(moto: None, scheduler_health: dict[str, tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> Cli:  # noqa: F811
    aws = connect(REGION)
    published(aws)
    OneOffTasks(aws, "").hold_new_tasks(monkeypatch)  # release tasks wait for the scheduler, as on ECS
    deployments_on_update(monkeypatch, aws)  # a new revision or a forced deployment starts a deployment, as on ECS
    return Cli(scheduler_health)


FLASK_CONFIG = """
[project]
name = "notes"

[apps.python-flask-postgres]
cpu = 512
memory = 1024
desired_count = 2
min_tasks = 2
max_tasks = 4

[apps.python-flask-postgres.environment]
LOG_LEVEL = "info"

[apps.python-flask-postgres.secrets]
DATABASE_URL = "/notes/DATABASE_URL"
"""


def test_deploy_creates_everything_then_a_second_deploy_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    assert "to create, 0 to change" in out and "+ ECS service python-flask-postgres" in out
    assert "[1/" in err and "creating ECS service python-flask-postgres" in err
    assert "python-flask-postgres: notes-python-flask-postgres:1 runs 2 of 2 tasks, every target healthy" in err

    aws = connect(REGION)
    ecs = aws.client("ecs")
    td = ecs.describe_task_definition(taskDefinition="notes-python-flask-postgres")["taskDefinition"]
    (container,) = td["containerDefinitions"]
    assert (td["cpu"], td["memory"], container["image"]) == ("512", "1024", IMAGE)
    assert container["user"] == "10001"  # the image's own non-root user, from the plan
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "info"}]
    parameter = aws.arn("ssm", "parameter/notes/DATABASE_URL")
    assert container["secrets"] == [{"name": "DATABASE_URL", "valueFrom": parameter}]
    # ECS's own health check is the image's probe with the image's timings.
    assert container["healthCheck"]["command"][:2] == ["CMD", "python"] and container["healthCheck"]["startPeriod"] == 20
    port = container["portMappings"][0]["containerPort"]
    tg = aws.client("elbv2").describe_target_groups(Names=["notes-python-flask-postgres"])["TargetGroups"][0]
    assert tg["Port"] == port
    policy = aws.client("iam").get_role_policy(RoleName="notes-python-flask-postgres-execution", PolicyName="migrate-execution")
    assert {"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": [parameter]} in policy["PolicyDocument"]["Statement"]

    cli.calls.clear()
    status, out, err = cli("deploy", str(root), "--image", IMAGE)
    assert status == 0, err
    assert "notes is up to date: nothing to change" in err
    assert cli.calls.calls and cli.calls.mutating == []


def test_plan_makes_no_mutating_call(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 0, err
    assert out.splitlines()[-1].endswith("to create, 0 to change, 0 unchanged")
    assert cli.calls.calls and cli.calls.mutating == []
    assert connect(REGION).client("ecs").list_clusters()["clusterArns"] == []


SHOP_CONFIG = """
[project]
name = "shop"

[apps.catalog]
paths = ["/catalog/*"]

[apps.orders]
paths = ["/orders/*"]
"""


def test_several_apps_behind_one_load_balancer_then_destroy_leaves_nothing(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("microservices-shop", tmp_path, SHOP_CONFIG)
    images = [f"--image={app}=123456789012.dkr.ecr.eu-west-1.amazonaws.com/ci/{app}:1" for app in ("catalog", "gateway", "orders")]
    for app in ("catalog", "gateway", "orders"):
        put_image(connect(REGION), f"ci/{app}", "1")  # pushed by the user's CI
    status, out, err = cli("deploy", str(root), *images, "--yes")
    assert status == 0, err
    assert "+ load balancer shop" in out
    aws = connect(REGION)
    elbv2 = aws.client("elbv2")
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    paths = sorted(c["PathPatternConfig"]["Values"][0] for r in rules for c in r["Conditions"])
    assert paths == ["/catalog/*", "/orders/*"]
    services = aws.client("ecs").list_services(cluster="shop")["serviceArns"]
    assert sorted(a.rsplit("/", 1)[-1] for a in services) == ["catalog", "gateway", "orders"]
    groups = {g["TargetGroupName"]: g["HealthCheckPath"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert groups == {"shop-catalog": "/healthz", "shop-gateway": "/health", "shop-orders": "/health"}

    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert "- load balancer shop" in out and "0 left alone" in out
    assert "destroyed shop" in err
    assert tagged_by_migrate(aws) == []


def test_pre_flight_refuses_an_image_missing_from_ecr_and_a_missing_secret_before_any_change(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG.replace("/notes/DATABASE_URL", "/notes/MISSING"))
    missing = IMAGE.replace(":3f2a9c1", ":0000000")
    for flags in (("--plan",), ("--yes",)):
        cli.calls.clear()
        status, _, err = cli("deploy", str(root), "--image", missing, *flags)
        assert status == 1 and "Traceback" not in err
        assert "migrate: error: pre-flight found 2 problems; nothing was changed" in err
        assert f"- python-flask-postgres: image {missing} is not in ECR" in err
        assert "- python-flask-postgres: secret DATABASE_URL refers to arn:aws:ssm:eu-west-1:123456789012:parameter/notes/MISSING, which does not exist" in err
        assert cli.calls.mutating == []


def test_without_yes_and_without_a_terminal_it_refuses_in_one_line(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    status, _, err = cli("deploy", str(root), "--image", IMAGE)
    assert status == 1
    assert err.splitlines()[-1] == ("migrate: error: stdin is not a terminal, so migrate cannot ask before it deploys: "
                                    "pass --yes to deploy without asking")
    assert connect(REGION).client("ecs").list_clusters()["clusterArns"] == []


def test_without_image_and_without_a_dockerfile_it_names_the_fix(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path)
    status, _, err = cli("deploy", str(root), "--yes")
    assert status == 1 and err.startswith(f"migrate: error: {root / 'Dockerfile'}: no Dockerfile to build")
    assert "migrate init" in err and "--image URI" in err and "Traceback" not in err
    assert connect(REGION).client("ecs").list_clusters()["clusterArns"] == []


def test_plan_without_image_names_the_ecr_image_of_the_source_and_builds_nothing(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The image is known before it is built: the app's ECR repository, tagged after its source (not in git: a tree hash)."""
    root = copy_example("python-flask-postgres", tmp_path)
    assert main(["init", str(root), "--yes", "--only", "dockerfile,dockerignore"], Environment(stdout=io.StringIO(), stderr=io.StringIO())) == 0
    from migrate.containers import engine

    def no_engine(*_: object, **__: object) -> object:
        raise AssertionError("--plan must not build")

    monkeypatch.setattr(engine, "connect", no_engine)
    status, out, err = cli("deploy", str(root), "--plan")
    assert status == 0, err
    from migrate.deploy.registry import image_tag

    tag = image_tag(root).value
    assert tag.startswith("tree-")
    assert f"123456789012.dkr.ecr.{REGION}.amazonaws.com/python-flask-postgre/python-flask-postgres:{tag}" in out
    assert cli.calls.mutating == []
def test_a_failing_rollout_exits_non_zero_with_the_diagnosis(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    cli.ecs_works = False
    scheduler: list[FakeScheduler] = []

    def crash(seconds: float) -> None:
        cli.now += seconds
        if not scheduler:
            scheduler.append(FakeScheduler(connect(REGION), "notes", "python-flask-postgres", cli.health))
            revision = connect(REGION).arn("ecs", "task-definition/notes-python-flask-postgres:1")
            scheduler[0].stop_task(revision, "Essential container in task exited", 3, ("KeyError: 'DATABASE_URL'",))

    cli.sleep = crash  # type: ignore[method-assign]
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 1
    assert "python-flask-postgres: a task of notes-python-flask-postgres:1 stopped" in err
    assert "container python-flask-postgres: exit code 3" in err and "KeyError: 'DATABASE_URL'" in err
    assert err.splitlines()[-2] == "migrate: error: the deploy of python-flask-postgres failed (see above)"
    assert "Traceback" not in err
    assert cli.now < 60  # the first stopped task ends the wait, not a timeout
    # A first deploy has nothing to roll back to: the service is left at zero tasks, its autoscaling held there.
    assert "python-flask-postgres was left at zero tasks" in err
    aws = connect(REGION)
    service = aws.client("ecs").describe_services(cluster="notes", services=["python-flask-postgres"])["services"][0]
    target = aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert (service["desiredCount"], target["MinCapacity"], target["MaxCapacity"]) == (0, 0, 0)
    # Started again without a fix, it crashes again: still nothing to roll back to, so it stops at zero again.
    scheduler.clear()
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 1 and "python-flask-postgres was left at zero tasks" in err
    service = aws.client("ecs").describe_services(cluster="notes", services=["python-flask-postgres"])["services"][0]
    assert service["desiredCount"] == 0
    # The fix deployed: the service starts again at its desired count, with its limits back.
    cli.sleep = Cli.sleep.__get__(cli)  # type: ignore[method-assign]
    cli.ecs_works = True
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    assert "~ ECS service python-flask-postgres" in out and "tasks: stopped (desired count 0) -> running" in out
    service = aws.client("ecs").describe_services(cluster="notes", services=["python-flask-postgres"])["services"][0]
    target = aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert (service["desiredCount"], target["MinCapacity"], target["MaxCapacity"]) == (2, 2, 4)


def test_a_first_deploy_that_is_only_slow_is_left_running_when_the_wait_runs_out(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    cli.ecs_works = False  # nothing fails, nothing completes: tasks still pulling, say
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--wait-timeout", "30")
    assert status == 1 and "not complete after 30 s" in err
    assert "python-flask-postgres was left running, as nothing failed yet" in err and "was left at zero tasks" not in err
    service = connect(REGION).client("ecs").describe_services(cluster="notes", services=["python-flask-postgres"])["services"][0]
    assert service["desiredCount"] == 2


@pytest.mark.parametrize(("config", "message"), [
    ("[apps.python-flask-postgres]\ncpus = 512\n",
     "apps.python-flask-postgres.cpus is not a setting migrate knows (known in [apps.python-flask-postgres]: cpu, memory,"),
    ("[apps.python-flask-postgres]\ncpu = \"big\"\n", "apps.python-flask-postgres.cpu must be a whole number (got 'big')"),
    ("[apps.python-flask-postgres]\ncpu = 256\nmemory = 4096\n", "python-flask-postgres: Fargate does not run 256 CPU units with 4096 MiB"),
    ("[apps.nope]\ncpu = 256\n", "apps.nope names no app here (apps: python-flask-postgres)"),
    ("[project\n", "not valid TOML"),
    ("[deploys]\nx = 1\n", "deploys is not a table migrate knows"),
    ("[deploy]\nx = 1\n", "deploy.x is not a setting migrate knows"),
])
def test_a_bad_migrate_toml_is_one_line_naming_the_key_and_the_file(cli: Cli, tmp_path: Path, config: str, message: str) -> None:
    root = copy_example("python-flask-postgres", tmp_path, config)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 1 and "Traceback" not in err
    first = err.splitlines()[0]
    assert first.startswith("migrate: error: ") and message in first
    if "Fargate" not in message:
        assert str(root / "migrate.toml") in first


def test_no_credentials_and_no_region_are_one_line_each(aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path)
    cli = Cli({})
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert (status, err.splitlines()[0]) == (1, "migrate: error: no AWS region is set")
    monkeypatch.setenv("AWS_REGION", REGION)  # as the hint says, and as CI runners set it
    from moto import mock_aws

    with mock_aws():
        published(connect(REGION))
        status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 0, err
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan", "--region", REGION)
    assert (status, err.splitlines()[0]) == (1, "migrate: error: no AWS credentials found")
    assert "Traceback" not in err


def test_a_name_clash_with_a_resource_migrate_does_not_own_is_refused(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    connect(REGION).client("logs").create_log_group(logGroupName="/ecs/notes/python-flask-postgres")
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 1 and "Traceback" not in err
    assert next(line for line in err.splitlines() if line.startswith("migrate: error")) == ("migrate: error: log group /ecs/notes/python-flask-postgres already exists and was created by "
                                   "someone else; migrate will not change it")




def test_a_worker_process_is_a_service_of_its_own_without_a_load_balancer(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-celery", tmp_path)
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    assert "+ ECS service notes-worker" in out and "+ target group python-flask-celery-notes-worker" not in out
    aws = connect(REGION)
    ecs = aws.client("ecs")
    cluster = "python-flask-celery"
    web, worker = ecs.describe_services(cluster=cluster, services=["notes", "notes-worker"])["services"]
    assert [b["containerPort"] for b in web["loadBalancers"]] == [8000] and worker["loadBalancers"] == []
    assert worker["desiredCount"] == 1
    (container,) = ecs.describe_task_definition(taskDefinition=f"{cluster}-notes-worker")["taskDefinition"]["containerDefinitions"]
    assert container["command"] == ["celery", "-A", "notes.tasks", "worker", "--loglevel=INFO"]
    assert container["image"] == IMAGE and "healthCheck" not in container and not container.get("portMappings")
    assert "notes-worker: " in err and "runs 1 of 1 tasks" in err
    # The migration ran once, as a one-off task of the new revision, before the web service was created.
    release = err.index("release step of notes: flask --app notes.wsgi:app db upgrade, as a one-off task of python-flask-celery-notes:1")
    assert err.index("release step of notes: flask --app notes.wsgi:app db upgrade exited 0") < err.index("creating ECS service notes")
    assert release < err.index("creating ECS service notes")
    tasks = ecs.list_tasks(cluster=cluster, startedBy=STARTED_BY)["taskArns"]
    (task,) = ecs.describe_tasks(cluster=cluster, tasks=tasks)["tasks"]
    assert task["overrides"]["containerOverrides"] == [{"name": "notes", "command": ["flask", "--app", "notes.wsgi:app", "db", "upgrade"]}]
    # The worker runs its app's image: it pulls from the app's repository with the app's roles, logs beside it.
    definitions = [ecs.describe_task_definition(taskDefinition=f"{cluster}-{name}")["taskDefinition"] for name in ("notes", "notes-worker")]
    assert len({(d["executionRoleArn"], d["taskRoleArn"]) for d in definitions}) == 1
    assert {d["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"] for d in definitions} == {f"/ecs/{cluster}/notes"}
    repositories = [r["repositoryName"] for r in aws.client("ecr").describe_repositories()["repositories"]]
    assert sorted(repositories) == ["notes/web", f"{cluster}/notes"]  # notes/web: where the user pushed IMAGE


def test_a_failing_release_step_stops_the_deploy_before_any_service_moves(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-celery", tmp_path)
    cli.release_exit = (1, ("alembic.util.exc.CommandError: Can't locate revision identified by 'ae1027a6acf'",))
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 1 and "Traceback" not in err
    assert "migrate: error: the release step (flask --app notes.wsgi:app db upgrade) exited with code 1; the deploy stops here" in err
    assert "Can't locate revision identified by 'ae1027a6acf'" in err
    assert connect(REGION).client("ecs").list_services(cluster="python-flask-celery")["serviceArns"] == []
    # Fixed (say, the migration committed): the next deploy runs the release again and goes on.
    cli.release_exit = (0, ())
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    assert "db upgrade exited 0" in err


def test_a_health_path_in_migrate_toml_moves_the_balancers_check_and_ecss_probe_together(cli: Cli, tmp_path: Path) -> None:
    config = FLASK_CONFIG.replace("max_tasks = 4\n", 'max_tasks = 4\nhealth_path = "/ready"\n')
    root = copy_example("python-flask-postgres", tmp_path, config)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    aws = connect(REGION)
    tg = aws.client("elbv2").describe_target_groups(Names=["notes-python-flask-postgres"])["TargetGroups"][0]
    (container,) = aws.client("ecs").describe_task_definition(taskDefinition="notes-python-flask-postgres")["taskDefinition"]["containerDefinitions"]
    assert tg["HealthCheckPath"] == "/ready" and "'/ready'" in container["healthCheck"]["command"][-1]


def test_a_deploy_already_running_is_refused_with_who_and_since_when(cli: Cli, tmp_path: Path) -> None:
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG)
    connect(REGION).client("ssm").put_parameter(
        Name="/migrate/notes/python-flask-postgres/deploy-lock", Type="String",
        Value='{"who": "ci@runner-7 (pid 42)", "since": "2026-01-01T10:00:00+00:00"}')
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 1 and "Traceback" not in err
    assert err.splitlines()[-2].startswith("migrate: error: another deploy of python-flask-postgres is running: ci@runner-7 (pid 42), since 2026-01-01 10:00:00 UTC")
    assert connect(REGION).client("ecs").list_clusters()["clusterArns"] == []  # nothing was applied
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes", "--break-lock")
    assert status == 0 and "broke the deploy lock of python-flask-postgres held by ci@runner-7 (pid 42)" in err


#: miguelgrinberg/microblog's shape: migrations, then gunicorn, in one web line: inspect finds no port.
NO_PORT = {
    "requirements.txt": "Flask==3.1.3\ngunicorn==23.0.0\nrq==1.16.2\n",
    "blog.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    # The port comes from a variable nothing defines: nothing in the tree says which it is.
    "Procfile": "web: flask db upgrade; gunicorn --bind 0.0.0.0:$APP_PORT blog:app\nworker: rq worker blog-tasks\n",
}


def test_an_http_app_without_a_known_port_is_refused_until_migrate_toml_names_it(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "blog"
    root.mkdir()
    for name, text in NO_PORT.items():
        (root / name).write_text(text)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 1 and err.splitlines()[0] == "migrate: error: blog serves HTTP but no port is known for it"
    assert "Traceback" not in err and cli.calls.mutating == []
    (root / "migrate.toml").write_text("[apps.blog]\nport = 8000\n")
    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 0, err
    assert "+ ECS service blog\n" in out and "+ ECS service blog-worker\n" in out and "+ target group blog-blog\n" in out


@pytest.mark.docker
def test_deploy_without_image_builds_and_pushes_before_any_service_moves(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: Any, registry: Any,  # noqa: F811 (registry)
) -> None:
    """The whole path of `migrate deploy PATH`: build the production stage here, push it to the app's repository
    (a real registry on 127.0.0.1 stands in for ECR, which moto has no registry behind), then move the service
    to a task definition naming that very tag."""
    from migrate.deploy import publish
    from migrate.deploy.registry import image_tag, remote_image

    root = copy_example("static-site", tmp_path)
    assert main(["init", str(root), "--yes", "--only", "dockerfile,dockerignore"], Environment(stdout=io.StringIO(), stderr=io.StringIO())) == 0
    monkeypatch.setattr(publish, "ecr_auth", lambda aws: registry)
    order: list[str] = []
    original_push = publish.push_image

    def recording_push(*args: Any, **kwargs: Any) -> Any:
        services = connect(REGION).client("ecs").list_services(cluster="static-site")["serviceArns"]
        order.append(f"push with {len(services)} services")
        return original_push(*args, **kwargs)

    monkeypatch.setattr(publish, "push_image", recording_push)
    tag = image_tag(root).value
    try:
        status, _, err = cli("deploy", str(root), "--yes")
        assert status == 0, err
        assert order == ["push with 0 services"]  # after the repository exists, before the service does
        assert "built static-site:" in err and f":{tag}: pushed (sha256:" in err
        assert remote_image(registry, "static-site/static-site", tag) is not None
        ecs = connect(REGION).client("ecs")
        definition = ecs.describe_task_definition(taskDefinition="static-site-static-site")["taskDefinition"]
        assert definition["containerDefinitions"][0]["image"] == (
            f"123456789012.dkr.ecr.{REGION}.amazonaws.com/static-site/static-site:{tag}")
        cli.calls.clear()
        status, _, err = cli("deploy", str(root), "--yes")
        assert status == 0, err
        assert cli.calls.mutating == [] and "up to date" in err
    finally:
        for name in (f"static-site:{tag}", f"{registry.host}/static-site/static-site:{tag}"):
            with contextlib.suppress(Exception):
                client.images.remove(name, force=True)


def self_signed_certificate(aws: Any, domain: str = "notes.example.com") -> str:
    """A certificate imported into moto's ACM (ISSUED at once, as an imported one is in ACM)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False).sign(key, hashes.SHA256()))
    return str(aws.client("acm").import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )["CertificateArn"])


def test_with_a_certificate_the_balancer_serves_https_and_port_80_redirects(cli: Cli, tmp_path: Path) -> None:
    aws = connect(REGION)
    arn = self_signed_certificate(aws)
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG.replace('name = "notes"\n', f'name = "notes"\ncertificate = "{arn}"\n'))
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    elbv2 = aws.client("elbv2")
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    listeners = {li["Port"]: li for li in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    https, http = listeners[443], listeners[80]
    assert (https["Protocol"], https["Certificates"][0]["CertificateArn"], https["SslPolicy"]) == ("HTTPS", arn, "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert https["DefaultActions"][0]["Type"] == "forward"
    redirect = http["DefaultActions"][0]
    assert redirect["Type"] == "redirect" and {k: redirect["RedirectConfig"][k] for k in ("Protocol", "Port", "StatusCode")} == {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    group = aws.client("ec2").describe_security_groups(GroupNames=["notes-alb"])["SecurityGroups"][0]
    assert sorted(p["FromPort"] for p in group["IpPermissions"]) == [80, 443]
    assert err.splitlines()[-1] == f"deployed notes in {REGION}: https://{lb['DNSName']}/"
    cli.calls.clear()
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0 and cli.calls.mutating == [] and f"(https://{lb['DNSName']}/)" in err


@pytest.mark.docker
def test_a_built_image_whose_health_path_fails_here_stops_the_deploy_before_aws_changes(
    cli: Cli, tmp_path: Path, client: Any,
) -> None:
    """The built image runs here first, asked what the target group will ask: a health path the app
    answers with 404 would have every task replaced on ECS; it stops the deploy with nothing changed."""
    from migrate.deploy.registry import image_tag

    root = copy_example("static-site", tmp_path, '[project]\nname = "static-site"\n\n[apps.static-site]\nhealth_path = "/status"\n')
    assert main(["init", str(root), "--yes", "--only", "dockerfile,dockerignore"], Environment(stdout=io.StringIO(), stderr=io.StringIO())) == 0
    tag = image_tag(root).value
    try:
        status, _, err = cli("deploy", str(root), "--yes")
        assert status == 1
        assert "local check: static-site: GET /status (Host: " in err and "answered 404" in err, err
        assert "nothing was changed" in err and cli.calls.mutating == []
        assert client.containers.list(all=True, filters={"label": "migrate.local-check"}) == []
        cli.calls.clear()
        status, _, err = cli("deploy", str(root), "--no-local-check", "--plan")
        assert status == 0 and cli.calls.mutating == []
    finally:
        with contextlib.suppress(Exception):
            client.images.remove(f"static-site:{tag}", force=True)


def test_removing_the_certificate_serves_http_again_and_deletes_the_https_listener(cli: Cli, tmp_path: Path) -> None:
    aws = connect(REGION)
    arn = self_signed_certificate(aws)
    root = copy_example("python-flask-postgres", tmp_path, FLASK_CONFIG.replace('name = "notes"\n', f'name = "notes"\ncertificate = "{arn}"\n'))
    assert cli("deploy", str(root), "--image", IMAGE, "--yes")[0] == 0
    (root / "migrate.toml").write_text(FLASK_CONFIG)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    elbv2 = aws.client("elbv2")
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    (http,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert (http["Port"], http["Protocol"], http["DefaultActions"][0]["Type"]) == (80, "HTTP", "forward")
    assert "deleting listener notes:443 (no certificate in migrate.toml any more)" in err
    group = aws.client("ec2").describe_security_groups(GroupNames=["notes-alb"])["SecurityGroups"][0]
    assert [p["FromPort"] for p in group["IpPermissions"]] == [80]
    assert err.splitlines()[-1] == f"deployed notes in {REGION}: http://{lb['DNSName']}/"
    cli.calls.clear()
    assert cli("deploy", str(root), "--image", IMAGE, "--yes")[0] == 0 and cli.calls.mutating == []


def test_a_certificate_of_another_region_or_not_issued_is_refused_by_the_pre_flight(cli: Cli, tmp_path: Path) -> None:
    aws = connect(REGION)
    pending = aws.client("acm").request_certificate(DomainName="notes.example.com", ValidationMethod="DNS")["CertificateArn"]
    elsewhere = pending.replace(REGION, "us-east-1")
    for number, (arn, message) in enumerate(((elsewhere, "is in us-east-1; a load balancer in eu-west-1 can use only a certificate of its own region"),
                         (pending, "is PENDING_VALIDATION, not ISSUED"))):
        root = copy_example("python-flask-postgres", tmp_path / str(number), FLASK_CONFIG.replace('name = "notes"\n', f'name = "notes"\ncertificate = "{arn}"\n'))
        cli.calls.clear()
        status, _, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
        assert status == 1 and message in err and cli.calls.mutating == []

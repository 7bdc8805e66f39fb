"""migrate.toml: written once by init (never replaced), read strictly by deploy (issue 12)."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.config import CONFIG_FILE, ConfigError, load_config
from migrate.generate.render import toml_str
from migrate.init import apply_init, plan_init

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_init_writes_a_starter_config_that_deploy_reads_back(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLES / "microservices-shop", root)
    (root / "docker-compose.yml").unlink()
    planned = plan_init(root, outputs=("config",))
    assert [(f.path, f.action.value) for f in planned.files] == [(CONFIG_FILE, "create")]
    apply_init(planned)
    config = load_config(root)
    assert config.project == "shop" and sorted(config.apps) == ["catalog", "gateway", "orders"]
    assert (config.app("orders").cpu, config.app("orders").memory, config.app("orders").min_tasks) == (256, 512, 2)
    # The secrets the code reads are suggested, commented out, by parameter name: never a value.
    assert '# DATABASE_URL = "/shop/orders/DATABASE_URL"' in (root / CONFIG_FILE).read_text()


def test_the_deploy_table_suggested_by_init_reads_back_when_uncommented(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    shutil.copytree(EXAMPLES / "python-flask-postgres", root)
    apply_init(plan_init(root, outputs=("config",)))
    lines = (root / CONFIG_FILE).read_text().splitlines()
    start = lines.index("# [deploy]                        # how a new version takes the traffic")
    block = []
    for line in lines[start:]:
        if not line.startswith("# "):
            break
        block.append(line[2:])
    (root / CONFIG_FILE).write_text("\n".join(block) + "\n")
    deploy = load_config(root).deploy
    assert (deploy.target, deploy.strategy, deploy.canary_steps) == ("ecs", "blue-green", (10, 50, 100))
    assert (deploy.bake, deploy.final_bake, deploy.drain, deploy.ready_timeout) == (60, 120, 30, 600)


def test_the_release_step_is_suggested_and_can_be_replaced_or_turned_off(tmp_path: Path) -> None:
    from migrate.deploy.workflow import load_project

    root = tmp_path / "notes"
    shutil.copytree(EXAMPLES / "python-flask-celery", root)
    apply_init(plan_init(root, outputs=("config",)))
    text = (root / CONFIG_FILE).read_text()
    found = '# release = "flask --app notes.wsgi:app db upgrade"'
    assert found in text and '# secrets_file = ".env.production"' in text
    assert load_project(root).plans[0].release == ("flask", "--app", "notes.wsgi:app", "db", "upgrade")
    (root / CONFIG_FILE).write_text(text.replace(found, 'release = ""'))
    assert load_project(root).plans[0].release is None
    (root / CONFIG_FILE).write_text(text.replace(found, 'release = "flask --app notes.wsgi:app db upgrade && flask --app notes.wsgi:app seed"'))
    assert load_project(root).plans[0].release == (
        "sh", "-c", "flask --app notes.wsgi:app db upgrade && exec flask --app notes.wsgi:app seed")


def test_init_never_replaces_an_existing_config_even_with_force(tmp_path: Path, run_cli: Callable[..., object]) -> None:
    root = tmp_path / "app"
    shutil.copytree(EXAMPLES / "python-flask-postgres", root)
    mine = '[project]\nname = "mine"\n'
    (root / CONFIG_FILE).write_text(mine)
    result = run_cli("init", str(root), "--force", "--yes")
    assert result.status == 0, result.stderr  # type: ignore[attr-defined]
    assert f"     keep  {CONFIG_FILE}" in result.stdout  # type: ignore[attr-defined]
    assert (root / CONFIG_FILE).read_text() == mine


@pytest.mark.parametrize("value", ['a"b', "back\\slash", "line\nbreak", "tab\there", "del\x7f", "ünï", "'single'"])
def test_the_toml_filter_reads_back_exactly(value: str) -> None:
    assert tomllib.loads(f"x = {toml_str(value)}\n")["x"] == value


def test_environment_values_may_be_numbers_and_booleans(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("[apps.web.environment]\nWORKERS = 4\nDEBUG = false\nNAME = \"x\"\n")
    assert dict(load_config(tmp_path).app("web").environment) == {"WORKERS": "4", "DEBUG": "false", "NAME": "x"}


@pytest.mark.parametrize(("text", "message"), [
    ("[network]\nsubnets = \"subnet-1\"\n", "network.subnets must be a list"),
    ("[apps.web]\npaths = [\"api/*\"]\n", "apps.web.paths item 1 must be a path starting with /"),
    ("[apps.web.secrets]\nDB = 3\n", "apps.web.secrets.DB must be a secret ARN or an SSM parameter name"),
    ("[apps.web.environment]\n\"1X\" = \"a\"\n", "apps.web.environment.1X is not a valid environment variable name"),
    ("[project]\nname = \"My Shop\"\n", "project.name must be lowercase letters"),
    ("[project]\nregion = \"moon\"\n", "project.region must be an AWS region"),
    ("apps = 3\n", "apps must be a table"),
    ("[apps.web]\nsecrets_file = \"../.env\"\n", "apps.web.secrets_file must be a path inside the project"),
    ("[apps.web]\nsecrets_file = \"/etc/app.env\"\n", "apps.web.secrets_file must be a path inside the project"),
    ("[apps.web]\nrelease = [\"migrate\"]\n", "apps.web.release must be a command line"),
    ("[project]\ncertificate = \"notes.example.com\"\n", "project.certificate must be an ACM certificate ARN"),
    ("[project]\ncluster = \"arn:aws:ecs:eu-west-1:123456789012:cluster/platform\"\n", "project.cluster must be an ECS cluster's name"),
    ("[project]\nprovision = [\"mongodb\"]\n", "project.provision item 1 must be one of postgres"),
    ("[deploy]\ntarget = \"k8s\"\n", "deploy.target must be one of ecs, local"),
    ("[deploy]\nstrategy = \"big-bang\"\n", "deploy.strategy must be one of blue-green, canary, rolling"),
    ("[deploy]\ncanary_steps = [50, 10, 100]\n", "deploy.canary_steps must rise from above 0 to 100"),
    ("[deploy]\ncanary_steps = [10, 50]\n", "deploy.canary_steps must rise from above 0 to 100"),
    ("[deploy]\ncanary_steps = [0, 100]\n", "deploy.canary_steps item 1 must be between 1 and 100"),
    ("[deploy]\nbake = \"1m\"\n", "deploy.bake must be a number of seconds"),
    ("[deploy]\ndrain = -1\n", "deploy.drain must be between 0 and 3600 seconds"),
    ("[deploy]\nspeed = 3\n", "deploy.speed is not a setting migrate knows"),
    ("[apps.web]\nruntime_version = \"latest\"\n", "apps.web.runtime_version must be a version such as 3.12 or 20"),
    ("[apps.web]\nruntime_version = 3.12\n", "apps.web.runtime_version must be a non-empty string"),
    ("[apps.web]\nservices = [\"mongo\"]\n", "apps.web.services item 1 must be one of elasticsearch, kafka, mongodb"),
    ("[apps.web]\nservices = [\"redis\", \"redis\"]\n", "apps.web.services names 'redis' twice"),
    ("[apps.web]\nsecret_vars = [\"API KEY\"]\n", "apps.web.secret_vars item 1 must be an environment variable's name"),
    ("[apps.web]\nsecret_vars = \"API_KEY\"\n", "apps.web.secret_vars must be a list"),
    ("[apps.web]\nframework = \"Django\"\n", "apps.web.framework must be one of django, fastapi"),
    ("[deploy]\nsmoke = [\"healthz\"]\n", "deploy.smoke item 1 must be a path starting with /"),
    ("[deploy]\nsmoke = [\"/a\", \"/a\"]\n", "deploy.smoke names '/a' twice"),
])
def test_bad_values_name_the_key_and_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / CONFIG_FILE).write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / CONFIG_FILE}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_corrections_of_inspects_facts_are_read(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("[apps.web]\nruntime_version = \"3.11\"\nservices = []\nsecret_vars = [\"API_KEY\"]\n"
                                        "framework = \"none\"\n")
    web = load_config(tmp_path).app("web")
    assert (web.runtime_version, web.services, web.secret_vars, web.framework) == ("3.11", (), ("API_KEY",), "none")
    assert load_config(tmp_path).app("other").services is None  # not set: inspect's


def test_the_deploy_table_is_read(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("[deploy]\ntarget = \"local\"\nstrategy = \"canary\"\ncanary_steps = [5, 25, 100]\n"
                                         "bake = 30\nfinal_bake = 0\ndrain = 2.5\nready_timeout = 300\n")
    deploy = load_config(tmp_path).deploy
    assert (deploy.target, deploy.strategy, deploy.canary_steps) == ("local", "canary", (5, 25, 100))
    assert (deploy.bake, deploy.final_bake, deploy.drain, deploy.ready_timeout) == (30, 0, 2.5, 300)
    assert load_config(tmp_path / "nowhere").deploy.target is None


def test_no_file_is_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.project, config.region, dict(config.apps), config.source) == (None, None, {}, None)


def test_an_existing_cluster_is_read(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text("[project]\nname = \"shop\"\ncluster = \"platform_eu-1\"\n")
    assert load_config(tmp_path).cluster == "platform_eu-1"
    assert load_config(tmp_path / "nowhere").cluster is None

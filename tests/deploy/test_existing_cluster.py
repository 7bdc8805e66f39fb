"""Deploying into an ECS cluster migrate did not create (``[project] cluster``), on moto, the CLI end to end.

The cluster is someone else's: another team's service runs in it. migrate runs the project's services
there and never creates, changes, tags or deletes the cluster; a service of another project under
one of the project's names, a cluster that does not exist, and a project whose services run in its
own cluster already are refused before anything changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate.deploy.aws import connect
from migrate.deploy.ownership import as_list, owner_tags

from .conftest import REGION
from .scheduler import ColourScheduler, scheduler_health  # noqa: F401 (a fixture)
from .test_cli_deploy import FLASK_CONFIG, IMAGE, Cli, cli, copy_example  # noqa: F401 (cli: a fixture)
from .test_cli_weighted import IMAGE2, two_images_published

APP = "python-flask-postgres"
IN_PLATFORM = FLASK_CONFIG.replace('name = "notes"\n', 'name = "notes"\ncluster = "platform"\n')


def platform_with_billing(aws: Any, service: str = "billing", family: str = "billing", tags: dict[str, str] | None = None) -> None:
    """The platform team's cluster and one service of theirs in it (no migrate tag on either)."""
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="platform", tags=[{"key": "team", "value": "platform"}])
    ecs.register_task_definition(family=family, containerDefinitions=[{"name": "app", "image": "billing:1", "memory": 512}])
    ecs.create_service(cluster="platform", serviceName=service, taskDefinition=family, desiredCount=1,
                       **({"tags": as_list(tags, "key", "value")} if tags else {}))


def active(aws: Any, cluster: str) -> list[str]:
    ecs = aws.client("ecs")
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    found = ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []
    return sorted(s["serviceName"] for s in found if s["status"] == "ACTIVE")


def test_the_services_run_in_the_existing_cluster_and_destroy_leaves_it_and_its_other_services(cli: Cli, tmp_path: Path) -> None:  # noqa: F811 (cli: the fixture)
    aws = connect(REGION)
    platform_with_billing(aws)
    root = copy_example(APP, tmp_path, IN_PLATFORM)

    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--plan")
    assert status == 0, err
    assert "= ECS cluster platform (exists, not made by migrate: used as it is, never changed)" in out
    assert "+ ECS cluster" not in out and cli.calls.mutating == []

    status, out, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    assert f"{APP}: notes-{APP}:1 runs 2 of 2 tasks, every target healthy" in err
    ecs = aws.client("ecs")
    assert [a.rsplit("/", 1)[1] for a in ecs.list_clusters()["clusterArns"]] == ["platform"]  # no cluster "notes"
    assert active(aws, "platform") == ["billing", APP]
    assert not any(c.startswith("ecs.") and c.split(".")[1] in ("CreateCluster", "UpdateClusterSettings", "TagResource", "DeleteCluster")
                   for c in cli.calls.mutating)
    (cluster,) = ecs.describe_clusters(clusters=["platform"], include=["TAGS", "SETTINGS"])["clusters"]
    assert cluster["tags"] == [{"key": "team", "value": "platform"}]  # not tagged as migrate's
    scalable = aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert [t["ResourceId"] for t in scalable] == [f"service/platform/{APP}"]

    cli.calls.clear()
    status, out, err = cli("deploy", str(root), "--image", IMAGE)
    assert status == 0, err
    assert "notes is up to date: nothing to change" in err and cli.calls.mutating == []

    status, out, err = cli("destroy", str(root), "--yes")
    assert status == 0, err
    assert "! ECS cluster platform (not created by migrate: left alone)" in out
    assert f"- ECS service {APP}" in out
    (cluster,) = ecs.describe_clusters(clusters=["platform"])["clusters"]
    assert cluster["status"] == "ACTIVE"
    assert active(aws, "platform") == ["billing"]


def test_a_cluster_that_does_not_exist_is_one_line_and_nothing_changes(cli: Cli, tmp_path: Path) -> None:  # noqa: F811 (cli: the fixture)
    root = copy_example(APP, tmp_path, IN_PLATFORM)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status != 0
    assert "ECS cluster platform ([project] cluster in migrate.toml) does not exist in eu-west-1" in err
    assert "Traceback" not in err and cli.calls.mutating == []


def test_a_service_of_another_project_under_the_apps_name_is_refused(cli: Cli, tmp_path: Path) -> None:  # noqa: F811 (cli: the fixture)
    """The ownership tags name the app, not the project: another migrate project's service of the same app name
    carries the same ones. Its task definition family tells them apart."""
    aws = connect(REGION)
    platform_with_billing(aws, service=APP, family=f"shop-{APP}", tags=owner_tags(APP))
    root = copy_example(APP, tmp_path, IN_PLATFORM)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status != 0
    assert (f"ECS cluster platform already runs a service named {APP} (task definition shop-{APP}), "
            f"not this project's (notes-{APP})") in err
    assert cli.calls.mutating == []


def test_moving_the_services_from_the_projects_own_cluster_is_refused(cli: Cli, tmp_path: Path) -> None:  # noqa: F811 (cli: the fixture)
    aws = connect(REGION)
    platform_with_billing(aws)
    root = copy_example(APP, tmp_path, FLASK_CONFIG)
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status == 0, err
    (root / "migrate.toml").write_text(IN_PLATFORM)
    cli.calls.clear()
    status, _, err = cli("deploy", str(root), "--image", IMAGE, "--yes")
    assert status != 0
    assert f"{APP} run in ECS cluster notes, the project's own; moving them to platform is not supported" in err
    assert cli.calls.mutating == []
    assert active(aws, "platform") == ["billing"]


class PlatformCli(Cli):
    """:class:`Cli` whose scheduler plays every service of the platform cluster behind the balancer."""

    def __init__(self, health: dict[str, tuple[str, str, str]]) -> None:
        super().__init__(health)
        self.colours["platform"] = ColourScheduler(connect(REGION), "platform", health)


@pytest.fixture
def weighted(moto: None, scheduler_health: dict[str, tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> PlatformCli:  # noqa: F811
    two_images_published(monkeypatch)
    return PlatformCli(scheduler_health)


def test_blue_green_moves_the_traffic_between_colours_in_the_existing_cluster(weighted: PlatformCli, tmp_path: Path) -> None:
    aws = connect(REGION)
    platform_with_billing(aws)
    root = copy_example(APP, tmp_path, IN_PLATFORM)
    for image in (IMAGE, IMAGE2):
        status, out, err = weighted("deploy", str(root), "--image", image, "--yes", "--strategy", "blue-green")
        assert status == 0, err
    assert "blue takes all the traffic" in out + err
    assert active(aws, "platform") == ["billing", APP, f"{APP}-blue"]
    status, out, err = weighted("status", str(root), "--target", "ecs")
    assert status == 0, err
    assert "blue" in out and f"notes-{APP}:2" in out

    status, out, err = weighted("destroy", str(root), "--yes")
    assert status == 0, err
    assert active(aws, "platform") == ["billing"]

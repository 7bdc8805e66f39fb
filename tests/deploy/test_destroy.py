"""`migrate destroy`: delete exactly what migrate created for the project, and nothing else."""

from __future__ import annotations

import dataclasses
from typing import Any

from migrate.deploy.plan import apply, destroy_plan, make_plan, render
from migrate.deploy.service import default_network
from migrate.deploy.spec import ServiceSpec
from migrate.deploy.stack import stack

from .test_service import WEB


def specs() -> tuple[ServiceSpec, ...]:
    worker = ServiceSpec(app="worker", image=WEB.image, port=None, probe=None, command=("celery", "worker"))
    return (WEB, worker)


def tagged_by_migrate(aws: Any) -> list[str]:
    """Every resource the tagging API finds with migrate's ownership tag, but deleted ECS services and clusters.

    ECS keeps a deleted service or cluster for a while as INACTIVE (and moto keeps it for good)
    before it disappears: it is gone for every purpose but the listing.
    """
    client = aws.client("resourcegroupstaggingapi")
    pages = client.get_paginator("get_resources").paginate(TagFilters=[{"Key": "migrate:managed-by", "Values": ["migrate"]}])
    arns = [r["ResourceARN"] for page in pages for r in page["ResourceTagMappingList"]]
    services = [a for a in arns if ":service/" in a]
    inactive = {s["serviceArn"] for a in services for s in aws.client("ecs").describe_services(
        cluster=a.split("/")[-2], services=[a])["services"] if s["status"] == "INACTIVE"}
    clusters = [a for a in arns if ":cluster/" in a]
    if clusters:
        inactive |= {c["clusterArn"] for c in aws.client("ecs").describe_clusters(clusters=clusters)["clusters"] if c["status"] == "INACTIVE"}
    return [a for a in arns if a not in inactive]


def test_destroy_deletes_everything_it_created_dependents_first(aws: Any) -> None:
    network = default_network(aws)
    apply(make_plan(stack(aws, "shop", specs(), network)))
    plan = destroy_plan(stack(aws, "shop", specs(), network))
    titles = [s.title for s in plan.steps]
    assert {s.action for s in plan.steps} == {"delete"}
    assert titles[0] == "autoscaling service/shop/worker" and titles[-1] == "ECS cluster shop"
    assert titles.index("ECS service api") < titles.index("target group shop-api") < titles.index("load balancer shop")
    assert titles.index("load balancer shop") < titles.index("security group shop-alb")
    apply(plan)
    assert all(s.action == "create" for s in make_plan(stack(aws, "shop", specs(), network)).steps)
    assert tagged_by_migrate(aws) == []
    assert destroy_plan(stack(aws, "shop", specs(), network)).steps == ()


def test_destroy_leaves_alone_what_migrate_did_not_create(aws: Any) -> None:
    network = default_network(aws)
    aws.client("logs").create_log_group(logGroupName="/ecs/shop/api")  # someone else's, same name
    resources = stack(aws, "shop", (WEB,), network)
    plan = destroy_plan(resources)
    assert [(s.title, s.action) for s in plan.steps] == [("log group /ecs/shop/api", "not-ours")]
    assert render(plan) == "! log group /ecs/shop/api (not created by migrate: left alone)\n0 to delete, 1 left alone\n"
    apply(plan)
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/shop/api")["logGroups"]


def test_a_second_destroy_finds_nothing(aws: Any, calls: Any) -> None:
    network = default_network(aws)
    resources = stack(aws, "shop", (dataclasses.replace(WEB, app="web"),), network)
    apply(make_plan(resources))
    apply(destroy_plan(stack(aws, "shop", (dataclasses.replace(WEB, app="web"),), network)))
    calls.clear()
    plan = destroy_plan(stack(aws, "shop", (dataclasses.replace(WEB, app="web"),), network))
    assert plan.steps == () and calls.mutating == []

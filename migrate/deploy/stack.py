"""Everything a project's services need, in the order it applies: the whole desired state of a deploy.

Per project: the cluster, and for its web apps one load balancer (with its security group) and one
HTTP listener. Per app (per image): repository, log group and roles, which its web service and its
workers share. Per service: a security group for its tasks, its task definition and the service; per web app also a target group, and a rule on the listener when
several apps share it. A task's security group admits only the load balancer's, on the app's port;
a worker's admits nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

from migrate.cutover.ports import COLOURS
from migrate.deploy.autoscaling import Scaling, ServiceScaling
from migrate.deploy.aws import Aws
from migrate.deploy.cache import cache
from migrate.deploy.database import ENGINES, database
from migrate.deploy.errors import DeployError
from migrate.deploy.fleet import colour_service
from migrate.deploy.foundation import Names, foundation
from migrate.deploy.loadbalancer import HTTPS_PORT, HealthCheck, Listener, LoadBalancer, Route, TargetGroup, elb_name
from migrate.deploy.native import (
    EVERY_PATH,
    TEST_TRAFFIC,
    NativeDeployment,
    NativeSettings,
    alternate_group,
    infrastructure_role,
)
from migrate.deploy.network import SecurityGroup
from migrate.deploy.plan import Resource
from migrate.deploy.resources import ExistingCluster, IamRole, LogGroup
from migrate.deploy.secrets import SsmSecret
from migrate.deploy.service import EcsService, Network, TaskDefinition
from migrate.deploy.spec import ServiceSpec
from migrate.profile import AppProfile

#: Never above the container's stop timeout, and short: AWS's 300 s default slows every deploy.
MAX_DEREGISTRATION_DELAY = 30


def health_check(spec: ServiceSpec) -> HealthCheck:
    """The target group's health check of a web service: its health path, else ``/`` answering below 500."""
    return HealthCheck(spec.health_path) if spec.health_path else HealthCheck("/", matcher="200-499")


def _target_group(aws: Aws, names: Names, spec: ServiceSpec, vpc_id: str) -> TargetGroup:
    assert spec.port is not None
    health = health_check(spec)
    delay = min(MAX_DEREGISTRATION_DELAY, spec.stop_timeout)
    return TargetGroup(aws, names.app, elb_name(names.project, names.app), vpc_id, spec.port, health, delay)


def stack(aws: Aws, project: str, specs: Sequence[ServiceSpec], network: Network, secrets: Sequence[Resource] = (),
          certificate: str | None = None, database_apps: Mapping[str, Mapping[str, AppProfile]] | None = None,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
          cache_apps: Mapping[str, AppProfile] | None = None, native: NativeSettings | None = None,
          cluster: str | None = None) -> list[Resource]:
    """The resources of every service in ``specs``, dependencies first; ``secrets``: the values migrate stores
    for them (:mod:`migrate.deploy.secrets`), before the roles allowed to read them and the tasks that do.

    ``database_apps`` (engine -> image name -> profile): the databases migrate provisions and the
    apps each serves (:mod:`migrate.deploy.database`, waited for on ``clock``); each comes after
    their tasks' security groups, which it admits, and before the task definitions, which read its
    connection settings. ``cache_apps``: the same for a Redis on ElastiCache (:mod:`migrate.deploy.cache`).
    ``native``: the web services are moved by that one of ECS's own strategies (:mod:`migrate.deploy.native`):
    each gets an alternate target group and its route a listener rule, and ECS a role to move them.
    ``cluster``: an existing ECS cluster to run in (``[project] cluster``), used as it is; None: the project's own.
    """
    web = [s for s in specs if s.port is not None]
    if len(web) > 1 and sum(1 for s in web if not s.paths) > 1:
        unrouted = ", ".join(s.app for s in web if not s.paths)
        raise DeployError(f"several web apps share the load balancer but {unrouted} have no path to route",
                          hint="give each but one a path in migrate.toml ([apps.NAME] paths = [\"/api/*\"])")
    ecs_cluster, *_ = foundation(aws, Names(project, specs[0].app, cluster))
    if isinstance(ecs_cluster, ExistingCluster):  # the names its services take there, each with the family it runs
        ecs_cluster = dataclasses.replace(ecs_cluster, services={
            name: f"{project}-{s.app}" for s in specs for name in (s.app, *((colour_service(s.app, c) for c in COLOURS) if s.port else ()))})
    resources: list[Resource] = [ecs_cluster, *secrets]
    ports = (80, HTTPS_PORT) if certificate else (80,)
    balancer_group = SecurityGroup(aws, project, f"{project}-alb", network.vpc_id, f"Load balancer of {project}: web traffic from anywhere",
                                   tuple((port, "0.0.0.0/0") for port in ports)) if web else None
    if balancer_group:
        resources.append(balancer_group)
    balancer = LoadBalancer(aws, project, elb_name(project), network.subnet_ids, balancer_group) if balancer_group else None
    targets = {s.app: _target_group(aws, Names(project, s.app), s, network.vpc_id) for s in web}
    alternates = {app: alternate_group(target) for app, target in targets.items()} if native else {}
    role = infrastructure_role(aws, project) if native and web else None
    if role is not None:
        resources.append(role)
    listeners: list[Listener] = []
    if balancer:
        # ECS's strategies move a listener rule: an app that takes every request gets one matching every
        # path, last, below the other apps' rules.
        # ... and, just above that rule, ECS's test listener rule: requests carrying X-Migrate-Side: test, which ECS
        # points at the new revision from its test traffic shift on (a lifecycle hook's smoke test, a person's look).
        routes = tuple(sorted((route for s in web for route in (
            (Route(targets[s.app], s.paths or (EVERY_PATH,), TEST_TRAFFIC), Route(targets[s.app], s.paths or (EVERY_PATH,)))
            if native else (Route(targets[s.app], s.paths),))), key=lambda route: route.paths == (EVERY_PATH,)))
        listeners = ([Listener(aws, project, balancer, routes, HTTPS_PORT, certificate), Listener(aws, project, balancer, routes, 80, redirect_to_https=True)]
                     if certificate else [Listener(aws, project, balancer, routes)])
    services: list[Resource] = []
    shared: dict[str, tuple[LogGroup, IamRole, IamRole]] = {}
    tasks_groups = {spec.app: SecurityGroup(aws, spec.app, f"{project}-{spec.app}-tasks", network.vpc_id,
                                            f"Tasks of {project}/{spec.app}: reachable only from its load balancer",
                                            ((spec.port, balancer_group),) if spec.port is not None and balancer_group else ())
                    for spec in specs}
    dbs = [database(aws, project, ENGINES[kind], network.subnet_ids, network.vpc_id, apps,
                    {s.app: tasks_groups[s.app] for s in specs if s.image_app in apps}, clock=clock, sleep=sleep)
           for kind, apps in sorted((database_apps or {}).items())]
    redis = cache(aws, project, network.subnet_ids, network.vpc_id, cache_apps,
                  {s.app: tasks_groups[s.app] for s in specs if s.image_app in (cache_apps or {})},
                  clock=clock, sleep=sleep) if cache_apps is not None else None
    connections = (*(c for db in dbs for c in db.connections), *(redis.connections if redis else ()))
    for spec in specs:
        names = Names(project, spec.app, cluster)
        if spec.image_app not in shared:
            # One repository, log group and pair of roles per image: the web service and the workers that
            # run it share them (a worker pulls the image from its app's repository, reads the same secrets).
            arns = sorted({arn for s in specs if s.image_app == spec.image_app for arn in s.secrets.values()})
            base = foundation(aws, Names(project, spec.image_app), secret_arns=arns)[1:]  # the cluster is shared
            execution, task = (r for r in base if isinstance(r, IamRole))
            shared[spec.image_app] = (next(r for r in base if isinstance(r, LogGroup)), execution, task)
            resources.extend(base)
        logs, execution, task = shared[spec.image_app]
        tasks_group = tasks_groups[spec.app]
        stored = tuple(r for r in (*secrets, *connections) if isinstance(r, SsmSecret) and r.app == spec.image_app)
        served = spec.port is not None  # a web service: reached through the balancer
        definition = TaskDefinition(aws, spec, f"{project}-{spec.app}", logs.name, execution.arn, task.arn, stored,
                                    balancer=balancer if served else None, certificate=certificate if served else None)
        resources.append(tasks_group)
        target = targets.get(spec.app)
        scaling = ServiceScaling(aws, spec.app, names.cluster, spec.app, Scaling(spec.min_tasks, spec.max_tasks), target, balancer if target else None)
        moved = NativeDeployment(native, alternates[spec.app], role, listeners[0]) if native and role and target else None
        services.extend([definition, EcsService(aws, spec, names.cluster, definition, network, (tasks_group,), target, moved), scaling])
    if balancer:
        resources.extend([balancer, *targets.values(), *alternates.values(), *listeners])
    return [*resources, *(r for db in dbs for r in db.resources), *(redis.resources if redis else ()), *services]

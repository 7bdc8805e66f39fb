"""The ECS scheduler that moto 5.2.5 does not have, played by hand on moto's backend.

moto stores ECS services and ELB target groups, but: ``update_service`` never starts a new
deployment (the old revision stays PRIMARY), services never run tasks, and every registered target
is always ``healthy``. This module, and only this module, plays those parts so that tests can
script a rollout: a new deployment, tasks running or stopping with a reason and an exit code (and
the log lines they wrote), the circuit breaker's rollback, targets and their health. Everything
else the tests see (the service, its tasks as ``describe_tasks`` returns them, the logs) is moto's.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

ACCOUNT = "123456789012"


@dataclass
class FakeScheduler:
    """Drives one service's deployments, tasks and targets in moto's backends."""

    aws: Any
    cluster: str
    service: str
    health: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # target id -> (state, reason, description)

    @property
    def _service(self) -> Any:
        from moto.ecs.models import ecs_backends

        backend = ecs_backends[ACCOUNT][self.aws.region]
        return backend.services[f"{self.cluster}:{self.service}"]

    def start_deployment(self, revision: str) -> None:
        """ECS reacting to update_service: a new PRIMARY deployment of ``revision``, the old one ACTIVE."""
        service = self._service
        for deployment in service.deployments:
            deployment["status"] = "ACTIVE"
        service.deployments.insert(0, {
            "id": f"ecs-svc/{len(service.deployments) + 1}", "status": "PRIMARY", "taskDefinition": revision,
            "desiredCount": service.desired_count, "runningCount": 0, "pendingCount": service.desired_count,
            "failedTasks": 0, "rolloutState": "IN_PROGRESS", "rolloutStateReason": "ECS deployment in progress.",
            "launchType": "FARGATE",
        })

    def run(self, revision: str, count: int) -> None:
        """``count`` tasks of ``revision`` are running."""
        deployment = self._deployment(revision)
        deployment["runningCount"] = count
        deployment["pendingCount"] = max(0, deployment["desiredCount"] - count)

    def complete(self, revision: str) -> None:
        """The rollout of ``revision`` is done: COMPLETED, older deployments drained."""
        self._deployment(revision)["rolloutState"] = "COMPLETED"
        self._service.deployments[:] = [d for d in self._service.deployments if d["taskDefinition"] == revision]

    def roll_back(self, revision: str, reason: str) -> None:
        """The circuit breaker gives up on ``revision``: it FAILED, the previous deployment is PRIMARY again."""
        failed = self._deployment(revision)
        failed.update(status="ACTIVE", rolloutState="FAILED", rolloutStateReason=reason)
        previous = next(d for d in self._service.deployments if d is not failed)
        previous["status"] = "PRIMARY"

    def stop_task(self, revision: str, reason: str, exit_code: int | None, log: tuple[str, ...] = ()) -> str:
        """A task of ``revision`` started, wrote ``log`` and stopped with ``reason`` and ``exit_code``; returns its id."""
        # Placed in moto's task table the way its run_task does, without run_task's EC2-style memory
        # accounting (which needs a container-level memory that Fargate does not).
        from moto.ecs.models import Task, ecs_backends

        backend = ecs_backends[ACCOUNT][self.aws.region]
        model = Task(cluster=backend.clusters[self.cluster], task_definition=backend.describe_task_definition(revision),
                     container_instance_arn=None, resource_requirements=None, backend=backend, group=f"service:{self.service}",
                     launch_type="FARGATE", networking_configuration=self._service.network_configuration,
                     started_by=self._deployment(revision)["id"])  # as ECS marks a service's tasks
        backend.tasks.setdefault(self.cluster, {})[model.task_arn] = model
        ecs = self.aws.client("ecs")
        ecs.stop_task(cluster=self.cluster, task=model.task_arn, reason=reason)
        for container in model.containers:
            container.exitCode = exit_code
        task = ecs.describe_tasks(cluster=self.cluster, tasks=[model.task_arn])["tasks"][0]
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        container = task["containers"][0]["name"]
        if log:
            logs = self.aws.client("logs")
            options = ecs.describe_task_definition(taskDefinition=revision)["taskDefinition"]["containerDefinitions"][0]["logConfiguration"]["options"]
            group = options["awslogs-group"]
            # awslogs names the stream after the task definition's prefix (the app's), whatever the service's name.
            stream = f"{options['awslogs-stream-prefix']}/{container}/{task_id}"
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                # Now: CloudWatch (and moto) reject events older than 14 days or than the retention.
                                logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": line} for i, line in enumerate(log)])
        return str(task_id)

    def target(self, target_group_arn: str, ip: str, state: str, reason: str = "", description: str = "") -> None:
        """A task's IP registered in the target group, in ``state`` (moto would say ``healthy`` whatever happens)."""
        self.aws.client("elbv2").register_targets(TargetGroupArn=target_group_arn, Targets=[{"Id": ip, "Port": 8000}])
        self.health[ip] = (state, reason, description)

    def _deployment(self, revision: str) -> dict[str, Any]:
        return next(d for d in self._service.deployments if d["taskDefinition"] == revision)


def deployments_on_update(monkeypatch: pytest.MonkeyPatch, aws: Any) -> None:
    """ECS answering update_service with a new PRIMARY deployment when the revision changes or one is forced
    (moto changes the service's revision and keeps the old deployment PRIMARY)."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.update_service

    def update_service(backend: Any, properties: dict[str, Any]) -> Any:
        cluster, name = properties.get("cluster", "default"), str(properties["service"]).split("/")[-1]
        revision, forced = properties.get("task_definition"), properties.get("force_new_deployment", False)
        service = original(backend, properties)
        primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
        if primary is not None and ((revision and primary["taskDefinition"] != service.task_definition) or forced):
            FakeScheduler(aws, cluster.split("/")[-1], name).start_deployment(service.task_definition)
        return service

    monkeypatch.setattr(EC2ContainerServiceBackend, "update_service", update_service)


@pytest.fixture
def scheduler_health(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, tuple[str, str, str]]]:
    """Target health as scripted by :meth:`FakeScheduler.target`, in place of moto's constant ``healthy``."""
    from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

    health: dict[str, tuple[str, str, str]] = {}
    original = FakeTargetGroup.health_for

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        if target["Id"] in health:
            state, reason, description = health[target["Id"]]
            return FakeHealthStatus(target["Id"], target.get("Port", self.port), self.health_check_port, state, reason or None, description or None)
        return original(self, target, ec2_backend)

    monkeypatch.setattr(FakeTargetGroup, "health_for", health_for)
    yield health


# ------------------------------------------------------------------------ one-off (release) tasks
@dataclass
class OneOffTasks:
    """ECS running one-off tasks (``run_task``): moto creates them, marked RUNNING at once, and never runs them.

    The scheduler's part is played here: a task is PROVISIONING until :meth:`start`, then runs until
    :meth:`finish` stops it with an exit code and the log lines it wrote; :meth:`no_capacity` makes
    ``run_task`` answer with a ``failures`` entry, as ECS does when it cannot place the task.
    """

    aws: Any
    cluster: str

    def _task(self, task_arn: str) -> Any:
        from moto.ecs.models import ecs_backends

        return ecs_backends[ACCOUNT][self.aws.region].tasks[self.cluster][task_arn]

    def launched(self) -> list[str]:
        """The ARNs of every task run_task created in the cluster, oldest first."""
        from moto.ecs.models import ecs_backends

        return list(ecs_backends[ACCOUNT][self.aws.region].tasks.get(self.cluster, {}))

    def hold_new_tasks(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every task run_task creates from now on is PROVISIONING (moto marks it RUNNING at once).

        moto's run_task also sums container-level memory, which a Fargate task definition need not
        have (its memory is the task's): that EC2 placement accounting is skipped.
        """
        from moto.ecs.models import EC2ContainerServiceBackend

        original = EC2ContainerServiceBackend.run_task
        monkeypatch.setattr(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", lambda backend, definition: None)

        def run_task(backend: Any, *args: Any, **kwargs: Any) -> Any:
            tasks = original(backend, *args, **kwargs)
            for task in tasks:
                task.last_status = "PROVISIONING"
            return tasks

        monkeypatch.setattr(EC2ContainerServiceBackend, "run_task", run_task)

    def start(self, task_arn: str) -> None:
        """The task's container runs."""
        self._task(task_arn).last_status = "RUNNING"

    def finish(self, task_arn: str, exit_code: int | None, reason: str = "Essential container in task exited",
               log: tuple[str, ...] = ()) -> None:
        """The task wrote ``log`` and stopped with ``reason``; its container exited with ``exit_code``."""
        ecs = self.aws.client("ecs")
        ecs.stop_task(cluster=self.cluster, task=task_arn, reason=reason)
        model = self._task(task_arn)
        for container in model.containers:
            container.exitCode = exit_code
        if log:
            definition = ecs.describe_task_definition(taskDefinition=model.task_definition_arn)["taskDefinition"]
            options = definition["containerDefinitions"][0]["logConfiguration"]["options"]
            name = definition["containerDefinitions"][0]["name"]
            stream = f"{options['awslogs-stream-prefix']}/{name}/{task_arn.rsplit('/', 1)[-1]}"
            logs = self.aws.client("logs")
            logs.create_log_stream(logGroupName=options["awslogs-group"], logStreamName=stream)
            logs.put_log_events(logGroupName=options["awslogs-group"], logStreamName=stream,
                                logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": line} for i, line in enumerate(log)])

    def no_capacity(self, monkeypatch: pytest.MonkeyPatch, reason: str, detail: str = "") -> None:
        """run_task places nothing and reports why, as ECS does (moto always places)."""
        from moto.core.responses import ActionResult
        from moto.ecs.responses import EC2ContainerServiceResponse

        failure = {"reason": reason, **({"detail": detail} if detail else {})}
        monkeypatch.setattr(EC2ContainerServiceResponse, "run_task", lambda self: ActionResult({"tasks": [], "failures": [failure]}))


# ------------------------------------------------------------------------ a cutover's colour services
@dataclass
class ColourScheduler:
    """ECS running the services of a cutover's colours, one :meth:`tick` at a time (call it from the clock's sleep).

    moto keeps each service's desired count and task definition, and does nothing with them: no task
    starts, no target registers, no deployment progresses. At each tick, for every service of the
    cluster behind a load balancer: its PRIMARY deployment runs the desired count of the service's
    revision (a new deployment first when the revision changed), and its target group holds one
    target per task, in the health :attr:`health_of` scripts for that revision (``healthy`` unless
    said otherwise), through :func:`scheduler_health`'s table. A service at 0 tasks leaves its target
    group. Nothing else is faked: the services, their tags and the target groups are moto's.
    """

    aws: Any
    cluster: str
    health: dict[str, tuple[str, str, str]]  # scheduler_health's table
    health_of: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # revision -> (state, reason, description)
    #: revision -> (stoppedReason, exit code, log lines): its tasks start, write the lines and stop, once per tick.
    crashes: dict[str, tuple[str, int, tuple[str, ...]]] = field(default_factory=dict)
    #: Only the colours' services (``*-blue``, ``*-green``): beside a scheduler that plays the other services.
    colours_only: bool = False
    _ips: dict[str, list[str]] = field(default_factory=dict)  # service -> its tasks' IPs
    _revisions: dict[str, str] = field(default_factory=dict)  # IP -> the revision its task runs
    _next_ip: int = 1

    def tick(self) -> None:
        """Bring every service of the cluster to its desired count (see the class docstring)."""
        from moto.ecs.models import ecs_backends

        backend = ecs_backends[ACCOUNT][self.aws.region]
        for key, service in list(backend.services.items()):
            if key.startswith(f"{self.cluster}:") and service.status == "ACTIVE" and service.load_balancers:
                if not self.colours_only or service.name.endswith(("-blue", "-green")):
                    self._converge(service)

    def _converge(self, service: Any) -> None:
        primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
        if primary is None or primary["taskDefinition"] != service.task_definition:
            FakeScheduler(self.aws, self.cluster, service.name).start_deployment(service.task_definition)
            primary = service.deployments[0]
        if service.task_definition in self.crashes and service.desired_count:
            reason, code, log = self.crashes[service.task_definition]
            FakeScheduler(self.aws, self.cluster, service.name).stop_task(service.task_definition, reason, code, log)
            return
        primary.update(desiredCount=service.desired_count, runningCount=service.desired_count, pendingCount=0,
                       rolloutState="COMPLETED", rolloutStateReason="ECS deployment completed.")
        service.deployments[:] = [primary]  # the old tasks were replaced
        group = service.load_balancers[0]["targetGroupArn"]
        elbv2 = self._elbv2
        ips = self._ips.setdefault(service.name, [])
        if ips and (len(ips) != service.desired_count or self._revision_of(ips[0]) != service.task_definition):
            elbv2.deregister_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8000} for ip in ips])
            ips.clear()
        if not ips and service.desired_count:
            for _ in range(service.desired_count):
                ip = f"10.0.9.{self._next_ip}"
                self._next_ip += 1
                self.health[ip] = self.health_of.get(service.task_definition, ("healthy", "", ""))
                self._revisions[ip] = service.task_definition
                ips.append(ip)
            elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": ip, "Port": 8000} for ip in ips])

    @functools.cached_property
    def _elbv2(self) -> Any:
        """A client of its own: ECS's registrations are not calls of the code under test (which counts its own)."""
        import boto3

        return boto3.client("elbv2", region_name=self.aws.region)

    def _revision_of(self, ip: str) -> str:
        return self._revisions[ip]

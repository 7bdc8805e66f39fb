"""ECS's service deployments, for a service moved by one of ECS's own strategies: what moto 5.2.5 lacks.

moto keeps services, task definitions, target groups and rules, but no *service deployments*:
``ListServiceDeployments``, ``DescribeServiceDeployments`` and ``DescribeServiceRevisions`` are not
implemented (nor ``StopServiceDeployment``), and it drops a service's ``deploymentConfiguration``
(strategy, bakes). This fake plays those calls, and only them, on the clients of a boto3 session
(botocore's ``before-call`` hook, the one Stubber uses): each ``CreateService``/``UpdateService`` whose
strategy is not ``ROLLING`` starts a deployment of the revision it names, which then walks through
``script`` one state per ``DescribeServiceDeployments``; and ``DescribeServices`` answers with the
``deploymentConfiguration`` the last of those requests set, as ECS does. A deployment whose request set
a PAUSE lifecycle hook at ``POST_TEST_TRAFFIC_SHIFT`` stops there, its hook awaiting action, until
``ContinueServiceDeployment`` continues it or rolls it back (ECS moving the test listener rule is not
played: the rule keeps forwarding where it does). Every answer played is
validated against ECS's API model before it is returned. Everything else (the service itself, the
balancer, IAM) is moto's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

ACCOUNT = "123456789012"
PAUSE_STAGE = "POST_TEST_TRAFFIC_SHIFT"

#: A deployment ECS carries to its end: a canary through its stages (traffic weights of the new revision).
SUCCEEDS: tuple[tuple[str, str | None, float | None], ...] = (
    ("PENDING", None, None), ("IN_PROGRESS", "SCALE_UP", 0.0), ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0),
    ("IN_PROGRESS", "BAKE_TIME", 100.0), ("SUCCESSFUL", None, 100.0))
#: One ECS rolls back: an alarm fired during the canary's bake.
ROLLS_BACK: tuple[tuple[str, str | None, float | None], ...] = (
    ("PENDING", None, None), ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0),
    ("ROLLBACK_IN_PROGRESS", None, 0.0), ("ROLLBACK_SUCCESSFUL", None, 0.0))


@dataclass
class _Deployment:
    arn: str
    service_arn: str
    cluster_arn: str
    revision_arn: str
    task_definition: str
    created: datetime
    script: tuple[tuple[str, str | None, float | None], ...]
    step: int = 0
    hook: str | None = None  # the PAUSE hook's id, while it awaits action
    rollback_reason: str = "alarm notes-5xx fired"


@dataclass
class EcsDeployments:
    """The service deployments ECS would run for the services a strategy moves; ``script``: how the next ones go."""

    region: str
    script: tuple[tuple[str, str | None, float | None], ...] = SUCCEEDS
    deployments: list[_Deployment] = field(default_factory=list)
    #: Each deployment's strategy, as the request that started it set it (``CANARY``...).
    strategies: list[str] = field(default_factory=list)
    #: Each service's deploymentConfiguration, as the last CreateService or UpdateService that named one set it.
    configurations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def attach(self, session: Any) -> None:
        """Play the service deployments on the clients ``session`` makes from now on."""
        session.events.register("before-parameter-build.ecs.CreateService", self._started)
        session.events.register("before-parameter-build.ecs.UpdateService", self._started)
        session.events.register("before-call.ecs.ListServiceDeployments", self._answer(self._list))
        session.events.register("before-call.ecs.DescribeServiceDeployments", self._answer(self._describe))
        session.events.register("before-call.ecs.DescribeServiceRevisions", self._answer(self._revisions))
        session.events.register("before-call.ecs.StopServiceDeployment", self._answer(self._stop))
        session.events.register("before-call.ecs.ContinueServiceDeployment", self._answer(self._continue))
        session.events.register("after-call.ecs.DescribeServices", self._with_configuration)

    # ------------------------------------------------------------------ requests
    def _started(self, params: dict[str, Any], **_: Any) -> None:
        cluster = str(params.get("cluster", "default")).rsplit("/", 1)[-1]
        service = str(params.get("serviceName") or params["service"]).rsplit("/", 1)[-1]
        if params.get("deploymentConfiguration"):
            self.configurations[f"{cluster}/{service}"] = dict(params["deploymentConfiguration"])
        strategy = (params.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")
        if strategy == "ROLLING" or "taskDefinition" not in params:
            return
        n = len(self.deployments) + 1
        task_definition = str(params["taskDefinition"])
        if not task_definition.startswith("arn:"):
            task_definition = f"arn:aws:ecs:{self.region}:{ACCOUNT}:task-definition/{task_definition}"
        self.strategies.append(str(strategy))
        hooks = params["deploymentConfiguration"].get("lifecycleHooks") or []
        pauses = any(h.get("targetType") == "PAUSE" and PAUSE_STAGE in h.get("lifecycleStages", []) for h in hooks)
        script = self.script
        if pauses:  # the test traffic shift, then the pause, before the production traffic moves
            at = next((i for i, (_, stage, _) in enumerate(script) if stage == "PRODUCTION_TRAFFIC_SHIFT"), len(script) - 1)
            script = (*script[:at], ("IN_PROGRESS", "TEST_TRAFFIC_SHIFT", 0.0), ("IN_PROGRESS", PAUSE_STAGE, 0.0), *script[at:])
        self.deployments.append(_Deployment(
            f"arn:aws:ecs:{self.region}:{ACCOUNT}:service-deployment/{cluster}/{service}/d{n}",
            f"arn:aws:ecs:{self.region}:{ACCOUNT}:service/{cluster}/{service}",
            f"arn:aws:ecs:{self.region}:{ACCOUNT}:cluster/{cluster}",
            f"arn:aws:ecs:{self.region}:{ACCOUNT}:service-revision/{cluster}/{service}/r{n}",
            task_definition, datetime.now(UTC), script, hook=f"hook-{n}" if pauses else None))

    def _with_configuration(self, parsed: dict[str, Any], **_: Any) -> None:
        for service in parsed.get("services", []):
            key = f"{str(service.get('clusterArn', '')).rsplit('/', 1)[-1]}/{service.get('serviceName')}"
            if key in self.configurations:
                service["deploymentConfiguration"] = self.configurations[key]

    def _answer(self, play: Any) -> Any:
        def handler(model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            body = play(params.get("body") if isinstance(params.get("body"), dict) else _decoded(params))
            validate_parameters(body, model.output_shape)  # the answer's shape is ECS's, or ParamValidationError
            return AWSResponse(None, 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}
        return handler

    def _list(self, request: dict[str, Any]) -> dict[str, Any]:
        service = str(request["service"]).rsplit("/", 1)[-1]
        statuses = request.get("status")
        after = (request.get("createdAt") or {}).get("after")  # epoch seconds in the JSON body
        found = [d for d in self.deployments if d.service_arn.endswith(f"/{service}")
                 and (not statuses or self.state(d)[0] in statuses) and (after is None or d.created.timestamp() >= float(after))]
        return {"serviceDeployments": [{"serviceDeploymentArn": d.arn, "serviceArn": d.service_arn, "clusterArn": d.cluster_arn,
                                        "createdAt": d.created, "targetServiceRevisionArn": d.revision_arn,
                                        "status": self.state(d)[0]} for d in found]}

    def _describe(self, request: dict[str, Any]) -> dict[str, Any]:
        answers = []
        for d in self.deployments:
            if d.arn not in request["serviceDeploymentArns"]:
                continue
            status, stage, weight = self.state(d)
            waiting = stage == PAUSE_STAGE and d.hook is not None
            if not waiting:
                d.step = min(d.step + 1, len(d.script) - 1)  # ECS moves on between two looks
            target: dict[str, Any] = {"arn": d.revision_arn, "requestedTaskCount": 2, "runningTaskCount": 2}
            if weight is not None:
                target["requestedProductionTrafficWeight"] = weight
            answer: dict[str, Any] = {"serviceDeploymentArn": d.arn, "serviceArn": d.service_arn, "clusterArn": d.cluster_arn,
                                      "status": status, "targetServiceRevision": target}
            if stage:
                answer["lifecycleStage"] = stage
            if waiting:
                answer["lifecycleHookDetails"] = [{"hookId": d.hook, "targetType": "PAUSE", "status": "AWAITING_ACTION",
                                                   "timeoutAction": "ROLLBACK"}]
            if status.startswith("ROLLBACK"):
                answer["rollback"] = {"reason": d.rollback_reason, "startedAt": d.created}
                if "alarm" in d.rollback_reason:
                    answer["alarms"] = {"status": "TRIGGERED", "triggeredAlarmNames": ["notes-5xx"]}
            answers.append(answer)
        return {"serviceDeployments": answers, "failures": []}

    def _revisions(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"serviceRevisions": [{"serviceRevisionArn": d.revision_arn, "serviceArn": d.service_arn, "clusterArn": d.cluster_arn,
                                      "taskDefinition": d.task_definition}
                                     for d in self.deployments if d.revision_arn in request["serviceRevisionArns"]], "failures": []}

    def _stop(self, request: dict[str, Any]) -> dict[str, Any]:
        for d in self.deployments:
            if d.arn == request["serviceDeploymentArn"]:
                d.script, d.step = (("STOPPED", None, 0.0),), 0
        return {"serviceDeploymentArn": request["serviceDeploymentArn"]}

    def _continue(self, request: dict[str, Any]) -> dict[str, Any]:
        for d in self.deployments:
            if d.arn == request["serviceDeploymentArn"]:
                assert d.hook is not None and request["hookId"] == d.hook, f"no hook {request['hookId']} awaits action on {d.arn}"
                d.hook = None
                if request.get("action", "CONTINUE") == "CONTINUE":
                    d.step += 1
                else:
                    d.script, d.step = (("ROLLBACK_IN_PROGRESS", None, 0.0), ("ROLLBACK_SUCCESSFUL", None, 0.0)), 0
                    d.rollback_reason = "rolled back at the lifecycle hook"
        return {"serviceDeploymentArn": request["serviceDeploymentArn"]}

    @staticmethod
    def state(d: _Deployment) -> tuple[str, str | None, float | None]:
        """The deployment's status, lifecycle stage and new revision's weight now."""
        return d.script[d.step]


def _decoded(params: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters, from the serialised JSON body botocore built (ECS speaks JSON 1.1)."""
    import json

    body = params.get("body") or b"{}"
    return dict(json.loads(body.decode() if isinstance(body, bytes) else body))

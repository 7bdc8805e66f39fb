"""Autoscaling of an ECS service: between a minimum and a maximum task count, tracking CPU and,
for a web app, requests per target at the load balancer.

Application Auto Scaling keys everything on the service's resource id (``service/CLUSTER/NAME``); its
scalable target and policies are part of the service, so they carry the service's ownership: the
planner checks the service's tags for them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import aws_call
from migrate.deploy.loadbalancer import LoadBalancer, TargetGroup
from migrate.deploy.ownership import owner_tags
from migrate.deploy.plan import Observed

_DIMENSION = "ecs:service:DesiredCount"


@dataclass(frozen=True)
class Scaling:
    """The limits and targets: average CPU per task in percent, requests per task per minute."""

    minimum: int = 2
    maximum: int = 10
    cpu_percent: int = 60
    requests_per_target: int = 1000
    scale_in_cooldown: int = 300  # slow to shrink: a spike often comes back
    scale_out_cooldown: int = 60


@dataclass
class ServiceScaling:
    """The scalable target of one service and its target-tracking policies."""

    aws: Aws
    app: str
    cluster: str
    service: str
    scaling: Scaling
    target_group: TargetGroup | None = None
    load_balancer: LoadBalancer | None = None
    kind: str = field(default="autoscaling", init=False)

    @property
    def name(self) -> str:
        """``service/CLUSTER/SERVICE``: Application Auto Scaling's resource id."""
        return f"service/{self.cluster}/{self.service}"

    @property
    def client(self) -> Any:
        """The Application Auto Scaling client."""
        return self.aws.client("application-autoscaling")

    def _policies(self) -> dict[str, dict[str, Any]]:
        s = self.scaling
        common = {"ScaleInCooldown": s.scale_in_cooldown, "ScaleOutCooldown": s.scale_out_cooldown}
        policies = {f"{self.service}-cpu": {"TargetValue": float(s.cpu_percent), **common,
                                            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}
        if self.target_group is not None and self.load_balancer is not None:
            policies[f"{self.service}-requests"] = {"TargetValue": float(s.requests_per_target), **common,
                                                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget",
                                                                                      "ResourceLabel": self._resource_label()}}
        return policies

    def _resource_label(self) -> str:
        """``app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID``: the tails of the two ARNs (known once both exist)."""
        lb, tg = self.load_balancer, self.target_group
        if lb is None or tg is None or lb.arn is None or tg.arn is None:
            return f"(new: {lb.name if lb else '?'}, {tg.name if tg else '?'})"
        return f"{lb.arn.split(':loadbalancer/', 1)[1]}/{tg.arn.rsplit(':', 1)[1]}"

    @property
    def desired(self) -> Mapping[str, str]:
        """The task count limits and each policy's configuration."""
        fields = {"tasks": f"{self.scaling.minimum} to {self.scaling.maximum}"}
        fields.update({f"policy {n}": json.dumps(c, sort_keys=True) for n, c in sorted(self._policies().items())})
        return fields

    def observe(self) -> Observed | None:
        """The registered limits and policies, or None when the service is not scalable yet."""
        with aws_call("application-autoscaling:DescribeScalableTargets", self.name):
            targets = self.client.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[self.name], ScalableDimension=_DIMENSION)["ScalableTargets"]
        if not targets:
            return None
        fields = {"tasks": f"{targets[0]['MinCapacity']} to {targets[0]['MaxCapacity']}"}
        with aws_call("application-autoscaling:DescribeScalingPolicies", self.name):
            policies = self.client.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=self.name, ScalableDimension=_DIMENSION)["ScalingPolicies"]
        for policy in policies:
            config = policy.get("TargetTrackingScalingPolicyConfiguration", {})
            fields[f"policy {policy['PolicyName']}"] = json.dumps(config, sort_keys=True)
        # Part of the service, which the planner has checked is migrate's.
        return Observed(fields, owner_tags(self.app))

    def create(self) -> None:
        """Register the service as scalable, then put its policies."""
        self.update(list(self.desired))

    def update(self, fields: Sequence[str]) -> None:
        """Register the limits and put each policy that differs (both calls are upserts)."""
        if "tasks" in fields:
            with aws_call("application-autoscaling:RegisterScalableTarget", self.name):
                self.client.register_scalable_target(ServiceNamespace="ecs", ResourceId=self.name, ScalableDimension=_DIMENSION,
                                                     MinCapacity=self.scaling.minimum, MaxCapacity=self.scaling.maximum)
        for name, config in sorted(self._policies().items()):
            if f"policy {name}" in fields:
                with aws_call("application-autoscaling:PutScalingPolicy", self.name):
                    self.client.put_scaling_policy(PolicyName=name, ServiceNamespace="ecs", ResourceId=self.name,
                                                   ScalableDimension=_DIMENSION, PolicyType="TargetTrackingScaling",
                                                   TargetTrackingScalingPolicyConfiguration=config)

    def hold_at_zero(self) -> None:
        """Limit the service to zero tasks (a failed first deploy): a minimum above zero would start them again.
        The next deploy's plan sees the limits differ and restores them."""
        with aws_call("application-autoscaling:RegisterScalableTarget", self.name):
            self.client.register_scalable_target(ServiceNamespace="ecs", ResourceId=self.name, ScalableDimension=_DIMENSION,
                                                 MinCapacity=0, MaxCapacity=0)

    def delete(self) -> None:
        """Delete the policies, then deregister the scalable target."""
        with aws_call("application-autoscaling:DescribeScalingPolicies", self.name):
            policies = self.client.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=self.name, ScalableDimension=_DIMENSION)["ScalingPolicies"]
        # moto 5.2.5 filters on ResourceId as a substring: asked for service/c/api-worker's, it lists service/c/api's
        # too. Only this service's own are deleted.
        for policy in (p for p in policies if p.get("ResourceId", self.name) == self.name):
            with aws_call("application-autoscaling:DeleteScalingPolicy", self.name):
                self.client.delete_scaling_policy(PolicyName=policy["PolicyName"], ServiceNamespace="ecs", ResourceId=self.name, ScalableDimension=_DIMENSION)
        with aws_call("application-autoscaling:DeregisterScalableTarget", self.name):
            self.client.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=self.name, ScalableDimension=_DIMENSION)

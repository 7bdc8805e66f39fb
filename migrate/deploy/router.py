"""The cutover engine's router on ECS: one app's routing on an ALB listener, as a weighted ``forward``.

The app's routing is its path rule on the listener, or the listener's default action when the app
takes every request (what :class:`~migrate.deploy.loadbalancer.Listener` made). A cutover turns its
``forward`` into a weighted one over a target group per side: ``blue`` and ``green`` (the two ECS
services) and, for a migration (``--from``), an ``ip`` target group of the old servers' addresses.

Here, not in :mod:`migrate.cutover`, because it calls AWS: the engine stays free of boto3, and this
module only takes the :class:`~migrate.deploy.aws.Aws` it is given (no SDK import of its own).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.loadbalancer import TargetGroup, _paths, app_rules, elb_name

#: ALB's largest weight of one target group in a forward action (0-999).
ALB_MAX_WEIGHT = 999


def side_target_group(base: TargetGroup, side: str) -> TargetGroup:
    """The target group of ``side`` (``blue``, ``green``, an external side): the app's, under a name of its own.

    Same port, ``ip`` targets, health check and deregistration delay as the app's target group, so a
    side is judged healthy exactly as the app was before the cutover.
    """
    return dataclasses.replace(base, name=elb_name(base.name, side))


@dataclass
class AlbRouter:
    """One app's traffic on one listener, split by weight between the target groups of ``sides``.

    ``paths``: the app's path patterns, whose rule it routes; none: the listener's default action.
    Weights are read from AWS on every call (the engine compares what it set with what it reads, to
    catch anyone else changing the rule), and set in one ModifyRule or ModifyListener call.
    """

    aws: Aws
    listener_arn: str
    sides: Mapping[str, str]  # side -> target group ARN
    paths: tuple[str, ...] = ()

    @property
    def max_weight(self) -> int:
        """ALB's 999."""
        return ALB_MAX_WEIGHT

    @property
    def elbv2(self) -> Any:
        """The ELBv2 client."""
        return self.aws.client("elbv2")

    @property
    def what(self) -> str:
        """``rule /api/* of listener ARN`` for messages."""
        where = f"rule {' '.join(self.paths)}" if self.paths else "default action"
        return f"{where} of listener {self.listener_arn}"

    def weights(self) -> Mapping[str, int]:
        """Each side in the forward action and its weight; a target group of no known side is named by its ARN."""
        names = {arn: side for side, arn in self.sides.items()}
        groups = _forward_groups(self._actions()[1])
        if len(groups) == 1:
            # One target group takes every request whatever its weight (AWS stores 1 for a plain forward).
            return {names.get(groups[0][0], groups[0][0]): ALB_MAX_WEIGHT}
        return {names.get(arn, arn): weight for arn, weight in groups}

    def set_weights(self, weights: Mapping[str, int]) -> None:
        """Make ``weights`` the forward action's, in one call; a side left out leaves the action."""
        bad = {s: w for s, w in weights.items() if not 0 <= w <= ALB_MAX_WEIGHT}
        if bad:
            raise DeployError(f"weights out of ALB's range 0-{ALB_MAX_WEIGHT} for {self.what}: {bad}")
        if not weights or not any(weights.values()):
            raise DeployError(f"no side would take the traffic of {self.what}: {dict(weights)}",
                              hint="give at least one side a weight above 0")
        unknown = sorted(s for s in weights if s not in self.sides and not s.startswith("arn:"))
        if unknown:
            raise DeployError(f"no target group for {', '.join(unknown)} on {self.what}")
        forward = [{"Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": self.sides.get(side, side), "Weight": w} for side, w in weights.items()],
            # Stickiness would keep pinned clients on a side after its weight went to 0: off, so a
            # weight change (and a rollback) moves every client at once.
            "TargetGroupStickinessConfig": {"Enabled": False}}}]
        rule_arn, actions = self._actions()
        foreign = sorted({str(a.get("Type")) for a in actions} - {"forward"})
        if foreign:
            # Replacing the actions would drop these (an authentication step, a redirect): not ours to remove.
            raise DeployError(f"the {self.what} does {', '.join(foreign)}, not only a forward: migrate shifts weights "
                              "only on a forward to the app", hint="route the app with a plain forward (as `migrate deploy` does)")
        if rule_arn is None:
            with aws_call("elasticloadbalancing:ModifyListener", self.what):
                self.elbv2.modify_listener(ListenerArn=self.listener_arn, DefaultActions=forward)
        else:
            with aws_call("elasticloadbalancing:ModifyRule", self.what):
                self.elbv2.modify_rule(RuleArn=rule_arn, Actions=forward)

    def drain(self, side: str) -> None:
        """Nothing to do on ALB: at weight 0 a target group gets no new request (ALB routes each request
        by the weights, and stickiness is off), and its open requests finish where they are. The
        deregistration delay covers them when the side's tasks stop and leave the group."""

    def _actions(self) -> tuple[str | None, list[dict[str, Any]]]:
        """The app's rule ARN (None: the default action) and its actions, read now."""
        if not self.paths:
            with aws_call("elasticloadbalancing:DescribeListeners", self.what):
                listener = self.elbv2.describe_listeners(ListenerArns=[self.listener_arn])["Listeners"][0]
            return None, list(listener.get("DefaultActions", []))
        with aws_call("elasticloadbalancing:DescribeRules", self.what):
            rules = self.elbv2.describe_rules(ListenerArn=self.listener_arn)["Rules"]
        rule = next((r for r in app_rules(rules) if set(_paths(r)) == set(self.paths)), None)
        if rule is None:
            raise DeployError(f"the listener has no rule for {' '.join(self.paths)}",
                              hint="run `migrate deploy` first: it creates the app's rule")
        return str(rule["RuleArn"]), list(rule.get("Actions", []))


def _forward_groups(actions: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The forward action's target groups and weights; none when the action is no forward (a 404)."""
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
        if groups:
            return [(str(g["TargetGroupArn"]), int(g.get("Weight", 1))) for g in groups]
        if action.get("TargetGroupArn"):
            return [(str(action["TargetGroupArn"]), ALB_MAX_WEIGHT)]
    return []


"""An honest fake of what moto lacks here: an ALB's nodes answering HTTP by the listener's rules, each late.

moto stores listeners and rules but routes no request. :class:`AlbNodes` answers a request the way
ALB does, from the rules moto holds: the rules by priority, a rule matching when every condition does
(path patterns with ``*`` and ``?``, an HTTP header by name in any case), else the default action; a
fixed response is answered as configured, a forward by the answer its target group is given in
``answers`` (200 when not given), with the group's name as the body. Each node sees a change of the
rules ``lag`` requests late (ALB: "changes take effect within seconds", node by node), keeping what
it saw before until then. Nothing else of ALB is modelled.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from migrate.cutover.http import Reply


@dataclass
class Node:
    lag: int = 0
    seen: str | None = None  # the rules as this node routes by them (JSON), None before its first request
    pending: int = 0  # requests answered from ``seen`` since a change was made


@dataclass
class AlbNodes:
    aws: Any
    listener_arn: str
    nodes: dict[str, Node]
    answers: dict[str, int] = field(default_factory=dict)  # target group name -> status
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (node, path, what answered)

    def settle(self) -> None:
        """Every node routes by the rules as they are now (a balancer long in service)."""
        for node in self.nodes.values():
            node.seen, node.pending = self._now(), 0

    def addresses(self, name: str, port: int) -> list[str]:
        return list(self.nodes)

    def fetch(self, address: str, port: int, path: str, headers: Mapping[str, str], *, tls: bool, server_name: str) -> Reply:
        node = self.nodes[address]
        now = self._now()
        if node.seen is None or node.seen == now:
            node.seen, node.pending = now, 0
        elif node.pending < node.lag:
            node.pending += 1
        else:
            node.seen, node.pending = now, 0
        view = json.loads(node.seen)
        actions = next((r["Actions"] for r in sorted(view["rules"], key=lambda r: int(r["Priority"]))
                        if all(_matches(c, path, headers) for c in r["Conditions"])), view["default"])
        reply = self._answer(actions[0])
        self.log.append((address, path, reply.body.decode()))
        return reply

    def _now(self) -> str:
        elbv2 = self.aws.client("elbv2")
        rules = [r for r in elbv2.describe_rules(ListenerArn=self.listener_arn)["Rules"] if not r.get("IsDefault")]
        default = elbv2.describe_listeners(ListenerArns=[self.listener_arn])["Listeners"][0]["DefaultActions"]
        return json.dumps({"rules": rules, "default": default}, sort_keys=True, default=str)

    def _answer(self, action: Mapping[str, Any]) -> Reply:
        if action["Type"] == "fixed-response":
            config = action["FixedResponseConfig"]
            return Reply(int(config["StatusCode"]), {}, str(config.get("MessageBody", "")).encode())
        groups = action.get("ForwardConfig", {}).get("TargetGroups") or [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
        arn = max(groups, key=lambda g: int(g.get("Weight", 1)))["TargetGroupArn"]
        name = arn.split(":")[-1].split("/")[1]
        return Reply(self.answers.get(name, 200), {}, name.encode())


def _matches(condition: Mapping[str, Any], path: str, headers: Mapping[str, str]) -> bool:
    field_ = condition["Field"]
    if field_ == "path-pattern":
        values = condition.get("PathPatternConfig", {}).get("Values") or condition.get("Values", [])
        return any(fnmatch.fnmatchcase(path.split("?")[0], v) for v in values)
    if field_ == "http-header":
        config = condition["HttpHeaderConfig"]
        sent = {k.lower(): v for k, v in headers.items()}.get(config["HttpHeaderName"].lower())
        return sent is not None and any(fnmatch.fnmatch(sent.lower(), v.lower()) for v in config["Values"])
    raise AssertionError(f"a condition this fake does not model: {condition}")

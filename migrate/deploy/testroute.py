"""The smoke test's route on ECS: a listener rule that sends requests naming a colour to its target group.

A request carrying ``X-Migrate-Side: green`` (:data:`~migrate.cutover.ports.SIDE_HEADER`) on the app's
paths reaches green's target group whatever the weights: a rule with the app's path patterns and that
header, just above the app's own rule (an app that takes every request: below every other rule), made
when the smoke test begins and deleted when it ends. While it exists (seconds), anyone sending the
header reaches the colour, which serves the same app: it opens nothing else, and nothing of it is
left in the listener after.

A new or changed rule reaches each of the load balancer's nodes on its own time, and ALB says
nothing of which rule routed a request: a request sent too early is answered by the live side, which
would pass the smoke test for the colour. So the rule is made first as a *marker*, a fixed response
with a body of its own, and each node (each address of the balancer's name) is asked until it gives
the marker (it has the rule); only then does the rule forward to the colour, and each node is asked
until its answer is no longer the marker. A node's answers only go forward (no rule, the marker, the
forward), so the answer judged is the colour's.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any

from migrate.cutover import http
from migrate.cutover.ports import SIDE_HEADER, Answer
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.loadbalancer import _paths, is_test_rule, rule_conditions

#: The status of the marker response (ALB's fixed responses take 2XX, 4XX and 5XX).
MARKER_STATUS = 418
#: A rule of an app that takes every request comes after every path rule: the lowest priority ALB has.
LAST_PRIORITY = 50000
#: The test rule of an app with paths sits this far above the app's rule (the stack spaces them 10 apart).
ABOVE = 5


def addresses(name: str, port: int) -> list[str]:
    """The balancer's node addresses: what its DNS name resolves to now (each node answers on its own)."""
    try:
        found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeployError(f"the load balancer's name {name} does not resolve from this machine ({exc})",
                          hint="a smoke test asks the load balancer from where migrate runs: check its DNS") from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


#: Seconds the smoke test of ECS's own strategies waits once ECS pauses the deployment: ECS pointed its test listener
#: rule at the new revision just before, and ALB applies a rule change on each node within seconds, telling no one
#: which rule routed an answer. migrate's own test rule is shown live on every node first (the marker, above); a rule
#: ECS owns cannot be, so this wait is the one assumption of that smoke test.
PROPAGATION = 15.0


def smoke_test_rule(dns_name: str, port: int, tls: bool, header: tuple[str, str], paths: Sequence[str], *,
                    sleep: Callable[[float], None] = time.sleep, settle: float = PROPAGATION) -> tuple[list[str], list[str]]:
    """``GET`` each path from each of the balancer's nodes with ``header`` (ECS's test listener rule's), after ``settle``
    seconds: what answered (``/healthz 200 from 2 nodes``) and what failed (anything but a 2xx or 3xx, or no answer)."""
    sleep(settle)
    try:
        nodes = addresses(dns_name, port)
    except DeployError as exc:
        return [], [str(exc)]
    answered, failed = [], []
    for path in paths:
        statuses = []
        for node in nodes:
            reply, error = _ask(node, port, path, {"Host": dns_name, header[0]: header[1]}, tls, dns_name)
            answer = Answer(reply.status) if reply is not None else Answer(None, error)
            statuses.append(answer.show())
            if not answer.passed:
                failed.append(f"{path}: {answer.show()} from {node}")
        answered.append(f"{path} {', '.join(sorted(set(statuses)))} from {len(nodes)} node{'s' if len(nodes) != 1 else ''}")
    return answered, failed


def _ask(node: str, port: int, path: str, headers: Mapping[str, str], tls: bool, dns_name: str) -> tuple[http.Reply | None, str]:
    """One request to one node: the reply, or None and why nothing answered."""
    try:
        return fetch(node, port, path, headers, tls=tls, server_name=dns_name), ""
    except (OSError, HTTPException) as exc:
        return None, f"no answer ({exc})"


def fetch(address: str, port: int, path: str, headers: Mapping[str, str], *, tls: bool, server_name: str) -> http.Reply:
    """One request to one node (a module function: the CLI's tests play it, as no ALB answers them)."""
    return http.get(address, port, path, headers, tls=tls, server_name=server_name)


@dataclass
class AlbTestRoute:
    """:class:`~migrate.cutover.ports.TestRoute` on the app's listener (see the module's docstring)."""

    aws: Aws
    listener_arn: str
    sides: Mapping[str, str]  # side -> target group ARN
    paths: tuple[str, ...]  # the app's path patterns; none: it takes every request
    dns_name: str  # the balancer's
    port: int = 80
    tls: bool = False
    #: How long each node may take to show the rule (ALB says a change takes effect in seconds).
    timeout: float = 60.0
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _rule: str | None = field(default=None, init=False)
    _marker: bytes = field(default=b"", init=False)
    _armed: bool = field(default=False, init=False)

    @property
    def elbv2(self) -> Any:
        """The ELBv2 client."""
        return self.aws.client("elbv2")

    @property
    def what(self) -> str:
        """``the test rule of /api/* on listener ARN`` for messages."""
        return f"the test rule of {' '.join(self.paths) or 'every path'} on listener {self.listener_arn}"

    def open(self, side: str) -> None:
        """Make the rule, as the marker (one left by a command that died is deleted first)."""
        if side not in self.sides:
            raise DeployError(f"no target group for {side} on listener {self.listener_arn}")
        rules = self._delete_ours(self._rules())
        self._marker = f"migrate test route {secrets.token_hex(8)}".encode()
        with aws_call("elasticloadbalancing:CreateRule", self.what):
            created = self.elbv2.create_rule(
                ListenerArn=self.listener_arn, Priority=self._priority(rules), Conditions=rule_conditions(self.paths, (SIDE_HEADER, side)),
                Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                    "StatusCode": str(MARKER_STATUS), "ContentType": "text/plain", "MessageBody": self._marker.decode()}}])
        self._rule, self._armed = str(created["Rules"][0]["RuleArn"]), False

    def get(self, side: str, path: str) -> Answer:
        """``GET path`` from every node, naming ``side``; the first answer that does not pass, else the first."""
        if self._rule is None:
            raise DeployError(f"{self.what}: not open")
        try:
            nodes = addresses(self.dns_name, self.port)
        except DeployError as exc:
            return Answer(None, str(exc))
        if not self._armed:
            for node in nodes:  # every node routes by the rule before it forwards anywhere
                late = self._until(node, path, side, lambda reply: reply is not None and self._is_marker(reply))
                if late is not None:
                    return late
            with aws_call("elasticloadbalancing:ModifyRule", self.what):
                self.elbv2.modify_rule(RuleArn=self._rule, Actions=[{"Type": "forward", "TargetGroupArn": self.sides[side]}])
            self._armed = True
        answers = []
        for node in nodes:
            answer = self._until(node, path, side, lambda reply: reply is not None and not self._is_marker(reply), judge=True)
            assert answer is not None
            answers.append(answer)
        return next((a for a in answers if not a.passed), answers[0])

    def close(self, side: str) -> None:
        """Delete the rule (and any other test rule of the app's paths)."""
        self._delete_ours(self._rules())
        self._rule, self._armed = None, False

    # ------------------------------------------------------------------ the nodes
    def _until(self, node: str, path: str, side: str, done: Callable[[http.Reply | None], bool],
               judge: bool = False) -> Answer | None:
        """Ask ``node`` until ``done`` (then: None, or with ``judge`` the reply as an answer); an answer saying
        why once :attr:`timeout` has passed."""
        end, last = self.now() + self.timeout, "no answer"
        headers = {"Host": self.dns_name, SIDE_HEADER: side}
        while True:
            reply, error = _ask(node, self.port, path, headers, self.tls, self.dns_name)
            if reply is None:
                last = error
            if done(reply):
                return Answer(reply.status) if judge and reply is not None else None
            if reply is not None:
                last = f"answered {reply.status}" + (" (the test rule's marker)" if self._is_marker(reply) else "")
            if self.now() >= end:
                stage = "forward to" if judge else "route by its rule to"
                return Answer(None, f"the load balancer's node {node} did not {stage} {side} within "
                              f"{self.timeout:.0f} s (last: {last})")
            self.sleep(1.0)

    def _is_marker(self, reply: http.Reply) -> bool:
        return reply.status == MARKER_STATUS and reply.body.strip() == self._marker

    # ------------------------------------------------------------------ the rules
    def _rules(self) -> list[dict[str, Any]]:
        with aws_call("elasticloadbalancing:DescribeRules", self.what):
            return [r for r in self.elbv2.describe_rules(ListenerArn=self.listener_arn)["Rules"] if not r.get("IsDefault")]

    def _delete_ours(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Delete the app's test rules among ``rules``; the others."""
        kept = []
        for rule in rules:
            if is_test_rule(rule) and set(_paths(rule)) == set(self.paths):
                with aws_call("elasticloadbalancing:DeleteRule", self.what):
                    self.elbv2.delete_rule(RuleArn=rule["RuleArn"])
            else:
                kept.append(rule)
        return kept

    def _priority(self, rules: list[dict[str, Any]]) -> int:
        """Just above the app's rule; an app without paths: the last priority."""
        if not self.paths:
            return LAST_PRIORITY
        own = next((int(r["Priority"]) for r in rules if not is_test_rule(r) and set(_paths(r)) == set(self.paths)), None)
        taken = {int(r["Priority"]) for r in rules}
        if own is None or own - ABOVE < 1 or own - ABOVE in taken:
            raise DeployError(f"{self.what}: no free priority just above the app's rule"
                              + (f" ({own})" if own is not None else " (the listener has no rule for its paths)"),
                              hint="run `migrate deploy` without --smoke once: it puts the app's rules back in order")
        return own - ABOVE


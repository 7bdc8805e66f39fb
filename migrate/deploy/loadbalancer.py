"""The project's Application Load Balancer, one target group per web app, and the listener routing to them.

The settings that cause 502s during deploys are chosen here, not left at AWS's defaults: the target
group's deregistration delay is tens of seconds (AWS: 300) and never longer than the container's
stop timeout, and its health check is the app's own health path. Names are capped at ELB's 32
characters with a stable hash suffix, so a long project name still finds its resources again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.cutover.ports import COLOURS, LEGACY, SIDE_HEADER
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.network import SecurityGroup
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.plan import Observed

#: Load balancer and target group names: at most 32 characters, letters, digits and hyphens.
ELB_NAME_MAX = 32
#: The ALB's idle timeout (AWS's default); app keep-alive must be longer (see the pre-flight).
IDLE_TIMEOUT = 60


#: The name part of an app's alternate target group (``PROJECT-APP-alt``), the one ECS's own strategies
#: (``--strategy ecs-*``, :mod:`migrate.deploy.native`) start a new revision behind.
ALTERNATE = "alt"


def elb_name(*parts: str) -> str:
    """``shop-api``, or a shortened name with a hash of the whole when it is too long."""
    name = "-".join(parts)
    if len(name) <= ELB_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: ELB_NAME_MAX - 7].rstrip('-')}-{digest}"


def _tags(elbv2: Any, arn: str, what: str) -> dict[str, str]:
    with aws_call("elasticloadbalancing:DescribeTags", what):
        found = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return from_list(found[0]["Tags"] if found else [])


@dataclass
class LoadBalancer:
    """An internet-facing Application Load Balancer in the VPC's subnets."""

    aws: Aws
    app: str  # the project: one load balancer fronts all its web apps
    name: str
    subnet_ids: tuple[str, ...]
    security_group: SecurityGroup
    kind: str = field(default="load balancer", init=False)
    arn: str | None = field(default=None, init=False)
    #: Where it answers (its DNS name), known once it exists.
    dns_name: str | None = field(default=None, init=False)

    @property
    def elbv2(self) -> Any:
        """The ELBv2 client."""
        return self.aws.client("elbv2")

    @property
    def desired(self) -> Mapping[str, str]:
        """Scheme, subnets and the idle timeout."""
        return {"scheme": "internet-facing", "subnets": " ".join(sorted(self.subnet_ids)), "idle_timeout": str(IDLE_TIMEOUT)}

    def observe(self) -> Observed | None:
        """The balancer's scheme, subnets, idle timeout and tags, or None."""
        with aws_call("elasticloadbalancing:DescribeLoadBalancers", f"load balancer {self.name}"):
            try:
                lb = self.elbv2.describe_load_balancers(Names=[self.name])["LoadBalancers"][0]
            except self.elbv2.exceptions.LoadBalancerNotFoundException:
                return None
        self.arn, self.dns_name = str(lb["LoadBalancerArn"]), lb.get("DNSName")
        with aws_call("elasticloadbalancing:DescribeLoadBalancerAttributes", f"load balancer {self.name}"):
            attributes = {a["Key"]: a["Value"] for a in self.elbv2.describe_load_balancer_attributes(LoadBalancerArn=self.arn)["Attributes"]}
        subnets = " ".join(sorted(z["SubnetId"] for z in lb.get("AvailabilityZones", [])))
        fields = {"scheme": str(lb["Scheme"]), "subnets": subnets, "idle_timeout": attributes.get("idle_timeout.timeout_seconds", "60")}
        return Observed(fields, _tags(self.elbv2, self.arn, f"load balancer {self.name}"))

    def create(self) -> None:
        """Create the balancer in at least two subnets, behind its security group."""
        if len(self.subnet_ids) < 2:
            raise DeployError(f"load balancer {self.name} needs subnets in two availability zones; got {len(self.subnet_ids)}",
                              hint="pass --subnets with at least two subnets in different zones")
        with aws_call("elasticloadbalancing:CreateLoadBalancer", f"load balancer {self.name}"):
            lb = self.elbv2.create_load_balancer(
                Name=self.name, Subnets=list(self.subnet_ids), SecurityGroups=[str(self.security_group.group_id)],
                Scheme="internet-facing", Type="application", IpAddressType="ipv4", Tags=as_list(owner_tags(self.app)),
            )["LoadBalancers"][0]
        self.arn, self.dns_name = str(lb["LoadBalancerArn"]), lb.get("DNSName")
        self.update(["idle_timeout"])

    def update(self, fields: Sequence[str]) -> None:
        """Set the idle timeout (scheme and subnets are fixed at creation by this tool)."""
        unfixable = sorted(set(fields) - {"idle_timeout"})
        if unfixable:
            raise DeployError(f"load balancer {self.name} differs in {', '.join(unfixable)}, which migrate does not change in place",
                              hint="delete it (migrate destroy) or name another one in migrate.toml")
        with aws_call("elasticloadbalancing:ModifyLoadBalancerAttributes", f"load balancer {self.name}"):
            self.elbv2.modify_load_balancer_attributes(
                LoadBalancerArn=self.arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": str(IDLE_TIMEOUT)}])



    def delete(self) -> None:
        """Delete the balancer (its listeners go with it)."""
        with aws_call("elasticloadbalancing:DeleteLoadBalancer", f"load balancer {self.name}"):
            self.elbv2.delete_load_balancer(LoadBalancerArn=self.arn)

@dataclass(frozen=True)
class HealthCheck:
    """The target group's view of a healthy task."""

    path: str
    interval: int = 10
    timeout: int = 5
    healthy: int = 2
    unhealthy: int = 3
    matcher: str = "200-399"


@dataclass
class TargetGroup:
    """One web app's targets: its tasks' IPs on the container port, checked on its health path."""

    aws: Aws
    app: str
    name: str
    vpc_id: str
    port: int
    health: HealthCheck
    deregistration_delay: int
    kind: str = field(default="target group", init=False)
    arn: str | None = field(default=None, init=False)

    @property
    def elbv2(self) -> Any:
        """The ELBv2 client."""
        return self.aws.client("elbv2")

    @property
    def desired(self) -> Mapping[str, str]:
        """Port, health check and deregistration delay."""
        h = self.health
        return {"port": str(self.port), "health_check": f"HTTP {h.path} every {h.interval}s, timeout {h.timeout}s, "
                f"healthy after {h.healthy}, unhealthy after {h.unhealthy}, codes {h.matcher}",
                "deregistration_delay": f"{self.deregistration_delay}s"}

    def observe(self) -> Observed | None:
        """The group's settings and tags, or None."""
        with aws_call("elasticloadbalancing:DescribeTargetGroups", f"target group {self.name}"):
            try:
                tg = self.elbv2.describe_target_groups(Names=[self.name])["TargetGroups"][0]
            except self.elbv2.exceptions.TargetGroupNotFoundException:
                return None
        self.arn = str(tg["TargetGroupArn"])
        with aws_call("elasticloadbalancing:DescribeTargetGroupAttributes", f"target group {self.name}"):
            attributes = {a["Key"]: a["Value"] for a in self.elbv2.describe_target_group_attributes(TargetGroupArn=self.arn)["Attributes"]}
        health = (f"{tg.get('HealthCheckProtocol')} {tg.get('HealthCheckPath')} every {tg.get('HealthCheckIntervalSeconds')}s, "
                  f"timeout {tg.get('HealthCheckTimeoutSeconds')}s, healthy after {tg.get('HealthyThresholdCount')}, "
                  f"unhealthy after {tg.get('UnhealthyThresholdCount')}, codes {tg.get('Matcher', {}).get('HttpCode')}")
        fields = {"port": str(tg.get("Port")), "health_check": health,
                  "deregistration_delay": f"{attributes.get('deregistration_delay.timeout_seconds', '300')}s"}
        return Observed(fields, _tags(self.elbv2, self.arn, f"target group {self.name}"))

    def create(self) -> None:
        """Create the group (IP targets, as Fargate's awsvpc tasks need), then set its delay."""
        if self.port is None:
            raise DeployError(f"target group {self.name}: the app has no port")
        with aws_call("elasticloadbalancing:CreateTargetGroup", f"target group {self.name}"):
            tg = self.elbv2.create_target_group(
                Name=self.name, Protocol="HTTP", Port=self.port, VpcId=self.vpc_id, TargetType="ip",
                Tags=as_list(owner_tags(self.app)), **self._health_arguments(),
            )["TargetGroups"][0]
        self.arn = str(tg["TargetGroupArn"])
        self._set_delay()

    def update(self, fields: Sequence[str]) -> None:
        """Change the health check and the delay (a target group's port is fixed at creation)."""
        if "port" in fields:
            raise DeployError(f"target group {self.name} forwards to another port; migrate does not change it in place",
                              hint="delete it (migrate destroy) and deploy again")
        if "health_check" in fields:
            with aws_call("elasticloadbalancing:ModifyTargetGroup", f"target group {self.name}"):
                self.elbv2.modify_target_group(TargetGroupArn=self.arn, **self._health_arguments())
        if "deregistration_delay" in fields:
            self._set_delay()


    def delete(self) -> None:
        """Delete the group (after the listener and the service that used it)."""
        with aws_call("elasticloadbalancing:DeleteTargetGroup", f"target group {self.name}"):
            self.elbv2.delete_target_group(TargetGroupArn=self.arn)

    def _health_arguments(self) -> dict[str, Any]:
        h = self.health
        return {"HealthCheckProtocol": "HTTP", "HealthCheckPath": h.path, "HealthCheckIntervalSeconds": h.interval,
                "HealthCheckTimeoutSeconds": h.timeout, "HealthyThresholdCount": h.healthy,
                "UnhealthyThresholdCount": h.unhealthy, "Matcher": {"HttpCode": h.matcher}}

    def _set_delay(self) -> None:
        with aws_call("elasticloadbalancing:ModifyTargetGroupAttributes", f"target group {self.name}"):
            self.elbv2.modify_target_group_attributes(TargetGroupArn=self.arn, Attributes=[
                {"Key": "deregistration_delay.timeout_seconds", "Value": str(self.deregistration_delay)}])


@dataclass(frozen=True)
class Route:
    """Requests for ``paths`` (ALB path patterns; none: every other request) go to ``target``; with ``header``
    (a name and a value), only those requests that carry it (ECS's test listener rule)."""

    target: TargetGroup
    paths: tuple[str, ...] = ()
    header: tuple[str, str] | None = None

    @property
    def matches(self) -> str:
        """``/api/*``, or ``/api/* [X-Migrate-Side: test]``."""
        return _described(self.paths, self.header)

    def conditions(self) -> list[dict[str, Any]]:
        """The rule's conditions."""
        return rule_conditions(self.paths, self.header)


def rule_conditions(paths: Sequence[str], header: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """A listener rule's conditions: the path patterns (none: every path), then the header (a name and a value)."""
    conditions: list[dict[str, Any]] = [{"Field": "path-pattern", "PathPatternConfig": {"Values": list(paths)}}] if paths else []
    if header:
        conditions.append({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header[0], "Values": [header[1]]}})
    return conditions


def _described(paths: Sequence[str], header: tuple[str, str] | None) -> str:
    """What a rule matches, for plans: ``/api/*``, or ``/api/* [X-Migrate-Side: test]``."""
    return " ".join(paths) + (f" [{header[0]}: {header[1]}]" if header else "")


HTTPS_PORT = 443
#: TLS 1.3 and 1.2 only: AWS's recommended policy for new HTTPS listeners.
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_REDIRECT = "redirect to HTTPS (301)"


@dataclass
class Listener:
    """Where the balancer takes requests: one app takes every request, several are routed by path (the rest get 404).

    HTTP on port 80 without a certificate; with one, HTTPS on 443 (TLS 1.2+) routes, and port 80
    only redirects to it (``redirect_to_https``).
    """

    aws: Aws
    app: str  # the project
    load_balancer: LoadBalancer
    routes: tuple[Route, ...]
    port: int = 80
    certificate: str | None = None  # an ACM certificate ARN: the listener speaks HTTPS
    redirect_to_https: bool = False
    kind: str = field(default="listener", init=False)

    @property
    def protocol(self) -> str:
        """HTTPS with a certificate, else HTTP."""
        return "HTTPS" if self.certificate else "HTTP"

    @property
    def name(self) -> str:
        """``shop:80``."""
        return f"{self.load_balancer.name}:{self.port}"

    @property
    def elbv2(self) -> Any:
        """The ELBv2 client."""
        return self.aws.client("elbv2")

    def _default(self) -> Route | None:
        return next((r for r in self.routes if not r.paths), None)

    @property
    def desired(self) -> Mapping[str, str]:
        """Protocol (and certificate), the default action and one line per path rule, in priority order."""
        tls = {"certificate": self.certificate} if self.certificate else {}
        if self.redirect_to_https:
            return {"protocol": self.protocol, "default": _REDIRECT, "rules": "(none)"}
        default = self._default()
        rules = [f"{10 * i}: {r.matches} -> {r.target.name}" for i, r in enumerate((r for r in self.routes if r.paths), 1)]
        return {"protocol": self.protocol, **tls, "default": f"forward to {default.target.name}" if default else "404",
                "rules": "\n".join(rules) or "(none)"}

    def observe(self) -> Observed | None:
        """The listener's default action and rules, or None (also when its balancer does not exist yet)."""
        if self.load_balancer.arn is None:
            return None
        with aws_call("elasticloadbalancing:DescribeListeners", f"listener {self.name}"):
            found = self.elbv2.describe_listeners(LoadBalancerArn=self.load_balancer.arn)["Listeners"]
        listener = next((li for li in found if li["Port"] == self.port), None)
        if listener is None:
            return None
        with aws_call("elasticloadbalancing:DescribeRules", f"listener {self.name}"):
            rules = app_rules(self.elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"])
        lines = [f"{r['Priority']}: {_matches(r)} -> {self._routed_to(r['Actions']) or '?'}"
                 for r in sorted(rules, key=lambda r: int(r["Priority"]))]
        default_to = self._routed_to(listener["DefaultActions"])
        redirects = any(a.get("Type") == "redirect" for a in listener["DefaultActions"])
        default = _REDIRECT if redirects else f"forward to {default_to or '?'}" if _forwards(listener["DefaultActions"]) else "404"
        fields = {"protocol": str(listener.get("Protocol", "HTTP")), "default": default, "rules": "\n".join(lines) or "(none)"}
        certificates = [c["CertificateArn"] for c in listener.get("Certificates", [])]
        if certificates:
            fields["certificate"] = str(certificates[0])
        # A listener carries its balancer's ownership: it cannot exist without it.
        return Observed(fields, _tags(self.elbv2, self.load_balancer.arn, self.name))

    def _routed_to(self, actions: list[dict[str, Any]]) -> str | None:
        """The name of the route's target group that ``actions`` forward to, or None.

        A cutover (:mod:`migrate.deploy.router`) splits an app's traffic by weight between its target
        group's sides (``PROJECT-APP-blue``, ``-green``): that is still the app's route, and a deploy
        must neither show it as a change nor put it back to the plain forward (the traffic would go to
        a target group whose service the cutover scaled to zero).
        """
        groups = {_group_name(arn) for arn in _forward_arns(actions)}
        if not groups:
            return None
        return next((r.target.name for r in self.routes if groups <= _family(r.target.name)), None)

    def _actions_for(self, route: Route, current: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """The forward to ``route``'s target group; or, when a cutover routes it by weight now, those same actions."""
        for actions in current:
            if self._routed_to(actions) == route.target.name:
                return [dict(a) for a in actions]
        return [{"Type": "forward", "TargetGroupArn": route.target.arn}]

    def _current_actions(self, listener_arn: str) -> list[list[dict[str, Any]]]:
        """The actions of the listener's default and of each of its rules, as AWS has them."""
        with aws_call("elasticloadbalancing:DescribeListeners", f"listener {self.name}"):
            found = self.elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
        with aws_call("elasticloadbalancing:DescribeRules", f"listener {self.name}"):
            rules = self.elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
        return [list(found[0]["DefaultActions"]), *(list(r["Actions"]) for r in app_rules(rules))]

    def _default_actions(self, current: Sequence[list[dict[str, Any]]] = ()) -> list[dict[str, Any]]:
        if self.redirect_to_https:
            return [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": str(HTTPS_PORT), "StatusCode": "HTTP_301"}}]
        default = self._default()
        if default:
            return self._actions_for(default, current)
        return [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "not found"}}]

    def create(self) -> None:
        """Create the listener and its path rules."""
        with aws_call("elasticloadbalancing:CreateListener", f"listener {self.name}"):
            self.elbv2.create_listener(LoadBalancerArn=self.load_balancer.arn, Port=self.port, **self._protocol_arguments(),
                                       DefaultActions=self._default_actions(), Tags=as_list(owner_tags(self.app)))
        self._put_rules()()

    def _protocol_arguments(self) -> dict[str, Any]:
        if not self.certificate:
            return {"Protocol": "HTTP"}
        return {"Protocol": "HTTPS", "Certificates": [{"CertificateArn": self.certificate}], "SslPolicy": SSL_POLICY}

    def update(self, fields: Sequence[str]) -> None:
        """Set the protocol, certificate and default action; replace the path rules when they differ.

        The new rules are created before the default action changes, and the old ones deleted after: a
        route moving between the default and a rule (an app that takes every request gets a ``/*`` rule
        for ECS's own strategies, and loses it after) is never left to the 404 between two calls.
        """
        listener_arn = self._arn()
        tls = self._protocol_arguments() if {"protocol", "certificate"} & set(fields) else {}
        finish = self._put_rules(replace=True) if "rules" in fields else None
        if "default" in fields or tls:
            current = self._current_actions(listener_arn)
            with aws_call("elasticloadbalancing:ModifyListener", f"listener {self.name}"):
                self.elbv2.modify_listener(ListenerArn=listener_arn, DefaultActions=self._default_actions(current), **tls)
        if finish is not None:
            finish()

    def delete(self) -> None:
        """Delete the listener and its rules."""
        with aws_call("elasticloadbalancing:DeleteListener", f"listener {self.name}"):
            self.elbv2.delete_listener(ListenerArn=self._arn())

    def _arn(self) -> str:
        with aws_call("elasticloadbalancing:DescribeListeners", f"listener {self.name}"):
            found = self.elbv2.describe_listeners(LoadBalancerArn=self.load_balancer.arn)["Listeners"]
        return str(next(li["ListenerArn"] for li in found if li["Port"] == self.port))

    def _put_rules(self, replace: bool = False) -> Callable[[], None]:
        """Make the path rules the wanted ones, a request for a path that stays routed never left without a rule.

        Deleting the old rules and then creating the new ones would leave such requests, between the two,
        to the default action (404, or another app). So a rule already as wanted stays; each other wanted
        rule is created first, above every existing one; then (the step returned, for the caller to run
        once the default action is set) the rules no longer wanted are deleted, and the new ones are moved
        to their priorities in one atomic call (SetRulePriorities).
        """
        listener_arn = self._arn()
        existing: dict[int, tuple[str, str, list[dict[str, Any]]]] = {}
        current: list[list[dict[str, Any]]] = []
        if replace:
            current = self._current_actions(listener_arn)
            with aws_call("elasticloadbalancing:DescribeRules", f"listener {self.name}"):
                existing = {int(r["Priority"]): (str(r["RuleArn"]), _matches(r), list(r["Actions"]))
                            for r in app_rules(self.elbv2.describe_rules(ListenerArn=listener_arn)["Rules"])}
        wanted = {10 * i: route for i, route in enumerate((r for r in self.routes if r.paths and not self.redirect_to_https), 1)}
        kept = {p for p, route in wanted.items()
                if p in existing and existing[p][1] == route.matches and self._routed_to(existing[p][2]) == route.target.name}
        free = max(existing, default=0)
        moves: list[dict[str, Any]] = []
        for priority, route in wanted.items():
            if priority in kept:
                continue
            # With rules in place, above them all (and later renumbered); on a new listener, where it belongs.
            free += 10
            at = free if existing else priority
            with aws_call("elasticloadbalancing:CreateRule", f"listener {self.name}"):
                created = self.elbv2.create_rule(
                    ListenerArn=listener_arn, Priority=at,
                    Conditions=route.conditions(),
                    Actions=self._actions_for(route, current))["Rules"][0]
            if int(created["Priority"]) != priority:
                moves.append({"RuleArn": created["RuleArn"], "Priority": priority})

        def finish() -> None:
            for priority, (rule_arn, _, _) in sorted(existing.items()):
                if priority not in kept:
                    with aws_call("elasticloadbalancing:DeleteRule", f"listener {self.name}"):
                        self.elbv2.delete_rule(RuleArn=rule_arn)
            if moves:
                with aws_call("elasticloadbalancing:SetRulePriorities", f"listener {self.name}"):
                    self.elbv2.set_rule_priorities(RulePriorities=moves)
        return finish


def app_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The listener rules that route apps: neither the default one nor a smoke test's (:func:`is_test_rule`)."""
    return [r for r in rules if not r.get("IsDefault") and not is_test_rule(r)]


def is_test_rule(rule: Mapping[str, Any]) -> bool:
    """A rule a smoke test made (:mod:`migrate.deploy.testroute`): its ``X-Migrate-Side`` header names a colour, which
    the stack's rules never do. It is the cutover's while it lasts: a plan neither shows nor deletes it."""
    header = _header(rule)
    return header is not None and header[0].lower() == SIDE_HEADER.lower() and header[1] in COLOURS


def _header(rule: Mapping[str, Any]) -> tuple[str, str] | None:
    """The rule's HTTP header condition (its name and first value), or None."""
    for condition in rule.get("Conditions", []):
        if condition.get("Field") == "http-header":
            config = condition.get("HttpHeaderConfig", {})
            values = config.get("Values") or [""]
            return str(config.get("HttpHeaderName", "")), str(values[0])
    return None


def _matches(rule: Mapping[str, Any]) -> str:
    """What a rule matches, as :attr:`Route.matches` says it."""
    return _described(_paths(rule), _header(rule))


def _forwards(actions: list[dict[str, Any]]) -> bool:
    return any(action.get("Type") == "forward" for action in actions)


def _forward_arns(actions: list[dict[str, Any]]) -> list[str]:
    """Every target group a forward action names (one, or each of a weighted forward's)."""
    arns: list[str] = []
    for action in actions:
        if action.get("Type") == "forward":
            if action.get("TargetGroupArn"):
                arns.append(str(action["TargetGroupArn"]))
            arns.extend(str(g["TargetGroupArn"]) for g in action.get("ForwardConfig", {}).get("TargetGroups", []))
    return list(dict.fromkeys(arns))


def _group_name(arn: str) -> str:
    """``shop-api`` of ``arn:aws:elasticloadbalancing:...:targetgroup/shop-api/0123abcd``."""
    parts = arn.split(":")[-1].split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "targetgroup" else arn


def _family(name: str) -> set[str]:
    """An app's target group and its cutover sides' (:func:`migrate.deploy.router.side_target_group`: the colours', and
    the old servers' of a migration), and its alternate one (ECS's own strategies), by name."""
    return {name, *(elb_name(name, side) for side in (*COLOURS, LEGACY, ALTERNATE))}


def _forward_arn(actions: list[dict[str, Any]]) -> str | None:
    for action in actions:
        if action.get("Type") == "forward":
            if action.get("TargetGroupArn"):
                return str(action["TargetGroupArn"])
            groups = action.get("ForwardConfig", {}).get("TargetGroups", [])
            return str(groups[0]["TargetGroupArn"]) if groups else None
    return None


def _paths(rule: Mapping[str, Any]) -> list[str]:
    paths: list[str] = []
    for condition in rule.get("Conditions", []):
        if condition.get("Field") == "path-pattern":
            paths.extend(condition.get("PathPatternConfig", {}).get("Values") or condition.get("Values", []))
    return paths

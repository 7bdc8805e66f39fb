"""Security groups: who may reach an app's tasks (only its load balancer, on the container port).

Rules are compared as a set of ``PROTOCOL PORT from SOURCE`` lines; an update authorises the missing
ones and revokes the extra ones, so a rule added by hand is removed rather than silently kept open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.deploy.aws import Aws
from migrate.deploy.errors import aws_call
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.plan import Observed


@dataclass(frozen=True)
class Ingress:
    """One inbound rule: TCP ``port`` from a security group (``sg-...``) or an IPv4 CIDR."""

    port: int
    source: str

    @property
    def line(self) -> str:
        """``tcp 8000 from sg-123`` (the form plans show and compare)."""
        return f"tcp {self.port} from {self.source}"

    def permission(self) -> dict[str, Any]:
        """The rule as EC2's ``IpPermissions`` item."""
        base: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": self.port, "ToPort": self.port}
        if self.source.startswith("sg-"):
            return {**base, "UserIdGroupPairs": [{"GroupId": self.source}]}
        return {**base, "IpRanges": [{"CidrIp": self.source}]}


def _rules(permissions: list[dict[str, Any]]) -> set[Ingress]:
    rules: set[Ingress] = set()
    for p in permissions:
        if p.get("IpProtocol") != "tcp" or p.get("FromPort") != p.get("ToPort"):
            rules.add(Ingress(-1, f"{p.get('IpProtocol')} {p.get('FromPort')}-{p.get('ToPort')}"))  # never desired: revoked
            continue
        rules.update(Ingress(int(p["FromPort"]), pair["GroupId"]) for pair in p.get("UserIdGroupPairs", []))
        rules.update(Ingress(int(p["FromPort"]), r["CidrIp"]) for r in p.get("IpRanges", []))
    return rules


@dataclass(eq=False)
class SecurityGroup:
    """A security group in the app's VPC with exactly the given inbound rules (all outbound allowed).

    A rule's source is a CIDR or another :class:`SecurityGroup`, whose id is known only once it
    exists: the plan shows ``(new: NAME)`` for a group about to be created, apply uses its id.
    """

    aws: Aws
    app: str
    name: str
    vpc_id: str
    description: str
    rules: tuple[tuple[int, str | SecurityGroup], ...] = ()
    kind: str = field(default="security group", init=False)
    group_id: str | None = field(default=None, init=False)

    @property
    def ingress(self) -> tuple[Ingress, ...]:
        """The rules with each source group resolved to its id."""
        return tuple(Ingress(port, src if isinstance(src, str) else src.group_id or f"(new: {src.name})") for port, src in self.rules)

    @property
    def ec2(self) -> Any:
        """The EC2 client."""
        return self.aws.client("ec2")

    @property
    def desired(self) -> Mapping[str, str]:
        """The inbound rules, one per line, sorted."""
        return {"ingress": "\n".join(sorted(r.line for r in self.ingress)) or "(none)"}

    def _find(self) -> dict[str, Any] | None:
        with aws_call("ec2:DescribeSecurityGroups", f"security group {self.name}"):
            groups = self.ec2.describe_security_groups(Filters=[
                {"Name": "group-name", "Values": [self.name]}, {"Name": "vpc-id", "Values": [self.vpc_id]}])["SecurityGroups"]
        return groups[0] if groups else None

    def observe(self) -> Observed | None:
        """The group's inbound rules and tags, or None."""
        group = self._find()
        if group is None:
            return None
        self.group_id = str(group["GroupId"])
        live = _rules(group.get("IpPermissions", []))
        return Observed({"ingress": "\n".join(sorted(r.line for r in live)) or "(none)"}, from_list(group.get("Tags")))

    def create(self) -> None:
        """Create the group, tagged, with its rules."""
        with aws_call("ec2:CreateSecurityGroup", f"security group {self.name}"):
            created = self.ec2.create_security_group(
                GroupName=self.name, Description=self.description, VpcId=self.vpc_id,
                TagSpecifications=[{"ResourceType": "security-group", "Tags": as_list(owner_tags(self.app))}],
            )
        self.group_id = str(created["GroupId"])
        self._authorize(set(self.ingress))

    def update(self, fields: Sequence[str]) -> None:
        """Authorise the missing rules, revoke the extra ones."""
        group = self._find() or {}
        self.group_id = str(group.get("GroupId", self.group_id))
        live_permissions = group.get("IpPermissions", [])
        live = _rules(live_permissions)
        self._authorize(set(self.ingress) - live)
        extra = [p for p in live_permissions if not _rules([p]) <= set(self.ingress)]
        if extra:
            with aws_call("ec2:RevokeSecurityGroupIngress", f"security group {self.name}"):
                self.ec2.revoke_security_group_ingress(GroupId=self.group_id, IpPermissions=extra)


    def delete(self) -> None:
        """Delete the group."""
        group = self._find()
        if group is not None:
            with aws_call("ec2:DeleteSecurityGroup", f"security group {self.name}"):
                self.ec2.delete_security_group(GroupId=group["GroupId"])

    def _authorize(self, rules: set[Ingress]) -> None:
        if not rules:
            return
        with aws_call("ec2:AuthorizeSecurityGroupIngress", f"security group {self.name}"):
            self.ec2.authorize_security_group_ingress(GroupId=self.group_id, IpPermissions=[r.permission() for r in sorted(rules, key=lambda r: r.line)])

"""A migration cutover behind the service's own DNS name: Route 53 weighted records between the old
endpoint and the new load balancer.

Where the servers being left sit behind a name of their own (``shop.example.com`` pointing at them,
or at their load balancer), traffic moves by DNS: the name becomes two *weighted* record sets of one
type, ``migrate-legacy`` (the old endpoint, as it was) and ``migrate-ecs`` (the new ALB), and the
weights move between them in the engine's steps. Inside the ALB the colours stay the
:class:`~migrate.deploy.router.AlbRouter`'s; :class:`DnsRouter` composes the two into the one
router the engine drives, with the external side ``legacy``.

Facts of DNS that shape it:

* every record of a weighted set has the same name and type: an old endpoint given as a host name
  makes both CNAMEs (the ALB by its DNS name); given as IP addresses, both A records (the ALB as an
  alias). A zone apex cannot be a CNAME: there, give the old servers' addresses;
* resolvers keep an answer for its TTL, so nothing *drains*: a side at weight 0 still gets the
  clients that resolved before, for up to the TTL. The records' TTL is short (:data:`TTL`), and the
  cutover's drain must last longer than it (:func:`check_drain`);
* the switch from the plain record to the weighted pair is one ``ChangeResourceRecordSets`` batch
  (Route 53 applies a batch atomically), so the name never stops resolving.

``migrate deploy PATH --from ENDPOINT --dns-name NAME`` runs it (:func:`migrate.deploy.cutover.open_dns_migration`):
the name, its zone and the old endpoint are kept in an SSM parameter while the migration lasts
(:class:`DnsMigration`), so ``status``, ``abort`` and ``rollback`` find it from any machine; the old
side's health is what a client gets from the old endpoint (:func:`probe`, :class:`DnsFleet`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any

from migrate.cutover import http
from migrate.cutover.ports import COLOURS, LEGACY, SideStatus
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.fleet import EcsFleet
from migrate.deploy.router import AlbRouter

#: Route 53's largest weight of one record (0-255).
ROUTE53_MAX_WEIGHT = 255
#: The weighted records' TTL in seconds: how long a resolver may keep sending clients to a side after its weight went to 0.
TTL = 60
_IDS = {LEGACY: "migrate-legacy", "ecs": "migrate-ecs"}


@dataclass(frozen=True)
class Endpoint:
    """The old endpoint, as the record gives it: a host name (CNAME) or IP addresses (A)."""

    values: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """``old-lb.example.net`` or ``203.0.113.7,203.0.113.8``; anything else is a user error."""
        values = tuple(v.strip().rstrip(".") for v in text.split(",") if v.strip())
        if not values:
            raise DeployError("--from: give the old endpoint's host name or its IP addresses")
        if any(":" in v for v in values):
            raise DeployError(f"--from {text}: a DNS record names no port: give the host name or the IP addresses the name "
                              "points at today (clients keep the port they use)")
        kinds = {_is_ip(v) for v in values}
        if kinds == {False} and len(values) > 1:
            raise DeployError(f"--from {text}: one host name, or IP addresses (a name points at one place)")
        if len(kinds) > 1:
            raise DeployError(f"--from {text}: host names and IP addresses cannot be mixed in one record")
        return cls(values)

    @property
    def record_type(self) -> str:
        """``A`` for addresses, ``CNAME`` for a host name."""
        return "A" if _is_ip(self.values[0]) else "CNAME"


def _is_ip(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).version == 4
    except ValueError:
        return False


@dataclass(frozen=True)
class Balancer:
    """The new side's ALB: its DNS name and its canonical hosted zone (for an alias A record)."""

    dns_name: str
    zone_id: str


def check_drain(drain: float, ttl: int = TTL) -> None:
    """Refuse a drain shorter than the records' TTL: clients that resolved the old side would still be sent there."""
    if drain <= ttl:
        raise DeployError(f"a DNS cutover drains for {drain:g} s, not longer than the records' TTL ({ttl} s): "
                          "resolvers would keep sending clients to the retired side",
                          hint=f"set drain above {ttl} (migrate.toml [deploy] drain, or --drain)")


@dataclass
class DnsRouter:
    """The engine's router for a DNS migration: ``legacy`` in Route 53, the colours in the ALB behind ``migrate-ecs``.

    Weights are on Route 53's scale (0-255). With both the old side and a colour weighted, the ALB
    forwards to that one colour; the engine never weights three sides at once.
    """

    aws: Aws
    zone_id: str
    name: str  # the service's name, fully qualified with its trailing dot
    old: Endpoint
    balancer: Balancer
    alb: AlbRouter
    ttl: int = TTL

    @property
    def max_weight(self) -> int:
        """Route 53's 255."""
        return ROUTE53_MAX_WEIGHT

    @property
    def route53(self) -> Any:
        """The Route 53 client."""
        return self.aws.client("route53")

    def weights(self) -> Mapping[str, int]:
        """``legacy`` (while its record exists) and each colour, read now from Route 53 and the ALB."""
        records = self._records()
        if LEGACY not in records:  # the migration is over: the ALB alone splits the traffic
            return {side: min(w, ROUTE53_MAX_WEIGHT) for side, w in self.alb.weights().items()}
        ecs = int(records["ecs"]["Weight"]) if "ecs" in records else 0
        inside = {side: w for side, w in self.alb.weights().items() if side in COLOURS}
        total = sum(inside.values())
        composed = {side: round(ecs * w / total) if total else 0 for side, w in inside.items()}
        return {LEGACY: int(records[LEGACY]["Weight"]), **composed}

    def set_weights(self, weights: Mapping[str, int]) -> None:
        """The colours' share inside the ALB first (when any is weighted), then both records in one atomic batch;
        ``legacy`` left out deletes its record (the migration is over)."""
        bad = {s: w for s, w in weights.items() if not 0 <= w <= ROUTE53_MAX_WEIGHT}
        unknown = sorted(set(weights) - {LEGACY, *COLOURS})
        if bad or unknown:
            raise DeployError(f"DNS cutover of {self.name}: " + (f"weights out of 0-{ROUTE53_MAX_WEIGHT}: {bad}" if bad
                                                                  else f"no side {', '.join(unknown)}"))
        colours = {side: w for side, w in weights.items() if side in COLOURS}
        if any(colours.values()):
            self.alb.set_weights(colours)
        records = self._records()
        changes = []
        if LEGACY in weights:
            ecs = min(sum(colours.values()), ROUTE53_MAX_WEIGHT)
            changes = [self._change("UPSERT", LEGACY, weights[LEGACY]), self._change("UPSERT", "ecs", ecs)]
        elif LEGACY in records:
            # Retired: the name resolves to the ALB alone (its record at full weight), the old one goes.
            changes = [self._change("UPSERT", "ecs", ROUTE53_MAX_WEIGHT), {"Action": "DELETE", "ResourceRecordSet": records[LEGACY]}]
        if changes:
            self._apply(changes)

    def drain(self, side: str) -> None:
        """Nothing DNS can do: resolvers keep the old answer for the TTL, which the cutover's drain outlasts
        (:func:`check_drain`). A colour's drain is the ALB's."""
        if side in COLOURS:
            self.alb.drain(side)

    # ------------------------------------------------------------------ records
    def begin(self) -> None:
        """Replace the name's plain record (the old endpoint) by the weighted pair, old at 255 and the ALB at 0, in one batch.

        Idempotent: a name already weighted by migrate is left as it is. A name whose plain record
        points elsewhere than ``--from`` is refused: which is the old endpoint would be a guess.
        """
        sets = self._sets()
        if self._records(sets):
            return
        plain = next((r for r in sets if "SetIdentifier" not in r), None)
        changes: list[dict[str, Any]] = []
        if plain is not None:
            current = tuple(r["Value"].rstrip(".") for r in plain.get("ResourceRecords", []))
            if sorted(current) != sorted(self.old.values):
                raise DeployError(f"{self.name} points at {', '.join(current) or 'an alias'}, not at --from {','.join(self.old.values)}",
                                  hint="give the endpoint the name points at today as --from")
            changes.append({"Action": "DELETE", "ResourceRecordSet": plain})
        changes += [self._change("CREATE", LEGACY, ROUTE53_MAX_WEIGHT), self._change("CREATE", "ecs", 0)]
        self._apply(changes)

    def _change(self, action: str, which: str, weight: int) -> dict[str, Any]:
        record: dict[str, Any] = {"Name": self.name, "Type": self.old.record_type, "SetIdentifier": _IDS[which], "Weight": weight}
        if which == LEGACY:
            record |= {"TTL": self.ttl, "ResourceRecords": [{"Value": v} for v in self.old.values]}
        elif self.old.record_type == "A":
            record["AliasTarget"] = {"HostedZoneId": self.balancer.zone_id, "DNSName": self.balancer.dns_name,
                                     "EvaluateTargetHealth": True}
        else:
            record |= {"TTL": self.ttl, "ResourceRecords": [{"Value": self.balancer.dns_name}]}
        return {"Action": action, "ResourceRecordSet": record}

    def _records(self, sets: Sequence[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
        """migrate's weighted records of the name, by side (``legacy``, ``ecs``), from ``sets`` or read now."""
        sides = {v: k for k, v in _IDS.items()}
        return {sides[r["SetIdentifier"]]: r for r in (self._sets() if sets is None else sets) if r.get("SetIdentifier") in sides}

    def _sets(self) -> Sequence[dict[str, Any]]:
        with aws_call("route53:ListResourceRecordSets", f"{self.name} in zone {self.zone_id}"):
            found = self.route53.list_resource_record_sets(HostedZoneId=self.zone_id, StartRecordName=self.name,
                                                           StartRecordType=self.old.record_type)["ResourceRecordSets"]
        return [r for r in found if r["Name"] == self.name and r["Type"] == self.old.record_type]

    def _apply(self, changes: list[dict[str, Any]]) -> None:
        with aws_call("route53:ChangeResourceRecordSets", f"{self.name} in zone {self.zone_id}"):
            self.route53.change_resource_record_sets(HostedZoneId=self.zone_id, ChangeBatch={
                "Comment": "migrate: cutover", "Changes": changes})


# ------------------------------------------------------------------ a migration under way
@dataclass(frozen=True)
class DnsMigration:
    """What a DNS migration moves: the name (fully qualified, trailing dot), its hosted zone and the old endpoint."""

    name: str
    zone_id: str
    old: Endpoint

    @staticmethod
    def parameter(project: str, app: str) -> str:
        """Where it is kept while it lasts: ``/migrate/PROJECT/APP/dns-migration``."""
        return f"/migrate/{project}/{app}/dns-migration"

    def save(self, aws: Aws, project: str, app: str) -> None:
        """Keep it on AWS (the commands after this one, on any machine, find the migration from it)."""
        value = json.dumps({"name": self.name, "zone": self.zone_id, "old": list(self.old.values)})
        with aws_call("ssm:PutParameter", self.parameter(project, app)):
            aws.client("ssm").put_parameter(Name=self.parameter(project, app), Value=value, Type="String", Overwrite=True,
                                            Description="migrate: the DNS migration of this app, while it lasts")

    @classmethod
    def load(cls, aws: Aws, project: str, app: str) -> DnsMigration | None:
        """The app's DNS migration under way, or None."""
        ssm = aws.client("ssm")
        with aws_call("ssm:GetParameter", cls.parameter(project, app)):
            try:
                value = json.loads(ssm.get_parameter(Name=cls.parameter(project, app))["Parameter"]["Value"])
            except ssm.exceptions.ParameterNotFound:
                return None
        return cls(str(value["name"]), str(value["zone"]), Endpoint(tuple(value["old"])))

    @classmethod
    def forget(cls, aws: Aws, project: str, app: str) -> None:
        """The migration is over: its parameter goes."""
        ssm = aws.client("ssm")
        with aws_call("ssm:DeleteParameter", cls.parameter(project, app)):
            try:
                ssm.delete_parameter(Name=cls.parameter(project, app))
            except ssm.exceptions.ParameterNotFound:
                pass


def fqdn(name: str) -> str:
    """``shop.example.com.``: lower case, with the trailing dot Route 53 answers with."""
    return name.strip().lower().rstrip(".") + "."


def find_zone(aws: Aws, name: str) -> str:
    """The id of the hosted zone of ``name`` in this account: the one whose domain is its longest suffix."""
    route53 = aws.client("route53")
    with aws_call("route53:ListHostedZones", f"the hosted zone of {name}"):
        zones = [z for page in route53.get_paginator("list_hosted_zones").paginate() for z in page["HostedZones"]]
    matching = [z for z in zones if name == z["Name"] or name.endswith("." + z["Name"])]
    public = [z for z in matching if not z.get("Config", {}).get("PrivateZone")] or matching
    if not public:
        raise DeployError(f"--dns-name {name.rstrip('.')}: no hosted zone of this AWS account holds it",
                          hint="migrate moves a name by Route 53 weighted records: the name's zone must be in Route 53")
    return str(max(public, key=lambda z: len(z["Name"]))["Id"]).rsplit("/", 1)[-1]


def balancer_of(aws: Aws, name: str) -> Balancer:
    """The ALB ``name``'s DNS name and canonical hosted zone (an alias record names both)."""
    with aws_call("elasticloadbalancing:DescribeLoadBalancers", f"load balancer {name}"):
        found = aws.client("elbv2").describe_load_balancers(Names=[name])["LoadBalancers"][0]
    return Balancer(str(found["DNSName"]), str(found["CanonicalHostedZoneId"]))


def probe(old: Endpoint, name: str, health_path: str, *, port: int = 80, timeout: float = 5.0) -> int:
    """How many of the old endpoint's addresses (a host name: its one) answer the health path below 400, asked as a
    client of ``name`` would ask (its ``Host``), from this machine, over HTTP on ``port`` (an endpoint that only
    redirects to HTTPS there counts as answering: it is up)."""
    healthy = 0
    for value in old.values:
        try:
            reply = http.get(value, port, health_path, {"Host": name.rstrip("."), "User-Agent": "migrate-health-check"},
                             timeout=timeout)
        except (OSError, HTTPException):
            continue
        healthy += reply.status < 400
    return healthy


@dataclass
class DnsFleet:
    """The app's colours (:class:`~migrate.deploy.fleet.EcsFleet`) and the old endpoint, whose health is :func:`probe`'s:
    nothing of it is on AWS to ask."""

    colours: EcsFleet
    migration: DnsMigration
    health_path: str
    #: How the old endpoint's health is read (None: :func:`probe`, looked up when asked).
    check: Callable[[Endpoint, str, str], int] | None = field(default=None)

    def status(self, side: str) -> SideStatus:
        """The old endpoint as its clients find it; a colour as ECS runs it."""
        if side != LEGACY:
            return self.colours.status(side)
        count = len(self.migration.old.values)
        check = self.check or probe
        return SideStatus(None, count, count, check(self.migration.old, self.migration.name, self.health_path))

    def start(self, colour: str, revision: str, count: int) -> None:
        """ECS's."""
        self.colours.start(colour, revision, count)

    def scale(self, colour: str, count: int) -> None:
        """ECS's."""
        self.colours.scale(colour, count)

    def park(self, colour: str, revision: str) -> None:
        """ECS's."""
        self.colours.park(colour, revision)

    def started_at(self, side: str) -> float | None:
        """ECS's (the old endpoint was never started)."""
        return self.colours.started_at(side)

"""A migration cutover on ECS (``migrate deploy --from ADDRESS[,ADDRESS...]``): the old servers behind the app's route.

The servers being left join the app's routing on the ALB as one more side, :data:`~migrate.cutover.ports.LEGACY`:
an ``ip`` target group of their addresses (:func:`legacy_group`, named after the app's as the colours'
are, with the same health check), to which the app's route forwards all its traffic before the first
colour starts. The cutover engine then moves the traffic from it to the containers in its usual steps,
with its gates and its way back (a failing colour puts every request back on the old servers), and
retires it at the end: out of the route, and its target group deleted (:func:`forget_if_retired`).

What this is for: once the app's name points at the load balancer, the load balancer serves exactly what
the old servers served (they answer behind it); the move onto ECS then happens by weight, watched, and
can be undone in one call. Addresses only, not host names: an ALB's ``ip`` target holds an IP address
(a name served by Route 53 moves by weighted records instead: :mod:`migrate.deploy.dns`). An address
outside the load balancer's VPC (an old data centre reached by VPN or Direct Connect, a peered VPC) is
registered with ``AvailabilityZone=all``, as ELB requires for one.

The migration is for an app's first deploy: :func:`prepare` refuses when the app's traffic already goes
to ECS, and resumes (changing nothing) a migration already under way.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from migrate.cutover.ports import LEGACY, is_colour
from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.loadbalancer import TargetGroup
from migrate.deploy.router import AlbRouter, side_target_group


@dataclass(frozen=True)
class OldServer:
    """One of the servers being left: its IP address and the port the app answers on there."""

    ip: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{host}:{self.port}"


def parse_servers(addresses: Sequence[str], default_port: int) -> tuple[OldServer, ...]:
    """``10.0.1.5:8000``, ``10.0.1.6`` (the app's port), ``[2001:db8::5]:8000``; a host name or a bad port is a user error."""
    servers: list[OldServer] = []
    for text in addresses:
        host, port = _split(text, default_port)
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise DeployError(f"--from {text}: on ECS, give the old servers' IP addresses (an ALB target holds an address, "
                              "not a host name)", hint="find them with `dig +short NAME`, or rehearse with --target local") from None
        if ip.is_loopback or ip.is_unspecified:
            raise DeployError(f"--from {text}: {ip} is this machine's, not an address the load balancer can reach")
        servers.append(OldServer(str(ip), port))
    if not servers:
        raise DeployError("--from: give the old servers' addresses, e.g. 10.0.1.5:8000,10.0.1.6:8000")
    if len(set(servers)) != len(servers):
        raise DeployError(f"--from {','.join(addresses)}: an address is given twice")
    return tuple(servers)


def _split(text: str, default_port: int) -> tuple[str, int]:
    """The host and the port of ``text`` (IPv6 in brackets when a port follows)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise DeployError(f"--from {text}: the port must be a number from 1 to 65535")
    return host, int(port_text)


def legacy_group(base: TargetGroup) -> TargetGroup:
    """The old servers' target group: the app's (``base``) under a name of its own, same health check and delay."""
    return side_target_group(base, LEGACY)


def check_first_deploy(app: str, weights: Mapping[str, int], running: Mapping[str, int]) -> None:
    """Refuse a migration of an app whose traffic ECS already takes, or that runs tasks there; a migration
    under way (the old servers still take some traffic) is taken up.

    ``weights``: the app's route now (empty: no route yet); ``running``: the desired count of each of the
    app's ECS services that exist (``api``, ``api-blue``...).
    """
    if weights.get(LEGACY, 0) > 0:
        return
    if any(is_colour(side) and weight > 0 for side, weight in weights.items()) or any(count > 0 for count in running.values()):
        raise DeployError(f"--from moves an app's first deploy off its old servers, and {app} already runs on ECS",
                          hint="deploy without --from: its new versions move between its blue and green services")


def prepare(aws: Aws, app: str, base: TargetGroup, servers: Sequence[OldServer], router: AlbRouter,
            running: Mapping[str, int], say: Callable[[str], None]) -> AlbRouter:
    """Put the old servers behind the app's route (all its traffic) unless a migration is under way; the route
    with them as the side :data:`LEGACY`.

    ``base``: the app's target group; ``router``: its route; ``running`` as :func:`check_first_deploy` takes it.
    """
    group = legacy_group(base)
    existed = group.observe() is not None
    weights = dataclasses.replace(router, sides={**router.sides, LEGACY: str(group.arn)}).weights() if existed else router.weights()
    check_first_deploy(app, weights, running)
    if not existed:
        group.create()
        say(f"target group {group.name} created for the old servers")
    _register(aws, group, servers)
    route = dataclasses.replace(router, sides={**router.sides, LEGACY: str(group.arn)})
    if weights.get(LEGACY, 0) == 0:
        route.set_weights({LEGACY: route.max_weight})
        say(f"{app}: the load balancer sends all its traffic to the old servers ({', '.join(map(str, servers))}) "
            "until the containers take it")
    return route


def _register(aws: Aws, group: TargetGroup, servers: Sequence[OldServer]) -> None:
    """Make ``servers`` the group's targets: the missing ones registered, the ones no longer given deregistered."""
    elbv2 = aws.client("elbv2")
    inside = _vpc_networks(aws, group.vpc_id)
    wanted = {(s.ip, s.port): s for s in servers}
    with aws_call("elasticloadbalancing:DescribeTargetHealth", f"target group {group.name}"):
        found = {(t["Target"]["Id"], int(t["Target"]["Port"])) for t in elbv2.describe_target_health(TargetGroupArn=group.arn)["TargetHealthDescriptions"]}
    missing = [s for key, s in wanted.items() if key not in found]
    gone = [key for key in found if key not in wanted]
    if missing:
        targets = [{"Id": s.ip, "Port": s.port, **({} if _within(s.ip, inside) else {"AvailabilityZone": "all"})} for s in missing]
        with aws_call("elasticloadbalancing:RegisterTargets", f"target group {group.name}"):
            elbv2.register_targets(TargetGroupArn=group.arn, Targets=targets)
    if gone:
        with aws_call("elasticloadbalancing:DeregisterTargets", f"target group {group.name}"):
            elbv2.deregister_targets(TargetGroupArn=group.arn, Targets=[{"Id": ip, "Port": port} for ip, port in gone])


def _vpc_networks(aws: Aws, vpc_id: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The VPC's CIDR blocks (an address outside them needs ``AvailabilityZone=all``)."""
    with aws_call("ec2:DescribeVpcs", f"VPC {vpc_id}"):
        vpc = aws.client("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    blocks = [b["CidrBlock"] for b in vpc.get("CidrBlockAssociationSet", [])] or [vpc["CidrBlock"]]
    blocks += [b["Ipv6CidrBlock"] for b in vpc.get("Ipv6CidrBlockAssociationSet", []) if b.get("Ipv6CidrBlock")]
    return [ipaddress.ip_network(b) for b in blocks]


def _within(ip: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address.version == n.version and address in n for n in networks)


def forget_if_retired(group: TargetGroup, weights: Mapping[str, int], say: Callable[[str], None]) -> None:
    """Delete the old servers' target group once the route no longer sends to it: the migration is over."""
    if LEGACY in weights or group.observe() is None:
        return
    group.delete()
    say(f"target group {group.name} deleted: the old servers take no more traffic of the app")

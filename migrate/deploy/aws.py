"""One AWS session per deploy, and its clients, made once and injected into every gateway.

Credentials and region come from the standard AWS chain (profiles, SSO, environment, instance
roles); boto3 honours ``AWS_ENDPOINT_URL`` on its own, so the same code runs against moto's server.
Throttling is retried by botocore's standard retry mode with backoff, not by hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from migrate.deploy.errors import aws_call

#: botocore's standard retry mode (exponential backoff with jitter on throttling and transient
#: errors), with more attempts than its default 3: a deploy makes bursts of control-plane calls.
MAX_ATTEMPTS = 8


@dataclass
class Aws:
    """A boto3 session, its region, and one client per service (made on first use)."""

    session: Any
    region: str
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """The client for ``service`` (``"ecr"``, ``"iam"``...), shared by every caller."""
        if service not in self._clients:
            from botocore.config import Config

            self._clients[service] = self.session.client(service, region_name=self.region, config=Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}))
        return self._clients[service]

    @cached_property
    def account_id(self) -> str:
        """The account the credentials belong to (for ARNs)."""
        with aws_call("sts:GetCallerIdentity", "the current credentials"):
            return str(self.client("sts").get_caller_identity()["Account"])

    @cached_property
    def partition(self) -> str:
        """``aws``, ``aws-cn`` or ``aws-us-gov``: the first field of every ARN in this region."""
        return str(self.session.get_partition_for_region(self.region))

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """An ARN in this account: ``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``."""
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"


def connect(region: str | None = None, profile: str | None = None) -> Aws:
    """An :class:`Aws` for ``region`` (else the chain's region), with credentials from the standard chain."""
    import boto3

    from migrate.deploy.errors import DeployError

    with aws_call("loading the AWS configuration", f"profile {profile or 'default'}"):
        session = boto3.Session(profile_name=profile, region_name=region)
    # botocore reads AWS_DEFAULT_REGION only; AWS_REGION is what the AWS CLI v2, the other SDKs and CI
    # runners (GitHub's configure-aws-credentials) set, and what the error below tells users to set.
    resolved = region or session.region_name or os.environ.get("AWS_REGION") or None
    if not resolved:
        raise DeployError("no AWS region is set", hint="pass --region, or set AWS_REGION (or a profile's region)")
    return Aws(session, resolved)


def count_calls(aws: Aws) -> list[str]:
    """A list that fills with every AWS operation ``aws``'s clients send from now on (``ecs.UpdateService``).

    A botocore event hook, not a hand count: the benchmark's AWS calls per deploy, and the tests'
    proof of which calls a command makes. Registered on the session (for clients made later; each
    client copies the session's hooks when it is made) and on every client made already.
    """
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.service_name}.{model.name}")

    # Fired once per API call, before its request is built (botocore's retries of a call are not counted).
    aws.session.events.register("before-parameter-build.*.*", record)
    for client in aws._clients.values():
        client.meta.events.register("before-parameter-build.*.*", record)
    return calls

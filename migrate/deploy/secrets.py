"""The app's secrets, stored encrypted in AWS and referenced by ARN from its task definition, never printed.

Each variable the user names (``DATABASE_URL`` from a ``.env`` they point at) becomes one resource
in the plan. The default store is SSM Parameter Store: a ``SecureString`` parameter
``/migrate/PROJECT/APP/VAR`` costs nothing in the standard tier, its ARN is known before it exists
(so the first ``--plan`` already shows the task definition and the execution role's exact-ARN
policy), and ECS reads it with ``ssm:GetParameters`` on that ARN alone; the AWS-managed key needs no
``kms:Decrypt`` grant. Secrets Manager (``store="secretsmanager"``) is there for users who want its
rotation and cross-account sharing; its ARN carries a random suffix, so it is known only once the
secret exists: apply the secrets' plan before building the stack.

A value never enters a string migrate makes: the plan compares by reading the stored value back
(decrypted) and shows only ``(secret: as wanted)`` or ``(secret: another value)``; the value lives
in a :class:`SecretValue` whose ``repr`` and ``str`` hide it; AWS error messages (which may echo a
rejected value) are scrubbed; and botocore's debug logs of request and response bodies are
redacted while a secret call runs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from migrate.deploy.aws import Aws
from migrate.deploy.errors import DeployError, aws_call
from migrate.deploy.ownership import as_list, from_list, owner_tags
from migrate.deploy.plan import Observed
from migrate.profile import AppProfile

Store = Literal["ssm", "secretsmanager"]

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: What a plan shows for a value: whether it matches, never what it is.
AS_WANTED = "(secret: as wanted)"
ANOTHER_VALUE = "(secret: another value)"
#: SSM's standard tier holds 4 KB; the advanced tier (charged per parameter) 8 KB.
SSM_STANDARD_MAX = 4096
SSM_ADVANCED_MAX = 8192


class SecretValue:
    """A secret's value, which no ``repr``, ``str`` or f-string reveals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        """Hold ``value``."""
        self._value = value

    def reveal(self) -> str:
        """The value itself: only for the AWS call that stores it, and the comparison with what is stored."""
        return self._value

    def known(self) -> str | None:
        """The value, for scrubbing it from logs and errors; None when it cannot be known yet."""
        return self._value

    def __repr__(self) -> str:
        return "SecretValue(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class DerivedSecretValue(SecretValue):
    """A secret value computed when it is first needed (a connection URL naming a server created in the same deploy)."""

    __slots__ = ("_compute",)

    def __init__(self, compute: Callable[[], str]) -> None:
        """Compute the value with ``compute``, when revealed."""
        super().__init__("")
        self._compute = compute

    def reveal(self) -> str:
        """The value, computed now."""
        return self._compute()

    def known(self) -> str | None:
        """The value, or None while what it is computed from does not exist yet (the plan of a first deploy)."""
        try:
            return self._compute()
        except DeployError:
            return None


class _Redact(logging.Filter):
    """Drop a logger's debug records (request and response bodies), and replace a value in the others.

    Debug records are dropped whole, not redacted: a response body holds the value AWS has stored,
    which is not the one migrate knows when they differ.
    """

    def __init__(self, value: str) -> None:
        super().__init__()
        # Logged bodies are JSON (ASCII-escaped or not) inside a repr of bytes or a dict: one layer of each.
        inner = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        escaped = inner | {repr(f)[1:-1] for f in inner} | {repr(f.encode())[2:-1] for f in inner}
        self.forms = sorted((f for f in escaped if f), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            return False
        message = record.getMessage()
        if any(form in message for form in self.forms):
            for form in self.forms:
                message = message.replace(form, "***")
            record.msg, record.args = message, ()
        return True


@contextlib.contextmanager
def _secret_call(action: str, resource: str, value: SecretValue) -> Iterator[None]:
    """:func:`aws_call`, with the value scrubbed from its error and from botocore's and urllib3's debug logs."""
    redact = _Redact(value.known() or "")
    # botocore logs request params and response bodies at DEBUG on these (child) loggers; a filter
    # applies only on the logger that makes the record, so it goes on each of them.
    names = ["botocore", "boto3", "urllib3"] + [n for n in logging.root.manager.loggerDict if n.startswith(("botocore.", "boto3.", "urllib3."))]
    loggers = [logging.getLogger(n) for n in names]
    for logger in loggers:
        logger.addFilter(redact)
    try:
        with aws_call(action, resource):
            yield
    except DeployError as exc:
        message = str(exc)
        for form in redact.forms:
            message = message.replace(form, "***")
        raise DeployError(message, hint=exc.hint) from None
    finally:
        for logger in loggers:
            logger.removeFilter(redact)


def _check_value(variable: str, value: SecretValue, limit: int) -> None:
    size = len(value.reveal().encode())
    if size == 0:
        raise DeployError(f"secret {variable} is empty", hint="give it a value, or leave it out of the secrets")
    if size > limit:
        raise DeployError(f"secret {variable} is {size} bytes, more than the {limit} bytes its store holds",
                          hint="store a smaller value (a path or URL to the data rather than the data)")


# ------------------------------------------------------------------------------ Parameter Store
def parameter_name(project: str, app: str, variable: str) -> str:
    """Where migrate stores ``variable`` of ``app``: ``/migrate/PROJECT/APP/VAR``."""
    return f"/migrate/{project}/{app}/{variable}"


@dataclass
class SsmSecret:
    """One ``SecureString`` parameter ``/migrate/PROJECT/APP/VAR``, tagged as the app's."""

    aws: Aws
    app: str
    project: str
    variable: str
    value: SecretValue = field(repr=False)
    kind: str = field(default="secret parameter", init=False)

    @property
    def name(self) -> str:
        """The parameter's name (its path)."""
        return parameter_name(self.project, self.app, self.variable)

    @property
    def arn(self) -> str:
        """The parameter's ARN (``parameter`` followed by its name, which starts with ``/``)."""
        return self.aws.arn("ssm", f"parameter{self.name}")

    @property
    def ssm(self) -> Any:
        """The SSM client."""
        return self.aws.client("ssm")

    @property
    def tier(self) -> str:
        """Standard while the value fits its 4 KB, else Advanced."""
        return "Standard" if len(self.value.reveal().encode()) <= SSM_STANDARD_MAX else "Advanced"

    @property
    def desired(self) -> Mapping[str, str]:
        """An encrypted parameter holding the value (shown as a marker, never as itself)."""
        return {"type": "SecureString", "value": AS_WANTED}

    @cached_property
    def stored(self) -> dict[str, Any] | None:
        """The parameter as SSM has it (decrypted: only compared, never shown), or None; read once."""
        with _secret_call("ssm:GetParameter", f"parameter {self.name}", self.value):
            try:
                return dict(self.ssm.get_parameter(Name=self.name, WithDecryption=True)["Parameter"])
            except self.ssm.exceptions.ParameterNotFound:
                return None

    @property
    def version_after_apply(self) -> int:
        """The parameter's version once the plan is applied: SSM counts each value stored from 1."""
        found = self.stored
        if found is None:
            return 1
        same = found["Type"] == "SecureString" and found["Value"] == self.value.known()
        return int(found["Version"]) + (0 if same else 1)

    def observe(self) -> Observed | None:
        """The parameter's type, whether it holds the wanted value, and its tags; or None."""
        found = self.stored
        if found is None:
            return None
        with aws_call("ssm:ListTagsForResource", f"parameter {self.name}"):
            tags = from_list(self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=self.name)["TagList"])
        # A value not known yet (a connection URL of a server still to be created) differs from any stored.
        same = found["Type"] == "SecureString" and found["Value"] == self.value.known()
        return Observed({"type": str(found["Type"]), "value": AS_WANTED if same else ANOTHER_VALUE}, tags)

    def create(self) -> None:
        """Store the value, encrypted with the account's ``aws/ssm`` key, tagged."""
        self._put(Tags=as_list(owner_tags(self.app)))

    def update(self, fields: Sequence[str]) -> None:
        """Store the value again (SSM keeps the earlier one as a previous version)."""
        self._put(Overwrite=True)

    def _put(self, **extra: Any) -> None:
        _check_value(self.variable, self.value, SSM_ADVANCED_MAX)
        with _secret_call("ssm:PutParameter", f"parameter {self.name}", self.value):
            self.ssm.put_parameter(Name=self.name, Value=self.value.reveal(), Type="SecureString", Tier=self.tier,
                                   Description=f"{self.variable} of {self.project}/{self.app}, set by migrate", **extra)

    def delete(self) -> None:
        """Delete the parameter."""
        with aws_call("ssm:DeleteParameter", f"parameter {self.name}"):
            self.ssm.delete_parameter(Name=self.name)


# ------------------------------------------------------------------------------ Secrets Manager
@dataclass
class ManagedSecret:
    """One Secrets Manager secret ``migrate/PROJECT/APP/VAR``, tagged as the app's."""

    aws: Aws
    app: str
    project: str
    variable: str
    value: SecretValue = field(repr=False)
    kind: str = field(default="secret", init=False)
    found_arn: str | None = field(default=None, init=False)

    @property
    def name(self) -> str:
        """The secret's name."""
        return f"migrate/{self.project}/{self.app}/{self.variable}"

    @property
    def arn(self) -> str:
        """The secret's ARN, which AWS suffixes with 6 random characters: known once it exists."""
        if self.found_arn is None:
            raise DeployError(f"secret {self.name} has no ARN until it is created",
                              hint="apply the secrets' plan before planning the service (Secrets Manager names its ARNs itself)")
        return self.found_arn

    @property
    def sm(self) -> Any:
        """The Secrets Manager client."""
        return self.aws.client("secretsmanager")

    @property
    def desired(self) -> Mapping[str, str]:
        """A secret holding the value (shown as a marker, never as itself)."""
        return {"value": AS_WANTED}

    def observe(self) -> Observed | None:
        """Whether it holds the wanted value, and its tags; or None (a secret scheduled for deletion counts as absent)."""
        with aws_call("secretsmanager:DescribeSecret", f"secret {self.name}"):
            try:
                described = self.sm.describe_secret(SecretId=self.name)
            except self.sm.exceptions.ResourceNotFoundException:
                return None
        self.found_arn = str(described["ARN"])
        with _secret_call("secretsmanager:GetSecretValue", f"secret {self.name}", self.value):
            try:
                stored = self.sm.get_secret_value(SecretId=self.found_arn).get("SecretString")
            except self.sm.exceptions.ResourceNotFoundException:  # no value yet
                stored = None
        value = AS_WANTED if stored == self.value.reveal() else ANOTHER_VALUE
        return Observed({"value": value}, from_list(described.get("Tags")))

    def create(self) -> None:
        """Create the secret with its value, tagged."""
        _check_value(self.variable, self.value, 65536)
        with _secret_call("secretsmanager:CreateSecret", f"secret {self.name}", self.value):
            created = self.sm.create_secret(Name=self.name, SecretString=self.value.reveal(), Tags=as_list(owner_tags(self.app)),
                                            Description=f"{self.variable} of {self.project}/{self.app}, set by migrate")
        self.found_arn = str(created["ARN"])

    def update(self, fields: Sequence[str]) -> None:
        """Store the value as the secret's new current version."""
        _check_value(self.variable, self.value, 65536)
        with _secret_call("secretsmanager:PutSecretValue", f"secret {self.name}", self.value):
            self.sm.put_secret_value(SecretId=self.arn, SecretString=self.value.reveal())

    def delete(self) -> None:
        """Delete the secret at once (its value came from the user's file, which still holds it)."""
        with aws_call("secretsmanager:DeleteSecret", f"secret {self.name}"):
            self.sm.delete_secret(SecretId=self.name, ForceDeleteWithoutRecovery=True)


Secret = SsmSecret | ManagedSecret


def read_secrets_file(path: Path, setting: str) -> dict[str, SecretValue]:
    """The ``NAME=value`` lines of the dotenv file at ``path``, read as python-dotenv reads them, each value hidden.

    Nothing is interpolated (``$`` is common in passwords). A line that is not an assignment, or a
    name without a value, is refused naming the line, never the value; ``setting`` names the key
    that points at the file (``migrate.toml: apps.api.secrets_file``).
    """
    from dotenv.parser import parse_stream

    from migrate.config import ConfigError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{setting}: {path} does not exist", hint="create it (NAME=value lines; keep it out of git)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{setting}: cannot read {path} ({exc.__class__.__name__})") from None
    values: dict[str, SecretValue] = {}
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            raise ConfigError(f"{path}:{line}: not a NAME=value line")
        if binding.key is None:
            continue  # a comment or a blank line
        if not _VARIABLE.fullmatch(binding.key):
            raise ConfigError(f"{path}:{line}: {binding.key} is not a valid environment variable name")
        if binding.value is None:
            raise ConfigError(f"{path}:{line}: {binding.key} has no value (write {binding.key}=...)")
        values[binding.key] = SecretValue(binding.value)
    return values


def secrets(aws: Aws, project: str, app: str, values: Mapping[str, str], store: Store = "ssm") -> list[Secret]:
    """One resource per variable of ``values`` (variable -> value), in variable order, for the plan."""
    kind = SsmSecret if store == "ssm" else ManagedSecret
    return [kind(aws, app, project, variable, SecretValue(value)) for variable, value in sorted(values.items())]


def stored_parameters(aws: Aws, project: str, app: str) -> list[SsmSecret]:
    """The parameters ``/migrate/PROJECT/APP/VAR`` in AWS now (read-only; their values are not read here).

    What a deploy stored from an earlier secrets file: a variable since removed from it, or every one
    of them for ``migrate destroy`` (whose file may be gone). The deploy lock, a sibling parameter, is
    not one: its name is not a variable's.
    """
    path = f"/migrate/{project}/{app}"
    ssm = aws.client("ssm")
    with aws_call("ssm:DescribeParameters", f"parameters under {path}"):
        pages = ssm.get_paginator("describe_parameters").paginate(ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [path]}])
        names = [str(p["Name"]) for page in pages for p in page["Parameters"]]
    variables = sorted(name.rsplit("/", 1)[1] for name in names if _VARIABLE.fullmatch(name.rsplit("/", 1)[1]))
    return [SsmSecret(aws, app, project, variable, SecretValue("")) for variable in variables]


def generated_secret(aws: Aws, project: str, owner: str, variable: str, generate: Callable[[], str]) -> SsmSecret:
    """The parameter ``/migrate/PROJECT/OWNER/VAR`` of a credential migrate makes (a database password, an AUTH token):
    its stored value when there is one, else a new one from ``generate`` (read-only: created with the plan)."""
    ssm = aws.client("ssm")
    name = parameter_name(project, owner, variable)
    with aws_call("ssm:GetParameter", f"parameter {name}"):
        try:
            value = str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        except ssm.exceptions.ParameterNotFound:
            value = generate()
    return SsmSecret(aws, owner, project, variable, SecretValue(value))


def connection_secrets(aws: Aws, project: str, apps: Mapping[str, AppProfile], settings: Callable[[AppProfile], Mapping[str, str]],
                       value: Callable[[str, str | None], str]) -> tuple[SsmSecret, ...]:
    """One parameter per variable each of ``apps`` (image name -> profile) reads to reach a server migrate provisions.

    ``settings`` names the variables and the kind of value each takes (url, host...); ``value`` makes a
    value of a kind for an app's language, once the server exists (its address is in it).
    """
    connections = []
    for name, app in sorted(apps.items()):
        language = app.language.value
        for variable, kind in sorted(settings(app).items()):
            connections.append(SsmSecret(aws, name, project, variable, DerivedSecretValue(functools.partial(value, kind, language))))
    return tuple(connections)


def secret_arns(resources: Sequence[Secret]) -> dict[str, str]:
    """Variable -> ARN, for :attr:`ServiceSpec.secrets` (and so the execution role's exact-ARN policy)."""
    return {r.variable: r.arn for r in resources}

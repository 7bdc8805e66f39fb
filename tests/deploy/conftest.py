"""AWS for the deploy tests: moto in-process, and a hook that counts every call by name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

REGION = "eu-west-1"


@dataclass
class CallLog:
    """Every AWS operation the clients sent, in order (``ecr.CreateRepository``)."""

    calls: list[str] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)  # each call's request, as sent

    def request(self, call: str) -> dict[str, Any]:
        """The parameters of the last ``call`` (``ecs.CreateService``) sent."""
        return next(p for c, p in zip(reversed(self.calls), reversed(self.params), strict=True) if c == call)

    @property
    def mutating(self) -> list[str]:
        """The calls that change something: anything but Describe*, List*, Get* (and STS's identity)."""
        reads = ("Describe", "List", "Get", "BatchGet")
        return [c for c in self.calls if not c.split(".", 1)[1].startswith(reads)]

    def attach(self, session: Any) -> None:
        """Record every call the clients of boto3 ``session`` make from now on."""

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            self.calls.append(f"{model.service_model.service_name}.{model.name}")
            self.params.append(dict(params))

        # Fired once per API call with its parameters as the code passed them, before serialisation.
        session.events.register("before-parameter-build.*.*", record)

    def clear(self) -> None:
        """Forget the calls so far."""
        self.calls.clear()
        self.params.clear()


def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region in the environment, and no profile or endpoint of the machine's."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`fake_aws_env` for the test."""
    fake_aws_env(monkeypatch)


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    """moto's in-process AWS for the test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def calls() -> CallLog:
    """The log the ``aws`` fixture's clients write every call into."""
    return CallLog()


@pytest.fixture
def aws(moto: None, calls: CallLog) -> Any:
    """An :class:`~migrate.deploy.aws.Aws` on moto whose every call lands in ``calls``."""
    from migrate.deploy.aws import connect

    result = connect(REGION)
    calls.attach(result.session)
    return result


def put_image(aws: Any, repository: str, tag: str) -> None:
    """An image ``repository:tag`` in moto's ECR (moto keeps the manifest; there is no registry behind it)."""
    import json

    ecr = aws.client("ecr")
    try:
        ecr.create_repository(repositoryName=repository)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": "sha256:" + "a" * 64},
                "layers": []}
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


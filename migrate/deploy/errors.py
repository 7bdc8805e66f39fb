"""AWS failures as user errors with a next step, translated once, at the gateway.

botocore raises ``ClientError`` with a service-specific code, and ``NoCredentialsError`` and friends
before any request is sent. Commands never see those: every gateway call runs inside
:func:`aws_call`, which names the action and the resource in the message, so "AccessDenied" becomes
"missing permission ecr:CreateRepository on repository shop-api" with what to do about it. No
credential or secret value is ever part of a message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from migrate.errors import UserError


class DeployError(UserError):
    """A deploy step failed for a reason the user can act on."""


class NotOwnedError(DeployError):
    """A resource of the planned name exists and was not created by migrate for this app."""


_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
           "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "AuthFailure"}
_QUOTA = {"LimitExceeded", "LimitExceededException", "LimitExceededFault", "ServiceQuotaExceededException",
          "TooManyTagsException"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}


@contextlib.contextmanager
def aws_call(action: str, resource: str) -> Iterator[None]:
    """Run one AWS call; turn its botocore errors into :class:`DeployError` naming ``action`` on ``resource``."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise DeployError(
            "no AWS credentials found",
            hint="configure them the standard way: `aws configure`, `aws sso login --profile NAME` with "
            "AWS_PROFILE=NAME, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ) from None
    except NoRegionError:
        raise DeployError("no AWS region is set", hint="pass --region, or set AWS_REGION (or a profile's region)") from None
    except EndpointConnectionError as exc:
        raise DeployError(f"cannot reach AWS for {action} ({exc.kwargs.get('endpoint_url', 'endpoint')})",
                          hint="check the network, the region, and AWS_ENDPOINT_URL if it is set") from None
    except ClientError as exc:
        raise translate(exc, action, resource) from None


def translate(exc: object, action: str, resource: str) -> DeployError:
    """The user error for a botocore ``ClientError`` raised by ``action`` on ``resource``."""
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    detail = str(error.get("Message", "")).strip()
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    # HTTP 403 is a refusal whatever the body says (moto answers JSON-protocol services with XML errors,
    # which botocore cannot parse into a code).
    if code in _DENIED or status == 403:
        return DeployError(
            f"missing permission {action} on {resource}",
            hint="grant it to the identity running migrate (an IAM policy on the user or role), then run again",
        )
    if code in _QUOTA:
        return DeployError(f"{action} on {resource}: an AWS quota is reached ({detail or code})",
                           hint="raise the quota in the Service Quotas console, or remove unused resources")
    if code in _THROTTLED:
        return DeployError(f"{action} on {resource}: AWS kept throttling the request after retries",
                           hint="run again in a minute")
    return DeployError(f"{action} on {resource} failed: {code}" + (f": {detail}" if detail else ""))

"""Domain errors: what went wrong, in terms a client can act on, with no dependency on gRPC.

The transport maps each class to a gRPC status code in one place (`glm3.servers.common.status`); the
`reason` becomes the `google.rpc.ErrorInfo` reason (UPPER_SNAKE, AIP-193) and field violations become a
`google.rpc.BadRequest`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One problem with one field of a request, e.g. `signal.title`: "must not be empty"."""

    field: str
    description: str


class Glm3Error(Exception):
    """Base of the errors the servers raise on purpose. Subclasses fix the status code."""

    default_reason = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(Glm3Error):
    """The request is malformed; `violations` says which fields and why."""

    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        violations: Iterable[FieldViolation] = (),
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.violations: list[FieldViolation] = list(violations)


class NotFound(Glm3Error):
    """The named thing does not exist."""

    default_reason = "NOT_FOUND"


class AlreadyExists(Glm3Error):
    """The thing to create exists already."""

    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(Glm3Error):
    """The request is valid but the system is not in a state to perform it."""

    default_reason = "FAILED_PRECONDITION"


class ResourceExhausted(Glm3Error):
    """A limit was reached; retrying later may succeed."""

    default_reason = "RESOURCE_EXHAUSTED"


class Unauthenticated(Glm3Error):
    """The caller could not be identified: no credential, or one the server does not know."""

    default_reason = "UNAUTHENTICATED"


class PermissionDenied(Glm3Error):
    """The caller is known but lacks the role the call needs."""

    default_reason = "ROLE_REQUIRED"


class Unavailable(Glm3Error):
    """A dependency (storage, LLM) cannot be reached now; retrying later may succeed."""

    default_reason = "UNAVAILABLE"


class Unimplemented(Glm3Error):
    """The operation exists in the contract but this server does not perform it (yet)."""

    default_reason = "NOT_IMPLEMENTED"

"""Typed exceptions of the client, decoded from the gRPC rich error model (`google.rpc.Status` details).

The servers answer every failure with a `google.rpc.Status` carrying an `ErrorInfo` (domain `glm3`, an
UPPER_SNAKE `reason` such as `INVALID_SIGNAL` or `CANDIDATE_NOT_FOUND`, and string metadata) and, for invalid
input, a `BadRequest` with one field violation per problem. The same `Status` is the per-item error of
`BatchScore`, `ScoreUpload` and `ScoreStream`. This module turns either form into one exception class per
status code, so callers write `except NotFoundError` rather than comparing codes, and read
`exc.field_violations` rather than unpacking `Any` messages.

Every exception also subclasses `grpc.RpcError`, so code written against raw stubs keeps catching them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "CallCancelledError",
    "DeadlineExceededError",
    "ERROR_DOMAIN",
    "FailedPreconditionError",
    "FieldViolation",
    "Glm3Error",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "error_from_rpc_error",
    "error_from_status",
]

log = logging.getLogger("glm3.client")

# The ErrorInfo domain the GLM3 servers use; errors made by this library itself use CLIENT_DOMAIN.
ERROR_DOMAIN = "glm3"
CLIENT_DOMAIN = "glm3.client"
REQUEST_ID_KEY = "x-request-id"
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class FieldViolation(NamedTuple):
    """One problem with one request field, e.g. (`signal.title`, `is required and must not be blank`)."""

    field: str
    description: str


class Glm3Error(grpc.RpcError):
    """A failed call (or a failed item of a batch or stream), with everything the server said about it.

    Attributes: `code` (a `grpc.StatusCode`), `message` (the status message), `reason` and `domain` (from the
    `ErrorInfo`, empty when the server sent none), `metadata` (the `ErrorInfo` metadata), `field_violations`
    (from a `BadRequest`, empty otherwise), `request_id` (the `x-request-id` of the call, to quote when
    reporting a problem; None for per-item errors and when unknown), and `details` (every detail as received,
    packed, for the kinds this class does not decode).
    """

    default_code = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[FieldViolation | tuple[str, str]] = (),
        request_id: str | None = None,
        details: Sequence[any_pb2.Any] = (),
    ) -> None:
        super().__init__(message)
        self.code: grpc.StatusCode = code or self.default_code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations: list[FieldViolation] = [FieldViolation(*v) for v in field_violations]
        self.request_id = request_id
        self.details: list[any_pb2.Any] = list(details)

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        if self.reason:
            text += f" [{self.reason}]"
        if self.field_violations:
            text += " (" + "; ".join(f"{v.field}: {v.description}" for v in self.field_violations) + ")"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InvalidArgumentError(Glm3Error, ValueError):
    """The request (or the item) is malformed; `field_violations` says which fields and why."""

    default_code = grpc.StatusCode.INVALID_ARGUMENT


class NotFoundError(Glm3Error):
    """The named candidate, alert, runbook or service does not exist."""

    default_code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(Glm3Error):
    """What the call would create exists already."""

    default_code = grpc.StatusCode.ALREADY_EXISTS


class FailedPreconditionError(Glm3Error):
    """The request is valid but the system is not in a state to perform it (e.g. the alert is resolved)."""

    default_code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhaustedError(Glm3Error):
    """A limit was reached: message size, concurrent calls, a stream subscriber too slow."""

    default_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class UnavailableError(Glm3Error):
    """The server, or one of its dependencies, cannot be reached now; retrying later may succeed."""

    default_code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceededError(Glm3Error):
    """The call's deadline passed before it finished; the server may or may not have done the work."""

    default_code = grpc.StatusCode.DEADLINE_EXCEEDED


class PermissionDeniedError(Glm3Error):
    """The caller is known but not allowed to do this."""

    default_code = grpc.StatusCode.PERMISSION_DENIED


class UnauthenticatedError(Glm3Error):
    """The call carried no valid credentials."""

    default_code = grpc.StatusCode.UNAUTHENTICATED


class InternalError(Glm3Error):
    """The server failed unexpectedly; its log has the details under the request id."""

    default_code = grpc.StatusCode.INTERNAL


class UnimplementedError(Glm3Error):
    """The server does not offer this method (an older server, or the wrong port)."""

    default_code = grpc.StatusCode.UNIMPLEMENTED


class AbortedError(Glm3Error):
    """The operation was aborted, typically by a concurrency conflict; retrying the whole sequence may work."""

    default_code = grpc.StatusCode.ABORTED


class CallCancelledError(Glm3Error):
    """The call was cancelled (by this process or the server). Not `asyncio.CancelledError`."""

    default_code = grpc.StatusCode.CANCELLED


_CLASSES: dict[grpc.StatusCode, type[Glm3Error]] = {
    cls.default_code: cls
    for cls in (
        InvalidArgumentError,
        NotFoundError,
        AlreadyExistsError,
        FailedPreconditionError,
        ResourceExhaustedError,
        UnavailableError,
        DeadlineExceededError,
        PermissionDeniedError,
        UnauthenticatedError,
        InternalError,
        UnimplementedError,
        AbortedError,
        CallCancelledError,
    )
}
_CODES_BY_NUMBER: dict[int, grpc.StatusCode] = {code.value[0]: code for code in grpc.StatusCode}


def error_class(code: grpc.StatusCode) -> type[Glm3Error]:
    """The exception class for a status code (`Glm3Error` itself for codes without their own class)."""
    return _CLASSES.get(code, Glm3Error)


def error_from_status(status: status_pb2.Status, *, request_id: str | None = None) -> Glm3Error:
    """The typed exception for a `google.rpc.Status`: a per-item error of a batch or stream, or the status
    of a failed call. Details this library does not know are kept, packed, in `details`."""
    code = _CODES_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    reason = domain = ""
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
    return error_class(code)(
        status.message,
        code=code,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=violations,
        request_id=request_id,
        details=list(status.details),
    )


def _metadata_value(metadata: Any, key: str) -> str | bytes | None:
    # Sync calls give tuples of (key, value); grpc.aio gives a Metadata object that iterates the same way.
    try:
        for item_key, value in metadata or ():
            if item_key == key:
                return value  # type: ignore[no-any-return]
    except (TypeError, ValueError):
        return None
    return None


def _call_metadata(error: grpc.RpcError, name: str) -> Any:
    method = getattr(error, name, None)
    if method is None:
        return None
    try:
        return method()
    except Exception:  # a test double or a half-built call may not have it
        return None


def error_from_rpc_error(error: grpc.RpcError, *, request_id: str | None = None) -> Glm3Error:
    """The typed exception for a failed call (sync `grpc.RpcError` or `grpc.aio.AioRpcError`).

    The rich status comes from the `grpc-status-details-bin` trailer; when the server sent none (a failure
    of gRPC itself: connection refused, deadline, message too large) the exception is built from the code
    and details alone. `request_id` is the id this client sent; the one the server echoed wins when present.
    """
    if isinstance(error, Glm3Error):
        return error
    code_method = getattr(error, "code", None)
    code = code_method() if callable(code_method) else grpc.StatusCode.UNKNOWN
    code = code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN
    details_method = getattr(error, "details", None)
    message = (details_method() if callable(details_method) else None) or ""
    echoed = _metadata_value(_call_metadata(error, "initial_metadata"), REQUEST_ID_KEY)
    if isinstance(echoed, bytes):
        echoed = echoed.decode("utf-8", "replace")
    request_id = echoed or request_id
    raw = _metadata_value(_call_metadata(error, "trailing_metadata"), _STATUS_DETAILS_KEY)
    if isinstance(raw, bytes):
        try:
            status = status_pb2.Status.FromString(raw)
        except Exception:  # a corrupt trailer must not hide the real failure
            log.debug("ignoring an undecodable %s trailer", _STATUS_DETAILS_KEY)
        else:
            # The gRPC status is the truth; a rich status that disagrees (a proxy rewrote the code) only
            # contributes its details.
            if status.code != code.value[0] or status.message != message:
                status.code, status.message = code.value[0], message
            return error_from_status(status, request_id=request_id)
    return error_class(code)(message, code=code, request_id=request_id)


def client_invalid_argument(message: str, violations: Iterable[tuple[str, str]], reason: str) -> InvalidArgumentError:
    """An INVALID_ARGUMENT raised by this library before anything was sent (domain `glm3.client`)."""
    return InvalidArgumentError(
        message,
        code=grpc.StatusCode.INVALID_ARGUMENT,
        reason=reason,
        domain=CLIENT_DOMAIN,
        field_violations=violations,
    )

"""The one place that turns domain errors into gRPC statuses with rich details (ErrorInfo, BadRequest)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from glm3.servers.common import errors

ERROR_DOMAIN = "glm3"

_CODES: dict[type[errors.Glm3Error], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unimplemented: grpc.StatusCode.UNIMPLEMENTED,
}


def status_code_for(error: errors.Glm3Error) -> grpc.StatusCode:
    """The gRPC status code of a domain error (INTERNAL for the base class)."""
    for cls in type(error).__mro__:
        code = _CODES.get(cls)  # type: ignore[call-overload]
        if code is not None:
            return code
    return grpc.StatusCode.INTERNAL


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


# An error travels in the trailers, which clients cap (grpc: 8 KiB by default, and the status is there twice,
# once base64-encoded): these bounds keep the largest possible error under about 6 KiB, so the client sees
# the real error instead of "metadata size exceeds hard limit".
MAX_MESSAGE = 300
MAX_VIOLATIONS = 20
MAX_FIELD = 80
MAX_DESCRIPTION = 100
MAX_METADATA_VALUE = 128


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def to_rpc_status(error: errors.Glm3Error) -> status_pb2.Status:
    """A `google.rpc.Status` for a domain error: also the per-item error of streams and batches. Values are
    clipped and at most MAX_VIOLATIONS field violations are listed (then one saying how many more)."""
    code = status_code_for(error)
    metadata = {clip(k, MAX_FIELD): clip(v, MAX_METADATA_VALUE) for k, v in list(error.metadata.items())[:8]}
    details = [_pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata))]
    if isinstance(error, errors.InvalidArgument) and error.violations:
        shown = [
            error_details_pb2.BadRequest.FieldViolation(
                field=clip(v.field, MAX_FIELD), description=clip(v.description, MAX_DESCRIPTION)
            )
            for v in error.violations[:MAX_VIOLATIONS]
        ]
        more = len(error.violations) - MAX_VIOLATIONS
        if more > 0:
            shown[-1] = error_details_pb2.BadRequest.FieldViolation(
                field="...", description=f"and {more + 1:,} more problems not listed"
            )
        details.append(_pack(error_details_pb2.BadRequest(field_violations=shown)))
    return status_pb2.Status(code=code.value[0], message=clip(error.message, MAX_MESSAGE), details=details)


def internal_status(message: str) -> status_pb2.Status:
    """A `google.rpc.Status` for an unexpected failure: INTERNAL, no trace, only what the caller may see."""
    return status_pb2.Status(
        code=code_pb2.INTERNAL,
        message=message,
        details=[_pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN))],
    )

"""The Python client library of GLM3 Signal Services (and, in `glm3.client.cli`, the `glm3` command line).

    from glm3.client import ScoringClient, NotFoundError

    with ScoringClient("127.0.0.1:50051") as client:
        for result in client.score_stream(signals):      # dicts in the seed's JSON shape, or Signal messages
            print(result.correlation_id, result.verdict if result.ok else result.error)   # GO, RESEARCH, PASS

`ScoringClient` / `AsyncScoringClient` and `OpsClient` / `AsyncOpsClient` own their channel (TLS, auth
token, default deadlines, retries of idempotent calls, message limits); failures raise the typed
exceptions of `glm3.client.errors`; list calls return pagers; `signal_from_dict` builds a `Signal` from the
seed's JSON without `json_format`; `glm3.client.enums` reads the messages' enum fields by name
(`Verdict(candidate.verdict)` prints `GO`).
"""

from __future__ import annotations

from glm3.client._channel import DEFAULT, IDEMPOTENT_METHODS, VERSION, RetryPolicy, service_config
from glm3.client.enums import (
    AlertEventType,
    AlertLevel,
    AlertState,
    AuditOutcome,
    CandidateOrder,
    CandidateView,
    Confidence,
    EscalationAction,
    HealthStatus,
    ResolutionStatus,
    Verdict,
)
from glm3.client.errors import (
    AbortedError,
    AlreadyExistsError,
    CallCancelledError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    Glm3Error,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    error_from_rpc_error,
    error_from_status,
)
from glm3.client.ops import AsyncOpsClient, OpsClient
from glm3.client.pagers import AsyncPager, Pager
from glm3.client.scoring import AsyncScoringClient, ScoringClient
from glm3.client.signals import signal_from_dict, timestamp_from, to_signal
from glm3.client.streaming import AsyncScoreStream, AsyncServerStream, ScoreStream, ServerStream, StreamResult

__version__ = VERSION

__all__ = [
    "AbortedError",
    "AlertEventType",
    "AlertLevel",
    "AlertState",
    "AlreadyExistsError",
    "AsyncOpsClient",
    "AsyncPager",
    "AsyncScoreStream",
    "AsyncScoringClient",
    "AsyncServerStream",
    "AuditOutcome",
    "CallCancelledError",
    "CandidateOrder",
    "CandidateView",
    "Confidence",
    "DEFAULT",
    "DeadlineExceededError",
    "EscalationAction",
    "FailedPreconditionError",
    "FieldViolation",
    "Glm3Error",
    "HealthStatus",
    "IDEMPOTENT_METHODS",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OpsClient",
    "Pager",
    "PermissionDeniedError",
    "ResolutionStatus",
    "ResourceExhaustedError",
    "RetryPolicy",
    "ScoreStream",
    "ScoringClient",
    "ServerStream",
    "StreamResult",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "Verdict",
    "__version__",
    "error_from_rpc_error",
    "error_from_status",
    "service_config",
    "signal_from_dict",
    "timestamp_from",
    "to_signal",
]

"""`ListAuditEvents`, which both services serve with the same fields: checks the request, reads the audit
trail, converts the events to `glm3.audit.v1.AuditEvent`."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from glm3.audit.v1 import audit_pb2
from glm3.servers.common.errors import FieldViolation, InvalidArgument, Unavailable
from glm3.servers.storage.audit import OUTCOMES, AuditEvent, AuditFilter, AuditLog

MAX_PAGE = 1_000
DEFAULT_PAGE = 50
_METHOD = re.compile(r"^(/[A-Za-z0-9_.]+/)?[A-Za-z0-9]+$")
_OUTCOME_NAMES = {
    audit_pb2.AUDIT_OUTCOME_SUCCEEDED: "SUCCEEDED",
    audit_pb2.AUDIT_OUTCOME_FAILED: "FAILED",
    audit_pb2.AUDIT_OUTCOME_DENIED: "DENIED",
}
_OUTCOME_PB = {name: value for value, name in _OUTCOME_NAMES.items()}
assert set(_OUTCOME_PB) == set(OUTCOMES)


def _time(request: Any, name: str, violations: list[FieldViolation]) -> datetime | None:
    if not request.HasField(name):
        return None
    try:
        return getattr(request, name).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        violations.append(FieldViolation(name, "is not a valid timestamp"))
        return None


def event_to_pb(event: AuditEvent) -> audit_pb2.AuditEvent:
    message = audit_pb2.AuditEvent(
        id=event.id,
        principal=event.principal,
        roles=event.roles,
        method=event.method,
        request_id=event.request_id,
        peer=event.peer,
        target=event.target,
        outcome=_OUTCOME_PB.get(event.outcome, audit_pb2.AUDIT_OUTCOME_UNSPECIFIED),
        code=event.code,
        message=event.message,
        steps=event.steps,
        server=event.server,
    )
    if event.timestamp is not None:
        message.timestamp.FromDatetime(event.timestamp)
    if event.details:
        message.details.update(event.details)
    return message


async def list_audit_events(audit: AuditLog | None, request: Any, response_type: Any) -> Any:
    """One page of `ListAuditEvents` for `request` (either service's request message)."""
    violations: list[FieldViolation] = []
    if not 0 <= request.page_size <= MAX_PAGE:
        violations.append(FieldViolation("page_size", f"must be 0 to {MAX_PAGE:,} (0 means {DEFAULT_PAGE})"))
    if request.method and not _METHOD.match(request.method):
        violations.append(
            FieldViolation("method", "must be a method name (Resolve) or a full one (/glm3.ops.v1.OpsService/Resolve)")
        )
    if len(request.principal) > 256:
        violations.append(FieldViolation("principal", "must be at most 256 characters"))
    start = _time(request, "start_time", violations)
    end = _time(request, "end_time", violations)
    if start is not None and end is not None and end <= start:
        violations.append(FieldViolation("end_time", "must be after start_time"))
    outcomes = []
    for i, value in enumerate(request.outcomes):
        if value not in _OUTCOME_NAMES:
            violations.append(FieldViolation(f"outcomes[{i}]", "must be SUCCEEDED, FAILED or DENIED"))
        else:
            outcomes.append(_OUTCOME_NAMES[value])
    if violations:
        raise InvalidArgument("invalid audit listing", violations)
    if audit is None:
        raise Unavailable("this server keeps no audit trail", reason="AUDIT_UNAVAILABLE")
    filters = AuditFilter(
        principal=request.principal,
        method=request.method,
        start_time=start,
        end_time=end,
        outcomes=tuple(sorted(set(outcomes))),
    )
    events, token = await audit.list(filters, request.page_size or DEFAULT_PAGE, request.page_token)
    response = response_type(next_page_token=token)
    for i, event in enumerate(events):
        if i and not i % 100:
            await asyncio.sleep(0)  # a full page is ~1,000 Structs to build: let other calls in between
        response.events.append(event_to_pb(event))
    return response

"""Converts between the ops domain (`glm3.servers.ops.models`) and the `glm3.ops.v1` messages."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from glm3.ops.v1 import ops_pb2
from glm3.servers.common.errors import FieldViolation
from glm3.servers.ops.models import (
    AgentStatus,
    Alert,
    AlertLevel,
    AlertState,
    CheckResult,
    Confidence,
    Diagnosis,
    EscalationAction,
    EscalationCriteria,
    HealthStatus,
    IssueResolution,
    ResolutionResult,
    ResolutionStatus,
    SimilarIssue,
    StepResult,
)

HEALTH_TO_PB = {
    HealthStatus.HEALTHY: ops_pb2.HEALTH_STATUS_HEALTHY,
    HealthStatus.DEGRADED: ops_pb2.HEALTH_STATUS_DEGRADED,
    HealthStatus.CRITICAL: ops_pb2.HEALTH_STATUS_CRITICAL,
    HealthStatus.UNKNOWN: ops_pb2.HEALTH_STATUS_UNKNOWN,
}
HEALTH_FROM_PB = {v: k for k, v in HEALTH_TO_PB.items()}
CONFIDENCE_TO_PB = {
    Confidence.HIGH: ops_pb2.CONFIDENCE_HIGH,
    Confidence.MEDIUM: ops_pb2.CONFIDENCE_MEDIUM,
    Confidence.LOW: ops_pb2.CONFIDENCE_LOW,
}
RESOLUTION_TO_PB = {
    ResolutionStatus.SUCCESS: ops_pb2.RESOLUTION_STATUS_SUCCESS,
    ResolutionStatus.FAILED: ops_pb2.RESOLUTION_STATUS_FAILED,
    ResolutionStatus.PARTIAL: ops_pb2.RESOLUTION_STATUS_PARTIAL,
    ResolutionStatus.SKIPPED: ops_pb2.RESOLUTION_STATUS_SKIPPED,
}
RESOLUTION_FROM_PB = {v: k for k, v in RESOLUTION_TO_PB.items()}
LEVEL_TO_PB = {
    AlertLevel.INFO: ops_pb2.ALERT_LEVEL_INFO,
    AlertLevel.WARNING: ops_pb2.ALERT_LEVEL_WARNING,
    AlertLevel.CRITICAL: ops_pb2.ALERT_LEVEL_CRITICAL,
    AlertLevel.EMERGENCY: ops_pb2.ALERT_LEVEL_EMERGENCY,
}
LEVEL_FROM_PB = {v: k for k, v in LEVEL_TO_PB.items()}
ACTION_TO_PB = {
    EscalationAction.LOG_ONLY: ops_pb2.ESCALATION_ACTION_LOG_ONLY,
    EscalationAction.ALERT_FOUNDER: ops_pb2.ESCALATION_ACTION_ALERT_FOUNDER,
    EscalationAction.IMMEDIATE_ALERT: ops_pb2.ESCALATION_ACTION_IMMEDIATE_ALERT,
    EscalationAction.CRITICAL_ALERT: ops_pb2.ESCALATION_ACTION_CRITICAL_ALERT,
}
STATE_TO_PB = {
    AlertState.OPEN: ops_pb2.ALERT_STATE_OPEN,
    AlertState.ACKNOWLEDGED: ops_pb2.ALERT_STATE_ACKNOWLEDGED,
    AlertState.RESOLVED: ops_pb2.ALERT_STATE_RESOLVED,
}
STATE_FROM_PB = {v: k for k, v in STATE_TO_PB.items()}

MAX_STRUCT_JSON = 64 * 1024


def _jsonable(value: Any) -> Any:
    """Plain JSON data for a `Struct` (datetimes as ISO strings, non-finite floats as strings)."""
    return json.loads(json.dumps(value, default=_default, allow_nan=True), parse_constant=str)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(value)


def to_struct(target: struct_pb2.Struct, value: dict[str, Any]) -> None:
    target.update(_jsonable(value))


def from_struct(message: struct_pb2.Struct, field: str = "", violations: list[FieldViolation] | None = None) -> dict[str, Any]:
    """The Struct as a dict. A number JSON cannot hold (NaN, Infinity) is a field violation (when `violations`
    is given) and the Struct reads as empty; without `violations` it raises ValueError."""
    try:
        return json_format.MessageToDict(message)
    except ValueError:
        if violations is None:
            raise
        violations.append(FieldViolation(field, "numbers must be finite (JSON has no NaN or Infinity)"))
        return {}


def set_time(target: timestamp_pb2.Timestamp, value: datetime | None) -> None:
    if value is not None:
        target.FromDatetime(value)


def read_time(message: Any, field: str, violations: list[FieldViolation] | None = None, prefix: str = "") -> datetime | None:
    """The timestamp `field` of `message` (None when unset); one out of range is a field violation (when
    `violations` is given) and reads as None."""
    if not message.HasField(field):
        return None
    try:
        return message.__getattribute__(field).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        if violations is not None:
            violations.append(FieldViolation(f"{prefix}.{field}" if prefix else field, "is not a valid timestamp"))
        return None


def check_result_to_pb(result: CheckResult) -> ops_pb2.HealthCheckResult:
    message = ops_pb2.HealthCheckResult(
        service=result.service,
        status=HEALTH_TO_PB[result.status],
        message=result.message,
        check=result.check,
        duration_ms=round(result.duration_ms, 3),
    )
    to_struct(message.details, result.details)
    set_time(message.timestamp, result.timestamp)
    return message


def check_result_from_pb(
    message: ops_pb2.HealthCheckResult, prefix: str, violations: list[FieldViolation]
) -> CheckResult:
    """A result sent by a client (to diagnose it); violations name fields under `prefix`."""
    if not message.service or len(message.service) > 128:
        violations.append(FieldViolation(f"{prefix}.service", "is required, at most 128 characters"))
    if message.status not in HEALTH_FROM_PB:
        violations.append(FieldViolation(f"{prefix}.status", "must be HEALTHY, DEGRADED, CRITICAL or UNKNOWN"))
    if len(message.message) > 10_000:
        violations.append(FieldViolation(f"{prefix}.message", "must be at most 10,000 characters"))
    if message.ByteSize() > MAX_STRUCT_JSON + 20_000:
        violations.append(FieldViolation(f"{prefix}.details", "must be at most 64 KiB"))
    return CheckResult(
        service=message.service,
        status=HEALTH_FROM_PB.get(message.status, HealthStatus.UNKNOWN),
        message=message.message,
        details=from_struct(message.details, f"{prefix}.details", violations),
        timestamp=read_time(message, "timestamp", violations, prefix) or datetime.now(UTC),
        check=message.check,
        duration_ms=message.duration_ms,
    )


def resolution_to_pb(resolution: IssueResolution) -> ops_pb2.IssueResolution:
    message = ops_pb2.IssueResolution(
        id=resolution.id,
        issue_name=resolution.issue_name,
        diagnosis=resolution.diagnosis,
        action_taken=resolution.action_taken,
        resolution_status=RESOLUTION_TO_PB[ResolutionStatus(resolution.resolution_status)],
        lesson_learned=resolution.lesson_learned,
        tags=resolution.tags,
        recorded_by=resolution.recorded_by,
    )
    to_struct(message.symptoms, resolution.symptoms)
    set_time(message.timestamp, resolution.timestamp)
    return message


def resolution_from_pb(message: ops_pb2.IssueResolution, prefix: str, violations: list[FieldViolation]) -> IssueResolution:
    """A resolution sent by a client. Its `recorded_by` is not read: who taught it is the server's to say
    (the learning store sets it from the caller's principal), so a client cannot claim to be the agent."""
    if message.resolution_status not in RESOLUTION_FROM_PB:
        violations.append(
            FieldViolation(f"{prefix}.resolution_status", "must be SUCCESS, FAILED, PARTIAL or SKIPPED")
        )
    resolution = IssueResolution(
        issue_name=message.issue_name,
        symptoms=from_struct(message.symptoms, f"{prefix}.symptoms", violations),
        diagnosis=message.diagnosis,
        action_taken=message.action_taken,
        resolution_status=RESOLUTION_FROM_PB.get(message.resolution_status, ResolutionStatus.SKIPPED),
        lesson_learned=message.lesson_learned,
        tags=list(message.tags),
    )
    stamp = read_time(message, "timestamp", violations, prefix)
    if stamp is not None:
        resolution.timestamp = stamp
    return resolution


def similar_to_pb(similar: SimilarIssue) -> ops_pb2.SimilarIssue:
    return ops_pb2.SimilarIssue(resolution=resolution_to_pb(similar.resolution), score=round(similar.score, 6))


def diagnosis_to_pb(diagnosis: Diagnosis) -> ops_pb2.Diagnosis:
    message = ops_pb2.Diagnosis(
        issue_name=diagnosis.issue_name,
        confidence=CONFIDENCE_TO_PB[diagnosis.confidence],
        confidence_score=round(diagnosis.confidence_score, 4),
        summary=diagnosis.summary,
        root_cause=diagnosis.root_cause,
        suggested_action=diagnosis.suggested_action,
        reasoning=diagnosis.reasoning,
        similar_issues=[similar_to_pb(s) for s in diagnosis.similar_issues],
        diagnosed_by=diagnosis.diagnosed_by,
        suggested_runbook_ids=diagnosis.suggested_runbook_ids,
    )
    set_time(message.timestamp, diagnosis.timestamp)
    return message


def diagnosis_from_pb(message: ops_pb2.Diagnosis) -> Diagnosis:
    score = message.confidence_score
    if not score and message.confidence:
        score = {ops_pb2.CONFIDENCE_HIGH: 0.9, ops_pb2.CONFIDENCE_MEDIUM: 0.65, ops_pb2.CONFIDENCE_LOW: 0.3}.get(
            message.confidence, 0.0
        )
    return Diagnosis(
        issue_name=message.issue_name,
        confidence_score=min(1.0, max(0.0, score)),
        summary=message.summary,
        root_cause=message.root_cause,
        suggested_action=message.suggested_action,
        reasoning=message.reasoning,
        diagnosed_by=message.diagnosed_by or "client",
        suggested_runbook_ids=list(message.suggested_runbook_ids),
    )


def step_to_pb(step: StepResult) -> ops_pb2.StepResult:
    return ops_pb2.StepResult(
        name=step.name, kind=step.kind, ok=step.ok, message=step.message, duration_ms=round(step.duration_ms, 3)
    )


def resolution_result_to_pb(result: ResolutionResult) -> ops_pb2.ResolutionResult:
    message = ops_pb2.ResolutionResult(
        issue_name=result.issue_name,
        status=RESOLUTION_TO_PB[result.status],
        steps_completed=result.steps_completed,
        steps_failed=result.steps_failed,
        message=result.message,
        runbook_id=result.runbook_id,
        dry_run=result.dry_run,
        steps=[step_to_pb(s) for s in result.steps],
    )
    to_struct(message.details, result.details)
    set_time(message.timestamp, result.timestamp)
    return message


def alert_to_pb(alert: Alert) -> ops_pb2.Alert:
    message = ops_pb2.Alert(
        id=alert.id,
        level=LEVEL_TO_PB[alert.level],
        title=alert.title,
        message=alert.message,
        service=alert.service,
        action=ACTION_TO_PB[alert.action],
        fingerprint=alert.fingerprint,
        state=STATE_TO_PB[alert.state],
        acknowledged_by=alert.acknowledged_by,
        notify_count=alert.notify_count,
    )
    to_struct(message.details, alert.details)
    set_time(message.timestamp, alert.timestamp)
    set_time(message.last_seen, alert.last_seen)
    set_time(message.resolved_at, alert.resolved_at)
    set_time(message.acknowledged_at, alert.acknowledged_at)
    return message


def criteria_to_pb(criteria: EscalationCriteria) -> ops_pb2.EscalationCriteria:
    return ops_pb2.EscalationCriteria(
        revenue_drop_threshold=criteria.revenue_drop_threshold,
        service_down_threshold=criteria.service_down_threshold,
        disk_critical_threshold=criteria.disk_critical_threshold,
        worker_crash_threshold=criteria.worker_crash_threshold,
        memory_critical_threshold=criteria.memory_critical_threshold,
    )


def agent_status_to_pb(status: AgentStatus) -> ops_pb2.AgentStatus:
    message = ops_pb2.AgentStatus(
        running=status.running,
        total_checks=status.total_checks,
        issues_detected=status.issues_detected,
        auto_resolutions=status.auto_resolutions,
        auto_resolutions_refused=status.auto_resolutions_refused,
        escalations=status.escalations,
        open_alerts=status.open_alerts,
        webhook_failures=status.webhook_failures,
        last_webhook_error=status.last_webhook_error,
        ai_diagnosis_enabled=status.ai_diagnosis_enabled,
        auto_resolve_enabled=status.auto_resolve_enabled,
        learning_enabled=status.learning_enabled,
    )
    set_time(message.last_check, status.last_check)
    set_time(message.start_time, status.start_time)
    message.check_interval.FromTimedelta(status.check_interval)
    return message


def runbook_to_pb(runbook: Any) -> ops_pb2.Runbook:
    """A declared runbook (`glm3.servers.ops.runbooks.Runbook`) as the contract shows it."""
    message = ops_pb2.Runbook(
        id=runbook.id,
        title=runbook.title,
        description=runbook.description,
        issues=list(runbook.issues),
        safe_for_automation=runbook.safe_for_automation,
    )
    for step in runbook.steps:
        entry = message.steps.add(name=step.name, kind=step.kind, description=step.description or step.describe())
        entry.timeout.FromTimedelta(timedelta(seconds=step.timeout_s))
    return message

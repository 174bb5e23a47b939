"""The ops domain's data: check results, diagnoses, runbooks' results, alerts, resolutions, agent status.
No gRPC, no protobuf: `glm3.servers.ops.convert` maps these to and from the `glm3.ops.v1` messages.

Field names are the seed's (`../shared/seed-glm3-data-models.md`). Times are aware UTC datetimes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from glm3.servers.common.ids import new_id, utcnow

__all__ = [
    "Alert",
    "AlertLevel",
    "AlertState",
    "AgentStatus",
    "CheckResult",
    "Confidence",
    "Diagnosis",
    "EscalationAction",
    "EscalationCriteria",
    "HealthStatus",
    "IssueResolution",
    "ResolutionResult",
    "ResolutionStatus",
    "SimilarIssue",
    "StepResult",
    "new_id",
    "utcnow",
]


class HealthStatus(enum.StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def severity(self) -> int:
        """Worst-of ordering for an overall status: healthy < unknown < degraded < critical."""
        return {"healthy": 0, "unknown": 1, "degraded": 2, "critical": 3}[self.value]


@dataclass(slots=True)
class CheckResult:
    """The result of one check (the seed's `HealthCheckResult`)."""

    service: str  # e.g. "scoring", "host.disk:/", "host.memory"
    status: HealthStatus
    message: str  # one line a person understands
    details: dict[str, Any] = field(default_factory=dict)  # measured numbers (JSON-able)
    timestamp: datetime = field(default_factory=utcnow)
    check: str = ""  # disk, memory, swap, cpu, http, tcp, grpc, process
    duration_ms: float = 0.0


class Confidence(enum.StrEnum):
    HIGH = "high"  # > 80 %
    MEDIUM = "medium"  # 50-80 %
    LOW = "low"  # < 50 %

    @classmethod
    def of(cls, score: float) -> Confidence:
        if score > 0.8:
            return cls.HIGH
        if score >= 0.5:
            return cls.MEDIUM
        return cls.LOW


@dataclass(slots=True)
class IssueResolution:
    """A record of an issue and its resolution (the seed's `IssueResolution`): what the agent learns from."""

    issue_name: str
    symptoms: dict[str, Any]
    diagnosis: str
    action_taken: str
    resolution_status: ResolutionStatus
    lesson_learned: str
    timestamp: datetime = field(default_factory=utcnow)
    tags: list[str] = field(default_factory=list)
    id: str = ""  # "resolution_YYYYmmdd_HHMMSS_xxxxxx", assigned when recorded
    # Who taught it, set by the learning store from its caller, never from the request: "agent" for the
    # agent's own verified resolutions, else the principal ("anonymous" without authentication); empty for
    # resolutions recorded before provenance was kept.
    recorded_by: str = ""


@dataclass(slots=True)
class SimilarIssue:
    resolution: IssueResolution
    score: float  # 0..1, higher is more similar


@dataclass(slots=True)
class Diagnosis:
    """An explanation of a problem (the seed's `Diagnosis`)."""

    issue_name: str  # e.g. disk_full, memory_pressure, endpoint_down, connection_refused, timeout, crash_loop
    confidence_score: float  # 0..1
    summary: str
    root_cause: str
    suggested_action: str  # advice for a person, in words: never parsed, never executed
    reasoning: str
    similar_issues: list[SimilarIssue] = field(default_factory=list)
    timestamp: datetime = field(default_factory=utcnow)
    diagnosed_by: str = "rules"  # "llm" or "rules"
    # Declared runbooks that apply to `issue_name`; a suggestion for a person. The agent runs a runbook on
    # its own only when the measured evidence names the same issue (glm3.servers.ops.agent).
    suggested_runbook_ids: list[str] = field(default_factory=list)

    @property
    def confidence(self) -> Confidence:
        return Confidence.of(self.confidence_score)


class ResolutionStatus(enum.StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    PARTIAL = "partial"
    SKIPPED = "skipped"


@dataclass(slots=True)
class StepResult:
    name: str
    kind: str  # command, http, cleanup, wait_recheck
    ok: bool
    message: str
    duration_ms: float = 0.0


@dataclass(slots=True)
class ResolutionResult:
    """The result of running a runbook (the seed's `ResolutionResult`)."""

    issue_name: str
    status: ResolutionStatus
    steps_completed: list[str]
    steps_failed: list[str]
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    timestamp: datetime = field(default_factory=utcnow)
    runbook_id: str = ""
    dry_run: bool = False
    steps: list[StepResult] = field(default_factory=list)


class AlertLevel(enum.IntEnum):
    INFO = 1
    WARNING = 2
    CRITICAL = 3
    EMERGENCY = 4


class EscalationAction(enum.StrEnum):
    LOG_ONLY = "log_only"
    ALERT_FOUNDER = "alert_founder"
    IMMEDIATE_ALERT = "immediate_alert"
    CRITICAL_ALERT = "critical_alert"


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(slots=True)
class Alert:
    """An alert raised by escalation (the seed's `Alert`), with its life cycle."""

    level: AlertLevel
    title: str
    message: str
    service: str
    details: dict[str, Any]
    timestamp: datetime = field(default_factory=utcnow)
    action: EscalationAction = EscalationAction.LOG_ONLY
    id: str = field(default_factory=lambda: new_id("alert"))
    fingerprint: str = ""  # service + problem; one open alert per fingerprint
    state: AlertState = AlertState.OPEN
    last_seen: datetime = field(default_factory=utcnow)
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    notify_count: int = 1


@dataclass(frozen=True, slots=True)
class EscalationCriteria:
    """When a problem escalates (the seed's `EscalationCriteria`, same defaults)."""

    revenue_drop_threshold: float = 20.0  # %
    service_down_threshold: int = 10  # minutes
    disk_critical_threshold: int = 95  # %
    worker_crash_threshold: int = 3  # times per hour
    memory_critical_threshold: int = 98  # %


@dataclass(slots=True)
class AgentStatus:
    """The agent's counters (the seed's `AgentStatus`)."""

    running: bool = False
    last_check: datetime | None = None
    total_checks: int = 0
    issues_detected: int = 0
    auto_resolutions: int = 0
    # Automatic runs refused because the check's measurements did not back the diagnosis (not in the
    # contract's AgentStatus yet: logged and kept here).
    auto_resolutions_refused: int = 0
    escalations: int = 0
    start_time: datetime = field(default_factory=utcnow)
    check_interval: timedelta = timedelta(seconds=60)
    open_alerts: int = 0
    webhook_failures: int = 0
    last_webhook_error: str = ""
    # The seed's OpsAgentConfig switches, as they are in force.
    ai_diagnosis_enabled: bool = False
    auto_resolve_enabled: bool = False
    learning_enabled: bool = True

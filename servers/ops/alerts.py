"""Escalation and alerts: turns check results into deduplicated alerts with a life cycle, and fans changes out.

`Escalation` maps one check result to an assessment (problem, level, action); `AlertManager` keeps at most
one open or acknowledged alert per fingerprint (`service:problem`), re-notifies, escalates, resolves on
recovery, and sends every change to watchers (`subscribe`) and to a webhook (`glm3.servers.ops.webhook`).
Everything here runs on the event loop's thread and never blocks: `observe` is synchronous.
"""

from __future__ import annotations

import asyncio
import builtins
import copy
import enum
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Protocol

from pydantic import Field, field_validator

from glm3.servers.common.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from glm3.servers.common.settings import OptionalSecretHttpUrl, Section
from glm3.servers.ops.models import (
    Alert,
    AlertLevel,
    AlertState,
    CheckResult,
    EscalationAction,
    EscalationCriteria,
    HealthStatus,
    new_id,
    utcnow,
)

__all__ = [
    "AlertEvent",
    "AlertEventType",
    "AlertManager",
    "AlertNotifier",
    "AlertSubscription",
    "AlertsSection",
    "Assessment",
    "Escalation",
    "SubscriberTooSlow",
    "WEBHOOK_EVENTS",
    "alert_json",
]

log = logging.getLogger("glm3.ops.alerts")

MAX_ACKNOWLEDGED_BY = 256
MAX_COMMENT = 2000

LevelName = Literal["info", "warning", "critical", "emergency"]


class AlertsSection(Section):
    """The `alerts` section: escalation thresholds, re-notification, watchers and the webhook."""

    renotify_interval_s: float = Field(
        3600.0,
        gt=0,
        description="seconds after which an open (not acknowledged) alert whose problem persists is notified again",
    )
    webhook_url: OptionalSecretHttpUrl = Field(
        None,
        description="http(s) URL that receives every alert change as a JSON POST; unset sends none "
        "(kept secret: chat webhooks carry a token in the URL)",
    )
    webhook_timeout_s: float = Field(5.0, gt=0, description="upper bound of one webhook POST, in seconds")
    webhook_max_attempts: int = Field(
        5,
        ge=1,
        le=20,
        description="POSTs per alert change on connection errors, timeouts, 429 or 5xx before it counts as failed",
    )
    webhook_backoff_s: float = Field(
        1.0, ge=0, description="first wait before retrying a webhook POST, doubled each retry, with jitter"
    )
    webhook_queue: int = Field(
        1000,
        ge=1,
        description="alert changes waiting for the webhook; when full, new ones are dropped and counted as failures",
    )
    webhook_min_level: LevelName = Field(
        "info",
        description="send to the webhook only alerts at this level or above (info, warning, critical, emergency)",
    )
    subscriber_queue: int = Field(
        1000,
        ge=1,
        description="alert events buffered per WatchAlerts client; a client further behind is disconnected",
    )
    resolved_retention: int = Field(
        1000, ge=0, description="resolved alerts kept in memory for ListAlerts; the oldest are forgotten first"
    )
    service_down_threshold_min: int = Field(
        10, ge=1, description="minutes a service may be down before its alert becomes an emergency"
    )
    disk_critical_threshold: int = Field(
        95, ge=1, le=100, description="disk usage (%) that raises an immediate critical alert"
    )
    memory_critical_threshold: int = Field(
        98, ge=1, le=100, description="memory usage (%) that raises an emergency alert"
    )
    worker_crash_threshold: int = Field(
        3, ge=1, description="process restarts in the last hour that count as a crash loop"
    )
    revenue_drop_threshold: float = Field(
        20.0,
        ge=0,
        le=100,
        description="revenue drop (%) that escalates; reported in the agent status, no check measures it yet",
    )

    @field_validator("webhook_min_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    def criteria(self) -> EscalationCriteria:
        """The seed's escalation criteria with this section's values."""
        return EscalationCriteria(
            revenue_drop_threshold=self.revenue_drop_threshold,
            service_down_threshold=self.service_down_threshold_min,
            disk_critical_threshold=self.disk_critical_threshold,
            worker_crash_threshold=self.worker_crash_threshold,
            memory_critical_threshold=self.memory_critical_threshold,
        )

    @property
    def webhook_min_alert_level(self) -> AlertLevel:
        return AlertLevel[self.webhook_min_level.upper()]


# --- escalation --------------------------------------------------------------------------------------------

# How strong an action is, to tell an escalation within one level (disk: ALERT_FOUNDER -> IMMEDIATE_ALERT).
_ACTION_RANK = {
    EscalationAction.LOG_ONLY: 0,
    EscalationAction.ALERT_FOUNDER: 1,
    EscalationAction.IMMEDIATE_ALERT: 2,
    EscalationAction.CRITICAL_ALERT: 3,
}

# Resource checks name their problem after the resource at every bad status, so a disk going from 90 %
# (degraded) to 96 % escalates the same alert instead of opening a second one.
RESOURCE_PROBLEMS = {
    "disk": "disk_full",
    "memory": "memory_pressure",
    "swap": "swap_pressure",
    "cpu": "cpu_saturation",
}

_STATUS_LEVEL = {
    HealthStatus.DEGRADED: (AlertLevel.WARNING, EscalationAction.LOG_ONLY),
    HealthStatus.CRITICAL: (AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER),
    HealthStatus.UNKNOWN: (AlertLevel.WARNING, EscalationAction.LOG_ONLY),
}


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a check result means for escalation: the problem, how bad it is, and what to tell people."""

    service: str
    problem: str  # down, degraded, unknown, disk_full, memory_pressure, swap_pressure, cpu_saturation, crash_loop
    level: AlertLevel
    action: EscalationAction
    title: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return f"{self.service}:{self.problem}"

    @property
    def rank(self) -> tuple[int, int]:
        """Orders assessments by severity: level first, then the strength of the action."""
        return int(self.level), _ACTION_RANK[self.action]


def _number(details: dict[str, Any], key: str) -> float | None:
    value = details.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class Escalation:
    """Maps a check result to an `Assessment` (or None when there is nothing to alert on).

    | result                                                   | problem         | level     | action          |
    |----------------------------------------------------------|-----------------|-----------|-----------------|
    | HEALTHY                                                  | (no alert)      |           |                 |
    | UNKNOWN (the check could not tell)                       | unknown         | WARNING   | LOG_ONLY        |
    | process check, restarts_last_hour >= worker_crash        | crash_loop      | CRITICAL  | IMMEDIATE_ALERT |
    | disk check, percent >= disk_critical                     | disk_full       | CRITICAL  | IMMEDIATE_ALERT |
    | memory check, percent >= memory_critical                 | memory_pressure | EMERGENCY | CRITICAL_ALERT  |
    | disk/memory/swap/cpu check, DEGRADED or CRITICAL         | disk_full, ...  | by status (below)           |
    | other check, CRITICAL, down >= service_down_threshold min| down            | EMERGENCY | IMMEDIATE_ALERT |
    | other check, CRITICAL                                    | down            | CRITICAL  | ALERT_FOUNDER   |
    | other check, DEGRADED                                    | degraded        | WARNING   | LOG_ONLY        |

    "By status" is DEGRADED -> WARNING/LOG_ONLY and CRITICAL -> CRITICAL/ALERT_FOUNDER. A threshold rule
    never lowers what the status says. The fingerprint is `service:problem`: the level of one problem may
    change (CRITICAL -> EMERGENCY after ten minutes down, a disk filling up) and stays one alert.
    """

    def __init__(self, criteria: EscalationCriteria | None = None) -> None:
        self.criteria = criteria or EscalationCriteria()

    def evaluate(self, result: CheckResult, down_since: datetime | None, now: datetime) -> Assessment | None:
        """The assessment of `result`; `down_since` is when the service was first seen CRITICAL, if it is."""
        if result.status is HealthStatus.HEALTHY:
            return None
        details = copy.deepcopy(result.details)
        details["status"] = result.status.value
        if result.status is HealthStatus.UNKNOWN:
            return Assessment(
                result.service,
                "unknown",
                AlertLevel.WARNING,
                EscalationAction.LOG_ONLY,
                f"{result.service} cannot be checked",
                result.message,
                details,
            )
        level, action = _STATUS_LEVEL[result.status]
        crash = self._crash_loop(result, details)
        if crash is not None:
            return crash
        if result.check in RESOURCE_PROBLEMS:
            return self._resource(result, details, level, action)
        if result.status is HealthStatus.CRITICAL:
            return self._down(result, details, down_since, now)
        return Assessment(
            result.service, "degraded", level, action, f"{result.service} is degraded", result.message, details
        )

    def _crash_loop(self, result: CheckResult, details: dict[str, Any]) -> Assessment | None:
        restarts = _number(result.details, "restarts_last_hour")
        limit = self.criteria.worker_crash_threshold
        if result.check != "process" or restarts is None or restarts < limit:
            return None
        return Assessment(
            result.service,
            "crash_loop",
            AlertLevel.CRITICAL,
            EscalationAction.IMMEDIATE_ALERT,
            f"{result.service} is crash-looping",
            f"restarted {restarts:g} times in the last hour (limit {limit}): {result.message}",
            details,
        )

    def _resource(
        self, result: CheckResult, details: dict[str, Any], level: AlertLevel, action: EscalationAction
    ) -> Assessment:
        problem = RESOURCE_PROBLEMS[result.check]
        percent = _number(result.details, "percent")
        message = result.message
        if result.check == "disk" and percent is not None and percent >= self.criteria.disk_critical_threshold:
            level, action = max(
                (level, action), (AlertLevel.CRITICAL, EscalationAction.IMMEDIATE_ALERT), key=_pair_rank
            )
            message = f"disk {percent:g}% full (limit {self.criteria.disk_critical_threshold}%): {message}"
        if (
            result.check == "memory"
            and percent is not None
            and percent >= self.criteria.memory_critical_threshold
        ):
            level, action = AlertLevel.EMERGENCY, EscalationAction.CRITICAL_ALERT
            message = f"memory {percent:g}% used (limit {self.criteria.memory_critical_threshold}%): {message}"
        title = f"{result.service}: {problem.replace('_', ' ')}"
        return Assessment(result.service, problem, level, action, title, message, details)

    def _down(
        self, result: CheckResult, details: dict[str, Any], down_since: datetime | None, now: datetime
    ) -> Assessment:
        since = down_since or now
        details["down_since"] = since.isoformat()
        down_for = now - since
        minutes = self.criteria.service_down_threshold
        if down_for >= timedelta(minutes=minutes):
            return Assessment(
                result.service,
                "down",
                AlertLevel.EMERGENCY,
                EscalationAction.IMMEDIATE_ALERT,
                f"{result.service} is down",
                f"down for {down_for.total_seconds() / 60:.0f} min (limit {minutes} min): {result.message}",
                details,
            )
        return Assessment(
            result.service,
            "down",
            AlertLevel.CRITICAL,
            EscalationAction.ALERT_FOUNDER,
            f"{result.service} is down",
            result.message,
            details,
        )


def _pair_rank(pair: tuple[AlertLevel, EscalationAction]) -> tuple[int, int]:
    return int(pair[0]), _ACTION_RANK[pair[1]]


# --- events and watchers -----------------------------------------------------------------------------------


class AlertEventType(enum.StrEnum):
    CURRENT = "current"  # already open when a watch started (include_current)
    OPENED = "opened"
    RENOTIFIED = "renotified"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


# What goes to the webhook: changes someone must hear of. CURRENT is a replay for one watcher; an
# acknowledgement comes from the people the webhook would notify.
WEBHOOK_EVENTS = frozenset(
    {AlertEventType.OPENED, AlertEventType.RENOTIFIED, AlertEventType.ESCALATED, AlertEventType.RESOLVED}
)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A change of an alert. `alert` is a snapshot taken at the change, shared by every receiver: read only."""

    type: AlertEventType
    alert: Alert
    comment: str = ""  # the acknowledgement's comment, for ACKNOWLEDGED


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def alert_json(alert: Alert) -> dict[str, Any]:
    """An alert as plain JSON data with the seed's field names, lower-case enum values and ISO 8601 times."""
    return {
        "id": alert.id,
        "level": alert.level.name.lower(),
        "title": alert.title,
        "message": alert.message,
        "service": alert.service,
        "details": copy.deepcopy(alert.details),
        "timestamp": _iso(alert.timestamp),
        "action": alert.action.value,
        "fingerprint": alert.fingerprint,
        "state": alert.state.value,
        "last_seen": _iso(alert.last_seen),
        "resolved_at": _iso(alert.resolved_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "notify_count": alert.notify_count,
    }


class AlertNotifier(Protocol):
    """Where `AlertManager` sends the changes people must hear of (the webhook sender is one)."""

    def notify(self, event: AlertEvent) -> None:
        """Takes the event without blocking and without raising."""


class SubscriberTooSlow(ResourceExhausted):
    """A watcher fell more than `subscriber_queue` events behind and was disconnected; resubscribe to go on.

    A domain error, so a WatchAlerts stream ends with RESOURCE_EXHAUSTED (reason `WATCHER_TOO_SLOW`).
    """

    default_reason = "WATCHER_TOO_SLOW"


class AlertSubscription:
    """One watcher's view of alert events: an async iterator with a bounded buffer.

    Use it as `async with manager.subscribe(...) as events: async for event in events: ...`; leaving the
    block unsubscribes. Iteration ends when the manager closes its subscriptions, and raises
    `SubscriberTooSlow` once the watcher fell too far behind (its buffer is freed at once).
    """

    def __init__(self, manager: AlertManager, min_level: AlertLevel | None, limit: int) -> None:
        self._manager = manager
        self.min_level = min_level
        self._limit = limit
        self._buffer: deque[AlertEvent] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        self.dropped = False

    def wants(self, event: AlertEvent) -> bool:
        return self.min_level is None or event.alert.level >= self.min_level

    def _offer(self, event: AlertEvent) -> bool:
        """Buffers `event`; False when the buffer was full and this watcher is now dropped."""
        if self._closed or not self.wants(event):
            return True
        if len(self._buffer) >= self._limit:
            self.dropped = True
            self._buffer.clear()
            self._end()
            return False
        self._buffer.append(event)
        self._wakeup.set()
        return True

    def _replay(self, event: AlertEvent) -> None:
        if self.wants(event):
            self._buffer.append(event)
            self._wakeup.set()

    def _end(self) -> None:
        self._closed = True
        self._wakeup.set()

    def close(self) -> None:
        """Unsubscribes; a pending or later `__anext__` ends the iteration."""
        self._end()
        self._manager._unsubscribe(self)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def __aiter__(self) -> AlertSubscription:
        return self

    async def __anext__(self) -> AlertEvent:
        while True:
            if self._buffer:
                return self._buffer.popleft()
            if self.dropped:
                raise SubscriberTooSlow(
                    f"watcher fell more than {self._limit} alert events behind and was disconnected"
                )
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def __aenter__(self) -> AlertSubscription:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# --- the manager -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tracked:
    alert: Alert
    seq: int  # creation order, to order alerts raised in the same instant
    last_notified: datetime
    comment: str = ""


def _snapshot(alert: Alert) -> Alert:
    return replace(alert, details=copy.deepcopy(alert.details))


class AlertManager:
    """Keeps the alerts: one open or acknowledged alert per fingerprint, with their whole life cycle.

    - `observe(results)` opens an alert for a new problem (OPENED), only refreshes `last_seen`, `message`
      and `details` while the problem persists, notifies again after `renotify_interval_s` unless the alert
      is acknowledged (RENOTIFIED), raises the level or action when the problem gets worse (ESCALATED, also
      for acknowledged alerts, which stay acknowledged), and resolves a service's alerts whose problem is
      gone from that service's results (RESOLVED). Levels never go down while an alert is open.
      Services absent from `results` are left as they are.
    - `notify_count` counts notifications: the opening, each re-notification and each escalation.
    - `escalations` counts OPENED and ESCALATED events whose level is CRITICAL or above: the times the agent
      raised something that needs attention now (the agent status's `escalations`).
    - Resolved alerts stay listable until `resolved_retention` newer ones push them out.
    """

    def __init__(
        self,
        escalation: Escalation,
        settings: AlertsSection,
        *,
        webhook: AlertNotifier | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.escalation = escalation
        self.settings = settings
        self.webhook = webhook
        self._clock = clock
        self._alerts: dict[str, _Tracked] = {}  # by id: active and retained resolved ones
        self._active: dict[str, str] = {}  # fingerprint -> id of the open or acknowledged alert
        self._resolved: deque[str] = deque()  # ids, oldest resolution first
        self._down_since: dict[str, datetime] = {}  # service -> first CRITICAL result seen in this outage
        self._subscribers: list[AlertSubscription] = []
        self._seq = 0
        self.opened = 0
        self.escalations = 0

    @property
    def open_count(self) -> int:
        """Alerts open or acknowledged now."""
        return len(self._active)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    # observe ---------------------------------------------------------------------------------------------

    def observe(self, results: Iterable[CheckResult]) -> builtins.list[AlertEvent]:
        """Applies a round of check results; returns the events it caused, in order (already published)."""
        now = self._clock()
        by_service: dict[str, list[CheckResult]] = {}
        for result in results:
            by_service.setdefault(result.service, []).append(result)
        events: list[AlertEvent] = []
        for service, service_results in by_service.items():
            events.extend(self._observe_service(service, service_results, now))
        for event in events:
            self._publish(event)
        return events

    def _observe_service(
        self, service: str, results: builtins.list[CheckResult], now: datetime
    ) -> builtins.list[AlertEvent]:
        down_since: datetime | None = None
        if any(r.status is HealthStatus.CRITICAL for r in results):
            down_since = self._down_since.setdefault(service, now)
        else:
            self._down_since.pop(service, None)
        worst: dict[str, Assessment] = {}
        for result in results:
            assessment = self.escalation.evaluate(result, down_since, now)
            if assessment is None:
                continue
            seen = worst.get(assessment.fingerprint)
            if seen is None or assessment.rank > seen.rank:
                worst[assessment.fingerprint] = assessment
        events = [e for a in worst.values() if (e := self._apply(a, now)) is not None]
        for fingerprint, alert_id in list(self._active.items()):
            alert = self._alerts[alert_id].alert
            if alert.service == service and fingerprint not in worst:
                events.append(self._resolve(alert_id, now))
        return events

    def _apply(self, assessment: Assessment, now: datetime) -> AlertEvent | None:
        alert_id = self._active.get(assessment.fingerprint)
        if alert_id is None:
            return self._open(assessment, now)
        tracked = self._alerts[alert_id]
        alert = tracked.alert
        alert.last_seen = now
        alert.message = assessment.message
        alert.details = self._details(assessment, tracked)
        if assessment.rank > _pair_rank((alert.level, alert.action)):
            alert.level, alert.action, alert.title = assessment.level, assessment.action, assessment.title
            return self._notify(tracked, AlertEventType.ESCALATED, now)
        interval = timedelta(seconds=self.settings.renotify_interval_s)
        if alert.state is AlertState.OPEN and now - tracked.last_notified >= interval:
            return self._notify(tracked, AlertEventType.RENOTIFIED, now)
        return None

    @staticmethod
    def _details(assessment: Assessment, tracked: _Tracked | None) -> dict[str, Any]:
        details = dict(assessment.details)
        if tracked is not None and tracked.comment:
            details["acknowledge_comment"] = tracked.comment
        return details

    def _open(self, assessment: Assessment, now: datetime) -> AlertEvent:
        alert = Alert(
            level=assessment.level,
            title=assessment.title,
            message=assessment.message,
            service=assessment.service,
            details=self._details(assessment, None),
            timestamp=now,
            action=assessment.action,
            id=new_id("alert", now),
            fingerprint=assessment.fingerprint,
            last_seen=now,
        )
        self._seq += 1
        self._alerts[alert.id] = _Tracked(alert, self._seq, now)
        self._active[alert.fingerprint] = alert.id
        self.opened += 1
        if alert.level >= AlertLevel.CRITICAL:
            self.escalations += 1
        self._log("alert opened", alert, logging.WARNING)
        return AlertEvent(AlertEventType.OPENED, _snapshot(alert))

    def _notify(self, tracked: _Tracked, kind: AlertEventType, now: datetime) -> AlertEvent:
        alert = tracked.alert
        alert.notify_count += 1
        tracked.last_notified = now
        if kind is AlertEventType.ESCALATED and alert.level >= AlertLevel.CRITICAL:
            self.escalations += 1
        self._log(f"alert {kind.value}", alert, logging.WARNING)
        return AlertEvent(kind, _snapshot(alert))

    def _resolve(self, alert_id: str, now: datetime) -> AlertEvent:
        alert = self._alerts[alert_id].alert
        del self._active[alert.fingerprint]
        alert.state = AlertState.RESOLVED
        alert.resolved_at = now
        self._resolved.append(alert_id)
        while len(self._resolved) > self.settings.resolved_retention:
            del self._alerts[self._resolved.popleft()]
        self._log("alert resolved", alert, logging.INFO)
        return AlertEvent(AlertEventType.RESOLVED, _snapshot(alert))

    @staticmethod
    def _log(what: str, alert: Alert, level: int) -> None:
        log.log(
            level,
            "%s: %s",
            what,
            alert.title,
            extra={
                "alert_id": alert.id,
                "fingerprint": alert.fingerprint,
                "alert_level": alert.level.name,
                "alert_action": alert.action.value,
                "alert_state": alert.state.value,
                "notify_count": alert.notify_count,
            },
        )

    # people ----------------------------------------------------------------------------------------------

    def acknowledge(self, alert_id: str, by: str, comment: str = "") -> Alert:
        """Marks an open alert acknowledged: no more re-notifications; it still escalates and resolves.

        Acknowledging again records the new person and comment. Raises InvalidArgument for a bad `by` or
        `comment`, NotFound for an unknown id, FailedPrecondition for a resolved alert.
        """
        violations: builtins.list[FieldViolation] = []
        if not by.strip() or len(by) > MAX_ACKNOWLEDGED_BY:
            violations.append(FieldViolation("acknowledged_by", f"must be 1 to {MAX_ACKNOWLEDGED_BY} characters"))
        if len(comment) > MAX_COMMENT:
            violations.append(FieldViolation("comment", f"must be at most {MAX_COMMENT} characters"))
        if violations:
            raise InvalidArgument("invalid acknowledgement", violations)
        tracked = self._tracked(alert_id)
        alert = tracked.alert
        if alert.state is AlertState.RESOLVED:
            raise FailedPrecondition(
                f"alert {alert_id} is resolved", reason="ALERT_RESOLVED", metadata={"alert_id": alert_id}
            )
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_at = self._clock()
        alert.acknowledged_by = by
        tracked.comment = comment
        if comment:
            alert.details["acknowledge_comment"] = comment
        self._log("alert acknowledged", alert, logging.INFO)
        event = AlertEvent(AlertEventType.ACKNOWLEDGED, _snapshot(alert), comment)
        self._publish(event)
        return _snapshot(alert)

    def _tracked(self, alert_id: str) -> _Tracked:
        tracked = self._alerts.get(alert_id)
        if tracked is None:
            raise NotFound(f"no alert {alert_id!r}", reason="ALERT_NOT_FOUND", metadata={"alert_id": alert_id})
        return tracked

    def get(self, alert_id: str) -> Alert:
        """A snapshot of the alert; NotFound if it never existed or was forgotten."""
        return _snapshot(self._tracked(alert_id).alert)

    def list(
        self,
        states: Iterable[AlertState] = (),
        min_level: AlertLevel | None = None,
        service: str = "",
    ) -> builtins.list[Alert]:
        """Snapshots of the alerts that pass every filter (empty filters keep all), newest first."""
        wanted = set(states)
        picked = [
            t
            for t in self._alerts.values()
            if (not wanted or t.alert.state in wanted)
            and (min_level is None or t.alert.level >= min_level)
            and (not service or t.alert.service == service)
        ]
        picked.sort(key=lambda t: (t.alert.timestamp, t.seq), reverse=True)
        return [_snapshot(t.alert) for t in picked]

    # watchers --------------------------------------------------------------------------------------------

    def subscribe(self, min_level: AlertLevel | None = None, include_current: bool = False) -> AlertSubscription:
        """A new watcher of events at `min_level` or above, registered at once (no event in between is lost).

        With `include_current`, it starts with every open or acknowledged alert as CURRENT events, oldest
        first.
        """
        subscription = AlertSubscription(self, min_level, self.settings.subscriber_queue)
        if include_current:
            current = sorted(
                (self._alerts[i] for i in self._active.values()), key=lambda t: (t.alert.timestamp, t.seq)
            )
            # The replay is not held to the buffer's bound: it is as long as the open alerts, not a lag.
            for tracked in current:
                subscription._replay(AlertEvent(AlertEventType.CURRENT, _snapshot(tracked.alert)))
        self._subscribers.append(subscription)
        return subscription

    def _unsubscribe(self, subscription: AlertSubscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    def close_subscriptions(self) -> None:
        """Ends every watcher's iteration (at shutdown)."""
        for subscription in list(self._subscribers):
            subscription.close()

    def _publish(self, event: AlertEvent) -> None:
        for subscription in list(self._subscribers):
            if not subscription._offer(event):
                self._unsubscribe(subscription)
                log.warning(
                    "alert watcher disconnected: more than %d events behind",
                    self.settings.subscriber_queue,
                    extra={"subscriber_queue": self.settings.subscriber_queue},
                )
        if (
            self.webhook is not None
            and event.type in WEBHOOK_EVENTS
            and event.alert.level >= self.settings.webhook_min_alert_level
        ):
            try:
                self.webhook.notify(event)
            except Exception:
                # A notifier must not raise; if one does, alerting goes on without it for this event.
                log.exception("alert notifier failed", extra={"alert_id": event.alert.id})

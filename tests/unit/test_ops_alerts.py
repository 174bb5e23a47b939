"""Escalation rules and the alert life cycle (open, dedup, renotify, escalate, acknowledge, resolve, watch)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from glm3.servers.common.errors import FailedPrecondition, InvalidArgument, NotFound
from glm3.servers.common.settings import BaseSettings, load_settings
from glm3.servers.ops.alerts import (
    AlertEvent,
    AlertEventType,
    AlertManager,
    AlertsSection,
    Escalation,
    SubscriberTooSlow,
    alert_json,
)
from glm3.servers.ops.models import (
    AlertLevel,
    AlertState,
    CheckResult,
    EscalationAction,
    EscalationCriteria,
    HealthStatus,
)

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
OK = HealthStatus.HEALTHY
BAD = HealthStatus.CRITICAL
SLOW = HealthStatus.DEGRADED


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def result(
    service: str = "scoring", status: HealthStatus = BAD, check: str = "grpc", **details: Any
) -> CheckResult:
    return CheckResult(service, status, f"{service} {status.value}", details, check=check)


def manager(clock: Clock | None = None, **settings: Any) -> AlertManager:
    section = AlertsSection(**settings)
    return AlertManager(Escalation(section.criteria()), section, clock=clock or Clock())


def kinds(events: list[AlertEvent]) -> list[tuple[AlertEventType, str]]:
    return [(e.type, e.alert.fingerprint) for e in events]


# --- settings ----------------------------------------------------------------------------------------------


def test_settings_defaults_match_the_seed_criteria() -> None:
    section = AlertsSection()
    assert section.criteria() == EscalationCriteria()
    assert section.renotify_interval_s == 3600
    assert section.webhook_url is None


def test_settings_override_criteria_and_validate_the_webhook_url() -> None:
    section = AlertsSection(
        service_down_threshold_min=3, disk_critical_threshold=90, webhook_url="https://hooks.example/T0/secret"
    )
    assert section.criteria().service_down_threshold == 3
    assert section.criteria().disk_critical_threshold == 90
    assert section.webhook_url is not None
    assert "secret" not in str(section.model_dump(mode="json"))
    assert AlertsSection(webhook_url="").webhook_url is None
    for bad in ("ftp://example/x", "hooks.example/x", "http://"):
        with pytest.raises(ValidationError, match="http:// or https:// URL"):
            AlertsSection(webhook_url=bad)
    with pytest.raises(ValidationError):
        AlertsSection(disk_critical_threshold=101)


def test_settings_load_from_the_environment_as_a_section() -> None:
    class Settings(BaseSettings):
        alerts: AlertsSection = AlertsSection()

    settings, _ = load_settings(
        Settings, environ={"GLM3_ALERTS_WEBHOOK_MIN_LEVEL": "CRITICAL", "GLM3_ALERTS_RENOTIFY_INTERVAL_S": "60"}
    )
    assert settings.alerts.webhook_min_alert_level is AlertLevel.CRITICAL
    assert settings.alerts.renotify_interval_s == 60


# --- escalation rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "status", "details", "down_min", "expected"),
    [
        ("grpc", OK, {}, 0, None),
        ("disk", OK, {"percent": 99}, 0, None),
        ("http", HealthStatus.UNKNOWN, {}, 0, ("unknown", AlertLevel.WARNING, EscalationAction.LOG_ONLY)),
        ("http", SLOW, {}, 0, ("degraded", AlertLevel.WARNING, EscalationAction.LOG_ONLY)),
        ("http", BAD, {}, 0, ("down", AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER)),
        ("http", BAD, {}, 9, ("down", AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER)),
        ("http", BAD, {}, 10, ("down", AlertLevel.EMERGENCY, EscalationAction.IMMEDIATE_ALERT)),
        ("disk", SLOW, {"percent": 90}, 0, ("disk_full", AlertLevel.WARNING, EscalationAction.LOG_ONLY)),
        ("disk", SLOW, {"percent": 95}, 0, ("disk_full", AlertLevel.CRITICAL, EscalationAction.IMMEDIATE_ALERT)),
        ("disk", BAD, {"percent": 94.9}, 0, ("disk_full", AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER)),
        ("disk", BAD, {"percent": 97}, 30, ("disk_full", AlertLevel.CRITICAL, EscalationAction.IMMEDIATE_ALERT)),
        ("memory", SLOW, {"percent": 92}, 0, ("memory_pressure", AlertLevel.WARNING, EscalationAction.LOG_ONLY)),
        ("memory", BAD, {"percent": 98}, 0, ("memory_pressure", AlertLevel.EMERGENCY, EscalationAction.CRITICAL_ALERT)),
        ("swap", BAD, {"percent": 99}, 0, ("swap_pressure", AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER)),
        ("process", BAD, {"restarts_last_hour": 2}, 0, ("down", AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER)),
        ("process", SLOW, {"restarts_last_hour": 3}, 0, ("crash_loop", AlertLevel.CRITICAL, EscalationAction.IMMEDIATE_ALERT)),
        ("http", SLOW, {"restarts_last_hour": 9}, 0, ("degraded", AlertLevel.WARNING, EscalationAction.LOG_ONLY)),
        ("disk", BAD, {"percent": "full"}, 0, ("disk_full", AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER)),
    ],
)
def test_escalation_maps_results_to_problem_level_and_action(
    check: str,
    status: HealthStatus,
    details: dict[str, Any],
    down_min: int,
    expected: tuple[str, AlertLevel, EscalationAction] | None,
) -> None:
    down_since = T0 - timedelta(minutes=down_min) if status is BAD else None
    assessment = Escalation().evaluate(result("svc", status, check, **details), down_since, T0)
    if expected is None:
        assert assessment is None
        return
    assert assessment is not None
    assert (assessment.problem, assessment.level, assessment.action) == expected
    assert assessment.fingerprint == f"svc:{expected[0]}"
    assert assessment.details["status"] == status.value


def test_escalation_uses_the_configured_criteria() -> None:
    escalation = Escalation(EscalationCriteria(disk_critical_threshold=80, service_down_threshold=1))
    disk = escalation.evaluate(result("host.disk:/", SLOW, "disk", percent=81), None, T0)
    assert disk is not None and disk.action is EscalationAction.IMMEDIATE_ALERT
    assert "81% full (limit 80%)" in disk.message
    down = escalation.evaluate(result("api", BAD, "tcp"), T0 - timedelta(minutes=1), T0)
    assert down is not None and down.level is AlertLevel.EMERGENCY


# --- life cycle --------------------------------------------------------------------------------------------


def test_whole_life_cycle_of_a_down_service() -> None:
    clock = Clock()
    alerts = manager(clock, renotify_interval_s=300)

    (opened,) = alerts.observe([result()])
    assert opened.type is AlertEventType.OPENED
    alert = opened.alert
    assert (alert.level, alert.action) == (AlertLevel.CRITICAL, EscalationAction.ALERT_FOUNDER)
    assert alert.state is AlertState.OPEN
    assert alert.fingerprint == "scoring:down" and alert.id.startswith("alert_20250106_120000_")
    assert alert.notify_count == 1 and alerts.open_count == 1 and alerts.escalations == 1

    clock.advance(minutes=1)
    assert alerts.observe([result()]) == []  # dedup: same problem, nothing to tell
    seen = alerts.get(alert.id)
    assert seen.last_seen == T0 + timedelta(minutes=1) and seen.timestamp == T0 and seen.notify_count == 1

    clock.advance(minutes=4)  # 5 min since the opening: the renotify interval
    (again,) = alerts.observe([result()])
    assert again.type is AlertEventType.RENOTIFIED and again.alert.id == alert.id
    assert again.alert.notify_count == 2

    clock.advance(minutes=5)  # down 10 min: emergency, same alert
    (worse,) = alerts.observe([result()])
    assert worse.type is AlertEventType.ESCALATED and worse.alert.id == alert.id
    assert (worse.alert.level, worse.alert.action) == (AlertLevel.EMERGENCY, EscalationAction.IMMEDIATE_ALERT)
    assert worse.alert.notify_count == 3 and alerts.escalations == 2
    assert worse.alert.details["down_since"] == T0.isoformat()

    clock.advance(minutes=1)
    (resolved,) = alerts.observe([result(status=OK)])
    assert resolved.type is AlertEventType.RESOLVED and resolved.alert.id == alert.id
    assert resolved.alert.state is AlertState.RESOLVED
    assert resolved.alert.resolved_at == T0 + timedelta(minutes=11)
    assert resolved.alert.level is AlertLevel.EMERGENCY
    assert alerts.open_count == 0
    assert alerts.observe([result(status=OK)]) == []

    # A new outage is a new alert, and its down time starts again (not an emergency at once).
    clock.advance(minutes=1)
    (new,) = alerts.observe([result()])
    assert new.type is AlertEventType.OPENED and new.alert.id != alert.id
    assert new.alert.level is AlertLevel.CRITICAL
    assert [a.id for a in alerts.list()] == [new.alert.id, alert.id]


def test_renotify_waits_for_the_interval_and_skips_acknowledged_alerts() -> None:
    clock = Clock()
    alerts = manager(clock, renotify_interval_s=3600)
    (opened,) = alerts.observe([result("a", SLOW), result("b", SLOW)])[:1]
    clock.advance(minutes=59)
    assert alerts.observe([result("a", SLOW), result("b", SLOW)]) == []

    acked = alerts.acknowledge(opened.alert.id, "ana", "restarting it")
    assert acked.state is AlertState.ACKNOWLEDGED and acked.acknowledged_by == "ana"
    assert acked.acknowledged_at == clock.now
    clock.advance(minutes=1)
    events = alerts.observe([result("a", SLOW), result("b", SLOW)])
    assert kinds(events) == [(AlertEventType.RENOTIFIED, "b:degraded")]
    clock.advance(hours=5)
    assert kinds(alerts.observe([result("a", SLOW), result("b", SLOW)])) == [(AlertEventType.RENOTIFIED, "b:degraded")]
    assert alerts.get(opened.alert.id).notify_count == 1
    # The comment survives later updates of the details.
    assert alerts.get(opened.alert.id).details["acknowledge_comment"] == "restarting it"


def test_acknowledged_alert_still_escalates_and_resolves() -> None:
    clock = Clock()
    alerts = manager(clock)
    (opened,) = alerts.observe([result()])
    alerts.acknowledge(opened.alert.id, "ana")
    clock.advance(minutes=10)
    (worse,) = alerts.observe([result()])
    assert worse.type is AlertEventType.ESCALATED
    assert worse.alert.state is AlertState.ACKNOWLEDGED and worse.alert.level is AlertLevel.EMERGENCY
    (resolved,) = alerts.observe([result(status=OK)])
    assert resolved.type is AlertEventType.RESOLVED and resolved.alert.acknowledged_by == "ana"


def test_acknowledge_errors() -> None:
    alerts = manager()
    (opened,) = alerts.observe([result()])
    with pytest.raises(NotFound) as missing:
        alerts.acknowledge("alert_nope", "ana")
    assert missing.value.reason == "ALERT_NOT_FOUND"
    with pytest.raises(InvalidArgument) as bad:
        alerts.acknowledge(opened.alert.id, "  ", "x" * 2001)
    assert [v.field for v in bad.value.violations] == ["acknowledged_by", "comment"]
    alerts.observe([result(status=OK)])
    with pytest.raises(FailedPrecondition) as resolved:
        alerts.acknowledge(opened.alert.id, "ana")
    assert resolved.value.reason == "ALERT_RESOLVED"
    with pytest.raises(NotFound):
        alerts.get("alert_nope")


def test_disk_filling_up_escalates_one_alert_and_levels_do_not_go_down() -> None:
    clock = Clock()
    alerts = manager(clock)
    disk = "host.disk:/"
    (opened,) = alerts.observe([result(disk, SLOW, "disk", percent=91)])
    assert (opened.alert.fingerprint, opened.alert.level) == ("host.disk:/:disk_full", AlertLevel.WARNING)
    assert alerts.escalations == 0

    clock.advance(minutes=1)
    (worse,) = alerts.observe([result(disk, BAD, "disk", percent=93)])
    assert worse.type is AlertEventType.ESCALATED and worse.alert.action is EscalationAction.ALERT_FOUNDER
    clock.advance(minutes=1)
    (worse2,) = alerts.observe([result(disk, BAD, "disk", percent=96)])
    # Same level, stronger action: still an escalation.
    assert (worse2.alert.level, worse2.alert.action) == (AlertLevel.CRITICAL, EscalationAction.IMMEDIATE_ALERT)
    assert worse2.alert.id == opened.alert.id and alerts.escalations == 2

    clock.advance(minutes=1)
    assert alerts.observe([result(disk, SLOW, "disk", percent=92)]) == []
    current = alerts.get(opened.alert.id)
    assert current.level is AlertLevel.CRITICAL and current.details["percent"] == 92


def test_memory_and_crash_loop_alerts() -> None:
    alerts = manager()
    events = alerts.observe(
        [
            result("host.memory", BAD, "memory", percent=98.5),
            result("worker", SLOW, "process", restarts_last_hour=4),
        ]
    )
    by_fp = {e.alert.fingerprint: e.alert for e in events}
    memory = by_fp["host.memory:memory_pressure"]
    assert (memory.level, memory.action) == (AlertLevel.EMERGENCY, EscalationAction.CRITICAL_ALERT)
    crash = by_fp["worker:crash_loop"]
    assert (crash.level, crash.action) == (AlertLevel.CRITICAL, EscalationAction.IMMEDIATE_ALERT)
    assert crash.title == "worker is crash-looping" and "restarted 4 times" in crash.message
    assert alerts.escalations == 2


def test_a_changed_problem_resolves_the_old_alert_and_opens_the_new_one() -> None:
    alerts = manager()
    alerts.observe([result("worker", BAD, "process", restarts_last_hour=1)])
    events = alerts.observe([result("worker", BAD, "process", restarts_last_hour=3)])
    assert kinds(events) == [(AlertEventType.OPENED, "worker:crash_loop"), (AlertEventType.RESOLVED, "worker:down")]


def test_results_only_touch_their_own_service() -> None:
    alerts = manager()
    alerts.observe([result("a"), result("b", SLOW)])
    events = alerts.observe([result("a", OK)])  # a partial round: b is not mentioned
    assert kinds(events) == [(AlertEventType.RESOLVED, "a:down")]
    assert [a.fingerprint for a in alerts.list(states=[AlertState.OPEN])] == ["b:degraded"]


def test_several_results_of_one_service_keep_the_worst_and_both_problems() -> None:
    clock = Clock()
    alerts = manager(clock)
    events = alerts.observe([result("api", SLOW, "http"), result("api", BAD, "tcp"), result("api", BAD, "grpc")])
    assert sorted(kinds(events)) == [(AlertEventType.OPENED, "api:degraded"), (AlertEventType.OPENED, "api:down")]
    # One result still down keeps the service's down time running.
    clock.advance(minutes=10)
    events = alerts.observe([result("api", OK, "http"), result("api", BAD, "tcp"), result("api", OK, "grpc")])
    assert kinds(events) == [(AlertEventType.ESCALATED, "api:down"), (AlertEventType.RESOLVED, "api:degraded")]


def test_list_filters_newest_first_and_resolved_retention() -> None:
    clock = Clock()
    alerts = manager(clock, resolved_retention=2)
    for name in ("a", "b", "c"):
        alerts.observe([result(name, SLOW)])
        clock.advance(seconds=1)
    alerts.observe([result("d")])
    assert [a.service for a in alerts.list()] == ["d", "c", "b", "a"]
    assert [a.service for a in alerts.list(min_level=AlertLevel.CRITICAL)] == ["d"]
    assert [a.service for a in alerts.list(service="b")] == ["b"]

    for name in ("a", "b", "c"):
        alerts.observe([result(name, OK)])
    assert [a.service for a in alerts.list(states=[AlertState.RESOLVED])] == ["c", "b"]  # "a" forgotten
    assert [a.service for a in alerts.list(states=[AlertState.OPEN, AlertState.ACKNOWLEDGED])] == ["d"]
    assert alerts.open_count == 1


def test_list_and_events_return_copies() -> None:
    alerts = manager()
    (opened,) = alerts.observe([result(latency_ms=5)])
    opened.alert.details["latency_ms"] = 999
    listed = alerts.list()[0]
    listed.title = "changed"
    fresh = alerts.get(opened.alert.id)
    assert fresh.details["latency_ms"] == 5 and fresh.title == "scoring is down"


def test_alert_json_uses_seed_names_and_iso_times() -> None:
    alerts = manager()
    (opened,) = alerts.observe([result()])
    data = alert_json(opened.alert)
    assert data["level"] == "critical" and data["action"] == "alert_founder" and data["state"] == "open"
    assert data["timestamp"] == T0.isoformat() and data["resolved_at"] is None
    assert {"level", "title", "message", "service", "details", "timestamp", "action"} <= data.keys()


# --- watchers ----------------------------------------------------------------------------------------------


async def test_subscribers_get_events_filtered_by_level() -> None:
    clock = Clock()
    alerts = manager(clock)
    async with alerts.subscribe() as every, alerts.subscribe(min_level=AlertLevel.CRITICAL) as urgent:
        assert alerts.subscriber_count == 2
        alerts.observe([result("a", SLOW), result("b")])
        alerts.acknowledge(alerts.list(service="b")[0].id, "ana")
        alerts.observe([result("a", OK), result("b", OK)])
        got_every = [(e.type, e.alert.service) for e in [await anext(every) for _ in range(5)]]
        got_urgent = [(e.type, e.alert.service) for e in [await anext(urgent) for _ in range(3)]]
        assert every.pending == 0 and urgent.pending == 0
    assert alerts.subscriber_count == 0
    assert got_every == [
        (AlertEventType.OPENED, "a"),
        (AlertEventType.OPENED, "b"),
        (AlertEventType.ACKNOWLEDGED, "b"),
        (AlertEventType.RESOLVED, "a"),
        (AlertEventType.RESOLVED, "b"),
    ]
    assert got_urgent == [
        (AlertEventType.OPENED, "b"),
        (AlertEventType.ACKNOWLEDGED, "b"),
        (AlertEventType.RESOLVED, "b"),
    ]


async def test_subscriber_waits_for_the_next_event() -> None:
    alerts = manager()
    async with alerts.subscribe() as events:
        waiting = asyncio.create_task(anext(events))
        await asyncio.sleep(0)
        assert not waiting.done()
        alerts.observe([result()])
        event = await asyncio.wait_for(waiting, 2)
        assert event.type is AlertEventType.OPENED


async def test_include_current_replays_open_alerts_first() -> None:
    clock = Clock()
    alerts = manager(clock)
    alerts.observe([result("old", SLOW)])
    clock.advance(seconds=1)
    alerts.observe([result("older-resolved")])
    alerts.observe([result("older-resolved", OK)])
    clock.advance(seconds=1)
    alerts.observe([result("new")])
    async with alerts.subscribe(include_current=True) as events:
        alerts.observe([result("newest")])
        got = [(e.type, e.alert.service) for e in [await anext(events) for _ in range(3)]]
    assert got == [
        (AlertEventType.CURRENT, "old"),
        (AlertEventType.CURRENT, "new"),
        (AlertEventType.OPENED, "newest"),
    ]
    async with alerts.subscribe(min_level=AlertLevel.CRITICAL, include_current=True) as urgent:
        assert [(await anext(urgent)).alert.service for _ in range(2)] == ["new", "newest"]
        assert urgent.pending == 0


async def test_slow_subscriber_is_dropped_with_a_clear_end() -> None:
    clock = Clock()
    alerts = manager(clock, subscriber_queue=3)
    async with alerts.subscribe() as slow, alerts.subscribe() as fast:
        for i in range(3):
            alerts.observe([result(f"s{i}")])
            await anext(fast)
        assert slow.pending == 3 and alerts.subscriber_count == 2
        alerts.observe([result("s3")])  # the fourth unread event: one too many
        assert slow.dropped and slow.pending == 0 and alerts.subscriber_count == 1
        with pytest.raises(SubscriberTooSlow, match="more than 3") as too_slow:
            await anext(slow)
        assert too_slow.value.reason == "WATCHER_TOO_SLOW"  # RESOURCE_EXHAUSTED on the stream
        assert (await anext(fast)).alert.service == "s3"
        alerts.observe([result("s4")])
        assert (await anext(fast)).alert.service == "s4"


async def test_close_subscriptions_ends_iteration() -> None:
    alerts = manager()
    subscription = alerts.subscribe()
    collected: list[AlertEvent] = []

    async def consume() -> None:
        async for event in subscription:
            collected.append(event)

    task = asyncio.create_task(consume())
    alerts.observe([result()])
    await asyncio.sleep(0)
    alerts.close_subscriptions()
    await asyncio.wait_for(task, 2)
    assert [e.type for e in collected] == [AlertEventType.OPENED]
    assert alerts.subscriber_count == 0

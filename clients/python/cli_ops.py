"""`glm3 ops ...`: the ops service from the command line (health, watches, diagnosis, runbooks, alerts)."""

from __future__ import annotations

import argparse
import itertools
from typing import Any

from glm3.client.cli_format import Column, enum_name, format_time, key_values, render_table, to_dict, write_json
from glm3.client.errors import NotFoundError
from glm3.ops.v1 import ops_pb2
from glm3.ops.v1 import ops_service_pb2 as pb

__all__ = [
    "ALERT_STATES",
    "run_ack",
    "run_alerts",
    "run_diagnose",
    "run_health",
    "run_resolve",
    "run_runbooks",
    "run_status",
    "run_watch",
]

ALERT_STATES = ("open", "acknowledged", "resolved", "all")
ALERT_LEVELS = ("info", "warning", "critical", "emergency")


def health_name(value: int) -> str:
    return enum_name(ops_pb2.HealthStatus, value, "HEALTH_STATUS_")


HEALTH_COLUMNS = (
    Column("SERVICE", 24),
    Column("STATUS", 9),
    Column("CHECK", 12),
    Column("MESSAGE", 80, flex=True, min_width=20),
    Column("CHECKED AT", 20),
    Column("MS", 8, right=True),
)


def health_row(result: ops_pb2.HealthCheckResult) -> list[Any]:
    return [
        result.service,
        health_name(result.status),
        result.check or "-",
        result.message,
        format_time(result.timestamp),
        f"{result.duration_ms:.0f}",
    ]


def run_health(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 ops health`: the latest check results (or fresh ones with --now). Exits 1 when the overall
    status is CRITICAL (with --strict, also DEGRADED), as a health probe does."""
    with ctx.ops_client() as ops:
        reply = ops.check_health(args.services or None, run_now=args.now)
    failing = {ops_pb2.HEALTH_STATUS_CRITICAL} | ({ops_pb2.HEALTH_STATUS_DEGRADED} if args.strict else set())
    code = 1 if reply.overall_status in failing else 0
    if ctx.json:
        for result in reply.results:
            write_json(ctx.stdout, to_dict(result))
        return code
    ctx.print_lines(render_table(HEALTH_COLUMNS, [health_row(r) for r in reply.results], ctx.stdout))
    ctx.note(f"overall: {health_name(reply.overall_status)} ({len(reply.results)} check{'' if len(reply.results) == 1 else 's'})")
    return code


def run_watch(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 ops watch`: results as their status changes, and heartbeats, until Ctrl-C."""
    with ctx.ops_client() as ops:
        stream = ops.watch_health(args.services or None, heartbeat_interval=args.heartbeat)
        try:
            ctx.note(f"watching {', '.join(args.services) if args.services else 'every service'} on {ctx.target} (Ctrl-C stops)")
            for event in stream:
                if ctx.json:
                    write_json(ctx.stdout, to_dict(event))
                elif event.WhichOneof("event") == "result":
                    r = event.result
                    ctx.print_lines([f"{format_time(r.timestamp)}  {r.service:<20}  {health_name(r.status):<9}  {r.message}"])
                elif event.WhichOneof("event") == "heartbeat":
                    beat = event.heartbeat
                    ctx.print_lines([f"{format_time(beat.timestamp)}  heartbeat             overall {health_name(beat.overall_status)}"])
        except KeyboardInterrupt:
            return 0
        finally:
            stream.close()
    return 0


def diagnosis_pairs(diagnosis: ops_pb2.Diagnosis) -> list[tuple[str, Any]]:
    confidence = enum_name(ops_pb2.Confidence, diagnosis.confidence, "CONFIDENCE_")
    pairs: list[tuple[str, Any]] = [
        ("issue", diagnosis.issue_name),
        ("confidence", f"{confidence} ({diagnosis.confidence_score:.2f})"),
        ("summary", diagnosis.summary),
        ("root cause", diagnosis.root_cause or "-"),
        ("action", diagnosis.suggested_action or "-"),
        ("runbooks", ", ".join(diagnosis.suggested_runbook_ids) or "-"),
        ("diagnosed by", diagnosis.diagnosed_by or "-"),
    ]
    for i, similar in enumerate(diagnosis.similar_issues):
        r = similar.resolution
        text = f"{r.issue_name} ({similar.score:.2f}): {r.action_taken}"
        if r.lesson_learned:
            text += f"; lesson: {r.lesson_learned}"
        pairs.append(("similar" if i == 0 else "", text))
    if diagnosis.reasoning:
        pairs.append(("reasoning", diagnosis.reasoning))
    return pairs


def run_diagnose(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 ops diagnose`: a symptom in words, or a service's latest check result."""
    with ctx.ops_client() as ops:
        if args.symptom is not None:
            reply = ops.diagnose(args.symptom)
        else:
            health = ops.check_health([args.service], run_now=args.now)
            results = [r for r in health.results if r.service == args.service]
            if not results:
                raise NotFoundError(f"no check result for service {args.service!r}")
            latest = max(results, key=lambda r: (r.timestamp.seconds, r.timestamp.nanos))
            if not ctx.json:
                ctx.note(f"{latest.service}: {health_name(latest.status)}: {latest.message}")
            reply = ops.diagnose(latest)
    if ctx.json:
        write_json(ctx.stdout, to_dict(reply.diagnosis))
    else:
        ctx.print_lines(key_values(diagnosis_pairs(reply.diagnosis), ctx.stdout))
    return 0


STEP_COLUMNS = (
    Column("STEP", 28),
    Column("KIND", 16),
    Column("OK", 3),
    Column("MS", 8, right=True),
    Column("MESSAGE", 80, flex=True, min_width=20),
)


def run_resolve(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 ops resolve`: run a runbook (or show what it would do with --dry-run). Exit 1 unless the
    resolution succeeded or was skipped."""
    with ctx.ops_client() as ops:
        reply = ops.resolve(args.runbook_id, args.issue or "", service=args.service or "", dry_run=args.dry_run)
    result = reply.result
    status = enum_name(ops_pb2.ResolutionStatus, result.status, "RESOLUTION_STATUS_")
    if ctx.json:
        write_json(ctx.stdout, to_dict(reply))
    else:
        pairs = [
            ("runbook", result.runbook_id + ("  (dry run: nothing was run)" if result.dry_run else "")),
            ("issue", result.issue_name),
            ("status", status),
            ("message", result.message or "-"),
        ]
        if reply.HasField("recorded") and reply.recorded.id:
            pairs.append(("recorded", reply.recorded.id))
        ctx.print_lines(key_values(pairs, ctx.stdout))
        if result.steps:
            ctx.print_lines([""])
            rows = [[s.name, s.kind, "yes" if s.ok else "no", f"{s.duration_ms:.0f}", s.message] for s in result.steps]
            ctx.print_lines(render_table(STEP_COLUMNS, rows, ctx.stdout))
    return 0 if result.status in (ops_pb2.RESOLUTION_STATUS_SUCCESS, ops_pb2.RESOLUTION_STATUS_SKIPPED) else 1


RUNBOOK_COLUMNS = (
    Column("ID", 28),
    Column("TITLE", 50, flex=True, min_width=16),
    Column("ISSUES", 40, flex=True, min_width=12),
    Column("AUTO", 4),
    Column("STEPS", 5, right=True),
)


def run_runbooks(args: argparse.Namespace, ctx: Any) -> int:
    with ctx.ops_client() as ops:
        reply = ops.list_runbooks(args.issue or "")
    if ctx.json:
        for runbook in reply.runbooks:
            write_json(ctx.stdout, to_dict(runbook))
        return 0
    rows = [
        [r.id, r.title, ", ".join(r.issues), "yes" if r.safe_for_automation else "no", len(r.steps)]
        for r in reply.runbooks
    ]
    ctx.print_lines(render_table(RUNBOOK_COLUMNS, rows, ctx.stdout))
    return 0


ALERT_COLUMNS = (
    Column("ID", 32),
    Column("LEVEL", 9),
    Column("STATE", 12),
    Column("SERVICE", 20),
    Column("TITLE", 60, flex=True, min_width=16),
    Column("LAST SEEN", 20),
    Column("SENT", 4, right=True),
)


def alert_row(alert: ops_pb2.Alert) -> list[Any]:
    return [
        alert.id,
        enum_name(ops_pb2.AlertLevel, alert.level, "ALERT_LEVEL_"),
        enum_name(ops_pb2.AlertState, alert.state, "ALERT_STATE_"),
        alert.service or "-",
        alert.title,
        format_time(alert.last_seen if alert.HasField("last_seen") else alert.timestamp),
        alert.notify_count,
    ]


def alert_states(args: argparse.Namespace) -> list[str] | None:
    chosen = [s for group in args.state or [["open", "acknowledged"]] for s in group]
    return None if "all" in chosen else chosen


def run_alerts(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 ops alerts`: open and acknowledged alerts by default (newest first); --watch follows changes."""
    if args.watch:
        return _watch_alerts(args, ctx)
    with ctx.ops_client() as ops:
        pager = ops.list_alerts(
            states=alert_states(args), min_level=args.level or 0, service=args.service or "",
            page_size=min(args.limit, 1_000) if args.limit > 0 else 200,
        )
        alerts = pager if args.limit <= 0 else itertools.islice(pager, args.limit)
        if ctx.json:
            for alert in alerts:
                write_json(ctx.stdout, to_dict(alert))
            return 0
        rows = [alert_row(a) for a in alerts]
    ctx.print_lines(render_table(ALERT_COLUMNS, rows, ctx.stdout))
    ctx.note(f"{len(rows):,} alert{'' if len(rows) == 1 else 's'}")
    return 0


def _watch_alerts(args: argparse.Namespace, ctx: Any) -> int:
    states = alert_states(args)
    with ctx.ops_client() as ops:
        stream = ops.watch_alerts(min_level=args.level or 0, include_current=True)
        try:
            ctx.note(f"watching alerts on {ctx.target} (Ctrl-C stops)")
            for frame in stream:
                if frame.WhichOneof("frame") != "event":
                    continue
                event = frame.event
                kind = enum_name(pb.AlertEventType, event.type, "ALERT_EVENT_TYPE_")
                alert = event.alert
                if event.type == pb.ALERT_EVENT_TYPE_CURRENT and states is not None:
                    if enum_name(ops_pb2.AlertState, alert.state, "ALERT_STATE_").lower() not in states:
                        continue
                if args.service and alert.service != args.service:
                    continue
                if ctx.json:
                    write_json(ctx.stdout, to_dict(event))
                else:
                    level = enum_name(ops_pb2.AlertLevel, alert.level, "ALERT_LEVEL_")
                    ctx.print_lines(
                        [f"{format_time(alert.last_seen if alert.HasField('last_seen') else alert.timestamp)}  {kind:<12}  {level:<9}  {alert.id}  {alert.service or '-'}: {alert.title}"]
                    )
        except KeyboardInterrupt:
            return 0
        finally:
            stream.close()
    return 0


def run_ack(args: argparse.Namespace, ctx: Any) -> int:
    with ctx.ops_client() as ops:
        reply = ops.acknowledge_alert(args.alert_id, args.by, comment=args.comment or "")
    if ctx.json:
        write_json(ctx.stdout, to_dict(reply.alert))
        return 0
    alert = reply.alert
    ctx.print_lines(
        key_values(
            [
                ("alert", alert.id),
                ("title", alert.title),
                ("state", enum_name(ops_pb2.AlertState, alert.state, "ALERT_STATE_")),
                ("by", alert.acknowledged_by),
                ("at", format_time(alert.acknowledged_at)),
            ],
            ctx.stdout,
        )
    )
    return 0


def run_status(args: argparse.Namespace, ctx: Any) -> int:
    with ctx.ops_client() as ops:
        reply = ops.get_agent_status()
    if ctx.json:
        write_json(ctx.stdout, to_dict(reply))
        return 0
    status = reply.status
    criteria = reply.escalation_criteria
    interval = status.check_interval.ToTimedelta().total_seconds() if status.HasField("check_interval") else 0
    pairs: list[tuple[str, Any]] = [
        ("agent", "running" if status.running else "not running"),
        ("started", format_time(status.start_time)),
        ("check interval", f"{interval:g} s" if interval else "-"),
        ("last check", format_time(status.last_check)),
        ("checks run", f"{status.total_checks:,}"),
        ("issues detected", f"{status.issues_detected:,}"),
        ("auto resolutions", f"{status.auto_resolutions:,}"),
        ("escalations", f"{status.escalations:,}"),
        ("open alerts", f"{status.open_alerts:,}"),
        ("webhook failures", f"{status.webhook_failures:,}" + (f" (last: {status.last_webhook_error})" if status.last_webhook_error else "")),
        (
            "switches",
            " · ".join(
                f"{name} {'on' if on else 'off'}"
                for name, on in (
                    ("AI diagnosis", status.ai_diagnosis_enabled),
                    ("auto-resolve", status.auto_resolve_enabled),
                    ("learning", status.learning_enabled),
                )
            ),
        ),
        (
            "escalate when",
            f"revenue drop ≥ {criteria.revenue_drop_threshold:g} % · a service down ≥ {criteria.service_down_threshold} min"
            f" · disk ≥ {criteria.disk_critical_threshold} % · ≥ {criteria.worker_crash_threshold} worker crashes an hour"
            f" · memory ≥ {criteria.memory_critical_threshold} %",
        ),
    ]
    ctx.print_lines(key_values(pairs, ctx.stdout))
    return 0

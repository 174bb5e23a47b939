"""gRPC face of the ops service: validates requests, converts messages, and calls the agent."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc

from glm3.ops.v1 import ops_pb2
from glm3.ops.v1 import ops_service_pb2 as pb
from glm3.ops.v1 import ops_service_pb2_grpc as pb_grpc
from glm3.servers.common import page_tokens
from glm3.servers.common.access import audit_note, current_principal
from glm3.servers.common.audit_rpc import list_audit_events
from glm3.servers.common.errors import FieldViolation, InvalidArgument, ResourceExhausted
from glm3.servers.ops import convert
from glm3.servers.ops.agent import OpsAgent, overall
from glm3.servers.ops.learning import resolution_violations
from glm3.servers.ops.models import Alert, AlertLevel, CheckResult
from glm3.servers.storage.audit import AuditLog

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["OpsService"].full_name

log = logging.getLogger("glm3.ops")

MAX_SYMPTOM = 10_000
DEFAULT_HEARTBEAT = timedelta(seconds=30)
MAX_PAGE = 1000
DEFAULT_PAGE = 50

_EVENT_TYPES = {
    "current": pb.ALERT_EVENT_TYPE_CURRENT,
    "opened": pb.ALERT_EVENT_TYPE_OPENED,
    "renotified": pb.ALERT_EVENT_TYPE_RENOTIFIED,
    "escalated": pb.ALERT_EVENT_TYPE_ESCALATED,
    "acknowledged": pb.ALERT_EVENT_TYPE_ACKNOWLEDGED,
    "resolved": pb.ALERT_EVENT_TYPE_RESOLVED,
}


def _raise_if(violations: list[FieldViolation], message: str) -> None:
    if violations:
        raise InvalidArgument(message, violations)


def _time_left(context: grpc.aio.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None or remaining > 10**8 else remaining


def _level(value: int, field: str, violations: list[FieldViolation]) -> AlertLevel | None:
    if value == ops_pb2.ALERT_LEVEL_UNSPECIFIED:
        return None
    if value not in convert.LEVEL_FROM_PB:
        violations.append(FieldViolation(field, "unknown alert level"))
        return None
    return convert.LEVEL_FROM_PB[value]


def _page_token(fingerprint: str, alert: Alert) -> str:
    return page_tokens.encode([fingerprint, alert.timestamp.isoformat(), alert.id])


def _after_token(token: str, fingerprint: str) -> tuple[str, str]:
    found = page_tokens.decode(token)
    try:
        seen, stamp, alert_id = found
        if seen != fingerprint:
            raise ValueError
        return str(stamp), str(alert_id)
    except (ValueError, TypeError):
        raise page_tokens.invalid() from None


def _author() -> str:
    """Who teaches the learning store or runs a runbook: the caller's principal (`anonymous` without auth)."""
    return current_principal().name


class OpsServicer(pb_grpc.OpsServiceServicer):
    def __init__(self, agent: OpsAgent, *, audit: AuditLog | None = None) -> None:
        self.agent = agent
        self.audit = audit

    # -- health -------------------------------------------------------------------------------------

    async def CheckHealth(
        self, request: pb.CheckHealthRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckHealthResponse:
        services = self.agent.validate_services(request.services)
        results = self.agent.latest(services)
        have = {r.service for r in results}
        if request.run_now or not results or (services and have != set(services)):
            results = await self.agent.run_checks(services or None)
            results = [r for r in results if not services or r.service in services]
        return pb.CheckHealthResponse(
            results=[convert.check_result_to_pb(r) for r in results],
            overall_status=convert.HEALTH_TO_PB[overall(results)],
        )

    async def WatchHealth(  # type: ignore[override]
        self, request: pb.WatchHealthRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchHealthResponse]:
        services = self.agent.validate_services(request.services)
        interval = DEFAULT_HEARTBEAT
        if request.HasField("heartbeat_interval"):
            given = request.heartbeat_interval
            # Range-checked on the raw fields first: a huge Duration overflows timedelta.
            fits = 1 <= given.seconds <= 3600 and 0 <= given.nanos < 10**9
            interval = timedelta(seconds=given.seconds, microseconds=given.nanos // 1000) if fits else timedelta(0)
            if not timedelta(seconds=1) <= interval <= timedelta(hours=1):
                raise InvalidArgument(
                    "heartbeat_interval out of range",
                    [FieldViolation("heartbeat_interval", "must be 1 s to 1 h (unset means 30 s)")],
                )
        async with self.agent.subscribe(services) as queue:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=interval.total_seconds())
                except TimeoutError:
                    if self.agent.is_dropped(queue):
                        raise ResourceExhausted(
                            "this WatchHealth stream fell too far behind; reconnect", reason="SUBSCRIBER_TOO_SLOW"
                        ) from None
                    beat = pb.Heartbeat(overall_status=convert.HEALTH_TO_PB[overall(self.agent.latest(services))])
                    beat.timestamp.GetCurrentTime()
                    yield pb.WatchHealthResponse(heartbeat=beat)
                    continue
                yield pb.WatchHealthResponse(result=convert.check_result_to_pb(event.result))

    # -- diagnosis and resolution -------------------------------------------------------------------------

    async def Diagnose(self, request: pb.DiagnoseRequest, context: grpc.aio.ServicerContext) -> pb.DiagnoseResponse:
        which = request.WhichOneof("subject")
        violations: list[FieldViolation] = []
        subject: CheckResult | str
        if which == "result":
            subject = convert.check_result_from_pb(request.result, "result", violations)
        elif which == "symptom" and request.symptom.strip():
            subject = request.symptom
            if len(subject) > MAX_SYMPTOM:
                violations.append(FieldViolation("symptom", f"must be at most {MAX_SYMPTOM:,} characters"))
        else:
            violations.append(FieldViolation("subject", "set result (a failing check) or symptom (free text)"))
            subject = ""
        _raise_if(violations, "nothing to diagnose")
        diagnosis = await self.agent.diagnose(subject, timeout=_time_left(context))
        return pb.DiagnoseResponse(diagnosis=convert.diagnosis_to_pb(diagnosis))

    async def Resolve(self, request: pb.ResolveRequest, context: grpc.aio.ServicerContext) -> pb.ResolveResponse:
        violations: list[FieldViolation] = []
        if not request.runbook_id:
            violations.append(FieldViolation("runbook_id", "is required (see ListRunbooks)"))
        if request.service:
            known = set(self.agent.known_services())
            if request.service not in known:
                violations.append(FieldViolation("service", f"unknown service '{request.service[:128]}'"))
        if len(request.issue_name) > 128:
            violations.append(FieldViolation("issue_name", "must be at most 128 characters"))
        _raise_if(violations, "invalid resolve request")
        runbook = self.agent.catalog.get(request.runbook_id)  # NOT_FOUND for an unknown id
        diagnosis = convert.diagnosis_from_pb(request.diagnosis) if request.HasField("diagnosis") else None
        issue = request.issue_name or (diagnosis.issue_name if diagnosis else "") or runbook.issues[0]
        if issue not in runbook.issues:
            raise InvalidArgument(
                f"runbook {runbook.id} does not apply to issue {issue}",
                [FieldViolation("issue_name", f"must be one of the runbook's issues: {', '.join(runbook.issues)}")],
                reason="RUNBOOK_NOT_APPLICABLE",
            )
        result, recorded = await self.agent.resolve(
            runbook.id, issue, request.service, dry_run=request.dry_run, diagnosis=diagnosis, recorded_by=_author()
        )
        audit_note(
            steps=[f"{s.name}: {'ok' if s.ok else 'failed'}" + (f" ({s.message[:200]})" if s.message else "") for s in result.steps],
            issue_name=issue,
            service=request.service,
            dry_run=request.dry_run,
            status=result.status.value,
        )
        response = pb.ResolveResponse(result=convert.resolution_result_to_pb(result))
        if recorded is not None:
            response.recorded.CopyFrom(convert.resolution_to_pb(recorded))
        return response

    async def ListRunbooks(
        self, request: pb.ListRunbooksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRunbooksResponse:
        catalog = self.agent.catalog
        runbooks = catalog.for_issue(request.issue_name) if request.issue_name else catalog.all()
        return pb.ListRunbooksResponse(runbooks=[convert.runbook_to_pb(r) for r in runbooks])

    # -- alerts ---------------------------------------------------------------------------------------

    async def ListAlerts(self, request: pb.ListAlertsRequest, context: grpc.aio.ServicerContext) -> pb.ListAlertsResponse:
        violations: list[FieldViolation] = []
        if not 0 <= request.page_size <= MAX_PAGE:
            violations.append(FieldViolation("page_size", f"must be 0 to {MAX_PAGE} (0 means {DEFAULT_PAGE})"))
        states = []
        for i, state in enumerate(request.states):
            if state not in convert.STATE_FROM_PB:
                violations.append(FieldViolation(f"states[{i}]", "must be OPEN, ACKNOWLEDGED or RESOLVED"))
            else:
                states.append(convert.STATE_FROM_PB[state])
        min_level = _level(request.min_level, "min_level", violations)
        _raise_if(violations, "invalid alert listing")
        fingerprint = hashlib.sha256(
            json.dumps([sorted(s.value for s in states), int(min_level or 0), request.service]).encode()
        ).hexdigest()[:16]
        alerts = self.agent.alerts.list(states=states, min_level=min_level, service=request.service)
        alerts.sort(key=lambda a: (a.timestamp, a.id), reverse=True)  # newest first, ties by id
        if request.page_token:
            stamp, alert_id = _after_token(request.page_token, fingerprint)
            alerts = [a for a in alerts if (a.timestamp.isoformat(), a.id) < (stamp, alert_id)]
        size = request.page_size or DEFAULT_PAGE
        page = alerts[:size]
        response = pb.ListAlertsResponse(alerts=[convert.alert_to_pb(a) for a in page])
        if len(alerts) > size:
            response.next_page_token = _page_token(fingerprint, page[-1])
        return response

    async def WatchAlerts(  # type: ignore[override]
        self, request: pb.WatchAlertsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchAlertsResponse]:
        violations: list[FieldViolation] = []
        min_level = _level(request.min_level, "min_level", violations)
        _raise_if(violations, "invalid alert watch")
        async with self.agent.alerts.subscribe(min_level=min_level, include_current=request.include_current) as events:
            async for event in events:
                yield pb.WatchAlertsResponse(
                    event=pb.AlertEvent(type=_EVENT_TYPES[event.type.value], alert=convert.alert_to_pb(event.alert))
                )

    async def AcknowledgeAlert(
        self, request: pb.AcknowledgeAlertRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcknowledgeAlertResponse:
        violations: list[FieldViolation] = []
        if not request.alert_id:
            violations.append(FieldViolation("alert_id", "is required"))
        _raise_if(violations, "invalid acknowledgement")  # the alert manager checks the other fields
        principal = current_principal()
        by = principal.name if principal.authenticated else request.acknowledged_by
        alert = self.agent.alerts.acknowledge(request.alert_id, by, request.comment)
        return pb.AcknowledgeAlertResponse(alert=convert.alert_to_pb(alert))

    # -- learning -------------------------------------------------------------------------------------

    async def RecordResolution(
        self, request: pb.RecordResolutionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordResolutionResponse:
        violations: list[FieldViolation] = []
        if not request.HasField("resolution"):
            raise InvalidArgument("resolution is required", [FieldViolation("resolution", "is required")])
        if request.resolution.id:
            violations.append(FieldViolation("resolution.id", "must be empty: the server assigns it"))
        resolution = convert.resolution_from_pb(request.resolution, "resolution", violations)
        violations.extend(resolution_violations(resolution))  # every problem at once
        _raise_if(violations, "invalid resolution")
        recorded = await self.agent.learning.record(resolution, recorded_by=_author())
        audit_note(target=recorded.id, issue_name=recorded.issue_name)
        return pb.RecordResolutionResponse(resolution=convert.resolution_to_pb(recorded))

    async def FindSimilarIssues(
        self, request: pb.FindSimilarIssuesRequest, context: grpc.aio.ServicerContext
    ) -> pb.FindSimilarIssuesResponse:
        violations: list[FieldViolation] = []
        symptoms = convert.from_struct(request.symptoms, "symptoms", violations) if request.HasField("symptoms") else None
        if not request.query.strip() and not symptoms:
            violations.append(FieldViolation("query", "set query or symptoms"))
        if len(request.query) > MAX_SYMPTOM:
            violations.append(FieldViolation("query", f"must be at most {MAX_SYMPTOM:,} characters"))
        if not 0 <= request.limit <= 50:
            violations.append(FieldViolation("limit", "must be 0 to 50 (0 means 5)"))
        _raise_if(violations, "invalid similarity search")
        found = await self.agent.learning.find_similar(request.query, symptoms, request.limit or 5)
        return pb.FindSimilarIssuesResponse(issues=[convert.similar_to_pb(s) for s in found])

    async def GetAgentStatus(
        self, request: pb.GetAgentStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAgentStatusResponse:
        return pb.GetAgentStatusResponse(
            status=convert.agent_status_to_pb(self.agent.agent_status()),
            escalation_criteria=convert.criteria_to_pb(self.agent.alerts.escalation.criteria),
        )

    async def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuditEventsResponse:
        return await list_audit_events(self.audit, request, pb.ListAuditEventsResponse)

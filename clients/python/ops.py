"""`OpsClient` and `AsyncOpsClient`: one method per `glm3.ops.v1.OpsService` RPC.

    with OpsClient("127.0.0.1:50052") as ops:
        health = ops.check_health(run_now=True)
        diagnosis = ops.diagnose("disk / is 97% full").diagnosis
        for alert in ops.list_alerts(states=["open"]):
            ...
        with ops.watch_alerts(include_current=True) as events:
            for frame in events:
                ...

Methods return the generated response messages; `list_alerts` returns a lazy pager over the alerts and the
two watches return a stream to iterate (close it to cancel the call). `timeout`, `metadata` and errors work
as in the scoring client. Retried on UNAVAILABLE (by gRPC): the read-only `check_health`, `diagnose`,
`list_runbooks`, `list_alerts`, `find_similar_issues`, `get_agent_status`. Never retried: `resolve` (runs
commands), `acknowledge_alert`, `record_resolution`, and the watches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, TypeAlias

from google.protobuf import struct_pb2

from glm3.client import _requests as req
from glm3.client._base import AsyncClient, Metadata, SyncClient
from glm3.client._channel import DEFAULT, OPS_SERVICE, Timeout
from glm3.client.pagers import AsyncPager, Pager
from glm3.client.streaming import AsyncServerStream, ServerStream
from glm3.ops.v1 import ops_pb2
from glm3.ops.v1 import ops_service_pb2 as pb
from glm3.ops.v1 import ops_service_pb2_grpc as pb_grpc

__all__ = ["AsyncOpsClient", "OpsClient"]

DEFAULT_OPS_TARGET = "127.0.0.1:50052"
ServicesLike: TypeAlias = Iterable[str] | str | None
DiagnosisLike: TypeAlias = ops_pb2.Diagnosis | Mapping[str, Any] | None
SymptomsLike: TypeAlias = Mapping[str, Any] | struct_pb2.Struct | None


class OpsClient(SyncClient):
    """Sync client of the ops service; a context manager owning its channel. Options as `ScoringClient`
    (default target 127.0.0.1:50052)."""

    _messages = pb
    _stub_class = pb_grpc.OpsServiceStub
    _service = OPS_SERVICE
    default_target = DEFAULT_OPS_TARGET

    def check_health(
        self, services: ServicesLike = None, *, run_now: bool = False, timeout: Timeout = DEFAULT, metadata: Metadata = None
    ) -> pb.CheckHealthResponse:
        """The latest result of every check (or of the named services); `run_now` runs them first."""
        return self._unary("CheckHealth", req.check_health(services, run_now), timeout, metadata)  # type: ignore[no-any-return]

    def watch_health(
        self,
        services: ServicesLike = None,
        *,
        heartbeat_interval: float | timedelta | None = None,
        timeout: float | None = None,
        metadata: Metadata = None,
    ) -> ServerStream[pb.WatchHealthResponse]:
        """A stream of results whenever a check's status changes, plus heartbeats; close it to stop."""
        request_id, call_metadata = self._calls.metadata(metadata)
        call = self._stub.WatchHealth(
            req.watch_health(services, heartbeat_interval), timeout=timeout, metadata=call_metadata
        )
        return ServerStream(call, request_id)

    def diagnose(
        self,
        subject: str | ops_pb2.HealthCheckResult | Mapping[str, Any],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.DiagnoseResponse:
        """Explains a symptom in words, or a (failing) check result."""
        return self._unary("Diagnose", req.diagnose(subject), timeout, metadata)  # type: ignore[no-any-return]

    def resolve(
        self,
        runbook_id: str,
        issue_name: str,
        *,
        service: str = "",
        dry_run: bool = False,
        diagnosis: DiagnosisLike = None,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.ResolveResponse:
        """Runs a runbook for an issue (or shows what it would run, with `dry_run`). Never retried."""
        request = req.resolve(runbook_id, issue_name, service, dry_run, diagnosis)
        return self._unary("Resolve", request, timeout, metadata)  # type: ignore[no-any-return]

    def list_runbooks(
        self, issue_name: str = "", *, timeout: Timeout = DEFAULT, metadata: Metadata = None
    ) -> pb.ListRunbooksResponse:
        """The declared runbooks (those for `issue_name` when given)."""
        return self._unary("ListRunbooks", pb.ListRunbooksRequest(issue_name=issue_name), timeout, metadata)  # type: ignore[no-any-return]

    def list_alerts(
        self,
        *,
        states: Iterable[int | str] | int | str | None = None,
        min_level: int | str = 0,
        service: str = "",
        page_size: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> Pager[ops_pb2.Alert, pb.ListAlertsResponse]:
        """Every alert matching the filters, newest first (a lazy pager). `states` and `min_level` take
        names such as `"open"` or `"critical"`."""
        request = req.list_alerts(page_size=page_size, states=states, min_level=min_level, service=service)

        def fetch(token: str) -> pb.ListAlertsResponse:
            page = pb.ListAlertsRequest()
            page.CopyFrom(request)
            page.page_token = token
            return self._unary("ListAlerts", page, timeout, metadata)  # type: ignore[no-any-return]

        return Pager(fetch, "alerts")

    def watch_alerts(
        self,
        *,
        min_level: int | str = 0,
        include_current: bool = False,
        timeout: float | None = None,
        metadata: Metadata = None,
    ) -> ServerStream[pb.WatchAlertsResponse]:
        """A stream of every change of an alert; close it to stop."""
        request_id, call_metadata = self._calls.metadata(metadata)
        call = self._stub.WatchAlerts(
            req.watch_alerts(min_level, include_current), timeout=timeout, metadata=call_metadata
        )
        return ServerStream(call, request_id)

    def acknowledge_alert(
        self,
        alert_id: str,
        acknowledged_by: str,
        *,
        comment: str = "",
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.AcknowledgeAlertResponse:
        """Marks an open alert as acknowledged. Never retried."""
        request = pb.AcknowledgeAlertRequest(alert_id=alert_id, acknowledged_by=acknowledged_by, comment=comment)
        return self._unary("AcknowledgeAlert", request, timeout, metadata)  # type: ignore[no-any-return]

    def record_resolution(
        self,
        resolution: ops_pb2.IssueResolution | Mapping[str, Any],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.RecordResolutionResponse:
        """Stores a resolution (a message, or its proto3 JSON dict) in the learning store. Never retried."""
        return self._unary("RecordResolution", req.record_resolution(resolution), timeout, metadata)  # type: ignore[no-any-return]

    def find_similar_issues(
        self,
        query: str = "",
        *,
        symptoms: SymptomsLike = None,
        limit: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.FindSimilarIssuesResponse:
        """Past resolutions similar to a query and/or symptoms, most similar first."""
        request = req.find_similar_issues(query, symptoms, limit)
        return self._unary("FindSimilarIssues", request, timeout, metadata)  # type: ignore[no-any-return]

    def get_agent_status(self, *, timeout: Timeout = DEFAULT, metadata: Metadata = None) -> pb.GetAgentStatusResponse:
        """The agent's counters and escalation criteria."""
        return self._unary("GetAgentStatus", pb.GetAgentStatusRequest(), timeout, metadata)  # type: ignore[no-any-return]


class AsyncOpsClient(AsyncClient):
    """Async client of the ops service; same options and methods as `OpsClient`, as coroutines (the watches
    return streams for `async for`, the list a pager for `async for`)."""

    _messages = pb
    _stub_class = pb_grpc.OpsServiceStub
    _service = OPS_SERVICE
    default_target = DEFAULT_OPS_TARGET

    async def check_health(
        self, services: ServicesLike = None, *, run_now: bool = False, timeout: Timeout = DEFAULT, metadata: Metadata = None
    ) -> pb.CheckHealthResponse:
        """The latest result of every check (or of the named services); `run_now` runs them first."""
        return await self._unary("CheckHealth", req.check_health(services, run_now), timeout, metadata)  # type: ignore[no-any-return]

    def watch_health(
        self,
        services: ServicesLike = None,
        *,
        heartbeat_interval: float | timedelta | None = None,
        timeout: float | None = None,
        metadata: Metadata = None,
    ) -> AsyncServerStream[pb.WatchHealthResponse]:
        """A stream of results whenever a check's status changes, plus heartbeats; `aclose()` to stop."""
        request_id, call_metadata = self._calls.metadata(metadata)
        call = self._stub.WatchHealth(
            req.watch_health(services, heartbeat_interval), timeout=timeout, metadata=call_metadata
        )
        return AsyncServerStream(call, request_id)

    async def diagnose(
        self,
        subject: str | ops_pb2.HealthCheckResult | Mapping[str, Any],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.DiagnoseResponse:
        """Explains a symptom in words, or a (failing) check result."""
        return await self._unary("Diagnose", req.diagnose(subject), timeout, metadata)  # type: ignore[no-any-return]

    async def resolve(
        self,
        runbook_id: str,
        issue_name: str,
        *,
        service: str = "",
        dry_run: bool = False,
        diagnosis: DiagnosisLike = None,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.ResolveResponse:
        """Runs a runbook for an issue (or shows what it would run, with `dry_run`). Never retried."""
        request = req.resolve(runbook_id, issue_name, service, dry_run, diagnosis)
        return await self._unary("Resolve", request, timeout, metadata)  # type: ignore[no-any-return]

    async def list_runbooks(
        self, issue_name: str = "", *, timeout: Timeout = DEFAULT, metadata: Metadata = None
    ) -> pb.ListRunbooksResponse:
        """The declared runbooks (those for `issue_name` when given)."""
        return await self._unary("ListRunbooks", pb.ListRunbooksRequest(issue_name=issue_name), timeout, metadata)  # type: ignore[no-any-return]

    def list_alerts(
        self,
        *,
        states: Iterable[int | str] | int | str | None = None,
        min_level: int | str = 0,
        service: str = "",
        page_size: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> AsyncPager[ops_pb2.Alert, pb.ListAlertsResponse]:
        """Every alert matching the filters, newest first, for `async for` (pages fetched lazily)."""
        request = req.list_alerts(page_size=page_size, states=states, min_level=min_level, service=service)

        async def fetch(token: str) -> pb.ListAlertsResponse:
            page = pb.ListAlertsRequest()
            page.CopyFrom(request)
            page.page_token = token
            return await self._unary("ListAlerts", page, timeout, metadata)  # type: ignore[no-any-return]

        return AsyncPager(fetch, "alerts")

    def watch_alerts(
        self,
        *,
        min_level: int | str = 0,
        include_current: bool = False,
        timeout: float | None = None,
        metadata: Metadata = None,
    ) -> AsyncServerStream[pb.WatchAlertsResponse]:
        """A stream of every change of an alert; `aclose()` to stop."""
        request_id, call_metadata = self._calls.metadata(metadata)
        call = self._stub.WatchAlerts(
            req.watch_alerts(min_level, include_current), timeout=timeout, metadata=call_metadata
        )
        return AsyncServerStream(call, request_id)

    async def acknowledge_alert(
        self,
        alert_id: str,
        acknowledged_by: str,
        *,
        comment: str = "",
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.AcknowledgeAlertResponse:
        """Marks an open alert as acknowledged. Never retried."""
        request = pb.AcknowledgeAlertRequest(alert_id=alert_id, acknowledged_by=acknowledged_by, comment=comment)
        return await self._unary("AcknowledgeAlert", request, timeout, metadata)  # type: ignore[no-any-return]

    async def record_resolution(
        self,
        resolution: ops_pb2.IssueResolution | Mapping[str, Any],
        *,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.RecordResolutionResponse:
        """Stores a resolution (a message, or its proto3 JSON dict) in the learning store. Never retried."""
        return await self._unary("RecordResolution", req.record_resolution(resolution), timeout, metadata)  # type: ignore[no-any-return]

    async def find_similar_issues(
        self,
        query: str = "",
        *,
        symptoms: SymptomsLike = None,
        limit: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.FindSimilarIssuesResponse:
        """Past resolutions similar to a query and/or symptoms, most similar first."""
        request = req.find_similar_issues(query, symptoms, limit)
        return await self._unary("FindSimilarIssues", request, timeout, metadata)  # type: ignore[no-any-return]

    async def get_agent_status(
        self, *, timeout: Timeout = DEFAULT, metadata: Metadata = None
    ) -> pb.GetAgentStatusResponse:
        """The agent's counters and escalation criteria."""
        return await self._unary("GetAgentStatus", pb.GetAgentStatusRequest(), timeout, metadata)  # type: ignore[no-any-return]

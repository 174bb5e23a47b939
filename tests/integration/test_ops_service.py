"""The ops service over gRPC, end to end: real checks of loopback services, health watching, the life of
an alert (with its webhook), diagnosis, runbooks (dry run, real, automatic) and the learning store."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiohttp import web
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from glm3.ops.v1 import ops_pb2
from glm3.ops.v1 import ops_service_pb2 as pb
from glm3.ops.v1 import ops_service_pb2_grpc as pb_grpc
from glm3.servers.ops import main as ops_main
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import ops_settings, running, server_settings, wait_until
from tests.integration.test_interceptors import detail, rich_status


class Endpoint:
    """A loopback HTTP service whose /health answers `status` (changeable), plus a webhook receiver."""

    def __init__(self) -> None:
        self.status = 200
        self.healthy_when: Path | None = None  # if set: 200 once this file exists, else 503
        self.webhooks: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _health(self, request: web.Request) -> web.Response:
        if self.healthy_when is not None:
            return web.Response(status=200 if self.healthy_when.exists() else 503)
        return web.Response(status=self.status)

    async def _hook(self, request: web.Request) -> web.Response:
        self.webhooks.append(await request.json())
        return web.Response(status=204)

    async def __aenter__(self) -> Endpoint:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    async with Endpoint() as running_endpoint:
        yield running_endpoint


def api_check(endpoint: Endpoint) -> dict[str, Any]:
    return {"kind": "http", "name": "api", "url": f"{endpoint.url}/health", "timeout_s": 2}


async def ops(tmp_path: Path, **sections: dict[str, Any]):  # type: ignore[no-untyped-def]
    settings = ops_settings(tmp_path / "db", **sections)
    deps = await ops_main.make_deps(settings)
    agent = deps.services[0].servicer.agent  # type: ignore[attr-defined]
    return settings, deps, agent


def by_service(response: pb.CheckHealthResponse) -> dict[str, ops_pb2.HealthCheckResult]:
    return {r.service: r for r in response.results}


async def test_check_health_of_http_and_the_scoring_servers_grpc_health(tmp_path: Path, endpoint: Endpoint) -> None:
    scoring_settings = server_settings(ScoringSettings, tmp_path / "scoring")
    scoring_deps = await scoring_main.make_deps(scoring_settings)
    async with running(scoring_settings, scoring_deps) as scoring:
        settings, deps, _ = await ops(
            tmp_path,
            services={"checks": [api_check(endpoint), {"kind": "grpc", "name": "scoring", "target": scoring.target}]},
        )
        async with running(settings, deps) as srv, srv.channel() as channel:
            stub = pb_grpc.OpsServiceStub(channel)
            reply = await stub.CheckHealth(pb.CheckHealthRequest(services=["api", "scoring"], run_now=True), timeout=10)
            results = by_service(reply)
            assert set(results) == {"api", "scoring"}
            assert results["scoring"].status == ops_pb2.HEALTH_STATUS_HEALTHY and results["scoring"].check == "grpc"
            assert results["api"].status == ops_pb2.HEALTH_STATUS_HEALTHY
            assert results["api"].details["http_status"] == 200
            assert reply.overall_status == ops_pb2.HEALTH_STATUS_HEALTHY

            endpoint.status = 503
            reply = await stub.CheckHealth(pb.CheckHealthRequest(run_now=True), timeout=10)
            results = by_service(reply)
            assert results["api"].status == ops_pb2.HEALTH_STATUS_CRITICAL
            assert "503" in results["api"].message
            assert any(name.startswith("host.") for name in results)  # host checks run too
            assert reply.overall_status == ops_pb2.HEALTH_STATUS_CRITICAL

            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.CheckHealth(pb.CheckHealthRequest(services=["api", "nope"]), timeout=10)
            assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            violations = detail(rich_status(info.value), error_details_pb2.BadRequest).field_violations
            assert [(v.field, v.description) for v in violations] == [("services[1]", "unknown service 'nope'")]


async def test_watch_health_sends_changes_and_heartbeats(tmp_path: Path, endpoint: Endpoint) -> None:
    settings, deps, agent = await ops(
        tmp_path, services={"checks": [api_check(endpoint)]}, host_checks={"enabled": False}
    )
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        await stub.CheckHealth(pb.CheckHealthRequest(run_now=True), timeout=10)
        call = stub.WatchHealth(
            pb.WatchHealthRequest(services=["api"], heartbeat_interval=duration_pb2.Duration(seconds=1)), timeout=30
        )
        first = await call.read()
        assert first.result.service == "api" and first.result.status == ops_pb2.HEALTH_STATUS_HEALTHY
        endpoint.status = 500
        await agent.run_checks()
        changed = await call.read()
        assert changed.result.status == ops_pb2.HEALTH_STATUS_CRITICAL
        await agent.run_checks()  # same status again: no event, only heartbeats
        beat = await call.read()
        assert beat.WhichOneof("event") == "heartbeat"
        assert beat.heartbeat.overall_status == ops_pb2.HEALTH_STATUS_CRITICAL
        call.cancel()

        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for _ in stub.WatchHealth(
                pb.WatchHealthRequest(heartbeat_interval=duration_pb2.Duration(nanos=1000)), timeout=5
            ):
                pass
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_an_alerts_whole_life_through_watch_alerts_and_the_webhook(tmp_path: Path, endpoint: Endpoint) -> None:
    settings, deps, agent = await ops(
        tmp_path,
        services={"checks": [api_check(endpoint)]},
        host_checks={"enabled": False},
        alerts={"webhook_url": f"{endpoint.url}/hook", "webhook_backoff_s": 0.01},
        runbooks={"auto_resolve": False},
    )
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        events = stub.WatchAlerts(pb.WatchAlertsRequest(), timeout=30)
        await wait_until(lambda: agent.alerts.subscriber_count == 1)

        endpoint.status = 503
        await agent.run_checks()
        opened = (await events.read()).event
        assert opened.type == pb.ALERT_EVENT_TYPE_OPENED
        assert opened.alert.service == "api" and opened.alert.state == ops_pb2.ALERT_STATE_OPEN
        assert opened.alert.level == ops_pb2.ALERT_LEVEL_CRITICAL

        await agent.run_checks()  # still down: deduplicated, no second alert
        listed = await stub.ListAlerts(pb.ListAlertsRequest(), timeout=10)
        assert [a.id for a in listed.alerts] == [opened.alert.id]

        acked = await stub.AcknowledgeAlert(
            pb.AcknowledgeAlertRequest(alert_id=opened.alert.id, acknowledged_by="oncall", comment="looking"),
            timeout=10,
        )
        assert acked.alert.state == ops_pb2.ALERT_STATE_ACKNOWLEDGED
        assert (await events.read()).event.type == pb.ALERT_EVENT_TYPE_ACKNOWLEDGED

        endpoint.status = 200
        await agent.run_checks()
        resolved = (await events.read()).event
        assert resolved.type == pb.ALERT_EVENT_TYPE_RESOLVED and resolved.alert.id == opened.alert.id
        events.cancel()

        await wait_until(lambda: len(endpoint.webhooks) >= 2)
        assert [w["event"] for w in endpoint.webhooks] == ["opened", "resolved"]
        assert endpoint.webhooks[0]["alert"]["service"] == "api"

        status = (await stub.GetAgentStatus(pb.GetAgentStatusRequest(), timeout=10)).status
        assert status.open_alerts == 0 and status.escalations == 1 and status.webhook_failures == 0
        # The seed's OpsAgentConfig switches as in force: no LLM here, auto_resolve off, learning on.
        assert (status.ai_diagnosis_enabled, status.auto_resolve_enabled, status.learning_enabled) == (False, False, True)
        open_only = await stub.ListAlerts(pb.ListAlertsRequest(states=[ops_pb2.ALERT_STATE_OPEN]), timeout=10)
        assert list(open_only.alerts) == []

        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.AcknowledgeAlert(pb.AcknowledgeAlertRequest(alert_id="alert_x", acknowledged_by="me"), timeout=10)
        assert info.value.code() is grpc.StatusCode.NOT_FOUND


async def test_alert_listing_pages(tmp_path: Path, endpoint: Endpoint) -> None:
    checks = [dict(api_check(endpoint), name=f"api-{n}") for n in range(5)]
    settings, deps, agent = await ops(
        tmp_path, services={"checks": checks}, host_checks={"enabled": False}, runbooks={"auto_resolve": False}
    )
    endpoint.status = 503
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        await agent.run_checks()
        seen: list[str] = []
        token = ""
        while True:
            page = await stub.ListAlerts(pb.ListAlertsRequest(page_size=2, page_token=token), timeout=10)
            seen += [a.service for a in page.alerts]
            token = page.next_page_token
            if not token:
                break
        assert sorted(seen) == [f"api-{n}" for n in range(5)]
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.ListAlerts(pb.ListAlertsRequest(page_size=2, page_token="garbage"), timeout=10)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_diagnose_a_result_and_a_symptom_with_rules(tmp_path: Path, endpoint: Endpoint) -> None:
    settings, deps, _ = await ops(tmp_path, services={"checks": [api_check(endpoint)]}, host_checks={"enabled": False})
    endpoint.status = 503
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        [result] = (await stub.CheckHealth(pb.CheckHealthRequest(run_now=True), timeout=10)).results
        diagnosis = (await stub.Diagnose(pb.DiagnoseRequest(result=result), timeout=10)).diagnosis
        assert diagnosis.issue_name == "endpoint_down" and diagnosis.diagnosed_by == "rules"
        assert diagnosis.confidence == ops_pb2.CONFIDENCE_HIGH
        assert "recheck-endpoint" in diagnosis.suggested_runbook_ids

        diagnosis = (
            await stub.Diagnose(pb.DiagnoseRequest(symptom="dial tcp 10.0.0.5:5432: connection refused"), timeout=10)
        ).diagnosis
        assert diagnosis.issue_name == "connection_refused"

        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Diagnose(pb.DiagnoseRequest(symptom="   "), timeout=10)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def repair_runbooks(tmp_path: Path, marker: Path) -> Path:
    """A runbook that 'repairs' the endpoint by creating the file it waits for, then re-checks."""
    path = tmp_path / "runbooks.yaml"
    repair = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "runbooks": [
                    {
                        "id": "repair-api",
                        "title": "Repair the API",
                        "issues": ["endpoint_down"],
                        "safe_for_automation": True,
                        "steps": [
                            {"name": "repair", "kind": "command", "argv": repair, "timeout_s": 20},
                            {"name": "recheck", "kind": "wait_recheck", "wait_s": 0, "timeout_s": 10},
                        ],
                    }
                ],
            }
        )
    )
    return path


async def test_resolve_dry_run_then_for_real_and_learn_from_it(tmp_path: Path, endpoint: Endpoint) -> None:
    marker = tmp_path / "repaired"
    endpoint.healthy_when = marker
    settings, deps, _ = await ops(
        tmp_path,
        services={"checks": [api_check(endpoint)]},
        host_checks={"enabled": False},
        runbooks={"path": str(repair_runbooks(tmp_path, marker)), "auto_resolve": False},
    )
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        runbooks = (await stub.ListRunbooks(pb.ListRunbooksRequest(issue_name="endpoint_down"), timeout=10)).runbooks
        assert [r.id for r in runbooks] == ["repair-api"]
        assert [s.kind for s in runbooks[0].steps] == ["command", "wait_recheck"]

        request = pb.ResolveRequest(runbook_id="repair-api", issue_name="endpoint_down", service="api", dry_run=True)
        dry = await stub.Resolve(request, timeout=30)
        assert dry.result.status == ops_pb2.RESOLUTION_STATUS_SKIPPED and dry.result.dry_run
        assert dry.result.steps[0].message.startswith("would run:")
        assert not marker.exists()  # nothing ran
        assert not dry.HasField("recorded")

        request.dry_run = False
        real = await stub.Resolve(request, timeout=30)
        assert real.result.status == ops_pb2.RESOLUTION_STATUS_SUCCESS, real.result.message
        assert list(real.result.steps_completed) == ["repair", "recheck"]
        assert marker.exists()
        assert real.recorded.id.startswith("resolution_")
        assert real.recorded.recorded_by == "anonymous"  # a person's run: their principal (none configured)

        similar = await stub.FindSimilarIssues(
            pb.FindSimilarIssuesRequest(query="api endpoint down answered 503"), timeout=10
        )
        assert similar.issues[0].resolution.id == real.recorded.id

        for bad, code in (
            (pb.ResolveRequest(runbook_id="nope"), grpc.StatusCode.NOT_FOUND),
            (pb.ResolveRequest(runbook_id="repair-api", issue_name="disk_full"), grpc.StatusCode.INVALID_ARGUMENT),
            (pb.ResolveRequest(runbook_id="repair-api", service="unknown"), grpc.StatusCode.INVALID_ARGUMENT),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.Resolve(bad, timeout=10)
            assert info.value.code() is code


async def test_the_loop_resolves_on_its_own_once_per_cooldown(tmp_path: Path, endpoint: Endpoint) -> None:
    marker = tmp_path / "repaired"
    endpoint.healthy_when = marker
    settings, deps, agent = await ops(
        tmp_path,
        services={"checks": [api_check(endpoint)]},
        host_checks={"enabled": False},
        runbooks={"path": str(repair_runbooks(tmp_path, marker))},
        agent={"loop": True, "check_interval_s": 0.2},
    )
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        await wait_until(lambda: agent.status.auto_resolutions == 1, timeout=20)
        assert marker.exists()
        status = (await stub.GetAgentStatus(pb.GetAgentStatusRequest(), timeout=10)).status
        assert status.auto_resolve_enabled
        assert status.running and status.total_checks >= 2 and status.issues_detected >= 1
        assert status.check_interval.ToMilliseconds() == 200
        [result] = (await stub.CheckHealth(pb.CheckHealthRequest(), timeout=10)).results
        assert result.status == ops_pb2.HEALTH_STATUS_HEALTHY
        learned = await agent.learning.find_similar("endpoint_down api", None, 5)
        assert learned and learned[0].resolution.resolution_status.value == "success"
        # Broken again within the cool-down: the agent does not run the runbook a second time.
        marker.unlink()
        await asyncio.sleep(1.0)
        assert agent.status.auto_resolutions == 1 and not marker.exists()


async def test_record_and_find_similar_issues(tmp_path: Path) -> None:
    settings, deps, _ = await ops(tmp_path, host_checks={"enabled": False})
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        for name, lesson in (
            ("disk_full", "log rotation was off on the scraper host; turned it on"),
            ("memory_pressure", "the embedding batch was too large; lowered it"),
            ("endpoint_down", "litellm restarts after an OOM; raised its memory limit"),
        ):
            resolution = ops_pb2.IssueResolution(
                issue_name=name,
                diagnosis=f"{name} seen",
                action_taken="fixed by hand",
                resolution_status=ops_pb2.RESOLUTION_STATUS_SUCCESS,
                lesson_learned=lesson,
                tags=["manual"],
            )
            resolution.symptoms.update({"service": "scraper", "note": lesson})
            recorded = (await stub.RecordResolution(pb.RecordResolutionRequest(resolution=resolution), timeout=10)).resolution
            assert recorded.id.startswith("resolution_") and recorded.HasField("timestamp")
        found = await stub.FindSimilarIssues(pb.FindSimilarIssuesRequest(query="log rotation disk", limit=2), timeout=10)
        assert found.issues[0].resolution.issue_name == "disk_full"
        assert 0 < found.issues[0].score <= 1

        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.RecordResolution(
                pb.RecordResolutionRequest(resolution=ops_pb2.IssueResolution(issue_name="")), timeout=10
            )
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        fields = {v.field for v in detail(rich_status(info.value), error_details_pb2.BadRequest).field_violations}
        assert "resolution.issue_name" in fields


async def test_record_resolution_sets_who_taught_it_and_stores_no_secrets(tmp_path: Path) -> None:
    settings, deps, agent = await ops(tmp_path, host_checks={"enabled": False})
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.OpsServiceStub(channel)
        resolution = ops_pb2.IssueResolution(
            issue_name="disk_full",
            diagnosis="backup job failed: password=hunter2 rejected",
            action_taken="curl -H 'Authorization: Bearer tok-7f3e9a1b2c4d' http://127.0.0.1/admin/clean",
            resolution_status=ops_pb2.RESOLUTION_STATUS_SUCCESS,
            lesson_learned="rotate the key sk-live-4f9a8b7c6d5e4f3a2b1c0d9e",
            tags=["manual", "token=tok-7f3e9a1b2c4d"],
            recorded_by="agent",  # a client cannot claim to be the agent
        )
        resolution.symptoms.update({"dsn": "postgres://backup:dbpass99@db:5432/x", "password": "hunter2", "n": 3})
        reply = await stub.RecordResolution(pb.RecordResolutionRequest(resolution=resolution), timeout=10)
        recorded = reply.resolution
        assert recorded.recorded_by == "anonymous"
        assert recorded.diagnosis == "backup job failed: password=[REDACTED] rejected"
        assert list(recorded.tags) == ["manual", "token=[REDACTED]"]
        assert recorded.symptoms["password"] == "[REDACTED]" and recorded.symptoms["n"] == 3

        found = await stub.FindSimilarIssues(pb.FindSimilarIssuesRequest(query="backup job rejected"), timeout=10)
        rows = await agent.learning.table.query().to_list()
        for seen in (str(recorded), str(found), repr(rows)):
            for secret in ("hunter2", "tok-7f3e9a1b2c4d", "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e", "dbpass99"):
                assert secret not in seen
        assert found.issues[0].resolution.recorded_by == "anonymous"

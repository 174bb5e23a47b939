"""The async clients against real in-process servers; retries, deadlines and auth against tiny test servers.

The real scoring and ops servers answer every call the clients make (typed errors, pagers, uploads, watches).
Behaviour the real servers cannot be made to show on demand (UNAVAILABLE once, then success; a slow call;
echoing what metadata arrived) comes from small servicers of the same generated services, served by a
plain `grpc.aio` server on 127.0.0.1 port 0. Sync clients run in a worker thread (`asyncio.to_thread`) so
the servers on this test's event loop keep serving.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from glm3.client import (
    AsyncOpsClient,
    AsyncScoringClient,
    DeadlineExceededError,
    InvalidArgumentError,
    NotFoundError,
    OpsClient,
    ResourceExhaustedError,
    RetryPolicy,
    ScoringClient,
    UnavailableError,
    error_from_status,
)
from glm3.ops.v1 import ops_pb2
from glm3.ops.v1 import ops_service_pb2 as ops_pb
from glm3.ops.v1 import ops_service_pb2_grpc as ops_grpc
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer, running
from tests.integration.test_ops_service import Endpoint, api_check, ops

FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.05)


def seed_signal(n: int, **changes: Any) -> dict[str, Any]:
    """A signal in the seed's JSON shape (nulls, Z timestamp, engagement, comments)."""
    signal: dict[str, Any] = {
        "id": f"client-sig-{n}",
        "timestamp": "2024-01-15T10:30:00Z",
        "source": "reddit",
        "source_url": None,
        "title": f"Idea {n}: I would pay for automatic invoice chasing",
        "description": f"Signal {n}: chasing unpaid invoices by email wastes a day every month.",
        "category": "finance",
        "tags": ["finance"],
        "engagement": {"upvotes": 100 + n, "comments": 12},
        "author": None,
        "extracted_at": None,
        "raw_content": None,
        "comments": ["same here"],
    }
    signal.update(changes)
    return signal


# -- real servers ----------------------------------------------------------------------------------------


async def test_async_scoring_client_against_the_real_server(scoring_server: RunningServer) -> None:
    async with AsyncScoringClient(scoring_server.target, timeout=10) as client:
        reply = await client.score(seed_signal(0))
        assert reply.success and reply.candidate.signal_id == "client-sig-0" and not reply.already_scored
        again = await client.score(seed_signal(0))
        assert again.already_scored and again.candidate.id == reply.candidate.id

        by_signal = await client.get_candidate(signal_id="client-sig-0")
        assert by_signal.candidate == reply.candidate

        with pytest.raises(NotFoundError) as caught:
            await client.get_candidate("candidate_nope", metadata=[("x-request-id", "lookup-42")])
        assert caught.value.reason == "CANDIDATE_NOT_FOUND" and caught.value.domain == "glm3"
        assert caught.value.metadata == {"id": "candidate_nope"}
        assert caught.value.request_id == "lookup-42"  # the server took the client's id and echoed it

        with pytest.raises(InvalidArgumentError) as invalid:
            await client.score(seed_signal(1, title="", engagement={"comments": -1}))
        assert invalid.value.reason == "INVALID_SIGNAL"
        assert {v.field for v in invalid.value.field_violations} == {"signal.title", "signal.engagement[comments]"}
        assert len(invalid.value.request_id or "") == 32

        batch = await client.batch_score([seed_signal(n) for n in range(2, 7)] + [seed_signal(7, source="")])
        assert batch.processed == 6 and batch.failed == 1 and len(batch.candidates) == 5
        item_error = error_from_status(batch.errors[0].status)
        assert isinstance(item_error, InvalidArgumentError)
        assert item_error.field_violations[0].field.endswith("source")

        upload = await client.score_upload((seed_signal(n) for n in range(10, 25)), frame_size=4)
        assert upload.processed == 15 and upload.failed == 0

        pager = client.list_candidates(page_size=4, order_by="time_asc")
        listed = [c.signal_id async for c in pager]
        assert len(listed) == 21 and len(set(listed)) == 21
        assert pager.pages_fetched == 6 and pager.total_size == 21
        go_or_research = await client.list_candidates(verdicts=["go", "research", "pass"], page_size=50).collect()
        assert len(go_or_research) == 21

        hits = await client.search_candidates("invoice chasing", limit=3)
        assert 0 < len(hits.hits) <= 3

        feedback = await client.submit_feedback(
            reply.candidate.id, verdict_correct=False, expected_verdict="go", rating=4, submitted_by="test"
        )
        assert feedback.feedback.expected_verdict == candidate_pb2.VERDICT_GO
        stats = await client.get_scoring_stats()
        assert stats.candidates_total == 21 and stats.feedback_count == 1


async def test_async_ops_client_against_the_real_server(tmp_path: Path) -> None:
    async with Endpoint() as endpoint:
        checks = [dict(api_check(endpoint), name=f"api-{n}") for n in range(3)]
        settings, deps, agent = await ops(
            tmp_path, services={"checks": checks}, host_checks={"enabled": False}, runbooks={"auto_resolve": False}
        )
        endpoint.status = 503
        async with running(settings, deps) as srv, AsyncOpsClient(srv.target, timeout=10) as client:
            health = await client.check_health(run_now=True)
            assert {r.service for r in health.results} == {"api-0", "api-1", "api-2"}
            assert health.overall_status == ops_pb2.HEALTH_STATUS_CRITICAL
            # The proto says NOT_FOUND; the server answers INVALID_ARGUMENT with a violation. Either is typed.
            with pytest.raises((NotFoundError, InvalidArgumentError)) as unknown:
                await client.check_health(["nope"])
            assert unknown.value.reason == "UNKNOWN_SERVICE"

            await agent.run_checks()
            pager = client.list_alerts(page_size=2, states="open")
            alerts = [a async for a in pager]
            assert sorted(a.service for a in alerts) == ["api-0", "api-1", "api-2"] and pager.pages_fetched == 2

            acked = await client.acknowledge_alert(alerts[0].id, "oncall", comment="looking")
            assert acked.alert.state == ops_pb2.ALERT_STATE_ACKNOWLEDGED
            with pytest.raises(NotFoundError) as missing:
                await client.acknowledge_alert("alert_x", "me")
            assert missing.value.reason == "ALERT_NOT_FOUND"

            diagnosis = await client.diagnose(health.results[0])
            assert diagnosis.diagnosis.issue_name
            symptom = await client.diagnose("disk / is 97% full")
            assert symptom.diagnosis.summary
            runbooks = await client.list_runbooks()
            assert runbooks.runbooks

            recorded = await client.record_resolution(
                {
                    "issue_name": "disk_full",
                    "symptoms": {"service": "scraper", "percent": 97},
                    "lesson_learned": "log rotation was off; turned it on",
                    "resolution_status": "RESOLUTION_STATUS_SUCCESS",
                }
            )
            assert recorded.resolution.id.startswith("resolution_")
            similar = await client.find_similar_issues("log rotation", symptoms={"service": "scraper"}, limit=1)
            assert similar.issues[0].resolution.issue_name == "disk_full"
            with pytest.raises(InvalidArgumentError) as invalid:
                await client.record_resolution(ops_pb2.IssueResolution(issue_name=""))
            assert "resolution.issue_name" in {v.field for v in invalid.value.field_violations}

            status = await client.get_agent_status()
            assert status.status.open_alerts == 3

            watch = client.watch_health(["api-0"], heartbeat_interval=1)
            first = await anext(watch)
            assert first.result.service == "api-0"
            await watch.aclose()
            assert [frame async for frame in watch] == []  # closed: iteration just ends


async def test_sync_clients_against_the_real_servers(scoring_server: RunningServer, ops_server: RunningServer) -> None:
    def use_scoring() -> list[str]:
        with ScoringClient(scoring_server.target, timeout=10) as client:
            client.score(seed_signal(1))
            client.batch_score([seed_signal(n) for n in range(2, 5)])
            with pytest.raises(NotFoundError):
                client.get_candidate(signal_id="never-scored")
            return [c.signal_id for c in client.list_candidates(page_size=2, order_by="time_asc")]

    assert sorted(await asyncio.to_thread(use_scoring)) == [f"client-sig-{n}" for n in range(1, 5)]

    def use_ops() -> tuple[int, list[str]]:
        with OpsClient(ops_server.target) as client:
            status = client.get_agent_status()
            return status.status.open_alerts, [a.id for a in client.list_alerts()]

    assert await asyncio.to_thread(use_ops) == (0, [])


# -- tiny servers: retries, deadlines, metadata -------------------------------------------------------------


@contextlib.asynccontextmanager
async def tiny_server(scoring: Any = None, ops_servicer: Any = None) -> AsyncIterator[str]:
    """A plain grpc.aio server (no interceptors) with the given servicers, on 127.0.0.1 port 0."""
    server = grpc.aio.server()
    if scoring is not None:
        pb_grpc.add_ScoringServiceServicer_to_server(scoring, server)
    if ops_servicer is not None:
        ops_grpc.add_OpsServiceServicer_to_server(ops_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


class FlakyOps(ops_grpc.OpsServiceServicer):
    """Fails each method's first call with UNAVAILABLE, then answers; counts attempts per method."""

    def __init__(self, headers_first: bool = False) -> None:
        self.attempts: dict[str, int] = {}
        self.metadata: list[dict[str, str]] = []
        self.headers_first = headers_first

    async def _flaky(self, name: str, context: grpc.aio.ServicerContext) -> None:
        self.attempts[name] = self.attempts.get(name, 0) + 1
        self.metadata.append({k: v for k, v in context.invocation_metadata() or ()})
        if self.attempts[name] == 1:
            if self.headers_first:  # what the real servers do: x-request-id goes out before the handler runs
                await context.send_initial_metadata((("x-request-id", "sent-early"),))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "try again")

    async def CheckHealth(self, request: Any, context: grpc.aio.ServicerContext) -> ops_pb.CheckHealthResponse:
        await self._flaky("CheckHealth", context)
        return ops_pb.CheckHealthResponse(overall_status=ops_pb2.HEALTH_STATUS_HEALTHY)

    async def AcknowledgeAlert(self, request: Any, context: grpc.aio.ServicerContext) -> ops_pb.AcknowledgeAlertResponse:
        await self._flaky("AcknowledgeAlert", context)
        return ops_pb.AcknowledgeAlertResponse(alert=ops_pb2.Alert(id=request.alert_id))

    async def Resolve(self, request: Any, context: grpc.aio.ServicerContext) -> ops_pb.ResolveResponse:
        await self._flaky("Resolve", context)
        return ops_pb.ResolveResponse()

    async def GetAgentStatus(self, request: Any, context: grpc.aio.ServicerContext) -> ops_pb.GetAgentStatusResponse:
        self.metadata.append({k: v for k, v in context.invocation_metadata() or ()})
        remaining = context.time_remaining()
        await asyncio.sleep(0.5)  # slower than the tests' deadline
        return ops_pb.GetAgentStatusResponse(status=ops_pb2.AgentStatus(total_checks=int(remaining or -1)))


class FlakyScoring(pb_grpc.ScoringServiceServicer):
    """Score fails its first call with UNAVAILABLE for every signal id, then answers."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}

    async def Score(self, request: pb.ScoreRequest, context: grpc.aio.ServicerContext) -> pb.ScoreResponse:
        key = f"{request.signal.id}|{request.signal.title}|{request.rescore}"
        self.attempts[key] = self.attempts.get(key, 0) + 1
        if self.attempts[key] == 1:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "store unavailable")
        return pb.ScoreResponse(success=True, candidate=candidate_pb2.ScoredCandidate(signal_id=request.signal.id))


async def test_idempotent_calls_are_retried_and_the_others_are_not() -> None:
    servicer = FlakyOps()
    async with tiny_server(ops_servicer=servicer) as target:
        async with AsyncOpsClient(target, retry=FAST_RETRY, timeout=5) as client:
            health = await client.check_health()
            assert health.overall_status == ops_pb2.HEALTH_STATUS_HEALTHY
            assert servicer.attempts["CheckHealth"] == 2  # retried by gRPC, invisible to the caller
            with pytest.raises(UnavailableError) as caught:
                await client.acknowledge_alert("alert_1", "me")
            assert caught.value.message == "try again"
            assert servicer.attempts["AcknowledgeAlert"] == 1  # never retried
            with pytest.raises(UnavailableError):
                await client.resolve("rb", "disk_full")
            assert servicer.attempts["Resolve"] == 1

        servicer.attempts.clear()

        def sync_calls() -> None:
            with OpsClient(target, retry=FAST_RETRY, timeout=5) as client:
                client.check_health()
                with pytest.raises(UnavailableError):
                    client.acknowledge_alert("alert_1", "me")

        await asyncio.to_thread(sync_calls)
        assert servicer.attempts == {"CheckHealth": 2, "AcknowledgeAlert": 1}

        servicer.attempts.clear()
        async with AsyncOpsClient(target, retry=None, timeout=5) as client:
            with pytest.raises(UnavailableError):
                await client.check_health()
        assert servicer.attempts["CheckHealth"] == 1  # retry=None turns retries off


async def test_grpc_does_not_retry_once_the_server_sent_headers() -> None:
    """The real servers send `x-request-id` before the handler runs, which commits the call: an
    UNAVAILABLE raised by their handlers reaches the caller unretried (only connection-level failures are
    retried). This pins that gRPC behaviour, which `_channel`'s docstring relies on."""
    servicer = FlakyOps(headers_first=True)
    async with tiny_server(ops_servicer=servicer) as target, AsyncOpsClient(target, retry=FAST_RETRY, timeout=5) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.check_health()
        assert caught.value.request_id == "sent-early"
        assert servicer.attempts["CheckHealth"] == 1


async def test_score_is_retried_only_when_it_is_idempotent() -> None:
    servicer = FlakyScoring()
    async with tiny_server(scoring=servicer) as target:
        async with AsyncScoringClient(target, retry=FAST_RETRY, timeout=5) as client:
            reply = await client.score(seed_signal(1))
            assert reply.candidate.signal_id == "client-sig-1"
            with pytest.raises(UnavailableError):
                await client.score(seed_signal(2, id=None))  # no id: a retry could score it twice
            with pytest.raises(UnavailableError):
                await client.score(seed_signal(3), rescore=True)  # a retry would add a version
        assert sorted(servicer.attempts.values()) == [1, 1, 2]
        assert servicer.attempts[f"client-sig-1|{seed_signal(1)['title']}|False"] == 2

        def sync_score() -> str:
            with ScoringClient(target, retry=FAST_RETRY, timeout=5) as client:
                return client.score(seed_signal(4)).candidate.signal_id

        assert await asyncio.to_thread(sync_score) == "client-sig-4"
        assert servicer.attempts[f"client-sig-4|{seed_signal(4)['title']}|False"] == 2


async def test_deadlines_reach_the_server_and_expire() -> None:
    servicer = FlakyOps()
    async with tiny_server(ops_servicer=servicer) as target:
        async with AsyncOpsClient(target, timeout=0.2) as client:
            with pytest.raises(DeadlineExceededError):
                await client.get_agent_status()
            reply = await client.get_agent_status(timeout=30)  # the per-call deadline wins
            assert 25 <= reply.status.total_checks <= 30

        def sync_call() -> None:
            with OpsClient(target, timeout=0.2) as client:
                client.get_agent_status()

        with pytest.raises(DeadlineExceededError):
            await asyncio.to_thread(sync_call)


async def test_the_token_reaches_the_server_and_never_shows() -> None:
    servicer = FlakyOps()
    async with tiny_server(ops_servicer=servicer) as target:
        async with AsyncOpsClient(target, token="s3cr3t-value", retry=FAST_RETRY) as client:
            await client.check_health(metadata=[("x-trace", "abc")])
            assert "s3cr3t" not in repr(client)

        def sync_call() -> None:
            with OpsClient(target, token="other-token") as client:
                client.check_health()

        await asyncio.to_thread(sync_call)
    first, retried, sync_call_metadata = servicer.metadata  # the first attempt failed and was retried
    assert first["authorization"] == retried["authorization"] == "Bearer s3cr3t-value"
    assert first["x-trace"] == "abc"
    assert first["x-request-id"] == retried["x-request-id"]  # one request id across attempts
    assert sync_call_metadata["authorization"] == "Bearer other-token"
    assert sync_call_metadata["x-request-id"] != first["x-request-id"]
    assert first["user-agent"].startswith("glm3-client-python/")
    with pytest.raises(ValueError):
        OpsClient(target, token="bad\ntoken")


async def test_message_size_limits_apply_to_the_client() -> None:
    async with tiny_server(ops_servicer=FlakyOps()) as target:
        async with AsyncOpsClient(target, max_send_message_bytes=1024) as client:
            with pytest.raises(ResourceExhaustedError):
                await client.diagnose("disk full " * 200)  # refused before it leaves the process

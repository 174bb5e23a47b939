"""The Prometheus `/metrics` endpoint of both servers, scraped over HTTP from real servers on loopback:
RPCs by method and code, signals by scorer and verdict, LLM calls, errors and fallbacks, stream windows,
group commits, check results and open alerts; off in test settings, on a free port when asked."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from glm3.ops.v1 import ops_service_pb2 as ops_pb
from glm3.ops.v1 import ops_service_pb2_grpc as ops_grpc
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import candidate_pb2, signal_pb2
from glm3.servers.common.app import build_server
from glm3.servers.common.settings import LlmSection, MetricsSection
from glm3.servers.ops import main as ops_main
from glm3.servers.ops.settings import OpsSettings
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.models import DIMENSIONS
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import ops_settings, running, server_settings, storage_deps
from tests.support.fake_openai import FakeOpenAI, Reply, message_text

SCORE = "/glm3.scoring.v1.ScoringService/Score"
STREAM = "/glm3.scoring.v1.ScoringService/ScoreStream"
UPLOAD = "/glm3.scoring.v1.ScoringService/ScoreUpload"
ON = MetricsSection(enabled=True, port=0)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(port: int, accept: str | None = None) -> tuple[str, Samples]:
    """GETs /metrics; returns the content type and every sample by (name, labels)."""
    headers = {"Accept": accept} if accept else {}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics", headers=headers) as response:
            assert response.status == 200
            content_type, text = response.headers["Content-Type"], await response.text()
    if content_type.startswith("application/openmetrics-text"):
        return content_type, {}
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return content_type, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def labelled(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def signal(n: int, title: str | None = None, description: str = "I would pay to stop matching invoices.") -> signal_pb2.Signal:
    """A valid signal, unless given a blank title or description."""
    title = f"Invoice matcher {n}" if title is None else title
    return signal_pb2.Signal(id=f"sig-{n}", title=title, description=description, source="reddit")


async def test_test_settings_serve_no_metrics_and_production_defaults_do(storage_dir: Path) -> None:
    assert server_settings(ScoringSettings, storage_dir).metrics.enabled is False
    assert ops_settings(storage_dir).metrics.enabled is False
    assert (ScoringSettings().metrics.enabled, ScoringSettings().metrics.port) == (True, 9464)
    assert (OpsSettings().metrics.enabled, OpsSettings().metrics.port) == (True, 9465)
    deps, database = await storage_deps(storage_dir)
    async with running(server_settings(ScoringSettings, storage_dir), deps) as srv:
        assert srv.server.metrics is None and srv.server.metrics_port is None
    await database.close()


async def test_a_taken_metrics_port_is_a_clear_error(storage_dir: Path) -> None:
    deps, database = await storage_deps(storage_dir)
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            settings = server_settings(ScoringSettings, storage_dir).model_copy(
                update={"metrics": MetricsSection(port=port)}
            )
            with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port} for metrics"):
                build_server(settings, deps)
    finally:
        await database.close()


async def test_scoring_rpcs_signals_and_commits_are_counted(storage_dir: Path) -> None:
    settings = server_settings(ScoringSettings, storage_dir).model_copy(update={"metrics": ON})
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv, srv.channel() as channel:
        port = srv.server.metrics_port
        assert port is not None and port != srv.port
        stub = pb_grpc.ScoringServiceStub(channel)
        verdicts: dict[str, int] = {}
        for n in range(3):
            reply = await stub.Score(pb.ScoreRequest(signal=signal(n)), timeout=10)
            name = candidate_pb2.Verdict.Name(reply.candidate.verdict).removeprefix("VERDICT_")
            verdicts[name] = verdicts.get(name, 0) + 1
        again = await stub.Score(pb.ScoreRequest(signal=signal(0)), timeout=10)
        assert again.already_scored
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Score(pb.ScoreRequest(signal=signal(9, title=" ", description="")), timeout=10)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT

        async def frames() -> AsyncIterator[pb.ScoreUploadRequest]:
            yield pb.ScoreUploadRequest(signals=[signal(10), signal(11)])
            yield pb.ScoreUploadRequest(signals=[signal(12)])

        upload = await stub.ScoreUpload(frames(), timeout=10)
        assert (upload.processed, upload.failed) == (3, 0)
        for name, count in upload.verdict_counts.items():
            verdicts[name] = verdicts.get(name, 0) + count

        content_type, samples = await scrape(port)
        assert content_type.startswith("text/plain")

    # RPCs by method and code, with their durations; nothing left in progress.
    assert value(samples, "glm3_rpc_requests_total", method=SCORE, code="OK") == 4
    assert value(samples, "glm3_rpc_requests_total", method=SCORE, code="INVALID_ARGUMENT") == 1
    assert value(samples, "glm3_rpc_duration_seconds_count", method=SCORE) == 5
    assert value(samples, "glm3_rpc_duration_seconds_bucket", method=SCORE, le="+Inf") == 5
    assert value(samples, "glm3_rpc_in_progress", method=SCORE) == 0
    assert value(samples, "glm3_rpc_requests_total", method=UPLOAD, code="OK") == 1
    assert value(samples, "glm3_rpc_stream_messages_received_total", method=UPLOAD) == 2
    # Signals by scorer and verdict: six new candidates, one answered from the store.
    scored = labelled(samples, "glm3_signals_scored_total")
    assert {dict(k)["verdict"]: v for k, v in scored.items()} == verdicts
    assert {dict(k)["scorer"] for k in scored} == {"heuristic"}
    assert sum(scored.values()) == 6
    assert value(samples, "glm3_signals_already_scored_total") == 1
    assert labelled(samples, "glm3_signals_failed_total") == {}
    # Group commits: six rows written, in at most five commits (one per Score, one or two for the upload).
    assert value(samples, "glm3_store_commit_rows_sum") == 6
    commits = value(samples, "glm3_store_commit_rows_count")
    assert commits is not None and 4 <= commits <= 5
    assert value(samples, "glm3_store_commit_seconds_count") == commits
    assert value(samples, "glm3_store_commit_failures_total") == 0
    # No LLM is configured: its counters exist and stay at zero; the process collectors are there too.
    assert value(samples, "glm3_llm_calls_total") == 0
    assert value(samples, "glm3_stream_signals_in_flight") == 0
    assert (value(samples, "process_resident_memory_bytes") or 0) > 0

    with socket.socket() as probe:  # the endpoint stopped with the server
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def llm_reply(title: str) -> str:
    return json.dumps(
        {
            **{d: {"reasoning": f"{d} of {title}", "score": 90} for d in DIMENSIONS},
            "recommendations": ["talk to users"],
        }
    )


async def test_llm_calls_errors_fallbacks_and_the_stream_window(storage_dir: Path) -> None:
    gate = asyncio.Event()

    async def answer(body: dict[str, Any]) -> Reply | str:
        text = message_text(body, "user")
        if "Stuck" in text:
            await asyncio.sleep(3600)  # never answers: its stream gets cancelled
        await gate.wait()  # held until the test has looked at the stream's window
        return Reply.failure(503) if "Broken" in text else llm_reply("idea")

    async with FakeOpenAI(answer) as fake:
        settings = server_settings(ScoringSettings, storage_dir).model_copy(
            update={"metrics": ON, "llm": LlmSection(model="gpt-test", base_url=fake.base_url, max_attempts=1)}
        )
        deps = await scoring_main.make_deps(settings)
        async with running(settings, deps) as srv, srv.channel() as channel:
            port = srv.server.metrics_port
            assert port is not None
            opened = asyncio.Event()

            async def requests() -> AsyncIterator[pb.ScoreStreamRequest]:
                items = [
                    pb.StreamSignal(correlation_id="a", signal=signal(1, "Invoice matcher")),
                    pb.StreamSignal(correlation_id="b", signal=signal(2, "Broken idea")),
                    pb.StreamSignal(correlation_id="c", signal=signal(3, "Receipt scanner")),
                    pb.StreamSignal(correlation_id="d", signal=signal(4, "", description="")),  # invalid
                ]
                yield pb.ScoreStreamRequest(batch=pb.SignalBatch(items=items))
                await opened.wait()

            call = pb_grpc.ScoringServiceStub(channel).ScoreStream(requests(), timeout=30)
            first = await call.read()  # the invalid item's error comes back at once
            assert [r.correlation_id for r in first.results.results] == ["d"]
            await fake.wait_for_requests(3)
            _, during = await scrape(port)
            assert value(during, "glm3_stream_signals_in_flight") == 3
            assert value(during, "glm3_rpc_in_progress", method=STREAM) == 1
            assert value(during, "glm3_rpc_stream_messages_received_total", method=STREAM) == 1
            assert value(during, "glm3_llm_calls_total") == 3

            gate.set()
            results = []
            while len(results) < 3:
                results += list((await call.read()).results.results)
            opened.set()
            assert await call.read() is grpc.aio.EOF
            assert await call.code() is grpc.StatusCode.OK
            _, after = await scrape(port)

            # A stream cancelled while its signals are in flight gives their place in the gauge back.
            async def stuck() -> AsyncIterator[pb.ScoreStreamRequest]:
                item = pb.StreamSignal(correlation_id="s", signal=signal(5, "Stuck idea"))
                yield pb.ScoreStreamRequest(batch=pb.SignalBatch(items=[item, item]))
                await asyncio.sleep(3600)

            call = pb_grpc.ScoringServiceStub(channel).ScoreStream(stuck(), timeout=30)
            await fake.wait_for_requests(4)
            _, during = await scrape(port)
            assert value(during, "glm3_stream_signals_in_flight") == 2
            call.cancel()
            for _ in range(200):
                _, cancelled = await scrape(port)
                if value(cancelled, "glm3_rpc_requests_total", method=STREAM, code="CANCELLED"):
                    break
                await asyncio.sleep(0.02)
            assert value(cancelled, "glm3_rpc_requests_total", method=STREAM, code="CANCELLED") == 1
            assert value(cancelled, "glm3_stream_signals_in_flight") == 0
            assert value(cancelled, "glm3_rpc_in_progress", method=STREAM) == 0

    assert value(after, "glm3_stream_signals_in_flight") == 0
    assert value(after, "glm3_rpc_requests_total", method=STREAM, code="OK") == 1
    assert value(after, "glm3_rpc_in_progress", method=STREAM) == 0
    sent = value(after, "glm3_rpc_stream_messages_sent_total", method=STREAM)
    assert sent is not None and 2 <= sent <= 4
    assert value(after, "glm3_llm_calls_total") == 3
    assert value(after, "glm3_llm_requests_total") == 3
    assert value(after, "glm3_llm_request_duration_seconds_count") == 3
    assert labelled(after, "glm3_llm_errors_total") == {frozenset({("kind", "http_503")}): 1}
    assert value(after, "glm3_llm_fallbacks_total") == 1
    scored = {dict(k)["scorer"]: v for k, v in labelled(after, "glm3_signals_scored_total").items() if v}
    assert scored == {"llm": 2, "heuristic": 1}


async def test_ops_check_results_and_open_alerts(storage_dir: Path) -> None:
    with socket.socket() as up, socket.socket() as closed:
        up.bind(("127.0.0.1", 0))
        up.listen()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        checks = [
            {"kind": "tcp", "name": "up", "host": "127.0.0.1", "port": up.getsockname()[1], "timeout_s": 2},
            {"kind": "tcp", "name": "down", "host": "127.0.0.1", "port": closed.getsockname()[1], "timeout_s": 2},
        ]
        settings = ops_settings(
            storage_dir,
            services={"checks": checks},
            host_checks={"enabled": False},
            runbooks={"auto_resolve": False},
            metrics={"port": 0, "enabled": True},
        )
        deps = await ops_main.make_deps(settings)
        async with running(settings, deps) as srv, srv.channel() as channel:
            port = srv.server.metrics_port
            assert port is not None
            _, before = await scrape(port)
            assert value(before, "glm3_ops_open_alerts") == 0
            assert labelled(before, "glm3_ops_check_results_total") == {}

            stub = ops_grpc.OpsServiceStub(channel)
            for _ in range(2):
                await stub.CheckHealth(ops_pb.CheckHealthRequest(run_now=True), timeout=10)
            alerts = await stub.ListAlerts(ops_pb.ListAlertsRequest(), timeout=10)
            assert [a.service for a in alerts.alerts] == ["down"]
            _, after = await scrape(port)

    assert value(after, "glm3_ops_check_results_total", service="up", status="healthy") == 2
    assert value(after, "glm3_ops_check_results_total", service="down", status="critical") == 2
    assert len(labelled(after, "glm3_ops_check_results_total")) == 2
    assert value(after, "glm3_ops_open_alerts") == 1
    check_health = "/glm3.ops.v1.OpsService/CheckHealth"
    assert value(after, "glm3_rpc_requests_total", method=check_health, code="OK") == 2
    # The scoring server's metrics are not in the ops server's registry.
    assert labelled(after, "glm3_signals_scored_total") == {}
    assert value(after, "glm3_llm_calls_total") is None


async def test_openmetrics_is_served_when_asked(storage_dir: Path) -> None:
    settings = ops_settings(storage_dir, metrics={"port": 0, "enabled": True})
    deps = await ops_main.make_deps(settings)
    async with running(settings, deps) as srv:
        assert srv.server.metrics_port is not None
        content_type, _ = await scrape(srv.server.metrics_port, accept="application/openmetrics-text; version=1.0.0")
        assert content_type.startswith("application/openmetrics-text")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{srv.server.metrics_port}/other") as response:
                assert response.status == 404

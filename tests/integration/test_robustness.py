"""Hostile inputs cost the server O(1) and never stall it: oversized frames, big batches."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer


def million_empty_items() -> pb.ScoreStreamRequest:
    frame = pb.ScoreStreamRequest()
    items = frame.batch.items
    for _ in range(1_000_000):
        items.add()
    return frame


async def health_latency(server: RunningServer) -> float:
    async with server.channel() as channel:
        started = time.perf_counter()
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        return time.perf_counter() - started


async def test_a_frame_of_a_million_items_ends_the_stream_at_once(scoring_server: RunningServer) -> None:
    frame = million_empty_items()
    assert frame.ByteSize() < 3 * 1024 * 1024
    async with scoring_server.channel() as channel:
        call = pb_grpc.ScoringServiceStub(channel).ScoreStream(iter([frame]), timeout=30)
        responses = []
        probe = asyncio.ensure_future(health_latency(scoring_server))
        try:
            async for response in call:
                responses.append(response)
            raise AssertionError("the stream was not ended")
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "1,000,000 signals" in (exc.details() or "")
        assert responses == []  # not one error per item
        assert await probe < 2.0


async def test_an_upload_frame_of_a_million_signals_is_refused_whole(scoring_server: RunningServer) -> None:
    frame = pb.ScoreUploadRequest()
    for _ in range(1_000_000):
        frame.signals.add()
    async with scoring_server.channel() as channel:
        try:
            await pb_grpc.ScoringServiceStub(channel).ScoreUpload(iter([frame]), timeout=30)
            raise AssertionError("the upload was accepted")
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert len(exc.trailing_metadata() or ()) < 10  # one error, not a million item errors


async def test_a_batch_whose_response_cannot_fit_is_refused_before_anything_is_stored(scoring_server: RunningServer) -> None:
    from glm3.scoring.v1 import signal_pb2

    signals = [signal_pb2.Signal(title=f"big {i}", description="x" * 15_000, source="reddit") for i in range(1_000)]
    request = pb.BatchScoreRequest(signals=signals)
    assert request.ByteSize() < 16 * 1024 * 1024
    options = {"grpc.max_receive_message_length": 64 * 1024 * 1024, "grpc.max_send_message_length": 64 * 1024 * 1024}
    async with scoring_server.channel(**options) as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        try:
            await stub.BatchScore(request, timeout=60)
            raise AssertionError("the batch was accepted")
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "max_send_message_bytes" in (exc.details() or "")
        stats = await stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
        assert stats.candidates_total == 0  # nothing was stored
        half = await stub.BatchScore(pb.BatchScoreRequest(signals=signals[:400]), timeout=120)
        assert half.processed == 400 and not half.errors

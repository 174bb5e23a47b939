"""Hostile inputs cost the server O(1) and never stall it: oversized frames, big batches."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from glm3.scoring.v1 import candidate_pb2
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
    full = candidate_pb2.CANDIDATE_VIEW_FULL  # the candidates with their text: about 16 KB each here
    request = pb.BatchScoreRequest(signals=signals, view=full)
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
        half = await stub.BatchScore(pb.BatchScoreRequest(signals=signals[:400], view=full), timeout=120)
        assert half.processed == 400 and not half.errors


async def test_undecodable_requests_are_invalid_argument_everywhere(scoring_server: RunningServer, ops_server: RunningServer) -> None:
    from glm3.ops.v1 import ops_service_pb2 as ops_pb

    garbage = b"\xff\xff\xff\xff"
    deep = b""  # a Struct nested 40 levels, encoded by hand (the library refuses to build one)
    for _ in range(40):
        value = _field(5, deep)  # Value.struct_value
        deep = _field(1, _field(1, b"a") + _field(2, value))  # Struct.fields entry {key, value}
    nested = ops_pb.FindSimilarIssuesRequest(query="x").SerializeToString() + _field(2, deep)
    async with scoring_server.channel() as scoring, ops_server.channel() as ops:
        for call in (
            scoring.unary_unary("/glm3.scoring.v1.ScoringService/Score")(garbage, timeout=5),
            scoring.stream_unary("/glm3.scoring.v1.ScoringService/ScoreUpload")(iter([garbage]), timeout=5),
            ops.unary_unary("/glm3.ops.v1.OpsService/FindSimilarIssues")(nested, timeout=5),
        ):
            try:
                await call
                raise AssertionError("accepted")
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
                assert "DecodeError" not in (exc.details() or "")
        stream = scoring.stream_stream("/glm3.scoring.v1.ScoringService/ScoreStream")(iter([garbage]), timeout=5)
        try:
            async for _ in stream:
                pass
            raise AssertionError("accepted")
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    length, size = b"", len(payload)
    while True:
        byte, size = size & 0x7F, size >> 7
        length += bytes([byte | (0x80 if size else 0)])
        if not size:
            break
    return bytes([number << 3 | 2]) + length + payload


async def test_control_characters_in_one_line_fields_are_field_violations(scoring_server: RunningServer) -> None:
    from glm3.scoring.v1 import signal_pb2

    cases = {
        "signal.source": signal_pb2.Signal(title="t", description="d", source="\x00"),
        "signal.title": signal_pb2.Signal(title="a\x1b[31mred", description="d", source="reddit"),
        "signal.source_url": signal_pb2.Signal(title="t", description="d", source="reddit", source_url="https://x.example/\nSet-Cookie: a"),
        "signal.tags[0]": signal_pb2.Signal(title="t", description="d", source="reddit", tags=["a\tb"]),
    }
    async with scoring_server.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        for field, signal in cases.items():
            try:
                await stub.Score(pb.ScoreRequest(signal=signal), timeout=5)
                raise AssertionError(f"{field} accepted")
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
                assert field in _violations(exc), (field, _violations(exc))
        # a multi-line field keeps its line breaks
        ok = signal_pb2.Signal(title="t", description="line one\nline two\ttabbed", source="reddit")
        assert (await stub.Score(pb.ScoreRequest(signal=ok), timeout=5)).candidate.description.startswith("line one\n")


async def test_every_error_fits_the_clients_metadata_limit(scoring_server: RunningServer, ops_server: RunningServer) -> None:
    from glm3.ops.v1 import ops_service_pb2 as ops_pb
    from glm3.ops.v1 import ops_service_pb2_grpc as ops_grpc
    from glm3.scoring.v1 import signal_pb2

    async with scoring_server.channel() as scoring, ops_server.channel() as ops:
        stub = pb_grpc.ScoringServiceStub(scoring)
        many = signal_pb2.Signal(title="", description="", source="", comments=["x" * 10_001] * 500, tags=[""] * 40)
        for call in (
            stub.Score(pb.ScoreRequest(signal=many), timeout=10),
            stub.GetCandidate(pb.GetCandidateRequest(id="i" * 20_000), timeout=10),
            ops_grpc.OpsServiceStub(ops).CheckHealth(ops_pb.CheckHealthRequest(services=[f"nope-{i}" for i in range(1_000)]), timeout=10),
        ):
            try:
                await call
                raise AssertionError("accepted")
            except grpc.aio.AioRpcError as exc:
                assert exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND), exc
                size = sum(len(k) + len(v) for k, v in exc.trailing_metadata() or ())
                assert size < 8 * 1024
                violations = _violations(exc)
                assert len(violations) <= 20


def _violations(exc: grpc.aio.AioRpcError) -> list[str]:
    from google.rpc import error_details_pb2, status_pb2

    out: list[str] = []
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    request = error_details_pb2.BadRequest()
                    detail.Unpack(request)
                    out.extend(v.field for v in request.field_violations)
    return out


async def test_forged_page_tokens_are_invalid_argument(scoring_server: RunningServer, ops_server: RunningServer) -> None:
    import base64

    from glm3.ops.v1 import ops_service_pb2 as ops_pb
    from glm3.ops.v1 import ops_service_pb2_grpc as ops_grpc

    def forged(payload: str) -> str:
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    tokens = [forged(f'["x", [{v}, "id"]]') for v in ("NaN", "Infinity", "1e999")]  # bare, as JSON allows in Python
    tokens += [forged("[\"x\", [\"' OR 1=1 --\", \"id\"]]"), "not base64 at all!", "A" * 5000]
    async with scoring_server.channel() as scoring, ops_server.channel() as ops:
        stub = pb_grpc.ScoringServiceStub(scoring)
        for token in tokens:
            for call in (
                stub.ListCandidates(pb.ListCandidatesRequest(order_by=pb.CANDIDATE_ORDER_SCORE_DESC, page_token=token), timeout=5),
                stub.ListAuditEvents(pb.ListAuditEventsRequest(page_token=token), timeout=5),
                ops_grpc.OpsServiceStub(ops).ListAlerts(ops_pb.ListAlertsRequest(page_token=token), timeout=5),
            ):
                try:
                    await call
                    raise AssertionError(f"token {token[:40]} accepted")
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, (token[:40], exc.details())


async def test_cancelled_streams_log_no_error(scoring_server: RunningServer, ops_server: RunningServer, caplog) -> None:  # noqa: ANN001
    import gc
    import logging

    from glm3.ops.v1 import ops_service_pb2 as ops_pb
    from glm3.ops.v1 import ops_service_pb2_grpc as ops_grpc
    from glm3.scoring.v1 import signal_pb2

    caplog.set_level(logging.INFO)

    async def frames():  # noqa: ANN202
        frame = pb.ScoreStreamRequest()
        frame.batch.items.add().signal.CopyFrom(signal_pb2.Signal(title="t", description="d", source="reddit"))
        yield frame
        await asyncio.sleep(30)

    for _ in range(3):
        async with scoring_server.channel() as channel, ops_server.channel() as ops:
            call = pb_grpc.ScoringServiceStub(channel).ScoreStream(frames(), timeout=30)
            async for _ in call:
                break  # the first result, then the client goes away
            call.cancel()
            beat = ops_pb.WatchHealthRequest()
            beat.heartbeat_interval.seconds = 1
            watch = ops_grpc.OpsServiceStub(ops).WatchHealth(beat, timeout=30)
            async for _ in watch:
                break
            watch.cancel()
    await asyncio.sleep(0.5)
    gc.collect()  # finalises the abandoned generators, where the request-id reset used to fail
    await asyncio.sleep(0.2)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]

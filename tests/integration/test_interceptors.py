"""Request ids, access logs, error mapping and limits, on a real server over loopback."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from glm3.scoring.v1 import scoring_service_pb2 as scoring_pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as scoring_grpc
from glm3.scoring.v1 import signal_pb2
from glm3.servers.common import errors
from glm3.servers.common.logs import JsonFormatter
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import RunningServer, probe_method, probe_service, running, server_settings, storage_deps


def rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    raise AssertionError("no google.rpc.Status in the trailers")


def detail(status: status_pb2.Status, message_type: type) -> object:
    for any_detail in status.details:
        message = message_type()
        if any_detail.Unpack(message):
            return message
    raise AssertionError(f"no {message_type.__name__} in the details")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Captures what the servers log, formatted as in production (JSON lines)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(previous_level)


def entries(buffer: io.StringIO, logger: str) -> list[dict]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [entry for entry in lines if entry["logger"] == logger]


async def test_request_id_is_returned_and_logged(scoring_server: RunningServer, log_lines: io.StringIO) -> None:
    async with scoring_server.channel() as channel:
        stub = scoring_grpc.ScoringServiceStub(channel)
        call = stub.GetScoringStats(scoring_pb.GetScoringStatsRequest(), metadata=(("x-request-id", "req-42"),))
        await call
        assert ("x-request-id", "req-42") in tuple(await call.initial_metadata())

        call = stub.GetCandidate(scoring_pb.GetCandidateRequest())  # fails: the id is required
        with pytest.raises(grpc.aio.AioRpcError):
            await call
        generated = dict(await call.initial_metadata())["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)

        # An id a log reader could be fooled by is replaced, not echoed.
        call = stub.GetScoringStats(scoring_pb.GetScoringStatsRequest(), metadata=(("x-request-id", "a b <script>"),))
        await call
        assert re.fullmatch(r"[0-9a-f]{32}", dict(await call.initial_metadata())["x-request-id"])

    access = entries(log_lines, "glm3.access")
    assert [e["request_id"] for e in access[:2]] == ["req-42", generated]
    first = access[0]
    assert first["msg"] == "rpc"
    assert first["method"] == "/glm3.scoring.v1.ScoringService/GetScoringStats"
    assert first["code"] == "OK"
    assert (access[1]["method"], access[1]["code"]) == ("/glm3.scoring.v1.ScoringService/GetCandidate", "INVALID_ARGUMENT")
    assert first["peer"].startswith("ipv4:127.0.0.1:")
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0


async def test_unexpected_exception_is_internal_without_a_trace(
    storage_dir: Path, log_lines: io.StringIO
) -> None:
    async def boom(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        raise RuntimeError("password=hunter2 leaked in a trace")

    deps, _ = await storage_deps(storage_dir, probe_service({"Boom": boom}))
    async with running(server_settings(ScoringSettings, storage_dir), deps) as srv, srv.channel() as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await probe_method(channel, "Boom")(b"", metadata=(("x-request-id", "req-boom"),), timeout=5)
    error = info.value
    assert error.code() is grpc.StatusCode.INTERNAL
    assert error.details() == "internal error (request id req-boom)"
    status = rich_status(error)
    assert detail(status, error_details_pb2.ErrorInfo).reason == "INTERNAL"
    assert "hunter2" not in str(error.trailing_metadata()) and "Traceback" not in error.details()
    # The trace is in the server's log, tied to the request id.
    failures = entries(log_lines, "glm3.server")
    assert any(e.get("request_id") == "req-boom" and "RuntimeError" in e.get("exc", "") for e in failures)
    assert entries(log_lines, "glm3.access")[-1]["code"] == "INTERNAL"


async def test_domain_errors_carry_error_info_and_field_violations(storage_dir: Path) -> None:
    async def invalid(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        raise errors.InvalidArgument(
            "signal is invalid", [errors.FieldViolation("signal.title", "must not be empty")]
        )

    async def missing(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        raise errors.NotFound("no candidate c1", reason="CANDIDATE_NOT_FOUND", metadata={"id": "c1"})

    async def stream_fails(request: bytes, context: grpc.aio.ServicerContext):  # type: ignore[no-untyped-def]
        yield b"one"
        raise errors.Unavailable("store went away")

    service = probe_service({"Invalid": invalid, "Missing": missing, "Stream": stream_fails}, streaming=["Stream"])
    deps, _ = await storage_deps(storage_dir, service)
    async with running(server_settings(ScoringSettings, storage_dir), deps) as srv, srv.channel() as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await probe_method(channel, "Invalid")(b"", timeout=5)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        violations = detail(rich_status(info.value), error_details_pb2.BadRequest).field_violations
        assert [(v.field, v.description) for v in violations] == [("signal.title", "must not be empty")]

        with pytest.raises(grpc.aio.AioRpcError) as info:
            await probe_method(channel, "Missing")(b"", timeout=5)
        assert info.value.code() is grpc.StatusCode.NOT_FOUND
        error_info = detail(rich_status(info.value), error_details_pb2.ErrorInfo)
        assert (error_info.reason, error_info.domain, dict(error_info.metadata)) == (
            "CANDIDATE_NOT_FOUND",
            "glm3",
            {"id": "c1"},
        )

        received = []
        call = channel.unary_stream("/glm3.test.ProbeService/Stream")(b"", timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            async for item in call:
                received.append(item)
        assert received == [b"one"]
        assert info.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_oversized_message_is_refused_and_the_server_keeps_serving(storage_dir: Path) -> None:
    from glm3.servers.scoring import main as scoring_main

    settings = server_settings(ScoringSettings, storage_dir, max_receive_message_bytes=4096)
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = scoring_grpc.ScoringServiceStub(channel)
        big = signal_pb2.Signal(title="t", description="x" * 10_000, source="reddit")
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Score(scoring_pb.ScoreRequest(signal=big), timeout=5)
        assert info.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        small = signal_pb2.Signal(title="t", description="x", source="reddit")
        reply = await stub.Score(scoring_pb.ScoreRequest(signal=small), timeout=5)
        assert reply.candidate.title == "t"


async def test_concurrent_rpc_limit(storage_dir: Path) -> None:
    release = asyncio.Event()
    inside = 0

    async def hold(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        nonlocal inside
        inside += 1
        await release.wait()
        return b"ok"

    deps, _ = await storage_deps(storage_dir, probe_service({"Hold": hold}))
    settings = server_settings(ScoringSettings, storage_dir, max_concurrent_rpcs=2)
    async with running(settings, deps) as srv, srv.channel() as channel:
        held = [asyncio.ensure_future(probe_method(channel, "Hold")(b"", timeout=10)) for _ in range(2)]
        while inside < 2:
            await asyncio.sleep(0.01)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await probe_method(channel, "Hold")(b"", timeout=5)
        assert info.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        release.set()
        assert await asyncio.gather(*held) == [b"ok", b"ok"]

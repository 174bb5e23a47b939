"""Every RPC of both contracts is registered and reaches real code: the empty request gets a real answer."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor
from google.rpc import error_details_pb2

from glm3.ops.v1 import ops_service_pb2
from glm3.scoring.v1 import scoring_service_pb2
from tests.conftest import RunningServer
from tests.integration.test_interceptors import detail, rich_status


def _methods(service: descriptor.ServiceDescriptor) -> list[descriptor.MethodDescriptor]:
    return list(service.methods)


async def _call(channel: grpc.aio.Channel, method: descriptor.MethodDescriptor, timeout: float = 5) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    request = b""  # the empty message, in any type
    kind = (method.client_streaming, method.server_streaming)
    if kind == (False, False):
        await channel.unary_unary(path)(request, timeout=timeout)
    elif kind == (False, True):
        async for _ in channel.unary_stream(path)(request, timeout=timeout):
            pass
    elif kind == (True, False):
        await channel.stream_unary(path)(iter([request]), timeout=timeout)
    else:
        async for _ in channel.stream_stream(path)(iter([request]), timeout=timeout):
            pass


# What each scoring RPC answers to the empty request: proof that it reached real code, not a stub.
_EMPTY_REQUEST_ANSWERS = {
    "Score": grpc.StatusCode.INVALID_ARGUMENT,  # a signal is required
    "BatchScore": grpc.StatusCode.INVALID_ARGUMENT,  # at least one signal
    "ScoreStream": grpc.StatusCode.OK,  # an empty frame is skipped; the stream ends cleanly
    "ScoreUpload": grpc.StatusCode.INVALID_ARGUMENT,  # an upload without any signal
    "GetCandidate": grpc.StatusCode.INVALID_ARGUMENT,  # id or signal_id
    "GetSignal": grpc.StatusCode.INVALID_ARGUMENT,  # signal_id is required
    "ListCandidates": grpc.StatusCode.OK,
    "SearchCandidates": grpc.StatusCode.INVALID_ARGUMENT,  # a query is required
    "SubmitFeedback": grpc.StatusCode.INVALID_ARGUMENT,  # candidate_id is required
    "GetScoringStats": grpc.StatusCode.OK,
    "ListAuditEvents": grpc.StatusCode.OK,
}


def test_every_scoring_rpc_is_listed_here() -> None:
    names = {m.name for m in _methods(scoring_service_pb2.DESCRIPTOR.services_by_name["ScoringService"])}
    assert names == set(_EMPTY_REQUEST_ANSWERS)


@pytest.mark.parametrize(
    "method", _methods(scoring_service_pb2.DESCRIPTOR.services_by_name["ScoringService"]), ids=lambda m: m.name
)
async def test_scoring_rpc_is_implemented(scoring_server: RunningServer, method: descriptor.MethodDescriptor) -> None:
    expected = _EMPTY_REQUEST_ANSWERS[method.name]
    async with scoring_server.channel() as channel:
        if expected is grpc.StatusCode.OK:
            await _call(channel, method)
            return
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(channel, method)
    assert info.value.code() is expected, info.value.details()
    assert detail(rich_status(info.value), error_details_pb2.BadRequest).field_violations


_OPS_EMPTY_REQUEST_ANSWERS = {
    "CheckHealth": grpc.StatusCode.OK,  # runs the (host) checks
    "WatchHealth": grpc.StatusCode.DEADLINE_EXCEEDED,  # a watch stays open until the client leaves
    "Diagnose": grpc.StatusCode.INVALID_ARGUMENT,  # a result or a symptom is required
    "Resolve": grpc.StatusCode.INVALID_ARGUMENT,  # runbook_id is required
    "ListRunbooks": grpc.StatusCode.OK,
    "ListAlerts": grpc.StatusCode.OK,
    "WatchAlerts": grpc.StatusCode.DEADLINE_EXCEEDED,
    "AcknowledgeAlert": grpc.StatusCode.INVALID_ARGUMENT,  # alert_id is required
    "RecordResolution": grpc.StatusCode.INVALID_ARGUMENT,  # a resolution is required
    "FindSimilarIssues": grpc.StatusCode.INVALID_ARGUMENT,  # a query or symptoms
    "GetAgentStatus": grpc.StatusCode.OK,
    "ListAuditEvents": grpc.StatusCode.OK,
}


def test_every_ops_rpc_is_listed_here() -> None:
    names = {m.name for m in _methods(ops_service_pb2.DESCRIPTOR.services_by_name["OpsService"])}
    assert names == set(_OPS_EMPTY_REQUEST_ANSWERS)


@pytest.mark.parametrize(
    "method", _methods(ops_service_pb2.DESCRIPTOR.services_by_name["OpsService"]), ids=lambda m: m.name
)
async def test_ops_rpc_is_implemented(ops_server: RunningServer, method: descriptor.MethodDescriptor) -> None:
    expected = _OPS_EMPTY_REQUEST_ANSWERS[method.name]
    async with ops_server.channel() as channel:
        if expected is grpc.StatusCode.OK:
            await _call(channel, method)
            return
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(channel, method, timeout=1 if method.server_streaming else 5)
    assert info.value.code() is expected, info.value.details()
    if expected is grpc.StatusCode.INVALID_ARGUMENT:
        assert detail(rich_status(info.value), error_details_pb2.BadRequest).field_violations

"""Every RPC of both contracts is registered; the ones not built yet answer UNIMPLEMENTED with ErrorInfo."""

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


async def _call(channel: grpc.aio.Channel, method: descriptor.MethodDescriptor) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    request = b""  # the empty message, in any type
    kind = (method.client_streaming, method.server_streaming)
    if kind == (False, False):
        await channel.unary_unary(path)(request, timeout=5)
    elif kind == (False, True):
        async for _ in channel.unary_stream(path)(request, timeout=5):
            pass
    elif kind == (True, False):
        await channel.stream_unary(path)(iter([request]), timeout=5)
    else:
        async for _ in channel.stream_stream(path)(iter([request]), timeout=5):
            pass


@pytest.mark.parametrize(
    "method", _methods(scoring_service_pb2.DESCRIPTOR.services_by_name["ScoringService"]), ids=lambda m: m.name
)
async def test_scoring_rpc_is_registered(scoring_server: RunningServer, method: descriptor.MethodDescriptor) -> None:
    async with scoring_server.channel() as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(channel, method)
    assert info.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert method.name in info.value.details()
    assert detail(rich_status(info.value), error_details_pb2.ErrorInfo).reason == "NOT_IMPLEMENTED"


@pytest.mark.parametrize(
    "method", _methods(ops_service_pb2.DESCRIPTOR.services_by_name["OpsService"]), ids=lambda m: m.name
)
async def test_ops_rpc_is_registered(ops_server: RunningServer, method: descriptor.MethodDescriptor) -> None:
    async with ops_server.channel() as channel:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await _call(channel, method)
    assert info.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert detail(rich_status(info.value), error_details_pb2.ErrorInfo).reason == "NOT_IMPLEMENTED"

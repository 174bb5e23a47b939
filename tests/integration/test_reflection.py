"""Reflection documents the contract: v1 and v1alpha, buf's descriptors with comments and json_name, and
every file a reflection-only client needs to decode per-item errors (google/rpc/error_details.proto).

The client here knows nothing but what reflection tells it: a fresh DescriptorPool filled from the
server's answers, messages made with message_factory from it, never the generated modules."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2 as rpb

from tests.conftest import RunningServer

VERSIONS = ("grpc.reflection.v1", "grpc.reflection.v1alpha")


async def ask(channel: grpc.aio.Channel, version: str, **request: str) -> rpb.ServerReflectionResponse:
    call = channel.stream_stream(
        f"/{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=rpb.ServerReflectionRequest.SerializeToString,
        response_deserializer=rpb.ServerReflectionResponse.FromString,
    )
    responses = [r async for r in call(iter([rpb.ServerReflectionRequest(**request)]), timeout=10)]
    assert len(responses) == 1
    return responses[0]


async def reflected_pool(channel: grpc.aio.Channel, version: str, symbol: str) -> descriptor_pool.DescriptorPool:
    """A pool of exactly the files reflection serves with `symbol`."""
    reply = await ask(channel, version, file_containing_symbol=symbol)
    assert reply.WhichOneof("message_response") == "file_descriptor_response", reply
    files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in reply.file_descriptor_response.file_descriptor_proto]
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()
    while len(added) < len(files):  # dependencies first
        for file in files:
            if file.name not in added and all(d in added for d in file.dependency):
                pool.Add(file)
                added.add(file.name)
    return pool


@pytest.mark.parametrize("version", VERSIONS)
async def test_both_versions_list_the_services(scoring_server: RunningServer, version: str) -> None:
    async with scoring_server.channel() as channel:
        reply = await ask(channel, version, list_services="")
    names = [s.name for s in reply.list_services_response.service]
    assert names == [
        "glm3.scoring.v1.ScoringService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]


@pytest.mark.parametrize("version", VERSIONS)
async def test_descriptors_carry_comments_and_json_names(scoring_server: RunningServer, version: str) -> None:
    async with scoring_server.channel() as channel:
        reply = await ask(channel, version, file_containing_symbol="glm3.scoring.v1.Signal")
    files = {f.name: f for f in map(descriptor_pb2.FileDescriptorProto.FromString, reply.file_descriptor_response.file_descriptor_proto)}
    signal = files["glm3/scoring/v1/signal.proto"]
    assert signal.source_code_info.location, "no source info: comments lost"
    comments = " ".join(loc.leading_comments for loc in signal.source_code_info.location)
    assert "When the signal was emitted (UTC)" in comments
    fields = {f.name: f.json_name for f in signal.message_type[0].field}
    assert fields["source_url"] == "sourceUrl"


async def test_unknown_symbols_and_files_are_not_found(scoring_server: RunningServer) -> None:
    async with scoring_server.channel() as channel:
        missing = await ask(channel, "grpc.reflection.v1", file_containing_symbol="glm3.nope.Nothing")
        assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
        missing = await ask(channel, "grpc.reflection.v1", file_by_filename="nope.proto")
        assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
        health = await ask(channel, "grpc.reflection.v1", file_containing_symbol="grpc.health.v1.Health")
        assert health.file_descriptor_response.file_descriptor_proto  # from the runtime's pool


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_reflection_only_client_decodes_a_per_item_error(scoring_server: RunningServer, version: str) -> None:
    async with scoring_server.channel() as channel:
        pool = await reflected_pool(channel, version, "glm3.scoring.v1.ScoringService")
        method = pool.FindServiceByName("glm3.scoring.v1.ScoringService").methods_by_name["BatchScore"]
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        request = request_class()
        good, bad = request.signals.add(), request.signals.add()
        good.title, good.description, good.source = "Invoices by hand", "Matching invoices takes a day.", "reddit"
        bad.title, bad.description, bad.source = "", "x", "reddit"
        call = channel.unary_unary(
            "/glm3.scoring.v1.ScoringService/BatchScore",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        reply = await call(request, timeout=10)
    assert reply.processed == 2 and reply.failed == 1
    [item] = reply.errors
    status = item.status
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    decoded = {}
    for packed in status.details:
        name = packed.type_url.rsplit("/", 1)[-1]
        detail = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))()  # KeyError: not served
        assert packed.Unpack(detail)
        decoded[name] = detail
    assert decoded["google.rpc.ErrorInfo"].reason
    violations = decoded["google.rpc.BadRequest"].field_violations
    assert any(v.field.endswith("title") for v in violations)

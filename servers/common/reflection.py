"""gRPC server reflection that documents the contract: `grpc.reflection.v1` and `v1alpha`, from the
descriptors buf built from `protos/` (comments, `json_name`), not from the runtime's copies.

grpcio-reflection serves only v1alpha, and re-serialises the descriptors the generated modules hold, which
carry no source info: `grpcurl describe` then shows no comment, and a client asking v1 (newer grpcurl,
grpc-java, Postman) gets UNIMPLEMENTED. Here the files come from `glm3/contracts.binpb` (a
FileDescriptorSet `make generate` writes with `buf build`, checked for freshness with the rest of
`generated/`), which includes every import: `google/rpc/error_details.proto` among them, so a client that
knows the services only by reflection can decode the `ErrorInfo` and `BadRequest` details. Files that are
not ours (health, reflection itself) come from the runtime's pool. The two versions have the same messages
(field for field, on the wire), so one implementation with the v1alpha classes answers both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from importlib import resources
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2 as pb

SERVICES = ("grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")
_V1ALPHA_FILE = "grpc_reflection/v1alpha/reflection.proto"
_V1_FILE = "grpc/reflection/v1/reflection.proto"


def contract_files() -> list[descriptor_pb2.FileDescriptorProto]:
    """The FileDescriptorProtos of the contracts, with their imports and source info."""
    data = resources.files("glm3").joinpath("contracts.binpb").read_bytes()
    return list(descriptor_pb2.FileDescriptorSet.FromString(data).file)


def _v1_file() -> descriptor_pb2.FileDescriptorProto:
    """reflection v1's file, made from v1alpha's (the same messages under another package)."""
    proto = descriptor_pb2.FileDescriptorProto()
    pb.DESCRIPTOR.CopyToProto(proto)
    proto.name, proto.package = _V1_FILE, "grpc.reflection.v1"
    proto.options.Clear()

    def rename(messages: Iterable[descriptor_pb2.DescriptorProto]) -> None:
        for message in messages:
            for field in message.field:
                field.type_name = field.type_name.replace(".grpc.reflection.v1alpha.", ".grpc.reflection.v1.")
            rename(message.nested_type)

    rename(proto.message_type)
    for service in proto.service:
        for method in service.method:
            method.input_type = method.input_type.replace(".grpc.reflection.v1alpha.", ".grpc.reflection.v1.")
            method.output_type = method.output_type.replace(".grpc.reflection.v1alpha.", ".grpc.reflection.v1.")
    return proto


def _symbols(file: descriptor_pb2.FileDescriptorProto) -> Iterable[str]:
    prefix = f"{file.package}." if file.package else ""

    def messages(items: Iterable[descriptor_pb2.DescriptorProto], scope: str) -> Iterable[str]:
        for message in items:
            name = scope + message.name
            yield name
            yield from (f"{name}.{field.name}" for field in message.field)
            yield from (f"{name}.{enum.name}" for enum in message.enum_type)
            yield from messages(message.nested_type, name + ".")

    yield from messages(file.message_type, prefix)
    for enum in file.enum_type:
        yield prefix + enum.name
        yield from (prefix + value.name for value in enum.value)  # enum values live in the enclosing scope
    for service in file.service:
        yield prefix + service.name
        yield from (f"{prefix}{service.name}.{method.name}" for method in service.method)


class ReflectionServicer:
    """Answers ServerReflectionInfo from a set of files (ours, with comments) and the runtime's pool."""

    def __init__(
        self,
        service_names: Sequence[str],
        files: Sequence[descriptor_pb2.FileDescriptorProto] | None = None,
        pool: descriptor_pool.DescriptorPool | None = None,
    ) -> None:
        self.service_names = sorted({*service_names, *SERVICES})
        self._pool = pool or descriptor_pool.Default()
        self._files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
        self._by_symbol: dict[str, str] = {}
        for file in [*(contract_files() if files is None else files), _v1_file()]:
            self._files[file.name] = file
            for symbol in _symbols(file):
                self._by_symbol.setdefault(symbol, file.name)

    # -- lookups -------------------------------------------------------------------------------------

    def _file(self, name: str) -> descriptor_pb2.FileDescriptorProto | None:
        if name in self._files:
            return self._files[name]
        try:
            found = self._pool.FindFileByName(name)
        except KeyError:
            return None
        proto = descriptor_pb2.FileDescriptorProto()
        found.CopyToProto(proto)
        self._files[name] = proto  # cached: the pool does not change while serving
        return proto

    def _file_of_symbol(self, symbol: str) -> str | None:
        if symbol in self._by_symbol:
            return self._by_symbol[symbol]
        try:
            return str(self._pool.FindFileContainingSymbol(symbol).name)
        except KeyError:
            return None

    def _with_dependencies(self, name: str) -> list[bytes] | None:
        """The file first, then every file it imports, transitively, each once."""
        out: list[bytes] = []
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            file = self._file(current)
            if file is None:
                if current == name:
                    return None
                continue  # an import the pool lacks: send what there is
            out.append(file.SerializeToString())
            todo.extend(file.dependency)
        return out

    # -- the RPC -------------------------------------------------------------------------------------

    def answer(self, request: pb.ServerReflectionRequest) -> pb.ServerReflectionResponse:
        which = request.WhichOneof("message_request")
        response = pb.ServerReflectionResponse(valid_host=request.host, original_request=request)
        if which == "list_services":
            response.list_services_response.service.extend(pb.ServiceResponse(name=n) for n in self.service_names)
            return response
        files: list[bytes] | None = None
        if which == "file_by_filename":
            files = self._with_dependencies(request.file_by_filename)
        elif which == "file_containing_symbol":
            name = self._file_of_symbol(request.file_containing_symbol)
            files = self._with_dependencies(name) if name is not None else None
        elif which == "file_containing_extension":
            files = None  # the contracts declare no extensions
        elif which == "all_extension_numbers_of_type":
            type_name = request.all_extension_numbers_of_type
            if self._file_of_symbol(type_name) is not None:
                response.all_extension_numbers_response.base_type_name = type_name
                return response
        else:
            response.error_response.error_code = grpc.StatusCode.INVALID_ARGUMENT.value[0]
            response.error_response.error_message = "no request in message_request"
            return response
        if files is None:
            response.error_response.error_code = grpc.StatusCode.NOT_FOUND.value[0]
            response.error_response.error_message = f"not found: {_subject(request, which)}"
            return response
        response.file_descriptor_response.file_descriptor_proto.extend(files)
        return response

    async def info(
        self, requests: AsyncIterator[pb.ServerReflectionRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ServerReflectionResponse]:
        async for request in requests:
            yield self.answer(request)

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        """One generic handler per reflection version, both on this servicer."""
        method = grpc.stream_stream_rpc_method_handler(
            self.info,
            request_deserializer=pb.ServerReflectionRequest.FromString,
            response_serializer=pb.ServerReflectionResponse.SerializeToString,
        )
        return [grpc.method_handlers_generic_handler(name, {"ServerReflectionInfo": method}) for name in SERVICES]


def _subject(request: pb.ServerReflectionRequest, which: Any) -> str:
    return str(getattr(request, str(which), "")) or "(empty)"


def enable(server: grpc.aio.Server, service_names: Sequence[str]) -> ReflectionServicer:
    """Serves reflection v1 and v1alpha on `server` for `service_names` (and the reflection services)."""
    servicer = ReflectionServicer(service_names)
    server.add_generic_rpc_handlers(servicer.handlers())
    return servicer

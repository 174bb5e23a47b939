"""Request bytes that do not decode are the client's mistake: INVALID_ARGUMENT, logged and counted like any
other status, instead of grpc's UNKNOWN naming `DecodeError` with a traceback in the log.

grpc decodes a request before any interceptor's behaviour runs, so the decoder itself is wrapped: a
failure becomes an `Undecodable` value, which the wrapped behaviour (or, on a client stream, the wrapped
request iterator) turns into the error. Installed inside the access log and metrics, outside the rest.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from grpc_status import rpc_status

from glm3.servers.common.errors import FieldViolation, InvalidArgument
from glm3.servers.common.interceptors import WatchedRequests
from glm3.servers.common.status import to_rpc_status


class Undecodable:
    """What a request that failed to decode is replaced by."""

    __slots__ = ("error",)

    def __init__(self, error: InvalidArgument) -> None:
        self.error = error


def _guarded(deserializer: Callable[[bytes], Any], method: str) -> Callable[[bytes], Any]:
    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except (DecodeError, RecursionError, ValueError) as exc:
            deep = "MaxDepth" in str(exc) or isinstance(exc, RecursionError)
            why = "nested too deeply (at most about 32 levels of Struct or Value)" if deep else "not a valid encoding"
            return Undecodable(
                InvalidArgument(
                    f"the request to {method.rsplit('/', 1)[-1]} could not be decoded: {why}",
                    [FieldViolation("request", why)],
                    reason="MALFORMED_REQUEST",
                )
            )

    return decode


def _refuse_undecodable(message: Any) -> None:
    if isinstance(message, Undecodable):
        raise message.error


class DecodingInterceptor(grpc.aio.ServerInterceptor):
    """Makes undecodable requests INVALID_ARGUMENT (reason MALFORMED_REQUEST)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        method = handler_call_details.method
        for name in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            behaviour = getattr(handler, name)
            if behaviour is not None:
                return handler._replace(  # type: ignore[attr-defined]
                    request_deserializer=_guarded(handler.request_deserializer, method),
                    **{name: self._wrap(behaviour, handler.request_streaming)},
                )
        return handler

    @staticmethod
    def _wrap(behaviour: Callable[..., Any], request_streaming: bool) -> Any:
        async def refuse(context: grpc.aio.ServicerContext, error: InvalidArgument) -> None:
            status = rpc_status.to_status(to_rpc_status(error))
            await context.abort(status.code, status.details, status.trailing_metadata)

        if inspect.isasyncgenfunction(behaviour):

            async def stream_wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                if isinstance(request, Undecodable):
                    await refuse(context, request.error)
                async for response in behaviour(WatchedRequests(request, _refuse_undecodable) if request_streaming else request, context):
                    yield response

            return stream_wrapper

        async def coroutine_wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, Undecodable):
                await refuse(context, request.error)
            return await behaviour(WatchedRequests(request, _refuse_undecodable) if request_streaming else request, context)

        return coroutine_wrapper

"""Limits no single client can get around: calls served at once (health excepted), open streams per client,
and streams that sit idle.

grpc's own `maximum_concurrent_rpcs` counts health checks too, so a thousand idle streams made every probe
fail; this interceptor counts every call but health's, so a server at its limit still answers its probes.
Streams (any RPC with a request or response stream) are also counted per client host, so one client cannot
take the whole budget; and a stream whose client sends nothing for `stream_idle_timeout_s` while the server
waits to read is ended, so forgotten streams give their slot back.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from glm3.servers.common.errors import Glm3Error, ResourceExhausted, Unavailable
from glm3.servers.common.interceptors import WatchedRequests
from glm3.servers.common.status import to_rpc_status

EXEMPT_PREFIX = "/grpc.health.v1.Health/"


def client_host(peer: str) -> str:
    """The host part of a gRPC peer string (`ipv4:127.0.0.1:5000` -> `127.0.0.1`, `ipv6:[::1]:5000` -> `::1`)."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]")
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    return peer  # unix sockets and others: the whole string


def _idle(timeout: float) -> Callable[[], Unavailable]:
    def error() -> Unavailable:
        return Unavailable(
            f"the stream sent nothing for {timeout:g} s and was closed (server.stream_idle_timeout_s); "
            "open a new one when there is more to send",
            reason="STREAM_IDLE",
        )

    return error


class CallLimitInterceptor(grpc.aio.ServerInterceptor):
    """RESOURCE_EXHAUSTED beyond `max_calls` calls at once (health not counted) or `max_streams_per_client`
    open streams from one host; UNAVAILABLE for a stream idle longer than `stream_idle_timeout_s`."""

    def __init__(self, max_calls: int, max_streams_per_client: int, stream_idle_timeout_s: float | None) -> None:
        self.max_calls = max_calls
        self.max_streams_per_client = max_streams_per_client
        self.stream_idle_timeout_s = stream_idle_timeout_s
        self.in_flight = 0
        self.streams: dict[str, int] = {}
        self.refused = 0

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(EXEMPT_PREFIX):
            return handler
        streaming = bool(handler.request_streaming or handler.response_streaming)
        for name in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            behaviour = getattr(handler, name)
            if behaviour is not None:
                wrapped = self._wrap(behaviour, streaming, handler.request_streaming)
                return handler._replace(**{name: wrapped})  # type: ignore[attr-defined]
        return handler

    def _admit(self, context: grpc.aio.ServicerContext, streaming: bool) -> str | Glm3Error:
        """Takes a slot (and returns the client key, '' for a unary call) or returns why not."""
        if self.in_flight >= self.max_calls:
            return ResourceExhausted(
                f"the server is serving {self.max_calls:,} calls at once (server.max_concurrent_rpcs); retry later",
                reason="TOO_MANY_CALLS",
            )
        key = ""
        if streaming:
            key = client_host(context.peer())
            if self.streams.get(key, 0) >= self.max_streams_per_client:
                return ResourceExhausted(
                    f"this client has {self.max_streams_per_client:,} streams open (server.max_streams_per_client); "
                    "close one, or send more per stream",
                    reason="TOO_MANY_STREAMS",
                )
            self.streams[key] = self.streams.get(key, 0) + 1
        self.in_flight += 1
        return key

    def _release(self, key: str) -> None:
        self.in_flight -= 1
        if key:
            left = self.streams[key] - 1
            if left:
                self.streams[key] = left
            else:
                del self.streams[key]

    async def _refuse(self, context: grpc.aio.ServicerContext, error: Glm3Error) -> None:
        self.refused += 1
        status = rpc_status.to_status(to_rpc_status(error))
        await context.abort(status.code, status.details, status.trailing_metadata)

    def _wrap(self, behaviour: Callable[..., Any], streaming: bool, request_streaming: bool) -> Any:
        limits = self
        idle = self.stream_idle_timeout_s if request_streaming else None

        if inspect.isasyncgenfunction(behaviour):

            async def stream_wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                key = limits._admit(context, streaming)
                if isinstance(key, Glm3Error):
                    await limits._refuse(context, key)
                    return
                try:
                    source = WatchedRequests(request, timeout=idle, on_timeout=_idle(idle)) if idle else request
                    async for response in behaviour(source, context):
                        yield response
                finally:
                    limits._release(key)

            return stream_wrapper

        async def coroutine_wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
            key = limits._admit(context, streaming)
            if isinstance(key, Glm3Error):
                await limits._refuse(context, key)
                return None
            try:
                source = WatchedRequests(request, timeout=idle, on_timeout=_idle(idle)) if idle else request
                return await behaviour(source, context)
            finally:
                limits._release(key)

        return coroutine_wrapper

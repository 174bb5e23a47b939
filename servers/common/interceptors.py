"""Cross-cutting work around every RPC: request ids, access logs, and mapping errors to statuses.

Each interceptor is an async context manager around the RPC's behaviour, whatever its shape (unary,
server-streaming async generator, or a coroutine writing to the context). Server interceptors run in list
order, the first outermost: `[RequestIdInterceptor(), AccessLogInterceptor(), MetricsInterceptor(...),
ErrorMappingInterceptor()]` gives every log line the request id, and the access log and the metrics see the
status the error mapping chose.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_status import rpc_status

from glm3.servers.common import errors
from glm3.servers.common.logs import request_id_var
from glm3.servers.common.metrics import RpcMetrics
from glm3.servers.common.status import internal_status, to_rpc_status

REQUEST_ID_KEY = "x-request-id"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

access_log = logging.getLogger("glm3.access")
log = logging.getLogger("glm3.server")

_BEHAVIOURS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")


class AroundInterceptor(grpc.aio.ServerInterceptor):
    """Base: wraps every method handler's behaviour in `self.around(details, context)`."""

    def around(
        self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext
    ) -> contextlib.AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None  # unknown method: gRPC answers UNIMPLEMENTED itself
        for name in _BEHAVIOURS:
            behaviour = getattr(handler, name)
            if behaviour is not None:
                wrapped = self._wrap(behaviour, handler_call_details)
                return handler._replace(**{name: wrapped})  # type: ignore[attr-defined]
        return handler

    def _wrap(self, behaviour: Callable[..., Any], details: grpc.HandlerCallDetails) -> Any:
        around = self.around
        # gRPC picks how to drive a handler from the kind of function it is, so keep the kind.
        if inspect.isasyncgenfunction(behaviour):

            async def stream_wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                async with around(details, context):
                    async for response in behaviour(request, context):
                        yield response

            return stream_wrapper
        if inspect.iscoroutinefunction(behaviour):

            async def coroutine_wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
                async with around(details, context):
                    return await behaviour(request, context)

            return coroutine_wrapper
        return behaviour  # synchronous handlers are not used by these servers


def _metadata_value(details: grpc.HandlerCallDetails, key: str) -> str | None:
    for item in details.invocation_metadata or ():
        if item.key == key:
            value = item.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return None


def current_request_id() -> str | None:
    """The request id of the RPC being served, if any."""
    return request_id_var.get()


class RequestIdInterceptor(AroundInterceptor):
    """Takes the client's `x-request-id` (or makes one) and returns it in the initial metadata."""

    @contextlib.asynccontextmanager
    async def around(
        self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[None]:
        given = _metadata_value(details, REQUEST_ID_KEY)
        request_id = given if given and _REQUEST_ID_OK.match(given) else uuid.uuid4().hex
        # Set, never reset: gRPC runs each RPC in a task of its own, so the value ends with the call; a reset
        # fails when a cancelled stream is finalised in another context.
        request_id_var.set(request_id)
        await context.send_initial_metadata(((REQUEST_ID_KEY, request_id),))
        yield


def _code_name(code: Any) -> str:
    if isinstance(code, grpc.StatusCode):
        return code.name
    return "OK" if code is None else str(code)


class AccessLogInterceptor(AroundInterceptor):
    """One JSON line per RPC: method, status code, duration, peer, request id."""

    @contextlib.asynccontextmanager
    async def around(
        self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[None]:
        started = time.perf_counter()
        # Read the peer now: once the call is over (a stream closed late by the event loop's async
        # generator finaliser) asking the core for it crashes the process.
        peer = context.peer()
        code: Any = None
        try:
            yield
            code = context.code()
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except BaseException:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        finally:
            access_log.info(
                "rpc",
                extra={
                    "method": details.method,
                    "code": _code_name(code),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "peer": peer,
                    "request_id": current_request_id(),
                },
            )


class ErrorMappingInterceptor(AroundInterceptor):
    """Domain errors become their status with ErrorInfo/BadRequest details; anything else is INTERNAL."""

    @contextlib.asynccontextmanager
    async def around(
        self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[None]:
        try:
            yield
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except errors.Glm3Error as exc:
            status = rpc_status.to_status(to_rpc_status(exc))
            await context.abort(status.code, status.details, status.trailing_metadata)
        except Exception:
            # The trace stays in the server log; the client gets the request id to quote.
            log.exception("unexpected error in %s", details.method)
            request_id = current_request_id()
            message = "internal error" + (f" (request id {request_id})" if request_id else "")
            status = rpc_status.to_status(internal_status(message))
            await context.abort(status.code, status.details, status.trailing_metadata)


class WatchedRequests:
    """A client stream that hands each message to `each` (which may raise, ending the call) before the
    handler sees it; with `timeout`, the next message must arrive within that many seconds of the handler
    asking for it, else `on_timeout()` is raised. The one wrapper the interceptors put around request
    streams (metrics count, access control checks, limits time, decoding refuses)."""

    __slots__ = ("_source", "_iterator", "_each", "_timeout", "_on_timeout")

    def __init__(
        self,
        source: Any,
        each: Callable[[Any], None] | None = None,
        *,
        timeout: float | None = None,
        on_timeout: Callable[[], BaseException] | None = None,
    ) -> None:
        self._source = source
        self._iterator: Any = None
        self._each = each
        self._timeout = timeout
        self._on_timeout = on_timeout

    def __aiter__(self) -> WatchedRequests:
        return self

    async def __anext__(self) -> Any:
        if self._iterator is None:
            self._iterator = self._source.__aiter__()
        if self._timeout is None:
            message = await self._iterator.__anext__()
        else:
            try:
                async with asyncio.timeout(self._timeout):
                    message = await self._iterator.__anext__()
            except TimeoutError:
                raise (self._on_timeout() if self._on_timeout else TimeoutError()) from None
        if self._each is not None:
            self._each(message)
        return message


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Prometheus metrics of every RPC: count by method and code, duration, in progress, stream messages.

    Written out rather than built on `AroundInterceptor`: it also wraps the request stream, and on the
    hot path plain try/finally costs less than an async context manager.
    """

    def __init__(self, metrics: RpcMetrics) -> None:
        self.metrics = metrics

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        for name in _BEHAVIOURS:
            behaviour = getattr(handler, name)
            if behaviour is not None:
                wrapped = self._wrap(behaviour, handler_call_details.method, handler.request_streaming)
                return handler._replace(**{name: wrapped})  # type: ignore[attr-defined]
        return handler

    def _wrap(self, behaviour: Callable[..., Any], method: str, request_streaming: bool) -> Any:
        metrics = self.metrics
        duration, in_progress, received, sent = metrics.for_method(method)

        def count(_message: Any) -> None:
            received.inc()

        def finish(started: float, code: Any) -> None:
            in_progress.dec()
            duration.observe(time.perf_counter() - started)
            metrics.finished(method, _code_name(code))

        if inspect.isasyncgenfunction(behaviour):

            async def stream_wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                if request_streaming:
                    request = WatchedRequests(request, count)
                started = time.perf_counter()
                in_progress.inc()
                code: Any = None
                try:
                    async for response in behaviour(request, context):
                        yield response
                        sent.inc()
                    code = context.code()
                except (asyncio.CancelledError, GeneratorExit):
                    code = grpc.StatusCode.CANCELLED
                    raise
                except BaseException:
                    code = context.code() or grpc.StatusCode.UNKNOWN
                    raise
                finally:
                    finish(started, code)

            return stream_wrapper
        if inspect.iscoroutinefunction(behaviour):

            async def coroutine_wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
                if request_streaming:
                    request = WatchedRequests(request, count)
                started = time.perf_counter()
                in_progress.inc()
                code: Any = None
                try:
                    result = await behaviour(request, context)
                    code = context.code()
                    return result
                except asyncio.CancelledError:
                    code = grpc.StatusCode.CANCELLED
                    raise
                except BaseException:
                    code = context.code() or grpc.StatusCode.UNKNOWN
                    raise
                finally:
                    finish(started, code)

            return coroutine_wrapper
        return behaviour  # synchronous handlers are not used by these servers


def default_interceptors(metrics: RpcMetrics | None = None) -> list[grpc.aio.ServerInterceptor]:
    """The interceptors both servers install, in order; RPC metrics only when `metrics` is given."""
    interceptors: list[grpc.aio.ServerInterceptor] = [RequestIdInterceptor(), AccessLogInterceptor()]
    if metrics is not None:
        interceptors.append(MetricsInterceptor(metrics))
    interceptors.append(ErrorMappingInterceptor())
    return interceptors

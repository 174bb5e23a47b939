"""Network checks of the services the pipeline depends on: HTTP endpoint, TCP port, gRPC health.

A target that does not answer within its `timeout_s` is CRITICAL with `error: "timeout"`: for its callers
a service that hangs is down (as for Kubernetes probes and the blackbox exporter). UNKNOWN is kept for a
check that could not do its job at all (it hung past its guard or crashed), which the runner reports.
Every failure names its cause in `details["error"]` (`timeout`, `connection_refused`, `http_status`, ...)
for diagnosis rules.

The gRPC health probe is a gRPC *client*, so this module imports grpc; it never serves anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from glm3.servers.ops.checks_core import Observation
from glm3.servers.ops.models import HealthStatus

if TYPE_CHECKING:
    from glm3.servers.ops.checks import GrpcHealthCheck, HttpCheck, TcpCheck

__all__ = ["grpc_channel", "probe_grpc", "probe_http", "probe_tcp"]

_BODY_EXCERPT_BYTES = 300


def _elapsed_ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def describe_os_error(exc: BaseException) -> tuple[str, str]:
    """A phrase and an error code for a failed connection: ('connection refused', 'connection_refused')."""
    if isinstance(exc, socket.gaierror):
        return "cannot resolve host name", "dns"
    code = getattr(exc, "errno", None)
    if code == errno.ECONNREFUSED:
        return "connection refused", "connection_refused"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "host unreachable", "unreachable"
    if code == errno.ECONNRESET:
        return "connection reset", "connection_reset"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:], "connection_error"


def _expected(check: HttpCheck) -> str:
    codes = [str(code) for code in check.expected_statuses]
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]


async def probe_http(session: aiohttp.ClientSession, check: HttpCheck) -> Observation:
    what = f"{check.method} {check.url}"
    details: dict[str, Any] = {"url": check.url, "method": check.method}
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(check.timeout_s):
            async with session.request(check.method, check.url) as response:
                status = response.status
                body = b""
                if status not in check.expected_statuses:
                    body = await response.content.read(_BODY_EXCERPT_BYTES)
    except TimeoutError:
        details |= {"error": "timeout", "timeout_s": check.timeout_s}
        message = f"{what} did not answer within {check.timeout_s:g} s"
        return Observation(HealthStatus.CRITICAL, message, details)
    except aiohttp.ClientConnectorError as exc:
        phrase, code = describe_os_error(exc.os_error)
        if isinstance(exc, aiohttp.ClientSSLError):
            phrase, code = f"TLS error: {exc}", "tls"
        details |= {"error": code, "latency_ms": _elapsed_ms(t0)}
        return Observation(HealthStatus.CRITICAL, f"{what} failed: {phrase}", details)
    except aiohttp.ServerDisconnectedError:
        details |= {"error": "disconnected", "latency_ms": _elapsed_ms(t0)}
        return Observation(HealthStatus.CRITICAL, f"{what} failed: server closed the connection", details)
    except aiohttp.ClientError as exc:
        details |= {"error": "http_error", "latency_ms": _elapsed_ms(t0)}
        return Observation(HealthStatus.CRITICAL, f"{what} failed: {exc or type(exc).__name__}", details)
    latency = _elapsed_ms(t0)
    details |= {"http_status": status, "latency_ms": latency}
    if status not in check.expected_statuses:
        details |= {"error": "http_status", "body_excerpt": body.decode("utf-8", "replace")}
        message = f"{what} answered {status} (expected {_expected(check)})"
        return Observation(HealthStatus.CRITICAL, message, details)
    limit = check.degraded_latency_ms
    if limit is not None and latency > limit:
        details["degraded_latency_ms"] = limit
        message = f"{what} answered {status} in {latency:.0f} ms (degraded above {limit:g} ms)"
        return Observation(HealthStatus.DEGRADED, message, details)
    return Observation(HealthStatus.HEALTHY, f"{what} answered {status} in {latency:.0f} ms", details)


async def probe_tcp(check: TcpCheck) -> Observation:
    where = f"{check.host}:{check.port}"
    details: dict[str, Any] = {"host": check.host, "port": check.port}
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(check.timeout_s):
            _, writer = await asyncio.open_connection(check.host, check.port)
    except TimeoutError:
        details |= {"error": "timeout", "timeout_s": check.timeout_s}
        message = f"{where} did not accept a connection within {check.timeout_s:g} s"
        return Observation(HealthStatus.CRITICAL, message, details)
    except OSError as exc:
        phrase, code = describe_os_error(exc)
        details |= {"error": code, "latency_ms": _elapsed_ms(t0)}
        return Observation(HealthStatus.CRITICAL, f"cannot connect to {where}: {phrase}", details)
    latency = _elapsed_ms(t0)
    writer.close()
    with contextlib.suppress(OSError):  # the peer may reset at once; accepting is what we check
        await writer.wait_closed()
    details["latency_ms"] = latency
    return Observation(HealthStatus.HEALTHY, f"{where} accepts connections ({latency:.1f} ms)", details)


def grpc_channel(check: GrpcHealthCheck) -> grpc.aio.Channel:
    """A channel for the health probe; short reconnect backoff so a target that came back is seen soon."""
    options = [
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.min_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 2000),
        ("grpc.enable_retries", 0),
    ]
    if check.tls:
        return grpc.aio.secure_channel(check.target, grpc.ssl_channel_credentials(), options=options)
    return grpc.aio.insecure_channel(check.target, options=options)


def _subject(check: GrpcHealthCheck) -> str:
    if check.service_name:
        return f"gRPC service {check.service_name!r} at {check.target}"
    return f"gRPC server {check.target}"


_STATUS_NAMES = {value: name for name, value in health_pb2.HealthCheckResponse.ServingStatus.items()}


async def probe_grpc(channel: grpc.aio.Channel, check: GrpcHealthCheck) -> tuple[Observation, bool]:
    """Asks `grpc.health.v1.Health/Check`; returns the observation and whether the channel failed (so the
    caller can replace it rather than wait for its reconnect backoff)."""
    subject = _subject(check)
    details: dict[str, Any] = {"target": check.target, "service_name": check.service_name}
    stub = health_pb2_grpc.HealthStub(channel)
    t0 = time.perf_counter()
    try:
        response = await stub.Check(
            health_pb2.HealthCheckRequest(service=check.service_name), timeout=check.timeout_s
        )
    except grpc.aio.AioRpcError as exc:
        details |= {"latency_ms": _elapsed_ms(t0), "grpc_code": exc.code().name}
        return _rpc_failure(exc, check, subject, details), True
    latency = _elapsed_ms(t0)
    name = _STATUS_NAMES.get(response.status, str(response.status))
    details |= {"latency_ms": latency, "serving_status": name}
    if response.status == health_pb2.HealthCheckResponse.SERVING:
        return Observation(HealthStatus.HEALTHY, f"{subject} is SERVING ({latency:.1f} ms)", details), False
    details["error"] = name.lower()
    return Observation(HealthStatus.CRITICAL, f"{subject} is {name}", details), False


def _rpc_failure(
    exc: grpc.aio.AioRpcError, check: GrpcHealthCheck, subject: str, details: dict[str, Any]
) -> Observation:
    code = exc.code()
    text = exc.details() or ""
    if code is grpc.StatusCode.NOT_FOUND:
        details["error"] = "service_unknown"
        message = f"gRPC server {check.target} does not know service {check.service_name!r}"
    elif code is grpc.StatusCode.UNIMPLEMENTED:
        details["error"] = "unimplemented"
        message = f"gRPC server {check.target} does not implement grpc.health.v1.Health"
    elif code is grpc.StatusCode.DEADLINE_EXCEEDED:
        details |= {"error": "timeout", "timeout_s": check.timeout_s}
        message = f"{subject} did not answer within {check.timeout_s:g} s"
    elif code is grpc.StatusCode.UNAVAILABLE:
        refused = "connection refused" in text.lower()
        details["error"] = "connection_refused" if refused else "unavailable"
        message = f"cannot reach gRPC server {check.target}: {'connection refused' if refused else text}"
    else:
        details["error"] = code.name.lower()
        message = f"health check of {subject} failed: {code.name}: {text}"
    return Observation(HealthStatus.CRITICAL, message, details)

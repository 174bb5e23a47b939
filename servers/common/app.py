"""The gRPC server factory both servers share: limits, interceptors, health, reflection, metrics, shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from glm3.servers.common import page_tokens, reflection
from glm3.servers.common.access import AccessInterceptor
from glm3.servers.common.auth import Authenticator
from glm3.servers.common.decoding import DecodingInterceptor
from glm3.servers.common.health import DependencyProbe, HealthReporter, HealthServicer
from glm3.servers.common.interceptors import default_interceptors
from glm3.servers.common.limits import CallLimitInterceptor
from glm3.servers.common.metrics import MetricsServer, RpcMetrics, listen, new_registry
from glm3.servers.common.ports import ensure_free
from glm3.servers.common.settings import BaseSettings, is_loopback
from glm3.servers.common.tls import ServerCertificates
from glm3.servers.storage.audit import AuditLog

log = logging.getLogger("glm3.server")


@dataclass(frozen=True)
class ServiceBinding:
    """A servicer and how to add it: `add(servicer, server)` is the generated `add_XServicer_to_server`."""

    full_name: str
    servicer: object
    add: Callable[[object, grpc.aio.Server], None]


@dataclass
class ServerDeps:
    """What a server is made of besides its settings: services, dependency probes, resources to close."""

    services: Sequence[ServiceBinding]
    probes: Sequence[DependencyProbe] = ()
    # Closed in order after the server stopped and running RPCs finished.
    closers: Sequence[Callable[[], Awaitable[None]]] = ()
    extra_interceptors: Sequence[grpc.aio.ServerInterceptor] = field(default_factory=list)
    # The process's metrics: what make_deps handed to the components it built; RPC metrics join it here.
    registry: CollectorRegistry = field(default_factory=new_registry)
    # Where state-changing and denied calls are recorded (None: not recorded, in tests of other things).
    audit: AuditLog | None = None


def grpc_options(settings: BaseSettings, *, reuse_port: bool = False) -> list[tuple[str, int]]:
    """Channel arguments from the settings: message limits and a keepalive policy clients can live with.
    `reuse_port`: a worker of several on one port (SO_REUSEPORT); otherwise a port in use stays an error."""
    s = settings.server
    return [
        ("grpc.max_receive_message_length", s.max_receive_message_bytes),
        ("grpc.max_send_message_length", s.max_send_message_bytes),
        ("grpc.keepalive_time_ms", int(s.keepalive_time_s * 1000)),
        ("grpc.keepalive_timeout_ms", int(s.keepalive_timeout_s * 1000)),
        # Accept client keepalive pings down to this interval, with or without calls in flight, instead of
        # the gRPC default of answering pings more often than every 5 minutes with GOAWAY too_many_pings.
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", int(s.min_client_ping_interval_s * 1000)),
        ("grpc.http2.max_ping_strikes", 2),
        # Keep pinging idle connections (the default stops after 2 pings without data), so a peer that
        # vanished (a half-open TCP connection) is found and closed after keepalive_timeout_s.
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_concurrent_streams", s.max_concurrent_streams),
        ("grpc.server_handshake_timeout_ms", int(s.handshake_timeout_s * 1000)),
        *_optional_ms("grpc.max_connection_idle_ms", s.max_connection_idle_s),
        *_optional_ms("grpc.max_connection_age_ms", s.max_connection_age_s),
        *_optional_ms("grpc.max_connection_age_grace_ms", s.max_connection_age_grace_s if s.max_connection_age_s else 0),
        ("grpc.so_reuseport", 1 if reuse_port else 0),
    ]


def _optional_ms(name: str, seconds: float) -> list[tuple[str, int]]:
    """A channel argument in milliseconds, or none when the setting is 0 (disabled: grpc's default)."""
    return [(name, int(seconds * 1000))] if seconds > 0 else []


class Glm3Server:
    """A started-or-not gRPC server with its health reporting and the resources it must close."""

    def __init__(
        self,
        server: grpc.aio.Server,
        reporter: HealthReporter,
        closers: Sequence[Callable[[], Awaitable[None]]],
        grace: float,
        metrics: MetricsServer | None = None,
    ) -> None:
        self.grpc_server = server
        self.health = reporter
        self.metrics = metrics
        self._closers = list(closers)
        self._grace = grace
        self._stopped = asyncio.Event()
        self._stopping = False
        self.access: AccessInterceptor | None = None
        self.limits: CallLimitInterceptor | None = None
        self.certificates: ServerCertificates | None = None

    async def start(self) -> None:
        await self.health.start()  # statuses are set before the first client can ask
        if self.metrics is not None:
            await self.metrics.start()
            log.info("metrics listening", extra={"url": self.metrics.url})
        await self.grpc_server.start()

    @property
    def metrics_port(self) -> int | None:
        """The port of the /metrics endpoint, None when it is off."""
        return None if self.metrics is None else self.metrics.port

    async def stop(self, grace: float | None = None) -> None:
        """Graceful shutdown: NOT_SERVING, refuse new RPCs, let running ones finish within the grace
        period (then cancel them), then close the resources. Safe to call more than once."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        grace = self._grace if grace is None else grace
        try:
            await self.health.shutdown()
            await self.grpc_server.stop(grace)
        finally:
            if self.metrics is not None:  # after the RPCs, so a last scrape sees them
                try:
                    await self.metrics.stop()
                except Exception:
                    log.exception("error while stopping the metrics endpoint")
            for close in self._closers:
                try:
                    await close()
                except Exception:
                    log.exception("error while closing a resource at shutdown")
            self._stopped.set()

    async def wait_for_termination(self) -> None:
        await self._stopped.wait()


def build_server(settings: BaseSettings, deps: ServerDeps, *, reuse_port: bool = False) -> tuple[Glm3Server, int]:
    """Builds (not starts) the server and binds its port; returns it and the port actually bound.
    `reuse_port`: bind with SO_REUSEPORT, as one of several workers on the port (servers/common/workers.py).

    Must be called with an event loop running. Raises OSError when the address (or, when metrics are
    served, their port on the same host) cannot be bound; `Glm3Server.metrics_port` is the one bound.
    Raises ConfigError when the TLS or principals files cannot be used.
    """
    s = settings.server
    page_tokens.set_secret(s.page_token_secret.get_secret_value() if s.page_token_secret else "")
    authenticator = (
        Authenticator(settings.auth.principals_file, reload_interval_s=settings.auth.reload_interval_s)
        if settings.auth.enabled
        else None
    )
    certificates = (
        ServerCertificates(s.tls, reload_interval_s=settings.auth.reload_interval_s) if s.tls.enabled else None
    )
    access = AccessInterceptor(authenticator, deps.audit)
    limits = CallLimitInterceptor(
        s.max_concurrent_rpcs, s.max_streams_per_client, s.stream_idle_timeout_s or None
    )
    interceptors = default_interceptors(RpcMetrics(deps.registry))
    # Inside the access log and the metrics (refusals and denials are logged and counted), outside the error
    # mapping; the limits first, so a refused call costs no authentication.
    interceptors[-1:-1] = [DecodingInterceptor(), limits, access]
    # No grpc maximum_concurrent_rpcs: it would count health checks too (CallLimitInterceptor does not).
    server = grpc.aio.server(
        interceptors=[*interceptors, *deps.extra_interceptors], options=grpc_options(settings, reuse_port=reuse_port)
    )
    for binding in deps.services:
        binding.add(binding.servicer, server)

    health_servicer = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)

    names = [b.full_name for b in deps.services]
    if s.reflection_enabled:
        reflection.enable(server, [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name])
    address = f"{s.host}:{s.port}"
    if not reuse_port:  # a worker shares the port with its siblings: there, only the real bind can tell
        ensure_free(s.host, s.port, "server.port")
    try:
        if certificates is not None:
            port = server.add_secure_port(address, certificates.credentials())
        else:
            port = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {address}: {exc}") from None
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    if not is_loopback(s.host) and not (certificates is not None and authenticator is not None):
        log.warning(
            "listening on a non-loopback address without TLS and authentication (server.allow_insecure): "
            "anyone who reaches the port can call every RPC",
            extra={"address": address, "tls": certificates is not None, "auth": authenticator is not None},
        )
    metrics = MetricsServer(deps.registry, listen(s.host, settings.metrics.port)) if settings.metrics.enabled else None
    reporter = HealthReporter(
        health_servicer,
        names,
        deps.probes,
        interval=s.dependency_probe_interval_s,
        timeout=s.dependency_probe_timeout_s,
        registry=deps.registry,
    )
    built = Glm3Server(server, reporter, deps.closers, s.shutdown_grace_s, metrics)
    built.access, built.certificates, built.limits = access, certificates, limits
    return built, port

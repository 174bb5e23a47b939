"""`grpc.health.v1` status that follows the real state of the server's dependencies.

A `DependencyProbe` answers whether one dependency (e.g. the store) works now. The `HealthReporter` probes
them at start and then every `interval`, each within `timeout`, and sets SERVING or NOT_SERVING for the
overall server ("") and each of its services. At shutdown every status turns NOT_SERVING for good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc
from prometheus_client import CollectorRegistry, Gauge
from grpc_health.v1 import health_pb2, health_pb2_grpc

log = logging.getLogger("glm3.health")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


class HealthServicer(health_pb2_grpc.HealthServicer):
    """`grpc.health.v1.Health` whose Watch streams end once NOT_SERVING is sent at shutdown.

    grpcio-health-checking's servicer keeps Watch streams open through shutdown, so one watching client
    would hold the server for the whole grace period; here they get NOT_SERVING and then a clean end.
    """

    def __init__(self) -> None:
        self._status: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._shutting_down = False

    async def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        status = self._status.get(request.service)
        if status is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=status)

    async def Watch(  # type: ignore[override]
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[health_pb2.HealthCheckResponse]:
        last: int | None = None
        while True:
            async with self._changed:
                status = self._status.get(request.service, SERVICE_UNKNOWN)
                if status == last and not self._shutting_down:
                    await self._changed.wait()
                    continue
                ending = self._shutting_down
            if status != last:
                yield health_pb2.HealthCheckResponse(status=status)
                last = status
            if ending:
                return

    async def set(self, service: str, status: int) -> None:
        """Sets a service's status and wakes its watchers; ignored once shutting down."""
        async with self._changed:
            if self._shutting_down:
                return
            self._status[service] = status
            self._changed.notify_all()

    async def enter_graceful_shutdown(self) -> None:
        """Every status NOT_SERVING, for good; watchers get it and their streams end."""
        async with self._changed:
            self._shutting_down = True
            for service in self._status:
                self._status[service] = NOT_SERVING
            self._changed.notify_all()


@dataclass(frozen=True)
class DependencyProbe:
    """A named check of one dependency: `probe()` returns normally when it works and raises otherwise."""

    name: str
    probe: Callable[[], Awaitable[None]]


class HealthReporter:
    """Keeps the health servicer's statuses in line with the dependency probes."""

    def __init__(
        self,
        servicer: HealthServicer,
        service_names: Sequence[str],
        probes: Sequence[DependencyProbe],
        *,
        interval: float,
        timeout: float,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.servicer = servicer
        self.service_names = ["", *service_names]
        self.probes = list(probes)
        self.interval = interval
        self.timeout = timeout
        self.failures: dict[str, str] = {}
        self._serving: bool | None = None
        self._task: asyncio.Task[None] | None = None
        self._serving_gauge = self._dependency_gauge = None
        if registry is not None:
            # With several workers (multiprocess metrics), the minimum over the live workers: 1 only while
            # every one of them answers SERVING / passed its probe.
            self._serving_gauge = Gauge(
                "glm3_health_serving", "1 while health answers SERVING, 0 while NOT_SERVING",
                multiprocess_mode="livemin", registry=registry,
            )
            self._dependency_gauge = Gauge(
                "glm3_dependency_up", "1 while a dependency's last probe passed (storage: read and write)",
                ["dependency"], multiprocess_mode="livemin", registry=registry,
            )

    async def _run_probe(self, probe: DependencyProbe) -> str | None:
        try:
            await asyncio.wait_for(probe.probe(), self.timeout)
        except TimeoutError:
            return f"no answer within {self.timeout:g}s"
        except Exception as exc:  # a probe's failure is data, not a crash
            return f"{type(exc).__name__}: {exc}"
        return None

    async def refresh(self) -> bool:
        """Probes every dependency once and publishes the result; returns whether the server is SERVING."""
        outcomes = await asyncio.gather(*(self._run_probe(p) for p in self.probes))
        self.failures = {p.name: why for p, why in zip(self.probes, outcomes) if why is not None}
        serving = not self.failures
        if serving != self._serving:
            if serving:
                log.info("health SERVING")
            else:
                log.warning("health NOT_SERVING", extra={"failures": self.failures})
            self._serving = serving
        if self._serving_gauge is not None and self._dependency_gauge is not None:
            self._serving_gauge.set(1 if serving else 0)
            for probe in self.probes:
                self._dependency_gauge.labels(probe.name).set(0 if probe.name in self.failures else 1)
        status = SERVING if serving else NOT_SERVING
        for name in self.service_names:
            await self.servicer.set(name, status)
        return serving

    async def start(self) -> None:
        """Probes once (so the first answer is real), then keeps probing in the background."""
        await self.refresh()
        self._task = asyncio.create_task(self._loop(), name="glm3-health-probes")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.refresh()

    async def shutdown(self) -> None:
        """NOT_SERVING for every service, permanently; stops probing."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.servicer.enter_graceful_shutdown()

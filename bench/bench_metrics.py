"""What the RPC metrics interceptor costs: the same server with and without it, side by side.

First the interceptor's own CPU cost per RPC, measured in isolation (wrapping the handler, the in-progress
gauge, the duration histogram, the counter), which is what end-to-end numbers cannot resolve on a shared
machine. Then two gRPC servers sharing one real scoring servicer (heuristic scorer, LanceDB in a temp dir),
differing only in `MetricsInterceptor`, alternating in rounds so drift hits both alike:
- `Health/Check`: the cheapest RPC there is;
- unary `Score` of a signal already stored (idempotency look-up, no write);
- unary `Score` of new signals from 32 concurrent callers (group commit), as throughput.
The access log is silenced on both sides (it would only add the same cost to each).

Run: `.venv/bin/python bench/bench_metrics.py [--calls N] [--rounds R]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

import logging

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2
from glm3.servers.common.app import grpc_options
from glm3.servers.common.health import SERVING, HealthServicer
from glm3.servers.common.interceptors import MetricsInterceptor, default_interceptors
from glm3.servers.common.metrics import RpcMetrics
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings

_ids = itertools.count()


def signal(n: int) -> signal_pb2.Signal:
    return signal_pb2.Signal(
        id=f"bench-{n}", title=f"Invoice matcher {n}", description="I would pay to stop matching invoices.",
        source="reddit",
    )


async def start(settings: ScoringSettings, servicer: object, metrics: bool) -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server(
        interceptors=default_interceptors(RpcMetrics(CollectorRegistry()) if metrics else None),
        options=grpc_options(settings),
    )
    pb_grpc.add_ScoringServiceServicer_to_server(servicer, server)
    health = HealthServicer()
    await health.set("", SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


async def timed(calls: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    out = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1e6)
    return out


async def throughput(stub: pb_grpc.ScoringServiceStub, calls: int, concurrency: int = 32) -> float:
    fresh = [next(_ids) for _ in range(calls)]
    queue = iter(fresh)

    async def worker() -> None:
        for n in queue:
            await stub.Score(pb.ScoreRequest(signal=signal(n)), timeout=30)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return calls / (time.perf_counter() - started)


class _Context:
    def code(self) -> None:
        return None


async def interceptor_cpu_us(calls: int = 100_000) -> tuple[float, float]:
    """Microseconds per call of a trivial handler, bare and as the interceptor wraps it for each RPC."""

    async def handler(request: int, context: object) -> int:
        return request

    interceptor = MetricsInterceptor(RpcMetrics(CollectorRegistry()))
    context = _Context()
    started = time.perf_counter()
    for _ in range(calls):
        await handler(1, context)
    bare = (time.perf_counter() - started) / calls * 1e6
    started = time.perf_counter()
    for _ in range(calls):
        await interceptor._wrap(handler, "/glm3.bench.Service/Method", False)(1, context)
    return bare, (time.perf_counter() - started) / calls * 1e6


async def main(calls: int, rounds: int) -> None:
    logging.getLogger("glm3.access").disabled = True
    bare, wrapped = await interceptor_cpu_us()
    print(f"interceptor CPU per RPC: {wrapped - bare:.1f} us (bare handler {bare:.2f} us, wrapped {wrapped:.2f} us)")
    with tempfile.TemporaryDirectory() as tmp:
        settings = ScoringSettings.model_validate(
            {"server": {"host": "127.0.0.1", "port": 0}, "storage": {"uri": f"{tmp}/db"}, "metrics": {"enabled": False}}
        )
        deps = await scoring_main.make_deps(settings)
        servicer = deps.services[0].servicer
        servers = {label: await start(settings, servicer, label == "with") for label in ("without", "with")}
        channels = {label: grpc.aio.insecure_channel(f"127.0.0.1:{port}") for label, (_, port) in servers.items()}
        results: dict[str, dict[str, list[float]]] = {label: {"check": [], "stored": [], "rps": []} for label in servers}
        try:
            stored = signal(next(_ids))
            await pb_grpc.ScoringServiceStub(channels["with"]).Score(pb.ScoreRequest(signal=stored), timeout=30)
            for number in range(rounds):
                order = list(channels.items())
                for label, channel in order if number % 2 else reversed(order):
                    health = health_pb2_grpc.HealthStub(channel)
                    stub = pb_grpc.ScoringServiceStub(channel)
                    request = health_pb2.HealthCheckRequest()
                    await timed(50, lambda: health.Check(request, timeout=10))  # warm-up
                    results[label]["check"] += await timed(calls, lambda: health.Check(request, timeout=10))
                    again = pb.ScoreRequest(signal=stored)
                    results[label]["stored"] += await timed(calls // 4, lambda: stub.Score(again, timeout=10))
                    results[label]["rps"].append(await throughput(stub, calls))
        finally:
            for channel in channels.values():
                await channel.close()
            for server, _ in servers.values():
                await server.stop(0)
            for close in deps.closers:
                await close()
    print(f"{calls} calls x {rounds} rounds per server; median latency in us, throughput in RPC/s (mean of rounds)")
    print(f"{'':10} {'Health/Check':>14} {'Score (stored)':>16} {'Score new x32':>15}")
    for label, r in results.items():
        print(
            f"{label:10} {statistics.median(r['check']):>14.1f} {statistics.median(r['stored']):>16.1f}"
            f" {statistics.mean(r['rps']):>15.0f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))

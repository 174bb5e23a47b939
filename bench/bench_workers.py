"""9. Workers on one host: ScoreStream with `server.workers` 1, 2 and `auto`, the real server (heuristic
scorer, LanceDB, metrics on: multiprocess mode with several workers) as `glm3-scoring-server`.

Load: CLIENTS client processes (this module with --client), each with STREAMS connections of its own
(`grpc.use_local_subchannel_pool`), one ScoreStream per connection, prebuilt frames of 100 signals (the
leanest client: every result checked to be a newly stored candidate, and the store's total after each
round). SO_REUSEPORT spreads connections, not calls, over the workers, so 16 connections give each of 2
workers some (all on one: odds 1 in 32,768; the note shows the least/most busy worker's CPU). With 8
connections 2 workers used ~1.3 of the 2 cores, latency-bound on their stream windows; 16 keep them busier.
Clients connect and warm up first, then all start at once; signals/s is from that start to the last result.
Each round's commits, rows per commit and merge conflicts (storage.shared) come from the supervisor's
/metrics: the diagnosis of per-signal CPU. On this machine (EPYC, 1 thread per core) the scorer alone does
as many signals per CPU-second with two copies running as with one, so the overhead is the server's.

Server CPU: user + system seconds of the supervisor and all its workers (psutil), from the start until the
server is idle again after the last result, so work a stream leaves behind (a compaction) is counted; per
1,000 signals. Each round starts a fresh server on a fresh database (the cost of a shared commit grows with
the table), configurations interleaved round by round; the best round of each counts.

What the rows mean on this machine: 2 cores, shared with the client processes. Raw signals/s cannot double
with a second worker when the client takes a good part of the second core, so that row is context. What
transfers to a larger machine is CPU per signal: a worker is one event loop (one core at most for its Python
side), so N workers have N times one worker's CPU budget, and throughput per CPU-second budget is
N x (signals per server CPU-second at N workers) against 1 x (the same at 1 worker). Target: >= 1.6x at 2
workers. Equivalently, the per-signal server CPU at N workers should stay within 1.2x of one worker (the
overhead of splitting: smaller group commits, conflict-checked merges of storage.shared, mmap metrics).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import psutil

from bench.harness import Row, best_of, free_port, say, scoring_server_process, wait_serving

GROUP = "9 workers"
CLIENTS = 2
STREAMS = 8  # per client process
FRAME = 100


# -- the client process ---------------------------------------------------------------------------------


async def _stream(stub: Any, frames: list[Any]) -> None:
    """One ScoreStream of prebuilt frames; every result must be a newly stored candidate."""
    expected = sum(len(f.batch.items) for f in frames)
    received = 0
    async for response in stub.ScoreStream(iter(frames)):
        for result in response.results.results:
            if result.WhichOneof("outcome") != "candidate" or result.already_scored:
                raise RuntimeError(f"not a new candidate: {result}")
        received += len(response.results.results)
    if received != expected:
        raise RuntimeError(f"{received} results for {expected} signals")


async def _client(target: str, count: int, streams: int, run: str) -> None:
    import grpc

    from bench import workload
    from bench.bench_stream import raw_frames
    from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc

    if not run.isalnum():
        raise ValueError("the run id is part of signal ids: letters and digits only")

    options = [("grpc.use_local_subchannel_pool", 1)]
    channels = [grpc.aio.insecure_channel(target, options=options) for _ in range(streams)]
    stubs = [pb_grpc.ScoringServiceStub(channel) for channel in channels]
    per_stream = count // streams
    frames = [
        raw_frames((workload.signal(n, f"{run}s{i}") for n in range(per_stream)), FRAME) for i in range(streams)
    ]
    warm = [raw_frames((workload.signal(n, f"{run}w{i}") for n in range(FRAME)), FRAME) for i in range(streams)]
    await asyncio.gather(*(_stream(stub, w) for stub, w in zip(stubs, warm)))  # connected, both sides warm
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(_stream(stub, f) for stub, f in zip(stubs, frames)))
    done = {"signals": per_stream * streams, "elapsed": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    print(json.dumps(done), flush=True)
    for channel in channels:
        await channel.close()


# -- measuring ------------------------------------------------------------------------------------------


def _cpu_by_pid(root: int) -> dict[int, float]:
    """User + system CPU seconds of `root` and every descendant, by pid."""
    out: dict[int, float] = {}
    try:
        parent = psutil.Process(root)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        out[process.pid] = float(times.user + times.system)
    return out


async def _settle(root: int, limit_s: float = 30.0, window_s: float = 0.5, idle_cores: float = 0.05) -> float:
    """Waits until the server uses less than `idle_cores` of a core over `window_s` (at most `limit_s`)."""
    deadline = time.perf_counter() + limit_s
    last = sum(_cpu_by_pid(root).values())
    while time.perf_counter() < deadline:
        await asyncio.sleep(window_s)
        now = sum(_cpu_by_pid(root).values())
        if now - last < idle_cores * window_s:
            return now
        last = now
    return last


@dataclass
class Round:
    workers: int
    signals: int
    elapsed: float
    server_cpu: float  # start to idle again
    stream_cpu: float  # start to the last result
    client_cpu: float
    per_worker: dict[int, float] = field(default_factory=dict)  # stream CPU by worker pid
    commits: float = 0.0  # group commits that wrote rows (all workers; from /metrics)
    conflicts: float = 0.0  # commits that met another worker's and were retried

    @property
    def rows_per_commit(self) -> float:
        return self.signals / self.commits if self.commits else float("nan")

    @property
    def rate(self) -> float:
        return self.signals / self.elapsed

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.server_cpu / self.signals

    @property
    def balance(self) -> float:
        """The least busy worker's stream CPU / the busiest one's (1: even; 0: one worker did everything)."""
        values = list(self.per_worker.values())
        return min(values) / max(values) if len(values) > 1 and max(values) > 0 else 1.0


class Producers:
    """Client processes started by `producers`, each warmed up and waiting for `go`."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    async def go(self) -> None:
        for client in self.processes:
            assert client.stdin is not None
            client.stdin.write(b"go\n")
            await client.stdin.drain()

    async def results(self, timeout: float) -> list[dict[str, Any]]:
        """Each client's JSON result line."""
        results = []
        for client in self.processes:
            assert client.stdout is not None
            line = await asyncio.wait_for(client.stdout.readline(), timeout)
            if not line:
                raise RuntimeError("a client process ended without its result")
            results.append(json.loads(line))
        return results


@contextlib.asynccontextmanager
async def producers(module: str, target: str, count: int, streams: int, clients: int, run: str) -> AsyncIterator[Producers]:
    """`clients` processes of `python -m module --client target n streams run-prefix`, sharing `count`
    signals; yielded once every one says it is ready; killed (if still running) on exit."""
    processes: list[asyncio.subprocess.Process] = []
    try:
        for i in range(clients):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", module, "--client", target, str(count // clients), str(streams), f"{run}c{i}",
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                )
            )
        for client in processes:
            assert client.stdout is not None
            line = await asyncio.wait_for(client.stdout.readline(), 120)
            if line.strip() != b"ready":
                raise RuntimeError(f"client did not get ready: {line!r}")
        yield Producers(processes)
    finally:
        for client in processes:
            if client.returncode is None:
                client.kill()
            await client.wait()


async def _round(workers: str, count: int, run: str, **env: str) -> Round:
    metrics_port = free_port()
    settings = {
        "GLM3_LOG_LEVEL": "WARNING", "GLM3_METRICS_ENABLED": "true", "GLM3_METRICS_PORT": str(metrics_port), **env
    }
    async with scoring_server_process(GLM3_SERVER_WORKERS=workers, **settings) as server:
        await wait_serving(server.target)
        async with producers("bench.bench_workers", server.target, count, STREAMS, CLIENTS, run) as clients:
            worker_pids = [p for p in _cpu_by_pid(server.pid) if p != server.pid]
            warm_metrics = await _commit_counts(metrics_port)
            before = _cpu_by_pid(server.pid)
            started = time.perf_counter()
            await clients.go()
            results = await clients.results(600)
            elapsed = time.perf_counter() - started
            after_stream = _cpu_by_pid(server.pid)
            settled = await _settle(server.pid)
        if len(_cpu_by_pid(server.pid)) < len(before):
            raise RuntimeError("a server process exited during the round")
        signals = sum(r["signals"] for r in results)
        await _check_stored(server.target, signals + CLIENTS * STREAMS * FRAME)
        commits_before, conflicts_before = warm_metrics
        commits, conflicts = await _commit_counts(metrics_port)
        return Round(
            commits=commits - commits_before,
            conflicts=conflicts - conflicts_before,
            workers=max(1, len(worker_pids)),
            signals=signals,
            elapsed=elapsed,
            server_cpu=settled - sum(before.values()),
            stream_cpu=sum(after_stream.values()) - sum(before.values()),
            client_cpu=sum(r["cpu"] for r in results),
            per_worker={pid: after_stream[pid] - before[pid] for pid in worker_pids if pid in after_stream},
        )


async def _commit_counts(port: int) -> tuple[float, float]:
    """(group commits that wrote rows, commit conflicts) so far, summed over the workers by /metrics."""
    import aiohttp
    from prometheus_client.parser import text_string_to_metric_families

    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    commits = conflicts = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "glm3_store_commit_rows_count":
                commits += sample.value
            elif sample.name == "glm3_store_commit_conflicts_total":
                conflicts += sample.value
    return commits, conflicts


async def _check_stored(target: str, expected: int, timeout: float = 10.0) -> None:
    """The store holds one candidate per signal sent (workers read each other's commits within
    storage.read_consistency_s, hence the retries)."""
    import grpc

    from bench.bench_stream import stored_total
    from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc

    deadline = time.perf_counter() + timeout
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        while (found := await stored_total(stub)) != expected:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the store holds {found} candidates, {expected} expected")
            await asyncio.sleep(0.5)


async def run(quick: bool) -> list[Row]:
    count = 24_000 if quick else 160_000
    rounds = 1 if quick else 3
    configs = ["1", "2", "auto"]
    results: dict[str, list[Round]] = {c: [] for c in configs}
    for number in range(rounds):
        for config in configs:
            r = await _round(config, count, f"r{number}{config}")  # letters and digits: part of signal ids
            results[config].append(r)
            say(
                f"  round {number + 1}, workers {config} ({r.workers}): {r.rate:,.0f} signals/s, server "
                f"{r.cpu_per_1000:.3f} CPU-s / 1,000 signals ({r.stream_cpu:.1f} s while streaming, "
                f"{r.server_cpu:.1f} s to idle), client {r.client_cpu:.1f} CPU-s, worker balance {r.balance:.2f}, "
                f"{r.commits:.0f} commits, {r.conflicts:.0f} conflicts"
            )
    best = {
        c: {
            "rate": best_of([r.rate for r in rs]),
            "cpu": best_of([r.cpu_per_1000 for r in rs], higher_is_better=False),
            "workers": rs[0].workers,
        }
        for c, rs in results.items()
    }
    one = best["1"]
    samples = {
        c: [
            {"signals_per_s": r.rate, "cpu_s_per_1000": r.cpu_per_1000, "stream_cpu_s": r.stream_cpu,
             "server_cpu_s": r.server_cpu, "client_cpu_s": r.client_cpu, "balance": r.balance, "workers": r.workers,
             "commits": r.commits, "rows_per_commit": r.rows_per_commit, "conflicts": r.conflicts}
            for r in rs
        ]
        for c, rs in results.items()
    }

    def commits(config: str) -> str:
        rs = results[config]
        rows = sum(r.signals for r in rs) / max(1.0, sum(r.commits for r in rs))
        return f"{rows:,.0f} rows a commit, {sum(r.conflicts for r in rs) / len(rs):.0f} conflicts a round"

    common: dict[str, Any] = {"signals": count, "rounds": rounds, "clients": CLIENTS, "streams_per_client": STREAMS,
                              "cpus": os.cpu_count(), "samples": samples}
    rows = []
    for config in ("2", "auto"):
        n = best[config]["workers"]
        label = f"{config} ({n})" if config == "auto" else config
        per_cpu_s_n, per_cpu_s_1 = 1000 / best[config]["cpu"], 1000 / one["cpu"]
        balance = min(r.balance for r in results[config])
        rows += [
            Row(
                GROUP,
                f"ScoreStream signals/s, {label} workers vs 1",
                best[config]["rate"],
                one["rate"],
                "signals/s",
                note=f"{CLIENTS} client processes x {STREAMS} connections on the same {os.cpu_count()} cores: "
                f"context, it cannot double here; least/most busy worker CPU {balance:.2f}",
                extra=common,
            ),
            Row(
                GROUP,
                f"throughput per CPU-second budget, {label} workers vs 1",
                n * per_cpu_s_n,
                per_cpu_s_1,
                "signals/CPU-s",
                target=1.6 if config == "2" else None,
                note=f"{n} x {per_cpu_s_n:,.0f} signals per server CPU-second vs 1 x {per_cpu_s_1:,.0f}: "
                "each worker adds one core's budget (what scales on a larger machine)",
            ),
            Row(
                GROUP,
                f"server CPU per 1,000 signals, {label} workers vs 1",
                best[config]["cpu"],
                one["cpu"],
                "CPU-s",
                target=1 / 1.2,
                higher_is_better=False,
                note=f"supervisor + workers, start to idle again (compaction included); target: within 1.2x; "
                f"{commits(config)} (1 worker: {commits('1')})",
            ),
        ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the client process of bench_workers (run by it)")
    parser.add_argument("--client", nargs=4, metavar=("TARGET", "COUNT", "STREAMS", "RUN"), required=True)
    args = parser.parse_args(argv)
    target, count, streams, run_id = args.client
    asyncio.run(_client(target, int(count), int(streams), run_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())

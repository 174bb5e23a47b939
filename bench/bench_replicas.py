"""10. Replicas on object storage: ScoreStream through REPLICAS `glm3-scoring-server` processes sharing one
LanceDB on a loopback S3 server, against one such server, the client balancing over the replicas.

The S3 server is moto's (`tests/support/s3.py`: ThreadedMotoServer in a child process on 127.0.0.1, port 0),
started once; every round gets a fresh database (its own prefix in the bucket) and fresh servers. Every
server runs as deployed for replicas: the console script, `storage.uri` s3://..., `storage.shared` true
(commits are conflict-checked merges), `storage.options` the S3 endpoint and keys, metrics off, one worker.
The one-server baseline has `storage.shared` true too, so the two cases differ only in the replica count.
The replicas start all at once on the new database (as a deployment rolls them out).

Load: CLIENTS client processes (this module with --client), each one `AsyncScoringClient` with the list
target of every server (one address for the baseline): one channel, round_robin, each new stream to the
next address that is up. Each client runs STREAMS concurrent `score_stream` calls (client defaults: frame
100, linger 5 ms, window 1,000) of unique signal ids, every result checked to be a newly stored candidate.
CLIENTS x STREAMS streams (6) give each of the 3 replicas two of them; the baseline gets the same 6 streams,
so the offered load is the same. Clients connect and warm up first (which also connects the balanced
channel to every replica), then all start at once; signals/s is from that start to the last result; after
each round the store holds exactly one candidate per signal sent (read through every server).

Spread: each replica's stream CPU (psutil) and its scoring count (GetScoringStats `scoring_latency.count`,
asked of that replica alone) must have grown during the measured streams; a replica that served nothing
is reported with a WARNING (the balancing, not the servers, would then be what the row measures).

Server CPU: user + system seconds of every server process (summed over the replicas; psutil), from the
start until the servers are idle again after the last result (compactions included), per 1,000 signals.
The S3 server's CPU over the same span is shown as context: both cases pay it. Rounds alternate one server
and the replicas; the best round of each counts.

What the rows mean on this machine: 2 cores shared by the client processes, moto and every server. Three
replicas cannot go faster than one here (there is no third core, let alone a host per replica), so the
signals/s ratio may well be below 1: it says what splitting costs on shared cores, not what replicas give.
Replicas pay off with cores (or hosts) of their own; what transfers is the per-signal server CPU (the cost
of several writers: smaller group commits, conflict-checked merges, each replica re-reading the others'
commits), so that row is the one to compare. Measured here (2026-12-02), the replicas also left the cores
partly idle (1.2 of 2 busy against 1.4 for one server): each commits smaller groups (about 1,000 rows against
2,600) and waits on moto for each, and meets the others' commits (about 10 conflicts a round, retried after
a backoff); the per-round line shows cores busy, commits and conflicts for that diagnosis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.bench_workers import _check_stored, _commit_counts, _cpu_by_pid, producers
from bench.harness import BIN, Row, Spawned, best_of, free_port, say, scoring_env, spawn_server, wait_serving

GROUP = "10 replicas"
REPLICAS = 3
CLIENTS = 2
STREAMS = 3  # per client process
WARM = 200  # signals per stream before the measured start


# -- the client process ---------------------------------------------------------------------------------


async def _stream(client: Any, signals: list[Any]) -> None:
    """One `score_stream` of `signals`; every result must be a newly stored candidate."""
    received = 0
    async for result in client.score_stream(signals):
        if result.error is not None:
            raise result.error
        if result.already_scored:
            raise RuntimeError(f"not a new candidate: {result.signal_id}")
        received += 1
    if received != len(signals):
        raise RuntimeError(f"{received} results for {len(signals)} signals")


async def _client(targets: list[str], count: int, streams: int, run: str) -> None:
    from bench import workload
    from glm3.client import AsyncScoringClient

    if not run.isalnum():
        raise ValueError("the run id is part of signal ids: letters and digits only")
    per_stream = count // streams
    signals = [[workload.signal(n, f"{run}s{i}") for n in range(per_stream)] for i in range(streams)]
    warm = [[workload.signal(n, f"{run}w{i}") for n in range(WARM)] for i in range(streams)]
    # A list of one is the plain target; several are one round_robin channel over them.
    async with AsyncScoringClient(targets if len(targets) > 1 else targets[0], timeout=None) as client:
        await asyncio.gather(*(_stream(client, w) for w in warm))  # connected (to every replica), warm
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(_stream(client, s) for s in signals))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(json.dumps({"signals": per_stream * streams, "elapsed": elapsed, "cpu": cpu}), flush=True)


# -- the S3 server --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _S3:
    server: Any  # tests.support.s3.S3Server
    pid: int


@contextlib.asynccontextmanager
async def s3_server() -> AsyncIterator[_S3]:
    """moto's S3 server in a child process on 127.0.0.1 (port 0), as `tests/support/s3.py`'s fixture starts
    it, with a fresh bucket; stopped (its stdin closed, killed if it lingers) at exit, also on errors."""
    from tests.support.s3 import _SERVE, ACCESS_KEY, SECRET_KEY, S3Server

    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    log = tempfile.TemporaryFile()  # its request log (a line per S3 call): kept off the bench's output
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SERVE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = (await asyncio.wait_for(child.stdout.readline(), 60)).decode().strip()
        if not line.isdigit():
            log.seek(0)
            raise RuntimeError(f"the S3 server did not start: {line!r}\n{log.read()[-2000:].decode(errors='replace')}")
        server = S3Server(int(line), f"glm3-bench-{uuid.uuid4().hex[:12]}")
        await asyncio.to_thread(server.create_bucket, server.bucket)
        yield _S3(server, child.pid)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 10)
        except TimeoutError:
            child.kill()
            await child.wait()
        log.close()


@dataclass(slots=True)
class _Server:
    spawned: Spawned
    metrics_port: int


@contextlib.asynccontextmanager
async def _servers(count: int, uri: str, options: dict[str, str]) -> AsyncIterator[list[_Server]]:
    """`count` scoring servers on the shared database `uri`, each with its /metrics port, launched at the
    same instant, all SERVING; every one stopped at exit (those already started too when another fails to)."""
    ports = [free_port() for _ in range(count)]
    envs = [
        scoring_env(
            uri, GLM3_STORAGE_SHARED="true", GLM3_STORAGE_OPTIONS=json.dumps(options), GLM3_LOG_LEVEL="WARNING",
            GLM3_METRICS_ENABLED="true", GLM3_METRICS_PORT=str(port),
        )
        for port in ports
    ]
    argv = [str(BIN / "glm3-scoring-server")]
    async with contextlib.AsyncExitStack() as stack:
        async with asyncio.TaskGroup() as group:  # one failing cancels (and so stops) the others
            tasks = [group.create_task(stack.enter_async_context(spawn_server(argv, env))) for env in envs]
        servers = [_Server(task.result(), port) for task, port in zip(tasks, ports)]
        await asyncio.gather(*(wait_serving(s.spawned.target) for s in servers))
        yield servers


async def _commits(servers: Sequence[_Server]) -> tuple[float, float]:
    """(group commits that wrote rows, commit conflicts) so far, summed over the servers' /metrics."""
    counts = await asyncio.gather(*(_commit_counts(s.metrics_port) for s in servers))
    return sum(c for c, _ in counts), sum(k for _, k in counts)


# -- measuring ------------------------------------------------------------------------------------------


def _cpu(pids: Sequence[int]) -> dict[int, float]:
    """CPU seconds by server pid, each with its descendants."""
    return {pid: sum(_cpu_by_pid(pid).values()) for pid in pids}


async def _settle(
    pids: Sequence[int], limit_s: float = 30.0, window_s: float = 0.5, idle_cores: float = 0.05
) -> dict[int, float]:
    """Waits until the servers together use less than `idle_cores` of a core over `window_s` (at most
    `limit_s`); returns their CPU seconds by pid then."""
    deadline = time.perf_counter() + limit_s
    last = _cpu(pids)
    while time.perf_counter() < deadline:
        await asyncio.sleep(window_s)
        now = _cpu(pids)
        if sum(now.values()) - sum(last.values()) < idle_cores * window_s:
            return now
        last = now
    return last


async def _scored_counts(targets: Sequence[str]) -> list[int]:
    """Each server's own scoring count (GetScoringStats `scoring_latency.count`; it stops at 10,000 samples)."""
    from glm3.client import AsyncScoringClient

    counts = []
    for target in targets:
        async with AsyncScoringClient(target) as client:
            counts.append(int((await client.get_scoring_stats()).scoring_latency.count))
    return counts


@dataclass
class Round:
    replicas: int
    signals: int
    elapsed: float
    server_cpu: float  # all servers, start to idle again
    stream_cpu: float  # all servers, start to the last result
    client_cpu: float
    s3_cpu: float  # moto, start to idle again
    s3_stream_cpu: float  # moto, start to the last result
    per_server: list[float] = field(default_factory=list)  # stream CPU by server
    scored: list[int] = field(default_factory=list)  # scoring count growth by server (capped, see _scored_counts)
    commits: float = 0.0  # group commits that wrote rows (all servers; from /metrics)
    conflicts: float = 0.0  # commits that met another server's and were retried

    @property
    def rows_per_commit(self) -> float:
        return self.signals / self.commits if self.commits else float("nan")

    @property
    def cores_busy(self) -> float:
        """Cores the servers, moto and the clients kept busy on average while streaming (of os.cpu_count())."""
        return (self.stream_cpu + self.s3_stream_cpu + self.client_cpu) / self.elapsed

    @property
    def rate(self) -> float:
        return self.signals / self.elapsed

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.server_cpu / self.signals

    @property
    def s3_cpu_per_1000(self) -> float:
        return 1000 * self.s3_cpu / self.signals

    @property
    def balance(self) -> float:
        """The least busy server's stream CPU / the busiest one's (1: even; 0: one did everything)."""
        values = self.per_server
        return min(values) / max(values) if len(values) > 1 and max(values) > 0 else 1.0

    @property
    def idle_servers(self) -> list[int]:
        """Servers (0-based) that scored nothing during the measured streams, or used under 5% of the
        busiest one's CPU."""
        top = max(self.per_server, default=0.0)
        return [i for i, (cpu, n) in enumerate(zip(self.per_server, self.scored)) if n <= 0 or cpu < 0.05 * top]


async def _round(s3: _S3, replicas: int, count: int, run: str) -> Round:
    server = s3.server
    async with _servers(replicas, server.uri(f"{run}db"), server.storage_options()) as servers:
        targets = [s.spawned.target for s in servers]
        pids = [s.spawned.pid for s in servers]
        async with producers("bench.bench_replicas", ",".join(targets), count, STREAMS, CLIENTS, run) as clients:
            await asyncio.sleep(0.5)  # the warm-up's commits (and a compaction they started) done
            scored_before, commits_before = await _scored_counts(targets), await _commits(servers)
            before, s3_before = _cpu(pids), sum(_cpu_by_pid(s3.pid).values())
            started = time.perf_counter()
            await clients.go()
            results = await clients.results(900)
            elapsed = time.perf_counter() - started
            after_stream, s3_stream = _cpu(pids), sum(_cpu_by_pid(s3.pid).values())
            settled = await _settle(pids)
            s3_after = sum(_cpu_by_pid(s3.pid).values())
        if any(s.spawned.process.returncode is not None for s in servers):
            raise RuntimeError("a server process exited during the round")
        signals = sum(r["signals"] for r in results)
        stored = signals + CLIENTS * STREAMS * WARM
        for target in targets:  # every replica reads every replica's commits
            await _check_stored(target, stored)
        scored_after, (commits, conflicts) = await _scored_counts(targets), await _commits(servers)
        return Round(
            replicas=replicas,
            signals=signals,
            elapsed=elapsed,
            server_cpu=sum(settled.values()) - sum(before.values()),
            stream_cpu=sum(after_stream.values()) - sum(before.values()),
            client_cpu=sum(r["cpu"] for r in results),
            s3_cpu=s3_after - s3_before,
            s3_stream_cpu=s3_stream - s3_before,
            per_server=[after_stream[p] - before[p] for p in pids],
            scored=[a - b for a, b in zip(scored_after, scored_before)],
            commits=commits - commits_before[0],
            conflicts=conflicts - commits_before[1],
        )


async def run(quick: bool) -> list[Row]:
    count = 12_000 if quick else 60_000
    rounds = 1 if quick else 3
    configs = (1, REPLICAS)
    results: dict[int, list[Round]] = {c: [] for c in configs}
    async with s3_server() as s3:
        for number in range(rounds):
            for replicas in configs:
                r = await _round(s3, replicas, count, f"r{number}n{replicas}")  # letters and digits: ids, prefix
                results[replicas].append(r)
                say(
                    f"  round {number + 1}, {replicas} server{'s' if replicas > 1 else ''}: {r.rate:,.0f} signals/s, "
                    f"server {r.cpu_per_1000:.3f} CPU-s / 1,000 signals ({r.stream_cpu:.1f} s while streaming, "
                    f"{r.server_cpu:.1f} s to idle; by server {', '.join(f'{c:.1f}' for c in r.per_server)}), "
                    f"S3 (moto) {r.s3_cpu:.1f} CPU-s, client {r.client_cpu:.1f} CPU-s, {r.cores_busy:.2f} of "
                    f"{os.cpu_count()} cores busy; {r.commits:.0f} commits ({r.rows_per_commit:,.0f} rows each), "
                    f"{r.conflicts:.0f} conflicts"
                )
                if replicas > 1 and (idle := r.idle_servers):
                    say(
                        f"  WARNING: replica(s) {', '.join(str(i + 1) for i in idle)} served (almost) nothing in round "
                        f"{number + 1} (scored {r.scored}, stream CPU {[round(c, 2) for c in r.per_server]}): the "
                        "client did not spread the streams"
                    )
    best = {
        c: {
            "rate": best_of([r.rate for r in rs]),
            "cpu": best_of([r.cpu_per_1000 for r in rs], higher_is_better=False),
            "s3": best_of([r.s3_cpu_per_1000 for r in rs], higher_is_better=False),
        }
        for c, rs in results.items()
    }
    one, many = best[1], best[REPLICAS]
    samples = {
        str(c): [
            {"signals_per_s": r.rate, "cpu_s_per_1000": r.cpu_per_1000, "stream_cpu_s": r.stream_cpu,
             "server_cpu_s": r.server_cpu, "client_cpu_s": r.client_cpu, "s3_cpu_s": r.s3_cpu,
             "s3_stream_cpu_s": r.s3_stream_cpu, "per_server_stream_cpu_s": r.per_server,
             "scored_by_server": r.scored, "balance": r.balance, "cores_busy": r.cores_busy, "commits": r.commits,
             "rows_per_commit": r.rows_per_commit, "conflicts": r.conflicts}
            for r in rs
        ]
        for c, rs in results.items()
    }
    common: dict[str, Any] = {"signals": count, "rounds": rounds, "replicas": REPLICAS, "clients": CLIENTS,
                              "streams_per_client": STREAMS, "cpus": os.cpu_count(), "samples": samples}
    balance = min(r.balance for r in results[REPLICAS])

    def commits(replicas: int) -> str:
        rs = results[replicas]
        rows = sum(r.signals for r in rs) / max(1.0, sum(r.commits for r in rs))
        return f"{rows:,.0f} rows a commit, {sum(r.conflicts for r in rs) / len(rs):.0f} conflicts a round"

    def busy(replicas: int) -> str:
        return f"{max(r.cores_busy for r in results[replicas]):.2f}"

    idle = any(r.idle_servers for r in results[REPLICAS])
    spread = "NOT every replica served (see the WARNING)" if idle else "every replica served"
    cores = os.cpu_count() or 1
    waited = max(r.cores_busy for r in results[REPLICAS]) < 0.8 * cores
    say(
        f"  note: {REPLICAS} replicas and one server share these {cores} cores with the clients and moto, so "
        "signals/s may well drop; replicas pay off with cores or hosts of their own: compare the per-signal CPU"
        + (f" (here the replicas left the cores partly idle, {busy(REPLICAS)} of {cores} busy: they waited on "
           "S3 commits and conflicts)" if waited else "")
    )
    return [
        Row(
            GROUP,
            f"ScoreStream signals/s on S3, {REPLICAS} replicas vs 1",
            many["rate"],
            one["rate"],
            "signals/s",
            note=f"{CLIENTS} client processes x {STREAMS} streams (round_robin over the replicas) on the same "
            f"{os.cpu_count()} cores as moto and every server: context, replicas need cores or hosts of their own; "
            f"{spread}, least/most busy replica CPU {balance:.2f}; cores busy (servers + moto + clients) "
            f"{busy(REPLICAS)} vs {busy(1)}",
            extra=common,
        ),
        Row(
            GROUP,
            f"server CPU per 1,000 signals on S3, {REPLICAS} replicas vs 1",
            many["cpu"],
            one["cpu"],
            "CPU-s",
            higher_is_better=False,
            note=f"summed over the replicas, start to idle again (compaction included): the cost of several "
            f"writers (storage.shared on both); {commits(REPLICAS)} (1 server: {commits(1)}); S3 server (moto) "
            f"{many['s3']:.3f} vs {one['s3']:.3f} CPU-s / 1,000",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the client process of bench_replicas (run by it)")
    parser.add_argument("--client", nargs=4, metavar=("TARGETS", "COUNT", "STREAMS", "RUN"), required=True)
    args = parser.parse_args(argv)
    targets, count, streams, run_id = args.client
    asyncio.run(_client(targets.split(","), int(count), int(streams), run_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""3. Unary `Score`: throughput at 32 concurrent callers and latency at 1, against a raw unary echo.

Ours: `glm3-scoring-server` (console script, defaults, temp LanceDB) in a subprocess; the baseline is
`bench/echo.py` in a subprocess too (its `Score` returns one prebuilt response: gRPC only serialises it).
Both are called through the same generated stub on one channel each, with a fresh signal per call (a new
id: scored and committed, never the idempotent shortcut).

- Throughput: 32 callers, each awaiting its `Score` before sending the next; calls/s. Ours acknowledges
  after the commit, so concurrent calls must share commits to get anywhere near the echo.
- Latency at concurrency 1, p50 and p99, ours and the echo's alternating call by call; beside them one
  single-row LanceDB `table.add` (a candidate row into a candidates table made by the product's own store,
  in this process), measured in the same run: the floor of acknowledging after a commit. Target: ours p50 <=
  echo p50 + 1.2 x that add.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc

from bench import workload
from bench.harness import Row, percentile, say, scoring_server_process, spawn_server, wait_serving
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc

GROUP = "3 unary"
CONCURRENCY = 32


async def throughput(stub: pb_grpc.ScoringServiceStub, calls: int, concurrency: int = CONCURRENCY) -> float:
    requests: Iterator[pb.ScoreRequest] = iter([pb.ScoreRequest(signal=s) for s in workload.signals(calls)])

    async def caller() -> None:
        for request in requests:  # shared iterator: each request is taken by exactly one caller
            await stub.Score(request, timeout=60)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return calls / (time.perf_counter() - started)


async def latencies(stubs: dict[str, pb_grpc.ScoringServiceStub], calls: int) -> dict[str, list[float]]:
    """Milliseconds per call at concurrency 1, the stubs taking turns call by call."""
    out: dict[str, list[float]] = {name: [] for name in stubs}
    for signal in workload.signals(calls):
        for name, stub in stubs.items():
            request = pb.ScoreRequest(signal=signal)
            started = time.perf_counter()
            await stub.Score(request, timeout=60)
            out[name].append((time.perf_counter() - started) * 1000)
    return out


async def single_row_adds(count: int) -> list[float]:
    """Milliseconds of one-row `table.add`s into a candidates table opened by the product's store."""
    from bench.echo import SAMPLE
    from glm3.servers.scoring.convert import signal_from_pb
    from glm3.servers.scoring.engine import ScoringEngine
    from glm3.servers.scoring.heuristic import HeuristicScorer
    from glm3.servers.scoring.models import ScoringConfig
    from glm3.servers.storage.candidates import CandidateStore, PendingScore, _candidate_columns
    from glm3.servers.storage.database import Database

    scorer, config = HeuristicScorer(), ScoringConfig()
    engine = ScoringEngine(store=None, scorer=scorer, base_config=config)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="glm3-bench-add-") as tmp:
        database = await Database.open(str(Path(tmp) / "db"))
        store = await CandidateStore.open(database)
        try:
            out = []
            for n in range(count + 2):
                signal, _ = signal_from_pb(SAMPLE)
                signal.id = f"add-{n}"
                candidate = engine._candidate(signal, scorer.score_now(signal, config), config, 0.05)
                row = _candidate_columns([PendingScore(signal, candidate, False, datetime.now(UTC))])
                started = time.perf_counter()
                await store.candidates.add(row)
                if n >= 2:  # the first adds open files and warm caches
                    out.append((time.perf_counter() - started) * 1000)
            return out
        finally:
            await store.close()
            await database.close()


async def run(quick: bool) -> list[Row]:
    calls_ours, calls_echo, lat_calls, adds = (250, 1_000, 40, 15) if quick else (4_000, 10_000, 300, 60)
    rounds = 2 if quick else 3
    rates: dict[str, list[float]] = {"ours": [], "echo": []}
    async with (
        spawn_server([sys.executable, "-m", "bench.echo"]) as echo,
        scoring_server_process() as ours,
    ):
        await wait_serving(echo.target)
        await wait_serving(ours.target)
        async with (
            grpc.aio.insecure_channel(echo.target) as echo_channel,
            grpc.aio.insecure_channel(ours.target) as ours_channel,
        ):
            stubs = {"ours": pb_grpc.ScoringServiceStub(ours_channel), "echo": pb_grpc.ScoringServiceStub(echo_channel)}
            await latencies(stubs, 10)  # warm-up
            for number in range(rounds):
                rates["echo"].append(await throughput(stubs["echo"], calls_echo))
                rates["ours"].append(await throughput(stubs["ours"], calls_ours))
                say(f"  round {number + 1}: x{CONCURRENCY} ours {rates['ours'][-1]:,.0f}/s, echo {rates['echo'][-1]:,.0f}/s")
            lat = await latencies(stubs, lat_calls)
            commit = await single_row_adds(adds)
    p50, p99 = percentile(lat["ours"], 0.5), percentile(lat["ours"], 0.99)
    echo_p50, commit_p50 = percentile(lat["echo"], 0.5), statistics.median(commit)
    floor = echo_p50 + 1.2 * commit_p50
    say(f"  latency ours p50 {p50:.2f} ms p99 {p99:.2f} ms; echo p50 {echo_p50:.2f} ms; one-row add p50 {commit_p50:.2f} ms")
    extra = {
        "ours_ms": lat["ours"],
        "echo_ms": lat["echo"],
        "add_ms": commit,
        "echo_p50_ms": echo_p50,
        "echo_p99_ms": percentile(lat["echo"], 0.99),
        "add_p50_ms": commit_p50,
    }
    return [
        Row(
            GROUP,
            f"Score x{CONCURRENCY} concurrent vs raw unary echo",
            max(rates["ours"]),
            max(rates["echo"]),
            "calls/s",
            target=0.5,
            note=f"{calls_ours:,} calls (echo {calls_echo:,}), fresh signal each, best of {rounds}",
            extra={"samples": rates},
        ),
        Row(
            GROUP,
            "Score p50 at x1 vs echo p50 + 1.2 x one-row add",
            p50,
            floor,
            "ms",
            target=1.0,
            higher_is_better=False,
            note=f"echo p50 {echo_p50:.2f} ms, one-row table.add p50 {commit_p50:.2f} ms (same run), {lat_calls} calls",
            extra=extra,
        ),
        Row(
            GROUP,
            "Score p99 at x1 vs the same floor (shown)",
            p99,
            floor,
            "ms",
            higher_is_better=False,
            note=f"echo p99 {extra['echo_p99_ms']:.2f} ms",
        ),
    ]

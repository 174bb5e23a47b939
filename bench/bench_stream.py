"""1. Streaming throughput: ScoreStream (heuristic scorer, LanceDB on) against a raw gRPC echo of the same stack.

Ours: `glm3-scoring-server` (the console script, default settings, temp LanceDB) driven by the client
library: `AsyncScoringClient.score_stream` with its defaults (frame_size 100, linger 5 ms, window 1,000),
in the stream's default view, `CANDIDATE_VIEW_BASIC` (ids, scores, verdict and its reason), and again with
`view="full"` (every field, the `analysis` Struct included).
Signals/s is end to end: from the first signal pulled to the last result received; the server acknowledges
a signal only after its row is committed, so the last result means the last row is stored (checked after
each run: the store holds every signal).

Baseline: `bench/echo.py`, a bare grpc.aio ScoringService answering one fixed candidate per signal (no
scoring, no storage; the candidate is a real heuristic one, so the bytes on the wire are the same), at
(a) 1 signal per stream message and (b) 100 signals per message. It is driven two ways, and the faster
counts (the stricter baseline): the same client code path as ours (`score_stream`, frame_size 1 or 100),
and a minimal raw stub loop (request frames built beforehand, responses only counted).

Context rows, each saying how far a target is from a floor:
- the heuristic scorer alone, in this process on one core (convert, validate, score, build the candidate:
  the server's own code with no gRPC and no storage), signals per CPU-second;
- the same ScoreStream (BASIC) against `bench/free_scorer_server.py`: the real server with a scorer that
  costs nothing (one precomputed draft copied), everything else unchanged (conversion, validation,
  candidates, group commit, LanceDB, responses). No scorer, however fast, would take the server above it;
- the floor: the server's CPU per signal over the BASIC stream (from /proc), its main thread's split into
  scoring, conversion and the Python side of storage (each stage timed alone in this process on the same
  workload: bench/floor.py) and what they leave (transport and the rest: gRPC, the event loop,
  interceptors, queues), its other threads' into LanceDB's adds and what they leave (compaction, indexes),
  against the echo server's CPU per signal at 100 signals a message.

Both servers run as subprocesses, as deployed: in one process the client and the server would share one
GIL and one event loop, so every microsecond of client work would be taken from the server (the echo
loses about 20% that way here, ours more). Rounds alternate echo and ours so drift hits both alike; the
best round counts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable

import grpc

from bench import workload
from bench.floor import describe, main_thread_cpu, process_cpu, stage_costs
from bench.harness import Row, say, scoring_server_process, spawn_server, wait_serving
from glm3.client import AsyncScoringClient
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2

GROUP = "1 streaming"


async def client_stream(
    client: AsyncScoringClient, signals: list[signal_pb2.Signal], frame_size: int, view: str = ""
) -> float:
    """Signals/s through `score_stream` (client defaults except `frame_size` and `view`); every result must be
    a candidate."""
    received = 0
    started = time.perf_counter()
    async for result in client.score_stream(signals, frame_size=frame_size, view=view or 0):
        if result.error is not None:
            raise result.error
        received += 1
    elapsed = time.perf_counter() - started
    if received != len(signals):
        raise RuntimeError(f"{received} results for {len(signals)} signals")
    return len(signals) / elapsed


def raw_frames(signals: Iterable[signal_pb2.Signal], size: int) -> list[pb.ScoreStreamRequest]:
    items = [pb.StreamSignal(correlation_id=s.id, signal=s) for s in signals]
    return [pb.ScoreStreamRequest(batch=pb.SignalBatch(items=items[i : i + size])) for i in range(0, len(items), size)]


async def raw_stream(stub: pb_grpc.ScoringServiceStub, frames: list[pb.ScoreStreamRequest]) -> float:
    """Signals/s of the leanest client: prebuilt frames in, responses counted."""
    expected = sum(len(f.batch.items) for f in frames)
    received = 0
    started = time.perf_counter()
    async for response in stub.ScoreStream(iter(frames)):
        received += len(response.results.results)
    elapsed = time.perf_counter() - started
    if received != expected:
        raise RuntimeError(f"{received} results for {expected} signals")
    return expected / elapsed


async def stored_total(stub: pb_grpc.ScoringServiceStub) -> int:
    reply = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=1), timeout=60)
    return int(reply.total_size)


async def run(quick: bool) -> list[Row]:
    ours_n, echo_b_n, echo_a_n = (3_000, 3_000, 800) if quick else (50_000, 50_000, 10_000)
    rounds = 2 if quick else 3
    rates: dict[str, list[float]] = {
        k: [] for k in ("ours", "full", "free", "a_client", "a_raw", "b_client", "b_raw")
    }
    cpu: dict[str, list[float]] = {"ours": [], "ours_main": [], "echo_b": []}  # server CPU us a signal
    async with (
        spawn_server([sys.executable, "-m", "bench.echo"]) as echo,
        scoring_server_process() as ours,
        scoring_server_process(command=[sys.executable, "-m", "bench.free_scorer_server"]) as free,
    ):
        for server in (echo, ours, free):
            await wait_serving(server.target)
        async with (
            AsyncScoringClient(echo.target, timeout=None) as echo_client,
            AsyncScoringClient(ours.target, timeout=None) as ours_client,
            AsyncScoringClient(free.target, timeout=None) as free_client,
            grpc.aio.insecure_channel(echo.target) as echo_channel,
            grpc.aio.insecure_channel(ours.target) as ours_channel,
        ):
            echo_stub = pb_grpc.ScoringServiceStub(echo_channel)
            ours_stub = pb_grpc.ScoringServiceStub(ours_channel)
            # Warm-up: connections, first commits, lazily built state on both sides.
            await client_stream(echo_client, list(workload.signals(200)), 100)
            await client_stream(ours_client, list(workload.signals(200)), 100)
            await client_stream(free_client, list(workload.signals(200)), 100)
            stored = await stored_total(ours_stub)
            for number in range(rounds):
                a = list(workload.signals(echo_a_n))
                rates["a_client"].append(await client_stream(echo_client, a, 1))
                rates["a_raw"].append(await raw_stream(echo_stub, raw_frames(a, 1)))
                b = list(workload.signals(echo_b_n))
                rates["b_client"].append(await client_stream(echo_client, b, 100))
                before = process_cpu(echo.process.pid)
                rates["b_raw"].append(await raw_stream(echo_stub, raw_frames(b, 100)))
                cpu["echo_b"].append(1e6 * (process_cpu(echo.process.pid) - before) / echo_b_n)
                before, before_main = process_cpu(ours.process.pid), main_thread_cpu(ours.process.pid)
                rates["ours"].append(await client_stream(ours_client, list(workload.signals(ours_n)), 100))
                cpu["ours"].append(1e6 * (process_cpu(ours.process.pid) - before) / ours_n)
                cpu["ours_main"].append(1e6 * (main_thread_cpu(ours.process.pid) - before_main) / ours_n)
                stored += ours_n
                rates["full"].append(await client_stream(ours_client, list(workload.signals(ours_n)), 100, "full"))
                stored += ours_n
                if (found := await stored_total(ours_stub)) != stored:
                    raise RuntimeError(f"the store holds {found} candidates, {stored} expected")
                rates["free"].append(await client_stream(free_client, list(workload.signals(ours_n)), 100))
                say(
                    f"  round {number + 1}: ours BASIC {rates['ours'][-1]:,.0f}/s ({cpu['ours'][-1]:.0f} us CPU a "
                    f"signal), FULL {rates['full'][-1]:,.0f} (zero-cost scorer {rates['free'][-1]:,.0f}); echo 1/msg "
                    f"{rates['a_client'][-1]:,.0f} "
                    f"(raw {rates['a_raw'][-1]:,.0f}), 100/msg {rates['b_client'][-1]:,.0f} (raw {rates['b_raw'][-1]:,.0f})"
                )
    scorer_alone = max(scorer_rate(2_000 if quick else 20_000) for _ in range(rounds))
    stage_samples = [await stage_costs(2_000 if quick else 10_000, full=False) for _ in range(rounds)]
    stages = {name: min(sample[name] for sample in stage_samples) for name in stage_samples[0]}
    fastest = cpu["ours"].index(min(cpu["ours"]))  # the round whose split is shown
    ours_cpu, ours_main, echo_cpu = cpu["ours"][fastest], cpu["ours_main"][fastest], min(cpu["echo_b"])
    best = {k: max(v) for k, v in rates.items()}
    payload = len(echo_payload())
    echo_a = max(best["a_client"], best["a_raw"])
    echo_b = max(best["b_client"], best["b_raw"])
    common = {"signals": ours_n, "rounds": rounds, "candidate_bytes": payload, "samples": rates, "cpu_us": cpu}
    return [
        Row(
            GROUP,
            "ScoreStream BASIC vs raw echo, 1 signal/message",
            best["ours"],
            echo_a,
            "signals/s",
            target=4.0,
            note=f"echo best of score_stream(frame_size=1) {best['a_client']:,.0f} and raw stub loop {best['a_raw']:,.0f}; "
            f"{payload:,}-byte candidate per signal; ours via score_stream defaults, ack after commit",
            extra=common,
        ),
        Row(
            GROUP,
            "ScoreStream BASIC vs raw echo, 100 signals/message",
            best["ours"],
            echo_b,
            "signals/s",
            target=0.5,
            note=f"echo best of score_stream(frame_size=100) {best['b_client']:,.0f} and raw stub loop {best['b_raw']:,.0f}"
            f" (the echo sends full {payload:,}-byte candidates); ours in the stream's default view, BASIC",
            extra=common,
        ),
        Row(
            GROUP,
            "ScoreStream FULL vs raw echo, 100 signals/message",
            best["full"],
            echo_b,
            "signals/s",
            target=0.25,
            note="score_stream(view='full'): every field, the analysis Struct included",
        ),
        Row(
            GROUP,
            "ScoreStream vs the heuristic scorer alone (one core)",
            best["ours"],
            scorer_alone,
            "signals/s",
            note=f"scorer alone: {1e6 / scorer_alone:,.0f} us of CPU a signal (convert, validate, score, build "
            f"the candidate; no gRPC, no storage); the 4x and 0.5x targets need {4 * echo_a:,.0f} and "
            f"{0.5 * echo_b:,.0f}/s",
            extra={"scorer_us_per_signal": 1e6 / scorer_alone},
        ),
        Row(
            GROUP,
            "ScoreStream BASIC with a zero-cost scorer vs raw echo, 100 signals/message",
            best["free"],
            echo_b,
            "signals/s",
            target=0.7,
            note=f"bench/free_scorer_server.py: the real server, scorer replaced by a copied draft; "
            f"{best['free'] / echo_a:.2f}x of the 1/message echo",
        ),
        Row(
            GROUP,
            "Server CPU per signal, ScoreStream BASIC vs the echo's at 100 signals/message (the floor)",
            ours_cpu,
            echo_cpu,
            "us CPU/signal",
            higher_is_better=False,
            note=f"{describe(ours_cpu, ours_main, stages)} (stages timed alone: bench/floor.py); the echo spends "
            f"{echo_cpu:.0f} us a signal on gRPC and protobuf alone",
            extra={"stages_us": stages, "server_cpu_us": ours_cpu, "main_thread_us": ours_main, "echo_cpu_us": echo_cpu},
        ),
    ]


def scorer_rate(count: int) -> float:
    """Signals per CPU-second of the server's own per-signal work, in this process: the message converted
    and validated, scored by the heuristic, the candidate built (the engine's `_candidate`)."""
    from glm3.servers.scoring.engine import ScoringEngine
    from glm3.servers.scoring.heuristic import HeuristicScorer
    from glm3.servers.scoring.models import ScoringConfig
    from glm3.servers.scoring.servicer import prepare_signal

    config = ScoringConfig()
    engine = ScoringEngine(None, HeuristicScorer(), config)  # type: ignore[arg-type]  # builds candidates only
    messages = list(workload.signals(count))
    started = time.process_time()
    for message in messages:
        signal, violations = prepare_signal(message, "signal")
        if violations:
            raise RuntimeError(f"workload signal invalid: {violations}")
        engine._candidate(signal, engine.scorer.score_now(signal, config), config, 0.0)
    return count / (time.process_time() - started)


def echo_payload() -> bytes:
    from bench.echo import fixed_candidate

    return fixed_candidate().SerializeToString()

"""Where the scoring server's CPU per streamed signal goes: the server's own stages, each timed alone.

`stage_costs` runs, in this process and on the benchmark's workload, each stage a ScoreStream frame of 100
signals goes through in the server, with the server's own functions, and returns CPU microseconds per
signal (process time: LanceDB's threads count):

- `conversion`: the request frame decoded from its bytes, each signal converted and validated
  (`prepare_signal`), and the response frame built (`candidate_to_pb`, in the view asked) and encoded;
- `scoring`: the heuristic (`score_now`) and the candidate built from its draft (`ScoringEngine._candidate`);
- `storage`: `CandidateStore.commit` of the frames, 8 at a time as a stream's frames are, on a fresh
  LanceDB, in two parts: `storage_python`, on the calling thread (the idempotency look-up, the Arrow
  tables), and `storage_lancedb`, on LanceDB's own threads (the adds to both tables).

bench_stream measures the real server's CPU per signal over a whole stream (from /proc, per thread) and
`describe` splits it: the main thread's into scoring, conversion, the Python side of storage and what
they leave ("transport and the rest": gRPC, the event loop, the interceptors, the window, the queues
between the stages, the collector); the other threads' into the adds (as timed here) and what they leave
(compaction and index upkeep of a table that grows, gRPC's own threads).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import workload
from glm3.scoring.v1 import scoring_service_pb2 as pb

FRAME = 100
COMMITTERS = 8


def _stat_cpu(stat: str) -> float:
    """User + system CPU seconds of a /proc `stat` line (fields 14 and 15; the name may hold spaces)."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, every thread included."""
    return _stat_cpu(Path(f"/proc/{pid}/stat").read_text())


def main_thread_cpu(pid: int) -> float:
    """CPU seconds so far of a process's main thread (the event loop of our servers)."""
    return _stat_cpu(Path(f"/proc/{pid}/task/{pid}/stat").read_text())


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of each of a process's threads, by thread name (threads of one name summed)."""
    found: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # a thread that just ended
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        found[name] = found.get(name, 0.0) + _stat_cpu(stat)
    return found


def _frames(count: int) -> list[bytes]:
    items = [pb.StreamSignal(correlation_id=s.id, signal=s) for s in workload.signals(count)]
    return [
        pb.ScoreStreamRequest(batch=pb.SignalBatch(items=items[i : i + FRAME])).SerializeToString()
        for i in range(0, count, FRAME)
    ]


async def stage_costs(count: int, full: bool) -> dict[str, float]:
    """CPU microseconds per signal of conversion, scoring and storage (see the module's docstring)."""
    from glm3.servers.scoring.convert import candidate_to_pb
    from glm3.servers.scoring.engine import ScoringEngine
    from glm3.servers.scoring.heuristic import HeuristicScorer
    from glm3.servers.scoring.models import ScoringConfig, utcnow
    from glm3.servers.scoring.servicer import prepare_signal
    from glm3.servers.scoring.settings import ScoringSettings
    from glm3.servers.storage.candidates import CandidateStore, PendingScore
    from glm3.servers.storage.database import Database

    config = ScoringConfig()
    engine = ScoringEngine(None, HeuristicScorer(), config)  # type: ignore[arg-type]  # builds candidates only
    frames = _frames(count)

    started = time.process_time()
    decoded = []
    for data in frames:
        request = pb.ScoreStreamRequest.FromString(data)
        signals = []
        for item in request.batch.items:
            signal, violations = prepare_signal(item.signal, "signal")
            if violations:
                raise RuntimeError(f"workload signal invalid: {violations}")
            signals.append((item.correlation_id, signal))
        decoded.append(signals)
    conversion_in = time.process_time() - started

    started = time.process_time()
    scored = [[(cid, s, engine._candidate(s, engine.scorer.score_now(s, config), config, 0.1)) for cid, s in f] for f in decoded]
    scoring = time.process_time() - started

    started = time.process_time()
    sequence = 0
    for frame in scored:
        response = pb.ScoreStreamResponse()
        results = response.results.results
        for correlation_id, _, candidate in frame:
            message = results.add()
            message.correlation_id = correlation_id
            message.sequence = sequence
            sequence += 1
            candidate_to_pb(candidate, message.candidate, full=full)
        response.SerializeToString()
    conversion_out = time.process_time() - started

    received = utcnow()
    pending = [[PendingScore(s, c, False, received) for _, s, c in frame] for frame in scored]
    tuning = ScoringSettings().scoring
    with tempfile.TemporaryDirectory(prefix="glm3-bench-floor-") as tmp:
        database = await Database.open(str(Path(tmp) / "db"))
        store = await CandidateStore.open(
            database,
            compact_every=tuning.compact_every_commits,
            compact_interval_s=tuning.compact_interval_s,
            keep_versions_s=tuning.keep_versions_s,
        )
        try:
            await store.commit(pending[0])  # first add: table files, caches
            queue = iter(pending[1:])

            async def committer() -> None:
                for frame in queue:
                    await store.commit(frame)

            started, started_here = time.process_time(), time.thread_time()
            await asyncio.gather(*(committer() for _ in range(COMMITTERS)))
            storage_here = time.thread_time() - started_here
            storage = time.process_time() - started
            stored = count - len(pending[0])
        finally:
            await store.close()
            await database.close()
    per = 1e6 / count
    return {
        "conversion": (conversion_in + conversion_out) * per,
        "scoring": scoring * per,
        "storage_python": storage_here * 1e6 / stored,
        "storage_lancedb": (storage - storage_here) * 1e6 / stored,
    }


def describe(total_us: float, main_us: float, stages: dict[str, Any]) -> str:
    """The server's CPU per signal split: the main thread's and the other threads', each into the stages
    timed alone and what they leave (us a signal)."""
    main_parts = ("scoring", "conversion", "storage_python")
    rest = main_us - sum(stages[name] for name in main_parts)
    others = total_us - main_us
    return (
        f"{total_us:.0f} us = main thread {main_us:.0f} (scoring {stages['scoring']:.0f} + conversion "
        f"{stages['conversion']:.0f} + storage, Python side {stages['storage_python']:.0f} + transport and the "
        f"rest {rest:.0f}) + other threads {others:.0f} (LanceDB adds {stages['storage_lancedb']:.0f} + "
        f"compaction, indexes and the rest {others - stages['storage_lancedb']:.0f})"
    )

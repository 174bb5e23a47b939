"""6. Memory: the scoring server's RSS while one stream carries many signals, and under a reader that never reads.

`glm3-scoring-server` runs as a subprocess (console script, defaults, temp LanceDB); psutil samples its RSS
every 100 ms. Targets: growth under 100 MB, flat after the stream.

- One stream of N signals (1M; quick: 8k, what fits the quick budget at about 1.5k signals/s, too few to
  reach the first compaction, so a sanity check only) through `AsyncScoringClient.score_stream`
  (defaults), input generated lazily. Growth is measured from the idle server before any signal, so the
  one-off allocations of the first commits count too: the peak during the stream, and the RSS 10 s (quick:
  3 s) after it ended. Flatness: RSS at the end of the stream against RSS halfway, as MB per 100k signals.
- A producer that writes 100-signal frames as fast as flow control lets it and never reads a result, for
  20 s (quick: 3 s): the server must stop reading (its window) instead of buffering results; peak growth.

Rows: ours = growth in MB, baseline = the 100 MB budget (lower is better, so the ratio is budget/growth).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import grpc
import psutil

from bench import workload
from bench.harness import Row, Spawned, say, scoring_server_process, wait_serving
from glm3.client import AsyncScoringClient
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc

GROUP = "6 memory"
BUDGET_MB = 100.0
MB = 1024 * 1024


@dataclass
class Sampler:
    """RSS of one process every `interval` seconds, in MB, with the time of each sample."""

    pid: int
    interval: float = 0.1
    samples: list[tuple[float, float]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def now(self) -> float:
        return psutil.Process(self.pid).memory_info().rss / MB

    async def _run(self) -> None:
        while True:
            self.samples.append((time.perf_counter(), self.now()))
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def anon(self) -> float:
        """Anonymous RSS (RssAnon, Linux): RSS less the file pages (library code paged in), which the kernel
        can reclaim; 0 where /proc does not tell."""
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def peak(self, since: float = 0.0) -> float:
        return max(rss for at, rss in self.samples if at >= since)


async def long_stream(server: Spawned, count: int, sampler: Sampler) -> dict[str, float]:
    marks: dict[str, float] = {}
    progress = 0
    async with AsyncScoringClient(server.target, timeout=None) as client:
        started = time.perf_counter()
        async for result in client.score_stream(workload.signals(count)):
            if result.error is not None:
                raise result.error
            progress += 1
            if progress == count // 2:
                marks["half"] = sampler.now()
        marks["seconds"] = time.perf_counter() - started
    marks["end"] = sampler.now()
    return marks


async def never_reading(server: Spawned, seconds: float) -> int:
    """Writes frames for `seconds` without reading; returns the signals written before flow control stopped
    the writes (a plateau reached within the first second here)."""
    sent = 0

    def frames() -> Iterator[pb.ScoreStreamRequest]:
        signals = workload.signals(10**9)
        while True:
            yield pb.ScoreStreamRequest(
                batch=pb.SignalBatch(items=[pb.StreamSignal(signal=next(signals)) for _ in range(100)])
            )

    async with grpc.aio.insecure_channel(server.target) as channel:
        call = pb_grpc.ScoringServiceStub(channel).ScoreStream()

        async def write() -> None:
            nonlocal sent
            for frame in frames():
                await call.write(frame)
                sent += len(frame.batch.items)

        writer = asyncio.create_task(write())
        await asyncio.sleep(seconds)
        writer.cancel()
        call.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    return sent


async def run(quick: bool) -> list[Row]:
    count, stall_s, settle_s = (8_000, 3.0, 3.0) if quick else (1_000_000, 20.0, 10.0)
    rows: list[Row] = []
    async with scoring_server_process() as server:
        await wait_serving(server.target)
        sampler = Sampler(server.pid)
        await asyncio.sleep(0.5)
        before, anon_before = sampler.now(), sampler.anon()
        sampler.start()
        began = time.perf_counter()
        marks = await long_stream(server, count, sampler)
        peak = sampler.peak(began)
        await asyncio.sleep(settle_s)
        after, anon_after = sampler.now(), sampler.anon()
        per_100k = (marks["end"] - marks["half"]) / (count / 2) * 100_000
        say(
            f"  {count:,} signals in {marks['seconds']:.1f} s: RSS before {before:.0f} MB, half {marks['half']:.0f}, "
            f"end {marks['end']:.0f}, peak {peak:.0f}, {settle_s:.0f} s after {after:.0f}"
        )
        extra = {"before_mb": before, "half_mb": marks["half"], "end_mb": marks["end"], "peak_mb": peak,
                 "after_mb": after, "signals": count, "seconds": marks["seconds"],
                 "second_half_mb_per_100k": per_100k, "anon_before_mb": anon_before, "anon_after_mb": anon_after}
        rows.append(
            Row(GROUP, f"RSS peak growth, {count:,} signals in one stream", max(peak - before, 0.0), BUDGET_MB, "MB",
                target=1.0, higher_is_better=False,
                note=f"before {before:.0f} MB, peak {peak:.0f} MB; halfway {marks['half']:.0f} MB, end {marks['end']:.0f} MB",
                extra=extra)
        )
        rows.append(
            Row(GROUP, f"RSS growth {settle_s:.0f} s after that stream", max(after - before, 0.0), BUDGET_MB, "MB", target=1.0,
                higher_is_better=False, note=f"end of stream {marks['end']:.0f} MB, {settle_s:.0f} s later {after:.0f} MB; "
                f"anonymous memory (RssAnon, without file pages) {anon_before:.0f} -> {anon_after:.0f} MB")
        )
        before_stall = sampler.now()
        began = time.perf_counter()
        let_in = await never_reading(server, stall_s)
        stall_peak = sampler.peak(began)
        await asyncio.sleep(2.0)
        await sampler.stop()
        settled = sampler.now()
        say(f"  never-reading producer, {stall_s:.0f} s: {let_in:,} signals let in, RSS {before_stall:.0f} -> peak {stall_peak:.0f} MB, then {settled:.0f}")
        rows.append(
            Row(GROUP, f"RSS peak growth, producer never reading ({stall_s:.0f} s)", max(stall_peak - before_stall, 0.0),
                BUDGET_MB, "MB", target=1.0, higher_is_better=False,
                note=f"flow control stopped the client's writes after {let_in:,} signals (frames held in transport "
                f"buffers; the server reads only its window); RSS 2 s after cancel {settled:.0f} MB",
                extra={"signals_let_in": let_in, "before_mb": before_stall, "peak_mb": stall_peak, "after_mb": settled})
        )
    return rows

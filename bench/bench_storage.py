"""5. Storage: group commit against one bulk add, fragments and versions after a long stream, list/search latency.

(a) Group commit while streaming: `CandidateStore.commit` called from 32 concurrent tasks, each committing
    frames of 100 scored signals as a ScoreStream frame does (the heuristic scored them before the clock
    starts), on a fresh store with the server's compaction settings. Everything a commit does is in the
    figure: the idempotency look-up, the Arrow tables, the adds to `signals` and `candidates`, and the
    compaction every `scoring.compact_every_commits` commits. The upper bound is one `table.add` per table of
    the same rows, already in Arrow, on fresh tables (about 20 ms per add whatever its size, so one add of
    everything is as fast as LanceDB writes).
(b) Fragments and versions: N signals streamed through `ScoreStream` (heuristic, the client's defaults) into
    a real scoring server in this process, then the `candidates` table's fragment and version counts, against
    what they would be without compaction (one fragment and at least one version per commit). Versions are
    pruned after `scoring.keep_versions_s` (300 s): within a run shorter than that, only compaction's merging
    bounds the fragments, and the versions of the last 300 s are all kept by design.
(c) `ListCandidates` (first page of 50, newest first) and `SearchCandidates` (20 hits) p50 latency through
    gRPC on the table of (b), against the same page queried from LanceDB directly (Arrow, no conversion).

    .venv/bin/python -m bench.run --only bench_storage [--quick]
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Row, best_of, percentile, say, scoring_server

GROUP = "5 storage"
PRODUCERS = 32
FRAME = 100


def pending_scores(count: int, run: str) -> list[Any]:
    """`count` signals scored by the heuristic, as the engine hands them to the store."""
    from bench import workload
    from glm3.servers.scoring.convert import signal_from_pb
    from glm3.servers.scoring.engine import ScoringEngine
    from glm3.servers.scoring.heuristic import HeuristicScorer
    from glm3.servers.scoring.models import ScoringConfig, utcnow
    from glm3.servers.storage.candidates import PendingScore

    config = ScoringConfig()
    engine = ScoringEngine(None, HeuristicScorer(), config)  # type: ignore[arg-type]  # only builds candidates
    out = []
    received = utcnow()
    for n in range(count):
        signal, _ = signal_from_pb(workload.signal(n, run))
        draft = engine.scorer.score_now(signal, config)
        out.append(PendingScore(signal, engine._candidate(signal, draft, config, 0.1), False, received))
    return out


async def group_commit_rate(pending: list[Any]) -> dict[str, float]:
    """Rows/s of the rows committed in frames of 100 by 32 concurrent producers, on a fresh store."""
    from glm3.servers.scoring.settings import ScoringSettings
    from glm3.servers.storage.candidates import CandidateStore
    from glm3.servers.storage.database import Database

    tuning = ScoringSettings().scoring
    count = len(pending)
    frames = [pending[i : i + FRAME] for i in range(0, count, FRAME)]
    with tempfile.TemporaryDirectory(prefix="glm3-bench-store-") as tmp:
        database = await Database.open(str(Path(tmp) / "db"))
        store = await CandidateStore.open(
            database,
            compact_every=tuning.compact_every_commits,
            compact_interval_s=tuning.compact_interval_s,
            keep_versions_s=tuning.keep_versions_s,
        )
        queue = iter(frames)

        async def producer() -> None:
            for frame in queue:
                await store.commit(frame)

        started = time.perf_counter()
        await asyncio.gather(*(producer() for _ in range(PRODUCERS)))
        elapsed = time.perf_counter() - started
        commits, compactions = store.commit_runs, store.compactions
        rows = await store.candidates.count_rows()
        await store.close()
        await database.close()
    assert rows == count, (rows, count)
    return {"rate": count / elapsed, "commits": commits, "rows_per_commit": count / max(commits, 1),
            "compactions": compactions}


async def bulk_add_rate(pending: list[Any]) -> tuple[float, float]:
    """Rows/s of one `add` per table (signals, candidates) of the same rows on fresh tables: with the Arrow
    tables built beforehand (the upper bound), and counting their building from the same Python objects."""
    import lancedb

    from glm3.servers.storage.candidates import _candidate_columns, _signal_columns
    from glm3.servers.storage.schemas import CANDIDATES, SIGNALS

    count = len(pending)
    with tempfile.TemporaryDirectory(prefix="glm3-bench-bulk-") as tmp:
        db = await lancedb.connect_async(str(Path(tmp) / "db"))
        signals_table = await db.create_table("signals", schema=SIGNALS)
        candidates_table = await db.create_table("candidates", schema=CANDIDATES)
        started = time.perf_counter()
        signals, candidates = _signal_columns(pending), _candidate_columns(pending)
        built = time.perf_counter()
        await signals_table.add(signals)
        await candidates_table.add(candidates)
        elapsed = time.perf_counter() - built
        with_building = time.perf_counter() - started
    return count / elapsed, count / with_building


async def table_shape(table: Any) -> dict[str, int]:
    stats = await table.stats()
    return {
        "rows": int(stats["num_rows"]),
        "fragments": int(stats["fragment_stats"]["num_fragments"]),
        "small_fragments": int(stats["fragment_stats"]["num_small_fragments"]),
        "versions": len(await table.list_versions()),
    }


async def stream_and_inspect(count: int, samples: int) -> tuple[dict[str, Any], list[Row]]:
    """Streams `count` signals into an in-process server, then reads the table's shape and times reads."""
    from bench import workload
    from glm3.client import AsyncScoringClient
    from glm3.scoring.v1 import scoring_service_pb2 as pb

    rows: list[Row] = []
    async with scoring_server() as server:
        store = server.deps.services[0].servicer.engine.store
        async with AsyncScoringClient(server.target, timeout=None) as client:
            peak = 0

            async def sample() -> None:  # the fragment count while the stream runs
                nonlocal peak
                while True:
                    peak = max(peak, (await table_shape(store.candidates))["fragments"])
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            started = time.perf_counter()
            failures = 0
            async for result in client.score_stream(workload.signals(count)):
                failures += not result.ok
            elapsed = time.perf_counter() - started
            sampler.cancel()
            if failures:
                raise RuntimeError(f"{failures} of {count} streamed signals failed")
            shape = await table_shape(store.candidates)
            shape["signals_fragments"] = (await table_shape(store.signals))["fragments"]
            shape.update(commits=store.commit_runs, compactions=store.compactions, stream_rate=count / elapsed,
                         peak_fragments=max(peak, shape["fragments"]))
            say(
                f"  streamed {count:,} signals at {count / elapsed:,.0f}/s: {store.commit_runs} commits, "
                f"{store.compactions} compactions; candidates table: {shape['fragments']} fragments "
                f"({shape['small_fragments']} small, at most {shape['peak_fragments']} during the stream), "
                f"{shape['versions']} versions"
            )

            table = store.candidates
            stub = client._stub  # the raw RPCs: no pager, one call per sample
            list_request = pb.ListCandidatesRequest(page_size=50)
            query_text = "invoice matching by hand"
            search_request = pb.SearchCandidatesRequest(query=query_text, limit=20)

            from lancedb.query import ColumnOrdering

            ordering = [ColumnOrdering(column_name="timestamp", ascending=False),
                        ColumnOrdering(column_name="id", ascending=False)]

            async def direct_list() -> Any:
                return await table.query().where("is_latest = true").order_by(ordering).limit(51).to_arrow()

            async def direct_search() -> Any:
                return await (table.query().nearest_to_text(query_text, columns=["search_text"])
                              .where("is_latest = true").limit(20).to_arrow())

            async def timed(call: Any, count: int) -> list[float]:
                await call()  # warm caches
                out = []
                for _ in range(count):
                    t = time.perf_counter()
                    await call()
                    out.append((time.perf_counter() - t) * 1e3)
                return out

            pairs = {
                "ListCandidates (50, newest first)": (lambda: stub.ListCandidates(list_request), direct_list),
                "SearchCandidates (20 hits)": (lambda: stub.SearchCandidates(search_request), direct_search),
            }
            for state in ("just streamed", "compacted"):
                if state == "compacted":
                    started = time.perf_counter()
                    await store.compact()  # what the server does every 64 commits or 60 s
                    shape["compaction_s"] = time.perf_counter() - started
                    say(f"  compaction (merge fragments, refresh indexes) took {shape['compaction_s']:.2f} s")
                for name, (rpc, direct) in pairs.items():
                    # Unindexed full-text search is slow (about 1 s per 20,000 rows): fewer samples of it.
                    slow = state == "just streamed" and name.startswith("Search")
                    count = max(3, samples // 5) if slow else samples
                    ours, base = [], []
                    for _ in range(1 if slow else 2):  # alternating: drift on a shared machine hits both alike
                        ours += await timed(rpc, count)
                        base += await timed(direct, count)
                    p50, p50_base = percentile(ours, 0.5), percentile(base, 0.5)
                    say(f"  {name}, {state}: p50 {p50:.1f} ms (p99 {percentile(ours, 0.99):.1f}); LanceDB "
                        f"directly {p50_base:.1f} ms")
                    rows.append(Row(
                        GROUP, f"{name} p50, {shape['rows']:,} rows {state}, vs LanceDB query", p50, p50_base,
                        "ms", higher_is_better=False,
                        note="through gRPC (with the count for total_size and the conversion); baseline: the "
                        "same page from LanceDB in Arrow"
                        + ("; new rows are not in the full-text index until the next compaction"
                           if state == "just streamed" else ""),
                        extra={"p99": percentile(ours, 0.99), "baseline_p99": percentile(base, 0.99)},
                    ))
    return shape, rows


async def run(quick: bool) -> list[Row]:
    commit_rows = 5_000 if quick else 50_000
    streamed = 10_000 if quick else 100_000
    pending = pending_scores(commit_rows, "commit")  # fresh stores each round: the same ids can be reused
    group, bulk, built = [], [], []
    for _ in range(1 if quick else 2):
        group.append(await group_commit_rate(pending))
        upper, with_building = await bulk_add_rate(pending)
        bulk.append(upper)
        built.append(with_building)
        say(f"  group commit {group[-1]['rate']:,.0f} rows/s ({group[-1]['rows_per_commit']:.0f} rows/commit, "
            f"{group[-1]['compactions']} compactions); one bulk add {upper:,.0f} rows/s from Arrow, "
            f"{with_building:,.0f} rows/s counting the Arrow building")
    best = max(group, key=lambda g: g["rate"])
    rows = [
        Row(GROUP, f"group commit, {PRODUCERS} producers x frames of {FRAME}, vs one bulk add ({commit_rows:,} rows)",
            best["rate"], best_of(bulk), "rows/s", target=0.5,
            note=f"{best['commits']} commits of {best['rows_per_commit']:.0f} rows, {best['compactions']} "
            "compactions included; bulk: one add per table of Arrow tables built beforehand",
            extra={"group": group, "bulk": bulk}),
        Row(GROUP, f"group commit vs one bulk add counting its Arrow building ({commit_rows:,} rows)",
            best["rate"], best_of(built), "rows/s",
            note="the same bulk add, timed from the scored candidates (Python objects) as a commit is",
            extra={"bulk_with_building": built}),
    ]
    shape, latency_rows = await stream_and_inspect(streamed, 20 if quick else 50)
    rows.append(
        Row(GROUP, f"candidates fragments after {streamed:,} streamed signals vs commits (no compaction)",
            shape["fragments"], shape["commits"], "fragments", higher_is_better=False,
            note=f"{shape['compactions']} compactions (every 64 commits, or 60 s after the last); at most "
            f"{shape['peak_fragments']} during the stream; {shape['small_fragments']} small; signals table "
            f"{shape['signals_fragments']} fragments",
            extra=shape)
    )
    rows.append(
        Row(GROUP, f"candidates versions after {streamed:,} streamed signals vs commits", shape["versions"],
            shape["commits"], "versions", higher_is_better=False,
            note="versions older than keep_versions_s (300 s) are pruned at compaction: bounded by time, so a "
            "run this short keeps them all")
    )
    return rows + latency_rows

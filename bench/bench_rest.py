"""2. ScoreStream against the seed's REST style: a FastAPI + uvicorn JSON endpoint, one signal per request.

The REST side is what the seed ran: `POST /score` with `{"signal": {...}}` in the seed's JSON shape (pydantic
models as in `seed-glm3-data-models.md`), answering `{"success": true, "candidate": {...}}`. It calls the same
domain as the gRPC server: `ScoringEngine.score_one` with the `HeuristicScorer` and a `CandidateStore` (group
commit, same compaction settings) on a fresh LanceDB, so each request is validated, checked for an earlier
candidate, scored, committed and answered, as a unary `Score` is. uvicorn runs one worker with its fastest
stack where installed (uvloop, httptools: the `bench` extra installs both), which can only help the baseline.

Both servers run the same way: each is a subprocess of its own (the REST one is this module with
`--serve`, the gRPC one the real `glm3-scoring-server`), started fresh for its measurement and alone on the
machine while it is measured, so the client in this process and the server do not share one interpreter.
The REST client is aiohttp (32 requests in flight over 32 keep-alive connections: an httpx client costs
more CPU per request than the endpoint itself and would flatter gRPC); the gRPC client is the Python client
library's `score_stream` with its defaults. Both send the same signals (`bench/workload.py`), built before the
clock starts (JSON bytes for REST, protobuf messages for gRPC). A signal counts once its answer is back
(after its commit). Best of 2 rounds (1 in quick mode), fresh ids each round.

    .venv/bin/python -m bench.run --only bench_rest [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from bench.harness import (
    Row,
    Spawned,
    best_of,
    cpu_seconds,
    free_port,
    say,
    scoring_server_subprocess,
    spawn_server,
)

CONCURRENCY = 32
GROUP = "2 REST"


# -- the REST server (python -m bench.bench_rest --serve DB_URI) -------------------------------------------
# The models are module-level: FastAPI resolves the (postponed) annotations of the endpoint here.


class SignalIn(BaseModel):  # the seed's Signal
    id: str | None = None
    timestamp: str | None = None
    source: str
    source_url: str | None = None
    title: str
    description: str
    category: str | None = None
    tags: list[str] = Field(default_factory=list)
    engagement: dict[str, int] = Field(default_factory=dict)
    author: str | None = None
    extracted_at: str | None = None
    raw_content: str | None = None
    comments: list[str] | None = None


class CandidateOut(BaseModel):  # the seed's ScoredCandidate
    id: str
    timestamp: str
    signal_id: str
    title: str
    description: str
    scores: dict[str, float]
    overall_score: float
    reasoning: dict[str, str]
    verdict: str
    analysis: dict[str, Any]
    recommendations: list[str]
    source: str | None = None
    source_url: str | None = None
    category: str | None = None
    tags: list[str] = Field(default_factory=list)


class ScoreRequest(BaseModel):
    signal: SignalIn
    config: dict[str, Any] | None = None


class ScoreResponse(BaseModel):
    success: bool
    candidate: CandidateOut | None = None
    error: str | None = None
    already_scored: bool = False


def make_app(storage_uri: str) -> Any:
    """The seed-style FastAPI app over the project's engine, store and heuristic scorer."""
    from fastapi import FastAPI, HTTPException

    from glm3.servers.common.metrics import ScoringMetrics, StoreMetrics, new_registry
    from glm3.servers.scoring.engine import ScoringEngine
    from glm3.servers.scoring.heuristic import HeuristicScorer
    from glm3.servers.scoring.models import Signal
    from glm3.servers.scoring.settings import ScoringSettings
    from glm3.servers.scoring.validation import validate_signal
    from glm3.servers.storage.candidates import CandidateStore
    from glm3.servers.storage.database import Database
    from datetime import datetime

    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tuning = ScoringSettings().scoring  # the gRPC server's defaults
        database = await Database.open(storage_uri)
        registry = new_registry()
        store = await CandidateStore.open(
            database,
            compact_every=tuning.compact_every_commits,
            compact_interval_s=tuning.compact_interval_s,
            keep_versions_s=tuning.keep_versions_s,
            metrics=StoreMetrics(registry),
        )
        state["engine"] = ScoringEngine(store, HeuristicScorer(), tuning.config(), metrics=ScoringMetrics(registry))
        yield
        await store.close()
        await database.close()

    app = FastAPI(lifespan=lifespan)

    def stamp(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    @app.post("/score")
    async def score(request: ScoreRequest) -> ScoreResponse:
        engine: ScoringEngine = state["engine"]
        s = request.signal
        signal = Signal(
            title=s.title, description=s.description, source=s.source, id=s.id or "", timestamp=stamp(s.timestamp),
            source_url=s.source_url or "", category=s.category or "", tags=s.tags, engagement=s.engagement,
            author=s.author or "", extracted_at=stamp(s.extracted_at), raw_content=s.raw_content or "",
            comments=s.comments or [],
        )
        violations = validate_signal(signal)
        if violations:
            raise HTTPException(400, detail=[f"{v.field}: {v.description}" for v in violations])
        outcome = await engine.score_one(signal, engine.config_for(request.config or {}))
        c = outcome.candidate
        return ScoreResponse(
            success=True,
            already_scored=outcome.already_scored,
            candidate=CandidateOut(
                id=c.id, timestamp=c.timestamp.isoformat(), signal_id=c.signal_id, title=c.title,
                description=c.description, scores=c.scores.as_dict(), overall_score=c.overall_score,
                reasoning=c.reasoning.as_dict(), verdict=c.verdict.value, analysis=c.analysis,
                recommendations=c.recommendations, source=c.source, source_url=c.source_url or None,
                category=c.category or None, tags=c.tags,
            ),
        )

    return app


def serve(storage_uri: str) -> None:
    """uvicorn, one worker, on uvloop and httptools when installed; SIGTERM stops it (uvicorn's handler)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(make_app(storage_uri), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                break
            await asyncio.sleep(0.01)
        else:
            print(f"rest listening on 127.0.0.1:{port}", flush=True)
        await task

    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


@contextlib.asynccontextmanager
async def rest_server() -> AsyncIterator[Spawned]:
    with tempfile.TemporaryDirectory(prefix="glm3-bench-rest-") as tmp:
        async with spawn_server([sys.executable, "-m", "bench.bench_rest", "--serve", str(Path(tmp) / "db")]) as server:
            yield server


# -- the measurement ---------------------------------------------------------------------------------------


def rest_bodies(count: int) -> list[bytes]:
    from google.protobuf import json_format

    from bench import workload

    return [
        json.dumps({"signal": json_format.MessageToDict(s, preserving_proto_field_name=True)}).encode()
        for s in workload.signals(count)
    ]


async def rest_round(target: str, count: int) -> tuple[float, int]:
    """`count` fresh signals, one POST each, 32 in flight; returns (signals/s, failures)."""
    import aiohttp

    bodies = rest_bodies(count)
    url = f"http://{target}/score"
    failures = 0
    queue = iter(bodies)
    headers = {"content-type": "application/json"}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            for body in queue:
                async with session.post(url, data=body, headers=headers) as response:
                    reply = json.loads(await response.read())
                    if response.status != 200 or not reply.get("success"):
                        failures += 1

        # Warm the connections first (outside the clock), as a long-running client would have them.
        async with session.post(url, data=rest_bodies(1)[0], headers=headers) as response:
            await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return count / elapsed, failures


async def grpc_round(target: str, count: int) -> tuple[float, int]:
    """`count` fresh signals through `score_stream` with the client's defaults; returns (signals/s, failures)."""
    from bench import workload
    from glm3.client import AsyncScoringClient

    signals = list(workload.signals(count))
    failures = 0
    async with AsyncScoringClient(target, timeout=None) as client:
        async for _ in client.score_stream(list(workload.signals(10))):  # connect and warm up, off the clock
            pass
        started = time.perf_counter()
        async for result in client.score_stream(signals):
            if not result.ok:
                failures += 1
        elapsed = time.perf_counter() - started
    return count / elapsed, failures


async def measure(server: Spawned, round_fn: Any, count: int, rounds: int, label: str) -> dict[str, Any]:
    rates, cpu = [], []
    for _ in range(rounds):
        before = cpu_seconds(server.pid)
        rate, failures = await round_fn(server.target, count)
        cpu.append((cpu_seconds(server.pid) - before) / count * 1e3)
        if failures:
            raise RuntimeError(f"{label}: {failures} of {count} signals failed")
        rates.append(rate)
        say(f"  {label}: {rate:,.0f} signals/s, server CPU {cpu[-1]:.2f} ms/signal")
    return {"rate": best_of(rates), "rates": rates, "server_cpu_ms": min(cpu)}


async def run(quick: bool) -> list[Row]:
    rest_count, grpc_count = (500, 5_000) if quick else (5_000, 100_000)
    rounds = 1 if quick else 2
    async with rest_server() as server:
        rest = await measure(server, rest_round, rest_count, rounds, f"FastAPI POST /score x{rest_count:,}, 32 in flight")
    async with scoring_server_subprocess() as server:
        grpc = await measure(server, grpc_round, grpc_count, rounds, f"ScoreStream x{grpc_count:,}")
    return [
        Row(
            GROUP,
            "ScoreStream vs FastAPI POST /score (aiohttp, 32 in flight)",
            grpc["rate"],
            rest["rate"],
            "signals/s",
            target=10.0,
            note=(
                f"server CPU per signal: ScoreStream {grpc['server_cpu_ms']:.2f} ms, REST "
                f"{rest['server_cpu_ms']:.2f} ms; both servers subprocesses, heuristic scorer, group commit"
            ),
            extra={"grpc": grpc, "rest": rest, "rest_signals": rest_count, "grpc_signals": grpc_count},
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", metavar="STORAGE_URI", help="serve the FastAPI endpoint (prints its address)")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)


if __name__ == "__main__":
    main()

"""`glm3-scoring-server`: the scoring service on LanceDB, heuristic by default, an LLM when configured."""

from __future__ import annotations

from collections.abc import Sequence

from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.servers.common.app import ServerDeps, ServiceBinding
from glm3.servers.common.health import DependencyProbe
from glm3.servers.common.metrics import ScoringMetrics, StoreMetrics, new_registry
from glm3.servers.common.runner import run_main
from glm3.servers.scoring.engine import ScoringEngine
from glm3.servers.scoring.heuristic import HeuristicScorer
from glm3.servers.scoring.models import Scorer
from glm3.servers.scoring.servicer import SERVICE_NAME, ScoringServicer
from glm3.servers.scoring.settings import ScoringSettings
from glm3.servers.storage import guard
from glm3.servers.storage.audit import AuditLog
from glm3.servers.storage.candidates import CandidateStore
from glm3.servers.storage.database import Database

PROG = "glm3-scoring-server"


async def make_deps(settings: ScoringSettings) -> ServerDeps:
    """Opens what the scoring server needs and says how to probe and close it."""
    storage = settings.storage
    # Before anything is opened: another live server writing this database stops the start (exit 2).
    writer_lock = guard.acquire(storage.uri, "scoring", shared=storage.shared, prog=PROG)
    database = await Database.open(
        storage.uri,
        index_cache_mb=storage.index_cache_mb,
        metadata_cache_mb=storage.metadata_cache_mb,
        storage_options=storage.storage_options(),
        read_consistency_s=storage.read_consistency_s if storage.shared else None,
    )
    tuning = settings.scoring
    registry = new_registry()
    metrics = ScoringMetrics(registry)
    embedder = None
    if settings.embedding.configured:
        from glm3.servers.common.embeddings import Embedder

        embedder = Embedder(settings.embedding, settings.llm)
    store = await CandidateStore.open(
        database,
        compact_every=tuning.compact_every_commits,
        compact_interval_s=tuning.compact_interval_s,
        keep_versions_s=tuning.keep_versions_s,
        compact_max_share=tuning.compact_max_share,
        embedder=embedder,
        metrics=StoreMetrics(registry),
        shared=storage.shared,
    )
    heuristic = HeuristicScorer()
    scorer: Scorer = heuristic
    llm = None
    if settings.llm.configured:
        from glm3.servers.scoring.llm import LLMScorer  # only servers with an LLM pay for importing openai

        llm = LLMScorer(settings.llm, fallback=heuristic, metrics=metrics)
        scorer = llm
    engine = ScoringEngine(store, scorer, tuning.config(), llm=llm, metrics=metrics)
    audit = await AuditLog.open(database, PROG)
    servicer = ScoringServicer(
        engine,
        stream_window=tuning.stream_window,
        audit=audit,
        max_response_bytes=settings.server.max_send_message_bytes,
    )

    async def release_writer_lock() -> None:
        writer_lock.release()

    async def close_clients() -> None:
        if llm is not None:
            await llm.close()
        if embedder is not None:
            await embedder.close()

    return ServerDeps(
        services=[ServiceBinding(SERVICE_NAME, servicer, pb_grpc.add_ScoringServiceServicer_to_server)],
        probes=[DependencyProbe("storage", database.probe)],
        # Pending candidates are committed before the database closes.
        closers=[store.close, audit.close, close_clients, database.close, release_writer_lock],
        registry=registry,
        audit=audit,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        PROG,
        "Scores product-idea signals over gRPC (glm3.scoring.v1.ScoringService).",
        ScoringSettings,
        make_deps,
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())

"""A bench-only scoring server whose scorer costs nothing: what ScoreStream reaches on the rest of the server.

It is `glm3-scoring-server` itself (the same settings, gRPC stack, interceptors, engine, group commit and
LanceDB store, built by the product's `make_deps`), with one change: the heuristic scorer is replaced by one
that hands back a copy of a single precomputed draft (the heuristic's draft of `bench.echo.SAMPLE`). Every
signal is still converted, validated, given a candidate, committed and answered. The streaming benchmark
runs it beside the real server so that a target can be compared with what no scorer, however fast, could
lift the rest of the server above.

    .venv/bin/python -m bench.free_scorer_server [--config FILE]   # the real server's options and settings
"""

from __future__ import annotations

from collections.abc import Sequence

from glm3.servers.common.app import ServerDeps
from glm3.servers.common.runner import run_main
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.engine import ScoringEngine
from glm3.servers.scoring.heuristic import HeuristicScorer
from glm3.servers.scoring.models import ScoreDraft, ScoringConfig, Signal
from glm3.servers.scoring.servicer import ScoringServicer
from glm3.servers.scoring.settings import ScoringSettings

PROG = "bench-free-scorer-server"


class FreeScorer(HeuristicScorer):
    """Returns a copy of one draft whatever the signal (a HeuristicScorer, so the engine keeps the inline
    path the real server takes with the heuristic)."""

    __slots__ = ("_draft",)

    def __init__(self, draft: ScoreDraft) -> None:
        self._draft = draft

    def score_now(self, signal: Signal, config: ScoringConfig) -> ScoreDraft:
        draft = self._draft
        return ScoreDraft(draft.scores, draft.reasoning, list(draft.recommendations), dict(draft.analysis))


async def make_deps(settings: ScoringSettings) -> ServerDeps:
    from bench.echo import SAMPLE
    from glm3.servers.scoring.convert import signal_from_pb

    deps = await scoring_main.make_deps(settings)
    servicer = deps.services[0].servicer
    assert isinstance(servicer, ScoringServicer)
    engine: ScoringEngine = servicer.engine
    if settings.llm.configured or not isinstance(engine.scorer, HeuristicScorer):
        raise SystemExit(f"{PROG} replaces the heuristic scorer: run it without an LLM configured")
    signal, _ = signal_from_pb(SAMPLE)
    engine.scorer = FreeScorer(engine.scorer.score_now(signal, engine.base_config))
    return deps


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(PROG, "glm3-scoring-server with a scorer that costs nothing (benchmarks only).",
                    ScoringSettings, make_deps, argv)


if __name__ == "__main__":
    raise SystemExit(main())

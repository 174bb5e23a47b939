"""Shared by the store tests: a LanceDB database in the test's temp dir, and scored signals ready to commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from glm3.servers.scoring.engine import ScoringEngine
from glm3.servers.scoring.heuristic import HeuristicScorer
from glm3.servers.scoring.models import ScoringConfig, Signal, utcnow
from glm3.servers.storage.candidates import PendingScore
from glm3.servers.storage.database import Database

CONFIG = ScoringConfig()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(str(tmp_path / "lancedb"))
    yield db
    await db.close()


def scored(signal_id: str, *, rescore: bool = False) -> PendingScore:
    """A heuristic-scored signal with id `signal_id`, waiting for its commit."""
    engine = ScoringEngine(None, HeuristicScorer(), CONFIG)  # type: ignore[arg-type]  # only builds candidates
    signal = Signal(title=f"Invoice matching {signal_id}", description="I would pay to stop matching by hand.",
                    source="reddit", id=signal_id)
    candidate = engine._candidate(signal, engine.scorer.score_now(signal, CONFIG), CONFIG, 0.1)
    return PendingScore(signal, candidate, rescore, utcnow())

"""The scoring domain's data: signals, configs, scores, candidates, feedback. No gRPC, no protobuf.

Field names are the seed's (`../shared/seed-glm3-data-models.md`); the transport converts to and from the
`glm3.scoring.v1` messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Protocol

from glm3.servers.common.ids import new_id, utcnow

DIMENSIONS = ("market", "competition", "emotional", "feasibility", "signal_quality")


class Verdict(enum.StrEnum):
    GO = "GO"
    RESEARCH = "RESEARCH"
    PASS = "PASS"


@dataclass(slots=True)
class Signal:
    """A raw signal from a producer (the seed's `Signal`). Empty strings mean absent."""

    title: str
    description: str
    source: str
    id: str = ""
    timestamp: datetime | None = None
    source_url: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    engagement: dict[str, int] = field(default_factory=dict)
    author: str = ""
    extracted_at: datetime | None = None
    raw_content: str = ""
    comments: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Weights and thresholds in force for one scoring (the seed's `ScoringConfig`, all values resolved)."""

    market_weight: float = 0.25
    competition_weight: float = 0.20
    emotional_weight: float = 0.30
    feasibility_weight: float = 0.15
    signal_quality_weight: float = 0.10
    emotional_threshold: float = 96.0
    go_threshold: float = 85.0
    research_threshold: float = 70.0

    def weights(self) -> dict[str, float]:
        return {d: getattr(self, name) for d, name in _WEIGHT_FIELDS}

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in _CONFIG_FIELDS}


_CONFIG_FIELDS = tuple(f.name for f in fields(ScoringConfig))
_WEIGHT_FIELDS = tuple((d, f"{d}_weight") for d in DIMENSIONS)


# Frozen dataclasses made once per signal get a plain __init__: the generated one looks `object.__setattr__` up
# for every field, which costs twice as much.
_set = object.__setattr__


def _by_dimension(values: Any) -> dict[str, Any]:
    """The five per-dimension fields of Scores or Reasoning as a dict (DIMENSIONS, spelled out: faster)."""
    return {
        "market": values.market,
        "competition": values.competition,
        "emotional": values.emotional,
        "feasibility": values.feasibility,
        "signal_quality": values.signal_quality,
    }


@dataclass(frozen=True, slots=True, init=False)
class Scores:
    """The five dimension scores, each 0 to 100, higher is better (the numbers of the seed's ScoreBreakdown)."""

    market: float
    competition: float
    emotional: float
    feasibility: float
    signal_quality: float

    def __init__(
        self, market: float, competition: float, emotional: float, feasibility: float, signal_quality: float
    ) -> None:
        _set(self, "market", market)
        _set(self, "competition", competition)
        _set(self, "emotional", emotional)
        _set(self, "feasibility", feasibility)
        _set(self, "signal_quality", signal_quality)

    def as_dict(self) -> dict[str, float]:
        return _by_dimension(self)


@dataclass(frozen=True, slots=True, init=False)
class Reasoning:
    """One explanation per dimension (the seed's `*_reasoning` strings)."""

    market: str
    competition: str
    emotional: str
    feasibility: str
    signal_quality: str

    def __init__(self, market: str, competition: str, emotional: str, feasibility: str, signal_quality: str) -> None:
        _set(self, "market", market)
        _set(self, "competition", competition)
        _set(self, "emotional", emotional)
        _set(self, "feasibility", feasibility)
        _set(self, "signal_quality", signal_quality)

    def as_dict(self) -> dict[str, str]:
        return _by_dimension(self)


@dataclass(slots=True)
class ScoreDraft:
    """What a scorer returns for one signal; the engine adds the overall score, verdict and identity.

    `analysis` holds at least `scorer` (`heuristic` or `llm`) and `scorer_version`; the LLM scorer adds
    `model`, `prompt_version` and, when it handed over to the heuristic, `fallback_reason`.
    """

    scores: Scores
    reasoning: Reasoning
    recommendations: list[str]
    analysis: dict[str, Any]


class Scorer(Protocol):
    """Scores one signal. Implementations: `HeuristicScorer`, `LLMScorer`.

    `timeout` is the time left (seconds) for this signal, derived from the RPC deadline; None means no
    deadline. A scorer never raises for a bad signal: it has been validated before.
    """

    name: str

    async def score(
        self, signal: Signal, config: ScoringConfig, *, timeout: float | None = None
    ) -> ScoreDraft: ...


@dataclass(slots=True)
class ScoredCandidate:
    """A fully scored signal (the seed's `ScoredCandidate`), plus its version for rescoring."""

    id: str
    timestamp: datetime
    signal_id: str
    title: str
    description: str
    scores: Scores
    overall_score: float
    reasoning: Reasoning
    verdict: Verdict
    analysis: dict[str, Any]
    recommendations: list[str]
    source: str = ""
    source_url: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    version: int = 1
    previous_candidate_id: str = ""
    # Why the verdict, in one line (`rules.verdict_reason`); empty for a candidate read from storage, whose
    # reason is derived when it is sent (`rules.stored_verdict_reason`).
    verdict_reason: str = ""


@dataclass(slots=True)
class Feedback:
    """What really happened to a candidate, as told by a person."""

    id: str
    timestamp: datetime
    candidate_id: str
    verdict_correct: bool | None = None
    expected_verdict: Verdict | None = None
    actual_outcome: str = ""
    rating: int = 0
    comment: str = ""
    submitted_by: str = ""

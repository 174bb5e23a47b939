"""Settings of the scoring server."""

from __future__ import annotations

from pydantic import Field, model_validator

from glm3.servers.common.settings import BaseSettings, EmbeddingSection, LlmSection, Section, ServerSection
from glm3.servers.scoring import rules
from glm3.servers.scoring.models import ScoringConfig

_DEFAULTS = ScoringConfig()


class ScoringSection(Section):
    market_weight: float = Field(_DEFAULTS.market_weight, description="weight of the market score")
    competition_weight: float = Field(_DEFAULTS.competition_weight, description="weight of the competition score")
    emotional_weight: float = Field(_DEFAULTS.emotional_weight, description="weight of the emotional score")
    feasibility_weight: float = Field(_DEFAULTS.feasibility_weight, description="weight of the feasibility score")
    signal_quality_weight: float = Field(
        _DEFAULTS.signal_quality_weight, description="weight of the signal quality score (weights sum to 1)"
    )
    emotional_threshold: float = Field(
        _DEFAULTS.emotional_threshold, description="emotional score that lifts a RESEARCH candidate to GO"
    )
    go_threshold: float = Field(_DEFAULTS.go_threshold, description="overall score at or above which a candidate is GO")
    research_threshold: float = Field(
        _DEFAULTS.research_threshold, description="overall score at or above which a candidate is RESEARCH"
    )
    stream_window: int = Field(
        1_000,
        ge=1,
        le=100_000,
        description="signals in flight per ScoreStream; the server stops reading while the window is full",
    )
    compact_every_commits: int = Field(
        64, ge=1, description="compact the tables (and refresh indexes) after this many group commits"
    )
    compact_interval_s: float = Field(
        60.0, gt=0, description="...or after this many seconds with at least one commit"
    )
    compact_max_share: float = Field(
        0.25,
        gt=0,
        le=1,
        description="share of the time compaction may take: after one of D seconds the next waits D * (1/share - 1)",
    )
    keep_versions_s: float = Field(
        300.0, ge=0, description="table versions older than this are pruned at compaction"
    )

    @model_validator(mode="after")
    def _rules_hold(self) -> ScoringSection:
        _, violations = rules.resolve_config(ScoringConfig(), self.config().as_dict(), "scoring")
        if violations:
            raise ValueError(f"{violations[0].field} {violations[0].description}")
        return self

    def config(self) -> ScoringConfig:
        return ScoringConfig(**{name: getattr(self, name) for name in ScoringConfig().as_dict()})


class ScoringSettings(BaseSettings):
    server: ServerSection = ServerSection(port=50051)
    llm: LlmSection = LlmSection()
    scoring: ScoringSection = ScoringSection()
    embedding: EmbeddingSection = EmbeddingSection()

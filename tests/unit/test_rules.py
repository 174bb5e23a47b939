"""Scoring rules: verdicts at every threshold boundary, weighted overall score, config checks."""

from __future__ import annotations

import math

import pytest

from glm3.servers.scoring.models import ScoringConfig, Scores, Verdict
from glm3.servers.scoring import rules
from glm3.servers.scoring.rules import overall_score, resolve_config, verdict

DEFAULT = ScoringConfig()


@pytest.mark.parametrize(
    ("overall", "emotional", "expected"),
    [
        (100.0, 0.0, Verdict.GO),
        (85.0, 0.0, Verdict.GO),  # go_threshold is inclusive
        (84.99, 0.0, Verdict.RESEARCH),
        (84.99, 95.99, Verdict.RESEARCH),
        (84.99, 96.0, Verdict.GO),  # emotional_threshold is inclusive
        (70.0, 96.0, Verdict.GO),  # research_threshold is inclusive for the emotional rule too
        (70.0, 95.99, Verdict.RESEARCH),
        (69.99, 100.0, Verdict.PASS),  # the emotional rule needs RESEARCH level first
        (69.99, 0.0, Verdict.PASS),
        (0.0, 0.0, Verdict.PASS),
    ],
)
def test_verdict_table(overall: float, emotional: float, expected: Verdict) -> None:
    assert verdict(overall, emotional, DEFAULT) is expected


def test_verdict_follows_overridden_thresholds() -> None:
    config, violations = resolve_config(DEFAULT, {"go_threshold": 60.0, "research_threshold": 40.0, "emotional_threshold": 50.0})
    assert violations == []
    assert verdict(60.0, 0.0, config) is Verdict.GO
    assert verdict(59.9, 50.0, config) is Verdict.GO
    assert verdict(59.9, 49.9, config) is Verdict.RESEARCH
    assert verdict(39.9, 100.0, config) is Verdict.PASS


def test_overall_is_the_weighted_sum() -> None:
    scores = Scores(market=80, competition=60, emotional=90, feasibility=70, signal_quality=50)
    expected = 80 * 0.25 + 60 * 0.20 + 90 * 0.30 + 70 * 0.15 + 50 * 0.10
    assert overall_score(scores, DEFAULT) == round(expected, 2)
    only_market, _ = resolve_config(
        DEFAULT,
        {"market_weight": 1.0, "competition_weight": 0, "emotional_weight": 0, "feasibility_weight": 0, "signal_quality_weight": 0},
    )
    assert overall_score(scores, only_market) == 80.0


def test_weights_must_sum_to_one() -> None:
    _, violations = resolve_config(DEFAULT, {"market_weight": 0.5})
    assert [v.field for v in violations] == ["config.market_weight"]
    assert "sum to 1" in violations[0].description
    _, violations = resolve_config(DEFAULT, {"market_weight": 0.35, "competition_weight": 0.10})
    assert violations == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"market_weight": -0.1, "competition_weight": 0.55}, "config.market_weight"),
        ({"go_threshold": 101.0}, "config.go_threshold"),
        ({"emotional_threshold": -1.0}, "config.emotional_threshold"),
        ({"research_threshold": 90.0}, "config.research_threshold"),  # above go_threshold 85
        ({"go_threshold": math.nan}, "config.go_threshold"),
    ],
)
def test_out_of_range_values_are_named(overrides: dict[str, float], field: str) -> None:
    _, violations = resolve_config(DEFAULT, overrides)
    assert field in [v.field for v in violations]


def test_overall_is_the_same_sum_over_the_dimensions_to_the_last_bit() -> None:
    """The spelled-out sum adds exactly what `sum()` over DIMENSIONS with `weights()` added, in that order."""
    import random

    from glm3.servers.scoring.models import DIMENSIONS

    rng = random.Random(7)
    for _ in range(5_000):
        raw = [rng.random() for _ in DIMENSIONS]
        weights = {f"{d}_weight": w / sum(raw) for d, w in zip(DIMENSIONS, raw, strict=True)}
        config, _ = resolve_config(DEFAULT, weights)
        scores = Scores(*(rng.choice((0.0, 100.0, round(rng.uniform(0, 100), 1))) for _ in DIMENSIONS))
        by_name = config.weights()
        total = sum(getattr(scores, d) * by_name[d] for d in DIMENSIONS)
        assert overall_score(scores, config) == round(min(100.0, max(0.0, total)), 2)


def test_config_as_dict_and_weights_name_every_field() -> None:
    from dataclasses import fields

    config = ScoringConfig(market_weight=0.3, signal_quality_weight=0.05)
    assert config.as_dict() == {f.name: getattr(config, f.name) for f in fields(config)}
    assert list(config.as_dict()) == [f.name for f in fields(config)]
    assert config.weights() == {
        "market": 0.3, "competition": 0.20, "emotional": 0.30, "feasibility": 0.15, "signal_quality": 0.05,
    }  # fmt: skip


def test_scores_and_reasoning_as_dict_follow_the_dimensions() -> None:
    from glm3.servers.scoring.models import DIMENSIONS, Reasoning

    scores = Scores(1.0, 2.0, 3.0, 4.0, 5.0)
    reasoning = Reasoning("a", "b", "c", "d", "e")
    assert list(scores.as_dict().items()) == [(d, getattr(scores, d)) for d in DIMENSIONS]
    assert list(reasoning.as_dict().items()) == [(d, getattr(reasoning, d)) for d in DIMENSIONS]


@pytest.mark.parametrize(
    ("overall", "emotional", "expected"),
    [
        (87.25, 50.0, "overall 87.25 >= go_threshold 85"),
        (72.0, 97.5, "overall 72 >= research_threshold 70 and emotional 97.5 >= emotional_threshold 96"),
        (72.0, 50.0, "overall 72 >= research_threshold 70 and < go_threshold 85"),
        (61.5, 99.0, "overall 61.5 < research_threshold 70"),
    ],
)
def test_verdict_reason_names_the_rule_that_decided(overall: float, emotional: float, expected: str) -> None:
    config = ScoringConfig()
    verdict = rules.verdict(overall, emotional, config)
    assert rules.verdict_reason(overall, emotional, verdict, config) == expected


def test_a_stored_candidates_reason_uses_the_thresholds_it_was_scored_with() -> None:
    analysis = {"config": {"go_threshold": 80.0, "research_threshold": 60.0, "emotional_threshold": "junk"}}
    assert rules.stored_verdict_reason(81.0, 10.0, Verdict.GO, analysis) == "overall 81 >= go_threshold 80"
    assert rules.stored_verdict_reason(65.0, 10.0, Verdict.RESEARCH, analysis) == (
        "overall 65 >= research_threshold 60 and < go_threshold 80"
    )
    # No config stored (or not an object): the defaults.
    assert rules.stored_verdict_reason(50.0, 10.0, Verdict.PASS, {"config": None}) == "overall 50 < research_threshold 70"

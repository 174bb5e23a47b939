"""The scoring rules: config resolution and checks, overall score, verdict (DESIGN.md, defaults from the seed)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from glm3.servers.common.errors import FieldViolation
from glm3.servers.scoring.models import DIMENSIONS, ScoringConfig, Scores, Verdict

WEIGHT_TOLERANCE = 1e-6


def resolve_config(
    base: ScoringConfig, overrides: Mapping[str, float], field_prefix: str = "config"
) -> tuple[ScoringConfig, list[FieldViolation]]:
    """`base` with `overrides` applied, and every rule the result breaks (field paths under `field_prefix`)."""
    known = set(base.as_dict())
    violations = [
        FieldViolation(f"{field_prefix}.{name}", "unknown option") for name in overrides if name not in known
    ]
    config = replace(base, **{k: float(v) for k, v in overrides.items() if k in known})
    for name, value in config.as_dict().items():
        path = f"{field_prefix}.{name}"
        if not math.isfinite(value):
            violations.append(FieldViolation(path, "must be a finite number"))
        elif name.endswith("_weight") and not 0.0 <= value <= 1.0:
            violations.append(FieldViolation(path, f"must be between 0 and 1, got {value:g}"))
        elif name.endswith("_threshold") and not 0.0 <= value <= 100.0:
            violations.append(FieldViolation(path, f"must be between 0 and 100, got {value:g}"))
    total = sum(config.weights().values())
    if math.isfinite(total) and abs(total - 1.0) > WEIGHT_TOLERANCE:
        named = [f"{field_prefix}.{d}_weight" for d in DIMENSIONS if f"{d}_weight" in overrides]
        where = named[0] if named else f"{field_prefix}.market_weight"
        violations.append(
            FieldViolation(where, f"weights must sum to 1 (within {WEIGHT_TOLERANCE:g}), they sum to {total:.6g}")
        )
    if config.research_threshold > config.go_threshold:
        violations.append(
            FieldViolation(
                f"{field_prefix}.research_threshold",
                f"must not exceed go_threshold ({config.go_threshold:g}), got {config.research_threshold:g}",
            )
        )
    return config, violations


def overall_score(scores: Scores, config: ScoringConfig) -> float:
    """Weighted sum of the dimension scores, 0 to 100, rounded to 2 decimals."""
    # sum() over DIMENSIONS, spelled out: the same additions in the same order (from 0), without the dict.
    total = (
        0
        + scores.market * config.market_weight
        + scores.competition * config.competition_weight
        + scores.emotional * config.emotional_weight
        + scores.feasibility * config.feasibility_weight
        + scores.signal_quality * config.signal_quality_weight
    )
    return round(min(100.0, max(0.0, total)), 2)


def verdict_reason(overall: float, emotional: float, verdict: Verdict, config: ScoringConfig) -> str:
    """One line on why `verdict`: the rule of `verdict()` that decided it, with the numbers and thresholds
    (`ScoredCandidate.verdict_reason`)."""
    research, go = config.research_threshold, config.go_threshold
    if verdict is Verdict.GO:
        if overall >= go:
            return f"overall {overall:g} >= go_threshold {go:g}"
        return (
            f"overall {overall:g} >= research_threshold {research:g} and emotional {emotional:g} >= "
            f"emotional_threshold {config.emotional_threshold:g}"
        )
    if verdict is Verdict.RESEARCH:
        return f"overall {overall:g} >= research_threshold {research:g} and < go_threshold {go:g}"
    return f"overall {overall:g} < research_threshold {research:g}"


_THRESHOLDS = ("emotional_threshold", "go_threshold", "research_threshold")


def stored_verdict_reason(overall: float, emotional: float, verdict: Verdict, analysis: Mapping[str, object]) -> str:
    """`verdict_reason` of a stored candidate scored before the field existed: the thresholds of the config it
    was scored with (`analysis.config`), the defaults for any that is missing."""
    used = analysis.get("config")
    values: dict[str, float] = {}
    if isinstance(used, Mapping):
        for name in _THRESHOLDS:
            value = used.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                values[name] = float(value)
    return verdict_reason(overall, emotional, verdict, replace(_DEFAULT, **values))


_DEFAULT = ScoringConfig()


def verdict(overall: float, emotional: float, config: ScoringConfig) -> Verdict:
    """GO at or above go_threshold, or at or above research_threshold with emotional at or above
    emotional_threshold; RESEARCH at or above research_threshold; PASS otherwise."""
    if overall >= config.go_threshold:
        return Verdict.GO
    if overall >= config.research_threshold:
        if emotional >= config.emotional_threshold:
            return Verdict.GO
        return Verdict.RESEARCH
    return Verdict.PASS

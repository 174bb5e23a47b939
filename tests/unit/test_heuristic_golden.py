"""The heuristic scorer says exactly what it said when the golden file was written, word for word.

A failure after a change meant to be a pure speed-up is a behaviour change: find it. After a change of the
rules on purpose (bump `HeuristicScorer.version`), write the file anew:
`.venv/bin/python -m tests.unit.heuristic_golden`.
"""

from __future__ import annotations

import json

from glm3.servers.scoring.heuristic import HeuristicScorer
from glm3.servers.scoring.models import ScoringConfig
from tests.unit.heuristic_golden import GOLDEN, cases, digest, render


def test_golden_outputs_are_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text())
    assert golden["version"] == HeuristicScorer.version, "the rules changed: write the golden file anew"
    scorer = HeuristicScorer()
    config = ScoringConfig()
    seen = set()
    changed = []
    for name, signal in cases():
        seen.add(name)
        draft = scorer.score_now(signal, config)
        if name in golden["samples"]:
            assert json.loads(json.dumps(render(draft))) == golden["samples"][name], name
        if digest(draft) != golden["digests"][name]:
            changed.append(name)
    assert not changed, f"{len(changed)} signals score differently, first {changed[:5]}"
    assert seen == set(golden["digests"])


def test_rounding_is_rounds_to_the_last_bit() -> None:
    """`_rounded` (scores to 1 decimal, features to 3) returns exactly what round() returns: random values,
    every decimal step and the values on both sides of each tie."""
    import math
    import random

    from glm3.servers.scoring.heuristic import _clamp, _round3, _rounded

    rng = random.Random(5)
    values = [rng.uniform(0, 100) for _ in range(20_000)] + [rng.uniform(0, 1) for _ in range(20_000)]
    values += [k / 10 + d for k in range(1_001) for d in (0, 0.05, -0.05, 1e-12, -1e-12, 0.04999999, 0.05000001)]
    values += [k / 1000 + d for k in range(2_000) for d in (0, 0.0005, -0.0005, 1e-15, 0.00049999999)]
    values += [0.25, 0.35, 2.675, 1.0005, 0.0005, 5e-324, 1e-300, 999.9995, 0.1 + 0.2, 1e7 + 0.05, math.inf, math.nan]
    for value in values:
        if not value >= 0:  # the callers' range: clamped scores, ratios, weights
            continue
        for scale, digits in ((10, 1), (1000, 3)):
            got, expected = _rounded(value, scale), round(value, digits)
            assert got == expected or (math.isnan(got) and math.isnan(expected)), (value, digits)
            assert math.copysign(1, got) == math.copysign(1, expected)
        assert _round3(value) == round(value, 3) or math.isnan(value)
        assert _clamp(value) == round(min(100.0, max(0.0, value)), 1) or math.isnan(value)
    for value in (-5.0, -0.0, math.nan, 150.0):
        assert _clamp(value) == round(min(100.0, max(0.0, value)), 1)


def test_score_texts_are_gs() -> None:
    from glm3.servers.scoring.heuristic import _g

    for k in range(1_001):
        assert _g(k / 10) == f"{k / 10:g}"
        assert _g(round(k / 10 + 0.01, 1)) == f"{round(k / 10 + 0.01, 1):g}"
    for odd in (0.0, -0.0, 100.5, 1e-9, 33.333):
        assert _g(odd) == f"{odd:g}"

"""Golden outputs of the heuristic scorer: a fixed, varied set of signals and a digest of what it says about each.

The test (`test_heuristic_golden.py`) checks that the scorer still gives exactly these scores, reasoning,
recommendations and features; it is there so the scorer can be made faster without changing a single word.
When the rules change on purpose (and `HeuristicScorer.version` is bumped), write the file anew:

    .venv/bin/python -m tests.unit.heuristic_golden
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from glm3.servers.scoring.heuristic import _LEXICON_TEMPLATES, HeuristicScorer, _expand
from glm3.servers.scoring.models import ScoreDraft, ScoringConfig, Signal

GOLDEN = Path(__file__).with_name("heuristic_golden.json")
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "clients" / "python" / "data" / "sample_signals.jsonl"
WORKLOAD_SIGNALS = 250  # bench/workload.py repeats itself after a few hundred; these cover its combinations
RANDOM_SIGNALS = 600
SEED = 20_240_601


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def sample_signals() -> Iterator[tuple[str, Signal]]:
    """The bundled sample signals (the client's data/sample_signals.jsonl), as the server would get them."""
    for line in SAMPLES.read_text().splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        yield (
            f"sample:{raw['id']}",
            Signal(
                title=raw["title"],
                description=raw["description"],
                source=raw["source"],
                id=raw.get("id") or "",
                timestamp=_time(raw.get("timestamp")),
                source_url=raw.get("source_url") or "",
                category=raw.get("category") or "",
                tags=list(raw.get("tags") or []),
                engagement=dict(raw.get("engagement") or {}),
                author=raw.get("author") or "",
                extracted_at=_time(raw.get("extracted_at")),
                raw_content=raw.get("raw_content") or "",
                comments=list(raw.get("comments") or []),
            ),
        )


def workload_signals() -> Iterator[tuple[str, Signal]]:
    """The benchmark's signals (bench/workload.py), converted as the server converts them."""
    from bench import workload
    from glm3.servers.scoring.convert import signal_from_pb

    for n in range(WORKLOAD_SIGNALS):
        signal, _ = signal_from_pb(workload.signal(n))
        yield f"workload:{n}", signal


_PHRASES = sorted({phrase for templates in _LEXICON_TEMPLATES.values() for t in templates for phrase in _expand(t)})
_FILLER = (
    "the a we our it is was to and of for with on in this that my client invoices notes people tool app "
    "like but every time something 3 12 1,200 4.5 $20 $49/month 20 dollars 300k excel at excel in likes "
    "like Notion but simpler, like a b but"
).split()
_BREAKS = (
    " ", " ", " ", " ", "\n", ". ", ", ", " (", ") ", ' "', '" ', " / ", "... ", "\u2014", "\u2019", "\t", "*", "\xa0",
)  # fmt: skip
_SOURCES = (
    "reddit", "Hacker News", "HN", "news.ycombinator.com", "x", "www.producthunt.com", "some-forum", "g2crowd", "",
)  # fmt: skip
_ENGAGEMENT_KEYS = (
    "upvotes", "points", "comments", "Num-Comments", "views", "likes", "retweets", "karma", "reply count",
)  # fmt: skip


def _text(rng: random.Random, words: int, cue_share: float) -> str:
    parts = []
    for _ in range(words):
        word = rng.choice(_PHRASES) if rng.random() < cue_share else rng.choice(_FILLER)
        if rng.random() < 0.3:
            word = word.upper() if rng.random() < 0.3 else word.capitalize()
        parts.append(word)
        parts.append(rng.choice(_BREAKS))
    return "".join(parts).strip()


def random_signals() -> Iterator[tuple[str, Signal]]:
    """Seeded random signals mixing cue phrases, look-alikes, numbers, prices and word breaks, with stuffing,
    long fields (over the one-pass limit, the match cap), NULs, odd engagement keys and timestamps."""
    rng = random.Random(SEED)
    posted = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    for n in range(RANDOM_SIGNALS):
        kind = n % 6
        share = rng.choice((0.0, 0.1, 0.3, 0.6))
        title = _text(rng, rng.randint(1, 12), share)
        description = _text(rng, rng.randint(1, 120 if kind != 4 else 1_500), share)
        raw = ""
        if kind in (1, 4):
            raw = _text(rng, rng.randint(0, 600), share)
            if rng.random() < 0.5:
                raw = f"{title}\n{description}\n{raw}"
        comments = [_text(rng, rng.randint(1, 40 if kind != 4 else 400), share) for _ in range(rng.randint(0, 8))]
        if kind == 2:  # stuffing: one cue over and over, in the post or in a comment
            cue = rng.choice(_PHRASES)
            stuffed = " ".join([cue] * rng.randint(5, 60))
            if rng.random() < 0.5:
                description += " " + stuffed
            else:
                comments.append(stuffed)
        if kind == 3 and rng.random() < 0.5:
            description += " \x00 nul " + rng.choice(_PHRASES)
        if kind == 5:
            comments = comments * rng.randint(5, 30)  # many comments: the comment caps
        if n % 50 == 7:  # cue-stuffed throughout: the match cap
            raw = _text(rng, 4_000, 0.9)
            comments += [_text(rng, 300, 0.9) for _ in range(rng.randint(0, 60))]
        counts = (0, 1, 7, 50, 340, 12_000, 2**62)
        engagement = {rng.choice(_ENGAGEMENT_KEYS): rng.choice(counts) for _ in range(rng.randint(0, 4))}
        timestamp = extracted = None
        if rng.random() < 0.7:
            timestamp = posted + timedelta(hours=rng.randint(-10_000, 10_000))
            extracted = timestamp + timedelta(hours=rng.choice((-48, -12, 0, 3, 40, 300, 3_000)))
            if rng.random() < 0.2:
                timestamp = timestamp.replace(tzinfo=None)
            if rng.random() < 0.2:
                extracted = None
        yield (
            f"random:{n}",
            Signal(
                title=title or "t",
                description=description or "d",
                source=rng.choice(_SOURCES) or "reddit",
                id=f"golden-{n}",
                timestamp=timestamp,
                source_url="https://example.com/x" if rng.random() < 0.5 else "",
                category=rng.choice(("", "finance", "devtools")),
                tags=rng.sample(["saas", "workflow", "finance", "b2b"], rng.randint(0, 3)),
                engagement=engagement,
                author=rng.choice(("", "u/someone")),
                extracted_at=extracted,
                raw_content=raw,
                comments=comments,
            ),
        )


def cases() -> Iterator[tuple[str, Signal]]:
    yield from sample_signals()
    yield from workload_signals()
    yield from random_signals()


def render(draft: ScoreDraft) -> dict[str, Any]:
    return {
        "scores": draft.scores.as_dict(),
        "reasoning": draft.reasoning.as_dict(),
        "recommendations": draft.recommendations,
        "analysis": draft.analysis,
    }


def digest(draft: ScoreDraft) -> str:
    text = json.dumps(render(draft), sort_keys=True, ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def compute() -> dict[str, Any]:
    scorer = HeuristicScorer()
    config = ScoringConfig()
    digests: dict[str, str] = {}
    samples: dict[str, Any] = {}
    for name, signal in cases():
        draft = scorer.score_now(signal, config)
        digests[name] = digest(draft)
        if name.startswith("sample:"):
            samples[name] = render(draft)  # in full, so a change shows which words moved
    return {"version": HeuristicScorer.version, "digests": digests, "samples": samples}


def main() -> None:
    GOLDEN.write_text(json.dumps(compute(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()

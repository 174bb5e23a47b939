"""HeuristicScorer: deterministic, bounded, each dimension moved by its own evidence and explained by it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from glm3.servers.scoring.heuristic import HeuristicScorer
from glm3.servers.scoring.models import DIMENSIONS, ScoreDraft, ScoringConfig, Signal

CONFIG = ScoringConfig()
POSTED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

NEUTRAL_TEXT = (
    "A tool to keep track of the books a reading club has read and which ones it plans to read next. "
    "Members could see the list and add notes."
)


def signal(**fields: Any) -> Signal:
    base: dict[str, Any] = {"title": "Reading club book list", "description": NEUTRAL_TEXT, "source": "reddit"}
    base.update(fields)
    return Signal(**base)


def typical() -> Signal:
    return Signal(
        id="signal_20250301_120000_abcdef",
        title="Every team I know wastes hours copying invoices into QuickBooks, is there a simple tool?",
        description=(
            "Every week our 12 person agency spends about 5 hours copying invoices from email into QuickBooks "
            "by hand. It's frustrating and error-prone. I tried Zapier and a couple of scripts but none of them "
            "handle PDFs with line items. I would pay $49/month for a simple integration that reads the PDF, "
            "matches the client and creates the bill, with a dashboard showing what failed. A virtual assistant "
            "helped for a while, but the handover cost as much time as it saved. Most months it is 200 to 300 "
            "invoices, each with 5 to 30 line items, and the accountant needs them by the 5th."
        ),
        source="reddit",
        timestamp=POSTED,
        extracted_at=POSTED + timedelta(hours=6),
        source_url="https://www.reddit.com/r/smallbusiness/comments/abc",
        category="fintech",
        tags=["invoices", "automation"],
        engagement={"upvotes": 340, "comments": 85},
        author="u/someone",
        comments=[
            "Same here, we waste a whole day every month on this.",
            "Take my money if you build it.",
            "Have you tried Dext? It is expensive but works.",
            "+1",
            "We use Excel macros, painful.",
        ],
    )


def score(s: Signal) -> ScoreDraft:
    return HeuristicScorer().score_now(s, CONFIG)


# --- determinism --------------------------------------------------------------------------------------------------


def test_same_signal_gives_identical_drafts_across_calls_and_instances() -> None:
    scorer = HeuristicScorer()
    first = scorer.score_now(typical(), CONFIG)
    assert scorer.score_now(typical(), CONFIG) == first
    assert HeuristicScorer().score_now(typical(), CONFIG) == first
    assert json.dumps(first.analysis, sort_keys=True) == json.dumps(score(typical()).analysis, sort_keys=True)


def test_weights_do_not_change_the_dimension_scores() -> None:
    other = ScoringConfig(market_weight=0.6, competition_weight=0.1, emotional_weight=0.1, feasibility_weight=0.1,
                          signal_quality_weight=0.1)  # fmt: skip
    assert HeuristicScorer().score_now(typical(), other) == score(typical())


async def test_async_score_returns_what_score_now_returns() -> None:
    scorer = HeuristicScorer()
    assert await scorer.score(typical(), CONFIG, timeout=0.5) == scorer.score_now(typical(), CONFIG)
    assert await scorer.score(typical(), CONFIG) == scorer.score_now(typical(), CONFIG)


def test_identity() -> None:
    assert HeuristicScorer.name == "heuristic"
    assert HeuristicScorer.version.startswith("heuristic-")


# --- each dimension moves with its evidence -----------------------------------------------------------------------


def test_pain_and_willingness_to_pay_raise_emotional() -> None:
    neutral = score(signal()).scores.emotional
    pain = score(signal(description=NEUTRAL_TEXT + " It is so frustrating, I hate it, a nightmare every week."))
    both = score(
        signal(
            description=NEUTRAL_TEXT + " It is so frustrating, I hate it, a nightmare every week. "
            "I would pay $15/month for this, take my money.",
        )
    )
    assert neutral < pain.scores.emotional < both.scores.emotional
    assert both.scores.emotional - neutral > 40


def test_pain_echoed_in_comments_counts() -> None:
    alone = score(signal(description=NEUTRAL_TEXT + " So frustrating."))
    echoed = score(
        signal(description=NEUTRAL_TEXT + " So frustrating.", comments=["I hate this too", "Such a nightmare"])
    )
    assert echoed.scores.emotional > alone.scores.emotional
    assert "(in 2 comments)" in echoed.reasoning.emotional


def test_named_alternatives_lower_competition_and_gaps_raise_it() -> None:
    neutral = score(signal()).scores.competition
    crowded = score(
        signal(description=NEUTRAL_TEXT + " I tried Notion, Trello and Airtable; it is like Goodreads but private.")
    )
    open_field = score(signal(description=NEUTRAL_TEXT + " There is no tool for this and I can't find any app."))
    assert crowded.scores.competition < neutral < open_field.scores.competition


def test_hardware_and_regulation_lower_feasibility_small_scope_raises_it() -> None:
    neutral = score(signal()).scores.feasibility
    hard = score(signal(description=NEUTRAL_TEXT + " It needs custom hardware and regulatory approval (HIPAA)."))
    easy = score(signal(description=NEUTRAL_TEXT + " A simple browser extension with an API and a dashboard."))
    assert hard.scores.feasibility < neutral < easy.scores.feasibility
    assert hard.scores.feasibility < 40


def test_more_engagement_raises_market() -> None:
    markets = [score(signal(engagement={"upvotes": n, "comments": n // 4})).scores.market for n in (0, 10, 100, 1000)]
    assert markets == sorted(markets)
    assert len(set(markets)) == 4


def test_engagement_is_normalised_per_source() -> None:
    small = score(signal(source="indiehackers", engagement={"upvotes": 50})).scores.market
    large = score(signal(source="reddit", engagement={"upvotes": 50})).scores.market
    assert small > large


def test_source_names_are_recognised_in_common_spellings() -> None:
    for spelling in ("Hacker News", "HN", "news.ycombinator.com", "hackernews"):
        features = score(signal(source=spelling, engagement={"points": 50})).analysis["features"]
        assert features["source_key"] == "hackernews", spelling
    assert score(signal(source="some-forum")).analysis["features"]["source_key"] == "default"


def test_breadth_cues_raise_market() -> None:
    plain = score(signal()).scores.market
    broad = score(signal(description=NEUTRAL_TEXT + " Every team has this and the market is growing."))
    assert broad.scores.market > plain
    assert "'every team'" in broad.reasoning.market


def test_complete_signal_beats_bare_one_on_signal_quality() -> None:
    bare = Signal(title="Idea", description="An app for books.", source="reddit")
    assert score(typical()).scores.signal_quality > score(bare).scores.signal_quality + 40


def test_freshness_uses_the_gap_between_posting_and_extraction_not_the_clock() -> None:
    def quality(posted: datetime | None, seen: datetime | None) -> float:
        return score(signal(timestamp=posted, extracted_at=seen)).scores.signal_quality

    fresh = quality(POSTED, POSTED + timedelta(hours=2))
    unknown = quality(None, POSTED)
    stale = quality(POSTED, POSTED + timedelta(days=120))
    inconsistent = quality(POSTED, POSTED - timedelta(days=10))
    assert fresh > unknown > stale >= inconsistent
    # Only the gap matters: the same gap ten years apart scores the same.
    assert quality(POSTED - timedelta(days=3650), POSTED - timedelta(days=3650) + timedelta(hours=2)) == fresh


def test_naive_and_aware_timestamps_mix() -> None:
    naive = POSTED.replace(tzinfo=None)
    draft = score(signal(timestamp=naive, extracted_at=POSTED + timedelta(hours=2)))
    assert draft.analysis["features"]["freshness_gap_days"] == pytest.approx(2 / 24, abs=1e-3)


def test_matching_ignores_case_and_curly_apostrophes_and_needs_whole_words() -> None:
    draft = score(signal(description=NEUTRAL_TEXT + " I\u2019D PAY for it. Shareholders apishly unhated."))
    assert "'i'd pay'" in draft.reasoning.emotional
    features = draft.analysis["features"]
    assert features["pain_hits"] == 0  # "unhated" is not "hated"
    assert features["easy_hits"] == 0  # "apishly" is not "api"


def test_cues_after_line_breaks_and_brackets_count() -> None:
    draft = score(signal(description="Notes:\nfrustrating\n(hate it)\n\"nightmare\"\nCLI/API"))
    assert draft.analysis["features"]["pain_cues"] == ["frustrating", "hate", "nightmare"]
    assert draft.analysis["features"]["easy_cues"] == ["cli", "api"]


def test_raw_content_repeating_the_post_is_not_counted_twice() -> None:
    text = NEUTRAL_TEXT + " So frustrating."
    without = score(signal(description=text))
    with_raw = score(signal(description=text, raw_content=f"Reading club book list\n{text}\nPosted by someone"))
    assert with_raw.scores.emotional == without.scores.emotional


# --- bounds and saturation ----------------------------------------------------------------------------------------

EXTREMES = {
    "minimal": Signal(title="x", description="y", source="z"),
    "whitespace": Signal(title=" ", description="\n\t ", source="reddit"),
    "huge engagement": signal(engagement={"upvotes": 10**12, "comments": 10**12, "views": 10**15}),
    "giant int": signal(engagement={"likes": 10**400}),
    "500 long comments": signal(comments=["frustrating, I would pay, every team " * 300] * 500),
    "spam": Signal(
        title="hate " * 100,
        description="hate frustrating nightmare I would pay take my money " * 400,
        source="reddit",
        raw_content="hate " * 20_000,
        comments=["hate " * 2_000] * 500,
        engagement={"upvotes": 10**12},
    ),
    "every cue once": signal(
        description=(
            "Everyone, every team, all small businesses, growing market. Me too, need this. There is no tool, "
            "nothing exists, can't find any. Frustrating, hate, nightmare, struggling, waste hours, tedious. I would "
            "pay $99/month, take my money, budget, subscription. Simple browser extension, plugin, script, API, "
            "integration, dashboard, CLI."
        ),
        comments=["Same here, so frustrating, I'd pay"] * 20,
        engagement={"upvotes": 10**6, "comments": 10**5},
        source_url="https://example.com/x",
        author="a",
        category="c",
        tags=["t"],
        timestamp=POSTED,
        extracted_at=POSTED,
    ),
}


@pytest.mark.parametrize("name", list(EXTREMES))
def test_scores_stay_within_bounds_and_rounded(name: str) -> None:
    draft = score(EXTREMES[name])
    for dimension, value in draft.scores.as_dict().items():
        assert 0.0 <= value <= 100.0, (dimension, value)
        assert round(value, 1) == value
    assert 1 <= len(draft.recommendations) <= 5
    json.dumps(draft.analysis, allow_nan=False)


def test_repetition_saturates() -> None:
    def emotional(times: int) -> float:
        return score(signal(description=NEUTRAL_TEXT + " I hate it." * times)).scores.emotional

    once, five, hundred, thousands = emotional(1), emotional(5), emotional(100), emotional(3_000)
    assert once < five
    assert five - once < once - score(signal()).scores.emotional  # the first hit counts most
    assert thousands <= hundred <= five  # stuffing earns nothing, and is discounted
    assert thousands < 60


def test_stuffing_is_reported_and_costs_signal_quality() -> None:
    honest = score(replace(typical(), description=NEUTRAL_TEXT + " I hate it."))
    stuffed = score(replace(typical(), description=NEUTRAL_TEXT + " I hate it." * 200))
    # The stuffed description is longer, which alone would earn points; stuffing costs far more.
    assert stuffed.scores.signal_quality < honest.scores.signal_quality - 10
    assert "stuffing" in stuffed.reasoning.signal_quality
    assert "Cue evidence counts x" in stuffed.reasoning.emotional
    assert stuffed.analysis["features"]["cue_trust"] < 1


def test_spam_across_many_comments_does_not_max_a_dimension() -> None:
    draft = score(EXTREMES["spam"])
    assert max(draft.scores.as_dict().values()) < 100
    assert draft.scores.emotional < 60


def test_stuffing_inside_comments_counts_too() -> None:
    honest = score(signal(comments=["So frustrating, I hate it."] * 5))
    stuffed = score(signal(comments=["So frustrating, I hate it. " * 50] * 5))
    assert stuffed.analysis["features"]["stuffing_excess"] > 0
    assert stuffed.scores.emotional < honest.scores.emotional


def test_long_signals_are_scanned_field_by_field_with_the_same_result() -> None:
    filler = " Members add notes about chapters and meetings." * 250  # about 12,000 characters
    comments = ["Nothing to add.", "So frustrating, I hate it.", "Same, a nightmare.", "ok"]
    short = score(signal(description=NEUTRAL_TEXT, comments=comments)).analysis["features"]
    long = score(signal(description=NEUTRAL_TEXT + filler, comments=comments)).analysis["features"]
    assert long["chars_scanned"] > 8_000
    assert long["comments_scanned"] == short["comments_scanned"] == 4
    assert long["pain_cues"] == short["pain_cues"] == ["frustrating", "hate", "nightmare"]
    assert long["pain_comments"] == short["pain_comments"] == 2


def test_scanned_text_is_bounded() -> None:
    features = score(EXTREMES["500 long comments"]).analysis["features"]
    assert features["comments"] == 500  # the count still says how big the discussion is
    assert features["comments_scanned"] <= 200
    assert features["chars_scanned"] <= 20_000 + 20_000 + 1_000


# --- explanations -------------------------------------------------------------------------------------------------


def test_each_reasoning_names_its_evidence() -> None:
    draft = score(typical())
    reasoning = draft.reasoning
    assert reasoning.market.startswith(f"Market {draft.scores.market:g}:")
    assert "340 upvotes and 85 comments on reddit" in reasoning.market
    assert "for that source" in reasoning.market
    assert "'every team'" in reasoning.market
    assert "'quickbooks'" in reasoning.competition and "'zapier'" in reasoning.competition
    assert "'i tried'" in reasoning.competition
    assert "'none of them'" in reasoning.competition
    assert "'frustrating'" in reasoning.emotional
    assert "'i would pay'" in reasoning.emotional and "'$49/month'" in reasoning.emotional
    assert "'simple'" in reasoning.feasibility and "'integration'" in reasoning.feasibility
    assert "source_url, author, category, tags, comments" in reasoning.signal_quality
    assert "6 hours after posting" in reasoning.signal_quality
    for dimension in DIMENSIONS:
        assert getattr(reasoning, dimension).endswith(".")


def test_reasoning_says_when_there_is_no_evidence() -> None:
    reasoning = score(Signal(title="x", description="y", source="some-forum")).reasoning
    assert "no engagement counts on some-forum" in reasoning.market
    assert "no alternatives" in reasoning.competition
    assert "no pain language" in reasoning.emotional and "no willingness-to-pay" in reasoning.emotional
    assert "no scope or complexity cues" in reasoning.feasibility
    assert "time unknown" in reasoning.signal_quality


RECOMMENDATION_OPENINGS = {
    "market": ("Size the demand",),
    "competition": ("Map the existing alternatives", "Search for existing alternatives"),
    "emotional": ("Confirm the pain", "Test willingness to pay", "Deepen the evidence"),
    "feasibility": ("Cut the scope", "Define the smallest shippable version"),
    "signal_quality": ("Corroborate the signal",),
}


@pytest.mark.parametrize("name", ["typical", "hardware", "crowded", *EXTREMES])
def test_recommendations_target_the_weakest_dimension_first(name: str) -> None:
    samples = {
        "typical": typical(),
        "hardware": replace(typical(), description="We need custom hardware, firmware and FDA regulatory approval."),
        "crowded": replace(
            typical(), description="I tried Notion, Jira, Asana and Trello, and we use Excel. Switched from Airtable."
        ),
    }
    draft = score(samples.get(name) or EXTREMES[name])
    scores = draft.scores.as_dict()
    weakest = min(DIMENSIONS, key=lambda d: scores[d])
    assert 1 <= len(draft.recommendations) <= 5
    assert all(0 < len(text) <= 500 for text in draft.recommendations)
    assert draft.recommendations[0].startswith(RECOMMENDATION_OPENINGS[weakest]), (weakest, draft.recommendations)


def test_recommendations_name_the_evidence() -> None:
    hardware = score(signal(description="Custom hardware and regulatory approval needed, a nightmare."))
    assert hardware.recommendations[0].startswith("Size the demand") or any(
        "'hardware'" in text for text in hardware.recommendations
    )
    crowded = score(signal(description=NEUTRAL_TEXT + " I tried Notion and Trello, and Airtable; like Coda but."))
    competition = next(text for text in crowded.recommendations if text.startswith("Map the existing"))
    assert "notion" in competition and "coda" in competition


# --- analysis -----------------------------------------------------------------------------------------------------


def test_analysis_has_scorer_version_and_json_safe_features() -> None:
    analysis = score(typical()).analysis
    assert analysis["scorer"] == "heuristic"
    assert analysis["scorer_version"] == HeuristicScorer.version
    features = analysis["features"]
    json.dumps(analysis, allow_nan=False)
    for key, value in features.items():
        assert isinstance(value, (bool, int, float, str, list)), key
        if isinstance(value, list):
            assert all(isinstance(item, str) for item in value), key
    assert features["reactions"] == 340 and features["comments"] == 85
    assert features["source_key"] == "reddit"
    assert features["pain_hits"] >= 3
    assert "i would pay" in features["wtp_cues"]
    assert "overall_score" not in analysis and "verdict" not in analysis


def test_unknown_engagement_keys_are_listed_not_counted() -> None:
    features = score(signal(engagement={"rating": 5, "upvotes": 10})).analysis["features"]
    assert features["ignored_engagement_keys"] == ["rating"]
    assert features["reactions"] == 10


def test_counts_are_capped_to_int64_so_features_survive_a_protobuf_struct() -> None:
    features = score(EXTREMES["giant int"]).analysis["features"]
    assert features["reactions"] == 2**63 - 1


def test_look_alike_phrases_do_not_count() -> None:
    draft = score(signal(description=NEUTRAL_TEXT + " Our developers excel at VS Code, and every time it works."))
    features = draft.analysis["features"]
    assert features["incumbent_hits"] == 0 and features["alternative_hits"] == 0
    assert score(signal()).scores.competition == draft.scores.competition

"""Signal validation: every documented limit produces a field violation naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from glm3.servers.scoring.models import Signal
from glm3.servers.scoring.validation import validate_signal


def good(**changes: object) -> Signal:
    signal = Signal(title="Invoice matching is painful", description="I lose a day a month", source="reddit")
    for key, value in changes.items():
        setattr(signal, key, value)
    return signal


def fields(signal: Signal, prefix: str = "signal") -> list[str]:
    return [v.field for v in validate_signal(signal, prefix)]


def test_a_minimal_signal_is_valid() -> None:
    assert validate_signal(good()) == []
    full = good(
        id="signal_20240101_120000_abc123",
        timestamp=datetime(2024, 1, 1, tzinfo=UTC),
        source_url="https://www.reddit.com/r/smallbusiness/comments/1",
        category="finance",
        tags=["smb"],
        engagement={"upvotes": 10, "comments": 0},
        author="someone",
        raw_content="...",
        comments=["me too"],
    )
    assert validate_signal(full) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "signal.title"),
        ({"title": "   "}, "signal.title"),
        ({"description": ""}, "signal.description"),
        ({"source": ""}, "signal.source"),
        ({"title": "x" * 501}, "signal.title"),
        ({"description": "x" * 20_001}, "signal.description"),
        ({"source": "x" * 65}, "signal.source"),
        ({"category": "x" * 65}, "signal.category"),
        ({"author": "x" * 257}, "signal.author"),
        ({"raw_content": "x" * 100_001}, "signal.raw_content"),
        ({"id": "has space"}, "signal.id"),
        ({"id": "x" * 129}, "signal.id"),
        ({"source_url": "ftp://example.com/x"}, "signal.source_url"),
        ({"source_url": "not a url"}, "signal.source_url"),
        ({"source_url": "https://e.com/" + "x" * 2048}, "signal.source_url"),
        ({"tags": ["ok"] * 33}, "signal.tags"),
        ({"tags": [""]}, "signal.tags[0]"),
        ({"tags": ["x" * 65]}, "signal.tags[0]"),
        ({"engagement": {"upvotes": -1}}, "signal.engagement[upvotes]"),
        ({"engagement": {f"k{i}": 1 for i in range(33)}}, "signal.engagement"),
        ({"engagement": {"": 1}}, "signal.engagement"),
        ({"comments": ["c"] * 501}, "signal.comments"),
        ({"comments": ["x" * 10_001]}, "signal.comments[0]"),
        ({"timestamp": datetime.now(UTC) + timedelta(days=2)}, "signal.timestamp"),
        ({"extracted_at": datetime.now(UTC) + timedelta(days=2)}, "signal.extracted_at"),
    ],
)
def test_each_limit(changes: dict[str, object], field: str) -> None:
    assert field in fields(good(**changes))


def test_every_problem_is_reported_at_once_under_the_prefix() -> None:
    bad = good(title="", description="", source="", engagement={"views": -5})
    assert fields(bad, "signals[3]") == [
        "signals[3].source",
        "signals[3].title",
        "signals[3].description",
        "signals[3].engagement[views]",
    ]

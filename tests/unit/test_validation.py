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
        ({"source_url": "http://[abc"}, "signal.source_url"),  # urlparse raises: still a field error
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


URLS = [
    "https://www.reddit.com/r/smallbusiness/comments/1",
    "http://x",
    "https://",
    "http:///path",
    "https://?q=1",
    "https://#frag",
    "HTTPS://EXAMPLE.COM/",
    "Https://example.com",
    "ftp://example.com",
    "https:/example.com",
    "https:example.com",
    "//example.com",
    "example.com",
    "https:// spaced.example.com",
    "https://exa\tmple.com",
    "https://\texample.com",
    "https://\n/path",
    " https://example.com",
    "\x00https://example.com",
    "https://ex\u00e4mple.com/caf\u00e9",
    "https://example.com/caf\u00e9",
    "https://user:pass@example.com:8080/p?q#f",
    "https://[::1]:8080/",
    "javascript:alert(1)",
    "mailto:someone@example.com",
    "https://example.com\\evil",
    "http://[abc",
]


@pytest.mark.parametrize("url", URLS)
def test_source_url_verdicts_are_urlparses(url: str) -> None:
    """The quick check of plain web URLs accepts exactly what urlparse accepts (without control characters);
    the rest go to urlparse."""
    from urllib.parse import urlparse

    try:
        parsed = urlparse(url)
    except ValueError:  # urlparse cannot read it: a field error, never an exception out of validation
        assert "signal.source_url" in fields(good(source_url=url))
        return
    # Control characters are refused first, whatever urlparse makes of them (it strips tabs and newlines).
    accepted = parsed.scheme in ("http", "https") and bool(parsed.netloc) and not any(ord(c) < 32 or ord(c) == 127 for c in url)
    assert ("signal.source_url" not in fields(good(source_url=url))) is accepted


def test_the_quick_check_agrees_with_the_full_one() -> None:
    """`_plainly_valid` says valid only when the full check finds nothing, over signals near every limit."""
    import random

    from glm3.servers.scoring import validation

    rng = random.Random(11)
    now = datetime.now(UTC)

    def near(limit: int) -> int:
        return rng.choice((0, 1, limit - 1, limit, limit + 1))

    def pick(usual: object, *others: object) -> object:
        return usual if rng.random() < 0.85 else rng.choice(others)

    quick = 0
    for _ in range(3_000):
        signal = good(
            id=pick("ok-id", "", "bad id", "x" * 128, "x" * 129),
            source=pick("reddit", " ", "", "s" * near(64)),
            title=pick("A title", "\t", "t" * near(500)),
            description=pick("A description", "d" * near(20_000)),
            category=pick("", "c" * near(64)),
            author=pick("someone", "a" * near(256)),
            raw_content=pick("", "r" * 100_000, "r" * 100_001),
            source_url=pick("https://e.com/a", *URLS, "https://e.com/" + "p" * 2_034, "https://e.com/" + "p" * 2_035),
            timestamp=pick(None, now, now + timedelta(hours=23), now + timedelta(hours=25)),
            extracted_at=pick(now, None, now - timedelta(days=3), now + timedelta(days=2)),
            tags=pick(["a"], [], [""], ["t" * 64], ["t" * 65], ["t"] * near(32)),
            engagement=pick({"up": 1}, {}, {"up": -1}, {"": 1}, {"k" * 65: 1}, {f"k{i}": i for i in range(near(32))}),
            comments=pick(["c"], [], ["c" * 10_000], ["c" * 10_001], ["c"] * near(500)),
        )
        full = validation._problems(signal, "signal")
        if validation._plainly_valid(signal):  # never wrong when it says valid; a doubt costs only time
            assert full == [], signal
            quick += 1
        assert validate_signal(signal) == full
    assert quick > 100  # and it does say so, for signals that are

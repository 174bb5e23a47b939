"""Checks of a signal against the limits documented in `protos/glm3/scoring/v1/signal.proto`."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

from glm3.servers.common.errors import FieldViolation
from glm3.servers.scoring.models import Signal, utcnow

MAX_BATCH = 1_000
ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_FUTURE = timedelta(hours=24)

LIMITS = {
    "source": 64,
    "source_url": 2_048,
    "title": 500,
    "description": 20_000,
    "category": 64,
    "author": 256,
    "raw_content": 100_000,
}
_MAX_SOURCE, _MAX_SOURCE_URL, _MAX_TITLE, _MAX_DESCRIPTION, _MAX_CATEGORY, _MAX_AUTHOR, _MAX_RAW_CONTENT = (
    LIMITS[name] for name in ("source", "source_url", "title", "description", "category", "author", "raw_content")
)
assert len(LIMITS) == 7  # every limit is checked by _plainly_valid too
MAX_TAGS, MAX_TAG = 32, 64
MAX_ENGAGEMENT, MAX_ENGAGEMENT_KEY = 32, 64
MAX_COMMENTS, MAX_COMMENT = 500, 10_000
# URLs that urlparse certainly reads as http(s) with a host: the scheme in lower case, a first host character
# that does not end the host, and none of what urlsplit removes or checks (tab, CR, LF, IPv6 brackets; with
# ASCII only, its NFKC check is skipped too). Every other URL is judged by urlparse itself (about 3 us).
_PLAIN_WEB_URL = re.compile(r"https?://[^/?#\t\r\n\[\]][^\t\r\n\[\]]*")
# Control characters (C0 and DEL) have no place in a one-line field: a NUL in a source, a newline in a URL
# (header injection downstream), an escape sequence in a title shown on a terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SINGLE_LINE = ("source", "source_url", "title", "category", "author")


def _has_control(signal: Signal) -> bool:
    return _CONTROL.search(
        "".join((signal.source, signal.source_url, signal.title, signal.category, signal.author, *signal.tags))
    ) is not None


def _plainly_valid(signal: Signal) -> bool:
    """True when `validate_signal` finds nothing: the same checks, in a straight line, with no message made.
    Nearly every signal is valid, so this is what runs; the first doubt hands over to the full check."""
    if signal.id and not ID_PATTERN.match(signal.id):
        return False
    if not (signal.source.strip() and signal.title.strip() and signal.description.strip()):
        return False
    url = signal.source_url
    if (
        len(signal.source) > _MAX_SOURCE
        or len(url) > _MAX_SOURCE_URL
        or len(signal.title) > _MAX_TITLE
        or len(signal.description) > _MAX_DESCRIPTION
        or len(signal.category) > _MAX_CATEGORY
        or len(signal.author) > _MAX_AUTHOR
        or len(signal.raw_content) > _MAX_RAW_CONTENT
    ):
        return False
    if url and not (url.isascii() and _PLAIN_WEB_URL.fullmatch(url)):
        return False  # urlparse decides, in the full check
    if _has_control(signal):
        return False
    if signal.timestamp is not None or signal.extracted_at is not None:
        now = utcnow()
        for value in (signal.timestamp, signal.extracted_at):
            if value is not None and value - now > MAX_FUTURE:
                return False
    tags = signal.tags
    if len(tags) > MAX_TAGS:
        return False
    for tag in tags:
        if not tag or len(tag) > MAX_TAG:
            return False
    engagement = signal.engagement
    if len(engagement) > MAX_ENGAGEMENT:
        return False
    for key, count in engagement.items():
        if not key or len(key) > MAX_ENGAGEMENT_KEY or count < 0:
            return False
    comments = signal.comments
    if len(comments) > MAX_COMMENTS:
        return False
    for comment in comments:
        if len(comment) > MAX_COMMENT:
            return False
    return True


def validate_signal(signal: Signal, prefix: str = "signal") -> list[FieldViolation]:
    """Every problem of the signal, as field violations under `prefix` (empty list when it is valid)."""
    return [] if _plainly_valid(signal) else _problems(signal, prefix)


def _problems(signal: Signal, prefix: str) -> list[FieldViolation]:
    problems: list[FieldViolation] = []

    def bad(field: str, description: str) -> None:
        problems.append(FieldViolation(f"{prefix}.{field}" if prefix else field, description))

    if signal.id and not ID_PATTERN.match(signal.id):
        bad("id", "must be 1 to 128 characters from A-Z a-z 0-9 . _ : -")
    for name in ("source", "title", "description"):
        if not getattr(signal, name).strip():
            bad(name, "is required and must not be blank")
    for name, limit in LIMITS.items():
        value = getattr(signal, name)
        if len(value) > limit:
            bad(name, f"must be at most {limit:,} characters, got {len(value):,}")
    for name in SINGLE_LINE:
        found = _CONTROL.search(getattr(signal, name))
        if found is not None:
            bad(name, f"must not contain control characters (found U+{ord(found.group()):04X} at {found.start()})")
    url = signal.source_url
    if url and len(url) <= LIMITS["source_url"] and not (url.isascii() and _PLAIN_WEB_URL.fullmatch(url)):
        try:
            parsed = urlparse(url)
        except ValueError:  # e.g. "http://[abc": an unclosed IPv6 bracket
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            bad("source_url", "must be an absolute http:// or https:// URL")
    now = utcnow()
    for name in ("timestamp", "extracted_at"):
        value = getattr(signal, name)
        if value is not None and value - now > MAX_FUTURE:
            bad(name, "must not be more than 24 hours in the future")
    if len(signal.tags) > MAX_TAGS:
        bad("tags", f"must hold at most {MAX_TAGS} tags, got {len(signal.tags)}")
    for i, tag in enumerate(signal.tags[: MAX_TAGS + 1]):
        if not tag or len(tag) > MAX_TAG:
            bad(f"tags[{i}]", f"must be 1 to {MAX_TAG} characters")
        elif _CONTROL.search(tag):
            bad(f"tags[{i}]", "must not contain control characters")
    if len(signal.engagement) > MAX_ENGAGEMENT:
        bad("engagement", f"must hold at most {MAX_ENGAGEMENT} entries, got {len(signal.engagement)}")
    for key, count in list(signal.engagement.items())[: MAX_ENGAGEMENT + 1]:
        if not key or len(key) > MAX_ENGAGEMENT_KEY:
            bad("engagement", f"keys must be 1 to {MAX_ENGAGEMENT_KEY} characters, got {key[:80]!r}")
        if count < 0:
            bad(f"engagement[{key[:80]}]", f"must not be negative, got {count}")
    if len(signal.comments) > MAX_COMMENTS:
        bad("comments", f"must hold at most {MAX_COMMENTS} comments, got {len(signal.comments)}")
    for i, comment in enumerate(signal.comments[: MAX_COMMENTS + 1]):
        if len(comment) > MAX_COMMENT:
            bad(f"comments[{i}]", f"must be at most {MAX_COMMENT:,} characters, got {len(comment):,}")
    return problems

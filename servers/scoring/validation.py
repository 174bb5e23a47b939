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
MAX_TAGS, MAX_TAG = 32, 64
MAX_ENGAGEMENT, MAX_ENGAGEMENT_KEY = 32, 64
MAX_COMMENTS, MAX_COMMENT = 500, 10_000


def validate_signal(signal: Signal, prefix: str = "signal") -> list[FieldViolation]:
    """Every problem of the signal, as field violations under `prefix` (empty list when it is valid)."""
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
    if signal.source_url and len(signal.source_url) <= LIMITS["source_url"]:
        parsed = urlparse(signal.source_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
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

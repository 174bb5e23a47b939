"""Server-made ids keep the seed's format and never repeat within a process, even many in one second."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from glm3.servers.scoring.models import new_id


def test_format_is_the_seeds() -> None:
    at = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert re.fullmatch(r"signal_20240101_120000_[0-9a-f]{6}", new_id("signal", at))


def test_two_hundred_thousand_ids_in_one_second_are_unique() -> None:
    at = datetime(2024, 1, 1, 12, 0, 1, tzinfo=UTC)
    ids = [new_id("signal", at) for _ in range(200_000)]
    assert len(set(ids)) == len(ids)

"""Server-made ids keep the seed's format and never repeat within a process, even many in one second."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from glm3.servers.common.ids import new_id


def test_format_is_the_seeds() -> None:
    at = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert re.fullmatch(r"signal_20240101_120000_[0-9a-f]{6}", new_id("signal", at))


def test_two_hundred_thousand_ids_in_one_second_are_unique() -> None:
    at = datetime(2024, 1, 1, 12, 0, 1, tzinfo=UTC)
    ids = [new_id("signal", at) for _ in range(200_000)]
    assert len(set(ids)) == len(ids)


def test_the_stamp_follows_each_moment_given() -> None:
    """The formatted second is reused only for the same second: a new second, an earlier one, another day."""
    from datetime import timedelta, timezone

    moments = [
        datetime(2024, 1, 1, 12, 0, 0, 999_999, tzinfo=UTC),
        datetime(2024, 1, 1, 12, 0, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC),
        datetime(2024, 2, 1, 12, 0, 0, tzinfo=UTC),  # same time of day, another month
        datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC),
        datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2))),  # as given, like strftime
        datetime(2025, 1, 1, 12, 0, 0),  # naive
    ]
    for at in moments * 2:
        made = new_id("candidate", at)
        assert made.startswith(f"candidate_{at.strftime('%Y%m%d_%H%M%S')}_"), (made, at)


def test_without_a_moment_the_id_is_of_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    made = new_id("feedback")
    after = datetime.now(UTC)
    stamp = datetime.strptime(made.split("_", 1)[1][:15], "%Y%m%d_%H%M%S").replace(tzinfo=UTC)
    assert before <= stamp <= after

"""The in-memory record of stored signal ids: never "new" for a stored id."""

from __future__ import annotations

from glm3.servers.storage.known import KnownSignalIds


def test_every_added_id_is_found_before_and_after_merges() -> None:
    known = KnownSignalIds(merge_every=1_000)
    ids = [f"signal-{n:07d}" for n in range(25_500)]  # 25 merges, and 500 not merged yet
    for start in range(0, len(ids), 300):
        known.update(ids[start : start + 300])
    assert len(known) == 25_500
    assert known.maybe_stored(ids) == ids
    assert known.nbytes <= 25_500 * 8


def test_new_ids_are_answered_new() -> None:
    known = KnownSignalIds(merge_every=1_000)
    known.update(f"stored-{n}" for n in range(5_000))
    mixed = ["new-1", "stored-10", "new-2", "stored-4999"]
    assert known.maybe_stored(mixed) == ["stored-10", "stored-4999"]
    assert known.maybe_stored([f"new-{n}" for n in range(10_000)]) == []


def test_adding_an_id_twice_keeps_one() -> None:
    known = KnownSignalIds(merge_every=2)
    known.update(["a", "b", "a"])
    known.update(["a", "b"])
    assert len(known) == 2
    assert known.maybe_stored(["a", "c"]) == ["a"]
    assert KnownSignalIds().maybe_stored([]) == []

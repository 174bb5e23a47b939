"""When the candidate store compacts: every `compact_every` commits, and `compact_interval_s` after a burst."""

from __future__ import annotations

import asyncio

from glm3.servers.storage.candidates import CandidateStore, PendingScore
from glm3.servers.storage.database import Database
from tests.support.stores import database, scored  # noqa: F401  # database: the fixture


def pending(n: int) -> list[PendingScore]:
    return [scored(f"signal-{n}")]


async def fragments(store: CandidateStore) -> int:
    return int((await store.candidates.stats())["fragment_stats"]["num_fragments"])


async def compacted(store: CandidateStore, count: int, timeout: float = 5) -> None:
    """Waits until the store has run `count` compactions (in the background, after a commit)."""
    async with asyncio.timeout(timeout):
        while store.compactions < count:
            await asyncio.sleep(0.01)


async def test_compacts_every_n_commits(database: Database) -> None:
    store = await CandidateStore.open(database, compact_every=3, compact_interval_s=3600)
    try:
        for n in range(3):
            await store.commit(pending(n))
        await compacted(store, 1)  # runs after the third commit was acknowledged
        assert await fragments(store) == 1
    finally:
        await store.close()


async def test_a_burst_followed_by_silence_is_compacted_after_the_interval(database: Database) -> None:
    store = await CandidateStore.open(database, compact_every=1000, compact_interval_s=0.3)
    try:
        for n in range(4):
            await store.commit(pending(n))
        assert store.compactions == 0
        assert await fragments(store) == 4
        await compacted(store, 1)  # no further commit comes: the timer compacts
        assert await fragments(store) == 1
        assert len(await store.search("invoice matching", 10)) > 0
    finally:
        await store.close()


async def test_close_does_not_wait_for_a_pending_interval(database: Database) -> None:
    store = await CandidateStore.open(database, compact_every=1000, compact_interval_s=3600)
    await store.commit(pending(1))
    async with asyncio.timeout(5):
        await store.close()
    assert store.compactions == 0


async def test_compaction_rests_in_proportion_to_its_cost(database: Database) -> None:
    # A share of 1/1000: after a compaction of D seconds the next waits 999 D, far beyond this test.
    store = await CandidateStore.open(database, compact_every=2, compact_interval_s=3600, compact_max_share=0.001)
    try:
        for n in range(2):
            await store.commit(pending(n))
        await compacted(store, 1)
        for n in range(2, 6):  # twice compact_every
            await store.commit(pending(n))
        await asyncio.sleep(0.5)
        assert store.compactions == 1
        assert await fragments(store) == 5  # the compacted one and the four since
    finally:
        await store.close()


async def test_without_a_share_limit_compaction_follows_the_commits(database: Database) -> None:
    store = await CandidateStore.open(database, compact_every=2, compact_interval_s=3600, compact_max_share=1.0)
    try:
        for n in range(4):
            await store.commit(pending(n))
            await compacted(store, (n + 1) // 2)
        assert store.compactions == 2
    finally:
        await store.close()


async def test_close_during_a_compaction_lets_it_finish_but_waits_for_no_other(database: Database) -> None:
    # A commit during a compaction makes the compactor wait for another one (after the rest it earned, 999 x
    # its duration with a share of 1/1000, or the hour-long interval). Close must not wait for that: a
    # shutdown would hang past any grace period. 20 fragments make the compaction outlast one more commit
    # by far (it costs a few ms a fragment; a commit ~15 ms).
    store = await CandidateStore.open(database, compact_every=20, compact_interval_s=3600, compact_max_share=0.001)
    for n in range(20):
        await store.commit(pending(n))  # after the 20th, the compaction starts in the background
    async with asyncio.timeout(5):
        while not store.compacting:
            await asyncio.sleep(0)
    await store.commit(pending(20))
    assert store.compacting, "the second commit must land during the compaction for this test to mean anything"
    async with asyncio.timeout(10):
        await store.close()
    assert store.compactions == 1
    assert not store.compacting

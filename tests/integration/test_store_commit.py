"""The candidate store's commit: idempotency from the stored signal ids, and both tables or neither."""

from __future__ import annotations

import asyncio

import pyarrow as pa
import pytest

from glm3.servers.storage.candidates import CandidateStore
from glm3.servers.storage.database import Database
from tests.support.stores import database, scored  # noqa: F401  # database: the fixture


async def loaded(store: CandidateStore) -> None:
    async with asyncio.timeout(10):
        while not store.signal_ids_loaded:
            await asyncio.sleep(0.01)


async def rows(table: object, where: str) -> int:
    return int(await table.count_rows(where))  # type: ignore[attr-defined]


async def test_after_a_restart_stored_signals_are_already_scored_and_new_ones_are_not(database: Database) -> None:
    store = await CandidateStore.open(database)
    [first] = await store.commit([scored("s-0")])
    await store.commit([scored(f"s-{n}") for n in range(1, 300)])
    await store.close()

    store = await CandidateStore.open(database)
    try:
        await loaded(store)
        results = await store.commit([scored("s-0"), scored("s-299"), scored("brand-new")])
        assert [r.already_scored for r in results] == [True, True, False]
        assert results[0].candidate.id == first.candidate.id
        rescored = await store.commit([scored("s-0", rescore=True)])
        assert rescored[0].candidate.version == 2
        assert await rows(store.candidates, "signal_id = 's-0'") == 2
        assert await rows(store.candidates, "signal_id = 's-0' AND is_latest = true") == 1
        assert await rows(store.signals, "id = 'brand-new'") == 1
    finally:
        await store.close()


async def test_a_commit_whose_raw_signals_fail_stores_no_candidate_and_its_retry_stores_both(
    database: Database,
) -> None:
    store = await CandidateStore.open(database)
    try:
        signals = store.signals
        # A real LanceDB table whose schema the raw signal rows do not fit: its add fails.
        store.signals = await database.connection.create_table("broken", schema=pa.schema([("x", pa.int64())]))
        with pytest.raises(Exception):  # noqa: B017  # whatever LanceDB raises
            await store.commit([scored("lost-then-found")])
        assert await rows(store.candidates, "signal_id = 'lost-then-found'") == 0
        store.signals = signals
        [result] = await store.commit([scored("lost-then-found")])
        assert not result.already_scored  # the taken-back candidate does not answer the retry
        assert await rows(store.candidates, "signal_id = 'lost-then-found'") == 1
        assert await rows(store.signals, "id = 'lost-then-found'") == 1
    finally:
        await store.close()

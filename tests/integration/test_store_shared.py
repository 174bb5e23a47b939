"""Several writers on one LanceDB (storage.shared): every signal ends with one visible candidate, whoever
commits it and however many commit it at the same instant; a rescore makes exactly one new version; and
compactions running on several writers meanwhile lose and resurrect nothing.

The writers are separate connections (each its own LanceDB commit path, as separate processes have); the
races are LanceDB's, not simulated. The object-storage variant runs the same checks on a loopback S3 server.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from glm3.servers.storage.candidates import CandidateStore, Committed
from glm3.servers.storage.database import Database
from tests.support.s3 import S3Server, s3_server  # noqa: F401  # s3_server: the fixture
from tests.support.stores import scored

WRITERS = 3


async def _stores(uri: str, options: dict[str, str] | None = None, **tuning: float) -> list[CandidateStore]:
    stores = []
    for _ in range(WRITERS):
        db = await Database.open(uri, storage_options=options, read_consistency_s=0)
        stores.append(await CandidateStore.open(db, shared=True, **tuning))  # type: ignore[arg-type]
    return stores


async def _close(stores: list[CandidateStore]) -> None:
    for store in stores:
        await store.close()
        await store.database.close()


@pytest.fixture(params=["local", "s3"])
async def writers(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[CandidateStore]]:
    if request.param == "local":
        stores = await _stores(str(tmp_path / "lancedb"))
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        stores = await _stores(server.uri("shared"), server.storage_options())
    yield stores
    await _close(stores)


async def _latest_rows(store: CandidateStore) -> list[dict]:
    return await store.candidates.query().where("is_latest = true").select(["id", "signal_id", "version"]).to_list()


async def test_a_signal_committed_by_every_writer_at_once_is_stored_once(writers: list[CandidateStore]) -> None:
    ids = [f"same-{n}" for n in range(200)]
    results: list[list[Committed]] = await asyncio.gather(
        *(store.commit([scored(i) for i in ids]) for store in writers)
    )
    for n, signal_id in enumerate(ids):
        outcomes = [per_writer[n] for per_writer in results]
        assert sum(not o.already_scored for o in outcomes) == 1, signal_id  # one writer stored it
        assert len({o.candidate.id for o in outcomes}) == 1, signal_id  # everyone answers with that one
    for store in writers:  # every writer reads exactly one candidate per signal
        rows = await _latest_rows(store)
        assert Counter(r["signal_id"] for r in rows) == Counter(ids)
        assert await store.candidates.count_rows() == len(ids)


async def test_concurrent_rescores_make_one_new_version_each(writers: list[CandidateStore]) -> None:
    ids = [f"re-{n}" for n in range(50)]
    await writers[0].commit([scored(i) for i in ids])
    results = await asyncio.gather(*(store.commit([scored(i, rescore=True) for i in ids]) for store in writers))
    for n, signal_id in enumerate(ids):
        versions = sorted(per_writer[n].candidate.version for per_writer in results)
        assert versions == [2, 3, 4], signal_id  # three rescores, three versions, none lost or doubled
        assert not any(per_writer[n].already_scored for per_writer in results)
    rows = await _latest_rows(writers[1])
    assert sorted((r["signal_id"], r["version"]) for r in rows) == sorted((i, 4) for i in ids)
    assert await writers[2].candidates.count_rows() == 4 * len(ids)
    assert sum(store.conflicts["race"] for store in writers) >= 2 * len(ids)  # the losers were counted


async def test_compactions_on_every_writer_during_writes_lose_and_resurrect_nothing(
    writers: list[CandidateStore],
) -> None:
    async def write(store: CandidateStore, k: int) -> list[Committed]:
        out: list[Committed] = []
        for batch in range(6):
            out += await store.commit([scored(f"w{k}-{batch}-{n}") for n in range(40)])
            out += await store.commit([scored(f"w{(k + 1) % WRITERS}-{batch}-{n}") for n in range(0, 40, 4)])
            out += await store.commit([scored(f"w{k}-{batch}-0", rescore=True)])
        return out

    async def compact(store: CandidateStore) -> None:
        for _ in range(4):
            await store.compact()
            await asyncio.sleep(0.05)

    done = await asyncio.gather(*(write(s, k) for k, s in enumerate(writers)), *(compact(s) for s in writers))
    acknowledged = {c.candidate.id for outcomes in done[:WRITERS] for c in outcomes}
    for store in writers:
        await store.compact()
    for store in writers:
        rows = await _latest_rows(store)
        per_signal = Counter(r["signal_id"] for r in rows)
        doubled = {r["signal_id"]: r for r in rows if per_signal[r["signal_id"]] > 1}
        assert not doubled, [r for r in rows if r["signal_id"] in doubled]  # one visible per signal
        assert len(per_signal) == WRITERS * 6 * 40
        stored = {r["id"] for r in await store.candidates.query().select(["id"]).to_list()}
        assert acknowledged <= stored  # nothing acknowledged was lost
        # The rescored signals end at their last version, the earlier ones demoted.
        for k in range(WRITERS):
            for batch in range(6):
                assert [r["version"] for r in rows if r["signal_id"] == f"w{k}-{batch}-0"] == [2]


async def test_a_candidates_table_of_schema_1_is_migrated_with_its_rows_and_gets_the_key(tmp_path: Path) -> None:
    import pyarrow as pa

    from glm3.servers.storage.schemas import CANDIDATES, VERSION_KEY, schema_version

    old = pa.schema(
        [CANDIDATES.field(n).with_nullable(True) for n in CANDIDATES.names if n not in ("slot", "writer")],
        metadata={VERSION_KEY: b"1"},
    )
    db = await Database.open(str(tmp_path / "lancedb"))
    store = await CandidateStore.open(db)
    await store.commit([scored(f"old-{n}") for n in range(30)])
    await store.close()
    rows = (await store.candidates.to_arrow()).select(old.names).cast(old)
    await db.connection.create_table("candidates", data=rows, schema=old, mode="overwrite")

    store = await CandidateStore.open(db, shared=True)
    try:
        schema = await store.candidates.schema()
        assert schema_version(schema) == 2
        assert b"lance-schema:unenforced-primary-key:position" in (schema.field("slot").metadata or {})
        slots = {r["slot"] for r in await store.candidates.query().select(["slot"]).to_list()}
        assert slots == {f"1:old-{n}" for n in range(30)}
        again = await store.commit([scored("old-3"), scored("new-1")])
        assert [o.already_scored for o in again] == [True, False]
    finally:
        await store.close()
        await db.close()



OPEN_AT = """
import asyncio, sys, time
from glm3.servers.storage.candidates import CandidateStore
from glm3.servers.storage.database import Database

async def main() -> None:
    db = await Database.open(sys.argv[1], read_consistency_s=1.0)  # the default of storage.read_consistency_s
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # every process starts setup at this instant
    store = await CandidateStore.open(db, shared=True)
    await store.close()
    await db.close()

asyncio.run(main())
"""


def test_processes_opening_a_new_database_at_the_same_instant_all_open_it(tmp_path: Path) -> None:
    """Replicas or workers started together race to create the same tables and indexes; every one of them
    must come up (a conflict with a commit its table handle has not seen yet is retried on the latest)."""
    for attempt in range(3):
        uri = str(tmp_path / f"lancedb-{attempt}")
        at = time.time() + 2.5  # past the imports of every process
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT, uri, str(at)], stderr=subprocess.PIPE, text=True
            )
            for _ in range(WRITERS)
        ]
        for process in processes:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-3000:]

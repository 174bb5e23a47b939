"""The learning store on a real LanceDB in a temporary directory: recording, validation, similarity search
by words and (with the loopback OpenAI-compatible fake) by meaning, persistence, embedding outages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from glm3.servers.common.errors import InvalidArgument
from glm3.servers.common.settings import LlmSection
from glm3.servers.ops.learning import LearningStore, flatten_symptoms
from glm3.servers.ops.models import IssueResolution, ResolutionStatus
from glm3.servers.common.embeddings import Embedder
from glm3.servers.common.settings import EmbeddingSection
from glm3.servers.storage.database import Database
from glm3.servers.storage.schemas import schema_version
from tests.conftest import wait_until
from tests.support.fake_openai import FakeOpenAI, hashed_embedding
from tests.support.stores import database  # noqa: F401  # the fixture


def resolution(
    issue: str, symptoms: dict[str, Any], diagnosis: str, action: str, lesson: str, **more: Any
) -> IssueResolution:
    return IssueResolution(
        issue_name=issue,
        symptoms=symptoms,
        diagnosis=diagnosis,
        action_taken=action,
        resolution_status=more.pop("status", ResolutionStatus.SUCCESS),
        lesson_learned=lesson,
        **more,
    )


PAST = [
    resolution(
        "disk_full",
        {"service": "host.disk:/data", "mount": "/data", "percent": 97.5, "free_bytes": 1200000},
        "The data volume filled up with rotated scorer logs.",
        "Deleted scorer logs older than 7 days under /data/logs.",
        "Rotate scorer logs daily and keep a week.",
        tags=["host", "disk"],
    ),
    resolution(
        "memory_pressure",
        {"service": "host.memory", "percent": 96.0, "available_bytes": 300000000},
        "The LLM batch worker leaked memory over two days.",
        "Restarted the batch worker.",
        "Restart the batch worker weekly until the leak is fixed.",
        tags=["host", "memory"],
    ),
    resolution(
        "endpoint_down",
        {"service": "scoring", "url": "http://scoring:50051", "error": "connection_refused"},
        "The scoring server was not running after a deploy.",
        "Started the scoring server again.",
        "Deploys must wait for the health check before finishing.",
        tags=["scoring"],
    ),
    resolution(
        "timeout",
        {"service": "brain", "url": "http://brain:8080/health", "error": "timeout", "latency_ms": 5000},
        "The brain API was overloaded by a reindex.",
        "Waited for the reindex to finish.",
        "Schedule reindexing at night.",
        tags=["brain"],
        status=ResolutionStatus.PARTIAL,
    ),
]


WHO = "oncall@example.com"  # who teaches the store in these tests


@pytest.fixture
async def store(database: Database) -> AsyncIterator[LearningStore]:
    opened = await LearningStore.open(database)
    yield opened
    await opened.close()


async def test_record_assigns_an_id_and_reads_back(store: LearningStore) -> None:
    stored = await store.record(PAST[0], recorded_by=WHO)
    assert re.fullmatch(r"resolution_\d{8}_\d{6}_[0-9a-f]{6}", stored.id)
    assert stored.timestamp == PAST[0].timestamp  # when it was resolved, kept
    assert PAST[0].id == ""  # the caller's object is not changed
    assert await store.get(stored.id) == stored
    assert await store.get("resolution_20000101_000000_000000") is None
    assert await store.count() == 1

    before = datetime.now(UTC)
    seed_style = resolution("disk_full", None, "", "", "", timestamp=None, tags=None)  # type: ignore[arg-type]
    undated = await store.record(seed_style, recorded_by=WHO)
    assert undated.timestamp >= before and undated.timestamp.tzinfo is not None  # missing: the time of recording
    assert undated.symptoms == {} and undated.tags == []  # the seed's None defaults mean none

    dated = await store.record(
        resolution("disk_full", {}, "", "", "", timestamp=datetime(2025, 5, 1, 12, 0)), recorded_by=WHO
    )
    assert dated.timestamp == datetime(2025, 5, 1, 12, 0, tzinfo=UTC)  # a naive time is taken as UTC
    assert (await store.get(dated.id)).timestamp == dated.timestamp  # type: ignore[union-attr]


async def test_the_matching_past_issue_ranks_first(store: LearningStore) -> None:
    for past in PAST:
        await store.record(past, recorded_by=WHO)

    symptoms = {"service": "host.disk:/data", "mount": "/data", "percent": 96.1}
    found = await store.find_similar("DISK almost full", symptoms, 3)
    assert found[0].resolution.issue_name == "disk_full"
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert all(0.0 <= s.score <= 1.0 for s in found)
    assert found[0].score > 0.5 and (len(found) == 1 or found[1].score < found[0].score)

    refused = await store.find_similar("scoring connection refused after deploy", None, 5)
    assert refused[0].resolution.issue_name == "endpoint_down" and refused[0].score == 1.0

    by_symptoms = await store.find_similar("", {"error": "timeout", "url": "http://brain:8080/health"}, 5)
    assert by_symptoms[0].resolution.issue_name == "timeout"
    assert by_symptoms[0].resolution.resolution_status is ResolutionStatus.PARTIAL

    assert await store.find_similar("kubernetes etcd quorum", None, 5) == []
    assert len(await store.find_similar("host", None, 1)) == 1


async def test_the_words_score_is_the_share_of_query_words_found(store: LearningStore) -> None:
    await store.record(PAST[1], recorded_by=WHO)
    [only] = await store.find_similar("batch worker leaked zeppelin", None, 5)
    # batch, worker, leaked are in the resolution; zeppelin is not.
    assert only.score == 0.75


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"issue_name": ""}, "resolution.issue_name"),
        ({"issue_name": "x" * 129}, "resolution.issue_name"),
        ({"symptoms": {"blob": "x" * (64 * 1024)}}, "resolution.symptoms"),
        ({"symptoms": ["not", "an", "object"]}, "resolution.symptoms"),
        ({"diagnosis": "x" * 10_001}, "resolution.diagnosis"),
        ({"action_taken": "x" * 10_001}, "resolution.action_taken"),
        ({"lesson_learned": "x" * 10_001}, "resolution.lesson_learned"),
        ({"tags": [f"t{i}" for i in range(33)]}, "resolution.tags"),
        ({"tags": ["ok", ""]}, "resolution.tags[1]"),
        ({"tags": ["x" * 65]}, "resolution.tags[0]"),
        ({"resolution_status": "fixed"}, "resolution.resolution_status"),
        ({"id": "resolution_20250101_000000_abcdef"}, "resolution.id"),
    ],
)
async def test_invalid_resolutions_are_refused_by_field(
    store: LearningStore, changes: dict[str, Any], field: str
) -> None:
    bad = resolution("disk_full", {"percent": 99}, "d", "a", "l")
    for name, value in changes.items():
        setattr(bad, name, value)
    with pytest.raises(InvalidArgument) as caught:
        await store.record(bad, recorded_by=WHO)
    assert [v.field for v in caught.value.violations] == [field]
    assert await store.count() == 0


async def test_every_bad_field_is_named_at_once(store: LearningStore) -> None:
    bad = resolution("", {"percent": 99}, "x" * 10_001, "a", "l", tags=[""])
    with pytest.raises(InvalidArgument) as caught:
        await store.record(bad, recorded_by=WHO)
    assert [v.field for v in caught.value.violations] == [
        "resolution.issue_name",
        "resolution.diagnosis",
        "resolution.tags[0]",
    ]


@pytest.mark.parametrize(
    ("query", "symptoms", "limit", "field"),
    [
        ("", None, 5, "query"),
        ("x" * 10_001, None, 5, "query"),
        ("disk", None, 51, "limit"),
        ("disk", None, -1, "limit"),
        ("disk", {"blob": "x" * (64 * 1024)}, 5, "symptoms"),
    ],
)
async def test_invalid_searches_are_refused(
    store: LearningStore, query: str, symptoms: dict[str, Any] | None, limit: int, field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await store.find_similar(query, symptoms, limit)
    assert [v.field for v in caught.value.violations] == [field]


async def test_limit_zero_means_five(store: LearningStore) -> None:
    for n in range(7):
        await store.record(
            resolution("disk_full", {"n": n}, "disk full again", "cleaned", "watch the disk"), recorded_by=WHO
        )
    assert len(await store.find_similar("disk full", None, 0)) == 5


async def test_resolutions_persist_across_reopening(tmp_path: Path) -> None:
    uri = str(tmp_path / "lancedb")
    database = await Database.open(uri)
    store = await LearningStore.open(database, compact_every=2)
    recorded = [await store.record(past, recorded_by=WHO) for past in PAST]
    await store.close()
    await database.close()
    assert store.compactions == 2

    database = await Database.open(uri)
    reopened = await LearningStore.open(database)
    try:
        assert await reopened.count() == len(PAST)
        assert await reopened.get(recorded[2].id) == recorded[2]
        [top, *_] = await reopened.find_similar("scoring server not running", None, 3)
        assert top.resolution == recorded[2]
        newer = await reopened.record(
            resolution("endpoint_down", {}, "Scoring crashed", "restarted", "check it"), recorded_by=WHO
        )
        assert (await reopened.find_similar("SCORING crashed", None, 1))[0].resolution.id == newer.id
    finally:
        await reopened.close()
        await database.close()


def embedder_for(fake: FakeOpenAI) -> Embedder:
    return Embedder(EmbeddingSection(model="fake-embed", base_url=fake.base_url, timeout_s=5), LlmSection())


async def test_hybrid_search_finds_by_meaning_and_survives_an_embedding_outage(database: Database) -> None:
    # The fake embeds words through this synonym table: "oom" and "ram" mean memory, "unreachable" down.
    synonyms = {"oom": "memory", "ram": "memory", "unreachable": "down"}
    async with FakeOpenAI(embed=lambda text: hashed_embedding(text, synonyms=synonyms)) as fake:
        embedder = embedder_for(fake)
        store = await LearningStore.open(database, embedder=embedder)
        try:
            for past in PAST:
                await store.record(past, recorded_by=WHO)
            await wait_until(lambda: store.embedded == len(PAST) and store.embeddings_idle)
            tables = (await database.connection.list_tables()).tables
            assert "resolution_vectors_32" in tables

            # No stored text says "oom" or "ram": only the vectors connect them to memory pressure.
            found = await store.find_similar("oom ram", None, 2)
            assert found[0].resolution.issue_name == "memory_pressure"
            assert 0.0 < found[0].score <= 1.0

            words = await store.find_similar("disk full on /data", None, 2)
            assert words[0].resolution.issue_name == "disk_full"

            # The endpoint goes down: recording goes on (no vector), search answers from full text.
            fake.embeddings_status = 503
            stored = await store.record(
                resolution(
                    "disk_full", {"mount": "/var"}, "Journal logs filled /var", "vacuumed the journal", "cap it"
                ),
                recorded_by=WHO,
            )
            await wait_until(lambda: store.embeddings_idle)
            assert store.embed_failures == 1 and store.embedded == len(PAST)
            assert await store.get(stored.id) == stored
            journal = await store.find_similar("journal vacuumed", None, 3)
            assert journal[0].resolution.id == stored.id and journal[0].score == 1.0
            assert await store.find_similar("oom ram", None, 2) == []  # meaning needs the endpoint

            # Back up: new resolutions are embedded again and meaning search returns.
            fake.embeddings_status = 200
            assert (await store.find_similar("oom ram", None, 1))[0].resolution.issue_name == "memory_pressure"
        finally:
            await store.close()
            await embedder.close()


def test_symptoms_are_flattened_to_words() -> None:
    text = flatten_symptoms({"disk": {"mount": "/data", "percent": 97}, "errors": ["eio", {"code": 5}], "none": None})
    assert text.splitlines() == ["disk.mount /data", "disk.percent 97", "errors eio", "errors.code 5", "none"]


# -- provenance and redaction -------------------------------------------------------------------------------


async def test_who_recorded_it_is_stored_and_read_back(tmp_path: Path) -> None:
    uri = str(tmp_path / "lancedb")
    database = await Database.open(uri)
    store = await LearningStore.open(database)
    claimed = resolution("disk_full", {"mount": "/data"}, "d", "a", "l", recorded_by="agent")  # not the caller
    stored = await store.record(claimed, recorded_by=WHO)
    by_agent = await store.record(PAST[1], recorded_by="agent")
    assert (stored.recorded_by, by_agent.recorded_by) == (WHO, "agent")
    assert (await store.get(stored.id)).recorded_by == WHO  # type: ignore[union-attr]
    await store.close()
    await database.close()

    database = await Database.open(uri)
    reopened = await LearningStore.open(database)
    try:
        [found] = await reopened.find_similar("batch worker leaked memory", None, 1)
        assert found.resolution.recorded_by == "agent"
        assert (await reopened.get(stored.id)) == stored
    finally:
        await reopened.close()
        await database.close()


@pytest.mark.parametrize("who", ["", "   ", "x" * 257])
async def test_recorded_by_is_required(store: LearningStore, who: str) -> None:
    with pytest.raises(TypeError):
        await store.record(PAST[0])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="recorded_by"):
        await store.record(PAST[0], recorded_by=who)
    assert await store.count() == 0


SECRETS = [
    "hunter2",
    "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e",
    "dbpass99",
    "tok-7f3e9a1b2c4d",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "AKIAIOSFODNN7EXAMPLE",
]


def leaky_resolution() -> IssueResolution:
    return resolution(
        "disk_full",
        {
            "dsn": "postgres://backup:dbpass99@10.0.0.7:5432/signals",
            "headers": {"Authorization": "Bearer tok-7f3e9a1b2c4d", "Accept": "application/json"},
            "api_key": "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e",
            "percent": 97.5,
        },
        "the backup job failed with password=hunter2 and filled /data",
        "git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/ops && ./cleanup",
        "never paste AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE into a ticket",
        tags=["token=tok-7f3e9a1b2c4d", "disk"],
    )


async def test_secrets_are_redacted_before_anything_is_stored_indexed_or_embedded(database: Database) -> None:
    async with FakeOpenAI() as fake:
        embedder = embedder_for(fake)
        store = await LearningStore.open(database, embedder=embedder)
        try:
            stored = await store.record(leaky_resolution(), recorded_by=WHO)
            await wait_until(lambda: store.embedded == 1 and store.embeddings_idle)

            rows = await store.table.query().to_list()  # what is on disk, every column
            on_disk = repr(rows) + repr(await store.get(stored.id)) + repr(stored)
            embedded = "".join(repr(r.body) for r in fake.embedding_requests())
            for secret in SECRETS:
                assert secret not in on_disk, f"{secret!r} was stored"
                assert secret not in embedded, f"{secret!r} was sent to the embedding endpoint"
            assert stored.symptoms["headers"] == {"Authorization": "[REDACTED]", "Accept": "application/json"}
            assert stored.symptoms["percent"] == 97.5 and stored.symptoms["api_key"] == "[REDACTED]"
            assert stored.diagnosis == "the backup job failed with password=[REDACTED] and filled /data"
            assert stored.tags == ["token=[REDACTED]", "disk"]
            assert "postgres://backup:[REDACTED]@10.0.0.7" in rows[0]["symptoms"]
            # Found by its words (the search text on disk, checked above, has none of its secrets).
            assert (await store.find_similar("backup job filled data", None, 1))[0].resolution == stored
        finally:
            await store.close()
            await embedder.close()


async def test_redaction_keeps_texts_within_their_limits(store: LearningStore) -> None:
    # `password=x` grows to `password=[REDACTED]`: a text at its limit is cut back to it.
    long = resolution("disk_full", {}, "password=x " * 909, "a", "l", tags=["password=" + "y" * 55])
    assert len(long.diagnosis) <= 10_000 and len(long.tags[0]) == 64
    stored = await store.record(long, recorded_by=WHO)
    assert len(stored.diagnosis) == 10_000 and "password=x" not in stored.diagnosis
    assert stored.tags == ["password=[REDACTED]"]


# The schema of version 1 of ops_resolutions, as servers before `recorded_by` created it.
RESOLUTIONS_V1 = pa.schema(
    [
        ("id", pa.string()),
        ("issue_name", pa.string()),
        ("symptoms", pa.string()),
        ("diagnosis", pa.string()),
        ("action_taken", pa.string()),
        ("resolution_status", pa.string()),
        ("lesson_learned", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("tags", pa.list_(pa.string())),
        ("search_text", pa.string()),
    ],
    metadata={b"glm3.schema_version": b"1"},
)


async def test_a_version_1_table_is_migrated_with_unknown_provenance(tmp_path: Path) -> None:
    uri = str(tmp_path / "lancedb")
    database = await Database.open(uri)
    old = await database.connection.create_table("ops_resolutions", schema=RESOLUTIONS_V1)
    await old.add(
        pa.Table.from_pylist(
            [
                {
                    "id": "resolution_20250101_120000_abcdef",
                    "issue_name": "disk_full",
                    "symptoms": '{"mount":"/data"}',
                    "diagnosis": "the data volume filled up",
                    "action_taken": "deleted old scorer logs",
                    "resolution_status": "success",
                    "lesson_learned": "rotate scorer logs daily",
                    "timestamp": datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
                    "tags": ["disk"],
                    "search_text": "disk_full\ndisk full\nmount /data\nthe data volume filled up\n"
                    "deleted old scorer logs\nrotate scorer logs daily\ndisk",
                }
            ],
            schema=RESOLUTIONS_V1,
        )
    )
    store = await LearningStore.open(database)
    try:
        assert schema_version(await store.table.schema()) == 2
        [migrated] = await store.find_similar("scorer logs rotate", None, 5)  # the full-text index is back
        assert migrated.resolution.id == "resolution_20250101_120000_abcdef"
        assert migrated.resolution.recorded_by == ""  # not known: the diagnosis does not repeat it as advice
        assert migrated.resolution.lesson_learned == "rotate scorer logs daily"
        newer = await store.record(PAST[0], recorded_by="agent")
        assert await store.count() == 2
        assert (await store.get(newer.id)).recorded_by == "agent"  # type: ignore[union-attr]
    finally:
        await store.close()
    reopened = await LearningStore.open(database)  # version 2 now: opened as it is
    try:
        assert await reopened.count() == 2
        assert {r.resolution.recorded_by for r in await reopened.find_similar("disk full", None, 5)} == {"", "agent"}
    finally:
        await reopened.close()
        await database.close()

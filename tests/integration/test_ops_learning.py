"""The learning store on a real LanceDB in a temporary directory: recording, validation, similarity search
by words and (with the loopback OpenAI-compatible fake) by meaning, persistence, embedding outages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from glm3.servers.common.errors import InvalidArgument
from glm3.servers.common.settings import LlmSection
from glm3.servers.ops.learning import LearningStore, flatten_symptoms
from glm3.servers.ops.models import IssueResolution, ResolutionStatus
from glm3.servers.scoring.embeddings import Embedder
from glm3.servers.scoring.settings import EmbeddingSection
from glm3.servers.storage.database import Database
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


@pytest.fixture
async def store(database: Database) -> AsyncIterator[LearningStore]:
    opened = await LearningStore.open(database)
    yield opened
    await opened.close()


async def test_record_assigns_an_id_and_reads_back(store: LearningStore) -> None:
    stored = await store.record(PAST[0])
    assert re.fullmatch(r"resolution_\d{8}_\d{6}_[0-9a-f]{6}", stored.id)
    assert stored.timestamp == PAST[0].timestamp  # when it was resolved, kept
    assert PAST[0].id == ""  # the caller's object is not changed
    assert await store.get(stored.id) == stored
    assert await store.get("resolution_20000101_000000_000000") is None
    assert await store.count() == 1

    before = datetime.now(UTC)
    seed_style = resolution("disk_full", None, "", "", "", timestamp=None, tags=None)  # type: ignore[arg-type]
    undated = await store.record(seed_style)
    assert undated.timestamp >= before and undated.timestamp.tzinfo is not None  # missing: the time of recording
    assert undated.symptoms == {} and undated.tags == []  # the seed's None defaults mean none

    dated = await store.record(resolution("disk_full", {}, "", "", "", timestamp=datetime(2025, 5, 1, 12, 0)))
    assert dated.timestamp == datetime(2025, 5, 1, 12, 0, tzinfo=UTC)  # a naive time is taken as UTC
    assert (await store.get(dated.id)).timestamp == dated.timestamp  # type: ignore[union-attr]


async def test_the_matching_past_issue_ranks_first(store: LearningStore) -> None:
    for past in PAST:
        await store.record(past)

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
    await store.record(PAST[1])
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
        await store.record(bad)
    assert [v.field for v in caught.value.violations] == [field]
    assert await store.count() == 0


async def test_every_bad_field_is_named_at_once(store: LearningStore) -> None:
    bad = resolution("", {"percent": 99}, "x" * 10_001, "a", "l", tags=[""])
    with pytest.raises(InvalidArgument) as caught:
        await store.record(bad)
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
        await store.record(resolution("disk_full", {"n": n}, "disk full again", "cleaned", "watch the disk"))
    assert len(await store.find_similar("disk full", None, 0)) == 5


async def test_resolutions_persist_across_reopening(tmp_path: Path) -> None:
    uri = str(tmp_path / "lancedb")
    database = await Database.open(uri)
    store = await LearningStore.open(database, compact_every=2)
    recorded = [await store.record(past) for past in PAST]
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
        newer = await reopened.record(resolution("endpoint_down", {}, "Scoring crashed", "restarted", "check it"))
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
                await store.record(past)
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
                resolution("disk_full", {"mount": "/var"}, "Journal logs filled /var", "vacuumed the journal", "cap it")
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

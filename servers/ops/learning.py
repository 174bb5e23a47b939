"""The learning store: every issue resolution the ops agent (or a person) records, and finding similar ones.

Resolutions live in the LanceDB table `ops_resolutions`, each with who recorded it (`recorded_by`, given by
the caller of `record`: the agent or the authenticated principal, never the request) and with the secrets
of its texts, symptoms and tags redacted before anything is stored, indexed or embedded.

Search looks at one text per resolution (issue name, symptoms flattened to `key value` words, diagnosis,
action, lesson, tags) through a full-text index, and, when an embedding model is configured, also at its
embedding (`resolution_vectors_<dimensions>`), as the candidate store does. Embeddings are derived data: a
resolution is stored first and embedded after, off the caller's path; an embedding outage leaves it to
full-text search and never fails `record`.

How similar is scored (0..1, the order of the results):

- words: the share of the query's distinct words (runs of two or more letters or digits, lower-cased,
  common English stop words dropped, a plural `s` ignored) that appear in the resolution's text. 1.0
  means every query word is there.
- meaning (hybrid only): the cosine similarity of the query's and the resolution's embeddings, below 0
  counted as 0.
- score = words in full-text mode; with vectors, 1 - (1 - words) * (1 - meaning): either kind of match
  counts, both count more (a resolution whose embedding failed is scored by words alone). Ties are broken
  by reciprocal rank fusion of the BM25 and vector ranks (each list gives 1 / (60 + rank)), then by the
  newer resolution.

Candidates come from the best BM25 hits and the nearest vectors (a few times `limit` of each); a
vector-only hit with no similarity at all is dropped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pyarrow as pa
from lancedb.index import FTS, BTree

from glm3.servers.common.errors import FieldViolation, InvalidArgument
from glm3.servers.common.redact import redact, redact_obj
from glm3.servers.ops.models import IssueResolution, ResolutionStatus, SimilarIssue, new_id, utcnow
from glm3.servers.storage.database import Database
from glm3.servers.storage.sql import fts_words
from glm3.servers.storage.group import GroupRunner
from glm3.servers.storage.schemas import OPS_RESOLUTIONS, open_table, resolution_vectors

log = logging.getLogger("glm3.ops.learning")

__all__ = ["LearningStore", "TextEmbedder", "flatten_symptoms", "search_text"]

TABLE = "ops_resolutions"
ID_PREFIX = "resolution"

MAX_ISSUE_NAME = 128
MAX_SYMPTOMS_BYTES = 64 * 1024
MAX_TEXT = 10_000
MAX_TAGS = 32
MAX_TAG = 64
MAX_LIMIT = 50
DEFAULT_LIMIT = 5
MAX_RECORDED_BY = 256

_RRF_K = 60  # reciprocal rank fusion constant, as in the candidate store
_FETCH_FACTOR = 4  # candidates fetched from each retriever per result asked for
_MIN_FETCH = 20

_WORD = re.compile(r"[a-z0-9]{2,}")
_STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have in into is it its no not of on or that the their then "
    "there these this to was were will with".split()
)


class TextEmbedder(Protocol):
    """What the store needs to embed texts (`glm3.servers.common.embeddings.Embedder` is one)."""

    model: str

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


# -- text ---------------------------------------------------------------------------------------------


def flatten_symptoms(symptoms: Any, prefix: str = "") -> str:
    """Symptoms as lines of `key value` (nested keys joined by dots), so their keys and values are words."""
    if isinstance(symptoms, dict):
        parts = [flatten_symptoms(value, f"{prefix}.{key}" if prefix else str(key)) for key, value in symptoms.items()]
        return "\n".join(part for part in parts if part)
    if isinstance(symptoms, list | tuple):
        return "\n".join(part for part in (flatten_symptoms(item, prefix) for item in symptoms) if part)
    value = "" if symptoms is None else str(symptoms)
    return f"{prefix} {value}".strip()


def search_text(resolution: IssueResolution) -> str:
    """What search looks at. The issue name also appears with spaces, so `disk_full` matches `disk full`."""
    return "\n".join(
        part
        for part in (
            resolution.issue_name,
            resolution.issue_name.replace("_", " ").replace("-", " "),
            flatten_symptoms(resolution.symptoms),
            resolution.diagnosis,
            resolution.action_taken,
            resolution.lesson_learned,
            " ".join(resolution.tags),
        )
        if part
    )


def _terms(text: str) -> set[str]:
    """Distinct words for the word score: lower-cased, stop words dropped, a plural `s` ignored."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return max(0.0, dot / norm) if norm else 0.0


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(_sql_string(v) for v in values)})"


# -- validation ---------------------------------------------------------------------------------------


def _symptoms_json(symptoms: Any) -> str:
    return json.dumps(symptoms, separators=(",", ":"), ensure_ascii=False, default=str, sort_keys=True)


def resolution_violations(resolution: IssueResolution) -> list[FieldViolation]:
    """What is wrong with a resolution to record, each named `resolution.<field>`."""
    found: list[FieldViolation] = []

    def bad(name: str, description: str) -> None:
        found.append(FieldViolation(f"resolution.{name}", description))

    if resolution.id:
        bad("id", "must be empty: the server assigns ids")
    name = resolution.issue_name
    if not isinstance(name, str) or not name.strip():
        bad("issue_name", "is required")
    elif len(name) > MAX_ISSUE_NAME:
        bad("issue_name", f"must be at most {MAX_ISSUE_NAME} characters")
    if not isinstance(resolution.symptoms, dict):
        bad("symptoms", "must be a JSON object")
    elif len(_symptoms_json(resolution.symptoms).encode()) > MAX_SYMPTOMS_BYTES:
        bad("symptoms", f"must be at most {MAX_SYMPTOMS_BYTES // 1024} KiB as JSON")
    for text_field in ("diagnosis", "action_taken", "lesson_learned"):
        value = getattr(resolution, text_field)
        if not isinstance(value, str):
            bad(text_field, "must be text")
        elif len(value) > MAX_TEXT:
            bad(text_field, f"must be at most {MAX_TEXT:,} characters")
    try:
        ResolutionStatus(resolution.resolution_status)
    except ValueError:
        bad("resolution_status", f"must be one of {', '.join(s.value for s in ResolutionStatus)}")
    if len(resolution.tags) > MAX_TAGS:
        bad("tags", f"must be at most {MAX_TAGS} tags")
    for index, tag in enumerate(resolution.tags):
        if not isinstance(tag, str) or not 1 <= len(tag) <= MAX_TAG:
            bad(f"tags[{index}]", f"must be 1 to {MAX_TAG} characters")
    return found


def _query_violations(query: str, symptoms: Any, limit: int) -> list[FieldViolation]:
    found = []
    if len(query) > MAX_TEXT:
        found.append(FieldViolation("query", f"must be at most {MAX_TEXT:,} characters"))
    if symptoms is not None and not isinstance(symptoms, dict):
        found.append(FieldViolation("symptoms", "must be a JSON object"))
    elif symptoms and len(_symptoms_json(symptoms).encode()) > MAX_SYMPTOMS_BYTES:
        found.append(FieldViolation("symptoms", f"must be at most {MAX_SYMPTOMS_BYTES // 1024} KiB as JSON"))
    if not 0 <= limit <= MAX_LIMIT:
        found.append(FieldViolation("limit", f"must be 1 to {MAX_LIMIT} (0 means {DEFAULT_LIMIT})"))
    if not query.strip() and not symptoms:
        found.append(FieldViolation("query", "give a query, symptoms, or both"))
    return found


# -- rows ---------------------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _row(resolution: IssueResolution) -> pa.Table:
    return pa.Table.from_pydict(
        {
            "id": [resolution.id],
            "issue_name": [resolution.issue_name],
            "symptoms": [_symptoms_json(resolution.symptoms)],
            "diagnosis": [resolution.diagnosis],
            "action_taken": [resolution.action_taken],
            "resolution_status": [ResolutionStatus(resolution.resolution_status).value],
            "lesson_learned": [resolution.lesson_learned],
            "timestamp": [resolution.timestamp],
            "tags": [list(resolution.tags)],
            "search_text": [search_text(resolution)],
            "recorded_by": [resolution.recorded_by],
        },
        schema=OPS_RESOLUTIONS,
    )


def resolution_from_row(row: dict[str, Any]) -> IssueResolution:
    return IssueResolution(
        id=row["id"],
        issue_name=row["issue_name"],
        symptoms=json.loads(row["symptoms"] or "{}"),
        diagnosis=row["diagnosis"],
        action_taken=row["action_taken"],
        resolution_status=ResolutionStatus(row["resolution_status"]),
        lesson_learned=row["lesson_learned"],
        timestamp=_aware(row["timestamp"]),
        tags=list(row["tags"] or []),
        recorded_by=row.get("recorded_by") or "",
    )


def _redacted(resolution: IssueResolution) -> IssueResolution:
    """A copy with the secrets of every text, the symptoms and the tags redacted. Done in `record`, so
    every writer (the agent, RecordResolution, a script) gets it: what people paste into an incident (a
    connection string, a token in a log excerpt) is not kept, indexed, embedded or shown back. Redaction
    can lengthen a text (`password=x` -> `password=[REDACTED]`): it is cut back to its limit."""
    return dataclasses.replace(
        resolution,
        issue_name=redact(resolution.issue_name)[:MAX_ISSUE_NAME],
        symptoms=redact_obj(resolution.symptoms),
        diagnosis=redact(resolution.diagnosis)[:MAX_TEXT],
        action_taken=redact(resolution.action_taken)[:MAX_TEXT],
        lesson_learned=redact(resolution.lesson_learned)[:MAX_TEXT],
        tags=[redact(tag)[:MAX_TAG] for tag in resolution.tags],
    )


@dataclasses.dataclass(slots=True)
class _Hit:
    row: dict[str, Any]
    words: float = 0.0
    meaning: float | None = None
    fused: float = 0.0
    from_text: bool = False

    def score(self) -> float:
        if self.meaning is None:
            return self.words
        return 1.0 - (1.0 - self.words) * (1.0 - self.meaning)


# -- the store ----------------------------------------------------------------------------------------


class LearningStore:
    """Issue resolutions in LanceDB with full-text (and optionally vector) similarity search.

    Counters: `embedded` (resolutions with a vector written), `embed_failures` (resolutions whose
    embedding failed), `compactions`.
    """

    def __init__(
        self, database: Database, table: Any, *, embedder: TextEmbedder | None, compact_every: int
    ) -> None:
        self.database = database
        self.table = table
        self.embedder = embedder
        self.embedded = 0
        self.embed_failures = 0
        self.compactions = 0
        self._compact_every = compact_every
        self._since_compaction = 0
        self._write_lock = asyncio.Lock()
        self._vector_tables: dict[int, Any] = {}
        self._embeddings: GroupRunner[IssueResolution, None] = GroupRunner("resolution-embed", self._embed)
        self._maintenance: set[asyncio.Task[None]] = set()
        self._closed = False

    @classmethod
    async def open(
        cls, database: Database, *, embedder: TextEmbedder | None = None, compact_every: int = 16
    ) -> LearningStore:
        """Opens (creating or migrating) `ops_resolutions` and its indexes. `compact_every` records, the
        table is compacted so new rows join the full-text index."""
        table = await open_table(database.connection, TABLE, OPS_RESOLUTIONS)
        store = cls(database, table, embedder=embedder, compact_every=compact_every)
        await store._ensure_indexes()
        store._embeddings.start()
        return store

    async def close(self) -> None:
        """Finishes pending embeddings and maintenance. The database stays open (its owner closes it)."""
        self._closed = True
        await self._embeddings.close()
        if self._maintenance:
            await asyncio.gather(*self._maintenance, return_exceptions=True)

    @property
    def embeddings_idle(self) -> bool:
        """No embedding is waiting or running."""
        return self._embeddings.idle

    async def _ensure_indexes(self) -> None:
        """Made at open, even on an empty table: the full-text index also decides how rows not indexed yet
        are tokenised (lower-cased, stemmed), so search is consistent from the first row."""
        have = {index.columns[0] for index in await self.table.list_indices()}
        for column, config in (("id", BTree()), ("search_text", FTS())):
            if column not in have:
                await self.table.create_index(column, config=config)

    # -- writes -------------------------------------------------------------------------------------

    async def record(self, resolution: IssueResolution, *, recorded_by: str) -> IssueResolution:
        """Validates, redacts and stores a resolution; returns it as stored: with its id, its timestamp (now
        when None), `recorded_by` and its secrets replaced by `[REDACTED]`.

        `recorded_by` is who teaches it: "agent" for the agent's own verified resolutions, else the caller's
        principal ("anonymous" without authentication); whatever the resolution itself says is replaced.
        Raises InvalidArgument naming each bad field (`resolution.issue_name`, ...)."""
        if not isinstance(recorded_by, str) or not recorded_by.strip() or len(recorded_by) > MAX_RECORDED_BY:
            raise ValueError(f"recorded_by must be 1 to {MAX_RECORDED_BY} characters, not blank")
        # The seed's defaults are None for symptoms and tags; they mean none.
        symptoms = {} if resolution.symptoms is None else resolution.symptoms
        resolution = dataclasses.replace(resolution, symptoms=symptoms, tags=list(resolution.tags or []))
        violations = resolution_violations(resolution)
        if violations:
            raise InvalidArgument("the resolution is invalid", violations)
        timestamp = _aware(resolution.timestamp) if resolution.timestamp is not None else utcnow()
        stored = _redacted(
            dataclasses.replace(
                resolution,
                id=new_id(ID_PREFIX),
                timestamp=timestamp,
                resolution_status=ResolutionStatus(resolution.resolution_status),
                symptoms=json.loads(_symptoms_json(resolution.symptoms)),  # as it will read back
                recorded_by=recorded_by,
            )
        )
        async with self._write_lock:
            await self.table.add(_row(stored))
            self._since_compaction += 1
            if self._since_compaction >= self._compact_every:
                self._since_compaction = 0
                self._spawn(self.compact())
        log.info(
            "resolution recorded",
            extra={
                "resolution_id": stored.id,
                "issue": stored.issue_name,
                "status": stored.resolution_status.value,
                "recorded_by": stored.recorded_by,
            },
        )
        if self.embedder is not None and not self._closed:
            self._embeddings.submit_nowait([stored])  # after the commit: vectors are derived data
        return stored

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._maintenance.add(task)
        task.add_done_callback(self._maintenance.discard)

    async def compact(self) -> None:
        """Merges fragments, folds new rows into the indexes, prunes old versions."""
        try:
            async with self._write_lock:
                await self._ensure_indexes()
                for table in (self.table, *self._vector_tables.values()):
                    await table.optimize(cleanup_older_than=timedelta(minutes=5))
            self.compactions += 1
        except Exception:
            log.exception("learning store compaction failed")

    async def _vectors(self, dimensions: int) -> Any:
        table = self._vector_tables.get(dimensions)
        if table is None:
            name, schema = resolution_vectors(dimensions)
            table = await open_table(self.database.connection, name, schema)
            self._vector_tables[dimensions] = table
        return table

    async def _embed(self, resolutions: list[IssueResolution]) -> list[None]:
        """Writes the vectors of freshly recorded resolutions; an outage is counted and logged, not raised."""
        assert self.embedder is not None
        try:
            vectors = await self.embedder.embed([search_text(r) for r in resolutions])
            if vectors:
                table = await self._vectors(len(vectors[0]))
                await table.add(
                    pa.Table.from_pydict(
                        {
                            "resolution_id": [r.id for r in resolutions],
                            "model": [self.embedder.model] * len(resolutions),
                            "vector": vectors,
                        },
                        schema=await table.schema(),
                    )
                )
        except Exception as exc:
            self.embed_failures += len(resolutions)
            log.warning(
                "resolutions not embedded; they are found by full text only: %s",
                type(exc).__name__,
                extra={"resolutions": len(resolutions)},
            )
        else:
            self.embedded += len(resolutions)
        return [None] * len(resolutions)

    # -- reads --------------------------------------------------------------------------------------

    async def get(self, resolution_id: str) -> IssueResolution | None:
        rows = await self.table.query().where(f"id = {_sql_string(resolution_id)}").limit(1).to_list()
        return resolution_from_row(rows[0]) if rows else None

    async def count(self) -> int:
        return await self.table.count_rows()

    async def find_similar(
        self, query: str = "", symptoms: dict[str, Any] | None = None, limit: int = DEFAULT_LIMIT
    ) -> list[SimilarIssue]:
        """The past resolutions most similar to a query in words and/or symptoms, best first (see the
        module docstring for the score). `limit` is 1..50, 0 meaning 5. Raises InvalidArgument."""
        violations = _query_violations(query, symptoms, limit)
        if violations:
            raise InvalidArgument("the search is invalid", violations)
        limit = limit or DEFAULT_LIMIT
        text = "\n".join(part for part in (query.strip(), flatten_symptoms(symptoms or {})) if part)
        terms = _terms(text)
        fetch = max(_FETCH_FACTOR * limit, _MIN_FETCH)
        hits: dict[str, _Hit] = {}
        if terms:
            await self._text_hits(text, fetch, hits)
        query_vector = await self._query_vector(text)
        if query_vector is not None:
            await self._vector_hits(query_vector, fetch, hits)
        for hit in hits.values():
            hit.words = len(terms & _terms(hit.row["search_text"])) / len(terms) if terms else 0.0
        kept = [hit for hit in hits.values() if hit.from_text or hit.score() > 0]
        kept.sort(key=lambda h: (-h.score(), -h.fused, -h.row["timestamp"].timestamp(), h.row["id"]))
        return [SimilarIssue(resolution_from_row(h.row), round(h.score(), 4)) for h in kept[:limit]]

    async def _text_hits(self, text: str, fetch: int, hits: dict[str, _Hit]) -> None:
        rows = await self.table.query().nearest_to_text(fts_words(text) or "-", columns=["search_text"]).limit(fetch).to_list()
        for rank, row in enumerate(rows):
            hit = hits.setdefault(row["id"], _Hit(row))
            hit.from_text = True
            hit.fused += 1.0 / (_RRF_K + rank + 1)

    async def _query_vector(self, text: str) -> list[float] | None:
        if self.embedder is None:
            return None
        try:
            [vector] = await self.embedder.embed([text])
        except Exception as exc:
            log.warning("query not embedded; searching by full text only: %s", type(exc).__name__)
            return None
        return list(vector)

    async def _vector_hits(self, query: list[float], fetch: int, hits: dict[str, _Hit]) -> None:
        """Adds the nearest resolutions and the meaning score of every hit that has a vector."""
        assert self.embedder is not None
        name, _ = resolution_vectors(len(query))
        if len(query) not in self._vector_tables and name not in (await self.database.connection.list_tables()).tables:
            return
        table = await self._vectors(len(query))
        model = f"model = {_sql_string(self.embedder.model)}"
        nearest = await (
            table.query()
            .nearest_to(query)
            .distance_type("cosine")
            .where(model)
            .select(["resolution_id", "vector", "_distance"])
            .limit(fetch)
            .to_list()
        )
        vectors = {row["resolution_id"]: row["vector"] for row in nearest}
        text_only = [rid for rid in hits if rid not in vectors]
        if text_only:
            rows = await table.query().where(f"{_in_list('resolution_id', text_only)} AND {model}").to_list()
            vectors.update((row["resolution_id"], row["vector"]) for row in rows)
        missing = [row["resolution_id"] for row in nearest if row["resolution_id"] not in hits]
        if missing:
            for row in await self.table.query().where(_in_list("id", missing)).to_list():
                hits[row["id"]] = _Hit(row)
        for rank, row in enumerate(nearest):
            hit = hits.get(row["resolution_id"])
            if hit is not None:
                hit.fused += 1.0 / (_RRF_K + rank + 1)
        for rid, hit in hits.items():
            if rid in vectors:
                hit.meaning = _cosine(query, vectors[rid])

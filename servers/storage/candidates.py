"""The scoring server's store: signals, candidates and feedback in LanceDB, written by group commit.

A candidate is acknowledged only after its row is committed. Writes from every RPC go through one
`GroupRunner` (one `add` per table in flight, the batch grows with load), and so do the idempotency
look-ups. Whether a signal was scored before is first asked of an in-memory filter of every stored signal
id (`known.KnownSignalIds`), so new signals, nearly all of them, cost no query. Every `compact_every`
commits (or `compact_interval_s` after the last compaction, whether or not more commits follow), the tables
are compacted, their indexes refreshed and old versions pruned, in the background: appends go on meanwhile
(LanceDB rebases an append over a compaction), only the rare in-place updates (a rescore demoting the
previous version) wait for it.

Two ways to write. Alone (the default; `guard.WriterLock` makes sure no other live server writes the
database): idempotency is enforced inside this process and rows are appended. Shared (`storage.shared`:
replicas on object storage, or workers on one host): each candidate row is stored by a `merge_insert` on
its `slot` (`<version>:<signal_id>`, the table's primary key), which LanceDB checks against every commit
made meanwhile, so one version of one signal is stored once, by whichever writer commits first; a writer
whose row lost finds the winner and answers with it (`already_scored`), or, for a rescore, tries the next
version. Conflicts are retried with backoff and counted (`glm3_store_commit_conflicts_total`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import logging
import operator
import os
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from lancedb.index import FTS, Bitmap, BTree
from lancedb.query import ColumnOrdering

from glm3.servers.common import page_tokens
from glm3.servers.storage.sql import fts_words
from glm3.servers.common.errors import FieldViolation, InvalidArgument
from glm3.servers.common.metrics import StoreMetrics
from glm3.servers.scoring.models import (
    DIMENSIONS,
    Feedback,
    Reasoning,
    ScoredCandidate,
    Scores,
    Signal,
    Verdict,
)
from glm3.servers.storage.database import Database
from glm3.servers.storage.group import GroupRunner
from glm3.servers.storage.known import KnownSignalIds
from glm3.servers.storage.schemas import (
    CANDIDATES,
    FEEDBACK,
    SIGNALS,
    candidate_slot,
    candidate_vectors,
    open_table,
)

log = logging.getLogger("glm3.storage")

T = TypeVar("T")

_ORDERS = {
    "time_desc": (("timestamp", False), ("id", False)),
    "time_asc": (("timestamp", True), ("id", True)),
    "score_desc": (("overall_score", False), ("timestamp", False), ("id", False)),
    "score_asc": (("overall_score", True), ("timestamp", True), ("id", True)),
}


# Reciprocal rank fusion constant for hybrid search (the usual 60: a hit's weight is 1 / (60 + rank)).
_RRF_K = 60


class TextEmbedder(Protocol):
    """What the store needs to embed candidates and queries (`glm3.servers.common.embeddings.Embedder`)."""

    model: str

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def search_text(candidate: ScoredCandidate) -> str:
    """What search looks at: title, description and the reasoning of every dimension."""
    r = candidate.reasoning
    return "\n".join(
        (candidate.title, candidate.description, r.market, r.competition, r.emotional, r.feasibility, r.signal_quality)
    )


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_timestamp(value: datetime) -> str:
    return f"arrow_cast({_sql_string(value.isoformat())}, 'Timestamp(Microsecond, Some(\"UTC\"))')"


def _sql_literal(value: Any) -> str:
    if isinstance(value, datetime):
        return _sql_timestamp(value)
    if isinstance(value, str):
        return _sql_string(value)
    return repr(float(value))


def _in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(_sql_string(v) for v in values)})"


@dataclass(slots=True)
class PendingScore:
    """A scored signal waiting for its commit. `candidate.version` is set at commit time."""

    signal: Signal
    candidate: ScoredCandidate
    rescore: bool
    received_at: datetime


@dataclass(slots=True)
class Committed:
    """The candidate a signal ended with: the new one, or the stored one when it was already scored."""

    candidate: ScoredCandidate
    already_scored: bool


@dataclass(slots=True)
class CandidateFilter:
    """Filters of ListCandidates; every unset field matches everything."""

    verdicts: tuple[Verdict, ...] = ()
    min_overall_score: float | None = None
    max_overall_score: float | None = None
    source: str = ""
    category: str = ""
    tag: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None

    def where(self) -> str:
        clauses = ["is_latest = true"]
        if self.verdicts:
            clauses.append(_in_list("verdict", (v.value for v in self.verdicts)))
        if self.min_overall_score is not None:
            clauses.append(f"overall_score >= {float(self.min_overall_score)!r}")
        if self.max_overall_score is not None:
            clauses.append(f"overall_score <= {float(self.max_overall_score)!r}")
        if self.source:
            clauses.append(f"source = {_sql_string(self.source)}")
        if self.category:
            clauses.append(f"category = {_sql_string(self.category)}")
        if self.tag:
            clauses.append(f"array_has(tags, {_sql_string(self.tag)})")
        if self.start_time is not None:
            clauses.append(f"timestamp >= {_sql_timestamp(self.start_time)}")
        if self.end_time is not None:
            clauses.append(f"timestamp < {_sql_timestamp(self.end_time)}")
        return " AND ".join(clauses)

    def fingerprint(self, order: str) -> str:
        data = {
            "v": [v.value for v in self.verdicts],
            "min": self.min_overall_score,
            "max": self.max_overall_score,
            "s": self.source,
            "c": self.category,
            "t": self.tag,
            "from": self.start_time.isoformat() if self.start_time else None,
            "to": self.end_time.isoformat() if self.end_time else None,
            "o": order,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(slots=True)
class StoredStats:
    """What the store can tell about scoring in a time range."""

    candidates_total: int = 0
    verdict_counts: dict[str, int] = field(default_factory=dict)
    scorer_counts: dict[str, int] = field(default_factory=dict)
    score_histogram: list[int] = field(default_factory=lambda: [0] * 10)
    mean_overall_score: float = 0.0
    feedback_count: int = 0
    feedback_agreement_rate: float = 0.0


def _encode_token(fingerprint: str, key: Sequence[Any]) -> str:
    return page_tokens.encode([fingerprint, [v.isoformat() if isinstance(v, datetime) else v for v in key]])


def _decode_token(token: str, fingerprint: str, order: str) -> list[Any]:
    found = page_tokens.decode(token)  # signed: what it holds was written by this server
    columns = _ORDERS[order]
    if not isinstance(found, list) or len(found) != 2 or found[0] != fingerprint:
        raise page_tokens.invalid()
    key = found[1]
    if not isinstance(key, list) or len(key) != len(columns):
        raise page_tokens.invalid()
    try:
        values = [
            datetime.fromisoformat(v) if name == "timestamp" else (float(v) if name == "overall_score" else str(v))
            for (name, _), v in zip(columns, key, strict=True)
        ]
    except (ValueError, TypeError):
        raise page_tokens.invalid() from None
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):
        raise page_tokens.invalid()
    return values


def _after(order: str, key: Sequence[Any]) -> str:
    """SQL predicate for the rows strictly after `key` in `order` (keyset paging)."""
    columns = _ORDERS[order]
    disjuncts = []
    for i, (name, ascending) in enumerate(columns):
        equal = [f"{columns[j][0]} = {_sql_literal(key[j])}" for j in range(i)]
        beyond = f"{name} {'>' if ascending else '<'} {_sql_literal(key[i])}"
        disjuncts.append("(" + " AND ".join([*equal, beyond]) + ")")
    return "(" + " OR ".join(disjuncts) + ")"


def candidate_from_row(row: dict[str, Any]) -> ScoredCandidate:
    return ScoredCandidate(
        id=row["id"],
        timestamp=row["timestamp"],
        signal_id=row["signal_id"],
        title=row["title"],
        description=row["description"],
        scores=Scores(**{d: row[d] for d in DIMENSIONS}),
        overall_score=row["overall_score"],
        reasoning=Reasoning(**{d: row[f"{d}_reasoning"] for d in DIMENSIONS}),
        verdict=Verdict(row["verdict"]),
        analysis=json.loads(row["analysis_json"]),
        recommendations=list(row["recommendations"] or []),
        source=row["source"],
        source_url=row["source_url"],
        category=row["category"],
        tags=list(row["tags"] or []),
        version=row["version"],
        previous_candidate_id=row["previous_candidate_id"],
    )


def _json(value: dict[str, Any]) -> str:
    """Compact JSON of a column value. orjson: the analysis JSON was half of a commit's CPU with the standard
    library's encoder (bench/bench_storage.py); values it cannot encode (none expected) go through str."""
    return orjson.dumps(value, default=str).decode()


def new_writer_id() -> str:
    """Who writes: host, process and a random part (a restarted process with a reused pid is another)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def is_conflict(exc: BaseException) -> bool:
    """Whether LanceDB refused a commit because another writer committed meanwhile (worth retrying)."""
    text = str(exc).lower()
    return "conflict" in text or "retryable" in text or "concurrent" in text


# Retries of a commit that met another writer's: backoff from 20 ms, doubling, to 1 s, with full jitter.
CONFLICT_ATTEMPTS = 8


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(1.0, 0.02 * 2**attempt))


class CommitConflict(RuntimeError):
    """A commit met other writers' commits on every attempt (CONFLICT_ATTEMPTS)."""


async def _nothing() -> None:
    return None


def _candidate_columns(pending: Sequence[PendingScore], writer: str = "") -> pa.Table:
    candidates = [p.candidate for p in pending]
    columns: dict[str, list[Any]] = {
        "id": [c.id for c in candidates],
        "timestamp": [c.timestamp for c in candidates],
        "signal_id": [c.signal_id for c in candidates],
        "version": [c.version for c in candidates],
        "previous_candidate_id": [c.previous_candidate_id for c in candidates],
        "is_latest": [True] * len(candidates),
        "title": [c.title for c in candidates],
        "description": [c.description for c in candidates],
        "overall_score": [c.overall_score for c in candidates],
        "verdict": [c.verdict.value for c in candidates],
        "analysis_json": [_json(c.analysis) for c in candidates],
        "recommendations": [c.recommendations for c in candidates],
        "source": [c.source for c in candidates],
        "source_url": [c.source_url for c in candidates],
        "category": [c.category for c in candidates],
        "tags": [c.tags for c in candidates],
        "scorer": [str(c.analysis.get("scorer", "")) for c in candidates],
        "latency_ms": [float(c.analysis.get("latency_ms", 0.0)) for c in candidates],
        "fallback": ["fallback_reason" in c.analysis for c in candidates],
        "search_text": [search_text(c) for c in candidates],
        "slot": [candidate_slot(c.signal_id, c.version) for c in candidates],
        "writer": [writer] * len(candidates),
    }
    scores = [c.scores for c in candidates]
    reasoning = [c.reasoning for c in candidates]
    for d in DIMENSIONS:
        field = operator.attrgetter(d)
        columns[d] = list(map(field, scores))
        columns[f"{d}_reasoning"] = list(map(field, reasoning))
    return pa.Table.from_pydict(columns, schema=CANDIDATES)


def _signal_columns(pending: Sequence[PendingScore]) -> pa.Table:
    signals = [p.signal for p in pending]
    return pa.Table.from_pydict(
        {
            "id": [s.id for s in signals],
            # The proto: a signal without a timestamp is stamped with the time the server received it.
            "timestamp": [s.timestamp or p.received_at for s, p in zip(signals, pending, strict=True)],
            "source": [s.source for s in signals],
            "source_url": [s.source_url for s in signals],
            "title": [s.title for s in signals],
            "description": [s.description for s in signals],
            "category": [s.category for s in signals],
            "tags": [s.tags for s in signals],
            "engagement_json": [_json(s.engagement) for s in signals],
            "author": [s.author for s in signals],
            "extracted_at": [s.extracted_at for s in signals],
            "raw_content": [s.raw_content for s in signals],
            "comments": [s.comments for s in signals],
            "received_at": [p.received_at for p in pending],
        },
        schema=SIGNALS,
    )


SETUP_ATTEMPTS = 8


async def _retry_setup(step: Callable[[], Awaitable[T]], *tables: Any) -> T:
    """Runs a table or index setup step, again after a short random pause when it fails: replicas started
    together race to create the same tables and indexes, and all but one of them meet a conflict. Before
    each retry the `tables` the step works on move to their latest version: a conflict with a commit that
    this handle has not seen (another writer's index or create) is otherwise met again on every attempt."""
    for attempt in range(SETUP_ATTEMPTS):
        try:
            return await step()
        except Exception as exc:
            if attempt == SETUP_ATTEMPTS - 1:
                raise
            log.info("storage setup met another writer; retrying", extra={"error": str(exc)[:200]})
            await asyncio.sleep(random.uniform(0.05, 0.3) * min(attempt + 1, 4))
            for table in tables:
                await table.checkout_latest()
    raise AssertionError("unreachable")


class CandidateStore:
    """Signals, candidates and feedback of the scoring server."""

    def __init__(
        self,
        database: Database,
        tables: dict[str, Any],
        *,
        compact_every: int,
        compact_interval_s: float,
        keep_versions_s: float,
        compact_max_share: float,
        embedder: TextEmbedder | None = None,
        metrics: StoreMetrics | None = None,
        shared: bool = False,
    ) -> None:
        self.database = database
        self.shared = shared
        self.writer_id = new_writer_id()
        # Commits that met another writer's, by operation (also glm3_store_commit_conflicts_total).
        self.conflicts: dict[str, int] = {"merge": 0, "race": 0, "update": 0, "compact": 0}
        self.embedder = embedder
        self.metrics = metrics if metrics is not None else StoreMetrics()
        self._vector_tables: dict[int, Any] = {}
        self.embedded = 0
        self.signals = tables["signals"]
        self.candidates = tables["candidates"]
        self.feedback = tables["feedback"]
        self.reachable = True
        self._compact_every = compact_every
        self._compact_interval_s = compact_interval_s
        self._keep_versions = timedelta(seconds=keep_versions_s)
        self._commits_since_compaction = 0
        self._last_compaction = time.monotonic()
        # Compaction's cost grows with the table (LanceDB rewrites the growing fragment and the full-text
        # index each time), so after one that took D seconds the next waits D * (1 / share - 1): compaction
        # takes at most that share of the time however large the table and however many the commits.
        self._compact_rest = 1.0 / compact_max_share - 1.0
        self._compaction_allowed_at = 0.0
        self.compactions = 0
        # Compaction and in-place changes (update, delete) of the candidates table never overlap: LanceDB
        # rejects a compaction that rewrote fragments an update changed meanwhile. Appends need no lock.
        self._maintenance = asyncio.Lock()
        self._compactor: asyncio.Task[None] | None = None
        self._compaction_due = asyncio.Event()
        self._compacting = False
        self._closing = False  # set by close(): no compaction starts any more
        # Every signal id with a candidate row, once loaded from the table (until then, commits query).
        self._known = KnownSignalIds()
        self._known_ready = False
        self._known_loader: asyncio.Task[None] | None = None
        # Raw signal rows whose add failed after their candidates were stored (and could not be taken
        # back): added again with the next commit, so no raw signal is lost while the process lives.
        self._signals_owed: list[pa.Table] = []
        self._writer: GroupRunner[PendingScore, Committed] = GroupRunner(
            "candidate-commit", self._commit, after_run=self._after_commit
        )
        self._lookups: GroupRunner[str, ScoredCandidate | None] = GroupRunner("candidate-lookup", self._lookup)
        self._embeddings: GroupRunner[ScoredCandidate, None] = GroupRunner("candidate-embed", self._embed)

    @classmethod
    async def open(
        cls,
        database: Database,
        *,
        compact_every: int = 64,
        compact_interval_s: float = 60.0,
        keep_versions_s: float = 300.0,
        compact_max_share: float = 0.25,
        embedder: TextEmbedder | None = None,
        metrics: StoreMetrics | None = None,
        shared: bool = False,
    ) -> CandidateStore:
        connection = database.connection
        tables = {
            "signals": await _retry_setup(lambda: open_table(connection, "signals", SIGNALS)),
            "candidates": await _retry_setup(lambda: open_table(connection, "candidates", CANDIDATES)),
            "feedback": await _retry_setup(lambda: open_table(connection, "feedback", FEEDBACK)),
        }
        store = cls(
            database,
            tables,
            compact_every=compact_every,
            compact_interval_s=compact_interval_s,
            keep_versions_s=keep_versions_s,
            compact_max_share=compact_max_share,
            embedder=embedder,
            metrics=metrics,
            shared=shared,
        )
        await _retry_setup(store._ensure_indexes, tables["candidates"], tables["feedback"])
        store._known_loader = asyncio.create_task(store._load_known(), name="glm3-known-signals")
        store._writer.start()
        store._lookups.start()
        store._embeddings.start()
        return store

    async def close(self) -> None:
        """Commits everything pending, then stops the background writers (embeddings last). A compaction
        under way is let finish; none starts after it (the compactor would otherwise wait, holding the
        shutdown, for the next one: up to `compact_interval_s` or the rest the last one earned)."""
        self._closing = True
        await self._writer.close()
        if self._signals_owed:
            try:
                await self.signals.add(pa.concat_tables(self._signals_owed))
                self._signals_owed.clear()
            except Exception:
                log.exception("%d raw signal rows could not be stored", sum(t.num_rows for t in self._signals_owed))
        for task in (self._compactor, self._known_loader):
            if task is not None:
                if task is not self._compactor or not self._compacting:  # a compaction under way is let finish
                    task.cancel()
                # Not `await task` under suppress(CancelledError): that would also swallow the cancellation
                # of close() itself (a caller's deadline on the shutdown). Both tasks log their own errors.
                await asyncio.wait({task})
        await self._lookups.close()
        await self._embeddings.close()

    @property
    def embeddings_idle(self) -> bool:
        """No embedding is waiting or running."""
        return self._embeddings.idle

    @property
    def writes_idle(self) -> bool:
        """No commit is waiting or running."""
        return self._writer.idle

    @property
    def signal_ids_loaded(self) -> bool:
        """The stored signal ids are in memory: commits of new signals no longer query the store."""
        return self._known_ready

    @property
    def compacting(self) -> bool:
        """A compaction is running now."""
        return self._compacting

    @property
    def commit_runs(self) -> int:
        return self._writer.runs

    # -- writes -------------------------------------------------------------------------------------

    async def commit(self, pending: Sequence[PendingScore]) -> list[Committed]:
        """Stores scored signals (grouped with other callers' into one add per table); returns, per item,
        the candidate it ended with. Idempotent on signal id unless the item asks to rescore."""
        return await self._writer.submit(pending)

    async def _commit(self, pending: list[PendingScore]) -> list[Committed]:
        started = time.perf_counter()
        try:
            if self.shared:
                outcomes = await self._commit_shared(pending)
            else:
                outcomes = await self._commit_alone(pending)
        except Exception:
            self.reachable = False
            self.metrics.commit_failures.inc()
            raise
        self.reachable = True
        written = sum(1 for o in outcomes if not o.already_scored)
        if written:
            self._commits_since_compaction += 1
            self.metrics.commit_rows.observe(written)
            self.metrics.commit_duration.observe(time.perf_counter() - started)
        return outcomes

    async def _commit_alone(self, pending: list[PendingScore]) -> list[Committed]:
        """The only writer: what is stored is what this process stored, so rows are appended."""
        stored = await self._latest_by_signal({p.signal.id for p in pending})
        latest: dict[str, ScoredCandidate] = dict(stored)
        outcomes: list[Committed] = []
        to_write: list[PendingScore] = []
        demote: list[str] = []
        for item in pending:
            previous = latest.get(item.signal.id)
            if previous is not None and not item.rescore:
                outcomes.append(Committed(previous, already_scored=True))
                continue
            if previous is not None:
                item.candidate.version = previous.version + 1
                item.candidate.previous_candidate_id = previous.id
                if stored.get(item.signal.id) is previous:
                    demote.append(previous.id)  # a stored row; one superseded in this batch is
                    # written with is_latest false below
            latest[item.signal.id] = item.candidate
            to_write.append(item)
            outcomes.append(Committed(item.candidate, already_scored=False))
        if to_write:
            signal_rows = _signal_columns(to_write)
            table = _candidate_columns(to_write, self.writer_id)
            superseded = {p.candidate.id for p in to_write if latest.get(p.signal.id) is not p.candidate}
            if superseded:
                mask = pc.invert(pc.is_in(table["id"], pa.array(sorted(superseded))))
                table = table.set_column(table.schema.get_field_index("is_latest"), "is_latest", mask)
            # Known before written: a failure after LanceDB stored the rows must not let a retry pass
            # as new (a false "maybe" only costs a query).
            self._known.update(p.signal.id for p in to_write)
            await self._add_both(signal_rows, table)
            if demote:
                async with self._maintenance:
                    await self.candidates.update({"is_latest": False}, where=_in_list("id", demote))
            if self.embedder is not None:
                # After the commit, off the acknowledgement path: vectors are derived data.
                self._embeddings.submit_nowait([p.candidate for p in to_write])
        return outcomes

    async def _commit_shared(self, pending: list[PendingScore]) -> list[Committed]:
        """One of several writers: every candidate row is merged on its slot, which LanceDB checks against
        the commits of the others, so a row that lost a race is simply not inserted. The items go in rounds:
        a round holds one item per signal (a second item of the same signal waits for the first's outcome);
        an item whose row lost is answered in the next round with the winner (already scored), or, a
        rescore, tries the version after it."""
        outcomes: list[Committed | None] = [None] * len(pending)
        waiting = list(range(len(pending)))
        races = 0
        while waiting:
            seen: set[str] = set()
            this_round: list[int] = []
            later: list[int] = []
            for i in waiting:
                signal_id = pending[i].signal.id
                (later if signal_id in seen else this_round).append(i)
                seen.add(signal_id)
            stored = await self._latest_by_signal({pending[i].signal.id for i in this_round})
            to_write: list[int] = []
            for i in this_round:
                item = pending[i]
                previous = stored.get(item.signal.id)
                if previous is not None and not item.rescore:
                    outcomes[i] = Committed(previous, already_scored=True)
                    continue
                item.candidate.version = previous.version + 1 if previous is not None else 1
                item.candidate.previous_candidate_id = previous.id if previous is not None else ""
                to_write.append(i)
            lost: list[int] = []
            if to_write:
                items = [pending[i] for i in to_write]
                self._known.update(p.signal.id for p in items)  # known before written, as when alone
                won = await self._merge_candidates(items)
                demote = []
                for i, item in zip(to_write, items, strict=True):
                    if item.candidate.id in won:
                        outcomes[i] = Committed(item.candidate, already_scored=False)
                        previous = stored.get(item.signal.id)
                        if previous is not None:
                            demote.append(previous.id)
                    else:
                        lost.append(i)
                if demote:
                    await self._demote(demote)
                written = [item.candidate for item in items if item.candidate.id in won]
                if written and self.embedder is not None:
                    self._embeddings.submit_nowait(written)
            if lost:
                races += 1
                self.conflicts["race"] += len(lost)
                self.metrics.commit_conflicts.labels("race").inc(len(lost))
                if races >= CONFLICT_ATTEMPTS:
                    raise CommitConflict(f"{len(lost)} candidates lost {races} races with other writers in a row")
                if any(pending[i].rescore for i in lost):
                    await asyncio.sleep(_backoff(races))  # rescores race again: let the others commit first
            waiting = sorted(lost + later)
        return [o for o in outcomes if o is not None]

    async def _merge_candidates(self, items: Sequence[PendingScore]) -> set[str]:
        """Stores the items' candidates (and their raw signals) where their slot is free; returns the ids of
        the candidates this call stored. The raw signals are appended, whoever wins: the signals table is
        the log of what was received, and a signal received by two replicas was received twice."""
        table = _candidate_columns(items, self.writer_id)
        signal_rows = _signal_columns(items)
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                result, _ = await asyncio.gather(
                    # Not through a scalar index: with LanceDB 0.40, a merge joined through an index on
                    # the key misses rows that a concurrent compaction rewrote, and inserts them again
                    # (tests/integration/test_store_shared.py found it); scanning the key column does not.
                    self.candidates.merge_insert("slot").when_not_matched_insert_all().use_index(False).execute(table),
                    self.signals.add(signal_rows) if attempt == 0 else _nothing(),
                )
                break
            except Exception as exc:
                if not is_conflict(exc) or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
                self.conflicts["merge"] += 1
                self.metrics.commit_conflicts.labels("merge").inc()
                await asyncio.sleep(_backoff(attempt))
        retries = max(0, result.num_attempts - 1)  # LanceDB's own retries after a conflict
        if retries:
            self.conflicts["merge"] += retries
            self.metrics.commit_conflicts.labels("merge").inc(retries)
        ids = {c.candidate.id for c in items}
        if result.num_inserted_rows == len(items):
            return ids
        signal_ids = sorted({c.signal.id for c in items})
        rows = await self.candidates.query().where(_in_list("signal_id", signal_ids)).select(["id", "writer"]).to_list()
        return {row["id"] for row in rows if row["writer"] == self.writer_id and row["id"] in ids}

    async def _demote(self, candidate_ids: Sequence[str]) -> None:
        """Marks superseded versions not latest, retrying conflicts. Failing, it only logs: the new version
        is stored and acknowledged, reads take the highest version of a signal, and the next compaction
        demotes what was left (`_repair_latest`)."""
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                async with self._maintenance:
                    await self.candidates.update({"is_latest": False}, where=_in_list("id", candidate_ids))
                return
            except Exception as exc:
                if not is_conflict(exc) or attempt == CONFLICT_ATTEMPTS - 1:
                    log.warning("could not demote superseded candidates; compaction will", extra={"error": str(exc)[:300]})
                    return
                self.conflicts["update"] += 1
                self.metrics.commit_conflicts.labels("update").inc()
                await asyncio.sleep(_backoff(attempt))

    async def _add_both(self, signal_rows: pa.Table, candidate_rows: pa.Table) -> None:
        """Adds the raw signals and their candidates, both at once (one add's time, not two). Either both
        land or the commit fails: the half that landed is taken back, so a retry neither finds a candidate
        without its raw signal (it would be answered as already scored) nor stores a raw signal twice."""
        if self._signals_owed:
            signal_rows = pa.concat_tables([*self._signals_owed, signal_rows])
            self._signals_owed.clear()
        results = await asyncio.gather(
            self.signals.add(signal_rows), self.candidates.add(candidate_rows), return_exceptions=True
        )
        signals_error, candidates_error = (r if isinstance(r, BaseException) else None for r in results)
        if signals_error is None and candidates_error is None:
            return
        if candidates_error is None:
            try:
                async with self._maintenance:
                    await self.candidates.delete(_in_list("id", candidate_rows["id"].to_pylist()))
            except Exception:
                # The candidates stay: keep their raw signals to add with the next commit.
                log.exception("could not take back %d candidates whose raw signals failed", candidate_rows.num_rows)
                self._signals_owed.append(signal_rows)
        elif signals_error is None:
            try:
                await self.signals.delete(_in_list("id", signal_rows["id"].to_pylist()))
            except Exception:  # a raw signal stored twice after the retry is the lesser harm
                log.exception("could not take back %d raw signals whose candidates failed", signal_rows.num_rows)
        raise signals_error if signals_error is not None else candidates_error

    async def _after_commit(self) -> None:
        """Starts (or wakes) the background compactor; the writer never waits for a compaction."""
        if self._commits_since_compaction >= self._compact_every:
            self._compaction_due.set()
        if self._commits_since_compaction > 0 and (self._compactor is None or self._compactor.done()):
            self._compactor = asyncio.create_task(self._compact_when_due(), name="glm3-compaction")

    async def _compact_when_due(self) -> None:
        """Compacts once `compact_every` commits came since the last compaction, or `compact_interval_s`
        after it if any commit came: a burst of writes followed by silence would otherwise leave its small
        fragments, and its rows outside the full-text index (a search then scans them: about 1 s per 20,000
        rows, bench/bench_storage.py), until the next write. Either way not before the rest the previous
        compaction earned (`compact_max_share`). Ends once the store is closing."""
        while self._commits_since_compaction > 0 and not self._closing:
            now = time.monotonic()
            resting = self._compaction_allowed_at - now
            if resting > 0:
                await asyncio.sleep(resting)
                continue
            delay = self._last_compaction + self._compact_interval_s - now
            if self._commits_since_compaction < self._compact_every and delay > 0:
                self._compaction_due.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._compaction_due.wait(), delay)
                continue
            try:
                await self.compact()
            except Exception:
                log.exception("storage compaction failed")
                return  # the next commit tries again

    async def compact(self) -> None:
        """Merges small fragments, builds missing indexes, refreshes them, prunes old versions."""
        async with self._maintenance:
            self._compacting = True
            started = time.perf_counter()
            try:
                self._commits_since_compaction = 0
                self._last_compaction = time.monotonic()
                await self._ensure_indexes()
                await self._repair_latest()
                for table in (self.signals, self.candidates, self.feedback, *self._vector_tables.values()):
                    try:
                        await table.optimize(cleanup_older_than=self._keep_versions)
                    except Exception as exc:
                        # Another writer compacted or changed the same fragments meanwhile: LanceDB refused
                        # this compaction's commit, so nothing of it is visible; the next one tries again.
                        if not (self.shared and is_conflict(exc)):
                            raise
                        self.conflicts["compact"] += 1
                        self.metrics.commit_conflicts.labels("compact").inc()
                        log.info("compaction met another writer's commit", extra={"table": table.name})
                self.compactions += 1
            finally:
                self._compacting = False
                took = time.perf_counter() - started
                self._compaction_allowed_at = time.monotonic() + took * self._compact_rest
        log.info("storage compacted", extra={"duration_ms": round(took * 1000, 1)})

    async def _repair_latest(self) -> None:
        """Demotes versions left marked latest below a newer one of the same signal: a writer that died (or
        whose demotion kept failing) between storing a rescore and demoting the version before it leaves
        two. Only rescored signals can have two, so only they are looked at."""
        rows = await (
            self.candidates.query()
            .where("is_latest = true AND version > 1")
            .select(["signal_id"])
            .limit(50_000)
            .to_list()
        )
        if not rows:
            return
        signal_ids = sorted({row["signal_id"] for row in rows})
        stale: list[str] = []
        for start in range(0, len(signal_ids), 1000):
            chunk = signal_ids[start : start + 1000]
            latest = await (
                self.candidates.query()
                .where(f"{_in_list('signal_id', chunk)} AND is_latest = true")
                .select(["id", "signal_id", "version"])
                .to_list()
            )
            top: dict[str, int] = {}
            for row in latest:
                top[row["signal_id"]] = max(top.get(row["signal_id"], 0), row["version"])
            stale.extend(row["id"] for row in latest if row["version"] < top[row["signal_id"]])
        if stale:
            log.info("demoting superseded versions left marked latest", extra={"candidates": len(stale)})
            await self.candidates.update({"is_latest": False}, where=_in_list("id", stale))

    async def _load_known(self) -> None:
        """Adds every stored signal id to the filter; until it is done, commits ask LanceDB."""
        try:
            reader = await self.candidates.query().select(["signal_id"]).to_batches(max_batch_length=65_536)
            async for batch in reader:
                self._known.update(batch.column(0).to_pylist())
                await asyncio.sleep(0)
        except Exception:
            log.exception("could not load the stored signal ids; every commit queries the store instead")
            return
        self._known_ready = True
        log.info("stored signal ids loaded", extra={"signals": len(self._known), "bytes": self._known.nbytes})

    async def _ensure_indexes(self) -> None:
        """Creates missing indexes. They are made at open, even on empty tables: the full-text index also
        decides how rows not yet indexed are tokenised (lower-cased, stemmed), so search is consistent."""
        have = {index.columns[0] for index in await self.candidates.list_indices()}
        wanted = {
            "id": BTree(),
            "signal_id": BTree(),
            "verdict": Bitmap(),
            "search_text": FTS(),
        }
        for column, config in wanted.items():
            if column not in have:
                await self.candidates.create_index(column, config=config)
        if "candidate_id" not in {index.columns[0] for index in await self.feedback.list_indices()}:
            await self.feedback.create_index("candidate_id", config=BTree())

    async def _vectors(self, dimensions: int) -> Any:
        table = self._vector_tables.get(dimensions)
        if table is None:
            name, schema = candidate_vectors(dimensions)
            table = await open_table(self.database.connection, name, schema)
            self._vector_tables[dimensions] = table
        return table

    async def _embed(self, candidates: list[ScoredCandidate]) -> list[None]:
        assert self.embedder is not None
        vectors = await self.embedder.embed([search_text(c) for c in candidates])
        if vectors:
            table = await self._vectors(len(vectors[0]))
            await table.add(
                pa.Table.from_pydict(
                    {
                        "candidate_id": [c.id for c in candidates],
                        "model": [self.embedder.model] * len(candidates),
                        "vector": vectors,
                    },
                    schema=(await table.schema()),
                )
            )
            self.embedded += len(candidates)
        return [None] * len(candidates)

    async def add_feedback(self, feedback: Feedback, candidate_verdict: Verdict) -> None:
        row = pa.Table.from_pydict(
            {
                "id": [feedback.id],
                "timestamp": [feedback.timestamp],
                "candidate_id": [feedback.candidate_id],
                "verdict_correct": [feedback.verdict_correct],
                "expected_verdict": [feedback.expected_verdict.value if feedback.expected_verdict else ""],
                "actual_outcome": [feedback.actual_outcome],
                "rating": [feedback.rating],
                "comment": [feedback.comment],
                "submitted_by": [feedback.submitted_by],
                "candidate_verdict": [candidate_verdict.value],
            },
            schema=FEEDBACK,
        )
        await self.feedback.add(row)

    # -- reads --------------------------------------------------------------------------------------

    async def _latest_by_signal(self, signal_ids: Iterable[str], *, trust_filter: bool = True) -> dict[str, ScoredCandidate]:
        """The latest candidate of each signal id that has one. The filter of known ids spares the query
        for ids this process never saw stored; with several writers it does not know what the others
        stored, so an answer to a reader must not trust it (`trust_filter=False`). Commits may: a signal
        another writer stored meets that writer's row at the merge and is answered with it then."""
        ids = sorted(set(signal_ids))
        if self._known_ready and (trust_filter or not self.shared):
            ids = self._known.maybe_stored(ids)  # the others were certainly never stored here
        if not ids:
            return {}
        rows = await self.candidates.query().where(f"{_in_list('signal_id', ids)} AND is_latest = true").to_list()
        found: dict[str, ScoredCandidate] = {}
        for row in rows:
            candidate = candidate_from_row(row)
            known = found.get(candidate.signal_id)
            if known is None or candidate.version > known.version:
                found[candidate.signal_id] = candidate
        return found

    async def _lookup(self, signal_ids: list[str]) -> list[ScoredCandidate | None]:
        found = await self._latest_by_signal(signal_ids)
        return [found.get(signal_id) for signal_id in signal_ids]

    async def latest_for_signals(self, signal_ids: Sequence[str]) -> list[ScoredCandidate | None]:
        """The latest stored candidate of each signal id (None if never scored); grouped with other callers."""
        if self._known_ready and not self._known.maybe_stored(signal_ids):
            return [None] * len(signal_ids)  # all certainly new: no query to wait for
        return await self._lookups.submit(signal_ids)

    async def get(self, candidate_id: str) -> ScoredCandidate | None:
        rows = await self.candidates.query().where(f"id = {_sql_string(candidate_id)}").limit(1).to_list()
        return candidate_from_row(rows[0]) if rows else None

    async def get_signal(self, signal_id: str) -> tuple[Signal, datetime] | None:
        """The signal as stored (the latest received with this id) and when it was received; None if none."""
        rows = await self.signals.query().where(f"id = {_sql_string(signal_id)}").to_list()
        if not rows:
            return None
        row = max(rows, key=lambda r: r["received_at"])  # a rescore with new content appended a newer row
        signal = Signal(
            id=row["id"],
            timestamp=row["timestamp"],
            source=row["source"],
            source_url=row["source_url"] or "",
            title=row["title"],
            description=row["description"],
            category=row["category"] or "",
            tags=list(row["tags"] or []),
            engagement={k: int(v) for k, v in json.loads(row["engagement_json"] or "{}").items()},
            author=row["author"] or "",
            extracted_at=row["extracted_at"],
            raw_content=row["raw_content"] or "",
            comments=list(row["comments"] or []),
        )
        return signal, row["received_at"]

    async def get_by_signal(self, signal_id: str) -> ScoredCandidate | None:
        return (await self._latest_by_signal([signal_id], trust_filter=False)).get(signal_id)

    async def list(
        self, filters: CandidateFilter, order: str, page_size: int, page_token: str
    ) -> tuple[list[ScoredCandidate], str, int]:
        """One page of candidates (keyset paging), the next page token ('' at the end), and the total."""
        fingerprint = filters.fingerprint(order)
        where = filters.where()
        total = await self.candidates.count_rows(where)
        if page_token:
            where = f"{where} AND {_after(order, _decode_token(page_token, fingerprint, order))}"
        ordering = [ColumnOrdering(column_name=name, ascending=asc) for name, asc in _ORDERS[order]]
        rows = await self.candidates.query().where(where).order_by(ordering).limit(page_size + 1).to_list()
        candidates = [candidate_from_row(row) for row in rows[:page_size]]
        next_token = ""
        if len(rows) > page_size:
            last = rows[page_size - 1]
            next_token = _encode_token(fingerprint, [last[name] for name, _ in _ORDERS[order]])
        return candidates, next_token, total

    async def search(
        self, text: str, limit: int, verdicts: Sequence[Verdict] = ()
    ) -> tuple[list[tuple[ScoredCandidate, float]], str]:
        """The best `limit` latest candidates for `text`, and the mode: `fts` (BM25 relevance) or `hybrid`
        (full text and vector ranks fused by reciprocal rank fusion), when an embedder is set and answers."""
        where = "is_latest = true"
        if verdicts:
            where += " AND " + _in_list("verdict", (v.value for v in verdicts))
        fetch = limit if self.embedder is None else 2 * limit
        rows = (
            await self.candidates.query()
            .nearest_to_text(fts_words(text) or "-", columns=["search_text"])
            .where(where)
            .limit(fetch)
            .to_list()
        )
        text_hits = [(candidate_from_row(row), float(row.get("_score", 0.0))) for row in rows]
        vector_ids = await self._vector_search(text, fetch)
        if vector_ids is None:
            return text_hits[:limit], "fts"
        fused: dict[str, float] = {}
        found: dict[str, ScoredCandidate] = {}
        for rank, (candidate, _) in enumerate(text_hits):
            fused[candidate.id] = fused.get(candidate.id, 0.0) + 1.0 / (_RRF_K + rank + 1)
            found[candidate.id] = candidate
        missing = [cid for cid in vector_ids if cid not in found]
        if missing:
            extra = await self.candidates.query().where(f"{_in_list('id', missing)} AND {where}").to_list()
            found.update((c.id, c) for c in map(candidate_from_row, extra))
        for rank, cid in enumerate(vector_ids):
            if cid in found:  # a vector of a superseded version, or of another verdict, is not a hit
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (_RRF_K + rank + 1)
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [(found[cid], round(score, 6)) for cid, score in ranked], "hybrid"

    async def _vector_search(self, text: str, limit: int) -> list[str] | None:
        """Candidate ids nearest to `text` (best first), or None when vectors cannot be used now."""
        if self.embedder is None:
            return None
        try:
            [query] = await self.embedder.embed([text])
        except Exception:
            return None  # the embedder logged it; full text still answers
        name, _ = candidate_vectors(len(query))
        if len(query) not in self._vector_tables and name not in (await self.database.connection.list_tables()).tables:
            return []
        table = await self._vectors(len(query))
        rows = await (
            table.query()
            .nearest_to(query)
            .distance_type("cosine")
            .where(f"model = {_sql_string(self.embedder.model)}")
            .select(["candidate_id"])
            .limit(limit)
            .to_list()
        )
        return [row["candidate_id"] for row in rows]

    async def stats(self, start: datetime | None, end: datetime | None) -> StoredStats:
        time_filter = CandidateFilter(start_time=start, end_time=end)
        table = await (
            self.candidates.query()
            .where(time_filter.where())
            .select(["overall_score", "verdict", "scorer"])
            .to_arrow()
        )
        stats = StoredStats(candidates_total=table.num_rows)
        if table.num_rows:
            for column, target in (("verdict", stats.verdict_counts), ("scorer", stats.scorer_counts)):
                counts = pc.value_counts(table[column])
                for entry in counts.to_pylist():
                    target[entry["values"]] = entry["counts"]
            scores = table["overall_score"]
            stats.mean_overall_score = round(pc.mean(scores).as_py(), 2)
            buckets = pc.min_element_wise(pc.floor(pc.divide(scores, 10.0)), 9.0).cast(pa.int64())
            for entry in pc.value_counts(buckets).to_pylist():
                stats.score_histogram[int(entry["values"])] = entry["counts"]
        feedback_where = []
        if start is not None:
            feedback_where.append(f"timestamp >= {_sql_timestamp(start)}")
        if end is not None:
            feedback_where.append(f"timestamp < {_sql_timestamp(end)}")
        query = self.feedback.query().select(["verdict_correct"])
        if feedback_where:
            query = query.where(" AND ".join(feedback_where))
        feedback = await query.to_arrow()
        stats.feedback_count = feedback.num_rows
        judged = pc.drop_null(feedback["verdict_correct"]) if feedback.num_rows else pa.array([], pa.bool_())
        if len(judged):
            stats.feedback_agreement_rate = round(pc.sum(judged.cast(pa.int64())).as_py() / len(judged), 4)
        return stats

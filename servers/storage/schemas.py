"""The LanceDB table schemas of both servers, their version, and opening a table at the right version.

Each table carries its schema version in the Arrow schema metadata (`glm3.schema_version`). Opening a table
written by an older version runs the migrations registered here; one written by a newer version is refused
(an older server must not write rows a newer one cannot read).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import lancedb
import pyarrow as pa

log = logging.getLogger("glm3.storage")

VERSION_KEY = b"glm3.schema_version"

TIMESTAMP = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.string())


def schema_version(schema: pa.Schema) -> int:
    raw = (schema.metadata or {}).get(VERSION_KEY)
    return int(raw) if raw else 0


def _schema(version: int, *fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(fields), metadata={VERSION_KEY: str(version).encode()})


# The raw signals as received (append-only: a rescore with new content appends a newer row).
SIGNALS = _schema(
    1,
    ("id", pa.string()),
    ("timestamp", TIMESTAMP),
    ("source", pa.string()),
    ("source_url", pa.string()),
    ("title", pa.string()),
    ("description", pa.string()),
    ("category", pa.string()),
    ("tags", STRINGS),
    ("engagement_json", pa.string()),
    ("author", pa.string()),
    ("extracted_at", TIMESTAMP),
    ("raw_content", pa.string()),
    ("comments", STRINGS),
    ("received_at", TIMESTAMP),
)

# Scored candidates. Dimension scores and reasoning are columns (filterable); `analysis` is JSON text;
# `search_text` joins title, description and reasoning for the full-text index; `is_latest` marks the
# newest version of each signal's candidate (a rescore demotes the previous one). Version 2 added `slot`,
# `<version>:<signal_id>`, the table's primary key: with several writers (storage.shared) a candidate is
# stored by a merge on it, which LanceDB checks against concurrent commits, so one version of one signal is
# stored once whoever writes it; and `writer`, the process that stored the row (how a writer tells its own
# row from another's after a merge, and a trail when replicas share the table).
CANDIDATES = _schema(
    2,
    ("id", pa.string()),
    ("timestamp", TIMESTAMP),
    ("signal_id", pa.string()),
    ("version", pa.int32()),
    ("previous_candidate_id", pa.string()),
    ("is_latest", pa.bool_()),
    ("title", pa.string()),
    ("description", pa.string()),
    ("market", pa.float64()),
    ("competition", pa.float64()),
    ("emotional", pa.float64()),
    ("feasibility", pa.float64()),
    ("signal_quality", pa.float64()),
    ("overall_score", pa.float64()),
    ("market_reasoning", pa.string()),
    ("competition_reasoning", pa.string()),
    ("emotional_reasoning", pa.string()),
    ("feasibility_reasoning", pa.string()),
    ("signal_quality_reasoning", pa.string()),
    ("verdict", pa.string()),
    ("analysis_json", pa.string()),
    ("recommendations", STRINGS),
    ("source", pa.string()),
    ("source_url", pa.string()),
    ("category", pa.string()),
    ("tags", STRINGS),
    ("scorer", pa.string()),
    ("latency_ms", pa.float64()),
    ("fallback", pa.bool_()),
    ("search_text", pa.string()),
    ("slot", pa.string()),
    ("writer", pa.string()),
)
# A primary key column must not be nullable (LanceDB's rule).
CANDIDATES = CANDIDATES.set(CANDIDATES.get_field_index("slot"), pa.field("slot", pa.string(), nullable=False))

# Each table's (unenforced) primary key: LanceDB does not check it on `add`, but a `merge_insert` on it is
# checked against commits made meanwhile by other writers (two inserts of one key: the second retries,
# finds the row and inserts nothing), which plain appends and merges on other columns are not.
PRIMARY_KEYS: dict[str, str] = {"candidates": "slot"}


def candidate_slot(signal_id: str, version: int) -> str:
    """The candidates table's key: one row per version of a signal's candidate."""
    return f"{version}:{signal_id}"


FEEDBACK = _schema(
    1,
    ("id", pa.string()),
    ("timestamp", TIMESTAMP),
    ("candidate_id", pa.string()),
    ("verdict_correct", pa.bool_()),
    ("expected_verdict", pa.string()),
    ("actual_outcome", pa.string()),
    ("rating", pa.int32()),
    ("comment", pa.string()),
    ("submitted_by", pa.string()),
    ("candidate_verdict", pa.string()),
)

# What the ops agent learned: one row per recorded issue resolution (the seed's `IssueResolution`).
# `symptoms` is JSON text; `search_text` joins the issue name, the symptoms flattened, the diagnosis, the
# action, the lesson and the tags for the full-text index. Version 2 added `recorded_by` (who taught it;
# empty in rows written by version 1, which did not know).
OPS_RESOLUTIONS = _schema(
    2,
    ("id", pa.string()),
    ("issue_name", pa.string()),
    ("symptoms", pa.string()),
    ("diagnosis", pa.string()),
    ("action_taken", pa.string()),
    ("resolution_status", pa.string()),
    ("lesson_learned", pa.string()),
    ("timestamp", TIMESTAMP),
    ("tags", STRINGS),
    ("search_text", pa.string()),
    ("recorded_by", pa.string()),
)

TABLES: dict[str, pa.Schema] = {
    "signals": SIGNALS,
    "candidates": CANDIDATES,
    "feedback": FEEDBACK,
    "ops_resolutions": OPS_RESOLUTIONS,
}


def candidate_vectors(dimensions: int) -> tuple[str, pa.Schema]:
    """The table of candidate embeddings of one dimension (`candidate_vectors_<dimensions>`): a model with
    another dimension gets its own table, so changing the model never breaks the existing one."""
    return f"candidate_vectors_{dimensions}", _schema(
        1,
        ("candidate_id", pa.string()),
        ("model", pa.string()),
        ("vector", pa.list_(pa.float32(), dimensions)),
    )


def resolution_vectors(dimensions: int) -> tuple[str, pa.Schema]:
    """The table of resolution embeddings of one dimension (`resolution_vectors_<dimensions>`), like
    `candidate_vectors`: a model with another dimension gets its own table."""
    return f"resolution_vectors_{dimensions}", _schema(
        1,
        ("resolution_id", pa.string()),
        ("model", pa.string()),
        ("vector", pa.list_(pa.float32(), dimensions)),
    )


# The audit trail of both servers (servers/storage/audit.py): one row per state-changing or denied call.
# Append-only; both servers append to it when they share a storage URI. `details_json` is JSON text.
AUDIT_EVENTS = _schema(
    1,
    ("id", pa.string()),
    ("timestamp", TIMESTAMP),
    ("server", pa.string()),
    ("principal", pa.string()),
    ("roles", STRINGS),
    ("method", pa.string()),
    ("request_id", pa.string()),
    ("peer", pa.string()),
    ("target", pa.string()),
    ("outcome", pa.string()),
    ("code", pa.string()),
    ("message", pa.string()),
    ("steps", STRINGS),
    ("details_json", pa.string()),
)


# (table, from_version) -> coroutine migrating the table one version up (given the connection and the
# table); `open_table` opens the table again after each one.
Migration = Callable[[lancedb.AsyncConnection, lancedb.AsyncTable], Awaitable[None]]


async def _rewrite(
    db: lancedb.AsyncConnection, table: lancedb.AsyncTable, schema: pa.Schema, fill: dict[str, Any]
) -> None:
    """Writes the table again under `schema`, its rows kept and each new column in `fill` set to its value.

    LanceDB adds a column in place, but it cannot change the schema metadata that carries the version, so a
    migration writes a new version of the table (one commit: readers see the old rows or the new ones, and
    the old version stays until compaction prunes it). Indexes are not carried over: their owners make them
    again at open. For small tables only (the ops learning table): the rows pass through memory."""
    rows = await table.to_arrow()
    for name, value in fill.items():
        rows = rows.append_column(name, pa.array([value] * rows.num_rows, schema.field(name).type))
    rows = rows.select(schema.names).cast(schema)
    await db.create_table(table.name, data=rows, schema=schema, mode="overwrite")


# What `_resolutions_1_to_2` writes. When OPS_RESOLUTIONS moves past version 2, this must become a frozen
# copy of version 2 (the next migration starts from it): the assertion stops the import until it is.
_RESOLUTIONS_2 = OPS_RESOLUTIONS
assert schema_version(_RESOLUTIONS_2) == 2, "freeze _RESOLUTIONS_2 before changing OPS_RESOLUTIONS"


async def _resolutions_1_to_2(db: lancedb.AsyncConnection, table: lancedb.AsyncTable) -> None:
    # Who recorded the rows of version 1 is not known: empty, which the diagnosis reads as "not known".
    await _rewrite(db, table, _RESOLUTIONS_2, {"recorded_by": ""})


# What `_candidates_1_to_2` writes; frozen like _RESOLUTIONS_2.
_CANDIDATES_2 = CANDIDATES
assert schema_version(_CANDIDATES_2) == 2, "freeze _CANDIDATES_2 before changing CANDIDATES"


async def _candidates_1_to_2(db: lancedb.AsyncConnection, table: lancedb.AsyncTable) -> None:
    """Adds `slot` (from version and signal id) and `writer` (empty: not known), in one overwrite commit
    (readers see the old rows or the new ones). The rows pass through memory once, converted batch by batch:
    about the table's size on disk; run the upgrade on a machine that has it."""
    schema = _CANDIDATES_2
    converted: list[pa.RecordBatch] = []
    reader = await table.query().to_batches(max_batch_length=8192)
    async for batch in reader:
        versions, signals = batch["version"].to_pylist(), batch["signal_id"].to_pylist()
        extended = pa.Table.from_batches([batch]).append_column(
            "slot", pa.array([candidate_slot(s, v) for s, v in zip(signals, versions, strict=True)], pa.string())
        )
        extended = extended.append_column("writer", pa.array([""] * batch.num_rows, pa.string()))
        converted.extend(extended.select(schema.names).cast(schema).to_batches())
    data = pa.Table.from_batches(converted, schema=schema) if converted else schema.empty_table()
    await db.create_table(table.name, data=data, schema=schema, mode="overwrite")


MIGRATIONS: dict[tuple[str, int], Migration] = {
    ("ops_resolutions", 1): _resolutions_1_to_2,
    ("candidates", 1): _candidates_1_to_2,
}


class SchemaError(RuntimeError):
    """A table cannot be used by this server (written by a newer version, or no migration path)."""


async def open_table(db: lancedb.AsyncConnection, name: str, schema: pa.Schema) -> lancedb.AsyncTable:
    """Opens the table, creating it empty if missing and migrating it if it is older than `schema`."""
    wanted = schema_version(schema)
    existing = (await db.list_tables()).tables
    if name not in existing:
        table = await db.create_table(name, schema=schema, exist_ok=True)
        log.info("table created", extra={"table": name, "schema_version": wanted})
        await _ensure_primary_key(table)
        return table
    table = await db.open_table(name)
    found = schema_version(await table.schema())
    if found > wanted:
        raise SchemaError(
            f"table {name} has schema version {found}, newer than this server's {wanted}: upgrade the server"
        )
    while found < wanted:
        migrate = MIGRATIONS.get((name, found))
        if migrate is None:
            raise SchemaError(f"table {name}: no migration from schema version {found} to {wanted}")
        await migrate(db, table)
        table = await db.open_table(name)  # a migration may have written a new version of the table
        migrated = schema_version(await table.schema())
        if migrated != found + 1:
            raise SchemaError(f"table {name}: the migration from version {found} left version {migrated}")
        found = migrated
        log.info("table migrated", extra={"table": name, "schema_version": found})
    await _ensure_primary_key(table)
    return table


PRIMARY_KEY_METADATA = b"lance-schema:unenforced-primary-key:position"


async def _ensure_primary_key(table: lancedb.AsyncTable) -> None:
    key = PRIMARY_KEYS.get(table.name)
    if key is None:
        return
    field = (await table.schema()).field(key)
    if PRIMARY_KEY_METADATA not in (field.metadata or {}):
        await table.set_unenforced_primary_key(key)

"""The audit trail: one LanceDB row per call that changed state or was denied, and paged reads of it.

Rows are appended in groups (one `add` in flight, everything recorded meanwhile joins the next, as the
candidate store does), so recording costs a call no storage round trip; a read flushes what this process
recorded first, so a caller sees its own calls. Both servers append to one `audit_events` table when they
share a storage URI (LanceDB retries concurrent appends); each row names the server that wrote it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from lancedb.query import ColumnOrdering

from glm3.servers.common import page_tokens
from glm3.servers.common.ids import new_id, utcnow
from glm3.servers.storage.database import Database
from glm3.servers.storage.group import GroupRunner
from glm3.servers.storage.schemas import AUDIT_EVENTS, open_table
from glm3.servers.storage.sql import in_list, sql_string, sql_timestamp

log = logging.getLogger("glm3.audit")

TABLE = "audit_events"
OUTCOMES = ("SUCCEEDED", "FAILED", "DENIED")
COMPACT_EVERY = 64  # appends between two compactions of the table


@dataclass(slots=True)
class AuditEvent:
    """One audited call. `outcome` is SUCCEEDED, FAILED or DENIED; `code` the gRPC status code name."""

    principal: str
    method: str
    outcome: str
    code: str
    roles: list[str] = field(default_factory=list)
    request_id: str = ""
    peer: str = ""
    target: str = ""
    message: str = ""
    steps: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    server: str = ""
    id: str = ""
    timestamp: datetime | None = None


@dataclass(frozen=True)
class AuditFilter:
    """Filters of a listing, combined with AND; `method` is a full name or a bare method name."""

    principal: str = ""
    method: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    outcomes: tuple[str, ...] = ()

    def where(self) -> str:
        terms = ["true"]
        if self.principal:
            terms.append(f"principal = {sql_string(self.principal)}")
        if self.method:
            if self.method.startswith("/"):
                terms.append(f"method = {sql_string(self.method)}")
            else:
                # The transport lets only letters and digits through as a bare name: no LIKE wildcard.
                terms.append(f"method LIKE {sql_string('%/' + self.method)}")
        if self.start_time is not None:
            terms.append(f"timestamp >= {sql_timestamp(self.start_time)}")
        if self.end_time is not None:
            terms.append(f"timestamp < {sql_timestamp(self.end_time)}")
        if self.outcomes:
            terms.append(in_list("outcome", self.outcomes))
        return " AND ".join(terms)

    def fingerprint(self) -> str:
        start = self.start_time.isoformat() if self.start_time else ""
        end = self.end_time.isoformat() if self.end_time else ""
        return json.dumps([self.principal, self.method, start, end, sorted(self.outcomes)])


def _rows(events: Sequence[AuditEvent]) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in AUDIT_EVENTS.names}
    for e in events:
        columns["id"].append(e.id)
        columns["timestamp"].append(e.timestamp)
        columns["server"].append(e.server)
        columns["principal"].append(e.principal)
        columns["roles"].append(e.roles)
        columns["method"].append(e.method)
        columns["request_id"].append(e.request_id)
        columns["peer"].append(e.peer)
        columns["target"].append(e.target)
        columns["outcome"].append(e.outcome)
        columns["code"].append(e.code)
        columns["message"].append(e.message)
        columns["steps"].append(e.steps)
        columns["details_json"].append(json.dumps(e.details, default=str, ensure_ascii=False))
    return pa.Table.from_pydict(columns, schema=AUDIT_EVENTS)


def _event(row: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        id=row["id"],
        timestamp=row["timestamp"],
        server=row["server"],
        principal=row["principal"],
        roles=list(row["roles"] or []),
        method=row["method"],
        request_id=row["request_id"],
        peer=row["peer"],
        target=row["target"],
        outcome=row["outcome"],
        code=row["code"],
        message=row["message"],
        steps=list(row["steps"] or []),
        details=json.loads(row["details_json"] or "{}"),
    )


def _encode_token(fingerprint: str, last: AuditEvent) -> str:
    assert last.timestamp is not None
    return page_tokens.encode([fingerprint, last.timestamp.isoformat(), last.id])


def _decode_token(token: str, fingerprint: str) -> tuple[datetime, str]:
    found = page_tokens.decode(token)
    try:
        seen, stamp, event_id = found
        if seen != fingerprint:
            raise ValueError
        return datetime.fromisoformat(stamp), str(event_id)
    except (ValueError, TypeError):
        raise page_tokens.invalid() from None


class AuditLog:
    """The `audit_events` table of one server. `record` never waits for storage; `list` reads it."""

    def __init__(self, table: Any, server: str) -> None:
        self.table = table
        self.server = server
        self.recorded = 0
        self.failures = 0
        self._appends = 0
        self._last: asyncio.Future[list[None]] | None = None
        self._writes: GroupRunner[AuditEvent, None] = GroupRunner(
            "audit-append", self._append, max_items=5_000, after_run=self._after_append
        )

    @classmethod
    async def open(cls, database: Database, server: str) -> AuditLog:
        try:
            table = await open_table(database.connection, TABLE, AUDIT_EVENTS)
        except Exception:  # the other server created it at the same moment: open what it made
            table = await open_table(database.connection, TABLE, AUDIT_EVENTS)
        trail = cls(table, server)
        trail._writes.start()
        return trail

    def record(self, event: AuditEvent) -> AuditEvent:
        """Stamps the event (id, time, server) and queues it for the next append."""
        now = utcnow()
        event.id = new_id("audit", now)
        event.timestamp = now
        event.server = self.server
        self.recorded += 1
        self._last = self._writes.submit_nowait([event])
        return event

    async def _append(self, events: list[AuditEvent]) -> list[None]:
        try:
            await self.table.add(_rows(events))
        except Exception:
            self.failures += len(events)
            raise
        self._appends += 1
        return [None] * len(events)

    async def _after_append(self) -> None:
        if self._appends % COMPACT_EVERY == 0:
            try:
                await self.table.optimize()
            except Exception as exc:  # the other server compacting at once: the next round does it
                log.warning("audit table compaction skipped: %s", exc)

    async def flush(self) -> None:
        """Waits until everything recorded so far went through an append (runs are in order, so waiting for
        the last one is enough). A failed append was logged by the runner and counted in `failures`."""
        last = self._last
        if last is not None and not last.done():
            await asyncio.wait([last])

    async def list(self, filters: AuditFilter, page_size: int, page_token: str) -> tuple[list[AuditEvent], str]:
        """One page of events, newest first (keyset paging on time and id), and the next page token."""
        await self.flush()
        fingerprint = filters.fingerprint()
        where = filters.where()
        if page_token:
            stamp, event_id = _decode_token(page_token, fingerprint)
            at = sql_timestamp(stamp)
            where += f" AND (timestamp < {at} OR (timestamp = {at} AND id < {sql_string(event_id)}))"
        ordering = [ColumnOrdering(column_name="timestamp", ascending=False), ColumnOrdering(column_name="id", ascending=False)]
        table = await self.table.query().where(where).order_by(ordering).limit(page_size + 1).to_arrow()
        events: list[AuditEvent] = []
        for start in range(0, min(table.num_rows, page_size), 100):  # a page of 1,000 is ~50 ms of Python
            if start:
                await asyncio.sleep(0)
            events.extend(_event(row) for row in table.slice(start, min(100, page_size - start)).to_pylist())
        rows = table.num_rows
        token = _encode_token(fingerprint, events[-1]) if rows > page_size else ""
        return events, token

    async def close(self) -> None:
        """Appends what is pending, then stops."""
        await self._writes.close()

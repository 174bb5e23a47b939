"""SQL literals for LanceDB filters (DataFusion dialect): strings, UTC timestamps, IN lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_timestamp(value: datetime) -> str:
    return f"arrow_cast({sql_string(value.isoformat())}, 'Timestamp(Microsecond, Some(\"UTC\"))')"


def in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(sql_string(v) for v in values)})"


def fts_words(text: str) -> str:
    """A full-text query as plain words: the indexes keep no word positions, so a quoted phrase would fail
    the search ("position is not found but required for phrase queries"); its words are searched instead."""
    return " ".join(text.replace('"', " ").split())

"""Output of the `glm3` command line: aligned tables and key/value blocks for people, JSON Lines for scripts.

Tables go to stdout with one row per line and no decoration beyond a header, so `grep`, `sort` and
`cut -c` still work on them; long text is cut to a column width with "…" (the full text is in `--json`).
On a terminal the widest flexible column shrinks so a row fits the window; into a pipe, columns keep their
fixed maximum widths. JSON output is proto3 JSON with the protos' snake_case names (the seed's), one compact
object per line.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TextIO

from google.protobuf import descriptor, json_format, message, timestamp_pb2

__all__ = [
    "Column",
    "counts",
    "enum_name",
    "format_time",
    "key_values",
    "one_line",
    "render_table",
    "to_dict",
    "truncate",
    "write_json",
]

ELLIPSIS = "…"


def to_dict(msg: message.Message) -> dict[str, Any]:
    """A message as the seed's JSON: proto3 JSON with snake_case field names (default values omitted), with
    integers as JSON integers: 64-bit ones (proto3 JSON writes them as strings, for JavaScript's sake) and
    whole numbers inside a Struct (where every number is a double: `"attempts": 1`, not `1.0`)."""
    return _integers(msg.DESCRIPTOR, json_format.MessageToDict(msg, preserving_proto_field_name=True))


_INT64 = {
    descriptor.FieldDescriptor.TYPE_INT64, descriptor.FieldDescriptor.TYPE_UINT64, descriptor.FieldDescriptor.TYPE_SINT64,
    descriptor.FieldDescriptor.TYPE_FIXED64, descriptor.FieldDescriptor.TYPE_SFIXED64,
}
_DYNAMIC = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}


def _integers(desc: descriptor.Descriptor, value: Any) -> Any:
    if desc.full_name in _DYNAMIC:
        return _whole(value)
    if not isinstance(value, dict) or desc.full_name.startswith("google.protobuf."):
        return value  # Timestamp, Duration, wrappers...: their JSON forms stay as they are
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = desc.fields_by_name.get(key)
        out[key] = item if field is None else _field(field, item)
    return out


def _field(field: descriptor.FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        inner = field.message_type.fields_by_name["value"]
        return {k: _single(inner, v) for k, v in value.items()}
    if isinstance(value, list):  # a repeated field
        return [_single(field, v) for v in value]
    return _single(field, value)


def _single(field: descriptor.FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None:
        return _integers(field.message_type, value)
    if field.type in _INT64 and isinstance(value, str):
        return int(value)
    return value


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def write_json(stream: TextIO, value: Any) -> None:
    """One compact JSON document on one line (a JSON Lines row), flushed so a pipe sees it at once."""
    stream.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")
    stream.flush()


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """`VERDICT_GO` → `GO`; an unknown number (a newer server) is shown as the number."""
    try:
        return str(enum.Name(value)).removeprefix(prefix)
    except ValueError:
        return str(value)


def one_line(text: str) -> str:
    """Text with line breaks and tabs folded into single spaces, for a table cell."""
    return " ".join(text.split())


def truncate(text: str, width: int) -> str:
    """`text` cut to `width` characters, the cut marked with "…"."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: width - 1] + ELLIPSIS if width > 1 else ELLIPSIS


def format_time(ts: timestamp_pb2.Timestamp | None) -> str:
    """`2026-10-01 08:00:00Z` (UTC, seconds), or "-" for an unset timestamp."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return "-"
    return datetime.fromtimestamp(ts.seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


@dataclass(frozen=True)
class Column:
    """A table column: a header, the widest it may get, whether it may shrink to fit the terminal, and
    whether numbers are right-aligned."""

    header: str
    max_width: int = 40
    flex: bool = False
    right: bool = False
    min_width: int = 8


def _terminal_width(stream: TextIO) -> int | None:
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return None
    return shutil.get_terminal_size(fallback=(100, 24)).columns


def render_table(columns: Sequence[Column], rows: Iterable[Sequence[Any]], stream: TextIO | None = None) -> list[str]:
    """The lines of an aligned table (header first). Cells are folded to one line and cut to their column's
    width; on a terminal (`stream` a tty) flexible columns shrink so each line fits the window."""
    cells = [[truncate(one_line(str(cell)), column.max_width) for cell, column in zip(row, columns)] for row in rows]
    widths = [max([len(column.header)] + [len(row[i]) for row in cells]) for i, column in enumerate(columns)]
    available = _terminal_width(stream or sys.stdout)
    if available is not None:
        excess = sum(widths) + 2 * (len(widths) - 1) - available
        for i, column in enumerate(columns):
            if excess <= 0:
                break
            if column.flex:
                give = min(excess, widths[i] - max(column.min_width, len(column.header)))
                if give > 0:
                    widths[i] -= give
                    excess -= give
    lines = []
    for row in [[column.header for column in columns], *cells]:
        parts = []
        for i, (cell, column) in enumerate(zip(row, columns)):
            cell = truncate(cell, widths[i])
            last = i == len(columns) - 1
            if column.right:
                parts.append(cell.rjust(widths[i]))
            else:
                parts.append(cell if last else cell.ljust(widths[i]))
        lines.append("  ".join(parts).rstrip())
    return lines


def key_values(pairs: Iterable[tuple[str, Any]], stream: TextIO | None = None, width: int = 100) -> list[str]:
    """A block of `key   value` lines, keys aligned. Long values wrap (indented under the value column) to
    the terminal's width, or `width` into a pipe: a detail view keeps every word, unlike a table cell."""
    items = [(key, one_line(str(value))) for key, value in pairs]
    if not items:
        return []
    key_width = max(len(key) for key, _ in items)
    available = _terminal_width(stream or sys.stdout) or width
    room = max(available - key_width - 2, 30)
    lines = []
    for key, value in items:
        wrapped = textwrap.wrap(value, room, break_on_hyphens=False) or [""]
        lines.append(f"{key.ljust(key_width)}  {wrapped[0]}".rstrip())
        lines.extend(" " * (key_width + 2) + more for more in wrapped[1:])
    return lines


def counts(mapping: Mapping[str, int], order: Sequence[str] = ()) -> str:
    """`GO 3 · RESEARCH 9 · PASS 17`: known keys in `order` first, then the rest by name; "-" when empty."""
    keys = [k for k in order if k in mapping] + sorted(k for k in mapping if k not in order)
    return " · ".join(f"{k} {mapping[k]:,}" for k in keys) or "-"

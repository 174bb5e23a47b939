"""What `glm3` reads and prints, without a server: the JSON Lines reader of `glm3 score` (line numbers,
every kind of malformed line, bounded memory) and the table and key/value renderers."""

from __future__ import annotations

import io
import json
from typing import Any

import grpc

from glm3.client.cli_format import Column, key_values, render_table, truncate
from glm3.client.cli_score import read_signals, result_row
from glm3.client.errors import InvalidArgumentError
from glm3.client.streaming import StreamResult
from glm3.scoring.v1 import candidate_pb2

GOOD = {"id": "s1", "source": "reddit", "title": "Invoices by hand", "description": "Takes a day.", "author": None}


def read(data: bytes, max_line_bytes: int = 1024) -> tuple[list[Any], list[tuple[int, str]], dict[int, int]]:
    problems: list[tuple[int, str]] = []
    lines: dict[int, int] = {}
    items = list(read_signals(io.BytesIO(data), lambda n, why: problems.append((n, why)), lines, max_line_bytes))
    return items, problems, lines


def test_reader_numbers_lines_and_reports_every_malformed_one() -> None:
    text = "\n".join(
        [
            json.dumps(GOOD),  # 1
            "",  # 2 blank: skipped, not reported
            "{not json",  # 3
            '"a string"',  # 4
            json.dumps({**GOOD, "id": "s5", "Title": "x"}),  # 5 unknown key
            json.dumps({**GOOD, "id": "s6", "tags": "finance"}),  # 6 wrong type
            json.dumps({**GOOD, "id": "s7", "timestamp": "yesterday"}),  # 7 bad timestamp
            "   ",  # 8 whitespace only
            json.dumps({k: v for k, v in GOOD.items() if k != "id"}),  # 9 no id
        ]
    ).encode() + b"\n\xff\xfe{}\n"  # 10 not UTF-8
    items, problems, lines = read(text)
    assert [(item.correlation_id, item.signal.id) for item in items] == [("s1", "s1"), ("line:9", "")]
    assert items[0].signal.title == "Invoices by hand" and not items[0].signal.author  # null means absent
    assert lines == {0: 1, 1: 9}  # stream position -> line number
    assert problems == [
        (3, "not valid JSON: Expecting property name enclosed in double quotes at column 2"),
        (4, "not a JSON object (got a string)"),
        (5, "Title: unknown key 'Title'; the seed's JSON spells it 'title'"),
        (6, "tags: must be a list of strings, got str"),
        (7, "timestamp: must be an ISO 8601 timestamp such as 2024-01-15T10:30:00Z, got 'yesterday'"),
        (10, "not UTF-8 (invalid start byte at byte 0)"),
    ]


def test_a_line_over_the_limit_is_skipped_without_being_held() -> None:
    long_line = json.dumps({**GOOD, "id": "big", "description": "x" * 5000}).encode()
    data = json.dumps(GOOD).encode() + b"\n" + long_line + b"\n" + json.dumps({**GOOD, "id": "s3"}).encode()
    items, problems, lines = read(data, max_line_bytes=1024)
    assert [item.signal.id for item in items] == ["s1", "s3"]  # the last line needs no newline
    assert problems == [(2, "longer than 1,024 bytes")]
    assert lines == {0: 1, 1: 3}


class EndlessSignals(io.RawIOBase):
    """A byte stream of signals that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0
        self.line = (json.dumps(GOOD) + "\n").encode()
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self.pending) < len(buffer):
            self.pending += self.line
        size = len(buffer)
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        self.read_bytes += size
        return size


def test_the_reader_is_lazy_so_an_endless_input_is_read_only_as_far_as_it_is_consumed() -> None:
    source = EndlessSignals()
    reader = read_signals(io.BufferedReader(source, buffer_size=8192), lambda n, why: None, {})
    taken = [next(reader) for _ in range(10)]
    assert len(taken) == 10
    assert source.read_bytes <= 2 * 8192  # one buffer or so, not "everything"


def test_result_rows_have_the_documented_shape() -> None:
    candidate = candidate_pb2.ScoredCandidate(id="c1", signal_id="s1", overall_score=71.5, verdict=candidate_pb2.VERDICT_RESEARCH)
    ok = result_row(StreamResult(0, "s1", "s1", candidate=candidate), 3)
    assert ok == {
        "correlation_id": "s1",
        "signal_id": "s1",
        "line": 3,
        "already_scored": False,
        "candidate": {"id": "c1", "signal_id": "s1", "overall_score": 71.5, "verdict": "VERDICT_RESEARCH"},
    }
    error = InvalidArgumentError(
        "signal is invalid", code=grpc.StatusCode.INVALID_ARGUMENT, reason="INVALID_SIGNAL",
        field_violations=[("signal.title", "is required")],
    )
    failed = result_row(StreamResult(1, "line:4", "", error=error), 4)
    assert failed == {
        "correlation_id": "line:4",
        "signal_id": "",
        "line": 4,
        "error": {
            "code": "INVALID_ARGUMENT",
            "message": "signal is invalid",
            "reason": "INVALID_SIGNAL",
            "field_violations": [{"field": "signal.title", "description": "is required"}],
        },
    }


def test_tables_align_columns_and_cut_long_text() -> None:
    columns = (Column("ID", 10), Column("SCORE", 5, right=True), Column("TITLE", 12))
    lines = render_table(columns, [["c1", "9.5", "short"], ["candidate_long_id", "100.0", "a title\nthat is long"]], io.StringIO())
    assert lines == [
        "ID          SCORE  TITLE",
        "c1            9.5  short",
        "candidate…  100.0  a title tha…",
    ]
    assert truncate("abc", 3) == "abc" and truncate("abcd", 3) == "ab…" and truncate("abc", 1) == "…"


def test_key_values_wrap_long_values_under_the_value_column() -> None:
    lines = key_values([("issue", "disk_full"), ("root cause", "word " * 30)], io.StringIO(), width=50)
    assert lines[0] == "issue       disk_full"
    assert lines[1].startswith("root cause  word word")
    assert all(len(line) <= 50 for line in lines)
    assert len(lines) > 3 and all(line.startswith(" " * 12 + "word") for line in lines[2:])
    assert " ".join(line[12:] for line in lines[1:]).split() == ["word"] * 30  # nothing lost

"""Converters: the quick paths give the same messages as the protobuf helpers they stand for."""

from __future__ import annotations

import enum
import itertools
import math
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from glm3.scoring.v1 import candidate_pb2
from glm3.servers.scoring.convert import candidate_to_pb, fill_new_struct, fill_struct, set_timestamp
from glm3.servers.scoring.heuristic import HeuristicScorer
from glm3.servers.scoring.models import ScoredCandidate, ScoringConfig, Verdict
from tests.unit.heuristic_golden import cases


def test_set_timestamp_is_from_datetime() -> None:
    rng = random.Random(3)
    moments = [
        datetime.min.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(1900, 3, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime.now(UTC),
        datetime(2025, 1, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=-7, minutes=-30))),
        datetime(2025, 1, 1, 12, 0, 0, 5),  # naive: taken as UTC by both
    ]
    first = datetime(1, 1, 1, tzinfo=UTC)
    moments += [first + timedelta(microseconds=rng.randrange(315_537_897_600_000_000)) for _ in range(2_000)]
    for moment in moments:
        expected, got = timestamp_pb2.Timestamp(), timestamp_pb2.Timestamp()
        expected.FromDatetime(moment)
        set_timestamp(got, moment)
        assert (got.seconds, got.nanos) == (expected.seconds, expected.nanos), moment


# --- fill_new_struct: wire bytes parsed once, the same Struct as fill_struct ---------------------------------------


class Color(enum.StrEnum):
    RED = "red"


SHAPES: list[dict[str, Any]] = [
    {},
    {"a": 1},
    {"s": "only a string"},
    {"a": 1.5, "b": -0.0, "c": math.inf, "d": -math.inf, "nan": math.nan, "e": 2**53 + 1, "f": -(2**62), "g": 1e-300},
    {"t": True, "f": False, "s": "", "u": "caf\u00e9 \U0001f600 \x00 nul", "long": "x" * 5_000},
    {"k" * 200: 1, "": "empty key", "\u00e9": [1, "a", True, 2.5, False, -0.0]},
    {"empty_list": [], "empty_dict": {}, "nested": {"a": {"b": {"c": [1, {"d": []}]}}, "e": {}}},
    {"list_of_dicts": [{}, {"a": 1}, {"b": [True, False]}], "strings": ["x"] * 300},
    {"config": ScoringConfig().as_dict(), "latency_ms": 0.123, "scorer": "heuristic"},
    # Left to fill_struct: None, enums, tuples, lists in lists, non-string keys, ints beyond a double.
    {"none": None},
    {"enum": Color.RED, "verdict": Verdict.GO},
    {"tuple": (1, 2)},
    {"nested_list": [[1, 2], []]},
    {"list_with_none": [1, None]},
    {"deep": {"none": None, "n": 1}},
    {"big": 10**400},
    {"big_in_list": [10**400]},
]


def by_api(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    fill_struct(struct, values)
    return struct


def by_bytes(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    fill_new_struct(struct, values)
    return struct


def outcome(fill: Any, values: dict[str, Any]) -> Any:
    try:
        return fill(values)
    except Exception as exc:  # the same error, whichever way
        return type(exc)


@pytest.mark.parametrize("values", SHAPES, ids=range(len(SHAPES)))
def test_same_struct_as_the_message_api(values: dict[str, Any]) -> None:
    for _ in range(2):  # the second time through the shape's plan
        expected, got = outcome(by_api, values), outcome(by_bytes, values)
        if isinstance(expected, struct_pb2.Struct):
            assert isinstance(got, struct_pb2.Struct)
            assert got == expected
            assert got.SerializeToString(deterministic=True) == expected.SerializeToString(deterministic=True)
        else:
            assert got is expected


def test_errors_are_the_message_apis() -> None:
    for values in ({1: "int key"}, {"bad": "\ud800"}, {"bad": ["\ud800"]}, {"bad": {"x": object()}}, {"n": 1, 2: 3}):
        for _ in range(2):
            expected, got = outcome(by_api, values), outcome(by_bytes, values)
            assert isinstance(expected, type) and got is expected, values


def test_the_same_keys_with_other_types_are_another_shape() -> None:
    for value in (1, 1.5, True, "1", [1], {"a": 1}, [], {}, None, 0, False, ""):
        assert outcome(by_bytes, {"k": value, "n": 2.0}) == outcome(by_api, {"k": value, "n": 2.0}), value


def test_empty_values_leave_the_struct_unset() -> None:
    message = candidate_pb2.ScoredCandidate()
    fill_new_struct(message.analysis, {})
    assert not message.HasField("analysis")


def test_a_struct_holding_something_is_merged_as_fill_struct_merges() -> None:
    first = {"a": 1, "d": {"x": 1}}
    second = {"b": 2, "d": {"y": 2}}
    expected, got = struct_pb2.Struct(), struct_pb2.Struct()
    fill_struct(expected, first)
    fill_struct(expected, second)
    fill_new_struct(got, first)
    fill_new_struct(got, second)
    assert got == expected


def test_scored_candidates_convert_as_before() -> None:
    """The golden signals' candidate messages (the first 400), analysis through wire bytes, equal the message
    API's: scores, reasoning, features, config and all."""
    scorer, config = HeuristicScorer(), ScoringConfig()
    stamp = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    for n, (_, signal) in enumerate(itertools.islice(cases(), 400)):
        draft = scorer.score_now(signal, config)
        candidate = ScoredCandidate(
            id=f"candidate_{n}",
            timestamp=stamp,
            signal_id=signal.id,
            title=signal.title,
            description=signal.description,
            scores=draft.scores,
            overall_score=50.0,
            reasoning=draft.reasoning,
            verdict=Verdict.RESEARCH,
            analysis={**draft.analysis, "config": config.as_dict(), "latency_ms": 0.1},
            recommendations=draft.recommendations,
            source=signal.source,
            tags=signal.tags,
        )
        message = candidate_to_pb(candidate)
        expected = candidate_pb2.ScoredCandidate()
        expected.CopyFrom(message)
        expected.ClearField("analysis")
        fill_struct(expected.analysis, candidate.analysis)
        assert message == expected


def test_signal_from_pb_fills_every_field() -> None:
    from dataclasses import fields

    from glm3.scoring.v1 import signal_pb2
    from glm3.servers.scoring.convert import signal_from_pb
    from glm3.servers.scoring.models import Signal

    message = signal_pb2.Signal(
        id="sig-1", title="t", description="d", source="reddit", source_url="https://e.com/x", category="c",
        tags=["a", "b"], engagement={"upvotes": 3}, author="au", raw_content="raw", comments=["c1", "c2"],
    )  # fmt: skip
    message.timestamp.FromDatetime(datetime(2025, 1, 1, tzinfo=UTC))
    message.extracted_at.FromDatetime(datetime(2025, 1, 2, tzinfo=UTC))
    signal, violations = signal_from_pb(message)
    assert violations == []
    assert signal == Signal(
        id="sig-1", title="t", description="d", source="reddit", source_url="https://e.com/x", category="c",
        tags=["a", "b"], engagement={"upvotes": 3}, author="au", raw_content="raw", comments=["c1", "c2"],
        timestamp=datetime(2025, 1, 1, tzinfo=UTC), extracted_at=datetime(2025, 1, 2, tzinfo=UTC),
    )  # fmt: skip
    assert [f.name for f in fields(Signal)] == [
        "title", "description", "source", "id", "timestamp", "source_url", "category", "tags", "engagement",
        "author", "extracted_at", "raw_content", "comments",
    ]  # fmt: skip  (signal_from_pb passes them in this order)

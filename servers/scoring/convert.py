"""Converters between `glm3.scoring.v1` messages and the scoring domain (keyword construction, no JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf import struct_pb2, timestamp_pb2

from glm3.scoring.v1 import candidate_pb2, scoring_service_pb2, signal_pb2
from glm3.servers.common.errors import FieldViolation
from glm3.servers.scoring.models import Feedback, ScoredCandidate, Signal, Verdict

VERDICT_TO_PB = {
    Verdict.GO: candidate_pb2.VERDICT_GO,
    Verdict.RESEARCH: candidate_pb2.VERDICT_RESEARCH,
    Verdict.PASS: candidate_pb2.VERDICT_PASS,
}
VERDICT_FROM_PB = {v: k for k, v in VERDICT_TO_PB.items()}
CONFIG_FIELDS = tuple(f.name for f in candidate_pb2.ScoringConfig.DESCRIPTOR.fields)


def timestamp_to_datetime(
    message: timestamp_pb2.Timestamp, field: str, violations: list[FieldViolation]
) -> datetime | None:
    try:
        return message.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        violations.append(FieldViolation(field, "is not a valid timestamp"))
        return None


def signal_from_pb(message: signal_pb2.Signal, prefix: str = "signal") -> tuple[Signal, list[FieldViolation]]:
    """The domain signal, and violations the conversion itself found (timestamps out of range)."""
    violations: list[FieldViolation] = []
    timestamp = (
        timestamp_to_datetime(message.timestamp, f"{prefix}.timestamp", violations)
        if message.HasField("timestamp")
        else None
    )
    extracted_at = (
        timestamp_to_datetime(message.extracted_at, f"{prefix}.extracted_at", violations)
        if message.HasField("extracted_at")
        else None
    )
    signal = Signal(
        title=message.title,
        description=message.description,
        source=message.source,
        id=message.id,
        timestamp=timestamp,
        source_url=message.source_url,
        category=message.category,
        tags=list(message.tags),
        engagement=dict(message.engagement),
        author=message.author,
        extracted_at=extracted_at,
        raw_content=message.raw_content,
        comments=list(message.comments),
    )
    return signal, violations


def config_overrides(message: candidate_pb2.ScoringConfig) -> dict[str, float]:
    """The fields a request set (proto3 `optional`: unset means the server's value)."""
    return {name: getattr(message, name) for name in CONFIG_FIELDS if message.HasField(name)}


def fill_struct(struct: struct_pb2.Struct, values: Mapping[str, Any]) -> None:
    """`struct.update(values)`, about 2.5x faster for JSON-like values (what scorers put in `analysis`):
    exact types are set directly instead of through `Struct.update`'s generic per-value dispatch; any other
    type (an enum, a Struct) takes that generic path, so the result and the errors are the same."""
    fields = struct.fields
    for key, value in values.items():
        kind = type(value)
        if kind is float or kind is int:
            fields[key].number_value = value
        elif kind is str:
            fields[key].string_value = value
        elif kind is bool:
            fields[key].bool_value = value
        elif kind is dict:
            _fill_nested(fields[key].struct_value, value)
        elif kind is list:
            _fill_list(fields[key].list_value, value)
        else:
            struct.update({key: value})


def _fill_list(message: struct_pb2.ListValue, items: list[Any]) -> None:
    message.SetInParent()  # an empty list is still a list_value, as Struct.update makes it
    values = message.values
    for item in items:
        kind = type(item)
        if kind is str:
            values.add().string_value = item
        elif kind is float or kind is int:
            values.add().number_value = item
        elif kind is bool:
            values.add().bool_value = item
        elif kind is dict:
            _fill_nested(values.add().struct_value, item)
        else:
            message.append(item)


def _fill_nested(struct: struct_pb2.Struct, values: dict[str, Any]) -> None:
    if values:
        fill_struct(struct, values)
    else:
        struct.SetInParent()  # an empty dict is still a struct_value


def candidate_to_pb(
    candidate: ScoredCandidate, message: candidate_pb2.ScoredCandidate | None = None
) -> candidate_pb2.ScoredCandidate:
    """The candidate as a message; filled into `message` when given (e.g. `response.candidate`, fresh).

    Building a candidate where it is sent matters: a message passed to a constructor (`ScoreResult(
    candidate=...)`) is copied, and a candidate with its `analysis` costs as much to copy as to build."""
    if message is None:
        message = candidate_pb2.ScoredCandidate()
    message.id = candidate.id
    message.signal_id = candidate.signal_id
    message.title = candidate.title
    message.description = candidate.description
    scores, reasoning = candidate.scores, candidate.reasoning
    message.scores.market = scores.market
    message.scores.competition = scores.competition
    message.scores.emotional = scores.emotional
    message.scores.feasibility = scores.feasibility
    message.scores.signal_quality = scores.signal_quality
    message.overall_score = candidate.overall_score
    message.reasoning.market = reasoning.market
    message.reasoning.competition = reasoning.competition
    message.reasoning.emotional = reasoning.emotional
    message.reasoning.feasibility = reasoning.feasibility
    message.reasoning.signal_quality = reasoning.signal_quality
    message.verdict = VERDICT_TO_PB[candidate.verdict]
    message.recommendations.extend(candidate.recommendations)
    message.source = candidate.source
    message.source_url = candidate.source_url
    message.category = candidate.category
    message.tags.extend(candidate.tags)
    message.version = candidate.version
    message.previous_candidate_id = candidate.previous_candidate_id
    message.timestamp.FromDatetime(candidate.timestamp)
    fill_struct(message.analysis, candidate.analysis)
    return message


def feedback_to_pb(feedback: Feedback) -> scoring_service_pb2.Feedback:
    message = scoring_service_pb2.Feedback(
        id=feedback.id,
        candidate_id=feedback.candidate_id,
        expected_verdict=VERDICT_TO_PB[feedback.expected_verdict] if feedback.expected_verdict else 0,
        actual_outcome=feedback.actual_outcome,
        rating=feedback.rating,
        comment=feedback.comment,
        submitted_by=feedback.submitted_by,
    )
    if feedback.verdict_correct is not None:
        message.verdict_correct = feedback.verdict_correct
    message.timestamp.FromDatetime(feedback.timestamp)
    return message


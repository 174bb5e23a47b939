"""Converters between `glm3.scoring.v1` messages and the scoring domain (keyword construction, no JSON)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

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


def candidate_to_pb(candidate: ScoredCandidate) -> candidate_pb2.ScoredCandidate:
    message = candidate_pb2.ScoredCandidate(
        id=candidate.id,
        signal_id=candidate.signal_id,
        title=candidate.title,
        description=candidate.description,
        scores=candidate_pb2.ScoreBreakdown(**candidate.scores.as_dict()),
        overall_score=candidate.overall_score,
        reasoning=candidate_pb2.DimensionReasoning(**candidate.reasoning.as_dict()),
        verdict=VERDICT_TO_PB[candidate.verdict],
        recommendations=candidate.recommendations,
        source=candidate.source,
        source_url=candidate.source_url,
        category=candidate.category,
        tags=candidate.tags,
        version=candidate.version,
        previous_candidate_id=candidate.previous_candidate_id,
    )
    message.timestamp.FromDatetime(candidate.timestamp)
    message.analysis.update(candidate.analysis)
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


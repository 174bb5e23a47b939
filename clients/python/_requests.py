"""Request messages built from Pythonic arguments, shared by the sync and async clients.

Enums are accepted as their numbers, their full names (`VERDICT_GO`) or short names in any case (`go`);
timestamps as ISO strings, `datetime`s or `Timestamp`s; durations as seconds or `timedelta`s; free-form
objects (`google.protobuf.Struct`) as dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeAlias, TypeVar, cast

from google.protobuf import duration_pb2, json_format, message, struct_pb2, timestamp_pb2

from glm3.audit.v1 import audit_pb2
from glm3.client.errors import client_invalid_argument
from glm3.client.signals import SignalLike, timestamp_from, to_signal
from glm3.ops.v1 import ops_pb2
from glm3.ops.v1 import ops_service_pb2 as ops
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as scoring

M = TypeVar("M", bound=message.Message)
TimeLike: TypeAlias = str | datetime | timestamp_pb2.Timestamp
ConfigLike: TypeAlias = candidate_pb2.ScoringConfig | Mapping[str, float]


def enum_value(enum: Any, value: int | str, prefix: str, field: str) -> Any:
    """The number of an enum value given as a number, a full name or a short name (`go` for `VERDICT_GO`)."""
    if isinstance(value, int):
        if value not in enum.values():
            raise client_invalid_argument(f"{field} out of range", [(field, f"unknown value {value}")], "INVALID_ARGUMENT")
        return value
    name = str(value).strip().upper()
    if not name.startswith(prefix):
        name = prefix + name
    try:
        return int(enum.Value(name))
    except ValueError:
        known = ", ".join(n.removeprefix(prefix).lower() for n in enum.keys() if not n.endswith("_UNSPECIFIED"))
        raise client_invalid_argument(
            f"{field} is not a known value", [(field, f"unknown value {value!r}; one of {known}")], "INVALID_ARGUMENT"
        ) from None


def enum_values(enum: Any, values: Iterable[int | str] | int | str | None, prefix: str, field: str) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, (int, str)):
        values = [values]
    return [enum_value(enum, v, prefix, field) for v in values]


ViewLike: TypeAlias = int | str


def view(value: ViewLike) -> Any:
    """A `CandidateView` from its number or name (`"basic"`, `"full"`, `CANDIDATE_VIEW_BASIC`); 0 (unset)
    leaves the RPC's default."""
    return enum_value(candidate_pb2.CandidateView, value or 0, "CANDIDATE_VIEW_", "view")


def verdicts(values: Iterable[int | str] | int | str | None) -> list[Any]:
    return enum_values(candidate_pb2.Verdict, values, "VERDICT_", "verdicts")


def scoring_config(config: ConfigLike | None) -> candidate_pb2.ScoringConfig | None:
    """A `ScoringConfig` as is, or from a dict such as `{"go_threshold": 80}`."""
    if config is None or isinstance(config, candidate_pb2.ScoringConfig):
        return config
    try:
        return candidate_pb2.ScoringConfig(**config)
    except (TypeError, ValueError) as exc:
        unknown = sorted(set(config) - set(candidate_pb2.ScoringConfig.DESCRIPTOR.fields_by_name))
        violations = [(f"config.{k}", "unknown key") for k in unknown] or [("config", str(exc)[:200])]
        raise client_invalid_argument("config cannot be converted to a ScoringConfig", violations, "INVALID_CONFIG") from None


def struct(value: Mapping[str, Any] | struct_pb2.Struct | None) -> struct_pb2.Struct | None:
    if value is None or isinstance(value, struct_pb2.Struct):
        return value
    result = struct_pb2.Struct()
    result.update(value)
    return result


def duration(value: float | timedelta | duration_pb2.Duration | None) -> duration_pb2.Duration | None:
    if value is None or isinstance(value, duration_pb2.Duration):
        return value
    result = duration_pb2.Duration()
    result.FromTimedelta(value if isinstance(value, timedelta) else timedelta(seconds=value))
    return result


def timestamp(value: TimeLike | None, field: str) -> timestamp_pb2.Timestamp | None:
    return None if value is None else timestamp_from(value, field)


def from_dict(value: M | Mapping[str, Any], cls: type[M]) -> M:
    """A message as is, or parsed from its proto3 JSON dict (not a hot path: `json_format` is fine here)."""
    if isinstance(value, cls):
        return value
    try:
        return json_format.ParseDict(cast(dict[str, Any], value), cls())
    except json_format.ParseError as exc:
        raise client_invalid_argument(
            f"cannot build a {cls.DESCRIPTOR.name}", [(cls.DESCRIPTOR.name, str(exc)[:300])], "INVALID_ARGUMENT"
        ) from None


# -- scoring -------------------------------------------------------------------------------------------


def score(signal: SignalLike, config: ConfigLike | None, rescore: bool, view_: ViewLike = 0) -> scoring.ScoreRequest:
    return scoring.ScoreRequest(
        signal=to_signal(signal), config=scoring_config(config), rescore=rescore, view=view(view_)
    )


def batch_score(
    signals: Iterable[SignalLike], config: ConfigLike | None, rescore: bool, view_: ViewLike = 0
) -> scoring.BatchScoreRequest:
    return scoring.BatchScoreRequest(
        signals=[to_signal(s) for s in signals], config=scoring_config(config), rescore=rescore, view=view(view_)
    )


def is_idempotent_scoring(request: scoring.ScoreRequest | scoring.BatchScoreRequest) -> bool:
    """True when repeating the request cannot score anything twice: every signal has an id, no rescore."""
    if request.rescore:
        return False
    if isinstance(request, scoring.ScoreRequest):
        return bool(request.signal.id)
    return all(s.id for s in request.signals)


def get_candidate(id: str | None, signal_id: str | None, view_: ViewLike = 0) -> scoring.GetCandidateRequest:
    if (id is None) == (signal_id is None):
        raise client_invalid_argument(
            "give exactly one of id and signal_id", [("lookup", "give exactly one of id and signal_id")], "INVALID_ARGUMENT"
        )
    if id is not None:
        return scoring.GetCandidateRequest(id=id, view=view(view_))
    return scoring.GetCandidateRequest(signal_id=signal_id or "", view=view(view_))


def list_candidates(
    *,
    page_size: int,
    verdicts_: Iterable[int | str] | int | str | None,
    min_overall_score: float | None,
    max_overall_score: float | None,
    source: str,
    category: str,
    tag: str,
    start_time: TimeLike | None,
    end_time: TimeLike | None,
    order_by: int | str,
    view_: ViewLike = 0,
) -> scoring.ListCandidatesRequest:
    return scoring.ListCandidatesRequest(
        page_size=page_size,
        verdicts=verdicts(verdicts_),
        min_overall_score=min_overall_score,
        max_overall_score=max_overall_score,
        source=source,
        category=category,
        tag=tag,
        start_time=timestamp(start_time, "start_time"),
        end_time=timestamp(end_time, "end_time"),
        order_by=enum_value(scoring.CandidateOrder, order_by, "CANDIDATE_ORDER_", "order_by"),
        view=view(view_),
    )


def search_candidates(
    query: str, limit: int, verdicts_: Iterable[int | str] | int | str | None, view_: ViewLike = 0
) -> scoring.SearchCandidatesRequest:
    return scoring.SearchCandidatesRequest(query=query, limit=limit, verdicts=verdicts(verdicts_), view=view(view_))


def submit_feedback(
    candidate_id: str,
    *,
    verdict_correct: bool | None,
    expected_verdict: int | str | None,
    actual_outcome: str,
    rating: int,
    comment: str,
    submitted_by: str,
) -> scoring.SubmitFeedbackRequest:
    return scoring.SubmitFeedbackRequest(
        candidate_id=candidate_id,
        verdict_correct=verdict_correct,
        expected_verdict=enum_value(candidate_pb2.Verdict, expected_verdict or 0, "VERDICT_", "expected_verdict"),
        actual_outcome=actual_outcome,
        rating=rating,
        comment=comment,
        submitted_by=submitted_by,
    )


def scoring_stats(start_time: TimeLike | None, end_time: TimeLike | None) -> scoring.GetScoringStatsRequest:
    return scoring.GetScoringStatsRequest(
        start_time=timestamp(start_time, "start_time"), end_time=timestamp(end_time, "end_time")
    )


# -- audit (both services) -------------------------------------------------------------------------------

AuditOutcomes: TypeAlias = Iterable[int | str] | int | str | None


def audit_filters(
    request: M,
    principal: str,
    method: str,
    start_time: TimeLike | None,
    end_time: TimeLike | None,
    outcomes: AuditOutcomes,
    page_size: int,
) -> M:
    """Fills either service's ListAuditEventsRequest."""
    request.principal = principal  # type: ignore[attr-defined]
    request.method = method  # type: ignore[attr-defined]
    request.page_size = page_size  # type: ignore[attr-defined]
    for name, value in (("start_time", start_time), ("end_time", end_time)):
        stamp = timestamp(value, name)
        if stamp is not None:
            getattr(request, name).CopyFrom(stamp)
    request.outcomes.extend(enum_values(audit_pb2.AuditOutcome, outcomes, "AUDIT_OUTCOME_", "outcomes"))  # type: ignore[attr-defined]
    return request


# -- ops -----------------------------------------------------------------------------------------------


def _names(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


def check_health(services: Iterable[str] | str | None, run_now: bool) -> ops.CheckHealthRequest:
    return ops.CheckHealthRequest(services=_names(services), run_now=run_now)


def watch_health(services: Iterable[str] | str | None, heartbeat_interval: float | timedelta | None) -> ops.WatchHealthRequest:
    return ops.WatchHealthRequest(services=_names(services), heartbeat_interval=duration(heartbeat_interval))


def diagnose(subject: str | ops_pb2.HealthCheckResult | Mapping[str, Any]) -> ops.DiagnoseRequest:
    """A symptom in words, or a check result (a message, or its proto3 JSON dict)."""
    if isinstance(subject, str):
        return ops.DiagnoseRequest(symptom=subject)
    return ops.DiagnoseRequest(result=from_dict(subject, ops_pb2.HealthCheckResult))


def resolve(
    runbook_id: str,
    issue_name: str,
    service: str,
    dry_run: bool,
    diagnosis: ops_pb2.Diagnosis | Mapping[str, Any] | None,
) -> ops.ResolveRequest:
    return ops.ResolveRequest(
        runbook_id=runbook_id,
        issue_name=issue_name,
        service=service,
        dry_run=dry_run,
        diagnosis=None if diagnosis is None else from_dict(diagnosis, ops_pb2.Diagnosis),
    )


def list_alerts(
    *,
    page_size: int,
    states: Iterable[int | str] | int | str | None,
    min_level: int | str,
    service: str,
) -> ops.ListAlertsRequest:
    return ops.ListAlertsRequest(
        page_size=page_size,
        states=enum_values(ops_pb2.AlertState, states, "ALERT_STATE_", "states"),
        min_level=enum_value(ops_pb2.AlertLevel, min_level, "ALERT_LEVEL_", "min_level"),
        service=service,
    )


def watch_alerts(min_level: int | str, include_current: bool) -> ops.WatchAlertsRequest:
    return ops.WatchAlertsRequest(
        min_level=enum_value(ops_pb2.AlertLevel, min_level, "ALERT_LEVEL_", "min_level"),
        include_current=include_current,
    )


def record_resolution(resolution: ops_pb2.IssueResolution | Mapping[str, Any]) -> ops.RecordResolutionRequest:
    return ops.RecordResolutionRequest(resolution=from_dict(resolution, ops_pb2.IssueResolution))


def find_similar_issues(
    query: str, symptoms: Mapping[str, Any] | struct_pb2.Struct | None, limit: int
) -> ops.FindSimilarIssuesRequest:
    return ops.FindSimilarIssuesRequest(query=query, symptoms=struct(symptoms), limit=limit)

"""How the CLI and the Python client show results: integers as integers in --json, enums by name, a
fallback candidate said to be one, an LLM that is configured but failing said to be failing."""

from __future__ import annotations

import json

from glm3.client import HealthStatus, Verdict
from glm3.client.cli_format import to_dict
from glm3.client.cli_scoring import _llm_state, candidate_details
from glm3.client.streaming import StreamResult
from glm3.ops.v1 import ops_pb2
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb


def test_json_prints_int64_and_whole_struct_numbers_as_integers() -> None:
    status = ops_pb2.AgentStatus(total_checks=5, escalations=2, running=True)
    assert json.dumps(to_dict(status)) == '{"running": true, "total_checks": 5, "escalations": 2}'
    candidate = candidate_pb2.ScoredCandidate(id="candidate_1")
    candidate.analysis.update({"attempts": 1, "latency_ms": 1.5, "config": {"n": 3.0}, "list": [2.0, "a", 0.5]})
    analysis = to_dict(candidate)["analysis"]
    assert analysis == {"attempts": 1, "latency_ms": 1.5, "config": {"n": 3}, "list": [2, "a", 0.5]}
    assert isinstance(analysis["attempts"], int) and isinstance(analysis["latency_ms"], float)
    stats = pb.GetScoringStatsResponse(candidates_total=7, llm_calls=2**40)
    stats.verdict_counts["GO"] = 4
    stats.score_distribution.add(lower=0, upper=10, count=3)
    shown = to_dict(stats)
    assert shown["candidates_total"] == 7 and shown["llm_calls"] == 2**40
    assert shown["score_distribution"][0]["count"] == 3
    assert "timestamp" not in to_dict(candidate)  # well-known types keep their JSON form
    candidate.timestamp.FromJsonString("2026-10-01T08:00:00Z")
    assert to_dict(candidate)["timestamp"] == "2026-10-01T08:00:00Z"


def test_enums_read_by_name() -> None:
    candidate = candidate_pb2.ScoredCandidate(verdict=candidate_pb2.VERDICT_GO)
    assert str(Verdict(candidate.verdict)) == "GO" and f"{Verdict(candidate.verdict)}" == "GO"
    assert candidate.verdict == Verdict.GO and Verdict(3).name == "PASS"
    assert str(HealthStatus(ops_pb2.HEALTH_STATUS_CRITICAL)) == "CRITICAL"
    assert Verdict(42).name == "UNKNOWN_42"  # a newer server's value does not raise
    result = StreamResult(index=0, correlation_id="c", signal_id="s", candidate=candidate)
    assert str(result.verdict) == "GO"
    assert StreamResult(index=0, correlation_id="c", signal_id="s").verdict is None


def test_a_fallback_candidate_says_it_is_one_and_why() -> None:
    candidate = candidate_pb2.ScoredCandidate(id="candidate_1")
    candidate.analysis.update(
        {"scorer": "heuristic", "fallback_from": "llm", "model": "fake-model", "fallback_reason": "timeout after 30s"}
    )
    scorer = dict(candidate_details(candidate))["scorer"]
    assert scorer == "heuristic (fallback from the LLM fake-model: timeout after 30s)"
    plain = candidate_pb2.ScoredCandidate(id="candidate_2")
    plain.analysis.update({"scorer": "llm", "model": "fake-model"})
    assert dict(candidate_details(plain))["scorer"] == "llm (fake-model)"


def test_stats_tell_a_failing_llm_from_none() -> None:
    none = pb.GetScoringStatsResponse()
    assert _llm_state(none) == "no LLM (heuristic scorer)"
    failing = pb.GetScoringStatsResponse(llm_calls=3, llm_fallbacks=3)
    failing.health.llm_configured = True
    assert _llm_state(failing).startswith("LLM FAILING")
    failing.llm_circuit_open = True
    assert "circuit open" in _llm_state(failing)
    idle = pb.GetScoringStatsResponse()
    idle.health.llm_configured = True
    assert _llm_state(idle) == "LLM configured, not called yet"
    ok = pb.GetScoringStatsResponse(llm_calls=1)
    ok.health.llm_configured = ok.health.brain_connected = True
    assert _llm_state(ok) == "LLM connected"


def test_a_time_without_an_offset_is_read_as_utc() -> None:
    """The seed's `extracted_at` is a free string: a naive ISO time means UTC in the client (and so in
    `glm3 score`, which reads lines with signal_from_dict); proto3 JSON parsers refuse it."""
    import pytest
    from google.protobuf import json_format

    from glm3.client import signal_from_dict, timestamp_from
    from glm3.scoring.v1 import signal_pb2

    data = {"title": "t", "description": "d", "source": "reddit", "timestamp": "2026-10-01T08:00:00",
            "extracted_at": "2026-10-01T10:00:00+02:00"}
    signal = signal_from_dict(data)
    assert signal.timestamp.ToJsonString() == "2026-10-01T08:00:00Z"
    assert signal.extracted_at.ToJsonString() == "2026-10-01T08:00:00Z"
    assert timestamp_from("2026-10-01T08:00:00.5").ToJsonString() == "2026-10-01T08:00:00.500Z"
    with pytest.raises(json_format.ParseError):
        json_format.ParseDict({"timestamp": "2026-10-01T08:00:00"}, signal_pb2.Signal())

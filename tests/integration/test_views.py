"""Candidate views (AIP-157) over a real server and a real LanceDB: each RPC's default, BASIC and FULL, the
stored candidate complete whatever was sent, and unknown views refused with the field named."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2

from glm3.client import AsyncScoringClient, InvalidArgumentError
from glm3.scoring.v1 import candidate_pb2, signal_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer
from tests.integration.test_interceptors import detail, rich_status

BASIC = candidate_pb2.CANDIDATE_VIEW_BASIC
FULL = candidate_pb2.CANDIDATE_VIEW_FULL
# What a BASIC candidate carries; everything else must be unset.
BASIC_FIELDS = {"id", "signal_id", "scores", "overall_score", "verdict", "verdict_reason"}
REASON_START = ("overall ",)


def signal(n: int) -> signal_pb2.Signal:
    return signal_pb2.Signal(
        id=f"view-{n}",
        title=f"Signal {n}: I would pay for a tool that matches invoices",
        description="Matching invoices by hand wastes hours every week; so frustrating, happy to pay $20/month.",
        source="reddit",
        source_url="https://example.com/post",
        category="finance",
        tags=["finance", "smb"],
        engagement={"upvotes": 120 + n, "comments": 30},
    )


def set_fields(candidate: candidate_pb2.ScoredCandidate) -> set[str]:
    return {field.name for field, _ in candidate.ListFields()}


def assert_basic(candidate: candidate_pb2.ScoredCandidate) -> None:
    assert set_fields(candidate) <= BASIC_FIELDS, set_fields(candidate) - BASIC_FIELDS
    assert candidate.id and candidate.signal_id and candidate.verdict
    assert candidate.HasField("scores") and not candidate.HasField("analysis")
    assert candidate.verdict_reason.startswith(REASON_START), candidate.verdict_reason
    assert candidate.ByteSize() < 400  # a full heuristic candidate is about 3 KB


def assert_full(candidate: candidate_pb2.ScoredCandidate) -> None:
    assert candidate.HasField("analysis") and candidate.analysis["scorer"] == "heuristic"
    assert candidate.title and candidate.reasoning.market and list(candidate.recommendations)
    assert candidate.source == "reddit" and list(candidate.tags) == ["finance", "smb"]
    assert candidate.HasField("timestamp") and candidate.version == 1
    assert candidate.verdict_reason.startswith(REASON_START), candidate.verdict_reason


@pytest.fixture
async def stub(scoring_server: RunningServer):  # type: ignore[no-untyped-def]
    async with scoring_server.channel() as channel:
        yield pb_grpc.ScoringServiceStub(channel)


async def stream(stub: pb_grpc.ScoringServiceStub, frames: list[pb.SignalBatch]) -> dict[str, pb.ScoreResult]:
    results: dict[str, pb.ScoreResult] = {}
    async for response in stub.ScoreStream(iter(pb.ScoreStreamRequest(batch=f) for f in frames), timeout=30):
        for result in response.results.results:
            results[result.correlation_id] = result
    return results


async def test_a_stream_answers_basic_by_default_and_full_on_request(stub: pb_grpc.ScoringServiceStub) -> None:
    frames = [
        pb.SignalBatch(items=[pb.StreamSignal(correlation_id=f"c{n}", signal=signal(n)) for n in range(3)]),
        pb.SignalBatch(items=[pb.StreamSignal(correlation_id=f"c{n}", signal=signal(n)) for n in range(3, 6)], view=FULL),
        pb.SignalBatch(items=[pb.StreamSignal(correlation_id=f"c{n}", signal=signal(n)) for n in range(6, 8)], view=BASIC),
    ]
    results = await stream(stub, frames)
    assert sorted(results) == [f"c{n}" for n in range(8)]
    for n in (0, 1, 2, 6, 7):
        assert_basic(results[f"c{n}"].candidate)
    for n in (3, 4, 5):
        assert_full(results[f"c{n}"].candidate)

    # The stored candidate is complete whatever the stream was sent: GetCandidate reads it FULL.
    basic = results["c0"].candidate
    stored = (await stub.GetCandidate(pb.GetCandidateRequest(id=basic.id), timeout=10)).candidate
    assert_full(stored)
    assert stored.analysis["config"]["go_threshold"] == 85
    assert (stored.id, stored.signal_id, stored.overall_score, stored.verdict, stored.verdict_reason) == (
        basic.id, basic.signal_id, basic.overall_score, basic.verdict, basic.verdict_reason
    )
    assert stored.scores == basic.scores


async def test_already_scored_signals_are_answered_in_the_view_asked(stub: pb_grpc.ScoringServiceStub) -> None:
    await stream(stub, [pb.SignalBatch(items=[pb.StreamSignal(correlation_id="a", signal=signal(20))], view=FULL)])
    again = await stream(stub, [pb.SignalBatch(items=[pb.StreamSignal(correlation_id="a", signal=signal(20))])])
    assert again["a"].already_scored
    assert_basic(again["a"].candidate)


async def test_unary_defaults_score_full_batch_basic(stub: pb_grpc.ScoringServiceStub) -> None:
    assert_full((await stub.Score(pb.ScoreRequest(signal=signal(30)), timeout=10)).candidate)
    assert_basic((await stub.Score(pb.ScoreRequest(signal=signal(31), view=BASIC), timeout=10)).candidate)

    batch = await stub.BatchScore(pb.BatchScoreRequest(signals=[signal(32), signal(33)]), timeout=10)
    assert len(batch.candidates) == 2
    for candidate in batch.candidates:
        assert_basic(candidate)
    full = await stub.BatchScore(pb.BatchScoreRequest(signals=[signal(34)], view=FULL), timeout=10)
    assert_full(full.candidates[0])


async def test_reads_default_to_full_and_take_basic(stub: pb_grpc.ScoringServiceStub) -> None:
    scored = (await stub.Score(pb.ScoreRequest(signal=signal(40)), timeout=10)).candidate
    got = await stub.GetCandidate(pb.GetCandidateRequest(signal_id="view-40"), timeout=10)
    assert got.candidate == scored  # FULL by default: what Score answered, field for field
    assert_basic((await stub.GetCandidate(pb.GetCandidateRequest(id=scored.id, view=BASIC), timeout=10)).candidate)

    listed = await stub.ListCandidates(pb.ListCandidatesRequest(), timeout=10)
    assert listed.candidates and all(c.HasField("analysis") for c in listed.candidates)
    basic = await stub.ListCandidates(pb.ListCandidatesRequest(view=BASIC), timeout=10)
    assert [c.id for c in basic.candidates] == [c.id for c in listed.candidates]
    for candidate in basic.candidates:
        assert_basic(candidate)

    hits = await stub.SearchCandidates(pb.SearchCandidatesRequest(query="invoices"), timeout=10)
    assert hits.hits and all(h.candidate.HasField("analysis") for h in hits.hits)
    basic_hits = await stub.SearchCandidates(pb.SearchCandidatesRequest(query="invoices", view=BASIC), timeout=10)
    assert basic_hits.hits
    for hit in basic_hits.hits:
        assert_basic(hit.candidate)


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("Score", pb.ScoreRequest(signal=signal(50), view=7)),
        ("BatchScore", pb.BatchScoreRequest(signals=[signal(51)], view=7)),
        ("GetCandidate", pb.GetCandidateRequest(id="candidate_x", view=7)),
        ("ListCandidates", pb.ListCandidatesRequest(view=7)),
        ("SearchCandidates", pb.SearchCandidatesRequest(query="x", view=7)),
    ],
)
async def test_an_unknown_view_is_invalid_argument_naming_the_field(
    stub: pb_grpc.ScoringServiceStub, method: str, request_message: object
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(stub, method)(request_message, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad = detail(rich_status(caught.value), error_details_pb2.BadRequest)
    assert [v.field for v in bad.field_violations]  # type: ignore[attr-defined] == ["view"]
    assert "CANDIDATE_VIEW_BASIC" in bad.field_violations[0].description  # type: ignore[attr-defined]
    stats = await stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
    assert stats.candidates_total == 0  # refused before anything was scored


async def test_a_frame_with_an_unknown_view_fails_its_items_and_the_stream_goes_on(
    stub: pb_grpc.ScoringServiceStub,
) -> None:
    results = await stream(
        stub,
        [
            pb.SignalBatch(items=[pb.StreamSignal(correlation_id="bad", signal=signal(60))], view=9),
            pb.SignalBatch(items=[pb.StreamSignal(correlation_id="good", signal=signal(61))]),
        ],
    )
    assert results["bad"].WhichOneof("outcome") == "error"
    assert results["bad"].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert_basic(results["good"].candidate)


async def test_the_python_client_takes_view_names(scoring_server: RunningServer) -> None:
    async with AsyncScoringClient(scoring_server.target) as client:
        results = [r async for r in client.score_stream([signal(70), signal(71)])]
        assert all(r.candidate is not None for r in results)
        for result in results:
            assert_basic(result.candidate)
        full = [r async for r in client.score_stream([signal(72)], view="full")]
        assert_full(full[0].candidate)
        assert_basic((await client.get_candidate(signal_id="view-72", view="basic")).candidate)
        assert_full((await client.get_candidate(signal_id="view-72")).candidate)
        with pytest.raises(InvalidArgumentError):
            await client.score(signal(73), view="tiny")

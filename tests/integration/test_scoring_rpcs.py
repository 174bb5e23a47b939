"""The scoring service's unary RPCs over a real server and a real LanceDB: scoring, idempotency, reads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2

from glm3.scoring.v1 import candidate_pb2, signal_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer
from tests.integration.test_interceptors import detail, rich_status

SEED_SIGNAL = {
    "id": "signal_20240101_120000_abc123",
    "timestamp": "2024-01-01T12:00:00.123456Z",
    "source": "reddit",
    "source_url": None,
    "title": "I would pay for a tool that reconciles invoices automatically",
    "description": "Every month I waste a whole day matching invoices to bank payments. So frustrating.",
    "category": "finance",
    "tags": ["finance", "smb"],
    "engagement": {"upvotes": 120, "comments": 45},
    "author": None,
    "extracted_at": None,
    "raw_content": None,
    "comments": ["Same here, I'd pay $20/month", "QuickBooks does not do this well"],
}


def signal(n: int, **changes: object) -> signal_pb2.Signal:
    base = dict(
        id=f"sig-{n}",
        title=f"Signal {n}: a tool for invoices",
        description=f"Description {n}: matching invoices by hand wastes hours every week.",
        source="reddit",
        tags=["finance"],
        engagement={"upvotes": n % 500},
    )
    base.update(changes)
    return signal_pb2.Signal(**base)  # type: ignore[arg-type]


@pytest.fixture
async def stub(scoring_server: RunningServer):  # type: ignore[no-untyped-def]
    async with scoring_server.channel() as channel:
        yield pb_grpc.ScoringServiceStub(channel)


async def test_score_accepts_the_seed_json_and_stores_the_candidate(stub: pb_grpc.ScoringServiceStub) -> None:
    request = json_format.ParseDict({"signal": SEED_SIGNAL}, pb.ScoreRequest())
    reply = await stub.Score(request, timeout=10)
    candidate = reply.candidate
    assert reply.success and not reply.already_scored
    assert candidate.signal_id == SEED_SIGNAL["id"]
    assert candidate.id.startswith("candidate_")
    assert candidate.version == 1 and candidate.previous_candidate_id == ""
    assert candidate.verdict != candidate_pb2.VERDICT_UNSPECIFIED
    for dimension in ("market", "competition", "emotional", "feasibility", "signal_quality"):
        assert 0 <= getattr(candidate.scores, dimension) <= 100
        assert getattr(candidate.reasoning, dimension)
    analysis = json_format.MessageToDict(candidate.analysis)
    assert analysis["scorer"] == "heuristic" and analysis["scorer_version"]
    assert analysis["config"]["market_weight"] == 0.25 and "latency_ms" in analysis
    assert list(candidate.tags) == ["finance", "smb"] and candidate.category == "finance"
    # The seed's JSON shape comes back out: scores and reasoning keyed by dimension.
    as_json = json_format.MessageToDict(candidate, preserving_proto_field_name=True)
    assert set(as_json["scores"]) == {"market", "competition", "emotional", "feasibility", "signal_quality"}

    stored = await stub.GetCandidate(pb.GetCandidateRequest(id=candidate.id), timeout=10)
    assert stored.candidate == candidate
    by_signal = await stub.GetCandidate(pb.GetCandidateRequest(signal_id=SEED_SIGNAL["id"]), timeout=10)
    assert by_signal.candidate == candidate


async def test_same_signal_id_is_idempotent_unless_rescored(stub: pb_grpc.ScoringServiceStub) -> None:
    first = await stub.Score(pb.ScoreRequest(signal=signal(1)), timeout=10)
    again = await stub.Score(pb.ScoreRequest(signal=signal(1, title="changed")), timeout=10)
    assert again.already_scored and again.candidate == first.candidate

    rescored = await stub.Score(pb.ScoreRequest(signal=signal(1, title="changed"), rescore=True), timeout=10)
    assert not rescored.already_scored
    assert rescored.candidate.version == 2
    assert rescored.candidate.previous_candidate_id == first.candidate.id
    assert rescored.candidate.title == "changed"
    latest = await stub.GetCandidate(pb.GetCandidateRequest(signal_id="sig-1"), timeout=10)
    assert latest.candidate.id == rescored.candidate.id
    old = await stub.GetCandidate(pb.GetCandidateRequest(id=first.candidate.id), timeout=10)
    assert old.candidate.version == 1  # the previous version stays readable by id
    listed = await stub.ListCandidates(pb.ListCandidatesRequest(), timeout=10)
    assert [c.id for c in listed.candidates] == [rescored.candidate.id]  # only latest versions are listed


async def test_concurrent_scores_of_one_new_signal_store_it_once(stub: pb_grpc.ScoringServiceStub) -> None:
    replies = await asyncio.gather(*(stub.Score(pb.ScoreRequest(signal=signal(7)), timeout=10) for _ in range(20)))
    assert len({r.candidate.id for r in replies}) == 1
    assert sum(not r.already_scored for r in replies) == 1
    listed = await stub.ListCandidates(pb.ListCandidatesRequest(), timeout=10)
    assert listed.total_size == 1


async def test_signal_without_id_gets_one_in_the_seed_format(stub: pb_grpc.ScoringServiceStub) -> None:
    reply = await stub.Score(pb.ScoreRequest(signal=signal(2, id="")), timeout=10)
    assert reply.candidate.signal_id.startswith("signal_")
    date, time, suffix = reply.candidate.signal_id.split("_")[1:]
    assert len(date) == 8 and len(time) == 6 and len(suffix) == 6


async def test_invalid_signal_gets_every_field_violation_and_nothing_is_stored(
    stub: pb_grpc.ScoringServiceStub,
) -> None:
    bad = signal(3, title="", source="", engagement={"upvotes": -1}, source_url="ftp://x")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Score(pb.ScoreRequest(signal=bad), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rich_status(info.value)
    fields = {v.field for v in detail(status, error_details_pb2.BadRequest).field_violations}
    assert fields == {"signal.title", "signal.source", "signal.engagement[upvotes]", "signal.source_url"}
    assert detail(status, error_details_pb2.ErrorInfo).reason == "INVALID_SIGNAL"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetCandidate(pb.GetCandidateRequest(signal_id="sig-3"), timeout=10)
    assert info.value.code() is grpc.StatusCode.NOT_FOUND

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Score(pb.ScoreRequest(), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_per_request_config_overrides(stub: pb_grpc.ScoringServiceStub) -> None:
    everything_goes = candidate_pb2.ScoringConfig(go_threshold=0.0, research_threshold=0.0)
    reply = await stub.Score(pb.ScoreRequest(signal=signal(4), config=everything_goes), timeout=10)
    assert reply.candidate.verdict == candidate_pb2.VERDICT_GO
    analysis = json_format.MessageToDict(reply.candidate.analysis)
    assert analysis["config"]["go_threshold"] == 0.0 and analysis["config"]["market_weight"] == 0.25

    only_market = candidate_pb2.ScoringConfig(
        market_weight=1.0, competition_weight=0.0, emotional_weight=0.0, feasibility_weight=0.0, signal_quality_weight=0.0
    )
    reply = await stub.Score(pb.ScoreRequest(signal=signal(5), config=only_market), timeout=10)
    assert reply.candidate.overall_score == pytest.approx(reply.candidate.scores.market, abs=0.01)

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Score(pb.ScoreRequest(signal=signal(6), config=candidate_pb2.ScoringConfig(market_weight=0.9)), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    violations = detail(rich_status(info.value), error_details_pb2.BadRequest).field_violations
    assert violations[0].field == "config.market_weight" and "sum to 1" in violations[0].description


async def test_batch_score_reports_bad_signals_without_failing_the_others(stub: pb_grpc.ScoringServiceStub) -> None:
    signals = [signal(10), signal(11, title=""), signal(12), signal(13, engagement={"views": -3}), signal(10)]
    reply = await stub.BatchScore(pb.BatchScoreRequest(signals=signals), timeout=10)
    assert (reply.success, reply.processed, reply.failed) == (False, 5, 2)
    assert [c.signal_id for c in reply.candidates] == ["sig-10", "sig-12", "sig-10"]
    assert reply.candidates[0] == reply.candidates[2]  # a repeated id inside a batch is one candidate
    assert [(e.index, e.signal_id) for e in reply.errors] == [(1, "sig-11"), (3, "sig-13")]
    violations = detail(reply.errors[0].status, error_details_pb2.BadRequest).field_violations
    assert [v.field for v in violations] == ["signals[1].title"]
    assert reply.errors[1].status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.BatchScore(pb.BatchScoreRequest(), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.BatchScore(pb.BatchScoreRequest(signals=[signal(i) for i in range(1001)]), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_score_upload_summarises(stub: pb_grpc.ScoringServiceStub) -> None:
    frames = [
        pb.ScoreUploadRequest(signals=[signal(i) for i in range(100, 150)]),
        pb.ScoreUploadRequest(signals=[signal(150, description=""), signal(151)]),
        pb.ScoreUploadRequest(signals=[signal(152)], config=candidate_pb2.ScoringConfig(go_threshold=200.0)),
    ]
    reply = await stub.ScoreUpload(iter(frames), timeout=30)
    assert (reply.processed, reply.failed, reply.success) == (53, 2, False)
    assert [e.index for e in reply.errors] == [50, 52]
    assert sum(reply.verdict_counts.values()) == 51
    listed = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=1000), timeout=10)
    assert listed.total_size == 51


async def test_list_filters_order_and_paging(stub: pb_grpc.ScoringServiceStub) -> None:
    signals = [
        signal(i, source="reddit" if i % 2 else "hackernews", category="finance" if i % 3 else "devtools",
               tags=["even"] if i % 2 == 0 else ["odd"])
        for i in range(40)
    ]
    reply = await stub.BatchScore(pb.BatchScoreRequest(signals=signals, view=candidate_pb2.CANDIDATE_VIEW_FULL), timeout=30)
    stored = {c.id: c for c in reply.candidates}
    assert len(stored) == 40

    async def all_pages(request: pb.ListCandidatesRequest) -> list[candidate_pb2.ScoredCandidate]:
        out: list[candidate_pb2.ScoredCandidate] = []
        while True:
            page = await stub.ListCandidates(request, timeout=10)
            assert page.total_size >= len(page.candidates)
            out.extend(page.candidates)
            if not page.next_page_token:
                return out
            request.page_token = page.next_page_token

    by_score = await all_pages(pb.ListCandidatesRequest(page_size=7, order_by=pb.CANDIDATE_ORDER_SCORE_DESC))
    assert sorted(c.id for c in by_score) == sorted(stored)  # every candidate exactly once
    assert [c.overall_score for c in by_score] == sorted((c.overall_score for c in by_score), reverse=True)
    ascending = await all_pages(pb.ListCandidatesRequest(page_size=6, order_by=pb.CANDIDATE_ORDER_SCORE_ASC))
    assert [c.id for c in ascending] == [c.id for c in reversed(by_score)]
    by_time = await all_pages(pb.ListCandidatesRequest(page_size=9, order_by=pb.CANDIDATE_ORDER_TIME_ASC))
    assert len(by_time) == 40
    assert [c.timestamp.ToDatetime() for c in by_time] == sorted(c.timestamp.ToDatetime() for c in by_time)

    reddit_even = await all_pages(pb.ListCandidatesRequest(page_size=5, source="reddit", tag="odd"))
    assert {c.id for c in reddit_even} == {c.id for c in stored.values() if c.source == "reddit" and "odd" in c.tags}
    devtools = await all_pages(pb.ListCandidatesRequest(category="devtools"))
    assert {c.id for c in devtools} == {c.id for c in stored.values() if c.category == "devtools"}
    middle = sorted(c.overall_score for c in stored.values())[20]
    high = await all_pages(pb.ListCandidatesRequest(min_overall_score=middle))
    assert {c.id for c in high} == {c.id for c in stored.values() if c.overall_score >= middle}
    low = await all_pages(pb.ListCandidatesRequest(max_overall_score=middle))
    assert {c.id for c in low} == {c.id for c in stored.values() if c.overall_score <= middle}
    verdict = by_score[0].verdict
    same = await all_pages(pb.ListCandidatesRequest(verdicts=[verdict]))
    assert {c.id for c in same} == {c.id for c in stored.values() if c.verdict == verdict}
    now = datetime.now(UTC)
    past = pb.ListCandidatesRequest()
    past.end_time.FromDatetime(now - timedelta(hours=1))
    assert (await stub.ListCandidates(past, timeout=10)).total_size == 0
    recent = pb.ListCandidatesRequest()
    recent.start_time.FromDatetime(now - timedelta(hours=1))
    assert (await stub.ListCandidates(recent, timeout=10)).total_size == 40

    first = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=5), timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.ListCandidates(pb.ListCandidatesRequest(page_size=5, source="x", page_token=first.next_page_token), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    for bad in (
        pb.ListCandidatesRequest(page_token="garbage!"),
        pb.ListCandidatesRequest(page_size=-1),
        pb.ListCandidatesRequest(page_size=1001),
        pb.ListCandidatesRequest(min_overall_score=50, max_overall_score=40),
        pb.ListCandidatesRequest(verdicts=[candidate_pb2.VERDICT_UNSPECIFIED]),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.ListCandidates(bad, timeout=10)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_search_finds_by_title_description_and_reasoning(stub: pb_grpc.ScoringServiceStub) -> None:
    await stub.BatchScore(
        pb.BatchScoreRequest(
            signals=[
                signal(1, title="Kubernetes cost dashboard", description="Our cloud bill is a mystery every month."),
                signal(2, title="Dog walking scheduler", description="Coordinating walkers by text is chaos."),
                signal(3, title="Invoice reconciliation", description="Matching kubernetes invoices is painful."),
            ]
        ),
        timeout=10,
    )
    reply = await stub.SearchCandidates(pb.SearchCandidatesRequest(query="kubernetes"), timeout=10)
    assert reply.mode == "fts"
    assert {h.candidate.signal_id for h in reply.hits} == {"sig-1", "sig-3"}
    assert all(h.relevance > 0 for h in reply.hits)
    reply = await stub.SearchCandidates(pb.SearchCandidatesRequest(query="walkers", limit=1), timeout=10)
    assert [h.candidate.signal_id for h in reply.hits] == ["sig-2"]
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.SearchCandidates(pb.SearchCandidatesRequest(query=" "), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_feedback_is_stored_and_counted_in_stats(stub: pb_grpc.ScoringServiceStub) -> None:
    scored = await stub.BatchScore(pb.BatchScoreRequest(signals=[signal(i) for i in range(5)]), timeout=10)
    ids = [c.id for c in scored.candidates]
    for i, candidate_id in enumerate(ids[:4]):
        reply = await stub.SubmitFeedback(
            pb.SubmitFeedbackRequest(candidate_id=candidate_id, verdict_correct=i != 0, rating=4, comment="ok"),
            timeout=10,
        )
        assert reply.feedback.id.startswith("feedback_") and reply.feedback.candidate_id == candidate_id
    await stub.SubmitFeedback(pb.SubmitFeedbackRequest(candidate_id=ids[4], actual_outcome="built it"), timeout=10)

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.SubmitFeedback(pb.SubmitFeedbackRequest(candidate_id="candidate_nope"), timeout=10)
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.SubmitFeedback(pb.SubmitFeedbackRequest(candidate_id=ids[0], rating=9), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT

    stats = await stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
    assert stats.candidates_total == 5
    assert sum(stats.verdict_counts.values()) == 5
    assert dict(stats.scorer_counts) == {"heuristic": 5}
    assert sum(b.count for b in stats.score_distribution) == 5 and len(stats.score_distribution) == 10
    assert stats.feedback_count == 5
    assert stats.feedback_agreement_rate == pytest.approx(0.75)
    assert stats.scoring_latency.count >= 5
    assert stats.health.service == "scoring-engine" and stats.health.store_reachable
    assert stats.health.status == "ok" and not stats.health.brain_connected and stats.health.queue_size == 0
    assert stats.llm_calls == 0


async def test_get_candidate_errors(stub: pb_grpc.ScoringServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetCandidate(pb.GetCandidateRequest(), timeout=10)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetCandidate(pb.GetCandidateRequest(id="candidate_x"), timeout=10)
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    assert detail(rich_status(info.value), error_details_pb2.ErrorInfo).reason == "CANDIDATE_NOT_FOUND"


async def test_get_signal_reads_back_what_was_stored(stub: pb_grpc.ScoringServiceStub) -> None:
    sent = signal(
        9101,
        author="someone",
        raw_content="<p>raw</p>",
        comments=["me too", "take my money"],
        engagement={"upvotes": 12, "comments": 3},
        source_url="https://example.com/post/1",
    )
    sent.extracted_at.FromDatetime(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))
    await stub.Score(pb.ScoreRequest(signal=sent), timeout=10)
    reply = await stub.GetSignal(pb.GetSignalRequest(signal_id=sent.id), timeout=10)
    got = reply.signal
    assert got.timestamp.seconds > 0  # none was sent: the time it was received
    got.ClearField("timestamp")
    assert got == sent
    assert reply.received_at.seconds > 0

    # A rescore with new content: the newest received is what reads back.
    changed = signal(9101, author="someone else")
    await stub.Score(pb.ScoreRequest(signal=changed, rescore=True), timeout=10)
    reply = await stub.GetSignal(pb.GetSignalRequest(signal_id=sent.id), timeout=10)
    assert reply.signal.author == "someone else"


async def test_get_signal_errors(stub: pb_grpc.ScoringServiceStub) -> None:
    for bad in ("", "has space", "x" * 129):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.GetSignal(pb.GetSignalRequest(signal_id=bad), timeout=10)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        violation = detail(rich_status(info.value), error_details_pb2.BadRequest).field_violations[0]
        assert violation.field == "signal_id"
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetSignal(pb.GetSignalRequest(signal_id="never-sent"), timeout=10)
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    assert detail(rich_status(info.value), error_details_pb2.ErrorInfo).reason == "SIGNAL_NOT_FOUND"


async def test_stats_say_whether_an_llm_is_configured(stub: pb_grpc.ScoringServiceStub) -> None:
    reply = await stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
    assert not reply.health.llm_configured and not reply.health.brain_connected

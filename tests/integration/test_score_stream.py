"""ScoreStream: batched frames, per-item errors, the in-flight window, cancellation, durability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2

from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import running, server_settings, wait_until


def item(n: int, bad: bool = False) -> pb.StreamSignal:
    return pb.StreamSignal(
        correlation_id=f"c{n}",
        signal=signal_pb2.Signal(
            id=f"s{n}",
            title="" if bad else f"Tool idea {n}",
            description=f"People waste hours on task {n}; I would pay for a fix.",
            source="hackernews",
            engagement={"points": n % 300, "comments": -1 if bad else n % 40},
        ),
    )


def frames(items: list[pb.StreamSignal], size: int) -> list[pb.ScoreStreamRequest]:
    return [
        pb.ScoreStreamRequest(batch=pb.SignalBatch(items=items[i : i + size])) for i in range(0, len(items), size)
    ]


def scoring_settings(storage: Path, **scoring: object) -> ScoringSettings:
    settings = server_settings(ScoringSettings, storage)
    return settings.model_copy(update={"scoring": settings.scoring.model_copy(update=scoring)})


async def test_ten_thousand_signals_with_bad_ones_mixed_in(tmp_path: Path) -> None:
    settings = scoring_settings(tmp_path / "db")
    deps = await scoring_main.make_deps(settings)
    total = 10_000
    bad = {n for n in range(total) if n % 97 == 0}
    items = [item(n, bad=n in bad) for n in range(total)]
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        results: dict[int, pb.ScoreResult] = {}
        response_frames = 0
        async for response in stub.ScoreStream(iter(frames(items, 100)), timeout=300):
            response_frames += 1
            for result in response.results.results:
                assert result.sequence not in results, "a result was sent twice"
                results[result.sequence] = result
        assert sorted(results) == list(range(total))
        for n, result in results.items():
            assert result.correlation_id == f"c{n}"
            if n in bad:
                assert result.WhichOneof("outcome") == "error"
                assert result.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
                violations = detail_violations(result)
                assert violations == {"signal.title", "signal.engagement[comments]"}
            else:
                assert result.WhichOneof("outcome") == "candidate"
                assert result.candidate.signal_id == f"s{n}"
        assert response_frames < total - len(bad)  # results were coalesced into frames

        # Every good signal is stored exactly once, no bad one is stored.
        listed = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=1), timeout=30)
        assert listed.total_size == total - len(bad)
    store = deps.services[0].servicer.engine.store  # type: ignore[attr-defined]
    assert await store.candidates.count_rows() == total - len(bad)
    assert store.commit_runs < (total - len(bad)) / 10  # many signals per commit


def detail_violations(result: pb.ScoreResult) -> set[str]:
    for any_detail in result.error.details:
        bad_request = error_details_pb2.BadRequest()
        if any_detail.Unpack(bad_request):
            return {v.field for v in bad_request.field_violations}
    return set()


async def test_a_single_signal_frame_and_a_repeat(tmp_path: Path) -> None:
    settings = scoring_settings(tmp_path / "db")
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        requests = [
            pb.ScoreStreamRequest(batch=pb.SignalBatch(items=[item(1)])),
            pb.ScoreStreamRequest(),  # an empty envelope is ignored
            pb.ScoreStreamRequest(batch=pb.SignalBatch(items=[pb.StreamSignal(signal=item(1).signal)])),
            pb.ScoreStreamRequest(batch=pb.SignalBatch(items=[pb.StreamSignal(correlation_id="nothing")])),
        ]
        results = [r async for f in stub.ScoreStream(iter(requests), timeout=30) for r in f.results.results]
        by_sequence = {r.sequence: r for r in results}
        assert sorted(by_sequence) == [0, 1, 2]
        assert not by_sequence[0].already_scored
        assert by_sequence[1].already_scored and by_sequence[1].correlation_id == "s1"
        assert by_sequence[1].candidate == by_sequence[0].candidate
        assert by_sequence[2].WhichOneof("outcome") == "error" and by_sequence[2].correlation_id == "nothing"
        assert detail_violations(by_sequence[2]) == {"signal"}


async def test_a_frame_with_an_invalid_config_fails_its_items_only(tmp_path: Path) -> None:
    from glm3.scoring.v1 import candidate_pb2

    settings = scoring_settings(tmp_path / "db")
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        requests = [
            pb.ScoreStreamRequest(
                batch=pb.SignalBatch(items=[item(1), item(2)], config=candidate_pb2.ScoringConfig(go_threshold=-5))
            ),
            pb.ScoreStreamRequest(batch=pb.SignalBatch(items=[item(3)])),
        ]
        results = {r.sequence: r async for f in stub.ScoreStream(iter(requests), timeout=30) for r in f.results.results}
        assert [results[i].WhichOneof("outcome") for i in range(3)] == ["error", "error", "candidate"]
        assert "batch.config.go_threshold" in detail_violations(results[0])


async def test_window_bounds_what_the_server_reads_from_a_producer_that_never_reads(tmp_path: Path) -> None:
    window = 200
    settings = scoring_settings(tmp_path / "db", stream_window=window)
    deps = await scoring_main.make_deps(settings)
    engine = deps.services[0].servicer.engine  # type: ignore[attr-defined]
    sent = 0

    async def producer() -> AsyncIterator[pb.ScoreStreamRequest]:
        nonlocal sent
        big_text = "x" * 2_000  # large results fill the HTTP/2 windows sooner
        for n in range(0, 200_000, 50):
            items = [item(n + k) for k in range(50)]
            for it in items:
                it.signal.raw_content = big_text
            sent += 50
            # FULL candidates (about 3 KB each): large results fill the HTTP/2 windows sooner
            yield pb.ScoreStreamRequest(batch=pb.SignalBatch(items=items, view=candidate_pb2.CANDIDATE_VIEW_FULL))

    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        call = stub.ScoreStream(producer(), timeout=60)
        await asyncio.sleep(2.5)  # the producer pushes as fast as it can; nobody reads the results
        stalled_at = await engine.store.candidates.count_rows()
        await asyncio.sleep(1.5)
        assert await engine.store.candidates.count_rows() == stalled_at, "the server kept reading"
        assert engine.in_flight <= window
        assert sent < 100_000, f"the producer was never slowed down ({sent} signals sent)"
        # Reading the results lets the stream go on.
        received = 0
        async for response in call:
            received += len(response.results.results)
            if received >= 2_000:
                break
        call.cancel()
    assert received >= 2_000


async def test_client_cancel_stops_the_stream(tmp_path: Path) -> None:
    settings = scoring_settings(tmp_path / "db", stream_window=100)
    deps = await scoring_main.make_deps(settings)
    engine = deps.services[0].servicer.engine  # type: ignore[attr-defined]

    async def endless() -> AsyncIterator[pb.ScoreStreamRequest]:
        n = 0
        while True:
            yield pb.ScoreStreamRequest(batch=pb.SignalBatch(items=[item(n + k) for k in range(10)]))
            n += 10

    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        call = stub.ScoreStream(endless(), timeout=60)
        got = 0
        async for response in call:
            got += len(response.results.results)
            if got >= 300:
                break
        call.cancel()
        # A commit already started finishes (its rows are whole, just never acknowledged); nothing after it.
        await wait_until(lambda: engine.in_flight == 0 and engine.store.writes_idle, timeout=10)
        settled = await engine.store.candidates.count_rows()
        assert got <= settled <= got + 100 + 10  # received + at most the window (+ one frame) more
        await asyncio.sleep(0.5)
        assert await engine.store.candidates.count_rows() == settled  # no work goes on after the cancel
        # The server serves the next stream normally.
        results = [r async for f in stub.ScoreStream(iter(frames([item(10**6)], 1)), timeout=30) for r in f.results.results]
        assert results[0].WhichOneof("outcome") == "candidate"


async def test_acknowledged_candidates_survive_a_restart(tmp_path: Path) -> None:
    storage = tmp_path / "db"
    settings = scoring_settings(storage)
    acknowledged: dict[str, str] = {}
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        async for response in stub.ScoreStream(iter(frames([item(n) for n in range(1_500)], 250)), timeout=120):
            for result in response.results.results:
                acknowledged[result.candidate.id] = result.candidate.signal_id
    assert len(acknowledged) == 1_500

    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        for candidate_id, signal_id in list(acknowledged.items())[::50]:
            reply = await stub.GetCandidate(pb.GetCandidateRequest(id=candidate_id), timeout=10)
            assert reply.candidate.signal_id == signal_id
        listed = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=1), timeout=10)
        assert listed.total_size == 1_500

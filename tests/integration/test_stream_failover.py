"""`score_stream` failover (async and sync): when the call breaks, a new call resends the signals that were
not answered and every input gets exactly one result.

The servers are plain grpc.aio servicers of the scoring service over loopback: one that answers part of a
frame and then breaks the call (as a replica that dies or drains does), several of them behind one
round-robin client, and one that always breaks. A real replica killed with SIGKILL mid-stream is in
tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from glm3.client import AsyncScoringClient, ScoringClient, StreamResult, UnavailableError
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.integration.test_score_stream_client import echo_results, seed_signal


class Breaking(pb_grpc.ScoringServiceServicer):
    """Answers each frame at once, except that its first `breaks` calls each answer `answer_first` signals
    of frame `break_at` (counted from 1) and then end with `code`. Records the signal ids of every call.
    Servicers given one `ledger` count their calls together: the first `breaks` calls to any of them break."""

    def __init__(
        self,
        *,
        break_at: int = 3,
        answer_first: int = 4,
        breaks: int = 1,
        code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
        ledger: list[str] | None = None,
    ) -> None:
        self.ledger = [] if ledger is None else ledger
        self.break_at = break_at
        self.answer_first = answer_first
        self.breaks = breaks
        self.code = code
        self.calls: list[list[str]] = []
        self.rescore: list[bool] = []

    async def GetScoringStats(self, request: Any, context: grpc.aio.ServicerContext) -> pb.GetScoringStatsResponse:  # type: ignore[override]
        return pb.GetScoringStatsResponse()

    async def ScoreStream(self, request_iterator: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[pb.ScoreStreamResponse]:  # type: ignore[override]
        seen: list[str] = []
        self.calls.append(seen)
        self.ledger.append("call")
        breaking = len(self.ledger) <= self.breaks
        sequence = 0
        frames = 0
        async for request in request_iterator:
            frames += 1
            self.rescore.append(request.batch.rescore)
            items = list(request.batch.items)
            seen.extend(item.signal.id for item in items)
            if breaking and frames == self.break_at:
                items = items[: self.answer_first]
            yield echo_results(items, sequence)
            sequence += len(items)
            if breaking and frames == self.break_at:
                await context.abort(self.code, "scoring is draining")


@contextlib.asynccontextmanager
async def serving(*servicers: pb_grpc.ScoringServiceServicer) -> AsyncIterator[list[str]]:
    servers, targets = [], []
    for servicer in servicers:
        server = grpc.aio.server()
        pb_grpc.add_ScoringServiceServicer_to_server(servicer, server)
        targets.append(f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}")
        await server.start()
        servers.append(server)
    try:
        yield targets
    finally:
        for server in servers:
            await server.stop(0)


def answered_once(results: list[StreamResult], total: int) -> None:
    assert sorted(r.index for r in results) == list(range(total)), Counter(r.index for r in results).most_common(3)


async def test_a_broken_stream_resends_what_it_left_unanswered_and_answers_each_signal_once() -> None:
    servicer = Breaking()
    signals = [seed_signal(n) for n in range(95)]
    async with serving(servicer) as targets, AsyncScoringClient(targets[0]) as client:
        stream = client.score_stream(signals, frame_size=10, linger_ms=200, window=40)
        results = [r async for r in stream]
    answered_once(results, 95)
    assert all(r.ok and r.candidate.signal_id == signals[r.index]["id"] for r in results)
    assert stream.failovers == 1 and len(servicer.calls) == 2
    first, second = servicer.calls
    # Reached the broken call's server and was not answered: sent again. The client also resends what it
    # had sent that the server never read (in flight in buffers when the call broke), hence ">=".
    seen_twice = set(first) & set(second)
    assert len(first) < 95 and set(first) | set(second) == {s["id"] for s in signals}
    assert stream.resent >= len(seen_twice) > 0 and set(second[: stream.resent]) >= seen_twice  # resent first
    assert len(second) == len(set(second)) and stream.sent == 95 + stream.resent and stream.unanswered == 0


def test_the_sync_stream_fails_over_the_same_way() -> None:
    servicer = Breaking()
    signals = [seed_signal(n) for n in range(95)]

    async def main() -> tuple[list[StreamResult], int, int]:
        async with serving(servicer) as targets:

            def consume() -> tuple[list[StreamResult], int, int]:
                with ScoringClient(targets[0]) as client:
                    stream = client.score_stream(signals, frame_size=10, linger_ms=200, window=40)
                    return list(stream), stream.failovers, stream.resent

            return await asyncio.to_thread(consume)

    results, failovers, resent = asyncio.run(main())
    answered_once(results, 95)
    assert all(r.ok for r in results)
    assert failovers == 1 and len(servicer.calls) == 2
    assert resent >= len(set(servicer.calls[0]) & set(servicer.calls[1])) > 0


async def test_across_replicas_the_new_call_goes_to_another_one() -> None:
    ledger: list[str] = []
    replicas = [Breaking(ledger=ledger) for _ in range(3)]  # the first stream call, wherever it lands, breaks
    signals = [seed_signal(n) for n in range(300)]
    async with serving(*replicas) as targets, AsyncScoringClient(targets) as client:
        # Warm the channel: round_robin only spreads calls over replicas it has connected to.
        for _ in range(3):
            await client.get_scoring_stats()
        stream = client.score_stream(signals, frame_size=10, linger_ms=0)
        results = [r async for r in stream]
    answered_once(results, 300)
    served = [len(r.calls) for r in replicas]
    assert sum(served) == 2 and stream.failovers == 1, served
    breaker = next(r for r in replicas if r.calls and len(r.calls[0]) < 300)
    assert len(breaker.calls) == 1  # the second call went elsewhere: that replica was never asked again


async def test_signals_without_an_id_and_rescores_are_answered_as_broken_not_sent_twice() -> None:
    servicer = Breaking(break_at=2, answer_first=3)
    inputs: list[Any] = [seed_signal(n) if n % 2 else seed_signal(n, id=None) for n in range(40)]
    async with serving(servicer) as targets, AsyncScoringClient(targets[0]) as client:
        results = [r async for r in client.score_stream(inputs, frame_size=10, linger_ms=200, window=40)]
        answered_once(results, 40)
        broken = [r for r in results if not r.ok]
        # Frame 2 had 10 signals: 3 answered; of the 7 left, those without an id are not sent again.
        assert broken and all(inputs[r.index]["id"] is None for r in broken)
        for result in broken:
            assert isinstance(result.error, UnavailableError) and result.error.reason == "STREAM_BROKEN"
            assert result.error.domain == "glm3.client" and "no id" in result.error.message
        assert all(r.ok for r in results if inputs[r.index]["id"] is not None)

        rescoring = Breaking(break_at=2, answer_first=3)
        async with serving(rescoring) as more:
            async with AsyncScoringClient(more[0]) as rescorer:
                signals = [seed_signal(n) for n in range(40)]
                stream = rescorer.score_stream(signals, frame_size=10, linger_ms=200, window=40, rescore=True)
                results = [r async for r in stream]
        answered_once(results, 40)
        assert stream.resent == 0 and stream.failovers == 1
        assert Counter(id_ for call in rescoring.calls for id_ in call).most_common(1)[0][1] == 1  # none twice
        assert {r.error.reason for r in results if r.error} == {"STREAM_BROKEN"}
        assert all("rescore" in r.error.message for r in results if r.error)


async def test_a_server_that_keeps_breaking_ends_the_stream_after_failover_calls() -> None:
    servicer = Breaking(break_at=1, answer_first=0, breaks=100)
    async with serving(servicer) as targets, AsyncScoringClient(targets[0]) as client:
        stream = client.score_stream([seed_signal(n) for n in range(20)], frame_size=10, failover=3)
        with pytest.raises(UnavailableError, match="draining"):
            async for _ in stream:
                pass
        assert stream.failovers == 3 and len(servicer.calls) == 4
        stream = client.score_stream([seed_signal(n) for n in range(20)], frame_size=10, failover=0)
        with pytest.raises(UnavailableError):
            async for _ in stream:
                pass
        assert stream.failovers == 0


async def test_a_refusal_of_the_call_is_not_failed_over() -> None:
    servicer = Breaking(break_at=1, answer_first=0, breaks=100, code=grpc.StatusCode.PERMISSION_DENIED)
    async with serving(servicer) as targets, AsyncScoringClient(targets[0]) as client:
        stream = client.score_stream([seed_signal(n) for n in range(20)], frame_size=10)
        with pytest.raises(Exception) as caught:
            async for _ in stream:
                pass
        assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
        assert stream.failovers == 0 and len(servicer.calls) == 1


def test_a_negative_failover_is_refused() -> None:
    with ScoringClient("127.0.0.1:1") as client, pytest.raises(ValueError, match="failover"):
        client.score_stream(iter(()), failover=-1)




def test_glm3_score_reports_each_failover_and_counts_them_in_the_summary(tmp_path: Any) -> None:
    import io
    import json

    from glm3.client.cli import main

    source = tmp_path / "signals.jsonl"
    source.write_text("".join(json.dumps(seed_signal(n)) + "\n" for n in range(60)))
    servicer = Breaking()

    async def run() -> tuple[int, str, str]:
        async with serving(servicer) as targets:

            def cli() -> tuple[int, str, str]:
                out, err = io.StringIO(), io.StringIO()
                code = main(["--target", targets[0], "score", str(source), "--frame-size", "10", "--linger-ms", "200"], out, err)
                return code, out.getvalue(), err.getvalue()

            return await asyncio.to_thread(cli)

    code, out, err = asyncio.run(run())
    assert code == 0, err
    assert sorted(json.loads(line)["line"] for line in out.splitlines()) == list(range(1, 61))
    assert "the stream broke; a new one resent" in err and "(failover 1 of this run)" in err
    assert "failovers  1  (" in err and "sent again)" in err

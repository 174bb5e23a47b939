"""`ScoringClient` and `AsyncScoringClient`: one method per `glm3.scoring.v1.ScoringService` RPC.

    with ScoringClient("127.0.0.1:50051", token=...) as client:
        reply = client.score({"source": "reddit", "title": "...", "description": "..."})
        for result in client.score_stream(read_signals()):
            ...
        for candidate in client.list_candidates(verdicts=["go"], order_by="score_desc"):
            ...

Methods return the generated response messages (`ScoreResponse`, `GetCandidateResponse`, ...), except the
list call, which returns a pager over the candidates, and `score_stream`, which yields `StreamResult`s.
Every method takes `timeout` (seconds; the client's default when not given; None for no deadline) and
`metadata` (extra `(key, value)` pairs; an `x-request-id` among them is used as the call's request id).
Failures raise the typed exceptions of `glm3.client.errors`.

Retries: the read-only calls are retried on UNAVAILABLE by gRPC (service config). `score` and
`batch_score` are retried by the client on UNAVAILABLE only when repeating them is harmless: every signal
has an id (the server returns the stored candidate for an id it scored already) and `rescore` is off.
`submit_feedback` and the uploads are never retried. `score_stream` fails over: when its call breaks, a
new call (on the next replica, with several targets) resends the signals that have an id and no result yet.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterable, Iterable
from typing import Any, TypeAlias

import grpc

from glm3.client import _requests as req
from glm3.client._base import AsyncClient, Metadata, SyncClient
from glm3.client._channel import DEFAULT, SCORING_SERVICE, Timeout
from glm3.client.errors import error_from_rpc_error
from glm3.client.pagers import AsyncPager, Pager
from glm3.client.signals import SignalLike
from glm3.client.streaming import (
    AsyncScoreStream,
    ScoreStream,
    StatusWatch,
    StreamInput,
    aupload_frames,
    upload_frames,
)
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc

__all__ = ["AsyncScoringClient", "ScoringClient"]

DEFAULT_SCORING_TARGET = "127.0.0.1:50051"
VerdictsLike: TypeAlias = Iterable[int | str] | int | str | None


def _done(future: Any) -> bool:
    try:
        return bool(future.done())
    except NotImplementedError:  # grpc_testing's calls cannot tell
        return False


class ScoringClient(SyncClient):
    """Sync client of the scoring service; a context manager owning its channel.

    Options: `target` (`host:port`, default 127.0.0.1:50051); `secure=True` for TLS with the system's roots,
    `root_certificates` (PEM bytes) for private roots, or any `credentials`; `token`, sent as
    `authorization: Bearer <token>` on every call and never logged; `timeout`, the default deadline of unary
    calls in seconds (None: none; streams have none unless given per call); `retry`, the `RetryPolicy` of
    idempotent calls (None disables retries); `max_send_message_bytes` / `max_receive_message_bytes`;
    `options`, extra gRPC channel arguments; `channel`, an existing channel to use instead of opening one
    (it is not closed by the client, and channel-level options such as retries are the owner's).
    """

    _messages = pb
    _stub_class = pb_grpc.ScoringServiceStub
    _service = SCORING_SERVICE
    default_target = DEFAULT_SCORING_TARGET

    def score(
        self,
        signal: SignalLike,
        *,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.ScoreResponse:
        """Scores one signal (a `Signal` or a dict in the seed's JSON shape). `view`: `"full"` (the default
        here) or `"basic"`."""
        request = req.score(signal, config, rescore, view)
        if req.is_idempotent_scoring(request):
            return self._unary_retried("Score", request, timeout, metadata)  # type: ignore[no-any-return]
        return self._unary("Score", request, timeout, metadata)  # type: ignore[no-any-return]

    def batch_score(
        self,
        signals: Iterable[SignalLike],
        *,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.BatchScoreResponse:
        """Scores up to 1,000 signals in one call; per-signal failures are in `errors` (decode them with
        `error_from_status(item.status)`). `view`: `"basic"` (the default for batches) or `"full"`."""
        request = req.batch_score(signals, config, rescore, view)
        if req.is_idempotent_scoring(request):
            return self._unary_retried("BatchScore", request, timeout, metadata)  # type: ignore[no-any-return]
        return self._unary("BatchScore", request, timeout, metadata)  # type: ignore[no-any-return]

    def score_stream(
        self,
        signals: Iterable[StreamInput],
        *,
        frame_size: int = 100,
        linger_ms: float = 5.0,
        window: int = 1_000,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        view: req.ViewLike = 0,
        timeout: float | None = None,
        metadata: Metadata = None,
        failover: int = 5,
    ) -> ScoreStream:
        """Streams `signals` (dicts, `Signal`s or `StreamSignal`s with their own correlation ids) through
        `ScoreStream` and yields a `StreamResult` per signal as results arrive (see `glm3.client.streaming`).
        Nothing is sent until iteration starts; at most `window` signals are in flight. When the stream
        breaks (UNAVAILABLE: its replica died or drains), a new call resends the signals not yet answered,
        up to `failover` new calls in a row without a result between them (0: never). `view`: `"basic"`
        (the server's default for streams: ids, scores, verdict and its reason) or `"full"` (reasoning,
        recommendations, `analysis` too)."""
        request_id, call_metadata = self._calls.metadata(metadata)
        return ScoreStream(
            self._stub.ScoreStream,
            signals,
            timeout=timeout,
            metadata=call_metadata,
            request_id=request_id,
            frame_size=frame_size,
            linger_ms=linger_ms,
            window=window,
            config=req.scoring_config(config),
            rescore=rescore,
            view=req.view(view),
            failover=failover,
        )

    def score_upload(
        self,
        signals: Iterable[SignalLike],
        *,
        frame_size: int = 1_000,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        timeout: float | None = None,
        metadata: Metadata = None,
    ) -> pb.ScoreUploadResponse:
        """Uploads `signals` in frames and returns the server's summary (no per-signal results). A signal
        that cannot be converted raises `InvalidArgumentError` naming it (`signals[i].field`) and cancels the
        upload; frames sent before it may have been scored. Not retried."""
        request_id, call_metadata = self._calls.metadata(metadata)
        failure: list[Exception] = []
        settled = threading.Event()  # the call finished, or the input failed
        cancelled = threading.Event()

        def frames() -> Any:
            # Runs in gRPC's request thread. When the input fails (a signal that cannot be converted, the
            # caller's iterable raising) it neither raises (gRPC would log it and say only "exception
            # iterating requests") nor ends (that would half-close: a partial upload looking complete);
            # it waits for the caller's thread to cancel the call.
            try:
                yield from upload_frames(signals, frame_size, req.scoring_config(config), rescore)
            except Exception as exc:
                failure.append(exc)
                settled.set()
                cancelled.wait()
            settled.set()  # everything was sent: only the answer is left to wait for

        future = self._stub.ScoreUpload.future(frames(), timeout=timeout, metadata=call_metadata)
        pause = 0.001
        while not settled.wait(pause) and not _done(future):  # polled: not every channel has done-callbacks
            pause = min(pause * 2, 0.02)
        if failure:
            future.cancel()
            cancelled.set()
            raise failure[0]
        try:
            return future.result()  # type: ignore[no-any-return]
        except grpc.RpcError as exc:
            raise error_from_rpc_error(exc, request_id=request_id) from exc

    def get_candidate(
        self,
        id: str | None = None,
        *,
        signal_id: str | None = None,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.GetCandidateResponse:
        """One stored candidate by candidate id, or the latest one of a signal id (exactly one of them)."""
        return self._unary("GetCandidate", req.get_candidate(id, signal_id, view), timeout, metadata)  # type: ignore[no-any-return]

    def get_signal(self, signal_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata = None) -> pb.GetSignalResponse:
        """A signal as stored (author, engagement, raw content, comments...) and when it was received."""
        return self._unary("GetSignal", pb.GetSignalRequest(signal_id=signal_id), timeout, metadata)  # type: ignore[no-any-return]

    def list_candidates(
        self,
        *,
        verdicts: VerdictsLike = None,
        min_overall_score: float | None = None,
        max_overall_score: float | None = None,
        source: str = "",
        category: str = "",
        tag: str = "",
        start_time: req.TimeLike | None = None,
        end_time: req.TimeLike | None = None,
        order_by: int | str = 0,
        view: req.ViewLike = 0,
        page_size: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> Pager[candidate_pb2.ScoredCandidate, pb.ListCandidatesResponse]:
        """Every stored candidate matching the filters (a lazy pager; `.pages()` for the responses and
        `.total_size`). `verdicts` and `order_by` take names such as `"go"` or `"score_desc"`; the deadline
        applies to each page's call."""
        request = req.list_candidates(
            page_size=page_size,
            verdicts_=verdicts,
            min_overall_score=min_overall_score,
            max_overall_score=max_overall_score,
            source=source,
            category=category,
            tag=tag,
            start_time=start_time,
            end_time=end_time,
            order_by=order_by,
            view_=view,
        )

        def fetch(token: str) -> pb.ListCandidatesResponse:
            page = pb.ListCandidatesRequest()
            page.CopyFrom(request)
            page.page_token = token
            return self._unary("ListCandidates", page, timeout, metadata)  # type: ignore[no-any-return]

        return Pager(fetch, "candidates")

    def search_candidates(
        self,
        query: str,
        *,
        limit: int = 0,
        verdicts: VerdictsLike = None,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.SearchCandidatesResponse:
        """Full-text (or hybrid) search over the candidates, most relevant first."""
        return self._unary("SearchCandidates", req.search_candidates(query, limit, verdicts, view), timeout, metadata)  # type: ignore[no-any-return]

    def submit_feedback(
        self,
        candidate_id: str,
        *,
        verdict_correct: bool | None = None,
        expected_verdict: int | str | None = None,
        actual_outcome: str = "",
        rating: int = 0,
        comment: str = "",
        submitted_by: str = "",
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.SubmitFeedbackResponse:
        """Records what really happened to a candidate. Not retried (each call stores a record)."""
        request = req.submit_feedback(
            candidate_id,
            verdict_correct=verdict_correct,
            expected_verdict=expected_verdict,
            actual_outcome=actual_outcome,
            rating=rating,
            comment=comment,
            submitted_by=submitted_by,
        )
        return self._unary("SubmitFeedback", request, timeout, metadata)  # type: ignore[no-any-return]

    def get_scoring_stats(
        self,
        *,
        start_time: req.TimeLike | None = None,
        end_time: req.TimeLike | None = None,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.GetScoringStatsResponse:
        """Counts, distributions and latencies of scoring, and the service's health facts."""
        return self._unary("GetScoringStats", req.scoring_stats(start_time, end_time), timeout, metadata)  # type: ignore[no-any-return]


class AsyncScoringClient(AsyncClient):
    """Async client of the scoring service; an async context manager owning its channel. Same options and
    methods as `ScoringClient`, as coroutines; `score_stream` also takes an async iterable."""

    _messages = pb
    _stub_class = pb_grpc.ScoringServiceStub
    _service = SCORING_SERVICE
    default_target = DEFAULT_SCORING_TARGET

    async def score(
        self,
        signal: SignalLike,
        *,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.ScoreResponse:
        """Scores one signal (a `Signal` or a dict in the seed's JSON shape). `view`: `"full"` (the default
        here) or `"basic"`."""
        request = req.score(signal, config, rescore, view)
        if req.is_idempotent_scoring(request):
            return await self._unary_retried("Score", request, timeout, metadata)  # type: ignore[no-any-return]
        return await self._unary("Score", request, timeout, metadata)  # type: ignore[no-any-return]

    async def batch_score(
        self,
        signals: Iterable[SignalLike],
        *,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.BatchScoreResponse:
        """Scores up to 1,000 signals in one call; per-signal failures are in `errors`. `view`: `"basic"` (the
        default for batches) or `"full"`."""
        request = req.batch_score(signals, config, rescore, view)
        if req.is_idempotent_scoring(request):
            return await self._unary_retried("BatchScore", request, timeout, metadata)  # type: ignore[no-any-return]
        return await self._unary("BatchScore", request, timeout, metadata)  # type: ignore[no-any-return]

    def score_stream(
        self,
        signals: Iterable[StreamInput] | AsyncIterable[StreamInput],
        *,
        frame_size: int = 100,
        linger_ms: float = 5.0,
        window: int = 1_000,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        view: req.ViewLike = 0,
        timeout: float | None = None,
        metadata: Metadata = None,
        failover: int = 5,
    ) -> AsyncScoreStream:
        """`ScoringClient.score_stream` for `async for`; `signals` may be an async iterable."""
        request_id, call_metadata = self._calls.metadata(metadata)
        return AsyncScoreStream(
            self._stub.ScoreStream,
            signals,
            timeout=timeout,
            metadata=call_metadata,
            request_id=request_id,
            frame_size=frame_size,
            linger_ms=linger_ms,
            window=window,
            config=req.scoring_config(config),
            rescore=rescore,
            view=req.view(view),
            failover=failover,
        )

    async def score_upload(
        self,
        signals: Iterable[SignalLike] | AsyncIterable[SignalLike],
        *,
        frame_size: int = 1_000,
        config: req.ConfigLike | None = None,
        rescore: bool = False,
        timeout: float | None = None,
        metadata: Metadata = None,
    ) -> pb.ScoreUploadResponse:
        """Uploads `signals` in frames and returns the server's summary (no per-signal results)."""
        request_id, call_metadata = self._calls.metadata(metadata)
        call = self._stub.ScoreUpload(timeout=timeout, metadata=call_metadata)
        watch = StatusWatch(call)
        try:
            async for frame in aupload_frames(signals, frame_size, req.scoring_config(config), rescore):
                await call.write(frame)
            await call.done_writing()
            return await call  # type: ignore[no-any-return]
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc_error(await watch.real(exc), request_id=request_id) from exc
        except BaseException:
            call.cancel()
            raise

    async def get_candidate(
        self,
        id: str | None = None,
        *,
        signal_id: str | None = None,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.GetCandidateResponse:
        """One stored candidate by candidate id, or the latest one of a signal id (exactly one of them)."""
        return await self._unary("GetCandidate", req.get_candidate(id, signal_id, view), timeout, metadata)  # type: ignore[no-any-return]

    async def get_signal(
        self, signal_id: str, *, timeout: Timeout = DEFAULT, metadata: Metadata = None
    ) -> pb.GetSignalResponse:
        """A signal as stored (author, engagement, raw content, comments...) and when it was received."""
        return await self._unary("GetSignal", pb.GetSignalRequest(signal_id=signal_id), timeout, metadata)  # type: ignore[no-any-return]

    def list_candidates(
        self,
        *,
        verdicts: VerdictsLike = None,
        min_overall_score: float | None = None,
        max_overall_score: float | None = None,
        source: str = "",
        category: str = "",
        tag: str = "",
        start_time: req.TimeLike | None = None,
        end_time: req.TimeLike | None = None,
        order_by: int | str = 0,
        view: req.ViewLike = 0,
        page_size: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> AsyncPager[candidate_pb2.ScoredCandidate, pb.ListCandidatesResponse]:
        """Every stored candidate matching the filters, for `async for` (pages fetched lazily)."""
        request = req.list_candidates(
            page_size=page_size,
            verdicts_=verdicts,
            min_overall_score=min_overall_score,
            max_overall_score=max_overall_score,
            source=source,
            category=category,
            tag=tag,
            start_time=start_time,
            end_time=end_time,
            order_by=order_by,
            view_=view,
        )

        async def fetch(token: str) -> pb.ListCandidatesResponse:
            page = pb.ListCandidatesRequest()
            page.CopyFrom(request)
            page.page_token = token
            return await self._unary("ListCandidates", page, timeout, metadata)  # type: ignore[no-any-return]

        return AsyncPager(fetch, "candidates")

    async def search_candidates(
        self,
        query: str,
        *,
        limit: int = 0,
        verdicts: VerdictsLike = None,
        view: req.ViewLike = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.SearchCandidatesResponse:
        """Full-text (or hybrid) search over the candidates, most relevant first."""
        return await self._unary("SearchCandidates", req.search_candidates(query, limit, verdicts, view), timeout, metadata)  # type: ignore[no-any-return]

    async def submit_feedback(
        self,
        candidate_id: str,
        *,
        verdict_correct: bool | None = None,
        expected_verdict: int | str | None = None,
        actual_outcome: str = "",
        rating: int = 0,
        comment: str = "",
        submitted_by: str = "",
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.SubmitFeedbackResponse:
        """Records what really happened to a candidate. Not retried (each call stores a record)."""
        request = req.submit_feedback(
            candidate_id,
            verdict_correct=verdict_correct,
            expected_verdict=expected_verdict,
            actual_outcome=actual_outcome,
            rating=rating,
            comment=comment,
            submitted_by=submitted_by,
        )
        return await self._unary("SubmitFeedback", request, timeout, metadata)  # type: ignore[no-any-return]

    async def get_scoring_stats(
        self,
        *,
        start_time: req.TimeLike | None = None,
        end_time: req.TimeLike | None = None,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> pb.GetScoringStatsResponse:
        """Counts, distributions and latencies of scoring, and the service's health facts."""
        return await self._unary("GetScoringStats", req.scoring_stats(start_time, end_time), timeout, metadata)  # type: ignore[no-any-return]

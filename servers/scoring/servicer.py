"""gRPC face of the scoring service: checks requests, converts messages, and calls the ScoringEngine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass

import grpc
from prometheus_client import Gauge

from glm3.scoring.v1 import candidate_pb2, signal_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.servers.common.access import audit_note, current_principal
from glm3.servers.common.audit_rpc import list_audit_events
from glm3.servers.common.errors import FieldViolation, Glm3Error, InvalidArgument, NotFound
from glm3.servers.common.status import to_rpc_status
from glm3.servers.scoring.convert import (
    VERDICT_FROM_PB,
    candidate_to_pb,
    config_overrides,
    feedback_to_pb,
    set_timestamp,
    signal_from_pb,
    signal_to_pb,
    timestamp_to_datetime,
)
from glm3.servers.scoring.engine import Outcome, ScoringEngine
from glm3.servers.scoring.models import Feedback, ScoringConfig, Signal, new_id, utcnow
from glm3.servers.scoring.validation import ID_PATTERN, MAX_BATCH, validate_signal
from glm3.servers.storage.audit import AuditLog
from glm3.servers.storage.candidates import CandidateFilter

log = logging.getLogger("glm3.scoring")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ScoringService"].full_name
VERSION = "0.1.0"
MAX_RESULTS_PER_FRAME = 1_000
MAX_UPLOAD_ERRORS = 1_000
MAX_TEXT = 2_000
YIELD_EVERY = 64  # signals checked between two yields to the event loop
MIB = 1024 * 1024
# Bytes a candidate adds to what it copies from its signal: ids, scores, five reasonings, the verdict, the
# recommendations and the `analysis` Struct (about 1.8 KB with the heuristic; an LLM's reasoning is longer).
CANDIDATE_OVERHEAD = 8 * 1024
# A BASIC candidate besides its signal id: its own id, five scores, the overall score, the verdict and its
# one-line reason (about 200 bytes).
BASIC_CANDIDATE_BYTES = 512

_ORDERS = {
    pb.CANDIDATE_ORDER_UNSPECIFIED: "time_desc",
    pb.CANDIDATE_ORDER_TIME_DESC: "time_desc",
    pb.CANDIDATE_ORDER_TIME_ASC: "time_asc",
    pb.CANDIDATE_ORDER_SCORE_DESC: "score_desc",
    pb.CANDIDATE_ORDER_SCORE_ASC: "score_asc",
}


def _time_left(context: grpc.aio.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None or remaining > 10**8 else remaining


def prepare_signal(message: signal_pb2.Signal, prefix: str) -> tuple[Signal, list[FieldViolation]]:
    """Converts and validates; the violations name fields under `prefix`."""
    signal, violations = signal_from_pb(message, prefix)
    violations.extend(validate_signal(signal, prefix))
    return signal, violations


def response_bytes(message: signal_pb2.Signal, full: bool = True) -> int:
    """An upper bound of the encoded candidate a signal becomes: the fields it copies, and its scores,
    reasoning and analysis (CANDIDATE_OVERHEAD); in the BASIC view, its ids, scores and verdict reason.
    Comments and raw content are not copied."""
    if not full:
        return 2 * len(message.id) + BASIC_CANDIDATE_BYTES
    copied = message.ByteSize() - len(message.raw_content.encode()) - sum(len(c.encode()) + 3 for c in message.comments)
    return copied + len(message.id) + CANDIDATE_OVERHEAD


def frame_too_large(field: str, count: int) -> InvalidArgument:
    """The error that ends a stream or an upload whose frame carries more than MAX_BATCH signals."""
    return InvalidArgument(
        f"a frame carries {count:,} signals, more than {MAX_BATCH:,}: the stream is ended; send smaller frames",
        [FieldViolation(field, f"must hold 1 to {MAX_BATCH:,} signals, got {count:,}")],
        reason="FRAME_TOO_LARGE",
    )


def invalid_signal(violations: list[FieldViolation], signal_id: str) -> InvalidArgument:
    metadata = {"signal_id": signal_id} if signal_id else None
    return InvalidArgument("signal is invalid", violations, reason="INVALID_SIGNAL", metadata=metadata)


_VIEWS = {candidate_pb2.CANDIDATE_VIEW_BASIC: False, candidate_pb2.CANDIDATE_VIEW_FULL: True}


def full_view(value: int, default: bool, field: str = "view", violations: list[FieldViolation] | None = None) -> bool:
    """Whether a request's `CandidateView` asks for FULL candidates (`default` when unset). An unknown value
    is INVALID_ARGUMENT: raised, or appended to `violations` when given (the default is then returned)."""
    if value == candidate_pb2.CANDIDATE_VIEW_UNSPECIFIED:
        return default
    full = _VIEWS.get(value)
    if full is not None:
        return full
    violation = FieldViolation(field, f"must be CANDIDATE_VIEW_BASIC or CANDIDATE_VIEW_FULL, got {value}")
    if violations is None:
        raise InvalidArgument("unknown candidate view", [violation])
    violations.append(violation)
    return default


def _verdicts(values: Sequence[int], field: str) -> tuple:
    violations = [
        FieldViolation(f"{field}[{i}]", "must be VERDICT_GO, VERDICT_RESEARCH or VERDICT_PASS")
        for i, value in enumerate(values)
        if value not in VERDICT_FROM_PB
    ]
    if violations:
        raise InvalidArgument("invalid verdict filter", violations)
    return tuple(VERDICT_FROM_PB[v] for v in values)


def _author(given: str) -> str:
    """Who did it: the authenticated principal; what the caller typed only on a server without auth."""
    principal = current_principal()
    return principal.name if principal.authenticated else given


class Window:
    """Counts signals in flight on one stream; `acquire` waits while the window is full. `gauge` (the
    glm3_stream_signals_in_flight metric) follows the sum over every stream; `close` takes back what an
    interrupted stream still held."""

    def __init__(self, size: int, gauge: Gauge | None = None) -> None:
        self.size = size
        self.used = 0
        self._changed = asyncio.Condition()
        self._gauge = gauge

    async def acquire(self, count: int) -> None:
        async with self._changed:
            # A frame larger than the window still goes through, alone.
            await self._changed.wait_for(lambda: self.used == 0 or self.used + count <= self.size)
            self.used += count
            if self._gauge is not None:
                self._gauge.inc(count)

    async def release(self, count: int) -> None:
        async with self._changed:
            self.used -= count
            if self._gauge is not None:
                self._gauge.dec(count)
            self._changed.notify_all()

    def close(self) -> None:
        if self._gauge is not None:
            self._gauge.dec(self.used)
            self._gauge = None


@dataclass(slots=True)
class _Item:
    correlation_id: str
    sequence: int
    signal: Signal


class ScoringServicer(pb_grpc.ScoringServiceServicer):
    def __init__(
        self,
        engine: ScoringEngine,
        *,
        stream_window: int = 1_000,
        audit: AuditLog | None = None,
        max_response_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.engine = engine
        self.stream_window = stream_window
        self.audit = audit
        self.max_response_bytes = max_response_bytes

    # -- scoring ------------------------------------------------------------------------------------

    def _config(self, request_config: candidate_pb2.ScoringConfig, field: str) -> ScoringConfig:
        return self.engine.config_for(config_overrides(request_config), field)

    async def Score(self, request: pb.ScoreRequest, context: grpc.aio.ServicerContext) -> pb.ScoreResponse:
        if not request.HasField("signal"):
            raise InvalidArgument("signal is required", [FieldViolation("signal", "is required")])
        full = full_view(request.view, True)
        config = self._config(request.config, "config")
        signal, violations = prepare_signal(request.signal, "signal")
        if violations:
            raise invalid_signal(violations, signal.id)
        outcome = await self.engine.score_one(signal, config, rescore=request.rescore, timeout=_time_left(context))
        audit_note(target=outcome.candidate.signal_id, rescore=request.rescore, already_scored=outcome.already_scored)
        response = pb.ScoreResponse(success=True, already_scored=outcome.already_scored)
        # built in place: a nested message is copied
        candidate_to_pb(outcome.candidate, response.candidate, full=full)
        return response

    async def _score_indexed(
        self,
        messages: Sequence[signal_pb2.Signal],
        first_index: int,
        config: ScoringConfig,
        rescore: bool,
        timeout: float | None,
        field: str,
    ) -> tuple[dict[int, Outcome], list[pb.ItemError]]:
        """Scores a list of signals; returns outcomes by index and one ItemError per failed signal."""
        valid: list[Signal] = []
        indexes: list[int] = []
        errors: dict[int, pb.ItemError] = {}
        for offset, message in enumerate(messages):
            if offset and not offset % YIELD_EVERY:
                await asyncio.sleep(0)  # let other calls (health first) run between checks of a big batch
            index = first_index + offset
            signal, violations = prepare_signal(message, f"{field}[{offset}]")
            if violations:
                status = to_rpc_status(invalid_signal(violations, signal.id))
                errors[index] = pb.ItemError(index=index, signal_id=signal.id, status=status)
            else:
                valid.append(signal)
                indexes.append(index)
        outcomes: dict[int, Outcome] = {}
        async for i, result in self.engine.score_batch(valid, config, rescore=rescore, timeout=timeout):
            if isinstance(result, Glm3Error):
                errors[indexes[i]] = pb.ItemError(
                    index=indexes[i], signal_id=valid[i].id, status=to_rpc_status(result)
                )
            else:
                outcomes[indexes[i]] = result
        return outcomes, [errors[i] for i in sorted(errors)]

    async def BatchScore(
        self, request: pb.BatchScoreRequest, context: grpc.aio.ServicerContext
    ) -> pb.BatchScoreResponse:
        count = len(request.signals)
        if not 1 <= count <= MAX_BATCH:
            raise InvalidArgument(
                "batch size out of range",
                [FieldViolation("signals", f"must hold 1 to {MAX_BATCH:,} signals, got {count:,}")],
            )
        full = full_view(request.view, False)
        config = self._config(request.config, "config")
        # Refused before anything is stored: a response that cannot be sent would leave the candidates
        # stored and the call failed (and a retry would store signals without ids again).
        expected = sum(response_bytes(signal, full) for signal in request.signals)
        if expected > self.max_response_bytes:
            raise InvalidArgument(
                f"the response to these {count:,} signals would be about {expected / MIB:.1f} MiB, over the "
                f"server's {self.max_response_bytes / MIB:.0f} MiB (server.max_send_message_bytes): send fewer "
                "signals per call, or stream them with ScoreStream",
                [FieldViolation("signals", f"too many or too large for one response; {count:,} given")],
                reason="RESPONSE_TOO_LARGE",
            )
        outcomes, errors = await self._score_indexed(
            request.signals, 0, config, request.rescore, _time_left(context), "signals"
        )
        audit_note(signals=count, failed=len(errors), rescore=request.rescore)
        response = pb.BatchScoreResponse(success=not errors, errors=errors, processed=count, failed=len(errors))
        for i in sorted(outcomes):
            candidate_to_pb(outcomes[i].candidate, response.candidates.add(), full=full)
        return response

    async def ScoreUpload(
        self,
        request_iterator: AsyncIterable[pb.ScoreUploadRequest],
        context: grpc.aio.ServicerContext,
    ) -> pb.ScoreUploadResponse:
        processed = failed = 0
        errors: list[pb.ItemError] = []
        verdicts: dict[str, int] = {}
        async for frame in request_iterator:
            count = len(frame.signals)
            if count == 0:
                continue  # nothing to score, nothing to answer
            if count > MAX_BATCH:
                raise frame_too_large("signals", count)  # O(1), not one error per item
            frame_error: Glm3Error | None = None
            try:
                config = self._config(frame.config, "config")
            except InvalidArgument as exc:
                frame_error = exc
            if frame_error is not None:
                status = to_rpc_status(frame_error)
                frame_errors = [
                    pb.ItemError(index=processed + i, signal_id=s.id, status=status) for i, s in enumerate(frame.signals)
                ]
                outcomes: dict[int, Outcome] = {}
            else:
                outcomes, frame_errors = await self._score_indexed(
                    frame.signals, processed, config, frame.rescore, _time_left(context), "signals"
                )
            for outcome in outcomes.values():
                name = outcome.candidate.verdict.value
                verdicts[name] = verdicts.get(name, 0) + 1
            processed += count
            failed += len(frame_errors)
            errors.extend(frame_errors[: max(0, MAX_UPLOAD_ERRORS - len(errors))])
        audit_note(signals=processed, failed=failed)
        if processed == 0:
            raise InvalidArgument(
                "the upload carried no signal", [FieldViolation("signals", "send at least one signal")]
            )
        return pb.ScoreUploadResponse(
            success=failed == 0, errors=errors, processed=processed, failed=failed, verdict_counts=verdicts
        )

    async def ScoreStream(  # type: ignore[override]
        self,
        request_iterator: AsyncIterable[pb.ScoreStreamRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.ScoreStreamResponse]:
        window = Window(self.stream_window, self.engine.metrics.stream_in_flight)
        # A scored signal waits as (correlation id, sequence, outcome) and becomes a message only in the
        # response frame that carries it: a message nested through a constructor is copied at each level,
        # and copying a candidate costs about as much as building it.
        results: asyncio.Queue[tuple[str, int, Outcome, bool] | pb.ScoreResult | None] = asyncio.Queue()
        frames: set[asyncio.Task[None]] = set()

        def error_result(correlation_id: str, sequence: int, error: Glm3Error) -> pb.ScoreResult:
            return pb.ScoreResult(correlation_id=correlation_id, sequence=sequence, error=to_rpc_status(error))

        async def score_frame(
            items: list[_Item], config: ScoringConfig, rescore: bool, full: bool, timeout: float | None
        ) -> None:
            signals = [item.signal for item in items]
            async for i, result in self.engine.score_batch(signals, config, rescore=rescore, timeout=timeout):
                item = items[i]
                correlation_id = item.correlation_id or item.signal.id
                if isinstance(result, Glm3Error):
                    results.put_nowait(error_result(correlation_id, item.sequence, result))
                else:
                    results.put_nowait((correlation_id, item.sequence, result, full))

        async def read() -> None:
            sequence = 0
            try:
                async for request in request_iterator:
                    if request.WhichOneof("frame") != "batch":
                        continue  # an empty envelope (or a kind this server does not know) carries nothing
                    batch = request.batch
                    count = len(batch.items)
                    if count == 0:
                        continue
                    if count > MAX_BATCH:
                        # Refused whole, at once: answering each item of a frame of a million would cost
                        # the server a million errors (and block it while it built them).
                        raise frame_too_large("batch.items", count)
                    first, sequence = sequence, sequence + count
                    audit_note(signals=sequence)
                    await window.acquire(count)
                    frame_error: Glm3Error | None = None
                    full = False
                    try:
                        full = full_view(batch.view, False, "batch.view")
                        config = self._config(batch.config, "batch.config")
                    except InvalidArgument as exc:
                        frame_error = exc
                    items: list[_Item] = []
                    for offset, entry in enumerate(batch.items):
                        if offset and not offset % YIELD_EVERY:
                            await asyncio.sleep(0)  # a frame of 1,000 signals is 20-50 ms of checks
                        correlation_id = entry.correlation_id
                        if frame_error is not None:
                            results.put_nowait(error_result(correlation_id, first + offset, frame_error))
                            continue
                        violations: list[FieldViolation] = []
                        if len(correlation_id) > 128:
                            violations.append(FieldViolation("correlation_id", "must be at most 128 characters"))
                            correlation_id = correlation_id[:128]
                        if not entry.HasField("signal"):
                            violations.append(FieldViolation("signal", "is required"))
                            signal = None
                        else:
                            signal, more = prepare_signal(entry.signal, "signal")
                            violations.extend(more)
                        if violations or signal is None:
                            signal_id = signal.id if signal is not None else ""
                            error = invalid_signal(violations, signal_id)
                            results.put_nowait(error_result(correlation_id or signal_id, first + offset, error))
                        else:
                            items.append(_Item(correlation_id, first + offset, signal))
                    if items:
                        # The time left is measured when each frame is read, so late frames keep the deadline.
                        task = asyncio.create_task(score_frame(items, config, batch.rescore, full, _time_left(context)))
                        frames.add(task)
                        task.add_done_callback(frames.discard)
                if frames:
                    await asyncio.gather(*frames)
            finally:
                results.put_nowait(None)  # wakes the writer whatever happened

        reader = asyncio.create_task(read())
        try:
            finished = False
            while not finished:
                first_result = await results.get()
                if first_result is None:
                    break
                batch_results = [first_result]
                while len(batch_results) < MAX_RESULTS_PER_FRAME and not results.empty():
                    more = results.get_nowait()
                    if more is None:
                        finished = True
                        break
                    batch_results.append(more)
                response = pb.ScoreStreamResponse()
                frame = response.results.results
                for entry in batch_results:
                    if isinstance(entry, tuple):
                        correlation_id, sequence, outcome, full = entry
                        message = frame.add()  # fields set one by one: keywords cost twice as much here
                        message.correlation_id = correlation_id
                        message.sequence = sequence
                        message.already_scored = outcome.already_scored
                        candidate_to_pb(outcome.candidate, message.candidate, full=full)
                    else:
                        frame.append(entry)
                yield response
                await window.release(len(batch_results))
            await reader  # re-raises what ended the reading, if it failed
        finally:
            reader.cancel()
            for task in list(frames):
                task.cancel()
            window.close()

    # -- reading ------------------------------------------------------------------------------------

    async def GetCandidate(
        self, request: pb.GetCandidateRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCandidateResponse:
        full = full_view(request.view, True)
        which = request.WhichOneof("lookup")
        if which == "id" and request.id:
            candidate = await self.engine.store.get(request.id)
        elif which == "signal_id" and request.signal_id:
            candidate = await self.engine.store.get_by_signal(request.signal_id)
        else:
            raise InvalidArgument(
                "an id is required", [FieldViolation("id", "set id or signal_id (not empty)")]
            )
        if candidate is None:
            key = request.id or request.signal_id
            raise NotFound(f"no candidate for {which} {key!r}", reason="CANDIDATE_NOT_FOUND", metadata={which: key})
        response = pb.GetCandidateResponse()
        candidate_to_pb(candidate, response.candidate, full=full)
        return response

    async def GetSignal(self, request: pb.GetSignalRequest, context: grpc.aio.ServicerContext) -> pb.GetSignalResponse:
        if not ID_PATTERN.match(request.signal_id):
            raise InvalidArgument(
                "a valid signal id is required",
                [FieldViolation("signal_id", "must be 1 to 128 characters from A-Z a-z 0-9 . _ : -")],
            )
        found = await self.engine.store.get_signal(request.signal_id)
        if found is None:
            raise NotFound(
                f"no signal with id {request.signal_id!r}", reason="SIGNAL_NOT_FOUND", metadata={"signal_id": request.signal_id}
            )
        signal, received_at = found
        response = pb.GetSignalResponse()
        signal_to_pb(signal, response.signal)
        set_timestamp(response.received_at, received_at)
        return response

    async def ListCandidates(
        self, request: pb.ListCandidatesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCandidatesResponse:
        violations: list[FieldViolation] = []
        if not 0 <= request.page_size <= 1_000:
            violations.append(FieldViolation("page_size", f"must be 0 to 1,000, got {request.page_size}"))
        low = request.min_overall_score if request.HasField("min_overall_score") else None
        high = request.max_overall_score if request.HasField("max_overall_score") else None
        for name, value in (("min_overall_score", low), ("max_overall_score", high)):
            if value is not None and not 0.0 <= value <= 100.0:
                violations.append(FieldViolation(name, f"must be 0 to 100, got {value:g}"))
        if low is not None and high is not None and high < low:
            violations.append(FieldViolation("max_overall_score", "must not be below min_overall_score"))
        start = timestamp_to_datetime(request.start_time, "start_time", violations) if request.HasField("start_time") else None
        end = timestamp_to_datetime(request.end_time, "end_time", violations) if request.HasField("end_time") else None
        if start is not None and end is not None and end <= start:
            violations.append(FieldViolation("end_time", "must be after start_time"))
        if request.order_by not in _ORDERS:
            violations.append(FieldViolation("order_by", "unknown order"))
        full = full_view(request.view, True, violations=violations)
        if violations:
            raise InvalidArgument("invalid list request", violations)
        filters = CandidateFilter(
            verdicts=_verdicts(request.verdicts, "verdicts"),
            min_overall_score=low,
            max_overall_score=high,
            source=request.source,
            category=request.category,
            tag=request.tag,
            start_time=start,
            end_time=end,
        )
        candidates, token, total = await self.engine.store.list(
            filters, _ORDERS[request.order_by], request.page_size or 50, request.page_token
        )
        response = pb.ListCandidatesResponse(next_page_token=token, total_size=total)
        for candidate in candidates:
            candidate_to_pb(candidate, response.candidates.add(), full=full)
        return response

    async def SearchCandidates(
        self, request: pb.SearchCandidatesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchCandidatesResponse:
        violations = []
        if not request.query.strip() or len(request.query) > 512:
            violations.append(FieldViolation("query", "must be 1 to 512 characters, not blank"))
        if not 0 <= request.limit <= 100:
            violations.append(FieldViolation("limit", f"must be 0 to 100, got {request.limit}"))
        full = full_view(request.view, True, violations=violations)
        if violations:
            raise InvalidArgument("invalid search request", violations)
        hits, mode = await self.engine.store.search(
            request.query, request.limit or 20, _verdicts(request.verdicts, "verdicts")
        )
        response = pb.SearchCandidatesResponse(mode=mode)
        for candidate, score in hits:
            candidate_to_pb(candidate, response.hits.add(relevance=score).candidate, full=full)
        return response

    async def SubmitFeedback(
        self, request: pb.SubmitFeedbackRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitFeedbackResponse:
        violations = []
        if not request.candidate_id:
            violations.append(FieldViolation("candidate_id", "is required"))
        if request.expected_verdict and request.expected_verdict not in VERDICT_FROM_PB:
            violations.append(FieldViolation("expected_verdict", "unknown verdict"))
        if not 0 <= request.rating <= 5:
            violations.append(FieldViolation("rating", f"must be 0 (not rated) to 5, got {request.rating}"))
        for name, limit in (("actual_outcome", MAX_TEXT), ("comment", MAX_TEXT), ("submitted_by", 256)):
            if len(getattr(request, name)) > limit:
                violations.append(FieldViolation(name, f"must be at most {limit:,} characters"))
        if violations:
            raise InvalidArgument("invalid feedback", violations)
        candidate = await self.engine.store.get(request.candidate_id)
        if candidate is None:
            raise NotFound(
                f"no candidate {request.candidate_id!r}",
                reason="CANDIDATE_NOT_FOUND",
                metadata={"candidate_id": request.candidate_id},
            )
        now = utcnow()
        feedback = Feedback(
            id=new_id("feedback", now),
            timestamp=now,
            candidate_id=request.candidate_id,
            verdict_correct=request.verdict_correct if request.HasField("verdict_correct") else None,
            expected_verdict=VERDICT_FROM_PB.get(request.expected_verdict),
            actual_outcome=request.actual_outcome,
            rating=request.rating,
            comment=request.comment,
            submitted_by=_author(request.submitted_by),
        )
        await self.engine.store.add_feedback(feedback, candidate.verdict)
        return pb.SubmitFeedbackResponse(feedback=feedback_to_pb(feedback))

    async def GetScoringStats(
        self, request: pb.GetScoringStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetScoringStatsResponse:
        violations: list[FieldViolation] = []
        start = timestamp_to_datetime(request.start_time, "start_time", violations) if request.HasField("start_time") else None
        end = timestamp_to_datetime(request.end_time, "end_time", violations) if request.HasField("end_time") else None
        if violations:
            raise InvalidArgument("invalid time range", violations)
        engine = self.engine
        try:
            stored = await engine.store.stats(start, end)
            store_reachable = True
        except Exception:
            log.exception("stats query failed")
            stored, store_reachable = None, False
        p50, p90, p99, samples = engine.latency_summary()
        llm = engine.llm
        brain_connected = bool(llm is not None and getattr(llm, "last_call_ok", None))
        problem = engine.store.database.problem
        store_reachable = store_reachable and engine.store.reachable and not problem
        degraded = not store_reachable or (llm is not None and getattr(llm, "last_call_ok", None) is False)
        response = pb.GetScoringStatsResponse(
            scoring_latency=pb.LatencySummary(p50_ms=p50, p90_ms=p90, p99_ms=p99, count=samples),
            llm_calls=int(getattr(llm, "calls", 0)) if llm is not None else 0,
            llm_fallbacks=int(getattr(llm, "fallbacks", 0)) if llm is not None else 0,
            llm_skipped=int(getattr(llm, "circuit_skips", 0)) if llm is not None else 0,
            llm_circuit_open=bool(getattr(llm, "circuit_open", False)) if llm is not None else False,
            health=pb.ScoringHealth(
                status="degraded" if degraded else "ok",
                service="scoring-engine",
                version=VERSION,
                brain_connected=brain_connected,
                llm_configured=llm is not None,
                queue_size=engine.in_flight,
                store_reachable=store_reachable,
                storage_problem=problem,
            ),
        )
        if stored is not None:
            response.candidates_total = stored.candidates_total
            response.verdict_counts.update(stored.verdict_counts)
            response.scorer_counts.update(stored.scorer_counts)
            response.score_distribution.extend(
                pb.HistogramBucket(lower=10.0 * i, upper=10.0 * (i + 1), count=n)
                for i, n in enumerate(stored.score_histogram)
            )
            response.mean_overall_score = stored.mean_overall_score
            response.feedback_count = stored.feedback_count
            response.feedback_agreement_rate = stored.feedback_agreement_rate
        return response

    async def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuditEventsResponse:
        return await list_audit_events(self.audit, request, pb.ListAuditEventsResponse)

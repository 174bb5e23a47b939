"""Streaming helpers: the `score_stream` producer (sync and async) and wrappers of server streams.

`score_stream` works like a Kafka producer. Signals are pulled from the caller's iterable and batched into
`ScoreStreamRequest` frames: a frame is sent when it holds `frame_size` signals or `linger_ms` have passed
since its first signal, whichever comes first (with `linger_ms=0`, as soon as the sender is free; frames
that queued up meanwhile are merged up to `frame_size`). At most `window` signals are in flight: pulled
from the input and not yet handed back to the caller as a result. While the window is full nothing more is
pulled, so memory stays bounded by the window whatever the input size, and a consumer that reads results
slowly slows the producer down instead of piling results up. Results come back as they are ready, out of
order, each mapped back to its input by `StreamResult.index` (and by correlation id).

A signal that cannot even be converted (a dict with an unknown key, a bad timestamp) is not sent: its
result carries an `InvalidArgumentError` from this library (domain `glm3.client`) and the stream goes on, as
the server does for an invalid signal. A per-item UNAVAILABLE (the store was unreachable) is a result like
any other: the caller decides whether to send that signal again.

Failover: when the call itself breaks (UNAVAILABLE: the replica died, the connection was reset, the server
drains for shutdown), a new call is made after a short pause (exponential from 0.1 s to 2 s, jittered; with
several targets the channel's round_robin puts it on a replica that is up) and the signals the broken call
left unanswered are sent on it first, then the rest of the input. Resending is safe because a signal id is
an idempotency key: a signal the dead replica had already committed is answered `already_scored` with the
stored candidate. Signals without an id, and every signal of a `rescore` stream, are not sent twice (that
would score a new candidate, or make a second version): their result is an `UnavailableError` with reason
`STREAM_BROKEN` (domain `glm3.client`), and the stream goes on. Every input gets exactly one result. After
`failover` new calls in a row that brought no result (default 5), or once the stream's `timeout` has passed
(it covers every call, not each), the iteration ends with the call's typed exception; any other failure of
the call (deadline, permission, ...) ends it at once. Closing the stream, cancelling the task iterating it,
or dropping it cancels the call. `failovers` and `resent` count what happened.

`StreamResult.sequence` is the signal's position in the call that answered it (each call numbers from 0).

Sync flavour: the sync gRPC stream consumes a request iterator in a thread of its own; one more thread pulls
the caller's iterable (so `linger_ms` holds even when that iterable blocks, e.g. reading a pipe) and one
reads responses. The caller's thread only takes finished results from a queue. A thread blocked inside the
caller's iterable cannot be interrupted: it ends after that iterable returns its next item.

Async flavour: one task pulls (from an iterable or an async iterable; a plain iterable is read on the event
loop, so it must not block), one writes frames, one reads results; the caller's `async for` takes results.
"""

from __future__ import annotations

import asyncio
import collections
import queue
import random
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

import grpc

from glm3.client.enums import Verdict
from glm3.client.errors import (
    CLIENT_DOMAIN,
    Glm3Error,
    InvalidArgumentError,
    UnavailableError,
    error_from_rpc_error,
    error_from_status,
)
from glm3.client.signals import SignalLike, to_signal
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb

__all__ = ["AsyncScoreStream", "AsyncServerStream", "ScoreStream", "ServerStream", "StreamInput", "StreamResult"]

T = TypeVar("T")
StreamInput: TypeAlias = SignalLike | pb.StreamSignal
MAX_FRAME = 1_000  # the server's limit of signals per frame


@dataclass(frozen=True, slots=True)
class StreamResult:
    """The outcome of one streamed signal: a `candidate`, or an `error` (a typed `Glm3Error`), never both.

    `index` is the signal's position in the input; `correlation_id` the one sent (the input's own for a
    `StreamSignal`, else the signal's id, else the index as a string); `signal_id` the candidate's signal id
    (assigned by the server when the input had none) or, for an error, the input's id (maybe empty);
    `sequence` the server's position of the signal in the call that answered it (-1 when it was never
    sent). A result whose sequence matches no signal waiting (a server bug) has `index` -1.
    """

    index: int
    correlation_id: str
    signal_id: str
    candidate: candidate_pb2.ScoredCandidate | None = None
    error: Glm3Error | None = None
    already_scored: bool = False
    sequence: int = -1

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def verdict(self) -> Verdict | None:
        """The candidate's verdict by name (`Verdict.GO` prints `GO`); None for an error."""
        return Verdict(self.candidate.verdict) if self.candidate is not None else None

    def unwrap(self) -> candidate_pb2.ScoredCandidate:
        """The candidate, or raise the error."""
        if self.error is not None:
            raise self.error
        assert self.candidate is not None
        return self.candidate


class _End:
    """Marks the end of a queue's stream."""


_END = _End()

FAILOVER_BASE_S = 0.1  # the pause before the first new call after a broken stream; doubles up to the cap
FAILOVER_CAP_S = 2.0


def _check_settings(frame_size: int, linger_ms: float, window: int, failover: int) -> None:
    if not 1 <= frame_size <= MAX_FRAME:
        raise ValueError(f"frame_size must be 1 to {MAX_FRAME:,} (the server's limit per frame)")
    if linger_ms < 0:
        raise ValueError("linger_ms must not be negative")
    if window < 1:
        raise ValueError("window must be at least 1")
    if failover < 0:
        raise ValueError("failover must not be negative (0: a broken stream is not reopened)")


def breaks_stream(error: Glm3Error) -> bool:
    """Whether a failed call lost its server rather than being refused by it: UNAVAILABLE (connection lost,
    reset, refused, or a server draining for shutdown), or grpc.aio's INTERNAL "Internal error from Core"
    that stands for a failed write on a connection that went away (grpc/grpc#36066)."""
    return error.code == grpc.StatusCode.UNAVAILABLE or (
        error.code == grpc.StatusCode.INTERNAL and error.message == _CORE_INTERNAL
    )


@dataclass(slots=True)
class _Pending:
    index: int
    correlation_id: str
    signal_id: str
    message: pb.StreamSignal


@dataclass(slots=True)
class _Leg:
    """One call of a stream. The server numbers the signals of a call from 0 in the order it gets them, so
    `sent[sequence]` is the key of the signal a result of this call answers."""

    sent: list[int] = field(default_factory=list)
    dead: bool = False


class _Flow:
    """State shared by both flavours: counters, the pending signals, building frames and results, and
    what a failover resends."""

    def __init__(
        self,
        method: Any,
        signals: Any,
        *,
        timeout: float | None,
        metadata: Sequence[tuple[str, str]],
        request_id: str,
        frame_size: int,
        linger_ms: float,
        window: int,
        config: candidate_pb2.ScoringConfig | None,
        rescore: bool,
        failover: int,
        view: int = 0,
    ) -> None:
        _check_settings(frame_size, linger_ms, window, failover)
        self._method = method  # the ScoreStream multi-callable (sync or grpc.aio)
        self._signals = signals
        self._metadata = metadata
        self.frame_size = frame_size
        self.linger = linger_ms / 1000.0
        self.window = window
        self.config = config
        self.rescore = rescore
        self.view = view  # CandidateView of every frame (0: the server's default for streams, BASIC)
        self.request_id = request_id
        self.failover = failover
        self.timeout = timeout
        self.deadline: float | None = None  # set when the stream starts
        # Counters, readable at any time (a progress bar, a test of the window).
        self.in_flight = 0  # pulled from the input, result not yet handed to the caller
        self.peak_in_flight = 0
        self.pulled = 0
        self.sent = 0
        self.received = 0
        self.failed = 0
        self.failovers = 0  # new calls made after a broken one
        self.resent = 0  # signals sent again on such a call
        self._key = 0
        self._pending: dict[int, _Pending] = {}

    @property
    def unanswered(self) -> int:
        """Signals sent (or queued to be sent) whose result has not come back."""
        return len(self._pending)

    def start(self) -> None:
        self.deadline = None if self.timeout is None else time.monotonic() + self.timeout

    def remaining(self) -> float | None:
        """The time left of the stream's deadline, for the next call (a failover does not extend it)."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def take(self, item: StreamInput, index: int) -> int | StreamResult:
        """The key of one input's frame item, now pending; or its local error result."""
        try:
            if isinstance(item, pb.StreamSignal):
                signal_id = item.signal.id
                correlation_id = item.correlation_id or signal_id or str(index)
                if not item.correlation_id:
                    item = pb.StreamSignal(correlation_id=correlation_id, signal=item.signal)
                stream_signal = item
            else:
                signal = to_signal(item)
                signal_id = signal.id
                correlation_id = signal_id or str(index)
                stream_signal = pb.StreamSignal(correlation_id=correlation_id, signal=signal)
        except InvalidArgumentError as exc:
            raw_id = item.get("id") if isinstance(item, Mapping) else None
            signal_id = raw_id if isinstance(raw_id, str) else ""
            return StreamResult(index, signal_id or str(index), signal_id, error=exc)
        key = self._key
        self._key += 1
        self._pending[key] = _Pending(index, correlation_id, signal_id, stream_signal)
        return key

    def request(self, keys: Sequence[int]) -> pb.ScoreStreamRequest:
        pending = self._pending
        items = [pending[key].message for key in keys]
        return pb.ScoreStreamRequest(batch=pb.SignalBatch(items=items, config=self.config, rescore=self.rescore, view=self.view))

    def results(self, response: pb.ScoreStreamResponse, leg: _Leg) -> list[StreamResult]:
        if response.WhichOneof("frame") != "results":
            return []  # a frame kind this client does not know
        out = []
        sent = leg.sent
        for result in response.results.results:
            sequence = result.sequence
            pending = self._pending.pop(sent[sequence], None) if 0 <= sequence < len(sent) else None
            if pending is None:  # answers no signal of ours still waiting (a server bug): handed out as is
                index, correlation_id, signal_id = -1, result.correlation_id, ""
            else:
                index, correlation_id, signal_id = pending.index, pending.correlation_id, pending.signal_id
            outcome = result.WhichOneof("outcome")
            if outcome == "candidate":
                out.append(
                    StreamResult(
                        index,
                        correlation_id,
                        result.candidate.signal_id,
                        candidate=result.candidate,
                        already_scored=result.already_scored,
                        sequence=sequence,
                    )
                )
            else:
                error = (
                    error_from_status(result.error)
                    if outcome == "error"
                    else Glm3Error("the server sent a result with neither a candidate nor an error")
                )
                out.append(StreamResult(index, correlation_id, signal_id, error=error, sequence=sequence))
        return out

    def may_fail_over(self, error: Glm3Error, attempt: int) -> bool:
        """Whether a call that ended with `error` is followed by a new one (the `attempt`-th in a row
        without a result in between)."""
        if attempt >= self.failover or not breaks_stream(error):
            return False
        remaining = self.remaining()
        return remaining is None or remaining > 0

    def fail_over(self, leg: _Leg, error: Glm3Error) -> tuple[list[int], list[StreamResult]]:
        """After `leg` broke: the keys of its unanswered signals to send again, in their order, and the
        results of those that must not be sent twice (a rescore makes a new version each time it arrives;
        a signal without an id would be scored again under a new id). The caller decides about those."""
        leg.dead = True
        resend: list[int] = []
        refused: list[StreamResult] = []
        for key in leg.sent:
            pending = self._pending.get(key)
            if pending is None:
                continue
            if pending.signal_id and not self.rescore:
                resend.append(key)
                continue
            del self._pending[key]
            why = "rescore is on: a rescore sent twice makes two versions" if self.rescore else (
                "it has no id: sent again it would be scored again under a new id"
            )
            refused.append(
                StreamResult(
                    pending.index,
                    pending.correlation_id,
                    pending.signal_id,
                    error=UnavailableError(
                        f"the stream broke before this signal's result arrived ({error.message}); it was not sent"
                        f" again because {why}: the server may or may not have scored it",
                        code=grpc.StatusCode.UNAVAILABLE,
                        reason="STREAM_BROKEN",
                        domain=CLIENT_DOMAIN,
                    ),
                )
            )
        self.resent += len(resend)
        return resend, refused

    @staticmethod
    def pause(attempt: int) -> float:
        """The pause before the `attempt`-th new call in a row: exponential, capped, jittered (so producers
        that lost the same replica do not all arrive at the next one at the same instant)."""
        return min(FAILOVER_CAP_S, FAILOVER_BASE_S * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def handed_out(self, result: StreamResult) -> None:
        self.received += 1
        if result.error is not None:
            self.failed += 1

    def check_complete(self) -> None:
        if self._pending:
            raise Glm3Error(
                f"the server ended the stream with {len(self._pending):,} signals unanswered",
                request_id=self.request_id,
            )


class _SyncFlow(_Flow):
    """The sync machinery: a pulling thread, gRPC's request thread building frames, a thread that reads
    results and makes a new call when one breaks.

    Those threads hold this object, never the public `ScoreStream`, so a caller that drops the stream
    without closing it lets it be collected, which closes its generator and so cancels the call.
    """

    def __init__(self, method: grpc.StreamStreamMultiCallable, signals: Iterable[StreamInput], **settings: Any) -> None:
        super().__init__(method, signals, **settings)
        self._cv = threading.Condition()
        self._closed = threading.Event()
        self._queue: collections.deque[int] = collections.deque()  # keys to send, guarded by _cv
        self._input_done = False
        self._out: queue.SimpleQueue[StreamResult | _End | BaseException] = queue.SimpleQueue()
        self._call: Any = None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def stop(self) -> None:
        """Stops pulling, cancels the call, wakes every thread (and a caller waiting for a result)."""
        self._closed.set()
        if self._call is not None:
            self._call.cancel()
        with self._cv:
            self._cv.notify_all()
        self._out.put(_END)  # wakes the caller if it waits for a result

    def _pull(self) -> None:
        cv = self._cv
        try:
            iterator = iter(self._signals)
            index = 0
            while True:
                with cv:
                    while self.in_flight >= self.window and not self._closed.is_set():
                        cv.wait()
                if self._closed.is_set():
                    return
                try:
                    item = next(iterator)
                except StopIteration:
                    break
                if self._closed.is_set():
                    return
                self.pulled += 1
                with cv:
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    taken = self.take(item, index)
                    if not isinstance(taken, StreamResult):
                        self._queue.append(taken)
                        cv.notify_all()
                index += 1
                if isinstance(taken, StreamResult):
                    self._out.put(taken)
        except BaseException as exc:  # the caller's iterable failed: the stream fails with its exception
            self._out.put(exc)
        finally:
            with cv:
                self._input_done = True
                cv.notify_all()

    def _requests(self, leg: _Leg) -> Iterator[pb.ScoreStreamRequest]:
        # Runs in the thread gRPC uses to consume requests. Ends (half-closing the call) once the input is
        # done and every key is sent, or when the call broke (its keys then wait for the next call).
        cv, keys = self._cv, self._queue
        while True:
            with cv:
                while not keys and not self._input_done and not leg.dead and not self._closed.is_set():
                    cv.wait()
                if leg.dead or self._closed.is_set() or not keys:
                    return
                frame = [keys.popleft()]
                deadline = time.monotonic() + self.linger
                while len(frame) < self.frame_size:
                    if keys:
                        frame.append(keys.popleft())
                        continue
                    remaining = deadline - time.monotonic()
                    if self._input_done or leg.dead or self._closed.is_set() or remaining <= 0:
                        break
                    cv.wait(remaining)
                if leg.dead:  # broke while this frame gathered: its keys go to the next call first
                    keys.extendleft(reversed(frame))
                    return
                leg.sent.extend(frame)
                self.sent += len(frame)
                request = self.request(frame)
            yield request

    def _drive(self) -> None:
        """Makes the call and reads its results; when it breaks, makes another that resends what the
        broken one left unanswered (up to `failover` calls in a row without a result between them)."""
        attempt = 0
        try:
            while True:
                leg = _Leg()
                call = self._method(self._requests(leg), timeout=self.remaining(), metadata=self._metadata)
                self._call = call
                if self._closed.is_set():
                    call.cancel()
                    return
                try:
                    for response in call:
                        results = self.results(response, leg)
                        if results:
                            attempt = 0
                        for result in results:
                            self._out.put(result)
                    self._out.put(_END)
                    return
                except grpc.RpcError as exc:
                    if self._closed.is_set():
                        return
                    error = error_from_rpc_error(exc, request_id=self.request_id)
                    if not self.may_fail_over(error, attempt):
                        self._out.put(error)
                        return
                with self._cv:
                    resend, refused = self.fail_over(leg, error)
                    self._queue.extendleft(reversed(resend))
                    self._cv.notify_all()
                for result in refused:
                    self._out.put(result)
                attempt += 1
                if self._closed.wait(self.pause(attempt)):
                    return
                self.failovers += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self._out.put(exc)

    def run(self) -> Generator[StreamResult, None, None]:
        self.start()
        threading.Thread(target=self._pull, name="glm3-score-stream-pull", daemon=True).start()
        threading.Thread(target=self._drive, name="glm3-score-stream-read", daemon=True).start()
        try:
            while True:
                item = self._out.get()
                if isinstance(item, _End):
                    if self._closed.is_set():
                        return
                    break
                if isinstance(item, BaseException):
                    raise item
                if item.index >= 0:  # not a stray result the server sent for no signal of ours
                    with self._cv:
                        self.in_flight -= 1
                        self._cv.notify_all()
                self.handed_out(item)
                yield item
            self.check_complete()
        finally:
            self.stop()


class _AsyncFlow(_Flow):
    """The async machinery: a pulling task, and per call a writing and a reading task (a new call when one
    breaks). They hold this object, never the public `AsyncScoreStream`, so a stream the caller drops is
    collected and its generator finalised (which cancels the call) even when nobody called `aclose()`."""

    def __init__(
        self,
        method: grpc.aio.StreamStreamMultiCallable,
        signals: Iterable[StreamInput] | AsyncIterable[StreamInput],
        **settings: Any,
    ) -> None:
        super().__init__(method, signals, **settings)
        self._closed = False
        self._call: Any = None
        self._out: asyncio.Queue[StreamResult | _End | BaseException] | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def stop(self) -> None:
        """Stops pulling and cancels the call; wakes a task waiting for a result."""
        self._closed = True
        if self._call is not None:
            self._call.cancel()
        if self._out is not None:
            self._out.put_nowait(_END)

    async def run(self) -> AsyncGenerator[StreamResult, None]:
        self.start()
        loop = asyncio.get_running_loop()
        out: asyncio.Queue[StreamResult | _End | BaseException] = asyncio.Queue()
        self._out = out
        space = asyncio.Event()
        sealed: collections.deque[list[int]] = collections.deque()  # frames of keys, ready to send
        sealed_ready = asyncio.Event()
        input_done = False
        frame: list[int] = []
        timer: asyncio.TimerHandle | None = None

        def seal() -> None:
            nonlocal frame, timer
            if timer is not None:
                timer.cancel()
                timer = None
            if frame:
                sealed.append(frame)
                frame = []
                sealed_ready.set()

        async def pull() -> None:
            nonlocal timer, input_done
            is_async = isinstance(self._signals, AsyncIterable)
            iterator: Any = aiter(self._signals) if is_async else iter(self._signals)  # type: ignore[arg-type]
            index = 0
            started = 0.0
            try:
                while True:
                    if self.in_flight >= self.window:
                        seal()  # never wait for results of signals still held here
                        while self.in_flight >= self.window:
                            space.clear()
                            await space.wait()
                    if is_async:
                        try:
                            item = await anext(iterator)
                        except StopAsyncIteration:
                            break
                    else:
                        try:
                            item = next(iterator)
                        except StopIteration:
                            break
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    self.pulled += 1
                    taken = self.take(item, index)
                    index += 1
                    if isinstance(taken, StreamResult):
                        out.put_nowait(taken)
                        continue
                    frame.append(taken)
                    if len(frame) == 1:
                        started = loop.time()
                        if self.linger > 0 and is_async:
                            timer = loop.call_later(self.linger, seal)
                    if (
                        len(frame) >= self.frame_size
                        or self.linger == 0
                        or (not is_async and loop.time() - started >= self.linger)
                    ):
                        seal()
                        if not is_async:
                            await asyncio.sleep(0)  # a plain iterable never lets the writer run otherwise
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # the caller's iterable failed: the stream fails with its exception
                out.put_nowait(exc)
                return
            seal()
            input_done = True
            sealed_ready.set()

        async def write(call: Any, leg: _Leg) -> None:
            try:
                while True:
                    while not sealed and not input_done:
                        sealed_ready.clear()
                        await sealed_ready.wait()
                    if not sealed:
                        await call.done_writing()
                        return
                    batch = sealed.popleft()
                    while sealed and len(batch) + len(sealed[0]) <= self.frame_size:
                        batch = batch + sealed.popleft()
                    leg.sent.extend(batch)
                    self.sent += len(batch)
                    await call.write(self.request(batch))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not call.done():  # when the call ended, the reader reports why
                    out.put_nowait(exc)

        async def drive() -> None:
            """Makes the call and reads its results; when it breaks, makes another that resends what the
            broken one left unanswered (up to `failover` calls in a row without a result between them)."""
            attempt = 0
            while True:
                leg = _Leg()
                call = self._call = self._method(timeout=self.remaining(), metadata=self._metadata)
                watch = StatusWatch(call)
                writer = asyncio.create_task(write(call, leg))
                try:
                    while True:
                        response = await call.read()
                        if response is grpc.aio.EOF:
                            break
                        results = self.results(response, leg)
                        if results:
                            attempt = 0
                        for result in results:
                            out.put_nowait(result)
                    out.put_nowait(_END)
                    return
                except grpc.aio.AioRpcError as exc:
                    if self._closed:
                        return
                    error = error_from_rpc_error(await watch.real(exc), request_id=self.request_id)
                    if not self.may_fail_over(error, attempt):
                        out.put_nowait(error)
                        return
                finally:
                    writer.cancel()
                    await asyncio.gather(writer, return_exceptions=True)
                resend, refused = self.fail_over(leg, error)
                for start in range(len(resend) - 1 - (len(resend) - 1) % self.frame_size, -1, -self.frame_size):
                    sealed.appendleft(resend[start : start + self.frame_size])  # the last frame first
                sealed_ready.set()
                for result in refused:
                    out.put_nowait(result)
                attempt += 1
                await asyncio.sleep(self.pause(attempt))
                if self._closed:
                    return
                self.failovers += 1

        tasks = [asyncio.create_task(pull()), asyncio.create_task(drive())]
        try:
            while True:
                item = await out.get()
                if isinstance(item, _End):
                    if self._closed:
                        return
                    break
                if isinstance(item, BaseException):
                    raise item
                if item.index >= 0:  # not a stray result the server sent for no signal of ours
                    self.in_flight -= 1
                    space.set()
                self.handed_out(item)
                yield item
            self.check_complete()
        finally:
            self._closed = True
            if timer is not None:
                timer.cancel()
            if self._call is not None:
                self._call.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


_CORE_INTERNAL = "Internal error from Core"


def _now(awaitable: Any) -> Any:
    """The value of a coroutine that finishes without suspending (a finished call's status accessors)."""
    try:
        awaitable.send(None)
    except StopIteration as done:
        return done.value
    awaitable.close()
    raise RuntimeError("the call has no status yet")


class StatusWatch:
    """Keeps the status a grpc.aio client-streaming call really ended with (grpc/grpc#36066).

    When a server ends a call while the client writes (an abort mid-stream), the failed write makes
    grpc.aio set the call's status to INTERNAL "Internal error from Core", replacing the server's status
    (UNAVAILABLE "draining", say) or being replaced by it, depending on which the event loop handles
    first. Every status set runs the call's done callbacks, so recording them there keeps the real one.
    """

    def __init__(self, call: Any) -> None:
        self._seen: list[grpc.aio.AioRpcError] = []
        call.add_done_callback(self._record)

    def _record(self, call: Any) -> None:
        try:
            code, details = _now(call.code()), _now(call.details())
            if code in (grpc.StatusCode.OK, grpc.StatusCode.CANCELLED) or details == _CORE_INTERNAL:
                return
            self._seen.append(
                grpc.aio.AioRpcError(
                    code, _now(call.initial_metadata()), _now(call.trailing_metadata()), details, _now(call.debug_error_string())
                )
            )
        except Exception:  # noqa: BLE001 - a grpc version where this does not hold: keep what gRPC says
            return

    async def real(self, error: grpc.aio.AioRpcError) -> grpc.aio.AioRpcError:
        """`error`, or the server's own status when `error` is the INTERNAL that hid it."""
        if error.code() != grpc.StatusCode.INTERNAL or error.details() != _CORE_INTERNAL:
            return error
        for _ in range(50):  # the server's status may still be on its way through the event loop
            if self._seen:
                return self._seen[0]
            await asyncio.sleep(0.002)
        return error


class _Counters:
    """Counters of a stream, readable at any time (a progress bar, a test of the window): `in_flight`
    (pulled from the input, result not yet handed out), `peak_in_flight`, `pulled`, `sent` (resends
    included), `received`, `failed` (results carrying an error), `unanswered` (sent, no result back yet),
    `failovers` (new calls made after a broken one) and `resent` (signals sent again on them)."""

    _flow: _Flow

    @property
    def in_flight(self) -> int:
        return self._flow.in_flight

    @property
    def peak_in_flight(self) -> int:
        return self._flow.peak_in_flight

    @property
    def pulled(self) -> int:
        return self._flow.pulled

    @property
    def sent(self) -> int:
        return self._flow.sent

    @property
    def received(self) -> int:
        return self._flow.received

    @property
    def failed(self) -> int:
        return self._flow.failed

    @property
    def unanswered(self) -> int:
        return self._flow.unanswered

    @property
    def failovers(self) -> int:
        return self._flow.failovers

    @property
    def resent(self) -> int:
        return self._flow.resent

    @property
    def window(self) -> int:
        return self._flow.window


class ScoreStream(_Counters):
    """Sync `score_stream`: iterate it for `StreamResult`s. `close()`, leaving a `with`, or dropping the
    stream cancels the call. Nothing happens until iteration starts."""

    def __init__(self, method: grpc.StreamStreamMultiCallable, signals: Iterable[StreamInput], **settings: Any) -> None:
        self._flow: _SyncFlow = _SyncFlow(method, signals, **settings)
        self._gen: Generator[StreamResult, None, None] | None = None

    def __iter__(self) -> ScoreStream:
        return self

    def __next__(self) -> StreamResult:
        if self._gen is None:
            if self._flow.closed:
                raise StopIteration
            self._gen = self._flow.run()
        return next(self._gen)

    def __enter__(self) -> ScoreStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops pulling input and cancels the call; results not yet taken are dropped. May be called from
        another thread while one waits for a result: that one then stops iterating."""
        self._flow.stop()
        if self._gen is not None:
            try:
                self._gen.close()
            except ValueError:
                pass  # running in another thread, which stop() woke

    cancel = close


class AsyncScoreStream(_Counters):
    """Async `score_stream`: `async for` it for `StreamResult`s. `aclose()`, leaving an `async with`,
    cancelling the task that iterates, or dropping the stream cancels the call. Nothing happens until
    iteration starts."""

    def __init__(
        self,
        method: grpc.aio.StreamStreamMultiCallable,
        signals: Iterable[StreamInput] | AsyncIterable[StreamInput],
        **settings: Any,
    ) -> None:
        self._flow: _AsyncFlow = _AsyncFlow(method, signals, **settings)
        self._gen: AsyncGenerator[StreamResult, None] | None = None

    def __aiter__(self) -> AsyncScoreStream:
        return self

    async def __anext__(self) -> StreamResult:
        if self._gen is None:
            if self._flow.closed:
                raise StopAsyncIteration
            self._gen = self._flow.run()
        return await self._gen.__anext__()

    async def __aenter__(self) -> AsyncScoreStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stops pulling input and cancels the call; results not yet taken are dropped."""
        self._flow.stop()
        if self._gen is not None:
            try:
                await self._gen.aclose()
            except RuntimeError:
                pass  # another task is iterating; stop() woke it and it ends its iteration

    cancel = aclose


class ServerStream(Generic[T]):
    """A server stream (`watch_health`, `watch_alerts`): iterate for messages; `close()` cancels the call.
    A failure ends the iteration with its typed exception; a close from this side just ends it."""

    def __init__(self, call: Any, request_id: str) -> None:
        self._call = call
        self._request_id = request_id
        self._closed = False

    def __iter__(self) -> ServerStream[T]:
        return self

    def __next__(self) -> T:
        if self._closed:
            raise StopIteration
        try:
            return next(self._call)  # type: ignore[no-any-return]
        except grpc.RpcError as exc:
            if self._closed:
                raise StopIteration from None
            raise error_from_rpc_error(exc, request_id=self._request_id) from exc

    def __enter__(self) -> ServerStream[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._call.cancel()

    cancel = close


class AsyncServerStream(Generic[T]):
    """A server stream for `async for`; `aclose()` cancels the call."""

    def __init__(self, call: Any, request_id: str) -> None:
        self._call = call
        self._request_id = request_id
        self._closed = False

    def __aiter__(self) -> AsyncServerStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        try:
            message = await self._call.read()
        except grpc.aio.AioRpcError as exc:
            if self._closed or exc.code() == grpc.StatusCode.CANCELLED and self._call.cancelled():
                raise StopAsyncIteration from None
            raise error_from_rpc_error(exc, request_id=self._request_id) from exc
        except asyncio.CancelledError:
            if self._closed:
                raise StopAsyncIteration from None
            raise
        if message is grpc.aio.EOF:
            raise StopAsyncIteration
        return message  # type: ignore[no-any-return]

    async def __aenter__(self) -> AsyncServerStream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        self._call.cancel()

    cancel = aclose


def upload_frames(
    signals: Iterable[SignalLike], frame_size: int, config: candidate_pb2.ScoringConfig | None, rescore: bool
) -> Iterator[pb.ScoreUploadRequest]:
    """`ScoreUpload` frames of `frame_size` signals, built lazily. A signal that cannot be converted raises
    `InvalidArgumentError` with its position (`signals[i].field`)."""
    if not 1 <= frame_size <= MAX_FRAME:
        raise ValueError(f"frame_size must be 1 to {MAX_FRAME:,}")
    frame: list[Any] = []
    for index, item in enumerate(signals):
        frame.append(_indexed_signal(item, index))
        if len(frame) >= frame_size:
            yield pb.ScoreUploadRequest(signals=frame, config=config, rescore=rescore)
            frame = []
    if frame:
        yield pb.ScoreUploadRequest(signals=frame, config=config, rescore=rescore)


async def aupload_frames(
    signals: Iterable[SignalLike] | AsyncIterable[SignalLike],
    frame_size: int,
    config: candidate_pb2.ScoringConfig | None,
    rescore: bool,
) -> AsyncIterator[pb.ScoreUploadRequest]:
    """`upload_frames` for an iterable or an async iterable."""
    if not isinstance(signals, AsyncIterable):
        for frame in upload_frames(signals, frame_size, config, rescore):
            yield frame
        return
    if not 1 <= frame_size <= MAX_FRAME:
        raise ValueError(f"frame_size must be 1 to {MAX_FRAME:,}")
    batch: list[Any] = []
    index = 0
    async for item in signals:
        batch.append(_indexed_signal(item, index))
        index += 1
        if len(batch) >= frame_size:
            yield pb.ScoreUploadRequest(signals=batch, config=config, rescore=rescore)
            batch = []
    if batch:
        yield pb.ScoreUploadRequest(signals=batch, config=config, rescore=rescore)


def _indexed_signal(item: SignalLike, index: int) -> Any:
    try:
        return to_signal(item)
    except InvalidArgumentError as exc:
        exc.field_violations = [type(v)(f"signals[{index}].{v.field}", v.description) for v in exc.field_violations]
        exc.message = f"signal {index} cannot be converted to a Signal message"
        raise

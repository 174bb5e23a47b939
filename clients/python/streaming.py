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
the server does for an invalid signal. A failure of the call itself (server gone, deadline) ends the
iteration with its typed exception; closing the stream, cancelling the task iterating it, or dropping it
cancels the call. Streams are never retried: a per-item UNAVAILABLE (the store was unreachable) is a result
like any other, and the caller decides whether to send that signal again (a signal with an id is safe to
resend: the server returns the stored candidate).

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
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import grpc

from glm3.client.errors import Glm3Error, InvalidArgumentError, error_from_rpc_error, error_from_status
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
    `sequence` the server's position of the signal in the stream (-1 when it was never sent). A result
    whose sequence matches no signal sent (a server bug) has `index` -1.
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

    def unwrap(self) -> candidate_pb2.ScoredCandidate:
        """The candidate, or raise the error."""
        if self.error is not None:
            raise self.error
        assert self.candidate is not None
        return self.candidate


class _End:
    """Marks the end of a queue's stream."""


_END = _End()
_INPUT_END = _End()


def _check_settings(frame_size: int, linger_ms: float, window: int) -> None:
    if not 1 <= frame_size <= MAX_FRAME:
        raise ValueError(f"frame_size must be 1 to {MAX_FRAME:,} (the server's limit per frame)")
    if linger_ms < 0:
        raise ValueError("linger_ms must not be negative")
    if window < 1:
        raise ValueError("window must be at least 1")


class _Flow:
    """State shared by both flavours: counters, the sequence → input map, building frames and results."""

    def __init__(
        self,
        *,
        frame_size: int,
        linger_ms: float,
        window: int,
        config: candidate_pb2.ScoringConfig | None,
        rescore: bool,
        request_id: str,
    ) -> None:
        _check_settings(frame_size, linger_ms, window)
        self.frame_size = frame_size
        self.linger = linger_ms / 1000.0
        self.window = window
        self.config = config
        self.rescore = rescore
        self.request_id = request_id
        # Counters, readable at any time (a progress bar, a test of the window).
        self.in_flight = 0  # pulled from the input, result not yet handed to the caller
        self.peak_in_flight = 0
        self.pulled = 0
        self.sent = 0
        self.received = 0
        self.failed = 0
        self._sequence = 0
        self._pending: dict[int, tuple[int, str, str]] = {}

    @property
    def unanswered(self) -> int:
        """Signals sent (or queued to be sent) whose result has not come back."""
        return len(self._pending)

    def take(self, item: StreamInput, index: int) -> pb.StreamSignal | StreamResult:
        """The frame item of one input, registered under its sequence; or its local error result."""
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
        self._pending[self._sequence] = (index, correlation_id, signal_id)
        self._sequence += 1
        return stream_signal

    def request(self, frame: Sequence[pb.StreamSignal]) -> pb.ScoreStreamRequest:
        return pb.ScoreStreamRequest(batch=pb.SignalBatch(items=frame, config=self.config, rescore=self.rescore))

    def results(self, response: pb.ScoreStreamResponse) -> list[StreamResult]:
        if response.WhichOneof("frame") != "results":
            return []  # a frame kind this client does not know
        out = []
        for result in response.results.results:
            index, correlation_id, signal_id = self._pending.pop(result.sequence, (-1, result.correlation_id, ""))
            outcome = result.WhichOneof("outcome")
            if outcome == "candidate":
                out.append(
                    StreamResult(
                        index,
                        correlation_id,
                        result.candidate.signal_id,
                        candidate=result.candidate,
                        already_scored=result.already_scored,
                        sequence=result.sequence,
                    )
                )
            else:
                error = (
                    error_from_status(result.error)
                    if outcome == "error"
                    else Glm3Error("the server sent a result with neither a candidate nor an error")
                )
                out.append(StreamResult(index, correlation_id, signal_id, error=error, sequence=result.sequence))
        return out

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
    """The sync machinery: a pulling thread, gRPC's request thread building frames, a reading thread.

    Those threads hold this object, never the public `ScoreStream`, so a caller that drops the stream
    without closing it lets it be collected, which closes its generator and so cancels the call.
    """

    def __init__(
        self,
        method: grpc.StreamStreamMultiCallable,
        signals: Iterable[StreamInput],
        *,
        timeout: float | None,
        metadata: Sequence[tuple[str, str]],
        request_id: str,
        frame_size: int,
        linger_ms: float,
        window: int,
        config: candidate_pb2.ScoringConfig | None,
        rescore: bool,
    ) -> None:
        super().__init__(
            frame_size=frame_size, linger_ms=linger_ms, window=window, config=config, rescore=rescore, request_id=request_id
        )
        self._method = method
        self._signals = signals
        self._timeout = timeout
        self._metadata = metadata
        self._cv = threading.Condition()
        self._closed = threading.Event()
        self._items: queue.SimpleQueue[pb.StreamSignal | _End] = queue.SimpleQueue()
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
        self._items.put(_INPUT_END)  # wakes the request iterator if it waits for items
        self._out.put(_END)  # wakes the caller if it waits for a result

    def _pull(self) -> None:
        try:
            iterator = iter(self._signals)
            index = 0
            while True:
                with self._cv:
                    while self.in_flight >= self.window and not self._closed.is_set():
                        self._cv.wait()
                if self._closed.is_set():
                    return
                try:
                    item = next(iterator)
                except StopIteration:
                    break
                if self._closed.is_set():
                    return
                with self._cv:
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                self.pulled += 1
                taken = self.take(item, index)
                index += 1
                if isinstance(taken, StreamResult):
                    self._out.put(taken)
                else:
                    self._items.put(taken)
        except BaseException as exc:  # the caller's iterable failed: the stream fails with its exception
            self._out.put(exc)
        finally:
            self._items.put(_INPUT_END)

    def _requests(self) -> Iterator[pb.ScoreStreamRequest]:
        # Runs in the thread gRPC uses to consume requests.
        items = self._items
        while True:
            first = items.get()
            if isinstance(first, _End) or self._closed.is_set():
                return
            frame = [first]
            deadline = time.monotonic() + self.linger
            ended = False
            while len(frame) < self.frame_size:
                try:
                    item = items.get_nowait()
                except queue.Empty:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        item = items.get(timeout=remaining)
                    except queue.Empty:
                        break
                if isinstance(item, _End):
                    ended = True
                    break
                frame.append(item)
            self.sent += len(frame)
            yield self.request(frame)
            if ended:
                return

    def _read(self) -> None:
        try:
            for response in self._call:
                for result in self.results(response):
                    self._out.put(result)
            self._out.put(_END)
        except grpc.RpcError as exc:
            if not self._closed.is_set():
                self._out.put(error_from_rpc_error(exc, request_id=self.request_id))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self._out.put(exc)

    def run(self) -> Generator[StreamResult, None, None]:
        self._call = self._method(self._requests(), timeout=self._timeout, metadata=self._metadata)
        threading.Thread(target=self._pull, name="glm3-score-stream-pull", daemon=True).start()
        threading.Thread(target=self._read, name="glm3-score-stream-read", daemon=True).start()
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
                        self._cv.notify()
                self.handed_out(item)
                yield item
            self.check_complete()
        finally:
            self.stop()


class _AsyncFlow(_Flow):
    """The async machinery: pulling, writing and reading tasks. They hold this object, never the public
    `AsyncScoreStream`, so a stream the caller drops is collected and its generator finalised (which
    cancels the call) even when nobody called `aclose()`."""

    def __init__(
        self,
        method: grpc.aio.StreamStreamMultiCallable,
        signals: Iterable[StreamInput] | AsyncIterable[StreamInput],
        *,
        timeout: float | None,
        metadata: Sequence[tuple[str, str]],
        request_id: str,
        frame_size: int,
        linger_ms: float,
        window: int,
        config: candidate_pb2.ScoringConfig | None,
        rescore: bool,
    ) -> None:
        super().__init__(
            frame_size=frame_size, linger_ms=linger_ms, window=window, config=config, rescore=rescore, request_id=request_id
        )
        self._method = method
        self._signals = signals
        self._timeout = timeout
        self._metadata = metadata
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
        loop = asyncio.get_running_loop()
        call = self._call = self._method(timeout=self._timeout, metadata=self._metadata)
        watch = StatusWatch(call)
        out: asyncio.Queue[StreamResult | _End | BaseException] = asyncio.Queue()
        self._out = out
        space = asyncio.Event()
        sealed: collections.deque[list[pb.StreamSignal] | _End] = collections.deque()
        sealed_ready = asyncio.Event()
        frame: list[pb.StreamSignal] = []
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
            nonlocal timer
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
            sealed.append(_INPUT_END)
            sealed_ready.set()

        async def write() -> None:
            try:
                while True:
                    while not sealed:
                        sealed_ready.clear()
                        await sealed_ready.wait()
                    first = sealed.popleft()
                    if isinstance(first, _End):
                        await call.done_writing()
                        return
                    batch = first
                    while sealed and not isinstance(sealed[0], _End) and len(batch) + len(sealed[0]) <= self.frame_size:
                        batch = batch + sealed.popleft()  # type: ignore[operator]
                    await call.write(self.request(batch))
                    self.sent += len(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not call.done():  # when the call ended, the reader reports why
                    out.put_nowait(exc)

        async def read() -> None:
            try:
                while True:
                    response = await call.read()
                    if response is grpc.aio.EOF:
                        break
                    for result in self.results(response):
                        out.put_nowait(result)
                out.put_nowait(_END)
            except grpc.aio.AioRpcError as exc:
                if not self._closed:
                    exc = await watch.real(exc)
                    out.put_nowait(error_from_rpc_error(exc, request_id=self.request_id))

        tasks = [asyncio.create_task(pull()), asyncio.create_task(write()), asyncio.create_task(read())]
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
            call.cancel()
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
    (pulled from the input, result not yet handed out), `peak_in_flight`, `pulled`, `sent`, `received`,
    `failed` (results carrying an error) and `unanswered` (sent, no result back yet)."""

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

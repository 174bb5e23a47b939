"""`glm3 score` and `glm3 demo`: stream JSON Lines signals through `ScoreStream` with the client library.

Input is read a line at a time (never the whole file): each line is parsed, checked and converted to a
`Signal` here, so a malformed line (bad JSON, not an object, an unknown key, a value of the wrong type, a
line too long) is reported on stderr with its line number and skipped, and never reaches the server. Valid
signals go to `ScoringClient.score_stream`, which batches them into frames and keeps at most `--window` in
flight; results come back as they are ready (out of input order), each written as one JSON Lines row that
carries its input line number. A signal the server refuses (INVALID_ARGUMENT: a blank title, say) is a
result with an `error` and the stream goes on.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import stat
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import IO, Any, TextIO

from glm3.client.cli_format import Column, counts, enum_name, render_table, to_dict, write_json
from glm3.client.cli_progress import Console, ProgressBar
from glm3.client.errors import Glm3Error, InvalidArgumentError
from glm3.client.signals import signal_from_dict
from glm3.client.streaming import StreamResult
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb

__all__ = ["SAMPLE_SIGNALS", "ScoreSummary", "error_dict", "read_signals", "result_row", "run_demo", "run_score"]

SAMPLE_SIGNALS = "data/sample_signals.jsonl"  # inside the glm3.client package
MAX_LINE_BYTES = 16 * 1024 * 1024  # the servers' message limit: a longer line can never be sent
MAX_ITEM_ERRORS_SHOWN = 100  # rejected signals are all in the output; stderr names the first ones
DIMENSIONS = ("market", "competition", "emotional", "feasibility", "signal_quality")
VERDICT_ORDER = ("GO", "RESEARCH", "PASS")


def error_dict(error: Glm3Error) -> dict[str, Any]:
    """The `error` object of an output row: code, message, reason and field violations."""
    return {
        "code": error.code.name,
        "message": error.message,
        "reason": error.reason,
        "field_violations": [{"field": v.field, "description": v.description} for v in error.field_violations],
    }


def result_row(result: StreamResult, line: int | None) -> dict[str, Any]:
    """One output row: `correlation_id`, `signal_id`, `line` (the input line, 1-based) and either
    `candidate` (with `already_scored`) or `error`."""
    row: dict[str, Any] = {"correlation_id": result.correlation_id, "signal_id": result.signal_id, "line": line}
    if result.candidate is not None:
        row["already_scored"] = result.already_scored
        row["candidate"] = to_dict(result.candidate)
    else:
        assert result.error is not None
        row["error"] = error_dict(result.error)
    return row


def describe_violations(error: InvalidArgumentError) -> str:
    return "; ".join(f"{v.field}: {v.description}" for v in error.field_violations) or error.message


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def read_lines(
    source: IO[bytes], too_long: Callable[[int], None], max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of every line, each read with a bounded buffer: a line longer than
    `max_line_bytes` is reported through `too_long` and skipped without holding it in memory."""
    number = 0
    while True:
        line = source.readline(max_line_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            while True:  # drain the rest of the line
                rest = source.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            too_long(number)
            continue
        yield number, line


def read_signals(
    source: IO[bytes],
    malformed: Callable[[int, str], None],
    lines: dict[int, int],
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[pb.StreamSignal]:
    """`StreamSignal`s from JSON Lines, one per valid line, in order.

    Blank lines are skipped. Every other line that is not a valid signal is passed to `malformed(line,
    why)` and skipped. `lines` maps each yielded item's position to its line number (the stream's results
    carry the position); the caller removes entries as results arrive, so it holds only what is in flight.
    A signal without an id gets the correlation id `line:N`.
    """
    index = 0
    too_long = f"longer than {max_line_bytes:,} bytes"
    for number, raw in read_lines(source, lambda n: malformed(n, too_long), max_line_bytes):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            malformed(number, f"not UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            malformed(number, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            malformed(number, "not valid JSON: nested too deeply")
            continue
        if not isinstance(data, dict):
            malformed(number, f"not a JSON object (got {_json_type(data)})")
            continue
        try:
            signal = signal_from_dict(data)
        except InvalidArgumentError as exc:
            malformed(number, describe_violations(exc))
            continue
        lines[index] = number
        index += 1
        yield pb.StreamSignal(correlation_id=signal.id or f"line:{number}", signal=signal)


def count_signal_lines(path: str) -> int | None:
    """Non-blank lines of a regular file (the progress bar's total), read a line at a time; None for
    anything else (a pipe, a terminal, a FIFO): counting those would consume them."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            return sum(1 for number, line in read_lines(handle, lambda n: None) if line.strip())
    except OSError:
        return None


@dataclass
class ScoreSummary:
    """What a run did, counted as results arrive."""

    started: float = field(default_factory=time.monotonic)
    scored: int = 0
    already_scored: int = 0
    rejected: int = 0
    malformed: int = 0
    failovers: int = 0
    resent: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def failed(self) -> int:
        return self.rejected + self.malformed

    @property
    def processed(self) -> int:
        return self.scored + self.failed

    def add(self, result: StreamResult) -> None:
        with self._lock:
            if result.candidate is not None:
                self.scored += 1
                self.already_scored += result.already_scored
                self.verdicts[enum_name(candidate_pb2.Verdict, result.candidate.verdict, "VERDICT_")] += 1
            else:
                self.rejected += 1

    def add_malformed(self) -> None:
        with self._lock:
            self.malformed += 1

    def lines(self, now: float | None = None, interrupted: bool = False) -> list[str]:
        """The summary: processed (with elapsed time and rate), scored by verdict, failed by kind."""
        elapsed = (time.monotonic() if now is None else now) - self.started
        rate = self.processed / elapsed if elapsed > 0 else 0.0
        scored = f"scored     {self.scored:,}"
        if self.scored:
            scored += f"  ({counts(self.verdicts, VERDICT_ORDER)}"
            scored += f"; {self.already_scored:,} already scored)" if self.already_scored else ")"
        failed = f"failed     {self.failed:,}"
        if self.failed:
            failed += f"  ({plural(self.malformed, 'malformed line')}, {self.rejected:,} rejected by the server)"
        head = "interrupted after" if interrupted else "processed "
        shown_rate = f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}"
        lines = [
            f"{head} {plural(self.processed, 'signal')} in {elapsed:.2f} s ({shown_rate} signals/s)",
            scored,
            failed,
        ]
        if self.failovers:
            lines.append(f"failovers  {self.failovers:,}  ({plural(self.resent, 'signal')} sent again)")
        return lines


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _open_output(path: str | None, stdout: TextIO) -> TextIO:
    if path is None or path == "-":
        return stdout
    return open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the caller


@dataclass
class StreamOptions:
    frame_size: int
    linger_ms: float
    window: int
    rescore: bool
    failover: int = 5
    view: str = "full"


def stream_options(args: argparse.Namespace) -> StreamOptions:
    return StreamOptions(args.frame_size, args.linger_ms, args.window, args.rescore, args.failover, args.view)


def _stream(
    ctx: Any,
    source: IO[bytes],
    options: StreamOptions,
    console: Console,
    summary: ScoreSummary,
    on_result: Callable[[StreamResult, int | None], None],
    label: str,
) -> None:
    """Streams `source` and calls `on_result` per result. Raises the call's typed error if it fails."""
    lines: dict[int, int] = {}
    shown = 0

    def malformed(number: int, why: str) -> None:
        summary.add_malformed()
        console.message(f"{label}: line {number}: {why} (skipped)")

    with ctx.scoring_client() as client:
        stream = client.score_stream(
            read_signals(source, malformed, lines),
            frame_size=options.frame_size,
            linger_ms=options.linger_ms,
            window=options.window,
            rescore=options.rescore,
            failover=options.failover,
            view=options.view,
        )

        def note_failovers() -> None:
            if stream.failovers != summary.failovers:
                resent = stream.resent - summary.resent
                summary.failovers, summary.resent = stream.failovers, stream.resent
                console.message(
                    f"{label}: the stream broke; a new one resent {plural(resent, 'unanswered signal')}"
                    f" (failover {summary.failovers} of this run)"
                )

        try:
            for result in stream:
                note_failovers()
                number = lines.pop(result.index, None)
                summary.add(result)
                on_result(result, number)
                if result.error is not None:
                    shown += 1
                    if shown <= MAX_ITEM_ERRORS_SHOWN:
                        where = f"line {number}" if number is not None else f"item {result.correlation_id}"
                        console.message(f"{label}: {where}: {result.error}")
                    elif shown == MAX_ITEM_ERRORS_SHOWN + 1:
                        console.message(f"{label}: more rejected signals are not shown here (they are in the results)")
                console.progress(summary.processed, summary.failed)
        finally:
            note_failovers()
            stream.close()


def _progress_bar(ctx: Any, args: argparse.Namespace, path: str | None, label: str) -> ProgressBar | None:
    if args.no_progress or not ctx.stderr_is_terminal():
        return None
    total = count_signal_lines(path) if path is not None else None
    return ProgressBar(ctx.stderr, total, label=label)


def run_score(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 score FILE|-`: results as JSON Lines on stdout (or --out), summary on stderr."""
    path = None if args.file == "-" else args.file
    try:
        source: IO[bytes] = sys.stdin.buffer if path is None else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        ctx.fail(f"cannot read {args.file}: {exc.strerror}")
        return 2
    try:
        out = _open_output(args.out, ctx.stdout)
    except OSError as exc:
        if source is not sys.stdin.buffer:
            source.close()
        ctx.fail(f"cannot write {args.out}: {exc.strerror}")
        return 2
    bar = _progress_bar(ctx, args, path, "score")
    console = Console(ctx.stderr, bar)
    summary = ScoreSummary()

    def write(result: StreamResult, number: int | None) -> None:
        write_row(out, result_row(result, number))

    try:
        _stream(ctx, source, stream_options(args), console, summary, write, "score")
    except KeyboardInterrupt:
        console.finish()
        for line in summary.lines(interrupted=True):
            ctx.stderr.write(line + "\n")
        return 130
    except Glm3Error:
        console.finish()
        for line in summary.lines():
            ctx.stderr.write(line + "\n")
        raise
    finally:
        if out is not ctx.stdout:
            out.close()
        else:
            out.flush()
        if source is not sys.stdin.buffer:
            source.close()
    console.finish()
    for line in summary.lines():
        ctx.stderr.write(line + "\n")
    if args.out and args.out != "-":
        ctx.stderr.write(f"results    {args.out}\n")
    return 1 if summary.failed and not args.allow_errors else 0


def write_row(out: TextIO, row: dict[str, Any]) -> None:
    # No flush per row: with thousands of results a second, the buffer matters; the end flushes.
    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


# -- demo --------------------------------------------------------------------------------------------


def sample_signals() -> IO[bytes]:
    """The bundled sample signals (JSON Lines), from the installed `glm3.client` package."""
    return resources.files("glm3.client").joinpath(SAMPLE_SIGNALS).open("rb")


def strongest_weakest(scores: candidate_pb2.ScoreBreakdown) -> tuple[str, str]:
    values = [(getattr(scores, name), name) for name in DIMENSIONS]
    best = max(values)
    worst = min(values)
    return f"{best[1]} {best[0]:.0f}", f"{worst[1]} {worst[0]:.0f}"


TOP_COLUMNS = (
    Column("#", 3, right=True),
    Column("TITLE", 60, flex=True, min_width=20),
    Column("VERDICT", 8),
    Column("SCORE", 5, right=True),
    Column("STRONGEST", 20),
    Column("WEAKEST", 20),
)


def top_rows(candidates: list[candidate_pb2.ScoredCandidate]) -> list[list[Any]]:
    rows = []
    for rank, candidate in enumerate(candidates, 1):
        strongest, weakest = strongest_weakest(candidate.scores)
        rows.append(
            [
                rank,
                candidate.title,
                enum_name(candidate_pb2.Verdict, candidate.verdict, "VERDICT_"),
                f"{candidate.overall_score:.1f}",
                strongest,
                weakest,
            ]
        )
    return rows


def run_demo(args: argparse.Namespace, ctx: Any) -> int:
    """`glm3 demo`: the bundled sample signals through ScoreStream, then the top candidates as a table."""
    console = Console(ctx.stderr, None)
    summary = ScoreSummary()
    top: list[tuple[float, int, candidate_pb2.ScoredCandidate]] = []  # a min-heap of the best N
    tie = itertools.count()

    def keep(result: StreamResult, number: int | None) -> None:
        if result.candidate is None or args.top <= 0:
            return
        item = (result.candidate.overall_score, -next(tie), result.candidate)
        if len(top) < args.top:
            heapq.heappush(top, item)
        else:
            heapq.heappushpop(top, item)

    ctx.stderr.write(f"demo: streaming the bundled sample signals to {ctx.target}\n")
    with sample_signals() as source:
        try:
            _stream(ctx, source, stream_options(args), console, summary, keep, "demo")
        except KeyboardInterrupt:
            return 130
    best = [candidate for _, _, candidate in sorted(top, reverse=True)]
    if ctx.json:
        for candidate in best:
            write_json(ctx.stdout, to_dict(candidate))
    else:
        ctx.stdout.write(f"Top {len(best)} candidates\n")
        for line in render_table(TOP_COLUMNS, top_rows(best), ctx.stdout):
            ctx.stdout.write(line + "\n")
        ctx.stdout.flush()
    ctx.stderr.write("\n")
    for line in summary.lines():
        ctx.stderr.write(line + "\n")
    return 1 if summary.failed else 0

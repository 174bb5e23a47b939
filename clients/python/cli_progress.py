"""The progress bar of `glm3 score` and the stderr console it shares with warnings.

The bar is drawn on stderr only when stderr is a terminal: a pipe or a log file gets no carriage-return
noise, just the messages and the final summary. Its rate is measured over the last few seconds (so the ETA
follows a stream that speeds up or slows down) and the ETA needs a total, which `glm3 score` knows only
for a regular file. The clock is injectable, so rendering is tested without sleeping.
"""

from __future__ import annotations

import collections
import math
import shutil
import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Console", "ProgressBar", "format_count", "format_duration", "format_rate", "render_progress"]

Clock = Callable[[], float]
RATE_WINDOW_S = 10.0  # the rate (and so the ETA) is measured over this many recent seconds


def format_count(n: int) -> str:
    return f"{n:,}"


def format_rate(per_second: float) -> str:
    """`0.5/s`, `12.3/s`, `845/s`, `1.2k/s`, `3.4M/s`."""
    if per_second <= 0 or math.isnan(per_second) or math.isinf(per_second):
        return "-/s"
    if per_second < 100:
        return f"{per_second:.1f}/s"
    if per_second < 1_000:
        return f"{per_second:.0f}/s"
    if per_second < 1_000_000:
        return f"{per_second / 1_000:.1f}k/s"
    return f"{per_second / 1_000_000:.1f}M/s"


def format_duration(seconds: float | None) -> str:
    """`0:07`, `12:34`, `1:02:03`; `--:--` when unknown (no total, no rate yet)."""
    if seconds is None or math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        return "--:--"
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_progress(
    done: int,
    total: int | None,
    failed: int,
    elapsed: float,
    rate: float,
    width: int = 80,
    *,
    label: str = "scoring",
    unicode: bool = True,
) -> str:
    """One line of progress, at most `width` characters.

    With a total: `scoring [#####-----]  50% 500/1,000  12.3/s  ETA 0:41  2 failed`;
    without: `scoring 500  12.3/s  0:41 elapsed  2 failed`.
    """
    tail = f"  {format_rate(rate)}"
    if total:
        shown = min(done, total)
        fraction = shown / total
        eta = (total - shown) / rate if rate > 0 else None
        tail = f" {fraction:4.0%} {format_count(shown)}/{format_count(total)}" + tail + f"  ETA {format_duration(eta)}"
    else:
        tail = f" {format_count(done)}" + tail + f"  {format_duration(elapsed)} elapsed"
    if failed:
        tail += f"  {format_count(failed)} failed"
    if total:
        room = width - len(label) - len(tail) - 3  # "label [" + "]"
        if room >= 10:
            bar_width = min(room, 40)
            filled = int(bar_width * min(done, total) / total)
            full, empty = ("█", "░") if unicode else ("#", "-")
            return f"{label} [{full * filled}{empty * (bar_width - filled)}]{tail}"[:width]
    return f"{label}{tail}"[:width]


class ProgressBar:
    """A self-redrawing progress line. `update()` is cheap to call per result: it redraws at most every
    `min_interval` seconds. Not thread-safe by itself: use it through a `Console`."""

    def __init__(
        self,
        stream: TextIO,
        total: int | None,
        *,
        clock: Clock = time.monotonic,
        width: int | None = None,
        min_interval: float = 0.1,
        label: str = "scoring",
    ) -> None:
        self.stream = stream
        self.total = total
        self.clock = clock
        self.width = width
        self.min_interval = min_interval
        self.label = label
        self.started = clock()
        self.done = 0
        self.failed = 0
        self._samples: collections.deque[tuple[float, int]] = collections.deque([(self.started, 0)])
        self._last_draw: float | None = None
        self._drawn = False
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        self.unicode = encoding.startswith("utf")

    def rate(self, now: float | None = None) -> float:
        """Items per second over the last `RATE_WINDOW_S` seconds (over all of it before that)."""
        now = self.clock() if now is None else now
        while len(self._samples) > 1 and now - self._samples[1][0] >= RATE_WINDOW_S:
            self._samples.popleft()
        first_time, first_done = self._samples[0]
        span = now - first_time
        return (self.done - first_done) / span if span > 0 else 0.0

    def render(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        width = self.width or shutil.get_terminal_size(fallback=(80, 24)).columns
        return render_progress(
            self.done,
            self.total,
            self.failed,
            now - self.started,
            self.rate(now),
            max(width - 1, 20),  # never the last column: some terminals wrap there
            label=self.label,
            unicode=self.unicode,
        )

    def update(self, done: int, failed: int, *, force: bool = False) -> None:
        now = self.clock()
        self.done, self.failed = done, failed
        if self._samples[-1][0] + 0.5 <= now:  # a sample every half second is plenty for the rate
            self._samples.append((now, done))
        if not force and self._last_draw is not None and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        self.stream.write("\r" + self.render(now) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Erases the line (before a message is printed, and at the end)."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def redraw(self) -> None:
        self.update(self.done, self.failed, force=True)


class Console:
    """stderr for a command that may show a progress bar: messages printed from any thread (the signal
    reader runs in the stream's pulling thread) erase the bar, print, and let it redraw."""

    def __init__(self, stream: TextIO, bar: ProgressBar | None = None) -> None:
        self.stream = stream
        self.bar = bar
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        with self._lock:
            if self.bar is not None:
                self.bar.clear()
            self.stream.write(text + "\n")
            self.stream.flush()
            if self.bar is not None and self.bar._last_draw is not None:
                self.bar.redraw()

    def progress(self, done: int, failed: int) -> None:
        if self.bar is None:
            return
        with self._lock:
            self.bar.update(done, failed)

    def finish(self) -> None:
        """Removes the bar for good (the summary follows)."""
        with self._lock:
            if self.bar is not None:
                self.bar.clear()
                self.bar = None

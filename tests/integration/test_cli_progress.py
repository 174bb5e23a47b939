"""The progress bar of `glm3 score`: rate and ETA formatting, and a bar driven by an injected clock.

No network and no sleeping: the clock is a number the test moves, the terminal a StringIO.
"""

from __future__ import annotations

import io

import pytest

from glm3.client.cli_progress import Console, ProgressBar, format_duration, format_rate, render_progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("rate", "text"),
    [(0, "-/s"), (float("nan"), "-/s"), (0.46, "0.5/s"), (12.34, "12.3/s"), (845.2, "845/s"), (1234, "1.2k/s"),
     (987_654, "987.7k/s"), (3_400_000, "3.4M/s")],
)
def test_format_rate(rate: float, text: str) -> None:
    assert format_rate(rate) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "--:--"), (float("inf"), "--:--"), (-1, "--:--"), (0, "0:00"), (6.6, "0:07"), (59.4, "0:59"),
     (754, "12:34"), (3723, "1:02:03")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_render_with_a_total_shows_bar_percent_counts_rate_eta_and_failures() -> None:
    line = render_progress(500, 1000, 2, 10.0, 50.0, 80, unicode=False)
    assert line == "scoring [" + "#" * 13 + "-" * 14 + "]  50% 500/1,000  50.0/s  ETA 0:10  2 failed"
    assert len(line) == 80  # the bar takes the room the text leaves
    full = render_progress(1000, 1000, 0, 20.0, 50.0, 80, unicode=True)
    assert "█" * 10 in full and "░" not in full and "100% 1,000/1,000" in full and "ETA 0:00" in full


def test_render_without_a_total_shows_count_rate_and_elapsed() -> None:
    assert render_progress(12_345, None, 0, 75.0, 164.6, 80) == "scoring 12,345  165/s  1:15 elapsed"
    assert render_progress(0, None, 0, 0.0, 0.0, 80) == "scoring 0  -/s  0:00 elapsed"


def test_render_never_exceeds_the_width_and_drops_the_bar_when_narrow() -> None:
    for width in (20, 40, 60, 120):
        assert len(render_progress(123_456, 1_000_000, 7, 100.0, 1234.5, width)) <= width
    narrow = render_progress(5, 10, 0, 1.0, 5.0, 40, unicode=False)
    assert "[" not in narrow and narrow.startswith("scoring  50% 5/10")


def test_bar_rate_and_eta_follow_the_injected_clock() -> None:
    clock, terminal = Clock(), io.StringIO()
    bar = ProgressBar(terminal, 1000, clock=clock, width=81)
    bar.update(0, 0)
    clock.now += 2.0
    bar.update(100, 0)
    assert bar.rate() == pytest.approx(50.0)
    assert bar.render().endswith("10% 100/1,000  50.0/s  ETA 0:18")
    assert terminal.getvalue().count("\r") == 2  # two draws so far
    assert terminal.getvalue().endswith("ETA 0:18\x1b[K")


def test_bar_redraws_at_most_every_min_interval() -> None:
    clock, terminal = Clock(), io.StringIO()
    bar = ProgressBar(terminal, None, clock=clock, width=80, min_interval=0.1)
    bar.update(1, 0)
    for n in range(2, 50):  # 48 results within 48 ms: no redraw
        clock.now += 0.001
        bar.update(n, 0)
    assert terminal.getvalue().count("\r") == 1
    clock.now += 0.1
    bar.update(50, 1)
    assert terminal.getvalue().count("\r") == 2
    assert terminal.getvalue().endswith("scoring 50  338/s  0:00 elapsed  1 failed\x1b[K")  # 50 in 0.148 s


def test_rate_is_measured_over_the_last_seconds_so_the_eta_follows_a_speed_change() -> None:
    clock, terminal = Clock(), io.StringIO()
    bar = ProgressBar(terminal, 10_000, clock=clock, width=100)
    done = 0
    for _ in range(20):  # 20 s at 10/s
        clock.now += 1.0
        done += 10
        bar.update(done, 0)
    assert bar.rate() == pytest.approx(10.0)
    for _ in range(20):  # then 20 s at 100/s
        clock.now += 1.0
        done += 100
        bar.update(done, 0)
    assert bar.rate() == pytest.approx(100.0)  # not the overall average (55/s)
    assert "ETA 1:18" in bar.render()  # (10,000 - 2,200) / 100


def test_console_messages_erase_the_bar_and_redraw_it() -> None:
    clock, terminal = Clock(), io.StringIO()
    bar = ProgressBar(terminal, 10, clock=clock, width=60)
    console = Console(terminal, bar)
    console.progress(3, 0)
    console.message("score: line 4: not valid JSON (skipped)")
    text = terminal.getvalue()
    message_at = text.index("score: line 4")
    assert text[:message_at].endswith("\r\x1b[K")  # the bar was erased first
    assert text[message_at:].startswith("score: line 4: not valid JSON (skipped)\n\r")  # then drawn again
    console.finish()
    assert terminal.getvalue().endswith("\r\x1b[K")
    console.message("after")  # no bar any more: just the message
    assert terminal.getvalue().endswith("\r\x1b[Kafter\n")


def test_a_console_without_a_bar_only_prints_messages() -> None:
    terminal = io.StringIO()
    console = Console(terminal, None)
    console.progress(5, 1)
    console.message("hello")
    console.finish()
    assert terminal.getvalue() == "hello\n"

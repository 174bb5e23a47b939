"""Hysteresis of the ops checks: hold times, recovery margins, and values hovering at a threshold."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from glm3.servers.ops.checks import Hysteresis, Threshold
from glm3.servers.ops.models import HealthStatus

H, U, D, C = HealthStatus.HEALTHY, HealthStatus.UNKNOWN, HealthStatus.DEGRADED, HealthStatus.CRITICAL


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def feed(hys: Hysteresis, steps: Iterable[tuple[float, HealthStatus]], key: str = "k") -> list[HealthStatus]:
    """Observes (time, raw) steps; returns the stable status after each."""
    return [hys.observe(key, raw, now=t) for t, raw in steps]


def feed_values(
    hys: Hysteresis, steps: Iterable[tuple[float, float]], *, margin: float = 2.0, key: str = "disk"
) -> list[HealthStatus]:
    """Observes (time, percent) steps against warning 90 / critical 95."""
    return [hys.observe_threshold(key, Threshold(v, 90.0, 95.0, margin, "%"), now=t) for t, v in steps]


# --- status proposals ----------------------------------------------------------------------------------


def test_first_observation_takes_effect_at_once() -> None:
    hys = Hysteresis(hold_s=120)
    assert hys.stable("k") is None
    assert hys.observe("k", C, now=0) is C
    assert hys.stable("k") is C
    assert hys.pending("k", now=0) is None


def test_zero_hold_follows_every_change() -> None:
    hys = Hysteresis(hold_s=0)
    steps = [(0, H), (1, C), (2, H), (3, D), (4, U)]
    assert feed(hys, steps) == [H, C, H, D, U]


@pytest.mark.parametrize("start, change", [(H, C), (C, H), (D, H), (H, U), (U, H), (D, C)])
def test_a_change_either_way_waits_for_the_hold_time(start: HealthStatus, change: HealthStatus) -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", start, now=0)
    assert feed(hys, [(10, change), (60, change), (129.9, change)]) == [start, start, start]
    assert hys.observe("k", change, now=130) is change  # held exactly 120 s since t=10


def test_pending_reports_the_waiting_change() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", H, now=0)
    hys.observe("k", C, now=10)
    pending = hys.pending("k", now=70)
    assert pending is not None
    assert (pending.status, pending.since, pending.held_s) == (C, 10, 60)
    hys.observe("k", H, now=80)
    assert hys.pending("k", now=80) is None


def test_a_blip_shorter_than_the_hold_does_not_change_the_status() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", H, now=0)
    # Critical for 100 s, then healthy again: never reported.
    assert feed(hys, [(10, C), (60, C), (110, C), (120, H), (300, H)]) == [H] * 5


def test_flapping_raw_status_is_never_reported() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", H, now=0)
    steps = [(t, C if i % 2 == 0 else H) for i, t in enumerate(range(60, 6000, 60))]
    assert set(feed(hys, steps)) == {H}


def test_returning_to_the_stable_status_restarts_the_wait() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", H, now=0)
    feed(hys, [(10, C), (100, C), (110, H)])
    assert feed(hys, [(120, C), (200, C)]) == [H, H]  # the wait restarted at 120
    assert hys.observe("k", C, now=240) is C


def test_a_change_to_the_other_side_restarts_the_wait() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", D, now=0)
    feed(hys, [(10, C), (100, C)])
    assert feed(hys, [(110, H), (200, H)]) == [D, D]
    assert hys.observe("k", H, now=230) is H


def test_swinging_between_two_worse_statuses_settles_on_the_milder() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", H, now=0)
    steps = [(10, D), (40, C), (70, D), (100, C), (130, D)]
    assert feed(hys, steps) == [H, H, H, H, D]  # degraded (or worse) held 120 s; critical never did


def test_the_worse_status_follows_once_it_held_too() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", H, now=0)
    assert feed(hys, [(10, D), (50, C), (130, C)]) == [H, H, D]  # critical only held 80 s at t=130
    assert hys.observe("k", C, now=170) is C


def test_a_long_silence_promotes_straight_to_what_held() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("k", H, now=0)
    feed(hys, [(10, D), (20, C)])
    # One observation much later: critical has been in force (since t=20) for the whole last 120 s.
    assert hys.observe("k", C, now=1000) is C


def test_recovering_steps_settle_on_the_worst_that_held() -> None:
    hys = Hysteresis(hold_s=60)
    hys.observe("k", C, now=0)
    assert feed(hys, [(10, H), (40, D), (70, H)]) == [C, C, D]  # at 70 the last 60 s were at best degraded
    # Relative to degraded, healthy only started at 70.
    assert feed(hys, [(100, H), (129, H), (130, H)]) == [D, D, H]


def test_per_call_hold_overrides_the_default() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("svc", H, now=0, hold_s=0)
    assert hys.observe("svc", C, now=1, hold_s=0) is C
    hys.observe("host", H, now=0)
    assert hys.observe("host", C, now=1) is H


def test_keys_are_independent_and_forget_resets_one() -> None:
    hys = Hysteresis(hold_s=120)
    hys.observe("a", H, now=0)
    hys.observe("b", C, now=0)
    hys.observe("a", C, now=10)
    assert hys.stable("b") is C and hys.pending("b", now=10) is None
    hys.forget("a")
    assert hys.stable("a") is None
    assert hys.observe("a", D, now=20) is D  # a first observation again


def test_the_injected_clock_is_used_when_no_time_is_given() -> None:
    clock = FakeClock()
    hys = Hysteresis(hold_s=30, clock=clock)
    hys.observe("k", H)
    clock.now += 5
    assert hys.observe("k", C) is H
    clock.now += 30
    assert hys.observe("k", C) is C


def test_negative_hold_is_rejected() -> None:
    with pytest.raises(ValueError, match="hold_s"):
        Hysteresis(hold_s=-1)


# --- thresholds and the recovery margin ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected", [(0.0, H), (89.99, H), (90.0, D), (94.99, D), (95.0, C), (100.0, C)]
)
def test_threshold_levels_are_reached_at_the_level(value: float, expected: HealthStatus) -> None:
    assert Threshold(value, 90.0, 95.0, 2.0).status() is expected


def test_worse_values_take_effect_with_no_margin_delay() -> None:
    hys = Hysteresis(hold_s=0)
    assert feed_values(hys, [(0, 50.0), (1, 90.0), (2, 95.0)]) == [H, D, C]


def test_recovery_needs_the_value_below_threshold_minus_margin() -> None:
    hys = Hysteresis(hold_s=0)
    feed_values(hys, [(0, 96.0)])
    # Below critical (95) but not below 95 - 2: still critical; 93.0 itself is not "below".
    assert feed_values(hys, [(1, 94.9), (2, 93.5), (3, 93.0)]) == [C, C, C]
    assert feed_values(hys, [(4, 92.99)]) == [D]
    # Below warning (90) but not below 88: still degraded.
    assert feed_values(hys, [(5, 89.0), (6, 88.0)]) == [D, D]
    assert feed_values(hys, [(7, 87.9)]) == [H]


def test_from_critical_a_large_drop_recovers_straight_to_healthy() -> None:
    hys = Hysteresis(hold_s=0)
    assert feed_values(hys, [(0, 99.0), (1, 40.0)]) == [C, H]


def test_from_critical_a_drop_into_the_warning_band_lands_on_degraded() -> None:
    hys = Hysteresis(hold_s=0)
    assert feed_values(hys, [(0, 99.0), (1, 89.0)]) == [C, D]  # 89 < 93 but >= 88


@pytest.mark.parametrize("level", [90.0, 95.0])
def test_a_value_hovering_at_a_threshold_does_not_flap(level: float) -> None:
    hys = Hysteresis(hold_s=0)
    feed_values(hys, [(0, 50.0)])
    steps = [(t, level - 0.1 if t % 2 else level + 0.1) for t in range(1, 200)]  # below, above, below...
    statuses = feed_values(hys, steps)
    # It goes up once, when the level is first reached, and then stays.
    upper = D if level == 90.0 else C
    assert statuses[0] is (H if level == 90.0 else D)
    assert set(statuses[1:]) == {upper}


def test_without_a_margin_a_hovering_value_would_flap() -> None:
    # The reason the margin exists; also proves the hovering test above can fail.
    hys = Hysteresis(hold_s=0)
    statuses = feed_values(hys, [(t, 90.0 + (0.1 if t % 2 else -0.1)) for t in range(10)], margin=0.0)
    assert statuses == [H, D] * 5


def test_hold_time_and_margin_together() -> None:
    hys = Hysteresis(hold_s=120)
    assert feed_values(hys, [(0, 96.0)]) == [C]  # first observation: at once
    # 94 is within the margin: the proposal stays critical, so no wait even starts.
    assert feed_values(hys, [(60, 94.0)]) == [C]
    assert hys.pending("disk", now=60) is None
    # 80 proposes healthy; it must hold 120 s.
    assert feed_values(hys, [(120, 80.0), (180, 80.0), (239, 80.0)]) == [C, C, C]
    assert feed_values(hys, [(240, 80.0)]) == [H]
    # Worse again needs the hold too.
    assert feed_values(hys, [(300, 97.0), (419, 97.0), (420, 97.0)]) == [H, H, C]


@pytest.mark.parametrize(
    "stable, limit", [(C, 93.0), (D, 88.0), (H, None), (U, None)]
)
def test_recovery_limit(stable: HealthStatus, limit: float | None) -> None:
    assert Threshold(50.0, 90.0, 95.0, 2.0).recovery_limit(stable) == limit


def test_from_unknown_a_value_takes_its_own_level() -> None:
    hys = Hysteresis(hold_s=0)
    hys.observe("disk", U, now=0)  # e.g. the check timed out
    assert feed_values(hys, [(1, 89.0)]) == [H]

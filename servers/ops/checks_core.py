"""Pure building blocks of the ops checks: what one run of a check saw, thresholds, and hysteresis.

No I/O here, so the rules that decide when a status changes can be tested with an injected clock alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glm3.servers.ops.models import HealthStatus

__all__ = ["Clock", "Hysteresis", "Observation", "Pending", "Threshold"]

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A measured value against a warning and a critical level (value >= level reaches it).

    `margin` is how far below a level the value must fall before a status reached through that level may
    recover, so a value hovering at a level does not flap between two statuses.
    """

    value: float
    warning: float
    critical: float
    margin: float = 0.0
    unit: str = ""  # "%" for percentages; shown in messages

    def status(self) -> HealthStatus:
        """The status of the value on its own, with no history."""
        if self.value >= self.critical:
            return HealthStatus.CRITICAL
        if self.value >= self.warning:
            return HealthStatus.DEGRADED
        return HealthStatus.HEALTHY

    def proposal(self, stable: HealthStatus | None) -> HealthStatus:
        """The status to propose given the status in force: worse at once, better only past the margin."""
        raw = self.status()
        if stable is None or raw.severity >= stable.severity:
            return raw
        if stable is HealthStatus.CRITICAL and self.value >= self.critical - self.margin:
            return HealthStatus.CRITICAL
        was_degraded = stable in (HealthStatus.CRITICAL, HealthStatus.DEGRADED)
        if was_degraded and self.value >= self.warning - self.margin:
            return HealthStatus.DEGRADED
        return raw

    def recovery_limit(self, status: HealthStatus) -> float | None:
        """The value to fall below to leave `status` (None for a status no level leads to)."""
        if status is HealthStatus.CRITICAL:
            return self.critical - self.margin
        if status is HealthStatus.DEGRADED:
            return self.warning - self.margin
        return None


@dataclass(slots=True)
class Observation:
    """What one run of a check saw, before hysteresis: its own status, a message, the numbers.

    Threshold checks set `threshold`, so recovery from a status reached through a level needs the margin.
    """

    status: HealthStatus
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    threshold: Threshold | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    """A status proposed but not yet in force: the latest proposal and since when the change has held."""

    status: HealthStatus
    since: float
    held_s: float


@dataclass(slots=True)
class _KeyState:
    stable: HealthStatus
    # The trailing proposals that all differ from `stable` on the same side (all worse or all better).
    run: list[tuple[float, HealthStatus]] = field(default_factory=list)


def _side(status: HealthStatus, reference: HealthStatus) -> int:
    """+1 if `status` is worse than `reference`, -1 if better, 0 if the same."""
    diff = status.severity - reference.severity
    return (diff > 0) - (diff < 0)


class Hysteresis:
    """Turns raw status proposals per key into a stable status that does not flap.

    The first proposal for a key takes effect at once. After that a change, worse or better, takes effect
    only once the proposals have stayed on that side of the stable status for `hold_s` seconds; the status
    it moves to is the mildest one that held through the whole last `hold_s` (so a value swinging between
    degraded and critical still leaves healthy, for degraded). A proposal equal to the stable status, or
    on the other side of it, restarts the wait. `observe_threshold` adds the recovery margin of a
    `Threshold` before the hold applies.
    """

    def __init__(self, hold_s: float = 0.0, *, clock: Clock = time.monotonic) -> None:
        if hold_s < 0:
            raise ValueError(f"hold_s must be >= 0, got {hold_s}")
        self.hold_s = hold_s
        self._clock = clock
        self._keys: dict[str, _KeyState] = {}

    def observe(
        self, key: str, raw: HealthStatus, *, hold_s: float | None = None, now: float | None = None
    ) -> HealthStatus:
        """Records a proposal for `key` and returns the status in force after it."""
        now = self._clock() if now is None else now
        hold = self.hold_s if hold_s is None else hold_s
        state = self._keys.get(key)
        if state is None:
            self._keys[key] = _KeyState(raw)
            return raw
        side = _side(raw, state.stable)
        if side == 0:
            state.run.clear()
            return state.stable
        if state.run and _side(state.run[-1][1], state.stable) != side:
            state.run.clear()
        state.run.append((now, raw))
        self._promote(state, hold, now)
        return state.stable

    def observe_threshold(
        self, key: str, threshold: Threshold, *, hold_s: float | None = None, now: float | None = None
    ) -> HealthStatus:
        """`observe` with the proposal of a measured value: recovery needs the value past the margin."""
        return self.observe(key, threshold.proposal(self.stable(key)), hold_s=hold_s, now=now)

    def stable(self, key: str) -> HealthStatus | None:
        """The status in force for `key`, None before its first proposal."""
        state = self._keys.get(key)
        return state.stable if state is not None else None

    def pending(self, key: str, *, now: float | None = None) -> Pending | None:
        """The change waiting for its hold time, if any."""
        state = self._keys.get(key)
        if state is None or not state.run:
            return None
        now = self._clock() if now is None else now
        since = state.run[0][0]
        return Pending(state.run[-1][1], since, max(0.0, now - since))

    def forget(self, key: str) -> None:
        """Drops the history of `key`; its next proposal takes effect at once."""
        self._keys.pop(key, None)

    @staticmethod
    def _promote(state: _KeyState, hold: float, now: float) -> None:
        while state.run and now - state.run[0][0] >= hold:
            start = now - hold
            # The proposal in force when the window opened, and every one after it.
            first = max(i for i, (t, _) in enumerate(state.run) if t <= start)
            window = [status for _, status in state.run[first:]]
            worse = _side(window[0], state.stable) > 0
            pick = min if worse else max
            state.stable = pick(window, key=lambda status: status.severity)
            state.run = _trailing_run(state.run, state.stable)


def _trailing_run(
    run: list[tuple[float, HealthStatus]], stable: HealthStatus
) -> list[tuple[float, HealthStatus]]:
    """The last proposals of `run` that are all on one side of `stable` (empty if the last equals it)."""
    if not run:
        return []
    side = _side(run[-1][1], stable)
    if side == 0:
        return []
    i = len(run)
    while i > 0 and _side(run[i - 1][1], stable) == side:
        i -= 1
    return run[i:]

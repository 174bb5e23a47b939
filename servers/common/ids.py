"""Server-made ids in the seed's format (`<prefix>_YYYYmmdd_HHMMSS_xxxxxx`) and the clock both servers read."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

__all__ = ["new_id", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


_id_lock = threading.Lock()
_id_state: dict[str, tuple[str, int, int]] = {}  # prefix -> (second, first suffix, ids issued that second)
# The last second formatted and its text: strftime costs about 3 us, and ids come by the thousand a second.
_last_stamp: tuple[tuple[int, ...], str] = ((), "")


def new_id(prefix: str, now: datetime | None = None) -> str:
    """An id in the seed's format: `<prefix>_YYYYmmdd_HHMMSS_xxxxxx` (UTC, 6 hex digits).

    Six random hex digits alone collide often at our rates (a 3 % chance among 1,000 ids in one second),
    and a server-made signal id that collides would be taken for an already scored signal. So the suffix
    starts at a random value each second and counts up from it: ids made by one process never repeat
    (up to 16.7 million per second and prefix), and two processes rarely meet.
    """
    global _last_stamp
    if now is None:
        now = utcnow()
    fields_shown = (now.second, now.minute, now.hour, now.day, now.month, now.year)  # all strftime reads
    shown, stamp = _last_stamp
    if fields_shown != shown:
        stamp = now.strftime("%Y%m%d_%H%M%S")
        _last_stamp = (fields_shown, stamp)
    with _id_lock:
        second, first, issued = _id_state.get(prefix, ("", 0, 0))
        if second != stamp:
            second, first, issued = stamp, secrets.randbelow(1 << 24), 0
        _id_state[prefix] = (second, first, issued + 1)
    return f"{prefix}_{stamp}_{(first + issued) % (1 << 24):06x}"

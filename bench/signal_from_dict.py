"""Measures building `Signal` messages from the seed's JSON dicts: `signal_from_dict` against `ParseDict`.

Run: `.venv/bin/python bench/signal_from_dict.py [count]`. Not a test: it prints microseconds per signal
for both ways and their ratio, and checks they build the same message.
"""

from __future__ import annotations

import sys
import time

from google.protobuf import json_format

from glm3.client import signal_from_dict
from glm3.scoring.v1 import signal_pb2


def seed_signal(n: int) -> dict[str, object]:
    """A realistic signal in the seed's JSON shape, with nulls, a Z timestamp, engagement and comments."""
    return {
        "id": f"signal_20240115_103000_{n:06x}",
        "timestamp": "2024-01-15T10:30:00.123456Z",
        "source": "reddit",
        "source_url": f"https://www.reddit.com/r/smallbusiness/comments/{n}",
        "title": "I spend 6 hours a month chasing unpaid invoices",
        "description": "Every month I chase clients by email; I would pay for something that does it for me.",
        "category": None,
        "tags": ["invoicing", "smb", "finance"],
        "engagement": {"upvotes": 120 + n % 50, "comments": 45},
        "author": "u/freelancer42",
        "extracted_at": None,
        "raw_content": None,
        "comments": ["Same here, it is painful", "I use a spreadsheet and hate it"],
    }


def per_signal_us(build: object, signals: list[dict[str, object]]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for signal in signals:
            build(signal)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best / len(signals) * 1e6


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    signals = [seed_signal(n) for n in range(count)]
    assert signal_from_dict(signals[0]) == json_format.ParseDict(signals[0], signal_pb2.Signal())
    fast = per_signal_us(signal_from_dict, signals)
    slow = per_signal_us(lambda d: json_format.ParseDict(d, signal_pb2.Signal()), signals)
    print(f"signal_from_dict: {fast:7.2f} us/signal")
    print(f"ParseDict:        {slow:7.2f} us/signal")
    print(f"ratio:            {slow / fast:7.1f}x faster")


if __name__ == "__main__":
    main()

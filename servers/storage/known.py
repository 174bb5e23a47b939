"""Which signal ids may already have a stored candidate, answered from memory.

Every commit must know whether its signals were scored before (idempotency), and asking LanceDB costs a
query (5-45 ms, more as small fragments pile up before compaction; bench/bench_unary.py). Producers
almost always send new ids, so a set of the 64-bit hashes of every stored signal id answers "certainly
new" for them without a query; only a "maybe" (a stored id, or another id with the same hash, which is
practically never) is looked up. It never answers "new" for a stored id, as long as every id is added
before its row is written (the store does so) and the table is written by this process only (one scoring
server per database, DESIGN.md).

The hashes live in a sorted numpy array (8 bytes per id: 1M signals cost 8 MB) plus a small set of the
latest ones, merged into the array every `merge_every` additions; look-ups are vectorised per batch.
Python's `hash` of a string is salted per process, which is fine: the set lives and dies with the process
and is rebuilt from the table at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


class KnownSignalIds:
    """Hashes of the signal ids that have a stored candidate."""

    def __init__(self, merge_every: int = 65_536) -> None:
        self._sorted = np.empty(0, dtype=np.int64)
        self._recent: set[int] = set()
        self._merge_every = merge_every

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    @property
    def nbytes(self) -> int:
        return int(self._sorted.nbytes) + 8 * len(self._recent)

    def update(self, ids: Iterable[str]) -> None:
        self._recent.update(map(hash, ids))
        if len(self._recent) >= self._merge_every:
            self._merge()

    def _merge(self) -> None:
        recent = np.sort(np.fromiter(self._recent, dtype=np.int64, count=len(self._recent)))
        self._recent.clear()
        if len(self._sorted):
            at = np.searchsorted(self._sorted, recent)
            new = self._sorted[np.minimum(at, len(self._sorted) - 1)] != recent  # a rescored id comes again
            recent, at = recent[new], at[new]
            self._sorted = np.insert(self._sorted, at, recent)  # one pass; stays sorted, no duplicates
        else:
            self._sorted = recent

    def maybe_stored(self, ids: Sequence[str]) -> list[str]:
        """The ids that may have a stored candidate; every other id of `ids` certainly has none."""
        if not ids:
            return []
        hashes = [hash(i) for i in ids]
        recent = self._recent
        if not len(self._sorted):
            return [i for i, h in zip(ids, hashes, strict=True) if h in recent]
        wanted = np.array(hashes, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, wanted), len(self._sorted) - 1)
        found = (self._sorted[at] == wanted).tolist()
        return [i for i, h, hit in zip(ids, hashes, found, strict=True) if hit or h in recent]

"""The server process's native memory: glibc malloc set up for LanceDB's threads, freed memory handed back.

A long stream grows the servers' RSS although the Python heap stays at a few MB. Measured on a scoring
server streaming 200k signals (glibc's `mallinfo2` sampled inside the server): the bytes malloc has handed
out stay at 45-60 MB between compactions, while what it holds *free* grows 28 -> 317 MB and is never
returned. Each compaction (LanceDB, Rust, on its own thread pools) allocates and frees 100-250 MB, and
glibc keeps what was freed:

- one arena per allocating thread, up to 8 per core (16 here), each keeping its own high-water mark;
- a dynamic mmap threshold: once a large mapped block is freed it rises (up to 32 MiB), so later large
  buffers come from the arenas instead of mappings of their own, and stay there when freed;
- free memory inside an arena goes back to the system only from the arena's top, or by `malloc_trim`;
- pyarrow allocates through its own mimalloc, which keeps another 15-20 MB that `malloc_trim` cannot reach.

So, before the server starts: at most `ARENA_MAX` arenas, a fixed `MMAP_THRESHOLD` (glibc's starting
behaviour, kept: larger blocks are mapped for themselves and unmapped when freed), pyarrow on the system
allocator, and a thread that calls `malloc_trim(0)` every `TRIM_INTERVAL_S` (5-10 ms a call, while other
threads wait for an arena's lock). On the 200k-signal stream RSS growth 15 s after it went +259 -> +74 MB
and the peak +421 -> +254 MB, for ~2-7 % more server CPU (system time of the extra mappings). What remains
of the peak is compaction's own working set, which grows with the table (LanceDB's `optimize()` rewrites
its one growing fragment every time); no allocator setting bounds that.

A variable the operator set (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_, the same in GLIBC_TUNABLES,
ARROW_DEFAULT_MEMORY_POOL) is left in force. Elsewhere than on glibc (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import threading
import time

log = logging.getLogger("glm3.memory")

ARENA_MAX = 2
MMAP_THRESHOLD = 256 * 1024
TRIM_INTERVAL_S = 5.0
TRIM_THREAD = "glm3-mem-trim"  # also the OS thread's name (/proc/<pid>/task/*/comm, `top -H`)

_M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's malloc.h
_M_ARENA_MAX = -8
_PR_SET_NAME = 15

_lock = threading.Lock()
_trimmer: threading.Thread | None = None


def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    return libc


_LIBC = _glibc()


def _operator_set(variable: str, tunable: str) -> bool:
    return variable in os.environ or f"glibc.malloc.{tunable}=" in os.environ.get("GLIBC_TUNABLES", "")


def configure_allocator() -> dict[str, int]:
    """Sets glibc's arena limit and mmap threshold, and makes pyarrow allocate through malloc too (each
    unless the environment sets it); returns what was set. Call it early: threads that already have their
    arena keep it."""
    applied: dict[str, int] = {}
    if _LIBC is None:
        return applied
    if not _operator_set("MALLOC_ARENA_MAX", "arena_max") and _LIBC.mallopt(_M_ARENA_MAX, ARENA_MAX) == 1:
        applied["arena_max"] = ARENA_MAX
    if (
        not _operator_set("MALLOC_MMAP_THRESHOLD_", "mmap_threshold")
        and _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ):
        applied["mmap_threshold"] = MMAP_THRESHOLD
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        import pyarrow as pa  # loaded by LanceDB anyway

        pa.set_memory_pool(pa.system_memory_pool())
        applied["arrow_system_pool"] = 1
    return applied


def release_free_memory() -> bool:
    """Returns the free memory of every malloc arena to the system (`malloc_trim(0)`); False when there was
    none to return, or not on glibc."""
    return _LIBC is not None and _LIBC.malloc_trim(0) == 1


def _trim_forever(interval_s: float) -> None:
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_NAME, TRIM_THREAD.encode(), 0, 0, 0)
    while True:
        time.sleep(interval_s)
        release_free_memory()


def start_trimming(interval_s: float = TRIM_INTERVAL_S) -> bool:
    """Starts, once per process, a daemon thread returning free malloc memory every `interval_s` seconds;
    False when not on glibc."""
    global _trimmer
    if _LIBC is None:
        return False
    with _lock:
        if _trimmer is None:
            _trimmer = threading.Thread(target=_trim_forever, args=(interval_s,), name=TRIM_THREAD, daemon=True)
            _trimmer.start()
    return True


def configure_native_memory() -> None:
    """Both of the above, for a server's start-up."""
    applied = configure_allocator()
    trimming = start_trimming()
    log.debug("native memory", extra={"malloc": applied, "trim_interval_s": TRIM_INTERVAL_S if trimming else None})


# Young collections every 100,000 allocations instead of 700: a stream keeps about 1,000 signals in flight
# (some 50,000 objects), which a lower threshold scans again and again before they die; a middle collection
# every 20 young ones. Measured on ScoreStream BASIC (bench/profile_stream.py): (10_000, 10, 10) 200-216 us
# of server CPU a signal, (100_000, 20, 10) 158-179 us. Only cyclic garbage waits longer to be freed (at
# most 100,000 objects, a few MB).
GC_THRESHOLD = (100_000, 20, 10)


def tune_garbage_collector() -> None:
    """Once the server's long-lived objects exist (modules, settings, stores): moves them out of the
    collector's sight (`gc.freeze`, so full collections stop rescanning them) and raises the young-generation
    threshold. Measured on ScoreStream: the collector's CPU per signal ~65 -> ~18 us at (10_000, 10, 10), less
    at GC_THRESHOLD."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)

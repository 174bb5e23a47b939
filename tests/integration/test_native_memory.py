"""servers/common/memory.py against the real glibc allocator: each check in a fresh interpreter (the test
process's malloc has its own history), with the same check without our set-up beside it, so that a check
that would pass anyway shows up as a failure here."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc malloc only"
)

PRELUDE = """
import ctypes, json, threading
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]
libc.mallinfo2.restype = MallInfo2

def rss_anon_mb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024

def arenas():
    import os, tempfile
    with tempfile.TemporaryFile() as f:
        libc.fdopen.restype = ctypes.c_void_p
        stream = libc.fdopen(os.dup(f.fileno()), b"w")
        libc.malloc_info(0, ctypes.c_void_p(stream))
        libc.fclose(ctypes.c_void_p(stream))
        f.seek(0)
        return f.read().decode().count("<heap nr=")
"""


def run_python(code: str, **env: str) -> dict[str, object]:
    """Runs PRELUDE + `code` in a fresh interpreter (no allocator variables inherited, `env` added);
    returns the JSON it printed last."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "ARROW_DEFAULT"))
    }
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**clean, **env},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


ARENAS = """
from glm3.servers.common import memory
applied = memory.configure_allocator() if {configure} else {{}}
ready, done = threading.Barrier(13), threading.Event()

def worker():
    libc.free(libc.malloc(100))  # a thread's first malloc picks (or makes) its arena
    ready.wait()
    done.wait()

threads = [threading.Thread(target=worker) for _ in range(12)]
for t in threads:
    t.start()
ready.wait()  # all 12 alive at once: none hands its arena to the next
count = arenas()
done.set()
print(json.dumps({{"arenas": count, "applied": applied}}))
"""


def test_threads_share_at_most_two_arenas() -> None:
    ours = run_python(ARENAS.format(configure=True))
    default = run_python(ARENAS.format(configure=False))
    assert ours["applied"] == {"arena_max": 2, "mmap_threshold": 256 * 1024, "arrow_system_pool": 1}
    assert ours["arenas"] <= 2
    assert default["arenas"] > 4  # glibc's own limit is 8 per core


MMAP = """
from glm3.servers.common import memory
applied = memory.configure_allocator() if {configure} else {{}}
libc.free(libc.malloc(8 << 20))  # freeing a big mapped block raises glibc's dynamic threshold past 8 MiB
block = libc.malloc(1 << 20)
mapped = libc.mallinfo2().hblkhd
libc.free(block)
print(json.dumps({{"mapped": mapped}}))
"""


def test_large_blocks_stay_mapped_for_themselves() -> None:
    """A 1 MiB block after an 8 MiB one was freed: its own mapping (unmapped when freed) with the fixed
    threshold; from an arena (kept when freed) with glibc's dynamic one."""
    assert run_python(MMAP.format(configure=True))["mapped"] >= 1 << 20
    assert run_python(MMAP.format(configure=False))["mapped"] < 1 << 20


FRAGMENTED = """
import time
from glm3.servers.common import memory
memory.configure_allocator()
start = rss_anon_mb()

def churn():
    # 160 MiB of 64 KiB blocks (under the mmap threshold: from an arena), all freed but the last, which
    # pins the arena's top: glibc keeps the rest resident
    blocks = [libc.malloc(64 << 10) for _ in range(2560)]
    for block in blocks:
        libc.memset(block, 1, 64 << 10)
    for block in blocks[:-1]:
        libc.free(block)

worker = threading.Thread(target=churn)
worker.start()
worker.join()
held = rss_anon_mb() - start
{release}
time.sleep(0.2)
print(json.dumps({{"held": held, "after": rss_anon_mb() - start}}))
"""


def test_release_returns_freed_memory() -> None:
    state = run_python(FRAGMENTED.format(release="released = memory.release_free_memory()"))
    assert state["held"] > 140  # what the allocator keeps: the fix has something to fix
    assert state["after"] < 20


def test_the_trimming_thread_returns_freed_memory_without_being_asked() -> None:
    state = run_python(FRAGMENTED.format(release="memory.start_trimming(0.05)"))
    assert state["held"] > 140
    assert state["after"] < 20


POOL = """
import pyarrow as pa
from glm3.servers.common import memory
applied = memory.configure_allocator()
print(json.dumps({"applied": applied, "pool": pa.default_memory_pool().backend_name}))
"""


def test_pyarrow_allocates_through_malloc() -> None:
    """pyarrow's own allocator (mimalloc) keeps 15-20 MB that malloc_trim cannot return."""
    assert run_python(POOL)["pool"] == "system"


def test_operator_settings_are_left_in_force() -> None:
    applied = run_python(POOL, MALLOC_ARENA_MAX="4")["applied"]
    assert applied == {"mmap_threshold": 256 * 1024, "arrow_system_pool": 1}
    assert run_python(POOL, GLIBC_TUNABLES="glibc.malloc.mmap_threshold=65536")["applied"] == {
        "arena_max": 2, "arrow_system_pool": 1
    }
    state = run_python(POOL, ARROW_DEFAULT_MEMORY_POOL="mimalloc")
    assert state["applied"] == {"arena_max": 2, "mmap_threshold": 256 * 1024}
    assert state["pool"] == "mimalloc"


def test_a_started_server_runs_the_trimming_thread(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLM3_", "OPENAI_"))}
    env.update(GLM3_SERVER_PORT="0", GLM3_STORAGE_URI=str(tmp_path / "lancedb"), GLM3_METRICS_ENABLED="false")
    process = subprocess.Popen(
        [str(BIN / "glm3-scoring-server")], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        assert re.search(r"listening on 127\.0\.0\.1:\d+", process.stdout.readline())
        deadline = time.monotonic() + 10
        names: list[str] = []
        while time.monotonic() < deadline and "glm3-mem-trim" not in names:
            names = [p.read_text().strip() for p in Path(f"/proc/{process.pid}/task").glob("*/comm")]
            time.sleep(0.05)
        assert "glm3-mem-trim" in names
    finally:
        process.kill()
        process.wait()


def memory_threshold() -> tuple[int, int, int]:
    from glm3.servers.common.memory import GC_THRESHOLD

    assert GC_THRESHOLD[0] >= 10_000  # far above the default 700: a stream's in-flight objects are not rescanned
    return GC_THRESHOLD


def test_the_garbage_collector_is_tuned_once_the_server_is_built() -> None:
    found = run_python(
        """
        import gc
        from glm3.servers.common import memory
        before = [gc.get_threshold(), gc.get_freeze_count()]
        memory.tune_garbage_collector()
        print(json.dumps({"before": before, "after": [gc.get_threshold(), gc.get_freeze_count()]}))
        """
    )
    assert found["before"] == [[700, 10, 10], 0]
    threshold, frozen = found["after"]  # type: ignore[misc]
    assert tuple(threshold) == memory_threshold()
    assert frozen > 10_000  # the modules and objects made before: out of the collector's sight

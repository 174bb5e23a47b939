"""Where the scoring server's CPU goes on ScoreStream: py-spy samples the server process while a client streams.

    .venv/bin/python -m bench.profile_stream [--signals N] [--free] [--top K] [--view basic|full]

It starts `glm3-scoring-server` (or, with --free, bench/free_scorer_server.py, whose scorer costs nothing) on
a temp LanceDB, streams N signals in frames of 100 from prebuilt messages (the leanest client), with py-spy
recording the server (`py-spy record --format raw`, every thread, idle samples dropped), then prints the
functions with the most samples, by self time and by total time, and the server's CPU seconds per signal.
A profile, not a benchmark: `make bench` measures; this says where to look. py-spy needs to attach to the
server (root, or ptrace allowed).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal as signals
import sys
import tempfile
import time
from pathlib import Path

import grpc

from bench import workload
from bench.harness import BIN, scoring_server_process, wait_serving
from bench.bench_stream import raw_frames
from bench.floor import process_cpu, thread_cpu
from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc

VIEWS = {"basic": candidate_pb2.CANDIDATE_VIEW_BASIC, "full": candidate_pb2.CANDIDATE_VIEW_FULL}


def report(raw: Path, top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        samples += count
        frames = [f.split(" (", 1)[0] + " (" + f.split(" (", 1)[1].rsplit(":", 1)[0].rsplit("/", 1)[-1] + ")"
                  if " (" in f else f for f in stack.split(";")]
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    print(f"\n{samples} samples (server threads, idle dropped)\n\nself:")
    for frame, count in own.most_common(top):
        print(f"  {100 * count / samples:5.1f}%  {frame}")
    print("\ntotal:")
    for frame, count in total.most_common(top):
        print(f"  {100 * count / samples:5.1f}%  {frame}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--signals", type=int, default=30_000)
    parser.add_argument("--free", action="store_true", help="the zero-cost-scorer server")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--view", choices=sorted(VIEWS), default="basic")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per signal, without py-spy")
    args = parser.parse_args()
    command = [sys.executable, "-m", "bench.free_scorer_server"] if args.free else []
    async with scoring_server_process(command=command) as server:
        await wait_serving(server.target)
        pid = server.process.pid
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = pb_grpc.ScoringServiceStub(channel)

            async def stream(count: int) -> None:
                frames = raw_frames(workload.signals(count), 100)
                for frame in frames:
                    frame.batch.view = VIEWS[args.view]
                async for _ in stub.ScoreStream(iter(frames)):
                    pass

            await stream(2_000)  # warm-up
            with tempfile.TemporaryDirectory() as tmp:
                raw = Path(tmp) / "profile.txt"
                spy = None
                if not args.no_profile:
                    spy = await asyncio.create_subprocess_exec(
                        str(BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw", "--output", str(raw),
                        "--rate", "250", "--threads", "--nonblocking",
                        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                    )
                    await asyncio.sleep(1.0)
                cpu = process_cpu(pid)
                threads = thread_cpu(pid)
                started = time.perf_counter()
                await stream(args.signals)
                elapsed = time.perf_counter() - started
                used = process_cpu(pid) - cpu
                by_thread = {name: spent - threads.get(name, 0.0) for name, spent in thread_cpu(pid).items()}
                if spy is not None:
                    if spy.returncode is None:
                        spy.send_signal(signals.SIGINT)
                    if await spy.wait() not in (0, -signals.SIGINT):
                        print(f"py-spy failed (exit status {spy.returncode}): can it attach to the server?")
                print(f"{args.signals / elapsed:,.0f} signals/s; server CPU {1e6 * used / args.signals:,.0f} us a signal"
                      + (" (py-spy attached: slower)" if spy is not None else ""))
                busiest = sorted(by_thread.items(), key=lambda item: -item[1])[:6]
                print("  by thread: " + ", ".join(f"{name} {1e6 * spent / args.signals:,.0f}" for name, spent in busiest if spent > 0))
                if spy is not None and raw.exists():
                    report(raw, args.top)


if __name__ == "__main__":
    asyncio.run(main())

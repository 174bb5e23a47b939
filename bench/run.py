"""`make bench` / `make bench-quick`: runs the benchmarks, prints one table, writes bench/results/*.json.

    .venv/bin/python -m bench.run [--quick] [--only NAME ...]

Each module listed in BENCHMARKS exposes `async def run(quick: bool) -> list[Row]`. Benchmarks never run as
part of `make test`: they measure, they do not pass or fail (the exit code is 0 whatever the ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
import time
import traceback

from bench.harness import Row, save, say, table

# Module name (under bench/) -> what it compares. Order is the issue's.
BENCHMARKS = {
    "bench_stream": "1 streaming throughput vs raw gRPC echo",
    "bench_rest": "2 ScoreStream vs a FastAPI JSON endpoint",
    "bench_unary": "3 unary Score vs raw unary echo; latency vs one commit",
    "bench_llm": "4 LLM-bound scoring vs the ideal window / latency",
    "bench_storage": "5 group commit vs bulk add; fragments; list/search latency",
    "bench_memory": "6 server memory while streaming",
    "bench_cold_start": "7 time to health SERVING",
    "bench_security": "8 ScoreStream and Score with TLS + token auth vs plaintext",
    "bench_workers": "9 ScoreStream with server.workers 1, 2 and auto: signals/s, server CPU per signal",
    "bench_replicas": "10 ScoreStream through 3 replicas on the S3 server vs one: signals/s, server CPU per signal",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under 2 minutes: a sanity check")
    parser.add_argument("--only", nargs="*", default=[], help="module names to run (default: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows: list[Row] = []
    for name, what in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                say(f"{name}: not written yet, skipped")
                continue
            raise
        say(f"{what} ...")
        started = time.perf_counter()
        try:
            rows += asyncio.run(module.run(args.quick))
        except Exception:  # one broken benchmark does not hide the others
            say(f"{name} failed:\n{traceback.format_exc()}")
        say(f"  ({name}: {time.perf_counter() - started:.0f} s)")
    print()
    print(table(rows))
    path = save(rows, quick=args.quick)
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""7. Cold start: from launching each server's console script to its health answering SERVING.

Each launch is a fresh process with a fresh temp LanceDB (defaults otherwise; the ops server with its
agent loop off, as in the tests, so it touches no fixed port). The clock starts just before the process is
created; the server prints its port once it listens, and grpc.health.v1 Check("") is polled from then on
(every 5 ms) until SERVING. No target exists: the baseline is a bare grpc.aio server process with health
only (`bench/bare_server.py`), so the ratio shows the import and start-up cost of ours over what any
Python gRPC server pays. Best and median of 7 launches (quick: 1), the three kinds taking turns.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from bench.harness import BIN, REPO, Row, say, scoring_env, spawn_server, wait_serving

GROUP = "7 cold start"


async def time_to_serving(argv: list[str], env: dict[str, str] | None) -> float:
    async with spawn_server(argv, env) as server:
        return await wait_serving(server.target) - server.launched


async def run(quick: bool) -> list[Row]:
    launches = 1 if quick else 7
    times: dict[str, list[float]] = {"bare": [], "glm3-scoring-server": [], "glm3-ops-server": []}
    with tempfile.TemporaryDirectory(prefix="glm3-bench-cold-") as tmp:
        for n in range(launches):
            for name in times:
                if name == "bare":
                    argv, env = [sys.executable, str(REPO / "bench" / "bare_server.py")], None
                else:
                    extra = {"GLM3_AGENT_LOOP": "false"} if name == "glm3-ops-server" else {}
                    argv, env = [str(BIN / name)], scoring_env(Path(tmp) / f"{name}-{n}", **extra)
                times[name].append(await time_to_serving(argv, env))
    bare = statistics.median(times["bare"])
    say("  " + "; ".join(f"{k} median {statistics.median(v):.2f} s best {min(v):.2f} s" for k, v in times.items()))
    return [
        Row(
            GROUP,
            f"{name} launch to SERVING (median of {launches})",
            statistics.median(samples),
            bare,
            "s",
            higher_is_better=False,
            note=f"best {min(samples):.2f} s; bare grpc.aio + health best {min(times['bare']):.2f} s",
            extra={"seconds": samples, "bare_seconds": times["bare"]},
        )
        for name, samples in times.items()
        if name != "bare"
    ]

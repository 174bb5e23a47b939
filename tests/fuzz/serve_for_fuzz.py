"""Both servers in one process of their own, for the fuzz suite: prints `PORTS {"scoring": p, "ops": p}`,
then, on each SIGUSR1, `LAG <seconds>` (the longest the event loop woke up late since start); SIGTERM stops.

A process apart from the test's, so the lag measured is the servers' own, not hypothesis holding the GIL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from glm3.servers.common.app import build_server
from glm3.servers.common.memory import tune_garbage_collector
from glm3.servers.ops import main as ops_main
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import ops_settings, server_settings


async def main(storage: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if os.environ.get("GLM3_FUZZ_DEBUG"):  # asyncio names each callback that ran over 100 ms, on stderr
        import logging

        logging.basicConfig(level=logging.WARNING)
        loop.set_debug(True)
        loop.slow_callback_duration = 0.1
    worst = 0.0
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: print(f"LAG {worst:.4f}", flush=True))
    scoring_settings = server_settings(ScoringSettings, storage / "scoring")
    ops = ops_settings(storage / "ops", runbooks={"auto_resolve": False})
    servers, ports = [], {}
    for name, settings, make in (("scoring", scoring_settings, scoring_main.make_deps), ("ops", ops, ops_main.make_deps)):
        server, port = build_server(settings, await make(settings))
        await server.start()
        servers.append(server)
        ports[name] = port

    async def watch() -> None:
        nonlocal worst
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - before - 0.01)

    tune_garbage_collector()  # as glm3-*-server do once built (servers/common/runner.py)
    await asyncio.sleep(1.0)  # let start-up work (index creation, first compaction) settle before measuring
    watchdog = asyncio.create_task(watch())
    print(f"PORTS {json.dumps(ports)}", flush=True)
    await stop.wait()
    watchdog.cancel()
    for server in servers:
        await server.stop(0.5)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))

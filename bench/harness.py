"""What every benchmark shares: a result row, the table, the JSON record, and servers started in-process.

A benchmark module exposes `async def run(quick: bool) -> list[Row]`; `bench/run.py` runs the selected
ones and prints one table. These machines are shared and noisy, so a row compares our figure with a
baseline measured in the same run, and the ratio is what counts; absolute numbers are context.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(slots=True)
class Row:
    """One comparison. `ratio` is ours / baseline when `higher_is_better`, else baseline / ours, so a
    ratio above 1 always means we are better; `target` is the ratio the issue asks for (None: shown only)."""

    group: str  # e.g. "1 streaming"
    name: str  # what is compared, e.g. "ScoreStream vs raw echo, 1 signal/message"
    ours: float
    baseline: float
    unit: str  # e.g. "signals/s", "ms"
    target: float | None = None
    higher_is_better: bool = True
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.ours / self.baseline if self.baseline else float("inf")
        return self.baseline / self.ours if self.ours else float("inf")

    @property
    def holds(self) -> bool | None:
        return None if self.target is None else self.ratio >= self.target


def _fmt(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table: ours, baseline, ratio, target, holds."""
    header = ["group", "comparison", "ours", "baseline", "unit", "ratio", "target", "holds"]
    lines = [header]
    for row in rows:
        holds = {None: "-", True: "yes", False: "NO"}[row.holds]
        target = f">= {row.target:g}x" if row.target is not None else "-"
        lines.append(
            [row.group, row.name, _fmt(row.ours), _fmt(row.baseline), row.unit, f"{row.ratio:.2f}x", target, holds]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    notes = [f"  {row.group} / {row.name}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def save(rows: Sequence[Row], *, quick: bool, name: str = "bench") -> Path:
    """Writes the run as JSON under bench/results/ (ignored by git) and returns the path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}{'-quick' if quick else ''}.json"
    payload = {
        "when": stamp,
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average": os.getloadavg(),
        "rows": [{**asdict(row), "ratio": row.ratio, "holds": row.holds} for row in rows],
    }
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@contextlib.asynccontextmanager
async def scoring_server(**sections: dict[str, Any]) -> AsyncIterator[Any]:
    """A real scoring server in this process on 127.0.0.1 (free port), storage in a temp dir; yields the
    `RunningServer`-like object with `.target`, `.deps` and `.engine`."""
    from glm3.servers.common.app import build_server
    from glm3.servers.scoring import main as scoring_main
    from glm3.servers.scoring.settings import ScoringSettings

    with tempfile.TemporaryDirectory(prefix="glm3-bench-") as tmp:
        base: dict[str, Any] = {
            "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_s": 5.0},
            "storage": {"uri": str(Path(tmp) / "db")},
            "metrics": {"enabled": False},
            "log": {"level": "WARNING"},
        }
        for name, values in sections.items():
            base[name] = {**base.get(name, {}), **values}
        settings = ScoringSettings.model_validate(base)
        deps = await scoring_main.make_deps(settings)
        server, port = build_server(settings, deps)
        await server.start()
        try:
            yield _Running(f"127.0.0.1:{port}", deps, deps.services[0].servicer.engine, Path(tmp))
        finally:
            await server.stop(5.0)


@dataclass(slots=True)
class _Running:
    target: str
    deps: Any
    engine: Any
    tmp: Path


def best_of(samples: Sequence[float], higher_is_better: bool = True) -> float:
    """The best of repeated measurements: on a noisy shared machine the best run is the least disturbed."""
    return max(samples) if higher_is_better else min(samples)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


Progress = Callable[[str], None]


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# -- servers in a subprocess ----------------------------------------------------------------------------
# A server in its own process does not share the benchmark client's GIL and event loop (on 2 cores, client
# and server then really run side by side), and its RSS is its own. The console scripts live next to the
# venv's python.

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent


@dataclass(slots=True)
class Spawned:
    """A server process that said where it listens: `target` ("127.0.0.1:PORT"), `launched` and `listening`
    (perf_counter at launch and when its "listening on" line arrived), `stderr` (a file: its logs)."""

    process: asyncio.subprocess.Process
    target: str
    launched: float
    listening: float
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.asynccontextmanager
async def spawn_server(
    argv: Sequence[str], env: Mapping[str, str] | None = None, *, timeout: float = 60.0
) -> AsyncIterator[Spawned]:
    """Launches a server that prints a line ending with "listening on HOST:PORT" on stdout and yields it once
    that line arrived (the lines before it are skipped, its later stdout is drained so the pipe never fills);
    SIGTERM at exit, SIGKILL if it lingers."""
    with tempfile.TemporaryDirectory(prefix="glm3-bench-proc-") as tmp:
        errors = Path(tmp) / "stderr.log"
        with errors.open("wb") as err:
            launched = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=err, env=dict(env or os.environ), cwd=REPO
            )
        assert process.stdout is not None
        drain: asyncio.Task[None] | None = None
        try:
            target = await _wait_listening(process.stdout, timeout)
            if target is None:
                raise RuntimeError(f"{argv[0]} did not start:\n{errors.read_text()[-2000:]}")
            listening = time.perf_counter()

            async def discard(stream: asyncio.StreamReader) -> None:
                while await stream.read(65536):
                    pass

            drain = asyncio.create_task(discard(process.stdout))
            yield Spawned(process, target, launched, listening, errors)
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    # A server that outlives its shutdown grace this long is a defect to report, not hide.
                    say(f"WARNING: {' '.join(argv)} still running 30 s after SIGTERM: killed")
                    process.kill()
                    await process.wait()
            if drain is not None:
                drain.cancel()


async def _wait_listening(stdout: asyncio.StreamReader, timeout: float) -> str | None:
    """HOST:PORT from the first stdout line holding "listening on "; None if the process ended or `timeout`
    passed first."""
    try:
        async with asyncio.timeout(timeout):
            while line := await stdout.readline():
                text = line.decode(errors="replace").strip()
                if "listening on " in text:
                    return text.rsplit("listening on ", 1)[1].strip()
    except TimeoutError:
        pass
    return None


def scoring_env(storage_uri: str | Path, **extra: str) -> dict[str, str]:
    """The environment of a glm3 server (either console script) for a benchmark: loopback, port 0, no
    metrics endpoint, storage at `storage_uri`; every other setting at its default, log level included (no
    inherited GLM3_* or OPENAI_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLM3_", "OPENAI_"))}
    env.update(
        GLM3_SERVER_HOST="127.0.0.1",
        GLM3_SERVER_PORT="0",
        GLM3_METRICS_ENABLED="false",
        GLM3_STORAGE_URI=str(storage_uri),
    )
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def scoring_server_process(*, command: Sequence[str] = (), **extra_env: str) -> AsyncIterator[Spawned]:
    """`glm3-scoring-server` (the console script; or `command`, a server taking the same settings) in a
    subprocess with a temp LanceDB; `extra_env` adds GLM3_* settings (e.g. GLM3_LOG_LEVEL="WARNING")."""
    with tempfile.TemporaryDirectory(prefix="glm3-bench-") as tmp:
        env = scoring_env(Path(tmp) / "db", **extra_env)
        async with spawn_server(list(command) or [str(BIN / "glm3-scoring-server")], env) as spawned:
            yield spawned


async def wait_serving(target: str, timeout: float = 60.0, interval: float = 0.005) -> float:
    """Polls grpc.health.v1 Check("") on `target` until SERVING; returns perf_counter at that moment."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.perf_counter() + timeout
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return time.perf_counter()
            except grpc.aio.AioRpcError:
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{target} not SERVING after {timeout} s")
            await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def scoring_server_subprocess(**sections: dict[str, Any]) -> AsyncIterator[Spawned]:
    """The real scoring server (`python -m glm3.servers.scoring.main --config FILE`) in a subprocess on
    127.0.0.1 (port 0), storage in a temp dir, log level WARNING; `sections` add settings by YAML section
    (e.g. llm={...})."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="glm3-bench-") as tmp:
        base: dict[str, Any] = {
            "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_s": 5.0},
            "storage": {"uri": str(Path(tmp) / "db")},
            "metrics": {"enabled": False},
            "log": {"level": "WARNING"},
        }
        for name, values in sections.items():
            base[name] = {**base.get(name, {}), **values}
        config = Path(tmp) / "config.yaml"
        config.write_text(yaml.safe_dump(base))
        async with spawn_server([sys.executable, "-m", "glm3.servers.scoring.main", "--config", str(config)]) as server:
            yield server


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (and its threads) has used so far."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)

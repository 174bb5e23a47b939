"""What every benchmark shares: a result row, the table, the JSON record, and servers started in-process.

A benchmark module exposes `async def run(quick: bool) -> list[Row]`; `bench/run.py` runs the selected
ones and prints one table. These machines are shared and noisy, so a row compares our figure with a
baseline measured in the same run, and the ratio is what counts; absolute numbers are context.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
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

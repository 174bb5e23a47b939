"""Health tells the truth about storage: a full disk turns it NOT_SERVING (with the reason), room again
turns it SERVING. The storage is a real tmpfs of a few MiB, filled for real."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import running, server_settings, wait_until


@contextlib.contextmanager
def small_disk(path: Path, size: str = "16m") -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode != 0:  # mounting needs root (CAP_SYS_ADMIN); the projects' machines have it
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Writes until the disk is full."""
    filler = directory / "filler"
    # Unbuffered: a buffered file would try to flush the last partial block again at close, and fail.
    with open(filler, "wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
    return filler


async def test_a_full_disk_turns_health_not_serving_and_room_turns_it_back(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        settings = server_settings(ScoringSettings, disk / "lancedb", dependency_probe_interval_s=0.2)
        deps = await scoring_main.make_deps(settings)
        async with running(settings, deps) as server, server.channel() as channel:
            health = health_pb2_grpc.HealthStub(channel)
            stub = pb_grpc.ScoringServiceStub(channel)

            async def status() -> int:
                return (await health.Check(health_pb2.HealthCheckRequest(), timeout=5)).status

            assert await status() == health_pb2.HealthCheckResponse.SERVING
            filler = fill(disk)
            reporter = server.server.health
            await wait_until(lambda: "storage" in reporter.failures, timeout=10)
            assert await status() == health_pb2.HealthCheckResponse.NOT_SERVING
            assert "No space left" in reporter.failures["storage"]
            stats = await stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
            assert stats.health.status == "degraded" and not stats.health.store_reachable
            assert "No space left" in stats.health.storage_problem
            signal = signal_pb2.Signal(title="t", description="d", source="reddit")
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await stub.Score(pb.ScoreRequest(signal=signal), timeout=10)
            assert failed.value.code() == grpc.StatusCode.UNAVAILABLE

            filler.unlink()
            await wait_until(lambda: not reporter.failures, timeout=10)
            assert await status() == health_pb2.HealthCheckResponse.SERVING
            assert (await stub.Score(pb.ScoreRequest(signal=signal), timeout=10)).candidate.title == "t"
            stats = await stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
            assert stats.health.storage_problem == ""

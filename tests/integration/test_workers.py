"""`server.workers` above 1: the real `glm3-scoring-server` as a supervisor of forked workers on one port,
driven over loopback. Every worker serves (several connections; the access log names the pid that served
each call), a killed worker is restarted while calls go on, SIGTERM drains them all (NOT_SERVING first) and
exits 0, /metrics of the supervisor sums every worker's counters, and configuration errors exit 2."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2
from tests.e2e.test_console_scripts import BIN, clean_env

SCRIPT = "glm3-scoring-server"
STATS = "/glm3.scoring.v1.ScoringService/GetScoringStats"
SCORE = "/glm3.scoring.v1.ScoringService/Score"
CONNECTIONS = 16  # SO_REUSEPORT spreads connections: all 16 on one of two workers has odds 2**-15


@dataclass
class Supervised:
    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def worker_pids(self) -> set[int]:
        return {child.pid for child in psutil.Process(self.process.pid).children()}

    def records(self) -> list[dict[str, object]]:
        """The JSON log lines written so far (all processes write the same stderr)."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def metrics_port(self) -> int:
        for record in self.records():
            if record.get("msg") == "metrics listening":
                return int(str(record["url"]).rsplit(":", 1)[1].split("/")[0])
        raise AssertionError("no metrics listening line")


def start(tmp_path: Path, workers: str = "2", **extra: str) -> Supervised:
    # TMPDIR: the supervisor's multiprocess metrics directory is made there, where the test can see it.
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = clean_env(
        tmp_path, GLM3_SERVER_WORKERS=workers, GLM3_SERVER_SHUTDOWN_GRACE_S="2", TMPDIR=str(tmp_path / "tmp"), **extra
    )
    log = tmp_path / f"server-{time.monotonic_ns()}.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [str(BIN / SCRIPT)], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=err, text=True
        )
    assert process.stdout is not None
    line = process.stdout.readline()  # only once every worker serves
    match = re.fullmatch(rf"{SCRIPT} listening on 127\.0\.0\.1:(\d+)\n", line)
    if match is None:
        process.kill()
        raise AssertionError(f"unexpected first line {line!r}; log: {log.read_text()[-3000:]}")
    return Supervised(process, int(match.group(1)), log)


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Supervised]:
    server = start(tmp_path, GLM3_METRICS_ENABLED="true", GLM3_METRICS_PORT="0")
    yield server
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def metrics_dirs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "tmp").glob("glm3-metrics-*"))


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def with_timeout(condition: object, timeout: float, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)


def own_channel(target: str) -> grpc.Channel:
    """A channel with a connection of its own (equal channel arguments would share one subchannel)."""
    return grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])


def stats_call(target: str) -> None:
    with own_channel(target) as channel:
        pb_grpc.ScoringServiceStub(channel).GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def served_by(server: Supervised, method: str) -> dict[int, int]:
    """Calls of `method` in the access log, by the pid of the worker that served them."""
    counts: dict[int, int] = {}
    for record in server.records():
        if record.get("msg") == "rpc" and record.get("method") == method:
            assert record.get("role") == "worker", record
            pid = int(record["pid"])  # type: ignore[call-overload]
            counts[pid] = counts.get(pid, 0) + 1
    return counts


def test_every_worker_serves_and_metrics_sum_them(supervised: Supervised, tmp_path: Path) -> None:
    workers = supervised.worker_pids()
    assert len(workers) == 2
    for n in range(CONNECTIONS):
        with own_channel(supervised.target) as channel:
            stub = pb_grpc.ScoringServiceStub(channel)
            stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
            signal_ = signal_pb2.Signal(
                id=f"w-{n}", title=f"Invoice matcher {n}", description="I would pay.", source="reddit"
            )
            reply = stub.Score(pb.ScoreRequest(signal=signal_), timeout=30)
            assert reply.candidate.signal_id == f"w-{n}"
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status
            assert status == health_pb2.HealthCheckResponse.SERVING
    with_timeout(lambda: sum(served_by(supervised, STATS).values()) == CONNECTIONS, 10)
    by_pid = served_by(supervised, STATS)
    assert set(by_pid) == workers, by_pid  # both workers served, and nobody else
    # Every worker's log line names it.
    tagged = {(r.get("worker"), r.get("pid")) for r in supervised.records() if r.get("msg") == "storage open"}
    assert {pid for _, pid in tagged} == workers and {w for w, _ in tagged} == {0, 1}

    samples = scrape(supervised.metrics_port())

    def requests(method: str) -> float:
        return samples.get(("glm3_rpc_requests_total", frozenset({("method", method), ("code", "OK")})), 0.0)

    assert requests(STATS) == CONNECTIONS  # summed over both workers, each of which served some
    assert requests(SCORE) == CONNECTIONS
    assert sum(v for (name, _), v in samples.items() if name == "glm3_signals_scored_total") == CONNECTIONS
    assert samples[("glm3_workers_serving", frozenset())] == 2
    assert samples[("glm3_health_serving", frozenset())] == 1
    assert samples[("glm3_worker_restarts_total", frozenset())] == 0

    # A single-process server cannot take the workers' port (it binds without SO_REUSEPORT).
    lone = subprocess.run(
        [str(BIN / SCRIPT)], env=clean_env(tmp_path / "lone", GLM3_SERVER_PORT=str(supervised.port)),
        capture_output=True, text=True, timeout=60,
    )
    assert lone.returncode == 1 and f"cannot listen on 127.0.0.1:{supervised.port}" in lone.stderr


def test_a_killed_worker_is_restarted_and_calls_go_on(supervised: Supervised) -> None:
    before = supervised.worker_pids()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    # Reaped (the supervisor logs it after waitpid): its listening socket is closed. Before that, the
    # kernel can still queue a connection on it, which the dying process resets: a killed worker's
    # clients retry, as they would after any crash.
    with_timeout(lambda: any(r.get("msg") == "worker exited" for r in supervised.records()), 10, 0.02)
    # While it is down (0.5 s before it starts again) and after: new connections reach a live worker.
    deadline = time.monotonic() + 30
    while True:
        stats_call(supervised.target)
        after = supervised.worker_pids()
        if len(after) == 2 and victim not in after and (after - before):
            break
        assert time.monotonic() < deadline, after
        time.sleep(0.05)
    newcomer = (after - before).pop()
    with_timeout(
        lambda: any(r.get("msg") == "worker serving" and r.get("worker_pid") == newcomer for r in supervised.records()),
        30,
    )
    for _ in range(CONNECTIONS):
        stats_call(supervised.target)
    exits = [r for r in supervised.records() if r.get("msg") == "worker exited"]  # and nothing else did
    assert [(r["worker_pid"], r["signal"]) for r in exits] == [(victim, "SIGKILL")]
    samples = scrape(supervised.metrics_port())
    assert samples[("glm3_worker_restarts_total", frozenset())] == 1
    assert samples[("glm3_workers_serving", frozenset())] == 2
    with_timeout(lambda: newcomer in served_by(supervised, STATS), 10)  # the new worker gets connections too


def test_sigterm_turns_every_worker_not_serving_drains_and_exits_0(supervised: Supervised, tmp_path: Path) -> None:
    workers = supervised.worker_pids()
    assert len(metrics_dirs(tmp_path)) == 1
    # A health Watch on connections of their own: some reach each worker, and see its NOT_SERVING.
    channels = [own_channel(supervised.target) for _ in range(8)]
    watches = [health_pb2_grpc.HealthStub(c).Watch(health_pb2.HealthCheckRequest(), timeout=30) for c in channels]
    try:
        for watch in watches:
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        supervised.process.send_signal(signal.SIGTERM)
        for watch in watches:
            assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert supervised.process.wait(timeout=30) == 0
    finally:
        for channel in channels:
            channel.close()
    assert all(not psutil.pid_exists(pid) or _zombie(pid) for pid in workers)
    records = supervised.records()
    drained = {r.get("pid") for r in records if r.get("msg") == "storage closed"}
    assert drained == workers
    stopped = [r for r in records if r.get("msg") == "worker stopped"]
    assert sorted((r["worker_pid"], r["exit_code"]) for r in stopped) == sorted((pid, 0) for pid in workers)
    assert not [r for r in records if r.get("level") == "ERROR"]
    assert metrics_dirs(tmp_path) == []  # the multiprocess metrics directory is removed
    with socket.socket() as sock:  # nothing listens there any more (SO_REUSEADDR: closed connections linger)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", supervised.port))
        sock.listen()


def test_workers_drain_and_exit_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    """SIGKILL leaves the supervisor no chance to stop them: the kernel sends each worker SIGTERM
    (PR_SET_PDEATHSIG), and they drain as on any stop. (Its metrics directory stays behind: nothing can
    remove it after a SIGKILL; here it is under the test's TMPDIR.)"""
    server = start(tmp_path)
    workers = server.worker_pids()
    assert len(workers) == 2
    server.process.kill()
    server.process.wait()
    with_timeout(lambda: all(not psutil.pid_exists(pid) or _zombie(pid) for pid in workers), 30)
    with_timeout(lambda: {r.get("pid") for r in server.records() if r.get("msg") == "storage closed"} == workers, 10)


def test_configuration_errors_exit_2(tmp_path: Path) -> None:
    # Found by the workers (the principals file is read when their server is built): the supervisor
    # stops and exits 2, leaving no worker behind.
    done = subprocess.run(
        [str(BIN / SCRIPT)],
        env=clean_env(tmp_path, GLM3_SERVER_WORKERS="2", GLM3_AUTH_PRINCIPALS_FILE=str(tmp_path / "none.yaml")),
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert f"{SCRIPT}: configuration error: cannot read principals file" in done.stderr
    assert "Traceback" not in done.stderr and "listening on" not in done.stdout
    # Found before any worker exists: one line, as for a single process.
    for env, message in (
        (clean_env(tmp_path, GLM3_SERVER_WORKERS="0"), "invalid server.workers = 0 from GLM3_SERVER_WORKERS"),
        (clean_env(tmp_path, GLM3_SERVER_WORKERS="2"), "server.workers = 2: glm3-ops-server runs as one process"),
    ):
        script = "glm3-ops-server" if "ops" in message else SCRIPT
        done = subprocess.run([str(BIN / script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{script}: configuration error: {message}"), done.stderr


def test_a_taken_port_stops_the_supervisor_with_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(BIN / SCRIPT)], env=clean_env(tmp_path, GLM3_SERVER_WORKERS="2", GLM3_SERVER_PORT=str(port)),
            capture_output=True, text=True, timeout=60,
        )
    assert done.returncode == 1
    assert f"{SCRIPT}: cannot listen on 127.0.0.1:{port}" in done.stderr


def test_a_crash_looping_worker_stops_the_supervisor_with_exit_1(tmp_path: Path) -> None:
    """Workers that cannot open storage (a file where the database directory should be) exit 1 at every
    start: restarted after 0.5, 1, 2, 4 and 8 s, the sixth exit within 60 s stops everything."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / SCRIPT)], env=clean_env(tmp_path, GLM3_SERVER_WORKERS="2", GLM3_STORAGE_URI=str(blocker / "db")),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert time.monotonic() - started > 15.5  # the backoff was waited
    assert "exited 6 times within 60 s, the last with exit code 1: a crash loop; stopping" in done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    delays = {
        worker: [r["in_s"] for r in records if r.get("msg") == "restarting worker" and r.get("worker") == worker]
        for worker in (0, 1)
    }
    assert [0.5, 1.0, 2.0, 4.0, 8.0] in delays.values(), delays  # the one that stopped it; the other: a prefix
    assert "listening on" not in done.stdout

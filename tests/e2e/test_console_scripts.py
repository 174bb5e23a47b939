"""The installed console scripts, as a user runs them: start, answer health, stop cleanly on a signal."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

BIN = Path(sys.executable).parent
SERVERS = ["glm3-scoring-server", "glm3-ops-server"]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLM3_", "OPENAI_"))}
    # Tests touch no fixed port: GLM3_AGENT_LOOP=false (the ops server's default check watches
    # 127.0.0.1:50051) and no metrics endpoint (9464/9465 by default).
    env.update(
        {"GLM3_SERVER_PORT": "0", "GLM3_STORAGE_URI": str(tmp_path / "lancedb"), "GLM3_AGENT_LOOP": "false",
         "GLM3_METRICS_ENABLED": "false", **extra}
    )
    return env


class Started:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port


def start(script: str, env: dict[str, str], cwd: Path) -> Started:
    process = subprocess.Popen(
        [str(BIN / script)], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the server says where it listens (or exits)
    match = re.fullmatch(rf"{script} listening on 127\.0\.0\.1:(\d+)\n", line)
    if match is None:
        process.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {process.stderr.read() if process.stderr else ''}")
    return Started(process, int(match.group(1)))


@pytest.fixture
def started(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Started]:
    server = start(request.param, clean_env(tmp_path), tmp_path)
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


def health(port: int) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return reply.status


@pytest.mark.parametrize("started", SERVERS, indirect=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_starts_answers_health_and_exits_0_on_signal(started: Started, signum: int) -> None:
    assert health(started.port) == health_pb2.HealthCheckResponse.SERVING
    started.process.send_signal(signum)
    assert started.process.wait(timeout=20) == 0
    stderr = started.process.stderr.read() if started.process.stderr else ""
    messages = [line for line in stderr.splitlines() if line.startswith("{")]
    assert '"msg": "shutting down"' in "\n".join(messages)
    assert '"msg": "storage closed"' in "\n".join(messages)


def test_glm3_health_command(tmp_path: Path) -> None:
    server = start("glm3-scoring-server", clean_env(tmp_path), tmp_path)
    try:
        result = subprocess.run(
            [str(BIN / "glm3"), "health", "--target", f"127.0.0.1:{server.port}"],
            capture_output=True, text=True, timeout=30,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"127.0.0.1:{server.port} (server): SERVING"
    finally:
        server.process.terminate()
        server.process.wait(timeout=20)


@pytest.mark.parametrize("script", SERVERS)
def test_invalid_config_exits_2_with_one_line_naming_the_key(script: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / script)], env=clean_env(tmp_path, GLM3_SERVER_PORT="70000"),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{script}: configuration error: invalid server.port = 70000 from GLM3_SERVER_PORT")


def test_config_file_and_print_config(tmp_path: Path) -> None:
    config = tmp_path / "scoring.yaml"
    config.write_text("server:\n  port: 6123\nllm:\n  api_key: sk-do-not-print\n")
    result = subprocess.run(
        [str(BIN / "glm3-scoring-server"), "--config", str(config), "--print-config"],
        env=clean_env(tmp_path, GLM3_LOG_LEVEL="debug"), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "port: 0" in result.stdout  # the environment wins over the file
    assert "level: DEBUG" in result.stdout
    assert "sk-do-not-print" not in result.stdout


@pytest.mark.parametrize("script", SERVERS)
def test_help_documents_every_option(script: str) -> None:
    result = subprocess.run([str(BIN / script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for variable in ("GLM3_SERVER_HOST", "GLM3_SERVER_PORT", "GLM3_SERVER_MAX_RECEIVE_MESSAGE_BYTES",
                     "GLM3_SERVER_MAX_CONCURRENT_RPCS", "GLM3_SERVER_SHUTDOWN_GRACE_S", "GLM3_LOG_LEVEL",
                     "GLM3_STORAGE_URI", "GLM3_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "--config"):
        assert variable in result.stdout


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(BIN / "glm3-ops-server")], env=clean_env(tmp_path, GLM3_SERVER_PORT=str(port)),
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 1
    assert f"glm3-ops-server: cannot listen on 127.0.0.1:{port}" in result.stderr


def test_ops_server_watches_the_scoring_server(tmp_path: Path) -> None:
    """What `make run` does, on free ports: the ops server's loop checks the scoring server's gRPC health."""
    from glm3.ops.v1 import ops_pb2, ops_service_pb2, ops_service_pb2_grpc

    scoring = start("glm3-scoring-server", clean_env(tmp_path / "s"), tmp_path)
    config = tmp_path / "ops.yaml"
    config.write_text(
        f"services:\n  checks:\n    - {{kind: grpc, name: scoring, target: '127.0.0.1:{scoring.port}'}}\n"
        "agent:\n  loop: true\n  check_interval_s: 0.5\n"
    )
    env = clean_env(tmp_path / "o")
    env.pop("GLM3_AGENT_LOOP")
    ops = subprocess.Popen(
        [str(BIN / "glm3-ops-server"), "--config", str(config)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert ops.stdout is not None
        port = int(re.fullmatch(r"glm3-ops-server listening on 127\.0\.0\.1:(\d+)\n", ops.stdout.readline()).group(1))  # type: ignore[union-attr]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = ops_service_pb2_grpc.OpsServiceStub(channel)
            deadline = time.monotonic() + 20
            while True:
                reply = stub.CheckHealth(ops_service_pb2.CheckHealthRequest(services=["scoring"]), timeout=10)
                if reply.results and reply.results[0].status == ops_pb2.HEALTH_STATUS_HEALTHY:
                    break
                assert time.monotonic() < deadline, reply
                time.sleep(0.2)
            status = stub.GetAgentStatus(ops_service_pb2.GetAgentStatusRequest(), timeout=10).status
            assert status.running and status.total_checks >= 1
    finally:
        for process in (ops, scoring.process):
            process.terminate()
            process.wait(timeout=20)


def test_a_bad_runbook_file_stops_the_ops_server_with_one_clear_error(tmp_path: Path) -> None:
    runbooks = tmp_path / "runbooks.yaml"
    runbooks.write_text(
        "runbooks:\n  - id: bad\n    title: Bad\n    issues: [disk_full]\n"
        "    steps:\n      - {name: boom, kind: command, argv: 'rm -rf /tmp/x'}\n"
    )
    result = subprocess.run(
        [str(BIN / "glm3-ops-server")], env=clean_env(tmp_path, GLM3_RUNBOOKS_PATH=str(runbooks)),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("glm3-ops-server: configuration error:")
    assert "bad" in result.stderr and "argv" in result.stderr

"""The single-writer guard: a server not configured for several writers refuses (exit 2, naming the
other process) a database another live server writes; shared servers coexist; a killed server frees it."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from glm3.servers.storage import guard
from tests.e2e.test_console_scripts import BIN, clean_env, health, start


def _refused(script: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([str(BIN / script)], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    return done.stderr


@pytest.mark.parametrize("script", ["glm3-scoring-server", "glm3-ops-server"])
def test_a_second_lone_server_on_the_same_database_exits_2_naming_the_first(tmp_path: Path, script: str) -> None:
    first = start(script, clean_env(tmp_path), tmp_path)
    try:
        stderr = _refused(script, clean_env(tmp_path), tmp_path)
        assert f"pid {first.process.pid}" in stderr and "storage.shared" in stderr
        # A shared one is refused too while the lone one writes.
        stderr = _refused(script, clean_env(tmp_path, GLM3_STORAGE_SHARED="true"), tmp_path)
        assert f"pid {first.process.pid}" in stderr
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
    # Killed, it holds nothing: the next one starts.
    after = start(script, clean_env(tmp_path), tmp_path)
    try:
        assert health(after.port) == 1
    finally:
        after.process.send_signal(signal.SIGTERM)
        assert after.process.wait(timeout=20) == 0


def test_shared_servers_coexist_and_a_lone_one_is_refused_while_they_write(tmp_path: Path) -> None:
    env = clean_env(tmp_path, GLM3_STORAGE_SHARED="true")
    servers = [start("glm3-scoring-server", env, tmp_path) for _ in range(2)]
    try:
        assert [health(s.port) for s in servers] == [1, 1]
        stderr = _refused("glm3-scoring-server", clean_env(tmp_path), tmp_path)
        assert "as one of several writers" in stderr
        assert all(f"pid {s.process.pid}" in stderr for s in servers)
    finally:
        for s in servers:
            s.process.send_signal(signal.SIGTERM)
        assert [s.process.wait(timeout=20) for s in servers] == [0, 0]


def test_scoring_and_ops_servers_share_a_directory_each_guarding_its_own_tables(tmp_path: Path) -> None:
    scoring = start("glm3-scoring-server", clean_env(tmp_path), tmp_path)
    ops = start("glm3-ops-server", clean_env(tmp_path), tmp_path)
    try:
        assert health(scoring.port) == health(ops.port) == 1
    finally:
        for s in (scoring, ops):
            s.process.send_signal(signal.SIGTERM)
            assert s.process.wait(timeout=20) == 0


def test_the_guard_in_process(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    alone = guard.acquire(uri, "scoring", shared=False, prog="a")
    with pytest.raises(guard.WriterConflict, match="as its only writer"):
        guard.acquire(uri, "scoring", shared=True, prog="b")
    alone.release()
    one, two = (guard.acquire(uri, "scoring", shared=True, prog=p) for p in "cd")
    with pytest.raises(guard.WriterConflict):
        guard.acquire(uri, "scoring", shared=False, prog="e")
    one.release()
    two.release()
    guard.acquire(uri, "scoring", shared=False, prog="f").release()
    assert not list((tmp_path / "db" / ".glm3-writers").iterdir())  # released guards leave nothing behind

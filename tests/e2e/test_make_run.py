"""`make run` fails loudly and stops cleanly: the real Makefile target, driven in a subprocess.

Either server exiting stops the other and `make run` exits non-zero (2 for a configuration error); Ctrl-C
typed on a real terminal (a pty) and SIGTERM to the launcher stop both servers and exit 0. The servers bind
port 0 and keep their data in the test's directory.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import socket
import subprocess
import termios
import time
from pathlib import Path

import psutil

from tests.e2e.test_console_scripts import clean_env

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(rb"(glm3-scoring-server|glm3-ops-server) listening on 127\.0\.0\.1:\d+")


def make_run(env: dict[str, str], **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["make", "--no-print-directory", "-C", str(ROOT), "run"], env=env, **popen)  # type: ignore[call-overload]


def read_until(fd: int, pattern: re.Pattern[bytes], count: int, timeout: float = 60) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while len(set(pattern.findall(out))) < count:
        assert time.monotonic() < deadline, out[-3000:]
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def drain(fd: int) -> bytes:
    """What is left to read on a pty whose other side closed (EIO at the end)."""
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return out
        if not chunk:
            return out
        out += chunk


def test_a_configuration_error_of_one_server_stops_the_other_and_exits_2(tmp_path: Path) -> None:
    env = clean_env(tmp_path, GLM3_SCORING_STREAM_WINDOW="0")
    process = make_run(env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, err[-3000:]
    assert b"glm3-run: glm3-scoring-server exited (a configuration error" in err
    assert b"stopping glm3-ops-server" in err


def test_servers_that_cannot_listen_make_it_exit_non_zero(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = clean_env(tmp_path, GLM3_SERVER_PORT=str(taken.getsockname()[1]))
        process = make_run(env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        port = taken.getsockname()[1]
        out, err = process.communicate(timeout=120)
    assert process.returncode not in (0, None), err[-3000:]
    assert b"glm3-run: glm3-" in err and b"exited" in err
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use by another process".encode() in err
    assert b"server.port (GLM3_SERVER_PORT)" in err and b"Failed to add port" not in err  # no C-core line


def test_sigterm_to_the_launcher_stops_both_and_exits_0(tmp_path: Path) -> None:
    process = make_run(clean_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    read_until(process.stdout.fileno(), LISTENING, 2)
    launcher = next(p for p in psutil.Process(process.pid).children(recursive=True) if "glm3.servers.launch" in " ".join(p.cmdline()))
    servers = launcher.children()
    assert len(servers) == 2
    launcher.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    assert not any(s.is_running() and s.status() != psutil.STATUS_ZOMBIE for s in servers)


def test_ctrl_c_on_a_terminal_stops_both_and_exits_0(tmp_path: Path) -> None:
    master, slave = pty.openpty()

    def controlling_terminal() -> None:  # make runs in a session whose terminal is the pty, like a shell's
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    try:
        env = clean_env(tmp_path)
        process = make_run(env, stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_terminal)
        os.close(slave)
        seen = read_until(master, LISTENING, 2)
        os.write(master, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground process group
        code = process.wait(timeout=60)
        everything = seen + drain(master)
        assert code == 0, everything[-3000:]
        assert b"Interrupt" not in everything and b"Error" not in everything  # make saw a clean exit
        assert everything.count(b"stopped") >= 2, everything[-3000:]  # both servers, in text on a terminal
        assert b'{"ts"' not in everything
    finally:
        os.close(master)

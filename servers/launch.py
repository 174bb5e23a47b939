"""`make run`: both servers as child processes of one launcher that fails loudly.

- Either server exiting (a port in use, a configuration error: exit 2) stops the other, and the launcher
  exits with the code of the one that exited first, after one line on stderr naming it.
- SIGINT (Ctrl-C) or SIGTERM stops both gracefully (SIGTERM to each; SIGKILL after `--grace` seconds) and
  exits 0 when both stopped cleanly. On a terminal the launcher takes the terminal's foreground for its own
  process group while it runs, so Ctrl-C reaches it and the servers but not `make`, which would otherwise
  report the interrupt and exit 130 whatever the servers did.
- Logs are text for a person when stderr is a terminal and `GLM3_LOG_FORMAT` is not set, JSON otherwise
  (`make run LOG=text` or `LOG=json` chooses).

No server module is imported: the servers are the console scripts next to this interpreter.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SERVERS = ("glm3-scoring-server", "glm3-ops-server")
PROG = "glm3-run"


def _say(text: str) -> None:
    sys.stderr.write(f"{PROG}: {text}\n")
    sys.stderr.flush()


def _environment(log: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if log:
        env["GLM3_LOG_FORMAT"] = log
    elif "GLM3_LOG_FORMAT" not in env and sys.stderr.isatty():
        env["GLM3_LOG_FORMAT"] = "text"
    return env


def _stop(children: dict[str, subprocess.Popen[bytes]], grace: float) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{name} did not stop within {grace:g} s: killed")
            child.kill()
            child.wait()


def _take_foreground() -> tuple[int, int] | None:
    """Moves this process into a group of its own, the terminal's foreground one; returns (fd, previous
    group) to give it back, or None when stdin is not the terminal's foreground."""
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd) or os.tcgetpgrp(fd) != os.getpgrp():
            return None
        previous = os.getpgrp()
        os.setpgid(0, 0)
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not set the foreground
        try:
            os.tcsetpgrp(fd, os.getpgrp())
        finally:
            signal.signal(signal.SIGTTOU, old)
        return fd, previous
    except (OSError, ValueError):
        return None


def _give_back(foreground: tuple[int, int] | None) -> None:
    if foreground is None:
        return
    fd, previous = foreground
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(fd, previous)
    except OSError:
        pass
    finally:
        signal.signal(signal.SIGTTOU, old)


def run(log: str | None = None, grace: float = 30.0, bin_dir: Path | None = None) -> int:
    where = bin_dir or Path(sys.executable).parent
    env = _environment(log)
    stop_requested: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop_requested.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    children: dict[str, subprocess.Popen[bytes]] = {}
    foreground = _take_foreground()
    try:
        for name in SERVERS:
            children[name] = subprocess.Popen([str(where / name)], env=env)
        while True:
            if stop_requested:
                _stop(children, grace)
                codes = {name: child.returncode for name, child in children.items()}
                # A server stopped by the signal we (or the terminal) sent counts as a clean stop.
                failed = {n: c for n, c in codes.items() if c not in (0, -signal.SIGTERM, -signal.SIGINT)}
                if failed:
                    name, code = next(iter(failed.items()))
                    _say(f"{name} exited with code {code} while stopping")
                    return code if code > 0 else 1
                return 0
            for name, child in children.items():
                code = child.poll()
                if code is None:
                    continue
                others = [n for n in children if n != name and children[n].poll() is None]
                reason = "a configuration error" if code == 2 else f"code {code}"
                _say(
                    f"{name} exited ({reason}; its own lines above say why)"
                    + (f"; stopping {', '.join(others)}" if others else "")
                )
                _stop(children, grace)
                return code if code > 0 else 1
            time.sleep(0.1)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
                child.wait()
        _give_back(foreground)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", choices=["text", "json"], help="log format of both servers (default: text on a terminal)")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds a server gets to stop before SIGKILL (default 30)")
    args = parser.parse_args(argv)
    return run(args.log, args.grace)


if __name__ == "__main__":
    sys.exit(main())

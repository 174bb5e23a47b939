"""Runbooks: loading (and refusing) YAML declarations, and running their steps for real: child processes,
HTTP to a loopback server, file cleanup in temporary directories, re-checks, dry runs, the cool-down."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import socket
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest
from aiohttp import web

from glm3.servers.common.errors import InvalidArgument, NotFound
from glm3.servers.common.settings import ConfigError
from glm3.servers.ops.models import CheckResult, HealthStatus, ResolutionStatus
from glm3.servers.ops.runbooks import (
    OUTPUT_LIMIT,
    Cooldown,
    RunbookCatalog,
    RunbookError,
    RunbookExecutor,
    RunbooksSection,
    verified,
)
from tests.conftest import wait_until

DAY = 86400.0


def write_runbooks(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "runbooks.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def load(tmp_path: Path, body: str, allowed: tuple[Path, ...] = ()) -> RunbookCatalog:
    path = write_runbooks(tmp_path, body)
    return RunbookCatalog.load(RunbooksSection(path=str(path), allowed_dirs=tuple(map(str, allowed))))


def _flow(argv: list[str]) -> str:
    """An argv as a YAML flow list (JSON is YAML), quoting whatever it holds."""
    return json.dumps(argv)


# -- a loopback service the steps talk to and the re-check probes --------------------------------------


@dataclass
class Service:
    url: str
    healthy: bool = False
    requests: list[tuple[str, str, Any]] = field(default_factory=list)


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    state = Service(url="")

    async def health(_request: web.Request) -> web.Response:
        return web.Response(status=200 if state.healthy else 503, text="ok" if state.healthy else "down")

    async def restart(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        state.requests.append((request.method, request.path, body))
        state.healthy = True
        return web.json_response({"restarted": True}, status=202)

    async def restart_broken(request: web.Request) -> web.Response:
        state.requests.append((request.method, request.path, None))
        return web.json_response({"restarted": True}, status=202)

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="as asked")

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_post("/restart", restart)
    app.router.add_post("/restart-broken", restart_broken)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield state
    finally:
        await runner.cleanup()


def http_recheck(service: Service) -> Any:
    """A real re-check: GET /health on the loopback service, healthy on 200."""

    async def recheck(name: str) -> CheckResult:
        async with aiohttp.ClientSession() as session, session.get(f"{service.url}/health") as response:
            status = HealthStatus.HEALTHY if response.status == 200 else HealthStatus.CRITICAL
            return CheckResult(name, status, f"GET /health answered {response.status}", check="http")

    return recheck


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- loading ------------------------------------------------------------------------------------------


def test_the_bundled_runbooks_load_with_no_setup() -> None:
    catalog = RunbookCatalog.load(RunbooksSection())
    assert "recheck-endpoint" in catalog.ids()
    assert [r.id for r in catalog.for_issue("endpoint_down")] == ["recheck-endpoint"]
    assert [r.id for r in catalog.for_issue("connection_refused")] == ["recheck-endpoint"]
    endpoint = catalog.get("recheck-endpoint")
    assert endpoint.safe_for_automation and [s.kind for s in endpoint.steps] == ["wait_recheck"]
    assert catalog.for_issue("no_such_issue") == []
    # Nothing bundled deletes files or runs programs.
    assert {step.kind for runbook in catalog.all() for step in runbook.steps} == {"wait_recheck"}
    with pytest.raises(NotFound, match="no runbook 'nope'"):
        catalog.get("nope")


RUNBOOK_HEAD = """\
runbooks:
  - id: fix-it
    title: Fix it
    issues: [endpoint_down]
    steps:
"""


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            "      - {name: restart, kind: command, argv: 'systemctl restart api'}\n",
            "runbook 'fix-it' step 'restart': argv: must be a list of strings, never a shell string: "
            "write [systemctl, restart, api]",
        ),
        (
            "      - {name: nuke, kind: shell, cmd: 'rm -rf /'}\n",
            "runbook 'fix-it' step 'nuke': unknown kind 'shell' (allowed: command, http, cleanup, wait_recheck)",
        ),
        ("      - {name: noop}\n", "runbook 'fix-it' step 'noop': kind is missing"),
        (
            "      - {name: a, kind: wait_recheck}\n      - {name: a, kind: wait_recheck}\n",
            "runbook 'fix-it': step name 'a' is used twice",
        ),
        ("      - {name: ping, kind: http, url: 'ftp://host/x'}\n", "step 'ping': url: must be an http:// or https://"),
        ("      - {name: run, kind: command, argv: []}\n", "step 'run': argv: "),
        ("      - {name: run, kind: command, argv: [ls], shell: true}\n", "step 'run': unknown field 'shell'"),
        ("      - {name: w, kind: wait_recheck, wait_s: 30}\n", "step 'w': wait_s (30) must be shorter than timeout_s"),
        ("      - {name: w, kind: wait_recheck, timeout_s: 601}\n", "step 'w': timeout_s: "),
        (
            "      - {name: purge, kind: cleanup, directory: /var/log, older_than_days: 0}\n",
            "step 'purge': older_than_days: Input should be greater than 0",
        ),
        (
            "      - {name: purge, kind: cleanup, directory: logs, older_than_days: 1}\n",
            "step 'purge': directory: must be an absolute path",
        ),
    ],
)
def test_bad_steps_are_refused_with_one_clear_line(tmp_path: Path, steps: str, expected: str) -> None:
    with pytest.raises(RunbookError) as caught:
        load(tmp_path, RUNBOOK_HEAD + steps)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(f"{tmp_path / 'runbooks.yaml'}: ")
    assert expected in caught.value.problems[0]
    assert isinstance(caught.value, ConfigError)  # the servers report it as a configuration error


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("runbooks: [\n", "line 2: not valid YAML"),
        ("- just a list\n", "must be a mapping with a 'runbooks' list"),
        ("runbooks: []\nextra: 1\n", "unknown top-level key 'extra'"),
        ("version: 2\nrunbooks: []\n", "version 2 is not supported"),
        (
            "runbooks:\n  - {id: Fix It, title: x, issues: [a], steps: [{name: w, kind: wait_recheck}]}\n",
            "runbook 'Fix It': id: must be a slug",
        ),
        (
            "runbooks:\n  - {id: fix, title: x, issues: [], steps: [{name: w, kind: wait_recheck}]}\n",
            "runbook 'fix': issues: ",
        ),
        (
            "runbooks:\n  - {title: x, issues: [a], steps: [{name: w, kind: wait_recheck}]}\n",
            "runbook #1: id is required",
        ),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(RunbookError) as caught:
        load(tmp_path, body)
    assert expected in str(caught.value)


def test_every_problem_is_reported_and_duplicate_ids_refused(tmp_path: Path) -> None:
    body = """\
    runbooks:
      - {id: same, title: a, issues: [x], steps: [{name: w, kind: wait_recheck}]}
      - {id: same, title: b, issues: [x], steps: [{name: w, kind: wait_recheck}]}
      - {id: other, title: c, issues: [x], steps: [{name: run, kind: command, argv: 'echo hi'}]}
    """
    with pytest.raises(RunbookError) as caught:
        load(tmp_path, body)
    problems = caught.value.problems
    assert len(problems) == 2 and str(caught.value).count("\n") == 1
    assert "runbook 'same': id is already used by runbook #1" in problems[0]
    assert "runbook 'other' step 'run': argv: must be a list of strings" in problems[1]


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match=f"runbooks file {tmp_path / 'missing.yaml'}: cannot read"):
        RunbookCatalog.load(RunbooksSection(path=str(tmp_path / "missing.yaml")))


CLEANUP = """\
runbooks:
  - id: clean-logs
    title: Clean logs
    issues: [disk_full]
    steps:
      - name: purge
        kind: cleanup
        directory: '{directory}'
        older_than_days: 7
        pattern: '*.log'
        recursive: {recursive}
"""


def test_cleanup_outside_the_allowed_directories_is_refused_at_load(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    with pytest.raises(RunbookError) as caught:
        load(tmp_path, CLEANUP.format(directory=outside, recursive="false"), allowed=(allowed,))
    assert caught.value.problems == [
        f"{tmp_path / 'runbooks.yaml'}: runbook 'clean-logs' step 'purge': directory {outside} is not inside "
        f"an allowed directory ({allowed})"
    ]
    # A symlink inside the allowed directory that leads out of it is judged by where it leads.
    (allowed / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunbookError, match=f"directory {allowed / 'escape'} \\(really {outside}\\) is not inside"):
        load(tmp_path, CLEANUP.format(directory=allowed / "escape", recursive="false"), allowed=(allowed,))
    # `..` does not get out either.
    with pytest.raises(RunbookError, match="is not inside an allowed directory"):
        load(tmp_path, CLEANUP.format(directory=f"{allowed}/../outside", recursive="false"), allowed=(allowed,))
    # With no allowed directories at all, cleanup is disabled.
    with pytest.raises(RunbookError, match="step 'purge': cleanup is disabled: runbooks.allowed_dirs is empty"):
        load(tmp_path, CLEANUP.format(directory=allowed, recursive="false"))


def test_allowed_dirs_setting() -> None:
    section = RunbooksSection.model_validate({"allowed_dirs": f"/var/log/a{os.pathsep}/srv/b"})
    assert section.allowed_dirs == ("/var/log/a", "/srv/b")  # as read from GLM3_RUNBOOKS_ALLOWED_DIRS
    assert RunbooksSection().allowed_dirs == () and RunbooksSection().cooldown_s == 900
    with pytest.raises(ValueError, match="must be an absolute path"):
        RunbooksSection(allowed_dirs=("logs",))
    with pytest.raises(ValueError, match="is the file system root"):
        RunbooksSection(allowed_dirs=("/",))


# -- running ------------------------------------------------------------------------------------------


async def test_a_dry_run_runs_nothing_and_says_what_would_run(tmp_path: Path, service: Service) -> None:
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')"
    catalog = load(
        tmp_path,
        f"""\
        runbooks:
          - id: restart-api
            title: Restart the API
            issues: [endpoint_down]
            steps:
              - {{name: touch, kind: command, argv: {_flow([sys.executable, "-c", code])}}}
              - {{name: restart, kind: http, method: post, url: '{service.url}/restart', expected_status: 202}}
              - {{name: recheck, kind: wait_recheck, wait_s: 0.01}}
        """,
    )
    executor = RunbookExecutor(http_recheck(service))
    result = await executor.run(catalog.get("restart-api"), "endpoint_down", "api", dry_run=True)
    assert result.status is ResolutionStatus.SKIPPED and result.dry_run
    assert not marker.exists() and service.requests == []
    assert result.steps_completed == [] and result.steps_failed == []
    assert [s.message for s in result.steps] == [
        f"would run: {shlex.join([sys.executable, '-c', code])} (timeout 30 s)",
        f"would send: POST {service.url}/restart, expecting 202 (timeout 30 s)",
        "would wait 0.01 s, then re-check api",
    ]
    assert all(s.ok for s in result.steps)
    assert result.message == "dry run of restart-api: 3 steps would run, nothing ran"


async def test_command_steps_run_without_a_shell(tmp_path: Path) -> None:
    code = "import os, sys; print(os.getcwd()); print(os.environ['GLM3_TEST_VALUE']); print('warn', file=sys.stderr)"
    catalog = load(
        tmp_path,
        f"""\
        runbooks:
          - id: run-it
            title: Run it
            issues: [crash_loop]
            steps:
              - name: report
                kind: command
                argv: {_flow([sys.executable, "-c", code])}
                cwd: '{tmp_path}'
                env: {{GLM3_TEST_VALUE: '42'}}
              - name: literal
                kind: command
                argv: {_flow([sys.executable, "-c", "import sys; print(sys.argv[1])", "$HOME; rm -rf / && echo *"])}
        """,
    )
    result = await RunbookExecutor().run(catalog.get("run-it"), "crash_loop", "")
    assert result.status is ResolutionStatus.SUCCESS, result.message
    assert result.steps_completed == ["report", "literal"] and result.message == "run-it: 2 steps ok"
    report = result.details["steps"]["report"]
    assert report["exit_code"] == 0
    assert report["stdout"].splitlines() == [str(tmp_path), "42"] and report["stderr"] == "warn\n"
    # Arguments reach the program as they are: no shell expands or splits them.
    assert result.details["steps"]["literal"]["stdout"] == "$HOME; rm -rf / && echo *\n"
    assert all(s.duration_ms > 0 for s in result.steps)


async def test_a_failing_first_step_fails_the_runbook_and_stops_it(tmp_path: Path) -> None:
    marker = tmp_path / "second-ran"
    fail = "import sys; print('disk is read-only', file=sys.stderr); sys.exit(3)"
    touch = f"open({str(marker)!r}, 'w')"
    body = f"""\
    runbooks:
      - id: two-steps
        title: Two steps
        issues: [crash_loop]
        steps:
          - {{name: first, kind: command, argv: {_flow([sys.executable, "-c", fail])}}}
          - {{name: second, kind: command, argv: {_flow([sys.executable, "-c", touch])}}}
      - id: three-is-fine
        title: Exit 3 expected
        issues: [crash_loop]
        steps:
          - {{name: first, kind: command, argv: {_flow([sys.executable, "-c", fail])}, expected_exit_codes: [3]}}
    """
    catalog = load(tmp_path, body)
    result = await RunbookExecutor().run(catalog.get("two-steps"), "crash_loop")
    assert result.status is ResolutionStatus.FAILED
    assert result.steps_failed == ["first"] and result.steps_completed == [] and len(result.steps) == 1
    assert result.steps[0].message == "exit code 3 (expected 0): disk is read-only"
    assert result.message == (
        "two-steps: 0 of 2 steps ok; step 'first' failed: exit code 3 (expected 0): disk is read-only"
    )
    assert not marker.exists()
    ok = await RunbookExecutor().run(catalog.get("three-is-fine"), "crash_loop")
    assert ok.status is ResolutionStatus.SUCCESS


async def test_a_command_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    code = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(60)\n"
    )
    catalog = load(
        tmp_path,
        f"""\
        runbooks:
          - id: hang
            title: Hangs
            issues: [timeout]
            steps:
              - {{name: sleep, kind: command, argv: {_flow([sys.executable, "-c", code])}, timeout_s: 1.5}}
        """,
    )
    started = time.monotonic()
    result = await RunbookExecutor().run(catalog.get("hang"), "timeout")
    assert time.monotonic() - started < 10
    assert result.status is ResolutionStatus.FAILED
    assert result.steps[0].message == "timed out after 1.5 s; the process group was killed"
    parent, child = map(int, pids.read_text().split())
    await wait_until(lambda: not alive(parent) and not alive(child), timeout=5)


async def test_a_command_that_starts_a_daemon_ends_when_it_exits(tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    code = (
        "import subprocess, sys\n"
        "daemon = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'], start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(daemon.pid))\n"
        "print('started')\n"
    )
    catalog = load(
        tmp_path,
        f"""\
        runbooks:
          - id: start-daemon
            title: Start a daemon
            issues: [crash_loop]
            steps:
              - {{name: start, kind: command, argv: {_flow([sys.executable, "-c", code])}, timeout_s: 20}}
        """,
    )
    started = time.monotonic()
    result = await RunbookExecutor().run(catalog.get("start-daemon"), "crash_loop")
    daemon = int(pid_file.read_text())
    try:
        # The daemon holds the output pipe open, yet the step ends with the program, and the daemon lives.
        assert time.monotonic() - started < 10
        assert result.status is ResolutionStatus.SUCCESS, result.message
        assert result.details["steps"]["start"]["stdout"] == "started\n"
        assert alive(daemon)
    finally:
        os.kill(daemon, signal.SIGKILL)


async def test_command_output_is_truncated_and_a_missing_program_is_named(tmp_path: Path) -> None:
    catalog = load(
        tmp_path,
        f"""\
        runbooks:
          - id: chatty
            title: Chatty
            issues: [timeout]
            steps:
              - {{name: talk, kind: command, argv: {_flow([sys.executable, "-c", "print('x' * 200000)"])}}}
          - id: missing
            title: Missing program
            issues: [timeout]
            steps:
              - {{name: run, kind: command, argv: ['{tmp_path}/no-such-program', '--flag']}}
        """,
    )
    result = await RunbookExecutor().run(catalog.get("chatty"), "timeout")
    stdout = result.details["steps"]["talk"]["stdout"]
    assert result.status is ResolutionStatus.SUCCESS
    assert stdout == "x" * OUTPUT_LIMIT + "\n[truncated]"
    missing = await RunbookExecutor().run(catalog.get("missing"), "timeout")
    assert missing.status is ResolutionStatus.FAILED
    assert missing.steps[0].message == f"cannot start {tmp_path}/no-such-program: No such file or directory"


async def test_http_steps(tmp_path: Path, service: Service) -> None:
    catalog = load(
        tmp_path,
        f"""\
        runbooks:
          - id: restart
            title: Restart
            issues: [endpoint_down]
            steps:
              - name: restart
                kind: http
                method: POST
                url: '{service.url}/restart'
                body: {{reason: endpoint_down, force: true}}
                expected_status: [200, 202]
          - id: wrong-status
            title: Wrong status
            issues: [endpoint_down]
            steps:
              - {{name: get, kind: http, url: '{service.url}/status/500'}}
          - id: slow
            title: Slow
            issues: [endpoint_down]
            steps:
              - {{name: get, kind: http, url: '{service.url}/slow', timeout_s: 0.3}}
          - id: refused
            title: Nobody listens
            issues: [endpoint_down]
            steps:
              - {{name: get, kind: http, url: 'http://127.0.0.1:{closed_port()}/x'}}
        """,
    )
    executor = RunbookExecutor()
    ok = await executor.run(catalog.get("restart"), "endpoint_down")
    assert ok.status is ResolutionStatus.SUCCESS
    assert service.requests == [("POST", "/restart", {"reason": "endpoint_down", "force": True})]
    assert ok.details["steps"]["restart"] == {"status": 202, "body": '{"restarted": true}'}

    wrong = await executor.run(catalog.get("wrong-status"), "endpoint_down")
    assert wrong.status is ResolutionStatus.FAILED
    assert wrong.steps[0].message == f"GET {service.url}/status/500: 500 (expected 200)"

    slow = await executor.run(catalog.get("slow"), "endpoint_down")
    assert slow.status is ResolutionStatus.FAILED and slow.steps[0].message == "timed out after 0.3 s"

    refused = await executor.run(catalog.get("refused"), "endpoint_down")
    assert refused.status is ResolutionStatus.FAILED and "failed: ClientConnectorError" in refused.steps[0].message


def make_file(path: Path, size: int, age_days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    moment = time.time() - age_days * DAY
    os.utime(path, (moment, moment))
    return path


async def test_cleanup_deletes_only_old_matching_regular_files(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    logs = allowed / "logs"
    secret = make_file(tmp_path / "outside" / "secret.log", 50, age_days=30)
    old = make_file(logs / "old.log", 100, age_days=10)
    recent = make_file(logs / "recent.log", 200, age_days=1)
    other = make_file(logs / "old.txt", 300, age_days=10)
    nested = make_file(logs / "sub" / "nested.log", 400, age_days=10)
    link = logs / "link.log"
    link.symlink_to(secret)  # an old file outside, reached through a link in the cleaned directory
    os.utime(link, (time.time() - 30 * DAY,) * 2, follow_symlinks=False)

    flat = load(tmp_path, CLEANUP.format(directory=logs, recursive="false"), allowed=(allowed,))
    executor = RunbookExecutor(allowed_dirs=flat.allowed_dirs)
    result = await executor.run(flat.get("clean-logs"), "disk_full")
    assert result.status is ResolutionStatus.SUCCESS, result.message
    assert not old.exists()
    assert recent.exists() and other.exists() and nested.exists() and link.is_symlink() and secret.exists()
    details = result.details["steps"]["purge"]
    assert details["files_deleted"] == 1 and details["bytes_freed"] == 100
    assert details["files_kept"] == 1 and details["symlinks_skipped"] == 1
    assert result.steps[0].message == f"deleted 1 file (100 bytes) older than 7 days matching '*.log' in {logs}"

    deep = load(tmp_path, CLEANUP.format(directory=logs, recursive="true"), allowed=(allowed,))
    again = await executor.run(deep.get("clean-logs"), "disk_full")
    assert again.status is ResolutionStatus.SUCCESS
    assert not nested.exists() and recent.exists() and other.exists() and secret.exists()
    assert again.details["steps"]["purge"]["files_deleted"] == 1


async def test_cleanup_refuses_a_directory_that_became_a_symlink_out(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    logs = allowed / "logs"
    logs.mkdir(parents=True)
    precious = make_file(tmp_path / "elsewhere" / "precious.log", 10, age_days=100)
    catalog = load(tmp_path, CLEANUP.format(directory=logs, recursive="true"), allowed=(allowed,))
    logs.rmdir()
    logs.symlink_to(precious.parent, target_is_directory=True)  # swapped after the runbooks were loaded

    executor = RunbookExecutor(allowed_dirs=catalog.allowed_dirs)
    dry = await executor.run(catalog.get("clean-logs"), "disk_full", dry_run=True)
    assert not dry.steps[0].ok and dry.steps[0].message.startswith("would be refused: directory")
    result = await executor.run(catalog.get("clean-logs"), "disk_full")
    assert result.status is ResolutionStatus.FAILED
    assert result.steps[0].message.startswith(f"refused: directory {logs} (really {precious.parent}) is not inside")
    assert precious.exists()
    # An executor given no allowed directories refuses every cleanup.
    disabled = await RunbookExecutor().run(catalog.get("clean-logs"), "disk_full")
    assert disabled.steps[0].message == "refused: cleanup is disabled: runbooks.allowed_dirs is empty"


RESTART_THEN_RECHECK = """\
runbooks:
  - id: restart-api
    title: Restart the API, then check it
    issues: [endpoint_down]
    steps:
      - {{name: restart, kind: http, method: POST, url: '{url}', expected_status: 202}}
      - {{name: recheck, kind: wait_recheck, wait_s: 0.01}}
  - id: restart-only
    title: Restart the API
    issues: [endpoint_down]
    steps:
      - {{name: restart, kind: http, method: POST, url: '{url}', expected_status: 202}}
"""


async def test_wait_recheck_decides_success_or_partial(tmp_path: Path, service: Service) -> None:
    fixed = load(tmp_path, RESTART_THEN_RECHECK.format(url=f"{service.url}/restart"))
    executor = RunbookExecutor(http_recheck(service))
    result = await executor.run(fixed.get("restart-api"), "endpoint_down", "api")
    assert result.status is ResolutionStatus.SUCCESS, result.message
    assert result.steps_completed == ["restart", "recheck"]
    assert result.steps[1].message == "api is healthy: GET /health answered 200"
    assert result.details["steps"]["recheck"]["recheck"]["status"] == "healthy"

    service.healthy = False
    broken = load(tmp_path, RESTART_THEN_RECHECK.format(url=f"{service.url}/restart-broken"))
    partial = await executor.run(broken.get("restart-api"), "endpoint_down", "api")
    assert partial.status is ResolutionStatus.PARTIAL
    assert partial.steps_completed == ["restart"] and partial.steps_failed == ["recheck"]
    assert partial.message == (
        "restart-api: 1 of 2 steps ok; step 'recheck' failed: api is critical: GET /health answered 503"
    )


async def test_without_a_recheck_step_the_service_is_rechecked_at_the_end(tmp_path: Path, service: Service) -> None:
    broken = load(tmp_path, RESTART_THEN_RECHECK.format(url=f"{service.url}/restart-broken"))
    executor = RunbookExecutor(http_recheck(service))
    partial = await executor.run(broken.get("restart-only"), "endpoint_down", "api")
    assert partial.status is ResolutionStatus.PARTIAL and partial.steps_completed == ["restart"]
    assert partial.message == "restart-only: 1 step ok but api is still not healthy: GET /health answered 503"
    assert partial.details["recheck"] == {"service": "api", "status": "critical", "message": "GET /health answered 503"}
    # With no service named there is nothing to re-check: the steps decide.
    assert (await executor.run(broken.get("restart-only"), "endpoint_down")).status is ResolutionStatus.SUCCESS

    fixed = load(tmp_path, RESTART_THEN_RECHECK.format(url=f"{service.url}/restart"))
    success = await executor.run(fixed.get("restart-only"), "endpoint_down", "api")
    assert success.status is ResolutionStatus.SUCCESS
    assert success.message == "restart-only: 1 step ok; api is healthy"


async def test_an_outcome_is_verified_only_when_a_recheck_saw_the_service_after_the_steps(
    tmp_path: Path, service: Service
) -> None:
    fixed = load(tmp_path, RESTART_THEN_RECHECK.format(url=f"{service.url}/restart"))
    executor = RunbookExecutor(http_recheck(service))
    # The last step re-checked: verified, whether it found the service healthy or not.
    assert verified(await executor.run(fixed.get("restart-api"), "endpoint_down", "api"))
    service.healthy = False
    broken = load(tmp_path, RESTART_THEN_RECHECK.format(url=f"{service.url}/restart-broken"))
    still_down = await executor.run(broken.get("restart-api"), "endpoint_down", "api")
    assert still_down.status is ResolutionStatus.PARTIAL and verified(still_down)
    # No re-check step: the executor's final re-check verifies.
    final = await executor.run(broken.get("restart-only"), "endpoint_down", "api")
    assert final.status is ResolutionStatus.PARTIAL and verified(final)
    # Steps that succeeded with nothing re-checked after them (no service, no re-check): a claim, not verified.
    unchecked = await executor.run(broken.get("restart-only"), "endpoint_down")
    assert unchecked.status is ResolutionStatus.SUCCESS and not verified(unchecked)
    blind = await RunbookExecutor().run(fixed.get("restart-only"), "endpoint_down", "api")
    assert blind.status is ResolutionStatus.SUCCESS and not verified(blind)
    # A first step that fails stops the runbook before its re-check.
    gone = load(tmp_path, RESTART_THEN_RECHECK.format(url=f"http://127.0.0.1:{closed_port()}/restart"))
    failed = await executor.run(gone.get("restart-api"), "endpoint_down", "api")
    assert failed.status is ResolutionStatus.FAILED and failed.steps_completed == [] and not verified(failed)
    # A dry run verifies nothing.
    assert not verified(await executor.run(fixed.get("restart-api"), "endpoint_down", "api", dry_run=True))


async def test_the_bundled_recheck_waits_then_rechecks(service: Service) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    catalog = RunbookCatalog.load(RunbooksSection())
    executor = RunbookExecutor(http_recheck(service), sleep=sleep)
    down = await executor.run(catalog.get("recheck-endpoint"), "endpoint_down", "api")
    assert down.status is ResolutionStatus.FAILED and waits == [5.0]  # nothing fixed, nothing ran but a wait
    service.healthy = True
    up = await executor.run(catalog.get("recheck-endpoint"), "connection_refused", "api")
    assert up.status is ResolutionStatus.SUCCESS and up.steps_completed == ["wait-and-recheck"]
    # A re-check needs a service; without one the step fails and says why.
    nothing = await executor.run(catalog.get("recheck-endpoint"), "timeout")
    assert nothing.steps[0].message.startswith("no service to re-check")


async def test_a_runbook_runs_only_for_the_issues_it_declares() -> None:
    catalog = RunbookCatalog.load(RunbooksSection())
    with pytest.raises(InvalidArgument) as caught:
        await RunbookExecutor().run(catalog.get("recheck-endpoint"), "disk_full", "api")
    assert caught.value.violations[0].field == "issue_name"


def test_cooldown_allows_once_per_runbook_and_service_per_period() -> None:
    now = [1000.0]
    cooldown = Cooldown(900, clock=lambda: now[0])
    assert cooldown.allow("recheck-endpoint", "api")
    assert not cooldown.allow("recheck-endpoint", "api")
    assert cooldown.allow("recheck-endpoint", "scoring") and cooldown.allow("restart-api", "api")
    now[0] += 899
    assert not cooldown.allow("recheck-endpoint", "api") and cooldown.remaining("recheck-endpoint", "api") == 1
    now[0] += 1
    assert cooldown.allow("recheck-endpoint", "api")
    assert cooldown.remaining("recheck-endpoint", "api") == 900
    assert Cooldown(0).allow("a", "b") and Cooldown(0).allow("a", "b")


async def test_command_steps_do_not_inherit_the_servers_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-secret")
    monkeypatch.setenv("GLM3_LLM_API_KEY", "sk-planted-too")
    monkeypatch.setenv("SERVICE_PASSWORD", "hunter2")
    monkeypatch.setenv("PLAIN_SETTING", "visible")
    code = "import os; print(sorted(k for k in os.environ if k in {'OPENAI_API_KEY','GLM3_LLM_API_KEY','SERVICE_PASSWORD','PLAIN_SETTING'}))"
    catalog = load(
        tmp_path,
        f"""\
        runbooks:
          - id: env
            title: Env
            issues: [timeout]
            steps:
              - {{name: show, kind: command, argv: {_flow([sys.executable, "-c", code])}}}
        """,
    )
    result = await RunbookExecutor().run(catalog.get("env"), "timeout", "")
    assert result.details["steps"]["show"]["stdout"].strip() == "['PLAIN_SETTING']"

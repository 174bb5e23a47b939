"""The `glm3` command line, as a user runs it: the installed console script as a subprocess, against real
scoring and ops servers on 127.0.0.1 (port 0).

The servers run in-process, on an event loop in a thread of their own (started with the conftest helpers,
once for the module), so each test only pays for the CLI's own start (about 0.3 s) and blocking
`subprocess.run` calls do not stall the servers. The ops server checks the scoring server's gRPC health and
a TCP port on 127.0.0.1 where nothing listens (a real failing check, which opens a real alert); host checks
and the agent loop are off so results do not depend on this machine's load.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from glm3.servers.ops import main as ops_main
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import ops_settings, running, server_settings

GLM3 = str(Path(sys.executable).parent / "glm3")
ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "clients" / "python" / "data" / "sample_signals.jsonl"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Servers:
    scoring: str
    ops: str
    down_port: int


class ServerThread:
    """Both servers on an event loop in a background thread, until `stop()`."""

    def __init__(self, storage: Path) -> None:
        self.storage = storage
        self.ready = threading.Event()
        self.servers: Servers | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="cli-test-servers", daemon=True)

    def start(self) -> Servers:
        self._thread.start()
        if not self.ready.wait(60):
            raise AssertionError("servers did not start in 60 s")
        if self.error is not None:
            raise self.error
        assert self.servers is not None
        return self.servers

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test thread
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        scoring_settings = server_settings(ScoringSettings, self.storage / "scoring")
        scoring_deps = await scoring_main.make_deps(scoring_settings)
        async with running(scoring_settings, scoring_deps) as scoring:
            down = closed_port()
            settings = ops_settings(
                self.storage / "ops",
                services={
                    "checks": [
                        {"kind": "grpc", "name": "scoring", "target": scoring.target},
                        {"kind": "tcp", "name": "database", "host": "127.0.0.1", "port": down, "timeout_s": 2},
                    ]
                },
                host_checks={"enabled": False},
                runbooks={"auto_resolve": False},
            )
            ops_deps = await ops_main.make_deps(settings)
            async with running(settings, ops_deps) as ops:
                self.servers = Servers(scoring.target, ops.target, down)
                self.ready.set()
                await self._stop.wait()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    thread = ServerThread(tmp_path_factory.mktemp("cli-servers"))
    started = thread.start()
    yield started
    thread.stop()


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLM3_", "OPENAI_"))}
    env.update(extra)
    return env


@dataclass
class Run:
    code: int
    out: str
    err: str

    def rows(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines()]


def glm3(*args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    result = subprocess.run(
        [GLM3, *args], input=input, capture_output=True, text=True, timeout=timeout, env=env or cli_env()
    )
    return Run(result.returncode, result.stdout, result.stderr)


def fields(out: str) -> dict[str, str]:
    """A key/value block (`key   value`, keys aligned) as a dict; wrapped continuation lines are joined."""
    result: dict[str, str] = {}
    key = ""
    column = 0  # where values start: continuation lines are blank up to there
    for line in out.splitlines():
        if not line.strip():
            continue
        if key and not line[:column].strip():
            result[key] += " " + line.strip()
            continue
        match = re.match(r"(\s*\S.*?)(\s{2,})(.*)$", line)
        key, value = (match.group(1).strip(), match.group(3)) if match else (line.strip(), "")
        column = match.end(2) if match else len(line)
        result[key] = value
    return result


def scoring_args(servers: Servers, *args: str) -> list[str]:
    return [*args, "--target", servers.scoring]


def make_signal(id: str | None, title: str = "Invoices reconciled by hand every month", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "timestamp": "2026-10-01T08:00:00Z",
        "source": "reddit",
        "source_url": None,
        "title": title,
        "description": "Every month I waste a day matching invoices to payouts by hand; I would pay for a tool.",
        "category": "finance",
        "tags": ["invoicing"],
        "engagement": {"upvotes": 120, "comments": 14},
        "author": None,
        "extracted_at": None,
        "raw_content": None,
        "comments": ["same here"],
    }
    if id is not None:
        data = {"id": id, **data}
    data.update(extra)
    return data


@pytest.fixture(scope="module")
def demo(servers: Servers) -> Run:
    """`glm3 demo` once: it also fills the store with the 30 sample candidates the read commands use."""
    return glm3("demo", "--top", "5", "--target", servers.scoring)


# -- score -------------------------------------------------------------------------------------------------


def mixed_input(prefix: str) -> tuple[str, dict[str, int]]:
    """JSON Lines with good signals, each kind of malformed line, a blank line and a signal the server
    refuses; returns the text and the line number of each kind."""
    lines = [
        json.dumps(make_signal(f"{prefix}-1")),  # 1
        '{"id": "broken", "title": ',  # 2: bad JSON
        "[1, 2, 3]",  # 3: not an object
        "",  # 4: blank, skipped silently
        json.dumps({**make_signal(f"{prefix}-5"), "descripton": "typo"}),  # 5: unknown key
        json.dumps(make_signal(f"{prefix}-6", title=42)),  # 6: wrong type
        json.dumps(make_signal(f"{prefix}-7", title="   ")),  # 7: the server refuses it (blank title)
        json.dumps(make_signal(f"{prefix}-8", title="Chasing late invoices is awkward")),  # 8
        json.dumps(make_signal(None, title="A signal without an id")),  # 9
    ]
    return "\n".join(lines) + "\n", {"json": 2, "object": 3, "key": 5, "type": 6, "refused": 7}


def check_mixed_results(rows: list[dict[str, Any]], prefix: str) -> None:
    by_line = {row["line"]: row for row in rows}
    assert sorted(by_line) == [1, 7, 8, 9]  # malformed lines are not sent; every other line has one result
    for line in (1, 8):
        row = by_line[line]
        assert row["correlation_id"] == row["signal_id"] == f"{prefix}-{line}"
        candidate = row["candidate"]
        assert candidate["signal_id"] == f"{prefix}-{line}"  # the seed's snake_case names
        assert set(candidate["scores"]) == {"market", "competition", "emotional", "feasibility", "signal_quality"}
        assert 0 <= candidate["overall_score"] <= 100 and candidate["verdict"].startswith("VERDICT_")
        assert row["already_scored"] is False
    refused = by_line[7]
    assert refused["signal_id"] == f"{prefix}-7" and "candidate" not in refused
    assert refused["error"] == {
        "code": "INVALID_ARGUMENT",
        "message": refused["error"]["message"],
        "reason": "INVALID_SIGNAL",
        "field_violations": [{"field": "signal.title", "description": "is required and must not be blank"}],
    }
    assert by_line[9]["correlation_id"] == "line:9" and by_line[9]["signal_id"]  # id assigned by the server


def test_score_reports_malformed_lines_with_their_numbers_and_exits_1(servers: Servers, tmp_path: Path) -> None:
    text, lines = mixed_input("mixed")
    path = tmp_path / "signals.jsonl"
    path.write_text(text)
    run = glm3(*scoring_args(servers, "score", str(path)))
    assert run.code == 1, run.err
    check_mixed_results(run.rows(), "mixed")
    err = run.err.splitlines()
    assert f"score: line {lines['json']}: not valid JSON: Expecting value at column 26 (skipped)" in err
    assert f"score: line {lines['object']}: not a JSON object (got an array) (skipped)" in err
    assert any(
        line.startswith(f"score: line {lines['key']}: descripton: unknown key 'descripton'; did you mean 'description'?")
        for line in err
    )
    assert f"score: line {lines['type']}: title: must be a string, got int (skipped)" in err
    assert (
        f"score: line {lines['refused']}: INVALID_ARGUMENT: signal is invalid [INVALID_SIGNAL]"
        " (signal.title: is required and must not be blank)" in err
    )
    assert not any("line 4" in line for line in err)  # a blank line is not a signal
    assert "\r" not in run.err and "ETA" not in run.err  # stderr is a pipe: no progress bar
    assert err[-3].startswith("processed  8 signals in ")
    assert err[-2].startswith("scored     3  (")
    assert err[-1] == "failed     5  (4 malformed lines, 1 rejected by the server)"


def test_score_allow_errors_exits_0_and_out_writes_the_file(servers: Servers, tmp_path: Path) -> None:
    text, _ = mixed_input("allowed")
    path = tmp_path / "signals.jsonl"
    path.write_text(text)
    out = tmp_path / "results.jsonl"
    run = glm3(*scoring_args(servers, "score", str(path), "--allow-errors", "--out", str(out), "--frame-size", "2"))
    assert run.code == 0, run.err
    assert run.out == ""
    check_mixed_results([json.loads(line) for line in out.read_text().splitlines()], "allowed")
    assert run.err.splitlines()[-1] == f"results    {out}"

    again = glm3(*scoring_args(servers, "score", str(path), "--allow-errors"))  # same ids: the stored candidates
    assert again.code == 0
    assert {row["line"]: row.get("already_scored") for row in again.rows()}[1] is True
    assert "; 2 already scored)" in again.err  # lines 1 and 8; line 9 has no id, so it is new each time


def test_score_reads_stdin(servers: Servers) -> None:
    text = "\n".join(json.dumps(make_signal(f"stdin-{n}", title=f"Idea {n}: invoices by hand")) for n in range(25))
    run = glm3(*scoring_args(servers, "score", "-", "--frame-size", "10"), input=text)
    assert run.code == 0, run.err
    rows = run.rows()
    assert sorted(row["line"] for row in rows) == list(range(1, 26))
    assert all(row["candidate"]["title"] == f"Idea {row['line'] - 1}: invoices by hand" for row in rows)
    assert "processed  25 signals" in run.err and "\r" not in run.err


def test_score_draws_a_progress_bar_only_on_a_terminal(servers: Servers, tmp_path: Path) -> None:
    path = tmp_path / "signals.jsonl"
    path.write_text("\n".join(json.dumps(make_signal(f"tty-{n}")) for n in range(300)) + "\n")
    master, slave = pty.openpty()
    results = tmp_path / "results.jsonl"
    with results.open("w") as stdout:  # a file, not a pipe: nobody reads a pipe while the terminal is read
        process = subprocess.Popen(
            [GLM3, *scoring_args(servers, "score", str(path), "--frame-size", "20")],
            stdout=stdout, stderr=slave, env=cli_env(COLUMNS="100"),
        )
    os.close(slave)
    chunks = []
    while True:  # read the terminal until the process closes it
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the slave side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(30) == 0
    terminal = b"".join(chunks).decode()
    assert len(results.read_text().splitlines()) == 300
    assert "\rscore [" in terminal and "/300 " in terminal  # the total comes from counting the file
    assert "/s" in terminal and "ETA" in terminal
    assert "\r\x1b[Kprocessed  300 signals" in terminal  # the bar is erased before the summary


def test_score_an_unreachable_target_says_so_and_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "signals.jsonl"
    path.write_text(json.dumps(make_signal("unreached")) + "\n")
    port = closed_port()
    run = glm3("score", str(path), "--target", f"127.0.0.1:{port}")
    assert run.code == 3
    assert run.err.splitlines()[-1].startswith(f"glm3: cannot reach 127.0.0.1:{port}: ")
    assert run.out == ""


# -- demo and candidates ---------------------------------------------------------------------------------


def test_demo_prints_the_top_candidates_and_a_summary(demo: Run, servers: Servers) -> None:
    assert demo.code == 0, demo.err
    lines = demo.out.splitlines()
    assert lines[0] == "Top 5 candidates"
    assert lines[1].split() == ["#", "TITLE", "VERDICT", "SCORE", "STRONGEST", "WEAKEST"]
    rows = lines[2:]
    assert len(rows) == 5
    scores = [float(row.split()[-5]) for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert rows[0].split()[0] == "1"
    assert any(v in rows[0] for v in ("GO", "RESEARCH", "PASS"))
    assert f"streaming the bundled sample signals to {servers.scoring}" in demo.err
    assert "processed  30 signals" in demo.err and "failed     0" in demo.err
    scored = next(line for line in demo.err.splitlines() if line.startswith("scored "))
    assert sum(f"{v} " in scored for v in ("GO", "RESEARCH", "PASS")) >= 2  # the samples are not all alike

    as_json = glm3("demo", "--top", "3", "--json", "--target", servers.scoring)
    assert as_json.code == 0
    candidates = as_json.rows()
    assert [c["overall_score"] for c in candidates] == sorted((c["overall_score"] for c in candidates), reverse=True)
    titles = [row.split("  ")[1].strip().removesuffix("…") for row in rows[:3]]  # a long title is cut
    assert all(c["title"].startswith(title) for c, title in zip(candidates, titles, strict=True))


def test_candidates_list_in_table_and_json(demo: Run, servers: Servers) -> None:
    assert demo.code == 0
    table = glm3(*scoring_args(servers, "candidates", "list", "--source", "hackernews", "--order", "score-desc", "--limit", "3"))
    assert table.code == 0, table.err
    header, *rows = table.out.splitlines()
    assert header.split() == ["ID", "VERDICT", "SCORE", "TITLE", "SOURCE", "CATEGORY", "SCORED", "AT"]
    assert len(rows) == 3 and all(" hackernews " in row for row in rows)
    hackernews = sum(1 for line in SAMPLES.read_text().splitlines() if json.loads(line)["source"] == "hackernews")
    assert table.err.strip() == f"3 of {hackernews} matching candidates (--limit 0 shows all)"

    listed = glm3(*scoring_args(servers, "candidates", "list", "--source", "hackernews", "--order", "score-desc", "--limit", "0", "--json"))
    assert listed.code == 0 and listed.err == ""
    candidates = listed.rows()
    assert len(candidates) == hackernews
    assert [c["overall_score"] for c in candidates] == sorted((c["overall_score"] for c in candidates), reverse=True)
    assert [row.split()[0] for row in rows] == [c["id"] for c in candidates[:3]]

    filtered = glm3(*scoring_args(servers, "--json", "candidates", "list", "--verdict", "go,research", "--min-score", "70", "--since", "1h"))
    assert filtered.code == 0, filtered.err
    assert filtered.rows() and all(
        c["verdict"] in ("VERDICT_GO", "VERDICT_RESEARCH") and c["overall_score"] >= 70 for c in filtered.rows()
    )


def test_candidates_get_by_id_and_by_signal_id(demo: Run, servers: Servers) -> None:
    assert demo.code == 0
    by_signal = glm3(*scoring_args(servers, "candidates", "get", "--signal-id", "sample_001", "--json"))
    assert by_signal.code == 0, by_signal.err
    [candidate] = by_signal.rows()
    assert candidate["signal_id"] == "sample_001"

    table = glm3(*scoring_args(servers, "candidates", "get", candidate["id"]))
    assert table.code == 0, table.err
    shown = fields(table.out)
    assert shown["id"] == candidate["id"] and shown["signal id"] == "sample_001"
    assert shown["title"] == candidate["title"]
    assert shown["verdict"] == f"{candidate['verdict'].removeprefix('VERDICT_')} (overall {candidate['overall_score']:.1f})"
    assert shown["emotional"].startswith(f"{candidate['scores']['emotional']:.1f} ")
    assert shown["scorer"] == "heuristic" and shown["recommendations"].startswith("- ")


def test_candidates_search(demo: Run, servers: Servers) -> None:
    assert demo.code == 0
    table = glm3(*scoring_args(servers, "candidates", "search", "wedding photos", "--limit", "5"))
    assert table.code == 0, table.err
    header, *rows = table.out.splitlines()
    assert header.split() == ["RELEVANCE", "ID", "VERDICT", "SCORE", "TITLE"]
    assert 1 <= len(rows) <= 5
    assert "Culling 3,000 wedding photos takes me two days" in rows[0]
    assert "hits (" in table.err and "search)" in table.err

    hits = glm3(*scoring_args(servers, "candidates", "search", "wedding photos", "--json")).rows()
    assert hits and all({"candidate", "relevance"} <= set(hit) for hit in hits)
    assert hits[0]["candidate"]["signal_id"] == "sample_012"


def test_feedback_then_stats_counts_it(demo: Run, servers: Servers) -> None:
    assert demo.code == 0
    [candidate] = glm3(*scoring_args(servers, "candidates", "get", "--signal-id", "sample_005", "--json")).rows()
    before = glm3(*scoring_args(servers, "stats", "--json")).rows()[0]

    given = glm3(*scoring_args(
        servers, "feedback", candidate["id"], "--wrong", "--expected", "go", "--rating", "4",
        "--outcome", "built it; 40 paying teachers", "--by", "cli-test",
    ))
    assert given.code == 0, given.err
    shown = fields(given.out)
    assert shown["candidate"] == candidate["id"]
    assert shown["verdict correct"] == "no" and shown["expected verdict"] == "GO" and shown["rating"] == "4/5"
    assert shown["outcome"] == "built it; 40 paying teachers"

    after = glm3(*scoring_args(servers, "stats", "--json")).rows()[0]
    assert int(after["feedback_count"]) == int(before.get("feedback_count", 0)) + 1
    assert int(after["candidates_total"]) >= 30

    table = glm3(*scoring_args(servers, "stats"))
    assert table.code == 0
    shown = fields(table.out)
    assert shown["feedback"].split()[0] == f"{int(after['feedback_count']):,}"
    assert "store reachable" in shown["health"]


def test_feedback_that_says_nothing_is_refused_before_anything_is_stored(demo: Run, servers: Servers) -> None:
    before = int(glm3(*scoring_args(servers, "stats", "--json")).rows()[0].get("feedback_count", 0))
    empty = glm3(*scoring_args(servers, "feedback", "candidate_x", "--by", "someone"))
    assert empty.code == 2 and "give --correct or --wrong" in empty.err
    assert int(glm3(*scoring_args(servers, "stats", "--json")).rows()[0].get("feedback_count", 0)) == before


def test_a_signal_id_given_as_the_candidate_id_gets_a_hint(demo: Run, servers: Servers) -> None:
    run = glm3(*scoring_args(servers, "candidates", "get", "sample_005"))
    assert run.code == 1 and run.out == ""
    [line] = run.err.splitlines()
    assert "glm3 candidates get --signal-id sample_005" in line and "candidate_" in line


def test_not_found_is_one_clear_line_and_exit_1(servers: Servers) -> None:
    run = glm3(*scoring_args(servers, "candidates", "get", "candidate_nope"))
    assert run.code == 1 and run.out == ""
    [line] = run.err.splitlines()
    assert line.startswith("glm3: NOT_FOUND: ") and "[CANDIDATE_NOT_FOUND]" in line and "candidate_nope" in line


def test_an_invalid_request_lists_its_field_violations(servers: Servers) -> None:
    run = glm3(*scoring_args(servers, "feedback", "candidate_x", "--comment", "x" * 3000, "--by", "y" * 300))
    assert run.code == 1
    [line] = run.err.splitlines()
    assert line.startswith("glm3: INVALID_ARGUMENT: ")
    assert "(comment: must be at most 2,000 characters; submitted_by: must be at most 256 characters)" in line


def test_usage_errors_exit_2(servers: Servers) -> None:
    assert glm3("candidates", "list", "--verdict", "maybe").code == 2
    assert glm3("candidates", "list", "--since", "last tuesday").code == 2
    missing = glm3(*scoring_args(servers, "score", "/nonexistent/signals.jsonl"))
    assert missing.code == 2 and missing.err.strip() == "glm3: cannot read /nonexistent/signals.jsonl: No such file or directory"
    token = glm3(*scoring_args(servers, "stats"), env=cli_env(GLM3_TOKEN="two\nlines"))
    assert token.code == 2 and token.err == "glm3: the token (--token or $GLM3_TOKEN) must be non-empty and on one line\n"


def test_tls_to_a_plaintext_server_cannot_reach_it(servers: Servers) -> None:
    run = glm3("health", "--tls", "--target", servers.scoring)
    assert run.code == 3
    assert run.err.splitlines()[-1].startswith(f"glm3: cannot reach {servers.scoring}: ")  # (gRPC logs the handshake)


def test_help_documents_output_and_exit_codes() -> None:
    run = glm3("--help")
    assert run.code == 0
    for text in ("--json", "JSON Lines", "exit codes", "cannot reach", "GLM3_TARGET", "GLM3_OPS_TARGET", "GLM3_TOKEN"):
        assert text in run.out
    score = glm3("score", "--help")
    for text in ("--allow-errors", "--out", "--frame-size", "--window", "line number", "progress bar"):
        assert text in score.out


# -- ops ---------------------------------------------------------------------------------------------------


def ops_args(servers: Servers, *args: str) -> list[str]:
    return ["ops", *args, "--target", servers.ops]


def test_ops_health_in_table_and_json(servers: Servers) -> None:
    table = glm3(*ops_args(servers, "health", "--now"))
    assert table.code == 1, table.err  # overall CRITICAL: a health probe fails
    header, *rows = table.out.splitlines()
    assert header.split()[:3] == ["SERVICE", "STATUS", "CHECK"]
    status = {row.split()[0]: row.split()[1] for row in rows}
    assert status == {"scoring": "HEALTHY", "database": "CRITICAL"}
    assert table.err.strip() == "overall: CRITICAL (2 checks)"

    one = glm3(*ops_args(servers, "health", "scoring", "--json"))
    assert one.code == 0  # only the healthy check: overall HEALTHY
    [result] = one.rows()
    assert result["service"] == "scoring" and result["status"] == "HEALTH_STATUS_HEALTHY" and result["check"] == "grpc"

    env = cli_env(GLM3_OPS_TARGET=servers.ops)  # the ops default target comes from the environment
    assert glm3("ops", "health", "scoring", env=env).code == 0
    assert glm3(*ops_args(servers, "health", "database", "--json")).code == 1  # --json exits the same way
    assert glm3(*ops_args(servers, "health", "scoring", "--strict")).code == 0


def test_ops_diagnose_a_symptom_and_a_service(servers: Servers) -> None:
    symptom = glm3(*ops_args(servers, "diagnose", "--symptom", "dial tcp 127.0.0.1:5432: connect: connection refused"))
    assert symptom.code == 0, symptom.err
    shown = fields(symptom.out)
    assert shown["issue"] == "connection_refused"
    assert shown["runbooks"] == "recheck-endpoint" and shown["diagnosed by"] == "rules"

    service = glm3(*ops_args(servers, "diagnose", "--service", "database", "--json"))
    assert service.code == 0, service.err
    [diagnosis] = service.rows()
    assert diagnosis["issue_name"] in ("connection_refused", "endpoint_down")
    assert glm3(*ops_args(servers, "diagnose", "--service", "nope")).code == 1


def test_ops_runbooks_resolve_dry_run_and_status(servers: Servers) -> None:
    runbooks = glm3(*ops_args(servers, "runbooks", "--issue", "endpoint_down"))
    assert runbooks.code == 0, runbooks.err
    header, *rows = runbooks.out.splitlines()
    assert header.split() == ["ID", "TITLE", "ISSUES", "AUTO", "STEPS"]
    assert [row.split()[0] for row in rows] == ["recheck-endpoint"]
    listed = glm3(*ops_args(servers, "runbooks", "--json")).rows()
    assert "recheck-endpoint" in {r["id"] for r in listed} and len(listed) >= 3

    dry = glm3(*ops_args(servers, "resolve", "recheck-endpoint", "--service", "database", "--dry-run"))
    assert dry.code == 0, dry.err
    shown = fields(dry.out)
    assert shown["runbook"] == "recheck-endpoint (dry run: nothing was run)"
    assert shown["status"] == "SKIPPED" and shown["issue"] == "endpoint_down"
    assert any(line.startswith("wait-and-recheck") for line in dry.out.splitlines())

    unknown = glm3(*ops_args(servers, "resolve", "no-such-runbook", "--dry-run"))
    assert unknown.code == 1 and unknown.err.startswith("glm3: NOT_FOUND: ")

    status = glm3(*ops_args(servers, "status"))
    assert status.code == 0, status.err
    assert status.out.splitlines()[0].split() == ["agent", "not", "running"]  # the test server runs no loop
    assert "escalate when" in status.out and "×" not in status.out
    assert "a service down ≥ 10 min" in status.out and "disk ≥ 95 %" in status.out
    [reply] = glm3(*ops_args(servers, "status", "--json")).rows()
    assert "status" in reply and "escalation_criteria" in reply


def test_ops_alerts_and_ack(servers: Servers) -> None:
    assert glm3(*ops_args(servers, "health", "database", "--now")).code == 1  # the failing check (CRITICAL: exit 1) opens an alert
    listed = glm3(*ops_args(servers, "alerts", "--service", "database", "--json"))
    assert listed.code == 0, listed.err
    alerts = listed.rows()
    assert alerts and all(a["service"] == "database" for a in alerts)
    alert = alerts[0]

    table = glm3(*ops_args(servers, "alerts"))
    assert table.code == 0
    assert any(row.startswith(alert["id"]) for row in table.out.splitlines()[1:])

    acked = glm3(*ops_args(servers, "ack", alert["id"], "--by", "cli-test", "--comment", "looking"))
    assert acked.code == 0, acked.err
    assert "state  ACKNOWLEDGED" in acked.out and "by     cli-test" in acked.out
    open_only = glm3(*ops_args(servers, "alerts", "--state", "open", "--json")).rows()
    assert alert["id"] not in {a["id"] for a in open_only}

    missing = glm3(*ops_args(servers, "ack", "alert_nope", "--by", "cli-test"))
    assert missing.code == 1 and missing.err.startswith("glm3: NOT_FOUND: ") and "[ALERT_NOT_FOUND]" in missing.err


def read_lines_until(process: subprocess.Popen[str], predicate: Any, timeout: float) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if predicate(lines):
                return lines
    raise AssertionError(f"not seen in {timeout} s; got {lines!r}")


@pytest.mark.parametrize(
    ("command", "wanted"),
    [
        (["watch", "--heartbeat", "1"], lambda lines: any("heartbeat" in line for line in lines)),
        (["alerts", "--watch", "--state", "all"], lambda lines: any(" CURRENT " in line for line in lines)),
    ],
    ids=["watch", "alerts-watch"],
)
def test_ops_watches_print_until_ctrl_c_and_exit_0(servers: Servers, command: list[str], wanted: Any) -> None:
    assert glm3(*ops_args(servers, "health", "--now")).code == 1  # results (and an alert) to show; overall CRITICAL
    process = subprocess.Popen(
        [GLM3, *ops_args(servers, *command)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env()
    )
    try:
        lines = read_lines_until(process, wanted, 20)
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if command[0] == "watch":
        assert any(" database " in line and "CRITICAL" in line for line in lines)  # current results first
    assert "(Ctrl-C stops)" in (process.stderr.read() if process.stderr else "")


def test_ops_unreachable_target_exits_3() -> None:
    port = closed_port()
    run = glm3("ops", "status", "--target", f"127.0.0.1:{port}")
    assert run.code == 3
    assert run.err.startswith(f"glm3: cannot reach 127.0.0.1:{port}: ")
    assert len(run.err.splitlines()) == 1


# -- health and packaging ----------------------------------------------------------------------------------


def test_health_command(servers: Servers) -> None:
    run = glm3("health", "--target", servers.ops, "--service", "glm3.ops.v1.OpsService")
    assert run.code == 0 and run.out.strip() == f"{servers.ops} glm3.ops.v1.OpsService: SERVING"
    unknown = glm3("health", "--target", servers.ops, "--service", "nope")
    assert unknown.code == 1 and unknown.err.startswith("glm3: NOT_FOUND: ")


def test_the_sample_signals_ship_with_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "glm3.client.data" in config["packages"]
    assert "sample_signals.jsonl" in config["package-data"]["glm3.client.data"]
    code = (
        "from importlib import resources; import json;"
        "text = resources.files('glm3.client').joinpath('data/sample_signals.jsonl').read_text();"
        "print(len([json.loads(line) for line in text.splitlines()]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd="/")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 30


# -- errors that say what to do ----------------------------------------------------------------------------


def test_a_command_sent_to_the_wrong_server_names_both(servers: Servers) -> None:
    run = glm3("stats", "--target", servers.ops)
    assert run.code == 1
    [line] = run.err.splitlines()
    assert line.startswith("glm3: UNIMPLEMENTED: ")
    assert f"{servers.ops} is the ops server (glm3.ops.v1.OpsService)" in line
    assert "this command needs the scoring server (glm3.scoring.v1.ScoringService, port 50051 by default)" in line
    run = glm3("ops", "status", "--target", servers.scoring)
    [line] = run.err.splitlines()
    assert f"{servers.scoring} is the scoring server" in line and "needs the ops server" in line and "50052" in line


def test_a_mistyped_option_or_command_gets_a_suggestion() -> None:
    run = glm3("candidates", "list", "--verdit", "GO")
    assert run.code == 2 and "unrecognized arguments: --verdit GO (did you mean --verdict?)" in run.err
    assert "usage: glm3 candidates list" in run.err  # the command's own usage
    run = glm3("--jsn", "stats")
    assert run.code == 2 and "(did you mean --json?)" in run.err
    run = glm3("ops", "health", "--strikt")
    assert run.code == 2 and "(did you mean --strict?)" in run.err
    run = glm3("scroe", "x.jsonl")
    assert run.code == 2 and "invalid choice: 'scroe'" in run.err and "did you mean 'score'?" in run.err
    run = glm3("candidates", "lst")
    assert run.code == 2 and "did you mean 'list'?" in run.err

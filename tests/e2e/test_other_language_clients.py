"""The example clients in Go and TypeScript, built by `make clients`, against a real scoring server.

They are built from generated/go and generated/ts, so these tests also prove that the committed stubs of
both languages speak to the Python server: frames of signals out, results with candidates or rich errors
back. The binaries exist only after `make clients` (CI runs it before the tests); without them the tests
are skipped and say so, except on CI (CI=true), where a missing build is a failure: CI must never pass by
skipping them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer

REPO = Path(__file__).resolve().parents[2]
GO_CLIENT = REPO / "clients/go/build/glm3-stream"
NODE_CLIENT = REPO / "clients/node/dist/src/glm3-stream.js"

TOTAL = 250  # three frames of 100
BAD_INDEX = 120  # an invalid signal in the middle of the second frame
MALFORMED_AFTER = 200  # a line that is not JSON at all, after this signal
RESULT_LINE = re.compile(r"(?P<cid>\S+) (?P<verdict>GO|RESEARCH|PASS) (?P<score>\d+\.\d\d)")
ERROR_LINE = re.compile(r"(?P<cid>\S+) ERROR (?P<code>[A-Z_]+) (?P<rest>.*)")
SUMMARY = re.compile(r"summary: sent=(\d+) scored=(\d+) failed=(\d+) bad_lines=(\d+) .*elapsed=[\d.]+s")


def missing(reason: str) -> NoReturn:
    """Skips the test for a client that `make clients` has not built; on CI that is a failure."""
    message = f"{reason}: run `make clients` (CI does)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def command(client: str) -> list[str]:
    """The argv prefix of a built client."""
    if client == "go":
        if not GO_CLIENT.exists():
            missing(f"{GO_CLIENT.relative_to(REPO)} is not built")
        return [str(GO_CLIENT)]
    node = shutil.which("node")
    if node is None or not NODE_CLIENT.exists():
        missing(f"{NODE_CLIENT.relative_to(REPO)} is not built or node is not installed")
    return [node, str(NODE_CLIENT)]


def flags(client: str, **values: str) -> list[str]:
    """Go's flag package spells flags `-name`, the Node client `--name`."""
    dash = "-" if client == "go" else "--"
    return [part for name, value in values.items() for part in (f"{dash}{name}", value)]


def seed_signal(n: int) -> dict[str, object]:
    """A signal in the seed's JSON: ISO timestamps with Z, nulls for absent values, engagement counts."""
    return {
        "id": f"sig-{n:04d}",
        "timestamp": "2024-05-01T09:30:00Z",
        "source": "reddit" if n % 2 else "hackernews",
        "source_url": f"https://example.com/post/{n}" if n % 3 else None,
        "title": f"I hate reconciling invoices by hand, idea {n}",
        "description": "Every month our small business wastes hours matching payments. I would pay for a fix.",
        "category": "finance" if n % 5 else None,
        "tags": ["invoicing", "smb"],
        "engagement": {"upvotes": 40 + n % 300, "comments": n % 50},
        "author": None,
        "extracted_at": "2024-05-01T09:31:02.123456Z",
        "raw_content": None,
        "comments": ["same here", "I'd use this"] if n % 4 else None,
    }


def write_input(path: Path) -> int:
    """Writes TOTAL signals (one invalid, one without id) plus one malformed line; returns its line number."""
    lines: list[str] = []
    malformed_line = 0
    for n in range(TOTAL):
        signal = seed_signal(n)
        if n == BAD_INDEX:
            signal.update(title="", engagement={"comments": -1})
        if n == TOTAL - 1:
            del signal["id"]  # the client correlates it as line-N, the server gives it an id
        lines.append(json.dumps(signal))
        if n == MALFORMED_AFTER:
            lines.append('{"id": "broken", "title": ')
            malformed_line = len(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return malformed_line


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


async def run(argv: list[str], timeout: float = 60.0) -> Run:
    """Runs a client as a subprocess without blocking the event loop that serves the in-process server."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=REPO
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


CLIENTS = ["go", "node"]


@pytest.mark.parametrize("client", CLIENTS)
async def test_streams_a_file_with_a_bad_signal_in_the_middle(
    client: str, scoring_server: RunningServer, tmp_path: Path
) -> None:
    argv = command(client)
    signals = tmp_path / "signals.jsonl"
    malformed_line = write_input(signals)

    result = await run([*argv, *flags(client, target=scoring_server.target, frame="100"), str(signals)])

    assert result.code == 1, result.stderr  # one signal failed and one line was skipped
    *lines, summary = result.stdout.splitlines()
    scored = {m["cid"]: m for line in lines if (m := RESULT_LINE.fullmatch(line))}
    errors = {m["cid"]: m for line in lines if (m := ERROR_LINE.fullmatch(line))}
    assert len(scored) + len(errors) == len(lines) == TOTAL, result.stdout

    # The invalid signal got its own INVALID_ARGUMENT with the ErrorInfo reason and both field violations.
    bad_id = f"sig-{BAD_INDEX:04d}"
    assert list(errors) == [bad_id]
    assert errors[bad_id]["code"] == "INVALID_ARGUMENT"
    rest = errors[bad_id]["rest"]
    assert rest.startswith("INVALID_SIGNAL ")
    assert "signal.title: " in rest and "signal.engagement[comments]: " in rest

    # The stream went on: every other signal, before and after the bad one, got a verdict.
    expected = {f"sig-{n:04d}" for n in range(TOTAL - 1) if n != BAD_INDEX} | {f"line-{TOTAL + 1}"}
    assert set(scored) == expected

    # What the client printed is what the server stored.
    async with scoring_server.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        listed = await stub.ListCandidates(pb.ListCandidatesRequest(page_size=1000), timeout=30)
    assert listed.total_size == TOTAL - 1
    stored = {c.signal_id: c for c in listed.candidates}
    for cid, match in scored.items():
        if cid.startswith("line-"):
            continue
        candidate = stored[cid]
        assert match["verdict"] == candidate_pb2.Verdict.Name(candidate.verdict).removeprefix("VERDICT_")
        assert match["score"] == f"{candidate.overall_score:.2f}"

    # The malformed line was reported with its line number and skipped; the summary counts everything.
    assert f"line {malformed_line} skipped" in result.stderr
    counts = SUMMARY.fullmatch(summary)
    assert counts is not None, summary
    assert counts.groups() == (str(TOTAL), str(TOTAL - 1), "1", "1")


@pytest.mark.parametrize("client", CLIENTS)
async def test_an_unreachable_server_is_a_failed_call(client: str, tmp_path: Path) -> None:
    argv = command(client)
    with socket.socket() as probe:  # a loopback port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    signals = tmp_path / "one.jsonl"
    signals.write_text(json.dumps(seed_signal(1)) + "\n", encoding="utf-8")

    result = await run([*argv, *flags(client, target=f"127.0.0.1:{port}", timeout="10s"), str(signals)])

    assert result.code == 3, (result.stdout, result.stderr)
    assert "stream failed: " in result.stderr
    assert "UNAVAILABLE" in result.stderr.upper()


@pytest.mark.parametrize("client", CLIENTS)
async def test_bad_flags_and_missing_files_are_usage_errors(client: str, tmp_path: Path) -> None:
    argv = command(client)
    result = await run([*argv, *flags(client, frame="1001"), "-"])
    assert result.code == 2
    assert "frame must be 1 to 1000" in result.stderr

    result = await run([*argv, str(tmp_path / "missing.jsonl")])
    assert result.code == 2
    assert "missing.jsonl" in result.stderr

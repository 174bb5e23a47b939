"""The example clients in Go and TypeScript, built by `make clients`, against a real scoring server.

They are built from generated/go and generated/ts, so these tests also prove that the committed stubs of
both languages speak to the Python server: frames of signals out, results with candidates or rich errors
back. The binaries exist only after `make clients` (CI runs it before the tests); without them the tests
are skipped and say so, except on CI (CI=true), where a missing build is a failure: CI must never pass by
skipping them.

The security flags (TLS, mutual TLS, bearer token) run against the installed glm3-scoring-server started
with a `--config` file: one server per module for TLS with tokens and one for mutual TLS, with certificates
from a throwaway CA (tests/support/tls.py, trustme).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import grpc
import pytest
import yaml

from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer
from tests.support.tls import TlsFiles, make_tls_files, write_principals

REPO = Path(__file__).resolve().parents[2]
GO_CLIENT = REPO / "clients/go/build/glm3-stream"
NODE_CLIENT = REPO / "clients/node/dist/src/glm3-stream.js"

TOTAL = 250  # three frames of 100
BAD_INDEX = 120  # an invalid signal in the middle of the second frame
MALFORMED_AFTER = 200  # a line that is not JSON at all, after this signal
RESULT_LINE = re.compile(r"(?P<cid>\S+) (?P<verdict>GO|RESEARCH|PASS) (?P<score>\d+\.\d\d)")
ERROR_LINE = re.compile(r"(?P<cid>\S+) ERROR (?P<code>[A-Z_]+) (?P<rest>.*)")
SUMMARY = re.compile(r"summary: sent=(\d+) scored=(\d+) failed=(\d+) bad_lines=(\d+) .*elapsed=[\d.]+s")


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(reason: str) -> NoReturn:
    """Skips the test for a client that `make clients` has not built; on CI that is a failure."""
    message = f"{reason}: run `make clients` (CI does)"
    if on_ci():
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


async def run(argv: list[str], timeout: float = 60.0, env: dict[str, str] | None = None) -> Run:
    """Runs a client as a subprocess without blocking the event loop that serves the in-process server.
    The client never inherits GLM3_TOKEN; `env` adds variables to its environment."""
    environment = {k: v for k, v in os.environ.items() if k != "GLM3_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=REPO,
        env={**environment, **(env or {})},
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


# ---- TLS, mutual TLS and bearer tokens, against glm3-scoring-server started with --config ----

SERVER_SCRIPT = Path(sys.executable).parent / "glm3-scoring-server"
PRODUCER_TOKEN = "producer-token-7f3a9c"  # scraper-1, role producer
READER_TOKEN = "reader-token-2b8e41"  # dashboard-1, role reader only: may not call ScoreStream
CLIENT_NAME = "client.example"  # the DNS SAN of the mutual-TLS client certificate, role producer
LISTENING = re.compile(r"glm3-scoring-server listening on 127\.0\.0\.1:(\d+)")


@dataclass
class SecureServer:
    process: subprocess.Popen[str]
    port: int
    tls: TlsFiles
    log: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    try:
        import trustme  # noqa: F401
    except ImportError:
        message = "trustme is not installed: `pip install -e '.[dev]'`"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def start_secure_server(directory: Path, tls: TlsFiles, *, client_certificates: bool) -> SecureServer:
    """Starts the installed server on 127.0.0.1, port 0, with TLS and the principals file; with
    `client_certificates`, mutual TLS (every client presents a certificate of the test CA)."""
    principals = write_principals(
        directory / "principals.yaml",
        [
            {"name": "scraper-1", "roles": ["producer"], "token": PRODUCER_TOKEN},
            {"name": "dashboard-1", "roles": ["reader"], "token": READER_TOKEN},
            {"name": CLIENT_NAME, "roles": ["producer"]},
        ],
    )
    server_tls = {"cert_file": str(tls.server_cert), "key_file": str(tls.server_key)}
    if client_certificates:
        server_tls["client_ca_file"] = str(tls.ca_pem)
    config = directory / "scoring.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_s": 1.0, "tls": server_tls},
                "storage": {"uri": str(directory / "lancedb")},
                "auth": {"principals_file": str(principals)},
                "metrics": {"enabled": False},
            }
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLM3_", "OPENAI_"))}
    log = directory / "server.log"
    with log.open("w") as stderr:  # a file, not a pipe: nobody has to drain it while the tests run
        process = subprocess.Popen(
            [str(SERVER_SCRIPT), "--config", str(config)],
            env=env, cwd=directory, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline and process.poll() is None:  # the server says where it listens
        if select.select([process.stdout], [], [], 0.5)[0]:
            line = process.stdout.readline()
            break
    match = LISTENING.search(line)
    if match is None:
        process.kill()
        process.wait()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {log.read_text()[-2000:]}")
    return SecureServer(process, int(match.group(1)), tls, log)


def stop(server: SecureServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles) -> Iterator[SecureServer]:
    """TLS and bearer tokens (no client certificates)."""
    server = start_secure_server(tmp_path_factory.mktemp("token-server"), tls_files, client_certificates=False)
    yield server
    stop(server)


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory: pytest.TempPathFactory, tls_files: TlsFiles) -> Iterator[SecureServer]:
    """Mutual TLS: a client certificate of the test CA is required; its DNS SAN is the principal."""
    server = start_secure_server(tmp_path_factory.mktemp("mtls-server"), tls_files, client_certificates=True)
    yield server
    stop(server)


def write_signals(path: Path, prefix: str, count: int) -> list[str]:
    """`count` valid signals with ids `<prefix>-N` (unique per test: the module's servers are shared)."""
    ids = [f"{prefix}-{n:03d}" for n in range(count)]
    lines = [json.dumps({**seed_signal(n), "id": cid}) for n, cid in enumerate(ids)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def assert_all_scored(result: Run, ids: list[str]) -> dict[str, re.Match[str]]:
    """Exit 0, one result line per signal, all scored, and a summary that counts them."""
    assert result.code == 0, (result.stdout, result.stderr)
    *lines, summary = result.stdout.splitlines()
    scored = {m["cid"]: m for line in lines if (m := RESULT_LINE.fullmatch(line))}
    assert len(lines) == len(scored) and set(scored) == set(ids), result.stdout
    counts = SUMMARY.fullmatch(summary)
    assert counts is not None, summary
    assert counts.groups() == (str(len(ids)), str(len(ids)), "0", "0")
    return scored


SIGNALS = 25  # three frames of 10


@pytest.mark.parametrize("client", CLIENTS)
async def test_tls_with_a_producer_token_scores_the_signals(
    client: str, token_server: SecureServer, tmp_path: Path
) -> None:
    argv = command(client)
    signals = tmp_path / "signals.jsonl"
    ids = write_signals(signals, f"{client}-tls", SIGNALS)

    result = await run([
        *argv, *flags(client, target=token_server.target, frame="10", ca=str(token_server.tls.ca_pem),
                      token=PRODUCER_TOKEN), str(signals),
    ])

    scored = assert_all_scored(result, ids)
    assert PRODUCER_TOKEN not in result.stdout + result.stderr

    # What the client printed is what the server stored (read back over TLS as a reader).
    credentials = grpc.ssl_channel_credentials(root_certificates=token_server.tls.ca_pem.read_bytes())
    async with grpc.aio.secure_channel(token_server.target, credentials) as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        listed = await stub.ListCandidates(
            pb.ListCandidatesRequest(page_size=1000), timeout=30,
            metadata=(("authorization", f"Bearer {READER_TOKEN}"),),
        )
    stored = {c.signal_id: c for c in listed.candidates}
    for cid, match in scored.items():
        candidate = stored[cid]
        assert match["verdict"] == candidate_pb2.Verdict.Name(candidate.verdict).removeprefix("VERDICT_")
        assert match["score"] == f"{candidate.overall_score:.2f}"


# (case, the client's token flag, its environment, what stderr says after `stream failed: `)
REFUSED = [
    ("no-token", {}, {}, "UNAUTHENTICATED TOKEN_MISSING"),
    ("wrong-token-from-env", {}, {"GLM3_TOKEN": "not-a-known-token"}, "UNAUTHENTICATED TOKEN_INVALID"),
    ("token-without-the-role", {"token": READER_TOKEN}, {}, "PERMISSION_DENIED ROLE_REQUIRED"),
]


@pytest.mark.parametrize(("case", "token", "env", "expected"), REFUSED, ids=[case[0] for case in REFUSED])
@pytest.mark.parametrize("client", CLIENTS)
async def test_a_refused_credential_is_a_failed_call_with_code_and_reason(
    client: str, case: str, token: dict[str, str], env: dict[str, str], expected: str,
    token_server: SecureServer, tmp_path: Path,
) -> None:
    argv = command(client)
    signals = tmp_path / "signals.jsonl"
    write_signals(signals, f"{client}-{case}", 3)

    result = await run(
        [*argv, *flags(client, target=token_server.target, ca=str(token_server.tls.ca_pem), **token),
         str(signals)],
        env=env,
    )

    assert result.code == 3, (result.stdout, result.stderr)
    assert re.search(rf"stream failed: {expected}\b", result.stderr), result.stderr
    assert "scored=0" in result.stdout
    for secret in [*token.values(), *env.values()]:
        assert secret not in result.stdout + result.stderr  # a token is never printed


@pytest.mark.parametrize("client", CLIENTS)
async def test_mutual_tls_with_a_client_certificate_needs_no_token(
    client: str, mtls_server: SecureServer, tmp_path: Path
) -> None:
    argv = command(client)
    cert, key = mtls_server.tls.client_cert(CLIENT_NAME)
    signals = tmp_path / "signals.jsonl"
    ids = write_signals(signals, f"{client}-mtls", SIGNALS)

    result = await run([
        *argv, *flags(client, target=mtls_server.target, frame="10", ca=str(mtls_server.tls.ca_pem),
                      cert=str(cert), key=str(key)), str(signals),
    ])

    assert_all_scored(result, ids)


@pytest.mark.parametrize("client", CLIENTS)
async def test_bad_security_flags_are_usage_errors(client: str, tmp_path: Path) -> None:
    argv = command(client)
    signals = tmp_path / "one.jsonl"
    signals.write_text(json.dumps(seed_signal(1)) + "\n", encoding="utf-8")
    cert = tmp_path / "client.pem"
    cert.write_text("not a certificate\n", encoding="utf-8")

    cases = [
        (flags(client, cert=str(cert)), {}, "go together"),  # a certificate without its key
        (flags(client, ca=str(tmp_path / "missing-ca.pem")), {}, "missing-ca.pem"),  # an unreadable file
        (flags(client, ca=str(cert)), {}, "no PEM certificate"),  # a file that holds no certificate
        (flags(client, token="line-one\nline-two"), {}, "line break"),
        ([], {"GLM3_TOKEN": "from-a-file-with-its-newline\n"}, "line break"),
    ]
    for extra, env, expected in cases:
        result = await run([*argv, *extra, str(signals)], env=env)
        assert result.code == 2, (extra, env, result.stdout, result.stderr)
        first = result.stderr.splitlines()[0]
        assert first.startswith("glm3-stream: ") and expected in first, result.stderr
        assert "line-one" not in result.stderr and "from-a-file" not in result.stderr
        assert result.stdout == ""

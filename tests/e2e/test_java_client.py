"""The Java example client (clients/java) against a real scoring server.

Its runnable jar is driven exactly as test_other_language_clients.py drives the Go and Node clients (the same
input file, output regexes and security cases, with the same helpers), so the three clients are held to
one contract; then its JUnit tests run with `mvn -o test` against a server started here, so the Java
messages and stubs of generated/java (generated from protos/ by `make generate`) are proved to speak to
the Python server.

The jar exists only after `make clients` (`mvn -B package` in clients/java; CI runs it, and it also fetches
what `mvn -o` needs later); without the jar, java or mvn the tests are skipped and say so, except on CI
(CI=true), where that is a failure: CI must never pass by skipping them.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import grpc
import pytest

from glm3.scoring.v1 import candidate_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer
from tests.e2e.test_other_language_clients import (
    BAD_INDEX,
    CLIENT_NAME,
    ERROR_LINE,
    PRODUCER_TOKEN,
    READER_TOKEN,
    REFUSED,
    REPO,
    RESULT_LINE,
    SIGNALS,
    SUMMARY,
    TOTAL,
    SecureServer,
    assert_all_scored,
    missing,
    run,
    seed_signal,
    write_input,
    write_signals,
)

# The module-scoped TLS fixtures of that module, imported so that pytest finds them here: one server with
# TLS and bearer tokens, one with mutual TLS, with certificates from a throwaway CA (trustme).
from tests.e2e.test_other_language_clients import mtls_server, tls_files, token_server  # noqa: F401

JAVA_DIR = REPO / "clients/java"
JAR = JAVA_DIR / "target/glm3-stream.jar"
LIVE_REPORT = JAVA_DIR / "target/surefire-reports/TEST-glm3.client.LiveServerTest.xml"
MAVEN_TIMEOUT = 300.0  # seconds; an offline `mvn -o test` takes well under a minute here


def command() -> list[str]:
    """The argv prefix of the built jar."""
    java = shutil.which("java")
    if java is None or not JAR.exists():
        missing(f"{JAR.relative_to(REPO)} is not built or java is not installed")
    return [java, "-jar", str(JAR)]


def flags(**values: str) -> list[str]:
    """The Java client takes the Go client's flags, with two dashes as the Node client spells them."""
    return [part for name, value in values.items() for part in (f"--{name}", value)]


async def test_streams_a_file_with_a_bad_signal_in_the_middle(scoring_server: RunningServer, tmp_path: Path) -> None:
    signals = tmp_path / "signals.jsonl"
    malformed_line = write_input(signals)

    result = await run([*command(), *flags(target=scoring_server.target, frame="100"), str(signals)])

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

    # What the client printed is what the server stored, score rounding included.
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


async def test_go_style_single_dash_flags_work_too(scoring_server: RunningServer, tmp_path: Path) -> None:
    signals = tmp_path / "signals.jsonl"
    ids = write_signals(signals, "java-dash", 3)

    result = await run([*command(), "-target", scoring_server.target, "-frame=2", str(signals)])

    assert_all_scored(result, ids)


async def test_an_unreachable_server_is_a_failed_call(tmp_path: Path) -> None:
    argv = command()
    with socket.socket() as probe:  # a loopback port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    signals = tmp_path / "one.jsonl"
    signals.write_text(json.dumps(seed_signal(1)) + "\n", encoding="utf-8")

    result = await run([*argv, *flags(target=f"127.0.0.1:{port}", timeout="10s"), str(signals)])

    assert result.code == 3, (result.stdout, result.stderr)
    assert "stream failed: UNAVAILABLE" in result.stderr
    assert "scored=0" in result.stdout


async def test_bad_flags_and_missing_files_are_usage_errors(tmp_path: Path) -> None:
    argv = command()
    result = await run([*argv, *flags(frame="1001"), "-"])
    assert result.code == 2
    assert "frame must be 1 to 1000" in result.stderr

    result = await run([*argv, str(tmp_path / "missing.jsonl")])
    assert result.code == 2
    assert "missing.jsonl" in result.stderr


async def test_tls_with_a_producer_token_scores_the_signals(token_server: SecureServer, tmp_path: Path) -> None:
    signals = tmp_path / "signals.jsonl"
    ids = write_signals(signals, "java-tls", SIGNALS)

    result = await run([
        *command(), *flags(target=token_server.target, frame="10", ca=str(token_server.tls.ca_pem),
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


@pytest.mark.parametrize(("case", "token", "env", "expected"), REFUSED, ids=[case[0] for case in REFUSED])
async def test_a_refused_credential_is_a_failed_call_with_code_and_reason(
    case: str, token: dict[str, str], env: dict[str, str], expected: str, token_server: SecureServer,
    tmp_path: Path,
) -> None:
    signals = tmp_path / "signals.jsonl"
    write_signals(signals, f"java-{case}", 3)

    result = await run(
        [*command(), *flags(target=token_server.target, ca=str(token_server.tls.ca_pem), **token), str(signals)],
        env=env,
    )

    assert result.code == 3, (result.stdout, result.stderr)
    assert re.search(rf"stream failed: {expected}\b", result.stderr), result.stderr
    assert "scored=0" in result.stdout
    for secret in [*token.values(), *env.values()]:
        assert secret not in result.stdout + result.stderr  # a token is never printed


async def test_mutual_tls_with_a_client_certificate_needs_no_token(mtls_server: SecureServer, tmp_path: Path) -> None:
    cert, key = mtls_server.tls.client_cert(CLIENT_NAME)  # an ECDSA key in SEC1 PEM, as trustme writes it
    signals = tmp_path / "signals.jsonl"
    ids = write_signals(signals, "java-mtls", SIGNALS)

    result = await run([
        *command(), *flags(target=mtls_server.target, frame="10", ca=str(mtls_server.tls.ca_pem),
                           cert=str(cert), key=str(key)), str(signals),
    ])

    assert_all_scored(result, ids)


async def test_mutual_tls_with_the_key_of_another_certificate_is_a_usage_error(
    mtls_server: SecureServer, tmp_path: Path
) -> None:
    cert, _ = mtls_server.tls.client_cert(CLIENT_NAME)
    _, other_key = mtls_server.tls.client_cert("other.example")
    signals = tmp_path / "one.jsonl"
    signals.write_text(json.dumps(seed_signal(1)) + "\n", encoding="utf-8")

    result = await run([
        *command(), *flags(target=mtls_server.target, ca=str(mtls_server.tls.ca_pem), cert=str(cert),
                           key=str(other_key)), str(signals),
    ])

    assert result.code == 2, (result.stdout, result.stderr)
    assert "does not match" in result.stderr
    assert result.stdout == ""


async def test_bad_security_flags_are_usage_errors(tmp_path: Path) -> None:
    argv = command()
    signals = tmp_path / "one.jsonl"
    signals.write_text(json.dumps(seed_signal(1)) + "\n", encoding="utf-8")
    cert = tmp_path / "client.pem"
    cert.write_text("not a certificate\n", encoding="utf-8")

    cases = [
        (flags(cert=str(cert)), {}, "go together"),  # a certificate without its key
        (flags(ca=str(tmp_path / "missing-ca.pem")), {}, "missing-ca.pem"),  # an unreadable file
        (flags(ca=str(cert)), {}, "no PEM certificate"),  # a file that holds no certificate
        (flags(token="line-one\nline-two"), {}, "line break"),
        ([], {"GLM3_TOKEN": "from-a-file-with-its-newline\n"}, "line break"),
    ]
    for extra, env, expected in cases:
        result = await run([*argv, *extra, str(signals)], env=env)
        assert result.code == 2, (extra, env, result.stdout, result.stderr)
        first = result.stderr.splitlines()[0]
        assert first.startswith("glm3-stream: ") and expected in first, result.stderr
        assert "line-one" not in result.stderr and "from-a-file" not in result.stderr
        assert result.stdout == ""


async def test_the_junit_tests_pass_against_a_running_server(scoring_server: RunningServer) -> None:
    """`mvn -o test` with the server's address: the live-server JUnit tests run (none skipped) and pass."""
    command()  # the jar: `make clients` built it, and fetched what an offline build needs
    mvn = shutil.which("mvn")
    if mvn is None:
        missing("mvn is not installed")
    LIVE_REPORT.unlink(missing_ok=True)

    result = await run(
        [mvn, "-q", "-o", "-B", "-f", str(JAVA_DIR / "pom.xml"), "test", f"-Dglm3.target={scoring_server.target}"],
        timeout=MAVEN_TIMEOUT,
    )

    assert result.code == 0, (result.stdout[-6000:], result.stderr[-3000:])
    assert LIVE_REPORT.exists(), "surefire wrote no report of LiveServerTest"
    suite = ElementTree.parse(LIVE_REPORT).getroot()
    counts = {name: int(suite.get(name, "0")) for name in ("tests", "skipped", "failures", "errors")}
    assert counts["tests"] >= 4 and counts["skipped"] == counts["failures"] == counts["errors"] == 0, counts

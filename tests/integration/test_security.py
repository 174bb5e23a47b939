"""TLS, mutual TLS, bearer tokens, roles and the audit trail, against real servers over real TLS.

Certificates come from a throwaway CA made at test time (trustme); the principals file holds token hashes.
Every RPC of both services is called raw (empty request bytes) so no method escapes the policy table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.rpc import error_details_pb2, status_pb2

from glm3.audit.v1 import audit_pb2
from glm3.ops.v1 import ops_service_pb2 as ops_pb
from glm3.scoring.v1 import scoring_service_pb2 as scoring_pb
from glm3.servers.common.policy import POLICY
from glm3.servers.ops import main as ops_main
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import RunningServer, ops_settings, running, server_settings
from tests.support.tls import TlsFiles, make_tls_files, write_principals

TOKENS = {"producer": "tok-producer-1234567890", "reader": "tok-reader-1234567890", "operator": "tok-operator-1234567890"}
CLIENT_IDENTITY = "client.example"


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return make_tls_files(tmp_path / "tls")


@pytest.fixture
def principals(tmp_path: Path) -> Path:
    return write_principals(
        tmp_path / "principals.yaml",
        [
            *({"name": f"{role}-1", "roles": [role], "token": token} for role, token in TOKENS.items()),
            {"name": CLIENT_IDENTITY, "roles": ["producer", "reader"]},
        ],
    )


def secure_server_options(tls: TlsFiles, principals: Path, *, mutual: bool = False) -> dict[str, Any]:
    server: dict[str, Any] = {"tls": {"cert_file": str(tls.server_cert), "key_file": str(tls.server_key)}}
    if mutual:
        server["tls"]["client_ca_file"] = str(tls.ca_pem)
    return server


@contextlib.asynccontextmanager
async def secure_scoring(storage: Path, tls: TlsFiles, principals: Path, *, mutual: bool = False) -> AsyncIterator[RunningServer]:
    settings = ScoringSettings.model_validate(
        {
            "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_s": 1.0, **secure_server_options(tls, principals, mutual=mutual)},
            "auth": {"principals_file": str(principals), "reload_interval_s": 0.2},
            "storage": {"uri": str(storage)},
            "metrics": {"enabled": False},
        }
    )
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv:
        yield srv


@contextlib.asynccontextmanager
async def secure_ops(storage: Path, tls: TlsFiles, principals: Path) -> AsyncIterator[RunningServer]:
    settings = ops_settings(
        storage,
        server=secure_server_options(tls, principals),
        auth={"principals_file": str(principals), "reload_interval_s": 0.2},
    )
    deps = await ops_main.make_deps(settings)
    async with running(settings, deps) as srv:
        yield srv


def tls_channel(server: RunningServer, tls: TlsFiles, client: tuple[Path, Path] | None = None) -> grpc.aio.Channel:
    key = cert = None
    if client is not None:
        cert, key = client[0].read_bytes(), client[1].read_bytes()
    credentials = grpc.ssl_channel_credentials(tls.ca_pem.read_bytes(), private_key=key, certificate_chain=cert)
    return grpc.aio.secure_channel(server.target, credentials)


def bearer(role: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {TOKENS[role]}"),) if role else ()


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return info
    raise AssertionError(f"no ErrorInfo in {error!r}")


def methods(service: Any) -> list[Any]:
    return list(service.methods)


SCORING = scoring_pb.DESCRIPTOR.services_by_name["ScoringService"]
OPS = ops_pb.DESCRIPTOR.services_by_name["OpsService"]


async def raw_call(channel: grpc.aio.Channel, service: Any, method: Any, metadata: Any, timeout: float = 3.0) -> grpc.StatusCode:
    """Calls `method` with an empty request (or an empty request stream); returns the status code."""
    path = f"/{service.full_name}/{method.name}"
    kwargs = {"request_serializer": None, "response_deserializer": None}
    try:
        if method.client_streaming and method.server_streaming:
            call = channel.stream_stream(path, **kwargs)(iter(()), metadata=metadata, timeout=timeout)
            async for _ in call:
                pass
        elif method.client_streaming:
            await channel.stream_unary(path, **kwargs)(iter(()), metadata=metadata, timeout=timeout)
        elif method.server_streaming:
            call = channel.unary_stream(path, **kwargs)(b"", metadata=metadata, timeout=timeout)
            async for _ in call:
                break  # a watch streams forever: its first frame is proof enough
            call.cancel()
        else:
            await channel.unary_unary(path, **kwargs)(b"", metadata=metadata, timeout=timeout)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def test_every_rpc_of_both_services_has_a_rule() -> None:
    for service in (SCORING, OPS):
        for method in methods(service):
            assert f"/{service.full_name}/{method.name}" in POLICY, method.name


def lacking(role: str | None) -> str:
    """A role that does not include `role`."""
    return {"producer": "reader", "reader": "producer", "operator": "reader"}[role or "reader"]


async def test_every_rpc_needs_a_token_and_its_role(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    async with secure_scoring(storage_dir / "s", tls, principals) as scoring, secure_ops(storage_dir / "o", tls, principals) as ops:
        for server, service in ((scoring, SCORING), (ops, OPS)):
            async with tls_channel(server, tls) as channel:
                for method in methods(service):
                    rule = POLICY[f"/{service.full_name}/{method.name}"]
                    empty = message_factory.GetMessageClass(method.input_type)()
                    role = rule.role if method.client_streaming else rule.required(empty)[0]  # Resolve: operator
                    assert await raw_call(channel, service, method, ()) == grpc.StatusCode.UNAUTHENTICATED, method.name
                    wrong = (("authorization", "Bearer not-a-token-of-this-server"),)
                    assert await raw_call(channel, service, method, wrong) == grpc.StatusCode.UNAUTHENTICATED, method.name
                    code = await raw_call(channel, service, method, bearer(lacking(role)))
                    assert code == grpc.StatusCode.PERMISSION_DENIED, (method.name, code)
                    code = await raw_call(channel, service, method, bearer(role))
                    assert code not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED), (method.name, code)


async def test_denials_carry_reasons_and_name_the_role(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    async with secure_scoring(storage_dir, tls, principals) as scoring, tls_channel(scoring, tls) as channel:
        stats = channel.unary_unary(
            f"/{SCORING.full_name}/GetScoringStats",
            request_serializer=scoring_pb.GetScoringStatsRequest.SerializeToString,
            response_deserializer=scoring_pb.GetScoringStatsResponse.FromString,
        )
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stats(scoring_pb.GetScoringStatsRequest())
        assert error_info(missing.value).reason == "TOKEN_MISSING"
        with pytest.raises(grpc.aio.AioRpcError) as invalid:
            await stats(scoring_pb.GetScoringStatsRequest(), metadata=(("authorization", "Bearer nope-nope-nope"),))
        assert error_info(invalid.value).reason == "TOKEN_INVALID"
        assert "nope-nope-nope" not in (invalid.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stats(scoring_pb.GetScoringStatsRequest(), metadata=bearer("producer"))
        info = error_info(denied.value)
        assert info.reason == "ROLE_REQUIRED" and info.metadata["required_role"] == "reader"
        assert "reader role" in (denied.value.details() or "")
        # the operator role includes reader
        reply = await stats(scoring_pb.GetScoringStatsRequest(), metadata=bearer("operator"))
        assert reply.health.service == "scoring-engine"


async def test_rescoring_and_running_a_runbook_need_an_operator(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    signal = {"id": "sig-rescore-1", "title": "I would pay for invoice matching", "description": "Every month."}
    async with secure_scoring(storage_dir / "s", tls, principals) as scoring, tls_channel(scoring, tls) as channel:
        score = channel.unary_unary(
            f"/{SCORING.full_name}/Score",
            request_serializer=scoring_pb.ScoreRequest.SerializeToString,
            response_deserializer=scoring_pb.ScoreResponse.FromString,
        )
        request = scoring_pb.ScoreRequest()
        request.signal.id, request.signal.title, request.signal.description = signal["id"], signal["title"], signal["description"]
        request.signal.source = "reddit"
        await score(request, metadata=bearer("producer"))
        request.rescore = True
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await score(request, metadata=bearer("producer"))
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "Score with rescore needs the operator role" in (denied.value.details() or "")
        assert (await score(request, metadata=bearer("operator"))).candidate.version == 2

        # A stream frame asking to rescore ends a producer's stream with PERMISSION_DENIED.
        stream = channel.stream_stream(
            f"/{SCORING.full_name}/ScoreStream",
            request_serializer=scoring_pb.ScoreStreamRequest.SerializeToString,
            response_deserializer=scoring_pb.ScoreStreamResponse.FromString,
        )
        frame = scoring_pb.ScoreStreamRequest()
        frame.batch.rescore = True
        frame.batch.items.add().signal.CopyFrom(request.signal)
        with pytest.raises(grpc.aio.AioRpcError) as stream_denied:
            async for _ in stream(iter([frame]), metadata=bearer("producer")):
                pass
        assert stream_denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

    async with secure_ops(storage_dir / "o", tls, principals) as ops, tls_channel(ops, tls) as channel:
        resolve = channel.unary_unary(
            f"/{OPS.full_name}/Resolve",
            request_serializer=ops_pb.ResolveRequest.SerializeToString,
            response_deserializer=ops_pb.ResolveResponse.FromString,
        )
        runbooks = channel.unary_unary(
            f"/{OPS.full_name}/ListRunbooks",
            request_serializer=ops_pb.ListRunbooksRequest.SerializeToString,
            response_deserializer=ops_pb.ListRunbooksResponse.FromString,
        )
        runbook = (await runbooks(ops_pb.ListRunbooksRequest(), metadata=bearer("reader"))).runbooks[0]
        dry = await resolve(ops_pb.ResolveRequest(runbook_id=runbook.id, dry_run=True), metadata=bearer("reader"))
        assert dry.result.dry_run
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await resolve(ops_pb.ResolveRequest(runbook_id=runbook.id), metadata=bearer("reader"))
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "dry_run false needs the operator role" in (denied.value.details() or "")


async def test_health_is_open_and_reflection_needs_a_credential(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    async with secure_scoring(storage_dir, tls, principals) as scoring, tls_channel(scoring, tls) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        ask = reflection_pb2.ServerReflectionRequest(list_services="")
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            async for _ in stub.ServerReflectionInfo(iter([ask])):
                pass
        assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
        names = []
        async for answer in stub.ServerReflectionInfo(iter([ask]), metadata=bearer("producer")):
            names = [s.name for s in answer.list_services_response.service]
        assert "glm3.scoring.v1.ScoringService" in names


async def test_reflection_is_off_by_default_off_loopback_and_a_setting(storage_dir: Path) -> None:
    settings = server_settings(ScoringSettings, storage_dir)
    assert settings.server.reflection_enabled  # 127.0.0.1
    off = ScoringSettings.model_validate({"server": {"host": "127.0.0.1", "reflection": False}})
    assert not off.server.reflection_enabled
    far = ScoringSettings.model_validate({"server": {"host": "10.1.2.3", "allow_insecure": True}})
    assert not far.server.reflection_enabled


async def test_mutual_tls_identity_is_the_principal(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    async with secure_scoring(storage_dir, tls, principals, mutual=True) as scoring:
        stats_path = f"/{SCORING.full_name}/GetScoringStats"
        # No client certificate: the handshake fails, nothing reaches a handler.
        async with tls_channel(scoring, tls) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await channel.unary_unary(stats_path)(b"", timeout=5, metadata=bearer("operator"))
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        # A certificate the principals file names: no token needed, its roles apply.
        async with tls_channel(scoring, tls, tls.client_cert(CLIENT_IDENTITY)) as channel:
            await channel.unary_unary(stats_path)(b"", timeout=5)
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await channel.unary_unary(f"/{SCORING.full_name}/ListAuditEvents")(b"", timeout=5)
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # A certificate of the same CA for someone the file does not name.
        async with tls_channel(scoring, tls, tls.client_cert("stranger.example")) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await channel.unary_unary(stats_path)(b"", timeout=5)
            assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert error_info(unknown.value).reason == "CERTIFICATE_UNKNOWN"


async def test_a_rotated_certificate_is_served_without_a_restart(storage_dir: Path, tls: TlsFiles, principals: Path, tmp_path: Path) -> None:
    async with secure_scoring(storage_dir, tls, principals) as scoring:
        async with tls_channel(scoring, tls) as channel:
            await channel.unary_unary(f"/{SCORING.full_name}/GetScoringStats")(b"", metadata=bearer("reader"), timeout=5)
        rotated = make_tls_files(tmp_path / "rotated")  # another CA: only a reloaded server passes its check
        os.replace(rotated.server_key, tls.server_key)
        os.replace(rotated.server_cert, tls.server_cert)
        await asyncio.sleep(0.4)  # past auth.reload_interval_s
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            async with tls_channel(scoring, rotated) as channel:
                try:
                    await channel.unary_unary(f"/{SCORING.full_name}/GetScoringStats")(b"", metadata=bearer("reader"), timeout=2)
                    break
                except grpc.aio.AioRpcError:
                    if asyncio.get_running_loop().time() > deadline:
                        raise
            await asyncio.sleep(0.2)
        assert scoring.server.certificates is not None and scoring.server.certificates.reloads >= 1
        async with tls_channel(scoring, tls) as channel:  # the old CA no longer verifies the server
            with pytest.raises(grpc.aio.AioRpcError):
                await channel.unary_unary(f"/{SCORING.full_name}/GetScoringStats")(b"", metadata=bearer("reader"), timeout=2)


async def test_the_principals_file_is_reloaded_and_a_bad_one_keeps_the_last(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    path = f"/{SCORING.full_name}/GetScoringStats"
    async with secure_scoring(storage_dir, tls, principals) as scoring, tls_channel(scoring, tls) as channel:
        newcomer = (("authorization", "Bearer tok-newcomer-123456789"),)
        with pytest.raises(grpc.aio.AioRpcError):
            await channel.unary_unary(path)(b"", metadata=newcomer)
        write_principals(principals, [{"name": "newcomer", "roles": ["reader"], "token": "tok-newcomer-123456789"}])
        await asyncio.sleep(0.4)
        await channel.unary_unary(path)(b"", metadata=newcomer)  # added without a restart
        with pytest.raises(grpc.aio.AioRpcError) as revoked:
            await channel.unary_unary(path)(b"", metadata=bearer("reader"))  # no longer listed
        assert revoked.value.code() == grpc.StatusCode.UNAUTHENTICATED
        principals.write_text("principals: [not, valid\n")
        await asyncio.sleep(0.4)
        await channel.unary_unary(path)(b"", metadata=newcomer)  # the last good file stays in force


async def test_tokens_never_reach_the_logs(storage_dir: Path, tls: TlsFiles, principals: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with secure_scoring(storage_dir, tls, principals) as scoring, tls_channel(scoring, tls) as channel:
        for metadata in (bearer("operator"), bearer("producer"), (("authorization", "Bearer wrong-secret-token-42"),)):
            with contextlib.suppress(grpc.aio.AioRpcError):
                await channel.unary_unary(f"/{SCORING.full_name}/GetScoringStats")(b"", metadata=metadata)
    text = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "rpc" in text  # the access log saw the calls
    for secret in (*TOKENS.values(), "wrong-secret-token-42"):
        assert secret not in text


async def test_state_changes_and_denials_are_audited_once_with_the_principal(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    async with secure_scoring(storage_dir, tls, principals) as scoring, tls_channel(scoring, tls) as channel:
        score = channel.unary_unary(
            f"/{SCORING.full_name}/Score",
            request_serializer=scoring_pb.ScoreRequest.SerializeToString,
            response_deserializer=scoring_pb.ScoreResponse.FromString,
        )
        request = scoring_pb.ScoreRequest()
        request.signal.id, request.signal.title, request.signal.description = "sig-audit-1", "A tool I would pay for", "Pain."
        request.signal.source = "reddit"
        scored = await score(request, metadata=bearer("producer"))
        feedback = channel.unary_unary(
            f"/{SCORING.full_name}/SubmitFeedback",
            request_serializer=scoring_pb.SubmitFeedbackRequest.SerializeToString,
            response_deserializer=scoring_pb.SubmitFeedbackResponse.FromString,
        )
        given = await feedback(
            scoring_pb.SubmitFeedbackRequest(candidate_id=scored.candidate.id, rating=4, submitted_by="mallory"),
            metadata=bearer("operator"),
        )
        assert given.feedback.submitted_by == "operator-1"  # the principal, not what the caller typed
        with pytest.raises(grpc.aio.AioRpcError):
            await feedback(scoring_pb.SubmitFeedbackRequest(candidate_id=scored.candidate.id), metadata=bearer("reader"))
        with pytest.raises(grpc.aio.AioRpcError):
            await feedback(scoring_pb.SubmitFeedbackRequest(candidate_id=scored.candidate.id))
        # reads are not audited
        await channel.unary_unary(f"/{SCORING.full_name}/GetScoringStats")(b"", metadata=bearer("reader"))

        audit = channel.unary_unary(
            f"/{SCORING.full_name}/ListAuditEvents",
            request_serializer=scoring_pb.ListAuditEventsRequest.SerializeToString,
            response_deserializer=scoring_pb.ListAuditEventsResponse.FromString,
        )
        events = list((await audit(scoring_pb.ListAuditEventsRequest(), metadata=bearer("operator"))).events)
        seen = [(e.method.rsplit("/", 1)[-1], e.principal, audit_pb2.AuditOutcome.Name(e.outcome), e.code) for e in reversed(events)]
        assert seen == [
            ("Score", "producer-1", "AUDIT_OUTCOME_SUCCEEDED", "OK"),
            ("SubmitFeedback", "operator-1", "AUDIT_OUTCOME_SUCCEEDED", "OK"),
            ("SubmitFeedback", "reader-1", "AUDIT_OUTCOME_DENIED", "PERMISSION_DENIED"),
            ("SubmitFeedback", "", "AUDIT_OUTCOME_DENIED", "UNAUTHENTICATED"),
        ]
        assert events[-1].target == "sig-audit-1" and events[-2].target == scored.candidate.id
        assert all(e.request_id and e.peer.startswith("ipv4:127.0.0.1") and e.server == "glm3-scoring-server" for e in events)

        # filters and paging
        only = await audit(scoring_pb.ListAuditEventsRequest(principal="reader-1"), metadata=bearer("operator"))
        assert [e.principal for e in only.events] == ["reader-1"]
        denied = await audit(
            scoring_pb.ListAuditEventsRequest(outcomes=[audit_pb2.AUDIT_OUTCOME_DENIED], method="SubmitFeedback"),
            metadata=bearer("operator"),
        )
        assert len(denied.events) == 2
        first = await audit(scoring_pb.ListAuditEventsRequest(page_size=3), metadata=bearer("operator"))
        assert len(first.events) == 3 and first.next_page_token
        rest = await audit(scoring_pb.ListAuditEventsRequest(page_size=3, page_token=first.next_page_token), metadata=bearer("operator"))
        # the first ListAuditEvents call is not itself audited; the later denied one would be
        assert [e.id for e in (*first.events, *rest.events)] == [e.id for e in events]
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await audit(scoring_pb.ListAuditEventsRequest(page_token=first.next_page_token, principal="x"), metadata=bearer("operator"))
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_resolve_is_audited_with_its_steps(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    async with secure_ops(storage_dir, tls, principals) as ops, tls_channel(ops, tls) as channel:
        runbooks = await channel.unary_unary(
            f"/{OPS.full_name}/ListRunbooks",
            request_serializer=ops_pb.ListRunbooksRequest.SerializeToString,
            response_deserializer=ops_pb.ListRunbooksResponse.FromString,
        )(ops_pb.ListRunbooksRequest(), metadata=bearer("reader"))
        runbook = next(r for r in runbooks.runbooks if all(s.kind in ("wait_recheck",) for s in r.steps) or True)
        resolve = channel.unary_unary(
            f"/{OPS.full_name}/Resolve",
            request_serializer=ops_pb.ResolveRequest.SerializeToString,
            response_deserializer=ops_pb.ResolveResponse.FromString,
        )
        await resolve(ops_pb.ResolveRequest(runbook_id=runbook.id, dry_run=True), metadata=bearer("reader"))
        with pytest.raises(grpc.aio.AioRpcError):
            await resolve(ops_pb.ResolveRequest(runbook_id=runbook.id), metadata=bearer("reader"))
        audit = channel.unary_unary(
            f"/{OPS.full_name}/ListAuditEvents",
            request_serializer=ops_pb.ListAuditEventsRequest.SerializeToString,
            response_deserializer=ops_pb.ListAuditEventsResponse.FromString,
        )
        events = (await audit(ops_pb.ListAuditEventsRequest(), metadata=bearer("operator"))).events
        # the dry run changed nothing: not audited; the denied real run is
        assert [(e.method.rsplit("/", 1)[-1], e.principal, e.code) for e in events] == [("Resolve", "reader-1", "PERMISSION_DENIED")]
        assert events[0].target == runbook.id


def run_server(*args: str, env: dict[str, str]) -> Any:
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "glm3.servers.scoring.main", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_non_loopback_bind_without_tls_and_auth_exits_2(tmp_path: Path) -> None:
    done = run_server(env={"GLM3_SERVER_HOST": "0.0.0.0", "GLM3_STORAGE_URI": str(tmp_path / "db")})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not loopback" in lines[0] and "server.allow_insecure" in lines[0]


def test_print_config_masks_credentials_in_urls(tmp_path: Path) -> None:
    done = run_server(
        "--print-config",
        env={"GLM3_STORAGE_URI": "s3://bucket/db", "GLM3_LLM_BASE_URL": "https://user:hunter2pass@llm.example/v1"},
    )
    assert done.returncode == 0, done.stderr
    assert "hunter2pass" not in done.stdout and "https://user:***@llm.example/v1" in done.stdout
    bad = run_server(env={"GLM3_EMBEDDING_BASE_URL": "ftp://user:hunter2pass@x/", "GLM3_STORAGE_URI": str(tmp_path / "d")})
    assert bad.returncode == 2 and "hunter2pass" not in bad.stderr


async def test_the_python_client_and_cli_speak_tls_tokens_and_mutual_tls(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    from glm3.client import AsyncScoringClient
    from glm3.client.errors import PermissionDeniedError, UnauthenticatedError

    ca = tls.ca_pem.read_bytes()
    async with secure_scoring(storage_dir, tls, principals, mutual=True) as scoring:
        cert, key = tls.client_cert(CLIENT_IDENTITY)
        async with AsyncScoringClient(
            scoring.target, root_certificates=ca, certificate_chain=cert.read_bytes(), private_key=key.read_bytes()
        ) as client:
            assert (await client.get_scoring_stats()).health.service == "scoring-engine"
            with pytest.raises(PermissionDeniedError) as denied:
                [e async for e in client.list_audit_events()]
            assert denied.value.reason == "ROLE_REQUIRED"
        async with AsyncScoringClient(
            scoring.target, root_certificates=ca, certificate_chain=cert.read_bytes(), private_key=key.read_bytes(),
            token="not-a-known-token",
        ) as client:
            with pytest.raises(UnauthenticatedError) as refused:  # a wrong token is refused even with a good certificate
                await client.get_scoring_stats()
            assert refused.value.reason == "TOKEN_INVALID"
        # the command line: --ca, --cert, --key, --token
        common = ["--target", scoring.target, "--ca", str(tls.ca_pem), "--cert", str(cert), "--key", str(key)]
        done = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "glm3.client.cli", *common, "--json", "stats",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await done.communicate()
        assert done.returncode == 0, err.decode()
        assert b"scoring-engine" in out
        done = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "glm3.client.cli", *common, "--token", TOKENS["operator"], "audit",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await done.communicate()
        assert done.returncode == 0, err.decode()
        lines = out.decode().splitlines()
        # reads are not audited, denied calls are: the stats call with a wrong token, the audit call without the role
        assert not [line for line in lines if "GetScoringStats" in line and "SUCCEEDED" in line]
        assert [line for line in lines if "GetScoringStats" in line and "UNAUTHENTICATED" in line]
        assert [line for line in lines if "ListAuditEvents" in line and "PERMISSION_DENIED" in line]
        assert TOKENS["operator"].encode() not in out + err


async def test_grpcurl_with_cacert_and_a_bearer_header(storage_dir: Path, tls: TlsFiles, principals: Path) -> None:
    from tests.integration.test_grpcurl import GRPCURL, grpcurl

    if GRPCURL is None:
        pytest.skip("grpcurl not installed")
    async with secure_scoring(storage_dir, tls, principals) as scoring:
        method = "glm3.scoring.v1.ScoringService/GetScoringStats"
        code, out, err = await grpcurl("-cacert", str(tls.ca_pem), "-H", f"authorization: Bearer {TOKENS['reader']}", scoring.target, method)
        assert code == 0, err
        assert '"service": "scoring-engine"' in out
        code, out, err = await grpcurl("-cacert", str(tls.ca_pem), scoring.target, method)
        assert code != 0 and "needs a credential" in err  # reflection itself needs one
        reflect = ("-reflect-header", f"authorization: Bearer {TOKENS['producer']}")
        code, out, err = await grpcurl("-cacert", str(tls.ca_pem), *reflect, scoring.target, method)
        assert code == 64 + 16, err  # UNAUTHENTICATED: the call itself carried no token
        code, out, err = await grpcurl("-cacert", str(tls.ca_pem), "-H", f"authorization: Bearer {TOKENS['producer']}", scoring.target, method)
        assert code == 64 + 7 and "reader role" in err  # PERMISSION_DENIED
        code, out, err = await grpcurl("-plaintext", scoring.target, "list")
        assert code != 0  # a TLS port does not speak plaintext

"""The sync clients against scripted server replies (`grpc_testing.channel`: the test plays the server).

Covers what the client does with what comes back (rich errors with details, paging, per-item errors, stream
framing) and what it sends (converted signals, metadata, deadlines), plus the retry service config, which
grpc_testing cannot execute (tests/integration/test_client_async.py runs retries against a real server).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import grpc
import grpc_testing
import pytest
from google.protobuf import any_pb2, json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from glm3.client import (
    IDEMPOTENT_METHODS,
    AlreadyExistsError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    Glm3Error,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OpsClient,
    PermissionDeniedError,
    ResourceExhaustedError,
    RetryPolicy,
    ScoringClient,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    error_from_status,
    signal_from_dict,
)
from glm3.ops.v1 import ops_pb2
from glm3.ops.v1 import ops_service_pb2 as ops_pb
from glm3.scoring.v1 import candidate_pb2, signal_pb2
from glm3.scoring.v1 import scoring_service_pb2 as pb

SCORING = pb.DESCRIPTOR.services_by_name["ScoringService"]
OPS = ops_pb.DESCRIPTOR.services_by_name["OpsService"]
OK = grpc.StatusCode.OK

SEED_SIGNAL: dict[str, Any] = {
    "id": "signal_20240115_103000_abc123",
    "timestamp": "2024-01-15T10:30:00Z",
    "source": "reddit",
    "source_url": None,
    "title": "Invoicing eats my weekends",
    "description": "I would pay for a tool that chases unpaid invoices.",
    "category": None,
    "tags": ["smb"],
    "engagement": {"upvotes": 120, "comments": 45},
    "author": None,
    "extracted_at": None,
    "raw_content": None,
    "comments": None,
}


class RecordingChannel(grpc.Channel):
    """grpc_testing's channel, with each unary call's timeout recorded (grpc_testing drops it)."""

    def __init__(self, inner: grpc_testing.Channel) -> None:
        self.inner = inner
        self.timeouts: list[tuple[str, float | None]] = []

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        target = self.inner.unary_unary(method, *args, **kwargs)
        timeouts = self.timeouts

        def call(request: Any, timeout: float | None = None, metadata: Any = None, credentials: Any = None) -> Any:
            timeouts.append((method, timeout))
            return target(request, timeout=timeout, metadata=metadata)

        return call

    def unary_stream(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.unary_stream(*args, **kwargs)

    def stream_unary(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.stream_unary(*args, **kwargs)

    def stream_stream(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.stream_stream(*args, **kwargs)

    def subscribe(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def unsubscribe(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> RecordingChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def testing_channel() -> grpc_testing.Channel:
    return grpc_testing.channel([SCORING, OPS], grpc_testing.strict_real_time())


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def in_thread(pool: ThreadPoolExecutor, fn: Callable[[], Any]) -> Future[Any]:
    """The client blocks until the scripted server answers, so it runs in another thread."""
    return pool.submit(fn)


def rich_status(code: int, message: str, *details: Any) -> tuple[tuple[tuple[str, bytes], ...], grpc.StatusCode, str]:
    """What a GLM3 server sends for a failure: the trailing metadata, code and details of a rich status."""
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    status = rpc_status.to_status(status_pb2.Status(code=code, message=message, details=packed))
    return status.trailing_metadata, status.code, status.details


def metadata_dict(metadata: Any) -> dict[str, Any]:
    return {key: value for key, value in metadata}


def test_score_sends_the_converted_signal_with_token_and_request_id(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = ScoringClient(channel=testing_channel, token="s3cret-token")
    future = in_thread(pool, lambda: client.score(SEED_SIGNAL, config={"go_threshold": 80}))
    metadata, request, rpc = testing_channel.take_unary_unary(SCORING.methods_by_name["Score"])
    sent = metadata_dict(metadata)
    assert sent["authorization"] == "Bearer s3cret-token"
    assert len(sent["x-request-id"]) == 32
    assert request.signal == json_format.ParseDict(SEED_SIGNAL, signal_pb2.Signal())
    assert request.config.go_threshold == 80 and not request.config.HasField("research_threshold")
    reply = pb.ScoreResponse(success=True, candidate=candidate_pb2.ScoredCandidate(id="candidate_1", signal_id=SEED_SIGNAL["id"]))
    rpc.terminate(reply, (), OK, "")
    assert future.result(timeout=5) == reply
    assert "s3cret" not in repr(client)


def test_a_rich_invalid_argument_becomes_invalid_argument_error_with_field_violations(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = ScoringClient(channel=testing_channel)
    future = in_thread(pool, lambda: client.score(SEED_SIGNAL))
    _, _, rpc = testing_channel.take_unary_unary(SCORING.methods_by_name["Score"])
    rpc.send_initial_metadata((("x-request-id", "req-from-server"),))
    trailing, code, details = rich_status(
        code_pb2.INVALID_ARGUMENT,
        "signal is invalid",
        error_details_pb2.ErrorInfo(reason="INVALID_SIGNAL", domain="glm3", metadata={"signal_id": "s1"}),
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field="signal.title", description="is required"),
                error_details_pb2.BadRequest.FieldViolation(field="signal.engagement[comments]", description="must not be negative"),
            ]
        ),
    )
    rpc.terminate(None, trailing, code, details)
    with pytest.raises(InvalidArgumentError) as caught:
        future.result(timeout=5)
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.message, error.reason, error.domain) == ("signal is invalid", "INVALID_SIGNAL", "glm3")
    assert error.metadata == {"signal_id": "s1"}
    assert error.field_violations == [
        FieldViolation("signal.title", "is required"),
        ("signal.engagement[comments]", "must not be negative"),
    ]
    assert error.request_id == "req-from-server"
    assert isinstance(error, grpc.RpcError) and isinstance(error, ValueError)
    assert "signal.title: is required" in str(error)


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        (grpc.StatusCode.NOT_FOUND, "CANDIDATE_NOT_FOUND", NotFoundError),
        (grpc.StatusCode.ALREADY_EXISTS, "ALREADY_EXISTS", AlreadyExistsError),
        (grpc.StatusCode.FAILED_PRECONDITION, "ALERT_RESOLVED", FailedPreconditionError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "SUBSCRIBER_TOO_SLOW", ResourceExhaustedError),
        (grpc.StatusCode.UNAVAILABLE, "UNAVAILABLE", UnavailableError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "", DeadlineExceededError),
        (grpc.StatusCode.PERMISSION_DENIED, "", PermissionDeniedError),
        (grpc.StatusCode.UNAUTHENTICATED, "", UnauthenticatedError),
        (grpc.StatusCode.INTERNAL, "INTERNAL", InternalError),
        (grpc.StatusCode.UNIMPLEMENTED, "NOT_IMPLEMENTED", UnimplementedError),
        (grpc.StatusCode.DATA_LOSS, "", Glm3Error),
    ],
)
def test_every_status_code_has_its_exception(
    testing_channel: grpc_testing.Channel,
    pool: ThreadPoolExecutor,
    code: grpc.StatusCode,
    reason: str,
    cls: type[Glm3Error],
) -> None:
    client = ScoringClient(channel=testing_channel)
    future = in_thread(pool, lambda: client.get_candidate("candidate_x"))
    _, request, rpc = testing_channel.take_unary_unary(SCORING.methods_by_name["GetCandidate"])
    assert request.id == "candidate_x"
    if reason:  # a failure the server chose, with ErrorInfo
        trailing, status_code, details = rich_status(
            code.value[0], "it failed", error_details_pb2.ErrorInfo(reason=reason, domain="glm3")
        )
        rpc.terminate(None, trailing, status_code, details)
    else:  # a failure of gRPC itself: no rich status at all
        rpc.terminate(None, (), code, "it failed")
    with pytest.raises(cls) as caught:
        future.result(timeout=5)
    assert type(caught.value) is cls
    assert caught.value.code == code and caught.value.message == "it failed"
    assert caught.value.reason == reason and caught.value.domain == ("glm3" if reason else "")
    assert len(caught.value.request_id or "") == 32  # the id this client sent, when the server echoed none


def test_batch_score_item_errors_decode_with_error_from_status(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = ScoringClient(channel=testing_channel)
    future = in_thread(pool, lambda: client.batch_score([SEED_SIGNAL, signal_from_dict({**SEED_SIGNAL, "id": "s2"})]))
    _, request, rpc = testing_channel.take_unary_unary(SCORING.methods_by_name["BatchScore"])
    assert [s.id for s in request.signals] == [SEED_SIGNAL["id"], "s2"]
    bad = rich_status(
        code_pb2.INVALID_ARGUMENT,
        "signal is invalid",
        error_details_pb2.BadRequest(
            field_violations=[error_details_pb2.BadRequest.FieldViolation(field="signals[1].title", description="too long")]
        ),
    )
    item_status = status_pb2.Status.FromString(bad[0][0][1])
    reply = pb.BatchScoreResponse(
        success=False, processed=2, failed=1, errors=[pb.ItemError(index=1, signal_id="s2", status=item_status)]
    )
    rpc.terminate(reply, (), OK, "")
    result = future.result(timeout=5)
    error = error_from_status(result.errors[0].status)
    assert isinstance(error, InvalidArgumentError)
    assert error.field_violations == [("signals[1].title", "too long")]
    assert error.request_id is None


def test_list_candidates_pages_lazily_and_hides_the_token(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = ScoringClient(channel=testing_channel)
    pager = client.list_candidates(verdicts=["go", "research"], min_overall_score=70, order_by="score_desc", page_size=2)
    pages = [
        (["c1", "c2"], "token-2"),
        (["c3", "c4"], "token-3"),
        (["c5"], ""),
    ]
    iterator = iter(pager)
    first = in_thread(pool, lambda: next(iterator))
    seen_tokens = []
    method = SCORING.methods_by_name["ListCandidates"]
    _, request, rpc = testing_channel.take_unary_unary(method)
    seen_tokens.append(request.page_token)
    assert list(request.verdicts) == [candidate_pb2.VERDICT_GO, candidate_pb2.VERDICT_RESEARCH]
    assert request.min_overall_score == 70 and not request.HasField("max_overall_score")
    assert request.order_by == pb.CANDIDATE_ORDER_SCORE_DESC and request.page_size == 2
    ids, token = pages[0]
    rpc.terminate(
        pb.ListCandidatesResponse(
            candidates=[candidate_pb2.ScoredCandidate(id=i) for i in ids], next_page_token=token, total_size=5
        ),
        (),
        OK,
        "",
    )
    assert first.result(timeout=5).id == "c1"
    assert pager.pages_fetched == 1 and pager.total_size == 5  # the next page is not asked for yet

    rest = in_thread(pool, lambda: [c.id for c in iterator])
    for ids, token in pages[1:]:
        _, request, rpc = testing_channel.take_unary_unary(method)
        seen_tokens.append(request.page_token)
        assert list(request.verdicts) == [candidate_pb2.VERDICT_GO, candidate_pb2.VERDICT_RESEARCH]
        rpc.terminate(
            pb.ListCandidatesResponse(
                candidates=[candidate_pb2.ScoredCandidate(id=i) for i in ids], next_page_token=token, total_size=5
            ),
            (),
            OK,
            "",
        )
    assert rest.result(timeout=5) == ["c2", "c3", "c4", "c5"]
    assert seen_tokens == ["", "token-2", "token-3"]
    assert pager.pages_fetched == 3


def test_list_alerts_pages_and_a_failing_page_raises_typed(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = OpsClient(channel=testing_channel)
    pager = client.list_alerts(states=["open", "acknowledged"], min_level="critical", service="scoring")
    future = in_thread(pool, lambda: [page.next_page_token for page in pager.pages()])
    method = OPS.methods_by_name["ListAlerts"]
    _, request, rpc = testing_channel.take_unary_unary(method)
    assert list(request.states) == [ops_pb2.ALERT_STATE_OPEN, ops_pb2.ALERT_STATE_ACKNOWLEDGED]
    assert request.min_level == ops_pb2.ALERT_LEVEL_CRITICAL and request.service == "scoring"
    rpc.terminate(ops_pb.ListAlertsResponse(alerts=[ops_pb2.Alert(id="a1")], next_page_token="p2"), (), OK, "")
    _, request, rpc = testing_channel.take_unary_unary(method)
    assert request.page_token == "p2"
    trailing, code, details = rich_status(
        code_pb2.INVALID_ARGUMENT,
        "bad page token",
        error_details_pb2.ErrorInfo(reason="INVALID_PAGE_TOKEN", domain="glm3"),
        error_details_pb2.BadRequest(
            field_violations=[error_details_pb2.BadRequest.FieldViolation(field="page_token", description="is stale")]
        ),
    )
    rpc.terminate(None, trailing, code, details)
    with pytest.raises(InvalidArgumentError) as caught:
        future.result(timeout=5)
    assert caught.value.reason == "INVALID_PAGE_TOKEN"
    assert caught.value.field_violations == [("page_token", "is stale")]


def test_deadlines_default_per_call_and_none(testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor) -> None:
    channel = RecordingChannel(testing_channel)
    client = OpsClient(channel=channel, timeout=7.5)
    stats = ops_pb.GetAgentStatusResponse(status=ops_pb2.AgentStatus(total_checks=3))
    for call in (lambda: client.get_agent_status(), lambda: client.get_agent_status(timeout=0.25), lambda: client.get_agent_status(timeout=None)):
        future = in_thread(pool, call)
        _, _, rpc = testing_channel.take_unary_unary(OPS.methods_by_name["GetAgentStatus"])
        rpc.terminate(stats, (), OK, "")
        assert future.result(timeout=5).status.total_checks == 3
    method = "/glm3.ops.v1.OpsService/GetAgentStatus"
    assert channel.timeouts == [(method, 7.5), (method, 0.25), (method, None)]

    future = in_thread(pool, lambda: client.check_health(["scoring"], run_now=True, timeout=0.1))
    _, request, rpc = testing_channel.take_unary_unary(OPS.methods_by_name["CheckHealth"])
    assert list(request.services) == ["scoring"] and request.run_now
    rpc.terminate(None, (), grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    with pytest.raises(DeadlineExceededError):
        future.result(timeout=5)
    with pytest.raises(ValueError):
        client.get_agent_status(timeout=0)


def _service_config(options: list[tuple[str, Any]]) -> dict[str, Any]:
    values = dict(options)
    return json.loads(values["grpc.service_config"])  # type: ignore[no-any-return]


def test_the_service_config_retries_only_idempotent_methods() -> None:
    non_idempotent = {
        ("glm3.scoring.v1.ScoringService", name)
        for name in ("Score", "BatchScore", "ScoreStream", "ScoreUpload", "SubmitFeedback")
    } | {
        ("glm3.ops.v1.OpsService", name)
        for name in ("Resolve", "RecordResolution", "AcknowledgeAlert", "WatchHealth", "WatchAlerts")
    }
    for cls, service in ((ScoringClient, SCORING), (OpsClient, OPS)):
        client = cls("127.0.0.1:1", retry=RetryPolicy(max_attempts=3, initial_backoff_s=0.05))
        try:
            options = client.channel_settings.channel_options()  # type: ignore[union-attr]
            assert dict(options)["grpc.enable_retries"] == 1
            config = _service_config(options)
            (method_config,) = config["methodConfig"]
            names = {(n["service"], n["method"]) for n in method_config["name"]}
            assert names == {(service.full_name, m) for m in IDEMPOTENT_METHODS[service.full_name]}
            assert names and not names & non_idempotent
            assert all(method in service.methods_by_name for _, method in names)
            assert all(not service.methods_by_name[m].client_streaming for _, m in names)
            assert method_config["retryPolicy"] == {
                "maxAttempts": 3,
                "initialBackoff": "0.050s",
                "maxBackoff": "5.000s",
                "backoffMultiplier": 2.0,
                "retryableStatusCodes": ["UNAVAILABLE"],
            }
        finally:
            client.close()
    every_method = {(s.full_name, m) for s in (SCORING, OPS) for m in s.methods_by_name}
    retried = {(s, m) for s, methods in IDEMPOTENT_METHODS.items() for m in methods}
    assert every_method - retried == non_idempotent  # every method is classified, none forgotten

    client = ScoringClient("127.0.0.1:1", retry=None, max_receive_message_bytes=1024, options=[("grpc.enable_retries", 0)])
    options = client.channel_settings.channel_options()  # type: ignore[union-attr]
    client.close()
    assert dict(options)["grpc.enable_retries"] == 0
    assert dict(options)["grpc.max_receive_message_length"] == 1024
    assert _service_config(options)["methodConfig"] == []
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=6)


def test_score_stream_frames_correlates_and_decodes_item_errors(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = ScoringClient(channel=testing_channel, token="t0k")
    signals: list[Any] = [{**SEED_SIGNAL, "id": f"s{n}"} for n in range(6)]
    signals.insert(2, {**SEED_SIGNAL, "titel": "typo"})  # refused by the client, never sent
    signals.append(pb.StreamSignal(correlation_id="mine", signal=signal_pb2.Signal(title="no id")))
    stream = client.score_stream(signals, frame_size=3, linger_ms=50, config={"go_threshold": 90})
    future = in_thread(pool, lambda: list(stream))
    metadata, rpc = testing_channel.take_stream_stream(SCORING.methods_by_name["ScoreStream"])
    assert metadata_dict(metadata)["authorization"] == "Bearer t0k"
    frames = [rpc.take_request() for _ in range(3)]
    rpc.requests_closed()
    assert [len(f.batch.items) for f in frames] == [3, 3, 1]
    assert all(f.batch.config.go_threshold == 90 and not f.batch.rescore for f in frames)
    items = [item for f in frames for item in f.batch.items]
    assert [i.correlation_id for i in items] == ["s0", "s1", "s2", "s3", "s4", "s5", "mine"]
    bad = status_pb2.Status.FromString(
        rich_status(
            code_pb2.INVALID_ARGUMENT,
            "signal is invalid",
            error_details_pb2.ErrorInfo(reason="INVALID_SIGNAL", domain="glm3"),
            error_details_pb2.BadRequest(
                field_violations=[error_details_pb2.BadRequest.FieldViolation(field="signal.source", description="is required")]
            ),
        )[0][0][1]
    )
    results = [pb.ScoreResult(correlation_id=i.correlation_id, sequence=n, candidate=candidate_pb2.ScoredCandidate(signal_id=i.signal.id or "assigned")) for n, i in enumerate(items)]
    results[6] = pb.ScoreResult(correlation_id="mine", sequence=6, error=bad)
    rpc.send_response(pb.ScoreStreamResponse(results=pb.ScoreResults(results=results[4:])))  # out of order
    rpc.send_response(pb.ScoreStreamResponse(results=pb.ScoreResults(results=results[:4])))
    rpc.terminate((), OK, "")
    got = future.result(timeout=5)
    by_index = {r.index: r for r in got}
    assert sorted(by_index) == list(range(8))
    assert by_index[2].sequence == -1 and isinstance(by_index[2].error, InvalidArgumentError)
    assert by_index[2].error.domain == "glm3.client" and by_index[2].error.field_violations[0].field == "titel"
    assert by_index[7].correlation_id == "mine" and isinstance(by_index[7].error, InvalidArgumentError)
    assert by_index[7].error.field_violations == [("signal.source", "is required")]
    for index in (0, 1, 3, 4, 5, 6):
        assert by_index[index].ok and by_index[index].candidate.signal_id == signals[index]["id"]  # type: ignore[union-attr]
    assert (stream.sent, stream.received, stream.failed, stream.in_flight) == (7, 8, 2, 0)


def test_watch_health_yields_frames_then_a_typed_error(testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor) -> None:
    client = OpsClient(channel=testing_channel)
    stream = client.watch_health(["scoring"], heartbeat_interval=2)
    received: list[Any] = []

    def consume() -> None:
        for frame in stream:
            received.append(frame)

    future = in_thread(pool, consume)
    _, request, rpc = testing_channel.take_unary_stream(OPS.methods_by_name["WatchHealth"])
    assert list(request.services) == ["scoring"] and request.heartbeat_interval.seconds == 2
    rpc.send_response(ops_pb.WatchHealthResponse(result=ops_pb2.HealthCheckResult(service="scoring", status=ops_pb2.HEALTH_STATUS_HEALTHY)))
    rpc.send_response(ops_pb.WatchHealthResponse(heartbeat=ops_pb.Heartbeat(overall_status=ops_pb2.HEALTH_STATUS_HEALTHY)))
    # grpc_testing drops responses not yet read when the call ends with an error: let the client read them.
    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    trailing, code, details = rich_status(
        code_pb2.RESOURCE_EXHAUSTED,
        "this WatchHealth stream fell too far behind; reconnect",
        error_details_pb2.ErrorInfo(reason="SUBSCRIBER_TOO_SLOW", domain="glm3"),
    )
    rpc.terminate(trailing, code, details)
    with pytest.raises(ResourceExhaustedError) as caught:
        future.result(timeout=5)
    assert caught.value.reason == "SUBSCRIBER_TOO_SLOW"
    assert [f.WhichOneof("event") for f in received] == ["result", "heartbeat"]


def test_score_upload_names_the_signal_that_cannot_be_converted(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = ScoringClient(channel=testing_channel)
    signals = [SEED_SIGNAL, {**SEED_SIGNAL, "id": "s2", "engagement": {"upvotes": "many"}}]
    future = in_thread(pool, lambda: client.score_upload(signals, frame_size=1))
    _, rpc = testing_channel.take_stream_unary(SCORING.methods_by_name["ScoreUpload"])
    assert rpc.take_request().signals[0].id == SEED_SIGNAL["id"]
    rpc.cancelled()  # the client cancels the call when its input fails
    with pytest.raises(InvalidArgumentError) as caught:
        future.result(timeout=5)
    assert caught.value.field_violations == [("signals[1].engagement[upvotes]", "must be an integer, got 'many'")]


def test_score_upload_sends_frames_and_returns_the_summary(
    testing_channel: grpc_testing.Channel, pool: ThreadPoolExecutor
) -> None:
    client = ScoringClient(channel=testing_channel)
    signals = ({**SEED_SIGNAL, "id": f"s{n}"} for n in range(5))
    future = in_thread(pool, lambda: client.score_upload(signals, frame_size=2, rescore=True))
    _, rpc = testing_channel.take_stream_unary(SCORING.methods_by_name["ScoreUpload"])
    frames = [rpc.take_request() for _ in range(3)]
    rpc.requests_closed()
    assert [[s.id for s in f.signals] for f in frames] == [["s0", "s1"], ["s2", "s3"], ["s4"]]
    assert all(f.rescore for f in frames)
    summary = pb.ScoreUploadResponse(success=True, processed=5, verdict_counts={"GO": 2, "PASS": 3})
    rpc.terminate(summary, (), OK, "")
    assert future.result(timeout=5) == summary


def test_conversions_fail_before_sending_anything() -> None:
    client = ScoringClient("127.0.0.1:1")
    try:
        with pytest.raises(InvalidArgumentError) as caught:
            client.score({**SEED_SIGNAL, "sourceUrl": "https://example.com"})
        assert "source_url" in caught.value.field_violations[0].description
        with pytest.raises(InvalidArgumentError):
            client.list_candidates(verdicts=["maybe"])
        with pytest.raises(InvalidArgumentError):
            client.score(SEED_SIGNAL, config={"go_treshold": 80})
        with pytest.raises(InvalidArgumentError):
            client.get_candidate("c1", signal_id="s1")
        with pytest.raises(ValueError):
            client.score_stream([], frame_size=1001)
    finally:
        client.close()

"""Fuzzing every RPC of both servers with hypothesis: messages built from the descriptors with hostile
values (huge and negative numbers, NaN, control characters, deep Structs, unknown enum values, long lists)
and raw bytes. Whatever arrives, the answer is never INTERNAL or UNKNOWN, no handler holds the event loop
for more than 100 ms, and health keeps answering.

`make test` runs a short round (GLM3_FUZZ_EXAMPLES, default 300); `make fuzz` a long one. The servers run
in a process of their own, with a watchdog task measuring how late their event loop wakes up.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor as d
from google.protobuf import message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glm3.ops.v1 import ops_service_pb2
from glm3.scoring.v1 import scoring_service_pb2

EXAMPLES = int(os.environ.get("GLM3_FUZZ_EXAMPLES", "300"))
MAX_LAG_S = 0.1
CLIENT_ERRORS_OK = {
    grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.CANCELLED,
}


class Servers:
    """Both servers in a subprocess (tests/fuzz/serve_for_fuzz.py); `max_lag()` asks it how late its event
    loop ever woke up."""

    def __init__(self, storage: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.serve_for_fuzz", str(storage)],
            stdout=subprocess.PIPE, stderr=None if os.environ.get("GLM3_FUZZ_DEBUG") else subprocess.DEVNULL,
            text=True, cwd=Path(__file__).parents[2],
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("PORTS "), f"the fuzz servers did not start: {line!r}"
        self.ports: dict[str, int] = json.loads(line.removeprefix("PORTS "))

    def max_lag(self) -> float:
        assert self.process.stdout is not None
        self.process.send_signal(signal.SIGUSR1)
        line = self.process.stdout.readline()
        assert line.startswith("LAG "), line
        return float(line.split()[1])

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = Servers(tmp_path_factory.mktemp("fuzz"))
    try:
        yield running
    finally:
        running.close()


# -- messages from descriptors -----------------------------------------------------------------------------

NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "a\nb", "\x1b[31m", "\"quoted phrase\"", "' OR 1=1 --", "NaN", "1e999",
                     "https://x.example/\r\nSet-Cookie: a", "signal_20240101_120000_abc123", "\ud7ff\uffff"]),
    st.text(min_size=500, max_size=3000),
)
INT64 = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 1, 1000, 1001, 2**31, 2**53 + 1]))
INT32 = st.integers(-(2**31), 2**31 - 1)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 100.0, 1e308, -0.0]))
JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | NASTY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=20,
)


def _scalar(field: d.FieldDescriptor) -> st.SearchStrategy[Any]:
    t = field.type
    if t == d.FieldDescriptor.TYPE_STRING:
        return NASTY_TEXT
    if t == d.FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    if t == d.FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if t in (d.FieldDescriptor.TYPE_DOUBLE, d.FieldDescriptor.TYPE_FLOAT):
        return FLOATS
    if t == d.FieldDescriptor.TYPE_ENUM:
        return st.integers(-3, 12)  # unknown values too: proto3 enums are open
    if t in (d.FieldDescriptor.TYPE_INT64, d.FieldDescriptor.TYPE_SINT64, d.FieldDescriptor.TYPE_SFIXED64):
        return INT64
    if t in (d.FieldDescriptor.TYPE_UINT64, d.FieldDescriptor.TYPE_FIXED64):
        return st.integers(0, 2**64 - 1)
    if t in (d.FieldDescriptor.TYPE_UINT32, d.FieldDescriptor.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    return INT32


def message(desc: d.Descriptor, depth: int = 0) -> st.SearchStrategy[Any]:
    cls = message_factory.GetMessageClass(desc)
    if desc.full_name == "google.protobuf.Struct":
        return st.dictionaries(st.text(max_size=8), JSONISH, max_size=4).map(lambda v: _struct(cls, v))
    if desc.full_name == "google.protobuf.Timestamp":
        return st.builds(cls, seconds=INT64, nanos=INT32)
    if desc.full_name == "google.protobuf.Duration":
        return st.builds(cls, seconds=INT64, nanos=INT32)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in desc.fields:
        if field.type == d.FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
                fields[field.name] = st.dictionaries(_scalar(key), _scalar(value), max_size=4)
                continue
            if depth >= 3:
                continue
            inner = message(field.message_type, depth + 1)
        else:
            inner = _scalar(field)
        if field.is_repeated:
            inner = st.lists(inner, max_size=4)
        fields[field.name] = inner
    return st.fixed_dictionaries({}, optional=fields).map(lambda values: _build(cls, values))


def _struct(cls: Any, value: dict[str, Any]) -> Any:
    out = cls()
    with contextlib.suppress(ValueError, TypeError):
        out.update(value)
    return out


def _build(cls: Any, values: dict[str, Any]) -> Any:
    out = cls()
    for name, value in values.items():
        with contextlib.suppress(ValueError, TypeError, OverflowError):
            field = getattr(out, name)
            if isinstance(value, dict):
                field.update(value)
            elif isinstance(value, list):
                (field.extend(value) if not value or not hasattr(value[0], "DESCRIPTOR") else [field.add().CopyFrom(v) for v in value])
            elif hasattr(value, "DESCRIPTOR"):
                field.CopyFrom(value)
            else:
                setattr(out, name, value)
    return out


SERVICES = {
    "scoring": scoring_service_pb2.DESCRIPTOR.services_by_name["ScoringService"],
    "ops": ops_service_pb2.DESCRIPTOR.services_by_name["OpsService"],
}
# GLM3_FUZZ_METHODS=Score,ScoreUpload narrows the fuzzing to some methods (to chase a finding).
_ONLY = {name for name in os.environ.get("GLM3_FUZZ_METHODS", "").split(",") if name}
METHODS = [
    (server, method)
    for server, service in SERVICES.items()
    for method in service.methods
    if not _ONLY or method.name in _ONLY
]


def request_bytes(method: d.MethodDescriptor) -> st.SearchStrategy[bytes]:
    built = message(method.input_type)
    if method.name == "Resolve":  # never run a runbook for real while fuzzing
        built = built.map(lambda m: (setattr(m, "dry_run", True), m)[1])
    return st.one_of(built.map(lambda m: m.SerializeToString()), st.binary(max_size=256))


def call(channel: grpc.Channel, method: d.MethodDescriptor, payload: bytes) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    timeout = 0.5 if method.server_streaming and not method.client_streaming else 5.0
    try:
        if method.client_streaming and method.server_streaming:
            for _ in channel.stream_stream(path)(iter([payload]), timeout=timeout):
                pass
        elif method.client_streaming:
            channel.stream_unary(path)(iter([payload]), timeout=timeout)
        elif method.server_streaming:
            for _ in channel.unary_stream(path)(payload, timeout=timeout):
                pass
        else:
            channel.unary_unary(path)(payload, timeout=timeout)
    except grpc.RpcError as exc:
        return exc.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, d.MethodDescriptor, bytes]:
    server, method = draw(st.sampled_from(METHODS))
    return server, method, draw(request_bytes(method))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(example=calls())
def test_no_request_gets_internal_or_unknown(servers: Servers, example: tuple[str, d.MethodDescriptor, bytes]) -> None:
    server, method, payload = example
    with grpc.insecure_channel(f"127.0.0.1:{servers.ports[server]}") as channel:
        code = call(channel, method, payload)
    assert code in CLIENT_ERRORS_OK, f"{method.name} answered {code.name} to {payload[:200]!r}"


def test_the_servers_stayed_responsive(servers: Servers) -> None:
    """Runs after the fuzzing (file order): health answers, and the loop was never held past 100 ms."""
    for port in servers.ports.values():
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
    lag = servers.max_lag()
    assert lag < MAX_LAG_S, f"the event loop was held for {lag * 1000:.0f} ms"

"""Domain errors become google.rpc.Status with ErrorInfo and BadRequest details."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2

from glm3.servers.common import errors
from glm3.servers.common.status import ERROR_DOMAIN, internal_status, status_code_for, to_rpc_status


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidArgument("x"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.NotFound("x"), grpc.StatusCode.NOT_FOUND),
        (errors.AlreadyExists("x"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.FailedPrecondition("x"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.ResourceExhausted("x"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.Unavailable("x"), grpc.StatusCode.UNAVAILABLE),
        (errors.Unimplemented("x"), grpc.StatusCode.UNIMPLEMENTED),
        (errors.Glm3Error("x"), grpc.StatusCode.INTERNAL),
    ],
)
def test_each_error_has_its_code(error: errors.Glm3Error, code: grpc.StatusCode) -> None:
    assert status_code_for(error) is code
    assert to_rpc_status(error).code == code.value[0]


def test_invalid_argument_carries_error_info_and_field_violations() -> None:
    error = errors.InvalidArgument(
        "signal is invalid",
        [errors.FieldViolation("signal.title", "must not be empty"), errors.FieldViolation("signal.source", "required")],
        metadata={"signal_id": "s1"},
    )
    status = to_rpc_status(error)
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert status.message == "signal is invalid"
    info = error_details_pb2.ErrorInfo()
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(info) and status.details[1].Unpack(bad)
    assert (info.reason, info.domain, dict(info.metadata)) == ("INVALID_ARGUMENT", ERROR_DOMAIN, {"signal_id": "s1"})
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("signal.title", "must not be empty"),
        ("signal.source", "required"),
    ]


def test_reason_can_be_specific() -> None:
    status = to_rpc_status(errors.NotFound("no such candidate", reason="CANDIDATE_NOT_FOUND"))
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "CANDIDATE_NOT_FOUND"
    assert len(status.details) == 1


def test_internal_status_has_only_the_message() -> None:
    status = internal_status("internal error (request id r1)")
    assert status.code == code_pb2.INTERNAL and status.message == "internal error (request id r1)"

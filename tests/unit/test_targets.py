"""Targets as users type them: a host without a port gets the service's port (gRPC alone would dial 443),
a URL is refused with the host:port to write instead, in the client and in `glm3`."""

from __future__ import annotations

import io

import pytest

from glm3.client import OpsClient, ScoringClient
from glm3.client.cli import build_parser, main, resolve_target


@pytest.mark.parametrize(
    ("typed", "scoring", "ops"),
    [
        ("localhost", "localhost:50051", "localhost:50052"),
        ("127.0.0.1", "127.0.0.1:50051", "127.0.0.1:50052"),
        ("::1", "[::1]:50051", "[::1]:50052"),
        ("[::1]", "[::1]:50051", "[::1]:50052"),
        ("127.0.0.1:7", "127.0.0.1:7", "127.0.0.1:7"),
        ("dns:///glm3.internal", "dns:///glm3.internal:50051", "dns:///glm3.internal:50052"),
        ("dns:///glm3.internal:9", "dns:///glm3.internal:9", "dns:///glm3.internal:9"),
        ("unix:/run/glm3.sock", "unix:/run/glm3.sock", "unix:/run/glm3.sock"),
    ],
)
def test_a_host_without_a_port_gets_the_services_port(typed: str, scoring: str, ops: str) -> None:
    assert ScoringClient(typed).target == scoring
    assert OpsClient(typed).target == ops


def test_each_entry_of_a_list_gets_the_port() -> None:
    assert ScoringClient(["127.0.0.1", "127.0.0.1:7"]).target == "127.0.0.1:50051,127.0.0.1:7"


@pytest.mark.parametrize("url", ["http://localhost:50051", "https://scoring.example:443/", "grpc://h:1"])
def test_a_url_is_refused_with_what_to_write(url: str) -> None:
    with pytest.raises(ValueError, match="is a URL; a gRPC target is host:port: write '"):
        ScoringClient(url)


def test_glm3_with_a_url_target_is_a_usage_error_that_says_what_to_write() -> None:
    err = io.StringIO()
    assert main(["--target", "http://127.0.0.1:50051", "stats"], io.StringIO(), err) == 2
    assert "write '127.0.0.1:50051'" in err.getvalue()


def test_glm3_gives_a_bare_host_the_port_of_the_commands_service() -> None:
    # Parsed, not run: a test dials no fixed port.
    parser = build_parser()
    assert resolve_target(parser.parse_args(["--target", "127.0.0.1", "ops", "status"])) == "127.0.0.1:50052"
    assert resolve_target(parser.parse_args(["--target", "127.0.0.1", "stats"])) == "127.0.0.1:50051"

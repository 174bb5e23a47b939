"""The servers' log handler redacts secrets from messages, extras and tracebacks, whoever logs them."""

from __future__ import annotations

import json
import logging

import pytest

from glm3.servers.common.logs import setup_logging


def test_secrets_never_reach_the_json_log(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        setup_logging("INFO", "json")
        log = logging.getLogger("glm3.test")
        log.warning("connecting to %s", "postgres://app:hunter2@db:5432/x", extra={"header": "Bearer abc.def.ghi"})
        try:
            raise RuntimeError("api_key=sk-live-0123456789abcdefghij failed")
        except RuntimeError:
            log.exception("call failed")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines()]
    assert len(lines) == 2
    assert "hunter2" not in err and "sk-live-0123456789" not in err and "abc.def.ghi" not in err
    assert "postgres://app:[REDACTED]@db:5432/x" in lines[0]["msg"]
    assert "RuntimeError" in lines[1]["exc"]

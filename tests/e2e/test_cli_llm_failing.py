"""A scoring server whose configured LLM is down, seen from the command line: the candidate says it is a
heuristic fallback and why, and `glm3 stats` says the LLM is failing, not that there is none."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import cli_env, closed_port, fields, glm3

SERVER = str(Path(sys.executable).parent / "glm3-scoring-server")


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    env = cli_env(
        GLM3_SERVER_PORT="0",
        GLM3_STORAGE_URI=str(tmp_path / "db"),
        GLM3_LLM_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1",  # nobody listens: every call fails
        GLM3_LLM_MODEL="fake-model",
        GLM3_LLM_MAX_ATTEMPTS="1",
        GLM3_LOG_FORMAT="json",
    )
    process = subprocess.Popen([SERVER], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert " listening on " in line, line
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(30)


def test_a_fallback_is_shown_as_one_and_stats_say_the_llm_is_failing(target: str) -> None:
    before = glm3("stats", "--target", target)
    assert before.code == 0, before.err
    assert "LLM configured, not called yet" in before.out

    signal = {"id": "llm-down-1", "title": "Invoices reconciled by hand", "description": "Every month, a day lost.",
              "source": "reddit"}
    scored = glm3("score", "-", "--target", target, input=json.dumps(signal) + "\n")
    assert scored.code == 0, scored.err
    [row] = scored.rows()
    assert row["candidate"]["analysis"]["fallback_from"] == "llm"

    shown = fields(glm3("candidates", "get", "--signal-id", "llm-down-1", "--target", target).out)
    assert shown["scorer"].startswith("heuristic (fallback from the LLM fake-model: ")

    after = glm3("stats", "--target", target)
    assert "LLM FAILING" in after.out and "no LLM" not in after.out

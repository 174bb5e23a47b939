"""The Python client on several replicas: a list of targets (or a comma-separated one) is one balanced
channel, so calls spread over every replica; a bad entry is refused when the client is made."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from glm3.client import ScoringClient
from tests.e2e.test_console_scripts import Started, clean_env, start


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[list[Started]]:
    servers = []
    for n in range(2):  # separate databases: what each one stored shows which one served
        (tmp_path / str(n)).mkdir()
        servers.append(start("glm3-scoring-server", clean_env(tmp_path / str(n)), tmp_path / str(n)))
    yield servers
    for s in servers:
        s.process.send_signal(signal.SIGTERM)
    for s in servers:
        s.process.wait(timeout=20)


def _signal(n: int) -> dict[str, object]:
    return {"id": f"rr-{n}", "title": f"Tool number {n}", "description": "I would pay for this.", "source": "reddit"}


@pytest.mark.parametrize("form", ["comma", "list", "names"])
def test_calls_spread_over_every_replica(replicas: list[Started], form: str) -> None:
    entries = [f"{'localhost' if form == 'names' else '127.0.0.1'}:{s.port}" for s in replicas]
    target: str | list[str] = entries if form == "list" else ",".join(entries)
    with ScoringClient(target) as client:
        for n in range(20):
            client.score(_signal(n))
    counts = []
    for s in replicas:
        with ScoringClient(f"127.0.0.1:{s.port}") as one:
            counts.append(one.get_scoring_stats().candidates_total)
    assert sum(counts) == 20 and all(c > 0 for c in counts), counts


@pytest.mark.parametrize("bad", ["127.0.0.1:1,", "127.0.0.1:1,127.0.0.1:99999", "http://127.0.0.1:1"])
def test_a_bad_entry_is_refused_when_the_client_is_made(bad: str) -> None:
    with pytest.raises(ValueError, match="target"):
        ScoringClient(bad)


def test_the_cli_scores_over_several_targets(replicas: list[Started], tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    lines = tmp_path / "signals.jsonl"
    lines.write_text("".join(json.dumps(_signal(n)) + "\n" for n in range(30)))
    target = ",".join(f"127.0.0.1:{s.port}" for s in replicas)
    glm3 = str(Path(sys.executable).parent / "glm3")
    done = subprocess.run([glm3, "--target", target, "score", str(lines)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    health = subprocess.run([glm3, "--target", target, "health"], capture_output=True, text=True, timeout=60)
    assert health.returncode == 0, health.stderr

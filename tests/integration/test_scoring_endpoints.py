"""The scoring server wired to OpenAI-compatible endpoints (the loopback fake): LLM outage, cancellation of
LLM work with the stream, and hybrid search with an embedding endpoint."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from glm3.scoring.v1 import scoring_service_pb2 as pb
from glm3.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from glm3.scoring.v1 import signal_pb2
from glm3.servers.scoring import main as scoring_main
from glm3.servers.scoring.settings import ScoringSettings
from tests.conftest import running, wait_until
from tests.integration.test_llm_scorer import PLANTED, scoring_reply
from tests.support.fake_openai import FakeOpenAI, Reply, hashed_embedding


def settings_for(storage: Path, **sections: dict[str, Any]) -> ScoringSettings:
    return ScoringSettings.model_validate(
        {
            "server": {"host": "127.0.0.1", "port": 0, "shutdown_grace_s": 1.0},
            "storage": {"uri": str(storage)},
            "metrics": {"enabled": False},
            **sections,
        }
    )


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def signal(n: int, title: str, description: str) -> signal_pb2.Signal:
    return signal_pb2.Signal(id=f"sig-{n}", title=title, description=description, source="reddit")


async def test_llm_outage_falls_back_to_the_heuristic_and_shows_in_stats(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path / "db",
        llm={"model": "gpt-test", "base_url": closed_port_url(), "max_attempts": 2, "retry_backoff_s": 0.01},
    )
    deps = await scoring_main.make_deps(settings)
    async with running(settings, deps) as srv, srv.channel() as channel:
        stub = pb_grpc.ScoringServiceStub(channel)
        reply = await stub.Score(
            pb.ScoreRequest(signal=signal(1, "Invoice matcher", "I would pay to stop matching invoices.")), timeout=10
        )
        analysis = dict(reply.candidate.analysis)
        assert analysis["scorer"] == "heuristic" and analysis["fallback_from"] == "llm"
        assert analysis["fallback_reason"] == "cannot reach the LLM endpoint (2 attempts)"
        stats = await stub.GetScoringStats(pb.GetScoringStatsRequest(), timeout=10)
        assert stats.llm_fallbacks == 1 and stats.candidates_total == 1
        assert stats.health.brain_connected is False and stats.health.status == "degraded"
        assert stats.health.store_reachable is True


async def test_secrets_in_a_signal_stay_out_of_the_llm_prompt_and_the_store_keeps_the_signal(tmp_path: Path) -> None:
    async with FakeOpenAI(scoring_reply) as fake:
        settings = settings_for(tmp_path / "db", llm={"model": "gpt-test", "base_url": fake.base_url})
        deps = await scoring_main.make_deps(settings)
        store = deps.services[0].servicer.engine.store  # type: ignore[attr-defined]
        leaky = signal_pb2.Signal(
            id="sig-leaky",
            title="Invoice tool, our key sk-live-4f9a8b7c6d5e4f3a2b1c0d9e leaked",
            description="The export uses postgres://billing:dbpass99@db.internal/ledger and breaks weekly.",
            source="reddit",
            source_url="https://admin:hunter2@forum.example.com/t/123",
            author="dev (token=tok-7f3e9a1b2c4d)",
            raw_content="AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
            comments=["clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/app"],
            tags=["password=hunter2"],
        )
        async with running(settings, deps) as srv, srv.channel() as channel:
            stub = pb_grpc.ScoringServiceStub(channel)
            candidate = (await stub.Score(pb.ScoreRequest(signal=leaky), timeout=10)).candidate
            assert dict(candidate.analysis)["scorer"] == "llm"
            [request] = fake.chat_requests()
            sent = json.dumps(request.body)
            for secret in PLANTED:
                assert secret not in sent, f"{secret!r} was sent to the LLM"
            assert "https://admin:[REDACTED]@forum.example.com" in sent
            # What is stored and served is the signal as received, as before: only the prompt is redacted.
            assert candidate.title == leaky.title and candidate.description == leaky.description
            await wait_until(lambda: store.embeddings_idle, timeout=10)
            [row] = await store.signals.query().where("id = 'sig-leaky'").to_list()
            assert (row["source_url"], row["author"]) == (leaky.source_url, leaky.author)
            assert row["raw_content"] == leaky.raw_content and list(row["comments"]) == list(leaky.comments)


async def test_cancelling_a_stream_cancels_its_llm_calls(tmp_path: Path) -> None:
    async with FakeOpenAI(lambda _body: Reply("{}", delay=30)) as fake:
        settings = settings_for(tmp_path / "db", llm={"model": "gpt-test", "base_url": fake.base_url})
        deps = await scoring_main.make_deps(settings)
        engine = deps.services[0].servicer.engine  # type: ignore[attr-defined]

        async def requests() -> AsyncIterator[pb.ScoreStreamRequest]:
            items = [
                pb.StreamSignal(correlation_id=f"c{n}", signal=signal(n, f"Idea {n}", f"Pain number {n}."))
                for n in range(8)
            ]
            yield pb.ScoreStreamRequest(batch=pb.SignalBatch(items=items))
            await asyncio.sleep(3600)  # the producer keeps the stream open

        async with running(settings, deps) as srv, srv.channel() as channel:
            call = pb_grpc.ScoringServiceStub(channel).ScoreStream(requests(), timeout=60)
            await fake.wait_for_requests(8)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call.read()
            # Every HTTP call to the LLM is abandoned (the fake sees the client hang up), no fallback runs,
            # and nothing is stored for signals whose results were never sent.
            await wait_until(lambda: all(r.cancelled for r in fake.chat_requests()), timeout=10)
            await wait_until(lambda: engine.in_flight == 0, timeout=10)
            assert engine.llm.fallbacks == 0
            assert await engine.store.candidates.count_rows() == 0


async def test_hybrid_search_finds_by_meaning_and_degrades_to_full_text(tmp_path: Path) -> None:
    synonyms = {"k8s": "kubernetes", "cluster": "kubernetes"}
    async with FakeOpenAI(embed=lambda text: hashed_embedding(text, synonyms=synonyms)) as fake:
        settings = settings_for(
            tmp_path / "db", llm={"base_url": fake.base_url}, embedding={"model": "fake-embed"}
        )
        deps = await scoring_main.make_deps(settings)
        store = deps.services[0].servicer.engine.store  # type: ignore[attr-defined]
        async with running(settings, deps) as srv, srv.channel() as channel:
            stub = pb_grpc.ScoringServiceStub(channel)
            await stub.BatchScore(
                pb.BatchScoreRequest(
                    signals=[
                        signal(1, "Kubernetes cost dashboard", "Our cloud bill is a mystery every month."),
                        signal(2, "Dog walking scheduler", "Coordinating walkers by text is chaos."),
                    ]
                ),
                timeout=10,
            )
            await wait_until(lambda: store.embedded == 2 and store.embeddings_idle, timeout=10)
            # The heuristic scored them; no chat call was made, only embeddings.
            assert fake.chat_requests() == [] and len(fake.embedding_requests()) == 1

            # "k8s" is in no stored text: full text alone finds nothing, the vectors find the dashboard.
            reply = await stub.SearchCandidates(pb.SearchCandidatesRequest(query="k8s", limit=1), timeout=10)
            assert reply.mode == "hybrid"
            assert [h.candidate.signal_id for h in reply.hits] == ["sig-1"]

            reply = await stub.SearchCandidates(pb.SearchCandidatesRequest(query="dog walking"), timeout=10)
            assert reply.mode == "hybrid" and reply.hits[0].candidate.signal_id == "sig-2"

            # The embedding endpoint goes down: scoring goes on, search answers from full text.
            fake.embeddings_status = 503
            scored = await stub.Score(
                pb.ScoreRequest(signal=signal(3, "Kubernetes upgrade planner", "Upgrades break every quarter.")),
                timeout=10,
            )
            assert scored.candidate.signal_id == "sig-3"
            reply = await stub.SearchCandidates(pb.SearchCandidatesRequest(query="kubernetes"), timeout=10)
            assert reply.mode == "fts"
            assert {h.candidate.signal_id for h in reply.hits} == {"sig-1", "sig-3"}
            await wait_until(lambda: store.embeddings_idle, timeout=10)
            assert store.embedded == 2  # sig-3 has no vector; it is still found by full text


@pytest.mark.parametrize("bad", ["ftp://example", "not a url"])
def test_embedding_base_url_is_validated(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http"):
        settings_for(tmp_path, embedding={"model": "m", "base_url": bad})



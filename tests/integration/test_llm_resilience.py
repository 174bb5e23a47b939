"""A failing LLM does not drag scoring down: a circuit breaker skips a hanging endpoint, a huge reply is
refused unread. Against the real fake OpenAI-compatible server, with the real openai client."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from glm3.servers.common.llm_client import CircuitBreaker
from tests.integration.test_llm_scorer import CONFIG, FixedScorer, make_scorer, make_signal, scoring_reply
from tests.support.fake_openai import FakeOpenAI, Reply


async def test_a_hanging_endpoint_opens_the_breaker_and_signals_fall_back_at_once() -> None:
    async def hang(body: dict[str, Any]) -> Reply:
        return Reply("never", delay=30.0)

    async with FakeOpenAI(hang) as server:
        fallback = FixedScorer()
        scorer = make_scorer(server, fallback, timeout_s=0.3, max_attempts=1, breaker_failures=3, breaker_cooldown_s=60)
        try:
            for i in range(3):  # each waits out the timeout
                draft = await scorer.score(make_signal(f"signal {i}"), CONFIG, timeout=10)
                assert draft.analysis["fallback_from"] == "llm"
            sent = len(server.chat_requests())
            started = time.perf_counter()
            drafts = await asyncio.gather(*(scorer.score(make_signal(f"later {i}"), CONFIG, timeout=10) for i in range(200)))
            assert time.perf_counter() - started < 1.0  # 200 signals, no timeout waited
            assert len(server.chat_requests()) == sent  # nothing more was sent
            assert all("circuit breaker open" in d.analysis["fallback_reason"] for d in drafts)
            assert scorer.circuit_skips == 200
        finally:
            await scorer.close()


async def test_after_the_cooldown_one_probe_closes_the_breaker() -> None:
    replies: list[Reply] = [Reply.failure(500)] * 2
    async with FakeOpenAI(lambda body: replies.pop(0) if replies else scoring_reply(body)) as server:
        scorer = make_scorer(server, FixedScorer(), max_attempts=1, breaker_failures=2, breaker_cooldown_s=0.2)
        try:
            for _ in range(2):
                await scorer.score(make_signal(), CONFIG, timeout=10)
            skipped = await scorer.score(make_signal("skipped"), CONFIG, timeout=10)
            assert "circuit breaker open" in skipped.analysis["fallback_reason"]
            await asyncio.sleep(0.25)
            probed = await scorer.score(make_signal("probe"), CONFIG, timeout=10)
            assert "fallback_from" not in probed.analysis  # the endpoint recovered: scored by the LLM
            assert "fallback_from" not in (await scorer.score(make_signal("after"), CONFIG, timeout=10)).analysis
        finally:
            await scorer.close()


async def test_a_reply_over_the_size_cap_is_refused() -> None:
    huge = Reply(body={"choices": [{"message": {"content": "x" * 3_000_000}}]})
    async with FakeOpenAI(lambda body: huge) as server:
        scorer = make_scorer(server, FixedScorer(), max_attempts=1, max_reply_bytes=1_000_000)
        try:
            draft = await scorer.score(make_signal(), CONFIG, timeout=10)
            assert draft.analysis["fallback_from"] == "llm"
            assert "max_reply_bytes" in draft.analysis["fallback_reason"]
        finally:
            await scorer.close()


def test_breaker_states() -> None:
    breaker = CircuitBreaker(failures=2, cooldown_s=10)
    assert breaker.allow(0) and not breaker.record(False, 0)
    assert breaker.record(False, 1) and breaker.is_open
    assert not breaker.allow(5) and breaker.skipped == 1
    assert breaker.allow(11)  # the probe
    assert not breaker.allow(11)  # only one at a time
    assert breaker.record(False, 12) and not breaker.allow(13)  # the probe failed: open again
    assert breaker.allow(23) and not breaker.record(True, 23) and not breaker.is_open and breaker.allow(23)

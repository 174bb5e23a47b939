"""Several signals per LLM call (`llm.signals_per_call`) and the HTTP transports, against the fake server."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from glm3.servers.scoring.llm import BATCH_TAG, TAG_OPEN
from tests.integration.test_llm_scorer import (
    CONFIG,
    FixedScorer,
    assert_no_secret_sent,
    good_content,
    leaky_signal,
    make_scorer,
    make_signal,
    scoring_reply,
)
from tests.support.fake_openai import FakeOpenAI, Reply, message_text

BATCH = re.compile(f"<{BATCH_TAG}>\\n(.*)\\n</{BATCH_TAG}>", re.DOTALL)


def signals_in(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """key -> signal JSON of a request carrying several signals."""
    match = BATCH.search(message_text(body, "user"))
    assert match, "signals not inside the untrusted-data tags"
    loaded: dict[str, dict[str, Any]] = json.loads(match.group(1))
    return loaded


def batch_reply(body: dict[str, Any], skip: str = "") -> str:
    """Valid scores for every signal of a request (one or several), leaving out titles containing `skip`."""
    if TAG_OPEN in message_text(body, "user"):
        return scoring_reply(body)
    results = {
        key: json.loads(good_content(signal["title"]))
        for key, signal in signals_in(body).items()
        if not (skip and skip in signal["title"])
    }
    return json.dumps({"results": results})


def slow(delay: float, **kwargs: Any) -> Any:
    return lambda body: Reply(batch_reply(body, **kwargs), delay=delay)


async def test_signals_share_calls_only_when_every_call_is_busy() -> None:
    async with FakeOpenAI(slow(0.2)) as srv:
        scorer = make_scorer(srv, concurrency=2, signals_per_call=4)
        try:
            drafts = await asyncio.gather(*(scorer.score(make_signal(f"idea {i}"), CONFIG) for i in range(8)))
        finally:
            await scorer.close()
    requests = srv.chat_requests()
    assert len(requests) == 2  # 8 signals arrived together for 2 free calls: 4 in each
    assert all(len(signals_in(r.body)) == 4 for r in requests)
    assert srv.max_concurrent == 2
    for i, draft in enumerate(drafts):
        assert draft.analysis["scorer"] == "llm"
        assert draft.analysis["signals_per_call"] == 4
        expected = json.loads(good_content(f"idea {i}"))
        assert draft.scores.market == expected["market"]["score"]  # each signal got its own entry
        assert draft.reasoning.market == expected["market"]["reasoning"]
    # The schema asks for one entry per key.
    schema = requests[0].body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["results"]["required"] == ["s1", "s2", "s3", "s4"]


async def test_one_signal_alone_uses_the_single_prompt() -> None:
    async with FakeOpenAI(slow(0.0)) as srv:
        scorer = make_scorer(srv, signals_per_call=8)
        try:
            draft = await scorer.score(make_signal(), CONFIG)
        finally:
            await scorer.close()
    [request] = srv.chat_requests()
    assert TAG_OPEN in message_text(request.body, "user")
    assert draft.analysis["scorer"] == "llm"
    assert "signals_per_call" not in draft.analysis


async def test_usage_is_shared_between_the_signals_of_a_call() -> None:
    def reply(body: dict[str, Any]) -> Reply:
        return Reply(batch_reply(body), delay=0.1, usage={"prompt_tokens": 400, "completion_tokens": 200})

    async with FakeOpenAI(reply) as srv:
        scorer = make_scorer(srv, concurrency=1, signals_per_call=4)
        try:
            drafts = await asyncio.gather(*(scorer.score(make_signal(f"idea {i}"), CONFIG) for i in range(4)))
        finally:
            await scorer.close()
    [request] = srv.chat_requests()  # arrived together for one free call
    assert len(signals_in(request.body)) == 4
    assert all(d.analysis["usage"] == {"prompt_tokens": 100, "completion_tokens": 50} for d in drafts)


async def test_an_invalid_entry_is_asked_for_alone() -> None:
    async with FakeOpenAI(slow(0.1, skip="idea 2")) as srv:
        scorer = make_scorer(srv, concurrency=1, signals_per_call=4)
        try:
            drafts = await asyncio.gather(*(scorer.score(make_signal(f"idea {i}"), CONFIG) for i in range(5)))
        finally:
            await scorer.close()
    assert all(d.analysis["scorer"] == "llm" for d in drafts)
    singles = [r for r in srv.chat_requests() if TAG_OPEN in message_text(r.body, "user")]
    titles = [json.loads(re.search(r"\{.*\}", message_text(r.body, "user"), re.DOTALL).group(0))["title"]
              for r in singles]
    assert "idea 2" in titles  # its entry was missing: asked again on its own
    assert drafts[2].analysis.get("signals_per_call") is None


async def test_a_failed_call_fails_over_every_signal_to_the_fallback() -> None:
    async with FakeOpenAI(lambda body: Reply.failure(400, "bad request", delay=0.05)) as srv:
        fallback = FixedScorer()
        scorer = make_scorer(srv, fallback, concurrency=1, signals_per_call=4)
        try:
            drafts = await asyncio.gather(*(scorer.score(make_signal(f"idea {i}"), CONFIG) for i in range(4)))
        finally:
            await scorer.close()
    assert all(d.analysis["scorer"] == "heuristic" and d.analysis["fallback_from"] == "llm" for d in drafts)
    assert len(fallback.seen) == 4


async def test_a_caller_that_gives_up_leaves_the_shared_call_running() -> None:
    async with FakeOpenAI(slow(0.3)) as srv:
        scorer = make_scorer(srv, concurrency=1, signals_per_call=4)
        try:
            first = asyncio.create_task(scorer.score(make_signal("first"), CONFIG))
            await srv.wait_for_requests(1)
            waiting = [asyncio.create_task(scorer.score(make_signal(f"idea {i}"), CONFIG)) for i in range(3)]
            await asyncio.sleep(0.05)
            waiting[0].cancel()
            drafts = await asyncio.gather(first, *waiting[1:])
        finally:
            await scorer.close()
    assert all(d.analysis["scorer"] == "llm" for d in drafts)
    second = srv.chat_requests()[1]
    assert sorted(s["title"] for s in signals_in(second.body).values()) == ["idea 1", "idea 2"]


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_both_transports_score_and_retry_a_dropped_connection(transport: str) -> None:
    async with FakeOpenAI(scoring_reply) as srv:
        srv.script(Reply(drop=True))
        scorer = make_scorer(srv, http_transport=transport)
        try:
            draft = await scorer.score(make_signal(), CONFIG, timeout=5)
        finally:
            await scorer.close()
    assert draft.analysis["scorer"] == "llm"
    assert scorer.requests == 2  # the dropped one was retried, not taken for a timeout


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_both_transports_report_a_refused_connection(transport: str) -> None:
    srv = FakeOpenAI(scoring_reply)
    await srv.start()
    await srv.stop()
    scorer = make_scorer(srv, http_transport=transport)
    try:
        draft = await scorer.score(make_signal(), CONFIG, timeout=5)
    finally:
        await scorer.close()
    assert draft.analysis["fallback_reason"].startswith("cannot reach the LLM endpoint")


async def test_secrets_in_signals_sharing_a_call_never_reach_the_llm() -> None:
    async with FakeOpenAI(slow(0.1)) as srv:
        scorer = make_scorer(srv, concurrency=1, signals_per_call=4)
        titles = ["Invoicing is painful, my key sk-live-4f9a8b7c6d5e4f3a2b1c0d9e leaked", "Invoices, password=hunter2"]
        try:
            drafts = await asyncio.gather(*(scorer.score(leaky_signal(t), CONFIG) for t in titles))
        finally:
            await scorer.close()
    assert all(d.analysis["scorer"] == "llm" for d in drafts)
    [request] = srv.chat_requests()
    assert len(signals_in(request.body)) == 2  # one call for both (one call at a time)
    assert_no_secret_sent([request])

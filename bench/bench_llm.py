"""4. LLM-bound scoring: ScoreStream through the LLM scorer against the ideal window / LLM latency.

The LLM is the loopback OpenAI-compatible fake (`tests/support/fake_openai.py`) answering valid score JSON
after a fixed 200 ms, run in a subprocess of its own so that its CPU is not the scoring server's (its CPU
use is measured and reported: it must not be the bottleneck). The scoring server is the real
`glm3-scoring-server` in a subprocess too; the client is `AsyncScoringClient.score_stream` in this process.

At a stream window of W signals and an LLM that answers in L seconds, no scorer can do better than W / L
signals/s (every signal waits for its answer while at most W are in flight): that is the ideal. The window
is the client's (`score_stream(window=W)`; the server's `scoring.stream_window` stays at 1,000 and does not
bind). A signal counts when its result came back (after its candidate was committed) scored by the LLM, not
by the heuristic fallback; the rate is the steady one, from 2 round trips after the start to the end of the
input (ramp-up and the drain of the last window are left out, as they are of the ideal). Each row also
gives the median round trip of a signal (taken from the input by the client library -> its result back).
Window 1 is the floor: one signal at a time, no queueing anywhere, so its round trip is the LLM's 200 ms plus
what one signal costs on its own (the client's linger, the call, the commit before the acknowledgement).

The window cannot beat the LLM's concurrency: with one signal per call, `llm.concurrency` must be at least
the window, so those rows set it to the largest window (256; the client's window bounds what is in flight).
With `llm.signals_per_call` = 8 the default concurrency (32) serves the larger windows by putting several
signals in a call when every call is busy. The cost per signal in tokens is the usage the fake reports
(about 4 characters a token, like a real tokenizer on English text) over the signals scored; a call of
several signals is shared equally between them.

    .venv/bin/python -m bench.run --only bench_llm [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import signal as signals_module
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from bench.harness import Row, cpu_seconds, percentile, say, scoring_server_subprocess, spawn_server

LATENCY_S = 0.2
WINDOWS = (1, 16, 64, 256)
MODEL = "bench-model"


# -- the fake LLM (runs as `python -m bench.bench_llm --fake`) ---------------------------------------------


def _dimension(name: str, score: float) -> dict[str, Any]:
    return {"reasoning": f"The signal gives moderate evidence about {name}; a typical one or two sentence "
            "justification of the score, as a model would write.", "score": score}


def score_object(n: int) -> dict[str, Any]:
    """A valid reply for one signal, varying a little with `n`."""
    base = 40 + n % 50
    return {
        "market": _dimension("market size", base),
        "competition": _dimension("competition", 100 - base),
        "emotional": _dimension("pain and willingness to pay", (base * 7) % 100),
        "feasibility": _dimension("feasibility for a small team", 60),
        "signal_quality": _dimension("the credibility of the source", 55),
        "recommendations": ["Interview five people who posted the same complaint.",
                            "Build a landing page and measure sign-ups."],
    }


_BATCH = re.compile(r"<untrusted_signals>\n(.*)\n</untrusted_signals>", re.S)


def reply_content(body: dict[str, Any]) -> str:
    """What the fake model answers: one score object, or, for a prompt carrying several signals (a JSON
    object of key -> signal between <untrusted_signals> tags), {"results": {key: score object}}."""
    user = "\n".join(str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "user")
    found = _BATCH.search(user)
    if found is None:
        return json.dumps(score_object(len(user)))
    keys = list(json.loads(found.group(1)))
    return json.dumps({"results": {key: score_object(len(user) + i) for i, key in enumerate(keys)}})


async def _serve_fake(delay: float) -> None:
    from tests.support.fake_openai import FakeOpenAI, Reply

    server = FakeOpenAI(lambda body: Reply(reply_content(body), delay=delay), model=MODEL)
    await server.start()
    # The fake records every request; a long run would grow it without bound.
    server.requests = _Discard()  # type: ignore[assignment]
    print(f"fake-openai listening on 127.0.0.1:{server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signals_module.SIGTERM, signals_module.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop()


class _Discard(list):  # type: ignore[type-arg]
    def append(self, item: Any) -> None:
        pass


@contextlib.asynccontextmanager
async def fake_llm(delay: float = LATENCY_S) -> AsyncIterator[tuple[Any, str]]:
    """The fake LLM in a subprocess: yields (process, base URL)."""
    async with spawn_server([sys.executable, "-m", "bench.bench_llm", "--fake", "--delay", str(delay)]) as fake:
        yield fake.process, f"http://{fake.target}/v1"


# -- the measurement ---------------------------------------------------------------------------------------


_RUNS = itertools.count()


def bench_signal(run: str, n: int) -> dict[str, Any]:
    return {
        "id": f"llm-{run}-{n}",
        "title": f"Invoice matching takes our agency hours every week ({n})",
        "description": "We match supplier invoices to bank payments by hand every Friday; I would pay for a "
        "tool that does it and flags the mismatches.",
        "source": "reddit",
        "tags": ["finance", "automation"],
        "engagement": {"upvotes": 120 + n % 40, "comments": 31},
        "comments": ["Same here, we use a spreadsheet and hate it", "Xero does part of this but not well"],
    }


async def stream_once(target: str, run: str, seconds: float, window: int) -> dict[str, Any]:
    """Streams new signals at `window` for `seconds`; returns the steady rate of LLM-scored signals/s
    (results that arrived after the first 2 round trips, over that time: the ramp-up and the drain of the
    last window are left out, as they would be of the ideal) and the token usage per signal."""
    from glm3.client import AsyncScoringClient

    ok = fell_back = failed = 0
    prompt = completion = 0
    done_at: list[float] = []
    pulled_at: list[float] = []  # by input index: when the client library took the signal
    round_trips: list[float] = []
    async with AsyncScoringClient(target, timeout=None) as client:
        started = time.perf_counter()
        stop_at = started + seconds
        settle = started + 2 * LATENCY_S

        def signals() -> Any:
            n = 0
            while (now := time.perf_counter()) < stop_at:
                pulled_at.append(now)
                yield bench_signal(run, n)
                n += 1

        stream = client.score_stream(signals(), frame_size=min(100, window), window=window)
        async for result in stream:
            if not result.ok:
                if not failed:
                    say(f"  first failure: {result.error!r}")
                failed += 1
                continue
            analysis = result.candidate.analysis
            if analysis["scorer"] != "llm" or "fallback_reason" in analysis:
                fell_back += 1
                continue
            ok += 1
            now = time.perf_counter()
            done_at.append(now)
            if pulled_at[result.index] >= settle:
                round_trips.append(now - pulled_at[result.index])
            if "usage" in analysis:
                prompt += int(analysis["usage"]["prompt_tokens"])
                completion += int(analysis["usage"]["completion_tokens"])
        elapsed = time.perf_counter() - started
    steady = [t for t in done_at if settle <= t <= stop_at]
    rate = len(steady) / (stop_at - settle) if stop_at > settle else 0.0
    return {"rate": rate, "ok": ok, "fell_back": fell_back, "failed": failed, "elapsed": elapsed,
            "round_trip_p50_ms": 1000 * percentile(round_trips, 0.5) if round_trips else 0.0,
            "prompt_tokens": prompt / max(ok, 1), "completion_tokens": completion / max(ok, 1)}


async def measure(target: str, pids: tuple[int, int], window: int, seconds: float, label: str) -> dict[str, Any]:
    """A warm-up stream, then ~`seconds` of streaming at `window`, on a running server."""
    await stream_once(target, f"{next(_RUNS)}", 2 * LATENCY_S, window)
    server_pid, fake_pid = pids
    cpu_server, cpu_fake = cpu_seconds(server_pid), cpu_seconds(fake_pid)
    result = await stream_once(target, f"{next(_RUNS)}", seconds, window)
    result["server_cpu"] = (cpu_seconds(server_pid) - cpu_server) / result["elapsed"]
    result["fake_cpu"] = (cpu_seconds(fake_pid) - cpu_fake) / result["elapsed"]
    ideal = window / LATENCY_S
    result["ideal"] = ideal
    say(
        f"  {label}, window {window}: {result['rate']:.0f} signals/s = {result['rate'] / ideal:.2f} of ideal "
        f"({result['ok']} by the LLM, {result['fell_back']} fell back, {result['failed']} failed); "
        f"round trip p50 {result['round_trip_p50_ms']:.0f} ms; "
        f"{result['prompt_tokens'] + result['completion_tokens']:.0f} tokens/signal; "
        f"server CPU {result['server_cpu']:.0%}, fake LLM CPU {result['fake_cpu']:.0%}"
    )
    return result


# (label, llm settings, windows). With one signal per call the window needs as many calls in flight:
# llm.concurrency is set to the largest window (the client's window bounds what is in flight). With
# several signals per call, the default concurrency (32) is kept: 32 calls of up to 8 cover 256.
CONFIGS: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("1 signal/call", {"concurrency": max(WINDOWS)}, WINDOWS),
    ("up to 8 signals/call", {"signals_per_call": 8}, (64, 256)),
]
FULL_ONLY = [("1 signal/call on httpx", {"concurrency": max(WINDOWS), "http_transport": "httpx"}, (64, 256))]
TARGETS = {64: 0.9, 256: 0.7}


async def run(quick: bool) -> list[Row]:
    seconds = 1.5 if quick else 5.0
    rows: list[Row] = []
    single_tokens: float | None = None
    async with fake_llm() as (fake, url):
        for label, llm, windows in CONFIGS + ([] if quick else FULL_ONLY):
            settings = {"model": MODEL, "base_url": url, "api_key": "sk-bench", "timeout_s": 30.0, **llm}
            async with scoring_server_subprocess(llm=settings, scoring={"stream_window": 1000}) as server:
                for window in windows:
                    result = await measure(server.target, (server.pid, fake.pid), window, seconds, label)
                    tokens = result["prompt_tokens"] + result["completion_tokens"]
                    if single_tokens is None:
                        single_tokens = tokens
                    rows.append(Row(
                        "4 LLM", f"window {window}, {label}, vs ideal window/0.2 s", result["rate"],
                        result["ideal"], "signals/s", target=TARGETS.get(window) if "httpx" not in label else None,
                        note=f"round trip p50 {result['round_trip_p50_ms']:.0f} ms; "
                        f"{tokens:.0f} tokens/signal ({tokens / single_tokens:.2f}x of 1/call); server CPU "
                        f"{result['server_cpu']:.0%}, fake LLM CPU {result['fake_cpu']:.0%}; "
                        f"llm {', '.join(f'{k}={v}' for k, v in llm.items())}",
                        extra={**result, "llm": llm},
                    ))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fake", action="store_true", help="serve the fake LLM (prints its address)")
    parser.add_argument("--delay", type=float, default=LATENCY_S)
    args = parser.parse_args()
    if args.fake:
        asyncio.run(_serve_fake(args.delay))


if __name__ == "__main__":
    main()

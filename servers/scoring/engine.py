"""The scoring domain's entry point: validate, deduplicate, score, store, and keep the numbers for stats."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime

from glm3.servers.common.errors import Glm3Error, InvalidArgument, Unavailable
from glm3.servers.common.metrics import ScoringMetrics
from glm3.servers.scoring import rules
from glm3.servers.scoring.heuristic import HeuristicScorer
from glm3.servers.scoring.models import (
    ScoreDraft,
    ScoredCandidate,
    Scorer,
    ScoringConfig,
    Signal,
    new_id,
    utcnow,
)
from glm3.servers.storage.candidates import CandidateStore, Committed, PendingScore

log = logging.getLogger("glm3.scoring")

# Heuristic scoring runs inline on the event loop; yield to other RPCs between chunks of this many signals.
_INLINE_CHUNK = 100


# A signal's stored candidate, and whether it was already stored before this request: what the store's
# commit returns per item, handed on as is (a copy per signal into a class of the same two fields cost a
# microsecond a signal for nothing).
Outcome = Committed


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class ScoringEngine:
    """Scores signals with the configured scorer and stores the candidates; owns the runtime counters."""

    def __init__(
        self,
        store: CandidateStore,
        scorer: Scorer,
        base_config: ScoringConfig,
        *,
        llm: object | None = None,
        metrics: ScoringMetrics | None = None,
    ) -> None:
        self.store = store
        self.scorer = scorer
        self.base_config = base_config
        self._config_dict = (base_config, base_config.as_dict())
        self.llm = llm  # the LLMScorer when one is configured (its counters feed the stats)
        self.metrics = metrics if metrics is not None else ScoringMetrics()
        self.in_flight = 0
        self.latencies_ms: deque[float] = deque(maxlen=10_000)
        self._inline = isinstance(scorer, HeuristicScorer)

    def config_for(self, overrides: Mapping[str, float], field_prefix: str = "config") -> ScoringConfig:
        """The server's config with a request's overrides; raises InvalidArgument naming broken rules."""
        if not overrides:
            return self.base_config
        config, violations = rules.resolve_config(self.base_config, overrides, field_prefix)
        if violations:
            raise InvalidArgument("scoring config is invalid", violations)
        return config

    def _candidate(
        self, signal: Signal, draft: ScoreDraft, config: ScoringConfig, latency_ms: float
    ) -> ScoredCandidate:
        overall = rules.overall_score(draft.scores, config)
        verdict = rules.verdict(overall, draft.scores.emotional, config)
        now = utcnow()
        self.latencies_ms.append(latency_ms)
        # The server's config as a dict is made once (and copied); a request's own config each time.
        cached, cached_dict = self._config_dict
        config_dict = dict(cached_dict) if config is cached else config.as_dict()
        return ScoredCandidate(
            id=new_id("candidate", now),
            timestamp=now,
            signal_id=signal.id,
            title=signal.title,
            description=signal.description,
            scores=draft.scores,
            overall_score=overall,
            reasoning=draft.reasoning,
            verdict=verdict,
            analysis={**draft.analysis, "config": config_dict, "latency_ms": round(latency_ms, 3)},
            recommendations=draft.recommendations,
            source=signal.source,
            source_url=signal.source_url,
            category=signal.category,
            tags=signal.tags,
            verdict_reason=rules.verdict_reason(overall, draft.scores.emotional, verdict, config),
        )

    async def score_batch(
        self,
        signals: Sequence[Signal],
        config: ScoringConfig,
        *,
        rescore: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[tuple[int, Outcome | Glm3Error]]:
        """Scores valid signals; yields (index, outcome or error) as each is stored, in no fixed order.

        Signals without an id get one. Closing the iterator early (a cancelled RPC) cancels the scoring
        that is still running; what was already handed to the store is still committed.
        """
        count = len(signals)
        self.in_flight += count
        remaining = set(range(count))
        try:
            received = utcnow()
            known: list[int] = []
            for i, signal in enumerate(signals):
                if signal.id:
                    known.append(i)
                else:
                    signal.id = new_id("signal", received)
            # The look-up spares a scorer the signals already stored. The heuristic costs about 0.1 ms a
            # signal and the look-up a LanceDB query (5 to 40 ms), so inline scoring skips it: the commit
            # checks the store anyway, under the writer, and returns the stored candidate as already scored.
            if known and not rescore and not self._inline:
                try:
                    found = await self.store.latest_for_signals([signals[i].id for i in known])
                except Exception as exc:
                    raise Unavailable(f"storage unavailable: {exc}") from exc
                already = [(i, c) for i, c in zip(known, found, strict=True) if c is not None]
                self.metrics.signals_already_scored.inc(len(already))
                for i, candidate in already:
                    remaining.discard(i)
                    self.in_flight -= 1
                    yield i, Outcome(candidate, already_scored=True)
            todo = sorted(remaining)
            if self._inline:
                async for result in self._score_inline(signals, todo, config, rescore, received):
                    remaining.discard(result[0])
                    self.in_flight -= 1
                    yield result
            else:
                async for result in self._score_concurrently(signals, todo, config, rescore, received, timeout):
                    remaining.discard(result[0])
                    self.in_flight -= 1
                    yield result
        except Glm3Error as error:
            self.metrics.signals_failed.labels(error.reason).inc(len(remaining))
            for i in sorted(remaining):
                remaining.discard(i)
                self.in_flight -= 1
                yield i, error
        finally:
            self.in_flight -= len(remaining)

    async def _commit(self, pending: list[PendingScore]) -> list[Outcome]:
        try:
            committed = await self.store.commit(pending)
        except Exception as exc:
            raise Unavailable(f"storage unavailable: {exc}") from exc
        # Counted once stored: a candidate that was never committed was never scored for the client.
        self.metrics.count_scored(
            (str(c.candidate.analysis.get("scorer", "unknown")), c.candidate.verdict.value)
            for c in committed
            if not c.already_scored
        )
        self.metrics.signals_already_scored.inc(sum(1 for c in committed if c.already_scored))
        return committed

    async def _score_inline(
        self,
        signals: Sequence[Signal],
        todo: list[int],
        config: ScoringConfig,
        rescore: bool,
        received: datetime,
    ) -> AsyncIterator[tuple[int, Outcome | Glm3Error]]:
        assert isinstance(self.scorer, HeuristicScorer)
        pending: list[PendingScore] = []
        for n, i in enumerate(todo):
            if n and n % _INLINE_CHUNK == 0:
                await asyncio.sleep(0)
            started = time.perf_counter()
            draft = self.scorer.score_now(signals[i], config)
            latency = (time.perf_counter() - started) * 1000
            candidate = self._candidate(signals[i], draft, config, latency)
            pending.append(PendingScore(signals[i], candidate, rescore, received))
        outcomes = await self._commit(pending)
        for i, outcome in zip(todo, outcomes, strict=True):
            yield i, outcome

    async def _score_one(
        self, signal: Signal, config: ScoringConfig, rescore: bool, received: datetime, deadline: float | None
    ) -> Outcome:
        started = time.perf_counter()
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            draft = await self.scorer.score(signal, config, timeout=timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("scorer failed on signal %s", signal.id)
            raise Glm3Error(f"scoring failed: {type(exc).__name__}", reason="SCORING_FAILED") from exc
        latency = (time.perf_counter() - started) * 1000
        candidate = self._candidate(signal, draft, config, latency)
        (outcome,) = await self._commit([PendingScore(signal, candidate, rescore, received)])
        return outcome

    async def _score_concurrently(
        self,
        signals: Sequence[Signal],
        todo: list[int],
        config: ScoringConfig,
        rescore: bool,
        received: datetime,
        timeout: float | None,
    ) -> AsyncIterator[tuple[int, Outcome | Glm3Error]]:
        deadline = None if timeout is None else time.monotonic() + timeout
        tasks = {
            asyncio.create_task(self._score_one(signals[i], config, rescore, received, deadline)): i for i in todo
        }
        try:
            waiting = set(tasks)
            while waiting:
                done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    error = task.exception()
                    if error is None:
                        yield tasks[task], task.result()
                    else:
                        if not isinstance(error, Glm3Error):
                            error = Glm3Error(f"scoring failed: {type(error).__name__}")
                        self.metrics.signals_failed.labels(error.reason).inc()
                        yield tasks[task], error
        finally:
            for task in tasks:
                task.cancel()

    async def score_one(
        self, signal: Signal, config: ScoringConfig, *, rescore: bool = False, timeout: float | None = None
    ) -> Outcome:
        """Scores one valid signal; raises the Glm3Error when it cannot be stored or scored."""
        async for _, result in self.score_batch([signal], config, rescore=rescore, timeout=timeout):
            if isinstance(result, Glm3Error):
                raise result
            return result
        raise AssertionError("score_batch yielded nothing")

    def latency_summary(self) -> tuple[float, float, float, int]:
        values = list(self.latencies_ms)
        return (
            round(percentile(values, 0.50), 3),
            round(percentile(values, 0.90), 3),
            round(percentile(values, 0.99), 3),
            len(values),
        )

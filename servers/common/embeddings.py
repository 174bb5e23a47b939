"""Text embeddings from an OpenAI-compatible `/embeddings` endpoint, for hybrid search (candidates, and the
ops learning store).

Optional: with no embedding model configured, search is full-text only. Embeddings are derived data: a
candidate is acknowledged once its row is committed, and its vector is written afterwards; an endpoint
outage only leaves those candidates to full-text search (counted in `failures`), it never fails scoring.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import openai

from glm3.servers.common.redact import redact
from glm3.servers.common.settings import EmbeddingSection, LlmSection

log = logging.getLogger("glm3.embeddings")


class Embedder:
    """Embeds texts with one model. Counters: `calls`, `failures`, `texts`, `last_call_ok`."""

    def __init__(self, settings: EmbeddingSection, llm: LlmSection) -> None:
        self.model = settings.model
        self.batch_size = settings.batch_size
        api_key = settings.api_key or llm.api_key
        key = api_key.get_secret_value() if api_key is not None else ""
        self._client = openai.AsyncOpenAI(
            api_key=key or "EMPTY",  # the SDK refuses an empty key; keyless local servers accept any
            base_url=settings.base_url or llm.base_url,
            timeout=settings.timeout_s,
            max_retries=1,
        )
        self.calls = 0
        self.failures = 0
        self.texts = 0
        self.last_call_ok: bool | None = None

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Raises the client's error when the endpoint fails."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            # Empty input is refused; secrets (the redactor's patterns) never leave for the endpoint.
            chunk = [redact(text) or " " for text in texts[start : start + self.batch_size]]
            started = time.perf_counter()
            self.calls += 1
            try:
                reply = await self._client.embeddings.create(model=self.model, input=chunk)
            except Exception as exc:
                self.failures += 1
                self.last_call_ok = False
                log.warning(
                    "embedding call failed: %s",
                    type(exc).__name__,
                    extra={"model": self.model, "texts": len(chunk)},
                )
                raise
            self.last_call_ok = True
            self.texts += len(chunk)
            ordered = sorted(reply.data, key=lambda item: item.index)
            if len(ordered) != len(chunk):
                self.failures += 1
                raise ValueError(f"the embedding endpoint returned {len(ordered)} vectors for {len(chunk)} texts")
            vectors.extend(list(item.embedding) for item in ordered)
            log.debug(
                "embedded", extra={"texts": len(chunk), "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
            )
        return vectors

    async def close(self) -> None:
        await self._client.close()

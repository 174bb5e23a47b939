"""Webhook delivery of alert changes: a bounded queue, one background sender, retries with backoff.

Alerting must not stall on a slow or dead receiver, and a receiver must not make the agent fail: `notify`
only enqueues, one task POSTs in order, and every failure ends up in counters (`delivered`, `failures`,
`last_error`) that the agent status shows. Payloads are redacted before they leave the process; the URL is
never logged (chat webhooks carry their token in it), only its host.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import aiohttp

from glm3.servers.common.settings import http_url
from glm3.servers.ops.alerts import AlertEvent, AlertsSection, alert_json
from glm3.servers.common.redact import redact, redact_obj

__all__ = ["WebhookSender", "webhook_payload"]

log = logging.getLogger("glm3.ops.webhook")

USER_AGENT = "glm3-ops-webhook/1"
# A receiver asking for a longer pause (Retry-After) is waited for this long at most, so one receiver
# cannot park the queue for an hour.
MAX_RETRY_AFTER_S = 60.0
# What `close` waits for the queue to drain when no bound is given.
DEFAULT_CLOSE_S = 5.0


def webhook_payload(event: AlertEvent) -> dict[str, Any]:
    """The JSON body for an alert change: {"event": "opened", "alert": {...}}, secrets redacted."""
    return {"event": event.type.value, "alert": redact_obj(alert_json(event.alert))}


@dataclass(frozen=True, slots=True)
class _Attempt:
    ok: bool
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header in its delta-seconds form; dates and junk are ignored."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class WebhookSender:
    """POSTs alert changes as JSON to one URL, in order, from its own task.

    - `notify(event)` / `send(payload)` enqueue and return at once; they never raise. When the queue is
      full the payload is dropped and counted as a failure.
    - Connection errors, timeouts, 408, 429 and 5xx are retried up to `max_attempts` POSTs in all, waiting
      `backoff_s`, doubled each retry, times a jitter in [0.5, 1) (and at least a 429/503's Retry-After,
      capped at one minute). Other statuses (4xx, redirects) fail at once: retrying cannot fix them.
    - Counters: `delivered`, `failures` (payloads given up on), `attempts` (POSTs sent), `last_error`.
    - `close(timeout_s)` waits at most that long for the queue to drain, then stops; what is left counts as
      failed.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 5.0,
        max_attempts: int = 5,
        backoff_s: float = 1.0,
        queue_size: int = 1000,
        rng: random.Random | None = None,
    ) -> None:
        parsed = urlparse(http_url(url, "webhook URL must be an http:// or https:// URL"))
        if timeout_s <= 0 or max_attempts < 1 or backoff_s < 0 or queue_size < 1:
            raise ValueError("webhook timeout, attempts and queue size must be positive, backoff not negative")
        self._url = url
        self.host = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_size)
        self._task: asyncio.Task[None] | None = None
        self._in_flight = False
        self._closed = False
        self.delivered = 0
        self.failures = 0
        self.attempts = 0
        self.last_error = ""

    @classmethod
    def from_settings(cls, settings: AlertsSection) -> WebhookSender | None:
        """The sender the `alerts` section asks for, or None when no webhook URL is set."""
        if settings.webhook_url is None:
            return None
        return cls(
            settings.webhook_url.get_secret_value(),
            timeout_s=settings.webhook_timeout_s,
            max_attempts=settings.webhook_max_attempts,
            backoff_s=settings.webhook_backoff_s,
            queue_size=settings.webhook_queue,
        )

    @property
    def pending(self) -> int:
        """Payloads not yet delivered or given up on (queued and in flight)."""
        return self._queue.qsize() + (1 if self._in_flight else 0)

    # enqueueing ------------------------------------------------------------------------------------------

    def notify(self, event: AlertEvent) -> None:
        """Enqueues an alert change (the `AlertNotifier` protocol)."""
        try:
            payload = webhook_payload(event)
        except Exception as exc:  # noqa: BLE001 - never raise into alerting
            self._give_up(f"cannot build webhook payload: {type(exc).__name__}", 0)
            return
        self.send(payload)

    def send(self, payload: Mapping[str, Any]) -> bool:
        """Enqueues a JSON payload; False (and a failure counted) when it cannot be queued."""
        try:
            body = json.dumps(payload, default=str, ensure_ascii=False).encode()
            if self._closed:
                raise _Refused("webhook sender is closed")
            self._start()
            self._queue.put_nowait(body)
            return True
        except asyncio.QueueFull:
            self._give_up(f"webhook queue full ({self._queue.maxsize} waiting), alert change dropped", 0)
        except _Refused as exc:
            self._give_up(str(exc), 0)
        except Exception as exc:  # noqa: BLE001 - never raise into alerting
            self._give_up(f"cannot queue webhook payload: {type(exc).__name__}", 0)
        return False

    async def start(self) -> None:
        """Starts the sending task now (it also starts on the first payload)."""
        self._start()

    def _start(self) -> None:
        if self._task is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                raise _Refused("no running event loop to send the webhook from") from None
            self._task = asyncio.create_task(self._run(), name="glm3-ops-webhook")

    # sending ---------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            while True:
                body = await self._queue.get()
                self._in_flight = True
                try:
                    await self._deliver(session, body)
                except Exception as exc:  # noqa: BLE001 - the sender must outlive a bad payload
                    log.exception("webhook delivery failed unexpectedly", extra={"webhook_host": self.host})
                    self._give_up(f"internal error: {type(exc).__name__}", 1)
                # Not in a `finally`: when `close` cancels a delivery, it counts the payload in flight as lost.
                self._in_flight = False
                self._queue.task_done()

    async def _deliver(self, session: aiohttp.ClientSession, body: bytes) -> None:
        for attempt in range(1, self.max_attempts + 1):
            result = await self._post(session, body)
            if result.ok:
                self.delivered += 1
                if attempt > 1:
                    log.info(
                        "webhook delivered after %d attempts",
                        attempt,
                        extra={"webhook_host": self.host, "attempts": attempt},
                    )
                return
            if not result.retryable or attempt == self.max_attempts:
                self._give_up(result.error, attempt)
                return
            delay = self.backoff_s * 2 ** (attempt - 1) * (0.5 + 0.5 * self._rng.random())
            if result.retry_after is not None:
                delay = max(delay, min(result.retry_after, MAX_RETRY_AFTER_S))
            log.info(
                "webhook POST failed (%s), retrying in %.2fs",
                result.error,
                delay,
                extra={"webhook_host": self.host, "attempt": attempt},
            )
            await asyncio.sleep(delay)

    async def _post(self, session: aiohttp.ClientSession, body: bytes) -> _Attempt:
        self.attempts += 1
        try:
            async with session.post(self._url, data=body, allow_redirects=False) as response:
                await response.read()
                status = response.status
                reason = response.reason or ""
                retry_after = _retry_after(response.headers.get("Retry-After"))
        except TimeoutError:
            return _Attempt(False, f"no answer from {self.host} within {self.timeout_s:g}s", retryable=True)
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error.strerror or type(exc.os_error).__name__
            return _Attempt(False, f"cannot connect to {self.host}: {cause}", retryable=True)
        except aiohttp.ClientConnectionError as exc:
            return _Attempt(False, f"connection to {self.host} failed: {type(exc).__name__}", retryable=True)
        except aiohttp.ClientError as exc:
            return _Attempt(False, f"webhook request failed: {type(exc).__name__}")
        if 200 <= status < 300:
            return _Attempt(True)
        error = f"{self.host} answered HTTP {status} {redact(reason)}".rstrip()
        retryable = status in (408, 429) or status >= 500
        return _Attempt(False, error, retryable=retryable, retry_after=retry_after)

    def _give_up(self, error: str, attempts: int) -> None:
        self.failures += 1
        self.last_error = error if attempts <= 1 else f"{error} (after {attempts} attempts)"
        log.warning(
            "webhook delivery failed: %s",
            self.last_error,
            extra={"webhook_host": self.host, "attempts": attempts, "webhook_failures": self.failures},
        )

    # shutdown --------------------------------------------------------------------------------------------

    async def close(self, timeout_s: float | None = DEFAULT_CLOSE_S) -> None:
        """Stops taking payloads, waits at most `timeout_s` (None: no bound) for the queue, then stops."""
        self._closed = True
        task, self._task = self._task, None
        if task is None:
            self._drop_left("webhook sender closed before it started")
            return
        if not task.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await self._queue.join()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._drop_left("webhook sender closed before delivering every alert change")

    def _drop_left(self, error: str) -> None:
        left = self._queue.qsize() + (1 if self._in_flight else 0)
        self._in_flight = False
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()
        if left:
            self.failures += left - 1
            self._give_up(f"{error}: {left} dropped", 0)


class _Refused(Exception):
    """A payload the sender cannot take (closed, or no event loop)."""

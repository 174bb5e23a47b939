"""One JSON-replying chat-completions call to an OpenAI-compatible endpoint, with the retries a server needs.

`JsonChat.ask` sends a conversation and validates the reply with a caller's parser. It asks for structured
output (a strict `json_schema` response_format) and steps down to `json_object` and then to a plain prompt
when the server refuses the format, remembering the step; retries 429, 5xx and connection errors with
jittered exponential backoff (honouring Retry-After); asks once more, saying what was wrong, after an
unusable reply; bounds every call by the caller's deadline; and limits the calls in flight. It never raises
for an LLM problem: a `ChatResult` without a value says why in a few words that are safe to log (no server
message text, which may echo the prompt or the key). Every request is recorded in `LlmRequestMetrics`.

Importing this module imports openai (about 0.6 s): only a server with an LLM configured does. What needs
no SDK (`BadReply`, `ChatResult`, `cap`, `untrusted_json`, `load_json_object`...) lives in
servers/common/llm_json.py; import it from there.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import aiohttp
import httpx2
import openai
import orjson

from glm3.servers.common.llm_json import MIN_CALL_S, BadReply, ChatResult, Usage
from glm3.servers.common.metrics import LlmRequestMetrics
from glm3.servers.common.settings import LlmSection

__all__ = ["JsonChat", "ResponseFormat"]

log = logging.getLogger("glm3.llm")

T = TypeVar("T")

# A reply that fails validation is asked for once more; a second bad reply ends the call.
MAX_BAD_REPLIES = 2
# Retry-After beyond this is not honoured: the fallback answers sooner.
MAX_RETRY_AFTER_S = 30.0

_RESPONSE_FORMAT_ERROR = re.compile(
    r"response[_ ]?format|json[_ ]?schema|json[_ ]?object|structured[_ ]output|guided", re.IGNORECASE
)
_SHORT_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class ResponseFormat(enum.Enum):
    """How the JSON reply is requested; a server without structured outputs is stepped down, and remembered."""

    SCHEMA = "json_schema"
    JSON = "json_object"
    PLAIN = "none"

    def request_value(self, name: str, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The `response_format` request field, or None to send none."""
        if self is ResponseFormat.SCHEMA:
            return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
        if self is ResponseFormat.JSON:
            return {"type": "json_object"}
        return None

    def weaker(self) -> ResponseFormat | None:
        return {ResponseFormat.SCHEMA: ResponseFormat.JSON, ResponseFormat.JSON: ResponseFormat.PLAIN}.get(self)


@dataclass(slots=True)
class _Backoff:
    """A transient failure: try again after a pause, if attempts and time allow."""

    reason: str
    retry_after: float | None = None


class _Again:
    """Repeat the request at once (a weaker response_format, a corrected prompt)."""


_AGAIN = _Again()


@dataclass(slots=True)
class _Call(Generic[T]):
    """State of one `ask` across its requests."""

    messages: list[dict[str, str]]
    parse: Callable[[str | None], T]
    deadline: float | None
    schema: tuple[str, dict[str, Any]]
    requests: int = 0
    transient_failures: int = 0
    bad_replies: int = 0
    usage: Usage = field(default_factory=Usage)

    def result(self, value: T | None, reason: str = "") -> ChatResult[T]:
        return ChatResult(value, reason, self.requests, self.usage)


def _connect_failed(exc: BaseException) -> bool:
    """Whether an error was a refused, unreachable or dropped connection rather than a timeout. The aiohttp
    transport reports every aiohttp connection error as a connect timeout (APITimeoutError), which would end
    the call instead of retrying it as the httpx transport's connection errors are."""
    cause: BaseException | None = exc
    for _ in range(8):
        if cause is None:
            return False
        if isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _json_body(content: bytes) -> dict[str, Any] | None:
    """A response body as a JSON object, or None when it is not one."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def _status_label(exc: openai.APIStatusError) -> str:
    # Only a short machine code from the body: server messages may echo parts of the key or the prompt.
    code = exc.code or exc.type
    suffix = f" ({code})" if isinstance(code, str) and _SHORT_CODE.match(code) else ""
    return f"HTTP {exc.status_code}{suffix}"


def _about_response_format(exc: openai.APIStatusError) -> bool:
    if exc.param == "response_format":
        return True
    text = f"{exc.message} {exc.body if isinstance(exc.body, str | dict) else ''}"
    return bool(_RESPONSE_FORMAT_ERROR.search(text))


# The SDK's telemetry headers (X-Stainless-*: its version, the OS, the Python runtime) are for OpenAI's
# statistics; an endpoint needs none of them, and every header costs CPU per request in the SDK and httpx.
_NO_TELEMETRY_HEADERS: dict[str, Any] = dict.fromkeys(
    (
        "X-Stainless-Lang",
        "X-Stainless-Package-Version",
        "X-Stainless-OS",
        "X-Stainless-Arch",
        "X-Stainless-Runtime",
        "X-Stainless-Runtime-Version",
        "X-Stainless-Async",
    ),
    openai.omit,  # the SDK's marker for "do not send this header"
)


def _completions_url(client: openai.AsyncOpenAI) -> str:
    """The chat completions URL under the client's base URL, as the SDK joins it. Given whole, it spares the
    SDK joining and parsing it again on every request; a base URL with a query is left to the SDK."""
    base = client.base_url
    if base.query:
        return "/chat/completions"
    return str(base.copy_with(raw_path=base.raw_path + b"chat/completions"))


class ReplyTooLarge(httpx2.HTTPError):
    """A reply larger than llm.max_reply_bytes: refused unread, and not asked again."""


def http_client(settings: LlmSection) -> httpx2.AsyncClient:
    """The openai client's HTTP client: the transport chosen by `http_transport`, with a connection pool
    as large as the calls allowed in flight (the SDK keeps only 20 to 100 idle connections, so a higher
    concurrency would open a new connection for many calls)."""
    limits = httpx2.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
    cap = settings.max_reply_bytes

    async def refuse_oversized(response: httpx2.Response) -> None:
        # Before the body is read: a reply announced larger than the cap is never read into memory.
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > cap:
            await response.aclose()
            raise ReplyTooLarge(f"LLM reply of {int(length):,} bytes is over llm.max_reply_bytes ({cap:,})")

    hooks = {"response": [refuse_oversized]}
    if settings.http_transport == "aiohttp":
        return openai.DefaultAioHttpClient(timeout=settings.timeout_s, limits=limits, event_hooks=hooks)
    return openai.DefaultAsyncHttpxClient(timeout=settings.timeout_s, limits=limits, event_hooks=hooks)


class CircuitBreaker:
    """Stops calling an endpoint that keeps failing: after `failures` failed asks in a row it is open for
    `cooldown_s` (every ask is skipped at once, so a hanging endpoint costs nothing per signal), then lets
    one probe through (half open): its success closes the breaker, its failure opens it again."""

    def __init__(self, failures: int, cooldown_s: float) -> None:
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.consecutive = 0
        self.opened_at: float | None = None
        self.probing = False
        self.skipped = 0
        self.opened = 0

    def allow(self, now: float) -> bool:
        """Whether an ask may go to the endpoint now (counts a skip when not)."""
        if self.opened_at is None:
            return True
        if not self.probing and now - self.opened_at >= self.cooldown_s:
            self.probing = True  # the one probe of the half-open state
            return True
        self.skipped += 1
        return False

    def record(self, ok: bool, now: float) -> bool:
        """Notes how an ask ended; returns True when this opened the breaker."""
        was_probe, self.probing = self.probing, False
        if ok:
            self.consecutive, self.opened_at = 0, None
            return False
        self.consecutive += 1
        if was_probe or (self.opened_at is None and self.consecutive >= self.threshold):
            self.opened_at = now
            self.opened += 1
            return True
        return False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


class JsonChat:
    """Asks an OpenAI-compatible chat endpoint for JSON replies of one shape (see the module docstring).

    `schema_name`/`schema` describe the reply for structured outputs; `correction` is the instruction sent
    after an unusable reply (the problem is put in front of it). `requests` counts HTTP requests sent.
    `metrics` records them (given none, into a registry nobody exposes); `logger` gets the retry lines.
    """

    def __init__(
        self,
        settings: LlmSection,
        *,
        schema_name: str,
        schema: dict[str, Any],
        correction: str,
        client: openai.AsyncOpenAI | None = None,
        rng: random.Random | None = None,
        metrics: LlmRequestMetrics | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics if metrics is not None else LlmRequestMetrics()
        self._log = logger if logger is not None else log
        self.model = settings.model
        self.schema_name = schema_name
        self.schema = schema
        self.correction = correction
        if client is None:
            key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
            # The SDK refuses an empty key; keyless local servers (vLLM, Ollama) accept any, "EMPTY" is vLLM's.
            self._client = openai.AsyncOpenAI(
                api_key=key or "EMPTY",
                base_url=settings.base_url,
                timeout=settings.timeout_s,
                max_retries=0,
                http_client=http_client(settings),
                default_headers=_NO_TELEMETRY_HEADERS,
            )
            self._owns_client = True
        else:
            # Retries are ours (bounded by the caller's deadline), so the SDK's own are turned off.
            self._client = client.with_options(max_retries=0)
            self._owns_client = False
        self._url = _completions_url(self._client) if self._owns_client else "/chat/completions"
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self._format = ResponseFormat.SCHEMA
        self._rng = rng or random.Random()
        self.requests = 0
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s)

    @property
    def response_format(self) -> str:
        """The response_format type in use (json_schema, json_object, or none once the server refused both)."""
        return self._format.value

    async def close(self) -> None:
        """Closes the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.close()

    async def ask(
        self,
        messages: list[dict[str, str]],
        parse: Callable[[str | None], T],
        *,
        deadline: float | None = None,
        schema: tuple[str, dict[str, Any]] | None = None,
    ) -> ChatResult[T]:
        """Sends `messages` until `parse` accepts a reply or attempts, bad replies or time run out.

        `parse` raises BadReply for an unusable reply. `deadline` is on the event loop's clock. `schema`
        (name, JSON schema) replaces the reply shape given at construction for this call.
        """
        loop = asyncio.get_running_loop()
        breaker = self.breaker
        if not breaker.allow(loop.time()):
            return ChatResult(
                None,
                f"LLM skipped: {breaker.consecutive} calls in a row failed, next try within {breaker.cooldown_s:g} s "
                "(circuit breaker open)",
            )
        try:
            result = await self._ask(messages, parse, deadline, schema)
        except BaseException:
            breaker.probing = False  # a cancelled probe proves nothing: the next ask probes again
            raise
        if not result.ok and result.requests == 0:
            breaker.probing = False  # ran out of time or slots before asking: says nothing of the endpoint
            return result
        if breaker.record(result.ok, loop.time()):
            self._log.warning(
                "LLM circuit breaker open: %d calls in a row failed; calls skipped for %g s (last: %s)",
                breaker.consecutive, breaker.cooldown_s, result.reason,
            )
        return result

    async def _ask(
        self,
        messages: list[dict[str, str]],
        parse: Callable[[str | None], T],
        deadline: float | None,
        schema: tuple[str, dict[str, Any]] | None,
    ) -> ChatResult[T]:
        call: _Call[T] = _Call(list(messages), parse, deadline, schema or (self.schema_name, self.schema))
        while True:
            remaining = self._remaining(deadline)
            if remaining is not None and remaining < MIN_CALL_S:
                return call.result(None, "no time left for the LLM before the deadline")
            if self._semaphore.locked():
                try:
                    async with asyncio.timeout(remaining):
                        await self._semaphore.acquire()
                except TimeoutError:
                    return call.result(None, "no free LLM slot before the deadline")
            else:
                await self._semaphore.acquire()  # free: returns at once, no deadline timer needed
            try:
                step = await self._request(call, self._format)
            finally:
                self._semaphore.release()
            if isinstance(step, ChatResult):
                return step
            if isinstance(step, _Again):
                continue
            waited = await self._back_off(call, step)
            if waited is not None:
                return waited

    # internals

    def _remaining(self, deadline: float | None) -> float | None:
        return None if deadline is None else deadline - asyncio.get_running_loop().time()

    async def _back_off(self, call: _Call[T], failure: _Backoff) -> ChatResult[T] | None:
        """Sleeps before the next attempt; a result instead when no attempt or time is left."""
        if call.transient_failures >= self.settings.max_attempts:
            return call.result(None, f"{failure.reason} ({call.transient_failures} attempts)")
        delay = self.settings.retry_backoff_s * 2 ** (call.transient_failures - 1)
        delay *= 0.5 + 0.5 * self._rng.random()
        if failure.retry_after is not None:
            if failure.retry_after > MAX_RETRY_AFTER_S:
                return call.result(None, f"{failure.reason}; server asked to wait {failure.retry_after:g}s")
            delay = max(delay, failure.retry_after)
        remaining = self._remaining(call.deadline)
        if remaining is not None and delay + MIN_CALL_S > remaining:
            return call.result(None, f"{failure.reason}; no time left to retry")
        self._log.info("LLM request failed (%s), retrying in %.2fs", failure.reason, delay)
        await asyncio.sleep(delay)
        return None

    async def _request(self, call: _Call[T], fmt: ResponseFormat) -> ChatResult[T] | _Backoff | _Again:
        """One HTTP request: a final result, a transient failure to back off from, or _AGAIN."""
        remaining = self._remaining(call.deadline)
        call_timeout = self.settings.timeout_s if remaining is None else min(self.settings.timeout_s, remaining)
        if call_timeout < MIN_CALL_S:
            return call.result(None, "no time left for the LLM before the deadline")
        body: dict[str, Any] = {"model": self.model, "messages": call.messages, "temperature": 0}
        response_format = fmt.request_value(*call.schema)
        if response_format is not None:
            body["response_format"] = response_format
        call.requests += 1
        self.requests += 1
        self.metrics.requests.inc()
        started = time.perf_counter()
        try:
            # The SDK's timeout bounds each network step; this one bounds the whole request.
            async with asyncio.timeout(call_timeout):
                response = await self._post(body, call_timeout)
        except ReplyTooLarge as exc:
            self.metrics.errors.labels("too_large").inc()
            return call.result(None, str(exc))
        except (TimeoutError, openai.APIConnectionError) as exc:
            if isinstance(exc.__cause__, ReplyTooLarge):  # as some SDK versions wrap a transport's errors
                self.metrics.errors.labels("too_large").inc()
                return call.result(None, str(exc.__cause__))
            if isinstance(exc, TimeoutError) or (
                isinstance(exc, openai.APITimeoutError) and not _connect_failed(exc)
            ):
                self.metrics.errors.labels("timeout").inc()
                return call.result(None, f"LLM call timed out after {call_timeout:.2f}s")
            self.metrics.errors.labels("connection").inc()
            call.transient_failures += 1
            return _Backoff("cannot reach the LLM endpoint")
        except openai.APIStatusError as exc:
            return self._status_error(call, fmt, exc)
        except openai.OpenAIError as exc:
            self.metrics.errors.labels("client_error").inc()
            return call.result(None, f"LLM client error: {type(exc).__name__}")
        finally:
            self.metrics.duration.observe(time.perf_counter() - started)

        if len(response.content) > self.settings.max_reply_bytes:  # sent without a Content-Length
            self.metrics.errors.labels("too_large").inc()
            return call.result(None, f"LLM reply of {len(response.content):,} bytes is over llm.max_reply_bytes")
        completion = _json_body(response.content)
        if completion is None:
            return self._bad_reply(call, None, "reply does not look like a chat completion")
        call.usage.add(completion.get("usage"))
        content: str | None = None
        try:
            choices = completion.get("choices")
            if not choices or not isinstance(choices, list):
                raise BadReply("reply has no choices")
            choice = choices[0] if isinstance(choices[0], dict) else {}
            message = choice.get("message")
            if not isinstance(message, dict):
                message = {}
            if message.get("refusal"):
                raise BadReply("model refused")
            text = message.get("content")
            content = text if isinstance(text, str) else None
            if choice.get("finish_reason") == "length":
                raise BadReply("reply cut off at the token limit")
            value = call.parse(content)
        except BadReply as exc:
            return self._bad_reply(call, content, str(exc))
        return call.result(value)

    async def _post(self, body: dict[str, Any], timeout: float) -> httpx2.Response:
        """POSTs a chat completion request through the SDK and returns the HTTP response (the SDK raises its
        errors for failed requests and error statuses, as `chat.completions.create` would).

        The way is chosen for CPU, which every request spends on the event loop (bench/bench_llm.py answers
        in bursts of a stream window): `post` is what `create` ends in, less its walk of the parameters'
        type hints; `cast_to=httpx2.Response` skips building pydantic models of the whole completion (the
        few fields used are read from the JSON by `_request`). For a client of our own, the body is given
        as JSON bytes (orjson) and the URL whole, sparing the SDK's encoder and its URL joining; an injected
        client (perhaps a subclass that rewrites requests, like Azure's) gets the plain body and path.
        Per request with an in-memory transport (callgrind): about 3.0M instructions parsing into models with
        the SDK's defaults, 1.5M this way.
        """
        if self._owns_client:
            return await self._client.post(
                self._url, content=orjson.dumps(body), cast_to=httpx2.Response, options={"timeout": timeout}
            )
        return await self._client.post(self._url, body=body, cast_to=httpx2.Response, options={"timeout": timeout})

    def _status_error(
        self, call: _Call[T], fmt: ResponseFormat, exc: openai.APIStatusError
    ) -> ChatResult[T] | _Backoff | _Again:
        status = exc.status_code
        self.metrics.errors.labels(f"http_{status}").inc()
        if status in (408, 409, 429) or status >= 500:
            call.transient_failures += 1
            return _Backoff(f"LLM endpoint answered {_status_label(exc)}", _retry_after(exc))
        if status in (400, 422) and _about_response_format(exc):
            weaker = fmt.weaker()
            if weaker is not None:
                if self._format is fmt:
                    self._format = weaker
                    self._log.warning(
                        "LLM endpoint rejected response_format %s (%s); using %s from now on",
                        fmt.value,
                        _status_label(exc),
                        weaker.value,
                    )
                return _AGAIN
        return call.result(None, f"LLM endpoint rejected the request: {_status_label(exc)}")

    def _bad_reply(self, call: _Call[T], content: str | None, problem: str) -> ChatResult[T] | _Again:
        call.bad_replies += 1
        self.metrics.errors.labels("invalid_reply").inc()
        if call.bad_replies >= MAX_BAD_REPLIES:
            return call.result(None, f"LLM reply invalid {call.bad_replies} times: {problem}")
        self._log.info("LLM reply invalid (%s), asking again", problem)
        # Say what was wrong: at temperature 0 the same request would likely get the same reply.
        if content:
            call.messages.append({"role": "assistant", "content": content[:4_000]})
        call.messages.append({"role": "user", "content": f"That reply was unusable ({problem}). {self.correction}"})
        return _AGAIN

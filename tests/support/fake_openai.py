"""A small scriptable OpenAI-compatible HTTP server (chat completions, embeddings) on 127.0.0.1 for tests.

Usage:

    async with FakeOpenAI() as server:            # or: base_url = await server.start(); ...; await server.stop()
        server.script(Reply("hello"), Reply.error(429), Reply("late", delay=2.0))
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test")
        ...
        server.requests[0].body["messages"]        # what the client sent (JSON body and headers)

Replies come from the scripted queue first (first in, first out), then from `default_reply`, a function of
the request's JSON body returning a `Reply` or a content string. Nothing in here knows about scoring.

`POST /v1/embeddings` answers with `embed(text)` for each input (default `hashed_embedding`: words hashed
into 32 dimensions, so texts sharing words are near), as floats or base64 as the client asks; set
`embeddings_status` to an HTTP error code to make it fail.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import math
import re
import struct
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_MODEL = "fake-model"


@dataclass(slots=True)
class Reply:
    """One scripted reply: a completion whose message content is `content`, or an HTTP error.

    `delay` seconds pass before anything is sent (a client timeout or cancellation lands in that window).
    For errors, `status` >= 400 and `error` is the OpenAI-shaped error object ({"message", "type", ...}).
    `body` replaces the whole response body (a dict is sent as JSON, a str as is), to emulate broken servers.
    `drop` closes the connection without any response.
    """

    content: str | None = ""
    status: int = 200
    error: dict[str, Any] | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    usage: dict[str, int] | None = None
    body: dict[str, Any] | str | None = None
    drop: bool = False

    @classmethod
    def failure(
        cls,
        status: int,
        message: str = "",
        *,
        type: str | None = None,  # noqa: A002 - OpenAI's field name
        param: str | None = None,
        code: str | None = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """An HTTP error reply with OpenAI's error body shape."""
        default_type = {
            400: "invalid_request_error",
            401: "authentication_error",
            404: "not_found_error",
            429: "rate_limit_exceeded",
        }.get(status, "server_error")
        return cls(
            content=None,
            status=status,
            error={
                "message": message or f"fake error {status}",
                "type": type or default_type,
                "param": param,
                "code": code,
            },
            delay=delay,
            headers=dict(headers or {}),
        )


@dataclass(slots=True)
class RecordedRequest:
    """A request the server received, and what became of it."""

    method: str
    path: str
    headers: dict[str, str]  # header names lower-cased
    body: Any  # the decoded JSON body (None if it was not JSON)
    received_at: float
    status: int | None = None  # the status sent; None while running or if the client went away
    cancelled: bool = False  # the client closed the connection before the reply was sent
    dropped: bool = False  # the server hung up on purpose (a `Reply(drop=True)`)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def json(self) -> Any:
        return self.body


DefaultReply = Callable[[Any], "Reply | str | Awaitable[Reply | str]"]


class FakeOpenAI:
    """An OpenAI-compatible server: `POST /v1/chat/completions` and `GET /v1/models`."""

    def __init__(
        self,
        default_reply: DefaultReply | None = None,
        *,
        reject_json_schema: bool = False,
        model: str = DEFAULT_MODEL,
        embed: Callable[[str], list[float]] | None = None,
    ) -> None:
        self.embed = embed or hashed_embedding
        self.embeddings_status = 200
        self.default_reply: DefaultReply = default_reply or (lambda _body: Reply("ok"))
        # Emulates servers without structured outputs: a json_schema response_format gets a 400.
        self.reject_json_schema = reject_json_schema
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_concurrent = 0
        self._queue: deque[Reply] = deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self.base_url = ""
        self.port = 0

    # lifecycle

    async def start(self) -> str:
        """Starts listening on 127.0.0.1 with a free port; returns the base URL (`http://127.0.0.1:PORT/v1`)."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/embeddings", self._embeddings)
        # handler_cancellation: a client that hangs up cancels the handler, so tests can observe it.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        return self.base_url

    async def stop(self) -> None:
        """Stops listening and drops open connections; later connections are refused."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # scripting

    def script(self, *replies: Reply | str) -> None:
        """Queues replies (a str is a successful completion with that content), used before `default_reply`."""
        self._queue.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        return len(self._queue)

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Waits until at least `count` requests have arrived; returns them all."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.requests) >= count)
        return list(self.requests)

    # handlers

    async def _record(self, request: web.Request) -> RecordedRequest:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        self.requests.append(recorded)
        async with self._changed:
            self._changed.notify_all()
        return recorded

    async def _models(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        recorded.status = 200
        recorded.done.set()
        return web.json_response(
            {"object": "list", "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}]}
        )

    def embedding_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/embeddings")]

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        try:
            body = recorded.body
            if self.embeddings_status >= 400:
                return web.json_response(
                    {"error": {"message": "embeddings are down", "type": "server_error"}},
                    status=self.embeddings_status,
                )
            if not isinstance(body, dict) or "input" not in body:
                return _error_response(400, "request body must be a JSON object with input", "input")
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = []
            for index, text in enumerate(inputs):
                vector = self.embed(str(text))
                if body.get("encoding_format") == "base64":
                    encoded: Any = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                else:
                    encoded = vector
                data.append({"object": "embedding", "index": index, "embedding": encoded})
            tokens = sum(len(str(t)) // 4 + 1 for t in inputs)
            return web.json_response(
                {
                    "object": "list",
                    "data": data,
                    "model": str(body.get("model") or self.model),
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                }
            )
        finally:
            recorded.done.set()

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        self.in_flight += 1
        self.max_concurrent = max(self.max_concurrent, self.in_flight)
        try:
            response = await self._respond(recorded)
            if response is None:
                # Hang up without answering; closing the transport cancels this handler.
                recorded.dropped = True
                if request.transport is not None:
                    request.transport.close()
                await asyncio.sleep(3600)
                raise AssertionError("unreachable")
            recorded.status = response.status
            return response
        except asyncio.CancelledError:
            recorded.cancelled = not recorded.dropped
            raise
        finally:
            self.in_flight -= 1
            recorded.done.set()

    async def _respond(self, recorded: RecordedRequest) -> web.StreamResponse | None:
        body = recorded.body
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error_response(400, "request body must be a JSON object with messages", "messages")
        if body.get("stream"):
            return _error_response(400, "streaming is not supported by the fake server", "stream")
        response_format = body.get("response_format")
        if (
            self.reject_json_schema
            and isinstance(response_format, dict)
            and response_format.get("type") == "json_schema"
        ):
            return _error_response(
                400, "response_format type 'json_schema' is not supported by this server", "response_format"
            )

        if self._queue:
            reply = self._queue.popleft()
        else:
            produced = self.default_reply(body)
            if inspect.isawaitable(produced):
                produced = await produced
            reply = Reply(produced) if isinstance(produced, str) else produced

        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            return None
        if reply.body is not None:
            if isinstance(reply.body, str):
                return web.Response(status=reply.status, text=reply.body, headers=reply.headers)
            return web.json_response(reply.body, status=reply.status, headers=reply.headers)
        if reply.status >= 400:
            error = reply.error or {"message": f"fake error {reply.status}", "type": "server_error"}
            return web.json_response({"error": error}, status=reply.status, headers=reply.headers)

        content = reply.content
        usage = reply.usage or _usage(body, content or "")
        return web.json_response(
            {
                "id": f"chatcmpl-fake{next(self._ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": str(body.get("model") or self.model),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": reply.finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": usage,
                "system_fingerprint": "fake",
            },
            status=reply.status,
            headers=reply.headers,
        )


def _error_response(status: int, message: str, param: str | None = None) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}},
        status=status,
    )


def _usage(body: dict[str, Any], content: str) -> dict[str, int]:
    # A rough token count (4 characters a token) so usage numbers move with the size of what was sent.
    prompt = sum(len(str(m.get("content", ""))) for m in _messages(body["messages"])) // 4 + 1
    completion = len(content) // 4 + 1
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _messages(messages: Iterable[Any]) -> Iterable[dict[str, Any]]:
    return (m for m in messages if isinstance(m, dict))


def message_text(body: Any, role: str | None = None) -> str:
    """All message contents of a recorded chat request (of one role if given), joined by newlines."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    for m in _messages(body.get("messages") or []):
        if role is not None and m.get("role") != role:
            continue
        content = m.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n".join(parts)


def hashed_embedding(text: str, dimensions: int = 32, synonyms: dict[str, str] | None = None) -> list[float]:
    """A deterministic unit vector: each lower-cased word (mapped through `synonyms`) adds 1 to a hashed slot."""
    vector = [0.0] * dimensions
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        word = (synonyms or {}).get(word, word)
        slot = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % dimensions
        vector[slot] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]

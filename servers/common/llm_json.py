"""The half of talking to an LLM that needs no SDK: JSON into prompts, JSON out of replies, a call's result.

`JsonChat` (servers/common/llm_client.py) sends the requests; callers import these names from here. The ops
server's rule diagnoser and reply parsing use them without importing openai, which only a server with an LLM
configured pays for (about 0.6 s of start-up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson

__all__ = [
    "MIN_CALL_S",
    "BadReply",
    "ChatResult",
    "Usage",
    "cap",
    "deadline_margin",
    "escaped_json",
    "load_json_object",
    "untrusted_json",
]

T = TypeVar("T")

# Below this many seconds left, an LLM request is not worth starting.
MIN_CALL_S = 0.05


class BadReply(Exception):
    """The model's reply cannot be used; the message says why in a few words."""


@dataclass(slots=True)
class Usage:
    """Tokens reported by the server over all requests of one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reported: bool = False

    def add(self, usage: Any) -> None:
        """Adds a reply's `usage` (the JSON object, or an object with the same attributes)."""
        if usage is None:
            return
        if isinstance(usage, dict):
            prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        else:
            prompt, completion = getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)
        if isinstance(prompt, int) and isinstance(completion, int):
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.reported = True


@dataclass(slots=True)
class ChatResult(Generic[T]):
    """The parsed reply (`value`), or None and `reason`; `requests` counts the HTTP requests sent."""

    value: T | None
    reason: str = ""
    requests: int = 0
    usage: Usage = field(default_factory=Usage)

    @property
    def ok(self) -> bool:
        return self.value is not None


def cap(text: str, limit: int) -> str:
    """`text` stripped and cut to `limit` characters (an ellipsis marks the cut)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def deadline_margin(timeout: float) -> float:
    """Time kept back from a caller's timeout for the fallback and the reply."""
    return min(0.5, max(0.05, 0.1 * timeout))


def escaped_json(payload: Any) -> str:
    """`payload` as indented JSON with `<` and `>` escaped (valid JSON escapes), so it holds no markup tags."""
    body = json.dumps(payload, ensure_ascii=False, indent=1, default=str)
    return body.replace("<", "\\u003c").replace(">", "\\u003e")


def untrusted_json(payload: Any, tag: str) -> str:
    """`payload` as JSON between `<tag>` and `</tag>`.

    No text in the data can close the tag and pose as instructions (see `escaped_json`); the JSON still
    decodes to the same values.
    """
    return f"<{tag}>\n{escaped_json(payload)}\n</{tag}>"


def _strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        if text.rstrip().endswith("```"):
            text = text.rstrip()[:-3]
    return text.strip()


def load_json_object(content: str | None) -> dict[str, Any]:
    """The JSON object in a reply (code fences allowed); raises BadReply when there is none.

    Strict JSON (orjson): NaN, Infinity, numbers beyond a double and unpaired surrogates are refused, which
    Python's own parser would let through."""
    if not content or not content.strip():
        raise BadReply("empty reply")
    try:
        data = orjson.loads(_strip_fences(content))
    except orjson.JSONDecodeError:
        raise BadReply("reply is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadReply("reply is not a JSON object")
    return data

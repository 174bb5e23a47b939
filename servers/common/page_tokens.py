"""Page tokens (AIP-158) that clients cannot forge: the listing's position, signed with HMAC-SHA256.

A token is opaque to clients; the server reads back what it wrote only when the signature holds, so a
crafted token (a NaN score, a SQL fragment, another listing's position) is refused as INVALID_ARGUMENT
before any of it is used. The key is `server.page_token_secret`, or random per process when it is empty
(tokens then last as long as the process: set the same secret on every replica behind one address).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from glm3.servers.common.errors import FieldViolation, InvalidArgument

_key = secrets.token_bytes(32)
_SIGNATURE = 16  # bytes of the HMAC kept: 128 bits


def set_secret(secret: str) -> None:
    """Sets the signing key (at start, from the settings); an empty secret keeps the random one."""
    global _key
    if secret:
        _key = hashlib.sha256(b"glm3 page tokens\0" + secret.encode("utf-8")).digest()


def invalid(description: str = "not a token of this listing (filters and order must not change)") -> InvalidArgument:
    return InvalidArgument("page_token is invalid", [FieldViolation("page_token", description)], reason="INVALID_PAGE_TOKEN")


def encode(value: Any) -> str:
    """A signed token carrying `value` (JSON-serialisable)."""
    payload = json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
    signature = hmac.new(_key, payload, hashlib.sha256).digest()[:_SIGNATURE]
    return base64.urlsafe_b64encode(signature + payload).decode().rstrip("=")


def decode(token: str) -> Any:
    """What `encode` was given; raises InvalidArgument for a token this server did not sign."""
    if len(token) > 4096:
        raise invalid("too long to be a page token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raise invalid() from None
    signature, payload = raw[:_SIGNATURE], raw[_SIGNATURE:]
    if not hmac.compare_digest(signature, hmac.new(_key, payload, hashlib.sha256).digest()[:_SIGNATURE]):
        raise invalid("not a token this server issued (or the server's page_token_secret changed)")
    try:
        return json.loads(payload, parse_constant=_no_constants)
    except ValueError:
        raise invalid() from None


def _no_constants(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: never written by encode

"""Secret redaction: keeps passwords, keys and tokens out of LLM prompts, logs and stored incidents.

What the ops service sees (check messages, error strings, symptoms typed by people, past resolutions) can
carry credentials: a connection string in an exception, an `Authorization` header in a logged request, a
key pasted into a symptom. Everything that leaves the process (the LLM endpoint, log handlers) goes through
`redact` / `redact_obj` first. Redaction errs on the side of hiding: a false positive costs a word in a
message, a false negative leaks a credential.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["REDACTED", "RedactingFilter", "is_secret_key", "redact", "redact_obj"]

REDACTED = "[REDACTED]"

# Words that make a key name secret when the name ends with them: `password`, `DB_PASSWORD`, `x-api-key`,
# `aws_secret_access_key`, `accessToken`. A name must end with the word, so `max_tokens`, `token_count`
# and `password_file` stay readable.
_SECRET_WORDS = (
    r"password|passwd|passphrase|secret|secret[_-]?key|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|token|credentials?|cookie|session[_-]?id|signature"
)
# In text, Authorization has its own pattern (it keeps the scheme); as a mapping key it is a secret too.
_SECRET_KEY_NAME = re.compile(rf"^[\w.\- ]*?(?:{_SECRET_WORDS}|authorization)$", re.IGNORECASE)

_Replacement = str | Callable[[re.Match[str]], str]


def _keep(*groups: str) -> Callable[[re.Match[str]], str]:
    """A replacement that keeps the named groups (which precede the secret) and redacts the rest of the match."""

    def replace(match: re.Match[str]) -> str:
        return "".join(match.group(g) or "" for g in groups) + REDACTED

    return replace


# Order matters: whole-block and structured forms first, so later, looser patterns do not split them.
_PATTERNS: list[tuple[re.Pattern[str], _Replacement]] = [
    # PEM private keys, whole block (or to the end of the text when the END line was cut off).
    (
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.DOTALL,
        ),
        REDACTED,
    ),
    # Credentials in URLs and connection strings: scheme://user:password@host keeps the user. The
    # password is greedy up to the last "@" before the path, so an unescaped "@" in it does not leak a tail.
    (
        re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@?#]*:)[^\s/?#]+@"),
        lambda m: f"{m.group('head')}{REDACTED}@",
    ),
    # Authorization headers (also Proxy-Authorization), as text, JSON or a Python dict repr: the scheme
    # stays, everything after it to the end of the value goes.
    (
        re.compile(
            r"(?P<head>\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?)"
            r"(?P<scheme>(?:bearer|basic|digest|token|negotiate|ntlm|apikey|aws4-hmac-sha256)[ \t]+)?"
            r"[^\s\"'][^\r\n\"']*",
            re.IGNORECASE,
        ),
        _keep("head", "scheme"),
    ),
    # Bearer tokens anywhere else. A token has a digit or a symbol, or is long: "Bearer token expired"
    # and "bearer authentication" are prose.
    (
        re.compile(
            r"(?P<head>\bbearer[ \t]+)(?:(?=[A-Za-z0-9\-._~+/]*[0-9\-._~+/])[A-Za-z0-9\-._~+/]{8,}=*"
            r"|[A-Za-z]{24,})",
            re.IGNORECASE,
        ),
        _keep("head"),
    ),
    # Slack incoming-webhook URLs: the path is the credential.
    (re.compile(r"(?P<head>hooks\.slack\.com/services/)[A-Za-z0-9/_\-]+"), _keep("head")),
    # JSON Web Tokens (header.payload.signature, all base64url, header and payload JSON objects).
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"), REDACTED),
    # OpenAI, Anthropic and similar `sk-...` keys; Stripe-style `sk_live_...`.
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{10,}"), REDACTED),
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"), REDACTED),
    # AWS access key ids.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b"), REDACTED),
    # This project's own bearer tokens (`glm3 token create`).
    (re.compile(r"\bglm3_[A-Za-z0-9_\-]{40,}"), REDACTED),
    # GitHub tokens (classic and fine-grained).
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"), REDACTED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), REDACTED),
    # Slack tokens.
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9\-]{10,}"), REDACTED),
    # Google API keys.
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), REDACTED),
    # key=value / key: value pairs whose key names a secret (`password=...`, `"api_key": "..."`,
    # `DB_PASSWORD=...`, `token: Bearer ...`), in env files, DSNs (`host=h password=p`), JSON and logs.
    # A quoted value is taken whole; an unquoted one up to a space or separator.
    (
        re.compile(
            rf"(?P<head>\b[\w.\-]*?(?:{_SECRET_WORDS})[\"']?[ \t]*(?:=>|[:=])[ \t]*)"
            r"(?:(?P<quote>[\"'])(?:\\.|(?!(?P=quote))[^\\\r\n])*(?P=quote)"
            r"|(?:(?:bearer|basic|token)[ \t]+)?(?:\[REDACTED\]|[^\s\"',;&}\]\)]+))",
            re.IGNORECASE,
        ),
        lambda m: (
            f"{m.group('head')}{m.group('quote')}{REDACTED}{m.group('quote')}"
            if m.group("quote") is not None
            else f"{m.group('head')}{REDACTED}"
        ),
    ),
]


# Every pattern above needs one of these strings (compared case-insensitively): text without any of them is
# returned as it is without running the patterns (14 regex passes: most of the cost of a log line, ~130 µs
# for an access-log line; bench/bench_metrics.py). Keep in step with _PATTERNS: tests/unit/test_ops_redact.py
# checks every pattern's examples, and that each pattern's literal is listed here.
_TRIGGERS = (
    "private key", "://", "authorization", "bearer", "hooks.slack.com", "eyj", "sk-", "_live_", "_test_",
    "akia", "asia", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
    "github_pat_", "xox", "aiza", "glm3_",
    # the key names of the key=value pattern (_SECRET_WORDS, every spelling)
    "password", "passwd", "passphrase", "secret", "api_key", "api-key", "apikey", "access_key", "access-key",
    "accesskey", "private_key", "private-key", "privatekey", "token", "credential", "cookie", "session_id",
    "session-id", "sessionid", "signature",
)
# Characters that IGNORECASE matches to an ASCII letter but str.lower() does not turn into it.
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


_TRIGGER_RE = re.compile("|".join(map(re.escape, _TRIGGERS)))


def _may_hold_secret(text: str) -> bool:
    folded = (text if text.isascii() else text.translate(_ASCII_FOLD)).lower()
    if len(folded) <= 256:  # one regex scan is faster on short text, substring tests on long text
        return _TRIGGER_RE.search(folded) is not None
    return any(trigger in folded for trigger in _TRIGGERS)


def redact(text: str) -> str:
    """`text` with every recognised secret replaced by `[REDACTED]`; ordinary text is left as it is."""
    if not text or not _may_hold_secret(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: object) -> bool:
    """Whether a mapping key names a secret (`password`, `db_password`, `apiKey`, `Authorization`...)."""
    return isinstance(key, str) and bool(_SECRET_KEY_NAME.match(key.strip()))


def redact_obj(obj: Any) -> Any:
    """A copy of `obj` (dicts, lists, tuples, strings, scalars) with secrets redacted.

    Strings go through `redact`; the value under a key that names a secret is replaced whole (whatever its
    type, unless it is None or empty: an absent secret tells nothing). Other values are returned as they are.
    """
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            new_key = redact(key) if isinstance(key, str) else key
            if is_secret_key(key) and value is not None and value != "":
                out[new_key] = REDACTED
            else:
                out[new_key] = redact_obj(value)
        return out
    if isinstance(obj, list):
        return [redact_obj(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(redact_obj(item) for item in obj)
    return obj


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from a record's message, arguments, extras and exception text.

    Install it on handlers (`handler.addFilter(RedactingFilter())`) so it sees records from every logger.
    The message is formatted here (`msg % args`) and the result redacted, because a secret can sit in any
    argument, whatever its type; `args` is then emptied. It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: A003 - logging's name
        self._redact_message(record)
        for key, value in list(vars(record).items()):
            if key in _RECORD_ATTRS or key.startswith("_"):
                continue
            if isinstance(value, str | Mapping | list | tuple):
                setattr(record, key, redact_obj(value))
        if record.exc_info and not record.exc_text:
            # Formatters that honour exc_text (logging.Formatter does) print this redacted copy.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

    @staticmethod
    def _redact_message(record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: redact the parts, let the handler report it
            record.msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
            if isinstance(record.args, tuple):
                record.args = tuple(redact_obj(a) for a in record.args)
            elif isinstance(record.args, Mapping):
                record.args = redact_obj(record.args)
            return
        record.msg = redact(message)
        record.args = None

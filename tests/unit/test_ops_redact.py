"""Secret redaction: planted secrets of every kind disappear, ordinary operational text stays as it was."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from glm3.servers.common.logs import JsonFormatter
from glm3.servers.common.redact import REDACTED, RedactingFilter, is_secret_key, redact, redact_obj

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumqYuYPQ3T1NWf3VbGk0KZHQm\n"
    "x6Gq1w0XkM1S9Ru6b9nZ7s3b9qXQqg5WmXcSd0CQp8aqOW2Zb1hZt4Bz1uZ8Y0oD\n"
    "-----END RSA PRIVATE KEY-----"
)

# (text with a planted secret, the secret that must disappear, text that must survive)
PLANTED: list[tuple[str, str, str]] = [
    ("login failed: password=hunter2 for bob", "hunter2", "for bob"),
    ("DB_PASSWORD=Tr0ub4dor&3x", "Tr0ub4dor", "DB_PASSWORD="),
    ("passwd: s3cr3tpass", "s3cr3tpass", "passwd:"),
    ('config {"api_key": "abc123def456", "region": "eu"}', "abc123def456", '"region": "eu"'),
    ("api-key=zzz999yyy888 retries=3", "zzz999yyy888", "retries=3"),
    ("token: 9f8e7d6c5b4a", "9f8e7d6c5b4a", "token:"),
    ("GITHUB_TOKEN='quoted value with spaces'", "quoted value with spaces", "GITHUB_TOKEN="),
    ("client_secret => 'xyzzy-42'", "xyzzy-42", "client_secret"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "aws_secret_access_key"),
    ("using key sk-live-4f9a8b7c6d5e4f3a2b1c0d now", "sk-live-4f9a8b7c6d5e4f3a2b1c0d", "now"),
    ("OPENAI key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234", "AbCdEfGhIjKlMnOp", "OPENAI key"),
    ("stripe sk_live_51HxYzAbCdEfGhIjKl", "sk_live_51HxYzAbCdEfGhIjKl", "stripe"),
    ("aws id AKIAIOSFODNN7EXAMPLE in env", "AKIAIOSFODNN7EXAMPLE", "in env"),
    ("clone with ghp_1234567890abcdefghijABCDEFGHIJ123456", "ghp_1234567890abcdef", "clone with"),
    ("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_11ABCDEFG", "pat"),
    ("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "xoxb-123456789012", "slack"),
    ("webhook https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX", "B0000/XXXXXXXXXXXX", "hooks.slack.com"),
    (f"session {JWT} expired", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "expired"),
    (f"key file:\n{PEM}\nend of file", "MIIEowIBAAKCAQEA1c7", "end of file"),
    ("curl -H 'Authorization: Bearer abc.DEF-123_xyz' http://127.0.0.1:8080/", "abc.DEF-123_xyz", "http://127.0.0.1"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "Authorization: Basic"),
    ("{'authorization': 'Token 0123456789abcdef', 'host': 'x'}", "0123456789abcdef", "'host': 'x'"),
    ("Proxy-Authorization: Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1", "YIIGhgYJKoZIhvcS", "Proxy-Authorization"),
    ("request sent with bearer eyJraWQiOiIxIn0x9.tokenpart", "eyJraWQiOiIxIn0x9", "request sent with"),
    ("dsn postgres://app:hunter2@db.internal:5432/signals failed", "hunter2", "postgres://app:"),
    ("redis://:r3dispass@127.0.0.1:6379/0", "r3dispass", "@127.0.0.1:6379/0"),
    ("amqp://guest:p@ss@rabbit/vhost", "p@ss", "@rabbit/vhost"),
    ("https://user:tok3n@github.com/org/repo.git", "tok3n", "github.com/org/repo.git"),
    ("Server=db;User Id=sa;Password=Sup3rS3cret;Database=x", "Sup3rS3cret", "Database=x"),
    ("host=db user=app password=pw123 dbname=signals", "pw123", "dbname=signals"),
    ("GET /api?api_key=q1w2e3r4&page=2", "q1w2e3r4", "page=2"),
    ("cookie: sessionid=abc123xyz", "abc123xyz", "cookie:"),
]


@pytest.mark.parametrize(("text", "secret", "kept"), PLANTED, ids=[p[0][:30] for p in PLANTED])
def test_planted_secret_is_redacted(text: str, secret: str, kept: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out
    assert kept in out


def test_url_credentials_keep_user_and_host() -> None:
    assert redact("postgres://user:pass@host/db") == "postgres://user:[REDACTED]@host/db"
    assert redact("mysql://root:x@127.0.0.1:3306") == "mysql://root:[REDACTED]@127.0.0.1:3306"


def test_authorization_header_keeps_its_scheme() -> None:
    assert redact("Authorization: Bearer abcdef123456") == "Authorization: Bearer [REDACTED]"
    assert redact("authorization=Basic Zm9vOmJhcg==") == "authorization=Basic [REDACTED]"


def test_token_value_with_a_scheme_is_redacted_whole() -> None:
    assert redact("token: Bearer abcdef123456") == "token: [REDACTED]"


def test_quoted_values_with_escaped_quotes() -> None:
    out = redact(r'{"password": "pa\"ss word", "user": "bob"}')
    assert out == '{"password": "[REDACTED]", "user": "bob"}'


def test_truncated_pem_block_is_redacted_to_the_end() -> None:
    out = redact("log: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA")
    assert out == "log: [REDACTED]"


@pytest.mark.parametrize(
    "text",
    [
        "disk / is 96.2% full (critical at 95%)",
        "memory is 97.0% used (critical at 98%; 1.2 GiB available)",
        "GET http://127.0.0.1:8080/health answered 503 in 12.5 ms",
        "https://example.com/search?q=disk+full&page=2",
        "postgres://db.internal:5432/signals",
        "http://user@host/path",
        "mail ops@example.com at 12:30:45 about /var/lib/postgresql/data",
        "max_tokens=512 token_count: 7 password_file=/etc/app/pw tokens: 300",
        "bearer token expired; retry with a new bearer authentication",
        "process worker restarted 4 times in the last hour (pid 12345)",
        "task-1234567890abcdef and disk-usage-0123456789 are names",
        "connection refused: [Errno 111] connect to 10.0.0.5:6379",
        "Authorization header missing",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "",
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    for text, _secret, _kept in PLANTED:
        once = redact(text)
        assert redact(once) == once


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("apiKey", True),
        ("x-api-key", True),
        ("Authorization", True),
        ("aws_secret_access_key", True),
        ("refresh_token", True),
        ("credentials", True),
        ("max_tokens", False),
        ("token_count", False),
        ("password_file", False),
        ("percent", False),
        ("service", False),
        (42, False),
    ],
)
def test_secret_key_names(key: object, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_obj_walks_dicts_lists_and_tuples() -> None:
    original = {
        "service": "scoring",
        "percent": 96.5,
        "password": "hunter2",
        "nested": [
            {"apiKey": 12345, "note": "DATABASE_URL=postgres://u:p4ss@h/db"},
            ("Bearer abcdef123456", 3),
        ],
        "headers": {"Authorization": "Bearer zzz", "Accept": "application/json"},
        "token": None,
        "secret": "",
        "max_tokens": 512,
        "ok": True,
    }
    frozen = json.dumps(original, default=str)
    out = redact_obj(original)
    assert out == {
        "service": "scoring",
        "percent": 96.5,
        "password": REDACTED,
        "nested": [
            {"apiKey": REDACTED, "note": "DATABASE_URL=postgres://u:[REDACTED]@h/db"},
            ("Bearer [REDACTED]", 3),
        ],
        "headers": {"Authorization": REDACTED, "Accept": "application/json"},
        "token": None,
        "secret": "",
        "max_tokens": 512,
        "ok": True,
    }
    assert json.dumps(original, default=str) == frozen  # the input is not modified


def test_redact_obj_leaves_other_values_alone() -> None:
    marker = object()
    assert redact_obj(marker) is marker
    assert redact_obj(3.5) == 3.5
    assert redact_obj(None) is None


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s|%(where)s|%(exc_text)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("glm3.test.redact")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, stream
    finally:
        logger.handlers.clear()
        logger.propagate = True


def test_filter_redacts_message_args_and_extras(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info(
        "connecting to %s with %r",
        "postgres://app:hunter2@db/x",
        {"password": "hunter2", "user": "app"},
        extra={"where": "token=abcdef123456 on host db"},
    )
    out = stream.getvalue()
    assert "hunter2" not in out and "abcdef123456" not in out
    assert "postgres://app:[REDACTED]@db/x" in out
    assert "'user': 'app'" in out
    assert "on host db" in out


def test_filter_redacts_exception_text(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ConnectionError("cannot reach redis://:r3dispass@cache:6379")
    except ConnectionError:
        logger.exception("cache down", extra={"where": "cache"})
    out = stream.getvalue()
    assert "r3dispass" not in out
    assert "ConnectionError" in out and "redis://:[REDACTED]@cache:6379" in out


def test_filter_on_the_servers_json_formatter() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    key = "sk-abcdefghijklmnop1234"
    record = logging.LogRecord("glm3.ops", logging.WARNING, __file__, 1, "llm key %s", (key,), None)
    record.details = {"api_key": key, "percent": 97}
    handler.handle(record)
    entry = json.loads(stream.getvalue())
    assert entry["msg"] == "llm key [REDACTED]"
    assert entry["details"] == {"api_key": REDACTED, "percent": 97}


def test_filter_keeps_records_with_a_bad_format_string() -> None:
    args = ("hunter2", "sk-abcdefghijklmnop")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "password=%s %s %s", args, None)
    assert RedactingFilter().filter(record) is True  # never drops a record; the handler reports the bad format
    assert record.msg == f"password={REDACTED} %s %s"
    assert record.args == ("hunter2", REDACTED)


def _every_pattern(text: str) -> str:
    from glm3.servers.common.redact import _PATTERNS

    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def test_the_quick_screen_never_skips_text_a_pattern_would_change() -> None:
    """`redact` skips the patterns for text holding none of their literals; random text built from pieces
    of secrets (cased any way, with the characters IGNORECASE folds to ASCII) must redact the same both ways.
    One or two secret-looking pieces a text, so that each pattern is met alone."""
    import random

    heads = [
        "password=", "PassWord: ", "paſſword=", "db_passwd=", "api-key: ", "apiKey=", "ACCESS_KEY=", "private-key=",
        "sessionId=", "Token: ", "credentials=", "cookie: ", "signature=", "secret_key=", "authorİzation: ",
        "Authorization: ", "proxy-authorization=", "Bearer ", "bearer ", "-----BEGIN RSA PRIVATE KEY-----",
        "postgres://user:", "hooks.slack.com/services/", "eyJhbGciOi.eyJzdWIi.", "sk-", "sk_live_", "rk_test_",
        "AKIA", "ASIA", "ghp_", "github_pat_", "xoxb-", "AIza", "aıza", "KEY=", "Kelvin",
    ]
    tails = ["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef", "ABCDEFGHIJ234567", "hunter2", "pw@host/db", "T000/B000/XXXX", "x", ""]
    filler = ["the check ", "failed ", "at 12:00 ", "; ", ", ", "\n", " ", "ok"]
    rng = random.Random(20261127)
    for _ in range(5_000):
        parts = [rng.choice(filler)]
        for _ in range(rng.randint(1, 2)):
            parts += [rng.choice(heads), rng.choice(tails), rng.choice(filler)]
        text = "".join(parts)
        assert redact(text) == _every_pattern(text), text
        long = "x " * 150 + text  # past the length where the screen switches method
        assert redact(long) == _every_pattern(long), long

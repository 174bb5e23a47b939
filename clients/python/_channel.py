"""What every client shares: channel options, the retry service config, credentials, call metadata, deadlines.

Retries. Only idempotent unary calls are retried, and gRPC does it (the `grpc.service_config` channel option
with a `retryPolicy` per method), not a Python loop: gRPC knows whether the request left the process and
applies one deadline across attempts. Retried: the read-only methods in `IDEMPOTENT_METHODS`. Never retried:
`Resolve` (runs commands), `RecordResolution` and `SubmitFeedback` (each call stores a new record),
`AcknowledgeAlert` (the second attempt would report FAILED_PRECONDITION or overwrite who acknowledged), and
the streams. `Score` and `BatchScore` are idempotent only when every signal has an id and `rescore` is off
(the server then returns the stored candidate); a service config cannot look at the request, so the scoring
client retries those two itself, with the same policy, exactly in that case (`ScoringClient.score`).

Only UNAVAILABLE is retried. RESOURCE_EXHAUSTED is not: from these servers it means a request over the size
limit (never succeeds) or the concurrent-call limit (retrying at once makes it worse). Note that gRPC
retries an attempt only until the server has sent response headers, so an UNAVAILABLE from the application
after headers were sent (the servers send `x-request-id` first) is not retried; connection failures, a
server shutting down and proxies answering UNAVAILABLE are.

Auth. The token is sent as `authorization: Bearer <token>` metadata on every call, added by the client
rather than by call credentials, so it works on plaintext loopback channels and on injected channels alike.
It is never logged and never shown by `repr`. Sending it over a plaintext channel to another host exposes
it: use `secure=True` (or `root_certificates`) outside loopback. For servers that require mutual TLS, pass
`certificate_chain` and `private_key` (PEM bytes): the certificate's identity is then the caller's
principal and no token is needed.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

import grpc

from glm3.client.errors import REQUEST_ID_KEY

def _version() -> str:
    try:
        return version("glm3-signal-services")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0+unknown"


VERSION = _version()
MIB = 1024 * 1024
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_MESSAGE_BYTES = 16 * MIB  # the servers' default limits

SCORING_SERVICE = "glm3.scoring.v1.ScoringService"
OPS_SERVICE = "glm3.ops.v1.OpsService"

# Unary methods that change nothing: retried on UNAVAILABLE through the service config.
IDEMPOTENT_METHODS: Final[Mapping[str, tuple[str, ...]]] = {
    SCORING_SERVICE: ("GetCandidate", "GetSignal", "ListCandidates", "SearchCandidates", "GetScoringStats", "ListAuditEvents"),
    OPS_SERVICE: (
        "CheckHealth",
        "Diagnose",
        "FindSimilarIssues",
        "GetAgentStatus",
        "ListAlerts",
        "ListAuditEvents",
        "ListRunbooks",
    ),
}


class _Default:
    """The type of `DEFAULT`: "use the client's default deadline", as opposed to None, "no deadline"."""

    _instance: _Default | None = None

    def __new__(cls) -> _Default:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default()
Timeout = float | None | _Default


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent unary calls are retried (gRPC's retry policy; gRPC caps attempts at 5).

    The delay before retry n is random in [0, min(initial_backoff * multiplier**(n-1), max_backoff)]. All
    attempts share the call's deadline.
    """

    max_attempts: int = 4
    initial_backoff_s: float = 0.2
    max_backoff_s: float = 5.0
    backoff_multiplier: float = 2.0
    retryable_codes: tuple[str, ...] = ("UNAVAILABLE",)

    def __post_init__(self) -> None:
        if not 2 <= self.max_attempts <= 5:
            raise ValueError("max_attempts must be 2 to 5 (gRPC's limit); pass retry=None to disable retries")
        if self.initial_backoff_s <= 0 or self.max_backoff_s <= 0 or self.backoff_multiplier <= 0:
            raise ValueError("backoffs and multiplier must be positive")
        for name in self.retryable_codes:
            if name not in grpc.StatusCode.__members__:
                raise ValueError(f"unknown status code {name!r}")

    def as_json(self) -> dict[str, Any]:
        """The `retryPolicy` object of a gRPC service config."""
        return {
            "maxAttempts": self.max_attempts,
            "initialBackoff": f"{self.initial_backoff_s:.3f}s",
            "maxBackoff": f"{self.max_backoff_s:.3f}s",
            "backoffMultiplier": self.backoff_multiplier,
            "retryableStatusCodes": list(self.retryable_codes),
        }

    def codes(self) -> frozenset[grpc.StatusCode]:
        return frozenset(grpc.StatusCode[name] for name in self.retryable_codes)


def service_config(retry: RetryPolicy | None, services: Sequence[str] = (SCORING_SERVICE, OPS_SERVICE)) -> dict[str, Any]:
    """The gRPC service config: a retry policy for the idempotent methods of `services`, nothing else."""
    if retry is None:
        return {"methodConfig": []}
    names = [{"service": s, "method": m} for s in services for m in IDEMPOTENT_METHODS.get(s, ())]
    return {
        "methodConfig": [{"name": names, "retryPolicy": retry.as_json()}],
        # Stop retrying when most calls fail (a server down for good) instead of multiplying the load.
        "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1},
    }


def split_targets(target: str | Sequence[str]) -> list[str]:
    """The entries of a target: a list, or one string of comma-separated `host:port` entries. A gRPC target
    URI with its own list (`ipv4:a:1,b:2`) is one entry."""
    if isinstance(target, str):
        if target.startswith(("ipv4:", "ipv6:", "dns:", "unix:")):
            return [target]
        entries = [part.strip() for part in target.split(",")]
    else:
        entries = [str(part).strip() for part in target]
    if not entries or any(not entry for entry in entries):
        raise ValueError(f"empty entry in the target list {target!r}")
    return entries


def _with_port(entry: str, port: int) -> str:
    """`entry` with `port` when it names none (gRPC would dial 443, the HTTPS port, without a word)."""
    if entry.startswith(("ipv4:", "ipv6:", "unix:", "unix-abstract:")):
        return entry
    if entry.startswith("dns:"):
        head, _, host = entry.rpartition("/") if "/" in entry else ("dns:", "", entry[4:])
        prefix = head + "/" if "/" in entry else "dns:"
        return prefix + _with_port(host, port) if host else entry
    if entry.startswith("["):
        return entry if "]:" in entry else f"{entry}:{port}"
    colons = entry.count(":")
    if colons == 0:
        return f"{entry}:{port}"
    if colons > 1:  # a bare IPv6 address
        return f"[{entry}]:{port}"
    return entry


def normalize_target(target: str | Sequence[str], default_port: int | None) -> str:
    """The target as the client keeps it: entries comma-joined, each with `default_port` when it has no
    port. A URL (`http://host:port`) is refused with what to write instead: gRPC targets are not URLs."""
    entries = split_targets(target)
    for entry in entries:
        scheme, sep, rest = entry.partition("://")
        if sep and scheme.lower() in ("http", "https", "grpc", "grpcs"):
            tls = " and TLS options (--tls / secure=True) for https" if scheme.lower() in ("https", "grpcs") else ""
            raise ValueError(
                f"target {entry!r} is a URL; a gRPC target is host:port: write {rest.rstrip('/')!r}{tls}"
            )
    if default_port is not None:
        entries = [_with_port(entry, default_port) for entry in entries]
    return ",".join(entries)


def _host_port(entry: str) -> tuple[str, int]:
    host, sep, port = entry.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"target {entry!r} in a list must be host:port (with a port)")
    return host.strip("[]"), int(port)


def grpc_target(target: str | Sequence[str]) -> tuple[str, bool]:
    """The gRPC target for `target` and whether calls are spread over its addresses (round_robin).

    One entry is used as it is; a `dns:///name:port` target is balanced over every address the name
    resolves to. Several `host:port` entries become one `ipv4:` (or `ipv6:`) target of their addresses, the
    host names resolved once, now: each new call (and each new stream) goes to the next address that is up,
    and an address that stops answering is left out until it answers again."""
    entries = split_targets(target)
    if len(entries) == 1:
        only = entries[0]
        return only, only.startswith(("dns:", "ipv4:", "ipv6:")) and ("," in only or only.startswith("dns:"))
    v4: list[str] = []
    v6: list[str] = []
    for entry in entries:
        host, port = _host_port(entry)
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ValueError(f"target {entry!r}: cannot resolve {host}: {exc.strerror}") from None
        for family, _, _, _, address in found:
            if family == socket.AF_INET:
                v4.append(f"{address[0]}:{port}")
            elif family == socket.AF_INET6:
                v6.append(f"[{address[0]}]:{port}")
    if v4:  # gRPC takes one address family per target
        return "ipv4:" + ",".join(dict.fromkeys(v4)), True
    return "ipv6:" + ",".join(dict.fromkeys(v6)), True


@dataclass(frozen=True)
class ChannelSettings:
    """Everything needed to open a channel. `credentials` wins over `root_certificates` and `secure`."""

    target: str
    secure: bool = False
    root_certificates: bytes | None = None
    # A client certificate (PEM chain and key) for servers that require mutual TLS; implies TLS.
    certificate_chain: bytes | None = None
    private_key: bytes | None = None
    credentials: grpc.ChannelCredentials | None = None
    retry: RetryPolicy | None = field(default_factory=RetryPolicy)
    max_send_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_receive_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    options: Sequence[tuple[str, Any]] = ()
    services: Sequence[str] = (SCORING_SERVICE, OPS_SERVICE)

    def channel_options(self) -> list[tuple[str, Any]]:
        """gRPC channel arguments: message limits, retries and the service config, then caller overrides."""
        config = service_config(self.retry, self.services)
        if grpc_target(self.target)[1]:
            config["loadBalancingConfig"] = [{"round_robin": {}}]
        base: list[tuple[str, Any]] = [
            ("grpc.max_send_message_length", self.max_send_message_bytes),
            ("grpc.max_receive_message_length", self.max_receive_message_bytes),
            ("grpc.enable_retries", 1 if self.retry is not None else 0),
            ("grpc.service_config", json.dumps(config)),
            ("grpc.primary_user_agent", f"glm3-client-python/{VERSION}"),
        ]
        overridden = {key for key, _ in self.options}
        return [item for item in base if item[0] not in overridden] + list(self.options)

    def channel_credentials(self) -> grpc.ChannelCredentials | None:
        if self.credentials is not None:
            return self.credentials
        if self.secure or self.root_certificates is not None or self.certificate_chain is not None:
            return grpc.ssl_channel_credentials(
                root_certificates=self.root_certificates,
                private_key=self.private_key,
                certificate_chain=self.certificate_chain,
            )
        return None

    def sync_channel(self) -> grpc.Channel:
        credentials = self.channel_credentials()
        target = grpc_target(self.target)[0]
        if credentials is None:
            return grpc.insecure_channel(target, options=self.channel_options())
        return grpc.secure_channel(target, credentials, options=self.channel_options())

    def aio_channel(self) -> grpc.aio.Channel:
        credentials = self.channel_credentials()
        target = grpc_target(self.target)[0]
        if credentials is None:
            return grpc.aio.insecure_channel(target, options=self.channel_options())
        return grpc.aio.secure_channel(target, credentials, options=self.channel_options())


class CallSettings:
    """Per-client call defaults: the deadline and the metadata every call carries (token, request id)."""

    __slots__ = ("default_timeout", "_base_metadata", "retry")

    def __init__(self, *, token: str | None, timeout: float | None, retry: RetryPolicy | None) -> None:
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive, or None for no deadline")
        if token is not None and (not token or any(c in token for c in "\r\n")):
            raise ValueError("token must be a non-empty string without line breaks")
        self.default_timeout = timeout
        self.retry = retry
        self._base_metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token is not None else ()
        )

    def __repr__(self) -> str:  # never shows the token
        auth = "set" if self._base_metadata else "none"
        return f"CallSettings(timeout={self.default_timeout}, token={auth}, retry={self.retry})"

    def timeout(self, timeout: Timeout) -> float | None:
        if isinstance(timeout, _Default):
            return self.default_timeout
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive, or None for no deadline")
        return timeout

    def metadata(self, extra: Sequence[tuple[str, str]] | None) -> tuple[str, tuple[tuple[str, str], ...]]:
        """A fresh request id and the metadata of one call. A caller's own `x-request-id` is kept."""
        given = next((value for key, value in extra or () if key == REQUEST_ID_KEY), None)
        request_id = given if isinstance(given, str) else uuid.uuid4().hex
        metadata = self._base_metadata + tuple(extra or ())
        if given is None:
            metadata += ((REQUEST_ID_KEY, request_id),)
        return request_id, metadata


def retry_delays(policy: RetryPolicy) -> list[float]:
    """The longest delay before each retry of `policy` (the caller picks a random delay up to it)."""
    return [
        min(policy.initial_backoff_s * policy.backoff_multiplier**n, policy.max_backoff_s)
        for n in range(policy.max_attempts - 1)
    ]


def deadline_left(deadline: float | None) -> float | None:
    """Seconds left until a `time.monotonic()` deadline (None when there is none); at least a millisecond."""
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.001)

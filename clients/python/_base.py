"""The base of every client: owns (or borrows) the channel, makes unary calls, maps errors to exceptions."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import grpc

from glm3.client._channel import (
    DEFAULT,
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_TIMEOUT_S,
    CallSettings,
    ChannelSettings,
    RetryPolicy,
    normalize_target,
    Timeout,
    deadline_left,
    grpc_target,
    retry_delays,
    split_targets,
)
from glm3.client._requests import AuditOutcomes, TimeLike, audit_filters
from glm3.client.errors import Glm3Error, error_from_rpc_error
from glm3.client.pagers import AsyncPager, Pager

Metadata = Sequence[tuple[str, str]] | None
_DEFAULT_RETRY = RetryPolicy()


class _ClientBase:
    """Options shared by the sync and async clients (see `ScoringClient` for what they mean)."""

    _stub_class: ClassVar[Any]
    _messages: ClassVar[Any]  # the service's *_service_pb2 module
    _service: ClassVar[str]
    default_target: ClassVar[str]

    def __init__(
        self,
        target: str | Sequence[str] | None = None,
        *,
        channel: Any = None,
        secure: bool = False,
        root_certificates: bytes | None = None,
        certificate_chain: bytes | None = None,
        private_key: bytes | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        token: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT_S,
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        max_send_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        max_receive_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        self._calls = CallSettings(token=token, timeout=timeout, retry=retry)
        if target is not None:
            # Several replicas become one balanced channel (grpc_target); a host without a port gets the
            # service's default one, not gRPC's silent 443.
            target = normalize_target(target, int(self.default_target.rsplit(":", 1)[1]))
        self.target = target or (None if channel is not None else self.default_target)
        if channel is None:
            grpc_target(self.target or self.default_target)  # a bad entry is a ValueError now, not at a call
        self.channel_settings: ChannelSettings | None = None
        if channel is None:
            self.channel_settings = ChannelSettings(
                target=self.target or self.default_target,
                secure=secure,
                root_certificates=root_certificates,
                certificate_chain=certificate_chain,
                private_key=private_key,
                credentials=credentials,
                retry=retry,
                max_send_message_bytes=max_send_message_bytes,
                max_receive_message_bytes=max_receive_message_bytes,
                options=tuple(options),
                services=(self._service,),
            )
        if (certificate_chain is None) != (private_key is None):
            raise ValueError("certificate_chain and private_key go together (mutual TLS): pass both or neither")
        self._secure = secure or root_certificates is not None or credentials is not None or certificate_chain is not None

    def __repr__(self) -> str:  # never shows the token
        where = self.target or "injected channel"
        return f"{type(self).__name__}({where!r}, secure={self._secure}, {self._calls!r})"

    @property
    def default_timeout(self) -> float | None:
        return self._calls.default_timeout


class SyncClient(_ClientBase):
    """A client on a sync `grpc.Channel`; a context manager that closes the channel it opened."""

    def __init__(self, target: str | Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        channel = kwargs.get("channel")
        self._owns_channel = channel is None
        self.channel: grpc.Channel = channel if channel is not None else self.channel_settings.sync_channel()  # type: ignore[union-attr]
        self._stub = self._stub_class(self.channel)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel if this client opened it (an injected channel belongs to its owner)."""
        if self._owns_channel:
            self.channel.close()

    def _unary(self, method: str, request: Any, timeout: Timeout, metadata: Metadata) -> Any:
        request_id, call_metadata = self._calls.metadata(metadata)
        try:
            return getattr(self._stub, method)(request, timeout=self._calls.timeout(timeout), metadata=call_metadata)
        except grpc.RpcError as exc:
            raise error_from_rpc_error(exc, request_id=request_id) from exc

    def _unary_retried(self, method: str, request: Any, timeout: Timeout, metadata: Metadata) -> Any:
        """A unary call this client retries itself (UNAVAILABLE, the retry policy, one deadline over all
        attempts). Only for requests known to be idempotent (see `_channel`)."""
        policy = self._calls.retry
        if policy is None:
            return self._unary(method, request, timeout, metadata)
        seconds = self._calls.timeout(timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        request_id, call_metadata = self._calls.metadata(metadata)
        delays = retry_delays(policy)
        codes = policy.codes()
        for attempt in range(policy.max_attempts):
            try:
                return getattr(self._stub, method)(request, timeout=deadline_left(deadline), metadata=call_metadata)
            except grpc.RpcError as exc:
                error = error_from_rpc_error(exc, request_id=request_id)
                delay = random.uniform(0, delays[attempt]) if attempt < len(delays) else 0.0
                if (
                    attempt + 1 >= policy.max_attempts
                    or error.code not in codes
                    or (deadline is not None and time.monotonic() + delay >= deadline)
                ):
                    raise error from exc
            time.sleep(delay)
        raise Glm3Error("unreachable")  # pragma: no cover

    def list_audit_events(
        self,
        *,
        principal: str = "",
        method: str = "",
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        outcomes: AuditOutcomes = None,
        page_size: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> Pager[Any, Any]:
        """Every audit event matching the filters (calls that changed state, denied calls), newest first (a
        lazy pager of `glm3.audit.v1.AuditEvent`). `outcomes` takes names: succeeded, failed, denied.
        Needs the operator role."""
        request = audit_filters(
            self._messages.ListAuditEventsRequest(), principal, method, start_time, end_time, outcomes, page_size
        )

        def fetch(token: str) -> Any:
            page = type(request)()
            page.CopyFrom(request)
            page.page_token = token
            return self._unary("ListAuditEvents", page, timeout, metadata)

        return Pager(fetch, "events")


class AsyncClient(_ClientBase):
    """A client on a `grpc.aio.Channel`; an async context manager that closes the channel it opened.

    Build it inside a running event loop (grpc.aio channels belong to the loop they were made in).
    """

    def __init__(self, target: str | Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        channel = kwargs.get("channel")
        self._owns_channel = channel is None
        self.channel: grpc.aio.Channel = channel if channel is not None else self.channel_settings.aio_channel()  # type: ignore[union-attr]
        self._stub = self._stub_class(self.channel)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self, grace: float | None = None) -> None:
        """Closes the channel if this client opened it; calls still running get `grace` seconds."""
        if self._owns_channel:
            await self.channel.close(grace)

    async def _unary(self, method: str, request: Any, timeout: Timeout, metadata: Metadata) -> Any:
        request_id, call_metadata = self._calls.metadata(metadata)
        try:
            return await getattr(self._stub, method)(
                request, timeout=self._calls.timeout(timeout), metadata=call_metadata
            )
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc_error(exc, request_id=request_id) from exc

    async def _unary_retried(self, method: str, request: Any, timeout: Timeout, metadata: Metadata) -> Any:
        """`SyncClient._unary_retried` for asyncio."""
        policy = self._calls.retry
        if policy is None:
            return await self._unary(method, request, timeout, metadata)
        seconds = self._calls.timeout(timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        request_id, call_metadata = self._calls.metadata(metadata)
        delays = retry_delays(policy)
        codes = policy.codes()
        for attempt in range(policy.max_attempts):
            try:
                return await getattr(self._stub, method)(
                    request, timeout=deadline_left(deadline), metadata=call_metadata
                )
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc_error(exc, request_id=request_id)
                delay = random.uniform(0, delays[attempt]) if attempt < len(delays) else 0.0
                if (
                    attempt + 1 >= policy.max_attempts
                    or error.code not in codes
                    or (deadline is not None and time.monotonic() + delay >= deadline)
                ):
                    raise error from exc
            await asyncio.sleep(delay)
        raise Glm3Error("unreachable")  # pragma: no cover

    def list_audit_events(
        self,
        *,
        principal: str = "",
        method: str = "",
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        outcomes: AuditOutcomes = None,
        page_size: int = 0,
        timeout: Timeout = DEFAULT,
        metadata: Metadata = None,
    ) -> AsyncPager[Any, Any]:
        """Every audit event matching the filters (calls that changed state, denied calls), newest first (an
        async pager of `glm3.audit.v1.AuditEvent`). `outcomes` takes names: succeeded, failed, denied.
        Needs the operator role."""
        request = audit_filters(
            self._messages.ListAuditEventsRequest(), principal, method, start_time, end_time, outcomes, page_size
        )

        async def fetch(token: str) -> Any:
            page = type(request)()
            page.CopyFrom(request)
            page.page_token = token
            return await self._unary("ListAuditEvents", page, timeout, metadata)

        return AsyncPager(fetch, "events")

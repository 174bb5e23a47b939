"""Access control around every RPC: who is calling (authentication), whether they may (the policy table),
and the audit row of every call that changes state or is denied.

One interceptor, installed inside the access log and the metrics (so denials are logged and counted like
any other status) and outside the error mapping. Handlers never test roles: they read the caller with
`current_principal()` (to record who acknowledged, who taught) and add what only they know to the audit
row with `audit_note()` (the steps a runbook ran).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_status import rpc_status

from glm3.servers.common.auth import ANONYMOUS, Authenticator, Principal, bearer_token, describe_roles
from glm3.servers.common.errors import Glm3Error, PermissionDenied, Unauthenticated
from glm3.servers.common.interceptors import WatchedRequests
from glm3.servers.common.logs import request_id_var
from glm3.servers.common.policy import AUTHENTICATED, OPEN, Rule, rule_for, target_of
from glm3.servers.common.redact import redact
from glm3.servers.common.status import to_rpc_status
from glm3.servers.storage.audit import AuditEvent, AuditLog

log = logging.getLogger("glm3.auth")

# A method the table does not list needs the highest role: new RPCs are closed until given a rule.
_UNLISTED = Rule("operator")

_principal_var: contextvars.ContextVar[Principal] = contextvars.ContextVar("glm3_principal", default=ANONYMOUS)
_call_var: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("glm3_call", default=None)


def current_principal() -> Principal:
    """The caller of the RPC being served (`anonymous`, with every role, on a server without auth)."""
    return _principal_var.get()


def audit_note(*, target: str | None = None, steps: list[str] | None = None, **details: Any) -> None:
    """Adds to the audit row of the RPC being served; does nothing outside an audited call."""
    call = _call_var.get()
    if call is None:
        return
    if target is not None:
        call.target = target[:256]
    if steps is not None:
        call.steps = list(steps)
    call.details.update(details)


@dataclass(slots=True)
class _Call:
    """What the interceptor learns about one call, and the handler adds (audit_note)."""

    method: str
    peer: str
    rule: Rule
    principal: Principal | None = None
    audited: bool = False
    denied: bool = False
    target: str = ""
    steps: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def _identities(context: grpc.aio.ServicerContext) -> list[str]:
    """The verified client certificate's identities (DNS SANs, else the CN); empty without one."""
    found = context.peer_identities()
    return [i.decode("utf-8", "replace") if isinstance(i, bytes) else str(i) for i in found or ()]


def _authorization(details: grpc.HandlerCallDetails) -> str | None:
    for item in details.invocation_metadata or ():
        if item.key == "authorization":
            value = item.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return None


class AccessInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates (when an Authenticator is given), authorizes by the policy, and audits."""

    def __init__(self, authenticator: Authenticator | None, audit: AuditLog | None) -> None:
        self.authenticator = authenticator
        self.audit = audit
        self.denials = 0

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        for name in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            behaviour = getattr(handler, name)
            if behaviour is not None:
                wrapped = self._wrap(behaviour, handler_call_details, handler.request_streaming)
                return handler._replace(**{name: wrapped})  # type: ignore[attr-defined]
        return handler

    # -- the decisions -----------------------------------------------------------------------------

    def _authenticate(self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext) -> Principal:
        if self.authenticator is None:
            return ANONYMOUS
        return self.authenticator.authenticate(bearer_token(_authorization(details)), _identities(context))

    def _check(self, call: _Call, message: Any) -> None:
        """Raises PermissionDenied when the caller lacks the role this request message needs (None: the
        role every call of the method needs, checked before a stream's first frame is read)."""
        role, why = (call.rule.role, "") if message is None else call.rule.required(message)
        principal = call.principal
        if role is OPEN or role == AUTHENTICATED or principal is None or principal.has(role):
            return
        call.denied = True
        self.denials += 1
        method = call.method.rsplit("/", 1)[-1]
        needs = f"{method} with {why}" if why else method
        raise PermissionDenied(
            f"{needs} needs the {role} role; principal {principal.name} has {describe_roles(principal.roles)}",
            metadata={"required_role": role, "principal": principal.name, "method": call.method},
        )

    def _start(self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext) -> _Call:
        """Identifies the caller; raises Unauthenticated (the call is marked denied)."""
        rule = rule_for(details.method) or _UNLISTED
        call = _Call(details.method, context.peer(), rule, audited=bool(rule.audit))
        _call_var.set(call)
        if rule.role is OPEN:
            return call
        try:
            call.principal = self._authenticate(details, context)
        except Unauthenticated:
            call.denied = True
            self.denials += 1
            raise
        _principal_var.set(call.principal)
        return call

    async def _deny(self, context: grpc.aio.ServicerContext, error: Glm3Error) -> None:
        log.info("call denied", extra={"reason": error.reason, "detail": error.message})
        status = rpc_status.to_status(to_rpc_status(error))
        await context.abort(status.code, status.details, status.trailing_metadata)

    def _finish(self, call: _Call, context: grpc.aio.ServicerContext, code: Any) -> None:
        if self.audit is None or not (call.audited or call.denied):
            return
        name = code.name if isinstance(code, grpc.StatusCode) else ("OK" if code is None else str(code))
        outcome = "DENIED" if call.denied else ("SUCCEEDED" if name == "OK" else "FAILED")
        message = "" if name == "OK" else redact((context.details() or "") if hasattr(context, "details") else "")
        principal = call.principal
        try:
            self.audit.record(
                AuditEvent(
                    principal=principal.name if principal is not None else "",
                    roles=sorted(principal.roles) if principal is not None and principal.authenticated else [],
                    method=call.method,
                    outcome=outcome,
                    code=name,
                    request_id=request_id_var.get() or "",
                    peer=call.peer,
                    target=call.target,
                    message=message[:2000],
                    steps=call.steps,
                    details=call.details,
                )
            )
        except Exception:  # the store is closing: the call's own outcome must not change
            log.exception("could not record the audit event of %s", call.method)

    # -- wrapping ----------------------------------------------------------------------------------

    def _wrap(self, behaviour: Callable[..., Any], details: grpc.HandlerCallDetails, request_streaming: bool) -> Any:
        interceptor = self

        async def admit(request: Any, context: grpc.aio.ServicerContext) -> tuple[_Call, Any]:
            """The call's record and the request to hand on; aborts (and audits) a denied call."""
            try:
                call = interceptor._start(details, context)
            except Unauthenticated as exc:
                call = _call_var.get()
                assert call is not None
                interceptor._finish(call, context, grpc.StatusCode.UNAUTHENTICATED)
                await interceptor._deny(context, exc)
                raise  # not reached: abort raises
            if not request_streaming and call.rule.target:  # a denied call names its target too
                call.target = target_of(request, call.rule.target)
            try:
                interceptor._check(call, None if request_streaming else request)
            except PermissionDenied as exc:
                interceptor._finish(call, context, grpc.StatusCode.PERMISSION_DENIED)
                await interceptor._deny(context, exc)
            if request_streaming:

                def check_frame(message: Any) -> None:  # a rescore frame from a producer ends the stream
                    interceptor._check(call, message)
                    call.details["frames"] = call.details.get("frames", 0) + 1

                return call, WatchedRequests(request, check_frame)
            if call.audited and callable(call.rule.audit):
                call.audited = bool(call.rule.audit(request))
            return call, request

        def code_of(context: grpc.aio.ServicerContext, exc: BaseException | None) -> Any:
            if isinstance(exc, asyncio.CancelledError | GeneratorExit):
                return grpc.StatusCode.CANCELLED
            code = context.code()
            if exc is not None and code is None:
                return grpc.StatusCode.UNKNOWN
            return code

        if inspect.isasyncgenfunction(behaviour):

            async def stream_wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                call, request = await admit(request, context)
                failure: BaseException | None = None
                try:
                    async for response in behaviour(request, context):
                        yield response
                except BaseException as exc:
                    failure = exc
                    raise
                finally:
                    interceptor._finish(call, context, code_of(context, failure))

            return stream_wrapper

        async def coroutine_wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
            call, request = await admit(request, context)
            failure: BaseException | None = None
            try:
                return await behaviour(request, context)
            except BaseException as exc:
                failure = exc
                raise
            finally:
                interceptor._finish(call, context, code_of(context, failure))

        return coroutine_wrapper

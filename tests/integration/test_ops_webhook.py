"""Webhook delivery of alert changes to a real aiohttp receiver on 127.0.0.1: payloads, retries, failures."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from glm3.servers.ops.alerts import AlertEventType, AlertManager, AlertsSection, Escalation
from glm3.servers.ops.models import CheckResult, HealthStatus
from glm3.servers.ops.webhook import WebhookSender
from tests.conftest import wait_until

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """A webhook receiver: answers the statuses in `script` in turn (200 when it runs out), records bodies."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)
    delay_s: float = 0.0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    hold: bool = False

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.headers.append(dict(request.headers))
        body = await request.json()
        if self.hold:
            await self.release.wait()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.script.pop(0) if self.script else 200
        if status < 300:
            self.bodies.append(body)
        headers = {"Retry-After": "0"} if status == 429 else {}
        return web.Response(status=status, headers=headers, text="ok" if status < 300 else "no")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook/{token}", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    rec.url = f"http://{host}:{port}/hook/s3cr3t-token"
    try:
        yield rec
    finally:
        rec.release.set()
        await runner.cleanup()


def sender(url: str, **options: Any) -> WebhookSender:
    defaults: dict[str, Any] = {"timeout_s": 2.0, "max_attempts": 3, "backoff_s": 0.01}
    return WebhookSender(url, **(defaults | options))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def delivered_or_failed(hook: WebhookSender, count: int) -> Callable[[], bool]:
    return lambda: hook.delivered + hook.failures >= count


async def test_alert_changes_reach_the_webhook_with_the_seed_fields(receiver: Receiver) -> None:
    hook = sender(receiver.url)
    now = [T0]
    alerts = AlertManager(Escalation(), AlertsSection(), webhook=hook, clock=lambda: now[0])
    details = {"port": 50051, "password": "hunter2"}
    down = CheckResult("scoring", HealthStatus.CRITICAL, "connection refused", details, check="grpc")

    alerts.observe([down])
    alerts.acknowledge(alerts.list()[0].id, "ana")  # not sent: it came from the people notified
    async with alerts.subscribe(include_current=True) as events:
        assert (await anext(events)).type is AlertEventType.CURRENT  # not sent either
    alerts.observe([CheckResult("scoring", HealthStatus.HEALTHY, "ok", check="grpc")])
    await wait_until(delivered_or_failed(hook, 2), timeout=5)
    await hook.close()

    assert (hook.delivered, hook.failures) == (2, 0)
    assert [b["event"] for b in receiver.bodies] == ["opened", "resolved"]
    opened = receiver.bodies[0]["alert"]
    assert set(opened) == {
        "id", "level", "title", "message", "service", "details", "timestamp", "action", "fingerprint",
        "state", "last_seen", "resolved_at", "acknowledged_at", "acknowledged_by", "notify_count",
    }  # fmt: skip
    assert opened["level"] == "critical" and opened["action"] == "alert_founder" and opened["state"] == "open"
    assert opened["service"] == "scoring" and opened["fingerprint"] == "scoring:down"
    assert datetime.fromisoformat(opened["timestamp"]) == T0
    assert opened["details"]["port"] == 50051
    assert opened["details"]["password"] == "[REDACTED]"  # secrets never leave the process
    resolved = receiver.bodies[1]["alert"]
    assert resolved["state"] == "resolved" and datetime.fromisoformat(resolved["resolved_at"]) == T0
    assert resolved["acknowledged_by"] == "ana"
    assert receiver.headers[0]["Content-Type"] == "application/json"


async def test_webhook_min_level_keeps_lower_alerts_off_the_webhook(receiver: Receiver) -> None:
    hook = sender(receiver.url)
    alerts = AlertManager(Escalation(), AlertsSection(webhook_min_level="critical"), webhook=hook)
    alerts.observe([CheckResult("a", HealthStatus.DEGRADED, "slow"), CheckResult("b", HealthStatus.CRITICAL, "down")])
    await wait_until(delivered_or_failed(hook, 1), timeout=5)
    await hook.close()
    assert [(b["event"], b["alert"]["service"]) for b in receiver.bodies] == [("opened", "b")]


async def test_transient_errors_are_retried_until_delivered(receiver: Receiver) -> None:
    receiver.script = [503, 503]
    hook = sender(receiver.url, max_attempts=5)
    assert hook.send({"event": "opened", "alert": {"id": "alert_1"}}) is True
    await wait_until(delivered_or_failed(hook, 1), timeout=5)
    assert (hook.delivered, hook.failures, hook.attempts, receiver.requests) == (1, 0, 3, 3)
    assert hook.last_error == ""
    assert receiver.bodies == [{"event": "opened", "alert": {"id": "alert_1"}}]

    receiver.script = [429]  # Retry-After: 0
    hook.send({"event": "renotified"})
    await wait_until(delivered_or_failed(hook, 2), timeout=5)
    assert (hook.delivered, hook.failures) == (2, 0)
    await hook.close()


async def test_always_failing_receiver_counts_a_failure_after_every_attempt(receiver: Receiver) -> None:
    receiver.script = [500] * 10
    hook = sender(receiver.url, max_attempts=3)
    hook.send({"event": "opened"})
    await wait_until(delivered_or_failed(hook, 1), timeout=5)
    assert (hook.delivered, hook.failures, receiver.requests) == (0, 1, 3)
    assert "HTTP 500" in hook.last_error and "after 3 attempts" in hook.last_error
    assert "s3cr3t" not in hook.last_error  # the URL's token is never shown
    await hook.close()


async def test_client_errors_are_not_retried(receiver: Receiver) -> None:
    receiver.script = [404]
    hook = sender(receiver.url, max_attempts=5)
    hook.send({"event": "opened"})
    await wait_until(delivered_or_failed(hook, 1), timeout=5)
    assert (hook.failures, receiver.requests) == (1, 1)
    assert "HTTP 404" in hook.last_error
    await hook.close()


async def test_receiver_down_counts_a_failure_and_never_raises() -> None:
    hook = sender(closed_port_url(), max_attempts=2)
    alerts = AlertManager(Escalation(), AlertsSection(), webhook=hook)
    events = alerts.observe([CheckResult("scoring", HealthStatus.CRITICAL, "down")])
    assert [e.type for e in events] == [AlertEventType.OPENED]
    await wait_until(delivered_or_failed(hook, 1), timeout=5)
    assert (hook.delivered, hook.failures, hook.attempts) == (0, 1, 2)
    assert hook.last_error.startswith("cannot connect to 127.0.0.1:")
    await hook.close()


async def test_slow_receiver_times_out_and_is_retried(receiver: Receiver) -> None:
    receiver.delay_s = 0.3
    hook = sender(receiver.url, timeout_s=0.1, max_attempts=2)
    hook.send({"event": "opened"})
    await wait_until(delivered_or_failed(hook, 1), timeout=5)
    assert (hook.failures, receiver.requests) == (1, 2)
    assert "within 0.1s" in hook.last_error
    await hook.close()


async def test_full_queue_drops_and_counts_instead_of_growing(receiver: Receiver) -> None:
    receiver.hold = True
    hook = sender(receiver.url, queue_size=1)
    assert hook.send({"n": 1}) is True
    await wait_until(lambda: receiver.requests == 1, timeout=5)  # in flight, held by the receiver
    assert hook.send({"n": 2}) is True  # waits in the queue
    assert hook.send({"n": 3}) is False
    assert hook.failures == 1 and "queue full" in hook.last_error
    receiver.release.set()
    await hook.close(timeout_s=5)
    assert [b["n"] for b in receiver.bodies] == [1, 2]
    assert (hook.delivered, hook.failures, hook.pending) == (2, 1, 0)
    assert hook.send({"n": 4}) is False and "closed" in hook.last_error


async def test_close_is_bounded_and_counts_what_is_left(receiver: Receiver) -> None:
    receiver.hold = True
    hook = sender(receiver.url)
    for n in range(3):
        hook.send({"n": n})
    await wait_until(lambda: receiver.requests == 1, timeout=5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await hook.close(timeout_s=0.1)
    assert loop.time() - started < 2
    assert (hook.delivered, hook.failures, hook.pending) == (0, 3, 0)
    assert "3 dropped" in hook.last_error


async def test_sender_from_settings() -> None:
    assert WebhookSender.from_settings(AlertsSection()) is None
    hook = WebhookSender.from_settings(
        AlertsSection(webhook_url="https://hooks.example:8443/T/secret", webhook_max_attempts=2)
    )
    assert hook is not None and hook.max_attempts == 2 and hook.host == "hooks.example:8443"
    with pytest.raises(ValueError, match="http"):
        WebhookSender("file:///etc/passwd")
    await hook.close()
    assert hook.failures == 0


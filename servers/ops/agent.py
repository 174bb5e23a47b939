"""The ops agent: the loop that checks, escalates, diagnoses, resolves what is safe, and learns.

Every `check_interval_s` (and on demand) it runs the checks, keeps a short history per service, streams
status changes to `WatchHealth` subscribers, feeds the results to the alert manager, and for a service that
turned unhealthy runs the runbooks marked safe for automation that apply to the diagnosed issue (at most
once per runbook and service per cool-down), then records what a re-check verified in the learning store.

Text never steers it. Check messages, HTTP bodies, symptoms, stored lessons and an LLM's reply are data: a
runbook starts on its own only when the issue the check's measurements name (`RuleDiagnoser.measured`:
check kind, numbers, status and error codes) is the diagnosed issue. Otherwise the run is refused, logged
and counted (`AgentStatus.auto_resolutions_refused`); the alert still goes out and a person decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import deque
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from glm3.servers.common.errors import FieldViolation, InvalidArgument
from glm3.servers.common.metrics import OpsMetrics
from glm3.servers.ops.diagnosis import RuleDiagnoser
from glm3.servers.ops.models import (
    AgentStatus,
    CheckResult,
    Diagnosis,
    HealthStatus,
    IssueResolution,
    ResolutionResult,
    ResolutionStatus,
    utcnow,
)
from glm3.servers.ops.runbooks import Runbook, verified

log = logging.getLogger("glm3.ops.agent")

AGENT = "agent"  # `recorded_by` of the lessons the agent teaches itself (outcomes a re-check verified)


@dataclass(slots=True)
class HealthEvent:
    """What `WatchHealth` sends: a result whose status changed (or the current one at subscription)."""

    result: CheckResult


@dataclass(slots=True, eq=False)  # compared and hashed by identity: kept in a set
class _Subscriber:
    services: frozenset[str]
    queue: asyncio.Queue[HealthEvent] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    dropped: bool = False


class SubscriberTooSlow(Exception):
    """A WatchHealth subscriber did not read its events and fell too far behind."""


def overall(results: Collection[CheckResult]) -> HealthStatus:
    """The worst status of the results (healthy when there are none)."""
    worst = HealthStatus.HEALTHY
    for result in results:
        if result.status.severity > worst.severity:
            worst = result.status
    return worst


def issue_text(result: CheckResult) -> str:
    """The words a similar past issue is searched with."""
    return f"{result.service} {result.check} {result.status.value} {result.message}"


def _rules_of(diagnoser: object) -> RuleDiagnoser:
    """The rules behind a diagnoser (a `Diagnoser`'s, or the diagnoser itself): they read the measurements
    the agent checks every diagnosis against. Default rules when it has none."""
    if isinstance(diagnoser, RuleDiagnoser):
        return diagnoser
    rules = getattr(diagnoser, "rules", None)
    return rules if isinstance(rules, RuleDiagnoser) else RuleDiagnoser()


class OpsAgent:
    def __init__(
        self,
        *,
        runner,  # CheckRunner
        alerts,  # AlertManager
        diagnoser,  # Diagnoser
        catalog,  # RunbookCatalog
        executor,  # RunbookExecutor
        learning,  # LearningStore
        cooldown,  # Cooldown
        check_interval_s: float,
        history_size: int = 20,
        auto_resolve: bool = True,
        diagnose_timeout_s: float = 30.0,
        loop_enabled: bool = True,
        metrics: OpsMetrics | None = None,
        evidence: RuleDiagnoser | None = None,
    ) -> None:
        self.runner = runner
        self.alerts = alerts
        self.diagnoser = diagnoser
        # Reads the measurements a diagnosis must agree with before anything runs on its own.
        self.evidence = evidence if evidence is not None else _rules_of(diagnoser)
        self.catalog = catalog
        self.executor = executor
        self.learning = learning
        self.cooldown = cooldown
        self.check_interval_s = check_interval_s
        self.auto_resolve = auto_resolve
        self.diagnose_timeout_s = diagnose_timeout_s
        self.loop_enabled = loop_enabled
        self.status = AgentStatus(check_interval=timedelta(seconds=check_interval_s))
        self.history: dict[str, deque[CheckResult]] = {}
        self._history_size = history_size
        self._latest: dict[str, CheckResult] = {}
        self._subscribers: set[_Subscriber] = set()
        self._round_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._resolving: set[asyncio.Task[None]] = set()
        self._resolving_services: set[str] = set()
        self.metrics = metrics if metrics is not None else OpsMetrics()
        self.metrics.watch_open_alerts(lambda: self.alerts.open_count)

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self.status.start_time = utcnow()
        if self.loop_enabled:
            self.status.running = True
            self._task = asyncio.create_task(self._loop(), name="glm3-ops-agent")

    async def stop(self) -> None:
        self.status.running = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._resolving):
            task.cancel()
        if self._resolving:
            await asyncio.gather(*self._resolving, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_checks()
            except Exception:
                log.exception("a round of checks failed")
            await asyncio.sleep(self.check_interval_s)

    # -- checks -------------------------------------------------------------------------------------

    def known_services(self) -> list[str]:
        return list(self.runner.names())

    def validate_services(self, services: Sequence[str], field_name: str = "services") -> list[str]:
        known = set(self.known_services())
        violations = [
            FieldViolation(f"{field_name}[{i}]", f"unknown service '{name[:128]}'")
            for i, name in enumerate(services)
            if name not in known
        ]
        if violations:
            raise InvalidArgument("unknown services", violations, reason="UNKNOWN_SERVICE")
        return list(services)

    def latest(self, services: Collection[str] = ()) -> list[CheckResult]:
        return [r for name, r in sorted(self._latest.items()) if not services or name in services]

    async def run_checks(self, services: Collection[str] | None = None) -> list[CheckResult]:
        """Runs the checks now (all, or the named ones); everything downstream follows."""
        async with self._round_lock:
            results = await self.runner.run(services or None)
            self.status.last_check = utcnow()
            self.status.total_checks += len(results)
            changed: list[CheckResult] = []
            for result in results:
                previous = self._latest.get(result.service)
                self._latest[result.service] = result
                self.history.setdefault(result.service, deque(maxlen=self._history_size)).append(result)
                self.metrics.check_results.labels(result.service, result.status.value).inc()
                if result.status is not HealthStatus.HEALTHY:
                    self.status.issues_detected += 1
                if previous is None or previous.status is not result.status:
                    changed.append(result)
            for result in changed:
                self._publish(result)
            self.alerts.observe(results)
            self.status.open_alerts = self.alerts.open_count
            self.status.escalations = self.alerts.escalations
            if self.auto_resolve:
                for result in results:
                    if result.status not in (HealthStatus.CRITICAL, HealthStatus.DEGRADED):
                        continue
                    if result.service in self._resolving_services:
                        continue  # one attempt at a time per service
                    # One automatic attempt (diagnosis included) per service per cool-down.
                    if not self.cooldown.allow("auto-resolve", result.service):
                        continue
                    self._resolving_services.add(result.service)
                    task = asyncio.create_task(self._auto_resolve(result))
                    self._resolving.add(task)
                    task.add_done_callback(self._resolving.discard)
            return results

    # -- WatchHealth ----------------------------------------------------------------------------------

    def _publish(self, result: CheckResult) -> None:
        for subscriber in list(self._subscribers):
            if subscriber.services and result.service not in subscriber.services:
                continue
            try:
                subscriber.queue.put_nowait(HealthEvent(result))
            except asyncio.QueueFull:
                subscriber.dropped = True
                self._subscribers.discard(subscriber)

    @contextlib.asynccontextmanager
    async def subscribe(self, services: Collection[str] = ()) -> AsyncIterator[asyncio.Queue[HealthEvent]]:
        """A queue of health events: the current result of each service first, then every change."""
        subscriber = _Subscriber(frozenset(services))
        for result in self.latest(services):
            subscriber.queue.put_nowait(HealthEvent(result))
        self._subscribers.add(subscriber)
        try:
            yield subscriber.queue
        finally:
            self._subscribers.discard(subscriber)

    def is_dropped(self, queue: asyncio.Queue[HealthEvent]) -> bool:
        return not any(s.queue is queue for s in self._subscribers)

    # -- diagnosis and resolution ---------------------------------------------------------------------

    async def diagnose(self, subject: CheckResult | str, timeout: float | None = None) -> Diagnosis:
        """Diagnoses with the similar past issues; bounded by `diagnose_timeout_s` and the caller's `timeout`.

        The suggested runbooks are the declared ones that apply to the diagnosed issue, whoever suggested
        them (the rules, or an LLM that read text written to steer it)."""
        if isinstance(subject, CheckResult):
            history = list(self.history.get(subject.service, ()))
            query, symptoms = issue_text(subject), subject.details
        else:
            history, query, symptoms = [], subject, None
        try:
            similar = await self.learning.find_similar(query, symptoms, 3)
        except Exception:
            log.exception("learning store search failed; diagnosing without past issues")
            similar = []
        limit = self.diagnose_timeout_s if timeout is None else min(timeout, self.diagnose_timeout_s)
        diagnosis = await self.diagnoser.diagnose(subject, history, similar, timeout=limit)
        applicable = {runbook.id for runbook in self.catalog.for_issue(diagnosis.issue_name)}
        return dataclasses.replace(
            diagnosis, suggested_runbook_ids=[i for i in diagnosis.suggested_runbook_ids if i in applicable]
        )

    async def resolve(
        self,
        runbook_id: str,
        issue_name: str,
        service: str,
        *,
        dry_run: bool,
        recorded_by: str,
        diagnosis: Diagnosis | None = None,
        symptoms: dict | None = None,
    ) -> tuple[ResolutionResult, IssueResolution | None]:
        """Runs a runbook a person chose (or shows what it would run); a real run is recorded in the learning
        store as taught by `recorded_by`, the person's principal ("anonymous" without authentication)."""
        runbook = self.catalog.get(runbook_id)
        result = await self.executor.run(runbook, issue_name, service, dry_run)
        if dry_run:
            return result, None
        latest = self._latest.get(service)
        recorded = await self._record(
            result,
            diagnosis,
            symptoms or (latest.details if latest else {}),
            service,
            automatic=False,
            recorded_by=recorded_by,
        )
        return result, recorded

    async def _record(
        self,
        result: ResolutionResult,
        diagnosis: Diagnosis | None,
        symptoms: dict,
        service: str,
        *,
        automatic: bool,
        recorded_by: str,
    ) -> IssueResolution | None:
        steps = ", ".join(f"{s.name} ({'ok' if s.ok else 'failed'})" for s in result.steps) or "no steps"
        checked = "verified by a re-check" if verified(result) else "not verified by a re-check"
        lesson = (
            f"runbook {result.runbook_id} fixed {result.issue_name} on {service} ({checked})"
            if result.status is ResolutionStatus.SUCCESS
            else f"runbook {result.runbook_id} did not fix {result.issue_name} on {service} ({checked}): "
            f"{result.message}"
        )
        resolution = IssueResolution(
            issue_name=result.issue_name,
            symptoms={"service": service, **symptoms},  # the learning store redacts what it stores
            diagnosis=(diagnosis.summary if diagnosis else "") or result.issue_name,
            action_taken=f"runbook {result.runbook_id}: {steps}",
            resolution_status=result.status,
            lesson_learned=lesson,
            tags=[t for t in (service, result.runbook_id, "auto" if automatic else "manual") if t][:32],
        )
        try:
            return await self.learning.record(resolution, recorded_by=recorded_by)
        except Exception:
            log.exception("could not record the resolution")
            return None

    def _automatic_runbooks(self, result: CheckResult, diagnosis: Diagnosis) -> list[Runbook]:
        """The runbooks the agent may run on its own for `result`: safe for automation and for the diagnosed
        issue, and only when the check's measurements name that same issue. A message or an HTTP body that
        says "disk_full", or an LLM that read one, never starts a disk cleanup."""
        measured = self.evidence.measured(result)
        if measured is not None and measured.issue == diagnosis.issue_name:
            return [runbook for runbook in self.catalog.for_issue(measured.issue) if runbook.safe_for_automation]
        would_run = [r.id for r in self.catalog.for_issue(diagnosis.issue_name) if r.safe_for_automation]
        where = {
            "service": result.service,
            "issue": diagnosis.issue_name,
            "diagnosed_by": diagnosis.diagnosed_by,
            "measured_issue": measured.issue if measured is not None else "",
            "measured": measured.evidence if measured is not None else "",
        }
        if would_run:
            self.status.auto_resolutions_refused += 1
            log.warning(
                "automatic resolution refused: the check's measurements do not show %s",
                diagnosis.issue_name,
                extra={**where, "runbooks": would_run},
            )
        else:
            log.info("no automatic resolution: the diagnosis is not backed by a measurement", extra=where)
        return []

    async def _auto_resolve(self, result: CheckResult) -> None:
        try:
            diagnosis = await self.diagnose(result)
            for runbook in self._automatic_runbooks(result, diagnosis):
                if not self.cooldown.allow(runbook.id, result.service):
                    continue
                outcome = await self.executor.run(runbook, diagnosis.issue_name, result.service, False)
                log.info(
                    "auto-resolution ran",
                    extra={"runbook": runbook.id, "service": result.service, "status": outcome.status.value},
                )
                # The agent learns only what it saw: an outcome a re-check confirmed. A run that nothing
                # re-checked would teach "this worked" on the strength of its steps alone.
                if verified(outcome):
                    await self._record(
                        outcome, diagnosis, result.details, result.service, automatic=True, recorded_by=AGENT
                    )
                else:
                    log.warning(
                        "auto-resolution not learned from: no re-check verified its outcome",
                        extra={"runbook": runbook.id, "service": result.service, "status": outcome.status.value},
                    )
                if outcome.status is ResolutionStatus.SUCCESS:
                    self.status.auto_resolutions += 1
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("auto-resolution failed", extra={"service": result.service})
        finally:
            self._resolving_services.discard(result.service)

    @property
    def resolutions_running(self) -> int:
        """Automatic resolutions (diagnosis, runbooks, recording) started and not finished yet."""
        return len(self._resolving)

    def agent_status(self) -> AgentStatus:
        self.status.open_alerts = self.alerts.open_count
        self.status.ai_diagnosis_enabled = getattr(self.diagnoser, "llm", None) is not None
        self.status.auto_resolve_enabled = bool(self.auto_resolve)
        self.status.learning_enabled = self.learning is not None
        self.status.escalations = self.alerts.escalations
        webhook = getattr(self.alerts, "webhook", None)
        if webhook is not None:
            self.status.webhook_failures = webhook.failures
            self.status.last_webhook_error = webhook.last_error
        return self.status

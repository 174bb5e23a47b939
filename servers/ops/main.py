"""`glm3-ops-server`: watches the pipeline's machines and services, diagnoses, resolves, escalates, learns."""

from __future__ import annotations

from collections.abc import Sequence

from glm3.ops.v1 import ops_service_pb2_grpc as pb_grpc
from glm3.servers.common.app import ServerDeps, ServiceBinding
from glm3.servers.common.health import DependencyProbe
from glm3.servers.common.metrics import OpsMetrics, new_registry
from glm3.servers.common.runner import run_main
from glm3.servers.ops.agent import OpsAgent
from glm3.servers.ops.alerts import AlertManager, Escalation
from glm3.servers.ops.checks import CheckRunner
from glm3.servers.ops.diagnosis import Diagnoser, RuleDiagnoser
from glm3.servers.ops.learning import LearningStore
from glm3.servers.ops.models import CheckResult
from glm3.servers.ops.runbooks import Cooldown, RunbookCatalog, RunbookExecutor
from glm3.servers.ops.servicer import SERVICE_NAME, OpsServicer
from glm3.servers.ops.settings import OpsSettings
from glm3.servers.ops.webhook import WebhookSender
from glm3.servers.storage import guard
from glm3.servers.storage.audit import AuditLog
from glm3.servers.storage.database import Database

PROG = "glm3-ops-server"


async def make_deps(settings: OpsSettings, *, reader: object | None = None) -> ServerDeps:
    """Opens what the ops server needs and says how to probe and close it. `reader` replaces the host
    readings (psutil) in tests."""
    catalog = RunbookCatalog.load(settings.runbooks)  # a bad runbook file stops the start, with its line
    # Before the database is opened: another live ops server writing it stops the start (exit 2).
    writer_lock = guard.acquire(settings.storage.uri, "ops", shared=settings.storage.shared, prog=PROG)
    database = await Database.open(
        settings.storage.uri,
        index_cache_mb=settings.storage.index_cache_mb,
        metadata_cache_mb=settings.storage.metadata_cache_mb,
        storage_options=settings.storage.storage_options(),
        read_consistency_s=settings.storage.read_consistency_s if settings.storage.shared else None,
    )
    embedder = None
    if settings.embedding.configured:
        from glm3.servers.common.embeddings import Embedder

        embedder = Embedder(settings.embedding, settings.llm)
    learning = await LearningStore.open(database, embedder=embedder)
    audit = await AuditLog.open(database, PROG)
    registry = new_registry()
    runner = CheckRunner(settings.host_checks, settings.services.checks, reader=reader)  # type: ignore[arg-type]

    async def recheck(service: str) -> CheckResult:
        # Through the agent, so a recovery seen by a runbook also resolves alerts and reaches watchers.
        [result] = await agent.run_checks([service])
        return result

    escalation = Escalation(settings.alerts.criteria())
    webhook = WebhookSender.from_settings(settings.alerts)
    alerts = AlertManager(escalation, settings.alerts, webhook=webhook)
    rules = RuleDiagnoser(lambda issue: [r.id for r in catalog.for_issue(issue)], criteria=escalation.criteria)
    diagnoser = Diagnoser.from_settings(settings.llm, rules, lambda: {r.id: r.title for r in catalog.all()})
    agent = OpsAgent(
        runner=runner,
        alerts=alerts,
        diagnoser=diagnoser,
        catalog=catalog,
        executor=RunbookExecutor(recheck, allowed_dirs=settings.runbooks.allowed_dirs),
        learning=learning,
        cooldown=Cooldown(settings.runbooks.cooldown_s),
        check_interval_s=settings.agent.check_interval_s,
        history_size=settings.agent.history_size,
        auto_resolve=settings.runbooks.auto_resolve,
        diagnose_timeout_s=settings.agent.diagnose_timeout_s,
        loop_enabled=settings.agent.loop,
        metrics=OpsMetrics(registry),
    )
    await agent.start()

    async def stop_agent() -> None:
        await agent.stop()
        alerts.close_subscriptions()
        await runner.close()

    async def release_writer_lock() -> None:
        writer_lock.release()

    async def close_clients() -> None:
        if webhook is not None:
            await webhook.close()
        await diagnoser.close()
        if embedder is not None:
            await embedder.close()

    return ServerDeps(
        services=[ServiceBinding(SERVICE_NAME, OpsServicer(agent, audit=audit), pb_grpc.add_OpsServiceServicer_to_server)],
        probes=[DependencyProbe("storage", database.probe)],
        closers=[stop_agent, learning.close, audit.close, close_clients, database.close, release_writer_lock],
        registry=registry,
        audit=audit,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        PROG,
        "Watches, diagnoses and repairs the GLM3 pipeline over gRPC (glm3.ops.v1.OpsService).",
        OpsSettings,
        make_deps,
        argv,
        workers_allowed=False,  # one agent loop: server.workers above 1 is a configuration error
    )


if __name__ == "__main__":
    raise SystemExit(main())

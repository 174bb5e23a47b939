"""Settings of the ops server: sections for the agent loop, host and service checks, alerts, runbooks,
the LLM (diagnosis) and the embedding endpoint (similar-issue search)."""

from __future__ import annotations

from pydantic import Field

from glm3.servers.common.settings import BaseSettings, LlmSection, MetricsSection, Section, ServerSection
from glm3.servers.ops.alerts import AlertsSection
from glm3.servers.ops.checks import GrpcHealthCheck, HostChecksSection, ServiceCheck, ServiceCheckList
from glm3.servers.ops.runbooks import RunbooksSection
from glm3.servers.common.settings import EmbeddingSection


class AgentSection(Section):
    check_interval_s: float = Field(60.0, gt=0, description="seconds between two rounds of checks")
    loop: bool = Field(
        True, description="run checks every check_interval_s; false: only when CheckHealth asks (run_now)"
    )
    history_size: int = Field(20, ge=1, le=1000, description="results kept per service, given to diagnosis")
    diagnose_timeout_s: float = Field(30.0, gt=0, description="upper bound of one diagnosis (LLM included)")


def _default_services() -> list[ServiceCheck]:
    # What `make run` watches with no setup: the scoring server started next to this one.
    return [GrpcHealthCheck(name="scoring", target="127.0.0.1:50051")]


class ServicesSection(Section):
    checks: ServiceCheckList = Field(
        default_factory=_default_services,
        description="service checks (the seed's SERVICES table), YAML only: a list of {kind: http|tcp|grpc|"
        "process, name, ...}; default: the scoring server's gRPC health on 127.0.0.1:50051",
    )


class OpsSettings(BaseSettings):
    server: ServerSection = ServerSection(port=50052)
    metrics: MetricsSection = MetricsSection(port=9465)  # next to the scoring server's 9464
    llm: LlmSection = LlmSection()
    embedding: EmbeddingSection = EmbeddingSection()
    agent: AgentSection = AgentSection()
    host_checks: HostChecksSection = HostChecksSection()
    services: ServicesSection = ServicesSection()
    alerts: AlertsSection = AlertsSection()
    runbooks: RunbooksSection = RunbooksSection()

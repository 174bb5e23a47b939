"""Settings of the scoring server."""

from __future__ import annotations

from glm3.servers.common.settings import BaseSettings, LlmSection, ServerSection


class ScoringSettings(BaseSettings):
    server: ServerSection = ServerSection(port=50051)
    llm: LlmSection = LlmSection()

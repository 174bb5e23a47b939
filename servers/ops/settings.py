"""Settings of the ops server."""

from __future__ import annotations

from glm3.servers.common.settings import BaseSettings, LlmSection, ServerSection


class OpsSettings(BaseSettings):
    server: ServerSection = ServerSection(port=50052)
    llm: LlmSection = LlmSection()

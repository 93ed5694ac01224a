"""Background jobs of AI-SOC: one pipeline run per ingest (or request), and the daily brief."""

from __future__ import annotations

from typing import Any

from cspm.ai_soc.service import AiSocService
from cspm.core.container import ServiceContainer
from cspm.core.jobs import job

DAY = 86_400


@job("ai_soc.run_pipeline", queue="default", time_limit_seconds=1800, max_retries=0)
async def run_pipeline(container: ServiceContainer, *, team_id: str, run_id: str) -> dict[str, Any]:
    """Enrichment, correlation, prioritisation, remediation and triage over the team's active findings."""
    return await container.resolve(AiSocService).run_pipeline(team_id=team_id, run_id=run_id)


@job("ai_soc.daily_brief", queue="maintenance", time_limit_seconds=1800, every_seconds=DAY)
async def daily_brief(container: ServiceContainer) -> int:
    """Each team's brief: new KEV matches, new correlations, top cases (with the LLM's narrative when set)."""
    return await container.resolve(AiSocService).brief_all_teams()

"""Background job of the knowledge base: re-indexing the shared corpus, with progress on the run."""

from __future__ import annotations

from typing import Any

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.knowledge.service import KnowledgeService


@job("knowledge.reindex", queue="maintenance", time_limit_seconds=3600, max_retries=0)
async def reindex(container: ServiceContainer, *, team_id: str, run_id: str) -> dict[str, Any]:
    """Re-index SCF, ASVS, CSF and KEV (unchanged sources are skipped), then embed what has no vector."""
    return await container.resolve(KnowledgeService).run_reindex(team_id=team_id, run_id=run_id)

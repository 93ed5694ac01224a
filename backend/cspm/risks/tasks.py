"""Background jobs of the risk register: KRIs and proposals on a schedule, acceptance expiry, residual drift."""

from __future__ import annotations

from typing import Any

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.risks.kri import KriService
from cspm.risks.proposals import ProposalService
from cspm.risks.service import RiskService
from cspm.risks.settings import RiskSettings
from cspm.teams.service import TeamService

HOUR = 3600


@job("risks.compute_kris", queue="maintenance", time_limit_seconds=1800,
     every_seconds=RiskSettings().kri_interval_seconds)
async def compute_kris(container: ServiceContainer) -> int:
    """Every team's KRIs (values kept for the sparklines; turning red records an event)."""
    return await container.resolve(KriService).compute_all()


@job("risks.expire_acceptances", queue="maintenance", time_limit_seconds=600, every_seconds=HOUR)
async def expire_acceptances(container: ServiceContainer) -> int:
    """Acceptances past their expiry reopen their risk and its accepted findings."""
    return await container.resolve(RiskService).expire_acceptances()


@job("risks.refresh", queue="maintenance", time_limit_seconds=1800, every_seconds=HOUR)
async def refresh(container: ServiceContainer) -> dict[str, Any]:
    """Per team: new proposals from the data, and computed residuals re-read (attestations change controls too)."""
    risks = container.resolve(RiskService)
    created = raised = 0
    teams = {*await risks.risks.teams(), *await container.resolve(KriService).kris.teams(),
             *[team for team in await risks.findings.collection.distinct("team_id") if isinstance(team, str)]}
    for team_id in sorted(teams):
        if "risks" in await container.resolve(TeamService).disabled_modules(team_id=team_id):
            continue
        created += (await container.resolve(ProposalService).generate(team_id))["created"]
        raised += len(await risks.reevaluate(team_id))
    return {"proposals": created, "residuals_raised": raised}

"""Background jobs of the findings module."""

from __future__ import annotations

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.findings.service import FindingsService


@job("findings.expire_risk_acceptances", queue="maintenance", time_limit_seconds=600, every_seconds=3600)
async def expire_risk_acceptances(container: ServiceContainer) -> int:
    """Risk acceptances past their expiry go back to reopened (and compliance hears of it)."""
    return await container.resolve(FindingsService).reopen_expired_acceptances()


@job("findings.snapshot_trends", queue="maintenance", time_limit_seconds=1800, every_seconds=86_400)
async def snapshot_trends(container: ServiceContainer) -> int:
    """Every team gets a daily point on its findings trend, even on days nothing changed."""
    return await container.resolve(FindingsService).snapshot_all_trends()

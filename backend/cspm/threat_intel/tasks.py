"""Background jobs of the threat intelligence module: the daily feeds and the TAXII poll."""

from __future__ import annotations

from typing import Any

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.threat_intel.feeds import FeedService
from cspm.threat_intel.service import ThreatIntelService

DAY = 86_400


@job("threat_intel.refresh_kev", queue="maintenance", time_limit_seconds=1800, every_seconds=DAY)
async def refresh_kev(container: ServiceContainer) -> dict[str, Any]:
    """CISA's catalogue, daily; on failure the last good catalogue stays (recorded on the feed)."""
    return await container.resolve(FeedService).refresh_kev()


@job("threat_intel.refresh_epss", queue="maintenance", time_limit_seconds=3600, every_seconds=DAY)
async def refresh_epss(container: ServiceContainer) -> dict[str, Any]:
    """FIRST's EPSS scores, daily, with the same failure handling."""
    return await container.resolve(FeedService).refresh_epss()


@job("threat_intel.poll_taxii", queue="maintenance", time_limit_seconds=3600, every_seconds=3600)
async def poll_taxii(container: ServiceContainer) -> int:
    """Every enabled TAXII source of every team, each imported into its own team."""
    return await container.resolve(ThreatIntelService).poll_all_taxii()


"""Background jobs of the cloud asset inventory: one discovery run, the daily discovery, history purge."""

from __future__ import annotations

from typing import Any

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.inventory.service import InventoryService

DAY = 86_400


@job("inventory.discover", queue="cloud", time_limit_seconds=3600, max_retries=0)
async def discover(container: ServiceContainer, *, team_id: str, run_id: str, **_: Any) -> str:
    """Runs a discovery requested through the API (the run records its own failures)."""
    run = await container.resolve(InventoryService).run_discovery(team_id=team_id, run_id=run_id)
    return str(run["state"])


@job("inventory.discover_all", queue="cloud", time_limit_seconds=6 * 3600, max_retries=0, every_seconds=DAY)
async def discover_all(container: ServiceContainer, **_: Any) -> int:
    """Every enabled cloud account of every team, daily."""
    return await container.resolve(InventoryService).discover_all()


@job("inventory.purge_history", queue="maintenance", max_retries=0, every_seconds=DAY)
async def purge_history(container: ServiceContainer, **_: Any) -> dict[str, int]:
    """Discovery runs and changes older than INVENTORY_HISTORY_DAYS."""
    return await container.resolve(InventoryService).purge_history()

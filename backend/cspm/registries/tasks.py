"""Background jobs of container registries: sync one, sync all periodically, purge soft-deleted ones."""

from __future__ import annotations

from typing import Any

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.registries.service import RegistryService

DAY = 86_400


@job("registries.sync", queue="container", time_limit_seconds=3600, max_retries=0)
async def sync(container: ServiceContainer, *, team_id: str, registry_id: str, **_: Any) -> dict[str, Any]:
    """One registry: repositories, tags, digests; new digests scanned."""
    return await container.resolve(RegistryService).sync(team_id=team_id, registry_id=registry_id)


@job("registries.sync_all", queue="container", time_limit_seconds=6 * 3600, max_retries=0, every_seconds=6 * 3600)
async def sync_all(container: ServiceContainer, **_: Any) -> int:
    """Every active registry of every team."""
    return await container.resolve(RegistryService).sync_all()


@job("registries.purge_soft_deleted_registries", queue="maintenance", max_retries=0, every_seconds=DAY)
async def purge_soft_deleted_registries(container: ServiceContainer, **_: Any) -> dict[str, int]:
    """Registries removed more than REGISTRY_RETENTION_DAYS ago, with their repositories and images."""
    return await container.resolve(RegistryService).purge_soft_deleted()

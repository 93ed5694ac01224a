"""Background jobs of the integrations module: deliveries and their retries, health checks, Jira sync."""

from __future__ import annotations

from cspm.core.container import ServiceContainer
from cspm.core.jobs import job
from cspm.integrations.delivery import DeliveryService
from cspm.integrations.service import IntegrationService
from cspm.integrations.tickets import TicketService


@job("integrations.deliver", queue="default", time_limit_seconds=300, max_retries=0)
async def deliver(container: ServiceContainer, *, team_id: str, delivery_id: str) -> str:
    """One attempt at one delivery; a failure is queued again by the delivery itself (with backoff)."""
    return await container.resolve(DeliveryService).attempt(team_id=team_id, delivery_id=delivery_id)


@job("integrations.deliver_due", queue="default", time_limit_seconds=600, max_retries=0, every_seconds=30)
async def deliver_due(container: ServiceContainer) -> int:
    """The retry sweep: due deliveries of every team, and those whose worker died mid-attempt."""
    return await container.resolve(DeliveryService).deliver_due()


@job("integrations.check_health", queue="maintenance", time_limit_seconds=1800, every_seconds=900)
async def check_health(container: ServiceContainer) -> dict[str, int]:
    """Every enabled integration's connection, every 15 minutes (connection_status)."""
    return await container.resolve(IntegrationService).check_all()


@job("integrations.sync_tickets", queue="maintenance", time_limit_seconds=1800, every_seconds=600)
async def sync_tickets(container: ServiceContainer) -> dict[str, int]:
    """Linked Jira issues' statuses; a done issue moves its finding to resolved_pending_verification."""
    return await container.resolve(TicketService).sync()


@job("integrations.purge_wizards", queue="maintenance", time_limit_seconds=300, every_seconds=3600)
async def purge_wizards(container: ServiceContainer) -> int:
    """Expired setup sessions, with their encrypted secrets."""
    return await container.resolve(IntegrationService).purge_wizards()

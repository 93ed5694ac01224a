"""ChannelAccess: what every call to a channel needs: the destination policy, the decrypted secrets,
the settings, and the connection status each call's outcome is recorded in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

from cspm.cloud_accounts.crypto import CredentialVault
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.integrations.models import HealthState, SendOutcome
from cspm.integrations.repository import IntegrationsRepositories
from cspm.integrations.settings import IntegrationsSettings
from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scanners.network_policy import DestinationPolicy


class ChannelAccess:
    def __init__(self, container: ServiceContainer, repositories: IntegrationsRepositories,
                 settings: IntegrationsSettings) -> None:
        self.container = container
        self.repositories = repositories
        self.settings = settings

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, IntegrationsRepositories(container.database.db(Database.INTEGRATIONS)),
                   container.resolve(IntegrationsSettings))

    def policy(self) -> DestinationPolicy:
        """The platform's outbound destination policy (SCANNER_NETWORK_ALLOWLIST and the always-on deny rules)."""
        return self.container.resolve(ScannerExecutorFactory).destinations

    def vault(self) -> CredentialVault:
        return CredentialVault(self.container.settings.fernet_keys)

    def secrets(self, integration: dict[str, Any]) -> dict[str, Any]:
        token = integration.get("secrets")
        return self.vault().decrypt(token) if token else {}

    async def record_health(self, team_id: str, integration_id: str, outcome: SendOutcome) -> dict[str, Any]:
        now = datetime.now(UTC)
        changes: dict[str, Any] = {"last_checked_at": now, "latency_ms": outcome.latency_ms,
                                   "state": (HealthState.OK if outcome.ok else HealthState.FAILING).value}
        if outcome.ok:
            changes["last_success_at"] = now
        else:
            changes.update(last_error=outcome.error, last_error_at=now)
        await self.repositories.status.record(team_id, integration_id, changes)
        return changes

"""CloudAccountService: create, read, change and test cloud accounts of one team.

Credentials are encrypted (``CredentialVault``) before they reach the repository and are
decrypted only for a connection test or a scan; no method returns them to a route.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Self

from bson import ObjectId

from cspm.cloud_accounts.crypto import CredentialDecryptionError, CredentialVault
from cspm.cloud_accounts.models import (
    CloudAccountOut,
    CloudAccountUpdate,
    CloudProvider,
    ConnectionTest,
    RotationReport,
)
from cspm.cloud_accounts.providers import CloudProviderFactory, ScanCredentials
from cspm.cloud_accounts.repository import CloudAccountRepository
from cspm.cloud_accounts.settings import CloudAccountSettings
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Conflict
from cspm.scanners.network_policy import DestinationPolicy, DestinationRefused
from cspm.targets.repository import TargetRepository

logger = logging.getLogger(__name__)


def account_out(document: dict[str, Any]) -> CloudAccountOut:
    return CloudAccountOut(
        id=str(document["_id"]), provider=document["provider"], name=document["name"],
        auth_method=document["auth_method"], identifiers=document["identifiers"],
        has_credentials=bool(document.get("has_credentials", True)), enabled=document.get("enabled", True),
        created_by=document["user_id"], created_at=document["created_at"], updated_at=document["updated_at"],
        last_test=document.get("last_test"))


class CloudAccountService:
    def __init__(self, repository: CloudAccountRepository, vault: CredentialVault,
                 providers: CloudProviderFactory, targets: TargetRepository | None = None,
                 destinations: DestinationPolicy | None = None) -> None:
        self.repository = repository
        self.vault = vault
        self.providers = providers
        self.targets = targets
        self.destinations = destinations or DestinationPolicy()

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        from cspm.scanners.executors.factory import ScannerExecutorFactory  # noqa: PLC0415 - only its policy

        settings = container.resolve(CloudAccountSettings)
        return cls(CloudAccountRepository(container.database), CredentialVault(container.settings.fernet_keys),
                   CloudProviderFactory(settings), TargetRepository(container.database.db(Database.ORCHESTRATION)),
                   container.resolve(ScannerExecutorFactory).destinations)

    def _check_endpoint(self, identifiers: dict[str, Any]) -> None:
        """An account's own endpoint is a destination a team chose: the scan allow-list decides, as for
        targets (the operator's CLOUD_AWS_ENDPOINT_URL is trusted). Checked when set and before each use."""
        endpoint = identifiers.get("endpoint_url")
        if not endpoint:
            return
        try:
            self.destinations.check_url(endpoint)
        except DestinationRefused as exc:
            raise BadRequest(f"endpoint_url refused: {exc}") from None

    async def create(self, *, team_id: str, user_id: str, request: Any) -> CloudAccountOut:
        parts = self.providers.get(request.provider).split(request)
        self._check_endpoint(parts.identifiers)
        now = datetime.now(UTC)
        document = {
            "_id": ObjectId(), "team_id": team_id, "user_id": user_id, "provider": str(request.provider),
            "name": request.name, "auth_method": parts.auth_method, "identifiers": parts.identifiers,
            "credentials": self.vault.encrypt(parts.secrets), "has_credentials": True, "enabled": True,
            "created_at": now, "updated_at": now, "last_test": None,
        }
        stored = await self.repository.insert(document)
        logger.info("cloud account created", extra={"team_id": team_id, "cloud_account_id": str(document["_id"]),
                                                     "provider": document["provider"]})
        return account_out(stored)

    async def list(self, *, team_id: str, provider: CloudProvider | None = None) -> list[CloudAccountOut]:
        return [account_out(document) for document in await self.repository.list(team_id, provider)]

    async def get(self, *, team_id: str, account_id: str) -> CloudAccountOut:
        return account_out(await self.repository.get_public(team_id, account_id))

    async def update(self, *, team_id: str, account_id: str, changes: CloudAccountUpdate) -> CloudAccountOut:
        values = changes.model_dump(exclude_none=True)
        if not values:
            return await self.get(team_id=team_id, account_id=account_id)
        values["updated_at"] = datetime.now(UTC)
        return account_out(await self.repository.update(team_id, account_id, values))

    async def replace_credentials(self, *, team_id: str, account_id: str, request: Any) -> CloudAccountOut:
        """New credentials (and identifiers) for the same account; provider and name stay."""
        current = await self.repository.get_public(team_id, account_id)
        if str(request.provider) != current["provider"]:
            raise Conflict(f"this is a {current['provider']} account; send {current['provider']} credentials")
        parts = self.providers.get(request.provider).split(request)
        self._check_endpoint(parts.identifiers)
        return account_out(await self.repository.update(team_id, account_id, {
            "auth_method": parts.auth_method, "identifiers": parts.identifiers,
            "credentials": self.vault.encrypt(parts.secrets), "updated_at": datetime.now(UTC), "last_test": None}))

    async def delete(self, *, team_id: str, account_id: str) -> None:
        if self.targets is not None:
            using = await self.targets.find(team_id, {"cloud_account_id": account_id}, projection={"name": 1})
            if using:
                names = ", ".join(sorted(target["name"] for target in using))
                raise Conflict(f"the cloud account is scanned by target(s) {names}: delete or change them first")
        await self.repository.delete(team_id, account_id)
        logger.info("cloud account deleted", extra={"team_id": team_id, "cloud_account_id": account_id})

    async def _open(self, team_id: str, account_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        document = await self.repository.get_with_credentials(team_id, account_id)
        self._check_endpoint(document["identifiers"])  # the allow-list may have changed since
        return document, self.vault.decrypt(document["credentials"])

    async def test_connection(self, *, team_id: str, account_id: str) -> ConnectionTest:
        """Ask the provider who these credentials are; the outcome is stored as `last_test`."""
        try:
            document, secrets = await self._open(team_id, account_id)
        except (CredentialDecryptionError, BadRequest) as exc:
            result = ConnectionTest(ok=False, reason=str(getattr(exc, "detail", exc)), checked_at=datetime.now(UTC))
        else:
            result = await self.providers.get(document["provider"]).test_connection(document["identifiers"], secrets)
        await self.repository.update(team_id, account_id, {"last_test": result.model_dump()})
        logger.info("cloud account connection tested", extra={"team_id": team_id, "cloud_account_id": account_id,
                                                               "ok": result.ok})
        return result

    async def scan_credentials(self, *, team_id: str, account_id: str) -> ScanCredentials:
        """Target and credentials for a Prowler run (orchestration only; never for a route)."""
        document, secrets = await self._open(team_id, account_id)
        return self.providers.get(document["provider"]).scan_credentials(
            str(document["_id"]), document["identifiers"], secrets)

    async def discovery_access(self, *, team_id: str, account_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The account (without its token) and its decrypted secrets, for the inventory's SDK calls
        (background jobs only; never for a route)."""
        document, secrets = await self._open(team_id, account_id)
        return {key: value for key, value in document.items() if key != "credentials"}, secrets

    async def rotate_encryption(self) -> RotationReport:
        """Re-encrypt every stored credential with the newest FERNET_KEYS key (all teams)."""
        rotated = failed = 0
        async for document in self.repository.all_credentials():
            try:
                token = self.vault.rotate(document["credentials"])
            except CredentialDecryptionError:
                failed += 1
                logger.error("cloud account credentials cannot be decrypted for rotation",
                             extra={"cloud_account_id": str(document["_id"]), "team_id": document["team_id"]})
                continue
            if await self.repository.replace_credentials(document["_id"], document["team_id"],
                                                         document["credentials"], token):
                rotated += 1
        logger.info("cloud account credentials rotated", extra={"rotated": rotated, "failed": failed})
        return RotationReport(rotated=rotated, failed=failed)

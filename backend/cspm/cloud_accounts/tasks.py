"""Background jobs of the cloud accounts module."""

from __future__ import annotations

from typing import Any

from cspm.cloud_accounts.service import CloudAccountService
from cspm.core.container import ServiceContainer
from cspm.core.jobs import job


@job("cloud_accounts.rotate_credentials", queue="maintenance", max_retries=0)
async def rotate_credentials(container: ServiceContainer, **_: Any) -> dict[str, int]:
    """Re-encrypt every stored cloud credential with the newest FERNET_KEYS key."""
    report = await container.resolve(CloudAccountService).rotate_encryption()
    return report.model_dump()

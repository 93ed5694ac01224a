from __future__ import annotations

import pytest

from cspm.cloud_accounts.service import CloudAccountService
from cspm.cloud_accounts.settings import CloudAccountSettings
from cspm.inventory.service import InventoryService
from cspm.inventory.settings import InventorySettings
from tests.cloud_accounts.conftest import dead_endpoint, gcp_key, moto_endpoint  # noqa: F401 - the suite's fixtures


@pytest.fixture
def inventory_for(container):
    """The inventory module with its AWS calls sent to `endpoint` (the moto server)."""

    def configure(endpoint: str, batch_size: int = 500) -> InventoryService:
        container.override(CloudAccountSettings, CloudAccountSettings(aws_endpoint_url=endpoint,
                                                                      test_timeout_seconds=5))
        container.override(InventorySettings, InventorySettings(write_batch_size=batch_size, aws_max_attempts=2,
                                                                request_timeout_seconds=10))
        container.override(CloudAccountService, CloudAccountService.build(container))
        container.override(InventoryService, InventoryService.build(container))
        return container.resolve(InventoryService)

    return configure

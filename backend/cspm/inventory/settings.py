"""Cloud asset inventory settings (prefix ``INVENTORY_``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class InventorySettings(CSPMSettings):
    model_config = SettingsConfigDict(**{**CSPMSettings.model_config, "env_prefix": "INVENTORY_"})

    write_batch_size: int = Field(default=500, ge=10, le=5000,
                                  description="Resources compared and written per batch (bounds a run's memory)")
    aws_max_attempts: int = Field(default=8, ge=1, le=20,
                                  description="Attempts per AWS call (adaptive retry mode backs off when throttled)")
    request_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    history_days: int = Field(default=365, ge=1, description="Discovery runs and changes older than this are purged")
    # Where the GCP and Azure APIs are: the public clouds by default; sovereign clouds, Azure Stack Hub,
    # Private Service Connect endpoints (and the suite's local stand-ins) elsewhere.
    gcp_asset_api_url: str = Field(default="https://cloudasset.googleapis.com/v1", pattern=r"^https?://\S+$",
                                   description="Cloud Asset API base (a Private Service Connect endpoint)")
    azure_authority_host: str = Field(default="https://login.microsoftonline.com", pattern=r"^https://\S+$",
                                      description="Microsoft Entra ID authority (https://login.chinacloudapi.cn, "
                                                  "https://login.microsoftonline.us, an Azure Stack Hub's)")
    azure_management_url: str = Field(default="https://management.azure.com", pattern=r"^https?://\S+$",
                                      description="Azure Resource Manager endpoint of the same cloud")
    azure_instance_discovery: bool = Field(
        default=True, description="false for an authority Microsoft's metadata endpoint does not know "
                                  "(Azure Stack Hub, private clouds)")

    @classmethod
    def build(cls, container: object) -> Self:
        """Loaded once per container; tests replace it with ``container.override``."""
        return load(cls)

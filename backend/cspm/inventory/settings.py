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

    @classmethod
    def build(cls, container: object) -> Self:
        """Loaded once per container; tests replace it with ``container.override``."""
        return load(cls)

"""Cloud account settings (prefix ``CLOUD_``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class CloudAccountSettings(CSPMSettings):
    model_config = SettingsConfigDict(**{**CSPMSettings.model_config, "env_prefix": "CLOUD_"})

    aws_endpoint_url: str | None = Field(
        default=None, description="Custom AWS endpoint (moto, LocalStack); unset means AWS itself.")
    test_timeout_seconds: float = Field(default=15.0, gt=0, le=120)

    @classmethod
    def build(cls, container: object) -> Self:
        """Loaded once per container; tests replace it with ``container.override``."""
        return load(cls)

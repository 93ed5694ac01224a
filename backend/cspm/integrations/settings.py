"""Integrations settings: delivery retries and their backoff, timeouts, wizard expiry."""

from __future__ import annotations

from typing import Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class IntegrationsSettings(CSPMSettings):
    """Environment variables are prefixed ``INTEGRATIONS_`` (``INTEGRATIONS_DELIVERY_MAX_ATTEMPTS``)."""

    model_config = SettingsConfigDict(env_prefix="INTEGRATIONS_")

    delivery_max_attempts: int = Field(
        default=8, ge=1, le=50,
        description="Attempts at one delivery before it goes to the dead-letter list")
    retry_base_seconds: float = Field(
        default=30.0, ge=0.1, le=3600,
        description="Wait after the first failed attempt; doubled after each further failure")
    retry_max_seconds: float = Field(default=6 * 3600.0, ge=1, le=7 * 86_400,
                                     description="Longest wait between two attempts")
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=120,
                                           description="Timeout of one request to a channel (HTTP or SMTP)")
    wizard_ttl_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60,
                                    description="A setup wizard session not touched for this long expires")
    due_batch: int = Field(default=200, ge=1, le=5000,
                           description="Most queued deliveries one sweep of the retry job sends")

    @classmethod
    def build(cls, container: object) -> Self:
        return load(cls)  # a bad value becomes one line naming the variable

"""Risk register settings: the default matrix, and how often KRIs and proposals are computed."""

from __future__ import annotations

from typing import Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class RiskSettings(CSPMSettings):
    """Environment variables are prefixed ``RISKS_`` (``RISKS_DEFAULT_MATRIX_SIZE``)."""

    model_config = SettingsConfigDict(env_prefix="RISKS_")

    default_matrix_size: int = Field(default=5, ge=3, le=5, description="Matrix preset a team starts with (3, 4 or 5)")
    kri_interval_seconds: int = Field(default=3600, ge=60, le=86_400,
                                      description="How often the scheduled job computes every team's KRIs")
    kri_history_points: int = Field(default=90, ge=2, le=1000, description="KRI values kept per indicator")
    regression_window_days: int = Field(default=30, ge=1, le=365,
                                        description="Compliance drift events this recent become proposals")
    proposals_per_run: int = Field(default=200, ge=1, le=5000, description="Most new proposals one run creates")

    @classmethod
    def build(cls, container: object) -> Self:
        return load(cls)

"""Business impact analysis settings: the default time horizons and which impact level is "severe"."""

from __future__ import annotations

from typing import Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class BiaSettings(CSPMSettings):
    """Environment variables are prefixed ``BIA_`` (``BIA_DEFAULT_HORIZONS_HOURS``)."""

    model_config = SettingsConfigDict(env_prefix="BIA_")

    default_horizons_hours: list[float] = Field(
        default=[1, 4, 24, 72, 168], min_length=1, max_length=12,
        description="Impact time horizons a team starts with, in hours (1 h, 4 h, 1 day, 3 days, 1 week)")
    severe_level: int = Field(default=4, ge=2, le=5,
                              description="Impact level (1-5) that counts as severe: the MTPD is the first "
                                          "horizon where any category reaches it")

    @classmethod
    def build(cls, container: object) -> Self:
        return load(cls)

"""Exports settings: how many findings one database round trip reads, and what the executive report shows."""

from __future__ import annotations

from typing import Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class ExportsSettings(CSPMSettings):
    """Environment variables are prefixed ``EXPORTS_`` (``EXPORTS_BATCH_SIZE``)."""

    model_config = SettingsConfigDict(env_prefix="EXPORTS_")

    batch_size: int = Field(default=500, ge=10, le=10_000,
                            description="Findings read per database round trip and encoded per streamed chunk: "
                                        "an export's memory is about one batch, however many findings it has")
    report_top_risks: int = Field(default=15, ge=1, le=100,
                                  description="Findings listed as top risks in the executive PDF")
    report_sla_breaches: int = Field(default=25, ge=1, le=200,
                                     description="Overdue findings listed in the executive PDF")
    report_trend_days: int = Field(default=30, ge=2, le=366, description="Days of trend in the executive PDF")

    @classmethod
    def build(cls, container: object) -> Self:
        return load(cls)

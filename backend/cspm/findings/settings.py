"""Findings settings: SLA days per severity and ingest batch size."""

from __future__ import annotations

from pydantic import Field

from cspm.core.settings import CSPMSettings
from cspm.findings.models import Severity


class FindingsSettings(CSPMSettings):
    sla_days_critical: int | None = Field(default=7, ge=1)
    sla_days_high: int | None = Field(default=30, ge=1)
    sla_days_medium: int | None = Field(default=90, ge=1)
    sla_days_low: int | None = Field(default=180, ge=1)
    sla_days_info: int | None = Field(default=None, ge=1, description="Unset: informational findings have no SLA")
    ingest_batch_size: int = Field(default=1000, ge=10, le=10_000)

    def sla_days(self, severity: Severity) -> int | None:
        return getattr(self, f"sla_days_{severity.value}")

"""Compliance settings (`COMPLIANCE_*` environment variables)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings
from cspm.findings.models import Severity


class ComplianceSettings(CSPMSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLIANCE_")

    severity_threshold: Severity = Field(
        default=Severity.MEDIUM,
        description="Open failing findings at or above this severity make a control not (or partially) implemented.")
    evidence_max_age_days: int = Field(
        default=30, ge=1, le=3650,
        description="A passing check older than this no longer counts as evidence (and is reported as expired).")
    score_threshold: float = Field(
        default=0.8, ge=0.0, le=1.0,
        description="A framework score crossing this value (either way) is a drift event.")
    keyword_threshold: float = Field(
        default=0.35, gt=0.0, le=1.0,
        description="Minimum keyword-match score for an automatic finding→control link.")
    keyword_max_links: int = Field(default=3, ge=1, le=20)
    tag_max_controls: int = Field(
        default=6, ge=1, le=50,
        description="At most this many controls are linked from a finding's compliance tags.")
    import_bundled_workbook: bool = Field(
        default=True,
        description="On first start (no workbook imported yet), import the bundled SCF 2022.3 workbook in a "
                    "background job; false keeps the 86-control built-in baseline until `cspm scf import`.")
    registry_cache_seconds: float = Field(
        default=5.0, ge=0.0,
        description="How long a process trusts its cached registry before re-checking the active version.")

    @field_validator("severity_threshold", mode="before")
    @classmethod
    def _severity(cls, value: object) -> object:
        return Severity.from_tool(value) if isinstance(value, str) else value

    @property
    def severity_rank(self) -> int:
        return self.severity_threshold.rank

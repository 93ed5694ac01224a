"""Assessment settings (`ASSESSMENTS_*` environment variables)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings

EVIDENCE_HARD_LIMIT = 15 * 1024 * 1024
"""Evidence is stored in one database document (16 MiB at most): files stay below this."""


class AssessmentSettings(CSPMSettings):
    model_config = SettingsConfigDict(env_prefix="ASSESSMENTS_")

    evidence_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=EVIDENCE_HARD_LIMIT,
        description="Largest evidence file accepted (PDF, images, text, CSV, JSON, office documents).")
    evidence_per_assessment: int = Field(default=500, ge=1, le=5000,
                                         description="Evidence files and links one assessment may hold.")
    max_per_team: int = Field(default=500, ge=1, le=10_000, description="Assessments a team may keep.")
    suggestion_findings_kept: int = Field(
        default=10, ge=1, le=100, description="Findings listed on each requirement a scan suggests an answer for.")

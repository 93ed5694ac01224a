"""AI governance settings: how large an evaluation file may be, and the default fairness limits."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings


class AiGovernanceSettings(CSPMSettings):
    """Environment variables are prefixed ``AI_GOVERNANCE_`` (``AI_GOVERNANCE_EVALUATION_MAX_ROWS``)."""

    model_config = SettingsConfigDict(env_prefix="AI_GOVERNANCE_")

    evaluation_max_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, le=2 * 1024 * 1024,
        description="Largest evaluation file (CSV or Parquet) for a bias test; the API's request body limit "
                    "for non-report uploads (2 MiB) caps it")
    evaluation_max_rows: int = Field(default=200_000, ge=10, description="Most rows of an evaluation file")
    default_min_ratio: float = Field(default=0.8, gt=0, le=1,
                                     description="Smallest fairness ratio that passes (four-fifths rule)")
    default_max_difference: float = Field(default=0.1, ge=0, lt=1,
                                          description="Largest fairness difference that passes")

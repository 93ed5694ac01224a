"""AI-SOC settings: when the pipeline runs, how findings group into cases, and the optional LLM provider."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class AiSocSettings(CSPMSettings):
    """Environment variables are prefixed ``AI_SOC_`` (``AI_SOC_LLM_URL``)."""

    model_config = SettingsConfigDict(env_prefix="AI_SOC_")

    run_after_ingest: bool = Field(default=True, description="Run the triage pipeline (a job) after every import; "
                                                             "the test suite turns it off except in its own tests")
    max_findings_per_run: int = Field(default=20_000, ge=10, le=500_000,
                                      description="Most active findings one run reads (highest priority first)")
    cve_min_resources: int = Field(default=2, ge=2, le=1000,
                                   description="Resources sharing a CVE before it becomes one cross-resource case")
    resource_min_checks: int = Field(default=2, ge=2, le=100,
                                     description="Failing checks of one category on one resource that make a case")
    citations_per_case: int = Field(default=8, ge=1, le=30, description="Most knowledge passages a plan cites")
    llm_url: str | None = Field(default=None, description="OpenAI-compatible API base ending in /v1 "
                                                          "(/chat/completions is appended); unset: no LLM")
    llm_model: str = Field(default="gpt-4o-mini", min_length=1, max_length=200)
    llm_api_key: SecretStr | None = Field(default=None, description="Bearer key of the chat endpoint")
    llm_timeout_seconds: float = Field(default=60.0, gt=0, le=600, description="Per request")
    llm_max_tokens: int = Field(default=600, ge=50, le=8000, description="Most tokens of one answer")
    llm_tokens_per_run: int = Field(default=40_000, ge=100, le=10_000_000, description="Token budget of one run")
    llm_tokens_per_day: int = Field(default=400_000, ge=100, le=100_000_000,
                                    description="Token budget of one team per UTC day (runs and briefs)")
    llm_cases_per_run: int = Field(default=10, ge=0, le=500,
                                   description="Highest-priority cases that get a narrative per run")

    @classmethod
    def build(cls, container: object) -> Self:
        """Loaded once per container; tests replace it with ``container.override``."""
        return load(cls)

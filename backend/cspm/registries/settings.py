"""Container registry settings (prefix ``REGISTRY_``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class RegistrySettings(CSPMSettings):
    model_config = SettingsConfigDict(**{**CSPMSettings.model_config, "env_prefix": "REGISTRY_"})

    retention_days: int = Field(default=30, ge=0, le=3650,
                                description="A removed registry and its images are purged this many days later")
    request_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    page_size: int = Field(default=100, ge=1, le=1000, description="Repositories or tags asked for per page")
    max_repositories: int = Field(default=5000, ge=1, description="Most repositories one sync lists")
    max_tags_per_repository: int = Field(default=1000, ge=1, description="Most tags one sync reads per repository")
    scan_new_digests: bool = Field(default=True, description="Scan each new digest with the scan tools")
    scan_tools: list[str] = Field(default=["trivy", "syft"], description="Tools run on a new digest")

    @classmethod
    def build(cls, container: object) -> Self:
        """Loaded once per container; tests replace it with ``container.override``."""
        return load(cls)

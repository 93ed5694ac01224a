"""Threat intelligence settings: where the daily feeds come from, and how old is too old."""

from __future__ import annotations

from pydantic import Field

from cspm.core.settings import CSPMSettings


class ThreatIntelSettings(CSPMSettings):
    kev_url: str = Field(
        default="https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        description="CISA KEV catalogue (JSON) fetched by the daily job; the shipped snapshot is the fallback.")
    epss_url: str = Field(
        default="https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
        description="FIRST EPSS scores (CSV, optionally gzipped) fetched by the daily job.")
    kev_baseline_at_startup: bool = Field(
        default=True, description="Load the shipped KEV snapshot at start-up when the catalogue is empty "
                                  "(the test suite turns it off: 1,404 inserts per test database)")
    feed_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    feed_max_bytes: int = Field(default=200_000_000, ge=1_000_000, description="Largest feed download accepted")
    kev_max_age_days: int = Field(default=7, ge=1, description="Older than this, the KEV feed is reported degraded")
    epss_max_age_days: int = Field(default=7, ge=1)

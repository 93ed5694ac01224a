"""API schemas of the threat intelligence module."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cspm.core.fields import SecretText, SingleLineText
from cspm.threat_intel.models import ContextRef, IndicatorType, Observable, Tlp

IndicatorFormat = Literal["stix", "csv", "misp"]


class KevEntryOut(BaseModel):
    cve_id: str
    vendor_project: str
    product: str
    vulnerability_name: str
    date_added: str
    due_date: str
    required_action: str
    known_ransomware_campaign_use: str
    short_description: str = ""
    cwes: list[str] = []
    open_findings: int = Field(0, description="The team's open findings with this CVE")


class KevPage(BaseModel):
    catalogue_version: str | None
    catalogue_date: str | None
    total: int
    open_findings_known_exploited: int
    open_findings_past_due: int
    summary: str
    items: list[KevEntryOut]


class EpssOut(BaseModel):
    cve_id: str
    epss: float
    percentile: float | None
    date: str | None
    source: str


class EpssBand(BaseModel):
    band: str
    open_findings: int


class EpssOverview(BaseModel):
    feed_date: str | None
    scores: list[EpssOut]
    distribution: list[EpssBand]


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: IndicatorType
    value: SingleLineText = Field(min_length=1, max_length=2000)
    name: SingleLineText | None = Field(default=None, max_length=300)
    confidence: int | None = Field(default=None, ge=0, le=100)
    tags: list[SingleLineText] = Field(default_factory=list, max_length=20)
    tlp: Tlp | None = None
    valid_until: datetime | None = None


class IndicatorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SingleLineText | None = Field(default=None, max_length=300)
    confidence: int | None = Field(default=None, ge=0, le=100)
    tags: list[SingleLineText] | None = Field(default=None, max_length=20)
    tlp: Tlp | None = None
    valid_until: datetime | None = None


class IndicatorOut(BaseModel):
    id: str
    stix_id: str
    name: str | None = None
    description: str | None = None
    pattern: str | None = None
    pattern_type: str
    observables: list[Observable]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    expired: bool = False
    confidence: int | None = None
    tlp: Tlp | None = None
    tags: list[str] = []
    source: str
    context: list[ContextRef] = []
    created_at: datetime
    updated_at: datetime


class IndicatorPage(BaseModel):
    items: list[IndicatorOut]
    total: int


class IndicatorImportResult(BaseModel):
    format: IndicatorFormat
    source: str
    parsed: int
    new: int
    updated: int
    not_matchable: int = Field(description="Indicators kept whose pattern cannot be decided on one value")
    correlation: dict[str, int]


class CorrelationOut(BaseModel):
    id: str
    indicator_id: str
    stix_id: str | None = None
    indicator_name: str | None = None
    indicator_type: str
    indicator_value: str
    matched_value: str
    where: str
    asset: dict[str, Any]
    context: list[ContextRef] = []
    tlp: Tlp | None = None
    source: str | None = None
    confidence: int | None = None
    first_seen: datetime
    last_seen: datetime


class CorrelationPage(BaseModel):
    items: list[CorrelationOut]
    total: int


class FeedOut(BaseModel):
    feed: str
    title: str
    state: Literal["optimal", "degraded", "down"]
    health: str
    source: str | None = None
    version: str | None = None
    date: str | None = None
    age_days: int | None = None
    count: int | None = None
    ok: bool | None = None
    error: str | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    runs: list[dict[str, Any]] = []


class TaxiiSourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SingleLineText = Field(min_length=1, max_length=200)
    collection_url: SingleLineText = Field(min_length=8, max_length=2000,
                                           description="TAXII 2.1 collection URL (.../collections/<id>/)")
    username: SingleLineText | None = Field(default=None, max_length=200)
    password: SecretText | None = Field(default=None, max_length=500)
    enabled: bool = True


class TaxiiSourceOut(BaseModel):
    id: str
    name: str
    collection_url: str
    username: str | None = None
    enabled: bool
    created_at: datetime
    last_poll_at: datetime | None = None
    last_ok: bool | None = None
    last_error: str | None = None
    last_added_after: str | None = None
    last_counts: dict[str, int] = {}


class SourcesOut(BaseModel):
    feeds: list[FeedOut]
    taxii: list[TaxiiSourceOut]


class FeedImportResult(BaseModel):
    feed: str
    version: str | None = None
    date: str | None = None
    count: int
    added: int = 0
    removed: int = 0
    modified: int = 0
    changed: int = 0

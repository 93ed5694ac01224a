"""API schemas of the cloud asset inventory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class CloudAssetOut(BaseModel):
    id: str
    account_id: str
    provider: str | None = None
    resource_id: str
    link_key: str | None = None
    resource_type: str | None = None
    name: str | None = None
    region: str | None = None
    tags: dict[str, str] = {}
    source: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    removed_at: datetime | None = None


class CloudAssetFacets(BaseModel):
    resource_type: list[str]
    region: list[str]
    account_id: list[str]
    provider: list[str]


class CloudAssetPage(BaseModel):
    items: list[CloudAssetOut]
    total: int
    facets: CloudAssetFacets


class FieldChange(BaseModel):
    field: str
    before: Any = None
    after: Any = None


class CloudAssetChangeOut(BaseModel):
    asset_id: str
    run_id: str
    account_id: str
    resource_id: str
    resource_type: str | None = None
    name: str | None = None
    kind: str
    fields: list[FieldChange] = []
    at: datetime


class LinkedFinding(BaseModel):
    id: str
    title: str
    severity: str
    status: str
    source_tool: str
    rule_id: str | None = None
    last_seen: datetime | None = None


class CloudAssetDetail(CloudAssetOut):
    attributes: dict[str, Any] = {}
    timeline: list[CloudAssetChangeOut]
    findings: list[LinkedFinding]


class ScopeError(BaseModel):
    scope: str
    reason: str


class DiscoveryRunOut(BaseModel):
    run_id: str
    account_id: str
    account_name: str | None = None
    provider: str
    state: str
    requested_by: str
    source: str | None = None
    started_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, int] = {}
    errors: list[ScopeError] = []
    complete_scopes: list[str] = []


class DiscoveryRunDetail(DiscoveryRunOut):
    changes: list[CloudAssetChangeOut]
    changes_total: int

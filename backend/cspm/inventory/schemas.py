"""API schemas of the cloud asset inventory."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


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


class ResolvedCloudAsset(CloudAssetOut):
    kind: Literal["cloud_asset"] = "cloud_asset"


class ResolvedRegistryImage(BaseModel):
    """An image of a connected container registry with the digest the resource id names."""

    kind: Literal["registry_image"] = "registry_image"
    id: str
    registry_id: str
    registry_name: str
    repository_name: str
    image_digest: str
    reference: str
    tags: list[str] = []
    last_seen: datetime | None = None


class ResolvedTarget(BaseModel):
    """A scan target that scans the host (and port) the resource id names."""

    kind: Literal["target"] = "target"
    id: str
    name: str
    target_kind: str
    value: str
    host: str
    """The target's host or CIDR range that covers the resource's host."""
    port: int | None = None
    """The target's port; None when it scans whatever ports it finds (a network target)."""
    last_scan_run_id: str | None = None


ResolvedResource = Annotated[ResolvedCloudAsset | ResolvedRegistryImage | ResolvedTarget, Field(discriminator="kind")]


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

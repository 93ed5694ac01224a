"""Asset inventory API: SBOM components found by syft."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from cspm.assets.service import AssetService
from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service

router = APIRouter(tags=["assets"])
Assets = Annotated[AssetService, Depends(service(AssetService))]
Reader = Annotated[Principal, Depends(require_permission("assets:read"))]


class AssetOut(BaseModel):
    asset_id: str
    component_count: int
    file_count: int = 0  # files listed with digests (matched against file-hash indicators)
    run_id: str
    updated_at: datetime


class ComponentOut(BaseModel):
    id: str
    asset_id: str
    name: str
    version: str | None = None
    type: str | None = None
    purl: str | None = None
    licenses: list[str] = []
    locations: list[str] = []


class ComponentPage(BaseModel):
    items: list[ComponentOut]
    next_cursor: str | None


@router.get("", response_model=list[AssetOut])
async def list_assets(principal: Reader, assets: Assets) -> list[dict[str, Any]]:
    """Lists the team's assets that have an SBOM."""
    return await assets.assets(team_id=principal.team)


@router.get("/components", response_model=ComponentPage)
async def list_components(principal: Reader, assets: Assets,
                          q: Annotated[str | None, Query(max_length=200)] = None,
                          asset: Annotated[str | None, Query(max_length=4000)] = None,
                          cursor: Annotated[str | None, Query(max_length=500)] = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ComponentPage:
    """Searches the team's software components by name."""
    items, next_cursor = await assets.search(team_id=principal.team, q=q, asset_id=asset, cursor=cursor,
                                             limit=limit)
    return ComponentPage(items=[ComponentOut.model_validate(item) for item in items], next_cursor=next_cursor)

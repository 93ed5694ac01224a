"""Cloud asset inventory API: assets with filters, asset detail (timeline, findings), discovery runs.

Part of the Assets module (its switch and ``assets:read``); starting a discovery or an import
needs ``assets:write``. Cloud accounts
themselves are managed by the cloud accounts module (``/api/cloud-accounts``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.core.errors import PayloadTooLarge
from cspm.core.fields import SingleLineText
from cspm.inventory.models import ChangeKind
from cspm.inventory.schemas import (
    CloudAssetDetail,
    CloudAssetPage,
    DiscoveryRunDetail,
    DiscoveryRunOut,
    ResolvedResource,
)
from cspm.inventory.service import InventoryService

router = APIRouter(tags=["inventory"])
Inventory = Annotated[InventoryService, Depends(service(InventoryService))]
Reader = Annotated[Principal, Depends(require_permission("assets:read"))]
Writer = Annotated[Principal, Depends(require_permission("assets:write"))]
ObjectIdPath = Annotated[str, Path(min_length=24, max_length=24)]
RunIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Filter = Annotated[SingleLineText | None, Query(max_length=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
MAX_IMPORT = 2 * 1024 * 1024  # the API's body limit for uploads other than scanner reports


@router.get("/assets", response_model=CloudAssetPage)
async def list_assets(principal: Reader, inventory: Inventory, type: Filter = None, account_id: Filter = None,
                      region: Filter = None, q: Filter = None, include_removed: bool = False, offset: Offset = 0,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> CloudAssetPage:
    """Lists the team's cloud resources, filtered by type, cloud account, region or text."""
    page = await inventory.list_assets(team_id=principal.team, resource_type=type, account_id=account_id,
                                       region=region, q=q, include_removed=include_removed, offset=offset,
                                       limit=limit)
    return CloudAssetPage.model_validate(page)


@router.get("/assets/{asset_id}", response_model=CloudAssetDetail)
async def get_asset(asset_id: ObjectIdPath, principal: Reader, inventory: Inventory) -> CloudAssetDetail:
    """Shows one asset with its attributes, its discovery timeline and the findings on it."""
    return CloudAssetDetail.model_validate(await inventory.asset_detail(team_id=principal.team, asset_id=asset_id))


@router.get("/resolve", response_model=list[ResolvedResource])
async def resolve_resource(principal: Reader, inventory: Inventory,
                           resource_id: Annotated[SingleLineText, Query(min_length=1, max_length=2048)],
                           ) -> list[dict[str, Any]]:
    """What a tool's resource id names (a finding's resource: ARN, GCP name, Azure id, image reference or
    digest, host:port, URL), each match with its ``kind``: ``cloud_asset`` (with the same link key),
    ``registry_image`` (same digest, when the registries module is on) or ``target`` (a scan target covering
    that host and port, when the scans module is on)."""
    return await inventory.resolve(team_id=principal.team, resource_id=resource_id)


@router.post("/accounts/{account_id}/discover", status_code=status.HTTP_202_ACCEPTED,
             response_model=DiscoveryRunOut)
async def discover_account(account_id: ObjectIdPath, principal: Writer, inventory: Inventory) -> DiscoveryRunOut:
    """Starts a discovery of the cloud account's resources (a background job); poll the run."""
    return DiscoveryRunOut.model_validate(await inventory.queue_discovery(
        team_id=principal.team, account_id=account_id, actor=principal.user_id))


@router.post("/accounts/{account_id}/import", response_model=DiscoveryRunOut)
async def import_steampipe(account_id: ObjectIdPath, principal: Writer, inventory: Inventory,
                           file: Annotated[UploadFile, File(description="steampipe query --output json")],
                           resource_type: Annotated[str, Form(pattern=r"^[a-z0-9]+(?:[:._/-][a-z0-9]+){1,6}$",
                                                              max_length=120)]) -> DiscoveryRunOut:
    """Imports a Steampipe query's JSON output as a discovery run of the account (its diff as for a discovery)."""
    raw = await file.read(MAX_IMPORT + 1)
    if len(raw) > MAX_IMPORT:
        raise PayloadTooLarge(f"file larger than {MAX_IMPORT} bytes")
    return DiscoveryRunOut.model_validate(await inventory.import_steampipe(
        team_id=principal.team, account_id=account_id, actor=principal.user_id, resource_type=resource_type,
        raw=raw))


@router.get("/runs", response_model=list[DiscoveryRunOut])
async def list_runs(principal: Reader, inventory: Inventory, account_id: Filter = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[DiscoveryRunOut]:
    """Lists the team's discovery runs, newest first."""
    return [DiscoveryRunOut.model_validate(run)
            for run in await inventory.list_runs(team_id=principal.team, account_id=account_id, limit=limit)]


@router.get("/runs/{run_id}", response_model=DiscoveryRunDetail)
async def get_run(run_id: RunIdPath, principal: Reader, inventory: Inventory, kind: ChangeKind | None = None,
                  offset: Offset = 0, limit: Annotated[int, Query(ge=1, le=500)] = 200) -> DiscoveryRunDetail:
    """Shows a discovery run and its diff: the assets added, removed and changed (with the changed fields)."""
    return DiscoveryRunDetail.model_validate(await inventory.run_detail(
        team_id=principal.team, run_id=run_id, kind=kind, offset=offset, limit=limit))

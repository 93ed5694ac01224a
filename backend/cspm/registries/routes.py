"""Container registries API: connections (credentials never returned), sync, repositories, images.

Reading needs ``registries:read``; adding, syncing and removing ``registries:write``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.core.fields import SingleLineText
from cspm.registries.models import ImagePage, RegistryCreate, RegistryOut, RepositoryStatus
from cspm.registries.service import RegistryService

router = APIRouter(tags=["registries"])
Registries = Annotated[RegistryService, Depends(service(RegistryService))]
Reader = Annotated[Principal, Depends(require_permission("registries:read"))]
Writer = Annotated[Principal, Depends(require_permission("registries:write"))]
RegistryId = Annotated[str, Path(min_length=24, max_length=24)]


class RegistryDetail(RegistryOut):
    repositories: list[RepositoryStatus]


@router.get("", response_model=list[RegistryOut])
async def list_registries(principal: Reader, registries: Registries) -> list[RegistryOut]:
    """Lists the team's registry connections with their last sync."""
    return [RegistryOut.model_validate(item) for item in await registries.list_registries(team_id=principal.team)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RegistryOut)
async def create_registry(body: RegistryCreate, principal: Writer, registries: Registries) -> RegistryOut:
    """Adds an OCI Distribution v2 or ECR registry; its credentials are stored encrypted and never returned."""
    return RegistryOut.model_validate(await registries.create(team_id=principal.team, actor=principal.user_id,
                                                              request=body))


@router.get("/{registry_id}", response_model=RegistryDetail)
async def get_registry(registry_id: RegistryId, principal: Reader, registries: Registries) -> RegistryDetail:
    """Shows a registry with each repository's sync state and error."""
    return RegistryDetail.model_validate(await registries.get(team_id=principal.team, registry_id=registry_id))


@router.delete("/{registry_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_registry(registry_id: RegistryId, principal: Writer, registries: Registries) -> Response:
    """Removes a registry (soft delete: its images are purged after the retention period)."""
    await registries.delete(team_id=principal.team, registry_id=registry_id, actor=principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{registry_id}/sync", status_code=status.HTTP_202_ACCEPTED, response_model=dict[str, str | bool])
async def sync_registry(registry_id: RegistryId, principal: Writer, registries: Registries) -> dict[str, str | bool]:
    """Queues a sync: repositories, tags and digests; new digests are scanned."""
    return await registries.request_sync(team_id=principal.team, registry_id=registry_id, actor=principal.user_id)


@router.get("/{registry_id}/images", response_model=ImagePage)
async def list_images(registry_id: RegistryId, principal: Reader, registries: Registries,
                      repository: Annotated[SingleLineText | None, Query(max_length=255)] = None,
                      offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ImagePage:
    """Lists a registry's images (one per digest) with their tags and scan state."""
    return ImagePage.model_validate(await registries.list_images(
        team_id=principal.team, registry_id=registry_id, repository=repository, offset=offset, limit=limit))

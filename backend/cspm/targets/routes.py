"""Scan targets API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.targets.schemas import TargetIn, TargetOut, TargetUpdate
from cspm.targets.service import TargetService

router = APIRouter(tags=["targets"])
Targets = Annotated[TargetService, Depends(service(TargetService))]
Reader = Annotated[Principal, Depends(require_permission("targets:read"))]
Writer = Annotated[Principal, Depends(require_permission("targets:write"))]


def _out(document: dict[str, Any]) -> TargetOut:
    return TargetOut.model_validate({**document, "id": str(document["_id"])})


@router.get("", response_model=list[TargetOut])
async def list_targets(principal: Reader, targets: Targets) -> list[TargetOut]:
    """Lists the team's scan targets."""
    return [_out(document) for document in await targets.list_targets(team_id=principal.team)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TargetOut)
async def create_target(principal: Writer, targets: Targets, payload: TargetIn) -> TargetOut:
    """Creates a scan target after checking every tool can scan it (allow-lists included)."""
    return _out(await targets.create(team_id=principal.team, actor=principal.user_id, payload=payload))


@router.get("/{target_id}", response_model=TargetOut)
async def get_target(principal: Reader, targets: Targets, target_id: str) -> TargetOut:
    """Shows one scan target."""
    return _out(await targets.get(team_id=principal.team, target_id=target_id))


@router.patch("/{target_id}", response_model=TargetOut)
async def update_target(principal: Writer, targets: Targets, target_id: str, payload: TargetUpdate) -> TargetOut:
    """Changes a scan target or its schedule."""
    return _out(await targets.update(team_id=principal.team, actor=principal.user_id, target_id=target_id,
                                     payload=payload))


@router.delete("/{target_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_target(principal: Writer, targets: Targets, target_id: str) -> None:
    """Deletes a scan target (its findings stay)."""
    await targets.delete(team_id=principal.team, actor=principal.user_id, target_id=target_id)

"""Business impact analysis API: processes, impact horizons, the dependency view, exercises, asset criticality.

Reading needs ``bia:read`` and changing ``bia:write``. Everything is the team's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.bia.schemas import (
    AssetCriticality,
    AssetCriticalityIn,
    DependencyGraph,
    ExerciseIn,
    ExerciseOut,
    HorizonsIn,
    HorizonsOut,
    ProcessIn,
    ProcessOut,
    ProcessUpdate,
)
from cspm.bia.service import BiaService
from cspm.core.dependencies import service

router = APIRouter(tags=["bia"])

Bia = Annotated[BiaService, Depends(service(BiaService))]
Reader = Annotated[Principal, Depends(require_permission("bia:read"))]
Writer = Annotated[Principal, Depends(require_permission("bia:write"))]


@router.get("/horizons", response_model=HorizonsOut)
async def get_horizons(principal: Reader, bia: Bia) -> HorizonsOut:
    """The team's impact time horizons, the 1-5 scale and the impact categories."""
    return HorizonsOut.model_validate(await bia.horizons_out(principal.team))


@router.put("/horizons", response_model=HorizonsOut)
async def set_horizons(principal: Writer, bia: Bia, body: HorizonsIn) -> HorizonsOut:
    """Replaces the team's time horizons (hours)."""
    return HorizonsOut.model_validate(await bia.set_horizons(principal.team, body.hours, actor=principal.user_id))


@router.get("/processes", response_model=list[ProcessOut])
async def list_processes(principal: Reader, bia: Bia) -> list[ProcessOut]:
    """Business processes and services with their effective tier and MTPD."""
    return [ProcessOut.model_validate(item) for item in await bia.list_processes(principal.team)]


@router.post("/processes", status_code=status.HTTP_201_CREATED, response_model=ProcessOut)
async def create_process(principal: Writer, bia: Bia, process: ProcessIn) -> ProcessOut:
    """Creates a process; RTO above the MTPD (declared or derived from the impacts) is refused."""
    return ProcessOut.model_validate(await bia.create_process(principal.team, process.model_dump(mode="python"),
                                                              actor=principal.user_id))


@router.get("/processes/{process_id}", response_model=ProcessOut)
async def get_process(principal: Reader, bia: Bia, process_id: str) -> ProcessOut:
    """One process."""
    return ProcessOut.model_validate(await bia.get_process(principal.team, process_id))


@router.patch("/processes/{process_id}", response_model=ProcessOut)
async def update_process(principal: Writer, bia: Bia, process_id: str, changes: ProcessUpdate) -> ProcessOut:
    """Changes a process (the same RTO/MTPD rules apply to the result)."""
    return ProcessOut.model_validate(await bia.update_process(
        principal.team, process_id, changes.model_dump(mode="python", exclude_unset=True), actor=principal.user_id))


@router.delete("/processes/{process_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_process(principal: Writer, bia: Bia, process_id: str) -> None:
    """Deletes a process."""
    await bia.delete_process(principal.team, process_id, actor=principal.user_id)


@router.get("/dependencies", response_model=DependencyGraph)
async def dependency_graph(principal: Reader, bia: Bia) -> DependencyGraph:
    """Processes and what they depend on, each node with the tier that flows to it."""
    return DependencyGraph.model_validate(await bia.dependency_graph(principal.team))


@router.post("/asset-criticality", response_model=list[AssetCriticality])
async def asset_criticality(principal: Reader, bia: Bia, body: AssetCriticalityIn) -> list[AssetCriticality]:
    """Per asset key, the most critical tier of the processes depending on it, and their names."""
    found = await bia.asset_criticality(principal.team, body.refs)
    return [AssetCriticality.model_validate(item) for item in found.values()]


@router.get("/exercises", response_model=list[ExerciseOut])
async def list_exercises(principal: Reader, bia: Bia,
                         process_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{24}$")] = None
                         ) -> list[ExerciseOut]:
    """Exercises, newest first, optionally of one process."""
    return [ExerciseOut.model_validate(item) for item in await bia.list_exercises(principal.team, process_id)]


@router.post("/exercises", status_code=status.HTTP_201_CREATED, response_model=ExerciseOut)
async def record_exercise(principal: Writer, bia: Bia, exercise: ExerciseIn) -> ExerciseOut:
    """Records an exercise; one that misses its process's RTO becomes a risk proposal."""
    return ExerciseOut.model_validate(await bia.record_exercise(principal.team, exercise.model_dump(mode="python"),
                                                                actor=principal.user_id))

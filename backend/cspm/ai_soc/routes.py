"""AI-SOC API: the case queue, a case's reasoning trail, applying recommendations, runs, the daily brief.

Reading needs ``ai_soc:read``; applying a recommendation and starting a run ``ai_soc:write``;
the team's auto-apply list ``modules:manage`` (team admins). Everything is the caller's team's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from cspm.ai_soc import seams
from cspm.ai_soc.schemas import (
    AppliedOut,
    BriefOut,
    CaseActionIn,
    CaseDetail,
    CasePage,
    SettingsIn,
    SettingsOut,
    SocRunOut,
    StatusOut,
)
from cspm.ai_soc.service import AiSocService
from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.core.errors import NotFound

router = APIRouter(tags=["ai-soc"])

Soc = Annotated[AiSocService, Depends(service(AiSocService))]
Reader = Annotated[Principal, Depends(require_permission("ai_soc:read"))]
Writer = Annotated[Principal, Depends(require_permission("ai_soc:write"))]
Admin = Annotated[Principal, Depends(require_permission("modules:manage"))]


@router.get("/status", response_model=StatusOut)
async def soc_status(principal: Reader, soc: Soc) -> StatusOut:
    """What the agents have to work with: the LLM, BIA criticality, tickets and risks."""
    tickets = "available" if seams.ticket_action(soc.container) else seams.TICKETS_ABSENT
    risks = "available" if seams.risk_action(soc.container) else seams.RISKS_ABSENT
    return StatusOut(llm=soc.llm_status(), bia=seams.BIA_ABSENT, tickets=tickets,  # type: ignore[arg-type]
                     risks=risks)


@router.get("/cases", response_model=CasePage)
async def list_cases(principal: Reader, soc: Soc,
                     case_status: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = "open",
                     offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> CasePage:
    """The case queue, highest priority first."""
    return CasePage.model_validate(await soc.list_cases(team_id=principal.team, status=case_status, offset=offset,
                                                        limit=limit))


@router.get("/cases/{case_id}", response_model=CaseDetail)
async def get_case(principal: Reader, soc: Soc, case_id: str) -> CaseDetail:
    """A case: its findings, the reasoning trail per agent with citations, and the actions it offers."""
    return CaseDetail.model_validate(await soc.case(team_id=principal.team, case=case_id))


@router.post("/cases/{case_id}/actions", response_model=AppliedOut)
async def apply_action(principal: Writer, soc: Soc, case_id: str, body: CaseActionIn, request: Request) -> AppliedOut:
    """Applies a decision to the case's active findings (a person's act, audited)."""
    return AppliedOut.model_validate(await soc.apply(
        team_id=principal.team, actor=principal.user_id, case=case_id, action=body.action, reason=body.reason,
        risk_owner=body.risk_owner, expires_at=body.expires_at,
        ip=request.client.host if request.client else None))


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED, response_model=SocRunOut)
async def start_run(principal: Writer, soc: Soc) -> SocRunOut:
    """Runs the triage pipeline on the team's active findings now (a background job)."""
    return SocRunOut.model_validate(await soc.start_run(team_id=principal.team, actor=principal.user_id))


@router.get("/runs", response_model=list[SocRunOut])
async def list_runs(principal: Reader, soc: Soc) -> list[SocRunOut]:
    """The team's recent runs with their counts and per-agent durations."""
    return [SocRunOut.model_validate(run) for run in await soc.recent_runs(team_id=principal.team)]


@router.get("/runs/{run_id}", response_model=SocRunOut)
async def get_run(principal: Reader, soc: Soc, run_id: str) -> SocRunOut:
    """One run: state, counts, per-agent durations, LLM use."""
    return SocRunOut.model_validate(await soc.run(team_id=principal.team, run_id=run_id))


@router.get("/brief", response_model=BriefOut)
async def latest_brief(principal: Reader, soc: Soc) -> BriefOut:
    """The team's latest daily brief."""
    brief = await soc.latest_brief(team_id=principal.team)
    if brief is None:
        raise NotFound("no brief yet: generate one (POST /api/ai-soc/brief) or wait for the daily job")
    return BriefOut.model_validate(brief)


@router.post("/brief", status_code=status.HTTP_201_CREATED, response_model=BriefOut)
async def generate_brief(principal: Writer, soc: Soc) -> BriefOut:
    """Builds today's brief now from stored data (templates; with an LLM narrative when configured)."""
    return BriefOut.model_validate(await soc.generate_brief(team_id=principal.team))


@router.get("/settings", response_model=SettingsOut)
async def get_settings(principal: Reader, soc: Soc) -> SettingsOut:
    """The team's auto-apply list and the actions that may be on it."""
    return SettingsOut.model_validate(await soc.get_settings(team_id=principal.team))


@router.put("/settings", response_model=SettingsOut)
async def put_settings(principal: Admin, soc: Soc, body: SettingsIn) -> SettingsOut:
    """Sets which low-risk recommendations the pipeline applies by itself (team admins)."""
    return SettingsOut.model_validate(await soc.put_settings(team_id=principal.team, actor=principal.user_id,
                                                             auto_apply=body.auto_apply))

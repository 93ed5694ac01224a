"""Risk register API: risks, the matrix and heat map, treatment actions, acceptances, KRIs, proposals, events.

Reading needs ``risks:read``, changing ``risks:write``; deciding an acceptance needs ``risks:approve``
(team admins), and the requester of an acceptance can never decide it. Everything is the team's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.core.fields import SingleLineText
from cspm.risks.kri import KriService
from cspm.risks.models import AcceptanceState, RiskStatus, Treatment
from cspm.risks.proposals import ProposalService
from cspm.risks.schemas import (
    AcceptanceDecision,
    AcceptanceIn,
    AcceptanceOut,
    ActionUpdate,
    HeatMapOut,
    KriIn,
    KriOut,
    MatrixIn,
    MatrixOut,
    ProposalDecision,
    ProposalOut,
    ProposalRun,
    RiskDetail,
    RiskEventOut,
    RiskFromFinding,
    RiskIn,
    RiskPage,
    RiskUpdate,
    TreatmentActionIn,
)
from cspm.risks.service import RiskService

router = APIRouter(tags=["risks"])

Risks = Annotated[RiskService, Depends(service(RiskService))]
Kris = Annotated[KriService, Depends(service(KriService))]
Proposals = Annotated[ProposalService, Depends(service(ProposalService))]
Reader = Annotated[Principal, Depends(require_permission("risks:read"))]
Writer = Annotated[Principal, Depends(require_permission("risks:write"))]
Approver = Annotated[Principal, Depends(require_permission("risks:approve"))]
Filter = Annotated[SingleLineText | None, Query(max_length=200)]
Scale = Annotated[int | None, Query(ge=1, le=5)]


@router.get("", response_model=RiskPage)
async def list_risks(principal: Reader, risks: Risks, status_: Annotated[RiskStatus | None, Query(alias="status")]
                     = None, treatment: Treatment | None = None, owner: Filter = None, category: Filter = None,
                     q: Filter = None, level: Filter = None,
                     cell: Annotated[Literal["inherent", "residual"] | None, Query(
                         description="Heat map cell filter: which map, with likelihood and impact")] = None,
                     likelihood: Scale = None, impact: Scale = None) -> RiskPage:
    """Lists the team's risks with filters; cell+likelihood+impact is a click on a heat map cell."""
    clicked = (cell, likelihood, impact) if cell and likelihood and impact else None
    found = await risks.list_risks(principal.team, status=status_.value if status_ else None,
                                   treatment=treatment.value if treatment else None, owner=owner, category=category,
                                   text=q, cell=clicked, level=level)
    return RiskPage.model_validate({"risks": found, "total": len(found)})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RiskDetail)
async def create_risk(principal: Writer, risks: Risks, risk: RiskIn) -> RiskDetail:
    """Creates a risk (a scenario) with its inherent likelihood and impact on the team's matrix."""
    return RiskDetail.model_validate(await risks.create_risk(principal.team, risk.model_dump(mode="python"),
                                                             actor=principal.user_id))


@router.post("/from-finding", status_code=status.HTTP_201_CREATED, response_model=RiskDetail)
async def create_from_finding(principal: Writer, risks: Risks, body: RiskFromFinding) -> RiskDetail:
    """Creates a risk from a finding: title, asset and likelihood (from its severity) filled in, the finding linked."""
    return RiskDetail.model_validate(await risks.create_from_finding(
        principal.team, body.finding_id, owner=body.owner, impact=body.impact, actor=principal.user_id))


@router.get("/heatmap", response_model=HeatMapOut)
async def heat_map(principal: Reader, risks: Risks) -> HeatMapOut:
    """Counts of open risks per cell, inherent and residual, on the team's matrix."""
    return HeatMapOut.model_validate(await risks.heat_map(principal.team))


@router.get("/matrix", response_model=MatrixOut)
async def get_matrix(principal: Reader, risks: Risks) -> MatrixOut:
    """The team's risk matrix (the default preset until a team admin or analyst changes it)."""
    return MatrixOut.model_validate(await risks.matrix(principal.team))


@router.put("/matrix", response_model=MatrixOut)
async def set_matrix(principal: Writer, risks: Risks, body: MatrixIn) -> MatrixOut:
    """Replaces the matrix (a preset, or custom labels, levels and cells) and re-scores every risk."""
    return MatrixOut.model_validate(await risks.set_matrix(principal.team, body.model_dump(mode="json"),
                                                           actor=principal.user_id))


@router.get("/acceptances", response_model=list[AcceptanceOut])
async def list_acceptances(principal: Reader, risks: Risks, state: AcceptanceState | None = None
                           ) -> list[AcceptanceOut]:
    """Risk acceptances of the team, newest first."""
    return [AcceptanceOut.model_validate(item) for item in await risks.list_acceptances(
        principal.team, state=state.value if state else None)]


@router.post("/acceptances/{acceptance_id}/decision", response_model=AcceptanceOut)
async def decide_acceptance(principal: Approver, risks: Risks, acceptance_id: str,
                            body: AcceptanceDecision) -> AcceptanceOut:
    """A team admin other than the requester approves (the risk and its findings become accepted) or rejects."""
    return AcceptanceOut.model_validate(await risks.decide_acceptance(
        principal.team, acceptance_id, approve=body.approve, comment=body.comment, actor=principal.user_id))


@router.get("/kris", response_model=list[KriOut])
async def list_kris(principal: Reader, kris: Kris) -> list[KriOut]:
    """Key risk indicators with their latest value, status and history."""
    return [KriOut.model_validate(item) for item in await kris.list_kris(principal.team)]


@router.post("/kris", status_code=status.HTTP_201_CREATED, response_model=KriOut)
async def create_kri(principal: Writer, kris: Kris, body: KriIn) -> KriOut:
    """Defines a KRI (metric, scope, thresholds) and computes it once."""
    return KriOut.model_validate(await kris.create(principal.team, body.model_dump(mode="json"),
                                                   actor=principal.user_id))


@router.post("/kris/compute", response_model=list[KriOut])
async def compute_kris(principal: Writer, kris: Kris) -> list[KriOut]:
    """Computes every KRI of the team now (the schedule does it too)."""
    await kris.compute(principal.team)
    return [KriOut.model_validate(item) for item in await kris.list_kris(principal.team)]


@router.delete("/kris/{kri_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_kri(principal: Writer, kris: Kris, kri_id: str) -> None:
    """Deletes a KRI definition."""
    await kris.delete(principal.team, kri_id, actor=principal.user_id)


@router.get("/proposals", response_model=list[ProposalOut])
async def list_proposals(principal: Reader, proposals: Proposals,
                         state: Literal["open", "accepted", "dismissed"] | None = None) -> list[ProposalOut]:
    """The proposals inbox: suggested risks with their evidence."""
    return [ProposalOut.model_validate(item) for item in await proposals.list_proposals(principal.team, state=state)]


@router.post("/proposals/generate", response_model=ProposalRun)
async def generate_proposals(principal: Writer, proposals: Proposals) -> ProposalRun:
    """Looks at the team's data now for new proposals (the schedule does it too)."""
    return ProposalRun.model_validate(await proposals.generate(principal.team))


@router.post("/proposals/{proposal_id}/decision", response_model=ProposalOut)
async def decide_proposal(principal: Writer, proposals: Proposals, proposal_id: str,
                          body: ProposalDecision) -> ProposalOut:
    """Accepts a proposal (a risk is created from it) or dismisses it with a reason."""
    return ProposalOut.model_validate(await proposals.decide(principal.team, proposal_id, accept=body.accept,
                                                             reason=body.reason, owner=body.owner,
                                                             actor=principal.user_id))


@router.get("/events", response_model=list[RiskEventOut])
async def list_events(principal: Reader, risks: Risks, owner: Filter = None) -> list[RiskEventOut]:
    """Drift-style events of the register: residual raised by a control regression, KRI red, acceptance expired."""
    return [RiskEventOut.model_validate(item) for item in await risks.list_events(principal.team, owner=owner)]


@router.get("/{risk_id}", response_model=RiskDetail)
async def get_risk(principal: Reader, risks: Risks, risk_id: str) -> RiskDetail:
    """One risk with its actions, linked controls and their live state, acceptance and history."""
    return RiskDetail.model_validate(await risks.get_risk(principal.team, risk_id))


@router.patch("/{risk_id}", response_model=RiskDetail)
async def update_risk(principal: Writer, risks: Risks, risk_id: str, changes: RiskUpdate) -> RiskDetail:
    """Changes a risk; every change is kept in its history with the reason."""
    return RiskDetail.model_validate(await risks.update_risk(
        principal.team, risk_id, changes.model_dump(mode="python", exclude_unset=True), actor=principal.user_id))


@router.delete("/{risk_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_risk(principal: Writer, risks: Risks, risk_id: str) -> None:
    """Deletes a risk."""
    await risks.delete_risk(principal.team, risk_id, actor=principal.user_id)


@router.post("/{risk_id}/actions", status_code=status.HTTP_201_CREATED, response_model=RiskDetail)
async def add_action(principal: Writer, risks: Risks, risk_id: str, action: TreatmentActionIn) -> RiskDetail:
    """Adds a treatment action, linked to SCF controls whose live state computes the residual risk."""
    return RiskDetail.model_validate(await risks.add_action(principal.team, risk_id, action.model_dump(mode="python"),
                                                            actor=principal.user_id))


@router.patch("/{risk_id}/actions/{action_id}", response_model=RiskDetail)
async def update_action(principal: Writer, risks: Risks, risk_id: str, action_id: str,
                        changes: ActionUpdate) -> RiskDetail:
    """Changes a treatment action (status, owner, due date, controls)."""
    return RiskDetail.model_validate(await risks.update_action(
        principal.team, risk_id, action_id, changes.model_dump(mode="python", exclude_unset=True),
        actor=principal.user_id))


@router.delete("/{risk_id}/actions/{action_id}", response_model=RiskDetail)
async def delete_action(principal: Writer, risks: Risks, risk_id: str, action_id: str) -> RiskDetail:
    """Removes a treatment action."""
    return RiskDetail.model_validate(await risks.update_action(principal.team, risk_id, action_id, {},
                                                               actor=principal.user_id, delete=True))


@router.post("/{risk_id}/acceptances", status_code=status.HTTP_201_CREATED, response_model=AcceptanceOut)
async def request_acceptance(principal: Writer, risks: Risks, risk_id: str, body: AcceptanceIn) -> AcceptanceOut:
    """Requests acceptance of a risk until an expiry; a team admin other than the requester decides."""
    return AcceptanceOut.model_validate(await risks.request_acceptance(
        principal.team, risk_id, reason=body.reason, expires_at=body.expires_at, actor=principal.user_id))

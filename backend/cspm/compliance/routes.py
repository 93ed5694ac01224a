"""Compliance API (mounted at /api/compliance): scores, detail, manual statuses, drift, statement of applicability.

Every route declares ``compliance:read`` or ``compliance:write`` and passes the principal's
active team to the service; the SCF registry itself is global and read-only here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from cspm.auth.dependencies import Principal, require_permission
from cspm.compliance import report
from cspm.compliance.models import DriftKind, RequirementAnswer, StatusOverride
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.service import ComplianceService
from cspm.core.container import ServiceContainer
from cspm.core.dependencies import service
from cspm.core.fields import MultiLineText
from cspm.teams.service import TeamService


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the active registry at start-up so the integrity monitor reports it from the first request."""
    await app.state.container.resolve(CommonControlRegistryService).refresh()
    yield


async def on_startup(container: ServiceContainer) -> None:
    """A first start imports the bundled SCF workbook in the background; the baseline serves meanwhile."""
    registries = container.resolve(CommonControlRegistryService)
    if await registries.needs_bundled_import():
        job_id = await container.dispatcher.send("compliance.import_bundled_workbook", {})
        registries.report_bundled_import(f"queued as job {job_id}")


router = APIRouter(tags=["compliance"], lifespan=lifespan)

Reader = Annotated[Principal, Depends(require_permission("compliance:read"))]
Writer = Annotated[Principal, Depends(require_permission("compliance:write"))]
Compliance = Annotated[ComplianceService, Depends(service(ComplianceService))]
Registries = Annotated[CommonControlRegistryService, Depends(service(CommonControlRegistryService))]
Teams = Annotated[TeamService, Depends(service(TeamService))]


class ClearOverride(BaseModel):
    reason: MultiLineText = Field(min_length=3, max_length=2000)


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/registry")
async def registry_status(principal: Reader, registries: Registries) -> dict[str, Any]:
    """Returns the active SCF registry: source (workbook or built-in baseline), release and counts."""
    return (await registries.status()).model_dump()


@router.get("/frameworks")
async def list_frameworks(principal: Reader, compliance: Compliance) -> dict[str, Any]:
    """Lists every framework of the registry with the team's score (satisfied / applicable requirements)."""
    return await compliance.frameworks(principal.team)


@router.get("/frameworks/{framework_id}")
async def framework_detail(framework_id: str, principal: Reader, compliance: Compliance) -> dict[str, Any]:
    """Returns a framework's requirements, their SCF controls, the team's state, findings and evidence."""
    return await compliance.framework_detail(principal.team, framework_id)


@router.get("/frameworks/{framework_id}/report", response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "The framework's compliance report (PDF)"}})
async def framework_report(framework_id: str, request: Request, principal: Reader, compliance: Compliance,
                           teams: Teams) -> Response:
    """The framework's compliance report as PDF: summary, every requirement's state with its evidence counts,
    and the drift since the team's previous report of it."""
    content = await compliance.framework_report(principal.team, framework_id, actor=principal.user_id,
                                                ip=_ip(request))
    team = await teams.get(team_id=principal.team)
    pdf = await asyncio.to_thread(report.render_pdf, content["detail"], content["drift"],
                                  team_name=team.get("name") or principal.team, generated_at=content["generated_at"])
    name = re.sub(r"[^A-Za-z0-9._-]", "_", framework_id)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="compliance-{name}-{content["generated_at"]:%Y%m%d}.pdf"',
        "Cache-Control": "no-store"})


@router.get("/frameworks/{framework_id}/equivalents")
async def requirement_equivalents(framework_id: str, principal: Reader, compliance: Compliance,
                                  requirement_id: Annotated[str, Query(min_length=1, max_length=200)]) -> list[dict]:
    """Lists the requirements of other frameworks that share SCF controls with one requirement."""
    return await compliance.equivalents(framework_id, requirement_id)


@router.post("/frameworks/{framework_id}/answers")
async def answer_requirement(framework_id: str, body: RequirementAnswer, request: Request, principal: Writer,
                             compliance: Compliance) -> dict[str, Any]:
    """Sets the status of a requirement's SCF controls (equivalent requirements follow), with a reason."""
    return await compliance.answer_requirement(principal.team, framework_id, body, actor=principal.user_id,
                                               via=principal.via, token_id=principal.token_id, ip=_ip(request))


@router.get("/frameworks/{framework_id}/soa")
async def statement_of_applicability(framework_id: str, principal: Reader, compliance: Compliance,
                                     format: Literal["json", "csv"] = "json") -> Response:
    """Exports the framework's statement of applicability as JSON or CSV."""
    rows = await compliance.statement_of_applicability(principal.team, framework_id)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    if format == "csv":
        return Response(compliance.soa_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="soa-{framework_id}-{stamp}.csv"'})
    return JSONResponse({"framework_id": framework_id, "generated_at": datetime.now(UTC).isoformat(),
                         "requirements": rows})


@router.get("/controls/{scf_id}")
async def control_detail(scf_id: str, principal: Reader, compliance: Compliance) -> dict[str, Any]:
    """Returns a control, the team's state and history, its findings with the reason of each link."""
    return await compliance.control_detail(principal.team, scf_id.upper())


@router.get("/findings/{dedup_key}/controls")
async def controls_of_finding(dedup_key: Annotated[str, Path(max_length=128)], principal: Reader,
                              compliance: Compliance) -> list[dict[str, Any]]:
    """Lists the SCF controls a finding is mapped to, with the reason of each link and the control's state."""
    return await compliance.controls_of_finding(principal.team, dedup_key)


@router.put("/controls/{scf_id}/status")
async def set_control_status(scf_id: str, body: StatusOverride, request: Request, principal: Writer,
                             compliance: Compliance) -> dict[str, Any]:
    """Sets a control's status manually, with a reason (audited); it wins over the engine until cleared."""
    return await compliance.set_status(principal.team, scf_id.upper(), body, actor=principal.user_id,
                                       via=principal.via, token_id=principal.token_id, ip=_ip(request))


@router.post("/controls/{scf_id}/status/clear")
async def clear_control_status(scf_id: str, body: ClearOverride, request: Request, principal: Writer,
                               compliance: Compliance) -> dict[str, Any]:
    """Removes a manual status (audited); the engine's status applies again."""
    return await compliance.clear_status(principal.team, scf_id.upper(), actor=principal.user_id,
                                         reason=body.reason, via=principal.via, token_id=principal.token_id,
                                         ip=_ip(request))


@router.get("/drift")
async def drift_timeline(principal: Reader, compliance: Compliance, kind: DriftKind | None = None,
                         since: datetime | None = None, cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """Lists the team's drift events, newest first (cursor-paginated)."""
    return await compliance.drift_timeline(principal.team, kind=kind.value if kind else None, since=since,
                                           cursor=cursor, limit=limit)


@router.get("/frameworks/{framework_id}/history")
async def score_history(framework_id: str, principal: Reader, compliance: Compliance,
                        days: Annotated[int, Query(ge=1, le=366)] = 30) -> list[dict[str, Any]]:
    """Returns the framework's score at each snapshot of the last ``days`` days."""
    return await compliance.score_history(principal.team, framework_id, datetime.now(UTC) - timedelta(days=days))

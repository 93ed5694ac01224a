"""Assessments API (mounted at /api/assessments): templates, assessments, answers, evidence, exports.

Reading needs ``assessments:read`` and changing ``assessments:write``; every route passes the
principal's active team to the service.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response

from cspm.assessments.export import csv_text, json_document, pdf_bytes
from cspm.assessments.frameworks import shipped_library
from cspm.assessments.models import RequirementState
from cspm.assessments.schemas import (
    AnswerIn,
    AnswerResult,
    AssessmentCreate,
    AssessmentOut,
    AssessmentUpdate,
    BulkAnswerIn,
    BulkAnswerResult,
    EvidenceOut,
    RequirementOut,
    RequirementPage,
    StatusChangeIn,
    TemplateOut,
)
from cspm.assessments.service import Actor, AssessmentService
from cspm.assessments.settings import EVIDENCE_HARD_LIMIT
from cspm.auth.dependencies import Principal, require_permission
from cspm.core.container import ServiceContainer
from cspm.core.dependencies import service
from cspm.core.errors import PayloadTooLarge
from cspm.core.fields import SingleLineText

router = APIRouter(tags=["assessments"])

Assessments = Annotated[AssessmentService, Depends(service(AssessmentService))]
Reader = Annotated[Principal, Depends(require_permission("assessments:read"))]
Writer = Annotated[Principal, Depends(require_permission("assessments:write"))]
AssessmentId = Annotated[str, Path(max_length=64)]
RefPath = Annotated[str, Path(max_length=20)]


async def on_startup(container: ServiceContainer) -> None:
    """Load and validate the shipped framework files: a broken one stops start-up with its name."""
    await asyncio.to_thread(shipped_library)


def _actor(principal: Principal, request: Request) -> Actor:
    return Actor(principal.user_id, principal.email, via=principal.via, token_id=principal.token_id,
                 ip=request.client.host if request.client else None)


@router.get("/templates", response_model=list[TemplateOut])
async def list_templates(principal: Reader, assessments: Assessments) -> list[dict[str, Any]]:
    """Lists the frameworks an assessment can be created from, with their requirement counts."""
    return assessments.templates()


@router.post("", response_model=AssessmentOut, status_code=status.HTTP_201_CREATED)
async def create_assessment(body: AssessmentCreate, request: Request, principal: Writer,
                            assessments: Assessments) -> dict[str, Any]:
    """Creates an assessment from a template (ASVS with a level, NIST CSF with a target profile)."""
    return await assessments.create(principal.team, body, _actor(principal, request))


@router.get("", response_model=list[AssessmentOut])
async def list_assessments(principal: Reader, assessments: Assessments) -> list[dict[str, Any]]:
    """Lists the team's assessments with progress and scores, most recently changed first."""
    return await assessments.list_assessments(principal.team)


@router.get("/{assessment_id}", response_model=AssessmentOut)
async def get_assessment(assessment_id: AssessmentId, principal: Reader, assessments: Assessments) -> dict[str, Any]:
    """Returns an assessment with progress per chapter or function and its scores."""
    return await assessments.get(principal.team, assessment_id)


@router.patch("/{assessment_id}", response_model=AssessmentOut)
async def update_assessment(assessment_id: AssessmentId, body: AssessmentUpdate, request: Request,
                            principal: Writer, assessments: Assessments) -> dict[str, Any]:
    """Changes an assessment's name, scope, owner, due date or (CSF) target profile."""
    return await assessments.update(principal.team, assessment_id, body, _actor(principal, request))


@router.delete("/{assessment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_assessment(assessment_id: AssessmentId, request: Request, principal: Writer,
                            assessments: Assessments) -> Response:
    """Deletes an assessment, its evidence and history, and withdraws what it told the compliance engine."""
    await assessments.delete(principal.team, assessment_id, _actor(principal, request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{assessment_id}/status", response_model=AssessmentOut)
async def change_status(assessment_id: AssessmentId, body: StatusChangeIn, request: Request, principal: Writer,
                        assessments: Assessments) -> dict[str, Any]:
    """Moves an assessment on (in review, completed: answers locked) or reopens it with a reason (audited)."""
    return await assessments.change_status(principal.team, assessment_id, body, _actor(principal, request))


@router.post("/{assessment_id}/suggestions/refresh", response_model=AssessmentOut)
async def refresh_suggestions(assessment_id: AssessmentId, principal: Writer,
                              assessments: Assessments) -> dict[str, Any]:
    """Recomputes the answers suggested by the open scan findings of the targets in scope."""
    return await assessments.refresh_suggestions(principal.team, assessment_id)


@router.get("/{assessment_id}/requirements", response_model=RequirementPage)
async def list_requirements(
        assessment_id: AssessmentId, principal: Reader, assessments: Assessments,
        group: Annotated[str | None, Query(max_length=10, description="Chapter (V3) or function (PR)")] = None,
        section: Annotated[str | None, Query(max_length=12, description="Section (V3.4) or category (PR.AA)")] = None,
        state: RequirementState | None = None, level: Annotated[int | None, Query(ge=1, le=3)] = None,
        q: Annotated[str | None, Query(max_length=200)] = None, offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=400)] = 100) -> dict[str, Any]:
    """Lists the requirements in scope with their answers, suggestions and evidence (filterable)."""
    return await assessments.requirements(principal.team, assessment_id, group=group, section=section, state=state,
                                          level=level, q=q, offset=offset, limit=limit)


@router.get("/{assessment_id}/requirements/{ref}", response_model=RequirementOut)
async def get_requirement(assessment_id: AssessmentId, ref: RefPath, principal: Reader,
                          assessments: Assessments) -> dict[str, Any]:
    """Returns one requirement with its answer, evidence, suggestion and answer history."""
    return await assessments.requirement(principal.team, assessment_id, ref)


@router.put("/{assessment_id}/requirements/{ref}", response_model=AnswerResult)
async def answer_requirement(assessment_id: AssessmentId, ref: RefPath, body: AnswerIn, request: Request,
                             principal: Writer, assessments: Assessments) -> dict[str, Any]:
    """Answers a requirement (met, partially met, not met, not applicable with a reason; CSF: the tier)."""
    return await assessments.answer(principal.team, assessment_id, ref, body, _actor(principal, request))


@router.post("/{assessment_id}/answers", response_model=BulkAnswerResult)
async def bulk_answer(assessment_id: AssessmentId, body: BulkAnswerIn, request: Request, principal: Writer,
                      assessments: Assessments) -> dict[str, Any]:
    """Answers several requirements at once (all or none)."""
    return await assessments.bulk_answer(principal.team, assessment_id, body.answers, _actor(principal, request))


@router.get("/{assessment_id}/requirements/{ref}/controls")
async def requirement_controls(assessment_id: AssessmentId, ref: RefPath, principal: Reader,
                               assessments: Assessments,
                               framework: Annotated[list[str] | None, Query(max_length=20)] = None
                               ) -> dict[str, Any]:
    """Lists the SCF controls a requirement's answer feeds and the other frameworks' requirements behind them."""
    return await assessments.controls(principal.team, assessment_id, ref, framework)


@router.post("/{assessment_id}/evidence", response_model=EvidenceOut, status_code=status.HTTP_201_CREATED)
async def add_evidence(
        assessment_id: AssessmentId, request: Request, principal: Writer, assessments: Assessments,
        file: Annotated[UploadFile | None, File(description="Evidence file (PDF, image, text, CSV, JSON, Office)")]
        = None,
        ref: Annotated[SingleLineText | None, Form(max_length=20, description="Requirement it supports")] = None,
        title: Annotated[SingleLineText | None, Form(max_length=200)] = None,
        url: Annotated[SingleLineText | None, Form(max_length=2000, pattern=r"^https?://",
                                                   description="A link instead of a file")] = None,
) -> dict[str, Any]:
    """Uploads an evidence file (size and type checked, stored with its SHA-256) or records a link."""
    data = None
    if file is not None:
        limit = min(assessments.settings.evidence_max_bytes, EVIDENCE_HARD_LIMIT)
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"evidence file larger than {limit} bytes (ASSESSMENTS_EVIDENCE_MAX_BYTES)")
    return await assessments.add_evidence(principal.team, assessment_id, ref=ref or None,
                                          actor=_actor(principal, request),
                                          file_name=file.filename if file is not None else None, data=data,
                                          title=title, url=url)


@router.get("/{assessment_id}/evidence", response_model=list[EvidenceOut])
async def list_evidence(assessment_id: AssessmentId, principal: Reader,
                        assessments: Assessments) -> list[dict[str, Any]]:
    """Lists an assessment's evidence files and links."""
    return await assessments.list_evidence(principal.team, assessment_id)


@router.get("/{assessment_id}/evidence/{evidence_id}")
async def download_evidence(assessment_id: AssessmentId, evidence_id: Annotated[str, Path(max_length=64)],
                            principal: Reader, assessments: Assessments) -> Response:
    """Downloads an evidence file (as an attachment, with its SHA-256 in a header)."""
    entry = await assessments.evidence_file(principal.team, assessment_id, evidence_id)
    name = entry["file_name"]
    return Response(bytes(entry["data"]), media_type=entry["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "X-Content-SHA256": entry["sha256"], "Content-Security-Policy": "sandbox; default-src 'none'"})


@router.delete("/{assessment_id}/evidence/{evidence_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_evidence(assessment_id: AssessmentId, evidence_id: Annotated[str, Path(max_length=64)],
                          request: Request, principal: Writer, assessments: Assessments) -> Response:
    """Removes an evidence file or link (not from a completed assessment)."""
    await assessments.remove_evidence(principal.team, assessment_id, evidence_id, _actor(principal, request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{assessment_id}/export")
async def export_assessment(assessment_id: AssessmentId, principal: Reader, assessments: Assessments,
                            format: Literal["csv", "json", "pdf"] = "json") -> Response:
    """Exports an assessment with every requirement and answer as CSV, JSON or a PDF report."""
    summary, rows = await assessments.export_rows(principal.team, assessment_id)
    template = next(t for t in assessments.templates() if t["id"] == summary["template"])
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    base = f"assessment-{summary['id']}-{stamp}"
    if format == "csv":
        return Response(csv_text(summary, rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{base}.csv"'})
    if format == "pdf":
        pdf = await asyncio.to_thread(pdf_bytes, summary, rows, template)
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{base}.pdf"'})
    return JSONResponse(json_document(_jsonable(summary), [_jsonable(row) for row in rows], template),
                        headers={"Content-Disposition": f'attachment; filename="{base}.json"'})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


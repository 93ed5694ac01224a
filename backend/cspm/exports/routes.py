"""Exports API: the filtered findings list as a streamed CSV, JSON, OCSF or SARIF download, and the executive PDF."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from cspm.auth.dependencies import Principal, client_info, require_permission
from cspm.core.dependencies import service
from cspm.exports.executive import render_pdf
from cspm.exports.formats import EXTENSIONS, MEDIA_TYPES, ExportFormat
from cspm.exports.service import ExportService
from cspm.findings.routes import Filters

router = APIRouter(tags=["exports"])

Exports = Annotated[ExportService, Depends(service(ExportService))]
Reader = Annotated[Principal, Depends(require_permission("exports:read"))]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@router.get("/findings", response_class=StreamingResponse,
            responses={200: {"content": {media: {} for media in sorted(set(MEDIA_TYPES.values()))},
                             "description": "The matching findings, streamed"}})
async def export_findings(principal: Reader, exports: Exports, selected: Filters, request: Request,
                          format: ExportFormat = "csv") -> StreamingResponse:
    """Streams the team's findings matching the findings list's filters as CSV, JSON, OCSF 1.5 or SARIF 2.1.0.

    SARIF carries code findings only (those about a file); the others are left out of it."""
    body = await exports.export(team_id=principal.team, actor=principal.user_id, export_format=format,
                                filters=selected, ip=client_info(request).ip)
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    return StreamingResponse(body, media_type=MEDIA_TYPES[format],
                             headers=_attachment(f"findings-{stamp}.{EXTENSIONS[format]}"))


@router.get("/executive-report", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The executive report (PDF)"}})
async def executive_report(principal: Reader, exports: Exports, request: Request) -> Response:
    """The team's executive report as PDF: posture, trend, top risks and SLA breaches."""
    summary = await exports.executive_summary(team_id=principal.team, actor=principal.user_id,
                                              ip=client_info(request).ip)
    pdf = await asyncio.to_thread(render_pdf, summary)
    return Response(pdf, media_type="application/pdf",
                    headers=_attachment(f"executive-report-{summary['generated_at']:%Y%m%d}.pdf"))

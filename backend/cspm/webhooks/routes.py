"""Scanner callbacks: public routes authenticated by the per-job HMAC signature, not a session."""

from __future__ import annotations

import hashlib
import tempfile
from typing import Annotated, BinaryIO, cast

from fastapi import APIRouter, Depends, Request

from cspm.core.dependencies import service
from cspm.findings.schemas import ImportResult
from cspm.findings.service import FindingsService
from cspm.webhooks.service import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSecurityService

router = APIRouter(tags=["webhooks"])
Webhooks = Annotated[WebhookSecurityService, Depends(service(WebhookSecurityService))]
Findings = Annotated[FindingsService, Depends(service(FindingsService))]

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


@router.post("/scans/{job_id}/report", response_model=ImportResult)
async def receive_report(job_id: str, request: Request, webhooks: Webhooks, findings: Findings) -> ImportResult:
    """Receives a scanner's report for one scan job (signed, single use)."""
    digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as body:
        async for chunk in request.stream():
            digest.update(chunk)
            body.write(chunk)
        grant = await webhooks.verify_and_consume(
            job_id=job_id, method=request.method, path=request.url.path,
            timestamp=request.headers.get(TIMESTAMP_HEADER), provided=request.headers.get(SIGNATURE_HEADER),
            body_sha256=digest.hexdigest())
        body.seek(0)
        result = await findings.ingest_for_run(
            team_id=grant["team_id"], run_id=grant["run_id"], actor=f"webhook:{job_id}", tool=grant["tool"],
            scope_key=grant["scope_key"], complete=grant["complete"], report=cast(BinaryIO, body))
    return ImportResult(run_id=result.run_id, tool=grant["tool"], scope_key=grant["scope_key"],
                        complete=grant["complete"], counts=result.counts.as_dict())

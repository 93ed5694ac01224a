"""Scanner callbacks: public routes authenticated by the per-job HMAC signature, not a session.

The route declares no body parameter, so FastAPI solves its dependencies before anything
reads the body: the signature headers and the grant are checked first (an unsigned or
stale delivery is refused unread), the body is then streamed to a spool while hashed.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import Annotated, BinaryIO, cast

from fastapi import APIRouter, Depends, Header, Request

from cspm.core.dependencies import service
from cspm.findings.schemas import ImportResult
from cspm.findings.service import FindingsService
from cspm.webhooks.service import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignedHeaders, WebhookSecurityService

router = APIRouter(tags=["webhooks"])
Webhooks = Annotated[WebhookSecurityService, Depends(service(WebhookSecurityService))]
Findings = Annotated[FindingsService, Depends(service(FindingsService))]

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


async def signed_headers(
    job_id: str, webhooks: Webhooks,
    timestamp: Annotated[str | None, Header(alias=TIMESTAMP_HEADER, max_length=20,
                                            description="Unix seconds the delivery was signed at")] = None,
    provided: Annotated[str | None, Header(alias=SIGNATURE_HEADER, max_length=128,
                                           description="hex HMAC-SHA256, see the run's signature_help")] = None,
) -> SignedHeaders:
    """The delivery's signature headers and grant, checked before the body is read (401 otherwise)."""
    return await webhooks.check_headers(job_id=job_id, timestamp=timestamp, provided=provided)


@router.post("/scans/{job_id}/report", response_model=ImportResult)
async def receive_report(job_id: str, request: Request, headers: Annotated[SignedHeaders, Depends(signed_headers)],
                         webhooks: Webhooks, findings: Findings) -> ImportResult:
    """Receives a scanner's report for one scan job (signed, single use)."""
    digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as body:
        async for chunk in request.stream():
            digest.update(chunk)
            body.write(chunk)
        async with webhooks.accept(headers, method=request.method, path=request.url.path,
                                   body_sha256=digest.hexdigest()) as grant:
            body.seek(0)
            result = await findings.ingest_for_run(
                team_id=grant["team_id"], run_id=grant["run_id"], actor=f"webhook:{job_id}", tool=grant["tool"],
                scope_key=grant["scope_key"], complete=grant["complete"], report=cast(BinaryIO, body))
    return ImportResult.of(result)

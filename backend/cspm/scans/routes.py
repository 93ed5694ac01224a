"""Scan orchestration API: launch, follow (polling or server-sent events), cancel, external scans."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import StreamingResponse

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.container import ServiceContainer
from cspm.core.dependencies import service
from cspm.core.errors import BadRequest
from cspm.core.settings import ExecutorMode
from cspm.scanners.executors.factory import local_tools, verify_native_tools_or_fail
from cspm.scanners.invocations import default_registry
from cspm.scanners.parsers import get_parser
from cspm.scans.models import RunKind, RunState
from cspm.scans.schemas import ExternalScanIn, ExternalScanOut, RunDetail, RunOut, RunStatus, ScanLaunch
from cspm.scans.service import ScanOrchestrationService
from cspm.webhooks.service import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSecurityService

router = APIRouter(tags=["scans"])


async def on_startup(container: ServiceContainer) -> None:
    """Probe the scanner binaries in the background (Prowler alone takes seconds to answer), so
    the integrity monitor knows which tools this process can run without delaying start-up."""
    if container.settings.scanner_executor is not ExecutorMode.LOCAL:
        return
    probe = asyncio.create_task(verify_native_tools_or_fail(local_tools(default_registry()), container.integrity,
                                                            fail=False))
    container.on_stop(probe.cancel)
Scans = Annotated[ScanOrchestrationService, Depends(service(ScanOrchestrationService))]
Webhooks = Annotated[WebhookSecurityService, Depends(service(WebhookSecurityService))]
Reader = Annotated[Principal, Depends(require_permission("scans:read"))]
Writer = Annotated[Principal, Depends(require_permission("scans:write"))]

EVENT_POLL_SECONDS = 1.0
EVENT_STREAM_MAX_SECONDS = 3600
HEARTBEAT_SECONDS = 15.0


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=RunOut)
async def launch_scan(principal: Writer, scans: Scans, launch: ScanLaunch) -> dict[str, Any]:
    """Launches a scan of a target; the run is queued and its progress can be followed."""
    return await scans.launch(team_id=principal.team, target_id=launch.target_id, actor=principal.user_id,
                              tools=launch.tools)


@router.get("", response_model=list[RunOut])
async def list_runs(principal: Reader, scans: Scans,
                    target_id: Annotated[str | None, Query(max_length=64)] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """Lists the team's scan runs and imports, newest first."""
    return await scans.list_runs(team_id=principal.team, limit=limit, target_id=target_id)


@router.post("/external", status_code=status.HTTP_201_CREATED, response_model=ExternalScanOut)
async def external_scan(principal: Writer, scans: Scans, webhooks: Webhooks,
                        payload: ExternalScanIn) -> ExternalScanOut:
    """Creates a run for a scanner that runs elsewhere and a signed, single-use callback for its report."""
    try:
        tool = get_parser(payload.tool.strip().lower()).tool
    except KeyError as exc:
        raise BadRequest(str(exc.args[0]) if exc.args else f"unknown tool {payload.tool!r}") from None
    scope_key = f"{tool}:{payload.scope}"
    run = await scans.runs.create(principal.team, kind=RunKind.IMPORT, tools=[tool], requested_by=principal.user_id,
                                  scope_key=scope_key, target={"scope": payload.scope}, state=RunState.RUNNING,
                                  extra={"trigger": "webhook"})
    grant = await webhooks.issue(team_id=principal.team, run_id=run["run_id"], tool=tool, scope_key=scope_key,
                                 complete=payload.complete, ttl_seconds=payload.ttl_minutes * 60)
    return ExternalScanOut(
        run_id=run["run_id"], callback_path=grant.path, signing_key=grant.key, expires_at=grant.expires_at,
        signature_help=(f"POST the report to {grant.path} with headers {TIMESTAMP_HEADER}: <unix seconds> and "
                        f"{SIGNATURE_HEADER}: hex HMAC-SHA256(key, "
                        "'POST\\n<path>\\n<timestamp>\\n<sha256 hex of body>'). The URL is used up by the "
                        "first report accepted; after a refused one, send the corrected report with a new "
                        "timestamp."))


@router.get("/{run_id}", response_model=RunDetail)
async def get_run(principal: Reader, scans: Scans, run_id: str) -> dict[str, Any]:
    """Shows a scan run with its jobs and sub-jobs (states, exit codes, failure reasons)."""
    return await scans.detail(team_id=principal.team, run_id=run_id)


@router.get("/{run_id}/status", response_model=RunStatus)
async def run_status(principal: Reader, scans: Scans, run_id: str) -> dict[str, Any]:
    """Answers a run's state and progress from the cache (cheap enough to poll every second)."""
    return await scans.cached_status(principal.team, run_id)


@router.get("/{run_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def run_events(principal: Reader, scans: Scans, run_id: str) -> StreamingResponse:
    """Streams a run's progress as server-sent events until it finishes."""
    first = await scans.cached_status(principal.team, run_id)  # 404 before the stream starts
    team_id = principal.team

    async def stream() -> AsyncIterator[str]:
        last: str | None = None
        started = last_sent = time.monotonic()
        status_now = first
        while time.monotonic() - started < EVENT_STREAM_MAX_SECONDS:
            encoded = json.dumps(status_now, default=str)
            if encoded != last:
                yield f"event: progress\ndata: {encoded}\n\n"
                last, last_sent = encoded, time.monotonic()
            elif time.monotonic() - last_sent > HEARTBEAT_SECONDS:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()
            if RunState(status_now["state"]).finished:
                yield "event: end\ndata: {}\n\n"
                return
            await asyncio.sleep(EVENT_POLL_SECONDS)
            status_now = await scans.cached_status(team_id, run_id)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/{run_id}/cancel", response_model=RunOut)
async def cancel_run(principal: Writer, scans: Scans, run_id: str) -> dict[str, Any]:
    """Cancels a run: queued jobs never start, running tools are stopped."""
    return await scans.cancel(team_id=principal.team, run_id=run_id, actor=principal.user_id)

"""Public health endpoints (no authentication: Docker, load balancers and Prometheus call them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from cspm.core.dependencies import service
from cspm.health.service import HealthService

router = APIRouter(tags=["health"])
Health = Annotated[HealthService, Depends(service(HealthService))]

# Mounted at the application root, not under /api: see cspm.api.PUBLIC_ROOT_MODULES.
PUBLIC = True


@router.get("/api/health")
async def liveness() -> dict[str, str]:
    """Answers while the process serves requests."""
    return {"status": "ok"}


@router.get("/health/ready", responses={503: {"description": "a critical dependency is down"}})
async def readiness(health: Health) -> JSONResponse:
    """Checks MongoDB and Redis; 503 when a critical one does not answer."""
    ready, checks = await health.readiness()
    degraded = [name for name, check in checks.items() if not check["ok"] or check.get("degraded")]
    state = "not_ready" if not ready else "degraded" if degraded else "ready"
    return JSONResponse({"ready": ready, "status": state, "checks": checks}, status_code=200 if ready else 503)


@router.get("/health/status")
async def status(health: Health) -> dict[str, Any]:
    """Reports every component, degraded modes and the scanner tools found."""
    return await health.status()


@router.get("/health/metrics")
async def counters(health: Health) -> dict[str, Any]:
    """Reports active sessions and simple counters."""
    return await health.counters()


@router.get("/metrics", include_in_schema=False)
async def prometheus(request: Request) -> Response:
    """Renders the Prometheus metrics of this process."""
    metrics = request.app.state.container.metrics
    return Response(metrics.render(), media_type=metrics.content_type)

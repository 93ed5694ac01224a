"""Audit API (/api/audit): team admins read their team's events, platform admins the platform's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from cspm.audit.schemas import AuditEventOut, AuditPage
from cspm.audit.service import AuditService
from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.core.errors import Unprocessable

router = APIRouter(tags=["audit"])

Audit = Annotated[AuditService, Depends(service(AuditService))]
Action = Annotated[str | None, Query(max_length=100, pattern=r"^[a-z0-9_.:]+$",
                                     description='Exact action, or a prefix ending in "." (e.g. "auth.")')]
Id = Annotated[str | None, Query(max_length=64)]
Outcome = Annotated[Literal["success", "failure", "denied"] | None, Query()]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


def page(events: list[dict[str, Any]], next_cursor: str | None) -> AuditPage:
    return AuditPage(items=[AuditEventOut(id=e["_id"], **{k: v for k, v in e.items() if k != "_id"})
                            for e in events], next_cursor=next_cursor)


def _check_range(since: datetime | None, until: datetime | None) -> None:
    if since and until and since >= until:
        raise Unprocessable("since: must be earlier than until")


@router.get("/events")
async def team_events(
    principal: Annotated[Principal, Depends(require_permission("audit:read"))], audit: Audit,
    action: Action = None, actor_id: Id = None, target_id: Id = None, outcome: Outcome = None,
    since: datetime | None = None, until: datetime | None = None, limit: Limit = 50, cursor: Cursor = None,
) -> AuditPage:
    """Lists the active team's audit events, newest first."""
    _check_range(since, until)
    events, next_cursor = await audit.list(team_id=principal.team, action=action, actor_id=actor_id,
                                           target_id=target_id, outcome=outcome, since=since, until=until,
                                           cursor=cursor, limit=limit)
    return page(events, next_cursor)


@router.get("/platform-events")
async def platform_events(
    principal: Annotated[Principal, Depends(require_permission("platform:admin"))], audit: Audit,
    scope: Annotated[Literal["platform", "all"], Query(
        description="platform: events without a team (logins, registrations); all: every team's too")] = "platform",
    team_id: Id = None,
    action: Action = None, actor_id: Id = None, target_id: Id = None, outcome: Outcome = None,
    since: datetime | None = None, until: datetime | None = None, limit: Limit = 50, cursor: Cursor = None,
) -> AuditPage:
    """Lists platform-level audit events (platform admins); filter one team with team_id."""
    _check_range(since, until)
    events, next_cursor = await audit.list(
        team_id=team_id, all_teams=scope == "all" and team_id is None, action=action, actor_id=actor_id,
        target_id=target_id, outcome=outcome, since=since, until=until, cursor=cursor, limit=limit)
    return page(events, next_cursor)

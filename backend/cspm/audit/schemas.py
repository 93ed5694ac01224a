"""Response bodies of the audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventOut(BaseModel):
    id: str
    at: datetime
    action: str
    outcome: str
    actor_id: str | None
    team_id: str | None
    ip: str | None
    target_type: str | None
    target_id: str | None
    target_name: str | None = None
    via: str | None
    token_id: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None

"""AuditService: the one way to write and read the audit log."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any, Literal, Self

from cspm.audit.repository import ALL_TEAMS, AuditRepository
from cspm.core.container import ServiceContainer
from cspm.core.errors import BadRequest
from cspm.core.logging import scrub
from cspm.core.pagination import decode_cursor, encode_cursor

logger = logging.getLogger(__name__)

Outcome = Literal["success", "failure", "denied"]


class AuditService:
    def __init__(self, repository: AuditRepository) -> None:
        self.repository = repository

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(AuditRepository(container.database))

    async def record(
        self,
        action: str,
        *,
        actor_id: str | None,
        team_id: str | None,
        ip: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        target_name: str | None = None,
        outcome: Outcome = "success",
        details: dict[str, Any] | None = None,
        via: str | None = None,
        token_id: str | None = None,
    ) -> str:
        """Append one event to the audit log and return its id.

        Signature (keyword-only after ``action``)::

            await audit.record(
                "finding.status_changed",          # "<domain>.<verb>", dotted, lower case
                actor_id=principal.user_id,        # who did it (None for anonymous attempts)
                team_id=principal.team_id,         # whose data (None for platform events)
                ip=request.client.host,            # where from, if known
                target_type="finding", target_id=finding_id,
                target_name="Open port 22/tcp",    # what a reader recognises, as it was named then
                outcome="success",                 # "success" | "failure" | "denied"
                details={"from": "open", "to": "false_positive", "reason": "..."},
                via=principal.via, token_id=principal.token_id,   # session or API token
            )

        ``details`` must be JSON-like and must not contain secrets (it is scrubbed anyway,
        like log lines). Events are never updated or deleted. Get the service in a route
        with ``Annotated[AuditService, Depends(service(AuditService))]`` or in a job with
        ``container.resolve(AuditService)``.
        """
        if not action or not isinstance(action, str):
            raise ValueError("audit action must be a non-empty string")
        event_id = event_id_now()
        document = {
            "_id": event_id,
            "at": datetime.now(UTC),
            "action": action,
            "outcome": outcome,
            "actor_id": actor_id,
            "team_id": team_id,
            "ip": ip,
            "target_type": target_type,
            "target_id": target_id,
            "target_name": target_name,
            "via": via,
            "token_id": token_id,
            "details": _scrub_details(details or {}),
        }
        await self.repository.append(document)
        return event_id

    async def list(
        self,
        *,
        team_id: str | None,
        all_teams: bool = False,
        action: str | None = None,
        actor_id: str | None = None,
        target_id: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Events newest first and the cursor of the next page (None at the end).

        ``team_id`` scopes the listing (None = platform events); ``all_teams`` is for
        platform administrators only and is decided by the caller.
        """
        before = None
        if cursor:
            values = decode_cursor(cursor)
            try:
                before = (datetime.fromisoformat(values["at"]), str(values["id"]))
            except (KeyError, TypeError, ValueError):
                raise BadRequest("invalid cursor: not produced by this API") from None
        events = await self.repository.find(
            team_id=ALL_TEAMS if all_teams else team_id, action=action, actor_id=actor_id, target_id=target_id,
            outcome=outcome, since=since, until=until, before=before, limit=limit + 1)
        next_cursor = None
        if len(events) > limit:
            events = events[:limit]
            last = events[-1]
            next_cursor = encode_cursor({"at": last["at"].isoformat(), "id": last["_id"]})
        return events, next_cursor


def event_id_now() -> str:
    """Time-ordered id (nanoseconds, then randomness): events in the same millisecond keep their order."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


def _scrub_details(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {str(key): _scrub_details(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_details(item) for item in value]
    return value

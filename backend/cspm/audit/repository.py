"""The audit log: an append-only collection in the PLATFORM database.

This repository has no update or delete method on purpose. Events of a team are read only
with that team's id; platform events (logins, registrations) have ``team_id`` null and are
read by platform administrators.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.manager import CSPMDatabaseManager
from cspm.core.database.registry import Database

AUDIT_EVENTS = "audit_events"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.PLATFORM, AUDIT_EVENTS, [("team_id", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)],
              "idx_audit_team_time"),
    IndexSpec(Database.PLATFORM, AUDIT_EVENTS, [("actor_id", ASCENDING), ("at", DESCENDING)], "idx_audit_actor"),
    IndexSpec(Database.PLATFORM, AUDIT_EVENTS, [("action", ASCENDING), ("at", DESCENDING)], "idx_audit_action"),
)

# Sentinel meaning "any team": only the platform-administrator listing uses it.
ALL_TEAMS = object()


class AuditRepository:
    def __init__(self, database: CSPMDatabaseManager) -> None:
        self._database = database

    @property
    def events(self) -> AsyncCollection:
        return self._database.db(Database.PLATFORM)[AUDIT_EVENTS]

    async def append(self, document: dict[str, Any]) -> None:
        await self.events.insert_one(document)

    async def find(
        self,
        *,
        team_id: str | object | None,
        action: str | None = None,
        actor_id: str | None = None,
        target_id: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Newest first. ``team_id`` is required: a team id, None (platform events) or ALL_TEAMS."""
        query: dict[str, Any] = {}
        if team_id is not ALL_TEAMS:
            query["team_id"] = team_id
        if action:
            # "auth." matches every auth event; "auth.login" exactly that action.
            query["action"] = {"$regex": f"^{_escape(action)}"} if action.endswith(".") else action
        if actor_id:
            query["actor_id"] = actor_id
        if target_id:
            query["target_id"] = target_id
        if outcome:
            query["outcome"] = outcome
        time_range: dict[str, Any] = {}
        if since:
            time_range["$gte"] = since
        if until:
            time_range["$lt"] = until
        if time_range:
            query["at"] = time_range
        if before:
            at, event_id = before
            query["$or"] = [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": event_id}}]
        cursor = self.events.find(query).sort([("at", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        return await cursor.to_list()


def _escape(text: str) -> str:
    return "".join("\\" + ch if not ch.isalnum() and ch not in "_:" else ch for ch in text)

"""Scan targets (ORCHESTRATION.scan_targets), team-owned."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.errors import NotFound
from cspm.core.repository import TeamScopedRepository

TARGETS = "scan_targets"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.ORCHESTRATION, TARGETS, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_target_name_unique", unique=True),
    IndexSpec(Database.ORCHESTRATION, TARGETS, [("schedule.enabled", ASCENDING), ("schedule.next_run_at", ASCENDING)],
              "idx_target_schedule_due"),
)


class TargetRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[TARGETS])

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        result = await self.collection.insert_one(stored)
        return {**stored, "_id": result.inserted_id}

    async def update(self, team_id: str, target_id: str, changes: Mapping[str, Any],
                     unset: tuple[str, ...] = ()) -> dict[str, Any]:
        update: dict[str, Any] = {"$set": dict(changes)} if changes else {}
        if unset:
            update["$unset"] = {name: "" for name in unset}
        document = await self.collection.find_one_and_update(
            self.scoped(team_id, {"_id": self.object_id(target_id, "target")}), update,
            return_document=ReturnDocument.AFTER)
        if document is None:
            raise NotFound("target not found")
        return document

    async def delete(self, team_id: str, target_id: str) -> bool:
        result = await self.collection.delete_one(self.scoped(team_id, {"_id": self.object_id(target_id, "target")}))
        return result.deleted_count == 1

    async def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        """Scheduled targets whose next run has come, across teams (the scheduler's query)."""
        cursor = self.collection.find({"schedule.enabled": True, "schedule.next_run_at": {"$lte": now}}).limit(limit)
        return await cursor.to_list()

    async def claim_schedule(self, team_id: str, target_id: Any, expected_next: datetime,
                             new_next: datetime | None) -> bool:
        """Move the schedule on only if nobody else did: two beat instances never launch twice."""
        result = await self.collection.update_one(
            self.scoped(team_id, {"_id": target_id, "schedule.next_run_at": expected_next}),
            {"$set": {"schedule.next_run_at": new_next}})
        return result.modified_count == 1

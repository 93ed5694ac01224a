"""Scan runs (ORCHESTRATION.scan_runs): one record per import or orchestrated scan."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.errors import NotFound
from cspm.core.repository import TeamScopedRepository
from cspm.scans.models import RunKind, RunState

SCAN_RUNS = "scan_runs"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.ORCHESTRATION, SCAN_RUNS, [("team_id", ASCENDING), ("created_at", DESCENDING)],
              "idx_team_created"),
)


class ScanRunRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[SCAN_RUNS])

    async def create(self, team_id: str, *, kind: RunKind, tools: list[str], requested_by: str,
                     scope_key: str | None, target: Mapping[str, Any] | None = None,
                     state: RunState = RunState.QUEUED, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        now = datetime.now(UTC)
        document = {
            "run_id": uuid.uuid4().hex,
            "team_id": team_id,
            "kind": kind.value,
            "tools": tools,
            "requested_by": requested_by,
            "scope_key": scope_key,
            "target": dict(target or {}),
            "state": state.value,
            "created_at": now,
            "started_at": now if state is RunState.RUNNING else None,
            "finished_at": None,
            "counts": {},
            "error": None,
            **(extra or {}),
        }
        await self.collection.insert_one(document)
        return document

    async def by_run_id(self, team_id: str, run_id: str) -> dict[str, Any]:
        document = await self.collection.find_one(self.scoped(team_id, {"run_id": run_id}), {"_id": 0})
        if document is None:
            raise NotFound("scan run not found")
        return document

    async def update(self, team_id: str, run_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        return await self.collection.find_one_and_update(
            self.scoped(team_id, {"run_id": run_id}), {"$set": dict(changes)},
            projection={"_id": 0}, return_document=ReturnDocument.AFTER)

    async def finish(self, team_id: str, run_id: str, state: RunState, *, counts: Mapping[str, int] | None = None,
                     error: str | None = None) -> dict[str, Any] | None:
        changes: dict[str, Any] = {"state": state.value, "finished_at": datetime.now(UTC), "error": error}
        if counts is not None:
            changes["counts"] = dict(counts)
        return await self.update(team_id, run_id, changes)

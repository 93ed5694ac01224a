"""Scan runs (ORCHESTRATION.scan_runs): one record per import or orchestrated scan."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
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
                     error: str | None = None, skipped: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any] | None:
        changes: dict[str, Any] = {"state": state.value, "finished_at": datetime.now(UTC), "error": error}
        if counts is not None:
            changes["counts"] = dict(counts)
        if skipped:
            changes["skipped"] = [dict(record) for record in skipped]
        return await self.update(team_id, run_id, changes)

    async def heartbeat(self, team_id: str, run_id: str) -> None:
        """An ingest that owns its run says it is still alive (once per batch)."""
        await self.collection.update_one(self.scoped(team_id, {"run_id": run_id}),
                                         {"$set": {"heartbeat_at": datetime.now(UTC)}})

    async def fail_interrupted_imports(self, *, silent_since: datetime, reason: str) -> int:
        """Import runs still "running" whose ingest has not beaten since ``silent_since``: their process died
        (kill -9, a crash, a restart). Across teams on purpose: start-up recovery and the watchdog call it."""
        result = await self.collection.update_many(
            {"kind": RunKind.IMPORT.value, "state": RunState.RUNNING.value,
             "$or": [{"heartbeat_at": {"$lt": silent_since}},
                     {"heartbeat_at": None, "started_at": {"$lt": silent_since}}]},
            {"$set": {"state": RunState.FAILED.value, "finished_at": datetime.now(UTC), "error": reason}})
        return result.modified_count


SCAN_JOBS = "scan_jobs"
SUB_JOBS = "scan_sub_jobs"

JOB_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.ORCHESTRATION, SCAN_JOBS, [("team_id", ASCENDING), ("run_id", ASCENDING)], "idx_jobs_run"),
    IndexSpec(Database.ORCHESTRATION, SUB_JOBS, [("sub_job_id", ASCENDING)], "idx_sub_job_unique", unique=True),
    IndexSpec(Database.ORCHESTRATION, SUB_JOBS, [("team_id", ASCENDING), ("run_id", ASCENDING)], "idx_sub_jobs_run"),
    IndexSpec(Database.ORCHESTRATION, SUB_JOBS, [("state", ASCENDING), ("started_at", ASCENDING)],
              "idx_sub_jobs_state"),
)
INDEXES = INDEXES + JOB_INDEXES


class ScanJobRepository(TeamScopedRepository):
    """Per-tool jobs and their sub-jobs (per host batch, image or region)."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[SCAN_JOBS])
        self.sub_jobs = database[SUB_JOBS]

    async def insert(self, team_id: str, jobs: list[dict[str, Any]], sub_jobs: list[dict[str, Any]]) -> None:
        for document in (*jobs, *sub_jobs):
            document["team_id"] = team_id
        await self.collection.insert_many(jobs)
        await self.sub_jobs.insert_many(sub_jobs)

    async def sub_job(self, team_id: str, sub_job_id: str) -> dict[str, Any] | None:
        return await self.sub_jobs.find_one(self.scoped(team_id, {"sub_job_id": sub_job_id}))

    async def transition(self, team_id: str, sub_job_id: str, from_states: list[str],
                         changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """Move a sub-job on only from the states given (a cancelled job is never started)."""
        return await self.sub_jobs.find_one_and_update(
            self.scoped(team_id, {"sub_job_id": sub_job_id, "state": {"$in": from_states}}),
            {"$set": dict(changes)}, return_document=ReturnDocument.AFTER)

    async def sub_jobs_of(self, team_id: str, run_id: str) -> list[dict[str, Any]]:
        return await self.sub_jobs.find(self.scoped(team_id, {"run_id": run_id}), {"_id": 0}).sort(
            "created_at", ASCENDING).to_list()

    async def jobs_of(self, team_id: str, run_id: str) -> list[dict[str, Any]]:
        return await self.find(team_id, {"run_id": run_id}, projection={"_id": 0})

    async def set_job(self, team_id: str, job_id: str, changes: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"job_id": job_id}), {"$set": dict(changes)})

    async def cancel_queued(self, team_id: str, run_id: str, now: datetime) -> int:
        result = await self.sub_jobs.update_many(
            self.scoped(team_id, {"run_id": run_id, "state": RunState.QUEUED.value}),
            {"$set": {"state": RunState.CANCELLED.value, "finished_at": now, "reason": "cancelled before it started"}})
        return result.modified_count

    async def running_since(self, before: datetime) -> list[dict[str, Any]]:
        """Sub-jobs still running after `before`, across teams: the watchdog's query."""
        return await self.sub_jobs.find({"state": RunState.RUNNING.value, "started_at": {"$lt": before}}).to_list()

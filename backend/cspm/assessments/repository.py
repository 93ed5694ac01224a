"""Data access for assessments (``Database.ASSESSMENTS``), every query scoped to one team.

- ``assessments``: one document per assessment, its answers embedded by requirement
  (``answers.V1_2_3``: dots would be paths), so reading progress is one read and two people
  answering two requirements at once never overwrite each other (each ``$set`` names one
  field). Writes to answers filter on ``status != completed``: completion locks them
  atomically.
- ``assessment_answer_history``: every change of an answer (who, when, before, after).
- ``assessment_evidence``: uploaded files (content, size, type, SHA-256) and links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument

from cspm.assessments.models import AssessmentStatus
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.repository import TeamScopedRepository

DB = Database.ASSESSMENTS
ASSESSMENTS = "assessments"
HISTORY = "assessment_answer_history"
EVIDENCE = "assessment_evidence"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(DB, ASSESSMENTS, [("team_id", ASCENDING), ("updated_at", DESCENDING)], "idx_team_updated"),
    IndexSpec(DB, ASSESSMENTS, [("team_id", ASCENDING), ("scope.target_ids", ASCENDING)], "idx_team_targets"),
    IndexSpec(DB, HISTORY, [("team_id", ASCENDING), ("assessment_id", ASCENDING), ("at", DESCENDING)],
              "idx_team_assessment_at"),
    IndexSpec(DB, EVIDENCE, [("team_id", ASCENDING), ("assessment_id", ASCENDING), ("ref", ASCENDING)],
              "idx_team_assessment_ref"),
)

NOT_LOCKED = {"status": {"$ne": AssessmentStatus.COMPLETED.value}}
SUMMARY_PROJECTION = {"history": 0}
EVIDENCE_LISTING = {"data": 0}


def now() -> datetime:
    return datetime.now(UTC)


class AssessmentRepository(TeamScopedRepository):
    async def insert(self, team_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        result = await self.collection.insert_one(stored)
        return {**stored, "_id": result.inserted_id}

    async def recent(self, team_id: str, *, limit: int = 500) -> list[dict[str, Any]]:
        return await self.find(team_id, sort=[("updated_at", DESCENDING)], limit=limit)

    async def update(self, team_id: str, assessment_id: str, changes: Mapping[str, Any], *,
                     unset: Sequence[str] = (), unlocked: bool = True,
                     expect_status: str | None = None) -> dict[str, Any] | None:
        """Apply ``$set``/``$unset``; ``None`` when the assessment is gone, locked or not in ``expect_status``."""
        query: dict[str, Any] = {"_id": self.object_id(assessment_id, "assessment")}
        if expect_status is not None:
            query["status"] = expect_status
        elif unlocked:
            query.update(NOT_LOCKED)
        update: dict[str, Any] = {"$set": dict(changes)}
        if unset:
            update["$unset"] = {name: "" for name in unset}
        return await self.collection.find_one_and_update(self.scoped(team_id, query), update,
                                                         return_document=ReturnDocument.AFTER)

    async def delete(self, team_id: str, assessment_id: str) -> bool:
        result = await self.collection.delete_one(
            self.scoped(team_id, {"_id": self.object_id(assessment_id, "assessment")}))
        return result.deleted_count == 1

    async def with_targets(self, team_id: str, template_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The team's assessments of these templates that name at least one target in scope."""
        return await self.find(team_id, {"template_id": {"$in": list(template_ids)},
                                         "scope.target_ids.0": {"$exists": True}}, limit=500)


class AnswerHistoryRepository(TeamScopedRepository):
    async def append(self, team_id: str, entries: Sequence[Mapping[str, Any]]) -> None:
        if entries:
            await self.collection.insert_many([{**entry, "team_id": team_id} for entry in entries])

    async def for_ref(self, team_id: str, assessment_id: str, ref: str, *, limit: int = 50) -> list[dict[str, Any]]:
        return await self.find(team_id, {"assessment_id": assessment_id, "ref": ref}, sort=[("at", DESCENDING)],
                               limit=limit)

    async def delete_for(self, team_id: str, assessment_id: str) -> None:
        await self.collection.delete_many(self.scoped(team_id, {"assessment_id": assessment_id}))


class EvidenceRepository(TeamScopedRepository):
    async def insert(self, team_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        result = await self.collection.insert_one(stored)
        return {**stored, "_id": result.inserted_id}

    async def for_assessment(self, team_id: str, assessment_id: str) -> list[dict[str, Any]]:
        return await self.find(team_id, {"assessment_id": assessment_id}, sort=[("uploaded_at", ASCENDING)],
                               projection=EVIDENCE_LISTING, limit=2000)

    async def count_for(self, team_id: str, assessment_id: str) -> int:
        return await self.count(team_id, {"assessment_id": assessment_id})

    async def same_file(self, team_id: str, assessment_id: str, ref: str | None, sha256: str) -> dict[str, Any] | None:
        return await self.collection.find_one(
            self.scoped(team_id, {"assessment_id": assessment_id, "ref": ref, "sha256": sha256}), EVIDENCE_LISTING)

    async def one(self, team_id: str, assessment_id: str, evidence_id: str, *,
                  with_data: bool = False) -> dict[str, Any] | None:
        return await self.collection.find_one(
            self.scoped(team_id, {"_id": self.object_id(evidence_id, "evidence"), "assessment_id": assessment_id}),
            None if with_data else EVIDENCE_LISTING)

    async def remove(self, team_id: str, assessment_id: str, evidence_id: str) -> bool:
        result = await self.collection.delete_one(
            self.scoped(team_id, {"_id": self.object_id(evidence_id, "evidence"), "assessment_id": assessment_id}))
        return result.deleted_count == 1

    async def delete_for(self, team_id: str, assessment_id: str) -> None:
        await self.collection.delete_many(self.scoped(team_id, {"assessment_id": assessment_id}))


def new_id() -> ObjectId:
    return ObjectId()

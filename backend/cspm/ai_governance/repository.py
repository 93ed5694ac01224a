"""Data access of the AI governance module (database AI_GOVERNANCE), every query team-scoped.

Collections: ``ai_systems`` (the registry, with the latest classification), ``ai_system_versions``
(a snapshot per change), ``ai_obligations`` (one assessable requirement per system and obligation
key) and ``bias_runs`` (every bias test with its data hash, metrics and verdict).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.repository import TeamScopedRepository

SYSTEMS = "ai_systems"
VERSIONS = "ai_system_versions"
OBLIGATIONS = "ai_obligations"
BIAS_RUNS = "bias_runs"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.AI_GOVERNANCE, SYSTEMS, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_ai_system_name_unique", unique=True),
    IndexSpec(Database.AI_GOVERNANCE, VERSIONS, [("team_id", ASCENDING), ("system_id", ASCENDING),
                                                 ("version", ASCENDING)], "idx_ai_version_unique", unique=True),
    IndexSpec(Database.AI_GOVERNANCE, OBLIGATIONS, [("team_id", ASCENDING), ("system_id", ASCENDING),
                                                    ("key", ASCENDING)], "idx_ai_obligation_unique", unique=True),
    IndexSpec(Database.AI_GOVERNANCE, BIAS_RUNS, [("team_id", ASCENDING), ("system_id", ASCENDING),
                                                  ("created_at", DESCENDING)], "idx_bias_run_recent"),
)


class AiSystemRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[SYSTEMS])

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> str:
        result = await self.collection.insert_one({**document, "team_id": team_id})
        return str(result.inserted_id)

    async def update(self, team_id: str, system_id: str, changes: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"_id": self.object_id(system_id, "AI system")}),
                                         {"$set": dict(changes)})

    async def delete(self, team_id: str, system_id: str) -> None:
        await self.collection.delete_one(self.scoped(team_id, {"_id": self.object_id(system_id, "AI system")}))


class SystemChildRepository(TeamScopedRepository):
    """Documents that belong to one AI system (versions, obligations, bias runs)."""

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> str:
        result = await self.collection.insert_one({**document, "team_id": team_id})
        return str(result.inserted_id)

    async def of_system(self, team_id: str, system_id: str, *, sort: list[tuple[str, int]],
                        limit: int = 0) -> list[dict[str, Any]]:
        return await self.find(team_id, {"system_id": system_id}, sort=sort, limit=limit)

    async def delete_system(self, team_id: str, system_id: str) -> None:
        await self.collection.delete_many(self.scoped(team_id, {"system_id": system_id}))


class VersionRepository(SystemChildRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[VERSIONS])


class ObligationRepository(SystemChildRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[OBLIGATIONS])

    async def one(self, team_id: str, system_id: str, key: str) -> dict[str, Any] | None:
        return await self.collection.find_one(self.scoped(team_id, {"system_id": system_id, "key": key}))

    async def upsert(self, team_id: str, system_id: str, key: str, fields: Mapping[str, Any],
                     on_insert: Mapping[str, Any] | None = None) -> None:
        update: dict[str, Any] = {"$set": dict(fields)}
        if on_insert:
            update["$setOnInsert"] = dict(on_insert)
        await self.collection.update_one(self.scoped(team_id, {"system_id": system_id, "key": key}), update,
                                         upsert=True)


class BiasRunRepository(SystemChildRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[BIAS_RUNS])

    async def set_finding(self, team_id: str, run_id: str, finding: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"_id": self.object_id(run_id, "bias test")}),
                                         {"$set": {"finding": dict(finding)}})

"""Data access of AI-SOC (database ORCHESTRATION: triage orchestrates work on other modules' data).

- ``ai_soc_cases``: one document per case, ``_id`` derived from (team, case key) so re-runs update
  it in place (a single-field key: the embedded store scans on compound unique checks), with its
  reasoning trail (the latest run's step records) and the actions people applied.
- ``ai_soc_runs``: one document per pipeline run, with per-agent durations and counts.
- ``ai_soc_budget``: LLM tokens spent per team per UTC day.
- ``ai_soc_briefs``: the daily brief per team.
- ``ai_soc_team_settings``: the team's auto-apply choices.
Findings (SECURITY_SCANS) and indicator correlations (THREAT_INTELLIGENCE) are read, never written,
here; status changes go through the findings service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReplaceOne, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.batching import chunked
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.errors import NotFound
from cspm.core.repository import TeamScopedRepository

CASES = "ai_soc_cases"
RUNS = "ai_soc_runs"
BUDGET = "ai_soc_budget"
BRIEFS = "ai_soc_briefs"
TEAM_SETTINGS = "ai_soc_team_settings"
WRITE_CHUNK = 200

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.ORCHESTRATION, CASES, [("team_id", ASCENDING), ("priority.score", DESCENDING)],
              "idx_case_priority"),
    IndexSpec(Database.ORCHESTRATION, RUNS, [("team_id", ASCENDING), ("started_at", DESCENDING)], "idx_soc_run_team"),
    IndexSpec(Database.ORCHESTRATION, BRIEFS, [("team_id", ASCENDING), ("date", DESCENDING)], "idx_brief_team"),
)


def case_id(team_id: str, key: str) -> str:
    return hashlib.sha256(f"{team_id}|{key}".encode()).hexdigest()[:32]


class CaseRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[CASES])

    async def one(self, team_id: str, case: str) -> dict[str, Any]:
        document = await self.collection.find_one(self.scoped(team_id, {"_id": case}))
        if document is None:
            raise NotFound("case not found")
        return document

    async def existing(self, team_id: str) -> dict[str, dict[str, Any]]:
        projection = {"created_at": 1, "actions": 1, "status": 1, "key": 1}
        return {d["_id"]: d async for d in self.collection.find(self.scoped(team_id), projection)}

    async def replace_many(self, team_id: str, documents: Sequence[Mapping[str, Any]]) -> None:
        for chunk in chunked(list(documents), WRITE_CHUNK):
            await self.collection.bulk_write([ReplaceOne(self.scoped(team_id, {"_id": d["_id"]}),
                                                         {**d, "team_id": team_id}, upsert=True) for d in chunk],
                                             ordered=False)

    async def close_missing(self, team_id: str, keep: Sequence[str], now: datetime) -> int:
        """Open cases not produced by this run: their findings are no longer active."""
        query = self.scoped(team_id, {"status": "open"})
        stale = [d["_id"] async for d in self.collection.find(query, {"_id": 1}) if d["_id"] not in set(keep)]
        for chunk in chunked(stale):
            await self.collection.update_many(self.scoped(team_id, {"_id": {"$in": chunk}}),
                                              {"$set": {"status": "closed", "closed_at": now}})
        return len(stale)

    async def page(self, team_id: str, query: Mapping[str, Any], skip: int, limit: int,
                   ) -> tuple[list[dict[str, Any]], int]:
        scoped = self.scoped(team_id, query)
        items = await self.collection.find(scoped, {"trail": 0, "finding_keys": 0}).sort(
            [("priority.score", DESCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit).to_list()
        return items, await self.collection.count_documents(scoped)

    async def add_action(self, team_id: str, case: str, action: Mapping[str, Any]) -> dict[str, Any]:
        found = await self.collection.find_one_and_update(self.scoped(team_id, {"_id": case}),
                                                          {"$push": {"actions": dict(action)}},
                                                          return_document=ReturnDocument.AFTER)
        if found is None:
            raise NotFound("case not found")
        return found


class RunRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[RUNS])

    async def create(self, team_id: str, document: Mapping[str, Any]) -> str:
        return str((await self.collection.insert_one({**document, "team_id": team_id})).inserted_id)

    async def update(self, team_id: str, run_id: str, changes: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"_id": self.object_id(run_id, "run")}),
                                         {"$set": dict(changes)})


class BudgetRepository:
    """Tokens per team per UTC day, ``_id`` = ``<team>:<date>``; written only with its team's id."""

    def __init__(self, database: AsyncDatabase) -> None:
        self.collection = database[BUDGET]

    async def used(self, team_id: str, day: str) -> int:
        document = await self.collection.find_one(TeamScopedRepository.scoped(team_id, {"_id": f"{team_id}:{day}"}))
        return int(document["tokens"]) if document else 0

    async def charge(self, team_id: str, day: str, tokens: int) -> None:
        if tokens:
            await self.collection.update_one({"_id": f"{team_id}:{day}", "team_id": team_id},
                                             {"$inc": {"tokens": tokens}}, upsert=True)


class BriefRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[BRIEFS])

    async def put(self, team_id: str, document: Mapping[str, Any]) -> None:
        await self.collection.replace_one(self.scoped(team_id, {"_id": document["_id"]}),
                                          {**document, "team_id": team_id}, upsert=True)

    async def latest(self, team_id: str) -> dict[str, Any] | None:
        found = await self.find(team_id, sort=[("date", DESCENDING), ("generated_at", DESCENDING)], limit=1)
        return found[0] if found else None


class TeamSettingsRepository:
    def __init__(self, database: AsyncDatabase) -> None:
        self.collection = database[TEAM_SETTINGS]

    async def get(self, team_id: str) -> dict[str, Any]:
        return await self.collection.find_one(TeamScopedRepository.scoped(team_id, {"_id": team_id})) or {}

    async def put(self, team_id: str, values: Mapping[str, Any]) -> None:
        await self.collection.update_one({"_id": team_id, "team_id": team_id}, {"$set": dict(values)}, upsert=True)


FINDING_PROJECTION = {"_id": 1, "dedup_key": 1, "source_tool": 1, "rule_id": 1, "title": 1, "description": 1,
                      "severity": 1, "status": 1, "category": 1, "resource": 1, "cve_ids": 1, "cwe_ids": 1,
                      "package": 1, "cvss_score": 1, "epss_score": 1, "remediation": 1, "evidence": 1,
                      "compliance_tags": 1, "scope_key": 1, "last_seen": 1, "first_seen": 1, "kev": 1,
                      "epss": 1, "priority": 1, "history.reason": 1}
ACTIVE = ("open", "reopened")
TRIAGED = ("false_positive", "suppressed")


class FindingReadRepository(TeamScopedRepository):
    """Read-only view of the team's findings (owned by the findings module)."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database["findings"])

    async def active(self, team_id: str, limit: int) -> list[dict[str, Any]]:
        return await self.find(team_id, {"status": {"$in": list(ACTIVE)}}, sort=[("priority", DESCENDING)],
                               limit=limit, projection=FINDING_PROJECTION)

    async def triaged(self, team_id: str, limit: int) -> list[dict[str, Any]]:
        projection = {"source_tool": 1, "rule_id": 1, "resource.id": 1, "cve_ids": 1, "package.name": 1,
                      "status": 1, "evidence": 1, "history.reason": 1}
        return await self.find(team_id, {"status": {"$in": list(TRIAGED)}}, limit=limit, projection=projection)

    async def by_keys(self, team_id: str, keys: Sequence[str], limit: int = 500) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunked(list(keys)[:limit]):
            found += await self.find(team_id, {"dedup_key": {"$in": chunk}}, projection=FINDING_PROJECTION)
        return found

    async def kev_since(self, team_id: str, since: datetime, limit: int = 50) -> list[dict[str, Any]]:
        return await self.find(team_id, {"kev": {"$ne": None}, "first_seen": {"$gte": since},
                                         "status": {"$in": list(ACTIVE)}},
                               projection={"title": 1, "kev": 1, "cve_ids": 1, "resource.id": 1}, limit=limit)


class IndicatorMatchRepository(TeamScopedRepository):
    """Read-only view of threat intel's indicator ↔ finding correlations."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database["correlations"])

    async def matched(self, team_id: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        async for document in self.collection.find(self.scoped(team_id), {"asset.finding_id": 1,
                                                                          "indicator_name": 1,
                                                                          "indicator_value": 1}):
            name = str(document.get("indicator_name") or document.get("indicator_value"))
            found.setdefault(str((document.get("asset") or {}).get("finding_id")), []).append(name)
        return found

    async def count_since(self, team_id: str, since: datetime) -> int:
        return await self.count(team_id, {"first_seen": {"$gte": since}})

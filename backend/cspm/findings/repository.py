"""Data access for findings, their history, suppression rules and import runs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.batching import chunked
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.database.writes import NewDocument, insert_new, update_each
from cspm.core.repository import TeamScopedRepository

FINDINGS = "findings"
HISTORY = "finding_history"
SUPPRESSION_RULES = "suppression_rules"
TREND = "finding_trend"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.SECURITY_SCANS, FINDINGS,
              [("team_id", ASCENDING), ("result", ASCENDING), ("status", ASCENDING),
               ("severity_rank", DESCENDING)], "idx_team_status_severity"),
    IndexSpec(Database.SECURITY_SCANS, FINDINGS,
              [("team_id", ASCENDING), ("scope_key", ASCENDING), ("source_tool", ASCENDING)], "idx_team_scope"),
    IndexSpec(Database.SECURITY_SCANS, FINDINGS, [("team_id", ASCENDING), ("last_seen", DESCENDING)],
              "idx_team_last_seen"),
    IndexSpec(Database.SECURITY_SCANS, FINDINGS, [("team_id", ASCENDING), ("service", ASCENDING)], "idx_team_service"),
    IndexSpec(Database.SECURITY_SCANS, HISTORY, [("team_id", ASCENDING), ("finding_id", ASCENDING)],
              "idx_history_finding"),
    IndexSpec(Database.SECURITY_SCANS, SUPPRESSION_RULES, [("team_id", ASCENDING)], "idx_suppression_team"),
    IndexSpec(Database.SECURITY_SCANS, TREND, [("team_id", ASCENDING), ("day", ASCENDING)], "idx_trend_day_unique",
              unique=True),
)

WRITE_CHUNK = 1000


class FindingsRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[FINDINGS])
        self.history = database[HISTORY]
        self.rules = database[SUPPRESSION_RULES]
        self.trend = database[TREND]

    # --- ingest -----------------------------------------------------------------------
    async def existing_by_key(self, team_id: str, dedup_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored state of these findings: one round trip per chunk of keys."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunked(dedup_keys):
            cursor = self.collection.find(self.scoped(team_id, {"dedup_key": {"$in": chunk}}),
                                          {"dedup_key": 1, "status": 1, "content_hash": 1, "result": 1, "scope_key": 1})
            found.update({document["dedup_key"]: document async for document in cursor})
        return found

    async def insert_new(self, team_id: str, new: Sequence[NewDocument]) -> set[int]:
        """Insert findings the batch found absent; returns the positions inserted (see ``insert_new``).

        Two imports of the same report racing each other both try to insert a new finding; the
        unique (team_id, dedup_key) index lets one win, and the loser's is applied as an update.
        """
        for item in new:
            if item.document.get("team_id") != team_id or item.identity.get("team_id") != team_id:
                raise ValueError("a new finding must belong to the importing team")
        return await insert_new(self.collection, new)

    async def update_by_id(self, team_id: str, updates: Sequence[tuple[ObjectId, Mapping[str, Any]]]) -> None:
        """Apply one update per stored finding, found by its _id (the cheapest lookup on any engine)."""
        for chunk in chunked(updates, WRITE_CHUNK):
            await update_each(self.collection, [(self.scoped(team_id, {"_id": finding_id}), update)
                                                for finding_id, update in chunk])

    async def resolve_absent(self, team_id: str, *, scope_keys: Sequence[str], source_tool: str, run_id: str,
                             now: datetime) -> list[dict[str, Any]]:
        """Findings of these scopes and tool that the run did not report: to be resolved."""
        query = self.scoped(team_id, {
            "scope_key": {"$in": list(scope_keys)}, "source_tool": source_tool, "result": "fail",
            "status": {"$in": ["open", "reopened", "resolved_pending_verification"]},
            "last_run_id": {"$ne": run_id},
        })
        absent = await self.collection.find(query, {"_id": 1, "dedup_key": 1, "status": 1}).to_list()
        await self.set_status(team_id, [document["_id"] for document in absent],
                              {"status": "resolved", "resolved_at": now, "updated_at": now})
        return absent

    # --- history ----------------------------------------------------------------------
    async def record_history(self, entries: Iterable[Mapping[str, Any]]) -> None:
        documents = [dict(entry) for entry in entries]
        for document in documents:
            if not document.get("team_id"):
                raise ValueError("history entry without team")
        if documents:
            await self.history.insert_many(documents, ordered=False)

    async def history_of(self, team_id: str, finding_id: ObjectId) -> list[dict[str, Any]]:
        cursor = self.history.find(self.scoped(team_id, {"finding_id": finding_id}), {"_id": 0, "team_id": 0})
        return await cursor.sort("at", ASCENDING).to_list()

    # --- status changes ----------------------------------------------------------------
    async def set_status(self, team_id: str, ids: Sequence[ObjectId], changes: Mapping[str, Any],
                         *, unset: Sequence[str] = ()) -> int:
        update: dict[str, Any] = {"$set": dict(changes)}
        if unset:
            update["$unset"] = {field: "" for field in unset}
        modified = 0
        for chunk in chunked(ids):
            result = await self.collection.update_many(self.scoped(team_id, {"_id": {"$in": chunk}}), update)
            modified += result.modified_count
        return modified

    async def find_by_ids(self, team_id: str, ids: Sequence[ObjectId]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunked(ids):
            found += await self.find(team_id, {"_id": {"$in": chunk}}, projection={"_id": 1, "status": 1,
                                                                                 "dedup_key": 1})
        return found

    async def expired_acceptances(self, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        """Across teams on purpose: the lifecycle job reopens every team's expired acceptances."""
        cursor = self.collection.find(
            {"status": "risk_accepted", "risk_acceptance.expires_at": {"$lte": now}},
            {"_id": 1, "team_id": 1, "dedup_key": 1},
        ).limit(limit)
        return await cursor.to_list()

    # --- trend ------------------------------------------------------------------------------
    async def active_by_severity(self, team_id: str) -> dict[str, int]:
        pipeline = [{"$match": self.scoped(team_id, {"result": "fail", "status": {"$in": ["open", "reopened"]}})},
                    {"$group": {"_id": "$severity", "n": {"$sum": 1}}}]
        rows = await (await self.collection.aggregate(pipeline)).to_list()
        return {row["_id"]: row["n"] for row in rows}

    async def record_trend(self, team_id: str, day: str, by_severity: dict[str, int], now: datetime) -> None:
        """Today's point of the team's trend: the latest counts of the day win."""
        await self.trend.update_one(self.scoped(team_id, {"day": day}),
                                    {"$set": {"by_severity": by_severity, "total": sum(by_severity.values()),
                                              "updated_at": now}}, upsert=True)

    async def trend_since(self, team_id: str, first_day: str) -> list[dict[str, Any]]:
        cursor = self.trend.find(self.scoped(team_id, {"day": {"$gte": first_day}}), {"_id": 0, "team_id": 0})
        return await cursor.sort("day", ASCENDING).to_list()

    async def teams_with_findings(self) -> list[str]:
        """Every team that has findings (the daily trend job's list; it then works team by team)."""
        return [team for team in await self.collection.distinct("team_id") if isinstance(team, str)]

    # --- suppression rules --------------------------------------------------------------
    async def rules_for(self, team_id: str) -> list[dict[str, Any]]:
        return await self.rules.find(self.scoped(team_id)).to_list()

    async def add_rule(self, team_id: str, rule: Mapping[str, Any]) -> ObjectId:
        result = await self.rules.insert_one({**rule, "team_id": team_id})
        return result.inserted_id

    async def delete_rule(self, team_id: str, rule_id: ObjectId) -> bool:
        result = await self.rules.delete_one(self.scoped(team_id, {"_id": rule_id}))
        return result.deleted_count == 1

    async def match_rule(self, team_id: str, rule_filter: Mapping[str, Any]) -> list[dict[str, Any]]:
        query = {**rule_filter, "status": {"$in": ["open", "reopened"]}, "result": "fail"}
        return await self.find(team_id, query, projection={"_id": 1, "status": 1, "dedup_key": 1})

    # --- queries ------------------------------------------------------------------------
    async def page(self, team_id: str, query: Mapping[str, Any], sort: list[tuple[str, int]],
                   limit: int, projection: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return await self.find(team_id, query, sort=sort, limit=limit, projection=projection)

    async def facets(self, team_id: str, query: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """Counts by severity, status and tool, the total and overdue, in one round trip."""
        pipeline = [
            {"$match": self.scoped(team_id, query)},
            {"$facet": {
                "severity": [{"$group": {"_id": "$severity", "n": {"$sum": 1}}}],
                "status": [{"$group": {"_id": "$status", "n": {"$sum": 1}}}],
                "tool": [{"$group": {"_id": "$source_tool", "n": {"$sum": 1}}}],
                "total": [{"$count": "n"}],
                "overdue": [{"$match": overdue_filter(now)}, {"$count": "n"}],
            }},
        ]
        result = await (await self.collection.aggregate(pipeline)).to_list()
        facet = result[0] if result else {}
        return {
            "total": (facet.get("total") or [{"n": 0}])[0]["n"],
            "overdue": (facet.get("overdue") or [{"n": 0}])[0]["n"],
            "by_severity": {item["_id"]: item["n"] for item in facet.get("severity", [])},
            "by_status": {item["_id"]: item["n"] for item in facet.get("status", [])},
            "by_tool": {item["_id"]: item["n"] for item in facet.get("tool", [])},
        }

    async def stream(self, team_id: str, query: Mapping[str, Any], sort: list[tuple[str, int]], *,
                     batch_size: int, projection: Mapping[str, Any] | None = None
                     ) -> AsyncIterator[list[dict[str, Any]]]:
        """The matching findings in batches of ``batch_size``, read through one server-side cursor.

        The driver fetches ``batch_size`` documents per round trip, so memory stays at one batch
        however many findings match (an export of 100,000 holds no more than one of 1,000)."""
        cursor = self.collection.find(self.scoped(team_id, query), projection).sort(sort).batch_size(batch_size)
        batch: list[dict[str, Any]] = []
        try:
            async for document in cursor:
                batch.append(document)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch
        finally:
            await cursor.close()

    async def groups(self, team_id: str, query: Mapping[str, Any], field: str, *, unwind: bool,
                     limit: int) -> dict[str, Any]:
        """Matching findings grouped by ``field`` (a path such as ``resource.id``), largest groups first.

        ``unwind`` for an array field (``cve_ids``): a finding counts once in each of its values."""
        path = f"${field}"
        missing = {f"{field}.0": {"$exists": False}} if unwind else {field: {"$in": [None, ""]}}
        grouped: list[dict[str, Any]] = [
            *([{"$unwind": path}] if unwind else []),
            {"$match": {field: {"$nin": [None, ""]}}},
            {"$group": {"_id": {"key": path, "severity": "$severity"}, "n": {"$sum": 1},
                        "rank": {"$max": "$severity_rank"}, "label": {"$first": _GROUP_LABELS.get(field)},
                        "tool": {"$first": "$source_tool"}}},
            {"$group": {"_id": "$_id.key", "count": {"$sum": "$n"}, "rank": {"$max": "$rank"},
                        "label": {"$first": "$label"}, "tool": {"$first": "$tool"},
                        "severities": {"$push": {"severity": "$_id.severity", "n": "$n"}}}},
        ]
        stages: list[dict[str, Any]] = [{"$match": self.scoped(team_id, query)}, {"$facet": {
            "groups": [*grouped, {"$sort": {"count": -1, "_id": 1}}, {"$limit": limit}],
            "total": [*grouped, {"$count": "n"}],
            "ungrouped": [{"$match": missing}, {"$count": "n"}],
        }}]
        result = await (await self.collection.aggregate(stages)).to_list()
        facet = result[0] if result else {}
        return {"groups": facet.get("groups", []),
                "total_groups": (facet.get("total") or [{"n": 0}])[0]["n"],
                "ungrouped": (facet.get("ungrouped") or [{"n": 0}])[0]["n"]}


# A group's label: what a person reads beside the key.
_GROUP_LABELS = {"rule_id": "$title", "resource.id": "$resource.name"}


def overdue_filter(now: datetime) -> dict[str, Any]:
    """Active findings past their SLA date; findings without an SLA (info by default) are never overdue."""
    return {"status": {"$in": ["open", "reopened"]}, "sla_due_at": {"$ne": None, "$lt": now}}


def text_filter(text: str) -> dict[str, Any]:
    """Case-insensitive substring match on the fields people search by (user text escaped)."""
    pattern = {"$regex": re.escape(text.strip()), "$options": "i"}
    return {"$or": [{"title": pattern}, {"rule_id": pattern}, {"resource.id": pattern},
                    {"package.name": pattern}, {"cve_ids": pattern}]}

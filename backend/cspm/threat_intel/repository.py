"""Data access of the threat intelligence module.

Shared reference data (THREAT_INTELLIGENCE, no team): the KEV catalogue and EPSS scores, keyed
by CVE id in ``_id`` (the cheapest lookup on every engine), and the feeds' status and runs.
Team data: indicators, correlations and TAXII sources, every query through ``scoped``.
The intel written onto findings (KEV flag, EPSS, priority) goes through ``FindingIntelRepository``,
team-scoped like the findings module's own repository, so the findings API can filter and sort
on it without importing this module.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.batching import chunked, find_by_keys
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.repository import TeamScopedRepository

KEV = "kev_catalogue"
EPSS = "epss_scores"
FEEDS = "feed_status"
FEED_RUNS = "feed_runs"
INDICATORS = "indicators"
CORRELATIONS = "correlations"
TAXII_SOURCES = "taxii_sources"
FINDINGS = "findings"  # SECURITY_SCANS.findings, owned by the findings module
TARGETS = "scan_targets"  # ORCHESTRATION.scan_targets, owned by the targets module
SBOM_FILES = "sbom_files"  # CLOUD_ASSETS.sbom_files, owned by the assets module
WRITE_CHUNK = 1000

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.THREAT_INTELLIGENCE, FEED_RUNS, [("feed", ASCENDING), ("at", DESCENDING)], "idx_feed_runs"),
    IndexSpec(Database.THREAT_INTELLIGENCE, INDICATORS, [("team_id", ASCENDING), ("stix_id", ASCENDING)],
              "idx_indicator_stix_unique", unique=True),
    IndexSpec(Database.THREAT_INTELLIGENCE, INDICATORS, [("team_id", ASCENDING), ("observables.key", ASCENDING)],
              "idx_indicator_key"),
    IndexSpec(Database.THREAT_INTELLIGENCE, INDICATORS, [("team_id", ASCENDING), ("observables.cidr", ASCENDING)],
              "idx_indicator_cidr"),
    IndexSpec(Database.THREAT_INTELLIGENCE, CORRELATIONS, [("team_id", ASCENDING), ("key", ASCENDING)],
              "idx_correlation_unique", unique=True),
    IndexSpec(Database.THREAT_INTELLIGENCE, CORRELATIONS, [("team_id", ASCENDING), ("last_seen", DESCENDING)],
              "idx_correlation_recent"),
    IndexSpec(Database.THREAT_INTELLIGENCE, TAXII_SOURCES, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_taxii_name_unique", unique=True),
    # On the findings collection: the catalogue refresh finds every team's findings with changed CVEs,
    # and the findings list sorts by priority.
    IndexSpec(Database.SECURITY_SCANS, FINDINGS, [("cve_ids", ASCENDING)], "idx_findings_cve"),
    IndexSpec(Database.SECURITY_SCANS, FINDINGS, [("team_id", ASCENDING), ("priority", DESCENDING)],
              "idx_team_priority"),
)


class CatalogueRepository:
    """A shared catalogue keyed by CVE id (KEV entries, EPSS scores): reference data, no team."""

    def __init__(self, database: AsyncDatabase, name: str) -> None:
        self.collection = database[name]

    async def by_cve(self, cve_ids: Sequence[str], projection: Mapping[str, Any] | None = None,
                     ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(cve_ids))
        for chunk in chunked(unique):
            async for document in self.collection.find({"_id": {"$in": chunk}}, projection):
                found[document["_id"]] = document
        return found

    async def everything(self) -> dict[str, dict[str, Any]]:
        """The whole catalogue by CVE id: for KEV (1,404 entries), one read beats a lookup per batch."""
        return {document["_id"]: document async for document in self.collection.find({})}

    async def by_cve_or_scan(self, cve_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Entries for ``cve_ids``: looked up by id, or read in one pass when they are a large part of it.

        Past a tenth of the catalogue one sequential read costs less than the id lookups on every
        engine, and far less on the embedded store, where an ``$in`` is evaluated document by document
        (``find_by_keys``'s rule)."""
        return {document["_id"]: document async for batch in find_by_keys(self.collection, {}, "_id", cve_ids)
                for document in batch}

    async def all_ids(self) -> set[str]:
        return {document["_id"] async for document in self.collection.find({}, {"_id": 1})}

    async def count(self) -> int:
        return await self.collection.count_documents({})

    async def insert(self, documents: Sequence[Mapping[str, Any]]) -> None:
        """Entries known to be new: plain inserts (an upsert that finds nothing costs more on every engine)."""
        for chunk in chunked(list(documents), WRITE_CHUNK):
            await self.collection.insert_many([dict(document) for document in chunk], ordered=False)

    async def upsert(self, documents: Iterable[Mapping[str, Any]]) -> None:
        operations = [UpdateOne({"_id": document["_id"]}, {"$set": dict(document)}, upsert=True)
                      for document in documents]
        for chunk in chunked(operations, WRITE_CHUNK):
            await self.collection.bulk_write(chunk, ordered=False)

    async def delete(self, cve_ids: Sequence[str]) -> None:
        for chunk in chunked(list(cve_ids)):
            await self.collection.delete_many({"_id": {"$in": chunk}})

    async def page(self, query: Mapping[str, Any], *, sort: list[tuple[str, int]], skip: int,
                   limit: int) -> tuple[list[dict[str, Any]], int]:
        items = await self.collection.find(query).sort(sort).skip(skip).limit(limit).to_list()
        return items, await self.collection.count_documents(query)

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await (await self.collection.aggregate(pipeline)).to_list()


class FeedStatusRepository:
    """One status document per feed (``_id`` = feed name) and one run document per attempt."""

    def __init__(self, database: AsyncDatabase) -> None:
        self.status = database[FEEDS]
        self.runs = database[FEED_RUNS]

    async def get(self, feed: str) -> dict[str, Any] | None:
        return await self.status.find_one({"_id": feed})

    async def all(self) -> list[dict[str, Any]]:
        return await self.status.find({}).sort("_id", ASCENDING).to_list()

    async def record(self, feed: str, run: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        await self.runs.insert_one({"feed": feed, **run})
        await self.status.update_one({"_id": feed}, {"$set": dict(status)}, upsert=True)

    async def recent_runs(self, feed: str, limit: int = 10) -> list[dict[str, Any]]:
        return await self.runs.find({"feed": feed}, {"_id": 0}).sort("at", DESCENDING).limit(limit).to_list()


class IndicatorRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[INDICATORS])

    async def upsert_many(self, team_id: str, documents: Sequence[Mapping[str, Any]], now: datetime,
                          ) -> tuple[int, int]:
        """Insert new indicators, update known ones (same STIX id); returns (new, updated)."""
        new = updated = 0
        for chunk in chunked(list(documents), WRITE_CHUNK):
            operations = [UpdateOne(self.scoped(team_id, {"stix_id": document["stix_id"]}),
                                    {"$set": {**document, "team_id": team_id, "updated_at": now},
                                     "$setOnInsert": {"created_at": now}}, upsert=True) for document in chunk]
            result = await self.collection.bulk_write(operations, ordered=False)
            new += result.upserted_count
            updated += result.matched_count
        return new, updated

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        result = await self.collection.insert_one(stored)
        return {**stored, "_id": result.inserted_id}

    async def update(self, team_id: str, indicator_id: ObjectId, changes: Mapping[str, Any]) -> bool:
        result = await self.collection.update_one(self.scoped(team_id, {"_id": indicator_id}), {"$set": dict(changes)})
        return result.matched_count == 1

    async def delete(self, team_id: str, indicator_id: ObjectId) -> bool:
        result = await self.collection.delete_one(self.scoped(team_id, {"_id": indicator_id}))
        return result.deleted_count == 1

    async def by_keys(self, team_id: str, keys: Sequence[str], active_at: datetime) -> list[dict[str, Any]]:
        """Active indicators with an observable whose key is one of ``keys`` (the exact-match join).

        Expiry is checked here, not in the query: an ``$or`` beside the ``$in`` keeps some engines
        (the embedded store among them) from using the key index."""
        found: dict[ObjectId, dict[str, Any]] = {}
        for chunk in chunked(list(dict.fromkeys(keys))):
            query = self.scoped(team_id, {"observables.key": {"$in": chunk}})
            async for document in self.collection.find(query, MATCH_PROJECTION):
                if is_active(document, active_at):
                    found[document["_id"]] = document
        return list(found.values())

    async def observable_keys(self, team_id: str) -> set[str]:
        """Every exact-match key of the team's indicators, in one read (expired ones too: ``by_keys`` drops them).

        Not ``distinct("observables.key")``: the embedded store (SecantusDB 0.7.0b3) answers it with
        nothing for a path through an array of sub-documents, where MongoDB answers every key."""
        keys: set[str] = set()
        async for document in self.collection.find(self.scoped(team_id), {"_id": 0, "observables.key": 1}):
            keys.update(item["key"] for item in document.get("observables") or () if "key" in item)
        return keys

    async def ranges(self, team_id: str, active_at: datetime) -> list[dict[str, Any]]:
        """Active indicators holding a CIDR range: few per team, matched in memory by bisection."""
        query = self.scoped(team_id, {"observables.cidr": True})
        return [document for document in await self.collection.find(query, MATCH_PROJECTION).to_list()
                if is_active(document, active_at)]

    async def by_ids(self, team_id: str, ids: Sequence[ObjectId]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunked(list(ids)):
            found += await self.find(team_id, {"_id": {"$in": chunk}}, projection=MATCH_PROJECTION)
        return found


MATCH_PROJECTION = {"_id": 1, "stix_id": 1, "name": 1, "observables": 1, "tlp": 1, "context": 1, "source": 1,
                    "confidence": 1, "valid_until": 1}


def is_active(indicator: Mapping[str, Any], moment: datetime) -> bool:
    """Still valid at ``moment``: an expired indicator stops matching."""
    until = indicator.get("valid_until")
    if until is None:
        return True
    return (until if until.tzinfo else until.replace(tzinfo=UTC)) > moment


class CorrelationRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[CORRELATIONS])

    async def existing_keys(self, team_id: str, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunked(list(dict.fromkeys(keys))):
            found |= {document["key"] async for document in
                      self.collection.find(self.scoped(team_id, {"key": {"$in": chunk}}), {"key": 1})}
        return found

    async def upsert_many(self, team_id: str, documents: Sequence[Mapping[str, Any]], now: datetime) -> None:
        for chunk in chunked(list(documents), WRITE_CHUNK):
            operations = [UpdateOne(self.scoped(team_id, {"key": document["key"]}),
                                    {"$set": {**document, "team_id": team_id, "last_seen": now},
                                     "$setOnInsert": {"first_seen": now}}, upsert=True) for document in chunk]
            await self.collection.bulk_write(operations, ordered=False)


class TaxiiSourceRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[TAXII_SOURCES])

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        result = await self.collection.insert_one(stored)
        return {**stored, "_id": result.inserted_id}

    async def update(self, team_id: str, source_id: ObjectId, changes: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"_id": source_id}), {"$set": dict(changes)})

    async def delete(self, team_id: str, source_id: ObjectId) -> bool:
        result = await self.collection.delete_one(self.scoped(team_id, {"_id": source_id}))
        return result.deleted_count == 1

    async def all_teams(self) -> list[dict[str, Any]]:
        """Across teams on purpose: the poll job then works source by source, each in its team."""
        return await self.collection.find({"enabled": True}).to_list()


FINDING_FIELDS = {"_id": 1, "team_id": 1, "dedup_key": 1, "severity": 1, "status": 1, "cvss_score": 1,
                  "epss_score": 1, "last_seen": 1, "cve_ids": 1, "scope_key": 1, "resource": 1, "category": 1,
                  "source_tool": 1, "kev": 1, "epss": 1, "priority": 1, "priority_explanation": 1}


class FindingIntelRepository(TeamScopedRepository):
    """The threat-intel fields on the findings collection: ``kev``, ``epss``, ``priority`` and its explanation."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[FINDINGS])

    def batches_by_keys(self, team_id: str, dedup_keys: Sequence[str]) -> AsyncIterator[list[dict[str, Any]]]:
        """The team's findings with these keys, a thousand at a time (an import's changed findings)."""
        return find_by_keys(self.collection, self.scoped(team_id), "dedup_key", dedup_keys, FINDING_FIELDS)

    def of_target(self, team_id: str, target_id: str) -> Any:
        """A cursor over the findings of a target's scans (their scope is ``<tool>:target:<id>:<part>``)."""
        pattern = f"^[^:]+:target:{re.escape(target_id)}:"
        return self.team_findings(team_id, {"scope_key": {"$regex": pattern}})

    def team_findings(self, team_id: str, query: Mapping[str, Any] | None = None) -> Any:
        """A cursor over the team's findings (correlating a whole team: read once, never all in memory)."""
        return self.collection.find(self.scoped(team_id, query), FINDING_FIELDS, batch_size=2000)

    async def teams_with_cves(self, cve_ids: Sequence[str]) -> dict[str, list[str]]:
        """Across teams on purpose: a catalogue change concerns every team's findings with those CVEs."""
        teams: dict[str, list[str]] = {}
        for chunk in chunked(list(dict.fromkeys(cve_ids))):
            async for document in self.collection.find({"cve_ids": {"$in": chunk}}, {"team_id": 1, "dedup_key": 1}):
                teams.setdefault(document["team_id"], []).append(document["dedup_key"])
        return teams

    async def write_intel(self, team_id: str, updates: Sequence[tuple[ObjectId, Mapping[str, Any], Sequence[str]]],
                          ) -> int:
        """One update per changed finding: fields to set and fields to clear."""
        written = 0
        for chunk in chunked(list(updates), WRITE_CHUNK):
            operations = []
            for finding_id, changes, cleared in chunk:
                update: dict[str, Any] = {"$set": dict(changes)}
                if cleared:
                    update["$unset"] = {name: "" for name in cleared}
                operations.append(UpdateOne(self.scoped(team_id, {"_id": finding_id}), update))
            if operations:
                written += (await self.collection.bulk_write(operations, ordered=False)).modified_count
        return written

    async def kev_summary(self, team_id: str, now: datetime) -> dict[str, Any]:
        """Open findings that are known exploited, and how many are past CISA's due date, in one round trip."""
        active = {"result": "fail", "status": {"$in": ["open", "reopened"]}, "kev": {"$exists": True}}
        pipeline = [{"$match": self.scoped(team_id, active)},
                    {"$facet": {"total": [{"$count": "n"}],
                                "overdue": [{"$match": {"kev.due_date": {"$lt": now.date().isoformat()}}},
                                            {"$count": "n"}],
                                "by_cve": [{"$unwind": "$kev.cve_ids"},
                                           {"$group": {"_id": "$kev.cve_ids", "n": {"$sum": 1}}}]}}]
        result = (await (await self.collection.aggregate(pipeline)).to_list()) or [{}]
        facet = result[0]
        return {"open": (facet.get("total") or [{"n": 0}])[0]["n"],
                "past_due": (facet.get("overdue") or [{"n": 0}])[0]["n"],
                "by_cve": {row["_id"]: row["n"] for row in facet.get("by_cve", [])}}

    async def epss_distribution(self, team_id: str) -> list[dict[str, Any]]:
        """Open findings with a CVE by EPSS band (0-0.1, …, 0.9-1, and unknown)."""
        pipeline = [{"$match": self.scoped(team_id, {"result": "fail", "status": {"$in": ["open", "reopened"]},
                                                    "cve_ids.0": {"$exists": True}})},
                    {"$bucket": {"groupBy": {"$ifNull": ["$epss.score", -1]},
                                 "boundaries": [-1, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.000001],
                                 "default": "other", "output": {"n": {"$sum": 1}}}}]
        return await (await self.collection.aggregate(pipeline)).to_list()


class TargetContextRepository(TeamScopedRepository):
    """Read-only view of scan targets: the exposure and criticality their owners declared."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[TARGETS])

    async def declared(self, team_id: str, target_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        ids = [ObjectId(value) for value in dict.fromkeys(target_ids) if ObjectId.is_valid(value)]
        found: dict[str, dict[str, str]] = {}
        for chunk in chunked(ids):
            for document in await self.find(team_id, {"_id": {"$in": chunk}}, projection={"options": 1, "name": 1}):
                options = document.get("options") or {}
                found[str(document["_id"])] = {"name": str(document.get("name") or ""),
                                               "exposure": str(options.get("exposure") or ""),
                                               "criticality": str(options.get("criticality") or "")}
        return found


class SbomFileRepository(TeamScopedRepository):
    """Read-only view of the files SBOMs list with their digests (``hash_keys``: ``sha256:<hex>``...)."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[SBOM_FILES])

    async def with_hash_keys(self, team_id: str, keys: Sequence[str]) -> list[dict[str, Any]]:
        """The team's SBOM files whose digest is one of ``keys`` (by the ``idx_files_hash`` index)."""
        found: list[dict[str, Any]] = []
        for chunk in chunked(list(dict.fromkeys(keys))):
            found += await self.find(team_id, {"hash_keys": {"$in": chunk}},
                                     projection={"asset_id": 1, "path": 1, "hash_keys": 1})
        return found

    async def of_asset(self, team_id: str, asset_id: str) -> list[dict[str, Any]]:
        return await self.find(team_id, {"asset_id": asset_id}, projection={"asset_id": 1, "path": 1, "hash_keys": 1})

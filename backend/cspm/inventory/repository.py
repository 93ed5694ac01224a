"""Data access of the cloud asset inventory (CLOUD_ASSETS), every query through ``scoped``.

- ``asset_cache``: one document per resource per cloud account (unique team, account, resource
  id; declared in core). A removed resource keeps its document with ``removed_at`` set, so its
  timeline stays readable.
- ``asset_changes``: one document per added, removed or changed asset per discovery run.
- ``discovery_runs``: one per run, with its counts and the errors of the scopes that failed.
The findings linked to an asset are read from SECURITY_SCANS.findings (owned by the findings module).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.batching import chunked
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.errors import NotFound
from cspm.core.repository import TeamScopedRepository

ASSETS = "asset_cache"
CHANGES = "asset_changes"
RUNS = "discovery_runs"
FINDINGS = "findings"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.CLOUD_ASSETS, ASSETS, [("team_id", ASCENDING), ("link_key", ASCENDING)], "idx_asset_link_key"),
    IndexSpec(Database.CLOUD_ASSETS, ASSETS, [("team_id", ASCENDING), ("resource_type", ASCENDING)],
              "idx_asset_type"),
    IndexSpec(Database.CLOUD_ASSETS, CHANGES, [("team_id", ASCENDING), ("asset_id", ASCENDING), ("at", DESCENDING)],
              "idx_change_asset"),
    IndexSpec(Database.CLOUD_ASSETS, CHANGES, [("team_id", ASCENDING), ("run_id", ASCENDING)], "idx_change_run"),
    IndexSpec(Database.CLOUD_ASSETS, RUNS, [("team_id", ASCENDING), ("run_id", ASCENDING)], "idx_discovery_run_unique",
              unique=True),
    IndexSpec(Database.CLOUD_ASSETS, RUNS, [("team_id", ASCENDING), ("account_id", ASCENDING),
                                            ("started_at", DESCENDING)], "idx_discovery_run_account"),
    IndexSpec(Database.SECURITY_SCANS, FINDINGS, [("team_id", ASCENDING), ("resource.id", ASCENDING)],
              "idx_findings_resource_id"),
)

COMPARED = {"resource_id": 1, "fingerprint": 1, "name": 1, "region": 1, "attributes": 1, "tags": 1,
            "removed_at": 1}


class AssetRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[ASSETS])

    async def existing(self, team_id: str, account_id: str, resource_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunked(list(resource_ids)):
            async for document in self.collection.find(
                    self.scoped(team_id, {"account_id": account_id, "resource_id": {"$in": chunk}}), COMPARED):
                found[document["resource_id"]] = document
        return found

    async def write(self, operations: Sequence[UpdateOne]) -> None:
        if operations:
            await self.collection.bulk_write(list(operations), ordered=False)

    async def touch(self, team_id: str, account_id: str, resource_ids: Sequence[str], run_id: str,
                    now: datetime) -> None:
        """Seen again, unchanged: only the sighting moves."""
        for chunk in chunked(list(resource_ids)):
            await self.collection.update_many(
                self.scoped(team_id, {"account_id": account_id, "resource_id": {"$in": chunk}}),
                {"$set": {"last_seen": now, "last_run_id": run_id}})

    async def not_seen(self, team_id: str, account_id: str, run_id: str, scopes: Sequence[str],
                       batch_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        """Present assets of the complete ``scopes`` this run did not see, a batch at a time."""
        query = self.scoped(team_id, {"account_id": account_id, "removed_at": None, "last_run_id": {"$ne": run_id},
                                      "scope": {"$in": list(scopes)}})
        batch: list[dict[str, Any]] = []
        async for document in self.collection.find(query, {"_id": 1, "resource_id": 1, "name": 1,
                                                           "resource_type": 1}, batch_size=batch_size):
            batch.append(document)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def mark_removed(self, team_id: str, ids: Sequence[Any], now: datetime) -> None:
        for chunk in chunked(list(ids)):
            await self.collection.update_many(self.scoped(team_id, {"_id": {"$in": chunk}}),
                                              {"$set": {"removed_at": now}})

    async def page(self, team_id: str, query: Mapping[str, Any], *, skip: int,
                   limit: int) -> tuple[list[dict[str, Any]], int]:
        scoped = self.scoped(team_id, query)
        items = await self.collection.find(scoped, {"attributes": 0}).sort(
            [("resource_type", ASCENDING), ("name", ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit).to_list()
        return items, await self.collection.count_documents(scoped)

    async def facets(self, team_id: str) -> dict[str, list[str]]:
        present = self.scoped(team_id, {"removed_at": None})
        return {name: sorted(value for value in await self.collection.distinct(name, present) if value)
                for name in ("resource_type", "region", "account_id", "provider")}

    async def by_link_key(self, team_id: str, link_key: str) -> list[dict[str, Any]]:
        return await self.find(team_id, {"link_key": link_key}, sort=[("removed_at", ASCENDING)], limit=10)


class ChangeRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[CHANGES])

    async def insert(self, team_id: str, changes: Sequence[dict[str, Any]]) -> None:
        if changes:
            await self.collection.insert_many([{**change, "team_id": team_id} for change in changes], ordered=False)

    async def page(self, team_id: str, query: Mapping[str, Any], *, skip: int,
                   limit: int) -> tuple[list[dict[str, Any]], int]:
        scoped = self.scoped(team_id, query)
        items = await self.collection.find(scoped, {"_id": 0, "team_id": 0}).sort(
            [("at", DESCENDING), ("resource_id", ASCENDING)]).skip(skip).limit(limit).to_list()
        return items, await self.collection.count_documents(scoped)

    async def purge_before(self, cutoff: datetime) -> int:
        return (await self.collection.delete_many({"at": {"$lt": cutoff}})).deleted_count


class DiscoveryRunRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[RUNS])

    async def insert(self, team_id: str, document: dict[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        await self.collection.insert_one(stored)
        return stored

    async def by_run_id(self, team_id: str, run_id: str) -> dict[str, Any]:
        document = await self.collection.find_one(self.scoped(team_id, {"run_id": run_id}), {"_id": 0})
        if document is None:
            raise NotFound("discovery run not found")
        return document

    async def update(self, team_id: str, run_id: str, changes: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"run_id": run_id}), {"$set": dict(changes)})

    async def active(self, team_id: str, account_id: str, since: datetime) -> dict[str, Any] | None:
        return await self.collection.find_one(self.scoped(team_id, {
            "account_id": account_id, "state": {"$in": ["queued", "running"]}, "started_at": {"$gte": since}}))

    async def recent(self, team_id: str, account_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"account_id": account_id} if account_id else {}
        return await self.find(team_id, query, sort=[("started_at", DESCENDING)], limit=limit, projection={"_id": 0})

    async def purge_before(self, cutoff: datetime) -> int:
        return (await self.collection.delete_many({"started_at": {"$lt": cutoff}})).deleted_count


class AssetFindingRepository(TeamScopedRepository):
    """Read-only: the team's findings whose resource is one of an asset's ids."""

    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[FINDINGS])

    async def for_resources(self, team_id: str, resource_ids: Sequence[str], limit: int) -> list[dict[str, Any]]:
        return await self.find(team_id, {"resource.id": {"$in": list(resource_ids)}},
                               sort=[("severity_rank", DESCENDING), ("_id", DESCENDING)], limit=limit,
                               projection={"title": 1, "severity": 1, "status": 1, "source_tool": 1, "rule_id": 1,
                                           "resource": 1, "last_seen": 1})

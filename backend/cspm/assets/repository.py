"""SBOMs in CLOUD_ASSETS: one document per component (``sbom_components``) and per digested file
(``sbom_files``) per asset per team."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.repository import TeamScopedRepository

COMPONENTS = "sbom_components"
FILES = "sbom_files"
SNAPSHOTS = "sbom_snapshots"
BATCH = 1000

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.CLOUD_ASSETS, COMPONENTS, [("team_id", ASCENDING), ("asset_id", ASCENDING)],
              "idx_components_asset"),
    IndexSpec(Database.CLOUD_ASSETS, COMPONENTS, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_components_name"),
    IndexSpec(Database.CLOUD_ASSETS, FILES, [("team_id", ASCENDING), ("asset_id", ASCENDING)], "idx_files_asset"),
    # threat intel's join: the files whose digest a file-hash indicator names
    IndexSpec(Database.CLOUD_ASSETS, FILES, [("team_id", ASCENDING), ("hash_keys", ASCENDING)], "idx_files_hash"),
    IndexSpec(Database.CLOUD_ASSETS, SNAPSHOTS, [("team_id", ASCENDING), ("asset_id", ASCENDING)],
              "idx_sbom_snapshot_unique", unique=True),
)


class ComponentRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[COMPONENTS])
        self.files = database[FILES]
        self.snapshots = database[SNAPSHOTS]

    async def replace_asset(self, team_id: str, asset_id: str, components: Iterable[dict[str, Any]], *,
                            run_id: str, now: datetime, files: Iterable[dict[str, Any]] = ()) -> int:
        """The latest SBOM of an asset replaces the previous one: components and file digests, in batches."""
        stamp = {"team_id": team_id, "asset_id": asset_id, "run_id": run_id, "seen_at": now}
        count = await self._replace(self.collection, team_id, asset_id, components, stamp)
        file_count = await self._replace(self.files, team_id, asset_id, files, stamp)
        await self.snapshots.update_one(
            self.scoped(team_id, {"asset_id": asset_id}),
            {"$set": {"component_count": count, "file_count": file_count, "run_id": run_id, "updated_at": now}},
            upsert=True)
        return count

    async def _replace(self, collection: Any, team_id: str, asset_id: str, documents: Iterable[dict[str, Any]],
                       stamp: dict[str, Any]) -> int:
        await collection.delete_many(self.scoped(team_id, {"asset_id": asset_id}))
        count = 0
        batch: list[dict[str, Any]] = []
        for document in documents:
            batch.append({**document, **stamp})
            if len(batch) >= BATCH:
                await collection.insert_many(batch, ordered=False)
                count += len(batch)
                batch = []
        if batch:
            await collection.insert_many(batch, ordered=False)
            count += len(batch)
        return count

    async def assets(self, team_id: str) -> list[dict[str, Any]]:
        return await self.snapshots.find(self.scoped(team_id), {"_id": 0, "team_id": 0}).sort(
            "updated_at", -1).to_list()

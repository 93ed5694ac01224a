"""Data access of container registries (CONTAINER_REGISTRY), every query through ``scoped``.

- ``registries``: one connection per document, credentials as a Fernet token (never projected
  out unless asked for), ``deleted_at`` when soft-deleted.
- ``registry_repositories``: the sync status of each repository (state, error, counts).
- ``registry_images``: one document per (registry, repository, digest), unique in core; its
  ``account_id`` is the registry's id, and ``scan`` the state of the scan of that digest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.batching import chunked
from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, NotFound
from cspm.core.repository import TeamScopedRepository

REGISTRIES = "registries"
REPOSITORIES = "registry_repositories"
IMAGES = "registry_images"
PUBLIC_PROJECTION = {"credentials": 0}

INDEXES: tuple[IndexSpec, ...] = (
    # Not unique: a soft-deleted registry keeps its name until purged; the service refuses active duplicates.
    IndexSpec(Database.CONTAINER_REGISTRY, REGISTRIES, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_registry_team_name"),
    IndexSpec(Database.CONTAINER_REGISTRY, REPOSITORIES, [("team_id", ASCENDING), ("registry_id", ASCENDING),
                                                          ("name", ASCENDING)], "idx_registry_repository_unique",
              unique=True),
    IndexSpec(Database.CONTAINER_REGISTRY, IMAGES, [("team_id", ASCENDING), ("account_id", ASCENDING),
                                                    ("last_seen", DESCENDING)], "idx_registry_images_team"),
    IndexSpec(Database.CONTAINER_REGISTRY, IMAGES, [("team_id", ASCENDING), ("image_digest", ASCENDING)],
              "idx_registry_images_digest"),
)


class RegistryRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[REGISTRIES])

    async def insert(self, document: dict[str, Any]) -> dict[str, Any]:
        if await self.collection.find_one(self.scoped(document["team_id"], {"name": document["name"],
                                                                            "deleted_at": None}), {"_id": 1}):
            raise Conflict(f"a registry named {document['name']!r} already exists in this team")
        await self.collection.insert_one(document)
        return {key: value for key, value in document.items() if key != "credentials"}

    async def active(self, team_id: str, registry_id: str, *, with_credentials: bool = False) -> dict[str, Any]:
        document = await self.collection.find_one(
            self.scoped(team_id, {"_id": self.object_id(registry_id, "registry"), "deleted_at": None}),
            None if with_credentials else PUBLIC_PROJECTION)
        if document is None:
            raise NotFound("registry not found")
        return document

    async def list_active(self, team_id: str) -> list[dict[str, Any]]:
        return await self.find(team_id, {"deleted_at": None}, sort=[("name", ASCENDING)],
                               projection=PUBLIC_PROJECTION)

    async def update(self, team_id: str, registry_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        return await self.collection.find_one_and_update(
            self.scoped(team_id, {"_id": self.object_id(registry_id, "registry")}), {"$set": dict(changes)},
            projection=PUBLIC_PROJECTION, return_document=ReturnDocument.AFTER)

    async def soft_delete(self, team_id: str, registry_id: str, now: datetime) -> dict[str, Any]:
        document = await self.collection.find_one_and_update(
            self.scoped(team_id, {"_id": self.object_id(registry_id, "registry"), "deleted_at": None}),
            {"$set": {"deleted_at": now}, "$unset": {"credentials": ""}}, projection=PUBLIC_PROJECTION)
        if document is None:
            raise NotFound("registry not found")
        return document

    async def all_active(self) -> list[dict[str, Any]]:
        """Every team's active registries (the periodic sync)."""
        return await self.collection.find({"deleted_at": None}, {"_id": 1, "team_id": 1}).to_list()

    async def deleted_before(self, cutoff: datetime) -> list[dict[str, Any]]:
        return await self.collection.find({"deleted_at": {"$ne": None, "$lt": cutoff}},
                                          {"_id": 1, "team_id": 1, "name": 1}).to_list()

    async def purge(self, registry_id: Any) -> None:
        await self.collection.delete_one({"_id": registry_id})


class RepositoryStatusRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[REPOSITORIES])

    async def record(self, team_id: str, registry_id: str, name: str, values: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"registry_id": registry_id, "name": name}),
                                         {"$set": dict(values)}, upsert=True)

    async def of_registry(self, team_id: str, registry_id: str) -> list[dict[str, Any]]:
        return await self.find(team_id, {"registry_id": registry_id}, sort=[("name", ASCENDING)],
                               projection={"_id": 0, "team_id": 0})

    async def drop_missing(self, team_id: str, registry_id: str, present: Sequence[str]) -> list[str]:
        gone = [document["name"] for document in await self.find(
            team_id, {"registry_id": registry_id, "name": {"$nin": list(present)}}, projection={"name": 1})]
        for chunk in chunked(gone):
            await self.collection.delete_many(self.scoped(team_id, {"registry_id": registry_id,
                                                                    "name": {"$in": chunk}}))
        return gone

    async def purge_registry(self, registry_id: str) -> None:
        await self.collection.delete_many({"registry_id": registry_id})


class ImageRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[IMAGES])

    async def digests(self, team_id: str, registry_id: str, repository: str) -> set[str]:
        documents = await self.find(team_id, {"account_id": registry_id, "repository_name": repository},
                                    projection={"image_digest": 1})
        return {document["image_digest"] for document in documents}

    async def upsert(self, team_id: str, registry_id: str, repository: str, images: Sequence[Mapping[str, Any]],
                     now: datetime) -> None:
        operations = [UpdateOne(
            {"account_id": registry_id, "repository_name": repository, "image_digest": image["image_digest"]},
            {"$set": {**image, "team_id": team_id, "last_seen": now},
             "$setOnInsert": {"first_seen": now, "scan": {"state": "not_scanned"}}}, upsert=True) for image in images]
        for chunk in chunked(operations, 500):
            await self.collection.bulk_write(chunk, ordered=False)

    async def remove(self, team_id: str, registry_id: str, repository: str | None, digests: Sequence[str] | None,
                     ) -> int:
        query: dict[str, Any] = {"account_id": registry_id}
        if repository is not None:
            query["repository_name"] = repository
        if digests is None:
            return (await self.collection.delete_many(self.scoped(team_id, query))).deleted_count
        removed = 0
        for chunk in chunked(list(digests)):
            removed += (await self.collection.delete_many(
                self.scoped(team_id, {**query, "image_digest": {"$in": chunk}}))).deleted_count
        return removed

    async def set_scan(self, team_id: str, registry_id: str, repository: str, digest: str,
                       scan: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"account_id": registry_id,
                                                               "repository_name": repository,
                                                               "image_digest": digest}), {"$set": {"scan": dict(scan)}})

    async def page(self, team_id: str, query: Mapping[str, Any], *, skip: int,
                   limit: int) -> tuple[list[dict[str, Any]], int]:
        scoped = self.scoped(team_id, query)
        items = await self.collection.find(scoped).sort(
            [("repository_name", ASCENDING), ("last_seen", DESCENDING), ("image_digest", ASCENDING)]).skip(
            skip).limit(limit).to_list()
        return items, await self.collection.count_documents(scoped)

    async def purge_registry(self, registry_id: str) -> int:
        return (await self.collection.delete_many({"account_id": registry_id})).deleted_count

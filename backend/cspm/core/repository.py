"""Base repository for team-owned data: every query is filtered by the team id.

Domain repositories inherit from it and build every query with ``self.scoped(team_id, ...)``,
so there is no method that can read, count or change another team's documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.errors import NotFound


class TeamScopedRepository:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    @staticmethod
    def scoped(team_id: str, query: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if not isinstance(team_id, str) or not team_id:
            raise ValueError("a team id is required for every team-owned query")
        if query and "team_id" in query and query["team_id"] != team_id:
            raise ValueError("query names another team")
        return {**(query or {}), "team_id": team_id}

    @staticmethod
    def object_id(value: str, what: str = "item") -> ObjectId:
        """Parse an id from a URL; a malformed one is simply not found (no existence leak)."""
        try:
            return ObjectId(value)
        except (InvalidId, TypeError):
            raise NotFound(f"{what} not found") from None

    async def get(self, team_id: str, document_id: str, *, what: str = "item",
                  projection: Mapping[str, Any] | None = None) -> dict[str, Any]:
        document = await self.collection.find_one(
            self.scoped(team_id, {"_id": self.object_id(document_id, what)}), projection)
        if document is None:
            raise NotFound(f"{what} not found")
        return document

    async def count(self, team_id: str, query: Mapping[str, Any] | None = None) -> int:
        return await self.collection.count_documents(self.scoped(team_id, query))

    async def find(self, team_id: str, query: Mapping[str, Any] | None = None, *,
                   sort: list[tuple[str, int]] | None = None, limit: int = 0,
                   projection: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.collection.find(self.scoped(team_id, query), projection)
        if sort:
            cursor = cursor.sort(sort)
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()


class TeamDocuments(TeamScopedRepository):
    """Insert, update by id and delete by id for one team-owned collection."""

    def __init__(self, database: AsyncDatabase, collection: str, what: str) -> None:
        super().__init__(database[collection])
        self.what = what

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> str:
        result = await self.collection.insert_one({**document, "team_id": team_id})
        return str(result.inserted_id)

    async def insert_many(self, team_id: str, documents: Sequence[Mapping[str, Any]]) -> None:
        if documents:
            await self.collection.insert_many([{**document, "team_id": team_id} for document in documents])

    async def update(self, team_id: str, document_id: str, changes: Mapping[str, Any],
                     unset: Sequence[str] = ()) -> dict[str, Any]:
        update: dict[str, Any] = {"$set": dict(changes)}
        if unset:
            update["$unset"] = dict.fromkeys(unset, "")
        updated = await self.collection.find_one_and_update(
            self.scoped(team_id, {"_id": self.object_id(document_id, self.what)}), update,
            return_document=ReturnDocument.AFTER)
        if updated is None:
            raise NotFound(f"{self.what} not found")
        return updated

    async def delete(self, team_id: str, document_id: str) -> bool:
        result = await self.collection.delete_one(self.scoped(team_id, {"_id": self.object_id(document_id, self.what)}))
        return result.deleted_count == 1

    async def teams(self) -> list[str]:
        """Teams with any document here (for the scheduled jobs, which then work team by team)."""
        return [team for team in await self.collection.distinct("team_id") if isinstance(team, str)]

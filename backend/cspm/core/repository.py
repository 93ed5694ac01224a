"""Base repository for team-owned data: every query is filtered by the team id.

Domain repositories inherit from it and build every query with ``self.scoped(team_id, ...)``,
so there is no method that can read, count or change another team's documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.asynchronous.collection import AsyncCollection

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

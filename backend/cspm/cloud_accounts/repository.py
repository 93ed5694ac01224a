"""Cloud account documents (CLOUD_SECURITY.cloud_accounts); every query is team-scoped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.manager import CSPMDatabaseManager
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, NotFound
from cspm.core.repository import TeamScopedRepository

COLLECTION = "cloud_accounts"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.CLOUD_SECURITY, COLLECTION, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_team_name_unique", unique=True),
    IndexSpec(Database.CLOUD_SECURITY, COLLECTION, [("team_id", ASCENDING), ("provider", ASCENDING)],
              "idx_team_provider"),
)

# Never leaves the repository unless a caller asks for the encrypted credentials explicitly.
PUBLIC_PROJECTION = {"credentials": 0}


class CloudAccountRepository(TeamScopedRepository):
    def __init__(self, database: CSPMDatabaseManager) -> None:
        super().__init__(database.db(Database.CLOUD_SECURITY)[COLLECTION])

    async def insert(self, document: dict[str, Any]) -> dict[str, Any]:
        if not document.get("team_id"):
            raise ValueError("a team id is required for every team-owned document")
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError:
            raise Conflict(f"a cloud account named {document['name']!r} already exists in this team") from None
        return {key: value for key, value in document.items() if key != "credentials"}

    async def list(self, team_id: str, provider: str | None = None) -> list[dict[str, Any]]:
        query = {"provider": provider} if provider else None
        return await self.find(team_id, query, sort=[("name", ASCENDING)], projection=PUBLIC_PROJECTION)

    async def get_public(self, team_id: str, account_id: str) -> dict[str, Any]:
        return await self.get(team_id, account_id, what="cloud account", projection=PUBLIC_PROJECTION)

    async def get_with_credentials(self, team_id: str, account_id: str) -> dict[str, Any]:
        return await self.get(team_id, account_id, what="cloud account")

    async def update(self, team_id: str, account_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        try:
            document = await self.collection.find_one_and_update(
                self.scoped(team_id, {"_id": self.object_id(account_id, "cloud account")}), {"$set": changes},
                projection=PUBLIC_PROJECTION, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            raise Conflict(f"a cloud account named {changes.get('name')!r} already exists in this team") from None
        if document is None:
            raise NotFound("cloud account not found")
        return document

    async def delete(self, team_id: str, account_id: str) -> None:
        result = await self.collection.delete_one(
            self.scoped(team_id, {"_id": self.object_id(account_id, "cloud account")}))
        if result.deleted_count == 0:
            raise NotFound("cloud account not found")

    # --- platform maintenance (key rotation): every team, credentials only -----------------
    async def all_credentials(self) -> AsyncIterator[dict[str, Any]]:
        async for document in self.collection.find({}, {"_id": 1, "team_id": 1, "credentials": 1}):
            yield document

    async def replace_credentials(self, document_id: Any, team_id: str, old: str, new: str) -> bool:
        """Swap the token only if nobody changed it meanwhile."""
        result = await self.collection.update_one({"_id": document_id, "team_id": team_id, "credentials": old},
                                                  {"$set": {"credentials": new}})
        return result.modified_count == 1

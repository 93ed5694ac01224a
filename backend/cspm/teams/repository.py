"""Teams, memberships and invitations (PLATFORM database).

Every method that touches a team's data takes ``team_id`` and filters by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.manager import CSPMDatabaseManager
from cspm.core.database.registry import Database

TEAMS = "teams"
MEMBERSHIPS = "team_memberships"
INVITATIONS = "team_invitations"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.PLATFORM, TEAMS, [("slug", ASCENDING)], "idx_teams_slug_unique", unique=True),
    IndexSpec(Database.PLATFORM, MEMBERSHIPS, [("team_id", ASCENDING), ("user_id", ASCENDING)],
              "idx_membership_unique", unique=True),
    IndexSpec(Database.PLATFORM, MEMBERSHIPS, [("user_id", ASCENDING)], "idx_membership_user"),
    IndexSpec(Database.PLATFORM, INVITATIONS, [("token_hash", ASCENDING)], "idx_invitation_hash_unique",
              unique=True),
    IndexSpec(Database.PLATFORM, INVITATIONS, [("team_id", ASCENDING), ("created_at", DESCENDING)],
              "idx_invitation_team"),
)


def now() -> datetime:
    return datetime.now(UTC)


class AlreadyExists(Exception):
    pass


class TeamRepository:
    def __init__(self, database: CSPMDatabaseManager) -> None:
        self._database = database

    def _collection(self, name: str) -> AsyncCollection:
        return self._database.db(Database.PLATFORM)[name]

    @property
    def teams(self) -> AsyncCollection:
        return self._collection(TEAMS)

    @property
    def memberships(self) -> AsyncCollection:
        return self._collection(MEMBERSHIPS)

    @property
    def invitations(self) -> AsyncCollection:
        return self._collection(INVITATIONS)

    # --- teams -------------------------------------------------------------------------
    async def insert_team(self, document: dict[str, Any]) -> None:
        try:
            await self.teams.insert_one(document)
        except DuplicateKeyError as exc:
            raise AlreadyExists(document["slug"]) from exc

    async def get_team(self, team_id: str) -> dict[str, Any] | None:
        return await self.teams.find_one({"_id": team_id})

    async def teams_by_ids(self, team_ids: Sequence[str]) -> list[dict[str, Any]]:
        return await self.teams.find({"_id": {"$in": list(team_ids)}}).to_list()

    async def rename_team(self, *, team_id: str, name: str) -> dict[str, Any] | None:
        return await self.teams.find_one_and_update(
            {"_id": team_id}, {"$set": {"name": name, "updated_at": now()}}, return_document=ReturnDocument.AFTER)

    async def set_module(self, *, team_id: str, module: str, enabled: bool) -> dict[str, Any] | None:
        change = {"$pull": {"disabled_modules": module}} if enabled else {"$addToSet": {"disabled_modules": module}}
        return await self.teams.find_one_and_update({"_id": team_id}, {**change, "$set": {"updated_at": now()}},
                                                    return_document=ReturnDocument.AFTER)

    async def delete_team(self, team_id: str) -> None:
        """Used only to undo a team whose creator membership could not be written."""
        await self.teams.delete_one({"_id": team_id})

    # --- memberships -------------------------------------------------------------------
    async def add_member(self, *, team_id: str, user_id: str, role: str, added_by: str | None) -> dict[str, Any]:
        document = {"_id": f"{team_id}:{user_id}", "team_id": team_id, "user_id": user_id, "role": role,
                    "created_at": now(), "added_by": added_by}
        try:
            await self.memberships.insert_one(document)
        except DuplicateKeyError as exc:
            raise AlreadyExists(user_id) from exc
        return document

    async def membership(self, *, team_id: str, user_id: str) -> dict[str, Any] | None:
        return await self.memberships.find_one({"team_id": team_id, "user_id": user_id})

    async def memberships_of(self, user_id: str) -> list[dict[str, Any]]:
        """A user's own memberships (across teams): what the user may select as active team."""
        return await self.memberships.find({"user_id": user_id}).sort("created_at", ASCENDING).to_list()

    async def members(self, *, team_id: str) -> list[dict[str, Any]]:
        return await self.memberships.find({"team_id": team_id}).sort("created_at", ASCENDING).to_list()

    async def count_role(self, *, team_id: str, role: str) -> int:
        return await self.memberships.count_documents({"team_id": team_id, "role": role})

    async def set_role(self, *, team_id: str, user_id: str, role: str) -> dict[str, Any] | None:
        return await self.memberships.find_one_and_update(
            {"team_id": team_id, "user_id": user_id}, {"$set": {"role": role, "updated_at": now()}},
            return_document=ReturnDocument.AFTER)

    async def remove_member(self, *, team_id: str, user_id: str) -> bool:
        result = await self.memberships.delete_one({"team_id": team_id, "user_id": user_id})
        return result.deleted_count == 1

    # --- invitations -------------------------------------------------------------------
    async def insert_invitation(self, document: dict[str, Any]) -> None:
        await self.invitations.insert_one(document)

    async def invitations_of(self, *, team_id: str) -> list[dict[str, Any]]:
        return await self.invitations.find({"team_id": team_id}, {"token_hash": 0}).sort(
            "created_at", DESCENDING).to_list()

    async def invitation_by_hash(self, token_hash: str) -> dict[str, Any] | None:
        """Lookup by the secret itself: whoever holds the invitation token may see its team."""
        return await self.invitations.find_one({"token_hash": token_hash})

    async def claim_invitation(self, *, invitation_id: str, user_id: str) -> dict[str, Any] | None:
        """Mark an open, unexpired invitation accepted (once); None if it was not open."""
        return await self.invitations.find_one_and_update(
            {"_id": invitation_id, "accepted_at": None, "revoked_at": None, "expires_at": {"$gt": now()}},
            {"$set": {"accepted_at": now(), "accepted_by": user_id}}, return_document=ReturnDocument.AFTER)

    async def revoke_invitation(self, *, team_id: str, invitation_id: str) -> dict[str, Any] | None:
        return await self.invitations.find_one_and_update(
            {"_id": invitation_id, "team_id": team_id, "accepted_at": None, "revoked_at": None},
            {"$set": {"revoked_at": now()}}, projection={"token_hash": 0}, return_document=ReturnDocument.AFTER)

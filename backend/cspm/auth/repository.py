"""Data access for users, sessions, API tokens and the platform's registration switch.

All collections live in the PLATFORM database. API tokens belong to one team: every
token query except the lookup by hash (authentication itself) takes the team id.
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

USERS = "users"
SESSIONS = "auth_sessions"
API_TOKENS = "api_tokens"
PLATFORM_SETTINGS = "platform_settings"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.PLATFORM, USERS, [("email", ASCENDING)], "idx_users_email_unique", unique=True),
    IndexSpec(Database.PLATFORM, SESSIONS, [("user_id", ASCENDING), ("revoked_at", ASCENDING)],
              "idx_sessions_user"),
    IndexSpec(Database.PLATFORM, API_TOKENS, [("token_hash", ASCENDING)], "idx_api_tokens_hash_unique",
              unique=True),
    IndexSpec(Database.PLATFORM, API_TOKENS, [("team_id", ASCENDING), ("created_at", DESCENDING)],
              "idx_api_tokens_team"),
)


def now() -> datetime:
    return datetime.now(UTC)


class EmailTaken(Exception):
    pass


class UserRepository:
    def __init__(self, database: CSPMDatabaseManager) -> None:
        self._database = database

    @property
    def users(self) -> AsyncCollection:
        return self._database.db(Database.PLATFORM)[USERS]

    async def count(self) -> int:
        return await self.users.count_documents({}, limit=1)

    async def insert(self, document: dict[str, Any]) -> dict[str, Any]:
        try:
            await self.users.insert_one(document)
        except DuplicateKeyError as exc:
            raise EmailTaken(document["email"]) from exc
        return document

    async def get(self, user_id: str) -> dict[str, Any] | None:
        return await self.users.find_one({"_id": user_id})

    async def by_email(self, email: str) -> dict[str, Any] | None:
        return await self.users.find_one({"email": email})

    async def many(self, user_ids: Sequence[str]) -> list[dict[str, Any]]:
        return await self.users.find({"_id": {"$in": list(user_ids)}}).to_list()

    async def list(self, *, limit: int, after_id: str | None = None) -> list[dict[str, Any]]:
        query = {"_id": {"$gt": after_id}} if after_id else {}
        return await self.users.find(query).sort("_id", ASCENDING).limit(limit).to_list()

    async def update(self, user_id: str, changes: dict[str, Any], *,
                     unset: Sequence[str] = ()) -> dict[str, Any] | None:
        update: dict[str, Any] = {"$set": {**changes, "updated_at": now()}}
        if unset:
            update["$unset"] = dict.fromkeys(unset, "")
        return await self.users.find_one_and_update({"_id": user_id}, update, return_document=ReturnDocument.AFTER)

    async def set_password_hash(self, user_id: str, *, old_hash: str, new_hash: str) -> None:
        """Store an upgraded hash only if nobody changed the password meanwhile."""
        await self.users.update_one({"_id": user_id, "password_hash": old_hash},
                                    {"$set": {"password_hash": new_hash, "updated_at": now()}})

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """Remove one recovery code atomically; False when it was not (or no longer) there."""
        result = await self.users.update_one({"_id": user_id, "mfa.recovery_codes": code_hash},
                                             {"$pull": {"mfa.recovery_codes": code_hash}})
        return result.modified_count == 1


class SessionRepository:
    """One document per login session (a refresh-token family)."""

    def __init__(self, database: CSPMDatabaseManager) -> None:
        self._database = database

    @property
    def sessions(self) -> AsyncCollection:
        return self._database.db(Database.PLATFORM)[SESSIONS]

    async def insert(self, document: dict[str, Any]) -> None:
        await self.sessions.insert_one(document)

    async def get(self, session_id: str) -> dict[str, Any] | None:
        return await self.sessions.find_one({"_id": session_id})

    async def rotate(self, session_id: str, *, presented_hash: str, new_hash: str,
                     refresh_expires_at: datetime) -> dict[str, Any] | None:
        """Swap the current refresh hash atomically; None when the presented one is not current."""
        return await self.sessions.find_one_and_update(
            {"_id": session_id, "refresh_hash": presented_hash, "revoked_at": None},
            {"$set": {"refresh_hash": new_hash, "refresh_expires_at": refresh_expires_at, "last_used_at": now()},
             "$push": {"previous_hashes": {"$each": [presented_hash], "$slice": -100}}},
            return_document=ReturnDocument.AFTER,
        )

    async def revoke(self, session_id: str, reason: str) -> bool:
        result = await self.sessions.update_one({"_id": session_id, "revoked_at": None},
                                                {"$set": {"revoked_at": now(), "revoked_reason": reason}})
        return result.modified_count == 1

    async def active_ids(self, user_id: str) -> list[str]:
        documents = await self.sessions.find({"user_id": user_id, "revoked_at": None}, {"_id": 1}).to_list()
        return [document["_id"] for document in documents]

    async def list_active(self, user_id: str) -> list[dict[str, Any]]:
        return await self.sessions.find({"user_id": user_id, "revoked_at": None}).sort(
            "created_at", DESCENDING).to_list()

    async def revoke_all(self, user_id: str, reason: str, *, except_id: str | None = None) -> list[str]:
        ids = [sid for sid in await self.active_ids(user_id) if sid != except_id]
        if ids:
            await self.sessions.update_many({"_id": {"$in": ids}, "revoked_at": None},
                                            {"$set": {"revoked_at": now(), "revoked_reason": reason}})
        return ids


class ApiTokenRepository:
    def __init__(self, database: CSPMDatabaseManager) -> None:
        self._database = database

    @property
    def tokens(self) -> AsyncCollection:
        return self._database.db(Database.PLATFORM)[API_TOKENS]

    async def insert(self, document: dict[str, Any]) -> None:
        await self.tokens.insert_one(document)

    async def by_hash(self, token_hash: str) -> dict[str, Any] | None:
        """Authentication lookup: the hash identifies the token (and so its team)."""
        return await self.tokens.find_one({"token_hash": token_hash})

    async def list(self, *, team_id: str) -> list[dict[str, Any]]:
        return await self.tokens.find({"team_id": team_id}, {"token_hash": 0}).sort(
            "created_at", DESCENDING).to_list()

    async def get(self, *, team_id: str, token_id: str) -> dict[str, Any] | None:
        return await self.tokens.find_one({"_id": token_id, "team_id": team_id}, {"token_hash": 0})

    async def revoke(self, *, team_id: str, token_id: str) -> dict[str, Any] | None:
        return await self.tokens.find_one_and_update(
            {"_id": token_id, "team_id": team_id, "revoked_at": None}, {"$set": {"revoked_at": now()}},
            projection={"token_hash": 0}, return_document=ReturnDocument.AFTER)

    async def touch(self, token_id: str, when: datetime) -> None:
        await self.tokens.update_one({"_id": token_id}, {"$set": {"last_used_at": when}})


class PlatformSettingsRepository:
    """Switches administrators change at run time (registration open/closed)."""

    REGISTRATION = "registration"

    def __init__(self, database: CSPMDatabaseManager) -> None:
        self._database = database

    @property
    def settings(self) -> AsyncCollection:
        return self._database.db(Database.PLATFORM)[PLATFORM_SETTINGS]

    async def registration_open(self) -> bool | None:
        document = await self.settings.find_one({"_id": self.REGISTRATION})
        return None if document is None else bool(document.get("open"))

    async def set_registration_open(self, value: bool, *, actor_id: str) -> None:
        await self.settings.update_one(
            {"_id": self.REGISTRATION},
            {"$set": {"open": value, "updated_at": now(), "updated_by": actor_id}}, upsert=True)

    async def claim_first_user(self, user_id: str) -> bool:
        """True for exactly one caller ever: the first registered user becomes platform admin."""
        try:
            await self.settings.insert_one({"_id": "first_user", "user_id": user_id, "created_at": now()})
        except DuplicateKeyError:
            return False
        return True

"""Webhook grants: one per scan job, single use, with an expiry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database

GRANTS = "webhook_grants"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.ORCHESTRATION, GRANTS, [("job_id", ASCENDING)], "idx_webhook_job_unique", unique=True),
)


class WebhookGrantRepository:
    """Looked up by job id from a signed URL: the team comes from the grant, never from the caller."""

    def __init__(self, database: AsyncDatabase) -> None:
        self.collection = database[GRANTS]

    async def create(self, grant: Mapping[str, Any]) -> None:
        await self.collection.insert_one(dict(grant))

    async def get(self, job_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"job_id": job_id})

    async def consume(self, job_id: str, now: datetime) -> dict[str, Any] | None:
        """Atomically mark the grant used; None when it was already used (a replay)."""
        return await self.collection.find_one_and_update(
            {"job_id": job_id, "used_at": None, "expires_at": {"$gt": now}}, {"$set": {"used_at": now}})

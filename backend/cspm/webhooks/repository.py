"""Webhook grants: one per scan job, single use, with an expiry, and the deliveries already seen."""

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

    async def record_delivery(self, job_id: str, delivery: str, *, keep: int) -> bool:
        """Remember a delivery (timestamp and body digest) of the grant; False when it was seen before."""
        updated = await self.collection.update_one(
            {"job_id": job_id, "deliveries": {"$ne": delivery}},
            {"$push": {"deliveries": {"$each": [delivery], "$slice": -keep}}})
        return updated.modified_count == 1

    async def claim(self, job_id: str, now: datetime, until: datetime) -> dict[str, Any] | None:
        """Atomically hold an unused, unexpired grant until ``until``; None when used, expired or held."""
        return await self.collection.find_one_and_update(
            {"job_id": job_id, "used_at": None, "expires_at": {"$gt": now},
             "$or": [{"claimed_until": None}, {"claimed_until": {"$lte": now}}]},
            {"$set": {"claimed_until": until}})

    async def release(self, job_id: str) -> None:
        await self.collection.update_one({"job_id": job_id, "used_at": None}, {"$set": {"claimed_until": None}})

    async def consume(self, job_id: str, now: datetime) -> None:
        await self.collection.update_one({"job_id": job_id}, {"$set": {"used_at": now, "claimed_until": None}})

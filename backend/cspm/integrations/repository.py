"""Data access of the integrations module (database INTEGRATIONS).

Collections: ``integrations`` (configuration; secrets as one vault token), ``connection_status``
(one per integration, unique ``integration_id``, declared with the core indexes), ``routing_rules``,
``deliveries`` (the outbox: every notification is written before it is sent, so none is lost when a
receiver or a worker is down), ``wizard_sessions`` and ``ticket_links`` (Jira issue ↔ finding).
Every query is team-scoped, except the two sweeps that say so (due deliveries, linked tickets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.repository import TeamScopedRepository
from cspm.integrations.models import DeliveryState

INTEGRATIONS = "integrations"
CONNECTION_STATUS = "connection_status"
RULES = "routing_rules"
DELIVERIES = "deliveries"
WIZARD_SESSIONS = "wizard_sessions"
TICKET_LINKS = "ticket_links"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.INTEGRATIONS, INTEGRATIONS, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_integration_name_unique", unique=True),
    IndexSpec(Database.INTEGRATIONS, RULES, [("team_id", ASCENDING), ("name", ASCENDING)],
              "idx_rule_name_unique", unique=True),
    # One delivery per integration and event occurrence: a single-field key (a hash of both), the cheap
    # unique check on every engine, makes a re-raised event a no-op.
    IndexSpec(Database.INTEGRATIONS, DELIVERIES, [("key", ASCENDING)], "idx_delivery_key_unique", unique=True),
    IndexSpec(Database.INTEGRATIONS, DELIVERIES, [("state", ASCENDING), ("next_attempt_at", ASCENDING)],
              "idx_delivery_due"),
    IndexSpec(Database.INTEGRATIONS, DELIVERIES, [("team_id", ASCENDING), ("created_at", DESCENDING)],
              "idx_delivery_recent"),
    IndexSpec(Database.INTEGRATIONS, WIZARD_SESSIONS, [("expires_at", ASCENDING)], "idx_wizard_expiry"),
    IndexSpec(Database.INTEGRATIONS, TICKET_LINKS, [("team_id", ASCENDING), ("finding_id", ASCENDING)],
              "idx_ticket_finding"),
    IndexSpec(Database.INTEGRATIONS, TICKET_LINKS, [("status_category", ASCENDING)], "idx_ticket_open"),
)


class TeamCollection(TeamScopedRepository):
    """A team's documents in one collection: insert, update, delete by id, all scoped."""

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        result = await self.collection.insert_one(stored)
        return {**stored, "_id": result.inserted_id}

    async def update(self, team_id: str, document_id: ObjectId, changes: Mapping[str, Any],
                     query: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        return await self.collection.find_one_and_update(
            self.scoped(team_id, {**(query or {}), "_id": document_id}), {"$set": dict(changes)},
            return_document=ReturnDocument.AFTER)

    async def delete(self, team_id: str, document_id: ObjectId) -> bool:
        result = await self.collection.delete_one(self.scoped(team_id, {"_id": document_id}))
        return result.deleted_count == 1

    async def page(self, team_id: str, query: Mapping[str, Any], *, sort: list[tuple[str, int]], skip: int,
                   limit: int) -> tuple[list[dict[str, Any]], int]:
        scoped = self.scoped(team_id, query)
        items = await self.collection.find(scoped).sort(sort).skip(skip).limit(limit).to_list()
        return items, await self.collection.count_documents(scoped)


class ConnectionStatusRepository(TeamScopedRepository):
    async def record(self, team_id: str, integration_id: str, changes: Mapping[str, Any]) -> None:
        await self.collection.update_one({"integration_id": integration_id, "team_id": team_id},
                                         {"$set": {**changes, "team_id": team_id, "integration_id": integration_id}},
                                         upsert=True)

    async def of(self, team_id: str, integration_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        documents = await self.find(team_id, {"integration_id": {"$in": list(integration_ids)}})
        return {document["integration_id"]: document for document in documents}

    async def remove(self, team_id: str, integration_id: str) -> None:
        await self.collection.delete_one(self.scoped(team_id, {"integration_id": integration_id}))

    async def failing(self) -> list[dict[str, Any]]:
        """Every team's failing connections: the integrity monitor's view (names and errors, no secrets)."""
        return await self.collection.find({"state": "failing"}, {"team_id": 1, "integration_id": 1,
                                                                 "last_error": 1}).to_list()


class DeliveryRepository(TeamCollection):
    async def claim(self, team_id: str, delivery_id: ObjectId, now: datetime, lease_until: datetime,
                    ) -> dict[str, Any] | None:
        """Queued and due (or delivering with an expired lease: its worker died) → delivering; else None."""
        return await self.collection.find_one_and_update(
            self.scoped(team_id, {"_id": delivery_id, "$or": [
                {"state": DeliveryState.QUEUED.value, "next_attempt_at": {"$lte": now}},
                {"state": DeliveryState.DELIVERING.value, "lease_until": {"$lte": now}}]}),
            {"$set": {"state": DeliveryState.DELIVERING.value, "lease_until": lease_until}},
            return_document=ReturnDocument.AFTER)

    async def finish_attempt(self, team_id: str, delivery_id: ObjectId, changes: Mapping[str, Any],
                             attempt: Mapping[str, Any]) -> None:
        await self.collection.update_one(self.scoped(team_id, {"_id": delivery_id}),
                                         {"$set": dict(changes), "$inc": {"attempts": 1},
                                          "$push": {"history": {"$each": [dict(attempt)], "$slice": -20}}})

    async def due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Across teams on purpose (the retry sweep): queued and due, or leased by a worker that died."""
        return await self.collection.find(
            {"$or": [{"state": DeliveryState.QUEUED.value, "next_attempt_at": {"$lte": now}},
                     {"state": DeliveryState.DELIVERING.value, "lease_until": {"$lte": now}}]},
            {"team_id": 1}).sort([("next_attempt_at", ASCENDING)]).limit(limit).to_list()


class TicketLinkRepository(TeamCollection):
    async def open_links(self, limit: int) -> list[dict[str, Any]]:
        """Across teams on purpose (the status sync): links whose issue is not done yet."""
        return await self.collection.find({"status_category": {"$ne": "done"}}).limit(limit).to_list()


class IntegrationsRepositories:
    """The module's collections, built from one database handle."""

    def __init__(self, database: AsyncDatabase) -> None:
        self.integrations = TeamCollection(database[INTEGRATIONS])
        self.status = ConnectionStatusRepository(database[CONNECTION_STATUS])
        self.rules = TeamCollection(database[RULES])
        self.deliveries = DeliveryRepository(database[DELIVERIES])
        self.wizards = TeamCollection(database[WIZARD_SESSIONS])
        self.tickets = TicketLinkRepository(database[TICKET_LINKS])

    async def purge_expired_wizards(self, now: datetime) -> int:
        """Across teams on purpose (the expiry job)."""
        result = await self.wizards.collection.delete_many({"expires_at": {"$lte": now}})
        return result.deleted_count

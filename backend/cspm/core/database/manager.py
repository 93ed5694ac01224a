"""One PyMongo async client per event loop, many database handles.

PyMongo's ``AsyncMongoClient`` is bound to the event loop it first runs on. The API
process has one loop; a Celery worker runs its coroutines on a loop of its own. The
manager therefore keeps a client per loop and hands out the one that belongs to the
running loop, so a client is never used from a loop it does not belong to.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.registry import Database, DatabaseRegistry

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str], AsyncMongoClient]

CROSS_MODULE_REFERENCES = "cross_module_references"


def embedded_client_factory(uri: str) -> AsyncMongoClient:
    """The embedded stand-in answers on a thread of this process and blocks while it writes a
    large batch (seconds to minutes at a few thousand documents): with the usual timeouts the
    driver's heartbeat would give up on it and cancel the very write it is waiting for."""
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=120_000,
        connectTimeoutMS=0,
        socketTimeoutMS=None,
        appname="offload-cspm-embedded",
    )


def default_client_factory(uri: str, *, timeout_ms: int = 5000) -> AsyncMongoClient:
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname="offload-cspm",
    )


class CSPMDatabaseManager:
    def __init__(
        self,
        uri: str,
        registry: DatabaseRegistry,
        *,
        client_factory: ClientFactory = default_client_factory,
        embedded: bool = False,
    ) -> None:
        self.uri = uri
        self.registry = registry
        self.embedded = embedded
        self._client_factory = client_factory
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncMongoClient] = (
            weakref.WeakKeyDictionary()
        )

    async def connect(self) -> None:
        """Create the client for the running loop and check that the server answers."""
        await self.ping()
        logger.info("database connected", extra={"embedded": self.embedded})

    def client(self) -> AsyncMongoClient:
        """The client owned by the running event loop, created on first use in that loop."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._client_factory(self.uri)
            self._clients[loop] = client
        return client

    def db(self, database: Database | str) -> AsyncDatabase:
        return self.client()[self.registry.name(database)]

    async def ping(self) -> float:
        """Round-trip a ping; returns the latency in milliseconds."""
        started = asyncio.get_running_loop().time()
        await self.client().admin.command("ping")
        return (asyncio.get_running_loop().time() - started) * 1000

    async def create_cross_module_reference(
        self,
        *,
        team_id: str,
        source: tuple[Database, str, Any],
        target: tuple[Database, str, Any],
        relation: str,
    ) -> ObjectId:
        """Record a link between documents of two modules, stored in the PLATFORM database.

        Each side is (database, collection, document id). Recording the same link twice
        is a no-op: the reference is upserted on its full identity.
        """
        identity = {
            "team_id": team_id,
            "relation": relation,
            "source": self._endpoint(source),
            "target": self._endpoint(target),
        }
        result = await self.db(Database.PLATFORM)[CROSS_MODULE_REFERENCES].find_one_and_update(
            identity,
            {"$setOnInsert": {**identity, "created_at": datetime.now(UTC)}},
            upsert=True,
            return_document=True,
            projection={"_id": 1},
        )
        assert result is not None  # an upsert returning the document after it always finds one
        return result["_id"]

    async def references_from(
        self, *, team_id: str, source: tuple[Database, str, Any], relation: str | None = None
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"team_id": team_id, "source": self._endpoint(source)}
        if relation:
            query["relation"] = relation
        cursor = self.db(Database.PLATFORM)[CROSS_MODULE_REFERENCES].find(query)
        return await cursor.to_list()

    def _endpoint(self, endpoint: tuple[Database, str, Any]) -> dict[str, Any]:
        database, collection, document_id = endpoint
        return {"database": self.registry.resolve(database).value, "collection": collection, "id": document_id}

    async def close(self) -> None:
        """Close the client of the running loop (the other loops close their own)."""
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.close()

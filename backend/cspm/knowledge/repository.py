"""Data access of the knowledge base (database KNOWLEDGE_BASE).

Chunks are stored per item group, one document per source bucket (``_id``: ``scf``, ``asvs``,
``csf``, ``kev``, ``rule:<team>:<tool>``, ``doc:<document id>``) holding its chunks: a whole
source is a handful of writes, not thousands of inserts (the embedded store checks the unique
``_id`` index by scanning on every insert). A bucket of team data carries ``team_id`` and is
only read or written through ``scoped``; the shared ones have ``team_id: None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database
from cspm.core.errors import NotFound
from cspm.core.repository import TeamScopedRepository

BUCKETS = "knowledge_chunks"
DOCUMENTS = "knowledge_documents"
RUNS = "knowledge_reindex_runs"
META = "knowledge_meta"
GENERATION = "generation"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.KNOWLEDGE_BASE, BUCKETS, [("team_id", ASCENDING), ("source", ASCENDING)], "idx_bucket_team"),
    IndexSpec(Database.KNOWLEDGE_BASE, DOCUMENTS, [("team_id", ASCENDING), ("uploaded_at", DESCENDING)],
              "idx_document_team"),
    IndexSpec(Database.KNOWLEDGE_BASE, RUNS, [("team_id", ASCENDING), ("started_at", DESCENDING)], "idx_run_team"),
)


class ChunkRepository:
    """Chunk buckets, shared and per team, and the generation counter the in-memory indexes follow."""

    def __init__(self, database: AsyncDatabase) -> None:
        self.buckets = database[BUCKETS]
        self.meta = database[META]

    async def generation(self) -> int:
        document = await self.meta.find_one({"_id": GENERATION})
        return int(document["value"]) if document else 0

    async def _bump(self) -> None:
        await self.meta.update_one({"_id": GENERATION}, {"$inc": {"value": 1}}, upsert=True)

    async def bucket_hashes(self, team_id: str | None = None) -> dict[str, str]:
        """``_id`` → content hash of the shared buckets (team_id None) or of one team's."""
        query = {"team_id": team_id} if team_id is None else TeamScopedRepository.scoped(team_id)
        return {d["_id"]: d.get("hash", "") async for d in self.buckets.find(query, {"hash": 1})}

    async def put_bucket(self, bucket_id: str, *, source: str, team_id: str | None, digest: str,
                         chunks: Sequence[Mapping[str, Any]]) -> bool:
        """Store a bucket unless its content hash is unchanged; True when written."""
        query: dict[str, Any] = {"_id": bucket_id}
        query = {**query, "team_id": None} if team_id is None else TeamScopedRepository.scoped(team_id, query)
        current = await self.buckets.find_one(query, {"hash": 1})
        if current is not None and current.get("hash") == digest:
            return False
        document = {"source": source, "team_id": team_id, "hash": digest, "chunks": [dict(c) for c in chunks],
                    "updated_at": datetime.now(UTC)}
        await self.buckets.replace_one(query, document, upsert=True)
        await self._bump()
        return True

    async def delete_bucket(self, team_id: str, bucket_id: str) -> None:
        result = await self.buckets.delete_one(TeamScopedRepository.scoped(team_id, {"_id": bucket_id}))
        if result.deleted_count:
            await self._bump()

    async def all_chunks(self) -> list[dict[str, Any]]:
        """Every chunk of every bucket, for the process's index (which filters by team on each query)."""
        chunks: list[dict[str, Any]] = []
        async for bucket in self.buckets.find({}, {"chunks": 1}):
            chunks.extend(bucket.get("chunks") or [])
        return chunks

    async def counts(self, team_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        query = {"$or": [{"team_id": None}, {"team_id": team_id}]}
        async for bucket in self.buckets.find(query, {"source": 1, "chunks.chunk_id": 1}):
            counts[bucket["source"]] = counts.get(bucket["source"], 0) + len(bucket.get("chunks") or [])
        return counts


class DocumentRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[DOCUMENTS])

    async def insert(self, team_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
        stored = {**document, "team_id": team_id}
        result = await self.collection.insert_one(stored)
        return {**stored, "_id": result.inserted_id}

    async def delete(self, team_id: str, document_id: str) -> dict[str, Any]:
        found = await self.collection.find_one_and_delete(
            self.scoped(team_id, {"_id": self.object_id(document_id, "document")}))
        if found is None:
            raise NotFound("document not found")
        return found


class ReindexRunRepository(TeamScopedRepository):
    def __init__(self, database: AsyncDatabase) -> None:
        super().__init__(database[RUNS])

    async def create(self, team_id: str, document: Mapping[str, Any]) -> str:
        result = await self.collection.insert_one({**document, "team_id": team_id})
        return str(result.inserted_id)

    async def update(self, team_id: str, run_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        return await self.collection.find_one_and_update(
            self.scoped(team_id, {"_id": self.object_id(run_id, "re-index run")}), {"$set": dict(changes)},
            return_document=ReturnDocument.AFTER)

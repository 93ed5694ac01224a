"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint, cached by content hash.

The cache key is the SHA-256 of (model, text), stored in KNOWLEDGE_BASE.embedding_cache under
its unique ``content_hash`` index: re-indexing unchanged text asks the provider for nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from cspm.core.database.batching import chunked
from cspm.core.logging import scrub
from cspm.knowledge.settings import KnowledgeSettings

CACHE = "embedding_cache"


class EmbeddingError(RuntimeError):
    """The provider failed or answered out of shape; search falls back to BM25 and says so."""


def cache_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


class EmbeddingClient:
    def __init__(self, settings: KnowledgeSettings) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.embedding_url)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not self.settings.embedding_url:
            raise EmbeddingError("no embedding provider configured")
        headers = {}
        if self.settings.embedding_api_key is not None:
            headers["Authorization"] = f"Bearer {self.settings.embedding_api_key.get_secret_value()}"
        url = self.settings.embedding_url.rstrip("/") + "/embeddings"
        vectors: list[list[float]] = []
        async with httpx.AsyncClient(timeout=self.settings.embedding_timeout_seconds) as client:
            for batch in chunked(list(texts), self.settings.embedding_batch):
                try:
                    response = await client.post(url, headers=headers,
                                                 json={"model": self.settings.embedding_model, "input": batch})
                    response.raise_for_status()
                    data = sorted(response.json()["data"], key=lambda item: item["index"])
                    got = [[float(x) for x in item["embedding"]] for item in data]
                except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                    raise EmbeddingError(scrub(f"embedding provider failed: {type(exc).__name__}: {exc}")) from None
                if len(got) != len(batch):
                    raise EmbeddingError(f"embedding provider answered {len(got)} vectors for {len(batch)} texts")
                vectors.extend(got)
        return vectors


class EmbeddingCache:
    def __init__(self, database: AsyncDatabase) -> None:
        self.collection = database[CACHE]

    async def get_many(self, keys: Sequence[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for chunk in chunked(list(dict.fromkeys(keys))):
            async for document in self.collection.find({"content_hash": {"$in": chunk}}, {"_id": 0}):
                found[document["content_hash"]] = document["vector"]
        return found

    async def put_many(self, model: str, vectors: dict[str, list[float]]) -> None:
        documents: list[dict[str, Any]] = [{"content_hash": key, "model": model, "vector": vector}
                                           for key, vector in vectors.items()]
        for chunk in chunked(documents, 500):
            try:
                await self.collection.insert_many(chunk, ordered=False)
            except BulkWriteError as exc:  # another process cached the same text first: same vector
                if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
                    raise

    async def count(self) -> int:
        return await self.collection.count_documents({})


async def vectors_for(client: EmbeddingClient, cache: EmbeddingCache, texts: Sequence[str],
                      ) -> tuple[list[list[float]], int]:
    """Vectors of ``texts`` (cache first); returns them and how many the provider was asked for."""
    model = client.settings.embedding_model
    keys = [cache_key(model, text) for text in texts]
    cached = await cache.get_many(keys)
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in cached}
    if missing:
        fresh = await client.embed(list(missing.values()))
        new = dict(zip(missing, fresh, strict=True))
        await cache.put_many(model, new)
        cached.update(new)
    return [cached[key] for key in keys], len(missing)

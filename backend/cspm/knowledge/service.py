"""Knowledge base service: indexing the corpus, team documents, and hybrid search.

Search is BM25 (SQLite FTS5) always, fused with cosine similarity on embeddings by reciprocal
rank fusion when an embedding provider is configured and the chunks have vectors. A provider
failure never fails a search: the answer is BM25's, with the reason in ``notes``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, PayloadTooLarge, Unprocessable
from cspm.knowledge import corpus
from cspm.knowledge.chunking import SOURCE_LABELS, Passage, chunks_of
from cspm.knowledge.embeddings import EmbeddingCache, EmbeddingClient, EmbeddingError, cache_key, vectors_for
from cspm.knowledge.extract import DocumentError, extract_text
from cspm.knowledge.index import Hit, LexicalIndex, VectorIndex, fuse
from cspm.knowledge.repository import ChunkRepository, DocumentRepository, ReindexRunRepository
from cspm.knowledge.settings import KnowledgeSettings
from cspm.threat_intel.repository import KEV, CatalogueRepository

SHARED_SOURCES = ("scf", "asvs", "csf", "kev")
EXCERPT = 600
Progress = Callable[[str, int, int], Awaitable[None]]


@dataclass
class _Indexes:
    generation: int
    lexical: LexicalIndex
    vector: VectorIndex
    chunks: dict[str, dict[str, Any]] = field(default_factory=dict)


def _digest(chunks: Iterable[Mapping[str, Any]]) -> str:
    return hashlib.sha256("".join(f"{c['chunk_id']}:{c['content_hash']};" for c in chunks).encode()).hexdigest()


async def _no_progress(step: str, done: int, total: int) -> None:
    return None


class KnowledgeService:
    def __init__(self, container: ServiceContainer, settings: KnowledgeSettings, audit: AuditService) -> None:
        database = container.database.db(Database.KNOWLEDGE_BASE)
        self.container = container
        self.settings = settings
        self.audit = audit
        self.chunks = ChunkRepository(database)
        self.documents = DocumentRepository(database)
        self.runs = ReindexRunRepository(database)
        self.cache = EmbeddingCache(database)
        self.embedder = EmbeddingClient(settings)
        self.kev = CatalogueRepository(container.database.db(Database.THREAT_INTELLIGENCE), KEV)
        self._indexes: _Indexes | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(KnowledgeSettings), container.resolve(AuditService))

    # --- indexing -----------------------------------------------------------------------------
    async def _store(self, bucket_id: str, source: str, team_id: str | None, passages: Sequence[Passage],
                     ) -> tuple[int, bool]:
        records = [record for passage in passages
                   for record in chunks_of(passage, self.settings.chunk_chars, self.settings.chunk_overlap)]
        written = await self.chunks.put_bucket(bucket_id, source=source, team_id=team_id, digest=_digest(records),
                                               chunks=records)
        return len(records), written

    async def shared_passages(self) -> dict[str, list[Passage]]:
        registry = await self.container.resolve(CommonControlRegistryService).registry()
        return {"scf": corpus.scf_passages(registry), "asvs": corpus.asvs_passages(), "csf": corpus.csf_passages(),
                "kev": corpus.kev_passages((await self.kev.everything()).values())}

    async def index_shared(self, progress: Progress = _no_progress) -> dict[str, Any]:
        """Every shared source, each stored only when its content changed; then embeddings when configured."""
        passages = await self.shared_passages()
        counts: dict[str, Any] = {"chunks": {}, "written": []}
        for number, (source, items) in enumerate(passages.items()):
            await progress(f"indexing {SOURCE_LABELS[source]}", number, len(passages) + 1)
            counts["chunks"][source], written = await self._store(source, source, None, items)
            if written:
                counts["written"].append(source)
        await progress("embeddings", len(passages), len(passages) + 1)
        counts["embeddings"] = await self.embed_missing()
        return counts

    async def ensure_shared(self) -> None:
        """Index the shared corpus once (a fresh install), so search and remediation have passages."""
        if not set(SHARED_SOURCES) - set(await self.chunks.bucket_hashes()):
            return
        async with self._lock:
            if set(SHARED_SOURCES) - set(await self.chunks.bucket_hashes()):
                await self.index_shared()

    async def index_rules(self, team_id: str, findings: Iterable[Mapping[str, Any]]) -> int:
        """The team's rule passages from these findings, merged into the per-tool buckets."""
        fresh = corpus.rule_passages(team_id, findings)
        if not fresh:
            return 0
        existing = {bucket["_id"]: bucket for bucket in await self.chunks.buckets.find(
            self.chunks_scope(team_id, {"source": "rule"})).to_list()}
        total = 0
        for tool, passages in fresh.items():
            bucket_id = f"rule:{team_id}:{tool}"
            known = {chunk["key"]: chunk for chunk in (existing.get(bucket_id) or {}).get("chunks") or []}
            new = [p for p in passages if p.key not in known]
            if not new:
                continue
            records = list(known.values()) + [r for p in new for r in chunks_of(p, self.settings.chunk_chars,
                                                                                  self.settings.chunk_overlap)]
            await self.chunks.put_bucket(bucket_id, source="rule", team_id=team_id, digest=_digest(records),
                                         chunks=records)
            total += len(new)
        return total

    @staticmethod
    def chunks_scope(team_id: str, query: Mapping[str, Any]) -> dict[str, Any]:
        return DocumentRepository.scoped(team_id, query)

    async def embed_missing(self) -> dict[str, Any]:
        """Vectors for every stored chunk without a cached one; unchanged text costs no request."""
        if not self.embedder.configured:
            return {"configured": False}
        texts = list({c["content_hash"]: c["text"] for c in await self.chunks.all_chunks()}.values())
        try:
            _, requested = await vectors_for(self.embedder, self.cache, texts)
        except EmbeddingError as exc:
            return {"configured": True, "error": str(exc)}
        return {"configured": True, "chunks": len(texts), "requested": requested}

    async def _current(self) -> _Indexes:
        generation = await self.chunks.generation()
        if self._indexes is not None and self._indexes.generation == generation:
            return self._indexes
        async with self._lock:
            if self._indexes is not None and self._indexes.generation == generation:
                return self._indexes
            chunks = await self.chunks.all_chunks()
            rows: list[tuple[str, str, str, list[float]]] = []
            if self.embedder.configured:
                keys = {c["chunk_id"]: cache_key(self.settings.embedding_model, c["text"]) for c in chunks}
                vectors = await self.cache.get_many(list(keys.values()))
                rows = [(c["chunk_id"], c.get("team_id") or "", c["source"], vectors[keys[c["chunk_id"]]])
                        for c in chunks if keys[c["chunk_id"]] in vectors]
            lexical = await asyncio.to_thread(LexicalIndex, chunks)
            self._indexes = _Indexes(generation, lexical, VectorIndex(rows), {c["chunk_id"]: c for c in chunks})
            return self._indexes

    # --- search -----------------------------------------------------------------------------
    async def search(self, *, team_id: str, q: str, limit: int = 10, sources: Sequence[str] = (),
                     ) -> dict[str, Any]:
        started = time.perf_counter()
        if not q.strip():
            raise Unprocessable("q: a search needs at least one word")
        await self.ensure_shared()
        indexes = await self._current()
        lexical = indexes.lexical.search(q, team_id=team_id, sources=sources, limit=max(limit * 3, 20))
        vector: list[str] = []
        notes: list[str] = []
        mode = "bm25"
        if not self.embedder.configured:
            notes.append("embeddings not configured: BM25 only")
        elif not indexes.vector.size:
            notes.append("no chunk has an embedding yet (re-index): BM25 only")
        else:
            try:
                query_vector, _ = await vectors_for(self.embedder, self.cache, [q])
                vector = indexes.vector.search(query_vector[0], team_id=team_id, sources=sources,
                                               limit=max(limit * 3, 20))
                mode = "hybrid"
            except EmbeddingError as exc:
                notes.append(f"{exc}: BM25 only")
        hits = fuse(lexical, vector, limit)
        return {"query": q, "mode": mode, "notes": notes, "results": [self._result(indexes, hit) for hit in hits],
                "took_ms": round((time.perf_counter() - started) * 1000, 2)}

    @staticmethod
    def _result(indexes: _Indexes, hit: Hit) -> dict[str, Any]:
        chunk = indexes.chunks[hit.chunk_id]
        return {"chunk_id": hit.chunk_id, "source": chunk["source"], "source_label": SOURCE_LABELS[chunk["source"]],
                "key": chunk["key"], "title": chunk.get("title") or "", "excerpt": chunk["text"][:EXCERPT],
                "score": hit.score, "lexical_rank": hit.lexical_rank, "vector_rank": hit.vector_rank,
                "team": chunk.get("team_id") is not None}

    async def passages(self, *, team_id: str, chunk_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The chunks named, as citations: only the shared ones and the team's own."""
        indexes = await self._current()
        found = {}
        for chunk_id in chunk_ids:
            chunk = indexes.chunks.get(chunk_id)
            if chunk is not None and chunk.get("team_id") in (None, team_id):
                found[chunk_id] = chunk
        return found

    async def status(self, *, team_id: str) -> dict[str, Any]:
        return {"chunks": await self.chunks.counts(team_id), "embeddings_configured": self.embedder.configured,
                "embedding_model": self.settings.embedding_model if self.embedder.configured else None,
                "lexical": "SQLite FTS5 (BM25)"}

    # --- team documents ---------------------------------------------------------------------------
    async def upload(self, *, team_id: str, actor: str, filename: str, data: bytes) -> dict[str, Any]:
        if len(data) > self.settings.document_max_bytes:
            raise PayloadTooLarge(f"document larger than {self.settings.document_max_bytes} bytes")
        if await self.documents.count(team_id) >= self.settings.documents_per_team:
            raise Conflict(f"the team keeps {self.settings.documents_per_team} documents at most; delete one first")
        try:
            kind, text = await asyncio.to_thread(extract_text, filename, data,
                                                 max_chars=self.settings.document_max_chars,
                                                 max_pages=self.settings.pdf_max_pages)
        except DocumentError as exc:
            raise Unprocessable(f"file: {exc}") from None
        title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.strip()), filename)[:200]
        stored = await self.documents.insert(team_id, {
            "filename": filename, "title": title, "kind": kind, "bytes": len(data), "chars": len(text),
            "sha256": hashlib.sha256(data).hexdigest(), "uploaded_by": actor, "uploaded_at": datetime.now(UTC)})
        document_id = str(stored["_id"])
        count, _ = await self._store(f"doc:{document_id}", "doc", team_id,
                                     [Passage("doc", document_id, title, text, team_id, meta={"filename": filename})])
        await self.documents.collection.update_one(self.documents.scoped(team_id, {"_id": stored["_id"]}),
                                                   {"$set": {"chunks": count}})
        await self.audit.record("knowledge.document_uploaded", actor_id=actor, team_id=team_id,
                                target_type="knowledge_document", target_id=document_id, target_name=filename,
                                details={"kind": kind, "bytes": len(data), "chunks": count})
        return {**stored, "chunks": count, "id": document_id}

    async def list_documents(self, *, team_id: str) -> list[dict[str, Any]]:
        return [{**d, "id": str(d["_id"])} for d in await self.documents.find(team_id, sort=[("uploaded_at", -1)])]

    async def delete_document(self, *, team_id: str, actor: str, document_id: str) -> None:
        removed = await self.documents.delete(team_id, document_id)
        await self.chunks.delete_bucket(team_id, f"doc:{document_id}")
        await self.audit.record("knowledge.document_deleted", actor_id=actor, team_id=team_id,
                                target_type="knowledge_document", target_id=document_id,
                                target_name=removed.get("filename"), details={})

    # --- re-index job -------------------------------------------------------------------------------
    async def start_reindex(self, *, team_id: str, actor: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        run_id = await self.runs.create(team_id, {"state": "queued", "started_at": now, "actor": actor,
                                                  "progress": {"step": "queued", "done": 0, "total": 1}})
        await self.audit.record("knowledge.reindex_started", actor_id=actor, team_id=team_id,
                                target_type="knowledge_reindex", target_id=run_id, details={})
        await self.container.dispatcher.send("knowledge.reindex", {"team_id": team_id, "run_id": run_id})
        return await self.reindex_status(team_id=team_id, run_id=run_id)

    async def run_reindex(self, *, team_id: str, run_id: str) -> dict[str, Any]:
        async def progress(step: str, done: int, total: int) -> None:
            await self.runs.update(team_id, run_id, {"state": "running",
                                                     "progress": {"step": step, "done": done, "total": total}})

        try:
            counts = await self.index_shared(progress)
        except Exception as exc:
            await self.runs.update(team_id, run_id, {"state": "failed", "finished_at": datetime.now(UTC),
                                                     "error": f"{type(exc).__name__}: {exc}"[:500]})
            raise
        total = len(SHARED_SOURCES) + 1
        await self.runs.update(team_id, run_id, {"state": "done", "finished_at": datetime.now(UTC), "counts": counts,
                                                 "progress": {"step": "done", "done": total, "total": total}})
        return counts

    async def reindex_status(self, *, team_id: str, run_id: str) -> dict[str, Any]:
        document = await self.runs.get(team_id, run_id, what="re-index run")
        return {**document, "id": str(document["_id"])}


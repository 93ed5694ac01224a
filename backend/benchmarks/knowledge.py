"""Knowledge base: indexing the whole shared corpus, and search latency (p50/p95).

Corpus: the SCF controls (built-in baseline, or the active registry), the 345 OWASP ASVS 5.0.0
requirements, the 106 NIST CSF 2.0 subcategories and the shipped CISA KEV catalogue (1,404
entries, loaded into threat intelligence first). Timed: the first index (passages built, chunked,
stored), a re-index with nothing changed (content hashes equal: nothing written), building the
in-memory BM25 index (SQLite FTS5) from the stored chunks, and ``--queries`` searches through the
service (BM25 only, or hybrid with ``--embeddings``: the OpenAI-shaped stand-in of the tests on
127.0.0.1:18230, whose vectors are cached by content hash, so the second index asks for none).

    ../.venv/bin/python -m benchmarks.knowledge [--queries 200] [--embeddings]

Database: the embedded mongoeco memory store (MONGODB_URI for a real one); the figures that do not
depend on it are the index build and the search times, which run in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from pydantic import SecretStr

from benchmarks.history import History
from cspm.core.container import ServiceContainer
from cspm.core.database.embedded import MongoEcoServer
from cspm.core.kv import MemoryStore
from cspm.core.settings import CoreSettings, EmbeddedEngine
from cspm.knowledge.service import KnowledgeService
from cspm.knowledge.settings import KnowledgeSettings
from cspm.threat_intel.feeds import SHIPPED_KEV, FeedService

STAND_IN_PORT = 18230
QUERIES = ["session token invalidation on logout", "multi-factor authentication for administrators",
           "encryption at rest of backups", "Log4j remote code execution", "patch management of operating systems",
           "S3 bucket public access", "SQL injection parameterized queries", "incident response plan testing",
           "password storage hashing", "container image vulnerability scanning", "TLS certificate validation",
           "Microsoft Exchange", "least privilege access review", "asset inventory", "secure software supply chain"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(uri: str, data_dir: Path, queries: int, embedding_url: str | None, history: History) -> None:
    settings = CoreSettings.model_construct(environment="test", mongodb_uri=SecretStr(uri), data_dir=data_dir,
                                            celery_always_in_process=True, mongodb_uri_is_embedded=True)
    container = ServiceContainer(settings)
    await container.start(kv=MemoryStore())
    if embedding_url:
        container.override(KnowledgeSettings, KnowledgeSettings(embedding_url=embedding_url, embedding_batch=512))
    await container.resolve(FeedService).import_kev(SHIPPED_KEV.read_bytes(), source="shipped snapshot")
    knowledge = container.resolve(KnowledgeService)
    mode = "hybrid" if embedding_url else "bm25"
    try:
        begun = time.perf_counter()
        counts = await knowledge.index_shared()
        first = time.perf_counter() - begun
        chunks = sum(counts["chunks"].values())
        print(f"shared corpus: {chunks} chunks {counts['chunks']}")
        print(f"first index ({mode}):            {history.beside(mode, 'first_index_s', first)}")
        if embedding_url:
            print(f"  embeddings requested:         {counts['embeddings'].get('requested')}")
        begun = time.perf_counter()
        again = await knowledge.index_shared()
        unchanged = history.beside(mode, "reindex_unchanged_s", time.perf_counter() - begun)
        print(f"re-index, nothing changed:     {unchanged}"
              f"  (written: {again['written'] or 'nothing'}"
              + (f", embeddings requested: {again['embeddings'].get('requested')})" if embedding_url else ")"))
        begun = time.perf_counter()
        await knowledge._current()  # the in-memory index build is what is timed
        print(f"in-memory index build:         {history.beside(mode, 'index_build_s', time.perf_counter() - begun)}")
        rng = random.Random(17)
        latencies = []
        for _ in range(queries):
            begun = time.perf_counter()
            await knowledge.search(team_id="bench-team", q=rng.choice(QUERIES), limit=10)
            latencies.append((time.perf_counter() - begun) * 1000)
        p50 = history.beside(mode, "search_p50_ms", statistics.median(latencies), "ms")
        p95 = history.beside(mode, "search_p95_ms", percentile(latencies, 0.95), "ms")
        print(f"search p50 over {queries}:          {p50}")
        print(f"search p95 over {queries}:          {p95}")
        history.record(mode, chunks=chunks, queries=queries)
    finally:
        await container.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embeddings", action="store_true", help="hybrid search with the OpenAI-shaped stand-in")
    arguments = parser.parse_args()
    queries = max(1, min(arguments.queries, 10_000))
    external = os.environ.get("MONGODB_URI")
    history = History(f"knowledge-{'mongodb' if external else 'mongoeco'}")
    stand_in = None
    if arguments.embeddings:
        from tests.ai_soc.helpers import OpenAiStandIn, serve

        stand_in = serve(OpenAiStandIn(lambda body: None), STAND_IN_PORT)
    with tempfile.TemporaryDirectory() as directory, stand_in or nullcontext() as embedding_url:
        server = None if external else MongoEcoServer(EmbeddedEngine.MEMORY, Path(directory))
        uri = external or server.start()  # type: ignore[union-attr]
        print(f"database: {'MONGODB_URI' if external else 'embedded mongoeco (memory)'}")
        try:
            asyncio.run(run(uri, Path(directory) / "data", queries, embedding_url, history))
        finally:
            if server is not None:
                server.stop()
    history.save()


if __name__ == "__main__":
    main()

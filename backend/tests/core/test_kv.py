"""The key-value store contract, run against the machine's Redis and against the in-memory fallback."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator

import pytest

from cspm.core.kv import KeyValueStore, MemoryStore, RedisStore, connect_store
from tests.conftest import TEST_REDIS_URL

CLOSED_PORT_URL = "redis://127.0.0.1:1/15"


@pytest.fixture(params=["redis", "memory"])
async def store(request) -> AsyncIterator[KeyValueStore]:
    if request.param == "memory":
        kv: KeyValueStore = MemoryStore()
        yield kv
        await kv.close()
        return
    kv = RedisStore.from_url(TEST_REDIS_URL, prefix=f"test-kv-{uuid.uuid4().hex[:10]}:")
    assert await kv.ping(), f"the tests need the machine's Redis at {TEST_REDIS_URL}"
    yield kv
    leftovers = await kv.keys("*")
    if leftovers:
        await kv.delete(*leftovers)
    await kv.close()


async def test_get_set_delete(store):
    assert await store.get("missing") is None
    await store.set("a", "1")
    await store.set("b", "2")
    assert await store.get("a") == "1"
    await store.set("a", "3")
    assert await store.get("a") == "3"
    assert await store.delete("a", "b", "never") == 2
    assert await store.get("a") is None
    assert await store.delete() == 0


async def test_ttl_semantics(store):
    assert await store.ttl("missing") == -2
    await store.set("forever", "x")
    assert await store.ttl("forever") == -1
    await store.set("soon", "x", ttl_seconds=100)
    assert 99 <= await store.ttl("soon") <= 100
    await store.set("gone", "x", ttl_seconds=1)
    await asyncio.sleep(1.3)
    assert await store.get("gone") is None
    assert await store.ttl("gone") == -2
    assert "gone" not in await store.keys("*")


async def test_incr_counts_and_sets_expiry_once(store):
    assert await store.incr("hits", ttl_seconds=60) == 1
    assert await store.incr("hits", ttl_seconds=5) == 2  # the window is not extended by later hits
    assert await store.get("hits") == "2"
    assert 58 <= await store.ttl("hits") <= 60
    await store.set("plain", "10")  # a counter that has no expiry yet gets one
    assert await store.incr("plain", ttl_seconds=30) == 11
    assert 28 <= await store.ttl("plain") <= 30


async def test_incr_window_restarts_after_expiry(store):
    assert await store.incr("window", ttl_seconds=1) == 1
    assert await store.incr("window", ttl_seconds=1) == 2
    await asyncio.sleep(1.3)
    assert await store.incr("window", ttl_seconds=1) == 1


async def test_concurrent_incr_loses_no_hit(store):
    counts = await asyncio.gather(*(store.incr("race", ttl_seconds=60) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))


async def test_keys_pattern(store):
    for key in ("session:a", "session:b", "cache:a"):
        await store.set(key, "1", ttl_seconds=60)
    assert sorted(await store.keys("session:*")) == ["session:a", "session:b"]
    assert await store.keys("nothing:*") == []


async def test_redis_prefix_keeps_stores_apart():
    one = RedisStore.from_url(TEST_REDIS_URL, prefix=f"test-kv-{uuid.uuid4().hex[:10]}:")
    two = RedisStore.from_url(TEST_REDIS_URL, prefix=f"test-kv-{uuid.uuid4().hex[:10]}:")
    try:
        await one.set("shared-name", "one", ttl_seconds=60)
        assert await two.get("shared-name") is None
        assert await two.keys("*") == []
        # Stored under the prefix in Redis itself.
        assert await one.client.get(f"{one.prefix}shared-name") == "one"
    finally:
        await one.delete("shared-name")
        await one.close()
        await two.close()


def test_memory_incr_is_safe_across_threads():
    """The in-process worker thread and the API loop share one memory store."""
    store = MemoryStore()

    def hammer() -> None:
        async def run() -> None:
            for _ in range(500):
                await store.incr("shared", ttl_seconds=60)
        asyncio.run(run())

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert asyncio.run(store.get("shared")) == "2000"


async def test_connect_store_uses_redis_when_it_answers():
    store = await connect_store(TEST_REDIS_URL, prefix=f"test-kv-{uuid.uuid4().hex[:10]}:")
    try:
        assert store.backend == "redis"
        assert await store.ping()
    finally:
        await store.close()


async def test_connect_store_falls_back_to_memory_on_a_closed_port():
    store = await connect_store(CLOSED_PORT_URL)
    assert store.backend == "memory"
    assert await store.ping()
    await store.set("k", "v", ttl_seconds=10)
    assert await store.get("k") == "v"


async def test_redis_ping_reports_false_on_a_closed_port():
    store = RedisStore.from_url(CLOSED_PORT_URL)
    try:
        assert await store.ping() is False
    finally:
        await store.close()

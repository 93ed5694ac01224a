"""Key-value store for cache, sessions and rate limits: Redis, or memory when Redis is absent.

The in-memory store keeps the platform usable on a laptop without Redis; it is not shared
between processes, which the integrity monitor reports as a degraded mode.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError


class KeyValueStore(Protocol):
    backend: str

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None: ...
    async def delete(self, *keys: str) -> int: ...
    async def incr(self, key: str, ttl_seconds: int) -> int:
        """Increment a counter; the expiry is set when the counter is created."""
        ...
    async def ttl(self, key: str) -> int: ...
    async def keys(self, pattern: str) -> list[str]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class RedisStore:
    backend = "redis"

    def __init__(self, client: aioredis.Redis, prefix: str = "cspm:") -> None:
        self.client = client
        # One prefix per deployment (or per test run) keeps several users of one Redis apart.
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = "cspm:") -> RedisStore:
        client = aioredis.from_url(url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5)
        return cls(client, prefix)

    async def get(self, key: str) -> str | None:
        value = await self.client.get(self.prefix + key)
        return value.decode() if isinstance(value, bytes) else value  # str: the client decodes responses

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        await self.client.set(self.prefix + key, value, ex=ttl_seconds)

    async def delete(self, *keys: str) -> int:
        return await self.client.delete(*(self.prefix + key for key in keys)) if keys else 0

    async def incr(self, key: str, ttl_seconds: int) -> int:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, ttl_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ttl(self, key: str) -> int:
        return int(await self.client.ttl(self.prefix + key))

    async def keys(self, pattern: str) -> list[str]:
        start = len(self.prefix)
        return [key[start:] async for key in self.client.scan_iter(match=self.prefix + pattern, count=500)]

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self.client.aclose()


class MemoryStore:
    backend = "memory"

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        # A thread lock, not an asyncio one: the in-process worker's loop (another thread) shares this store.
        self._lock = threading.Lock()

    def _live(self, key: str) -> tuple[str, float | None] | None:
        item = self._data.get(key)
        if item is not None and item[1] is not None and item[1] <= time.monotonic():
            self._data.pop(key, None)  # another thread may have removed it first
            return None
        return item

    async def get(self, key: str) -> str | None:
        item = self._live(key)
        return item[0] if item else None

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        self._data[key] = (value, time.monotonic() + ttl_seconds if ttl_seconds else None)

    async def delete(self, *keys: str) -> int:
        return sum(1 for key in keys if self._data.pop(key, None) is not None)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        with self._lock:
            item = self._live(key)
            if item is None:
                self._data[key] = ("1", time.monotonic() + ttl_seconds)
                return 1
            count = int(item[0]) + 1
            # Like Redis `EXPIRE NX`: a key without an expiry gets one, an existing window is kept.
            expires = item[1] if item[1] is not None else time.monotonic() + ttl_seconds
            self._data[key] = (str(count), expires)
            return count

    async def ttl(self, key: str) -> int:
        item = self._live(key)
        if item is None:
            return -2
        return -1 if item[1] is None else max(0, round(item[1] - time.monotonic()))

    async def keys(self, pattern: str) -> list[str]:
        return [key for key in list(self._data) if self._live(key) and fnmatch.fnmatchcase(key, pattern)]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()


async def connect_store(redis_url: str, prefix: str = "cspm:") -> KeyValueStore:
    """Redis when it answers a ping, otherwise the in-memory fallback."""
    store = RedisStore.from_url(redis_url, prefix)
    if await store.ping():
        return store
    await store.close()
    return MemoryStore()

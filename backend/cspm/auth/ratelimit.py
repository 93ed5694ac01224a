"""Fixed-window rate limits and account lock-out on the key-value store (Redis or memory).

Keys are ``ratelimit:<scope>:<subject>``; the subject is an IP address or a hash of the
account's e-mail, so neither raw addresses of accounts nor passwords land in Redis keys.
Lock-out is per e-mail whether or not the account exists, so it reveals nothing.
"""

from __future__ import annotations

import hashlib

from cspm.core.errors import TooManyRequests
from cspm.core.kv import KeyValueStore
from cspm.core.logging import SecurityLogger
from cspm.core.metrics import Metrics


def subject_key(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


class RateLimiter:
    def __init__(self, kv: KeyValueStore, metrics: Metrics, security_log: SecurityLogger) -> None:
        self.kv = kv
        self.metrics = metrics
        self.security_log = security_log

    async def hit(self, scope: str, subject: str, *, limit: int, window_seconds: int) -> None:
        """Count one attempt; raise 429 with Retry-After once ``limit`` attempts are used in the window."""
        key = f"ratelimit:{scope}:{subject_key(subject)}"
        count = await self.kv.incr(key, window_seconds)
        if count > limit:
            retry_after = await self.kv.ttl(key)
            retry_after = retry_after if retry_after > 0 else window_seconds
            self._refused(scope, key, retry_after)
            raise TooManyRequests(f"too many {scope.split(':')[0]} attempts; retry later", retry_after=retry_after)

    # --- lock-out ------------------------------------------------------------------------
    async def check_lock(self, email: str) -> None:
        key = f"lockout:{subject_key(email)}"
        if await self.kv.get(key) is not None:
            retry_after = max(1, await self.kv.ttl(key))
            self._refused("lockout", key, retry_after)
            raise TooManyRequests("account temporarily locked after repeated failures; retry later",
                                  retry_after=retry_after)

    async def record_failure(self, email: str, *, threshold: int, window_seconds: int, lock_seconds: int) -> bool:
        """Count a failed password; lock the account when the threshold is reached. True when locked now."""
        subject = subject_key(email)
        failures = await self.kv.incr(f"loginfail:{subject}", window_seconds)
        if failures >= threshold:
            await self.kv.set(f"lockout:{subject}", "1", lock_seconds)
            await self.kv.delete(f"loginfail:{subject}")
            return True
        return False

    async def clear_failures(self, email: str) -> None:
        await self.kv.delete(f"loginfail:{subject_key(email)}")

    async def unlock(self, email: str) -> None:
        subject = subject_key(email)
        await self.kv.delete(f"lockout:{subject}", f"loginfail:{subject}")

    def _refused(self, scope: str, key: str, retry_after: int) -> None:
        self.metrics.rate_limited.labels(scope=scope).inc()
        self.security_log.rate_limit_hit(scope=scope, key=key, retry_after=retry_after)

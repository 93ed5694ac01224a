"""Fixed-window rate limits and login lock-out on the key-value store (Redis or memory).

Keys are ``ratelimit:<scope>:<subject>``; the subject is a hash of an IP address or of the
account's e-mail, so neither raw addresses of accounts nor passwords land in Redis keys.

Lock-out is per (account, source): failed passwords from one client address lock that
address out of that account (a hard lock), while the account as a whole only slows down
(a delay that doubles with each failure past a threshold, capped). A stranger can thus
lock themselves out of the admin's account, but not the admin, who logs in from elsewhere
at worst after a short wait. Both apply per e-mail whether or not the account exists, so
they reveal nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

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
    async def check_login(self, email: str, source: str | None) -> None:
        """429 while ``source`` is locked out of the account, or while the account's delay runs."""
        account, client = subject_key(email), subject_key(source or "unknown")
        lock = f"lockout:{account}:{client}"
        if await self.kv.get(lock) is not None:
            retry_after = max(1, await self.kv.ttl(lock))
            self._refused("lockout", lock, retry_after)
            raise TooManyRequests("this address is locked out of the account after repeated failures; retry later",
                                  retry_after=retry_after)
        delay = f"logindelay:{account}"
        if await self.kv.get(delay) is not None:
            retry_after = max(1, await self.kv.ttl(delay))
            self._refused("login-delay", delay, retry_after)
            raise TooManyRequests(f"too many failed attempts for this account; retry in {retry_after} s",
                                  retry_after=retry_after)

    async def record_login_failure(self, email: str, source: str | None, policy: LockoutPolicy) -> bool:
        """Count a failed password (or MFA code) for the source and for the account. True when the
        source is locked out of the account now."""
        account, client = subject_key(email), subject_key(source or "unknown")
        account_failures = await self.kv.incr(f"loginfail:{account}", policy.window_seconds)
        if account_failures >= policy.delay_after:
            await self.kv.set(f"logindelay:{account}", "1", policy.delay_seconds(account_failures))
        source_failures = await self.kv.incr(f"loginfail:{account}:{client}", policy.window_seconds)
        if source_failures >= policy.threshold:
            await self.kv.set(f"lockout:{account}:{client}", "1", policy.lock_seconds)
            await self.kv.delete(f"loginfail:{account}:{client}")
            return True
        return False

    async def clear_login_failures(self, email: str, source: str | None) -> None:
        """After a success from ``source``; the account's count stays, so guessing from elsewhere stays slow."""
        await self.kv.delete(f"loginfail:{subject_key(email)}:{subject_key(source or 'unknown')}")

    async def unlock(self, email: str) -> None:
        """Every lock and count of the account, from every source (an administrator re-enabled it)."""
        account = subject_key(email)
        per_source = [*await self.kv.keys(f"lockout:{account}:*"), *await self.kv.keys(f"loginfail:{account}:*")]
        await self.kv.delete(f"loginfail:{account}", f"logindelay:{account}", *per_source)

    def _refused(self, scope: str, key: str, retry_after: int) -> None:
        self.metrics.rate_limited.labels(scope=scope).inc()
        self.security_log.rate_limit_hit(scope=scope, key=key, retry_after=retry_after)


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int
    """Failures from one source before that source is locked out of the account."""
    window_seconds: int
    """How long failures are counted."""
    lock_seconds: int
    """How long a locked source stays locked."""
    delay_after: int
    """Failures of the account, from all sources, after which each further failure makes it wait."""
    max_delay_seconds: int
    """The longest wait; it doubles from one second up to this."""

    def delay_seconds(self, account_failures: int) -> int:
        return min(2 ** min(account_failures - self.delay_after, 30), self.max_delay_seconds)

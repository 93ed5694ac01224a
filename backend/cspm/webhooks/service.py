"""WebhookSecurityService: signed, expiring, single-use callback URLs for scanner reports.

Signature: hex HMAC-SHA256 over "METHOD\\nPATH\\nTIMESTAMP\\nSHA256(body)" with a key that
belongs to one scan job (derived from the server secret and the job id, so a scanner
holds only its own job's key). The timestamp must be within the allowed skew, the grant
unexpired and unused; comparison is constant-time. Any failure is a 401 and stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Self

from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Unauthorized
from cspm.webhooks.repository import WebhookGrantRepository

MAX_CLOCK_SKEW_SECONDS = 300
DEFAULT_TTL_SECONDS = 6 * 3600
SIGNATURE_HEADER = "X-CSPM-Signature"
TIMESTAMP_HEADER = "X-CSPM-Timestamp"


@dataclass(frozen=True)
class WebhookGrant:
    job_id: str
    path: str
    key: str
    expires_at: datetime


def signature(key: str, method: str, path: str, timestamp: str, body_sha256: str) -> str:
    message = f"{method.upper()}\n{path}\n{timestamp}\n{body_sha256}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


class WebhookSecurityService:
    def __init__(self, grants: WebhookGrantRepository, server_secret: bytes) -> None:
        self.grants = grants
        self._server_secret = server_secret

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        secret = container.settings.jwt_secret
        if secret is None:
            raise RuntimeError("JWT_SECRET is needed to sign webhooks")
        server_secret = hmac.new(secret.get_secret_value().encode(), b"cspm-webhooks-v1", hashlib.sha256).digest()
        return cls(WebhookGrantRepository(container.database.db(Database.ORCHESTRATION)), server_secret)

    def job_key(self, job_id: str) -> str:
        return hmac.new(self._server_secret, job_id.encode(), hashlib.sha256).hexdigest()

    async def issue(self, *, team_id: str, run_id: str, tool: str, scope_key: str, complete: bool = True,
                    job_id: str | None = None, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> WebhookGrant:
        job_id = job_id or secrets.token_hex(16)
        now = datetime.now(UTC)
        expires_at = now + timedelta(seconds=ttl_seconds)
        await self.grants.create({
            "job_id": job_id, "team_id": team_id, "run_id": run_id, "tool": tool, "scope_key": scope_key,
            "complete": complete, "created_at": now, "expires_at": expires_at, "used_at": None,
        })
        return WebhookGrant(job_id, f"/api/webhooks/scans/{job_id}/report", self.job_key(job_id), expires_at)

    async def verify_and_consume(self, *, job_id: str, method: str, path: str, timestamp: str | None,
                                 provided: str | None, body_sha256: str) -> dict:
        """Return the grant when the request is authentic, fresh and first; 401 otherwise."""
        if not timestamp or not provided:
            raise Unauthorized("missing webhook signature or timestamp")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise Unauthorized("malformed webhook timestamp") from None
        now = datetime.now(UTC)
        if abs(now.timestamp() - sent_at) > MAX_CLOCK_SKEW_SECONDS:
            raise Unauthorized("webhook timestamp outside the allowed window")
        expected = signature(self.job_key(job_id), method, path, timestamp, body_sha256)
        if not hmac.compare_digest(expected, provided.strip().lower()):
            raise Unauthorized("bad webhook signature")
        grant = await self.grants.get(job_id)
        if grant is None:
            raise Unauthorized("unknown webhook")
        expires_at = grant["expires_at"]
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now:
            raise Unauthorized("webhook expired")
        consumed = await self.grants.consume(job_id, now)
        if consumed is None:
            raise Unauthorized("webhook already used")
        return consumed

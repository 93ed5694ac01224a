"""WebhookSecurityService: signed, expiring, single-use callback URLs for scanner reports.

Signature: hex HMAC-SHA256 over "METHOD\\nPATH\\nTIMESTAMP\\nSHA256(body)" with a key that
belongs to one scan job (derived from the server secret and the job id, so a scanner
holds only its own job's key). Comparison is constant-time.

A delivery is checked in two steps. Before the body is read (``check_headers``): the
signature and timestamp headers are present, the timestamp is within the allowed skew,
the grant exists, is unexpired and unused. After the body is read (``accept``): the
signature matches the body, and the same (job, timestamp, body digest) was not received
before (a replay). The grant is used up only when the report it carries has been
accepted: a report that is refused (malformed, wrong tool) leaves it usable, so the
scanner can send the good one, signed with a new timestamp. While one delivery is being
ingested the grant is held, so two deliveries never both go in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, Unauthorized
from cspm.webhooks.repository import WebhookGrantRepository

MAX_CLOCK_SKEW_SECONDS = 300
DEFAULT_TTL_SECONDS = 6 * 3600
# How long one delivery may hold its grant while the report is ingested; a crashed ingest frees it then.
INGEST_LEASE_SECONDS = 15 * 60
# Deliveries remembered per grant for replay protection (a scanner retries a handful of times).
REMEMBERED_DELIVERIES = 50
SIGNATURE_HEADER = "X-CSPM-Signature"
TIMESTAMP_HEADER = "X-CSPM-Timestamp"


@dataclass(frozen=True)
class WebhookGrant:
    job_id: str
    path: str
    key: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedHeaders:
    """A delivery's headers, checked before its body is read."""

    job_id: str
    timestamp: str
    signature: str


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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

    async def check_headers(self, *, job_id: str, timestamp: str | None, provided: str | None) -> SignedHeaders:
        """401 unless the delivery is signed, fresh and for a live grant; needs nothing of the body."""
        if not timestamp or not provided:
            raise Unauthorized("missing webhook signature or timestamp")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise Unauthorized("malformed webhook timestamp") from None
        now = datetime.now(UTC)
        if abs(now.timestamp() - sent_at) > MAX_CLOCK_SKEW_SECONDS:
            raise Unauthorized("webhook timestamp outside the allowed window")
        grant = await self.grants.get(job_id)
        if grant is None:
            raise Unauthorized("unknown webhook")
        if _aware(grant["expires_at"]) <= now:
            raise Unauthorized("webhook expired")
        if grant.get("used_at") is not None:
            raise Unauthorized("webhook already used")
        return SignedHeaders(job_id, timestamp, provided.strip().lower())

    @asynccontextmanager
    async def accept(self, headers: SignedHeaders, *, method: str, path: str,
                     body_sha256: str) -> AsyncIterator[dict[str, Any]]:
        """The grant, held while the block ingests the report; used up only when the block succeeds.

        401 for a body the signature does not cover or a replayed delivery, 409 while another
        delivery of the same grant is being ingested.
        """
        expected = signature(self.job_key(headers.job_id), method, path, headers.timestamp, body_sha256)
        if not hmac.compare_digest(expected, headers.signature):
            raise Unauthorized("bad webhook signature")
        now = datetime.now(UTC)
        grant = await self.grants.claim(headers.job_id, now, now + timedelta(seconds=INGEST_LEASE_SECONDS))
        if grant is None:
            current = await self.grants.get(headers.job_id)
            if current is not None and current.get("used_at") is None and _aware(current["expires_at"]) > now:
                raise Conflict("another report for this webhook is being ingested; retry later")
            raise Unauthorized("webhook already used or expired")
        try:
            delivery = f"{headers.timestamp}:{body_sha256}"
            if not await self.grants.record_delivery(headers.job_id, delivery, keep=REMEMBERED_DELIVERIES):
                raise Unauthorized("webhook delivery replayed: sign a retry with a new timestamp")
            yield grant
        except BaseException:
            await self.grants.release(headers.job_id)
            raise
        await self.grants.consume(headers.job_id, datetime.now(UTC))

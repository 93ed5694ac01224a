"""DeliveryService: the outbox of notifications, each attempt at a channel, and connection health.

A notification is written to ``deliveries`` (queued) before anything is sent, then the
``integrations.deliver`` job attempts it. A failed attempt is queued again after
``retry_base_seconds · 2^(attempt-1)`` (capped; a 429's Retry-After is honoured), and the
``integrations.deliver_due`` sweep (every 30 s) sends what is due, and takes back deliveries whose
worker died mid-attempt (an expired lease). After ``delivery_max_attempts`` failures, or at once for
an answer a retry cannot change (a revoked hook, a refused destination), the delivery moves to the
dead-letter list, from where a person can send it again.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from bson import ObjectId

from cspm.cloud_accounts.crypto import CredentialDecryptionError
from cspm.core.container import ServiceContainer
from cspm.integrations import jira
from cspm.integrations.access import ChannelAccess
from cspm.integrations.channels import send_email, send_http, send_slack, send_teams, send_webhook
from cspm.integrations.models import (
    ChannelKind,
    DeliveryState,
    EventType,
    NotificationEvent,
    SendOutcome,
)
from cspm.integrations.tickets import TicketService

logger = logging.getLogger(__name__)

DELIVER_JOB = "integrations.deliver"


def delivery_key(team_id: str, integration_id: str, event_key: str) -> str:
    return hashlib.sha256(f"{team_id}\n{integration_id}\n{event_key}".encode()).hexdigest()


def test_event(name: str) -> NotificationEvent:
    return NotificationEvent(EventType.TEST, key=f"test:{datetime.now(UTC).isoformat()}", severity="info",
                             title=f"Test from OffloadSecurity CSPM: {name}",
                             summary="This integration is set up: notifications routed to it will arrive here.",
                             facts={"integration": name})


class DeliveryService:
    def __init__(self, container: ServiceContainer, access: ChannelAccess, tickets: TicketService) -> None:
        self.container = container
        self.access = access
        self.tickets = tickets
        self.repositories = access.repositories
        self.settings = access.settings

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(ChannelAccess), container.resolve(TicketService))

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        wait = min(self.settings.retry_base_seconds * 2 ** max(0, attempts - 1), self.settings.retry_max_seconds)
        return max(wait, min(retry_after or 0.0, self.settings.retry_max_seconds))

    # --- one attempt at a channel -------------------------------------------------------------------
    async def _secrets(self, integration: dict[str, Any]) -> dict[str, Any] | SendOutcome:
        """The integration's secrets, or the failed outcome saying they cannot be decrypted."""
        try:
            return self.access.secrets(integration)
        except CredentialDecryptionError as exc:
            return SendOutcome(False, 0.0, error=str(exc), retryable=False)

    async def send(self, integration: dict[str, Any], event: NotificationEvent, *, team_id: str,
                   delivery_id: str) -> SendOutcome:
        secrets = await self._secrets(integration)
        if isinstance(secrets, SendOutcome):
            return secrets
        settings, timeout, policy = integration["settings"], self.settings.request_timeout_seconds, self.access.policy()
        match ChannelKind(integration["kind"]):
            case ChannelKind.SLACK:
                return await send_slack(policy, secrets["webhook_url"], event, timeout=timeout)
            case ChannelKind.TEAMS:
                return await send_teams(policy, secrets["webhook_url"], event, timeout=timeout)
            case ChannelKind.WEBHOOK:
                return await send_webhook(policy, settings["url"], secrets["signing_secret"], event, team_id=team_id,
                                          delivery_id=delivery_id, timeout=timeout)
            case ChannelKind.EMAIL:
                return await send_email(policy, settings, secrets.get("password"), event, timeout=timeout)
            case ChannelKind.JIRA:
                return await self._ticket(integration, secrets, event, team_id=team_id)

    async def _ticket(self, integration: dict[str, Any], secrets: dict[str, Any], event: NotificationEvent, *,
                      team_id: str) -> SendOutcome:
        """A Jira integration in a rule opens an issue for the event's finding (once: the link is kept)."""
        if event.finding_id is None:
            return SendOutcome(False, 0.0, error=f"{event.type.value} events have no finding to open a Jira issue "
                                                 "for; route only finding events to Jira", retryable=False)
        return await self.tickets.open_for_delivery(team_id=team_id, integration=integration,
                                                    token=secrets["api_token"], finding_id=event.finding_id)

    async def check(self, integration: dict[str, Any]) -> SendOutcome:
        """The health check: does the channel answer, and accept the credentials, without posting a message?

        Slack: an empty POST is answered ``400 no_text`` by a live hook (404/403/410 for a dead one), and
        posts nothing. Generic webhook: a signed ``integration.test`` ping (documented for receivers).
        Teams workflows have no no-op call: the check is that the URL answers at all (reachability).
        E-mail: connect, STARTTLS, log in, NOOP. Jira: read the project with the credentials.
        """
        secrets = await self._secrets(integration)
        if isinstance(secrets, SendOutcome):
            return secrets
        settings, timeout, policy = integration["settings"], self.settings.request_timeout_seconds, self.access.policy()
        match ChannelKind(integration["kind"]):
            case ChannelKind.SLACK:
                outcome, response = await send_http(policy, "POST", secrets["webhook_url"], body=b"{}",
                                                    timeout=timeout, headers={"Content-Type": "application/json"},
                                                    success=(400,))
                if outcome.ok and response is not None and response.text.strip() not in ("no_text",
                                                                                          "invalid_payload"):
                    return SendOutcome(False, outcome.latency_ms, 400, f"not a Slack webhook: {response.text[:100]}")
                if not outcome.ok and outcome.status_code == 200:
                    return SendOutcome(False, outcome.latency_ms, 200, "answered 200 to an empty message: not Slack")
                return outcome
            case ChannelKind.TEAMS:
                outcome, _ = await send_http(policy, "GET", secrets["webhook_url"], body=None, timeout=timeout,
                                             success=tuple(range(200, 500)))
                return outcome
            case ChannelKind.WEBHOOK:
                return await send_webhook(policy, settings["url"], secrets["signing_secret"],
                                          test_event(integration["name"]), team_id=integration["team_id"],
                                          delivery_id="health-check", timeout=timeout)
            case ChannelKind.EMAIL:
                return await send_email(policy, settings, secrets.get("password"), None, timeout=timeout)
            case ChannelKind.JIRA:
                return await jira.check(policy, settings, secrets["api_token"], timeout=timeout)

    # --- the outbox -----------------------------------------------------------------------------------
    async def enqueue(self, team_id: str, integration: dict[str, Any], event: NotificationEvent,
                      rule_id: str | None) -> str | None:
        """Store one delivery and send the job; None when this event already has one for this integration."""
        integration_id = str(integration["_id"])
        now = datetime.now(UTC)
        document = {"integration_id": integration_id, "kind": integration["kind"], "rule_id": rule_id,
                    "key": delivery_key(team_id, integration_id, event.key), "event": event.document(),
                    "state": DeliveryState.QUEUED.value, "attempts": 0, "next_attempt_at": now,
                    "lease_until": None, "last_error": None, "history": [], "created_at": now, "delivered_at": None}
        from pymongo.errors import DuplicateKeyError  # noqa: PLC0415

        try:
            stored = await self.repositories.deliveries.insert(team_id, document)
        except DuplicateKeyError:
            return None
        delivery_id = str(stored["_id"])
        try:
            await self.container.dispatcher.send(DELIVER_JOB, {"team_id": team_id, "delivery_id": delivery_id})
        except Exception:  # noqa: BLE001 - the broker is down: the delivery is stored, the sweep sends it
            logger.warning("delivery job not sent; the retry sweep will", extra={"delivery_id": delivery_id})
        return delivery_id

    async def attempt(self, *, team_id: str, delivery_id: str, now: datetime | None = None) -> str:
        """One attempt at a due delivery; returns its state afterwards (or why nothing was done)."""
        now = now or datetime.now(UTC)
        lease = now + timedelta(seconds=self.settings.request_timeout_seconds * 3 + 60)
        deliveries = self.repositories.deliveries
        claimed = await deliveries.claim(team_id, deliveries.object_id(delivery_id, "delivery"), now, lease)
        if claimed is None:
            return "not due"
        event = NotificationEvent.from_document(claimed["event"])
        integration = await self.repositories.integrations.collection.find_one(
            deliveries.scoped(team_id, {"_id": ObjectId(claimed["integration_id"])}))
        if integration is None:
            outcome = SendOutcome(False, 0.0, error="the integration was deleted", retryable=False)
        elif not integration.get("enabled", True):
            outcome = SendOutcome(False, 0.0, error="the integration is disabled", retryable=False)
        else:
            outcome = await self.send(integration, event, team_id=team_id, delivery_id=delivery_id)
        attempts = claimed["attempts"] + 1
        finished = datetime.now(UTC)
        changes: dict[str, Any] = {"lease_until": None, "last_status_code": outcome.status_code}
        if outcome.ok:
            changes.update(state=DeliveryState.DELIVERED.value, delivered_at=finished, next_attempt_at=None,
                           last_error=None)
        elif not outcome.retryable or attempts >= self.settings.delivery_max_attempts:
            changes.update(state=DeliveryState.DEAD_LETTER.value, next_attempt_at=None, last_error=outcome.error,
                           dead_lettered_at=finished)
        else:
            wait = self.backoff(attempts, outcome.retry_after_seconds)
            changes.update(state=DeliveryState.QUEUED.value, last_error=outcome.error,
                           next_attempt_at=now + timedelta(seconds=wait))
        await deliveries.finish_attempt(team_id, claimed["_id"], changes, {
            "started_at": now, "at": finished, "ok": outcome.ok, "status_code": outcome.status_code,
            "error": outcome.error, "latency_ms": outcome.latency_ms})
        if integration is not None:
            await self.access.record_health(team_id, claimed["integration_id"], outcome)
        self.container.metrics.integration_deliveries.labels(kind=claimed["kind"], outcome=changes["state"]).inc()
        if not outcome.ok:
            logger.warning("delivery attempt failed", extra={"delivery_id": delivery_id, "kind": claimed["kind"],
                                                             "attempt": attempts, "state": changes["state"],
                                                             "error": outcome.error})
        return str(changes["state"])

    async def deliver_due(self, now: datetime | None = None) -> int:
        """The retry sweep: every due delivery of every team, attempted here (bounded per run)."""
        now = now or datetime.now(UTC)
        attempted = 0
        for due in await self.repositories.deliveries.due(now, self.settings.due_batch):
            if await self.attempt(team_id=due["team_id"], delivery_id=str(due["_id"]), now=now) != "not due":
                attempted += 1
        return attempted

"""TicketService: Jira issues opened from findings, and their status read back.

A finding gets at most one issue per Jira integration (the link is kept in ``ticket_links`` and shown on
the Integrations page). The sync job reads each open link's issue; when Jira puts it in the ``done``
status category, the finding moves to ``resolved_pending_verification``: fixed by the ticket's account,
until the next scan of its scope resolves it (or reopens it, if the fix did not hold).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Self

from bson import ObjectId

from cspm.audit.service import AuditService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from cspm.findings.models import FindingStatus
from cspm.findings.service import FindingsService
from cspm.integrations import jira
from cspm.integrations.access import ChannelAccess
from cspm.integrations.models import ChannelKind, SendOutcome

logger = logging.getLogger(__name__)

SYNC_BATCH = 500
FINDINGS = "findings"  # SECURITY_SCANS.findings, owned by the findings module (read here)


class TicketService:
    def __init__(self, container: ServiceContainer, access: ChannelAccess) -> None:
        self.container = container
        self.access = access
        self.repositories = access.repositories
        self.findings = container.database.db(Database.SECURITY_SCANS)[FINDINGS]

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(ChannelAccess))

    async def _finding(self, team_id: str, finding_id: str) -> dict[str, Any]:
        oid = self.repositories.tickets.object_id(finding_id, "finding")
        finding = await self.findings.find_one(self.repositories.tickets.scoped(team_id, {"_id": oid}))
        if finding is None:
            raise NotFound("finding not found")
        return finding

    async def _open(self, *, team_id: str, integration: dict[str, Any], token: str,
                    finding: dict[str, Any]) -> tuple[SendOutcome, dict[str, Any] | None]:
        integration_id = str(integration["_id"])
        existing = await self.repositories.tickets.find(team_id, {"integration_id": integration_id,
                                                                  "finding_id": str(finding["_id"])}, limit=1)
        if existing:
            return SendOutcome(True, 0.0, response={"key": existing[0]["issue_key"]}), existing[0]
        outcome = await jira.create_issue(self.access.policy(), integration["settings"], token, finding,
                                          timeout=self.access.settings.request_timeout_seconds)
        if not outcome.ok or outcome.response is None:
            return outcome, None
        link = await self.repositories.tickets.insert(team_id, {
            "integration_id": integration_id, "finding_id": str(finding["_id"]), "dedup_key": finding["dedup_key"],
            "issue_key": outcome.response["key"], "issue_url": outcome.response["url"], "status": None,
            "status_category": "new", "created_at": datetime.now(UTC), "synced_at": None, "finding_moved_at": None})
        return outcome, link

    async def open_for_delivery(self, *, team_id: str, integration: dict[str, Any], token: str,
                                finding_id: str) -> SendOutcome:
        """A routed finding event to a Jira integration (the delivery job)."""
        try:
            finding = await self._finding(team_id, finding_id)
        except NotFound:
            return SendOutcome(False, 0.0, error="the finding no longer exists", retryable=False)
        outcome, _ = await self._open(team_id=team_id, integration=integration, token=token, finding=finding)
        return outcome

    async def create_with_team_jira(self, *, team_id: str, actor: str, finding_id: str) -> dict[str, Any]:
        """Another module's "open a ticket" (an AI-SOC case): through the team's one Jira integration."""
        jira_integrations = await self.repositories.integrations.find(team_id, {"kind": ChannelKind.JIRA.value})
        if not jira_integrations:
            raise Conflict("no Jira integration is set up for this team: add one under Integrations")
        if len(jira_integrations) > 1:
            raise Conflict(f"the team has {len(jira_integrations)} Jira integrations: open the ticket from the "
                           "finding's page, choosing one")
        return await self.create(team_id=team_id, actor=actor, integration_id=str(jira_integrations[0]["_id"]),
                                 finding_id=finding_id)

    async def create(self, *, team_id: str, actor: str, integration_id: str, finding_id: str) -> dict[str, Any]:
        """A person opens an issue for a finding (the finding's page or the Integrations page)."""
        integration = await self.repositories.integrations.get(team_id, integration_id, what="integration")
        if integration["kind"] != ChannelKind.JIRA.value:
            raise BadRequest(f"integration {integration['name']!r} is {integration['kind']}, not Jira")
        finding = await self._finding(team_id, finding_id)
        outcome, link = await self._open(team_id=team_id, integration=integration,
                                         token=self.access.secrets(integration)["api_token"], finding=finding)
        await self.access.record_health(team_id, integration_id, outcome)
        if link is None:
            raise ServiceUnavailable(f"Jira did not create the issue: {outcome.error}")
        await self.container.resolve(AuditService).record(
            "integrations.ticket_created", actor_id=actor, team_id=team_id, target_type="finding",
            target_id=finding_id, target_name=finding.get("title"),
            details={"integration_id": integration_id, "issue_key": link["issue_key"]})
        return link

    async def list_links(self, *, team_id: str, finding_id: str | None, limit: int) -> list[dict[str, Any]]:
        query = {"finding_id": finding_id} if finding_id else {}
        return await self.repositories.tickets.find(team_id, query, sort=[("created_at", -1)], limit=limit)

    async def sync(self) -> dict[str, int]:
        """Every team's open links (bounded per run): read each issue's status, move findings of done ones."""
        counts = {"checked": 0, "done": 0, "failed": 0}
        integrations: dict[tuple[str, str], dict[str, Any] | None] = {}
        for link in await self.repositories.tickets.open_links(SYNC_BATCH):
            team_id = link["team_id"]
            cache_key = (team_id, link["integration_id"])
            if cache_key not in integrations:
                integrations[cache_key] = await self.repositories.integrations.collection.find_one(
                    self.repositories.integrations.scoped(team_id, {"_id": ObjectId(link["integration_id"])}))
            integration = integrations[cache_key]
            if integration is None or not integration.get("enabled", True):
                continue
            counts["checked"] += 1
            outcome = await jira.issue_status(self.access.policy(), integration["settings"],
                                              self.access.secrets(integration)["api_token"], link["issue_key"],
                                              timeout=self.access.settings.request_timeout_seconds)
            await self.access.record_health(team_id, link["integration_id"], outcome)
            if not outcome.ok or outcome.response is None:
                counts["failed"] += 1
                continue
            now = datetime.now(UTC)
            changes: dict[str, Any] = {"status": outcome.response["status"],
                                       "status_category": outcome.response["category"], "synced_at": now}
            if outcome.response["category"] == jira.DONE_CATEGORY:
                await self._finding_done(team_id, link)
                changes["finding_moved_at"] = now
                counts["done"] += 1
            await self.repositories.tickets.update(team_id, link["_id"], changes)
        return counts

    async def _finding_done(self, team_id: str, link: dict[str, Any]) -> None:
        finding = await self.findings.find_one(
            self.repositories.tickets.scoped(team_id, {"_id": ObjectId(link["finding_id"])}), {"status": 1})
        if finding is None or not FindingStatus(finding["status"]).active:
            return  # resolved by a scan already, or triaged by a person: theirs to keep
        await self.container.resolve(FindingsService).change_status(
            team_id=team_id, actor=f"jira:{link['issue_key']}", finding_ids=[link["finding_id"]],
            status=FindingStatus.RESOLVED_PENDING_VERIFICATION, reason=f"Jira issue {link['issue_key']} is done",
            risk_owner=None, expires_at=None, set_by_module=True)

"""Finding lifecycle: triage by people, suppression rules, expiring risk acceptances.

open → resolved (absent from a later complete scan, or its check now passes) → reopened
(reported again); false_positive, risk_accepted (owner, reason, expiry) and suppressed
(by rule) are set by people or rules. Every change is written to `finding_history`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from cspm.core.errors import BadRequest, NotFound
from cspm.findings.models import FindingStatus
from cspm.findings.repository import FindingsRepository

# Who may move a finding where by hand; resolved/reopened belong to scans.
MANUAL_TARGETS = frozenset({
    FindingStatus.OPEN, FindingStatus.FALSE_POSITIVE, FindingStatus.RISK_ACCEPTED, FindingStatus.SUPPRESSED,
})
# Set by another module, never by hand: a closed Jira issue (integrations) says fixed, a scan verifies.
MODULE_TARGETS = frozenset({FindingStatus.RESOLVED_PENDING_VERIFICATION})


def history_entry(*, team_id: str, finding_id: ObjectId, actor: str, from_status: FindingStatus | None,
                  to_status: FindingStatus, reason: str | None, at: datetime,
                  details: dict[str, Any] | None = None) -> dict[str, Any]:
    entry = {
        "team_id": team_id, "finding_id": finding_id, "actor": actor, "at": at,
        "from_status": from_status.value if from_status else None, "to_status": to_status.value,
        "reason": reason,
    }
    if details:
        entry["details"] = details
    return entry


def glob_to_regex(pattern: str) -> str:
    return fnmatch.translate(pattern)


class SuppressionMatcher:
    """Rules match on tool, rule id and a glob over the resource id; every given field must match."""

    def __init__(self, rules: Sequence[dict[str, Any]]) -> None:
        self.rules = [
            (rule.get("source_tool"), rule.get("rule_id"),
             re.compile(glob_to_regex(rule["resource_pattern"])) if rule.get("resource_pattern") else None)
            for rule in rules
        ]

    def matches(self, finding: dict[str, Any]) -> bool:
        for tool, rule_id, resource in self.rules:
            if tool and finding.get("source_tool") != tool:
                continue
            if rule_id and finding.get("rule_id") != rule_id:
                continue
            if resource and not resource.match((finding.get("resource") or {}).get("id", "")):
                continue
            return True
        return False

    @staticmethod
    def mongo_filter(rule: dict[str, Any]) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if rule.get("source_tool"):
            query["source_tool"] = rule["source_tool"]
        if rule.get("rule_id"):
            query["rule_id"] = rule["rule_id"]
        if rule.get("resource_pattern"):
            query["resource.id"] = {"$regex": glob_to_regex(rule["resource_pattern"])}
        return query


class LifecycleService:
    def __init__(self, findings: FindingsRepository) -> None:
        self.findings = findings

    async def change_status(self, *, team_id: str, finding_ids: Sequence[str], status: FindingStatus, actor: str,
                            reason: str, risk_owner: str | None = None,
                            expires_at: datetime | None = None, set_by_module: bool = False) -> list[str]:
        """Triage findings of one team; returns the dedup keys that changed (for compliance)."""
        if status not in MANUAL_TARGETS and not (set_by_module and status in MODULE_TARGETS):
            raise BadRequest(f"status {status.value!r} is set by scans, not by hand")
        now = datetime.now(UTC)
        changes: dict[str, Any] = {"status": status.value, "updated_at": now}
        unset: list[str] = []
        if status is FindingStatus.RISK_ACCEPTED:
            if not risk_owner or expires_at is None:
                raise BadRequest("accepting a risk needs an owner and an expiry date")
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
            if expires_at <= now:
                raise BadRequest("the risk acceptance expiry must be in the future")
            changes["risk_acceptance"] = {"owner": risk_owner, "reason": reason, "expires_at": expires_at,
                                          "accepted_by": actor, "accepted_at": now}
        else:
            unset.append("risk_acceptance")
        ids = [self.findings.object_id(value, "finding") for value in finding_ids]
        current = await self.findings.find_by_ids(team_id, ids)
        if len(current) != len(set(ids)):
            raise NotFound("finding not found")
        moving = [document for document in current if document["status"] != status.value
                  or status is FindingStatus.RISK_ACCEPTED]
        if not moving:
            return []
        await self.findings.set_status(team_id, [document["_id"] for document in moving], changes, unset=unset)
        details = {"risk_owner": risk_owner, "expires_at": expires_at} if risk_owner else None
        await self.findings.record_history(
            history_entry(team_id=team_id, finding_id=document["_id"], actor=actor,
                          from_status=FindingStatus(document["status"]), to_status=status, reason=reason,
                          at=now, details=details)
            for document in moving
        )
        return [document["dedup_key"] for document in moving]

    async def add_suppression_rule(self, *, team_id: str, actor: str, source_tool: str | None,
                                   rule_id: str | None, resource_pattern: str | None,
                                   reason: str) -> tuple[str, list[str]]:
        """Create a rule and suppress the active findings it matches now; new ones are suppressed at ingest."""
        if not (source_tool or rule_id or resource_pattern):
            raise BadRequest("a suppression rule needs at least one of source_tool, rule_id, resource_pattern")
        now = datetime.now(UTC)
        rule = {"source_tool": source_tool, "rule_id": rule_id, "resource_pattern": resource_pattern,
                "reason": reason, "created_by": actor, "created_at": now}
        rule_object_id = await self.findings.add_rule(team_id, rule)
        matched = await self.findings.match_rule(team_id, SuppressionMatcher.mongo_filter(rule))
        if matched:
            await self.findings.set_status(team_id, [document["_id"] for document in matched],
                                           {"status": FindingStatus.SUPPRESSED.value, "updated_at": now})
            await self.findings.record_history(
                history_entry(team_id=team_id, finding_id=document["_id"], actor=actor,
                              from_status=FindingStatus(document["status"]), to_status=FindingStatus.SUPPRESSED,
                              reason=f"suppression rule {rule_object_id}: {reason}", at=now)
                for document in matched
            )
        return str(rule_object_id), [document["dedup_key"] for document in matched]

    async def reopen_expired_acceptances(self, *, now: datetime | None = None) -> dict[str, list[str]]:
        """Risk acceptances past their expiry go back to open; returns dedup keys per team."""
        now = now or datetime.now(UTC)
        reopened: dict[str, list[str]] = {}
        for document in await self.findings.expired_acceptances(now):
            team_id = document["team_id"]
            await self.findings.set_status(team_id, [document["_id"]],
                                           {"status": FindingStatus.REOPENED.value, "updated_at": now},
                                           unset=["risk_acceptance"])
            await self.findings.record_history([history_entry(
                team_id=team_id, finding_id=document["_id"], actor="system", from_status=FindingStatus.RISK_ACCEPTED,
                to_status=FindingStatus.REOPENED, reason="risk acceptance expired", at=now)])
            reopened.setdefault(team_id, []).append(document["dedup_key"])
        return reopened

"""NotificationRouter: the platform's events, turned into notifications and routed by the team's rules.

Subscribed in the manifest (cspm/modules.py), so no publisher imports this module:
- ``findings.changed``: new critical/high findings (``finding.new``) and new findings whose CVE is in
  KEV (``threat_intel.kev_match``, once threat intel has written its flag: it subscribes first);
- ``threat_intel.indicators_matched``: indicator matches (``threat_intel.ioc_match``; TLP:RED ones are
  never sent outside the platform);
- ``compliance.drifted``: control regressions and scores below threshold (``compliance.drift``);
- ``scans.failed``: a run that ended failed or timed out (``scan.failed``);
- ``risks.kri_red``: a key risk indicator turned red (``risks.kri_red``), raised by the risk register
  once it exists; until then no rule receives one, and the catalogue says so.

A rule matches an event by type, lowest severity, tools and a text its target must contain; each
matching rule's enabled integrations get one delivery per event occurrence (``DeliveryService.enqueue``).
Nothing is routed for a team that switched the module off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

from bson import ObjectId

from cspm.core.container import ServiceContainer
from cspm.core.database.batching import chunked
from cspm.core.database.registry import Database
from cspm.findings.models import FindingStatus
from cspm.integrations.delivery import DeliveryService
from cspm.integrations.models import NOTIFIED_SEVERITIES, SEVERITY_RANK, EventType, NotificationEvent
from cspm.teams.service import TeamService

logger = logging.getLogger(__name__)

TOGGLE = "integrations"
FINDINGS = "findings"          # SECURITY_SCANS.findings (findings module), read here
CORRELATIONS = "correlations"  # THREAT_INTELLIGENCE.correlations (threat intel module), read here
ACTIVE_STATUSES = (FindingStatus.OPEN.value, FindingStatus.REOPENED.value)
NOTIFIED_FIELDS = {"dedup_key": 1, "status": 1, "times_seen": 1, "severity": 1, "kev": 1, "title": 1, "rule_id": 1,
                   "source_tool": 1, "cve_ids": 1, "resource.id": 1, "resource.name": 1}
ANNOUNCED_DRIFT = {"control_regression": "high", "score_below_threshold": "high", "evidence_expired": "medium",
                   "assessment_contradicted": "medium"}
MAX_PER_EVENT = 500
"""Most notifications one platform event produces (a first import of a large report): the rest is summed up."""


def _resource(finding: dict[str, Any]) -> str:
    resource = finding.get("resource") or {}
    return str(resource.get("id") or resource.get("name") or "")


def finding_event(finding: dict[str, Any], kind: EventType) -> NotificationEvent:
    facts = {"Tool": str(finding.get("source_tool")), "Rule": str(finding.get("rule_id") or ""),
             "Resource": _resource(finding), "Severity": str(finding.get("severity"))}
    if finding.get("cve_ids"):
        facts["CVE"] = ", ".join(finding["cve_ids"][:5])
    if kind is EventType.KEV_MATCH and finding.get("kev"):
        facts["KEV since"] = str(finding["kev"].get("date_added") or "")
    title = finding.get("title") or finding.get("rule_id") or "finding"
    summary = (f"New {finding.get('severity')} finding on {_resource(finding) or 'an unnamed resource'}"
               if kind is EventType.FINDING_NEW else f"A new finding's CVE is in CISA's KEV catalogue: {title}")
    return NotificationEvent(kind, key=f"{kind.value}:{finding['dedup_key']}", severity=str(finding["severity"]),
                             title=str(title)[:200], summary=summary, tool=finding.get("source_tool"),
                             target=_resource(finding), facts={k: v for k, v in facts.items() if v},
                             finding_id=str(finding["_id"]), link=f"/findings?finding={finding['_id']}")


def matches(rule: dict[str, Any], event: NotificationEvent) -> bool:
    if not rule.get("enabled", True) or event.type.value not in rule["event_types"]:
        return False
    if SEVERITY_RANK.get(event.severity, 0) < SEVERITY_RANK[rule.get("min_severity") or "info"]:
        return False
    if rule.get("tools") and event.tool not in rule["tools"]:
        return False
    wanted = (rule.get("target_contains") or "").lower()
    return not wanted or wanted in (event.target or "").lower()


class NotificationRouter:
    def __init__(self, container: ServiceContainer, delivery: DeliveryService) -> None:
        self.container = container
        self.delivery = delivery
        self.repositories = delivery.repositories

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(DeliveryService))

    async def route(self, team_id: str, events: Sequence[NotificationEvent]) -> list[str]:
        """Enqueue a delivery per matching rule and integration; returns the new delivery ids."""
        if not events or TOGGLE in await self.container.resolve(TeamService).disabled_modules(team_id=team_id):
            return []
        rules = await self.repositories.rules.find(team_id, {"enabled": True})
        if not rules:
            return []
        wanted = {ObjectId(i) for rule in rules for i in rule["integration_ids"] if ObjectId.is_valid(i)}
        integrations = {str(item["_id"]): item for item in await self.repositories.integrations.find(
            team_id, {"_id": {"$in": list(wanted)}, "enabled": True})}
        created: list[str] = []
        for event in events[:MAX_PER_EVENT]:
            for rule in rules:
                if not matches(rule, event):
                    continue
                for integration_id in rule["integration_ids"]:
                    integration = integrations.get(integration_id)
                    if integration is None:
                        continue
                    delivery_id = await self.delivery.enqueue(team_id, integration, event, str(rule["_id"]))
                    if delivery_id:
                        created.append(delivery_id)
        if len(events) > MAX_PER_EVENT:
            logger.warning("notifications capped", extra={"team_id": team_id, "events": len(events)})
        return created

    # --- subscribers (cspm/modules.py) ------------------------------------------------------------
    async def on_findings_changed(self, *, team_id: str, dedup_keys: list[str]) -> list[str]:
        if not await self._routes_any(team_id, (EventType.FINDING_NEW, EventType.KEV_MATCH)):
            return []  # nothing would be sent: the findings are not read at all
        findings = self.container.database.db(Database.SECURITY_SCANS)[FINDINGS]
        events: list[NotificationEvent] = []
        first_seen: list[dict[str, Any]] = []
        # Only (team_id, dedup_key) in the query: that is the unique index's shape, which every store
        # looks up directly; with the status and times_seen conditions beside it the embedded store
        # compares every team finding with every key (minutes for a first import of 10,000).
        for chunk in chunked(list(dict.fromkeys(dedup_keys))):
            async for finding in findings.find(self.repositories.rules.scoped(team_id, {"dedup_key": {"$in": chunk}}),
                                               NOTIFIED_FIELDS):
                if finding.get("status") in ACTIVE_STATUSES and finding.get("times_seen") == 1:
                    first_seen.append(finding)
            if len(first_seen) >= MAX_PER_EVENT * 2:
                break
        for finding in first_seen[:MAX_PER_EVENT * 2]:
            if finding.get("severity") in NOTIFIED_SEVERITIES:
                events.append(finding_event(finding, EventType.FINDING_NEW))
            if finding.get("kev"):
                events.append(finding_event(finding, EventType.KEV_MATCH))
        return await self.route(team_id, events)

    async def _routes_any(self, team_id: str, kinds: Sequence[EventType]) -> bool:
        """Whether an enabled rule of the team would route one of these event types."""
        wanted = [kind.value for kind in kinds]
        return bool(await self.repositories.rules.find(team_id, {"enabled": True, "event_types": {"$in": wanted}},
                                                       limit=1))

    async def on_indicators_matched(self, *, team_id: str, correlation_ids: list[str]) -> list[str]:
        # Threat intel names its new correlations by their key (a hash of indicator, value and finding).
        keys = [value for value in correlation_ids if isinstance(value, str)][:MAX_PER_EVENT * 2]
        correlations = self.container.database.db(Database.THREAT_INTELLIGENCE)[CORRELATIONS]
        events = []
        async for match in correlations.find(self.repositories.rules.scoped(team_id, {"key": {"$in": keys}})):
            if str(match.get("tlp") or "").lower() in ("red", "tlp:red"):
                continue  # TLP:RED stays inside the platform
            asset = match.get("asset") or {}
            events.append(NotificationEvent(
                EventType.IOC_MATCH, key=f"ioc:{match['key']}", severity="high",
                title=f"Indicator {match.get('indicator_value')} matched {match.get('matched_value')}",
                summary=f"A threat indicator matched the team's asset ({match.get('where')}).",
                tool=asset.get("source_tool"), target=str(match.get("matched_value") or ""),
                facts={"Indicator": str(match.get("indicator_value") or ""), "Type": str(match.get("indicator_type")),
                       "Source": str(match.get("source") or "")},
                finding_id=asset.get("finding_id"), link="/threat-intel"))
        return await self.route(team_id, events)

    async def on_drift(self, *, team_id: str, events: list[dict[str, Any]]) -> list[str]:
        notifications = []
        for drift in events:
            severity = ANNOUNCED_DRIFT.get(str(drift.get("kind")))
            if severity is None:
                continue
            subject = drift.get("scf_id") or drift.get("framework_id") or ""
            notifications.append(NotificationEvent(
                EventType.DRIFT_REGRESSION, key=f"drift:{drift.get('kind')}:{subject}:{drift.get('at')}",
                severity=severity, title=f"Compliance drift: {str(drift.get('kind')).replace('_', ' ')} {subject}",
                summary=str(drift.get("detail") or f"{drift.get('before')} → {drift.get('after')}")[:1000],
                tool="compliance", target=str(subject),
                facts={k: str(drift[k]) for k in ("scf_id", "framework_id", "before", "after") if drift.get(k)},
                link="/compliance"))
        return await self.route(team_id, notifications)

    async def on_scan_failed(self, *, team_id: str, run_id: str, state: str, target_name: str | None = None,
                             tools: list[str] | None = None, error: str | None = None) -> list[str]:
        event = NotificationEvent(
            EventType.SCAN_FAILED, key=f"scan:{run_id}", severity="medium",
            title=f"Scan {state}: {target_name or run_id}", summary=(error or f"The scan run {run_id} {state}.")[:1000],
            tool=tools[0] if tools and len(tools) == 1 else None, target=target_name,
            facts={"Run": run_id, "State": state, "Tools": ", ".join(tools or [])}, link=f"/scans?run={run_id}")
        return await self.route(team_id, [event])

    async def on_kri_red(self, *, team_id: str, kri_id: str, name: str, value: Any = None, threshold: Any = None,
                         risk_id: str | None = None, **_: Any) -> list[str]:
        event = NotificationEvent(
            EventType.KRI_RED, key=f"kri:{kri_id}:{value}", severity="high", title=f"KRI red: {name}",
            summary=f"The key risk indicator {name} is {value}, past its red threshold {threshold}.",
            tool="risks", target=name, facts={k: str(v) for k, v in (("Value", value), ("Threshold", threshold),
                                                                        ("Risk", risk_id)) if v is not None},
            link="/risks")
        return await self.route(team_id, [event])

"""Automated proposals: risks the register suggests from live data, each with its evidence, for a person to decide.

Sources (each proposal has a ``key`` naming its evidence, so a run never proposes the same twice,
and a dismissed proposal stays dismissed):
- a critical or KEV-listed open finding on an internet-facing target (a target declared with
  exposure ``internet``); the KEV part needs threat intelligence and says so when it is absent;
- a framework requirement regressing: the compliance engine's ``control_regression`` and
  ``score_below_threshold`` drift events of the last ``RISKS_REGRESSION_WINDOW_DAYS``;
- a BIA process whose dependencies carry open critical findings (needs the BIA module);
- a BIA exercise that missed its RTO (the BIA module publishes it; ``on_exercise_missed_rto``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.bia.service import BiaService
from cspm.compliance.repository import DRIFT, POSTURE_DB
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, Unprocessable
from cspm.risks.kri import THREAT_INTEL_MISSING
from cspm.risks.models import ProposalKind, ProposalState, RiskStatus
from cspm.risks.repository import PROPOSALS, FindingView, ProposalRepository, ReadOnlyView
from cspm.risks.service import RiskService
from cspm.risks.settings import RiskSettings
from cspm.teams.service import TeamService

INTERNET = ["internet", "internet-facing", "public", "external"]
ACTIVE = ["open", "reopened"]


def _finding_evidence(finding: Mapping[str, Any]) -> dict[str, Any]:
    resource = finding.get("resource") or {}
    return {"type": "finding", "dedup_key": finding["dedup_key"], "title": finding.get("title"),
            "severity": finding.get("severity"), "resource": resource.get("id"),
            "kev": (finding.get("kev") or {}).get("cve_ids"), "source_tool": finding.get("source_tool")}


class ProposalService:
    def __init__(self, container: ServiceContainer, settings: RiskSettings, risks: RiskService,
                 audit: AuditService) -> None:
        self.container = container
        self.settings = settings
        self.risk_service = risks
        self.audit = audit
        self.proposals = ProposalRepository(container.database.db(Database.RISK_MANAGEMENT), PROPOSALS, "proposal")
        self.findings = FindingView(container.database.db(Database.SECURITY_SCANS))
        self.targets = ReadOnlyView(container.database.db(Database.ORCHESTRATION), "scan_targets")
        self.drift = ReadOnlyView(container.database.db(POSTURE_DB), DRIFT)
        self.kev = container.database.db(Database.THREAT_INTELLIGENCE)["kev_catalogue"]

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(RiskSettings), container.resolve(RiskService),
                   container.resolve(AuditService))

    async def _disabled(self, team_id: str) -> frozenset[str]:
        return await self.container.resolve(TeamService).disabled_modules(team_id=team_id)

    async def list_proposals(self, team_id: str, *, state: str | None = None) -> list[dict[str, Any]]:
        return [{**item, "id": str(item["_id"])} for item in await self.proposals.find(
            team_id, {"state": state} if state else {}, sort=[("created_at", -1)], limit=1000)]

    async def generate(self, team_id: str, *, now: datetime | None = None) -> dict[str, Any]:
        """Propose from every source; returns how many are new and what could not be looked at."""
        now = now or datetime.now(UTC)
        disabled = await self._disabled(team_id)
        notes: list[str] = []
        candidates = await self._exposed_findings(team_id, kev="threat_intel" not in disabled and
                                                  await self.kev.count_documents({}, limit=1) > 0, notes=notes)
        candidates += await self._regressions(team_id, now)
        if "bia" in disabled:
            notes.append("BIA module switched off: no process-dependency proposals")
        else:
            for item in await self.container.resolve(BiaService).processes_with_findings(team_id, "critical"):
                process = item["process"]
                candidates.append(self._proposal(
                    ProposalKind.PROCESS_DEPENDENCY, f"bia:{process['id']}:{','.join(sorted(item['keys']))[:300]}",
                    f"Critical findings on the dependencies of tier-{process['tier']} process '{process['name']}'",
                    [{"type": "bia_process", "id": process["id"], "name": process["name"], "tier": process["tier"]},
                     *item["evidence"]],
                    {"likelihood": 4, "impact": max(1, 6 - int(process["tier"])),
                     "assets": [{"kind": "bia_process", "ref": process["id"], "name": process["name"]}],
                     "finding_keys": sorted(item["keys"])}, now))
        created = await self.proposals.add_new(team_id, candidates[:self.settings.proposals_per_run])
        return {"created": created, "notes": notes}

    @staticmethod
    def _proposal(kind: ProposalKind, key: str, title: str, evidence: list[dict[str, Any]],
                  suggested: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        return {"kind": kind.value, "key": key, "title": title[:200], "evidence": evidence,
                "suggested": dict(suggested), "state": ProposalState.OPEN.value, "created_at": now,
                "decided_by": None, "decided_at": None, "reason": None, "risk_id": None}

    async def _exposed_findings(self, team_id: str, *, kev: bool, notes: list[str]) -> list[dict[str, Any]]:
        if not kev:
            notes.append(f"{THREAT_INTEL_MISSING}: KEV-listed findings are not proposed, only critical ones")
        targets = await self.targets.find(team_id, {"options.exposure": {"$in": INTERNET}},
                                          projection={"name": 1}, limit=1000)
        proposals = []
        for target in targets:
            wanted: list[dict[str, Any]] = [{"severity": "critical"}] + ([{"kev": {"$exists": True}}] if kev else [])
            findings = await self.findings.find(team_id, {
                "scope_key": {"$regex": f"^[^:]+:target:{target['_id']}(:|$)"}, "status": {"$in": ACTIVE},
                "result": "fail", "$or": wanted}, limit=200)
            for finding in findings:
                why = "KEV-listed" if finding.get("kev") else "critical"
                proposals.append(self._proposal(
                    ProposalKind.EXPOSED_FINDING, f"finding:{finding['dedup_key']}",
                    f"{why} finding on internet-facing {target.get('name')}: {finding.get('title')}",
                    [{"type": "target", "id": str(target["_id"]), "name": target.get("name"), "exposure": "internet"},
                     _finding_evidence(finding)],
                    {"likelihood": 5, "impact": 4, "finding_keys": [finding["dedup_key"]],
                     "assets": [{"kind": "target", "ref": str(target["_id"]), "name": target.get("name")}]},
                    datetime.now(UTC)))
        return proposals

    async def _regressions(self, team_id: str, now: datetime) -> list[dict[str, Any]]:
        since = now - timedelta(days=self.settings.regression_window_days)
        events = await self.drift.find(team_id, {"kind": {"$in": ["control_regression", "score_below_threshold"]},
                                                 "at": {"$gte": since}}, sort=[("at", -1)], limit=500)
        proposals = []
        for event in events:
            subject = event.get("framework_id") or event.get("scf_id")
            title = (f"Framework {subject} fell below its score threshold" if event["kind"] == "score_below_threshold"
                     else f"Control {subject} regressed from {event.get('before')} to {event.get('after')}")
            proposals.append(self._proposal(
                ProposalKind.REQUIREMENT_REGRESSION, f"drift:{event['_id']}", title,
                [{"type": "drift_event", "id": str(event["_id"]), "kind": event["kind"], "detail": event.get("detail"),
                  "at": event["at"]}],
                {"likelihood": 3, "impact": 3, "scf_ids": [event["scf_id"]] if event.get("scf_id") else []}, now))
        return proposals

    async def on_exercise_missed_rto(self, *, team_id: str, process_id: str, process_name: str, exercise_id: str,
                                     achieved_hours: float, rto_hours: float, tier: int) -> None:
        """Subscriber of BIA_EXERCISE_MISSED_RTO: the missed recovery becomes a proposal."""
        if "risks" in await self._disabled(team_id):
            return
        now = datetime.now(UTC)
        await self.proposals.add_new(team_id, [self._proposal(
            ProposalKind.EXERCISE_MISSED_RTO, f"exercise:{exercise_id}",
            f"Recovery of '{process_name}' took {achieved_hours:g} h in an exercise, RTO {rto_hours:g} h",
            [{"type": "bia_exercise", "id": exercise_id, "process_id": process_id, "achieved_hours": achieved_hours,
              "rto_hours": rto_hours}],
            {"likelihood": 3, "impact": max(1, 6 - tier),
             "assets": [{"kind": "bia_process", "ref": process_id, "name": process_name}]}, now)])

    async def decide(self, team_id: str, proposal_id: str, *, accept: bool, reason: str, owner: str,
                     actor: str) -> dict[str, Any]:
        proposal = await self.proposals.get(team_id, proposal_id, what="proposal")
        if proposal["state"] != ProposalState.OPEN.value:
            raise Conflict(f"this proposal is already {proposal['state']}")
        if not accept and not reason:
            raise Unprocessable("dismissing a proposal needs a reason")
        changes: dict[str, Any] = {"decided_by": actor, "decided_at": datetime.now(UTC), "reason": reason}
        if accept:
            suggested = proposal["suggested"]
            size = (await self.risk_service.matrix(team_id))["size"]
            evidence = "; ".join(str(item.get("detail") or item.get("title") or item.get("name") or item.get("type"))
                                 for item in proposal["evidence"])
            risk = await self.risk_service.create_risk(team_id, {
                "title": proposal["title"], "description": f"Proposed from evidence: {evidence}"[:4000],
                "threat": "", "vulnerability": "", "assets": suggested.get("assets") or [], "owner": owner,
                "category": proposal["kind"], "likelihood": min(size, suggested["likelihood"]),
                "impact": min(size, suggested["impact"]),
                "likelihood_justification": f"proposed ({proposal['kind']})", "impact_justification": "",
                "treatment": None, "residual_likelihood": None, "residual_impact": None,
                "status": RiskStatus.IDENTIFIED.value, "review_date": None},
                actor=actor, source={"kind": "proposal", "proposal_id": proposal_id, "proposal_kind": proposal["kind"]},
                finding_keys=suggested.get("finding_keys") or [])
            changes |= {"state": ProposalState.ACCEPTED.value, "risk_id": risk["id"]}
        else:
            changes["state"] = ProposalState.DISMISSED.value
        updated = await self.proposals.update(team_id, proposal_id, changes)
        await self.audit.record("risk.proposal_accepted" if accept else "risk.proposal_dismissed", actor_id=actor,
                                team_id=team_id, target_type="risk_proposal", target_id=proposal_id,
                                target_name=proposal["title"], details={"reason": reason,
                                                                        "risk_id": changes.get("risk_id")})
        return {**updated, "id": str(updated["_id"])}

"""AI-SOC service: starts triage runs, serves cases and the daily brief, applies people's decisions.

Runs are jobs (``ai_soc.run_pipeline``), sent after every import (FINDINGS_CHANGED) and on demand.
Recommendations are proposals: applying one changes findings through the findings service
(audited there) and is audited here as the person's decision; only the actions a team admin
named in the team's auto-apply list are applied by the pipeline itself, and only low-risk ones.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from cspm.ai_soc import seams
from cspm.ai_soc.agents import CaseState, RunContext
from cspm.ai_soc.brief import BRIEF_SCHEMA, passages_of, template_lines
from cspm.ai_soc.llm import Budget, LlmWriter
from cspm.ai_soc.pipeline import run_agents
from cspm.ai_soc.repository import (
    BriefRepository,
    BudgetRepository,
    CaseRepository,
    FindingReadRepository,
    IndicatorMatchRepository,
    RunRepository,
    TeamSettingsRepository,
    case_id,
)
from cspm.ai_soc.settings import AiSocSettings
from cspm.assessments.frameworks import ASVS_TEMPLATE, shipped_library
from cspm.audit.service import AuditService
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, Unprocessable
from cspm.findings.models import FindingStatus
from cspm.findings.service import FindingsService
from cspm.knowledge.service import KnowledgeService
from cspm.teams.service import TeamService
from cspm.threat_intel.correlation import asset_refs, target_id
from cspm.threat_intel.repository import EPSS, KEV, CatalogueRepository, TargetContextRepository

MODULE = "ai_soc"
AUTO_APPLICABLE = {
    "false_positive:test_fixture_path": "mark false positive when every finding is in a test or fixture path",
    "false_positive:previously_muted": "mark false positive when the same check was muted on the same resource",
}
"""The only actions a team may let the pipeline apply by itself: reversible, low-risk ones."""
ACTIONS = ("false_positive", "accept_risk", "keep", "create_risk", "open_ticket")
MAX_CASE_FINDINGS = 200


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


class AiSocService:
    def __init__(self, container: ServiceContainer, settings: AiSocSettings, audit: AuditService) -> None:
        orchestration = container.database.db(Database.ORCHESTRATION)
        intel = container.database.db(Database.THREAT_INTELLIGENCE)
        self.container = container
        self.settings = settings
        self.audit = audit
        self.cases = CaseRepository(orchestration)
        self.runs = RunRepository(orchestration)
        self.budget = BudgetRepository(orchestration)
        self.briefs = BriefRepository(orchestration)
        self.team_settings = TeamSettingsRepository(orchestration)
        self.findings = FindingReadRepository(container.database.db(Database.SECURITY_SCANS))
        self.matches = IndicatorMatchRepository(intel)
        self.kev = CatalogueRepository(intel, KEV)
        self.epss = CatalogueRepository(intel, EPSS)
        self.targets = TargetContextRepository(container.database.db(Database.ORCHESTRATION))
        self.llm = LlmWriter(settings)

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(AiSocSettings), container.resolve(AuditService))

    # --- runs ------------------------------------------------------------------------------------
    async def _disabled(self, team_id: str) -> frozenset[str]:
        return await self.container.resolve(TeamService).disabled_modules(team_id=team_id)

    async def on_findings_changed(self, *, team_id: str, dedup_keys: list[str]) -> None:
        """FINDINGS_CHANGED subscriber: one pipeline run (a job) for the team, unless switched off."""
        if not self.settings.run_after_ingest or not dedup_keys or MODULE in await self._disabled(team_id):
            return
        await self._send(team_id, "ingest", None)

    async def start_run(self, *, team_id: str, actor: str) -> dict[str, Any]:
        run_id = await self._send(team_id, "manual", actor)
        await self.audit.record("ai_soc.run_started", actor_id=actor, team_id=team_id, target_type="ai_soc_run",
                                target_id=run_id, details={})
        return await self.run(team_id=team_id, run_id=run_id)

    async def _send(self, team_id: str, trigger: str, actor: str | None) -> str:
        run_id = await self.runs.create(team_id, {"state": "queued", "trigger": trigger, "actor": actor,
                                                  "started_at": datetime.now(UTC)})
        await self.container.dispatcher.send("ai_soc.run_pipeline", {"team_id": team_id, "run_id": run_id})
        return run_id

    async def run(self, *, team_id: str, run_id: str) -> dict[str, Any]:
        document = await self.runs.get(team_id, run_id, what="run")
        return {**document, "id": str(document["_id"])}

    async def recent_runs(self, *, team_id: str, limit: int = 20) -> list[dict[str, Any]]:
        return [{**d, "id": str(d["_id"])} for d in await self.runs.find(team_id, sort=[("started_at", -1)],
                                                                         limit=limit)]

    async def context(self, team_id: str, findings: list[dict[str, Any]], budget: Budget) -> RunContext:
        disabled = await self._disabled(team_id)
        intel_on = "threat_intel" not in disabled
        cves = sorted({cve for f in findings for cve in f.get("cve_ids") or []})
        kev = await self.kev.by_cve_or_scan(cves) if intel_on and cves else {}
        epss = await self.epss.by_cve_or_scan(cves) if intel_on and cves else {}
        declared = await self.targets.declared(team_id, [t for f in findings if (t := target_id(f))])
        by_ref = {str((f.get("resource") or {}).get("id")): declared[t] for f in findings
                  if (t := target_id(f)) in declared}
        asset_keys = {str(resource["id"]): asset_refs(finding) for finding in findings
                      if (resource := finding.get("resource") or {}).get("id")}
        criticality, source = await seams.asset_criticality(self.container, team_id, list(by_ref), by_ref,
                                                            asset_keys)
        knowledge_on = "knowledge" not in disabled
        knowledge = self.container.resolve(KnowledgeService)
        if knowledge_on:
            await knowledge.ensure_shared()
            await knowledge.index_rules(team_id, findings)

        async def search(query: str, sources: list[str]) -> list[str]:
            if not knowledge_on or not query.strip():
                return []
            return [hit["chunk_id"] for hit in (await knowledge.search(team_id=team_id, q=query, limit=3,
                                                                       sources=sources))["results"]]

        async def passages(chunk_ids: list[str]) -> dict[str, dict[str, Any]]:
            return await knowledge.passages(team_id=team_id, chunk_ids=chunk_ids) if knowledge_on else {}

        registry_service = self.container.resolve(CommonControlRegistryService)
        mapper = registry_service.mapper(await registry_service.registry())
        asvs = shipped_library().template(ASVS_TEMPLATE)
        asvs_by_cwe: dict[str, list[str]] = defaultdict(list)
        for item in asvs.items if asvs else []:
            for cwe in item.cwe_ids:
                asvs_by_cwe[cwe].append(item.ref)
        return RunContext(
            team_id=team_id, findings=findings, kev=kev, epss=epss, targets=declared,
            indicator_matches=await self.matches.matched(team_id) if intel_on else {}, threat_intel_on=intel_on,
            criticality=criticality, criticality_source=source,
            triaged=await self.findings.triaged(team_id, self.settings.max_findings_per_run), mapper=mapper,
            asvs_by_cwe=asvs_by_cwe, search=search, passages=passages, llm=self.llm, budget=budget,
            cve_min_resources=self.settings.cve_min_resources, resource_min_checks=self.settings.resource_min_checks,
            citations_per_case=self.settings.citations_per_case)

    async def run_pipeline(self, *, team_id: str, run_id: str) -> dict[str, Any]:
        """The job: every agent over the team's active findings; cases written, stale ones closed."""
        started = datetime.now(UTC)
        await self.runs.update(team_id, run_id, {"state": "running", "running_since": started})
        try:
            counts = await self._pipeline(team_id, run_id, started)
        except Exception as exc:
            await self.runs.update(team_id, run_id, {"state": "failed", "finished_at": datetime.now(UTC),
                                                     "error": f"{type(exc).__name__}: {exc}"[:500]})
            raise
        await self.runs.update(team_id, run_id, {"state": "done", "finished_at": datetime.now(UTC), **counts})
        return counts

    async def _pipeline(self, team_id: str, run_id: str, started: datetime) -> dict[str, Any]:
        findings = await self.findings.active(team_id, self.settings.max_findings_per_run)
        day = _today()
        budget = Budget(self.settings.llm_tokens_per_run,
                        self.settings.llm_tokens_per_day - await self.budget.used(team_id, day))
        ctx = await self.context(team_id, findings, budget)
        states, timings = await run_agents(ctx, run_id, llm_cases=self.settings.llm_cases_per_run)
        await self.budget.charge(team_id, day, budget.used)
        existing = await self.cases.existing(team_id)
        now = datetime.now(UTC)
        documents = [self._case_document(team_id, run_id, state, existing, now) for state in states]
        await self.cases.replace_many(team_id, documents)
        closed = await self.cases.close_missing(team_id, [d["_id"] for d in documents], now)
        auto = await self._auto_apply(team_id, documents)
        llm_steps = [step["llm"] for s in states for step in s.trail if "llm" in step]
        return {"findings": len(findings), "truncated": len(findings) >= self.settings.max_findings_per_run,
                "cases": len(documents), "new_cases": sum(1 for d in documents if d["_id"] not in existing),
                "closed_cases": closed, "auto_applied": auto, "agent_ms": timings,
                "by_rule": dict(sorted(_count(d["rule"] for d in documents).items())),
                "llm": {"configured": self.llm.configured, "tokens": budget.used,
                        "accepted": sum(1 for r in llm_steps if r["status"] == "accepted"),
                        "discarded": sum(1 for r in llm_steps if r["status"] == "discarded"),
                        "failed": sum(1 for r in llm_steps if r["status"] == "failed"),
                        "skipped": sum(1 for r in llm_steps if r["status"] == "skipped")},
                "duration_ms": round((datetime.now(UTC) - started).total_seconds() * 1000, 1)}

    def _case_document(self, team_id: str, run_id: str, state: CaseState, existing: dict[str, dict[str, Any]],
                       now: datetime) -> dict[str, Any]:
        identifier = case_id(team_id, state.draft.key)
        previous = existing.get(identifier) or {}
        findings = state.draft.findings
        return {"_id": identifier, "key": state.draft.key, "rule": state.draft.rule, "title": state.draft.title,
                "status": "open", "created_at": previous.get("created_at") or now, "updated_at": now, "run_id": run_id,
                "finding_count": len(findings), "finding_keys": [str(f["dedup_key"]) for f in findings],
                "finding_ids": [str(f["_id"]) for f in findings][:MAX_CASE_FINDINGS],
                "resources": state.draft.resources[:50], "severity": state.priority.get("severity"),
                "cve_ids": state.enrichment.get("cve_ids", []), "priority": state.priority,
                "enrichment": state.enrichment, "remediation": state.remediation,
                "recommendation": state.recommendation, "summary": state.summary,
                "llm_configured": self.llm.configured, "trail": state.trail, "actions": previous.get("actions") or []}

    async def _auto_apply(self, team_id: str, documents: list[dict[str, Any]]) -> int:
        allowed = set((await self.team_settings.get(team_id)).get("auto_apply") or [])
        applied = 0
        for document in documents:
            recommendation = document["recommendation"]
            name = f"{recommendation['action']}:{recommendation['rule']}"
            if name in allowed and name in AUTO_APPLICABLE and not document["actions"]:
                await self.apply(team_id=team_id, actor="ai-soc:auto-apply", case=document["_id"],
                                 action=recommendation["action"], reason=f"auto-applied ({name}): "
                                                                         f"{recommendation['reason']}")
                applied += 1
        return applied

    # --- cases -------------------------------------------------------------------------------------
    async def list_cases(self, *, team_id: str, status: str | None, offset: int, limit: int) -> dict[str, Any]:
        items, total = await self.cases.page(team_id, {"status": status} if status else {}, offset, limit)
        return {"items": [{**item, "id": item["_id"]} for item in items], "total": total,
                "llm": self.llm_status()}

    async def case(self, *, team_id: str, case: str) -> dict[str, Any]:
        document = await self.cases.one(team_id, case)
        findings = await self.findings.by_keys(team_id, document["finding_keys"], MAX_CASE_FINDINGS)
        return {**document, "id": document["_id"], "findings": [{**f, "id": str(f["_id"])} for f in findings],
                "available_actions": self.available_actions(document), "llm": self.llm_status()}

    def available_actions(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        recommended = (document.get("recommendation") or {}).get("action")
        absent = {"create_risk": None if seams.risk_action(self.container) else seams.RISKS_ABSENT,
                  "open_ticket": None if seams.ticket_action(self.container) else seams.TICKETS_ABSENT}
        labels = {"false_positive": "Mark false positive", "accept_risk": "Accept risk", "keep": "Keep open",
                  "create_risk": "Create a risk", "open_ticket": "Open a ticket"}
        return [{"action": action, "label": labels[action], "recommended": action == recommended,
                 "available": absent.get(action) is None, "unavailable_reason": absent.get(action)}
                for action in ACTIONS]

    def llm_status(self) -> dict[str, Any]:
        if not self.llm.configured:
            return {"configured": False, "message": "LLM not configured: deterministic agents only"}
        return {"configured": True, "model": self.settings.llm_model, "message": f"LLM {self.settings.llm_model}"}

    async def apply(self, *, team_id: str, actor: str, case: str, action: str, reason: str,
                    risk_owner: str | None = None, expires_at: datetime | None = None,
                    ip: str | None = None) -> dict[str, Any]:
        """A person's decision on a case (or an allowed auto-apply), recorded on the case and audited."""
        if action not in ACTIONS:
            raise Unprocessable(f"action: one of {', '.join(ACTIONS)}")
        document = await self.cases.one(team_id, case)
        unavailable = {a["action"]: a["unavailable_reason"] for a in self.available_actions(document)}
        if unavailable.get(action):
            raise Conflict(str(unavailable[action]))
        changed = 0
        findings_service = self.container.resolve(FindingsService)
        active = [f for f in await self.findings.by_keys(team_id, document["finding_keys"], 10_000)
                  if f.get("status") in ("open", "reopened")]
        if action in ("false_positive", "accept_risk"):
            if not active:
                raise Conflict("the case has no active finding left to change")
            if action == "accept_risk":
                if not risk_owner or expires_at is None:
                    raise Unprocessable("risk_owner and expires_at: accepting a risk needs an owner and an expiry")
                if expires_at.tzinfo is None:
                    expires_at = expires_at.replace(tzinfo=UTC)
                if expires_at <= datetime.now(UTC):
                    raise Unprocessable("expires_at: must be in the future")
            status = FindingStatus.FALSE_POSITIVE if action == "false_positive" else FindingStatus.RISK_ACCEPTED
            changed = await findings_service.change_status(
                team_id=team_id, actor=actor, finding_ids=[str(f["_id"]) for f in active], status=status,
                reason=f"AI-SOC case {case}: {reason}", risk_owner=risk_owner if action == "accept_risk" else None,
                expires_at=expires_at if action == "accept_risk" else None, ip=ip)
        made: dict[str, Any] = {}
        if action in ("create_risk", "open_ticket"):
            if not active:
                raise Conflict("the case has no active finding left to act on")
            # The case's most severe active finding stands for it (a risk or ticket per case, not per finding).
            lead = str(max(active, key=lambda f: f.get("severity_rank") or 0)["_id"])
            if action == "create_risk":
                opener = seams.risk_action(self.container)
                if opener is None:
                    raise Conflict(seams.RISKS_ABSENT)
                risk = await opener(team_id, lead, owner=risk_owner or actor, impact=3, actor=actor)
                made = {"risk_id": str(risk.get("id") or risk.get("_id"))}
            else:
                opener = seams.ticket_action(self.container)
                if opener is None:
                    raise Conflict(seams.TICKETS_ABSENT)
                link = await opener(team_id=team_id, actor=actor, finding_id=lead)
                made = {"ticket_key": link.get("issue_key"), "ticket_url": link.get("issue_url")}
        recommended = (document.get("recommendation") or {}).get("action") == action
        record = {"action": action, "actor": actor, "at": datetime.now(UTC), "reason": reason,
                  "findings_changed": changed, "recommended": recommended, **made,
                  **({"risk_owner": risk_owner, "expires_at": expires_at} if action == "accept_risk" else {})}
        updated = await self.cases.add_action(team_id, case, record)
        await self.audit.record("ai_soc.recommendation_applied", actor_id=actor, team_id=team_id, ip=ip,
                                target_type="ai_soc_case", target_id=case, target_name=document.get("title"),
                                details={"action": action, "recommended": recommended, "reason": reason,
                                         "findings_changed": changed})
        return {**updated, "id": updated["_id"], "findings_changed": changed}

    # --- team settings -----------------------------------------------------------------------------
    async def get_settings(self, *, team_id: str) -> dict[str, Any]:
        stored = await self.team_settings.get(team_id)
        return {"auto_apply": stored.get("auto_apply") or [], "auto_applicable": AUTO_APPLICABLE}

    async def put_settings(self, *, team_id: str, actor: str, auto_apply: list[str]) -> dict[str, Any]:
        unknown = [name for name in auto_apply if name not in AUTO_APPLICABLE]
        if unknown:
            raise Unprocessable(f"auto_apply: {', '.join(unknown)} cannot be auto-applied; allowed: "
                                f"{', '.join(AUTO_APPLICABLE)}")
        await self.team_settings.put(team_id, {"auto_apply": sorted(set(auto_apply)), "updated_by": actor,
                                               "updated_at": datetime.now(UTC)})
        await self.audit.record("ai_soc.settings_changed", actor_id=actor, team_id=team_id,
                                target_type="ai_soc_settings", target_id=team_id,
                                details={"auto_apply": sorted(set(auto_apply))})
        return await self.get_settings(team_id=team_id)

    # --- daily brief ---------------------------------------------------------------------------------
    async def generate_brief(self, *, team_id: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        since = now - timedelta(days=1)
        kev_matches = await self.findings.kev_since(team_id, since)
        new_cases = await self.cases.find(team_id, {"created_at": {"$gte": since}}, projection={"_id": 1}, limit=1000)
        top, _ = await self.cases.page(team_id, {"status": "open"}, 0, 5)
        indicator_matches = await self.matches.count_since(team_id, since)
        lines = template_lines(kev_matches, new_cases, indicator_matches, top)
        brief: dict[str, Any] = {
            "_id": f"{team_id}:{now.date().isoformat()}", "date": now.date().isoformat(), "generated_at": now,
            "since": since, "lines": lines, "kev_matches": len(kev_matches), "new_cases": len(new_cases),
            "indicator_matches": indicator_matches, "top_case_ids": [case["_id"] for case in top],
            "llm": self.llm_status(), "narrative": None, "llm_record": None}
        if self.llm.configured:
            day = _today()
            budget = Budget(self.settings.llm_tokens_per_run,
                            self.settings.llm_tokens_per_day - await self.budget.used(team_id, day))
            result = await self.llm.write("Write today's security brief for this team in one short paragraph.",
                                          {"lines": lines}, passages_of(kev_matches, top), BRIEF_SCHEMA, budget)
            await self.budget.charge(team_id, day, budget.used)
            brief["llm_record"] = result.record() | {"citations": result.citations}
            if result.status == "accepted" and result.value is not None:
                brief["narrative"] = result.value["narrative"]
        await self.briefs.put(team_id, brief)
        return {**brief, "id": brief["_id"]}

    async def latest_brief(self, *, team_id: str) -> dict[str, Any] | None:
        found = await self.briefs.latest(team_id)
        return {**found, "id": found["_id"]} if found else None

    async def brief_all_teams(self) -> int:
        """The daily job: a brief for every team that has cases and the module on."""
        teams = await self.cases.collection.distinct("team_id")
        done = 0
        for team_id in teams:
            if MODULE not in await self._disabled(team_id):
                await self.generate_brief(team_id=team_id)
                done += 1
        return done


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts

"""AI governance service: the AI system registry, EU AI Act classification and obligations, bias tests.

Neighbours it uses and how it degrades without them:
- findings: a failed bias test becomes a finding through ``FindingsService.import_from_module``, and
  Article 15's cybersecurity evidence is the open scan findings on the system's linked assets.
  With the findings module switched off for the team, the run is kept and says no finding was made.
- compliance: an obligation's answer sets the SCF controls that the active SCF registry maps to the
  same AI Act article (a framework column whose header names the AI Act), through
  ``ComplianceService.set_status``. Without such a column, or with compliance switched off, the answer
  stays here and the obligation says why.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from datetime import UTC, datetime
from typing import Any, Self

from pymongo.errors import DuplicateKeyError

from cspm.ai_governance.act import AiAct, load_act
from cspm.ai_governance.classification import Derogation, classify, questionnaire
from cspm.ai_governance.fairness import EvaluationSpec, FairnessLimits, evaluate, read_table
from cspm.ai_governance.findings_report import FairnessReportParser, report_of, resource_id
from cspm.ai_governance.model_card import render
from cspm.ai_governance.obligations import CYBERSECURITY_ARTICLE, obligations_for
from cspm.ai_governance.repository import (
    AiSystemRepository,
    BiasRunRepository,
    ObligationRepository,
    VersionRepository,
)
from cspm.ai_governance.settings import AiGovernanceSettings
from cspm.audit.service import AuditService
from cspm.compliance.models import ControlStatus, StatusOverride
from cspm.compliance.registry import normalise_header
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.service import ComplianceService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, NotFound
from cspm.core.settings import load
from cspm.findings.models import FindingStatus
from cspm.findings.schemas import FindingFilters
from cspm.findings.service import FindingsService
from cspm.teams.service import TeamService

logger = logging.getLogger(__name__)

SNAPSHOT_FIELDS = ("name", "purpose", "owner", "sourcing", "provider_name", "model_family", "model_version",
                   "deployment", "intended_users", "affected_persons", "data_sources", "role", "lifecycle",
                   "fairness_limits", "classification")
DONE_STATUSES = ("met", "not_applicable")
AI_ACT_HEADER_WORDS = ("ai act", "2024/1689", "artificial intelligence act")
OBLIGATION_TO_CONTROL = {"met": ControlStatus.IMPLEMENTED, "in_progress": ControlStatus.PARTIALLY_IMPLEMENTED,
                         "not_started": ControlStatus.NOT_IMPLEMENTED, "not_applicable": ControlStatus.NOT_APPLICABLE}
ACTIVE = [FindingStatus.OPEN, FindingStatus.REOPENED]


def now() -> datetime:
    return datetime.now(UTC)


def _out(document: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in document.items() if k not in ("_id", "team_id")}, "id": str(document["_id"])}


class AiGovernanceService:
    def __init__(self, container: ServiceContainer, systems: AiSystemRepository, versions: VersionRepository,
                 obligations: ObligationRepository, runs: BiasRunRepository, settings: AiGovernanceSettings,
                 act: AiAct) -> None:
        self.container = container
        self.systems = systems
        self.versions = versions
        self.obligations = obligations
        self.runs = runs
        self.settings = settings
        self.act = act

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        database = container.database.db(Database.AI_GOVERNANCE)
        return cls(container, AiSystemRepository(database), VersionRepository(database),
                   ObligationRepository(database), BiasRunRepository(database), load(AiGovernanceSettings), load_act())

    async def _audit(self, action: str, *, team_id: str, actor: str, system_id: str,
                     details: dict[str, Any] | None = None) -> None:
        await self.container.resolve(AuditService).record(action, actor_id=actor, team_id=team_id,
                                                          target_type="ai_system", target_id=system_id,
                                                          details=details)

    async def _disabled(self, team_id: str) -> frozenset[str]:
        return await self.container.resolve(TeamService).disabled_modules(team_id=team_id)

    # --- registry -------------------------------------------------------------------------------
    def default_limits(self) -> dict[str, float]:
        return {"min_ratio": self.settings.default_min_ratio, "max_difference": self.settings.default_max_difference}

    async def list_systems(self, *, team_id: str) -> list[dict[str, Any]]:
        return [_out(d) for d in await self.systems.find(team_id, sort=[("name", 1)], limit=1000)]

    async def get_system(self, *, team_id: str, system_id: str) -> dict[str, Any]:
        return _out(await self.systems.get(team_id, system_id, what="AI system"))

    async def create_system(self, *, team_id: str, actor: str, values: dict[str, Any]) -> dict[str, Any]:
        moment = now()
        document = {**values, "fairness_limits": values.get("fairness_limits") or self.default_limits(),
                    "classification": None, "latest_bias_verdict": None, "version": 1, "created_at": moment,
                    "updated_at": moment, "created_by": actor}
        try:
            system_id = await self.systems.insert(team_id, document)
        except DuplicateKeyError:
            raise Conflict(f"an AI system named {values['name']!r} already exists in this team") from None
        await self._snapshot(team_id, system_id, document, actor=actor, change="created", note=None, moment=moment)
        await self._audit("ai_governance.system_created", team_id=team_id, actor=actor, system_id=system_id)
        return await self.get_system(team_id=team_id, system_id=system_id)

    async def update_system(self, *, team_id: str, actor: str, system_id: str,
                            changes: dict[str, Any]) -> dict[str, Any]:
        current = await self.systems.get(team_id, system_id, what="AI system")
        note = changes.pop("change_note", None)
        changed = {k: v for k, v in changes.items() if current.get(k) != v}
        if not changed:
            return _out(current)
        moment = now()
        update = {**changed, "version": current["version"] + 1, "updated_at": moment}
        try:
            await self.systems.update(team_id, system_id, update)
        except DuplicateKeyError:
            raise Conflict(f"an AI system named {changes.get('name')!r} already exists in this team") from None
        if "role" in changed and current.get("classification"):
            await self._sync_obligations(team_id, system_id, current["classification"], changed["role"], actor)
        await self._snapshot(team_id, system_id, {**current, **update}, actor=actor,
                             change="updated: " + ", ".join(sorted(changed)), note=note, moment=moment)
        await self._audit("ai_governance.system_updated", team_id=team_id, actor=actor, system_id=system_id,
                          details={"fields": sorted(changed)})
        return await self.get_system(team_id=team_id, system_id=system_id)

    async def delete_system(self, *, team_id: str, actor: str, system_id: str) -> None:
        await self.systems.get(team_id, system_id, what="AI system")
        for children in (self.versions, self.obligations, self.runs):
            await children.delete_system(team_id, system_id)
        await self.systems.delete(team_id, system_id)
        await self._audit("ai_governance.system_deleted", team_id=team_id, actor=actor, system_id=system_id)

    async def _snapshot(self, team_id: str, system_id: str, document: dict[str, Any], *, actor: str, change: str,
                        note: str | None, moment: datetime) -> None:
        await self.versions.insert(team_id, {
            "system_id": system_id, "version": document["version"], "at": moment, "actor": actor, "change": change,
            "note": note, "snapshot": {k: document.get(k) for k in SNAPSHOT_FIELDS}})

    async def list_versions(self, *, team_id: str, system_id: str) -> list[dict[str, Any]]:
        await self.systems.get(team_id, system_id, what="AI system")
        return await self.versions.of_system(team_id, system_id, sort=[("version", -1)], limit=500)

    # --- classification ------------------------------------------------------------------------
    def questionnaire(self) -> dict[str, Any]:
        return questionnaire(self.act)

    async def classify(self, *, team_id: str, actor: str, system_id: str, answers: dict[str, bool],
                       derogation: dict[str, Any] | None) -> dict[str, Any]:
        current = await self.systems.get(team_id, system_id, what="AI system")
        claimed = Derogation(tuple(derogation["conditions"]), derogation["justification"]) if derogation else None
        moment = now()
        result = {**classify(self.act, answers, claimed), "answers": answers, "classified_at": moment,
                  "classified_by": actor}
        version = current["version"] + 1
        await self.systems.update(team_id, system_id, {"classification": result, "version": version,
                                                       "updated_at": moment})
        await self._snapshot(team_id, system_id, {**current, "classification": result, "version": version},
                             actor=actor, change=f"classified: {result['risk_class']}", note=None, moment=moment)
        await self._sync_obligations(team_id, system_id, result, current["role"], actor)
        await self._audit("ai_governance.system_classified", team_id=team_id, actor=actor, system_id=system_id,
                          details={"risk_class": result["risk_class"], "derogation": bool(claimed)})
        return result

    async def classification(self, *, team_id: str, system_id: str) -> dict[str, Any]:
        system = await self.systems.get(team_id, system_id, what="AI system")
        if not system.get("classification"):
            raise NotFound("this AI system has not been classified yet")
        return system["classification"]

    # --- obligations ---------------------------------------------------------------------------
    async def _sync_obligations(self, team_id: str, system_id: str, classification: dict[str, Any], role: str,
                                actor: str) -> None:
        """Obligations that now apply are created or kept (with their answers); the others stop applying."""
        wanted = obligations_for(self.act, classification, role)
        keys = {obligation.key for obligation in wanted}
        moment = now()
        for obligation in wanted:
            await self.obligations.upsert(team_id, system_id, obligation.key, {**obligation.as_dict(), "applies": True},
                                          on_insert={"status": "not_started", "owner": None, "note": None,
                                                     "evidence": [], "updated_at": None, "updated_by": None,
                                                     "created_at": moment, "created_by": actor})
        for stale in await self.obligations.of_system(team_id, system_id, sort=[("article", 1)]):
            if stale["key"] not in keys and stale.get("applies"):
                await self.obligations.upsert(team_id, system_id, stale["key"], {"applies": False})

    async def list_obligations(self, *, team_id: str, system_id: str) -> dict[str, Any]:
        system = await self.systems.get(team_id, system_id, what="AI system")
        classification = system.get("classification")
        documents = [d for d in await self.obligations.of_system(team_id, system_id, sort=[("article", 1), ("key", 1)])
                     if d.get("applies")]
        scf = await self._scf_framework(team_id)
        items = []
        for document in documents:
            item = {k: document.get(k) for k in ("key", "article", "title", "refs", "text", "why", "status", "owner",
                                                 "note", "evidence", "updated_at", "updated_by")}
            item["scf"] = self._scf_link(scf, document["article"])
            if document["article"] == CYBERSECURITY_ARTICLE:
                item["scan_evidence"] = await self.scan_evidence(team_id=team_id, system=system)
            items.append(item)
        done = sum(1 for item in items if item["status"] in DONE_STATUSES)
        return {"risk_class": classification["risk_class"] if classification else None, "role": system["role"],
                "total": len(items), "done": done, "progress": round(done / len(items), 4) if items else 0.0,
                "items": items,
                "message": None if classification else "classify the system first: its obligations follow from "
                                                       "the classification and its role"}

    async def update_obligation(self, *, team_id: str, actor: str, system_id: str, key: str,
                                values: dict[str, Any]) -> dict[str, Any]:
        system = await self.systems.get(team_id, system_id, what="AI system")
        existing = await self.obligations.one(team_id, system_id, key)
        if existing is None or not existing.get("applies"):
            raise NotFound(f"obligation {key!r} does not apply to this AI system")
        await self.obligations.upsert(team_id, system_id, key, {**values, "updated_at": now(), "updated_by": actor})
        await self._audit("ai_governance.obligation_answered", team_id=team_id, actor=actor, system_id=system_id,
                          details={"key": key, "status": values["status"]})
        await self._feed_scf(team_id, actor, system, existing, values)
        listed = await self.list_obligations(team_id=team_id, system_id=system_id)
        return next(item for item in listed["items"] if item["key"] == key)

    async def scan_evidence(self, *, team_id: str, system: dict[str, Any]) -> dict[str, Any]:
        """Article 15 cybersecurity: the open findings of the platform's scans on the system's linked assets."""
        if "findings" in await self._disabled(team_id):
            return {"available": False, "reason": "the Findings module is switched off for this team"}
        links = system.get("deployment") or []
        if not links:
            return {"available": False, "reason": "no linked assets: add the system's targets, cloud accounts or "
                                                  "images to its deployment"}
        findings = self.container.resolve(FindingsService)
        assets: list[dict[str, Any]] = []
        total = 0
        by_severity: dict[str, int] = {}
        for link in links:
            counts = await findings.counts(team_id=team_id, filters=FindingFilters(resource=link["ref"],
                                                                                   status=ACTIVE))
            assets.append({"kind": link["kind"], "ref": link["ref"], "open_findings": counts["total"],
                           "by_severity": counts["by_severity"]})
            total += counts["total"]
            for severity, n in counts["by_severity"].items():
                by_severity[severity] = by_severity.get(severity, 0) + n
        return {"available": True, "assets": assets, "open_findings": total, "by_severity": by_severity}

    async def _scf_framework(self, team_id: str) -> dict[str, Any]:
        """The active SCF registry's AI Act framework column, found by its header (never by position)."""
        if "compliance" in await self._disabled(team_id):
            return {"available": False, "reason": "the Compliance module is switched off for this team"}
        registry = await self.container.resolve(CommonControlRegistryService).registry()
        for framework in registry.frameworks.values():
            header = normalise_header(framework.header).lower()
            if any(words in header for words in AI_ACT_HEADER_WORDS):
                return {"available": True, "framework_id": framework.framework_id, "registry": registry}
        release = registry.info.release or registry.info.source
        return {"available": False, "reason": f"the active SCF registry ({release}) has no column mapping the EU AI "
                                              "Act; answers stay in AI governance"}

    @staticmethod
    def _scf_link(scf: dict[str, Any], article: int) -> dict[str, Any]:
        if not scf["available"]:
            return {"available": False, "reason": scf["reason"]}
        registry, framework_id = scf["registry"], scf["framework_id"]
        controls = sorted({scf_id for prefix in (str(article), f"Article {article}", f"Art. {article}")
                           for requirement in registry.requirements_with_prefix(framework_id, prefix)
                           for scf_id in requirement.scf_ids})
        if not controls:
            return {"available": False, "framework_id": scf["framework_id"],
                    "reason": f"the SCF registry maps no control to Article {article}"}
        return {"available": True, "framework_id": scf["framework_id"], "controls": controls}

    async def _feed_scf(self, team_id: str, actor: str, system: dict[str, Any], obligation: dict[str, Any],
                        values: dict[str, Any]) -> None:
        link = self._scf_link(await self._scf_framework(team_id), obligation["article"])
        if not link["available"]:
            return
        compliance = self.container.resolve(ComplianceService)
        reason = f"AI Act obligation {obligation['key']} of AI system {system['name']}: {values['status']}"
        if values.get("note"):
            reason += f" ({values['note']})"
        body = StatusOverride(status=OBLIGATION_TO_CONTROL[values["status"]], reason=reason[:2000],
                              owner=values.get("owner"))
        for scf_id in link["controls"]:
            await compliance.set_status(team_id, scf_id, body, actor=actor, via="ai_governance",
                                        context=f"EU AI Act Article {obligation['article']}")

    # --- bias tests ----------------------------------------------------------------------------
    async def run_bias_test(self, *, team_id: str, actor: str, system_id: str, raw: bytes, file_name: str,
                            spec: EvaluationSpec, model_version: str | None) -> dict[str, Any]:
        system = _out(await self.systems.get(team_id, system_id, what="AI system"))
        limits = FairnessLimits(**system["fairness_limits"])
        frame, kind = await asyncio.to_thread(read_table, raw, max_rows=self.settings.evaluation_max_rows)
        result = await asyncio.to_thread(evaluate, frame, spec, limits)
        moment = now()
        version = model_version or system["model_version"] or "unspecified"
        document = {"system_id": system_id, "model_version": version, "file_name": file_name, "file_format": kind,
                    "data_sha256": hashlib.sha256(raw).hexdigest(), "spec": spec.__dict__ | {
                        "sensitive_columns": list(spec.sensitive_columns), "thresholds": list(spec.thresholds)},
                    **result, "created_at": moment, "created_by": actor,
                    "finding": {"created": False, "reason": "pending"}}
        run_id = await self.runs.insert(team_id, document)
        document["finding"] = await self._report_finding(team_id, actor, system, run_id, version,
                                                         result["failed_checks"])
        await self.runs.set_finding(team_id, run_id, document["finding"])
        await self.systems.update(team_id, system_id, {"latest_bias_verdict": result["verdict"]})
        await self._audit("ai_governance.bias_test_run", team_id=team_id, actor=actor, system_id=system_id,
                          details={"run_id": run_id, "verdict": result["verdict"]})
        return {**document, "id": run_id}

    async def _report_finding(self, team_id: str, actor: str, system: dict[str, Any], run_id: str, version: str,
                              failed: list[dict[str, Any]]) -> dict[str, Any]:
        """Failed checks become findings; a passing run resolves the system's earlier ones (a complete report)."""
        if "findings" in await self._disabled(team_id):
            return {"created": False, "reason": "the Findings module is switched off for this team; the run is "
                                                "kept here"}
        findings = self.container.resolve(FindingsService)
        result = await findings.import_from_module(
            team_id=team_id, actor=actor, parser=FairnessReportParser(),
            report=io.BytesIO(report_of(system, run_id, version, failed)), scope=resource_id(system["id"]),
            complete=True)
        created = bool(failed)
        return {"created": created, "reason": None if created else "the test passed: no finding (earlier ones of "
                                                                   "this system are resolved)",
                "dedup_keys": result.changed_keys, "counts": result.counts.as_dict()}

    async def list_runs(self, *, team_id: str, system_id: str) -> list[dict[str, Any]]:
        await self.systems.get(team_id, system_id, what="AI system")
        return [_out(d) for d in await self.runs.of_system(team_id, system_id, sort=[("created_at", -1)], limit=200)]

    async def get_run(self, *, team_id: str, system_id: str, run_id: str) -> dict[str, Any]:
        run = await self.runs.get(team_id, run_id, what="bias test")
        if run["system_id"] != system_id:
            raise NotFound("bias test not found")
        return _out(run)


    async def model_card(self, *, team_id: str, system_id: str) -> tuple[str, str]:
        """The model card in Markdown, and the system's name (for the file name)."""
        system = await self.get_system(team_id=team_id, system_id=system_id)
        latest = await self.runs.of_system(team_id, system_id, sort=[("created_at", -1)], limit=1)
        obligations = await self.list_obligations(team_id=team_id, system_id=system_id)
        return render(system, obligations, latest[0] if latest else None), system["name"]

"""ComplianceService: what the API offers a team — scores, framework and control detail, manual
statuses (audited), requirement answers, statement of applicability, drift timeline.

Every method takes ``team_id`` and reads or writes only that team's posture.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Self

from bson import ObjectId
from bson.errors import InvalidId

from cspm.audit.service import AuditService
from cspm.compliance import report
from cspm.compliance.crosswalk import ControlMappingEngine, DirectEvidence, RequirementStatus
from cspm.compliance.drift import ComplianceDriftDetectionService, StatusChange
from cspm.compliance.engine import AutonomousComplianceEngine
from cspm.compliance.models import ControlStatus, RequirementAnswer, StatusOverride, public
from cspm.compliance.posture import PostureView, natural_key, statuses_of
from cspm.compliance.registry import ControlRegistry
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.repository import (
    DRIFT,
    HISTORY,
    LINKS,
    POSTURE_DB,
    REPORTS,
    REQUIREMENT_EVIDENCE,
    SNAPSHOTS,
    STATES,
    ControlStateRepository,
    DriftEventRepository,
    FindingLinkRepository,
    FrameworkReportRepository,
    HistoryRepository,
    RequirementEvidenceRepository,
    SnapshotRepository,
    now,
)
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, NotFound
from cspm.core.pagination import decode_cursor, encode_cursor

SOA_COLUMNS = ("framework_id", "requirement_id", "applicable", "status", "scf_controls", "control_statuses",
               "justification", "evidence", "owner")


class ComplianceService:
    def __init__(self, container: ServiceContainer, registries: CommonControlRegistryService,
                 engine: AutonomousComplianceEngine, drift: ComplianceDriftDetectionService,
                 audit: AuditService) -> None:
        self.container = container
        self.registries = registries
        self.engine = engine
        self.drift = drift
        self.audit = audit
        self.crosswalk = ControlMappingEngine(automatable=frozenset(registries.table.referenced_controls()))
        posture = container.database.db(POSTURE_DB)
        self.states = ControlStateRepository(posture[STATES])
        self.links = FindingLinkRepository(posture[LINKS])
        self.history = HistoryRepository(posture[HISTORY])
        self.snapshots = SnapshotRepository(posture[SNAPSHOTS])
        self.events = DriftEventRepository(posture[DRIFT])
        self.requirement_evidence = RequirementEvidenceRepository(posture[REQUIREMENT_EVIDENCE])
        self.reports = FrameworkReportRepository(posture[REPORTS])

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(CommonControlRegistryService),
                   container.resolve(AutonomousComplianceEngine), container.resolve(ComplianceDriftDetectionService),
                   container.resolve(AuditService))

    # --- reading -----------------------------------------------------------------------
    async def _context(self, team_id: str) -> tuple[ControlRegistry, dict[str, dict[str, Any]]]:
        registry = await self.registries.registry()
        return registry, await self.states.all(team_id)

    async def view(self, team_id: str) -> PostureView:
        registry, states = await self._context(team_id)
        return PostureView.build(registry, states, await self.requirement_evidence.all(team_id), self.crosswalk)

    async def frameworks(self, team_id: str) -> dict[str, Any]:
        view = await self.view(team_id)
        registry = view.registry
        return {"registry": {"source": registry.info.source, "version_id": registry.version_id,
                             "release": registry.info.release, "counts": registry.counts()},
                "frameworks": [view.summary(framework) for framework in view.frameworks().values()]}

    def _framework(self, registry: ControlRegistry, framework_id: str) -> Any:
        framework = registry.framework(framework_id)
        if framework is None:
            raise NotFound(f"framework {framework_id!r} not found in the active SCF registry")
        return framework

    async def framework_detail(self, team_id: str, framework_id: str) -> dict[str, Any]:
        view = await self.view(team_id)
        registry, states = view.registry, view.states
        framework = view.framework(framework_id)
        if framework is None:
            raise NotFound(f"framework {framework_id!r} not found in the active SCF registry or the tools' tags")
        statuses = view.statuses
        direct_states = await self.requirement_evidence.for_framework(team_id, framework_id)  # with findings
        requirements = []
        for requirement in sorted(framework.requirements.values(), key=lambda r: natural_key(r.requirement_id)):
            controls = []
            for scf_id in requirement.scf_ids:
                control = registry.control(scf_id)
                state = states.get(scf_id) or {}
                controls.append({
                    "scf_id": scf_id, "title": control.title if control else None,
                    "description": control.description if control else None,
                    "status": state.get("status", ControlStatus.NOT_ASSESSED.value),
                    "set_by": state.get("set_by"), "set_at": state.get("set_at"),
                    "counts": state.get("counts") or {}, "failing_findings": state.get("failing_findings") or [],
                    "evidence": [*(state.get("evidence") or []), *(state.get("manual_evidence") or [])],
                    "override": state.get("override"),
                })
            direct_state = direct_states.get(requirement.requirement_id)
            direct = DirectEvidence.of(direct_state)
            paths = (["tool_tag"] if direct else []) + (
                ["scf_mapping"] if any(c["status"] != ControlStatus.NOT_ASSESSED.value for c in controls) else [])
            requirements.append({
                "requirement_id": requirement.requirement_id,
                "status": view.status(framework_id, requirement).value,
                "credit": round(self.crosswalk.requirement_credit(requirement, statuses, direct), 4),
                "from_number": requirement.from_number, "controls": controls, "evidence_paths": paths,
                "direct": None if direct_state is None else {
                    key: direct_state.get(key) for key in ("path", "tags", "counts", "failing_findings", "evidence")},
            })
        return {**view.summary(framework, with_lists=True), "requirements": requirements}

    async def framework_report(self, team_id: str, framework_id: str, *, actor: str,
                               ip: str | None = None) -> dict[str, Any]:
        """What a framework's PDF report shows, and the drift since the team's previous one (then kept)."""
        detail = await self.framework_detail(team_id, framework_id)
        moment = now()
        drift = report.drift_since(await self.reports.last(team_id, framework_id), detail)
        await self.reports.add(team_id, framework_id, report.snapshot_of(detail), moment)
        await self.audit.record("compliance.framework_report", actor_id=actor, team_id=team_id, ip=ip,
                                target_type="framework", target_id=framework_id,
                                target_name=detail.get("title") or detail.get("name") or framework_id,
                                details={"score": detail.get("score"), "changes_since_last": len(drift["changes"])})
        return {"detail": detail, "drift": drift, "generated_at": moment}

    async def control_detail(self, team_id: str, scf_id: str, *, findings_limit: int = 100) -> dict[str, Any]:
        registry = await self.registries.registry()
        control = registry.control(scf_id)
        if control is None:
            raise NotFound(f"control {scf_id!r} not found in the active SCF registry")
        state = await self.states.one(team_id, scf_id)
        links = await self.links.page_for_control(team_id, scf_id, limit=findings_limit)
        findings = []
        for link in links:
            why = [entry for entry in link.get("links") or [] if entry.get("scf_id") == scf_id]
            findings.append({key: link.get(key) for key in ("dedup_key", "title", "source_tool", "rule_id", "status",
                                                            "result", "severity", "resource_id", "last_seen")}
                            | {"why": why[0] if why else None})
        mappings: dict[str, list[str]] = {}
        for framework_id, requirement_id in registry.mappings_of(scf_id):
            mappings.setdefault(framework_id, []).append(requirement_id)
        return {
            "control": control.as_dict(),
            "state": public(state) or {"status": ControlStatus.NOT_ASSESSED.value},
            "findings": findings,
            "mappings": [{"framework_id": fid, "requirements": rids} for fid, rids in mappings.items()],
            "history": [public(entry) for entry in await self.history.for_control(team_id, scf_id)],
        }

    async def controls_of_finding(self, team_id: str, dedup_key: str) -> list[dict[str, Any]]:
        """The SCF controls a finding of the team is mapped to, each with why and the team's state."""
        findings = self.container.database.db(Database.SECURITY_SCANS)["findings"]
        if await findings.count_documents({"team_id": team_id, "dedup_key": dedup_key}, limit=1) == 0:
            raise NotFound("finding not found")
        link = (await self.links.for_findings(team_id, [dedup_key])).get(dedup_key)
        if link is None:
            return []
        registry = await self.registries.registry()
        states = await self.states.for_controls(team_id, link.get("scf_ids") or [])
        controls = []
        for why in link.get("links") or []:
            control = registry.control(why["scf_id"])
            state = states.get(why["scf_id"]) or {}
            controls.append({"scf_id": why["scf_id"], "title": control.title if control else None,
                             "status": state.get("status", ControlStatus.NOT_ASSESSED.value), "why": why})
        return controls

    async def controls_summary(self, team_id: str, scf_ids: list[str], *,
                               frameworks: list[str] | None = None) -> dict[str, Any]:
        """Some controls with the team's state, and the framework requirements they feed, each with its status.

        For modules that point at controls (an assessment answer): which ISO 27001, SOC 2 or PCI
        requirements the controls take part in, and whether each is satisfied now.
        """
        registry = await self.registries.registry()
        known = [scf_id for scf_id in dict.fromkeys(scf_ids) if scf_id in registry.controls]
        states = await self.states.for_controls(team_id, known) if known else {}
        controls = []
        fed: dict[tuple[str, str], set[str]] = {}
        for scf_id in known:
            control = registry.controls[scf_id]
            state = states.get(scf_id) or {}
            controls.append({"scf_id": scf_id, "title": control.title, "domain": control.domain,
                             "status": state.get("status", ControlStatus.NOT_ASSESSED.value),
                             "engine_status": state.get("engine_status", ControlStatus.NOT_ASSESSED.value),
                             "override": bool(state.get("override")), "counts": state.get("counts") or {},
                             "evidence": [*(state.get("evidence") or []), *(state.get("manual_evidence") or [])]})
            for framework_id, requirement_id in registry.mappings_of(scf_id):
                if frameworks is None or framework_id in frameworks:
                    fed.setdefault((framework_id, requirement_id), set()).add(scf_id)
        statuses = statuses_of(await self.states.for_controls(
            team_id, {scf for framework_id, requirement_id in fed
                      for scf in registry.frameworks[framework_id].requirements[requirement_id].scf_ids}))
        requirements = []
        for (framework_id, requirement_id), through in sorted(fed.items()):
            requirement = registry.frameworks[framework_id].requirements[requirement_id]
            requirements.append({"framework_id": framework_id, "requirement_id": requirement_id,
                                 "status": self.crosswalk.requirement_status(requirement, statuses).value,
                                 "scf_ids": list(requirement.scf_ids), "through": sorted(through),
                                 "fully_covered": set(requirement.scf_ids) <= set(known)})
        return {"registry": {"source": registry.info.source, "version_id": registry.version_id},
                "controls": controls, "requirements": requirements}

    async def equivalents(self, framework_id: str, requirement_id: str) -> list[dict[str, Any]]:
        registry = await self.registries.registry()
        self._framework(registry, framework_id)
        if registry.find_requirement(framework_id, requirement_id) is None:
            raise NotFound(f"requirement {requirement_id!r} not found in {framework_id}")
        return self.crosswalk.equivalents(registry, framework_id, requirement_id)

    # --- manual status ---------------------------------------------------------------------
    async def set_status(self, team_id: str, scf_id: str, body: StatusOverride, *, actor: str,
                         via: str | None = None, token_id: str | None = None, ip: str | None = None,
                         context: str | None = None) -> dict[str, Any]:
        registry = await self.registries.registry()
        if registry.control(scf_id) is None:
            raise NotFound(f"control {scf_id!r} not found in the active SCF registry")
        changes = await self._apply_overrides(team_id, [scf_id], body, actor=actor, context=context)
        await self.audit.record("compliance.control_status_set", actor_id=actor, team_id=team_id, ip=ip,
                                target_type="scf_control", target_id=scf_id, via=via, token_id=token_id,
                                details={"status": body.status.value, "reason": body.reason, "context": context,
                                         "changed": [change.__dict__ | {"expired_evidence": []}
                                                     for change in changes]})
        if changes:
            await self.drift.on_change(team_id, changes, registry=registry)
        return await self.control_detail(team_id, scf_id, findings_limit=20)

    async def answer_requirement(self, team_id: str, framework_id: str, body: RequirementAnswer, *, actor: str,
                                 via: str | None = None, token_id: str | None = None,
                                 ip: str | None = None) -> dict[str, Any]:
        """Set the status of every SCF control behind one requirement (so equivalent ones follow)."""
        registry = await self.registries.registry()
        self._framework(registry, framework_id)
        requirement = registry.find_requirement(framework_id, body.requirement_id)
        if requirement is None:
            raise NotFound(f"requirement {body.requirement_id!r} not found in {framework_id}")
        context = f"{framework_id} {requirement.requirement_id}"
        changes = await self._apply_overrides(team_id, list(requirement.scf_ids), body, actor=actor, context=context)
        await self.audit.record("compliance.requirement_answered", actor_id=actor, team_id=team_id, ip=ip,
                                target_type="framework_requirement", target_id=context, via=via, token_id=token_id,
                                details={"status": body.status.value, "reason": body.reason,
                                         "controls": list(requirement.scf_ids)})
        if changes:
            await self.drift.on_change(team_id, changes, registry=registry)
        statuses = statuses_of(await self.states.all(team_id))
        return {"framework_id": framework_id, "requirement_id": requirement.requirement_id,
                "status": self.crosswalk.requirement_status(requirement, statuses).value,
                "controls": list(requirement.scf_ids),
                "equivalents": [
                    {**item, "status": self.crosswalk.requirement_status(
                        registry.frameworks[item["framework_id"]].requirements[item["requirement_id"]],
                        statuses).value}
                    for item in self.crosswalk.equivalents(registry, framework_id, requirement.requirement_id)]}

    async def _apply_overrides(self, team_id: str, scf_ids: list[str], body: StatusOverride, *, actor: str,
                               context: str | None) -> list[StatusChange]:
        moment = now()
        existing = await self.states.for_controls(team_id, scf_ids)
        reason = f"{context}: {body.reason}" if context else body.reason
        updates, history, changes = {}, [], []
        manual = [{**item.model_dump(mode="json", exclude={"expires_at"}), "expires_at": item.expires_at,
                   "kind": "link", "added_by": actor, "added_at": moment} for item in body.evidence]
        for scf_id in scf_ids:
            old = existing.get(scf_id) or {}
            before = old.get("status", ControlStatus.NOT_ASSESSED.value)
            update: dict[str, Any] = {
                "status": body.status.value,
                "override": {"status": body.status.value, "reason": reason, "set_by": actor, "set_at": moment},
                "set_by": actor, "set_at": moment, "updated_at": moment,
                "manual_evidence": [*(old.get("manual_evidence") or []), *manual][-20:],
            }
            if body.owner is not None:
                update["owner"] = body.owner
            if not old:
                update.update({"engine_status": ControlStatus.NOT_ASSESSED.value, "counts": {}, "evidence": [],
                               "failing_findings": []})
            updates[scf_id] = update
            history.append({"scf_id": scf_id, "at": moment, "actor": actor, "kind": "override",
                            "from_status": before, "to_status": body.status.value, "reason": reason})
            if before != body.status.value:
                changes.append(StatusChange(scf_id, before, body.status.value, actor, reason))
        await self.states.upsert_many(team_id, updates)
        await self.history.append(team_id, history)
        return changes

    async def clear_status(self, team_id: str, scf_id: str, *, actor: str, reason: str, via: str | None = None,
                           token_id: str | None = None, ip: str | None = None) -> dict[str, Any]:
        registry = await self.registries.registry()
        state = await self.states.one(team_id, scf_id)
        if registry.control(scf_id) is None or state is None or not state.get("override"):
            raise NotFound(f"control {scf_id!r} has no manual status to clear")
        moment = now()
        engine_status = state.get("engine_status", ControlStatus.NOT_ASSESSED.value)
        await self.states.upsert_many(team_id, {scf_id: {"override": None, "status": engine_status,
                                                          "set_by": "engine", "set_at": moment,
                                                          "updated_at": moment}})
        await self.history.append(team_id, [{"scf_id": scf_id, "at": moment, "actor": actor, "kind": "clear",
                                             "from_status": state["status"], "to_status": engine_status,
                                             "reason": reason}])
        await self.audit.record("compliance.control_status_cleared", actor_id=actor, team_id=team_id, ip=ip,
                                target_type="scf_control", target_id=scf_id, via=via, token_id=token_id,
                                details={"from": state["status"], "to": engine_status, "reason": reason})
        if state["status"] != engine_status:
            await self.drift.on_change(team_id, [StatusChange(scf_id, state["status"], engine_status, actor, reason)],
                                       registry=registry)
        return await self.control_detail(team_id, scf_id, findings_limit=20)

    # --- statement of applicability --------------------------------------------------------
    async def statement_of_applicability(self, team_id: str, framework_id: str) -> list[dict[str, Any]]:
        view = await self.view(team_id)
        states, statuses = view.states, view.statuses
        framework = view.framework(framework_id)
        if framework is None:
            raise NotFound(f"framework {framework_id!r} not found in the active SCF registry or the tools' tags")
        rows = []
        for requirement in sorted(framework.requirements.values(), key=lambda r: natural_key(r.requirement_id)):
            status = view.status(framework_id, requirement)
            reasons, evidence, owners = [], [], []
            for scf_id in requirement.scf_ids:
                state = states.get(scf_id) or {}
                if state.get("override"):
                    reasons.append(f"{scf_id}: {state['override'].get('reason')}")
                for item in [*(state.get("evidence") or []), *(state.get("manual_evidence") or [])]:
                    evidence.append(f"{scf_id}: {item.get('title') or item.get('dedup_key')}"
                                    + (f" <{item['url']}>" if item.get("url") else ""))
                if state.get("owner"):
                    owners.append(f"{scf_id}: {state['owner']}")
            rows.append({
                "framework_id": framework_id, "requirement_id": requirement.requirement_id,
                "applicable": status is not RequirementStatus.NOT_APPLICABLE, "status": status.value,
                "scf_controls": list(requirement.scf_ids),
                "control_statuses": {scf_id: statuses.get(scf_id, ControlStatus.NOT_ASSESSED.value)
                                     for scf_id in requirement.scf_ids},
                "justification": reasons, "evidence": evidence[:20], "owner": owners,
            })
        return rows

    @staticmethod
    def soa_csv(rows: list[dict[str, Any]]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(SOA_COLUMNS)
        for row in rows:
            writer.writerow([
                row["framework_id"], row["requirement_id"], "yes" if row["applicable"] else "no", row["status"],
                " ".join(row["scf_controls"]),
                " ".join(f"{scf_id}={status}" for scf_id, status in row["control_statuses"].items()),
                " | ".join(row["justification"]), " | ".join(row["evidence"]), " | ".join(row["owner"]),
            ])
        return buffer.getvalue()

    # --- drift -------------------------------------------------------------------------------
    async def drift_timeline(self, team_id: str, *, kind: str | None = None, since: datetime | None = None,
                             cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
        before = None
        if cursor:
            values = decode_cursor(cursor)
            try:
                before = (datetime.fromisoformat(values["at"]), values["id"])
            except (KeyError, ValueError, TypeError):
                raise BadRequest("invalid cursor: not produced by this API") from None
            try:
                before = (before[0], ObjectId(before[1]))
            except (InvalidId, TypeError):
                raise BadRequest("invalid cursor: not produced by this API") from None
        events = await self.events.page(team_id, kind=kind, since=since, before=before, limit=limit + 1)
        more = len(events) > limit
        events = events[:limit]
        next_cursor = encode_cursor({"at": events[-1]["at"].isoformat(), "id": str(events[-1]["_id"])}) \
            if more and events else None
        return {"events": [{**(public(event) or {}), "id": str(event["_id"])} for event in events],
                "next_cursor": next_cursor}

    async def score_history(self, team_id: str, framework_id: str, since: datetime) -> list[dict[str, Any]]:
        view = await self.view(team_id)
        if view.framework(framework_id) is None:
            raise NotFound(f"framework {framework_id!r} not found in the active SCF registry or the tools' tags")
        points = []  # snapshots score the registry's frameworks: a tool-tag framework has none yet
        for snapshot in await self.snapshots.since(team_id, since):
            for entry in snapshot.get("scores") or []:
                if entry["framework_id"] == framework_id:
                    points.append({"at": snapshot["taken_at"], "kind": snapshot.get("kind"), **entry})
        return points

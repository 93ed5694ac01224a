"""AssessmentIntegrationService: assessment answers ↔ the SCF compliance engine and the scan findings.

Answers → SCF controls, through the compliance engine's attestation extension point (this
module never writes the compliance collections):
- NIST CSF 2.0 subcategory → the CSF 1.1 subcategories NIST maps to it → the SCF controls the
  active SCF registry maps those to (its ``nist-csf-1.1`` column).
- OWASP ASVS requirement → its CWE ids (OWASP's mapping) → the SCF controls of the compliance
  engine's explicit CWE table (the same bridge scan findings take), plus the registry's own
  ASVS column when a workbook has one.
- "met" attests the controls implemented, "partially met" partially, "not met" not
  implemented; "not applicable" and cleared answers withdraw the attestation. Each carries
  its source ("OWASP ASVS 5.0.0 V6.2.1 answered met by a@example.com on 2026-01-02"), shown in
  the control's evidence; the ``ControlMappingEngine`` then shows which ISO 27001, SOC 2 or
  PCI requirements the answer satisfies.

Findings → answers (ASVS assessments with web application targets in scope):
- the open failing DAST findings (ZAP, Nuclei, header and TLS checks) of those targets,
  matched to in-scope requirements by CWE, are shown on each requirement and suggest "not
  met" until a person answers;
- a finding that arrives later and contradicts a "met" answer is a drift event of the
  compliance timeline ("V3.4.6 answered met, but ZAP found CWE-1021 on shop").
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Self
from urllib.parse import urlsplit

from cspm.assessments.frameworks import Template, TemplateItem, shipped_library
from cspm.assessments.models import (
    ANSWER_TO_CONTROL,
    ATTESTATION_SOURCE,
    DAST_TOOLS,
    TOOL_NAMES,
    Answer,
    field_key,
)
from cspm.assessments.repository import ASSESSMENTS, DB, AssessmentRepository, now
from cspm.assessments.settings import AssessmentSettings
from cspm.compliance.drift import ComplianceDriftDetectionService
from cspm.compliance.engine import AutonomousComplianceEngine
from cspm.compliance.models import Attestation, DriftKind
from cspm.compliance.registry import ControlRegistry
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.compliance.service import ComplianceService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.settings import load
from cspm.findings.models import CheckResult, FindingStatus
from cspm.targets.repository import TargetRepository

logger = logging.getLogger(__name__)

CSF_1_1_FRAMEWORK = re.compile(r"^nist-csf-1\.1$")
ASVS_FRAMEWORK = re.compile(r"^owasp-asvs")
ACTIVE = (FindingStatus.OPEN.value, FindingStatus.REOPENED.value)
FINDING_FIELDS = {"dedup_key": 1, "title": 1, "source_tool": 1, "severity": 1, "severity_rank": 1, "cwe_ids": 1,
                  "resource": 1, "scope_key": 1, "last_seen": 1, "rule_id": 1}
FINDINGS_SCANNED = 5000
COMPONENT = "assessments:compliance"


def _cwe(value: object) -> str:
    text = str(value).strip().upper()
    return f"CWE-{text}" if text.isdigit() else text


def _origin(value: str) -> tuple[str, int | None] | None:
    """(host, port) of a URL or ``host:port``; the scheme's default port when a URL names none."""
    text = value.strip()
    if "://" not in text:
        text = "tls://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.hostname.lower(), port


class AssessmentIntegrationService:
    def __init__(self, container: ServiceContainer, engine: AutonomousComplianceEngine,
                 registries: CommonControlRegistryService, drift: ComplianceDriftDetectionService,
                 compliance: ComplianceService, settings: AssessmentSettings) -> None:
        self.container = container
        self.engine = engine
        self.registries = registries
        self.drift = drift
        self.compliance = compliance
        self.settings = settings
        self.library = shipped_library()
        self.assessments = AssessmentRepository(container.database.db(DB)[ASSESSMENTS])
        self.targets = TargetRepository(container.database.db(Database.ORCHESTRATION))

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(AutonomousComplianceEngine),
                   container.resolve(CommonControlRegistryService),
                   container.resolve(ComplianceDriftDetectionService), container.resolve(ComplianceService),
                   load(AssessmentSettings))

    # --- answers → SCF controls ------------------------------------------------------------
    def controls_of(self, template: Template, item: TemplateItem, registry: ControlRegistry) -> list[dict[str, str]]:
        """The SCF controls an answer to ``item`` feeds, each with the path it takes."""
        found: dict[str, str] = {}
        if template.kind == "csf":
            for framework_id in registry.frameworks:
                if not CSF_1_1_FRAMEWORK.match(framework_id):
                    continue
                for old in item.csf_1_1:
                    requirement = registry.find_requirement(framework_id, old)
                    if requirement is None:
                        continue
                    for scf_id in requirement.scf_ids:
                        found.setdefault(scf_id, f"CSF 2.0 {item.ref} → CSF 1.1 {requirement.requirement_id}")
        else:
            for framework_id in registry.frameworks:
                if not ASVS_FRAMEWORK.match(framework_id):
                    continue
                requirement = registry.find_requirement(framework_id, item.ref) or \
                    registry.find_requirement(framework_id, item.ref.removeprefix("V"))
                for scf_id in requirement.scf_ids if requirement else ():
                    found.setdefault(scf_id, f"SCF {framework_id} column")
            if item.cwe_ids:
                for link in self.registries.mapper(registry).controls_for_cwe(item.cwe_ids):
                    found.setdefault(link.scf_id, f"ASVS {item.ref} → {link.detail} ({link.rule})")
        return [{"scf_id": scf_id, "via": via} for scf_id, via in found.items()]

    def attestation(self, assessment: Mapping[str, Any], template: Template, item: TemplateItem,
                    answer: Mapping[str, Any] | None, scf_ids: Sequence[str]) -> Attestation | None:
        if not answer or not answer.get("answer") or not scf_ids:
            return None
        value = Answer(answer["answer"])
        status = ANSWER_TO_CONTROL.get(value)
        if status is None:
            return None
        at = answer.get("answered_at") or now()
        who = answer.get("answered_by_label") or answer.get("answered_by") or "unknown"
        tier = ""
        if template.kind == "csf" and answer.get("tier"):
            tier = f" (tier {answer['tier']} of target {answer.get('target_tier') or '?'})"
        title = (f"{template.framework} {template.version} {item.ref} answered {value.words}{tier} by {who} "
                 f"on {at.date().isoformat()} in assessment {assessment['name']!r}")
        return Attestation(key=self.key(assessment, item.ref), source=ATTESTATION_SOURCE,
                           source_id=str(assessment["_id"]), scf_ids=tuple(scf_ids), status=status,
                           title=title[:500], actor=str(answer.get("answered_by") or ""), at=at,
                           link=f"/assessments/{assessment['_id']}?ref={item.ref}")

    @staticmethod
    def key(assessment: Mapping[str, Any], ref: str) -> str:
        return f"{ATTESTATION_SOURCE}:{assessment['_id']}:{ref}"

    async def sync(self, team_id: str, assessment: Mapping[str, Any], refs: Iterable[str] | None = None
                   ) -> dict[str, Any]:
        """Send the answers of ``refs`` (default: every in-scope requirement) to the compliance engine.

        Returns what changed; never fails the caller's answer, which is already stored: a failure
        is logged, reported degraded, and returned as ``{"synced": false, "reason": ...}``.
        """
        template = self.library.templates[assessment["template_id"]]
        answers: Mapping[str, Any] = assessment.get("answers") or {}
        wanted = list(dict.fromkeys(refs)) if refs is not None else list(assessment.get("refs") or ())
        try:
            registry = await self.registries.registry()
            attestations: list[Attestation] = []
            withdraw: list[str] = []
            for ref in wanted:
                item = template.item(ref)
                if item is None:
                    continue
                scf_ids = [entry["scf_id"] for entry in self.controls_of(template, item, registry)]
                attestation = self.attestation(assessment, template, item, answers.get(field_key(ref)), scf_ids)
                if attestation is None:
                    withdraw.append(self.key(assessment, ref))
                else:
                    attestations.append(attestation)
            changes = await self.engine.attest(team_id, attestations, withdraw=withdraw,
                                               reason=f"assessment {assessment['name']!r} answers")
        except Exception as exc:
            logger.exception("assessment answers not sent to the compliance engine",
                             extra={"team_id": team_id, "assessment_id": str(assessment["_id"])})
            self.container.integrity.degraded(COMPONENT, "failing",
                                              f"assessment answers not reflected in SCF controls: {exc}")
            return {"synced": False, "reason": f"compliance engine unavailable: {type(exc).__name__}"}
        return {"synced": True, "attested": len(attestations), "withdrawn": len(withdraw),
                "control_changes": [{"scf_id": change.scf_id, "before": change.before, "after": change.after}
                                    for change in changes]}

    async def withdraw(self, team_id: str, assessment_id: str) -> None:
        try:
            await self.engine.withdraw_source(team_id, assessment_id, reason="assessment deleted")
        except Exception:
            logger.exception("assessment attestations not withdrawn", extra={"assessment_id": assessment_id})

    async def controls_view(self, team_id: str, assessment: Mapping[str, Any], ref: str,
                            frameworks: list[str] | None = None) -> dict[str, Any]:
        """The SCF controls one answer feeds, their state, and the requirements of other frameworks behind them."""
        template = self.library.templates[assessment["template_id"]]
        item = template.item(ref)
        registry = await self.registries.registry()
        paths = self.controls_of(template, item, registry) if item else []
        summary = await self.compliance.controls_summary(team_id, [entry["scf_id"] for entry in paths],
                                                         frameworks=frameworks)
        via = {entry["scf_id"]: entry["via"] for entry in paths}
        for control in summary["controls"]:
            control["via"] = via.get(control["scf_id"])
        attestation = (await self.engine.attestations_of(team_id, [self.key(assessment, ref)])).get(
            self.key(assessment, ref))
        return {"ref": ref, **summary,
                "attestation": {key: attestation.get(key) for key in ("status", "title", "at", "actor")}
                if attestation else None}

    # --- findings → suggestions ----------------------------------------------------------------
    async def _scoped_targets(self, team_id: str, assessment: Mapping[str, Any]) -> list[dict[str, Any]]:
        ids = list((assessment.get("scope") or {}).get("target_ids") or ())
        targets = []
        for target_id in ids:
            documents = await self.targets.find(team_id, {"_id": self.targets.object_id(target_id, "target")},
                                                limit=1) if _is_object_id(target_id) else []
            targets.extend(documents)
        return targets

    async def _findings_of(self, team_id: str, targets: Sequence[Mapping[str, Any]], cwe_ids: Iterable[str], *,
                           dedup_keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Active failing DAST findings with these CWE ids on these targets, each with ``target``."""
        cwes = sorted(set(cwe_ids))
        if not targets or not cwes:
            return []
        query: dict[str, Any] = {"team_id": team_id, "status": {"$in": list(ACTIVE)},
                                 "result": CheckResult.FAIL.value, "source_tool": {"$in": sorted(DAST_TOOLS)},
                                 "cwe_ids": {"$in": cwes}}
        if dedup_keys is not None:
            query["dedup_key"] = {"$in": list(dedup_keys)}
        findings = await self.container.database.db(Database.SECURITY_SCANS)["findings"].find(
            query, FINDING_FIELDS).limit(FINDINGS_SCANNED).to_list()
        matched = []
        for finding in findings:
            target = _target_of(finding, targets)
            if target is not None:
                matched.append({**finding, "target": target})
        return matched

    async def suggestions(self, team_id: str, assessment: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Per requirement (field key), the findings that suggest "not met"."""
        template = self.library.templates[assessment["template_id"]]
        if template.kind != "asvs":
            return {}
        refs = [ref for ref in assessment.get("refs") or () if template.item(ref)]
        items = [item for item in (template.item(ref) for ref in refs) if item is not None and item.cwe_ids]
        targets = await self._scoped_targets(team_id, assessment)
        findings = await self._findings_of(team_id, targets, (cwe for item in items for cwe in item.cwe_ids))
        by_cwe: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for finding in findings:
            for cwe in {_cwe(value) for value in finding.get("cwe_ids") or ()}:
                by_cwe[cwe].append(finding)
        result: dict[str, dict[str, Any]] = {}
        keep = self.settings.suggestion_findings_kept
        for item in items:
            found: dict[str, dict[str, Any]] = {}
            for cwe in item.cwe_ids:
                for finding in by_cwe.get(cwe, ()):
                    found.setdefault(finding["dedup_key"], finding)
            if not found:
                continue
            ranked = sorted(found.values(), key=lambda f: (-(f.get("severity_rank") or 0), f["dedup_key"]))
            result[field_key(item.ref)] = {
                "answer": Answer.NOT_MET.value, "count": len(found),
                "cwe_ids": sorted({_cwe(c) for f in found.values() for c in f.get("cwe_ids") or ()} &
                                  set(item.cwe_ids)),
                "tools": sorted({str(f.get("source_tool")) for f in found.values()}),
                "findings": [_finding_summary(finding) for finding in ranked[:keep]],
            }
        return result

    async def refresh_suggestions(self, team_id: str, assessment: Mapping[str, Any]) -> dict[str, Any]:
        """Recompute the suggestions and store them when they changed; returns the assessment as stored."""
        suggestions = await self.suggestions(team_id, assessment)
        if suggestions == (assessment.get("suggestions") or {}) and assessment.get("suggestions_computed_at"):
            return dict(assessment)
        updated = await self.assessments.update(team_id, str(assessment["_id"]), {
            "suggestions": suggestions, "suggestions_computed_at": now()}, unlocked=False)
        return updated or dict(assessment)

    # --- findings changed: new suggestions, contradicted answers ---------------------------
    async def on_findings_changed(self, *, team_id: str, dedup_keys: list[str]) -> None:
        """FINDINGS_CHANGED subscriber: refresh the suggestions of the team's ASVS assessments with
        targets, and record a drift event for each new finding that contradicts a "met" answer."""
        if not team_id or not dedup_keys:
            return
        asvs = [template_id for template_id, template in self.library.templates.items() if template.kind == "asvs"]
        for assessment in await self.assessments.with_targets(team_id, asvs):
            refreshed = await self.refresh_suggestions(team_id, assessment)
            await self._contradictions(team_id, refreshed, dedup_keys)

    async def _contradictions(self, team_id: str, assessment: Mapping[str, Any], dedup_keys: Sequence[str]) -> int:
        template = self.library.templates[assessment["template_id"]]
        answers: Mapping[str, Any] = assessment.get("answers") or {}
        met = [item for item in (template.item(ref) for ref in assessment.get("refs") or ())
               if item is not None and item.cwe_ids
               and (answers.get(field_key(item.ref)) or {}).get("answer") == Answer.MET.value]
        if not met:
            return 0
        targets = await self._scoped_targets(team_id, assessment)
        findings = await self._findings_of(team_id, targets, (cwe for item in met for cwe in item.cwe_ids),
                                           dedup_keys=dedup_keys)
        if not findings:
            return 0
        reported: dict[str, list[str]] = {key: list(value) for key, value in
                                          (assessment.get("contradictions") or {}).items()}
        recorded = 0
        for item in met:
            key = field_key(item.ref)
            fresh = [finding for finding in findings
                     if {_cwe(value) for value in finding.get("cwe_ids") or ()} & set(item.cwe_ids)
                     and finding["dedup_key"] not in reported.get(key, [])]
            if not fresh:
                continue
            fresh.sort(key=lambda f: (-(f.get("severity_rank") or 0), f["dedup_key"]))
            first = fresh[0]
            shared = sorted({_cwe(value) for finding in fresh for value in finding.get("cwe_ids") or ()}
                            & set(item.cwe_ids))
            tool = TOOL_NAMES.get(str(first.get("source_tool")), str(first.get("source_tool")))
            target = first["target"]
            answer = answers[key]
            more = f" and {len(fresh) - 1} more finding(s)" if len(fresh) > 1 else ""
            detail = (f"{item.ref} answered met, but {tool} found {', '.join(shared)} on {target.get('name')} "
                      f"({first.get('title')}{more})")
            await self.drift.record(
                team_id, DriftKind.ASSESSMENT_CONTRADICTED, detail[:500], assessment_id=str(assessment["_id"]),
                assessment_name=assessment.get("name"), ref=item.ref,
                dedup_keys=[finding["dedup_key"] for finding in fresh[:50]], findings=len(fresh), cwe_ids=shared,
                source_tools=sorted({str(finding.get("source_tool")) for finding in fresh}),
                target_id=str(target["_id"]), answered_by=answer.get("answered_by_label") or answer.get("answered_by"),
                answered_at=answer.get("answered_at"))
            reported.setdefault(key, []).extend(finding["dedup_key"] for finding in fresh)
            recorded += 1
        if recorded:
            await self.assessments.update(team_id, str(assessment["_id"]),
                                          {"contradictions": {key: value[-200:] for key, value in reported.items()}},
                                          unlocked=False)
            logger.info("assessment answers contradicted by findings",
                        extra={"team_id": team_id, "assessment_id": str(assessment["_id"]), "events": recorded})
        return recorded


def _is_object_id(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{24}", value))


def _target_of(finding: Mapping[str, Any], targets: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The scoped target a finding belongs to: scanned as that target (scope ``<tool>:target:<id>:<part>``),
    imported for it (``POST /api/findings/import`` with ``scope=target:<id>``), or on its host and port."""
    scope_key = str(finding.get("scope_key") or "")
    for target in targets:
        marker = f":target:{target['_id']}"
        if f"{marker}:" in scope_key or scope_key.endswith(marker):
            return target
    resource = str((finding.get("resource") or {}).get("id") or "")
    origin = _origin(resource) if resource else None
    if origin is None:
        return None
    for target in targets:
        if _origin(str(target.get("value") or "")) == origin:
            return target
    return None


def _finding_summary(finding: Mapping[str, Any]) -> dict[str, Any]:
    last_seen = finding.get("last_seen")
    return {"dedup_key": finding["dedup_key"], "title": finding.get("title"),
            "source_tool": finding.get("source_tool"), "rule_id": finding.get("rule_id"),
            "severity": finding.get("severity"), "cwe_ids": [_cwe(c) for c in finding.get("cwe_ids") or ()],
            "resource_id": (finding.get("resource") or {}).get("id"), "target_id": str(finding["target"]["_id"]),
            "target_name": finding["target"].get("name"),
            "last_seen": last_seen.isoformat() if isinstance(last_seen, datetime) else last_seen}

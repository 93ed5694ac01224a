"""The five agents of the triage pipeline, each a small class with one job.

Every agent's ``run`` returns a ``Step``: its outputs, the rule (or prompt) it applied and the
passages it cited; the pipeline adds the inputs and the duration and stores it on the case as
the reasoning trail. Agents never change findings: applying a recommendation is a person's act.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.ai_soc.correlation import RULES, CaseDraft, correlate
from cspm.ai_soc.llm import NARRATIVE_SCHEMA, SUMMARY_SCHEMA, Budget, LlmResult, LlmWriter
from cspm.compliance.mapping import FindingMapper
from cspm.knowledge.corpus import rule_key, rule_text
from cspm.threat_intel.correlation import intel_fields, target_id
from cspm.threat_intel.priority import SEVERITY_POINTS

SEVERITY_ORDER = ["info", "low", "medium", "high", "critical"]
TEST_PATH = re.compile(r"(^|[/\\])(tests?|testing|fixtures?|testdata|__tests__|spec|specs|examples?|samples?)"
                       r"([/\\]|$)|(^|[/\\])test_[^/\\]+$|_test\.[a-z]+$", re.IGNORECASE)
_VERSION_PART = re.compile(r"\d+|[A-Za-z]+|~")
COMPONENT_ASVS = ("V15.2.1", "V15.1.1")
"""ASVS 5.0.0 on vulnerable third-party components (update within the documented remediation time
frames; define those time frames): cited for every package vulnerability case, CWE or not."""


@dataclass
class Step:
    outputs: dict[str, Any]
    rule: str
    citations: list[str] = field(default_factory=list)
    llm: dict[str, Any] | None = None


@dataclass
class CaseState:
    draft: CaseDraft
    enrichment: dict[str, Any] = field(default_factory=dict)
    priority: dict[str, Any] = field(default_factory=dict)
    remediation: dict[str, Any] = field(default_factory=dict)
    recommendation: dict[str, Any] = field(default_factory=dict)
    summary: str | None = None
    trail: list[dict[str, Any]] = field(default_factory=list)
    retrieved: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class RunContext:
    """What one run reads once: the team's findings, the threat-intel catalogues and the knowledge lookups."""

    team_id: str
    findings: list[dict[str, Any]]
    kev: Mapping[str, Mapping[str, Any]]
    epss: Mapping[str, Mapping[str, Any]]
    targets: Mapping[str, Mapping[str, str]]
    indicator_matches: Mapping[str, list[str]]
    threat_intel_on: bool
    criticality: Mapping[str, str]
    criticality_source: str
    triaged: list[dict[str, Any]]
    mapper: FindingMapper | None
    asvs_by_cwe: Mapping[str, list[str]]
    search: Any
    """async (query, sources) -> list of chunk ids, over the team's visible knowledge."""
    passages: Any
    """async (chunk ids) -> {chunk id: chunk} of those that exist and are visible."""
    llm: LlmWriter
    budget: Budget
    cve_min_resources: int = 2
    resource_min_checks: int = 2
    citations_per_case: int = 8
    llm_cases: set[str] = field(default_factory=set)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Orders package versions token by token (numbers numerically), enough to pick the highest fix
    among one package's advisories ("1.1.1d-0+deb10u7" < "1.1.1n-0+deb10u1"); ``~`` sorts first as in dpkg."""
    parts = tuple((-2, 0) if part == "~" else (1, int(part)) if part.isdigit() else (0, part)
                  for part in _VERSION_PART.findall(version))
    return (*parts, (-1, 0))  # the end sorts after "~" and before any further part


def fixed_versions(finding: Mapping[str, Any]) -> list[str]:
    value = str((finding.get("package") or {}).get("fixed_version") or "")
    return [v.strip() for v in re.split(r"[,|]| or ", value) if v.strip()]


def _resource_ref(finding: Mapping[str, Any]) -> str:
    return str((finding.get("resource") or {}).get("id") or "")


class CorrelationAgent:
    name = "correlation"

    def run(self, ctx: RunContext) -> list[CaseDraft]:
        return correlate(ctx.findings, matched_finding_ids=ctx.indicator_matches.keys(),
                         cve_min_resources=ctx.cve_min_resources, resource_min_checks=ctx.resource_min_checks)

    @staticmethod
    def step(case: CaseDraft, ctx: RunContext) -> Step:
        rule = RULES[case.rule].format(min_resources=ctx.cve_min_resources, min_checks=ctx.resource_min_checks)
        return Step({"case_key": case.key, "rule": case.rule, "findings": len(case.findings),
                     "resources": case.resources[:20]}, f"correlation rule {case.rule}: {rule}")


class EnrichmentAgent:
    name = "enrichment"

    async def run(self, ctx: RunContext, case: CaseState) -> Step:
        findings = case.draft.findings
        cves = sorted({cve for f in findings for cve in f.get("cve_ids") or []})
        kev = [cve for cve in cves if cve in ctx.kev] if ctx.threat_intel_on else []
        epss = [float(ctx.epss[cve]["epss"]) for cve in cves if cve in ctx.epss] if ctx.threat_intel_on else []
        epss += [float(f["epss_score"]) for f in findings if isinstance(f.get("epss_score"), int | float)]
        indicators = sorted({name for f in findings for name in ctx.indicator_matches.get(str(f.get("_id")), [])})
        refs = case.draft.resources
        declared = [ctx.targets[t] for f in findings if (t := target_id(f) or "") in ctx.targets]
        exposure = sorted({target["exposure"] for target in declared if target.get("exposure")})
        criticality = sorted({ctx.criticality[ref] for ref in refs if ref in ctx.criticality})
        members = {str(f["dedup_key"]) for f in findings}
        related = sum(1 for f in ctx.findings if _resource_ref(f) in set(refs) and str(f["dedup_key"]) not in members)
        outputs = {"cve_ids": cves[:50], "cve_count": len(cves), "kev": kev, "epss_max": max(epss) if epss else None,
                   "indicator_matches": indicators, "exposure": exposure or ["unknown"],
                   "asset_criticality": criticality or None, "asset_criticality_source": ctx.criticality_source,
                   "related_findings_same_resource": related}
        if not ctx.threat_intel_on:
            outputs["threat_intel"] = ("threat intelligence switched off for the team: KEV, EPSS feed and indicators "
                                       "not used")
        case.enrichment = outputs
        return Step(outputs, "KEV and EPSS by CVE id (threat intel catalogues), indicator matches (threat intel "
                             "correlations), exposure and criticality (declared on the scan target; BIA when present), "
                             "other active findings on the same resources")


class PrioritisationAgent:
    name = "prioritisation"

    async def run(self, ctx: RunContext, case: CaseState) -> Step:
        kev, epss = (ctx.kev, ctx.epss) if ctx.threat_intel_on else ({}, {})
        scored = []
        for finding in case.draft.findings:
            fields = intel_fields(finding, kev, epss, ctx.targets)
            scored.append((fields["priority"], fields["priority_explanation"], fields["priority_factors"], finding))
        top = max(scored, key=lambda item: (item[0], str(item[3]["dedup_key"])))
        severity = max((str(f.get("severity") or "info") for f in case.draft.findings),
                       key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else 0)
        count = len(case.draft.findings)
        explanation = f"highest of {count} finding(s): {top[1]}" if count > 1 else top[1]
        case.priority = {"score": top[0], "explanation": explanation, "factors": top[2], "severity": severity,
                         "top_finding": str(top[3]["dedup_key"])}
        source = "threat intel's explained priority" if ctx.threat_intel_on else \
            "threat intel's priority formula without its feeds (module switched off)"
        return Step(dict(case.priority), f"case priority = the highest finding priority ({source}; "
                                         "severity, CVSS, EPSS, KEV, exposure, criticality)")


class RemediationAgent:
    name = "remediation"

    async def run(self, ctx: RunContext, case: CaseState) -> Step:
        findings = case.draft.findings
        plan, upgrade = self._plan(case.draft)
        citations: list[tuple[str, str]] = []
        citations += [(f"rule:{rule_key(f)}#0", "the tool's fix text") for f in findings if rule_text(f)]
        citations += [(f"kev:{cve}#0", "CISA KEV required action") for cve in case.enrichment.get("kev", [])]
        scf_ids = []
        if ctx.mapper is not None:
            for finding in findings[:50]:
                scf_ids += [link.scf_id for link in ctx.mapper.map(finding)]
        citations += [(f"scf:{scf}#0", "SCF control mapped from the finding") for scf in dict.fromkeys(scf_ids)]
        cwes = list(dict.fromkeys(cwe for f in findings for cwe in f.get("cwe_ids") or []))
        citations += [(f"asvs:{ref}#0", f"ASVS requirement for {cwe}") for cwe in cwes
                      for ref in ctx.asvs_by_cwe.get(cwe, [])[:2]]
        if any(f.get("cve_ids") and (f.get("package") or {}).get("name") for f in findings):
            citations += [(f"asvs:{ref}#0", "ASVS requirement on vulnerable third-party components")
                          for ref in COMPONENT_ASVS]
        query = self._query(case.draft)
        for source in ("scf", "asvs", "doc"):
            if not any(chunk_id.startswith(f"{source}:") for chunk_id, _ in citations):
                matches = (await ctx.search(query, [source]))[:1]
                citations += [(chunk_id, "lexical match (BM25)") for chunk_id in matches]
        wanted = list(dict.fromkeys(chunk_id for chunk_id, _ in citations))
        found = await ctx.passages(wanted)
        why = dict(reversed(citations))
        chosen = [chunk_id for chunk_id in wanted if chunk_id in found][:ctx.citations_per_case]
        case.retrieved = {chunk_id: found[chunk_id] for chunk_id in chosen}
        cited = [{"chunk_id": chunk_id, "source": found[chunk_id]["source"], "title": found[chunk_id].get("title"),
                  "excerpt": str(found[chunk_id]["text"])[:400], "why": why[chunk_id]} for chunk_id in chosen]
        case.remediation = {"plan": plan, "upgrade": upgrade, "citations": cited, "query": query}
        llm = None
        if case.draft.key in ctx.llm_cases:
            result = await ctx.llm.write(
                "Write a remediation narrative for this case: what to change, in which order, and why.",
                self.facts(case), case.retrieved, NARRATIVE_SCHEMA, ctx.budget)
            llm = _accept(result, case.remediation, "narrative")
        narrative = case.remediation.get("narrative")
        outputs = {"plan": plan, "upgrade": upgrade, "cited": chosen, **({"narrative": narrative} if narrative else {})}
        return Step(outputs,
                    "plan from the findings' fixed versions and fix texts; passages: the tool's fix text, KEV, SCF "
                    "controls from the compliance mapper, ASVS by CWE and on vulnerable components, then BM25 on "
                    "the case's words for what is still missing", chosen, llm)

    @staticmethod
    def facts(case: CaseState) -> dict[str, Any]:
        return {"case": case.draft.title, "rule": case.draft.rule, "priority": case.priority.get("explanation"),
                "enrichment": {k: v for k, v in case.enrichment.items() if k != "cve_ids"},
                "plan": case.remediation.get("plan"),
                "findings": [{k: f.get(k) for k in ("title", "severity", "rule_id", "cve_ids", "package", "resource",
                                                    "remediation", "evidence")} for f in case.draft.findings[:15]]}

    @staticmethod
    def _query(draft: CaseDraft) -> str:
        first = draft.findings[0]
        words = [str(first.get("title") or ""), str(first.get("rule_id") or ""), str(first.get("category") or "")]
        words += [str(f.get("description") or "")[:200] for f in draft.findings[:3]]
        return " ".join(words)[:500]

    @staticmethod
    def _plan(draft: CaseDraft) -> tuple[list[str], dict[str, Any] | None]:
        vulnerable = [f for f in draft.findings if f.get("cve_ids") and (f.get("package") or {}).get("name")]
        steps: list[str] = []
        if not vulnerable:
            for finding in draft.findings:
                fix = str(finding.get("remediation") or "no fix text from the tool; see the cited passages")
                steps.append(f"{finding.get('rule_id')}: {fix.splitlines()[0][:400]}")
            return list(dict.fromkeys(steps))[:20], None
        upgrades = []
        by_package: dict[str, list[Mapping[str, Any]]] = {}
        for finding in vulnerable:
            by_package.setdefault(str(finding["package"]["name"]), []).append(finding)
        for name, items in sorted(by_package.items()):
            fixes = [v for f in items for v in fixed_versions(f)]
            cves = sorted({cve for f in items for cve in f["cve_ids"]})
            unfixed = sorted({cve for f in items if not fixed_versions(f) for cve in f["cve_ids"]})
            current = sorted({str(f["package"].get("version") or "?") for f in items})
            if fixes:
                target = max(fixes, key=version_key)
                fixed_count = len(cves) - len(unfixed)
                steps.append(f"Upgrade {name} {', '.join(current)} to {target}: fixes {fixed_count} of {len(cves)} "
                             f"CVE(s) at once" + (f"; no fix published yet for {', '.join(unfixed[:10])}"
                                                   if unfixed else ""))
                upgrades.append({"package": name, "from": current, "to": target, "fixes": fixed_count,
                                 "cves": len(cves), "unfixed": unfixed[:50]})
            else:
                steps.append(f"No fixed version of {name} {', '.join(current)} is published for {len(cves)} CVE(s): "
                             "mitigate (remove the package, rebuild on a newer base image) or accept the risk")
        upgrade = upgrades[0] if len(upgrades) == 1 else ({"packages": upgrades} if upgrades else None)
        return steps[:30], upgrade


class TriageAgent:
    name = "triage"

    async def run(self, ctx: RunContext, case: CaseState) -> Step:
        action, reason, rule = self.recommend(ctx, case)
        case.recommendation = {"action": action, "reason": reason, "rule": rule}
        llm = None
        if case.draft.key in ctx.llm_cases:
            facts = {**RemediationAgent.facts(case), "recommendation": case.recommendation}
            result = await ctx.llm.write("Summarise this case for a SOC analyst in two or three sentences: what it "
                                         "is, how urgent, and the recommended decision.",
                                         facts, case.retrieved, SUMMARY_SCHEMA, ctx.budget)
            holder: dict[str, Any] = {}
            llm = _accept(result, holder, "summary")
            case.summary = holder.get("summary")
        return Step({**case.recommendation, **({"summary": case.summary} if case.summary else {})},
                    f"triage rule {rule}", list(case.retrieved) if case.summary else [], llm)

    @staticmethod
    def recommend(ctx: RunContext, case: CaseState) -> tuple[str, str, str]:
        findings = case.draft.findings
        muted = {(t.get("source_tool"), t.get("rule_id"), _resource_ref(t)) for t in ctx.triaged}
        again = [f for f in findings if (f.get("source_tool"), f.get("rule_id"), _resource_ref(f)) in muted]
        if again and len(again) == len(findings):
            return ("false_positive", f"the same check was marked false positive or suppressed on the same resource "
                                      f"before ({again[0].get('rule_id')} on {_resource_ref(again[0])})",
                    "previously_muted")
        paths = [str((f.get("package") or {}).get("path") or _resource_ref(f)) for f in findings]
        if paths and all(TEST_PATH.search(path) for path in paths):
            return "false_positive", f"every finding is in a test or fixture path ({paths[0]})", "test_fixture_path"
        vex = {cve for t in ctx.triaged if "not_affected" in _triage_text(t) for cve in t.get("cve_ids") or []}
        cves = {cve for f in findings for cve in f.get("cve_ids") or []}
        if cves and cves <= vex:
            return ("false_positive", f"a VEX statement says not_affected for {', '.join(sorted(cves)[:5])} elsewhere "
                                      "in the team", "vex_not_affected")
        kev = case.enrichment.get("kev") or []
        if kev:
            return "keep", f"in CISA KEV ({', '.join(kev[:3])}): exploited in the wild", "kev"
        epss = case.enrichment.get("epss_max")
        severity = case.priority.get("severity", "info")
        no_fix = all(f.get("cve_ids") and not fixed_versions(f) for f in findings)
        if SEVERITY_POINTS.get(severity, 0) <= SEVERITY_POINTS["low"] and (epss is None or epss < 0.1) and no_fix:
            return ("accept_risk", f"highest severity {severity}, EPSS {'unknown' if epss is None else f'{epss:.2f}'}, "
                                   "no fixed version published", "low_risk_no_fix")
        reason = f"priority {case.priority.get('score')}: {case.priority.get('explanation')}"
        return "keep", reason[:400], "default_keep"


def _triage_text(finding: Mapping[str, Any]) -> str:
    reasons = " ".join(str(entry.get("reason") or "") for entry in finding.get("history") or [])
    return f"{finding.get('evidence') or ''} {reasons}"


def _accept(result: LlmResult, target: dict[str, Any], key: str) -> dict[str, Any]:
    record = result.record()
    if result.status == "accepted" and result.value is not None:
        target[key] = result.value[key]
        record["citations"] = result.citations
    return record


AGENTS: Sequence[type] = (EnrichmentAgent, PrioritisationAgent, RemediationAgent, TriageAgent)

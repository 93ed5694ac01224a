"""One CycloneDX vulnerability → one finding per affected component, with its VEX analysis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, PackageRef, Resource, Severity
from cspm.scanners.base import RecordError
from cspm.scanners.normalize import (
    as_list,
    build_finding,
    compliance,
    cve_ids,
    cvss,
    cwe_ids,
    identity,
    join_text,
    mapping,
    text,
    unique,
)

TOOL = "cyclonedx"
NOT_OPEN_STATES = frozenset({"not_affected", "false_positive", "resolved", "resolved_with_pedigree"})
"""VEX analysis states that say the vulnerability does not (or no longer) affect the component."""
_CVSS_METHODS = ("CVSSv31", "CVSSv3", "CVSSv4", "CVSSv2")
_PURL_TYPE = re.compile(r"^pkg:([a-zA-Z0-9.+-]+)/")
_NO_SEVERITY = {"", "unknown", "none"}


@dataclass(frozen=True)
class Component:
    ref: str
    name: str | None
    version: str | None
    purl: str | None
    type: str | None

    @property
    def key(self) -> str:
        """What identifies the component across documents (the bom-ref is often a random UUID)."""
        if self.purl:
            return self.purl
        if self.name:
            return f"{self.name}@{self.version}" if self.version else self.name
        return self.ref

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.name, self.version) if part) or self.key


def _component(item: Any) -> Component | None:
    item = mapping(item)
    ref = text(item.get("bom-ref"))
    name = text(item.get("name"))
    if ref is None and name is None:
        return None
    group = text(item.get("group"))
    return Component(ref=ref or name or "", name=f"{group}/{name}" if group and name else name,
                     version=text(item.get("version")), purl=text(item.get("purl")), type=text(item.get("type")))


@dataclass
class Inventory:
    components: dict[str, Component] = field(default_factory=dict)
    subject: Component | None = None

    def add(self, item: Any) -> None:
        component = _component(item)
        if component is not None:
            self.components.setdefault(component.ref, component)
        for nested in as_list(mapping(item).get("components")):
            self.add(nested)

    def set_subject(self, item: Any) -> None:
        self.subject = _component(item)
        self.add(item)

    def affected(self, ref: str) -> Component:
        # A VEX document without components refers to packages by purl (or a bom-link): the ref says it.
        return self.components.get(ref) or Component(ref=ref, name=None, version=None,
                                                     purl=ref if ref.startswith("pkg:") else None, type=None)


def _ratings(vulnerability: dict[str, Any]) -> list[dict[str, Any]]:
    return [rating for rating in as_list(vulnerability.get("ratings")) if isinstance(rating, dict)]


def _source(item: dict[str, Any]) -> str:
    return (text(mapping(item.get("source")).get("name")) or "").lower()


def _cvss(ratings: list[dict[str, Any]], own_source: str) -> tuple[float | None, str | None]:
    order = {own_source: 0, "nvd": 1}
    for method in _CVSS_METHODS:
        candidates = [r for r in ratings if text(r.get("method")) == method and cvss(r.get("score")) is not None]
        candidates.sort(key=lambda r: order.get(_source(r), 2))
        if candidates:
            return cvss(candidates[0].get("score")), text(candidates[0].get("vector"))
    return None, None


def _severity(ratings: list[dict[str, Any]], own_source: str, score: float | None) -> tuple[Severity, str | None]:
    words = [(r, (text(r.get("severity")) or "").lower()) for r in ratings]
    words = [(r, word) for r, word in words if word not in _NO_SEVERITY]
    own = [word for r, word in words if _source(r) == own_source and own_source]
    if own:
        return Severity.from_tool(own[0], default=Severity.INFO), own[0]
    if words:
        highest = max((Severity.from_tool(word, default=Severity.INFO) for _r, word in words), key=lambda s: s.rank)
        return highest, highest.value
    if score is not None:
        return Severity.from_cvss(score), None
    return Severity.INFO, None


def _analysis(vulnerability: dict[str, Any]) -> tuple[CheckResult, str | None]:
    analysis = mapping(vulnerability.get("analysis"))
    state = text(analysis.get("state"))
    if state is None:
        return CheckResult.FAIL, None
    responses = ", ".join(unique(as_list(analysis.get("response"))))
    note = join_text(f"VEX analysis: {state}",
                     f"justification: {j}" if (j := text(analysis.get("justification"))) else None,
                     f"response: {responses}" if responses else None, separator="; ")
    note = join_text(note, text(analysis.get("detail")), separator="\n")
    return (CheckResult.PASS if state in NOT_OPEN_STATES else CheckResult.FAIL), note


def findings(vulnerability: dict[str, Any], inventory: Inventory, position: str) -> Iterator[CanonicalFinding]:
    vuln_id = text(vulnerability.get("id"))
    if vuln_id is None:  # CycloneDX allows it, but nothing would identify the finding
        raise RecordError(TOOL, f"{position} has no id")
    own_source = _source(vulnerability)
    ratings = _ratings(vulnerability)
    score, vector = _cvss(ratings, own_source)
    severity, tool_severity = _severity(ratings, own_source, score)
    result, analysis = _analysis(vulnerability)
    aliases = [mapping(reference).get("id") for reference in as_list(vulnerability.get("references"))]
    cwes = cwe_ids(vulnerability.get("cwes"))
    source = mapping(vulnerability.get("source"))
    refs = unique(mapping(affect).get("ref") for affect in as_list(vulnerability.get("affects")))
    subject = inventory.subject
    for ref in refs or [subject.ref if subject else vuln_id]:
        component = inventory.affected(ref)
        purl_type = _PURL_TYPE.match(component.purl or "")
        package = PackageRef(name=component.name or component.key, version=component.version, purl=component.purl,
                             ecosystem=purl_type.group(1) if purl_type else None) if refs else None
        yield build_finding(
            TOOL, f"{position} ({vuln_id}, {component.key})",
            rule_id=vuln_id,
            title=f"{vuln_id} in {component.label}",
            description=join_text(text(vulnerability.get("description")), text(vulnerability.get("detail"))),
            severity=severity,
            tool_severity=tool_severity,
            result=result,
            category=FindingCategory.VULNERABILITY,
            resource=_resource(subject, component),
            cve_ids=cve_ids(vuln_id, aliases),
            cwe_ids=cwes,
            package=package,
            cvss_score=score,
            cvss_vector=vector,
            evidence=join_text(analysis, f"Component: {component.key}",
                               f"Source: {name}" if (name := text(source.get("name"))) else None,
                               separator="\n"),
            remediation=join_text(text(vulnerability.get("recommendation")), text(vulnerability.get("workaround"))),
            references=unique([source.get("url"),
                               *(mapping(a).get("url") for a in as_list(vulnerability.get("advisories")))]),
            compliance_tags=compliance({"CWE": cwes}),
            identity=identity(vuln=vuln_id, component=component.key,
                              subject=subject.key if subject and subject.ref != component.ref else None),
        )


def _resource(subject: Component | None, component: Component) -> Resource:
    """The scanned subject (image, application) when the document names one, else the component."""
    if subject is not None and subject.ref != component.ref:
        return Resource(type=subject.type or "application", id=subject.key, name=component.label)
    return Resource(type=component.type or "package", id=component.key, name=component.name)

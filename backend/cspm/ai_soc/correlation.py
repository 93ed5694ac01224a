"""Correlation rules: how findings group into cases. Each finding lands in exactly one case.

Rules, in order of precedence (a finding taken by a rule is not offered to the later ones):

1. ``ioc-exposure``: a host with a threat-intel indicator match (a correlation naming one of its
   findings) and open-port findings (nmap, network category) → one case per host with both.
2. ``same-cve``: a CVE reported on at least ``cve_min_resources`` distinct resources (the same
   CVE across 40 images) → one case per CVE, its findings on every resource.
3. ``component``: the remaining vulnerability findings of one package version on one resource
   (``libssl1.1 1.1.1d`` in ``python:3.6``) → one case per (resource, package, version): one
   upgrade fixes them together.
4. ``resource-checks``: at least ``resource_min_checks`` failing non-CVE checks of one category on
   one resource (a bucket failing 6 S3 checks) → one case per (resource, category).
5. ``single``: every other finding is a case of its own.

A case's key is derived from the rule and what grouped it, so re-running on the same findings
updates the same cases; ids are stable across runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RULES = {
    "ioc-exposure": "indicator match and open ports on the same host",
    "same-cve": "same CVE on {min_resources} or more resources",
    "component": "one package version on one resource, all its CVEs",
    "resource-checks": "{min_checks} or more failing checks of one category on one resource",
    "single": "a finding no rule grouped",
}
PORT_TOOLS = {"nmap"}


@dataclass
class CaseDraft:
    key: str
    rule: str
    title: str
    findings: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def resources(self) -> list[str]:
        return sorted({str((f.get("resource") or {}).get("id")) for f in self.findings})


def _resource(finding: Mapping[str, Any]) -> str:
    return str((finding.get("resource") or {}).get("id") or "")


def host_of(finding: Mapping[str, Any]) -> str:
    resource = _resource(finding)
    return resource.rsplit(":", 1)[0] if resource.count(":") == 1 else resource


def _is_port(finding: Mapping[str, Any]) -> bool:
    return finding.get("source_tool") in PORT_TOOLS or finding.get("category") == "network"


def correlate(findings: Sequence[Mapping[str, Any]], *, matched_finding_ids: Iterable[str] = (),
              cve_min_resources: int = 2, resource_min_checks: int = 2) -> list[CaseDraft]:
    """Group ``findings`` into cases by the rules above; ``matched_finding_ids``: findings an indicator names."""
    remaining = {str(f["dedup_key"]): f for f in findings}
    cases: list[CaseDraft] = []
    matched = set(matched_finding_ids)

    # 1. ioc-exposure
    by_host: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for finding in findings:
        by_host[host_of(finding)].append(finding)
    for host, items in sorted(by_host.items()):
        ioc = [f for f in items if str(f.get("_id")) in matched]
        ports = [f for f in items if _is_port(f)]
        if host and ioc and ports:
            members = {str(f["dedup_key"]): f for f in [*ioc, *ports]}
            cases.append(CaseDraft(f"ioc-exposure:{host}", "ioc-exposure",
                                   f"Indicator match on {host} with {len(ports)} open port finding(s)",
                                   list(members.values())))
            for key in members:
                remaining.pop(key, None)

    # 2. same-cve
    by_cve: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for finding in remaining.values():
        for cve in sorted(set(finding.get("cve_ids") or [])):
            by_cve[cve].append(finding)
    for cve in sorted(by_cve, key=lambda c: (-len({_resource(f) for f in by_cve[c]}), c)):
        items = [f for f in by_cve[cve] if str(f["dedup_key"]) in remaining]
        resources = {_resource(f) for f in items}
        if len(resources) >= cve_min_resources:
            cases.append(CaseDraft(f"same-cve:{cve}", "same-cve", f"{cve} on {len(resources)} resources", items))
            for finding in items:
                remaining.pop(str(finding["dedup_key"]), None)

    # 3. component
    by_component: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for finding in remaining.values():
        package = finding.get("package") or {}
        if finding.get("cve_ids") and package.get("name"):
            by_component[(_resource(finding), str(package["name"]), str(package.get("version") or ""))].append(finding)
    for (resource, name, version), items in sorted(by_component.items()):
        label = f"{name} {version}".strip()
        cases.append(CaseDraft(f"component:{resource}:{name}@{version}", "component",
                               f"{label} in {resource}: {len(items)} vulnerabilit{'y' if len(items) == 1 else 'ies'}",
                               items))
        for finding in items:
            remaining.pop(str(finding["dedup_key"]), None)

    # 4. resource-checks
    by_check: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for finding in remaining.values():
        if not finding.get("cve_ids"):
            by_check[(_resource(finding), str(finding.get("category") or "other"))].append(finding)
    for (resource, category), items in sorted(by_check.items()):
        if len(items) >= resource_min_checks:
            cases.append(CaseDraft(f"resource-checks:{resource}:{category}", "resource-checks",
                                   f"{resource}: {len(items)} failing {category} checks", items))
            for finding in items:
                remaining.pop(str(finding["dedup_key"]), None)

    # 5. single
    for key, finding in sorted(remaining.items()):
        cases.append(CaseDraft(f"single:{key}", "single", str(finding.get("title") or key)[:200], [finding]))
    return cases

"""One Kubescape result (a resource and its controls) → one finding per failed or passed control."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, Resource, Severity
from cspm.scanners.base import RecordError
from cspm.scanners.normalize import (
    as_list,
    build_finding,
    compliance,
    identity,
    join_text,
    mapping,
    scan_scope,
    text,
    unique,
)

TOOL = "kubescape"
CONTROL_DOCS = "https://hub.armosec.io/docs/{id}"
_RESULTS = {"failed": CheckResult.FAIL, "passed": CheckResult.PASS}


def control_severity(score_factor: object) -> Severity:
    """Kubescape's bands for a control's scoreFactor (9-10 critical, 7-8 high, 4-6 medium, 1-3 low) are
    the CVSS bands, so the canonical CVSS mapping applies."""
    if not isinstance(score_factor, int | float) or isinstance(score_factor, bool):
        return Severity.INFO
    return Severity.from_cvss(float(score_factor))


@dataclass
class Summary:
    cluster: str | None = None
    controls: dict[str, dict[str, Any]] = field(default_factory=dict)
    frameworks: dict[str, list[str]] = field(default_factory=dict)
    """control id → names of the frameworks that list it."""

    def read(self, details: object) -> None:
        details = mapping(details)
        self.controls = {key: mapping(value) for key, value in mapping(details.get("controls")).items()}
        for framework in as_list(details.get("frameworks")):
            name = text(mapping(framework).get("name"))
            for control_id in mapping(mapping(framework).get("controls")):
                if name:
                    self.frameworks.setdefault(control_id, []).append(name)


@dataclass(frozen=True)
class _Workload:
    namespace: str | None
    kind: str | None
    name: str | None

    @property
    def label(self) -> str | None:
        return "/".join(part for part in (self.namespace, self.kind, self.name) if part) or None


def _workload(resource_id: str) -> _Workload:
    """``path=123/api=apps/v1/<namespace>/Deployment/nginx`` → namespace, kind, name (the first object
    of a combined id such as ``…/RoleBinding/x/path=…/api=…/ClusterRole/y``)."""
    _, marker, rest = resource_id.partition("api=")
    if not marker:
        return _Workload(None, None, None)
    parts = rest.split("/path=", 1)[0].split("/")
    if len(parts) < 3:
        return _Workload(None, None, None)
    return _Workload(namespace=text(parts[-3]), kind=text(parts[-2]), name=text(parts[-1]))


def _status(control: dict[str, Any]) -> str | None:
    status = mapping(control.get("status"))
    word = text(status.get("status")) if status else text(control.get("status"))
    if word:
        return word.lower()
    rules = [text(mapping(rule).get("status")) for rule in as_list(control.get("rules"))]
    if "failed" in rules:
        return "failed"
    if rules and all(rule == "passed" for rule in rules):
        return "passed"
    return None


def _paths(control: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(evidence lines, fix lines) from the rules' failed/review/delete and fix paths."""
    evidence: list[str] = []
    fixes: list[str] = []
    for rule in as_list(control.get("rules")):
        for path in as_list(mapping(rule).get("paths")):
            path = mapping(path)
            for key, label in (("failedPath", "failed"), ("reviewPath", "review"), ("deletePath", "delete")):
                if value := text(path.get(key)):
                    evidence.append(f"{label}: {value}")
            fix = mapping(path.get("fixPath"))
            if where := text(fix.get("path")):
                fixes.append(f"set {where} = {text(fix.get('value')) or '…'}")
        if command := text(mapping(rule).get("fixCommand")):
            fixes.append(command)
    return unique(evidence), unique(fixes)


def findings(result: dict[str, Any], summary: Summary, position: str) -> Iterator[CanonicalFinding]:
    resource_id = text(result.get("resourceID"))
    if resource_id is None:
        raise RecordError(TOOL, f"{position} has no resourceID")
    workload = _workload(resource_id)
    for control in as_list(result.get("controls")):
        control = mapping(control)
        control_id = text(control.get("controlID"))
        check = _RESULTS.get(_status(control) or "")
        if control_id is None or check is None:
            continue  # skipped or excluded: not a result of this control on this resource
        details = summary.controls.get(control_id, {})
        evidence, fixes = _paths(control)
        score_factor = details.get("scoreFactor")
        category = text(mapping(details.get("category")).get("name"))
        yield build_finding(
            TOOL, f"{position} {control_id}",
            rule_id=control_id,
            title=text(control.get("name")) or text(details.get("name")) or control_id,
            description=join_text(text(control.get("name")),
                                  f"Category: {category}" if category else None,
                                  separator="\n"),
            severity=control_severity(score_factor),
            tool_severity=f"scoreFactor {score_factor:g}" if isinstance(score_factor, int | float) else None,
            result=check,
            category=FindingCategory.MISCONFIGURATION,
            resource=Resource(type=f"kubernetes_{(workload.kind or 'resource').lower()}",
                              id=workload.label or resource_id, name=workload.name, region=workload.namespace,
                              account=summary.cluster, provider="kubernetes"),
            evidence=join_text(f"Resource: {resource_id}", *evidence, separator="\n"),
            remediation="\n".join(fixes) or None,
            references=[CONTROL_DOCS.format(id=control_id.lower())],
            compliance_tags=compliance({"kubescape": [control_id]},
                                       {name: [control_id] for name in summary.frameworks.get(control_id, [])}),
            identity=identity(control=control_id, resource=resource_id, cluster=summary.cluster),
            scope=scan_scope("cluster", summary.cluster),
        )

"""One Trivy result item (vulnerability, misconfiguration, secret, license) → one finding.

``Context`` carries what the enclosing objects say about where the item was found: the
artifact (``ArtifactName``/``ArtifactType``), the result (``Target``/``Class``/``Type``) and,
for ``trivy k8s`` reports, the cluster and workload (``Namespace``/``Kind``/``Name``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
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

TOOL = "trivy"
_CVSS_PREFERENCE = ("nvd", "ghsa", "redhat")
_FILE_ARTIFACTS = {"filesystem", "repository", "rootfs"}
# A VEX statement applied by Trivy (--vex) that the package is not affected. Not "fixed": Trivy
# writes that for every vulnerability with a FixedVersion (a fix exists; the installed version
# is still vulnerable), so it stays a failure.
_NOT_AFFECTED_STATUSES = {"not_affected"}
# Old Trivy listed packages without an advisory as vulnerabilities: only these fields, no VulnerabilityID.
_PACKAGE_STUB_KEYS = {"PkgName", "PkgID", "PkgPath", "PkgIdentifier", "InstalledVersion", "Layer"}


@dataclass
class Context:
    artifact: str | None = None
    artifact_type: str | None = None
    cluster: str | None = None
    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    target: str | None = None
    result_class: str | None = None
    result_type: str | None = None

    @property
    def workload(self) -> str | None:
        if not (self.kind or self.name):
            return None
        return "/".join(part for part in (self.namespace, self.kind, self.name) if part)

    def resource(self, *, provider: str | None = None, detail: str | None = None) -> Resource:
        """Where the item was found: the workload, the image, or the file."""
        target = self.target or ""
        if self.workload:
            return Resource(type=f"kubernetes_{(self.kind or 'resource').lower()}",
                            id="/".join(part for part in (self.cluster, self.workload) if part),
                            name=self.name, region=self.namespace, account=self.cluster, provider="kubernetes")
        if self.artifact_type in _FILE_ARTIFACTS and self.artifact:
            path = target if target.startswith("/") or "://" in target else posixpath.join(self.artifact, target)
            if "://" not in path:
                path = posixpath.normpath(path)
            return Resource(type="file", id=path, name=detail or target or None, provider=provider)
        if self.artifact:
            return Resource(type=self.artifact_type or "artifact", id=self.artifact, name=target or None,
                            provider=provider)
        return Resource(type="artifact", id=target or "unknown", name=detail, provider=provider)

    def scan_scope(self) -> str | None:
        """What was scanned: the cluster, else the artifact (legacy lists name none)."""
        if self.cluster:
            return f"cluster:{self.cluster}"
        return f"{self.artifact_type or 'artifact'}:{self.artifact}" if self.artifact else None

    def identity_scope(self) -> dict[str, object]:
        return {"target": self.target, "artifact": self.artifact, "workload": self.workload,
                "cluster": self.cluster}


def _severity(value: object) -> Severity:
    return Severity.from_tool(value, default=Severity.INFO)


def _cvss(item: dict[str, Any]) -> tuple[float | None, str | None]:
    sources = mapping(item.get("CVSS"))
    preferred = [text(item.get("SeveritySource")), *_CVSS_PREFERENCE, *sorted(sources)]
    for version in ("V3", "V40", "V2"):
        for source in preferred:
            entry = sources.get(source) if source else None
            if isinstance(entry, dict):
                score = cvss(entry.get(f"{version}Score"))
                if score is not None:
                    return score, text(entry.get(f"{version}Vector"))
    return None, None


def _layer(item: dict[str, Any]) -> str | None:
    layer = mapping(item.get("Layer"))
    digest = text(layer.get("Digest")) or text(layer.get("DiffID"))
    return f"Layer: {digest}" if digest else None


def vulnerability(item: dict[str, Any], ctx: Context, position: str) -> CanonicalFinding | None:
    vuln_id = text(item.get("VulnerabilityID"))
    package_name = text(item.get("PkgName"))
    if vuln_id is None and item.keys() <= _PACKAGE_STUB_KEYS:
        return None  # old Trivy wrote package stubs without an advisory: nothing identifies an issue
    if vuln_id is None:
        raise RecordError(TOOL, f"{position} has no VulnerabilityID")
    if package_name is None:
        raise RecordError(TOOL, f"{position} ({vuln_id}) has no PkgName")
    version = text(item.get("InstalledVersion"))
    fixed = text(item.get("FixedVersion"))
    score, vector = _cvss(item)
    pkg_identifier = mapping(item.get("PkgIdentifier"))
    status = text(item.get("Status"))
    pkg_path = text(item.get("PkgPath"))
    cwes = cwe_ids(item.get("CweIDs"))
    return build_finding(
        TOOL, position,
        rule_id=vuln_id,
        title=join_text(f"{vuln_id} in {package_name} {version or ''}".strip(), text(item.get("Title")),
                        separator=": "),
        description=text(item.get("Description")),
        severity=_severity(item.get("Severity")),
        tool_severity=text(item.get("Severity")),
        result=CheckResult.PASS if (status or "").lower() in _NOT_AFFECTED_STATUSES else CheckResult.FAIL,
        category=FindingCategory.VULNERABILITY,
        resource=ctx.resource(detail=pkg_path),
        cve_ids=cve_ids(vuln_id, item.get("VendorIDs")),
        cwe_ids=cwes,
        package=PackageRef(name=package_name, version=version, fixed_version=fixed, ecosystem=ctx.result_type,
                           purl=text(pkg_identifier.get("PURL")), path=pkg_path),
        cvss_score=score,
        cvss_vector=vector,
        evidence=join_text(f"Target: {ctx.target}" if ctx.target else None,
                           f"Status: {status}" if status else None, _layer(item), separator="\n"),
        remediation=f"Upgrade {package_name} to {fixed}." if fixed else None,
        references=unique([item.get("PrimaryURL"), *as_list(item.get("References"))]),
        compliance_tags=compliance({"CWE": cwes}),
        identity=identity(vuln=vuln_id, package=package_name, version=version, pkg_path=pkg_path,
                          **ctx.identity_scope()),
        scope=ctx.scan_scope(),
    )


def _cause_lines(cause: dict[str, Any]) -> str | None:
    code = mapping(cause.get("Code"))
    lines = [line for line in as_list(code.get("Lines")) if isinstance(line, dict) and line.get("IsCause")]
    rendered = [f"{line.get('Number')}: {line.get('Content', '')}" for line in lines]
    return "\n".join(rendered) if rendered else None


def misconfiguration(item: dict[str, Any], ctx: Context, position: str) -> CanonicalFinding | None:
    status = (text(item.get("Status")) or "FAIL").upper()
    if status == "EXCEPTION":
        return None  # excepted by the user's own Trivy policy: not a result
    result = CheckResult.PASS if status == "PASS" else CheckResult.FAIL
    check_id = text(item.get("AVDID")) or text(item.get("ID"))
    if check_id is None:
        raise RecordError(TOOL, f"{position} has no AVDID or ID")
    cause = mapping(item.get("CauseMetadata"))
    cause_resource = text(cause.get("Resource"))
    start, end = cause.get("StartLine"), cause.get("EndLine")
    lines = f"{start}-{end}" if start else None
    provider = text(cause.get("Provider"))
    message = text(item.get("Message"))
    tags = {"AVD": [check_id] if check_id.startswith("AVD-") else [], "trivy": [text(item.get("ID"))]}
    return build_finding(
        TOOL, position,
        rule_id=check_id,
        title=text(item.get("Title")) or check_id,
        description=text(item.get("Description")),
        severity=_severity(item.get("Severity")),
        tool_severity=text(item.get("Severity")),
        result=result,
        category=FindingCategory.MISCONFIGURATION,
        resource=ctx.resource(provider=provider.lower() if provider else None, detail=cause_resource),
        evidence=join_text(message,
                           f"{ctx.target}:{lines}" + (f" ({cause_resource})" if cause_resource else "")
                           if lines and ctx.target else None,
                           _cause_lines(cause), separator="\n"),
        remediation=text(item.get("Resolution")),
        references=unique([item.get("PrimaryURL"), *as_list(item.get("References"))]),
        compliance_tags=compliance(tags),
        identity=identity(check=check_id, cause=cause_resource or message or (f"lines {lines}" if lines else None),
                          **ctx.identity_scope()),
        scope=ctx.scan_scope(),
    )


def secret(item: dict[str, Any], ctx: Context, position: str) -> CanonicalFinding | None:
    rule_id = text(item.get("RuleID"))
    if rule_id is None:
        raise RecordError(TOOL, f"{position} has no RuleID")
    match = text(item.get("Match"))  # Trivy redacts the secret itself (*****)
    start, end = item.get("StartLine"), item.get("EndLine")
    location = f"{ctx.target}:{start}" if ctx.target and start else ctx.target
    return build_finding(
        TOOL, position,
        rule_id=rule_id,
        title=f"Secret: {text(item.get('Title')) or rule_id}" + (f" in {ctx.target}" if ctx.target else ""),
        description=join_text(text(item.get("Title")), f"Category: {c}" if (c := text(item.get("Category"))) else None,
                              separator="\n"),
        severity=_severity(item.get("Severity")),
        tool_severity=text(item.get("Severity")),
        category=FindingCategory.SECRET,
        resource=ctx.resource(detail=location),
        evidence=join_text(location, match, _layer(item), separator="\n"),
        remediation="Remove the secret from the source and its history, and rotate it.",
        identity=identity(rule=rule_id, match=match, lines=None if match else f"{start}-{end}",
                          **ctx.identity_scope()),
        scope=ctx.scan_scope(),
    )


def license_finding(item: dict[str, Any], ctx: Context, position: str) -> CanonicalFinding | None:
    name = text(item.get("Name"))
    if name is None:
        raise RecordError(TOOL, f"{position} has no Name")
    package = text(item.get("PkgName"))
    file_path = text(item.get("FilePath"))
    category = text(item.get("Category"))
    where = package or file_path or ctx.target
    return build_finding(
        TOOL, position,
        rule_id=name,
        title=f"License {name}" + (f" ({category})" if category else "") + (f" in {where}" if where else ""),
        description=join_text(f"License: {name}", f"Category: {category}" if category else None,
                              f"Package: {package}" if package else None, f"File: {file_path}" if file_path else None,
                              separator="\n"),
        severity=_severity(item.get("Severity")),
        tool_severity=text(item.get("Severity")),
        category=FindingCategory.LICENSE,
        resource=ctx.resource(detail=file_path),
        package=PackageRef(name=package, path=file_path) if package else None,
        evidence=f"Confidence: {item.get('Confidence')}" if item.get("Confidence") is not None else None,
        references=unique([item.get("Link")]),
        identity=identity(license=name, package=package, file=file_path, **ctx.identity_scope()),
        scope=ctx.scan_scope(),
    )


def convert(kind: str, item: object, ctx: Context, index: int) -> CanonicalFinding | None:
    """The finding of the report's item ``index`` (of a result's ``kind`` list); None when Trivy's rules say
    it is none (a package stub, an exception), RecordError when it cannot be one."""
    position = f"{_LABELS[kind]} #{index}"
    if not isinstance(item, dict):
        raise RecordError(TOOL, f"{position} is not a JSON object")
    return ITEM_KINDS[kind](item, ctx, position)


ITEM_KINDS = {
    "Vulnerabilities": vulnerability,
    "Misconfigurations": misconfiguration,
    "Secrets": secret,
    "Licenses": license_finding,
}
_LABELS = {"Vulnerabilities": "vulnerability", "Misconfigurations": "misconfiguration", "Secrets": "secret",
           "Licenses": "license"}

"""One testssl.sh check (from JSON or a CSV row) → a finding, whatever the output format."""

from __future__ import annotations

from collections.abc import Mapping

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, Resource, Severity
from cspm.scanners.base import RecordError, ReportFormatError
from cspm.scanners.normalize import build_finding, compliance, cve_ids, cwe_ids, identity, join_text, scan_scope, text

TOOL = "testssl"
_FAILING = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH, "CRITICAL": Severity.CRITICAL}
_NOT_FINDINGS = {"INFO", "DEBUG"}


def _endpoint(target: str | None, port: str | None, position: str) -> tuple[str, str | None]:
    """``www.example.org/93.184.216.34`` + ``443`` → (``www.example.org:443``, ``93.184.216.34``)."""
    host, _, ip = (target or "").partition("/")
    name = text(host) or text(ip)
    if name is None:
        raise RecordError(TOOL, f"{position} names no target host")
    shown = f"[{name}]" if ":" in name else name
    return (f"{shown}:{port}" if port else shown), text(ip)


def to_finding(check: object, position: str) -> CanonicalFinding | None:
    """None for facts (INFO/DEBUG); RecordError for a check that cannot be a finding; ReportFormatError
    (the whole report) for a target testssl.sh could not scan."""
    if not isinstance(check, Mapping):
        raise RecordError(TOOL, f"{position} is not a JSON object")
    check_id = text(check.get("id"))
    word = (text(check.get("severity")) or "").upper()
    if check_id is None or not word:
        raise RecordError(TOOL, f"{position} has no id or severity")
    if word in _NOT_FINDINGS:
        return None
    endpoint, ip = _endpoint(text(check.get("ip")) or text(check.get("fqdn/ip")), text(check.get("port")), position)
    finding = text(check.get("finding"))
    if word == "FATAL":
        raise ReportFormatError(TOOL, f"testssl.sh could not scan {endpoint} ({check_id}: {finding or 'fatal'}); "
                                      "importing it would resolve that target's findings as if it had been scanned")
    if word == "OK":
        result, severity = CheckResult.PASS, Severity.INFO
    elif word == "WARN":
        result, severity = CheckResult.MANUAL, Severity.INFO
    elif word in _FAILING:
        result, severity = CheckResult.FAIL, _FAILING[word]
    else:
        raise RecordError(TOOL, f"{position}: unknown testssl.sh severity {word!r}")
    cwes = cwe_ids(str(check.get("cwe") or "").split())
    return build_finding(
        TOOL, position,
        rule_id=check_id,
        title=f"{check_id}: {finding}" if finding else check_id,
        description=join_text(f"testssl.sh check {check_id} on {endpoint}", finding, separator=": "),
        severity=severity,
        tool_severity=word,
        result=result,
        category=FindingCategory.TLS,
        resource=Resource(type="host_port", id=endpoint, name=ip if ip and not endpoint.startswith(f"{ip}:") else None),
        cve_ids=cve_ids(str(check.get("cve") or "").split()),
        cwe_ids=cwes,
        evidence=finding,
        remediation=text(check.get("hint")),
        compliance_tags=compliance({"CWE": cwes}),
        identity=identity(target=endpoint, ip=ip, check=check_id),
        scope=scan_scope("server", endpoint),
    )

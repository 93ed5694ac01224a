"""What Prowler's OCSF JSON and CSV outputs share: statuses, severities, identity, the finding."""

from __future__ import annotations

from dataclasses import dataclass, field

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, Resource, Severity
from cspm.scanners.base import RecordError
from cspm.scanners.normalize import build_finding, identity, join_text, scan_scope, text, unique

TOOL = "prowler"

_RESULTS = {"FAIL": CheckResult.FAIL, "PASS": CheckResult.PASS, "MANUAL": CheckResult.MANUAL}
# OCSF severity names (SeverityID) besides the common words Severity.from_tool knows.
_SEVERITIES = {"fatal": Severity.CRITICAL, "other": Severity.INFO}


def check_result(status: object, position: str) -> CheckResult:
    value = (text(status) or "").upper()
    result = _RESULTS.get(value)
    if result is None:
        raise RecordError(TOOL, f"{position}: unknown check status {status!r} (expected PASS, FAIL or MANUAL)")
    return result


def severity(value: object) -> Severity:
    word = (text(value) or "").lower()
    return _SEVERITIES.get(word) or Severity.from_tool(word, default=Severity.INFO)


@dataclass
class ProwlerRow:
    """One Prowler result, whichever output it came from."""

    check_id: str | None
    title: str | None
    status: object
    severity: object
    status_detail: str | None
    description: str | None
    risk: str | None
    provider: str | None
    account: str | None
    region: str | None
    resource_uid: str | None
    resource_name: str | None
    resource_type: str | None
    remediation: str | None
    references: list[str] = field(default_factory=list)
    compliance: dict[str, list[str]] = field(default_factory=dict)
    muted: bool = False


def to_finding(row: ProwlerRow, position: str) -> CanonicalFinding:
    check_id = text(row.check_id)
    if check_id is None:
        raise RecordError(TOOL, f"{position}: the check id is missing")
    resource_id = text(row.resource_uid) or text(row.resource_name) or text(row.account)
    if resource_id is None:
        raise RecordError(TOOL, f"{position}: the result names no resource (uid, name or account)")
    result = check_result(row.status, position)
    evidence = row.status_detail
    if row.muted:
        evidence = join_text(evidence, "Muted in Prowler (mutelist).", separator="\n")
    return build_finding(
        TOOL, position,
        rule_id=check_id,
        title=text(row.title) or check_id,
        description=join_text(row.description, row.risk and f"Risk: {row.risk}"),
        severity=severity(row.severity),
        tool_severity=text(row.severity),
        result=result,
        category=FindingCategory.CLOUD,
        resource=Resource(type=text(row.resource_type) or "Other", id=resource_id, name=text(row.resource_name),
                          region=text(row.region), account=text(row.account), provider=text(row.provider)),
        evidence=evidence,
        remediation=text(row.remediation),
        references=unique(row.references),
        compliance_tags=row.compliance,
        identity=identity(check=check_id, resource=resource_id, region=row.region, account=row.account),
        scope=scan_scope(row.provider, row.account, row.region) if text(row.account) else None,
    )

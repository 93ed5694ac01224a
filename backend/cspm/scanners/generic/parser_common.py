"""One generic finding record (already a dict, from JSON or from a CSV row) → a finding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, PackageRef, Resource, Severity
from cspm.scanners.base import RecordError, ReportFormatError
from cspm.scanners.normalize import as_list, build_finding, cve_ids, cwe_ids, identity, text, unique

TOOL = "generic"
DEFAULT_SCANNER = "generic"
MAX_SCANNER_NAME = 100

FINDING_KEYS = {
    "rule_id", "title", "severity", "resource", "result", "category", "description", "evidence", "remediation",
    "cve_ids", "cwe_ids", "references", "package", "cvss_score", "cvss_vector", "epss_score", "compliance_tags",
    "identity",
}
REQUIRED_KEYS = ("rule_id", "title", "severity", "resource")
RESOURCE_KEYS = {"type", "id", "name", "region", "account", "provider"}
PACKAGE_KEYS = {"name", "version", "fixed_version", "ecosystem", "purl", "path"}


def scanner_name(value: object) -> str:
    name = text(value)
    if name is None:
        return DEFAULT_SCANNER
    if len(name) > MAX_SCANNER_NAME:
        raise ReportFormatError(TOOL, f"scanner name longer than {MAX_SCANNER_NAME} characters")
    return name


def to_finding(record: Mapping[str, Any], scanner: str, position: str) -> CanonicalFinding:
    unknown = sorted(set(record) - FINDING_KEYS)
    if unknown:
        raise RecordError(TOOL, f"{position}: unknown field(s) {', '.join(unknown)} "
                                      f"(see docs/generic-format.md for the accepted fields)")
    missing = [key for key in REQUIRED_KEYS if record.get(key) in (None, "", {})]
    if missing:
        raise RecordError(TOOL, f"{position}: missing required field(s) {', '.join(missing)}")
    rule_id, title = text(record["rule_id"]), text(record["title"])
    if rule_id is None or title is None:
        raise RecordError(TOOL, f"{position}: rule_id and title must be non-empty")
    resource = _resource(record["resource"], position)
    package = _package(record.get("package"), position)
    severity = _severity(record["severity"], position)
    result = _enum(CheckResult, record.get("result"), CheckResult.FAIL, "result", position)
    category = _enum(FindingCategory, record.get("category"), FindingCategory.OTHER, "category", position)
    tags = record.get("compliance_tags") or {}
    if not isinstance(tags, Mapping):
        raise RecordError(TOOL, f"{position}: compliance_tags must be an object of framework → ids")
    given_identity = record.get("identity")
    if given_identity is not None and (not isinstance(given_identity, Mapping) or not given_identity):
        raise RecordError(TOOL, f"{position}: identity must be a non-empty object of field → value")
    if given_identity:
        finding_identity = {**{str(k): str(v) for k, v in given_identity.items() if v is not None},
                            "scanner": scanner}
    else:
        finding_identity = identity(scanner=scanner, rule_id=rule_id, resource_type=resource.type,
                                    resource_id=resource.id, package=package.name if package else None,
                                    package_version=package.version if package else None)
    return build_finding(
        TOOL, position,
        rule_id=rule_id,
        title=title,
        description=text(record.get("description")),
        severity=severity,
        tool_severity=text(record["severity"]),
        result=result,
        category=category,
        resource=resource,
        cve_ids=_checked_ids(record.get("cve_ids"), cve_ids, "cve_ids", "CVE-2024-12345", position),
        cwe_ids=_checked_ids(record.get("cwe_ids"), cwe_ids, "cwe_ids", "CWE-79 or 79", position),
        package=package,
        cvss_score=record.get("cvss_score") if record.get("cvss_score") not in ("", None) else None,
        cvss_vector=text(record.get("cvss_vector")),
        epss_score=record.get("epss_score") if record.get("epss_score") not in ("", None) else None,
        evidence=text(record.get("evidence")),
        remediation=text(record.get("remediation")),
        references=unique(as_list(record.get("references"))),
        compliance_tags={str(k): unique(as_list(v)) for k, v in tags.items() if unique(as_list(v))},
        identity=finding_identity,
    )


def _checked_ids(values: object, extract: Callable[[object], list[str]], name: str, example: str,
                 position: str) -> list[str]:
    result: list[str] = []
    for value in as_list(values):
        found = extract(value)
        if len(found) != 1:
            raise RecordError(TOOL, f"{position}: {name} entry {value!r} is not an id like {example}")
        result.extend(found)
    return unique(result)


def _severity(value: object, position: str) -> Severity:
    try:
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return Severity.from_cvss(float(value))
        return Severity.from_tool(value)
    except (ValueError, TypeError):
        raise RecordError(TOOL, f"{position}: severity {value!r} is not critical, high, medium, low, info "
                                      "or a CVSS score") from None


def _enum[E: (CheckResult, FindingCategory)](kind: type[E], value: object, default: E, name: str,
                                            position: str) -> E:
    raw = text(value)
    if raw is None:
        return default
    try:
        return kind(raw.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RecordError(TOOL, f"{position}: {name} {raw!r} is not one of {allowed}") from None


def _resource(value: object, position: str) -> Resource:
    if not isinstance(value, Mapping):
        raise RecordError(TOOL, f"{position}: resource must be an object with at least an id")
    unknown = sorted(set(value) - RESOURCE_KEYS)
    if unknown:
        raise RecordError(TOOL, f"{position}: unknown resource field(s) {', '.join(unknown)}")
    resource_id = text(value.get("id"))
    if resource_id is None:
        raise RecordError(TOOL, f"{position}: resource.id is required")
    return Resource(type=text(value.get("type")) or "asset", id=resource_id, name=text(value.get("name")),
                    region=text(value.get("region")), account=text(value.get("account")),
                    provider=text(value.get("provider")))


def _package(value: object, position: str) -> PackageRef | None:
    if value in (None, {}):
        return None
    if not isinstance(value, Mapping):
        raise RecordError(TOOL, f"{position}: package must be an object")
    unknown = sorted(set(value) - PACKAGE_KEYS)
    if unknown:
        raise RecordError(TOOL, f"{position}: unknown package field(s) {', '.join(unknown)}")
    name = text(value.get("name"))
    if name is None:
        if any(text(v) for v in value.values()):
            raise RecordError(TOOL, f"{position}: package.name is required when a package is given")
        return None
    return PackageRef(name=name, **{key: text(value.get(key)) for key in PACKAGE_KEYS - {"name"}})

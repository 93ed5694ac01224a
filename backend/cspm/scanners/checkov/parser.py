"""Checkov JSON reports (``checkov -o json``): one finding per failed or passed check.

Shapes accepted, streamed check by check:

- one framework: ``{"check_type": "terraform", "results": {"passed_checks": [...],
  "failed_checks": [...], "skipped_checks": [...], "parsing_errors": [...]}, "summary": {...}}``;
- several frameworks: a JSON list of such objects;
- nothing to scan: Checkov 2 writes only the summary (``{"passed": 0, "failed": 0, ...,
  "checkov_version": "2.1.269"}``), which yields no findings.

Failed checks are ``result=fail``, passed checks ``result=pass`` (compliance evidence).
Skipped checks (suppressed by the user with a ``checkov:skip`` comment) are not findings.

Identity (hashed into ``dedup_key``): ``check`` (check_id) + ``file`` (file_path as Checkov
prints it, relative to the scanned root) + ``resource`` (e.g. ``aws_s3_bucket.data``) and,
for SCA results, ``vuln`` (the advisory id) + ``package`` + ``version``.

Mapping: ``severity`` when Checkov gives one (it does with a Prisma/Bridgecrew API key),
otherwise medium (the parser's documented default; ``tool_severity`` stays empty); category
``misconfiguration`` (``secret`` for check_type secrets, ``vulnerability`` for SCA); resource
``<check_type>_resource`` with id ``file:resource``; evidence = file, line range and the
code block; references = guideline; ``compliance_tags`` = ``checkov`` (check id),
``bridgecrew`` (bc_check_id) and Checkov's ``benchmarks`` (e.g. ``CIS GCP V1.1: 5.2``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, PackageRef, Resource, Severity
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.normalize import (
    as_list,
    build_finding,
    compliance,
    cve_ids,
    cvss,
    identity,
    join_text,
    mapping,
    text,
    unique,
)
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import JsonEvents, PeekedReport, open_report

TOOL = "checkov"
DEFAULT_SEVERITY = Severity.MEDIUM
_LISTS = {"failed_checks": CheckResult.FAIL, "passed_checks": CheckResult.PASS}
_REPORT_KEYS = {"check_type", "results", "summary", "checkov_version", "passed", "failed", "url"}
_CHECK = re.compile(r"^(item\.)?results\.(failed_checks|passed_checks|skipped_checks)\.item$")
_CATEGORIES = {"secrets": FindingCategory.SECRET, "sca_package": FindingCategory.VULNERABILITY,
               "sca_image": FindingCategory.VULNERABILITY}
_CODE_LINES = 30


class CheckovParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        stream = open_report(self.tool, report)
        if stream.first_char() not in ("{", "["):
            raise ReportFormatError(self.tool, f"not a Checkov JSON report: {what_is_it(stream.head)}")
        return _findings(stream)


def _findings(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    events = JsonEvents(TOOL, stream)
    check_type: str | None = None
    keys: set[str] = set()
    reports = 0
    count = 0
    for prefix, event, value in events:
        if prefix == "" and event == "start_array":
            continue
        if prefix in ("", "item") and event == "start_map":
            check_type = None
            reports += 1
            continue
        if prefix in ("", "item") and event == "map_key":
            keys.add(value)
            continue
        if prefix in ("", "item") and event not in ("end_map", "end_array"):
            raise ReportFormatError(TOOL, "not a Checkov JSON report: expected an object per framework")
        if prefix in ("check_type", "item.check_type") and event == "string":
            check_type = text(value)
            continue
        match = _CHECK.match(prefix)
        if match and event == "start_map":
            check = events.build(event, value)
            count += 1
            if match.group(2) == "skipped_checks":
                continue
            yield from findings_or_skip(count, _finding, check, check_type, _LISTS[match.group(2)], f"check #{count}")
    if reports and not keys & _REPORT_KEYS:
        raise ReportFormatError(TOOL, "not a Checkov JSON report: no check_type, results or summary; "
                                      + what_is_it(stream.head))


def _finding(check: dict[str, Any], check_type: str | None, result: CheckResult, position: str
             ) -> CanonicalFinding:
    check_id = text(check.get("check_id"))
    if check_id is None:
        raise RecordError(TOOL, f"{position} has no check_id")
    file_path = text(check.get("file_path")) or text(check.get("repo_file_path")) or text(check.get("file_abs_path"))
    resource_name = text(check.get("resource"))
    vulnerability = mapping(check.get("vulnerability_details"))
    severity_word = text(check.get("severity")) or text(vulnerability.get("severity"))
    severity = Severity.from_tool(severity_word, default=DEFAULT_SEVERITY) if severity_word else DEFAULT_SEVERITY
    lines = [n for n in as_list(check.get("file_line_range")) if isinstance(n, int)]
    line_range = f"{lines[0]}-{lines[-1]}" if lines else None
    vuln_id = text(vulnerability.get("id"))
    package_name = text(vulnerability.get("package_name"))
    package_version = text(vulnerability.get("package_version"))
    fixed = text(vulnerability.get("fixed_version")) or ", ".join(unique(as_list(vulnerability.get("fixed_versions"))))
    benchmarks = mapping(check.get("benchmarks"))
    tags = {"checkov": [check_id], "bridgecrew": [check.get("bc_check_id")]}
    for benchmark, requirements in benchmarks.items():
        tags[benchmark] = [r.get("name") if isinstance(r, dict) else r for r in as_list(requirements)]
    kind = (check_type or "iac").lower()
    return build_finding(
        TOOL, position,
        rule_id=check_id,
        title=text(check.get("check_name")) or check_id,
        description=text(check.get("description")) or text(check.get("short_description"))
        or text(vulnerability.get("description")),
        severity=severity,
        tool_severity=severity_word,
        result=result,
        category=_CATEGORIES.get(kind, FindingCategory.MISCONFIGURATION),
        resource=Resource(type=f"{kind}_resource", id=":".join(p for p in (file_path, resource_name) if p) or check_id,
                          name=resource_name),
        cve_ids=cve_ids(vuln_id),
        package=PackageRef(name=package_name, version=package_version, fixed_version=fixed or None)
        if package_name else None,
        cvss_score=cvss(vulnerability.get("cvss")),
        cvss_vector=text(vulnerability.get("vector")),
        evidence=join_text(f"{file_path}:{line_range}" if file_path and line_range else file_path,
                           _code(check.get("code_block")), separator="\n"),
        references=unique([check.get("guideline"), vulnerability.get("link")]),
        compliance_tags=compliance(tags),
        identity=identity(check=check_id, file=file_path, resource=resource_name, vuln=vuln_id,
                          package=package_name, version=package_version),
    )


def _code(block: object) -> str | None:
    lines = [entry for entry in as_list(block) if isinstance(entry, list) and len(entry) == 2]
    rendered = [f"{number}: {str(code).rstrip()}" for number, code in lines[:_CODE_LINES]]
    if len(lines) > _CODE_LINES:
        rendered.append(f"… {len(lines) - _CODE_LINES} more lines")
    return "\n".join(rendered) or None

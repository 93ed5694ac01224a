"""The documented generic format: JSON and CSV, defaults, identity, strict validation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from tests.scanners.helpers import parse_bytes

DOCS = Path(__file__).resolve().parents[3] / "docs" / "generic-format.md"

RECORD = {
    "rule_id": "ACME-001", "title": "Admin panel reachable", "severity": "high",
    "resource": {"type": "url", "id": "https://app.example.com/admin"},
}


def _json(*findings: dict, **top: object) -> bytes:
    return json.dumps({**top, "findings": list(findings)}).encode()


def test_documented_examples_parse() -> None:
    """The JSON and CSV examples in docs/generic-format.md are valid reports."""
    text = DOCS.read_text()
    json_example = re.search(r"```json\n(.*?)```", text, re.S)
    csv_example = re.search(r"```csv\n(.*?)```", text, re.S)
    assert json_example and csv_example
    from_json = parse_bytes("generic", json_example.group(1).encode())
    assert [f.rule_id for f in from_json] == ["ACME-001", "ACME-VULN"]
    vuln = from_json[1]
    assert vuln.severity is Severity.HIGH and vuln.category is FindingCategory.VULNERABILITY
    assert vuln.package is not None and vuln.package.fixed_version == "3.0.7" and vuln.epss_score == 0.02
    from_csv = parse_bytes("generic", csv_example.group(1).encode())
    assert [f.rule_id for f in from_csv] == ["ACME-001", "ACME-002"]
    assert from_csv[1].cwe_ids == ["CWE-548", "CWE-200"]
    # the same finding through JSON and CSV has the same key
    assert from_json[0].dedup_key == from_csv[0].dedup_key


def test_defaults_and_identity() -> None:
    finding = parse_bytes("generic", _json(RECORD))[0]
    assert finding.source_tool == "generic" and finding.result is CheckResult.FAIL
    assert finding.category is FindingCategory.OTHER
    assert finding.identity == {"scanner": "generic", "rule_id": "ACME-001", "resource_type": "url",
                                "resource_id": "https://app.example.com/admin"}
    named = parse_bytes("generic", _json(RECORD, scanner="acme"))[0]
    assert named.identity["scanner"] == "acme" and named.dedup_key != finding.dedup_key
    explicit = parse_bytes("generic", _json({**RECORD, "identity": {"rule": "ACME-001", "path": "/admin"}}))[0]
    assert explicit.identity == {"rule": "ACME-001", "path": "/admin", "scanner": "generic"}


def test_empty_findings_list_is_valid() -> None:
    assert parse_bytes("generic", b'{"scanner": "acme", "findings": []}') == []
    assert parse_bytes("generic", b"rule_id,title,severity,resource_id\n") == []


@pytest.mark.parametrize(("bad", "message"), [
    ({**RECORD, "colour": "red"}, "finding #1: unknown field(s) colour"),
    ({k: v for k, v in RECORD.items() if k != "title"}, "finding #1: missing required field(s) title"),
    ({**RECORD, "severity": "severe"}, "severity 'severe' is not critical"),
    ({**RECORD, "result": "ok"}, "result 'ok' is not one of fail, pass, manual"),
    ({**RECORD, "cvss_score": 11}, "field 'cvss_score' is invalid"),
    ({**RECORD, "cve_ids": ["CVE-1"]}, "cve_ids entry 'CVE-1' is not an id"),
    ({**RECORD, "resource": {"type": "url"}}, "resource.id is required"),
    ("not an object", "finding #1 is not a JSON object"),
])
def test_a_bad_record_is_skipped_naming_the_problem_and_the_rest_parse(bad: object, message: str) -> None:
    skipped, finding = parse_bytes("generic", json.dumps({"findings": [bad, RECORD]}).encode())
    assert isinstance(skipped, SkippedRecord) and skipped.index == 1 and message in skipped.reason
    assert finding.rule_id == RECORD["rule_id"]


def test_a_bad_csv_row_is_skipped_with_its_line() -> None:
    skipped, finding = parse_bytes("generic", b"rule_id,title,severity,resource_id\nA,B,severe,r\nA,B,high,r\n")
    assert isinstance(skipped, SkippedRecord) and skipped.index == 2 and "severity 'severe'" in skipped.reason
    assert finding.severity is Severity.HIGH


@pytest.mark.parametrize(("data", "message"), [
    (_json(RECORD, tool="x"), "unknown top-level field 'tool'"),
    (_json(RECORD, version=2), "unsupported generic format version 2"),
    (json.dumps({"findings": [RECORD], "scanner": "late"}).encode(), "\"scanner\" must come before"),
    (b'{"scanner": "acme"}', "no \"findings\" array"),
    (b"rule_id,title,severity,colour\nA,B,high,red\n", "lacks required column(s) resource_id"),
    (b"rule_id,title,severity,resource_id,colour\nA,B,high,r,red\n", "unknown CSV column(s) colour"),
    (b"rule_id,title,severity,resource_id\nA,B,high\n", "CSV line 2 has fewer fields than the header"),
])
def test_bad_records_name_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(ReportFormatError, match=re.escape(message)):
        parse_bytes("generic", data)

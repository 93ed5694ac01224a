"""SARIF 2.1.0: real Semgrep, CodeQL, Trivy, Grype, Gitleaks and Flawfinder logs; rules, severities, CWE
tags, fingerprints, suppressions, driver names, and a report whose results come before their rules."""

from __future__ import annotations

import json

import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from tests.scanners.helpers import REPORTS, by_result, findings_and_skipped, only, parse, parse_bytes


def test_semgrep_security_severity_word_cwe_and_fingerprint() -> None:
    findings = parse("sarif", REPORTS / "sarif/issue_10191.json")
    first = only(findings, resource__id="Gruntfile.js:75")
    assert first.source_tool == "sarif"
    assert first.rule_id.endswith("javascript_pathtraversal_rule-non-literal-fs-filename")
    assert first.title == "Improper limitation of a pathname to a restricted directory ('Path Traversal')"
    assert first.severity is Severity.MEDIUM and first.tool_severity == "MEDIUM"  # properties.security-severity
    assert first.cwe_ids == ["CWE-22"] and first.compliance_tags == {"CWE": ["CWE-22"]}  # "CWE-22: …" tag
    assert first.resource.type == "file" and first.resource.name == "Gruntfile.js"
    assert first.evidence is not None and first.evidence.startswith("Reported by Semgrep OSS 1.69.0\n")
    assert first.remediation is None  # Semgrep's help repeats the full description
    assert first.identity["driver"] == "semgrep oss" and first.identity["file"] == "Gruntfile.js"
    assert first.identity["fingerprint"].startswith("matchBasedId/v1=e5aea7d0")
    assert "line" not in first.identity  # a fingerprint makes line numbers unnecessary


def test_codeql_levels_from_rule_defaults_and_external_cwe_tags() -> None:
    findings = parse("sarif", REPORTS / "sarif/codeQL-output.sarif")
    empty_except = only(findings, rule_id="py/empty-except", resource__id="good/db_init.py:39")
    assert empty_except.severity is Severity.INFO and empty_except.tool_severity == "note"  # defaultConfiguration
    assert empty_except.cwe_ids == ["CWE-390"]  # external/cwe/cwe-390
    assert empty_except.identity["fingerprint"] == ("primaryLocationLineHash=9cbc869fbfffeb60:1|"
                                                    "primaryLocationStartColumnFingerprint=0")
    assert {f.identity["driver"] for f in findings} == {"codeql"}


def test_trivy_numeric_security_severity_and_categories_from_tags() -> None:
    findings = parse("sarif", REPORTS / "sarif/trivy_0.76.0_fs.sarif")
    root_user = only(findings, rule_id="DS-0002")
    assert root_user.severity is Severity.HIGH and root_user.tool_severity == "8.0"
    assert root_user.category is FindingCategory.MISCONFIGURATION
    assert root_user.resource.id == "Dockerfile:2"
    assert root_user.references == ["https://avd.aquasec.com/misconfig/ds-0002"]
    assert root_user.identity == {"driver": "trivy", "rule": "DS-0002", "file": "Dockerfile", "line": "2"}
    secret = only(findings, rule_id="aws-access-key-id")
    assert secret.category is FindingCategory.SECRET and secret.severity is Severity.CRITICAL


def test_grype_rule_ids_carry_cves() -> None:
    findings = parse("sarif", REPORTS / "sarif/cxf-3.4.6.sarif")
    assert sum(f.category is FindingCategory.VULNERABILITY for f in findings) == sum(bool(f.cve_ids) for f in findings)
    geronimo = only(findings, rule_id="CVE-2008-0732-geronimo-j2ee-management_1.1_spec")
    assert geronimo.cve_ids == ["CVE-2008-0732"] and geronimo.severity is Severity.LOW


def test_accepted_suppressions_are_not_findings() -> None:
    """suppression_test.sarif: 5 results, 3 suppressed (accepted) in source or externally."""
    findings = parse("sarif", REPORTS / "sarif/suppression_test.sarif")
    assert sorted(f.rule_id for f in findings) == ["TST0004", "TST0005"]


def test_kind_pass_is_a_passing_result() -> None:
    findings = parse("sarif", REPORTS / "sarif/flawfinder.sarif")
    assert by_result(findings) == {"fail": 53, "pass": 1}
    assert only(findings, result=CheckResult.PASS).rule_id == "FF1013"


def test_results_before_their_tool_get_the_same_findings() -> None:
    document = json.loads((REPORTS / "sarif/trivy_0.76.0_fs.sarif").read_bytes())
    document["runs"] = [{"results": run["results"], **{k: v for k, v in run.items() if k != "results"}}
                        for run in document["runs"]]
    reordered = parse_bytes("sarif", json.dumps(document).encode())
    original = parse("sarif", REPORTS / "sarif/trivy_0.76.0_fs.sarif")
    assert [f.model_dump() for f in reordered] == [f.model_dump() for f in original]


def test_two_drivers_reporting_the_same_rule_on_the_same_file_stay_apart() -> None:
    result = {"ruleId": "R1", "message": {"text": "m"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 3}}}]}
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": name}}, "results": [result]}
                                        for name in ("Semgrep OSS", "CodeQL")]}
    first, second = parse_bytes("sarif", json.dumps(log).encode())
    assert first.severity is Severity.MEDIUM  # no level anywhere: SARIF's default "warning"
    assert first.dedup_key != second.dedup_key


@pytest.mark.parametrize(("log", "message"), [
    ({"$schema": "https://json.schemastore.org/sarif-2.0.0.json", "version": "2.0.0", "runs": []},
     "SARIF version '2.0.0' is not supported"),
    ({"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0"}, "no \"version\" and \"runs\""),
    ({"version": "2.1.0", "runs": {}}, "\"runs\" must be an array"),
])
def test_bad_logs_are_refused(log: dict[str, object], message: str) -> None:
    with pytest.raises(ReportFormatError, match=message):
        parse_bytes("sarif", json.dumps(log).encode())


def _codeql_with_two_bad_results(*, results_first: bool) -> bytes:
    """The real CodeQL log with result #2 replaced by a string and result #5 stripped of its rule and message."""
    document = json.loads((REPORTS / "sarif/codeQL-output.sarif").read_bytes())
    run = document["runs"][0]
    run["results"][1] = "py/empty-except"
    for key in ("ruleId", "ruleIndex", "rule", "message"):
        run["results"][4].pop(key, None)
    if results_first:
        document["runs"] = [{"results": run.pop("results"), **run}]
    return json.dumps(document).encode()


@pytest.mark.parametrize("results_first", [False, True])
def test_a_bad_result_is_skipped_and_the_rest_of_the_log_imports(results_first: bool) -> None:
    findings, skipped = findings_and_skipped("sarif", _codeql_with_two_bad_results(results_first=results_first))
    assert skipped == [SkippedRecord(2, "run #1 result #2 is not a JSON object"),
                       SkippedRecord(5, "run #1 result #5 has no ruleId and no message")]
    original = parse("sarif", REPORTS / "sarif/codeQL-output.sarif")
    assert [f.dedup_key for f in findings] == [f.dedup_key for i, f in enumerate(original) if i not in (1, 4)]


def test_a_result_without_rule_but_with_a_message_is_still_a_finding() -> None:
    """SARIF allows results without a rule (appendix K.3): Gitleaks 7.5 writes them."""
    findings, skipped = findings_and_skipped("sarif", (REPORTS / "sarif/gitleaks_7.5.0.sarif").read_bytes())
    assert skipped == [] and {f.rule_id for f in findings} == {"sarif-result"}


def test_a_truncated_log_is_still_refused_whole() -> None:
    data = (REPORTS / "sarif/codeQL-output.sarif").read_bytes()
    with pytest.raises(ReportFormatError, match="truncated"):
        parse_bytes("sarif", data[: len(data) // 2])

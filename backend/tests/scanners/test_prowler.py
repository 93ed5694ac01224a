"""Prowler OCSF JSON and CSV: fields, PASS/MANUAL results, compliance tags, same identity from both outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError
from tests.scanners.helpers import REPORTS, only, parse, parse_bytes


def test_ocsf_fail_finding_fields(shared_dir: Path) -> None:
    findings = parse("prowler", shared_dir / "scans/prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json")
    saml = only(findings, rule_id="iam_check_saml_providers_sts")
    assert saml.result is CheckResult.FAIL
    assert saml.severity is Severity.LOW and saml.tool_severity == "Low"
    assert saml.category is FindingCategory.CLOUD
    assert saml.title == "IAM SAML provider exists in the account"
    assert saml.resource.model_dump() == {"type": "Other", "id": "arn:aws:iam::123456789012:root",
                                          "name": "123456789012", "region": "us-east-1",
                                          "account": "123456789012", "provider": "aws"}
    assert saml.evidence == "No SAML Providers found."
    assert saml.remediation is not None and saml.remediation.startswith("Adopt **SAML federation**")
    assert saml.description is not None and "Risk: Without **SAML federation**" in saml.description
    assert saml.compliance_tags["CIS-4.0.1"] == ["1.21"]
    assert saml.compliance_tags["KISA-ISMS-P-2023"] == ["2.5.3", "2.10.2"]
    assert saml.compliance_tags["CCC-v2025.10"] == ["CCC.Core.CN05.AR06", "CCC.IAM.CN09.AR01"]
    assert saml.references == ["https://hub.prowler.com/check/iam_check_saml_providers_sts",
                               "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html"]
    assert saml.identity == {"check": "iam_check_saml_providers_sts", "resource": "arn:aws:iam::123456789012:root",
                             "region": "us-east-1", "account": "123456789012"}


def test_ocsf_pass_results_are_kept_as_compliance_evidence(shared_dir: Path) -> None:
    findings = parse("prowler", shared_dir / "scans/prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json")
    passed = [f for f in findings if f.result is CheckResult.PASS]
    assert len(passed) == 11
    assert all(f.compliance_tags for f in passed)


def test_manual_status_maps_to_manual(shared_dir: Path) -> None:
    csv_findings = parse("prowler", shared_dir / "scans/prowler/example_output_aws.csv")
    manual = only(csv_findings, rule_id="account_maintain_current_contact_details")
    assert manual.result is CheckResult.MANUAL
    assert manual.severity is Severity.MEDIUM


def test_csv_compliance_column_and_remediation(shared_dir: Path) -> None:
    findings = parse("prowler", shared_dir / "scans/prowler/example_output_aws.csv")
    analyzer = only(findings, rule_id="accessanalyzer_enabled")
    assert analyzer.compliance_tags["KISA-ISMS-P-2023"] == ["2.5.6", "2.6.4", "2.8.1", "2.8.2"]
    assert analyzer.compliance_tags["AWS-Account-Security-Onboarding"] == [
        "Enabled security services", "Create analyzers in each active regions",
        "Verify that events are present in SecurityHub aggregated view"]
    assert analyzer.remediation is not None
    assert "CLI: aws accessanalyzer create-analyzer" in analyzer.remediation
    assert "https://aws.amazon.com/iam/features/analyze-access/" in analyzer.references


def test_same_result_has_the_same_key_in_csv_and_ocsf(shared_dir: Path) -> None:
    """Identity comes from the same fields in both outputs. The two anonymised aws samples share
    one result written identically (accessanalyzer_enabled): same key. For the account checks the
    samples' placeholders differ (``<resource_uid>`` in the CSV, ``arn:aws:iam::<account_uid>:root``
    in the OCSF file), and only that field differs in the identities."""
    csv_findings = {f.rule_id: f for f in parse("prowler", shared_dir / "scans/prowler/example_output_aws.csv")}
    ocsf = {f.rule_id: f for f in parse("prowler", shared_dir / "scans/prowler/example_output_aws.ocsf.json")}
    assert set(ocsf) <= set(csv_findings)
    assert ocsf["accessanalyzer_enabled"].dedup_key == csv_findings["accessanalyzer_enabled"].dedup_key
    for rule_id, finding in ocsf.items():
        other = csv_findings[rule_id].identity
        assert {k: v for k, v in finding.identity.items() if k != "resource"} == {
            k: v for k, v in other.items() if k != "resource"}


def test_kubernetes_csv_namespace_is_the_region(shared_dir: Path) -> None:
    findings = parse("prowler", shared_dir / "scans/prowler/example_output_kubernetes.csv")
    assert {f.resource.region for f in findings} == {"kube-system"}
    assert {f.resource.provider for f in findings} == {"kubernetes"}
    anonymous = only(findings, rule_id="apiserver_anonymous_requests")
    assert anonymous.severity is Severity.HIGH
    assert anonymous.compliance_tags == {"CIS-1.10": ["1.2.1"], "CIS-1.8": ["1.2.1"]}


def test_azure_and_gcp_outputs(shared_dir: Path) -> None:
    azure = parse("prowler", shared_dir / "scans/prowler/example_output_azure.ocsf.json")
    assert {f.resource.provider for f in azure} == {"azure"}
    gcp = parse("prowler", shared_dir / "scans/prowler/example_output_gcp.csv")
    assert only(gcp, rule_id="apikeys_key_exists").result is CheckResult.PASS


def test_prowler_3_json_is_refused_with_a_way_out() -> None:
    v3 = [{"AssessmentStartTime": "2023-01-01T00:00:00Z", "CheckID": "s3_bucket_public_access",
           "Status": "FAIL", "Severity": "high", "ResourceId": "bucket"}]
    with pytest.raises(ReportFormatError, match=r"Prowler 3 JSON .* --output-formats json-ocsf"):
        parse_bytes("prowler", json.dumps(v3).encode())


@pytest.mark.parametrize("name", ["prowler2_one_vuln.json", "prowler2_many_vuln.json", "prowler2_one_vuln.csv"])
def test_prowler_2_output_is_refused_by_name(name: str) -> None:
    with pytest.raises(ReportFormatError, match=r"^prowler report rejected: Prowler 2 output is not supported: "
                                                r"export with Prowler 4\+ --output-formats json-ocsf$"):
        parse("prowler", REPORTS / "prowler" / name)


def test_a_zero_byte_file_is_an_empty_report_but_whitespace_is_not() -> None:
    assert (REPORTS / "prowler/prowler2_no_vuln.json").stat().st_size == 0
    assert parse("prowler", REPORTS / "prowler/prowler2_no_vuln.json") == []
    with pytest.raises(ReportFormatError, match="only whitespace"):
        parse_bytes("prowler", b" \n")

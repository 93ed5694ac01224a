"""Checkov JSON: single framework, list of frameworks, summary-only, severities and benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

from cspm.findings.models import CheckResult, FindingCategory, Severity
from tests.scanners.helpers import only, parse, parse_bytes


def test_check_fields(shared_dir: Path) -> None:
    findings = parse("checkov", shared_dir / "scans/checkov/checkov-report-severity.json")
    public = only(findings, rule_id="CKV_GCP_28")
    assert public.severity is Severity.HIGH and public.tool_severity == "HIGH"
    assert public.category is FindingCategory.MISCONFIGURATION
    assert public.resource.id == "/gcs.tf:google_storage_bucket_iam_binding.allow_public_read"
    assert public.compliance_tags["checkov"] == ["CKV_GCP_28"]
    assert public.compliance_tags["bridgecrew"] == ["BC_GCP_PUBLIC_1"]
    assert public.compliance_tags["CIS GCP V1.1"] == ["5.1"]
    assert public.references == ["https://docs.bridgecrew.io/docs/bc_gcp_public_1"]
    assert public.evidence is not None and '19:   members = ["allUsers"]' in public.evidence
    assert public.identity == {"check": "CKV_GCP_28", "file": "/gcs.tf",
                               "resource": "google_storage_bucket_iam_binding.allow_public_read"}


def test_missing_severity_defaults_to_medium(shared_dir: Path) -> None:
    finding = parse("checkov", shared_dir / "scans/checkov/checkov-report-1-vuln.json")[0]
    assert finding.rule_id == "CKV_AZURE_42"
    assert finding.severity is Severity.MEDIUM and finding.tool_severity is None


def test_list_of_check_types(shared_dir: Path) -> None:
    """`checkov -d . -o json` over several frameworks writes a list of per-framework objects."""
    parts = [json.loads((shared_dir / "scans/checkov" / name).read_bytes())
             for name in ("checkov-report-many-vuln.json", "checkov-report-severity.json")]
    single = [f.dedup_key for name in ("checkov-report-many-vuln.json", "checkov-report-severity.json")
              for f in parse("checkov", shared_dir / "scans/checkov" / name)]
    combined = parse_bytes("checkov", json.dumps(parts, indent=4).encode())
    assert [f.dedup_key for f in combined] == single and len(combined) == 7


def test_passed_checks_are_pass_results_and_skipped_are_dropped(shared_dir: Path) -> None:
    document = json.loads((shared_dir / "scans/checkov/checkov-report-severity.json").read_bytes())
    failed = document["results"]["failed_checks"]
    document["results"]["passed_checks"] = [dict(failed[0], check_result={"result": "PASSED"})]
    document["results"]["skipped_checks"] = [dict(failed[1], check_result={"result": "SKIPPED"})]
    findings = parse_bytes("checkov", json.dumps(document).encode())
    assert len(findings) == 5
    assert [f.result for f in findings].count(CheckResult.PASS) == 1


def test_summary_only_report_is_empty(shared_dir: Path) -> None:
    assert parse("checkov", shared_dir / "scans/checkov/checkov2-report-0-vuln.json") == []

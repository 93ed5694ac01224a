"""Kubescape JSON: per-control results, severities from scoreFactor, frameworks, old reports without status."""

from __future__ import annotations

import json

import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes


def test_failed_control_fields() -> None:
    findings = parse("kubescape", REPORTS / "kubescape/with_a_failure.json")
    hardening = only(findings, rule_id="C-0055")
    assert hardening.result is CheckResult.FAIL and hardening.category is FindingCategory.MISCONFIGURATION
    assert hardening.title == "Linux hardening"
    assert hardening.severity is Severity.MEDIUM and hardening.tool_severity == "scoreFactor 4"
    assert hardening.resource.model_dump() == {"type": "kubernetes_deployment", "id": "Deployment/nginx-deployment",
                                               "name": "nginx-deployment", "region": None, "account": None,
                                               "provider": "kubernetes"}
    assert hardening.remediation is not None
    assert "set spec.template.spec.containers[0].securityContext.seccompProfile = YOUR_VALUE" in hardening.remediation
    assert hardening.references == ["https://hub.armosec.io/docs/c-0055"]
    assert hardening.compliance_tags == {"kubescape": ["C-0055"], "NSA": ["C-0055"]}
    assert hardening.identity == {"control": "C-0055",
                                  "resource": "path=966824446/api=apps/v1//Deployment/nginx-deployment"}
    assert sorted(f.rule_id for f in findings if f.result is CheckResult.FAIL) == ["C-0030", "C-0055", "C-0260"]


def test_old_reports_without_control_status_use_the_rules_and_summary_after_results() -> None:
    """many_findings.json (Kubescape 2) writes summaryDetails after results, and no control status."""
    findings = parse("kubescape", REPORTS / "kubescape/many_findings.json")
    immutable = only(findings, rule_id="C-0017", resource__name="paymentservice")
    assert immutable.result is CheckResult.FAIL
    assert immutable.severity is not Severity.INFO  # scoreFactor read from the summary after the results


def test_skipped_controls_are_not_findings() -> None:
    report = {"summaryDetails": {"controls": {}}, "results": [{"resourceID": "path=1/api=/v1/default/Pod/web",
              "controls": [{"controlID": "C-0001", "name": "x", "status": {"status": "skipped"}},
                           {"controlID": "C-0002", "name": "y", "status": {"status": "passed"}}]}]}
    findings = parse_bytes("kubescape", json.dumps(report).encode())
    assert [(f.rule_id, f.result, f.resource.id, f.resource.region) for f in findings] == [
        ("C-0002", CheckResult.PASS, "default/Pod/web", "default")]


def test_a_result_without_resource_id_or_not_an_object_is_skipped_and_the_rest_imports() -> None:
    path = REPORTS / "kubescape/many_findings.json"
    document = json.loads(path.read_bytes())
    results = document["results"]
    lost = {results[1].pop("resourceID"), results[3]["resourceID"]}
    results[3] = 4
    findings, skipped = findings_and_skipped("kubescape", json.dumps(document).encode())
    assert skipped == [SkippedRecord(2, "resource #2 has no resourceID"),
                       SkippedRecord(4, "resource #4 is not a JSON object")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("kubescape", path)
                                               if f.identity["resource"] not in lost]


def test_a_truncated_report_is_still_refused_whole() -> None:
    data = (REPORTS / "kubescape/many_findings.json").read_bytes()
    with pytest.raises(ReportFormatError, match="truncated"):
        parse_bytes("kubescape", data[: len(data) // 2])

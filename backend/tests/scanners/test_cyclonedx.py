"""CycloneDX vulnerabilities and VEX: Trivy 1.5 and Grype 1.4 documents, VEX states, refusal of plain SBOMs."""

from __future__ import annotations

import json

import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes

COREUTILS = "pkg:deb/ubuntu/coreutils@8.32-4.1ubuntu1?arch=amd64&distro=ubuntu-22.04"
IMAGE = ("pkg:oci/ubuntu@sha256%3A6042500cf4b44023ea1894effe7890666b0c5c7871ed83a97c36c76ae560bb9b"
         "?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fubuntu")


def test_trivy_vulnerability_fields() -> None:
    findings = parse("cyclonedx", REPORTS / "cyclonedx/issue_9277.json")
    coreutils = only(findings, rule_id="CVE-2016-2781")
    assert coreutils.result is CheckResult.FAIL and coreutils.category is FindingCategory.VULNERABILITY
    # The rating of the vulnerability's own source (ubuntu) wins, as Trivy's SeveritySource does.
    assert coreutils.severity is Severity.LOW and coreutils.tool_severity == "low"
    assert coreutils.cvss_score == 6.5 and coreutils.cvss_vector == "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:C/C:N/I:H/A:N"
    assert coreutils.cwe_ids == ["CWE-20"] and coreutils.cve_ids == ["CVE-2016-2781"]
    assert coreutils.resource.model_dump() == {"type": "container", "id": IMAGE, "name": "coreutils 8.32-4.1ubuntu1",
                                               "region": None, "account": None, "provider": None}
    assert coreutils.package is not None and coreutils.package.ecosystem == "deb"
    assert coreutils.identity == {"vuln": "CVE-2016-2781", "subject": IMAGE, "component": COREUTILS}
    assert "https://avd.aquasec.com/nvd/cve-2016-2781" in coreutils.references


def test_vex_states_decide_the_result() -> None:
    """CISA use case 3: 5 in triage, 5 exploitable (open); 6 not affected, 3 resolved (not open)."""
    findings = parse("cyclonedx", REPORTS / "cyclonedx/cisa_case3_vex.json")
    states = {f.rule_id: (f.result, (f.evidence or "").splitlines()[0]) for f in findings}
    assert states["CVE-2020-11896"] == (CheckResult.FAIL, "VEX analysis: in_triage")
    assert states["CVE-2020-11898"] == (CheckResult.FAIL, "VEX analysis: exploitable")
    assert states["CVE-2020-11897"] == (CheckResult.PASS, "VEX analysis: not_affected; justification: code_not_present")
    assert states["CVE-2020-11901"] == (CheckResult.PASS, "VEX analysis: resolved")
    assert sum(result is CheckResult.PASS for result, _ in states.values()) == 9
    assert {(f.resource.type, f.resource.id) for f in findings} == {("application", "GHI@17.4")}  # the subject


def test_not_affected_with_justification_and_response_is_evidence() -> None:
    finding = parse("cyclonedx", REPORTS / "cyclonedx/valid-vulnerability-1.4.json")[0]
    assert finding.result is CheckResult.PASS
    assert finding.evidence is not None and finding.evidence.startswith(
        "VEX analysis: not_affected; justification: code_not_reachable; response: will_not_fix, update\n")
    assert finding.cve_ids == ["CVE-2018-7489"]  # from references[].id
    assert finding.remediation is not None and finding.remediation.startswith("Upgrade com.fasterxml")


def test_false_positive_is_not_open_and_exploitable_is() -> None:
    def document(state: str) -> bytes:
        return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
            {"id": "CVE-2024-0001", "analysis": {"state": state},
             "affects": [{"ref": "pkg:npm/left-pad@1.0.0"}]}]}).encode()
    assert parse_bytes("cyclonedx", document("false_positive"))[0].result is CheckResult.PASS
    exploitable = parse_bytes("cyclonedx", document("exploitable"))[0]
    assert exploitable.result is CheckResult.FAIL
    assert exploitable.resource.id == "pkg:npm/left-pad@1.0.0" and exploitable.package is not None
    assert exploitable.package.ecosystem == "npm"


def test_an_sbom_without_vulnerabilities_points_to_the_sbom_import() -> None:
    with pytest.raises(ReportFormatError, match="SBOM import"):
        parse("cyclonedx", REPORTS / "syft/syft_1.18.1_dir.cdx.json")
    assert parse_bytes("cyclonedx", b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": []}') == []


def test_a_vulnerability_without_id_or_not_an_object_is_skipped_and_the_rest_imports() -> None:
    path = REPORTS / "cyclonedx/log4j.json"
    document = json.loads(path.read_bytes())
    vulnerabilities = document["vulnerabilities"]
    lost = {vulnerabilities[2].pop("id"), vulnerabilities[4]["id"]}
    vulnerabilities[4] = "GHSA-7rjr-3q55-vv33"
    findings, skipped = findings_and_skipped("cyclonedx", json.dumps(document).encode())
    assert skipped == [SkippedRecord(3, "vulnerability #3 has no id"),
                       SkippedRecord(5, "vulnerability #5 is not a JSON object")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("cyclonedx", path) if f.rule_id not in lost]


def test_a_truncated_document_is_still_refused_whole() -> None:
    data = (REPORTS / "cyclonedx/log4j.json").read_bytes()
    with pytest.raises(ReportFormatError, match="truncated"):
        parse_bytes("cyclonedx", data[: len(data) // 2])

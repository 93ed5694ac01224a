"""ZAP XML and JSON: one finding per alert and distinct URL/parameter/method, fields, folding, HTML stripped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # builds test input from a real report; the parser uses defusedxml
from pathlib import Path

import pytest

from cspm.findings.models import FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes


def test_xml_alert_instances(shared_dir: Path) -> None:
    findings = parse("zap", shared_dir / "scans/zap/0_zap_sample.xml")
    cookie = only(findings, rule_id="10011", resource__id="https://mainsite.com/dashboard",
                  identity={"plugin": "10011", "url": "https://mainsite.com/dashboard", "param": "opvc",
                            "method": "GET"})
    assert cookie.title == "Cookie Without Secure Flag"
    assert cookie.severity is Severity.LOW and cookie.tool_severity == "Low, confidence Medium"
    assert cookie.category is FindingCategory.WEB
    assert cookie.cwe_ids == ["CWE-614"]
    assert cookie.compliance_tags == {"CWE": ["CWE-614"], "WASC": ["WASC-13"]}
    assert cookie.evidence is not None and "evidence: Set-Cookie: opvc" in cookie.evidence
    assert cookie.resource.name == "mainsite.com"


def test_repeated_instances_are_folded_with_their_evidence(shared_dir: Path) -> None:
    findings = parse("zap", shared_dir / "scans/zap/0_zap_sample.xml")
    timestamps = [f for f in findings if f.rule_id == "10096"]
    assert sorted(f.resource.id for f in timestamps) == ["https://mainsite.com", "https://mainsite.com/dashboard"]
    folded = only(timestamps, resource__id="https://mainsite.com")  # three instances: same URL, no param, GET
    assert folded.evidence is not None and folded.evidence.count("evidence: ") == 3


def test_html_is_stripped(shared_dir: Path) -> None:
    findings = parse("zap", shared_dir / "scans/zap/some_2.9.0.xml")
    cookie = next(f for f in findings if f.rule_id == "10011")
    assert cookie.description == ("A cookie has been set without the secure flag, which means that the cookie can be "
                                  "accessed via unencrypted connections.")
    assert cookie.references == ["http://www.owasp.org/index.php/Testing_for_cookies_attributes_(OWASP-SM-002)"]


def test_xml_plus_does_not_copy_requests_and_responses(shared_dir: Path) -> None:
    finding = parse("zap", shared_dir / "scans/zap/zap-xml-plus-format.xml")[0]
    assert finding.rule_id == "90028" and finding.identity["method"] == "PUT"
    assert finding.evidence is not None and "JSESSIONID" not in finding.evidence
    assert "Cookie" not in (finding.evidence or "")


def test_alert_ref_is_the_rule_id_when_present() -> None:
    findings = parse("zap", REPORTS / "zap/baseline_2.16.1_abridged.json")
    assert sorted(f.rule_id for f in findings) == ["10020-1", "10038-1"]
    assert all(f.resource.id == "http://host.docker.internal:5173" and f.identity["method"] == "GET"
               for f in findings)


def test_json_report() -> None:
    finding = parse("zap", REPORTS / "zap/log4shell_2.11.1.json")[0]
    assert finding.title == "Log4Shell (CVE-2021-44228)"
    assert finding.severity is Severity.HIGH
    assert finding.cve_ids == ["CVE-2021-44228"] and finding.cwe_ids == ["CWE-117"]
    assert finding.identity == {"plugin": "40043", "url": "http://localhost:8000/", "param": "X-Api-Version",
                                "method": "GET"}
    assert finding.evidence is not None and finding.evidence.count("attack: ${jndi:") == 3
    assert finding.remediation is not None and finding.remediation.startswith("Upgrade Log4j2 to version 2.15.0")
    assert "https://nvd.nist.gov/vuln/detail/CVE-2021-44228" in finding.references


def test_same_scan_keeps_keys_between_runs(shared_dir: Path) -> None:
    """Two scans of the same site: alerts present in both keep their keys, new ones get new keys."""
    first = {f.dedup_key for f in parse("zap", shared_dir / "scans/zap/0_zap_sample.xml")}
    second = {f.dedup_key for f in parse("zap", shared_dir / "scans/zap/2_zap_sample_0_and_new_endpoint.xml")}
    assert first < second and len(second - first) == 1


def test_an_xml_alert_naming_no_plugin_is_skipped_and_the_others_import(shared_dir: Path) -> None:
    path = shared_dir / "scans/zap/0_zap_sample.xml"
    root = ET.parse(path).getroot()
    second = list(root.iter("alertitem"))[1]
    for field in [child for child in second if child.tag in ("pluginid", "alertRef", "alert", "name")]:
        second.remove(field)
    findings, skipped = findings_and_skipped("zap", ET.tostring(root))
    assert skipped == [SkippedRecord(2, "alert #2 has no pluginid, alertRef, name or alert")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("zap", path) if f.rule_id != "10054"]


def test_a_json_alert_with_bad_instances_or_not_an_object_is_skipped() -> None:
    path = REPORTS / "zap/baseline_2.16.1_abridged.json"
    document = json.loads(path.read_bytes())
    alerts = document["site"][0]["alerts"]
    alerts[0]["instances"] = "http://host.docker.internal:5173"
    alerts.append(["not", "an", "alert"])
    findings, skipped = findings_and_skipped("zap", json.dumps(document).encode())
    assert skipped == [SkippedRecord(1, "alert #1 (10038-1): instances is not a list"),
                       SkippedRecord(3, "alert #3 is not a JSON object")]
    assert [f.rule_id for f in findings] == ["10020-1"]


@pytest.mark.parametrize("path", ["scans/zap/0_zap_sample.xml", "zap/log4shell_2.11.1.json"])
def test_a_truncated_report_is_still_refused_whole(shared_dir: Path, path: str) -> None:
    full = shared_dir / path if path.startswith("scans/") else REPORTS / path
    data = full.read_bytes()
    with pytest.raises(ReportFormatError):
        parse_bytes("zap", data[: len(data) // 2])

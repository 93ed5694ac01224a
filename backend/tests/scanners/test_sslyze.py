"""sslyze JSON (3 to 6) and XML (1 to 2): the TLS rules, one finding per server and issue."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # builds test input from a real report; the parser uses defusedxml
from pathlib import Path

import pytest

from cspm.findings.models import FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.sslyze.parser_common import RULES
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes


def _rules(findings: list) -> list[tuple[str, str]]:
    return sorted((f.resource.id, f.rule_id) for f in findings)


def test_old_json_vulnerabilities(shared_dir: Path) -> None:
    findings = parse("sslyze", shared_dir / "scans/sslyze/one_target_many_vuln_old.json")
    assert _rules(findings) == sorted(("www.example.com:443", rule) for rule in (
        "heartbleed", "ccs-injection", "insecure-renegotiation", "client-renegotiation", "protocol-tls-1.1",
        "insecure-cipher-suites"))
    heartbleed = only(findings, rule_id="heartbleed")
    assert heartbleed.cve_ids == ["CVE-2014-0160"] and heartbleed.severity is Severity.HIGH
    assert heartbleed.category is FindingCategory.TLS and heartbleed.resource.type == "host_port"
    assert heartbleed.identity == {"target": "www.example.com:443", "issue": "heartbleed"}
    rc4 = only(findings, rule_id="insecure-cipher-suites")
    assert rc4.evidence == "Accepted: TLS_RSA_WITH_RC4_128_SHA"


def test_certificate_validation_errors(shared_dir: Path) -> None:
    expired = parse("sslyze", shared_dir / "scans/sslyze/one_target_one_vuln_old.json")[0]
    assert expired.rule_id == "certificate-not-trusted"
    assert expired.evidence is not None
    assert "Mozilla 2019-11-28: certificate has expired" in expired.evidence
    xml = parse("sslyze", shared_dir / "scans/sslyze/report_one_target_one_vuln.xml")
    assert "Android 9.0.0_r9: certificate has expired" in (only(xml, rule_id="certificate-not-trusted").evidence or "")


def test_new_json_protocols_and_suites(shared_dir: Path) -> None:
    findings = parse("sslyze", shared_dir / "scans/sslyze/one_target_many_vuln_new.json")
    assert _rules(findings) == [("example.com:443", "protocol-tls-1.0"), ("example.com:443", "protocol-tls-1.1"),
                                ("example.com:443", "weak-cipher-suites")]
    weak = only(findings, rule_id="weak-cipher-suites")
    assert weak.evidence is not None and "TLS_RSA_WITH_AES_256_GCM_SHA384" in weak.evidence
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" not in weak.evidence  # in Mozilla's intermediate profile


def test_two_targets(shared_dir: Path) -> None:
    old = parse("sslyze", shared_dir / "scans/sslyze/two_targets_two_vuln_old.json")
    assert {f.resource.id for f in old} == {"www.example.com:443", "info.example.com:443"}
    xml = parse("sslyze", shared_dir / "scans/sslyze/report_two_target_many_vuln.xml")
    assert _rules([f for f in xml if f.resource.id == "www.heroku.com:443"]) == sorted(
        ("www.heroku.com:443", rule) for rule in ("heartbleed", "ccs-injection", "insecure-renegotiation",
                                                  "client-renegotiation", "protocol-tls-1.0", "protocol-tls-1.1",
                                                  "weak-cipher-suites"))


def test_sslyze_6_self_signed_certificate() -> None:
    findings = parse("sslyze", REPORTS / "sslyze/sslyze_6.3.1_selfsigned_localhost.json")
    untrusted = only(findings, rule_id="certificate-not-trusted")
    assert untrusted.resource.id == "127.0.0.1:18443"
    assert untrusted.evidence is not None and "no subjectAltName" in untrusted.evidence
    assert only(findings, rule_id="weak-cipher-suites").severity is Severity.MEDIUM


def test_every_rule_is_documented_and_mapped() -> None:
    for rule_id, rule in RULES.items():
        assert rule.rule_id == rule_id and rule.title and rule.remediation
        assert rule.cwe is None or rule.cwe.startswith("CWE-")


def test_a_json_server_without_location_is_skipped_and_the_other_imports(shared_dir: Path) -> None:
    path = shared_dir / "scans/sslyze/two_targets_two_vuln_old.json"
    document = json.loads(path.read_bytes())
    del document["server_scan_results"][0]["server_info"]
    findings, skipped = findings_and_skipped("sslyze", json.dumps(document).encode())
    assert skipped == [SkippedRecord(1, "server #1 names no hostname and port")]
    kept = [f.dedup_key for f in parse("sslyze", path) if f.identity["target"] == "info.example.com:443"]
    assert kept and [f.dedup_key for f in findings] == kept


def test_a_json_server_with_bad_commands_or_not_an_object_is_skipped(shared_dir: Path) -> None:
    path = shared_dir / "scans/sslyze/two_targets_two_vuln_old.json"
    document = json.loads(path.read_bytes())
    document["server_scan_results"][1]["scan_commands_results"] = ["heartbleed"]
    document["server_scan_results"].append("www.example.org:443")
    findings, skipped = findings_and_skipped("sslyze", json.dumps(document).encode())
    assert skipped == [SkippedRecord(2, "server #2 (info.example.com:443): scan_commands_results is not an object"),
                       SkippedRecord(3, "server #3 is not a JSON object")]
    assert {f.identity["target"] for f in findings} == {"www.example.com:443"}


def test_an_xml_target_without_host_and_port_is_skipped_and_the_other_imports(shared_dir: Path) -> None:
    path = shared_dir / "scans/sslyze/report_two_target_many_vuln.xml"
    root = ET.parse(path).getroot()
    first = next(root.iter("target"))
    for attribute in ("host", "ip", "port"):
        del first.attrib[attribute]
    findings, skipped = findings_and_skipped("sslyze", ET.tostring(root))
    assert skipped == [SkippedRecord(1, "target #1 has no host and port attributes")]
    kept = [f.dedup_key for f in parse("sslyze", path) if f.identity["target"] == "www.heroku.com:443"]
    assert kept and [f.dedup_key for f in findings] == kept


@pytest.mark.parametrize("name", ["two_targets_two_vuln_old.json", "report_two_target_many_vuln.xml"])
def test_a_truncated_report_is_still_refused_whole(shared_dir: Path, name: str) -> None:
    data = (shared_dir / "scans/sslyze" / name).read_bytes()
    with pytest.raises(ReportFormatError):
        parse_bytes("sslyze", data[: len(data) // 2])

"""sslyze JSON (3 to 6) and XML (1 to 2): the TLS rules, one finding per server and issue."""

from __future__ import annotations

from pathlib import Path

from cspm.findings.models import FindingCategory, Severity
from cspm.scanners.sslyze.parser_common import RULES
from tests.scanners.helpers import REPORTS, only, parse


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

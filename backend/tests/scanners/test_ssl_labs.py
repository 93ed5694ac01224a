"""SSL Labs API v3 JSON (v1.5.0 samples): the same TLS rules as sslyze, SSL Labs' own checks and grade."""

from __future__ import annotations

import json

import pytest

from cspm.findings.models import Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes


def test_revoked_certificate_and_grade() -> None:
    findings = parse("ssl_labs", REPORTS / "ssl_labs/ssl_labs_revoked_v1.5.0.json")
    trust = only(findings, rule_id="certificate-not-trusted")
    assert trust.severity is Severity.HIGH and trust.resource.id == "revoked.badssl.com:443"
    assert trust.resource.name == "104.154.89.105"
    assert trust.evidence is not None and trust.evidence.startswith("leaf certificate: expired\nMozilla: ")
    grade = only(findings, rule_id="ssl-labs-grade")
    assert grade.severity is Severity.HIGH and grade.evidence == "Grade T; grade ignoring trust: B"
    assert grade.identity == {"target": "revoked.badssl.com:443", "ip": "104.154.89.105", "issue": "ssl-labs-grade"}


def test_legacy_protocols_and_suites_use_sslyzes_rules() -> None:
    findings = parse("ssl_labs", REPORTS / "ssl_labs/ssl_labs_3des_v1.5.0.json")
    assert sorted(f.rule_id for f in findings) == ["hsts-missing", "protocol-tls-1.0", "protocol-tls-1.1",
                                                  "ssl-labs-grade", "weak-cipher-suites"]
    weak = only(findings, rule_id="weak-cipher-suites")
    assert weak.evidence is not None and "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" in weak.evidence


def test_a_well_configured_server_has_no_findings() -> None:
    assert parse("ssl_labs", REPORTS / "ssl_labs/ssl_labs_ok_v1.5.0.json") == []


def test_attacks_only_ssl_labs_tests() -> None:
    host = json.loads((REPORTS / "ssl_labs/ssl_labs_ok_v1.5.0.json").read_bytes())
    details = host[0]["endpoints"][0]["details"]
    details.update({"poodleTls": 2, "freak": True, "zombiePoodle": 3, "heartbleed": True, "openSslCcs": 3})
    rules = {f.rule_id: f for f in parse_bytes("ssl_labs", json.dumps(host).encode())}
    assert set(rules) == {"poodle-tls", "freak", "cbc-padding-oracle", "heartbleed", "ccs-injection"}
    assert rules["freak"].cve_ids == ["CVE-2015-0204"] and rules["cbc-padding-oracle"].evidence == (
        "SSL Labs: zombiePoodle = 3")


def test_a_bad_host_result_is_skipped_and_the_other_hosts_import() -> None:
    """ssl_labs_multiple_v1.5.0.json: three assessed hosts; the first loses its name, the third its endpoints
    (SSL Labs' answer for a host it cannot resolve), and a fourth item is not an object."""
    path = REPORTS / "ssl_labs/ssl_labs_multiple_v1.5.0.json"
    hosts = json.loads(path.read_bytes())
    del hosts[0]["host"]
    del hosts[2]["endpoints"]
    hosts[2].update(status="ERROR", statusMessage="Unable to resolve domain name")
    hosts.append("example.org")
    findings, skipped = findings_and_skipped("ssl_labs", json.dumps(hosts).encode())
    assert skipped == [SkippedRecord(1, "host #1 has no host"),
                       SkippedRecord(3, "host #3 (revoked.badssl.com) has no endpoints "
                                        "(ERROR: Unable to resolve domain name)"),
                       SkippedRecord(4, "host #4 is not a JSON object")]
    kept = [f.dedup_key for f in parse("ssl_labs", path) if f.identity["target"].startswith("dh1024.badssl.com:")]
    assert kept and [f.dedup_key for f in findings] == kept


def test_a_list_without_any_host_result_is_refused_whole() -> None:
    with pytest.raises(ReportFormatError, match="no item is an SSL Labs host result"):
        parse_bytes("ssl_labs", json.dumps([{"id": "x"}, "y"]).encode())


def test_protocol_ids_of_the_wrong_type_are_ignored_not_a_crash() -> None:
    path = REPORTS / "ssl_labs/ssl_labs_revoked_v1.5.0.json"
    document = json.loads(path.read_bytes())
    host = document[0] if isinstance(document, list) else document
    details = host["endpoints"][0]["details"]
    details["protocols"].append({"id": [771]})
    details["suites"].append({"protocol": {"id": 771}, "list": []})
    assert [f.dedup_key for f in parse_bytes("ssl_labs", json.dumps(document).encode())] == [
        f.dedup_key for f in parse("ssl_labs", path)]

"""testssl.sh 3.0.8 JSON, pretty JSON and CSV of the same server; DefectDojo's CSV samples; refusals."""

from __future__ import annotations

import json

import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes

LOCAL = "testssl/testssl_3.0.8_selfsigned_localhost"


def test_json_fields() -> None:
    findings = parse("testssl", REPORTS / f"{LOCAL}.json")
    lucky = only(findings, rule_id="LUCKY13")
    assert lucky.result is CheckResult.FAIL and lucky.severity is Severity.LOW and lucky.tool_severity == "LOW"
    assert lucky.category is FindingCategory.TLS
    assert lucky.cve_ids == ["CVE-2013-0169"] and lucky.cwe_ids == ["CWE-310"]
    assert lucky.resource.id == "127.0.0.1:18444" and lucky.evidence == "potentially vulnerable, uses TLS CBC ciphers"
    assert lucky.identity == {"target": "127.0.0.1:18444", "ip": "127.0.0.1", "check": "LUCKY13"}
    chain = only(findings, rule_id="cert_chain_of_trust")
    assert chain.severity is Severity.CRITICAL and chain.evidence == "failed (self signed)."
    assert only(findings, rule_id="heartbleed").result is CheckResult.PASS  # OK: the check ran and passed


def test_csv_json_and_pretty_json_give_the_same_keys() -> None:
    flat = {f.dedup_key: f.result for f in parse("testssl", REPORTS / f"{LOCAL}.json")}
    assert {f.dedup_key: f.result for f in parse("testssl", REPORTS / f"{LOCAL}.csv")} == flat
    pretty = {f.dedup_key: f.result for f in parse("testssl", REPORTS / f"{LOCAL}.pretty.json")}
    extra = {key: result for key, result in pretty.items() if key not in flat}
    assert list(extra.values()) == [CheckResult.MANUAL]  # the second run's WARN (session ticket test)
    assert {key: result for key, result in pretty.items() if key in flat} == flat


def test_each_address_of_a_name_is_its_own_server() -> None:
    findings = parse("testssl", REPORTS / "testssl/defectdojo_many_vuln.csv")
    heartbleed = [f for f in findings if f.rule_id == "heartbleed"]
    assert sorted(f.resource.name or "" for f in heartbleed) == [
        "185.199.108.153", "185.199.109.153", "185.199.110.153", "185.199.111.153"]
    assert {f.resource.id for f in heartbleed} == {"www.defectdojo.org:443"}


def test_a_target_that_could_not_be_scanned_is_refused() -> None:
    with pytest.raises(ReportFormatError, match=r"testssl.sh could not scan testssl.target.de:443 \(scanProblem"):
        parse("testssl", REPORTS / "testssl/failed_target.csv")


# Truncated testssl.sh reports (all three formats) are refused whole: test_rejection.py.


def test_a_json_check_without_id_or_with_an_unknown_severity_is_skipped_and_the_rest_imports() -> None:
    path = REPORTS / "testssl/testssl_3.0.8_selfsigned_localhost.json"
    checks = json.loads(path.read_bytes())
    lost = {checks[2].pop("id"), checks[3]["id"]}
    checks[3]["severity"] = "SEVERE"
    findings, skipped = findings_and_skipped("testssl", json.dumps(checks).encode())
    assert skipped == [SkippedRecord(3, "check #3 has no id or severity"),
                       SkippedRecord(4, "check #4: unknown testssl.sh severity 'SEVERE'")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("testssl", path) if f.rule_id not in lost]


def test_a_pretty_json_check_without_severity_is_skipped_and_the_rest_imports() -> None:
    path = REPORTS / "testssl/testssl_3.0.8_selfsigned_localhost.pretty.json"
    document = json.loads(path.read_bytes())
    cipher_order = document["scanResult"][0]["serverPreferences"][0]  # the report's 21st check
    assert cipher_order["id"] == "cipher_order"
    del cipher_order["severity"]
    findings, skipped = findings_and_skipped("testssl", json.dumps(document).encode())
    assert skipped == [SkippedRecord(21, "target #1 serverPreferences #21 has no id or severity")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("testssl", path)
                                               if f.rule_id != "cipher_order"]


def test_a_csv_row_without_host_or_with_an_unknown_severity_is_skipped_by_its_line() -> None:
    path = REPORTS / "testssl/defectdojo_many_vuln.csv"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[1].startswith('"engine_problem","www.defectdojo.org/"') and lines[4].startswith('"SSLv2",')
    lost = {f.dedup_key for f in parse_bytes("testssl", "".join([lines[0], lines[1], lines[4]]).encode())}
    lines[1] = lines[1].replace('"www.defectdojo.org/"', '""')
    lines[4] = lines[4].replace('"OK"', '"SEVERE"')
    findings, skipped = findings_and_skipped("testssl", "".join(lines).encode())
    assert skipped == [SkippedRecord(2, "CSV line 2 names no target host"),
                       SkippedRecord(5, "CSV line 5: unknown testssl.sh severity 'SEVERE'")]
    assert len(lost) == 2
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("testssl", path) if f.dedup_key not in lost]

"""testssl.sh 3.0.8 JSON, pretty JSON and CSV of the same server; DefectDojo's CSV samples; refusals."""

from __future__ import annotations

import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError
from tests.scanners.helpers import REPORTS, only, parse

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

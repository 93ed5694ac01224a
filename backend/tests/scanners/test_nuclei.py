"""Nuclei JSONL and JSON arrays, old and new field names, classification, empty reports."""

from __future__ import annotations

import json
from pathlib import Path

from cspm.findings.models import FindingCategory, Severity
from tests.scanners.helpers import only, parse, parse_bytes


def test_new_field_names_and_classification(shared_dir: Path) -> None:
    findings = parse("nuclei", shared_dir / "scans/nuclei/many_findings_new.json")
    cve = only(findings, rule_id="CVE-2018-15473")
    assert cve.severity is Severity.MEDIUM and cve.category is FindingCategory.NETWORK
    assert cve.cve_ids == ["CVE-2018-15473"] and cve.cwe_ids == ["CWE-362"]
    assert cve.cvss_score == 5.3 and cve.cvss_vector == "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"
    assert cve.resource.type == "host_port" and cve.resource.id == "nuclei-example.com:22"
    assert cve.evidence is not None and "SSH-2.0-OpenSSH_7.4p1" in cve.evidence
    metrics = only(findings, rule_id="prometheus-metrics")
    assert metrics.resource.type == "url" and metrics.resource.id == "https://nuclei-example.com/metrics"


def test_old_field_names(shared_dir: Path) -> None:
    findings = parse("nuclei", shared_dir / "scans/nuclei/many_findings.json")
    ssh = only(findings, rule_id="openssh5.3-detect")
    assert ssh.severity is Severity.LOW and ssh.resource.id == "nuclei-example.com:22"
    assert "https://security-tracker.debian.org/tracker/CVE-2016-6210" in ssh.references


def test_matcher_name_separates_matches(shared_dir: Path) -> None:
    findings = parse("nuclei", shared_dir / "scans/nuclei/multiple_matches.json")
    assert {f.identity["matched"] for f in findings} == {"https://turquoise-estrellita-69.tiiny.site/"}
    assert sorted(f.identity["matcher"] for f in findings) == ["genexus", "recaptcha"]
    assert len({f.dedup_key for f in findings}) == 2


def test_invalid_cwe_is_dropped(shared_dir: Path) -> None:
    finding = parse("nuclei", shared_dir / "scans/nuclei/invalid_cwe.json")[0]
    assert finding.cwe_ids == [] and finding.resource.id == "nuclei-example.com:3306"


def test_requests_and_curl_commands_are_not_copied(shared_dir: Path) -> None:
    for finding in parse("nuclei", shared_dir / "scans/nuclei/many_findings_third.json"):
        assert "curl" not in (finding.evidence or "") and "User-Agent" not in (finding.evidence or "")


def test_json_array_export_gives_the_same_findings(shared_dir: Path) -> None:
    """`nuclei -je` writes the same results as one JSON array."""
    path = shared_dir / "scans/nuclei/many_findings.json"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    exported = parse_bytes("nuclei", json.dumps(lines, indent=2).encode())
    assert [f.dedup_key for f in exported] == [f.dedup_key for f in parse("nuclei", path)]


def test_empty_reports_are_valid(shared_dir: Path) -> None:
    assert parse("nuclei", shared_dir / "scans/nuclei/empty.jsonl") == []
    assert parse_bytes("nuclei", b"\n \n") == []

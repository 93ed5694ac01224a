"""Nmap XML: one info finding per open port, closed/filtered ports ignored."""

from __future__ import annotations

from pathlib import Path

from cspm.findings.models import FindingCategory, Severity
from tests.scanners.helpers import REPORTS, only, parse


def test_open_ports_only(shared_dir: Path) -> None:
    findings = parse("nmap", shared_dir / "scans/nmap/issue12411.xml")
    assert sorted(f.resource.id for f in findings) == ["172.217.18.238:443", "172.217.18.238:80",
                                                       "54.239.28.85:443", "54.239.28.85:80"]
    http = only(findings, resource__id="172.217.18.238:80")
    assert http.severity is Severity.INFO and http.category is FindingCategory.NETWORK
    assert http.resource.type == "host_port" and http.resource.name == "google.com"
    assert http.title == "Open port 80/tcp (http)"
    assert http.identity == {"host": "172.217.18.238", "protocol": "tcp", "port": "80", "service": "http"}


def test_closed_and_filtered_ports_are_not_findings(shared_dir: Path) -> None:
    assert parse("nmap", shared_dir / "scans/nmap/nmap_0port.xml") == []
    multiple = parse("nmap", shared_dir / "scans/nmap/nmap_multiple_port.xml")
    assert len(multiple) == 13 and all(f.resource.id.startswith("198.38.82.159:") for f in multiple)
    assert only(multiple, resource__id="198.38.82.159:3306").identity["service"] == "mysql"


def test_service_version_and_cpe_in_evidence() -> None:
    redis = parse("nmap", REPORTS / "nmap/nmap_7_localhost_sV.xml")[0]
    assert redis.resource.id == "127.0.0.1:6379"
    assert redis.evidence is not None
    assert "service: Redis key-value store 7.0.15" in redis.evidence
    assert "cpe: cpe:/a:redislabs:redis:7.0.15" in redis.evidence

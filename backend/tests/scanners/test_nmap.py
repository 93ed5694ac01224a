"""Nmap XML: one info finding per open port, closed/filtered ports ignored."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # builds test input from a real report; the parser uses defusedxml
from pathlib import Path

import pytest

from cspm.findings.models import FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.nmap.parser import NSE_OUTPUT_MAX_CHARS
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes


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


def test_vulners_cves_are_findings_of_their_own() -> None:
    """As DefectDojo: nmap_script_vulners.xml is the open port + its two CVEs."""
    findings = parse("nmap", REPORTS / "nmap/nmap_script_vulners.xml")
    assert sorted(f.rule_id for f in findings) == ["CVE-2017-15906", "CVE-2018-15919", "open-port"]
    cve = only(findings, rule_id="CVE-2018-15919")
    assert cve.category is FindingCategory.VULNERABILITY and cve.severity is Severity.MEDIUM
    assert cve.cvss_score == 5.0 and cve.cve_ids == ["CVE-2018-15919"]
    assert cve.resource.type == "host_port" and cve.resource.id == "192.168.0.1:5022"
    assert cve.title == "CVE-2018-15919 on 192.168.0.1:5022 (openssh 7.4)"
    assert cve.package is not None and (cve.package.name, cve.package.version) == ("openssh", "7.4")
    assert cve.identity == {"host": "192.168.0.1", "protocol": "tcp", "port": "5022", "cve": "CVE-2018-15919"}


def test_exploits_are_listed_on_their_cve_and_long_script_output_is_kept_whole() -> None:
    findings = parse("nmap", REPORTS / "nmap/issue4406.xml")
    cve = only(findings, rule_id="CVE-2019-6111")
    assert cve.evidence is not None and "MSF:ILITIES/UBUNTU-CVE-2019-6111/ (metasploit)" in cve.evidence
    assert len([f for f in findings if f.category is FindingCategory.VULNERABILITY]) == 9
    ssh = only(findings, rule_id="open-port", resource__id="10.250.195.71:22")
    assert ssh.evidence is not None and len(ssh.evidence) > 4500  # the 4,506-character vulners output, whole
    assert ssh.evidence.rstrip().endswith("https://vulners.com/zdt/1337DAY-ID-30937\t*EXPLOIT*")
    assert "[output cut" not in ssh.evidence and "truncated" not in ssh.evidence


def test_script_output_beyond_the_limit_is_cut_and_says_so() -> None:
    output = "x" * (NSE_OUTPUT_MAX_CHARS + 10)
    report = (f'<nmaprun><host><address addr="10.0.0.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="80">'
              f'<state state="open" reason="syn-ack"/><script id="banner" output="{output}"/></port></ports></host>'
              f'</nmaprun>').encode()
    evidence = parse_bytes("nmap", report)[0].evidence or ""
    assert evidence.endswith(f"[output cut: the first {NSE_OUTPUT_MAX_CHARS} of {NSE_OUTPUT_MAX_CHARS + 10} "
                             "characters are kept]")


def test_a_host_without_address_is_skipped_and_the_other_hosts_import(shared_dir: Path) -> None:
    """issue12411.xml: two hosts with two open ports each; the first loses its address and hostnames."""
    path = shared_dir / "scans/nmap/issue12411.xml"
    root = ET.parse(path).getroot()
    first = next(root.iter("host"))
    for child in [c for c in first if c.tag in ("address", "hostnames")]:
        first.remove(child)
    findings, skipped = findings_and_skipped("nmap", ET.tostring(root))
    assert skipped == [SkippedRecord(1, "host #1 has neither an IP address nor a hostname")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("nmap", path)
                                               if f.identity["host"] == "54.239.28.85"]


def test_an_open_port_without_portid_skips_its_host() -> None:
    path = REPORTS / "nmap/nmap_7_localhost_sV.xml"
    root = ET.parse(path).getroot()
    open_port = next(p for p in root.iter("port") if p.find("state[@state='open']") is not None)
    del open_port.attrib["portid"]
    findings, skipped = findings_and_skipped("nmap", ET.tostring(root))
    assert skipped == [SkippedRecord(1, "host #1: an open port has no portid")] and findings == []


def test_a_truncated_report_is_still_refused_whole(shared_dir: Path) -> None:
    data = (shared_dir / "scans/nmap/issue12411.xml").read_bytes()
    with pytest.raises(ReportFormatError):
        parse_bytes("nmap", data[: len(data) // 2])

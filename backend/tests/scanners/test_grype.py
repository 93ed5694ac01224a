"""Grype JSON: matches, old and new field names, EPSS, source in the identity, two streamed passes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from cspm.findings.models import FindingCategory, Severity
from cspm.scanners.parsers import get_parser
from tests.scanners.helpers import only, parse


class _OneWayStream(io.RawIOBase):
    """An upload that cannot seek (a pipe): the parser spools it for its two passes."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_match_fields(shared_dir: Path) -> None:
    findings = parse("grype", shared_dir / "scans/anchore_grype/check_all_fields.json")
    krb = only(findings, rule_id="CVE-2004-0971", package__name="libgssapi-krb5-2")
    assert krb.severity is Severity.LOW and krb.tool_severity == "Negligible"
    assert krb.category is FindingCategory.VULNERABILITY
    assert krb.cvss_score == 2.1  # from the related NVD record
    assert krb.resource.type == "container_image" and krb.resource.id == "vulnerable-image:latest"
    assert krb.package is not None and krb.package.purl == "pkg:deb/debian/libgssapi-krb5-2@1.17-3+deb10u3?arch=amd64"
    assert krb.identity["source"] == "vulnerable-image:latest"
    assert krb.evidence is not None and "Fix state: not-fixed" in krb.evidence


def test_epss_and_fix(shared_dir: Path) -> None:
    finding = parse("grype", shared_dir / "scans/anchore_grype/anchore_grype_epss_problem.json")[0]
    assert finding.rule_id == "GHSA-4374-p667-p6c8"
    assert finding.cve_ids == ["CVE-2023-39325"]
    assert finding.epss_score == 0.00163
    assert finding.package is not None and finding.package.fixed_version == "0.17.0"
    assert finding.remediation == "Upgrade golang.org/x/net to 0.17.0."


def test_same_cve_at_two_paths_is_two_findings(shared_dir: Path) -> None:
    findings = parse("grype", shared_dir / "scans/anchore_grype/same_cve_different_paths.json")
    assert len({f.rule_id for f in findings}) == 1
    assert len({f.identity["locations"] for f in findings}) == 2


def test_old_grype_fields(shared_dir: Path) -> None:
    findings = parse("grype", shared_dir / "scans/anchore_grype/many_vulns.json")
    first = only(findings, rule_id="CVE-2011-3389", package__name="libgnutls-openssl27")
    assert first.cvss_score == 4.3 and first.cvss_vector == "AV:N/AC:M/Au:N/C:P/I:N/A:N"
    assert first.references == ["https://security-tracker.debian.org/tracker/CVE-2011-3389"]
    unknown = [f for f in findings if f.tool_severity == "Unknown"]
    assert len(unknown) == 76 and all(f.severity is Severity.INFO for f in unknown)


def test_unseekable_stream_gives_the_same_findings(shared_dir: Path) -> None:
    path = shared_dir / "scans/anchore_grype/issue_9618.json"
    expected = [f.dedup_key for f in parse("grype", path)]
    streamed = [f.dedup_key for f in get_parser("grype").parse(_OneWayStream(path.read_bytes()))]
    assert streamed == expected and len(streamed) == 35

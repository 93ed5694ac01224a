"""Trivy: vulnerabilities, misconfigurations, secrets, licenses, legacy list, SchemaVersion 2 and k8s reports."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.parsers import get_parser
from tests.scanners.helpers import REPORTS, findings_and_skipped, only, parse, parse_bytes


def test_vulnerability_fields(shared_dir: Path) -> None:
    findings = parse("trivy", shared_dir / "scans/trivy/scheme_2_many_vulns.json")
    freetype = only(findings, rule_id="CVE-2020-15999")
    assert freetype.category is FindingCategory.VULNERABILITY
    assert freetype.severity is Severity.MEDIUM
    assert freetype.cve_ids == ["CVE-2020-15999"]
    assert freetype.cwe_ids == ["CWE-787"] and freetype.compliance_tags == {"CWE": ["CWE-787"]}
    assert freetype.package is not None
    assert (freetype.package.name, freetype.package.version, freetype.package.fixed_version) == (
        "freetype", "2.9.1-r2", "2.9.1-r3")
    assert freetype.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"
    assert freetype.resource.type == "container_image" and freetype.resource.id == "teamdojo:latest"
    assert freetype.identity == {"vuln": "CVE-2020-15999", "package": "freetype", "version": "2.9.1-r2",
                                 "pkg_path": "app/libs/freetype-2.9.1-r2",
                                 "target": "teamdojo:latest (alpine 3.9.4)", "artifact": "teamdojo:latest"}
    krb5 = only(findings, rule_id="CVE-2020-28196")
    assert krb5.severity is Severity.HIGH
    # no NVD score in the report: Red Hat's is used (DefectDojo leaves CVSS empty here)
    assert (krb5.cvss_score, krb5.cvss_vector) == (7.5, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")


def test_cvss_follows_the_severity_source(shared_dir: Path) -> None:
    findings = parse("trivy", shared_dir / "scans/trivy/issue_9092.json")
    assert findings[0].cvss_score == 7.5  # ghsa (the SeveritySource), not nvd's 9.8
    curl = only(parse("trivy", shared_dir / "scans/trivy/cvss_severity_source.json"), rule_id="CVE-2023-46218")
    assert curl.cvss_score == 6.5  # ubuntu has no CVSS: nvd is next
    assert curl.package is not None and curl.package.purl == (
        "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.14?arch=amd64&distro=ubuntu-22.04")


def test_misconfiguration_secret_and_vulnerability_in_one_report(shared_dir: Path) -> None:
    findings = parse("trivy", shared_dir / "scans/trivy/misconfigurations_and_secrets.json")
    assert sorted(f.category.value for f in findings) == ["misconfiguration", "secret", "secret", "vulnerability",
                                                          "vulnerability"]
    ds002 = only(findings, rule_id="DS002")
    assert ds002.severity is Severity.HIGH
    assert ds002.remediation == "Add 'USER <non root user name>' line to the Dockerfile"
    assert "https://avd.aquasec.com/misconfig/ds002" in ds002.references
    secret = only(findings, category=FindingCategory.SECRET, resource__id="Dockerfile")
    assert secret.rule_id == "github-pat" and secret.severity is Severity.CRITICAL
    assert secret.evidence is not None and "ENV GITHUB_PAT=*****" in secret.evidence
    assert secret.identity["match"] == "ENV GITHUB_PAT=*****"


def test_terraform_misconfiguration_cause(shared_dir: Path) -> None:
    findings = parse("trivy", shared_dir / "scans/trivy/trivy_0.76_fs_misconfig.json")
    acl = only(findings, rule_id="AWS-0086")
    assert acl.resource.type == "file" and acl.resource.id == "main.tf" and acl.resource.provider == "aws"
    assert acl.identity["cause"] == "aws_s3_bucket.b"
    assert acl.evidence is not None and '3:   acl = "public-read"' in acl.evidence


def test_licenses(shared_dir: Path) -> None:
    findings = parse("trivy", shared_dir / "scans/trivy/license_scheme.json")
    gpl = only(findings, rule_id="GPL-2.0", package__name="alpine-baselayout")
    assert gpl.category is FindingCategory.LICENSE and gpl.severity is Severity.HIGH
    loose = [f for f in findings if f.package is None]
    assert len(loose) == 2 and {f.identity["file"] for f in loose} == {"/etc/ssl/misc/CA.pl",
                                                                       "/etc/ssl/misc/tsget.pl"}


def test_kubernetes_report_workloads(shared_dir: Path) -> None:
    findings = parse("trivy", shared_dir / "scans/trivy/kubernetes.json")
    apt = [f for f in findings if f.rule_id == "CVE-2020-27350"]
    assert {f.identity["workload"] for f in apt} == {"default/Deployment/redis-follower",
                                                     "default/Deployment/redis-leader"}
    assert all(f.resource.provider == "kubernetes" and f.resource.region == "default" for f in apt)
    ksv = [f for f in findings if f.rule_id == "KSV001"]
    assert len(ksv) == 2 and all(f.category is FindingCategory.MISCONFIGURATION for f in ksv)
    k8s_new = parse("trivy", shared_dir / "scans/trivy/issue_9170.json")
    assert {f.resource.type for f in k8s_new} >= {"kubernetes_service"}


def test_legacy_list_and_null(shared_dir: Path) -> None:
    legacy = parse("trivy", shared_dir / "scans/trivy/legacy_many_vulns.json")
    first = only(legacy, rule_id="CVE-2011-3374", package__name="apt")
    assert first.severity is Severity.LOW and first.cwe_ids == ["CWE-347"]
    assert first.package is not None and first.package.version == "1.8.2.2"
    assert first.resource.id == "debian (debian 10.8)"
    assert parse("trivy", shared_dir / "scans/trivy/legacy_no_vuln.json") == []


def test_key_order_does_not_change_findings(shared_dir: Path) -> None:
    """Sorted keys put Target after the finding lists: the parser buffers per result and gets the same keys."""
    for name in ("misconfigurations_and_secrets.json", "kubernetes.json", "legacy_trivy_mix.json"):
        original = parse("trivy", shared_dir / "scans/trivy" / name)
        document = json.loads((shared_dir / "scans/trivy" / name).read_bytes())
        resorted = parse_bytes("trivy", json.dumps(document, sort_keys=True).encode())
        assert [f.dedup_key for f in resorted] != [] or original == []
        assert sorted(f.dedup_key for f in resorted) == sorted(f.dedup_key for f in original)


def test_reordered_report_from_a_one_way_stream_keeps_its_keys(shared_dir: Path) -> None:
    """ArtifactName after Results (re-serialised report) and an unseekable upload: read twice via a spool."""
    path = shared_dir / "scans/trivy/scheme_2_many_vulns.json"
    document = json.loads(path.read_bytes())
    reordered = {"Results": document.pop("Results"), **document}
    stream = io.BufferedReader(_OneWay(json.dumps(reordered).encode()))
    findings = list(get_parser("trivy").parse(stream))
    assert [f.dedup_key for f in findings] == [f.dedup_key for f in parse("trivy", path)]
    assert {f.identity["artifact"] for f in findings} == {"teamdojo:latest"}


class _OneWay(io.RawIOBase):
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


def test_vex_not_affected_is_passing_evidence_and_fixed_stays_open() -> None:
    """all_statuses.json has one vulnerability per Trivy status. ``fixed`` means a fixed version exists
    (Trivy's --ignore-unfixed keeps exactly those): the installed package is still vulnerable."""
    findings = parse("trivy", REPORTS / "trivy/all_statuses.json")
    statuses = {(f.evidence or "").split("Status: ")[1].split("\n")[0]: f.result for f in findings}
    assert statuses == {"not_affected": CheckResult.PASS, **{status: CheckResult.FAIL for status in (
        "unknown", "affected", "fixed", "under_investigation", "will_not_fix", "fix_deferred", "end_of_life")}}


def _corrupt_and_parse(path: Path, corrupt: Callable[[dict[str, Any]], None]
                       ) -> tuple[list[CanonicalFinding], list[SkippedRecord], list[CanonicalFinding]]:
    """The real report with `corrupt` applied: its findings and skipped records, and the original's findings."""
    document = json.loads(path.read_bytes())
    corrupt(document)
    findings, skipped = findings_and_skipped("trivy", json.dumps(document).encode())
    return findings, skipped, parse("trivy", path)


def test_a_vulnerability_without_its_id_is_skipped_and_the_rest_imports(shared_dir: Path) -> None:
    path = shared_dir / "scans/trivy/scheme_2_many_vulns.json"
    findings, skipped, original = _corrupt_and_parse(
        path, lambda d: d["Results"][0]["Vulnerabilities"][1].pop("VulnerabilityID"))
    assert skipped == [SkippedRecord(2, "vulnerability #2 has no VulnerabilityID")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for i, f in enumerate(original) if i != 1]


def test_a_non_object_misconfiguration_and_a_secret_without_rule_are_skipped(shared_dir: Path) -> None:
    def corrupt(document: dict[str, Any]) -> None:
        document["Results"][1]["Misconfigurations"][0] = "DS002"
        del document["Results"][2]["Secrets"][0]["RuleID"]
    findings, skipped, original = _corrupt_and_parse(
        shared_dir / "scans/trivy/misconfigurations_and_secrets.json", corrupt)
    assert skipped == [SkippedRecord(3, "misconfiguration #3 is not a JSON object"),
                       SkippedRecord(4, "secret #4 has no RuleID")]
    assert [f.dedup_key for f in findings] == [f.dedup_key for i, f in enumerate(original) if i not in (2, 3)]


def test_a_vulnerability_without_its_package_is_skipped_but_an_old_package_stub_is_no_finding(shared_dir: Path
                                                                                             ) -> None:
    def corrupt(document: dict[str, Any]) -> None:
        del document["Results"][0]["Vulnerabilities"][2]["PkgName"]
    findings, skipped, original = _corrupt_and_parse(shared_dir / "scans/trivy/scheme_2_many_vulns.json", corrupt)
    assert skipped == [SkippedRecord(3, f"vulnerability #3 ({original[2].rule_id}) has no PkgName")]
    assert len(findings) == len(original) - 1
    # legacy_trivy_mix.json opens with {"PkgName": "simplito/elliptic-php"}: a package, not an advisory
    _, stub_skipped = findings_and_skipped("trivy", (shared_dir / "scans/trivy/legacy_trivy_mix.json").read_bytes())
    assert stub_skipped == []


def test_a_truncated_report_is_still_refused_whole(shared_dir: Path) -> None:
    data = (shared_dir / "scans/trivy/scheme_2_many_vulns.json").read_bytes()
    with pytest.raises(ReportFormatError, match="truncated"):
        parse_bytes("trivy", data[: len(data) // 2])

"""Every real report in shared/scans/ (and tests/scanners/reports/) through its parser, with exact counts.

The table is the single place listing which parser reads which file and what comes out: a
new file in shared/scans/ without a row here fails ``test_every_shared_report_has_an_expectation``.

Counts are ours, verified by hand against the files (and cross-checked with DefectDojo's
unittests for the same files where the models agree). Where they differ it is by design:

- Prowler: PASS and MANUAL results are findings too (DefectDojo drops them).
- ZAP: one finding per alert and distinct (URL, parameter, method); DefectDojo makes one finding
  per alert with several endpoints.
- sslyze: our rules follow Mozilla's intermediate profile (what sslyze's own
  ``--mozilla_config`` checks), DefectDojo uses the German BSI cipher list and merges the two
  renegotiation problems, so e.g. ``one_target_zero_vuln_new.json`` has one finding here
  (two CBC suites outside the Mozilla profile) and 0 there.
- Trivy: the severity is Trivy's own ``Severity`` field (DefectDojo recomputes some from CVSS:
  ``issue_9092.json`` is high here, critical there); ``legacy_trivy_mix.json`` holds a
  package stub without a vulnerability id, which is not a finding (6, not 7).
- Identical identities inside one report give one dedup key (``distinct`` column): the
  anonymised Prowler GCP sample (two firewall rules both named ``<resource_uid>``), Grype
  listing one match twice, and the hand-made ZAP sample repeating an alert; in SARIF, Gitleaks 7
  reporting the same secret at the same line once per commit of the history (8 → 4), and
  Flawfinder giving two identical lines of one file the same content fingerprint (54 → 50).
- Kubescape: one finding per control and resource, passed controls included (``result=pass``);
  DefectDojo counts failed rules (349 in ``many_findings.json``; 289 failed controls here).
- testssl.sh: OK checks are ``result=pass``, WARN ``result=manual``, INFO not findings. The
  pretty-JSON sample is a second run against the same server, in which the session-ticket test
  hit a connection problem (WARN): 45 results instead of 44.
- Nmap vulners: one finding per CVE besides the open port (``issue4406.xml``: 25 ports + 9 CVEs).
- CycloneDX: one finding per vulnerability and affected component (as DefectDojo: 14 for
  ``issue_9277.json``); VEX ``not_affected``/``resolved``/``false_positive`` are ``result=pass``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scanners.helpers import REPORTS, by_result, by_severity, parse

# (path under shared/scans, tool, findings, distinct dedup keys, by result, by severity)
EXPECTED: list[tuple[str, str, int, int, dict[str, int], dict[str, int]]] = [
    ("prowler/example_output_aws.csv", "prowler", 4, 4, {"fail": 2, "manual": 2}, {"low": 1, "medium": 3}),
    ("prowler/example_output_aws.ocsf.json", "prowler", 3, 3, {"fail": 2, "manual": 1}, {"low": 1, "medium": 2}),
    ("prowler/example_output_azure.csv", "prowler", 4, 4, {"fail": 4}, {"high": 2, "medium": 2}),
    ("prowler/example_output_azure.ocsf.json", "prowler", 3, 3, {"fail": 3}, {"high": 1, "low": 1, "medium": 1}),
    ("prowler/example_output_gcp.csv", "prowler", 4, 3, {"fail": 3, "pass": 1}, {"critical": 2, "medium": 2}),
    ("prowler/example_output_kubernetes.csv", "prowler", 4, 4, {"fail": 4}, {"high": 1, "medium": 3}),
    ("prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json", "prowler", 37, 37, {"fail": 26, "pass": 11},
     {"critical": 5, "high": 4, "low": 9, "medium": 19}),
    ("prowler/prowler_zero_vul.csv", "prowler", 0, 0, {}, {}),
    ("prowler/prowler_zero_vul.json", "prowler", 0, 0, {}, {}),
    ("trivy/cvss_severity_source.json", "trivy", 2, 2, {"fail": 2}, {"high": 1, "medium": 1}),
    ("trivy/issue_14136.json", "trivy", 1, 1, {"fail": 1}, {"low": 1}),
    ("trivy/issue_9092.json", "trivy", 1, 1, {"fail": 1}, {"high": 1}),
    ("trivy/issue_9170.json", "trivy", 37, 37, {"fail": 37}, {"high": 1, "low": 31, "medium": 5}),
    ("trivy/issue_9263.json", "trivy", 1, 1, {"fail": 1}, {"high": 1}),
    ("trivy/kubernetes.json", "trivy", 20, 20, {"fail": 20}, {"low": 14, "medium": 6}),
    ("trivy/legacy_many_vulns.json", "trivy", 93, 93, {"fail": 93}, {"high": 18, "info": 1, "low": 65, "medium": 9}),
    ("trivy/legacy_no_vuln.json", "trivy", 0, 0, {}, {}),
    ("trivy/legacy_trivy_mix.json", "trivy", 6, 6, {"fail": 6}, {"high": 6}),
    ("trivy/license_scheme.json", "trivy", 19, 19, {"fail": 19}, {"high": 7, "low": 11, "medium": 1}),
    ("trivy/misconfigurations_and_secrets.json", "trivy", 5, 5, {"fail": 5}, {"critical": 2, "high": 2, "medium": 1}),
    ("trivy/scheme_2_many_vulns.json", "trivy", 5, 5, {"fail": 5}, {"critical": 1, "high": 1, "medium": 3}),
    ("trivy/scheme_2_no_vuln.json", "trivy", 0, 0, {}, {}),
    ("trivy/severity_prio.json", "trivy", 2, 2, {"fail": 2}, {"critical": 1, "low": 1}),
    ("trivy/trivy_0.76_fs_misconfig.json", "trivy", 13, 13, {"fail": 13}, {"high": 8, "low": 3, "medium": 2}),
    ("zap/0_zap_sample.xml", "zap", 10, 10, {"fail": 10}, {"low": 9, "medium": 1}),
    ("zap/0_zap_sample_without_zap3.xml", "zap", 9, 9, {"fail": 9}, {"low": 9}),
    ("zap/1_zap_sample_0_and_new_absent.xml", "zap", 10, 10, {"fail": 10}, {"low": 9, "medium": 1}),
    ("zap/2_zap_sample_0_and_new_endpoint.xml", "zap", 11, 11, {"fail": 11}, {"low": 10, "medium": 1}),
    ("zap/3_zap_sampl_0_and_different_severities.xml", "zap", 10, 10, {"fail": 10}, {"low": 3, "medium": 7}),
    ("zap/5_zap_sample_one.xml", "zap", 6, 3, {"fail": 6}, {"low": 6}),
    ("zap/dvwa_baseline_dojo_subset.xml", "zap", 71, 71, {"fail": 71}, {"info": 12, "low": 26, "medium": 33}),
    ("zap/empty_2.9.0.xml", "zap", 0, 0, {}, {}),
    ("zap/some_2.9.0.xml", "zap", 14, 14, {"fail": 14}, {"info": 1, "low": 12, "medium": 1}),
    ("zap/zap-results-first-scan.xml", "zap", 129, 129, {"fail": 129},
     {"high": 5, "info": 46, "low": 48, "medium": 30}),
    ("zap/zap-results-second-scan.xml", "zap", 125, 125, {"fail": 125},
     {"high": 5, "info": 43, "low": 52, "medium": 25}),
    ("zap/zap-xml-plus-format.xml", "zap", 1, 1, {"fail": 1}, {"medium": 1}),
    ("nmap/issue12411.xml", "nmap", 4, 4, {"fail": 4}, {"info": 4}),
    ("nmap/nmap_0port.xml", "nmap", 0, 0, {}, {}),
    ("nmap/nmap_1port.xml", "nmap", 1, 1, {"fail": 1}, {"info": 1}),
    ("nmap/nmap_multiple_port.xml", "nmap", 13, 13, {"fail": 13}, {"info": 13}),
    ("anchore_grype/anchore_grype_epss_problem.json", "grype", 1, 1, {"fail": 1}, {"high": 1}),
    ("anchore_grype/check_all_fields.json", "grype", 6, 5, {"fail": 6}, {"critical": 2, "high": 3, "low": 1}),
    ("anchore_grype/fix_available.json", "grype", 1, 1, {"fail": 1}, {"high": 1}),
    ("anchore_grype/fix_not_available.json", "grype", 1, 1, {"fail": 1}, {"high": 1}),
    ("anchore_grype/issue_9618.json", "grype", 35, 35, {"fail": 35},
     {"critical": 1, "high": 19, "low": 2, "medium": 13}),
    ("anchore_grype/issue_9942.json", "grype", 1, 1, {"fail": 1}, {"high": 1}),
    ("anchore_grype/many_vulns.json", "grype", 1509, 1509, {"fail": 1509},
     {"high": 32, "info": 76, "low": 788, "medium": 613}),
    ("anchore_grype/many_vulns4.json", "grype", 9, 9, {"fail": 9}, {"critical": 2, "high": 2, "medium": 5}),
    ("anchore_grype/no_vuln.json", "grype", 0, 0, {}, {}),
    ("anchore_grype/same_cve_different_paths.json", "grype", 2, 2, {"fail": 2}, {"critical": 2}),
    ("checkov/checkov-report-0-vuln.json", "checkov", 0, 0, {}, {}),
    ("checkov/checkov-report-1-vuln.json", "checkov", 1, 1, {"fail": 1}, {"medium": 1}),
    ("checkov/checkov-report-many-vuln.json", "checkov", 3, 3, {"fail": 3}, {"medium": 3}),
    ("checkov/checkov-report-severity.json", "checkov", 4, 4, {"fail": 4}, {"high": 1, "low": 1, "medium": 2}),
    ("checkov/checkov2-report-0-vuln.json", "checkov", 0, 0, {}, {}),
    ("sslyze/one_target_many_vuln_new.json", "sslyze", 3, 3, {"fail": 3}, {"medium": 3}),
    ("sslyze/one_target_many_vuln_old.json", "sslyze", 6, 6, {"fail": 6}, {"high": 3, "low": 1, "medium": 2}),
    ("sslyze/one_target_one_vuln_new.json", "sslyze", 1, 1, {"fail": 1}, {"medium": 1}),
    ("sslyze/one_target_one_vuln_old.json", "sslyze", 1, 1, {"fail": 1}, {"high": 1}),
    ("sslyze/one_target_zero_vuln_new.json", "sslyze", 1, 1, {"fail": 1}, {"medium": 1}),
    ("sslyze/one_target_zero_vuln_old.json", "sslyze", 0, 0, {}, {}),
    ("sslyze/report_one_target_one_vuln.xml", "sslyze", 2, 2, {"fail": 2}, {"high": 1, "medium": 1}),
    ("sslyze/report_one_target_three_vuln.xml", "sslyze", 3, 3, {"fail": 3}, {"medium": 3}),
    ("sslyze/report_two_target_many_vuln.xml", "sslyze", 8, 8, {"fail": 8}, {"high": 2, "low": 1, "medium": 5}),
    ("sslyze/two_targets_two_vuln_old.json", "sslyze", 2, 2, {"fail": 2}, {"medium": 2}),
    ("nuclei/empty.jsonl", "nuclei", 0, 0, {}, {}),
    ("nuclei/invalid_cwe.json", "nuclei", 1, 1, {"fail": 1}, {"info": 1}),
    ("nuclei/issue_9201.json", "nuclei", 1, 1, {"fail": 1}, {"info": 1}),
    ("nuclei/many_findings.json", "nuclei", 18, 18, {"fail": 18}, {"info": 16, "low": 1, "medium": 1}),
    ("nuclei/many_findings_new.json", "nuclei", 2, 2, {"fail": 2}, {"low": 1, "medium": 1}),
    ("nuclei/many_findings_third.json", "nuclei", 2, 2, {"fail": 2}, {"info": 2}),
    ("nuclei/multiple_matches.json", "nuclei", 2, 2, {"fail": 2}, {"info": 2}),
    ("nuclei/no_findings.json", "nuclei", 0, 0, {}, {}),
]

# Real reports this suite adds (tests/scanners/reports/, see its README).
EXPECTED_LOCAL: list[tuple[str, str, int, int, dict[str, int], dict[str, int]]] = [
    ("nmap/nmap_7_localhost_sV.xml", "nmap", 1, 1, {"fail": 1}, {"info": 1}),
    ("sslyze/sslyze_6.3.1_selfsigned_localhost.json", "sslyze", 2, 2, {"fail": 2}, {"high": 1, "medium": 1}),
    ("zap/log4shell_2.11.1.json", "zap", 1, 1, {"fail": 1}, {"high": 1}),
    ("zap/baseline_2.16.1_abridged.json", "zap", 2, 2, {"fail": 2}, {"medium": 2}),
    ("sarif/codeQL-output.sarif", "sarif", 72, 72, {"fail": 72}, {"high": 11, "info": 57, "medium": 4}),
    ("sarif/cxf-3.4.6.sarif", "sarif", 22, 22, {"fail": 22}, {"critical": 1, "high": 11, "low": 6, "medium": 4}),
    ("sarif/flawfinder.sarif", "sarif", 54, 50, {"fail": 53, "pass": 1}, {"high": 2, "info": 51, "medium": 1}),
    ("sarif/gitleaks_7.5.0.sarif", "sarif", 8, 4, {"fail": 8}, {"medium": 8}),
    ("sarif/issue_10191.json", "sarif", 77, 77, {"fail": 77}, {"critical": 34, "high": 1, "medium": 42}),
    ("sarif/no_runs.sarif", "sarif", 0, 0, {}, {}),
    ("sarif/suppression_test.sarif", "sarif", 2, 2, {"fail": 2}, {"medium": 2}),
    ("sarif/trivy_0.76.0_fs.sarif", "sarif", 18, 18, {"fail": 18}, {"critical": 2, "high": 9, "low": 5, "medium": 2}),
    ("cyclonedx/cisa_case3_vex.json", "cyclonedx", 19, 19, {"fail": 10, "pass": 9},
     {"critical": 2, "high": 2, "info": 9, "medium": 6}),
    ("cyclonedx/issue_9277.json", "cyclonedx", 14, 14, {"fail": 14}, {"low": 13, "medium": 1}),
    ("cyclonedx/log4j.json", "cyclonedx", 8, 8, {"fail": 8}, {"critical": 4, "high": 1, "medium": 3}),
    ("cyclonedx/valid-vulnerability-1.4.json", "cyclonedx", 1, 1, {"pass": 1}, {"critical": 1}),
    ("kubescape/many_findings.json", "kubescape", 710, 710, {"fail": 289, "pass": 421},
     {"high": 203, "low": 115, "medium": 392}),
    ("kubescape/results.json", "kubescape", 20, 20, {"pass": 20}, {"high": 8, "low": 2, "medium": 10}),
    ("kubescape/with_a_failure.json", "kubescape", 18, 18, {"fail": 3, "pass": 15}, {"high": 8, "low": 2, "medium": 8}),
    ("testssl/testssl_3.0.8_selfsigned_localhost.json", "testssl", 44, 44, {"fail": 12, "pass": 32},
     {"critical": 1, "high": 6, "info": 32, "low": 4, "medium": 1}),
    ("testssl/testssl_3.0.8_selfsigned_localhost.csv", "testssl", 44, 44, {"fail": 12, "pass": 32},
     {"critical": 1, "high": 6, "info": 32, "low": 4, "medium": 1}),
    ("testssl/testssl_3.0.8_selfsigned_localhost.pretty.json", "testssl", 45, 45, {"fail": 12, "manual": 1, "pass": 32},
     {"critical": 1, "high": 6, "info": 33, "low": 4, "medium": 1}),
    ("testssl/defectdojo_many_vuln.csv", "testssl", 181, 181, {"fail": 16, "manual": 1, "pass": 164},
     {"high": 4, "info": 165, "low": 12}),
    ("testssl/defectdojo_no_vuln.csv", "testssl", 0, 0, {}, {}),
    ("testssl/many_cves.csv", "testssl", 1, 1, {"fail": 1}, {"high": 1}),
    ("ssl_labs/none.json", "ssl_labs", 0, 0, {}, {}),
    ("ssl_labs/ssl_labs_3des_v1.5.0.json", "ssl_labs", 5, 5, {"fail": 5}, {"low": 1, "medium": 4}),
    ("ssl_labs/ssl_labs_multiple_v1.5.0.json", "ssl_labs", 11, 11, {"fail": 11}, {"high": 2, "low": 3, "medium": 6}),
    ("ssl_labs/ssl_labs_ok_v1.5.0.json", "ssl_labs", 0, 0, {}, {}),
    ("ssl_labs/ssl_labs_revoked_v1.5.0.json", "ssl_labs", 6, 6, {"fail": 6}, {"high": 2, "low": 1, "medium": 3}),
    ("nmap/nmap_script_vulners.xml", "nmap", 3, 3, {"fail": 3}, {"info": 1, "medium": 2}),
    ("nmap/issue4406.xml", "nmap", 34, 34, {"fail": 34}, {"info": 25, "low": 1, "medium": 8}),
    ("trivy/all_statuses.json", "trivy", 8, 8, {"fail": 7, "pass": 1}, {"low": 8}),
    ("prowler/prowler2_no_vuln.json", "prowler", 0, 0, {}, {}),

]


def _ids(rows: list[tuple[str, str, int, int, dict[str, int], dict[str, int]]]) -> list[str]:
    return [row[0] for row in rows]


@pytest.mark.parametrize(("relative", "tool", "count", "distinct", "results", "severities"), EXPECTED,
                         ids=_ids(EXPECTED))
def test_shared_report(shared_dir: Path, relative: str, tool: str, count: int, distinct: int,
                       results: dict[str, int], severities: dict[str, int]) -> None:
    findings = parse(tool, shared_dir / "scans" / relative)
    assert len(findings) == count
    assert len({f.dedup_key for f in findings}) == distinct
    assert by_result(findings) == results
    assert by_severity(findings) == severities
    assert all(f.source_tool == tool and f.identity and len(f.dedup_key) == 64 for f in findings)


@pytest.mark.parametrize(("relative", "tool", "count", "distinct", "results", "severities"), EXPECTED_LOCAL,
                         ids=_ids(EXPECTED_LOCAL))
def test_local_report(relative: str, tool: str, count: int, distinct: int, results: dict[str, int],
                      severities: dict[str, int]) -> None:
    findings = parse(tool, REPORTS / relative)
    assert len(findings) == count
    assert len({f.dedup_key for f in findings}) == distinct
    assert by_result(findings) == results
    assert by_severity(findings) == severities
    assert all(f.source_tool == tool and f.identity and len(f.dedup_key) == 64 for f in findings)


def test_every_shared_report_has_an_expectation(shared_dir: Path) -> None:
    on_disk = {str(path.relative_to(shared_dir / "scans")) for path in (shared_dir / "scans").rglob("*")
               if path.is_file()}
    assert on_disk == {row[0] for row in EXPECTED}


def test_reparsing_gives_identical_findings(shared_dir: Path) -> None:
    """Parsing is deterministic: the same report twice gives the same findings, in the same order."""
    for relative, tool in (("trivy/kubernetes.json", "trivy"), ("zap/zap-results-first-scan.xml", "zap"),
                           ("prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json", "prowler")):
        first = parse(tool, shared_dir / "scans" / relative)
        second = parse(tool, shared_dir / "scans" / relative)
        assert [f.model_dump() for f in first] == [f.model_dump() for f in second]

"""Finding → control mapping on real scanner reports (through the real parsers), and the mapping data files."""

from __future__ import annotations

import json

import pytest

from cspm.compliance.baseline import BASELINE_FRAMEWORKS, baseline_registry, load_baseline_file
from cspm.compliance.mapping import (
    FindingMapper,
    MappingFileError,
    load_tool_mappings,
    normalise_rule_id,
    stem,
)
from tests.compliance.helpers import as_dict, parse_report


@pytest.fixture(scope="module")
def table():
    return load_tool_mappings()


@pytest.fixture(scope="module")
def full_registry(parsed_workbook):
    return parsed_workbook.to_registry("test-full")


@pytest.fixture(scope="module")
def prowler_findings(shared_dir):
    return parse_report("prowler", shared_dir / "scans" / "prowler" / "prowler_5.46_aws_moto_s3_iam.ocsf.json")


def _by_rule(findings, rule_id):
    return next(finding for finding in findings if finding.rule_id == rule_id)


def test_real_prowler_report_maps_every_result_explicitly(table, prowler_findings):
    mapper = FindingMapper(baseline_registry(), table)
    assert len(prowler_findings) == 37
    for finding in prowler_findings:
        links = mapper.map(as_dict(finding))
        assert links, finding.rule_id
        assert all(link.method == "rule" for link in links), (finding.rule_id, links)
    encryption = mapper.map(as_dict(_by_rule(prowler_findings, "s3_bucket_default_encryption")))
    assert [(link.scf_id, link.rule) for link in encryption] == [("CRY-05", "prowler.s3.encryption")]
    assert encryption[0].detail == "prowler check s3_bucket_default_encryption"
    mfa = mapper.map(as_dict(_by_rule(prowler_findings, "iam_user_mfa_enabled_console_access")))
    assert [link.scf_id for link in mfa] == ["IAC-06"]


def test_prowler_compliance_tags_resolve_through_the_workbook_crosswalk(table, full_registry, prowler_findings):
    """Without a check-id rule, Prowler's own ISO/NIST/PCI/SOC 2 tags find the controls via SCF's columns."""
    mapper = FindingMapper(full_registry, table)
    finding = _by_rule(prowler_findings, "s3_bucket_secure_transport_policy")
    links = mapper.map(as_dict(finding, rule_id="unlisted_check_transport"))
    assert [link.scf_id for link in links] == ["CRY-03"]
    assert links[0].method == "compliance_tag"
    assert "NIST-CSF-1.1 ds_2 → nist-csf-1.1 PR.DS-2" in links[0].detail
    assert "(4 frameworks agree)" in links[0].detail

    encryption = mapper.map(as_dict(_by_rule(prowler_findings, "s3_bucket_default_encryption"), rule_id="x_y"))
    assert [link.scf_id for link in encryption] == ["CRY-05"]
    assert "ISO27001-2022 A.8.24 → iso-27002-2022 8.24" in encryption[0].detail


def test_tag_transforms_reach_the_workbook_ids(table, full_registry):
    mapper = FindingMapper(full_registry, table)
    cases = {
        "NIST-800-53-Revision-5": (["ia_2_1"], "nist-800-53-r5 IA-2(1)"),
        "NIST-CSF-1.1": (["ac_7"], "nist-csf-1.1 PR.AC-7"),
        "SOC2": (["cc_6_1"], "aicpa-tsc-2017-soc-2 CC6.1"),
        "ISO27001-2013": (["A.9.4.B"], "iso-27002-2013 9.4"),
        "PCI-4.0": (["8.4.2.1"], "pcidss-4.0 8.4.2"),
    }
    for tag, (ids, expected) in cases.items():
        links = mapper.map({"source_tool": "prowler", "rule_id": f"tag_only_{tag}", "title": "",
                            "category": "cloud", "compliance_tags": {tag: ids}})
        assert links, tag
        assert expected in links[0].detail, (tag, links[0].detail)


def test_real_trivy_misconfigurations_and_secrets(table, shared_dir):
    mapper = FindingMapper(baseline_registry(), table)
    findings = parse_report("trivy", shared_dir / "scans" / "trivy" / "trivy_0.76_fs_misconfig.json")
    by_rule = {finding.rule_id: mapper.map(as_dict(finding)) for finding in findings}
    assert [link.scf_id for link in by_rule["DS-0002"]] == ["IAC-21", "CFG-02"]
    assert by_rule["DS-0002"][0].rule == "trivy.dockerfile.root-user"
    assert [link.scf_id for link in by_rule["AWS-0086"]] == ["DCH-15"]
    assert [link.scf_id for link in by_rule["DS-0026"]] == ["CFG-02"]  # fallback rule for other Dockerfile checks

    older = parse_report("trivy", shared_dir / "scans" / "trivy" / "misconfigurations_and_secrets.json")
    secret = next(finding for finding in older if finding.category.value == "secret")
    links = mapper.map(as_dict(secret))
    assert [(link.scf_id, link.method) for link in links] == [("IAC-10.6", "category")]
    old_style = next(finding for finding in older if finding.rule_id in ("DS002", "AVD-DS-0002", "DS-0002"))
    assert [link.scf_id for link in mapper.map(as_dict(old_style))] == ["IAC-21", "CFG-02"]


def test_real_zap_alerts_map_by_cwe(table, shared_dir):
    mapper = FindingMapper(baseline_registry(), table)
    findings = parse_report("zap", shared_dir / "scans" / "zap" / "zap-results-first-scan.xml")
    assert findings
    by_cwe: dict[str, set[str]] = {}
    for finding in findings:
        for link in mapper.map(as_dict(finding)):
            for cwe in finding.cwe_ids:
                by_cwe.setdefault(cwe, set()).add(link.scf_id)
    assert "WEB-11" in by_cwe["CWE-79"]
    assert "WEB-12" in by_cwe["CWE-693"]


def test_keyword_matcher_links_an_unlisted_check_and_says_why(table, shared_dir):
    mapper = FindingMapper(baseline_registry(), table)
    findings = parse_report("prowler", shared_dir / "scans" / "prowler" / "example_output_kubernetes.csv")
    audit = next(finding for finding in findings if finding.rule_id == "apiserver_audit_log_maxage_set")
    links = mapper.map(as_dict(audit, compliance_tags={}))
    assert links and all(link.method == "keyword" for link in links)
    assert any(link.scf_id.startswith("MON-") for link in links)
    assert "audit" in links[0].detail and links[0].score >= 0.35
    nothing = mapper.map({"source_tool": "x", "rule_id": "zz", "title": "lorem ipsum dolor", "category": "other"})
    assert nothing == ()


def test_cwe_of_a_package_vulnerability_is_not_a_missing_control(table):
    mapper = FindingMapper(baseline_registry(), table)
    links = mapper.map({"source_tool": "grype", "rule_id": "CVE-2021-1234", "title": "XSS in lib",
                        "category": "vulnerability", "cwe_ids": ["CWE-79"]})
    assert [link.scf_id for link in links] == ["VPM-02", "VPM-05"]


def test_rule_id_normalisation_and_stems():
    assert normalise_rule_id("AVD-AWS-0086") == normalise_rule_id("aws-0086") == "AWS-0086"
    assert normalise_rule_id("DS002") == "DS-0002"
    assert normalise_rule_id("s3_bucket_public_access") == "S3_BUCKET_PUBLIC_ACCESS"
    assert stem("encryption") == stem("encrypted") == stem("encrypt")
    assert stem("logging") == stem("logs") == "log"


def test_every_mapped_control_exists_in_the_workbook_and_the_baseline(table, parsed_workbook):
    workbook_ids = {control.scf_id for control in parsed_workbook.controls}
    baseline_ids = set(baseline_registry().controls)
    assert table.referenced_controls() <= workbook_ids
    assert table.referenced_controls() <= baseline_ids


def test_a_bad_mapping_file_is_a_clear_error(tmp_path):
    good = json.loads(load_tool_mappings().model_dump_json())
    good["rules"][0]["controls"] = ["not-a-control"]
    path = tmp_path / "tool_mappings.json"
    path.write_text(json.dumps(good))
    with pytest.raises(MappingFileError, match=r"tool_mappings.json: invalid at rules\.0\.controls.*not SCF control"):
        load_tool_mappings(path)
    path.write_text("{")
    with pytest.raises(MappingFileError, match="not JSON"):
        load_tool_mappings(path)
    with pytest.raises(MappingFileError, match="missing"):
        load_tool_mappings(tmp_path / "absent.json")
    good = json.loads(load_tool_mappings().model_dump_json())
    good["cwe"][0]["id"] = good["rules"][0]["id"]
    path.write_text(json.dumps(good))
    with pytest.raises(MappingFileError, match="used twice"):
        load_tool_mappings(path)


def test_baseline_matches_the_workbook(parsed_workbook):
    baseline = load_baseline_file()
    assert 80 <= len(baseline.controls) <= 100
    controls = {control.scf_id: control for control in parsed_workbook.controls}
    frameworks = {framework.framework_id: framework for framework in parsed_workbook.frameworks}
    for entry in baseline.controls:
        real = controls[entry.scf_id]
        assert entry.title == real.title and entry.domain == real.domain
        assert entry.description != real.description  # our own words, not SCF text
        for framework_id in BASELINE_FRAMEWORKS:
            expected = [rid for rid, requirement in frameworks[framework_id].requirements.items()
                        if entry.scf_id in requirement.scf_ids]
            assert entry.mappings.get(framework_id, []) == expected, (entry.scf_id, framework_id)

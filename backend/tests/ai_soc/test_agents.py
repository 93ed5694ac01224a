"""The deterministic agents on real reports from ../shared/scans (no LLM): the documented case counts.

Grype's many_vulns.json (1,509 findings on python:3.6, 178 package versions, 388 CVEs) → 178
``component`` cases, one per package version; the same report seen on a second image → one
``same-cve`` case per CVE shared by the two images (388). Trivy's scheme_2_many_vulns.json (5
findings, 4 packages on one image) → 4 ``component`` cases.
"""

from __future__ import annotations

from collections import Counter

import pytest

from cspm.ai_soc.agents import version_key
from cspm.ai_soc.correlation import correlate
from cspm.ai_soc.llm import Budget
from cspm.ai_soc.pipeline import run_agents
from cspm.ai_soc.service import AiSocService
from tests.ai_soc.helpers import finding_documents

AGENTS = ["correlation", "enrichment", "prioritisation", "remediation", "triage"]


@pytest.fixture(scope="module")
def grype_many(shared_dir):
    return finding_documents(shared_dir / "scans/anchore_grype/many_vulns.json", "grype")


def test_grype_many_vulns_groups_into_one_case_per_package_version(grype_many):
    cases = correlate(grype_many)
    assert len(grype_many) == 1509
    assert Counter(case.rule for case in cases) == {"component": 178}
    members = [finding["dedup_key"] for case in cases for finding in case.findings]
    assert sorted(members) == sorted(f["dedup_key"] for f in grype_many)  # each finding in exactly one case
    biggest = max(cases, key=lambda case: len(case.findings))
    package = biggest.findings[0]["package"]
    assert all(f["package"]["name"] == package["name"] for f in biggest.findings)
    assert biggest.key == f"component:python:3.6:{package['name']}@{package['version']}"


def test_the_same_cve_on_two_images_is_one_case_per_cve(grype_many):
    second = [{**f, "_id": f"{f['_id']}-2", "dedup_key": f"{f['dedup_key']}-2",
               "resource": {**f["resource"], "id": "python:3.6-copy"}} for f in grype_many]
    cases = correlate(grype_many + second)
    rules = Counter(case.rule for case in cases)
    assert rules == {"same-cve": 388}
    assert all(case.resources == ["python:3.6", "python:3.6-copy"] for case in cases)
    assert sum(len(case.findings) for case in cases) == 2 * 1509


def test_trivy_report_cases(shared_dir):
    findings = finding_documents(shared_dir / "scans/trivy/scheme_2_many_vulns.json", "trivy")
    assert Counter(case.rule for case in correlate(findings)) == {"component": 4}
    mixed = finding_documents(shared_dir / "scans/trivy/misconfigurations_and_secrets.json", "trivy")
    cases = correlate(mixed, resource_min_checks=2)
    assert sum(len(case.findings) for case in cases) == len(mixed) == 5


def test_resource_checks_and_ioc_rules_on_real_reports(shared_dir):
    prowler = finding_documents(shared_dir / "scans/prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json", "prowler")
    failing = [f for f in prowler if f.get("result", "fail") == "fail"]
    cases = correlate(failing, resource_min_checks=2)
    grouped = [case for case in cases if case.rule == "resource-checks"]
    assert grouped, Counter(case.rule for case in cases)
    for case in grouped:
        assert len({f["resource"]["id"] for f in case.findings}) == 1 and len(case.findings) >= 2
    nmap = finding_documents(shared_dir / "scans/nmap/nmap_multiple_port.xml", "nmap")
    matched = [str(nmap[0]["_id"])]
    ioc = [case for case in correlate(nmap, matched_finding_ids=matched) if case.rule == "ioc-exposure"]
    assert len(ioc) == 1 and len(ioc[0].findings) == len([f for f in nmap if f["resource"]["id"].split(":")[0]
                                                          == nmap[0]["resource"]["id"].split(":")[0]])


def test_versions_order_token_by_token():
    assert version_key("1.1.1d-0+deb10u7") < version_key("1.1.1n-0+deb10u1")
    assert version_key("2.9.1-r2") < version_key("2.9.1-r10")
    assert version_key("1.0~rc1") < version_key("1.0")


async def test_every_agent_leaves_a_step_record_with_citations(container, shared_dir):
    """The pipeline on Trivy's report with the real knowledge base: a trail per case, plans citing passages."""
    findings = finding_documents(shared_dir / "scans/trivy/scheme_2_many_vulns.json", "trivy")
    soc = container.resolve(AiSocService)
    ctx = await soc.context("team-a", findings, Budget(1000, 1000))
    states, timings = await run_agents(ctx, "run-1")
    assert set(timings) == set(AGENTS)
    assert len(states) == 4
    for state in states:
        assert [step["agent"] for step in state.trail] == AGENTS
        for step in state.trail:
            assert step["inputs"]["finding_count"] == len(state.draft.findings) and step["rule"]
            assert step["duration_ms"] >= 0
        sources = {citation["source"] for citation in state.remediation["citations"]}
        assert {"rule", "scf"} <= sources, state.remediation
        assert state.recommendation["action"] in {"keep", "false_positive", "accept_risk"}
    freetype = next(s for s in states if "freetype" in s.draft.key)
    assert freetype.remediation["upgrade"] == {"package": "freetype", "from": ["2.9.1-r2"], "to": "2.9.1-r3",
                                               "fixes": 1, "cves": 1, "unfixed": []}
    assert "asvs:V15.2.1#0" in freetype.retrieved  # the ASVS requirement on vulnerable components
    assert "LLM" not in str([step.get("llm") for step in freetype.trail if step.get("llm")])


async def test_triage_rules_on_real_findings(container, shared_dir):
    findings = finding_documents(shared_dir / "scans/trivy/misconfigurations_and_secrets.json", "trivy")
    soc = container.resolve(AiSocService)
    grype = finding_documents(shared_dir / "scans/anchore_grype/many_vulns.json", "grype")[:60]
    in_tests = [{**f, "package": {**(f.get("package") or {}), "path": "app/tests/fixtures/requirements.txt"},
                 "resource": {**f["resource"], "id": "tests/fixtures/requirements.txt"}}
                for f in findings if f.get("package")]
    ctx = await soc.context("team-a", in_tests + grype, Budget(0, 0))
    muted = grype[0]
    ctx.triaged = [{"source_tool": muted["source_tool"], "rule_id": muted["rule_id"], "resource": muted["resource"],
                    "status": "false_positive", "cve_ids": muted["cve_ids"]}]
    states, _ = await run_agents(ctx, "run-2")
    by_rule = Counter(state.recommendation["rule"] for state in states)
    assert by_rule["test_fixture_path"] >= 1
    unfixed_low = [s for s in states if s.priority["severity"] in ("low", "info")
                   and all(not (f.get("package") or {}).get("fixed_version") for f in s.draft.findings)]
    assert unfixed_low and all(s.recommendation["action"] in ("accept_risk", "false_positive") for s in unfixed_low)
    assert all(s.recommendation["rule"] != "previously_muted" or
               all(f["rule_id"] == muted["rule_id"] for f in s.draft.findings) for s in states)

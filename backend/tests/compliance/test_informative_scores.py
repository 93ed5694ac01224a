"""Compliance that informs: after the real 37-check Prowler report (11 PASS, 26 FAIL) every
framework says why its numbers are what they are, the tools' own tags are direct evidence,
and the frameworks the SCF release lacks (CIS AWS, AWS FSBP) are fed by those tags."""

from __future__ import annotations

from cspm.compliance.crosswalk import ControlMappingEngine, DirectEvidence, RequirementStatus
from cspm.compliance.posture import natural_key
from cspm.compliance.registry import Framework, Requirement

PROWLER = "scans/prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"


async def _import_prowler(client, session, shared_dir) -> None:
    content = (shared_dir / PROWLER).read_bytes()
    imported = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": ("p.ocsf.json", content, "application/json")}, data={"tool": "prowler"})
    assert imported.status_code == 201, imported.text


async def test_prowler_tags_feed_cis_aws_and_every_framework_explains_itself(client, auth, shared_dir):
    analyst = await auth.user(role="analyst")
    await _import_prowler(client, analyst, shared_dir)
    listing = (await client.get("/api/compliance/frameworks", headers=analyst.headers)).json()
    by_id = {item["framework_id"]: item for item in listing["frameworks"]}

    cis = by_id["cis-aws-6.0"]
    assert cis["fed_by"] == "tool_tags" and cis["name"] == "CIS Amazon Web Services Foundations Benchmark v6.0"
    assert cis["with_evidence"] == cis["applicable"] > 0
    assert cis["satisfied"] > 0 and cis["counts"]["not_satisfied"] > 0
    assert 0 < cis["score"] < 1 and 0 < cis["weighted_score"] < 1 and cis["coverage"] == 1.0
    assert by_id["aws-fsbp"]["name"] == "AWS Foundational Security Best Practices"

    # Registry frameworks gain direct evidence from the same tags, beside the SCF path.
    iso_annex = by_id["iso-27002-2022"]
    assert iso_annex["with_direct_evidence"] > 0 and iso_annex["coverage"] > 0
    # Passing checks (stored as resolved findings) are evidence: SCF-mapped frameworks move too.
    assert any(item["satisfied"] > 0 for item in listing["frameworks"] if item["fed_by"] == "scf")
    assert any(item["weighted_score"] > item["score"] for item in listing["frameworks"] if item["fed_by"] == "scf")
    # ISO 27001:2022 clauses 4-10 are management-system work no scanner checks: it says so.
    iso_isms = by_id["iso-27001-2022"]
    assert iso_isms["counts"]["manual"] > 0 and "need a person" in iso_isms["explanation"][0]
    for item in listing["frameworks"]:
        assert item["explanation"], item["framework_id"]

    detail = (await client.get("/api/compliance/frameworks/cis-aws-6.0", headers=analyst.headers)).json()
    ids = [requirement["requirement_id"] for requirement in detail["requirements"]]
    assert ids == sorted(ids, key=natural_key)
    tagged = next(requirement for requirement in detail["requirements"] if requirement["status"] == "not_satisfied")
    assert tagged["evidence_paths"] == ["tool_tag"] and tagged["direct"]["path"] == "tool_framework"
    assert tagged["direct"]["tags"][0].startswith("CIS-6.0 ") and tagged["direct"]["failing_findings"]
    assert set(detail["requirement_ids"]["with_direct_evidence"]) == set(ids)

    iso = (await client.get("/api/compliance/frameworks/iso-27002-2022", headers=analyst.headers)).json()
    direct = [requirement for requirement in iso["requirements"] if requirement["direct"]]
    assert direct and all(requirement["direct"]["path"] == "tool_tag" for requirement in direct)
    assert all(tag.startswith("ISO27001-2022 A.") for requirement in direct for tag in requirement["direct"]["tags"])
    assert all(control["description"] is not None for requirement in iso["requirements"]
               for control in requirement["controls"])

    other = await auth.user(role="analyst")
    other_ids = {item["framework_id"] for item in
                 (await client.get("/api/compliance/frameworks", headers=other.headers)).json()["frameworks"]}
    assert "cis-aws-6.0" not in other_ids
    assert (await client.get("/api/compliance/frameworks/cis-aws-6.0", headers=other.headers)).status_code == 404


def test_requirement_states_with_direct_evidence_and_manual():
    engine = ControlMappingEngine(automatable=frozenset({"IAC-01"}))
    scf = Requirement("8.5", ("IAC-01", "IAC-02"))
    governance = Requirement("6.1.2", ("RSK-01",))
    tool_only = Requirement("1.10", ())
    passing, failing, manual = DirectEvidence(passing=2), DirectEvidence(failing=1, passing=3), DirectEvidence(manual=1)

    assert engine.requirement_status(scf, {}) is RequirementStatus.NOT_ASSESSED
    assert engine.requirement_status(governance, {}) is RequirementStatus.MANUAL
    assert engine.requirement_status(scf, {}, passing) is RequirementStatus.PARTIALLY_SATISFIED
    assert engine.requirement_status(scf, {"IAC-01": "implemented", "IAC-02": "implemented"},
                                     failing) is RequirementStatus.NOT_SATISFIED
    assert engine.requirement_status(tool_only, {}, passing) is RequirementStatus.SATISFIED
    assert engine.requirement_status(tool_only, {}, manual) is RequirementStatus.MANUAL
    assert engine.requirement_status(tool_only, {}) is RequirementStatus.NOT_ASSESSED
    # Partial implementation counts partially in the weighted score, and tagged checks by their pass share.
    assert engine.requirement_credit(scf, {"IAC-01": "implemented", "IAC-02": "partially_implemented"}) == 0.75
    assert engine.requirement_credit(tool_only, {}, failing) == 0.75

    framework = Framework("f", "F", "F", requirements={"8.5": scf, "6.1.2": governance})
    score = engine.framework_score(framework, {"IAC-01": "implemented"})
    assert (score.score, score.weighted_score, score.coverage) == (0.0, 0.25, 0.5)
    assert any("need a person" in line for line in score.explain())


def test_natural_order_of_requirement_ids():
    assert sorted(["CC1.10", "CC1.2", "5.1(b)", "5.10", "5.1", "5.2", "5.1(a)"], key=natural_key) == \
        ["5.1", "5.1(a)", "5.1(b)", "5.2", "5.10", "CC1.2", "CC1.10"]

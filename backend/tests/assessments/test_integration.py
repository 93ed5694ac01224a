"""Answers feed the SCF compliance engine; real ZAP findings suggest ASVS answers and contradict "met" ones."""

from __future__ import annotations

from cspm.compliance.registry_service import CommonControlRegistryService
from tests.assessments.conftest import import_zap, web_target
from tests.compliance.conftest import subset

# zap-results-second-scan.xml (securecodebox's bodgeit scan) carries CWE 20, 79, 89, 120, 200, 352, 524, 693,
# 943, 1004, 1021 and 1275. Through OWASP's ASVS → CWE mapping these are the ASVS 5.0.0 requirements up to L2 they
# fall under (V3.2.3 and V13.4.6 are L3; 693 and 943 map to no 5.0.0 requirement).
SECOND_SCAN_L2 = {"V1.2.4", "V1.4.1", "V2.1.1", "V2.1.2", "V2.2.1", "V2.2.3", "V3.3.2", "V3.3.4", "V3.4.6", "V3.5.1",
                  "V14.2.2", "V14.2.3", "V16.4.2"}


async def csf(client, session) -> dict:
    response = await client.post("/api/assessments", headers=session.headers, json={
        "template": "nist-csf-2.0", "name": "2026 profile", "target_profile": {"default_tier": 3}})
    assert response.status_code == 201, response.text
    return response.json()


async def asvs(client, session, targets: list[str] | None = None, level: int = 2) -> dict:
    response = await client.post("/api/assessments", headers=session.headers, json={
        "template": "owasp-asvs-5.0.0", "name": "shop", "level": level, "scope": {"target_ids": targets or []}})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_csf_answer_satisfies_an_iso_27001_requirement_through_the_scf(client, auth):
    analyst = await auth.user(role="analyst")
    assessment = await csf(client, analyst)
    base = f"/api/assessments/{assessment['id']}/requirements"
    iso_before = (await client.get("/api/compliance/frameworks/iso-27001-2022", headers=analyst.headers)).json()
    # No scanner checks RSK-01: the requirement waits for a person, which the CSF answer below is.
    assert next(r for r in iso_before["requirements"] if r["requirement_id"] == "6.1.2")["status"] == "manual"

    # GV.RM-01 "Risk management objectives are established and agreed to" → CSF 1.1 ID.RM-1 → SCF RSK-01.
    answer = await client.put(f"{base}/GV.RM-01", headers=analyst.headers, json={"tier": 3})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["requirement"]["answer"] == "met"  # tier 3 reaches the target tier 3
    assert body["requirement"]["scf_ids"] == ["RSK-01"]
    assert body["compliance"]["synced"] is True
    assert {"scf_id": "RSK-01", "before": "not_assessed", "after": "implemented"} in body["compliance"][
        "control_changes"]

    control = (await client.get("/api/compliance/controls/RSK-01", headers=analyst.headers)).json()
    assert control["state"]["status"] == "implemented"
    evidence = control["state"]["evidence"][0]
    assert evidence["kind"] == "attestation"
    assert evidence["title"].startswith(f"NIST CSF 2.0 GV.RM-01 answered met (tier 3 of target 3) by {analyst.email}")
    iso = (await client.get("/api/compliance/frameworks/iso-27001-2022", headers=analyst.headers)).json()
    assert next(r for r in iso["requirements"] if r["requirement_id"] == "6.1.2")["status"] == "satisfied"

    fed = (await client.get(f"{base}/GV.RM-01/controls", headers=analyst.headers,
                            params={"framework": ["iso-27001-2022", "aicpa-tsc-2017-soc-2"]})).json()
    assert [control["scf_id"] for control in fed["controls"]] == ["RSK-01"]
    assert fed["controls"][0]["via"] == "CSF 2.0 GV.RM-01 → CSF 1.1 ID.RM-1"
    iso_612 = next(r for r in fed["requirements"]
                   if (r["framework_id"], r["requirement_id"]) == ("iso-27001-2022", "6.1.2"))
    assert iso_612["status"] == "satisfied" and iso_612["fully_covered"]
    assert {r["framework_id"] for r in fed["requirements"]} <= {"iso-27001-2022", "aicpa-tsc-2017-soc-2"}

    # A lower tier is "partially met"; clearing the answer withdraws it and the control has nothing to go on.
    lower = await client.put(f"{base}/GV.RM-01", headers=analyst.headers, json={"tier": 2})
    assert lower.json()["requirement"]["answer"] == "partially_met"
    control = (await client.get("/api/compliance/controls/RSK-01", headers=analyst.headers)).json()
    assert control["state"]["status"] == "partially_implemented"
    await client.put(f"{base}/GV.RM-01", headers=analyst.headers, json={"answer": None})
    control = (await client.get("/api/compliance/controls/RSK-01", headers=analyst.headers)).json()
    assert control["state"]["status"] == "not_assessed"
    assert [entry["to_status"] for entry in control["history"]][:3] == ["not_assessed", "partially_implemented",
                                                                        "implemented"]


async def test_the_csf_scores_compare_current_and_target_tiers(client, auth):
    analyst = await auth.user(role="analyst")
    assessment = await client.post("/api/assessments", headers=analyst.headers, json={
        "template": "nist-csf-2.0", "name": "p", "target_profile": {"default_tier": 3, "tiers": {"GV.OC-01": 4}}})
    base = f"/api/assessments/{assessment.json()['id']}"
    await client.post(f"{base}/answers", headers=analyst.headers, json={"answers": [
        {"ref": "GV.OC-01", "tier": 2}, {"ref": "GV.OC-02", "tier": 3}, {"ref": "PR.AA-01", "answer": "not_met",
                                                                        "tier": 1}]})
    scores = {group["id"]: group for group in (await client.get(base, headers=analyst.headers)).json()["scores"][
        "groups"]}
    assert scores["GV"]["current_tier"] == 2.5 and scores["GV"]["tiers_assessed"] == 2
    assert scores["GV"]["target_tier"] > 3 and scores["GV"]["gap"] == round(scores["GV"]["target_tier"] - 2.5, 2)
    assert scores["PR"]["current_tier"] == 1.0 and scores["PR"]["not_met"] == 1
    assert scores["DE"]["current_tier"] is None and scores["DE"]["gap"] is None


async def test_an_asvs_answer_reaches_controls_through_the_cwe_bridge(client, auth):
    analyst = await auth.user(role="analyst")
    assessment = await asvs(client, analyst)
    response = await client.put(f"/api/assessments/{assessment['id']}/requirements/V3.4.6", headers=analyst.headers,
                                json={"answer": "not_met"})
    assert response.status_code == 200, response.text
    assert response.json()["requirement"]["scf_ids"] == ["WEB-12"]  # CWE-1021 → cwe.browser-protection
    control = (await client.get("/api/compliance/controls/WEB-12", headers=analyst.headers)).json()
    assert control["state"]["status"] == "not_implemented"
    assert "OWASP ASVS 5.0.0 V3.4.6 answered not met" in control["state"]["evidence"][0]["title"]


async def test_zap_findings_suggest_not_met_on_the_matching_requirements(client, auth, shared_dir):
    analyst = await auth.user(role="analyst")
    target = await web_target(client, analyst)
    assessment = await asvs(client, analyst, [target])
    unscoped = await asvs(client, analyst)
    await import_zap(client, analyst, shared_dir / "scans" / "zap" / "zap-results-second-scan.xml")
    base = f"/api/assessments/{assessment['id']}"
    suggested = (await client.get(f"{base}/requirements", headers=analyst.headers,
                                  params={"state": "suggested", "limit": 400})).json()
    assert {item["ref"] for item in suggested["items"]} == SECOND_SCAN_L2
    by_ref = {item["ref"]: item for item in suggested["items"]}
    sql = by_ref["V1.2.4"]["suggestion"]
    assert sql["answer"] == "not_met" and sql["count"] == 1 and sql["cwe_ids"] == ["CWE-89"]
    assert sql["findings"][0]["title"] == "SQL Injection" and sql["findings"][0]["target_name"] == "bodgeit shop"
    assert by_ref["V3.4.6"]["suggestion"]["tools"] == ["zap"]
    assert by_ref["V3.5.1"]["suggestion"]["count"] == 12  # the Anti-CSRF finding on 12 pages
    assert by_ref["V1.2.4"]["answer"] is None, "a suggestion is not an answer until a person confirms it"
    summary = (await client.get(base, headers=analyst.headers)).json()
    assert summary["suggested"] == len(SECOND_SCAN_L2) and summary["progress"]["answered"] == 0
    assert (await client.get(f"/api/assessments/{unscoped['id']}", headers=analyst.headers)).json()["suggested"] == 0
    # The person confirms one; the others stay suggestions.
    confirm = await client.put(f"{base}/requirements/V1.2.4", headers=analyst.headers,
                               json={"answer": "not_met", "notes": "confirmed: basket.jsp"})
    assert confirm.json()["requirement"]["state"] == "not_met"
    assert (await client.get(base, headers=analyst.headers)).json()["suggested"] == len(SECOND_SCAN_L2) - 1
    # A complete scan that finds nothing resolves the findings: the suggestions go with them.
    await import_zap(client, analyst, shared_dir / "scans" / "zap" / "empty_2.9.0.xml")
    assert (await client.get(base, headers=analyst.headers)).json()["suggested"] == 0


async def test_a_report_imported_for_a_target_counts_for_it(client, auth, shared_dir):
    """A DAST report from elsewhere (CI), imported with scope target:<id>, is that target's whatever its URLs."""
    analyst = await auth.user(role="analyst")
    staging = await web_target(client, analyst, name="staging", url="http://127.0.0.1:8822/")
    other = await web_target(client, analyst, name="other", url="http://127.0.0.1:8823/")
    for_staging = await asvs(client, analyst, [staging])
    for_other = await asvs(client, analyst, [other])
    await import_zap(client, analyst, shared_dir / "scans" / "zap" / "zap-results-second-scan.xml",
                     scope=f"target:{staging}")
    summary = (await client.get(f"/api/assessments/{for_staging['id']}", headers=analyst.headers)).json()
    assert summary["suggested"] == len(SECOND_SCAN_L2)
    assert (await client.get(f"/api/assessments/{for_other['id']}", headers=analyst.headers)).json()["suggested"] == 0


async def test_a_later_finding_contradicting_met_is_a_drift_event(client, auth, shared_dir):
    analyst = await auth.user(role="analyst")
    target = await web_target(client, analyst)
    assessment = await asvs(client, analyst, [target])
    await import_zap(client, analyst, shared_dir / "scans" / "zap" / "zap-results-first-scan.xml")
    base = f"/api/assessments/{assessment['id']}/requirements"
    # The first scan saw no cookie without HttpOnly (CWE-1004): the team answers V3.3.4 met.
    assert (await client.get(f"{base}/V3.3.4", headers=analyst.headers)).json()["suggestion"] is None
    await client.put(f"{base}/V3.3.4", headers=analyst.headers, json={"answer": "met"})
    await import_zap(client, analyst, shared_dir / "scans" / "zap" / "zap-results-second-scan.xml")
    drift = (await client.get("/api/compliance/drift", headers=analyst.headers,
                              params={"kind": "assessment_contradicted"})).json()["events"]
    assert len(drift) == 1
    assert drift[0]["detail"].startswith("V3.3.4 answered met, but ZAP found CWE-1004 on bodgeit shop (Cookie No "
                                         "HttpOnly Flag and 1 more finding(s))"), drift[0]["detail"]
    assert drift[0]["findings"] == 2
    assert drift[0]["assessment_id"] == assessment["id"] and drift[0]["ref"] == "V3.3.4"
    # The answer stands (a person decides) and the findings are shown on it. The control keeps the answer's
    # "implemented": the cookie findings are low, below the engine's severity threshold, but counted there.
    requirement = (await client.get(f"{base}/V3.3.4", headers=analyst.headers)).json()
    assert requirement["answer"] == "met" and requirement["suggestion"]["count"] == 2
    control = (await client.get("/api/compliance/controls/WEB-05", headers=analyst.headers)).json()
    assert control["state"]["status"] == "implemented"
    assert control["state"]["counts"]["failing_below_threshold"] >= 2
    # The same finding seen again is not a new event.
    await import_zap(client, analyst, shared_dir / "scans" / "zap" / "zap-results-second-scan.xml")
    again = (await client.get("/api/compliance/drift", headers=analyst.headers,
                              params={"kind": "assessment_contradicted"})).json()["events"]
    assert len(again) == 1


async def test_deleting_an_assessment_withdraws_its_attestations(client, auth):
    analyst = await auth.user(role="analyst")
    assessment = await csf(client, analyst)
    await client.put(f"/api/assessments/{assessment['id']}/requirements/GV.RM-01", headers=analyst.headers,
                     json={"answer": "met"})
    assert (await client.get("/api/compliance/controls/RSK-01", headers=analyst.headers)).json()["state"][
        "status"] == "implemented"
    assert (await client.delete(f"/api/assessments/{assessment['id']}", headers=analyst.headers)).status_code == 204
    assert (await client.get("/api/compliance/controls/RSK-01", headers=analyst.headers)).json()["state"][
        "status"] == "not_assessed"


async def test_with_the_real_scf_workbook_csf_answers_satisfy_iso_27001(client, auth, container, parsed_workbook):
    """The same path through the official SCF 2022.3 workbook (its GOV and RSK domains, kept small for the
    stand-in database): GV.PO-01 → CSF 1.1 ID.GV-1 → SCF GOV-02 satisfies ISO 27001:2022 5.2 (policy), and
    GV.RM-01 → ID.RM-1 → RSK-01 satisfies ISO 27001:2013 6.1."""
    await container.resolve(CommonControlRegistryService).store(subset(parsed_workbook, ("GOV", "RSK")))
    analyst = await auth.user(role="analyst")
    assessment = await csf(client, analyst)
    base = f"/api/assessments/{assessment['id']}/requirements"
    for ref in ("GV.PO-01", "GV.RM-01"):
        response = await client.put(f"{base}/{ref}", headers=analyst.headers, json={"answer": "met", "tier": 3})
        assert response.status_code == 200 and response.json()["compliance"]["synced"], response.text
    policy = (await client.get(f"{base}/GV.PO-01/controls", headers=analyst.headers,
                               params={"framework": ["iso-27001-2022"]})).json()
    assert "GOV-02" in [control["scf_id"] for control in policy["controls"]]
    assert {"framework_id": "iso-27001-2022", "requirement_id": "5.2", "status": "satisfied"}.items() <= next(
        r for r in policy["requirements"] if r["requirement_id"] == "5.2").items()
    iso_2013 = (await client.get("/api/compliance/frameworks/iso-27001-2013", headers=analyst.headers)).json()
    assert next(r for r in iso_2013["requirements"] if r["requirement_id"] == "6.1")["status"] == "satisfied"
    iso_2022 = (await client.get("/api/compliance/frameworks/iso-27001-2022", headers=analyst.headers)).json()
    assert next(r for r in iso_2022["requirements"] if r["requirement_id"] == "5.2")["status"] == "satisfied"

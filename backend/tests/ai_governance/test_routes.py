"""The AI governance API: registry and versions, classification, obligations, bias tests and their findings."""

from __future__ import annotations

import openpyxl
import pytest

from cspm.compliance.registry_service import CommonControlRegistryService
from tests.ai_governance.helpers import HAND_DISPARITIES, controlled_csv

BASE = "/api/ai-governance/systems"
SCREENING = {"name": "CV screening", "purpose": "Ranks job applications for recruiters.", "owner": "HR analytics",
             "model_family": "gradient boosted trees", "model_version": "2.1", "role": "provider",
             "lifecycle": "validation", "intended_users": ["recruiters"], "affected_persons": ["job applicants"],
             "deployment": [{"kind": "url", "ref": "https://hr.example.com"}],
             "data_sources": [{"name": "applications 2019-2024", "kind": "training",
                               "personal_data_categories": ["sex", "age"]}]}
FORM = {"label_column": "hired", "prediction_column": "predicted", "sensitive_columns": "applicant_sex"}


@pytest.fixture
async def team(auth):
    admin = await auth.user(role="team_admin")
    return {"admin": admin, "analyst": await auth.user(role="analyst", team=admin),
            "viewer": await auth.user(role="viewer", team=admin)}


async def register(client, session, **changes):
    response = await client.post(BASE, headers=session.headers, json={**SCREENING, **changes})
    assert response.status_code == 201, response.text
    return response.json()


async def upload(client, session, system_id, raw, **form):
    return await client.post(f"{BASE}/{system_id}/bias-tests", headers=session.headers,
                             files={"file": ("eval.csv", raw, "text/csv")}, data={**FORM, **form})


async def test_registry_crud_keeps_versions(client, team):
    analyst = team["analyst"]
    system = await register(client, analyst)
    assert system["version"] == 1 and system["fairness_limits"] == {"min_ratio": 0.8, "max_difference": 0.1}
    duplicate = await client.post(BASE, headers=analyst.headers, json=SCREENING)
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["detail"]
    changed = await client.patch(f"{BASE}/{system['id']}", headers=analyst.headers,
                                 json={"model_version": "2.2", "lifecycle": "production", "change_note": "retrained"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    versions = (await client.get(f"{BASE}/{system['id']}/versions", headers=analyst.headers)).json()
    assert [(v["version"], v["change"]) for v in versions] == [(2, "updated: lifecycle, model_version"),
                                                               (1, "created")]
    assert versions[0]["note"] == "retrained" and versions[1]["snapshot"]["model_version"] == "2.1"
    viewer = await client.post(BASE, headers=team["viewer"].headers, json={**SCREENING, "name": "other"})
    assert viewer.status_code == 403
    bad = await client.post(BASE, headers=analyst.headers, json={**SCREENING, "name": "x\x1b[31m"})
    assert bad.status_code == 422
    assert (await client.delete(f"{BASE}/{system['id']}", headers=analyst.headers)).status_code == 204
    assert (await client.get(f"{BASE}/{system['id']}", headers=analyst.headers)).status_code == 404


async def test_classification_drives_obligations_and_their_progress(client, team):
    analyst = team["analyst"]
    system = await register(client, analyst)
    before = (await client.get(f"{BASE}/{system['id']}/obligations", headers=analyst.headers)).json()
    assert before["total"] == 0 and "classify the system first" in before["message"]
    refused = await client.put(f"{BASE}/{system['id']}/classification", headers=analyst.headers,
                               json={"answers": {"annex3.4.a": True},
                                     "derogation": {"conditions": ["6.3.d"], "justification": "short"}})
    assert refused.status_code == 422 and "justification" in refused.json()["detail"]
    classified = await client.put(f"{BASE}/{system['id']}/classification", headers=analyst.headers,
                                  json={"answers": {"annex3.4.a": True, "art5.a": False}})
    assert classified.status_code == 200, classified.text
    assert classified.json()["risk_class"] == "high_risk"
    assert classified.json()["reasoning"][0]["provisions"][0]["ref"] == "III.4.a"
    obligations = (await client.get(f"{BASE}/{system['id']}/obligations", headers=analyst.headers)).json()
    assert [item["article"] for item in obligations["items"]] == [4, 9, 10, 11, 12, 13, 14, 15, 17, 43, 49, 72]
    article_15 = next(item for item in obligations["items"] if item["article"] == 15)
    assert article_15["scan_evidence"] == {"available": True, "reason": None, "open_findings": 0, "by_severity": {},
                                           "assets": [{"kind": "url", "ref": "https://hr.example.com",
                                                       "open_findings": 0, "by_severity": {}}]}
    assert article_15["scf"]["available"] is False and "no column mapping the EU AI Act" in article_15["scf"]["reason"]
    answer = await client.put(f"{BASE}/{system['id']}/obligations/art9", headers=analyst.headers,
                              json={"status": "met", "owner": "Risk office",
                                    "evidence": [{"title": "Risk register RR-12", "url": "https://wiki/rr-12"}]})
    assert answer.status_code == 200 and answer.json()["status"] == "met"
    progress = (await client.get(f"{BASE}/{system['id']}/obligations", headers=analyst.headers)).json()
    assert (progress["done"], progress["total"], progress["progress"]) == (1, 12, 0.0833)
    unknown = await client.put(f"{BASE}/{system['id']}/obligations/art50.1", headers=analyst.headers,
                               json={"status": "met"})
    assert unknown.status_code == 404
    # a chatbot now: the high-risk obligations stop applying, the answer of Article 4 is kept
    rechecked = await client.put(f"{BASE}/{system['id']}/classification", headers=analyst.headers,
                                 json={"answers": {"art50.1": True}})
    assert rechecked.json()["risk_class"] == "limited"
    after = (await client.get(f"{BASE}/{system['id']}/obligations", headers=analyst.headers)).json()
    assert [item["key"] for item in after["items"]] == ["art4", "art50.1", "art50.5"]
    card = await client.get(f"{BASE}/{system['id']}/model-card", headers=team["viewer"].headers)
    assert card.status_code == 200 and card.headers["content-type"].startswith("text/markdown")
    assert "# Model card: CV screening" in card.text and "limited: transparency obligations" in card.text
    pdf = await client.get(f"{BASE}/{system['id']}/model-card", params={"format": "pdf"},
                           headers=team["viewer"].headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 2000


async def test_failing_bias_test_creates_a_finding_and_a_passing_one_resolves_it(client, team):
    analyst = team["analyst"]
    system = await register(client, analyst)
    failing = await upload(client, analyst, system["id"], controlled_csv(), model_version="2.1")
    assert failing.status_code == 201, failing.text
    run = failing.json()
    result = run["features"][0]["results"][0]
    assert {k: result[k] for k in HAND_DISPARITIES} == HAND_DISPARITIES
    assert run["verdict"] == "fail" and run["finding"]["created"] is True and len(run["data_sha256"]) == 64
    findings = (await client.get("/api/findings", params={"tool": "fairness"}, headers=analyst.headers)).json()
    assert len(findings["items"]) == 1
    finding = findings["items"][0]
    assert finding["severity"] == "high" and finding["resource"]["id"] == f"ai-system:{system['id']}"
    assert finding["resource"]["type"] == "ai_system" and "applicant_sex" in finding["title"]
    passing = await upload(client, analyst, system["id"], controlled_csv(fair=True), model_version="2.2")
    assert passing.json()["verdict"] == "pass" and passing.json()["finding"]["created"] is False
    resolved = (await client.get("/api/findings", params={"tool": "fairness", "status": "resolved"},
                                 headers=analyst.headers)).json()
    assert len(resolved["items"]) == 1
    runs = (await client.get(f"{BASE}/{system['id']}/bias-tests", headers=team["viewer"].headers)).json()
    assert [(r["model_version"], r["verdict"]) for r in runs] == [("2.2", "pass"), ("2.1", "fail")]
    assert (await client.get(f"{BASE}/{system['id']}", headers=analyst.headers)).json()["latest_bias_verdict"] == "pass"


async def test_bias_test_input_errors_are_4xx(client, team):
    analyst = team["analyst"]
    system = await register(client, analyst)
    missing = await upload(client, analyst, system["id"], controlled_csv(), sensitive_columns="race")
    assert missing.status_code == 422 and "'race' is not in the file" in missing.json()["detail"]
    thresholds = await upload(client, analyst, system["id"], controlled_csv(), prediction_column="",
                              score_column="score", thresholds="0.5,abc")
    assert thresholds.status_code == 422 and "thresholds must be numbers" in thresholds.json()["detail"]
    big = await upload(client, analyst, system["id"], b"a,b,c\n" + b"1,1,A\n" * 400_000)
    assert big.status_code == 413
    viewer = await upload(client, team["viewer"], system["id"], controlled_csv())
    assert viewer.status_code == 403


async def test_findings_switched_off_keeps_the_run_and_says_so(client, team):
    system = await register(client, team["analyst"])
    off = await client.put("/api/teams/active/modules/findings", headers=team["admin"].headers,
                           json={"enabled": False})
    assert off.status_code == 200, off.text
    run = (await upload(client, team["analyst"], system["id"], controlled_csv())).json()
    assert run["verdict"] == "fail" and run["finding"]["created"] is False
    assert "Findings module is switched off" in run["finding"]["reason"]


def ai_act_workbook(path):
    """An SCF workbook in the newer layout with an EU AI Act column (our own rows; real SCF header names)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "SCF 2025.2"
    sheet.append(["SCF Domain", "SCF Control", "SCF #", "Secure Controls Framework (SCF)\nControl Description",
                  "Relative Control Weighting", "NIST\nCSF\n2.0", "EMEA\nEU\nAI Act", "Risk\nR-AC-1"])
    sheet.append(["Artificial & Autonomous Technologies", "AI Governance", "AAT-01", "Mechanisms exist to govern AI.",
                  10, "GV.OC-01", "Article 9\n17.1", None])
    sheet.append(["Artificial & Autonomous Technologies", "AI Robustness", "AAT-02", "Mechanisms exist to make AI "
                  "robust.", 8, "ID.AM-01", "15.1", None])
    workbook.save(path)
    return path


async def test_obligation_answers_feed_the_scf_controls_the_workbook_maps(client, team, container, tmp_path):
    await container.resolve(CommonControlRegistryService).import_workbook(ai_act_workbook(tmp_path / "scf.xlsx"))
    analyst = team["analyst"]
    system = await register(client, analyst)
    await client.put(f"{BASE}/{system['id']}/classification", headers=analyst.headers,
                     json={"answers": {"annex3.4.a": True}})
    obligations = (await client.get(f"{BASE}/{system['id']}/obligations", headers=analyst.headers)).json()
    links = {item["key"]: item["scf"] for item in obligations["items"]}
    assert links["art9"] == {"available": True, "reason": None, "framework_id": "emea-eu-ai-act",
                             "controls": ["AAT-01"]}
    assert links["art15"]["controls"] == ["AAT-02"] and links["art10"]["available"] is False
    answered = await client.put(f"{BASE}/{system['id']}/obligations/art9", headers=analyst.headers,
                                json={"status": "met", "owner": "Risk office"})
    assert answered.status_code == 200, answered.text
    control = (await client.get("/api/compliance/controls/AAT-01", headers=analyst.headers)).json()
    assert control["state"]["status"] == "implemented"
    assert "AI Act obligation art9 of AI system CV screening" in control["state"]["override"]["reason"]


async def test_article_15_is_evidenced_by_scan_findings_on_linked_assets(client, team, shared_dir):
    analyst = team["analyst"]
    report = (shared_dir / "scans" / "nmap" / "nmap_multiple_port.xml").read_bytes()
    imported = await client.post("/api/findings/import", headers=analyst.headers, data={"tool": "nmap"},
                                 files={"file": ("nmap.xml", report, "application/xml")})
    assert imported.status_code == 201, imported.text
    system = await register(client, analyst, deployment=[{"kind": "host", "ref": "198.38.82.159"},
                                                         {"kind": "image", "ref": "registry.example.com/cv:2.1"}])
    await client.put(f"{BASE}/{system['id']}/classification", headers=analyst.headers,
                     json={"answers": {"annex3.4.a": True}})
    obligations = (await client.get(f"{BASE}/{system['id']}/obligations", headers=analyst.headers)).json()
    evidence = next(item for item in obligations["items"] if item["article"] == 15)["scan_evidence"]
    expected = imported.json()["counts"]["new"]
    assert expected > 0 and evidence["available"] is True and evidence["open_findings"] == expected
    assert [(a["ref"], a["open_findings"]) for a in evidence["assets"]] == [("198.38.82.159", expected),
                                                                             ("registry.example.com/cv:2.1", 0)]

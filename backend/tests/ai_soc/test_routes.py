"""AI-SOC through the API: imports of the shared Trivy and Grype samples → a run (a job) → cases with
remediation plans citing knowledge passages → a person applies a recommendation, audited.

Without a provider everything runs deterministically and says "LLM not configured"; the LLM path is
in test_llm.py against the OpenAI-shaped stand-in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

AGENTS = ["correlation", "enrichment", "prioritisation", "remediation", "triage"]


@pytest.fixture
def pipeline_on(monkeypatch):
    monkeypatch.setenv("AI_SOC_RUN_AFTER_INGEST", "true")


@pytest.fixture
async def team(auth):
    admin = await auth.user(role="team_admin")
    return {"admin": admin, "analyst": await auth.user(role="analyst", team=admin),
            "viewer": await auth.user(role="viewer", team=admin)}


async def import_report(client, session, shared_dir, relative: str, tool: str) -> None:
    response = await client.post("/api/findings/import", headers=session.headers,
                                 files={"file": (relative.rsplit("/", 1)[-1], (shared_dir / "scans" / relative)
                                                 .read_bytes(), "application/json")},
                                 data={"tool": tool, "scope": relative})
    assert response.status_code == 201, response.text


async def settle(container) -> None:
    await asyncio.to_thread(container.dispatcher.wait_idle, 120)


async def test_imports_produce_cases_with_cited_plans_and_a_person_applies_one(client, container, team, shared_dir,
                                                                                pipeline_on):
    analyst = team["analyst"]
    await import_report(client, analyst, shared_dir, "trivy/scheme_2_many_vulns.json", "trivy")
    await import_report(client, analyst, shared_dir, "anchore_grype/fix_available.json", "grype")
    await settle(container)

    runs = (await client.get("/api/ai-soc/runs", headers=analyst.headers)).json()
    assert runs and all(run["state"] == "done" and run["trigger"] == "ingest" for run in runs), runs
    page = (await client.get("/api/ai-soc/cases", headers=analyst.headers)).json()
    assert page["total"] == 5  # 4 Trivy packages + 1 Grype package: one component case each
    assert page["llm"] == {"configured": False, "model": None,
                           "message": "LLM not configured: deterministic agents only"}
    scores = [case["priority"]["score"] for case in page["items"]]
    assert scores == sorted(scores, reverse=True)

    freetype = next(case for case in page["items"] if "freetype" in case["key"])
    detail = (await client.get(f"/api/ai-soc/cases/{freetype['id']}", headers=analyst.headers)).json()
    assert [step["agent"] for step in detail["trail"]] == AGENTS
    assert detail["findings"][0]["package"]["name"] == "freetype"
    citations = detail["remediation"]["citations"]
    assert {"rule", "scf"} <= {c["source"] for c in citations}, citations
    rule_passage = next(c for c in citations if c["source"] == "rule")
    assert "Upgrade freetype to 2.9.1-r3." in rule_passage["excerpt"]
    remediation_step = next(step for step in detail["trail"] if step["agent"] == "remediation")
    assert remediation_step["citations"] == [c["chunk_id"] for c in citations]
    assert detail["remediation"]["plan"][0].startswith("Upgrade freetype 2.9.1-r2 to 2.9.1-r3")
    actions = {a["action"]: a for a in detail["available_actions"]}
    # Integrations and the risk register are installed: both actions are offered.
    assert actions["open_ticket"]["available"] is True and actions["create_risk"]["available"] is True
    enrichment = next(step for step in detail["trail"] if step["agent"] == "enrichment")["outputs"]
    # BIA is installed; no business process of this team depends on these assets yet.
    assert enrichment["asset_criticality_source"] == "asset criticality: no BIA process depends on these assets"

    # Humans decide: a viewer cannot, bad input is refused, an absent integration is a 409.
    url = f"/api/ai-soc/cases/{freetype['id']}/actions"
    assert (await client.post(url, headers=team["viewer"].headers,
                              json={"action": "false_positive", "reason": "seen"})).status_code == 403
    no_owner = await client.post(url, headers=analyst.headers, json={"action": "accept_risk", "reason": "later"})
    assert no_owner.status_code == 422 and "risk_owner" in no_owner.text
    past = await client.post(url, headers=analyst.headers, json={
        "action": "accept_risk", "reason": "later", "risk_owner": "ops",
        "expires_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()})
    assert past.status_code == 422 and "future" in past.text
    ticket = await client.post(url, headers=analyst.headers, json={"action": "open_ticket", "reason": "track it"})
    assert ticket.status_code == 409 and "no Jira integration is set up" in ticket.text
    risk = await client.post(url, headers=analyst.headers, json={"action": "create_risk", "reason": "track it",
                                                                   "risk_owner": "platform team"})
    assert risk.status_code == 200, risk.text
    risk_id = risk.json()["actions"][-1]["risk_id"]
    register = (await client.get(f"/api/risks/{risk_id}", headers=analyst.headers)).json()
    assert "freetype" in register["title"] and register["owner"] == "platform team"
    unknown = await client.post(url, headers=analyst.headers, json={"action": "delete_everything", "reason": "x!"})
    assert unknown.status_code == 422

    applied = await client.post(url, headers=analyst.headers, json={
        "action": "accept_risk", "reason": "base image rebuilt next sprint", "risk_owner": "platform team",
        "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert applied.status_code == 200, applied.text
    assert applied.json()["findings_changed"] == 1
    finding = (await client.get(f"/api/findings/{detail['findings'][0]['id']}", headers=analyst.headers)).json()
    assert finding["status"] == "risk_accepted"
    audit = (await client.get("/api/audit/events", headers=team["admin"].headers,
                              params={"action": "ai_soc.recommendation_applied"})).json()
    assert [e["target_id"] for e in audit["items"]] == [freetype["id"]] * 2, audit  # create_risk, accept_risk
    await settle(container)  # the status change is an event too: the next run closes the case
    closed = (await client.get("/api/ai-soc/cases", headers=analyst.headers, params={"status": "closed"})).json()
    assert [case["id"] for case in closed["items"]] == [freetype["id"]]


async def test_manual_run_auto_apply_settings_and_the_template_brief(client, container, team, shared_dir):
    analyst, admin = team["analyst"], team["admin"]
    await import_report(client, analyst, shared_dir, "trivy/scheme_2_many_vulns.json", "trivy")
    assert (await client.get("/api/ai-soc/cases", headers=analyst.headers)).json()["total"] == 0  # off in tests

    refused = await client.put("/api/ai-soc/settings", headers=admin.headers, json={"auto_apply": ["accept_risk:x"]})
    assert refused.status_code == 422 and "cannot be auto-applied" in refused.text
    assert (await client.put("/api/ai-soc/settings", headers=analyst.headers,
                             json={"auto_apply": []})).status_code == 403
    allowed = await client.put("/api/ai-soc/settings", headers=admin.headers,
                               json={"auto_apply": ["false_positive:test_fixture_path"]})
    assert allowed.status_code == 200 and allowed.json()["auto_apply"] == ["false_positive:test_fixture_path"]

    started = await client.post("/api/ai-soc/runs", headers=analyst.headers)
    assert started.status_code == 202 and started.json()["trigger"] == "manual"
    await settle(container)
    run = (await client.get(f"/api/ai-soc/runs/{started.json()['id']}", headers=analyst.headers)).json()
    assert run["state"] == "done" and run["cases"] == 4 and run["by_rule"] == {"component": 4}
    assert run["auto_applied"] == 0  # no finding of this report is in a test path
    assert set(run["agent_ms"]) == set(AGENTS)

    assert (await client.get("/api/ai-soc/brief", headers=analyst.headers)).status_code == 404
    brief = await client.post("/api/ai-soc/brief", headers=analyst.headers)
    assert brief.status_code == 201, brief.text
    body = brief.json()
    assert body["new_cases"] == 4 and body["narrative"] is None and body["llm"]["configured"] is False
    assert body["lines"][0] == "No new finding matches CISA KEV."
    assert any(line.startswith("Top case [") for line in body["lines"])
    assert (await client.get("/api/ai-soc/brief", headers=analyst.headers)).json()["id"] == body["id"]


async def test_unknown_case_and_bad_ids_are_404(client, team):
    analyst = team["analyst"]
    for url in ("/api/ai-soc/cases/nope", "/api/ai-soc/runs/not-an-id"):
        assert (await client.get(url, headers=analyst.headers)).status_code == 404
    response = await client.post("/api/ai-soc/cases/nope/actions", headers=analyst.headers,
                                 json={"action": "keep", "reason": "fine"})
    assert response.status_code == 404

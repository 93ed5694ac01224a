"""KRIs computed against seeded findings, and proposals from live data (exposed findings, regressions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from cspm.core.database.registry import Database
from cspm.core.events import FINDINGS_CHANGED
from cspm.findings.models import FindingStatus
from tests.compliance.conftest import finding_document, store_findings
from tests.compliance.helpers import parse_report
from tests.risks.helpers import PROWLER_REAL, attest_implemented


def _seed(shared_dir, team_id: str) -> list[dict]:
    """Three real Prowler FAIL results as high findings: one past its SLA, one within, one resolved after 6 days."""
    findings = parse_report("prowler", shared_dir / "scans" / PROWLER_REAL[0] / PROWLER_REAL[1])
    chosen = {f.rule_id: f for f in findings if f.rule_id in (
        "s3_bucket_default_encryption", "s3_bucket_public_access", "iam_password_policy_minimum_length_14")}
    now = datetime.now(UTC)
    past, within, resolved = (finding_document(chosen[rule], team_id) for rule in sorted(chosen))
    past |= {"severity": "high", "sla_due_at": now - timedelta(days=2)}
    within |= {"severity": "high", "sla_due_at": now + timedelta(days=5)}
    resolved |= {"severity": "high", "status": FindingStatus.RESOLVED.value, "first_seen": now - timedelta(days=10),
                 "resolved_at": now - timedelta(days=4)}
    return [past, within, resolved]


async def define(client, session, name: str, metric: str, thresholds: dict, **scope) -> dict:
    response = await client.post("/api/risks/kris", headers=session.headers,
                                 json={"name": name, "metric": metric, "scope": scope, "thresholds": thresholds})
    assert response.status_code == 201, response.text
    return response.json()


async def test_kris_from_seeded_findings_with_thresholds_history_and_red_events(client, auth, container, shared_dir):
    analyst = await auth.user(role="analyst")
    documents = _seed(shared_dir, analyst.team_id)
    await store_findings(container, documents)
    await container.events.publish(FINDINGS_CHANGED, team_id=analyst.team_id,
                                   dedup_keys=[d["dedup_key"] for d in documents])
    await attest_implemented(container, analyst.team_id, "IAC-10")

    sla = await define(client, analyst, "High past SLA", "open_past_sla", {"amber": 1, "red": 3}, severity="high")
    assert (sla["value"], sla["status"]) == (1.0, "amber")
    mttr = await define(client, analyst, "MTTR high", "mttr_days", {"amber": 5, "red": 10}, severity="high")
    assert (mttr["value"], mttr["status"]) == (6.0, "amber")
    kev = await define(client, analyst, "KEV open", "kev_open", {"amber": 1, "red": 5})
    assert (kev["value"], kev["status"], kev["note"]) == (None, "unavailable", "threat intelligence not available")
    scans = await define(client, analyst, "Scan age", "days_since_scan", {"amber": 7, "red": 30})
    assert scans["status"] == "unavailable" and scans["note"] == "no scan target in scope"
    implemented = await define(client, analyst, "Controls implemented", "controls_implemented_pct",
                               {"amber": 80, "red": 50, "direction": "lower_is_worse"})
    assert 0 < implemented["value"] < 50 and implemented["status"] == "red"
    refused = await client.post("/api/risks/kris", headers=analyst.headers, json={
        "name": "bad", "metric": "open_past_sla", "thresholds": {"amber": 5, "red": 1}})
    assert refused.status_code == 422 and "red must be beyond amber" in refused.text

    # Another finding past SLA crosses into red: one kri_red event, and the history has both points.
    await container.database.db(Database.SECURITY_SCANS)["findings"].update_one(
        {"_id": documents[1]["_id"]}, {"$set": {"sla_due_at": datetime.now(UTC) - timedelta(hours=1)}})
    await container.database.db(Database.SECURITY_SCANS)["findings"].insert_one(
        {**documents[0], "_id": ObjectId(), "dedup_key": "x" * 64, "sla_due_at": datetime.now(UTC) - timedelta(1)})
    computed = {k["name"]: k for k in (await client.post("/api/risks/kris/compute", headers=analyst.headers)).json()}
    assert (computed["High past SLA"]["value"], computed["High past SLA"]["status"]) == (3.0, "red")
    assert [p["value"] for p in computed["High past SLA"]["history"]] == [1.0, 3.0]
    await client.post("/api/risks/kris/compute", headers=analyst.headers)
    events = (await client.get("/api/risks/events", headers=analyst.headers)).json()
    red = sorted(event["detail"] for event in events if event["kind"] == "kri_red")
    assert red == ["KRI Controls implemented turned red: " + f"{implemented['value']:g} (red at 50)",
                   "KRI High past SLA turned red: 3 (red at 3)"]


async def test_proposals_from_exposed_findings_and_regressions_decided_by_a_person(client, auth, container,
                                                                                 shared_dir):
    analyst = await auth.user(role="analyst")
    target_id = ObjectId()
    await container.database.db(Database.ORCHESTRATION)["scan_targets"].insert_one(
        {"_id": target_id, "team_id": analyst.team_id, "name": "shop.example", "kind": "web",
         "options": {"exposure": "internet"}})
    documents = _seed(shared_dir, analyst.team_id)
    documents[0] |= {"severity": "critical", "scope_key": f"prowler:target:{target_id}:aws"}
    await store_findings(container, documents)
    await attest_implemented(container, analyst.team_id, "CRY-05")
    await container.events.publish(FINDINGS_CHANGED, team_id=analyst.team_id,
                                   dedup_keys=[d["dedup_key"] for d in documents])  # CRY-05 regresses

    run = (await client.post("/api/risks/proposals/generate", headers=analyst.headers)).json()
    assert run["notes"] == ["threat intelligence not available: KEV-listed findings are not proposed, "
                            "only critical ones"]
    proposals = {p["kind"]: p for p in (await client.get("/api/risks/proposals", headers=analyst.headers)).json()}
    exposed = proposals["exposed_finding"]
    assert exposed["title"].startswith("critical finding on internet-facing shop.example")
    assert exposed["evidence"][1]["dedup_key"] == documents[0]["dedup_key"]
    regression = proposals["requirement_regression"]
    assert regression["title"] == "Control CRY-05 regressed from implemented to partially_implemented"
    assert (await client.post("/api/risks/proposals/generate", headers=analyst.headers)).json()["created"] == 0

    dismissed = await client.post(f"/api/risks/proposals/{regression['id']}/decision", headers=analyst.headers,
                                  json={"accept": False})
    assert dismissed.status_code == 422 and "needs a reason" in dismissed.text
    dismissed = await client.post(f"/api/risks/proposals/{regression['id']}/decision", headers=analyst.headers,
                                  json={"accept": False, "reason": "tracked in the S3 risk"})
    assert dismissed.json()["state"] == "dismissed"
    accepted = await client.post(f"/api/risks/proposals/{exposed['id']}/decision", headers=analyst.headers,
                                 json={"accept": True, "owner": "web lead"})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    risk = (await client.get(f"/api/risks/{accepted.json()['risk_id']}", headers=analyst.headers)).json()
    assert risk["finding_keys"] == [documents[0]["dedup_key"]] and risk["owner"] == "web lead"
    assert risk["source"]["kind"] == "proposal"
    assert (risk["inherent"]["likelihood"], risk["inherent"]["impact"]) == (5, 4)
    again = await client.post(f"/api/risks/proposals/{exposed['id']}/decision", headers=analyst.headers,
                              json={"accept": True})
    assert again.status_code == 409

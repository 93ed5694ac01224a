"""The compliance API through real authentication: permissions, team isolation, exports."""

from __future__ import annotations

from cspm.compliance.engine import AutonomousComplianceEngine
from cspm.core.events import FINDINGS_CHANGED
from tests.compliance.conftest import finding_document, store_findings
from tests.compliance.helpers import parse_report


async def test_routes_require_authentication_and_permission(client, auth):
    assert (await client.get("/api/compliance/frameworks")).status_code == 401
    viewer = await auth.user(role="viewer")
    assert (await client.get("/api/compliance/frameworks", headers=viewer.headers)).status_code == 200
    response = await client.put("/api/compliance/controls/CRY-05/status", headers=viewer.headers,
                                json={"status": "implemented", "reason": "trust me"})
    assert response.status_code == 403


async def test_team_isolation(client, auth, container, shared_dir):
    team_a = await auth.user(role="analyst")
    team_b = await auth.user(role="analyst")
    findings = parse_report("prowler", shared_dir / "scans" / "prowler" / "prowler_5.46_aws_moto_s3_iam.ocsf.json")
    failing = next(f for f in findings if f.rule_id == "s3_bucket_default_encryption")
    await store_findings(container, [finding_document(failing, team_a.team_id)])
    # Delivered the way the findings module does it: through the event hub.
    assert await container.events.publish(FINDINGS_CHANGED, team_id=team_a.team_id,
                                          dedup_keys=[failing.dedup_key]) == []
    assert isinstance(container.resolve(AutonomousComplianceEngine), AutonomousComplianceEngine)

    response = await client.put("/api/compliance/controls/IRO-04/status", headers=team_a.headers,
                                json={"status": "implemented", "reason": "IR plan approved", "owner": "ciso"})
    assert response.status_code == 200, response.text
    assert response.json()["state"]["override"]["set_by"] == team_a.user_id

    a_control = (await client.get("/api/compliance/controls/CRY-05", headers=team_a.headers)).json()
    assert a_control["state"]["status"] == "not_implemented"
    assert a_control["findings"][0]["dedup_key"] == failing.dedup_key
    assert a_control["findings"][0]["why"]["rule"] == "prowler.s3.encryption"

    b_control = (await client.get("/api/compliance/controls/CRY-05", headers=team_b.headers)).json()
    assert b_control["state"]["status"] == "not_assessed" and b_control["findings"] == []
    b_iro = (await client.get("/api/compliance/controls/IRO-04", headers=team_b.headers)).json()
    assert b_iro["state"]["status"] == "not_assessed" and b_iro["history"] == []

    a_drift = (await client.get("/api/compliance/drift", headers=team_a.headers)).json()
    b_drift = (await client.get("/api/compliance/drift", headers=team_b.headers)).json()
    assert b_drift["events"] == []
    assert all(event.get("framework_id") or event.get("scf_id") for event in a_drift["events"])

    a_soa = (await client.get("/api/compliance/frameworks/iso-27002-2022/soa", headers=team_a.headers)).json()
    b_soa = (await client.get("/api/compliance/frameworks/iso-27002-2022/soa", headers=team_b.headers)).json()
    assert any(row["justification"] for row in a_soa["requirements"])
    assert not any(row["justification"] for row in b_soa["requirements"])
    assert all(set(row["control_statuses"].values()) == {"not_assessed"} for row in b_soa["requirements"])

    # Team B cannot clear team A's override: for B there is none.
    response = await client.post("/api/compliance/controls/IRO-04/status/clear", headers=team_b.headers,
                                 json={"reason": "mine now"})
    assert response.status_code == 404
    # A user of team B naming team A in X-Team-ID is refused.
    response = await client.get("/api/compliance/frameworks", headers=team_b.for_team(team_a.team_id))
    assert response.status_code == 403


async def test_frameworks_detail_and_exports(client, auth, container):
    status = container.integrity.get("scf_registry")  # reported at start-up by the router's lifespan
    assert status is not None and status.mode == "built-in baseline"
    analyst = await auth.user(role="analyst")
    listing = (await client.get("/api/compliance/frameworks", headers=analyst.headers)).json()
    assert listing["registry"]["source"] == "baseline"
    ids = {item["framework_id"] for item in listing["frameworks"]}
    assert {"iso-27001-2022", "aicpa-tsc-2017-soc-2", "nist-800-53-r5", "pcidss-4.0", "cis-csc-8.0"} <= ids

    answer = await client.post("/api/compliance/frameworks/nist-800-53-r5/answers", headers=analyst.headers,
                               json={"requirement_id": "IA-2(1)", "status": "implemented", "reason": "MFA everywhere"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "satisfied"
    detail = (await client.get("/api/compliance/frameworks/nist-800-53-r5", headers=analyst.headers)).json()
    assert "IA-2(1)" in detail["requirement_ids"]["satisfied"]
    csv_response = await client.get("/api/compliance/frameworks/nist-800-53-r5/soa?format=csv", headers=analyst.headers)
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "IA-2(1),yes,satisfied" in csv_response.text

    assert (await client.get("/api/compliance/frameworks/nope", headers=analyst.headers)).status_code == 404
    assert (await client.get("/api/compliance/controls/XYZ-99", headers=analyst.headers)).status_code == 404
    bad = await client.put("/api/compliance/controls/CRY-05/status", headers=analyst.headers,
                           json={"status": "done", "reason": "x"})
    assert bad.status_code == 422
    no_reason = await client.put("/api/compliance/controls/CRY-05/status", headers=analyst.headers,
                                 json={"status": "implemented", "reason": "  "})
    assert no_reason.status_code == 422
    assert (await client.get("/api/compliance/drift?cursor=zzz", headers=analyst.headers)).status_code == 400
    registry = (await client.get("/api/compliance/registry", headers=analyst.headers)).json()
    assert registry["source"] == "baseline" and registry["counts"]["controls"] == 86


async def test_daily_snapshot_job_is_scheduled_and_runs(container, auth, client):
    from cspm.compliance import tasks
    from cspm.core.jobs import JOBS

    assert JOBS.get("compliance.daily_snapshot").every_seconds == 24 * 3600
    analyst = await auth.user(role="analyst")
    await client.put("/api/compliance/controls/GOV-01/status", headers=analyst.headers,
                     json={"status": "implemented", "reason": "program charter signed"})
    result = await tasks.daily_snapshot(container)
    assert result["teams"] >= 1
    snapshot = await container.database.db("ASSESSMENTS")["compliance_snapshots"].find_one(
        {"team_id": analyst.team_id, "kind": "daily"})
    assert ["GOV-01", "implemented"] in snapshot["controls"]


async def test_controls_of_a_finding_say_why(client, auth, shared_dir):
    analyst = await auth.user(role="analyst")
    other = await auth.user(role="analyst")
    content = (shared_dir / "scans/prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json").read_bytes()
    imported = await client.post("/api/findings/import", headers=analyst.headers,
                                 files={"file": ("p.json", content, "application/json")}, data={"tool": "prowler"})
    assert imported.status_code == 201
    items = (await client.get("/api/findings", headers=analyst.headers, params={"q": "mfa"})).json()["items"]
    key = items[0]["dedup_key"]
    controls = (await client.get(f"/api/compliance/findings/{key}/controls", headers=analyst.headers)).json()
    assert controls and all(control["scf_id"] and control["why"]["rule"] for control in controls)
    assert all(control["status"] in {"not_implemented", "partially_implemented", "implemented", "not_assessed",
                                     "not_applicable"} for control in controls)
    assert (await client.get(f"/api/compliance/findings/{key}/controls", headers=other.headers)).status_code == 404

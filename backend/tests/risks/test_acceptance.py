"""Risk acceptances: a team admin other than the requester decides; findings join; expiry reopens both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cspm.risks.service import RiskService
from tests.risks.helpers import PROWLER_REAL, import_report


@pytest.fixture
async def team(auth, client, shared_dir):
    admin = await auth.user(role="team_admin")
    team = {"admin": admin, "other_admin": await auth.user(role="team_admin", team=admin),
            "analyst": await auth.user(role="analyst", team=admin)}
    await import_report(client, team["analyst"], shared_dir / "scans" / PROWLER_REAL[0] / PROWLER_REAL[1],
                        tool="prowler", scope="aws:123456789012")
    return team


async def finding(client, session, rule: str) -> dict:
    items = (await client.get("/api/findings", headers=session.headers, params={"q": rule})).json()["items"]
    return next(item for item in items if item["rule_id"] == rule)


async def test_requester_cannot_approve_and_approval_accepts_the_findings(client, team, container):
    analyst, admin, other = team["analyst"], team["admin"], team["other_admin"]
    encryption = await finding(client, analyst, "s3_bucket_default_encryption")
    created = await client.post("/api/risks/from-finding", headers=analyst.headers,
                                json={"finding_id": encryption["id"], "owner": "data owner", "impact": 4})
    assert created.status_code == 201, created.text
    risk = created.json()
    assert risk["finding_keys"] == [encryption["dedup_key"]] and risk["inherent"]["likelihood"] == 3  # medium
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    past = await client.post(f"/api/risks/{risk['id']}/acceptances", headers=analyst.headers,
                             json={"reason": "compensating control", "expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422
    requested = await client.post(f"/api/risks/{risk['id']}/acceptances", headers=analyst.headers,
                                  json={"reason": "bucket holds public data only", "expires_at": expires})
    assert requested.status_code == 201, requested.text
    acceptance = requested.json()
    again = await client.post(f"/api/risks/{risk['id']}/acceptances", headers=analyst.headers,
                              json={"reason": "twice", "expires_at": expires})
    assert again.status_code == 409

    # An analyst has no risks:approve; an admin who requested cannot decide their own.
    by_analyst = await client.post(f"/api/risks/acceptances/{acceptance['id']}/decision", headers=analyst.headers,
                                   json={"approve": True})
    assert by_analyst.status_code == 403
    own = await client.post(f"/api/risks/{(await _risk(client, admin))['id']}/acceptances", headers=admin.headers,
                            json={"reason": "mine", "expires_at": expires})
    self_approval = await client.post(f"/api/risks/acceptances/{own.json()['id']}/decision", headers=admin.headers,
                                      json={"approve": True})
    assert self_approval.status_code == 403
    assert "the requester cannot approve" in self_approval.json()["detail"]

    decided = await client.post(f"/api/risks/acceptances/{acceptance['id']}/decision", headers=other.headers,
                                json={"approve": True, "comment": "reviewed"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "approved" and decided.json()["approver"] == other.user_id
    shown = (await client.get(f"/api/risks/{risk['id']}", headers=analyst.headers)).json()
    assert shown["status"] == "accepted" and shown["acceptance"]["state"] == "approved"
    accepted = await finding(client, analyst, "s3_bucket_default_encryption")
    assert accepted["status"] == "risk_accepted"
    twice = await client.post(f"/api/risks/acceptances/{acceptance['id']}/decision", headers=admin.headers,
                              json={"approve": False})
    assert twice.status_code == 409

    # Expiry: the risk goes back to assessed, its finding back to open, the owner is told.
    reopened = await container.resolve(RiskService).expire_acceptances(now=datetime.now(UTC) + timedelta(days=31))
    assert reopened == 2  # this one and the admin's still-requested one
    shown = (await client.get(f"/api/risks/{risk['id']}", headers=analyst.headers)).json()
    assert shown["status"] == "assessed" and shown["acceptance"]["state"] == "expired"
    assert shown["history"][0]["kind"] == "reopened"
    assert (await finding(client, analyst, "s3_bucket_default_encryption"))["status"] == "open"
    events = (await client.get("/api/risks/events", headers=analyst.headers)).json()
    assert "acceptance_expired" in {event["kind"] for event in events}


async def _risk(client, session) -> dict:
    response = await client.post("/api/risks", headers=session.headers,
                                 json={"title": "Admin's own risk", "likelihood": 2, "impact": 2})
    assert response.status_code == 201, response.text
    return response.json()


async def test_accept_risk_on_a_finding_creates_or_joins_a_risk_acceptance(client, team):
    analyst = team["analyst"]
    expires = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    public = await finding(client, analyst, "s3_bucket_public_access")
    changed = await client.post("/api/findings/bulk-status", headers=analyst.headers, json={
        "ids": [public["id"]], "status": "risk_accepted", "reason": "public website bucket",
        "risk_owner": "web lead", "expires_at": expires})
    assert changed.status_code == 200, changed.text
    risks = (await client.get("/api/risks", headers=analyst.headers)).json()["risks"]
    assert len(risks) == 1
    created = risks[0]
    assert created["title"].startswith("Accepted finding: ") and created["finding_keys"] == [public["dedup_key"]]
    assert created["treatment"] == "accept" and created["acceptance"]["state"] == "requested"
    assert created["acceptance"]["requested_by"] == analyst.user_id

    # A finding already linked to a risk joins that risk's open acceptance instead of making another risk.
    logging_finding = await finding(client, analyst, "s3_bucket_server_access_logging_enabled")
    linked = (await client.post("/api/risks/from-finding", headers=analyst.headers,
                                json={"finding_id": logging_finding["id"]})).json()
    await client.post(f"/api/risks/{linked['id']}/acceptances", headers=analyst.headers,
                      json={"reason": "logging later", "expires_at": expires})
    await client.post("/api/findings/bulk-status", headers=analyst.headers, json={
        "ids": [logging_finding["id"]], "status": "risk_accepted", "reason": "logging later",
        "risk_owner": "ops", "expires_at": expires})
    risks = (await client.get("/api/risks", headers=analyst.headers)).json()["risks"]
    assert len(risks) == 2
    acceptances = (await client.get("/api/risks/acceptances", headers=analyst.headers)).json()
    joined = next(item for item in acceptances if item["risk_id"] == linked["id"])
    assert joined["finding_keys"] == [logging_finding["dedup_key"]]

"""The setup wizard (persisted, resumable, expiring) and Jira tickets with their status synced back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from cspm.core.database.registry import Database
from cspm.integrations.service import IntegrationService
from cspm.integrations.tickets import TicketService
from tests.integrations.helpers import WEBHOOK_SECRET, create, import_critical
from tests.integrations.standins import JiraStandIn, SignedWebhookReceiver


async def test_wizard_is_resumable_tests_before_it_creates_and_expires(client, auth, container):
    analyst = await auth.user(role="analyst")
    headers = analyst.headers
    with SignedWebhookReceiver(WEBHOOK_SECRET) as receiver:
        started = await client.post("/api/integrations/wizard", headers=headers, json={"kind": "webhook",
                                                                                     "name": "soar"})
        assert started.status_code == 201 and started.json()["step"] == "credentials"
        session_id = started.json()["id"]
        early = await client.post(f"/api/integrations/wizard/{session_id}/test", headers=headers)
        assert early.status_code == 409
        wrong_kind = await client.put(f"/api/integrations/wizard/{session_id}/credentials", headers=headers,
                                      json={"config": {"kind": "slack", "webhook_url": f"{receiver.base_url}/x"}})
        assert wrong_kind.status_code == 400
        receiver.fail_next = 1
        saved = await client.put(f"/api/integrations/wizard/{session_id}/credentials", headers=headers, json={
            "config": {"kind": "webhook", "url": f"{receiver.base_url}/hook", "signing_secret": WEBHOOK_SECRET}})
        assert saved.status_code == 200 and saved.json()["step"] == "test"
        assert saved.json()["secrets_set"] == ["signing_secret"] and WEBHOOK_SECRET not in saved.text
        # Half-finished: listed to resume, where it was left.
        resumable = (await client.get("/api/integrations/wizard", headers=headers)).json()
        assert [item["id"] for item in resumable] == [session_id] and resumable[0]["step"] == "test"
        failed = (await client.post(f"/api/integrations/wizard/{session_id}/test", headers=headers)).json()
        assert failed["step"] == "test" and failed["test"]["ok"] is False and "503" in failed["test"]["error"]
        refused = await client.post(f"/api/integrations/wizard/{session_id}/finish", headers=headers, json={})
        assert refused.status_code == 409 and "test" in refused.json()["detail"]
        passed = (await client.post(f"/api/integrations/wizard/{session_id}/test", headers=headers)).json()
        assert passed["step"] == "rules" and passed["test"]["ok"] is True
        assert receiver.verified[-1]["event"] == "integration.test"
        done = await client.post(f"/api/integrations/wizard/{session_id}/finish", headers=headers, json={
            "rule": {"name": "critical to soar", "event_types": ["finding.new"], "min_severity": "critical"}})
    assert done.status_code == 200, done.text
    assert done.json()["step"] == "done" and done.json()["integration_id"]
    [integration] = (await client.get("/api/integrations", headers=headers)).json()
    assert integration["id"] == done.json()["integration_id"] and integration["status"]["state"] == "ok"
    [rule] = (await client.get("/api/integrations/rules", headers=headers)).json()
    assert rule["integration_ids"] == [integration["id"]] and rule["min_severity"] == "critical"
    assert (await client.get("/api/integrations/wizard", headers=headers)).json() == []
    # A session left alone expires: refused, then purged with its encrypted secrets.
    stale = (await client.post("/api/integrations/wizard", headers=headers, json={"kind": "slack",
                                                                                "name": "later"})).json()
    sessions = container.database.db(Database.INTEGRATIONS)["wizard_sessions"]
    await sessions.update_one({"_id": ObjectId(stale["id"])},
                              {"$set": {"expires_at": datetime.now(UTC) - timedelta(minutes=1)}})
    expired = await client.get(f"/api/integrations/wizard/{stale['id']}", headers=headers)
    assert expired.status_code == 404 and "expired" in expired.json()["detail"]
    leftover = (await client.post("/api/integrations/wizard", headers=headers, json={"kind": "teams",
                                                                                   "name": "gone"})).json()
    await sessions.update_one({"_id": ObjectId(leftover["id"])},
                              {"$set": {"expires_at": datetime.now(UTC) - timedelta(minutes=1)}})
    assert await container.resolve(IntegrationService).purge_wizards() == 1


async def test_jira_issue_from_a_finding_and_done_moves_it_to_resolved_pending_verification(client, auth,
                                                                                          container):
    analyst = await auth.user(role="analyst")
    with JiraStandIn(version="3") as jira:
        integration = await create(client, analyst, "jira cloud", {
            "kind": "jira", "base_url": jira.base_url, "deployment": "cloud", "project_key": "SEC",
            "email": "bot@example.com", "api_token": "jira-token"})
        checked = (await client.post(f"/api/integrations/{integration['id']}/check", headers=analyst.headers)).json()
        assert checked["ok"] is True
        await import_critical(client, analyst)
        findings = (await client.get("/api/findings", headers=analyst.headers,
                                     params={"severity": "critical"})).json()["items"]
        finding_id = findings[0]["id"]
        created = await client.post(f"/api/integrations/{integration['id']}/tickets", headers=analyst.headers,
                                    json={"finding_id": finding_id})
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert ticket["issue_key"] == "SEC-1" and ticket["issue_url"] == f"{jira.base_url}/browse/SEC-1"
        fields = jira.issues["SEC-1"]["fields"]
        assert fields["summary"].startswith("[CRITICAL]") and fields["description"]["type"] == "doc"
        again = await client.post(f"/api/integrations/{integration['id']}/tickets", headers=analyst.headers,
                                  json={"finding_id": finding_id})
        assert again.json()["issue_key"] == "SEC-1" and len(jira.issues) == 1  # one issue per finding
        tickets = container.resolve(TicketService)
        jira.set_status("SEC-1", "doing")
        assert await tickets.sync() == {"checked": 1, "done": 0, "failed": 0}
        jira.set_status("SEC-1", "done")
        assert await tickets.sync() == {"checked": 1, "done": 1, "failed": 0}
        assert await tickets.sync() == {"checked": 0, "done": 0, "failed": 0}  # done links are not read again
    finding = (await client.get(f"/api/findings/{finding_id}", headers=analyst.headers)).json()
    assert finding["status"] == "resolved_pending_verification"
    [link] = (await client.get("/api/integrations/tickets", headers=analyst.headers)).json()
    assert link["status"] == "Done" and link["status_category"] == "done" and link["finding_moved_at"]
    # A later scan that still reports it reopens it: the fix the ticket claimed did not hold.
    await import_critical(client, analyst)
    finding = (await client.get(f"/api/findings/{finding_id}", headers=analyst.headers)).json()
    assert finding["status"] == "reopened"


async def test_jira_data_center_uses_rest_v2_and_a_bearer_token(client, auth, container):
    analyst = await auth.user(role="analyst")
    with JiraStandIn(version="2", token="dc-pat") as jira:
        wrong = await create(client, analyst, "jira dc wrong", {
            "kind": "jira", "base_url": jira.base_url, "deployment": "data_center", "project_key": "SEC",
            "api_token": "not-the-pat"})
        failing = (await client.post(f"/api/integrations/{wrong['id']}/check", headers=analyst.headers)).json()
        assert failing["ok"] is False and "401" in failing["status"]["last_error"]
        integration = await create(client, analyst, "jira dc", {
            "kind": "jira", "base_url": jira.base_url, "deployment": "data_center", "project_key": "SEC",
            "api_token": "dc-pat"})
        await import_critical(client, analyst)
        finding_id = (await client.get("/api/findings", headers=analyst.headers,
                                       params={"severity": "critical"})).json()["items"][0]["id"]
        created = await client.post(f"/api/integrations/{integration['id']}/tickets", headers=analyst.headers,
                                    json={"finding_id": finding_id})
    assert created.status_code == 201, created.text
    assert isinstance(jira.issues["SEC-1"]["fields"]["description"], str)
    not_jira = await create(client, analyst, "hook", {"kind": "webhook", "url": "http://127.0.0.1:9/x",
                                                      "signing_secret": WEBHOOK_SECRET})
    refused = await client.post(f"/api/integrations/{not_jira['id']}/tickets", headers=analyst.headers,
                                json={"finding_id": finding_id})
    assert refused.status_code == 400 and "not Jira" in refused.json()["detail"]

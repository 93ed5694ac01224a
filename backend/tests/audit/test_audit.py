"""Audit log: events written by auth and teams, the record() API, filters, scoping, append-only."""

from __future__ import annotations

import inspect

import pyotp

from cspm.audit.repository import AuditRepository
from cspm.audit.service import AuditService
from cspm.core.database.registry import Database


async def test_security_events_are_written_with_actor_ip_and_time(client, auth, container):
    session = await auth.user(role="team_admin")
    await client.post("/api/auth/login", json={"email": session.email, "password": "Wrong-password-123"})
    await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    enrol = (await client.post("/api/auth/mfa/enroll", headers=session.headers)).json()
    await client.post("/api/auth/mfa/activate", headers=session.headers,
                      json={"code": pyotp.TOTP(enrol["secret"]).now()})
    viewer = await auth.user(role="viewer", team=session)
    await client.put(f"/api/teams/active/members/{viewer.user_id}", headers=session.headers, json={"role": "analyst"})
    token = (await client.post("/api/auth/tokens", headers=session.headers,
                               json={"name": "ci", "permissions": ["findings:read"]})).json()
    await client.delete(f"/api/auth/tokens/{token['id']}", headers=session.headers)

    events = await container.database.db(Database.PLATFORM)["audit_events"].find({}).to_list()
    by_action = {}
    for event in events:
        by_action.setdefault((event["action"], event["outcome"]), []).append(event)
    for key in [("auth.login", "failure"), ("auth.login", "success"), ("auth.mfa_enrolment_started", "success"),
                ("auth.mfa_enabled", "success"), ("team.role_changed", "success"),
                ("auth.api_token_created", "success"), ("auth.api_token_revoked", "success")]:
        assert key in by_action, key
    login_ok = by_action[("auth.login", "success")][0]
    assert login_ok["actor_id"] == session.user_id and login_ok["ip"] == "203.0.113.10"
    assert login_ok["at"].tzinfo is not None
    role = by_action[("team.role_changed", "success")][0]
    assert role["team_id"] == session.team_id and role["target_id"] == viewer.user_id
    assert role["details"] == {"from": "viewer", "to": "analyst"}
    # no secrets in the log
    assert session.password not in str(events) and token["token"] not in str(events)
    assert enrol["secret"] not in str(events)


async def test_team_admin_reads_own_team_with_filters_and_pages(client, auth):
    admin = await auth.user(role="team_admin")
    other = await auth.user(role="team_admin")
    audit = auth.service.audit
    for index in range(5):
        await audit.record("finding.status_changed", actor_id=admin.user_id, team_id=admin.team_id,
                           target_type="finding", target_id=f"f{index}", details={"to": "resolved"})
    await audit.record("finding.status_changed", actor_id=other.user_id, team_id=other.team_id, target_id="x")
    await audit.record("scan.started", actor_id=admin.user_id, team_id=admin.team_id)

    first = await client.get("/api/audit/events?action=finding.status_changed&limit=3", headers=admin.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["target_id"] for e in page["items"]] == ["f4", "f3", "f2"] and page["next_cursor"]
    second = (await client.get(f"/api/audit/events?action=finding.status_changed&limit=3"
                               f"&cursor={page['next_cursor']}", headers=admin.headers)).json()
    assert [e["target_id"] for e in second["items"]] == ["f1", "f0"] and second["next_cursor"] is None
    prefix = (await client.get("/api/audit/events?action=scan.", headers=admin.headers)).json()
    assert [e["action"] for e in prefix["items"]] == ["scan.started"]
    everything = (await client.get("/api/audit/events?limit=200", headers=admin.headers)).json()["items"]
    assert all(e["team_id"] == admin.team_id for e in everything) and "x" not in {e["target_id"] for e in everything}
    by_target = (await client.get("/api/audit/events?target_id=f2", headers=admin.headers)).json()["items"]
    assert len(by_target) == 1
    reversed_range = await client.get("/api/audit/events?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z",
                                      headers=admin.headers)
    assert reversed_range.status_code == 422 and "since" in reversed_range.json()["detail"]


async def test_who_may_read(client, auth):
    admin = await auth.user(role="team_admin")
    analyst = await auth.user(role="analyst", team=admin)
    assert (await client.get("/api/audit/events", headers=analyst.headers)).status_code == 403
    assert (await client.get("/api/audit/platform-events", headers=admin.headers)).status_code == 403
    platform = await auth.user(role="platform_admin")
    await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "Wrong-password-1"})
    events = (await client.get("/api/audit/platform-events?action=auth.login&outcome=failure",
                               headers=platform.for_team(None))).json()["items"]
    assert len(events) == 1 and events[0]["details"]["email"] == "nobody@example.com"
    await auth.service.audit.record("team.thing", actor_id=admin.user_id, team_id=admin.team_id)
    scoped = (await client.get(f"/api/audit/platform-events?team_id={admin.team_id}",
                               headers=platform.for_team(None))).json()["items"]
    assert [e["action"] for e in scoped] == ["team.thing"]
    every = (await client.get("/api/audit/platform-events?scope=all&limit=200",
                              headers=platform.for_team(None))).json()["items"]
    assert {"team.thing", "auth.login"} <= {e["action"] for e in every}


def test_append_only_and_record_signature_documented():
    public = {name for name, _ in inspect.getmembers(AuditRepository, inspect.isfunction) if not name.startswith("_")}
    assert public == {"append", "find"}
    signature = inspect.signature(AuditService.record)
    assert list(signature.parameters)[:2] == ["self", "action"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in signature.parameters.items()
               if name not in ("self", "action"))
    assert "await audit.record(" in AuditService.record.__doc__


async def test_record_scrubs_secrets_in_details(container):
    audit = container.resolve(AuditService)
    event_id = await audit.record("integration.added", actor_id="u1", team_id="t1",
                                  details={"note": "password=hunter2hunter2", "nested": {"url": "redis://u:pw@h"}})
    stored = await container.database.db(Database.PLATFORM)["audit_events"].find_one({"_id": event_id})
    assert "hunter2" not in str(stored) and ":pw@" not in str(stored)

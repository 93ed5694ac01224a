"""Module switches: a team admin turns a module off; the API then refuses it for that team only."""

from __future__ import annotations

from cspm.teams.schemas import TOGGLEABLE_MODULES


async def test_switched_off_module_is_refused_for_that_team_only(client, auth):
    admin = await auth.user(role="team_admin")
    analyst = await auth.user(role="analyst", team=admin)
    other = await auth.user(role="analyst")
    modules = (await client.get("/api/teams/active/modules", headers=analyst.headers)).json()
    # Every switchable module (teams/schemas.py), all on for a new team.
    assert {module["name"]: module["enabled"] for module in modules} == dict.fromkeys(TOGGLEABLE_MODULES, True)
    assert {"findings", "compliance", "risks", "bia", "ai_soc", "knowledge", "integrations", "registries",
            "exports"} <= set(TOGGLEABLE_MODULES)
    denied = await client.put("/api/teams/active/modules/findings", headers=analyst.headers, json={"enabled": False})
    assert denied.status_code == 403
    off = await client.put("/api/teams/active/modules/findings", headers=admin.headers, json={"enabled": False})
    assert off.status_code == 200
    assert next(module for module in off.json() if module["name"] == "findings")["enabled"] is False
    refused = await client.get("/api/findings", headers=analyst.headers)
    assert refused.status_code == 403 and "Findings module is switched off" in refused.json()["detail"]
    token = await auth.api_token(admin, ["findings:read"])
    assert (await client.get("/api/findings", headers={"Authorization": f"Bearer {token}"})).status_code == 403
    assert (await client.get("/api/scans", headers=analyst.headers)).status_code == 200
    assert (await client.get("/api/findings", headers=other.headers)).status_code == 200
    back = await client.put("/api/teams/active/modules/findings", headers=admin.headers, json={"enabled": True})
    assert back.status_code == 200
    assert (await client.get("/api/findings", headers=analyst.headers)).status_code == 200
    unknown = await client.put("/api/teams/active/modules/nothing", headers=admin.headers, json={"enabled": False})
    assert unknown.status_code == 404
    events = (await client.get("/api/audit/events", headers=admin.headers)).json()["items"]
    assert {"team.module_disabled", "team.module_enabled"} <= {event["action"] for event in events}

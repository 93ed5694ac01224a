"""API tokens: shown once, stored hashed, team scope, permission subset, expiry, last use, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cspm.auth.tokens import sha256_hex
from cspm.core.database.registry import Database


def bearer(token: str, team_id: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if team_id:
        headers["X-Team-ID"] = team_id
    return headers


async def create(client, session, **body):
    payload = {"name": "ci pipeline", "permissions": ["findings:read", "findings:import"], **body}
    return await client.post("/api/auth/tokens", headers=session.headers, json=payload)


async def test_created_once_stored_hashed_and_listed_without_secret(client, auth, container):
    admin = await auth.user(role="team_admin")
    response = await create(client, admin)
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["token"]
    assert token.startswith("cspm_") and len(token) > 40 and body["prefix"] == token[:11]
    stored = await container.database.db(Database.PLATFORM)["api_tokens"].find_one({"_id": body["id"]})
    assert stored["token_hash"] == sha256_hex(token) and token not in str(stored)
    listed = (await client.get("/api/auth/tokens", headers=admin.headers)).json()
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    assert token not in str(listed)

    me = await client.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["via"] == "api_token"
    assert me.json()["active_team_id"] == admin.team_id and me.json()["role"] == "service"
    assert sorted(me.json()["permissions"]) == ["findings:import", "findings:read"]
    used = await container.database.db(Database.PLATFORM)["api_tokens"].find_one({"_id": body["id"]})
    assert used["last_used_at"] is not None


async def test_scope_cannot_exceed_the_creator_or_the_grantable_set(client, auth):
    analyst = await auth.user(role="analyst")
    assert (await create(client, analyst)).status_code == 403  # tokens:manage needed
    admin = await auth.user(role="team_admin")
    not_grantable = await create(client, admin, permissions=["users:manage"])
    assert not_grantable.status_code == 422 and "users:manage" in not_grantable.text
    unknown = await create(client, admin, permissions=["findings:nuke"])
    assert unknown.status_code == 422
    assert (await create(client, admin, permissions=[])).status_code == 422
    too_long = await create(client, admin, expires_in_days=5000)
    assert too_long.status_code == 422


async def test_token_is_bound_to_its_team(client, auth):
    admin = await auth.user(role="team_admin")
    other = await auth.user(role="team_admin")
    token = (await create(client, admin)).json()["token"]
    assert (await client.get("/api/auth/me", headers=bearer(token, admin.team_id))).status_code == 200
    assert (await client.get("/api/auth/me", headers=bearer(token, other.team_id))).status_code == 403
    # a token cannot manage tokens, teams or invitations, whatever it asks for
    assert (await client.get("/api/auth/tokens", headers=bearer(token))).status_code == 403
    assert (await client.post("/api/teams", headers=bearer(token), json={"name": "x team"})).status_code == 403
    assert (await client.post("/api/auth/logout", headers=bearer(token))).status_code == 400


async def test_revocation_and_expiry(client, auth, container):
    admin = await auth.user(role="team_admin")
    created = (await create(client, admin)).json()
    token = created["token"]
    other = await auth.user(role="team_admin")
    # another team's admin cannot see or revoke it
    assert (await client.delete(f"/api/auth/tokens/{created['id']}", headers=other.headers)).status_code == 404
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 200
    revoked = await client.delete(f"/api/auth/tokens/{created['id']}", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = await client.get("/api/auth/me", headers=bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert (await client.delete(f"/api/auth/tokens/{created['id']}", headers=admin.headers)).status_code == 409

    expiring = (await create(client, admin, name="short")).json()
    await container.database.db(Database.PLATFORM)["api_tokens"].update_one(
        {"_id": expiring["id"]}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}})
    expired = await client.get("/api/auth/me", headers=bearer(expiring["token"]))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]

    events, _ = await auth.service.audit.list(team_id=admin.team_id, action="auth.api_token_")
    assert events == []  # "auth.api_token_" is not a prefix filter (no trailing dot)
    created_events, _ = await auth.service.audit.list(team_id=admin.team_id, action="auth.api_token_created")
    revoked_events, _ = await auth.service.audit.list(team_id=admin.team_id, action="auth.api_token_revoked")
    assert len(created_events) == 2 and len(revoked_events) == 1

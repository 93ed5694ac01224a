"""API tokens: shown once, stored hashed, team scope, permission subset, expiry, last use, revocation,
and no access to the account routes (sessions, password, MFA) of the user they act for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cspm.auth.permissions import TOKEN_GRANTABLE_PERMISSIONS
from cspm.auth.routes import PUBLIC_ROUTES
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


async def test_a_token_cannot_list_its_owners_sessions(client, auth):
    owner = await auth.user(role="team_admin")
    token = await auth.api_token(owner, ["findings:read"])
    response = await client.get("/api/auth/sessions", headers=bearer(token))
    assert response.status_code == 403 and "user session" in response.json()["detail"]
    assert auth.client_info.ip not in response.text and "pytest" not in response.text
    assert (await client.get("/api/auth/sessions", headers=owner.headers)).status_code == 200


# What an API token may call under /api/auth: who it acts for, and (refused with a pointer
# to token revocation) logging out.
TOKEN_ALLOWED = {("GET", "/api/auth/me")}
TOKEN_REDIRECTED = {("POST", "/api/auth/logout"), ("POST", "/api/auth/logout-all")}


async def test_a_token_with_every_permission_is_refused_on_every_account_route(app, client, auth):
    owner = await auth.user(role="team_admin")
    token = await auth.api_token(owner, sorted(TOKEN_GRANTABLE_PERMISSIONS))
    routes = {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
              if path.startswith("/api/auth/") for method in operations}
    assert len(routes) > 15
    for method, path in sorted(routes - PUBLIC_ROUTES - TOKEN_ALLOWED):
        url = path.replace("{token_id}", "0" * 32).replace("{user_id}", "0" * 32)
        response = await client.request(method, url, headers=bearer(token), json={})
        expected = 400 if (method, path) in TOKEN_REDIRECTED else 403
        assert response.status_code == expected, (method, path, response.text)
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 200

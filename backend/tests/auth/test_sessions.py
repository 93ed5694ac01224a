"""Login, refresh rotation, reuse detection, logout and log out everywhere (Redis + MongoDB records)."""

from __future__ import annotations

from cspm.core.database.registry import Database


async def login(client, session) -> dict:
    response = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert response.status_code == 200, response.text
    return response.json()["tokens"]


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_login_wrong_password_and_unknown_user_look_the_same(client, auth):
    session = await auth.user(role=None)
    wrong = await client.post("/api/auth/login", json={"email": session.email, "password": "Wrong-password-123"})
    unknown = await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "Whatever-123456"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid e-mail or password"}


async def test_refresh_rotates_and_reuse_revokes_the_family(client, auth, container):
    session = await auth.user(role=None)
    first = await login(client, session)
    second = (await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}))
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"] and second["session_id"] == first["session_id"]
    assert (await client.get("/api/auth/me", headers=bearer(second))).status_code == 200
    third = (await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})).json()

    # An attacker replays the first (rotated) refresh token: the whole session dies.
    replay = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and "reuse" in replay.json()["detail"]
    assert (await client.get("/api/auth/me", headers=bearer(third))).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": third["refresh_token"]})).status_code == 401
    stored = await container.database.db(Database.PLATFORM)["auth_sessions"].find_one({"_id": first["session_id"]})
    assert stored["revoked_reason"] == "refresh token reuse"
    events, _ = await auth.service.audit.list(team_id=None, action="auth.refresh_reuse_detected")
    assert len(events) == 1 and events[0]["target_id"] == first["session_id"]
    # other sessions of the same user are not affected
    assert (await client.get("/api/auth/me", headers=session.headers)).status_code == 200


async def test_refresh_token_forms_that_are_refused(client, auth):
    session = await auth.user(role=None)
    tokens = await login(client, session)
    sid = tokens["session_id"]
    for bad in (f"{sid}.forged-secret-value", "0" * 32 + ".abc", "no-dot-here-at-all", tokens["access_token"]):
        response = await client.post("/api/auth/refresh", json={"refresh_token": bad})
        assert response.status_code == 401, bad
    # a forged secret does not count as reuse: the real one still works
    assert (await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 200


async def test_logout_revokes_access_and_refresh_at_once(client, auth, container):
    session = await auth.user(role=None)
    tokens = await login(client, session)
    assert (await client.post("/api/auth/logout", headers=bearer(tokens))).status_code == 204
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 401
    assert (await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    assert await container.kv.get(f"session:{tokens['session_id']}") is None
    # the fixture's own session is untouched
    assert (await client.get("/api/auth/me", headers=session.headers)).status_code == 200


async def test_logout_everywhere(client, auth):
    session = await auth.user(role=None)
    laptop, phone = await login(client, session), await login(client, session)
    listed = (await client.get("/api/auth/sessions", headers=bearer(laptop))).json()
    assert len(listed) == 3 and sum(s["current"] for s in listed) == 1
    response = await client.post("/api/auth/logout-all", headers=bearer(phone))
    assert response.status_code == 200 and response.json() == {"sessions_revoked": 3}
    for headers in (bearer(laptop), bearer(phone), session.headers):
        assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_session_check_falls_back_to_mongodb_when_the_kv_key_is_gone(client, auth, container):
    session = await auth.user(role=None)
    await container.kv.delete(f"session:{session.session_id}")  # e.g. Redis restarted
    assert (await client.get("/api/auth/me", headers=session.headers)).status_code == 200
    assert await container.kv.get(f"session:{session.session_id}") == session.user_id  # cached again
    # a revoked session stays revoked even if the negative cache is gone too
    await client.post("/api/auth/logout", headers=session.headers)
    await container.kv.delete(f"session-revoked:{session.session_id}")
    assert (await client.get("/api/auth/me", headers=session.headers)).status_code == 401


async def test_password_change_revokes_other_sessions(client, auth):
    session = await auth.user(role=None)
    other = await login(client, session)
    new_password = "fresh-Meadow-72-compass"
    wrong = await client.post("/api/auth/password", headers=session.headers,
                              json={"current_password": "not-it-at-all", "new_password": new_password})
    assert wrong.status_code == 403
    changed = await client.post("/api/auth/password", headers=session.headers,
                                json={"current_password": session.password, "new_password": new_password})
    assert changed.status_code == 204, changed.text
    assert (await client.get("/api/auth/me", headers=session.headers)).status_code == 200
    assert (await client.get("/api/auth/me", headers=bearer(other))).status_code == 401
    old = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert old.status_code == 401
    assert (await client.post("/api/auth/login", json={"email": session.email,
                                                       "password": new_password})).status_code == 200


async def test_disabled_user_is_refused_immediately(client, auth):
    admin = await auth.user(role="platform_admin")
    victim = await auth.user(role="analyst")
    response = await client.patch(f"/api/auth/users/{victim.user_id}", headers=admin.for_team(None),
                                  json={"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await client.get("/api/auth/me", headers=victim.headers)).status_code == 401
    login_attempt = await client.post("/api/auth/login", json={"email": victim.email, "password": victim.password})
    assert login_attempt.status_code == 401

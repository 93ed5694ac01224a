"""TOTP enrolment and login step-up on the real clock, recovery codes, disable and admin reset."""

from __future__ import annotations

import time

import pyotp

from cspm.core.database.registry import Database


async def challenge(client, session) -> str:
    response = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert response.status_code == 200, response.text
    assert response.json()["mfa_required"] is True and response.json()["tokens"] is None
    return response.json()["mfa_token"]


async def verify(client, mfa_token: str, **answer) -> object:
    return await client.post("/api/auth/mfa/verify", json={"mfa_token": mfa_token, **answer})


async def test_totp_window_and_replay(client, auth):
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    session = await auth.user(role=None, mfa_secret=secret)

    # one step in the past is inside the window
    ok = await verify(client, await challenge(client, session), code=totp.at(time.time() - 30))
    assert ok.status_code == 200, ok.text
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {ok.json()['access_token']}"})
            ).status_code == 200
    # the same code again (replay) is refused, even with a fresh challenge
    replay = await verify(client, await challenge(client, session), code=totp.at(time.time() - 30))
    assert replay.status_code == 401
    # three steps away is outside the window
    old = await verify(client, await challenge(client, session), code=totp.at(time.time() - 90))
    assert old.status_code == 401
    # the current code works
    assert (await verify(client, await challenge(client, session), code=totp.now())).status_code == 200


async def test_challenge_is_single_use_and_not_an_access_token(client, auth):
    secret = pyotp.random_base32()
    session = await auth.user(role=None, mfa_secret=secret)
    token = await challenge(client, session)
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    assert (await verify(client, token, code=pyotp.TOTP(secret).now())).status_code == 200
    again = await verify(client, token, code=pyotp.TOTP(secret).at(time.time() + 30))
    assert again.status_code == 401 and "already used" in again.json()["detail"]


async def test_enrolment_recovery_codes_single_use_and_hashed(client, auth, container):
    session = await auth.user(role=None)
    enrol = (await client.post("/api/auth/mfa/enroll", headers=session.headers)).json()
    assert f"secret={enrol['secret']}" in enrol["otpauth_uri"]
    wrong = await client.post("/api/auth/mfa/activate", headers=session.headers, json={"code": "000000"})
    assert wrong.status_code in (422,) and "code" in wrong.json()["detail"]
    codes = (await client.post("/api/auth/mfa/activate", headers=session.headers,
                               json={"code": pyotp.TOTP(enrol["secret"]).now()})).json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = await container.database.db(Database.PLATFORM)["users"].find_one({"_id": session.user_id})
    assert stored["mfa"]["enabled"] is True
    assert enrol["secret"] not in str(stored) and not any(code in str(stored) for code in codes)

    used = await verify(client, await challenge(client, session), recovery_code=codes[0].upper())
    assert used.status_code == 200, used.text
    reused = await verify(client, await challenge(client, session), recovery_code=codes[0])
    assert reused.status_code == 401
    assert (await verify(client, await challenge(client, session), recovery_code=codes[1])).status_code == 200
    both = await verify(client, await challenge(client, session), code="123456", recovery_code=codes[2])
    assert both.status_code == 422


async def test_disable_and_regenerate_need_a_current_code(client, auth):
    secret = pyotp.random_base32()
    session = await auth.user(role=None, mfa_secret=secret)
    totp = pyotp.TOTP(secret)
    regenerated = await client.post("/api/auth/mfa/recovery-codes", headers=session.headers,
                                    json={"code": totp.at(time.time() - 30)})
    assert regenerated.status_code == 200 and len(regenerated.json()["recovery_codes"]) == 10
    no_password = await client.post("/api/auth/mfa/disable", headers=session.headers,
                                    json={"password": "wrong-password-1", "code": totp.now()})
    assert no_password.status_code == 403
    disabled = await client.post("/api/auth/mfa/disable", headers=session.headers,
                                 json={"password": session.password, "code": totp.now()})
    assert disabled.status_code == 204, disabled.text
    login = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert login.json()["mfa_required"] is False


async def test_admin_reset(client, auth):
    admin = await auth.user(role="platform_admin")
    secret = pyotp.random_base32()
    user = await auth.user(role="team_admin", mfa_secret=secret)
    # a team admin is not a platform admin
    assert (await client.post(f"/api/auth/users/{admin.user_id}/mfa/reset",
                              headers=user.headers)).status_code == 403
    reset = await client.post(f"/api/auth/users/{user.user_id}/mfa/reset", headers=admin.for_team(None))
    assert reset.status_code == 204
    assert (await client.get("/api/auth/me", headers=user.headers)).status_code == 401  # sessions revoked
    login = await client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    assert login.json()["mfa_required"] is False
    assert (await client.post(f"/api/auth/users/{'f' * 32}/mfa/reset",
                              headers=admin.for_team(None))).status_code == 404
    events, _ = await auth.service.audit.list(team_id=None, action="auth.mfa_reset")
    assert events[0]["actor_id"] == admin.user_id and events[0]["target_id"] == user.user_id

"""The issue's "done when": register, log in, MFA, team, invite a viewer who cannot write."""

from __future__ import annotations

import pyotp

from cspm.core.database.registry import Database

PASSWORD = "violet-Lantern-93-quarry"


async def test_first_user_is_platform_admin_then_registration_closes(client, container):
    status = (await client.get("/api/auth/registration")).json()
    assert status == {"open": True, "first_user": True}
    first = await client.post("/api/auth/register", json={"email": "Admin@Example.com", "password": PASSWORD})
    assert first.status_code == 201, first.text
    assert first.json()["is_platform_admin"] is True
    assert first.json()["email"] == "admin@example.com"

    assert (await client.get("/api/auth/registration")).json() == {"open": False, "first_user": False}
    second = await client.post("/api/auth/register", json={"email": "b@example.com", "password": PASSWORD})
    assert second.status_code == 403
    assert "closed" in second.json()["detail"]
    users = container.database.db(Database.PLATFORM)["users"]
    assert await users.count_documents({}) == 1


async def test_register_mfa_team_invite_viewer_cannot_write(client, container):
    # 1. register (first user → admin) and log in without MFA
    assert (await client.post("/api/auth/register", json={"email": "owner@example.com",
                                                          "password": PASSWORD})).status_code == 201
    login = await client.post("/api/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["mfa_required"] is False
    owner = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}"}

    # 2. enrol TOTP and activate it with a real code
    enrol = await client.post("/api/auth/mfa/enroll", headers=owner)
    assert enrol.status_code == 200, enrol.text
    secret = enrol.json()["secret"]
    assert enrol.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert enrol.json()["qr_svg_data_uri"].startswith("data:image/svg+xml")
    activate = await client.post("/api/auth/mfa/activate", headers=owner, json={"code": pyotp.TOTP(secret).now()})
    assert activate.status_code == 200, activate.text
    assert len(activate.json()["recovery_codes"]) == 10

    # 3. log in again: password alone gives an MFA challenge, the code completes it
    login = await client.post("/api/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
    assert login.json()["mfa_required"] is True and login.json()["tokens"] is None
    totp = pyotp.TOTP(secret)
    # The activation code's time step is spent: use the next step's code (inside the window).
    import time
    code = totp.at(time.time() + 30)
    verified = await client.post("/api/auth/mfa/verify", json={"mfa_token": login.json()["mfa_token"], "code": code})
    assert verified.status_code == 200, verified.text
    owner = {"Authorization": f"Bearer {verified.json()['access_token']}"}

    # 4. create a team and invite a viewer
    team = await client.post("/api/teams", headers=owner, json={"name": "Blue Team"})
    assert team.status_code == 201, team.text
    team_id = team.json()["id"]
    owner_team = {**owner, "X-Team-ID": team_id}
    invitation = await client.post("/api/teams/active/invitations", headers=owner_team,
                                   json={"email": "viewer@example.com", "role": "viewer"})
    assert invitation.status_code == 201, invitation.text

    # 5. the invitee registers with the invitation although registration is closed
    registered = await client.post("/api/auth/register", json={
        "email": "viewer@example.com", "password": "amber-Harbor-51-thimble",
        "invitation_token": invitation.json()["token"]})
    assert registered.status_code == 201, registered.text
    assert registered.json()["is_platform_admin"] is False
    login = await client.post("/api/auth/login", json={"email": "viewer@example.com",
                                                       "password": "amber-Harbor-51-thimble"})
    viewer = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}", "X-Team-ID": team_id}

    me = (await client.get("/api/auth/me", headers=viewer)).json()
    assert me["role"] == "viewer"
    assert "teams:read" in me["permissions"] and "findings:write" not in me["permissions"]
    # 6. the viewer can read the team but cannot write
    assert (await client.get("/api/teams/active/members", headers=viewer)).status_code == 200
    assert (await client.patch("/api/teams/active", headers=viewer, json={"name": "Hijacked"})).status_code == 403
    assert (await client.post("/api/teams/active/invitations", headers=viewer,
                              json={"email": "x@example.com"})).status_code == 403
    assert (await client.get("/api/teams/active", headers=viewer)).json()["name"] == "Blue Team"

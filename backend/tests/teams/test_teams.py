"""Teams: creation, membership roles, last-admin rule, invitations (expiry, wrong e-mail, existing users)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cspm.core.database.registry import Database


async def test_create_and_list_my_teams(client, auth):
    user = await auth.user(role=None)
    created = await client.post("/api/teams", headers=user.headers, json={"name": "Red Team"})
    assert created.status_code == 201 and created.json()["role"] == "team_admin"
    again = await client.post("/api/teams", headers=user.headers, json={"name": "Red Team"})
    assert again.status_code == 201 and again.json()["slug"] != created.json()["slug"]
    mine = (await client.get("/api/teams", headers=user.headers)).json()
    assert [t["id"] for t in mine] == [created.json()["id"], again.json()["id"]]
    other = await auth.user(role="analyst")
    assert created.json()["id"] not in str((await client.get("/api/teams", headers=other.headers)).json())


async def test_roles_and_last_admin(client, auth):
    admin = await auth.user(role="team_admin")
    analyst = await auth.user(role="analyst", team=admin)
    members = (await client.get("/api/teams/active/members", headers=analyst.headers)).json()
    assert {m["user_id"]: m["role"] for m in members} == {admin.user_id: "team_admin", analyst.user_id: "analyst"}
    promoted = await client.put(f"/api/teams/active/members/{analyst.user_id}", headers=admin.headers,
                                json={"role": "team_admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "team_admin"
    # the analyst's existing token now carries team_admin permissions (role is read per request)
    assert (await client.get("/api/teams/active/invitations", headers=analyst.headers)).status_code == 200
    assert (await client.put(f"/api/teams/active/members/{admin.user_id}", headers=analyst.headers,
                             json={"role": "viewer"})).status_code == 200
    # now the analyst is the only team admin: cannot demote or remove themselves
    last = await client.put(f"/api/teams/active/members/{analyst.user_id}", headers=analyst.headers,
                            json={"role": "viewer"})
    assert last.status_code == 409
    assert (await client.delete(f"/api/teams/active/members/{analyst.user_id}",
                                headers=analyst.headers)).status_code == 409
    assert (await client.delete(f"/api/teams/active/members/{admin.user_id}",
                                headers=analyst.headers)).status_code == 204
    assert (await client.get("/api/teams/active", headers=admin.headers)).status_code == 403
    assert (await client.put(f"/api/teams/active/members/{'a' * 32}", headers=analyst.headers,
                             json={"role": "viewer"})).status_code == 404
    events, _ = await auth.service.audit.list(team_id=admin.team_id, action="team.")
    assert {e["action"] for e in events} == {"team.role_changed", "team.member_removed"}


async def test_invitation_for_existing_user_and_misuse(client, auth, container):
    admin = await auth.user(role="team_admin")
    invitee = await auth.user(role=None)
    stranger = await auth.user(role=None)
    invitation = (await client.post("/api/teams/active/invitations", headers=admin.headers,
                                    json={"email": invitee.email, "role": "analyst"})).json()
    token = invitation["token"]
    stored = await container.database.db(Database.PLATFORM)["team_invitations"].find_one({"_id": invitation["id"]})
    assert token not in str(stored)
    # someone else cannot use it
    assert (await client.post("/api/auth/invitations/accept", headers=stranger.headers,
                              json={"token": token})).status_code == 403
    accepted = await client.post("/api/auth/invitations/accept", headers=invitee.headers, json={"token": token})
    assert accepted.status_code == 200 and accepted.json() == {"team_id": admin.team_id,
                                                               "team_name": accepted.json()["team_name"],
                                                               "role": "analyst"}
    assert (await client.post("/api/auth/invitations/accept", headers=invitee.headers,
                              json={"token": token})).status_code == 403  # single use
    again = await client.post("/api/teams/active/invitations", headers=admin.headers,
                              json={"email": invitee.email})
    assert again.status_code == 409  # already a member


async def test_invitation_expiry_and_revocation(client, auth, container):
    admin = await auth.user(role="team_admin")
    expired = (await client.post("/api/teams/active/invitations", headers=admin.headers,
                                 json={"email": "late@example.com"})).json()
    await container.database.db(Database.PLATFORM)["team_invitations"].update_one(
        {"_id": expired["id"]}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(minutes=1)}})
    late = await client.post("/api/auth/register", json={"email": "late@example.com",
                                                         "password": "violet-Lantern-93-quarry",
                                                         "invitation_token": expired["token"]})
    assert late.status_code == 403
    revoked = (await client.post("/api/teams/active/invitations", headers=admin.headers,
                                 json={"email": "gone@example.com"})).json()
    assert (await client.delete(f"/api/teams/active/invitations/{revoked['id']}",
                                headers=admin.headers)).status_code == 200
    gone = await client.post("/api/auth/register", json={"email": "gone@example.com",
                                                         "password": "violet-Lantern-93-quarry",
                                                         "invitation_token": revoked["token"]})
    assert gone.status_code == 403
    wrong_email = (await client.post("/api/teams/active/invitations", headers=admin.headers,
                                     json={"email": "right@example.com"})).json()
    mismatch = await client.post("/api/auth/register", json={"email": "wrong@example.com",
                                                             "password": "violet-Lantern-93-quarry",
                                                             "invitation_token": wrong_email["token"]})
    assert mismatch.status_code == 403
    assert await container.database.db(Database.PLATFORM)["users"].count_documents(
        {"email": {"$in": ["late@example.com", "gone@example.com", "wrong@example.com"]}}) == 0
    listed = (await client.get("/api/teams/active/invitations", headers=admin.headers)).json()
    assert len(listed) == 3 and all("token" not in item for item in listed)


async def test_registration_opened_by_admin(client, auth):
    admin = await auth.user(role="platform_admin")
    analyst = await auth.user(role="analyst")
    assert (await client.put("/api/auth/registration", headers=analyst.headers,
                             json={"open": True})).status_code == 403
    closed = await client.post("/api/auth/register", json={"email": "n1@example.com",
                                                           "password": "violet-Lantern-93-quarry"})
    assert closed.status_code == 403
    opened = await client.put("/api/auth/registration", headers=admin.for_team(None), json={"open": True})
    assert opened.status_code == 200 and opened.json()["open"] is True
    registered = await client.post("/api/auth/register", json={"email": "n1@example.com",
                                                               "password": "violet-Lantern-93-quarry"})
    assert registered.status_code == 201 and registered.json()["is_platform_admin"] is False
    duplicate = await client.post("/api/auth/register", json={"email": "N1@example.com",
                                                              "password": "violet-Lantern-93-quarry"})
    assert duplicate.status_code == 409

"""Malformed JSON, unknown fields, wrong types, oversize bodies: clear 4xx naming the problem, nothing stored."""

from __future__ import annotations

import pytest

from cspm.core.database.registry import Database


async def platform_counts(container) -> dict[str, int]:
    db = container.database.db(Database.PLATFORM)
    return {name: await db[name].count_documents({}) for name in
            ("users", "teams", "team_memberships", "team_invitations", "api_tokens", "auth_sessions")}


def fields(response) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in response.json()["detail"]]


async def test_malformed_json(client, container):
    response = await client.post("/api/auth/register", content=b'{"email": "a@example.com", "password": ',
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert (await platform_counts(container))["users"] == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "a@example.com", "password": "violet-Lantern-93-quarry", "is_platform_admin": True},
     "body.is_platform_admin"),
    ({"email": "not-an-email", "password": "violet-Lantern-93-quarry"}, "body.email"),
    ({"email": "a@example.com", "password": 12345678901234}, "body.password"),
    ({"email": ["a@example.com"], "password": "violet-Lantern-93-quarry"}, "body.email"),
    ({"password": "violet-Lantern-93-quarry"}, "body.email"),
])
async def test_register_field_errors(client, container, body, field):
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert field in fields(response)
    assert (await platform_counts(container))["users"] == 0


async def test_authenticated_routes_name_the_field(client, auth, container):
    admin = await auth.user(role="team_admin")
    before = await platform_counts(container)
    cases = [
        ("/api/teams", {"name": "ok team", "owner": "me"}, "body.owner"),
        ("/api/teams", {"name": 5}, "body.name"),
        ("/api/teams/active/invitations", {"email": "v@example.com", "role": "platform_admin"}, "body.role"),
        ("/api/auth/tokens", {"name": "t", "permissions": "findings:read"}, "body.permissions"),
        ("/api/auth/tokens", {"name": "t", "permissions": ["findings:read"], "expires_in_days": "soon"},
         "body.expires_in_days"),
        ("/api/auth/mfa/activate", {"code": "12ab56"}, "body.code"),
    ]
    for url, body, field in cases:
        response = await client.post(url, headers=admin.headers, json=body)
        assert response.status_code == 422, (url, response.text)
        assert field in fields(response), (url, response.text)
    assert await platform_counts(container) == before


async def test_oversize_body_is_413(client, auth, container):
    admin = await auth.user(role="team_admin")
    before = await platform_counts(container)
    big = b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = await client.post("/api/teams", headers={**admin.headers, "Content-Type": "application/json"},
                                 content=big)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]

    # without a Content-Length header (chunked): the limit holds while reading
    async def chunks():
        for _ in range(40):
            yield b"x" * (64 * 1024)

    streamed = await client.post("/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert await platform_counts(container) == before


async def test_query_parameter_errors_name_the_parameter(client, auth):
    admin = await auth.user(role="team_admin")
    response = await client.get("/api/audit/events?limit=0&since=yesterday", headers=admin.headers)
    assert response.status_code == 422
    assert {"query.limit", "query.since"} <= set(fields(response))
    bad_cursor = await client.get("/api/audit/events?cursor=%%%", headers=admin.headers)
    assert bad_cursor.status_code == 400 and "cursor" in bad_cursor.json()["detail"]


async def test_oversized_team_header_is_refused(client, auth):
    admin = await auth.user(role="team_admin")
    response = await client.get("/api/teams/active", headers={**admin.headers, "X-Team-ID": "a" * 65})
    assert response.status_code == 422 and "header.X-Team-ID" in fields(response)

"""The `auth` fixture and the dependency contract other modules build on."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI

from cspm.auth.dependencies import Principal, authenticated, require_permission
from cspm.auth.permissions import Role


async def test_auth_fixture_gives_working_headers(client, auth):
    analyst = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=analyst)
    assert analyst.team_id == viewer.team_id
    assert set(analyst.headers) == {"Authorization", "X-Team-ID"}
    me = await client.get("/api/auth/me", headers=viewer.headers)
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["id"] == viewer.user_id and body["email"] == viewer.email
    assert body["active_team_id"] == viewer.team_id and body["role"] == "viewer"
    assert body["is_platform_admin"] is False

    login = await client.post("/api/auth/login", json={"email": analyst.email, "password": analyst.password})
    assert login.status_code == 200, login.text


async def test_user_without_team_and_platform_admin(client, auth):
    loner = await auth.user(role=None)
    assert loner.team_id is None and "X-Team-ID" not in loner.headers
    admin = await auth.user(role="platform_admin")
    me = (await client.get("/api/auth/me", headers=admin.headers)).json()
    assert me["is_platform_admin"] is True and me["role"] == "platform_admin"
    assert "platform:admin" in me["permissions"] and "findings:write" in me["permissions"]


def test_require_permission_refuses_unknown_permission():
    with pytest.raises(ValueError, match="unknown permission"):
        require_permission("findings:delete-everything")


async def test_require_permission_on_a_route(container, auth):
    """A throw-away app using the dependency exactly as a domain module would."""
    router = APIRouter()

    @router.post("/things")
    async def write_thing(principal: Annotated[Principal, Depends(require_permission("findings:write"))]) -> dict:
        return {"team_id": principal.team_id, "role": principal.role, "via": principal.via}

    app = FastAPI()
    app.state.container = container
    from cspm.core.errors import install_error_handlers

    install_error_handlers(app)
    app.include_router(router, prefix="/api/x", dependencies=[Depends(authenticated)])
    import httpx

    analyst = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=analyst)
    other = await auth.user(role="team_admin")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        ok = await http.post("/api/x/things", headers=analyst.headers)
        assert ok.status_code == 200 and ok.json() == {"team_id": analyst.team_id, "role": Role.ANALYST,
                                                       "via": "session"}
        assert (await http.post("/api/x/things", headers=viewer.headers)).status_code == 403
        assert (await http.post("/api/x/things")).status_code == 401
        no_team = await http.post("/api/x/things", headers=analyst.for_team(None))
        assert no_team.status_code == 403 and "X-Team-ID" in no_team.json()["detail"]
        # a team the user does not belong to
        assert (await http.post("/api/x/things", headers=analyst.for_team(other.team_id))).status_code == 403
        # API token with findings:write for the analyst's team
        token = await auth.api_token(analyst, ["findings:write", "findings:read"])
        by_token = await http.post("/api/x/things", headers={"Authorization": f"Bearer {token}"})
        assert by_token.status_code == 200 and by_token.json()["via"] == "api_token"
        read_only = await auth.api_token(analyst, ["findings:read"])
        assert (await http.post("/api/x/things", headers={"Authorization": f"Bearer {read_only}"})).status_code == 403

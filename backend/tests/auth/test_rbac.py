"""Each role against each permission of the catalogue, through require_permission on real routes."""

# No "from __future__ import annotations": the per-permission routes are built in a closure
# and FastAPI must see the real Annotated objects.

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from cspm.auth.dependencies import Principal, authenticated, require_permission
from cspm.auth.permissions import ALL_PERMISSIONS, PLATFORM_PERMISSIONS, ROLE_PERMISSIONS, Role
from cspm.core.errors import install_error_handlers

# Written out independently of the catalogue, so a change to ROLE_PERMISSIONS must be deliberate.
MUST_HAVE = {
    "viewer": {"findings:read", "teams:read", "compliance:read"},
    "analyst": {"findings:read", "findings:write", "scans:write", "findings:import"},
    "team_admin": {"findings:write", "teams:manage", "tokens:manage", "audit:read"},
    "platform_admin": set(ALL_PERMISSIONS),
}
MUST_NOT_HAVE = {
    "viewer": {"findings:write", "scans:write", "teams:manage", "tokens:manage", "audit:read", "users:manage"},
    "analyst": {"teams:manage", "tokens:manage", "audit:read", "users:manage", "platform:admin"},
    "team_admin": {"users:manage", "platform:admin"},
    "platform_admin": set(),
}


def permission_app(container) -> FastAPI:
    router = APIRouter()
    for permission in sorted(ALL_PERMISSIONS):
        def make(permission: str):
            async def endpoint(principal: Annotated[Principal, Depends(require_permission(permission))]) -> dict:
                return {"permission": permission, "team_id": principal.team_id}
            return endpoint
        router.add_api_route(f"/{permission}", make(permission), methods=["POST"])
    app = FastAPI()
    app.state.container = container
    install_error_handlers(app)
    app.include_router(router, prefix="/api/p", dependencies=[Depends(authenticated)])
    return app


async def granted(container, headers) -> set[str]:
    result = set()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=permission_app(container)),
                                 base_url="http://t") as http:
        for permission in ALL_PERMISSIONS:
            response = await http.post(f"/api/p/{permission}", headers=headers)
            assert response.status_code in (200, 403), (permission, response.text)
            if response.status_code == 200:
                result.add(permission)
    return result


@pytest.mark.parametrize("role", ["viewer", "analyst", "team_admin", "platform_admin"])
async def test_role_against_every_permission(container, auth, role):
    session = await auth.user(role=role)
    allowed = await granted(container, session.headers)
    expected = ALL_PERMISSIONS if role == "platform_admin" else ROLE_PERMISSIONS[Role(role)]
    assert allowed == expected
    assert MUST_HAVE[role] <= allowed
    assert not (MUST_NOT_HAVE[role] & allowed)


async def test_without_active_team_only_platform_permissions(container, auth):
    admin = await auth.user(role="platform_admin")
    assert await granted(container, admin.for_team(None)) == PLATFORM_PERMISSIONS
    analyst = await auth.user(role="analyst")
    assert await granted(container, analyst.for_team(None)) == set()


async def test_service_role_has_exactly_the_token_permissions(container, auth):
    owner = await auth.user(role="team_admin")
    token = await auth.api_token(owner, ["findings:read", "scans:write"])
    assert await granted(container, {"Authorization": f"Bearer {token}"}) == {"findings:read", "scans:write"}


async def test_token_permissions_shrink_with_the_owners_role(container, auth, client):
    owner = await auth.user(role="team_admin")
    token = await auth.api_token(owner, ["findings:read", "findings:write"])
    await auth.service.teams.set_role(team_id=owner.team_id, user_id=owner.user_id, role="viewer")
    assert await granted(container, {"Authorization": f"Bearer {token}"}) == {"findings:read"}
    await auth.service.teams.remove_member(team_id=owner.team_id, user_id=owner.user_id)
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401

"""Authentication and authorization dependencies for every route.

- ``authenticated``: mounted by ``cspm/api.py`` on every private router. Accepts
  ``Authorization: Bearer <JWT access token>`` (checked against its server-side session) or
  ``Authorization: Bearer cspm_...`` (an API token). When the request names a team in
  ``X-Team-ID`` the caller must be a member (403 otherwise, whether or not the team
  exists); API tokens always act in their own team. Returns a :class:`Principal`.
- ``authenticate_before_body``: the same check, run by a middleware on requests with a body
  before FastAPI reads it (an anonymous upload is refused unread); the dependency then
  reuses the principal it found.
- ``interactive_session``: the caller's own login session; API tokens get 403 (routes about
  the user's sessions, password and MFA).
- ``require_permission(permission)``: the one dependency a route declares. Returns the
  ``Principal`` when it holds ``permission`` in the active team; 401 without valid
  credentials, 403 without an active team or without the permission. Platform
  permissions (``users:manage``, ``platform:admin``) need no team.

Typical use::

    @router.get("/findings")
    async def list_findings(principal: Annotated[Principal, Depends(require_permission("findings:read"))]):
        return await repository.list(team_id=principal.team_id)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cspm.auth.permissions import PLATFORM_PERMISSIONS, check_known
from cspm.auth.principal import Principal
from cspm.auth.service import AuthService, ClientInfo
from cspm.core.errors import Forbidden, Unauthorized
from cspm.core.logging import team_id_var, user_id_var

__all__ = ["Principal", "authenticate_before_body", "authenticated", "client_info", "interactive_session",
           "require_permission"]

_bearer = HTTPBearer(auto_error=False, description="JWT access token, or an API token starting with cspm_")


def client_info(request: Request) -> ClientInfo:
    return ClientInfo(ip=request.client.host if request.client else None,
                      user_agent=request.headers.get("user-agent"))


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None,
                       team_id: str | None) -> Principal:
    """The request's principal from its credentials and team (401/403); worked out once per request."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if credentials is None or not credentials.credentials:
        raise Unauthorized("authentication required: send Authorization: Bearer <token>")
    if len(credentials.credentials) > 8192:
        raise Unauthorized("invalid token")
    auth: AuthService = request.app.state.container.resolve(AuthService)
    principal = await auth.authenticate(credentials.credentials, team_id=team_id or None)
    request.state.principal = principal
    user_id_var.set(principal.user_id)
    team_id_var.set(principal.team_id)
    return principal


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    x_team_id: Annotated[str | None, Header(alias="X-Team-ID", max_length=64,
                                            description="The active team of this request.")] = None,
) -> Principal:
    """Authenticates the request (401 otherwise) and resolves the active team."""
    return await authenticate(request, credentials, x_team_id)


async def authenticate_before_body(request: Request) -> None:
    """The same authentication from the headers alone, for a request whose body is not read yet."""
    await authenticate(request, await _bearer(request), request.headers.get("X-Team-ID"))


async def interactive_session(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
    """The caller when it is a user's own login session: API tokens (403) never see or change sessions,
    passwords or MFA, whatever permissions they carry."""
    if principal.via != "session":
        raise Forbidden("this route needs a user session, not an API token")
    return principal


def require_permission(permission: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency returning the Principal when it holds ``permission`` in the active team (401/403 otherwise)."""
    check_known(permission)
    platform_level = permission in PLATFORM_PERMISSIONS

    async def dependency(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not platform_level and principal.team_id is None:
            raise Forbidden("no active team: send the X-Team-ID header")
        if permission not in principal.permissions:
            request.app.state.container.security_log.authorization_failure(
                user_id=principal.user_id, team_id=principal.team_id, permission=permission,
                path=request.url.path)
            raise Forbidden(f"missing permission {permission}")
        return principal

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    return dependency

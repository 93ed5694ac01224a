"""Auth API (/api/auth). The module is mounted public: each route that needs a caller says so.

Public routes (no credentials): ``PUBLIC_ROUTES`` below; a test checks that every other
route here refuses a request without credentials.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from cspm.auth.dependencies import Principal, authenticated, client_info, interactive_session, require_permission
from cspm.auth.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    InvitationAccept,
    LoginRequest,
    LoginResponse,
    Membership,
    MeOut,
    MfaCodeRequest,
    MfaDisableRequest,
    MfaEnrolment,
    MfaVerifyRequest,
    PasswordChangeRequest,
    RecoveryCodes,
    RefreshRequest,
    RegisterRequest,
    RegistrationStatus,
    RegistrationUpdate,
    SessionOut,
    TokenPair,
    UserList,
    UserOut,
    UserUpdate,
)
from cspm.auth.service import AuthService, ClientInfo, Tokens
from cspm.core.dependencies import service
from cspm.core.pagination import decode_cursor, encode_cursor

router = APIRouter(tags=["auth"])

Auth = Annotated[AuthService, Depends(service(AuthService))]
Client = Annotated[ClientInfo, Depends(client_info)]
Caller = Annotated[Principal, Depends(authenticated)]
SessionCaller = Annotated[Principal, Depends(interactive_session)]

PUBLIC_ROUTES = frozenset({
    ("GET", "/api/auth/registration"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/mfa/verify"),
    ("POST", "/api/auth/refresh"),
})

Responses = dict[int | str, dict[str, Any]]
UNAUTHORIZED: Responses = {401: {"description": "missing, invalid, expired or revoked credentials"}}
LIMITED: Responses = {429: {"description": "rate limit or lock-out; see Retry-After"}}


def user_out(user: dict[str, Any]) -> UserOut:
    return UserOut(id=user["_id"], email=user["email"], display_name=user.get("display_name"),
                   is_platform_admin=bool(user.get("is_platform_admin")), is_active=bool(user.get("is_active")),
                   mfa_enabled=bool(user.get("mfa", {}).get("enabled")), created_at=user["created_at"])


def token_pair(tokens: Tokens) -> TokenPair:
    return TokenPair(access_token=tokens.access_token, expires_in=tokens.expires_in,
                     refresh_token=tokens.refresh_token, refresh_expires_in=tokens.refresh_expires_in,
                     session_id=tokens.session_id)


def token_out(document: dict[str, Any]) -> dict[str, Any]:
    return {"id": document["_id"], **{key: value for key, value in document.items()
                                       if key not in ("_id", "token_hash")}}


# --- public ------------------------------------------------------------------------------
@router.get("/registration")
async def registration_status(auth: Auth) -> RegistrationStatus:
    """Says whether self-registration is open and whether the next user will be the first (admin)."""
    return RegistrationStatus(**await auth.registration_status())


@router.post("/register", status_code=status.HTTP_201_CREATED, responses={403: {"description": "closed"}, **LIMITED})
async def register(body: RegisterRequest, auth: Auth, client: Client) -> UserOut:
    """Registers an account (the first one becomes platform admin)."""
    user = await auth.register(email=body.email, password=body.password, display_name=body.display_name,
                               invitation_token=body.invitation_token, client=client)
    return user_out(user)


@router.post("/login", responses={**UNAUTHORIZED, **LIMITED})
async def login(body: LoginRequest, auth: Auth, client: Client) -> LoginResponse:
    """Logs in with e-mail and password; returns tokens, or an MFA challenge to complete."""
    outcome = await auth.login(email=body.email, password=body.password, client=client)
    if outcome.tokens is None:
        return LoginResponse(mfa_required=True, mfa_token=outcome.mfa_token)
    return LoginResponse(mfa_required=False, tokens=token_pair(outcome.tokens))


@router.post("/mfa/verify", responses={**UNAUTHORIZED, **LIMITED})
async def verify_mfa(body: MfaVerifyRequest, auth: Auth, client: Client) -> TokenPair:
    """Completes an MFA login with a TOTP code or a single-use recovery code."""
    tokens = await auth.verify_mfa(mfa_token=body.mfa_token, code=body.code, recovery_code=body.recovery_code,
                                   client=client)
    return token_pair(tokens)


@router.post("/refresh", responses={**UNAUTHORIZED, **LIMITED})
async def refresh(body: RefreshRequest, auth: Auth, client: Client) -> TokenPair:
    """Exchanges a refresh token for new tokens (the old refresh token stops working)."""
    return token_pair(await auth.refresh(refresh_token=body.refresh_token, client=client))


# --- the caller's own account --------------------------------------------------------------
@router.get("/me", responses=UNAUTHORIZED)
async def me(principal: Caller, auth: Auth) -> MeOut:
    """Returns the caller, their teams and their permissions in the active team."""
    user = await auth.users.get(principal.user_id)
    assert user is not None
    teams = [Membership(**m) for m in await auth.memberships_view(principal.user_id)]
    if principal.via == "api_token":
        teams = [m for m in teams if m.team_id == principal.team_id]
    return MeOut(**user_out(user).model_dump(), teams=teams, active_team_id=principal.team_id,
                 role=principal.role, permissions=sorted(principal.permissions), via=principal.via)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
async def logout(principal: Caller, auth: Auth, client: Client) -> Response:
    """Revokes the current session (its access and refresh tokens stop working at once)."""
    await auth.logout(principal, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/logout-all", responses=UNAUTHORIZED)
async def logout_everywhere(principal: Caller, auth: Auth, client: Client) -> dict[str, int]:
    """Revokes every session of the caller, on every device."""
    return {"sessions_revoked": await auth.logout_everywhere(principal, client=client)}


@router.get("/sessions", responses=UNAUTHORIZED)
async def sessions(principal: SessionCaller, auth: Auth) -> list[SessionOut]:
    """Lists the caller's active sessions."""
    return [SessionOut(id=s["_id"], created_at=s["created_at"], last_used_at=s.get("last_used_at"),
                       ip=s.get("ip"), user_agent=s.get("user_agent"), mfa=bool(s.get("mfa")),
                       current=s["_id"] == principal.session_id)
            for s in await auth.list_sessions(principal)]


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses={**UNAUTHORIZED, **LIMITED})
async def change_password(body: PasswordChangeRequest, principal: SessionCaller, auth: Auth,
                          client: Client) -> Response:
    """Changes the caller's password and revokes their other sessions."""
    await auth.change_password(principal, current=body.current_password, new=body.new_password, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/invitations/accept", responses=UNAUTHORIZED)
async def accept_invitation(body: InvitationAccept, principal: SessionCaller, auth: Auth, client: Client) -> Membership:
    """Joins the team of an invitation addressed to the caller's e-mail."""
    membership = await auth.accept_invitation(body.token, principal=principal, client=client)
    view = {m["team_id"]: m for m in await auth.memberships_view(principal.user_id)}
    return Membership(**view[membership["team_id"]])


# --- MFA ----------------------------------------------------------------------------------
@router.post("/mfa/enroll", responses=UNAUTHORIZED)
async def mfa_enroll(principal: SessionCaller, auth: Auth, client: Client) -> MfaEnrolment:
    """Starts TOTP enrolment: the secret, its otpauth URI and a QR code (SVG data URI), shown once."""
    return MfaEnrolment(**await auth.mfa_enroll(principal, client=client))


@router.post("/mfa/activate", responses={**UNAUTHORIZED, **LIMITED})
async def mfa_activate(body: MfaCodeRequest, principal: SessionCaller, auth: Auth, client: Client) -> RecoveryCodes:
    """Confirms enrolment with a current code; returns single-use recovery codes, shown once."""
    return RecoveryCodes(recovery_codes=await auth.mfa_activate(principal, code=body.code, client=client))


@router.post("/mfa/disable", status_code=status.HTTP_204_NO_CONTENT, responses={**UNAUTHORIZED, **LIMITED})
async def mfa_disable(body: MfaDisableRequest, principal: SessionCaller, auth: Auth, client: Client) -> Response:
    """Turns MFA off (needs the password and a current code)."""
    await auth.mfa_disable(principal, password=body.password, code=body.code, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/mfa/recovery-codes", responses={**UNAUTHORIZED, **LIMITED})
async def mfa_recovery_codes(body: MfaCodeRequest, principal: SessionCaller, auth: Auth,
                             client: Client) -> RecoveryCodes:
    """Replaces the recovery codes (needs a current code); the old ones stop working."""
    return RecoveryCodes(recovery_codes=await auth.regenerate_recovery_codes(principal, code=body.code,
                                                                             client=client))


# --- API tokens (active team) -------------------------------------------------------------
@router.post("/tokens", status_code=status.HTTP_201_CREATED, responses=UNAUTHORIZED)
async def create_api_token(
    body: ApiTokenCreate, principal: Annotated[Principal, Depends(require_permission("tokens:manage"))],
    auth: Auth, client: Client,
) -> ApiTokenCreated:
    """Creates an API token for the active team; the token is shown once."""
    document = await auth.create_api_token(principal, name=body.name, permissions=body.permissions,
                                           expires_in_days=body.expires_in_days, client=client)
    return ApiTokenCreated(**token_out(document))


@router.get("/tokens", responses=UNAUTHORIZED)
async def list_api_tokens(
    principal: Annotated[Principal, Depends(require_permission("tokens:manage"))], auth: Auth,
) -> list[ApiTokenOut]:
    """Lists the active team's API tokens (never the tokens themselves)."""
    return [ApiTokenOut(**token_out(document)) for document in await auth.list_api_tokens(principal)]


@router.delete("/tokens/{token_id}", responses={**UNAUTHORIZED, 404: {"description": "not in this team"}})
async def revoke_api_token(
    token_id: Annotated[str, Path(max_length=64)],
    principal: Annotated[Principal, Depends(require_permission("tokens:manage"))], auth: Auth, client: Client,
) -> ApiTokenOut:
    """Revokes an API token of the active team."""
    return ApiTokenOut(**token_out(await auth.revoke_api_token(principal, token_id, client=client)))


# --- platform administration --------------------------------------------------------------
@router.put("/registration", responses=UNAUTHORIZED)
async def set_registration(
    body: RegistrationUpdate, principal: Annotated[Principal, Depends(require_permission("platform:admin"))],
    auth: Auth, client: Client,
) -> RegistrationStatus:
    """Opens or closes self-registration (platform admins)."""
    await auth.set_registration_open(body.open, actor=principal, client=client)
    return RegistrationStatus(**await auth.registration_status())


@router.get("/users", responses=UNAUTHORIZED)
async def list_users(
    principal: Annotated[Principal, Depends(require_permission("users:manage"))], auth: Auth,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> UserList:
    """Lists users (platform admins)."""
    after = str(decode_cursor(cursor).get("id")) if cursor else None
    users = await auth.list_users(limit=limit + 1, after_id=after)
    next_cursor = encode_cursor({"id": users[limit - 1]["_id"]}) if len(users) > limit else None
    return UserList(items=[user_out(user) for user in users[:limit]], next_cursor=next_cursor)


@router.patch("/users/{user_id}", responses={**UNAUTHORIZED, 404: {"description": "no such user"}})
async def update_user(
    user_id: Annotated[str, Path(max_length=64)], body: UserUpdate,
    principal: Annotated[Principal, Depends(require_permission("users:manage"))], auth: Auth, client: Client,
) -> UserOut:
    """Enables, disables, promotes or demotes a user (platform admins); re-enabling also unlocks."""
    return user_out(await auth.admin_update_user(user_id, is_active=body.is_active,
                                                 is_platform_admin=body.is_platform_admin,
                                                 actor=principal, client=client))


@router.post("/users/{user_id}/mfa/reset", status_code=status.HTTP_204_NO_CONTENT,
             responses={**UNAUTHORIZED, 404: {"description": "no such user"}})
async def reset_user_mfa(
    user_id: Annotated[str, Path(max_length=64)],
    principal: Annotated[Principal, Depends(require_permission("users:manage"))], auth: Auth, client: Client,
) -> Response:
    """Removes a user's MFA (lost device) and revokes their sessions (platform admins)."""
    await auth.admin_reset_mfa(user_id, actor=principal, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

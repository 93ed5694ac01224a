"""Request and response bodies of the auth API. Requests refuse unknown fields (422 naming them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from cspm.auth.permissions import TOKEN_GRANTABLE_PERMISSIONS, Role
from cspm.core.fields import SecretText, SingleLineText


def _lower(value: str) -> str:
    return value.strip().lower()


def _unique_sorted(values: list[str]) -> list[str]:
    return sorted(set(values))


# An enum in the OpenAPI schema: clients (and schemathesis) see exactly what may be granted.
GrantablePermission = Literal[tuple(sorted(TOKEN_GRANTABLE_PERMISSIONS))]  # type: ignore[valid-type]
Permissions = Annotated[list[GrantablePermission], Field(min_length=1, max_length=32),  # type: ignore[valid-type]
                        AfterValidator(_unique_sorted)]


Email = Annotated[EmailStr, AfterValidator(_lower)]
Password = Annotated[SecretText, StringConstraints(min_length=1, max_length=4096)]
TotpCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]
RecoveryCode = Annotated[SecretText, StringConstraints(strip_whitespace=True, min_length=16, max_length=40,
                                                       pattern=r"^[A-Za-z0-9-]+$")]
ShortText = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
# Refresh tokens, MFA challenges (JWTs) and invitations: URL-safe base64 and dots.
OpaqueToken = Annotated[SecretText, StringConstraints(min_length=10, max_length=512, pattern=r"^[A-Za-z0-9._-]+$")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class RegisterRequest(Request):
    email: Email
    password: Password
    display_name: ShortText | None = None
    invitation_token: OpaqueToken | None = Field(
        default=None, description="Invitation received from a team admin: registers even when registration is closed.")


class LoginRequest(Request):
    email: Email
    password: Password


class MfaVerifyRequest(Request):
    mfa_token: OpaqueToken
    code: TotpCode | None = None
    recovery_code: RecoveryCode | None = None


class RefreshRequest(Request):
    refresh_token: OpaqueToken


class PasswordChangeRequest(Request):
    current_password: Password
    new_password: Password


class MfaCodeRequest(Request):
    code: TotpCode


class MfaDisableRequest(Request):
    password: Password
    code: TotpCode


class RegistrationUpdate(Request):
    open: bool


class UserUpdate(Request):
    is_active: bool | None = None
    is_platform_admin: bool | None = None


class InvitationAccept(Request):
    token: OpaqueToken


class ApiTokenCreate(Request):
    name: ShortText
    permissions: Permissions
    expires_in_days: int = Field(default=90, ge=1, le=3650)


# --- responses ---------------------------------------------------------------------------
class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    session_id: str


class LoginResponse(BaseModel):
    """Either tokens, or ``mfa_required`` with a short-lived ``mfa_token`` for /api/auth/mfa/verify."""

    mfa_required: bool
    mfa_token: str | None = None
    tokens: TokenPair | None = None


class Membership(BaseModel):
    team_id: str
    team_name: str
    role: Role


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str | None
    is_platform_admin: bool
    is_active: bool
    mfa_enabled: bool
    created_at: datetime


class MeOut(UserOut):
    teams: list[Membership]
    active_team_id: str | None
    role: Role | None
    permissions: list[str]
    via: Literal["session", "api_token"]


class RegistrationStatus(BaseModel):
    open: bool
    first_user: bool


class MfaEnrolment(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    last_used_at: datetime | None
    ip: str | None
    user_agent: str | None
    mfa: bool
    current: bool


class ApiTokenOut(BaseModel):
    id: str
    name: str
    team_id: str
    prefix: str
    permissions: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="Shown once; only its hash is stored.")


class UserList(BaseModel):
    items: list[UserOut]
    next_cursor: str | None

"""AuthService: registration, login with MFA step-up, sessions and tokens, authentication of requests.

Sessions: each login creates one session document (PLATFORM ``auth_sessions``), which is
also the refresh-token family, and a ``session:<id>`` key in the key-value store that
access-token checks read on every request. Revocation removes the key and marks the
document, so logout and "log out everywhere" take effect at once. When the key is missing
(Redis restarted, memory fallback in another process) the document decides and the key
is written again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.auth.mfa import SecretBox, matching_step, new_enrolment
from cspm.auth.passwords import PasswordHasher, PasswordPolicyError, check_password_policy
from cspm.auth.permissions import (
    ALL_PERMISSIONS,
    PLATFORM_PERMISSIONS,
    ROLE_PERMISSIONS,
    Role,
)
from cspm.auth.principal import Principal
from cspm.auth.ratelimit import LockoutPolicy, RateLimiter
from cspm.auth.repository import (
    ApiTokenRepository,
    EmailTaken,
    PlatformSettingsRepository,
    SessionRepository,
    UserRepository,
)
from cspm.auth.settings import AuthSettings
from cspm.auth.tokens import (
    API_TOKEN_PREFIX,
    MFA_CHALLENGE,
    InvalidToken,
    TokenCodec,
    new_api_token,
    new_id,
    new_recovery_code,
    new_refresh_token,
    normalise_recovery_code,
    sha256_hex,
    split_refresh_token,
)
from cspm.core.container import ServiceContainer
from cspm.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from cspm.core.kv import KeyValueStore
from cspm.core.logging import SecurityLogger
from cspm.core.metrics import Metrics
from cspm.teams.repository import TeamRepository

INVALID_CREDENTIALS = "invalid e-mail or password"
TEAM_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
TOKEN_TOUCH_SECONDS = 60


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None
    user_agent: str | None = None


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    session_id: str


@dataclass(frozen=True)
class LoginOutcome:
    tokens: Tokens | None = None
    mfa_token: str | None = None


class AuthService:
    def __init__(
        self,
        *,
        settings: AuthSettings,
        codec: TokenCodec,
        hasher: PasswordHasher,
        users: UserRepository,
        sessions: SessionRepository,
        api_tokens: ApiTokenRepository,
        platform: PlatformSettingsRepository,
        teams: TeamRepository,
        audit: AuditService,
        kv: KeyValueStore,
        limiter: RateLimiter,
        secret_box: SecretBox,
        metrics: Metrics,
        security_log: SecurityLogger,
    ) -> None:
        self.settings = settings
        self.codec = codec
        self.hasher = hasher
        self.users = users
        self.sessions = sessions
        self.api_tokens = api_tokens
        self.platform = platform
        self.teams = teams
        self.audit = audit
        self.kv = kv
        self.limiter = limiter
        self.secret_box = secret_box
        self.metrics = metrics
        self.security_log = security_log
        self.lockout = LockoutPolicy(
            threshold=settings.lockout_threshold, window_seconds=settings.lockout_window_seconds,
            lock_seconds=settings.lockout_seconds, delay_after=settings.login_delay_after,
            max_delay_seconds=settings.login_delay_max_seconds)

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        settings = container.resolve(AuthSettings)
        secret = container.settings.jwt_secret.get_secret_value() if container.settings.jwt_secret else None
        return cls(
            settings=settings,
            codec=TokenCodec(settings, secret),
            hasher=PasswordHasher(settings.password_iterations),
            users=UserRepository(container.database),
            sessions=SessionRepository(container.database),
            api_tokens=ApiTokenRepository(container.database),
            platform=PlatformSettingsRepository(container.database),
            teams=TeamRepository(container.database),
            audit=container.resolve(AuditService),
            kv=container.kv,
            limiter=RateLimiter(container.kv, container.metrics, container.security_log),
            secret_box=SecretBox(container.settings.fernet_keys),
            metrics=container.metrics,
            security_log=container.security_log,
        )

    # ------------------------------------------------------------------------------------
    # Registration
    # ------------------------------------------------------------------------------------
    async def registration_open(self) -> bool:
        stored = await self.platform.registration_open()
        return self.settings.registration_open if stored is None else stored

    async def registration_status(self) -> dict[str, bool]:
        first = await self.users.count() == 0
        return {"open": first or await self.registration_open(), "first_user": first}

    async def set_registration_open(self, value: bool, *, actor: Principal, client: ClientInfo) -> None:
        await self.platform.set_registration_open(value, actor_id=actor.user_id)
        await self.audit.record("platform.registration_changed", actor_id=actor.user_id, team_id=None,
                                ip=client.ip, details={"open": value}, via=actor.via)

    def check_password(self, password: str, email: str) -> None:
        try:
            check_password_policy(password, email=email, min_length=self.settings.password_min_length,
                                  max_length=self.settings.password_max_length)
        except PasswordPolicyError as exc:
            raise Unprocessable(f"password: {exc}") from None

    def new_user_document(self, *, email: str, password_hash: str, display_name: str | None,
                          platform_admin: bool) -> dict[str, Any]:
        now = utcnow()
        return {"_id": new_id(), "email": email, "password_hash": password_hash, "display_name": display_name,
                "is_platform_admin": platform_admin, "is_active": True, "created_at": now, "updated_at": now,
                "password_changed_at": now, "mfa": {"enabled": False}}

    async def register(self, *, email: str, password: str, display_name: str | None,
                       invitation_token: str | None, client: ClientInfo) -> dict[str, Any]:
        """Create an account. The first account ever becomes platform admin; later ones need open
        registration or an invitation for this e-mail address."""
        await self.limiter.hit("register:ip", client.ip or "unknown", limit=self.settings.register_ip_limit,
                               window_seconds=self.settings.rate_window_seconds)
        self.check_password(password, email)
        invitation = None
        if invitation_token:
            invitation = await self.teams.invitation_by_hash(sha256_hex(invitation_token))
            if invitation is None or not _invitation_usable(invitation) or invitation["email"] != email:
                raise Forbidden("invitation is invalid, expired, already used or for another e-mail address")
        document = self.new_user_document(email=email, password_hash=await self.hasher.hash(password),
                                          display_name=display_name, platform_admin=False)
        first = await self.users.count() == 0 and await self.platform.claim_first_user(document["_id"])
        if first:
            document["is_platform_admin"] = True
        elif invitation is None and not await self.registration_open():
            await self.audit.record("auth.register", actor_id=None, team_id=None, ip=client.ip, outcome="denied",
                                    details={"email": email, "reason": "registration closed"})
            raise Forbidden("registration is closed: ask an administrator for an invitation")
        try:
            await self.users.insert(document)
        except EmailTaken:
            raise Conflict("an account with this e-mail address already exists") from None
        await self.audit.record("auth.register", actor_id=document["_id"], team_id=None, ip=client.ip,
                                target_type="user", target_id=document["_id"],
                                details={"email": email, "platform_admin": first,
                                         "invitation": invitation["_id"] if invitation else None})
        if invitation is not None:
            await self.accept_invitation_document(invitation, user=document, client=client)
        return document

    async def accept_invitation(self, token: str, *, principal: Principal, client: ClientInfo) -> dict[str, Any]:
        if principal.via != "session":
            raise Forbidden("invitations are accepted by users, not API tokens")
        invitation = await self.teams.invitation_by_hash(sha256_hex(token))
        user = await self.users.get(principal.user_id)
        if (user is None or invitation is None or not _invitation_usable(invitation)
                or invitation["email"] != user["email"]):
            raise Forbidden("invitation is invalid, expired, already used or for another e-mail address")
        return await self.accept_invitation_document(invitation, user=user, client=client)

    async def accept_invitation_document(self, invitation: dict[str, Any], *, user: dict[str, Any],
                                         client: ClientInfo) -> dict[str, Any]:
        claimed = await self.teams.claim_invitation(invitation_id=invitation["_id"], user_id=user["_id"])
        if claimed is None:
            raise Forbidden("invitation is invalid, expired, already used or for another e-mail address")
        existing = await self.teams.membership(team_id=invitation["team_id"], user_id=user["_id"])
        if existing is None:
            membership = await self.teams.add_member(team_id=invitation["team_id"], user_id=user["_id"],
                                                     role=invitation["role"], added_by=invitation["created_by"])
        else:
            membership = existing
        await self.audit.record("team.invitation_accepted", actor_id=user["_id"], team_id=invitation["team_id"],
                                ip=client.ip, target_type="invitation", target_id=invitation["_id"],
                                details={"role": membership["role"]})
        return membership

    # ------------------------------------------------------------------------------------
    # Login, MFA step-up, refresh, logout
    # ------------------------------------------------------------------------------------
    async def login(self, *, email: str, password: str, client: ClientInfo) -> LoginOutcome:
        s = self.settings
        await self.limiter.hit("login:ip", client.ip or "unknown", limit=s.login_ip_limit,
                               window_seconds=s.rate_window_seconds)
        # No hard per-account limit here: anyone could use it up. The account slows down instead,
        # and only the failing source is locked out (cspm.auth.ratelimit).
        await self.limiter.check_login(email, client.ip)
        user = await self.users.by_email(email)
        verification = await self.hasher.verify(password, user["password_hash"] if user else None)
        if user is None or not verification.valid or not user.get("is_active", False):
            locked = await self.limiter.record_login_failure(email, client.ip, self.lockout)
            reason = "unknown account" if user is None else (
                "wrong password" if not verification.valid else "account disabled")
            self.security_log.auth_attempt(email=email, success=False, ip=client.ip, reason=reason)
            await self.audit.record("auth.login", actor_id=user["_id"] if user else None, team_id=None,
                                    ip=client.ip, outcome="failure",
                                    details={"email": email, "reason": reason, "locked": locked})
            if locked:
                await self.audit.record("auth.account_locked", actor_id=None, team_id=None, ip=client.ip,
                                        target_type="user", target_id=user["_id"] if user else None,
                                        details={"email": email, "seconds": s.lockout_seconds, "scope": "source"})
            raise Unauthorized(INVALID_CREDENTIALS)
        if verification.new_hash:
            await self.users.set_password_hash(user["_id"], old_hash=user["password_hash"],
                                               new_hash=verification.new_hash)
            await self.audit.record("auth.password_rehashed", actor_id=user["_id"], team_id=None, ip=client.ip,
                                    target_type="user", target_id=user["_id"],
                                    details={"iterations": self.hasher.iterations})
        await self.limiter.clear_login_failures(email, client.ip)
        if user.get("mfa", {}).get("enabled"):
            challenge = self.codec.issue_mfa_challenge(user_id=user["_id"])
            await self.audit.record("auth.login.mfa_required", actor_id=user["_id"], team_id=None, ip=client.ip)
            return LoginOutcome(mfa_token=challenge.token)
        tokens = await self.create_session(user, client=client, mfa=False)
        self.security_log.auth_attempt(email=email, success=True, ip=client.ip)
        await self.audit.record("auth.login", actor_id=user["_id"], team_id=None, ip=client.ip,
                                details={"mfa": False, "session_id": tokens.session_id})
        return LoginOutcome(tokens=tokens)

    async def verify_mfa(self, *, mfa_token: str, code: str | None, recovery_code: str | None,
                         client: ClientInfo) -> Tokens:
        s = self.settings
        if (code is None) == (recovery_code is None):
            raise Unprocessable("give exactly one of code or recovery_code")
        await self.limiter.hit("mfa:ip", client.ip or "unknown", limit=s.mfa_ip_limit,
                               window_seconds=s.rate_window_seconds)
        try:
            claims = self.codec.decode(mfa_token, typ=MFA_CHALLENGE)
        except InvalidToken as exc:
            raise Unauthorized(f"MFA challenge: {exc}") from None
        user_id = claims["sub"]
        await self.limiter.hit("mfa:account", user_id, limit=s.mfa_account_limit,
                               window_seconds=s.rate_window_seconds)
        if await self.kv.get(f"mfa-challenge-used:{claims['jti']}") is not None:
            raise Unauthorized("MFA challenge already used: log in again")
        user = await self.users.get(user_id)
        if user is None or not user.get("is_active") or not user.get("mfa", {}).get("enabled"):
            raise Unauthorized("MFA challenge is no longer valid: log in again")
        await self.limiter.check_login(user["email"], client.ip)
        method = "totp" if code is not None else "recovery_code"
        if code is not None:
            ok = await self._check_totp(user, code)
        else:
            recovery_hash = sha256_hex(normalise_recovery_code(recovery_code or ""))
            ok = await self.users.use_recovery_code(user_id, recovery_hash)
        if not ok:
            locked = await self.limiter.record_login_failure(user["email"], client.ip, self.lockout)
            self.security_log.auth_attempt(email=user["email"], success=False, ip=client.ip, reason=f"bad {method}")
            await self.audit.record("auth.mfa_verify", actor_id=user_id, team_id=None, ip=client.ip,
                                    outcome="failure", details={"method": method, "locked": locked})
            raise Unauthorized("invalid MFA code")
        ttl = max(1, int(claims["exp"] - utcnow().timestamp()) + 10)
        await self.kv.set(f"mfa-challenge-used:{claims['jti']}", "1", ttl)
        await self.limiter.clear_login_failures(user["email"], client.ip)
        tokens = await self.create_session(user, client=client, mfa=True)
        self.security_log.auth_attempt(email=user["email"], success=True, ip=client.ip)
        await self.audit.record("auth.login", actor_id=user_id, team_id=None, ip=client.ip,
                                details={"mfa": True, "method": method, "session_id": tokens.session_id})
        return tokens

    async def _check_totp(self, user: dict[str, Any], code: str | None) -> bool:
        secret = self.secret_box.decrypt(user["mfa"]["secret"])
        step = matching_step(secret, code or "")
        if step is None:
            return False
        key = f"totp-last-step:{user['_id']}"
        last = await self.kv.get(key)
        if last is not None and int(last) >= step:
            return False  # replay of a code already used
        await self.kv.set(key, str(step), 300)
        return True

    async def create_session(self, user: dict[str, Any], *, client: ClientInfo, mfa: bool) -> Tokens:
        s = self.settings
        now = utcnow()
        session_id = new_id()
        refresh_token, refresh_hash = new_refresh_token(session_id)
        refresh_lifetime = timedelta(days=s.refresh_token_days)
        document = {
            "_id": session_id, "user_id": user["_id"], "created_at": now, "last_used_at": now,
            "refresh_hash": refresh_hash, "previous_hashes": [], "refresh_expires_at": now + refresh_lifetime,
            "expires_at": now + timedelta(days=s.session_max_days), "ip": client.ip,
            "user_agent": (client.user_agent or "")[:200] or None, "mfa": mfa, "revoked_at": None,
        }
        await self.sessions.insert(document)
        await self.kv.set(f"session:{session_id}", user["_id"], int(refresh_lifetime.total_seconds()))
        access = self.codec.issue_access(user_id=user["_id"], session_id=session_id)
        return Tokens(access.token, s.access_token_minutes * 60, refresh_token,
                      int(refresh_lifetime.total_seconds()), session_id)

    async def refresh(self, *, refresh_token: str, client: ClientInfo) -> Tokens:
        s = self.settings
        await self.limiter.hit("refresh:ip", client.ip or "unknown", limit=s.refresh_ip_limit,
                               window_seconds=s.rate_window_seconds)
        session_id = split_refresh_token(refresh_token)
        if session_id is None:
            raise Unauthorized("invalid refresh token")
        await self.limiter.hit("refresh:account", session_id, limit=s.refresh_account_limit,
                               window_seconds=s.rate_window_seconds)
        session = await self.sessions.get(session_id)
        presented = sha256_hex(refresh_token)
        if session is None:
            raise Unauthorized("invalid refresh token")
        if session.get("revoked_at") is not None:
            raise Unauthorized("session revoked: log in again")
        now = utcnow()
        if aware(session["expires_at"]) <= now or aware(session["refresh_expires_at"]) <= now:
            await self._revoke_session(session_id, "expired")
            raise Unauthorized("refresh token expired: log in again")
        new_token, new_hash = new_refresh_token(session_id)
        lifetime = timedelta(days=s.refresh_token_days)
        rotated = await self.sessions.rotate(session_id, presented_hash=presented, new_hash=new_hash,
                                             refresh_expires_at=min(now + lifetime, aware(session["expires_at"])))
        if rotated is None:
            if presented in session.get("previous_hashes", []):
                # A rotated token came back: someone holds a copy. Revoke the whole family.
                await self._revoke_session(session_id, "refresh token reuse")
                self.security_log.auth_attempt(email=session["user_id"], success=False, ip=client.ip,
                                               reason="refresh token reuse")
                await self.audit.record("auth.refresh_reuse_detected", actor_id=session["user_id"], team_id=None,
                                        ip=client.ip, outcome="denied", target_type="session",
                                        target_id=session_id)
                raise Unauthorized("refresh token reuse detected: session revoked, log in again")
            raise Unauthorized("invalid refresh token")
        user = await self.users.get(session["user_id"])
        if user is None or not user.get("is_active"):
            await self._revoke_session(session_id, "user disabled")
            raise Unauthorized("account disabled")
        ttl = max(1, int((aware(rotated["refresh_expires_at"]) - now).total_seconds()))
        await self.kv.set(f"session:{session_id}", user["_id"], ttl)
        access = self.codec.issue_access(user_id=user["_id"], session_id=session_id)
        return Tokens(access.token, s.access_token_minutes * 60, new_token, ttl, session_id)

    async def _revoke_session(self, session_id: str, reason: str) -> None:
        await self.sessions.revoke(session_id, reason)
        await self.kv.delete(f"session:{session_id}")
        await self.kv.set(f"session-revoked:{session_id}", "1", self.settings.access_token_minutes * 60 + 60)

    async def revoke_user_sessions(self, user_id: str, reason: str, *, except_id: str | None = None) -> int:
        ids = await self.sessions.revoke_all(user_id, reason, except_id=except_id)
        for session_id in ids:
            await self.kv.delete(f"session:{session_id}")
            await self.kv.set(f"session-revoked:{session_id}", "1", self.settings.access_token_minutes * 60 + 60)
        return len(ids)

    async def logout(self, principal: Principal, *, client: ClientInfo) -> None:
        if principal.via != "session" or principal.session_id is None:
            raise BadRequest("API tokens are revoked through /api/auth/tokens, not logged out")
        await self._revoke_session(principal.session_id, "logout")
        await self.audit.record("auth.logout", actor_id=principal.user_id, team_id=None, ip=client.ip,
                                target_type="session", target_id=principal.session_id)

    async def logout_everywhere(self, principal: Principal, *, client: ClientInfo) -> int:
        if principal.via != "session":
            raise BadRequest("API tokens are revoked through /api/auth/tokens, not logged out")
        count = await self.revoke_user_sessions(principal.user_id, "logout everywhere")
        await self.audit.record("auth.logout_everywhere", actor_id=principal.user_id, team_id=None, ip=client.ip,
                                details={"sessions": count})
        return count

    async def list_sessions(self, principal: Principal) -> list[dict[str, Any]]:
        return await self.sessions.list_active(principal.user_id)

    # ------------------------------------------------------------------------------------
    # Authentication of a request
    # ------------------------------------------------------------------------------------
    async def authenticate(self, token: str, *, team_id: str | None) -> Principal:
        if token.startswith(API_TOKEN_PREFIX):
            return await self._authenticate_api_token(token, team_id=team_id)
        try:
            claims = self.codec.decode(token, typ="access")
        except InvalidToken as exc:
            raise Unauthorized(str(exc)) from None
        session_id = claims["sid"]
        if not await self._session_active(session_id, claims["sub"]):
            raise Unauthorized("session revoked or expired: log in again")
        user = await self.users.get(claims["sub"])
        if user is None or not user.get("is_active"):
            raise Unauthorized("account disabled")
        return await self._principal(user, team_id=team_id, via="session", session_id=session_id)

    async def _session_active(self, session_id: str, user_id: str) -> bool:
        cached = await self.kv.get(f"session:{session_id}")
        if cached is not None:
            return cached == user_id
        if await self.kv.get(f"session-revoked:{session_id}") is not None:
            return False
        session = await self.sessions.get(session_id)
        now = utcnow()
        if (session is None or session.get("revoked_at") is not None or session["user_id"] != user_id
                or aware(session["refresh_expires_at"]) <= now or aware(session["expires_at"]) <= now):
            return False
        ttl = int((aware(session["refresh_expires_at"]) - now).total_seconds())
        await self.kv.set(f"session:{session_id}", user_id, max(1, ttl))
        return True

    async def _principal(self, user: dict[str, Any], *, team_id: str | None, via: str,
                         session_id: str | None) -> Principal:
        admin = bool(user.get("is_platform_admin"))
        role: Role | None = None
        permissions: frozenset[str] = PLATFORM_PERMISSIONS if admin else frozenset()
        if team_id is not None:
            membership = await self._membership(team_id, user["_id"])
            role = Role.PLATFORM_ADMIN if admin else Role(membership["role"])
            permissions = ALL_PERMISSIONS if admin else ROLE_PERMISSIONS[role]
        return Principal(user_id=user["_id"], email=user["email"], team_id=team_id, role=role,
                         permissions=permissions, is_platform_admin=admin, via=via,  # type: ignore[arg-type]
                         token_id=None, session_id=session_id)

    async def _membership(self, team_id: str, user_id: str) -> dict[str, Any]:
        membership = (await self.teams.membership(team_id=team_id, user_id=user_id)
                      if TEAM_ID_PATTERN.match(team_id) else None)
        if membership is None:
            # Same answer whether the team does not exist or the user is not in it.
            raise Forbidden("not a member of the team named by X-Team-ID")
        return membership

    async def _authenticate_api_token(self, token: str, *, team_id: str | None) -> Principal:
        if len(token) > 128:
            raise Unauthorized("invalid token")
        document = await self.api_tokens.by_hash(sha256_hex(token))
        if document is None:
            raise Unauthorized("invalid token")
        if document.get("revoked_at") is not None:
            raise Unauthorized("token revoked")
        now = utcnow()
        if aware(document["expires_at"]) <= now:
            raise Unauthorized("token expired")
        if team_id is not None and team_id != document["team_id"]:
            raise Forbidden("this API token belongs to another team than X-Team-ID names")
        creator = await self.users.get(document["created_by"])
        membership = await self.teams.membership(team_id=document["team_id"], user_id=document["created_by"])
        if creator is None or not creator.get("is_active") or membership is None:
            raise Unauthorized("token's owner no longer has access to its team")
        owner_permissions = (ALL_PERMISSIONS if creator.get("is_platform_admin")
                             else ROLE_PERMISSIONS[Role(membership["role"])])
        permissions = frozenset(document["permissions"]) & owner_permissions
        if await self.kv.get(f"api-token-touched:{document['_id']}") is None:
            await self.kv.set(f"api-token-touched:{document['_id']}", "1", TOKEN_TOUCH_SECONDS)
            await self.api_tokens.touch(document["_id"], now)
        return Principal(user_id=document["created_by"], email=creator["email"], team_id=document["team_id"],
                         role=Role.SERVICE, permissions=permissions, is_platform_admin=False, via="api_token",
                         token_id=document["_id"], session_id=None)

    # ------------------------------------------------------------------------------------
    # Account: password, MFA
    # ------------------------------------------------------------------------------------
    async def _session_user(self, principal: Principal) -> dict[str, Any]:
        if principal.via != "session":
            raise Forbidden("this action needs a user session, not an API token")
        user = await self.users.get(principal.user_id)
        if user is None:
            raise Unauthorized("account not found")
        return user

    async def change_password(self, principal: Principal, *, current: str, new: str, client: ClientInfo) -> None:
        user = await self._session_user(principal)
        await self.limiter.hit("login:account", user["email"], limit=self.settings.login_account_limit,
                               window_seconds=self.settings.rate_window_seconds)
        if not (await self.hasher.verify(current, user["password_hash"])).valid:
            await self.audit.record("auth.password_changed", actor_id=user["_id"], team_id=None, ip=client.ip,
                                    outcome="failure", details={"reason": "wrong current password"})
            raise Forbidden("current password is wrong")
        self.check_password(new, user["email"])
        await self.users.update(user["_id"], {"password_hash": await self.hasher.hash(new),
                                              "password_changed_at": utcnow()})
        revoked = await self.revoke_user_sessions(user["_id"], "password changed", except_id=principal.session_id)
        await self.audit.record("auth.password_changed", actor_id=user["_id"], team_id=None, ip=client.ip,
                                details={"other_sessions_revoked": revoked})

    async def mfa_enroll(self, principal: Principal, *, client: ClientInfo) -> dict[str, str]:
        user = await self._session_user(principal)
        if user.get("mfa", {}).get("enabled"):
            raise Conflict("MFA is already enabled: disable it first to enrol a new authenticator")
        enrolment = new_enrolment(email=user["email"], issuer=self.settings.mfa_issuer)
        await self.users.update(user["_id"], {"mfa.pending_secret": self.secret_box.encrypt(enrolment.secret)})
        await self.audit.record("auth.mfa_enrolment_started", actor_id=user["_id"], team_id=None, ip=client.ip)
        return {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri,
                "qr_svg_data_uri": enrolment.qr_svg_data_uri}

    async def mfa_activate(self, principal: Principal, *, code: str, client: ClientInfo) -> list[str]:
        user = await self._session_user(principal)
        await self.limiter.hit("mfa:account", user["_id"], limit=self.settings.mfa_account_limit,
                               window_seconds=self.settings.rate_window_seconds)
        mfa = user.get("mfa", {})
        if mfa.get("enabled"):
            raise Conflict("MFA is already enabled")
        if not mfa.get("pending_secret"):
            raise Conflict("start the enrolment first: POST /api/auth/mfa/enroll")
        secret = self.secret_box.decrypt(mfa["pending_secret"])
        if matching_step(secret, code) is None:
            await self.audit.record("auth.mfa_enabled", actor_id=user["_id"], team_id=None, ip=client.ip,
                                    outcome="failure", details={"reason": "wrong code"})
            raise Unprocessable("code: does not match the authenticator; check the device clock")
        codes = [new_recovery_code() for _ in range(self.settings.recovery_code_count)]
        await self.users.update(user["_id"], {
            "mfa": {"enabled": True, "secret": mfa["pending_secret"], "enrolled_at": utcnow(),
                    "recovery_codes": [sha256_hex(code_) for code_ in codes]}})
        # The activation code counts as used.
        step = matching_step(secret, code)
        await self.kv.set(f"totp-last-step:{user['_id']}", str(step), 300)
        await self.audit.record("auth.mfa_enabled", actor_id=user["_id"], team_id=None, ip=client.ip)
        return codes

    async def _require_current_code(self, user: dict[str, Any], code: str) -> None:
        await self.limiter.hit("mfa:account", user["_id"], limit=self.settings.mfa_account_limit,
                               window_seconds=self.settings.rate_window_seconds)
        if not user.get("mfa", {}).get("enabled"):
            raise Conflict("MFA is not enabled")
        if not await self._check_totp(user, code):
            raise Forbidden("invalid MFA code")

    async def mfa_disable(self, principal: Principal, *, password: str, code: str, client: ClientInfo) -> None:
        user = await self._session_user(principal)
        if not (await self.hasher.verify(password, user["password_hash"])).valid:
            raise Forbidden("password is wrong")
        await self._require_current_code(user, code)
        await self.users.update(user["_id"], {"mfa": {"enabled": False}})
        await self.audit.record("auth.mfa_disabled", actor_id=user["_id"], team_id=None, ip=client.ip)

    async def regenerate_recovery_codes(self, principal: Principal, *, code: str, client: ClientInfo) -> list[str]:
        user = await self._session_user(principal)
        await self._require_current_code(user, code)
        codes = [new_recovery_code() for _ in range(self.settings.recovery_code_count)]
        await self.users.update(user["_id"], {"mfa.recovery_codes": [sha256_hex(c) for c in codes]})
        await self.audit.record("auth.mfa_recovery_codes_regenerated", actor_id=user["_id"], team_id=None,
                                ip=client.ip)
        return codes

    # ------------------------------------------------------------------------------------
    # Platform administration
    # ------------------------------------------------------------------------------------
    async def admin_reset_mfa(self, user_id: str, *, actor: Principal, client: ClientInfo) -> None:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound("user not found")
        await self.users.update(user_id, {"mfa": {"enabled": False}})
        revoked = await self.revoke_user_sessions(user_id, "MFA reset by administrator")
        await self.audit.record("auth.mfa_reset", actor_id=actor.user_id, team_id=None, ip=client.ip,
                                target_type="user", target_id=user_id, details={"sessions_revoked": revoked})

    async def admin_update_user(self, user_id: str, *, is_active: bool | None, is_platform_admin: bool | None,
                                actor: Principal, client: ClientInfo) -> dict[str, Any]:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound("user not found")
        if user_id == actor.user_id and (is_active is False or is_platform_admin is False):
            raise Conflict("administrators cannot disable or demote themselves")
        changes: dict[str, Any] = {}
        if is_active is not None:
            changes["is_active"] = is_active
        if is_platform_admin is not None:
            changes["is_platform_admin"] = is_platform_admin
        if not changes:
            raise Unprocessable("nothing to change: give is_active or is_platform_admin")
        updated = await self.users.update(user_id, changes)
        assert updated is not None
        if is_active is False:
            await self.revoke_user_sessions(user_id, "account disabled")
        if is_active is True:
            await self.limiter.unlock(user["email"])
        await self.audit.record("auth.user_updated", actor_id=actor.user_id, team_id=None, ip=client.ip,
                                target_type="user", target_id=user_id, details=changes)
        return updated

    async def list_users(self, *, limit: int, after_id: str | None) -> list[dict[str, Any]]:
        return await self.users.list(limit=limit, after_id=after_id)

    async def memberships_view(self, user_id: str) -> list[dict[str, Any]]:
        memberships = await self.teams.memberships_of(user_id)
        teams = {team["_id"]: team for team in await self.teams.teams_by_ids([m["team_id"] for m in memberships])}
        return [{"team_id": m["team_id"], "team_name": teams[m["team_id"]]["name"], "role": m["role"]}
                for m in memberships if m["team_id"] in teams]

    # ------------------------------------------------------------------------------------
    # API tokens (team-scoped)
    # ------------------------------------------------------------------------------------
    async def create_api_token(self, principal: Principal, *, name: str, permissions: list[str],
                               expires_in_days: int, client: ClientInfo) -> dict[str, Any]:
        if principal.via != "session" or principal.team_id is None:
            raise Forbidden("API tokens are created by a user session for its active team")
        if expires_in_days > self.settings.api_token_max_days:
            raise Unprocessable(f"expires_in_days: at most {self.settings.api_token_max_days}")
        beyond = sorted(set(permissions) - principal.permissions)
        if beyond:
            raise Forbidden(f"cannot grant permissions you do not hold: {', '.join(beyond)}")
        token, token_hash = new_api_token()
        now = utcnow()
        document: dict[str, Any] = {
            "_id": new_id(), "name": name, "team_id": principal.team_id, "token_hash": token_hash,
            "prefix": token[:len(API_TOKEN_PREFIX) + 6], "permissions": sorted(set(permissions)),
            "created_by": principal.user_id, "created_at": now,
            "expires_at": now + timedelta(days=expires_in_days), "last_used_at": None, "revoked_at": None}
        await self.api_tokens.insert(document)
        await self.audit.record("auth.api_token_created", actor_id=principal.user_id, team_id=principal.team_id,
                                ip=client.ip, target_type="api_token", target_id=document["_id"],
                                details={"name": name, "permissions": document["permissions"],
                                         "expires_at": document["expires_at"].isoformat()})
        return {**document, "token": token}

    async def list_api_tokens(self, principal: Principal) -> list[dict[str, Any]]:
        assert principal.team_id is not None
        return await self.api_tokens.list(team_id=principal.team_id)

    async def revoke_api_token(self, principal: Principal, token_id: str, *, client: ClientInfo) -> dict[str, Any]:
        assert principal.team_id is not None
        revoked = await self.api_tokens.revoke(team_id=principal.team_id, token_id=token_id)
        if revoked is None:
            existing = await self.api_tokens.get(team_id=principal.team_id, token_id=token_id)
            if existing is None:
                raise NotFound("API token not found")
            raise Conflict("API token already revoked")
        await self.audit.record("auth.api_token_revoked", actor_id=principal.user_id, team_id=principal.team_id,
                                ip=client.ip, target_type="api_token", target_id=token_id, via=principal.via,
                                token_id=principal.token_id)
        return revoked


def _invitation_usable(invitation: dict[str, Any] | None) -> bool:
    return (invitation is not None and invitation.get("accepted_at") is None
            and invitation.get("revoked_at") is None and aware(invitation["expires_at"]) > utcnow())

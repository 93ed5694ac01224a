"""JWT access and MFA-challenge tokens (PyJWT), opaque refresh and API tokens.

Only the configured algorithm is accepted when decoding, so ``alg: none``, an HS256 token
presented to an RS256 deployment (or the reverse) and tampered tokens all fail the same
way. Every JWT has ``jti``, ``iat``, ``exp``, ``iss``, ``aud`` and a ``typ`` claim, so an
MFA challenge can never be used as an access token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from cspm.auth.settings import AuthSettings

API_TOKEN_PREFIX = "cspm_"  # noqa: S105 - a public prefix, not a secret
ACCESS = "access"
MFA_CHALLENGE = "mfa_challenge"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti", "typ"]


class InvalidToken(Exception):
    """The token is not acceptable; the message is safe to show."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


def new_id() -> str:
    return uuid.uuid4().hex


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class TokenCodec:
    def __init__(self, settings: AuthSettings, hs256_secret: str | None) -> None:
        self.settings = settings
        self.algorithm = settings.jwt_algorithm
        if self.algorithm == "HS256":
            if not hs256_secret or len(hs256_secret) < 32:
                raise ValueError("JWT_SECRET of at least 32 characters is required for HS256")
            self._signing_key: Any = hs256_secret
            self._verifying_key: Any = hs256_secret
        else:
            assert settings.jwt_private_key is not None
            private = serialization.load_pem_private_key(
                settings.jwt_private_key.get_secret_value().encode(), password=None)
            self._signing_key = private
            self._verifying_key = (
                serialization.load_pem_public_key(settings.jwt_public_key.encode())
                if settings.jwt_public_key else private.public_key()  # type: ignore[union-attr]
            )

    def _encode(self, subject: str, typ: str, lifetime: timedelta, extra: dict[str, Any]) -> IssuedToken:
        now = datetime.now(UTC)
        expires = now + lifetime
        jti = new_id()
        claims = {"iss": self.settings.jwt_issuer, "aud": self.settings.jwt_audience, "sub": subject,
                  "iat": int(now.timestamp()), "nbf": int(now.timestamp()), "exp": int(expires.timestamp()),
                  "jti": jti, "typ": typ, **extra}
        token = jwt.encode(claims, self._signing_key, algorithm=self.algorithm)
        return IssuedToken(token, jti, expires)

    def issue_access(self, *, user_id: str, session_id: str) -> IssuedToken:
        return self._encode(user_id, ACCESS, timedelta(minutes=self.settings.access_token_minutes),
                            {"sid": session_id})

    def issue_mfa_challenge(self, *, user_id: str) -> IssuedToken:
        return self._encode(user_id, MFA_CHALLENGE, timedelta(seconds=self.settings.mfa_challenge_seconds), {})

    def decode(self, token: str, *, typ: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token, self._verifying_key, algorithms=[self.algorithm],
                audience=self.settings.jwt_audience, issuer=self.settings.jwt_issuer,
                options={"require": REQUIRED_CLAIMS}, leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
        if claims.get("typ") != typ or not isinstance(claims.get("sub"), str):
            raise InvalidToken("invalid token")
        if typ == ACCESS and not isinstance(claims.get("sid"), str):
            raise InvalidToken("invalid token")
        return claims


def new_refresh_token(session_id: str) -> tuple[str, str]:
    """``<session id>.<secret>``; returns the token and the hash stored for it."""
    secret = secrets.token_urlsafe(32)
    token = f"{session_id}.{secret}"
    return token, sha256_hex(token)


def split_refresh_token(token: str) -> str | None:
    """The session id a refresh token names, or None when it is not shaped like one."""
    session_id, dot, secret = token.partition(".")
    if not dot or len(session_id) != 32 or not secret or not all(c in "0123456789abcdef" for c in session_id):
        return None
    return session_id


def new_api_token() -> tuple[str, str]:
    """``cspm_<43 url-safe chars>`` (256 bits); returns the token and its SHA-256 (what is stored)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, sha256_hex(token)


def new_recovery_code() -> str:
    """80 random bits as ``xxxx-xxxx-xxxx-xxxx`` (base32): too much entropy to brute-force a SHA-256."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalise_recovery_code(code: str) -> str:
    compact = "".join(ch for ch in code.lower() if ch.isalnum())
    return "-".join(compact[i:i + 4] for i in range(0, len(compact), 4))

"""Access tokens that must be refused: alg none, tampered, expired, wrong algorithm, wrong type."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from cspm.auth.settings import AuthSettings
from cspm.auth.tokens import TokenCodec

SECRET = "t" * 48  # the test settings' JWT_SECRET (tests/conftest.py)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


async def assert_refused(client, token: str, *, detail: str | None = None) -> None:
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    if detail:
        assert detail in response.json()["detail"]


async def test_valid_token_is_accepted(client, auth):
    session = await auth.user(role=None)
    response = await client.get("/api/auth/me", headers=session.headers)
    assert response.status_code == 200


async def test_alg_none_is_refused(client, auth):
    session = await auth.user(role=None)
    claims = claims_of(session.access_token)
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    await assert_refused(client, unsigned)
    await assert_refused(client, jwt.encode(claims, None, algorithm="none"))


async def test_tampered_token_is_refused(client, auth):
    session = await auth.user(role=None)
    header, payload, signature = session.access_token.split(".")
    other = await auth.user(role=None)
    forged_claims = {**claims_of(session.access_token), "sub": other.user_id}
    await assert_refused(client, f"{header}.{b64(forged_claims)}.{signature}")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    await assert_refused(client, f"{header}.{payload}.{flipped}")
    # signed with another secret
    await assert_refused(client, jwt.encode(claims_of(session.access_token), "x" * 48, algorithm="HS256"))


async def test_expired_token_is_refused(client, auth):
    session = await auth.user(role=None)
    claims = {**claims_of(session.access_token), "iat": int(time.time()) - 3600,
              "nbf": int(time.time()) - 3600, "exp": int(time.time()) - 60}
    await assert_refused(client, jwt.encode(claims, SECRET, algorithm="HS256"), detail="expired")


async def test_wrong_algorithm_is_refused(client, auth):
    session = await auth.user(role=None)
    claims = claims_of(session.access_token)
    # Same secret, other HMAC algorithm: not the configured one.
    await assert_refused(client, jwt.encode(claims, SECRET * 2, algorithm="HS512"))
    await assert_refused(client, jwt.encode(claims, SECRET, algorithm="HS384"))
    # RS256 token presented to an HS256 deployment.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await assert_refused(client, jwt.encode(claims, key, algorithm="RS256"))


async def test_missing_claims_and_wrong_type_are_refused(client, auth):
    session = await auth.user(role=None)
    claims = claims_of(session.access_token)
    for missing in ("jti", "exp", "sid", "aud", "iss"):
        reduced = {k: v for k, v in claims.items() if k != missing}
        await assert_refused(client, jwt.encode(reduced, SECRET, algorithm="HS256"))
    challenge = auth.service.codec.issue_mfa_challenge(user_id=session.user_id).token
    await assert_refused(client, challenge)
    await assert_refused(client, session.refresh_token)
    await assert_refused(client, "not-a-token")
    await assert_refused(client, "cspm_" + "A" * 43)


async def test_token_for_a_forged_session_is_refused(client, auth):
    session = await auth.user(role=None)
    claims = {**claims_of(session.access_token), "sid": "0" * 32}
    await assert_refused(client, jwt.encode(claims, SECRET, algorithm="HS256"), detail="session")


async def test_missing_or_non_bearer_authorization_is_401(client):
    assert (await client.get("/api/auth/me")).status_code == 401
    basic = await client.get("/api/auth/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


def rsa_pem() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


async def test_rs256_deployment_accepts_its_tokens_and_refuses_hs256(client, auth):
    private, _ = rsa_pem()
    auth.configure(jwt_algorithm="RS256", jwt_private_key=SecretStr(private))
    session = await auth.user(role=None)
    assert jwt.get_unverified_header(session.access_token)["alg"] == "RS256"
    assert (await client.get("/api/auth/me", headers=session.headers)).status_code == 200
    # The classic confusion attack: HS256 signed with the public key, and a plain HS256 token.
    public_pem = auth.service.codec._verifying_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = claims_of(session.access_token)
    # PyJWT refuses to sign HS256 with a PEM key, so the attacker's token is built by hand.
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}"
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    await assert_refused(client, f"{signing_input}.{signature}")
    await assert_refused(client, jwt.encode(claims, SECRET, algorithm="HS256"))


def test_rs256_requires_a_key():
    with pytest.raises(ValueError, match="AUTH_JWT_PRIVATE_KEY"):
        AuthSettings(jwt_algorithm="RS256")


def test_hs256_requires_a_long_secret():
    with pytest.raises(ValueError, match="JWT_SECRET"):
        TokenCodec(AuthSettings(), "short")

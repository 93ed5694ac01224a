"""Security headers on every answer (errors included), HSTS only behind TLS, strict CORS from settings,
and no caching of API answers (tokens, one-time secrets)."""

from __future__ import annotations

import httpx
import pyotp
import pytest

from cspm.core.container import ServiceContainer
from cspm.main import create_app
from tests.conftest import make_settings, unique_database_names

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in response.headers["permissions-policy"]


async def test_headers_on_success_error_and_413(client, auth):
    session = await auth.user(role="viewer")
    responses = [
        await client.get("/api/health"),
        await client.get("/api/auth/me", headers=session.headers),
        await client.get("/api/auth/me"),  # 401
        await client.patch("/api/teams/active", headers=session.headers, json={"name": "nope"}),  # 403
        await client.post("/api/auth/login", content=b"{", headers={"Content-Type": "application/json"}),  # 422
        await client.post("/api/auth/login", content=b"x" * (3 * 1024 * 1024)),  # 413
        await client.get("/api/no-such-route"),  # 404
    ]
    assert [r.status_code for r in responses] == [200, 200, 401, 403, 422, 413, 404]
    for response in responses:
        assert_security_headers(response)
        # plain HTTP without a TLS proxy: no HSTS
        assert "strict-transport-security" not in response.headers


async def test_hsts_over_https(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        response = await http.get("/api/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert_security_headers(response)


@pytest.fixture
async def cors_app(tmp_path, mongo_uri):
    settings = make_settings(tmp_path, mongo_uri, cors_origins=["https://app.example.com"], trusted_proxy_tls=True)
    container = ServiceContainer(settings, database_names=unique_database_names())
    application = create_app(container=container)
    async with application.router.lifespan_context(application):
        yield application


async def test_cors_allows_only_configured_origins_and_hsts_behind_proxy(cors_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=cors_app), base_url="http://testserver") as http:
        allowed = await http.options("/api/auth/login", headers={
            "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization,x-team-id"})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "x-team-id" in allowed.headers["access-control-allow-headers"].lower()
        denied = await http.options("/api/auth/login", headers={
            "Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"})
        assert denied.status_code == 400
        assert "access-control-allow-origin" not in denied.headers
        simple = await http.get("/api/health", headers={"Origin": "https://evil.example.net"})
        assert "access-control-allow-origin" not in simple.headers
        # TLS terminates at a trusted proxy: HSTS even on plain HTTP from the proxy
        assert simple.headers["strict-transport-security"].startswith("max-age=63072000")


async def test_no_cors_headers_without_configured_origins(client):
    response = await client.options("/api/auth/login", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in response.headers


async def test_answers_carrying_credentials_are_not_stored(client, auth):
    session = await auth.user(role="team_admin")
    secret = pyotp.random_base32()
    with_mfa = await auth.user(role=None, mfa_secret=secret)
    login = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    challenge = await client.post("/api/auth/login", json={"email": with_mfa.email, "password": with_mfa.password})
    responses = {
        "login": login,
        "login with MFA": challenge,
        "MFA verify": await client.post("/api/auth/mfa/verify", json={
            "mfa_token": challenge.json()["mfa_token"], "code": pyotp.TOTP(secret).now()}),
        "refresh": await client.post("/api/auth/refresh",
                                     json={"refresh_token": login.json()["tokens"]["refresh_token"]}),
        "token creation": await client.post("/api/auth/tokens", headers=session.headers,
                                            json={"name": "ci", "permissions": ["findings:read"]}),
        "MFA enrolment": await client.post("/api/auth/mfa/enroll", headers=session.headers),
        "failed login": await client.post("/api/auth/login", json={"email": session.email, "password": "wrong-1234"}),
    }
    enrolment = responses["MFA enrolment"].json()
    responses["MFA activation (recovery codes)"] = await client.post(
        "/api/auth/mfa/activate", headers=session.headers, json={"code": pyotp.TOTP(enrolment["secret"]).now()})
    for what, response in responses.items():
        assert response.status_code < 300 or what == "failed login", (what, response.text)
        assert response.headers["cache-control"] == "no-store", what
    # outside the API (health probes, the dashboard) caching is left to each answer
    assert "cache-control" not in (await client.get("/health/ready")).headers

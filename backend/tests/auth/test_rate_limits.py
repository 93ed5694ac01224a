"""Rate limits (429 + Retry-After) on login, register, MFA verify and refresh; lock-out and timed unlock."""

from __future__ import annotations

import asyncio

import httpx
import pyotp


def from_ip(app, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


def limited(container, scope: str) -> float:
    return container.metrics.registry.get_sample_value("cspm_rate_limited_total", {"scope": scope}) or 0.0


async def test_login_per_ip(client, auth, container):
    auth.configure(login_ip_limit=3, rate_window_seconds=60)
    for attempt in range(3):
        response = await client.post("/api/auth/login", json={"email": f"u{attempt}@example.com",
                                                              "password": "Wrong-password-123"})
        assert response.status_code == 401
    refused = await client.post("/api/auth/login", json={"email": "u9@example.com", "password": "x-123456789012"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert limited(container, "login:ip") == 1


async def test_login_per_account_across_ips(app, auth, container):
    auth.configure(login_account_limit=2, lockout_threshold=100, rate_window_seconds=60)
    session = await auth.user(role=None)
    statuses = []
    for index in range(3):
        async with from_ip(app, f"192.0.2.{index + 1}") as http:
            response = await http.post("/api/auth/login", json={"email": session.email, "password": session.password})
            statuses.append(response.status_code)
    assert statuses == [200, 200, 429]
    assert limited(container, "login:account") == 1


async def test_lockout_after_failures_and_timed_unlock(client, auth, container):
    auth.configure(lockout_threshold=3, lockout_seconds=1, login_account_limit=100)
    session = await auth.user(role=None)
    for _ in range(3):
        bad = await client.post("/api/auth/login", json={"email": session.email, "password": "Wrong-password-123"})
        assert bad.status_code == 401
    locked = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]
    assert int(locked.headers["retry-after"]) >= 1
    events, _ = await auth.service.audit.list(team_id=None, action="auth.account_locked")
    assert len(events) == 1 and events[0]["target_id"] == session.user_id
    # unknown accounts lock the same way (no enumeration through lock-out)
    for _ in range(3):
        await client.post("/api/auth/login", json={"email": "ghost@example.com", "password": "Wrong-password-123"})
    ghost = await client.post("/api/auth/login", json={"email": "ghost@example.com", "password": "Wrong-password-1"})
    assert ghost.status_code == 429
    await asyncio.sleep(2.1)
    unlocked = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert unlocked.status_code == 200, unlocked.text


async def test_register_per_ip(client, auth):
    auth.configure(register_ip_limit=2)
    statuses = [(await client.post("/api/auth/register", json={"email": f"r{i}@example.com",
                                                                "password": "violet-Lantern-93-quarry"})).status_code
                for i in range(3)]
    assert statuses == [201, 403, 429]


async def test_mfa_verify_per_account(client, auth):
    auth.configure(mfa_account_limit=2, lockout_threshold=100)
    secret = pyotp.random_base32()
    session = await auth.user(role=None, mfa_secret=secret)
    login = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    token = login.json()["mfa_token"]
    statuses = [(await client.post("/api/auth/mfa/verify", json={"mfa_token": token, "code": "000000"})).status_code
                for _ in range(3)]
    assert statuses == [401, 401, 429]
    # a correct code is refused too while the limit holds
    ok = await client.post("/api/auth/mfa/verify", json={"mfa_token": token, "code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 429


async def test_refresh_per_ip(client, auth, container):
    auth.configure(refresh_ip_limit=2)
    session = await auth.user(role=None)
    token = session.refresh_token
    for _ in range(2):
        response = await client.post("/api/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 200
        token = response.json()["refresh_token"]
    refused = await client.post("/api/auth/refresh", json={"refresh_token": token})
    assert refused.status_code == 429 and refused.headers["retry-after"]
    assert limited(container, "refresh:ip") == 1

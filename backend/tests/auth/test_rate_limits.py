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


async def test_an_account_slows_down_across_addresses_without_locking(app, auth, container):
    auth.configure(lockout_threshold=100, login_delay_after=2, login_delay_max_seconds=2, rate_window_seconds=60)
    session = await auth.user(role=None)
    wrong = {"email": session.email, "password": "Wrong-password-123"}
    right = {"email": session.email, "password": session.password}
    statuses = []
    for index in range(2):
        async with from_ip(app, f"192.0.2.{index + 1}") as http:
            statuses.append((await http.post("/api/auth/login", json=wrong)).status_code)
    assert statuses == [401, 401]
    # the second failure makes the account wait a second, whoever asks next (the password is not checked)
    async with from_ip(app, "192.0.2.50") as owner:
        waiting = await owner.post("/api/auth/login", json=right)
        assert waiting.status_code == 429 and "for this account" in waiting.json()["detail"]
        assert 1 <= int(waiting.headers["retry-after"]) <= 2
        assert limited(container, "login-delay") == 1
        await asyncio.sleep(1.1)
        async with from_ip(app, "192.0.2.3") as stranger:
            assert (await stranger.post("/api/auth/login", json=wrong)).status_code == 401
        # the wait doubles (capped at 2 s here), then the owner gets in
        assert (await owner.post("/api/auth/login", json=right)).status_code == 429
        await asyncio.sleep(2.1)
        assert (await owner.post("/api/auth/login", json=right)).status_code == 200


async def test_a_stranger_locks_out_only_their_own_address(app, auth, container):
    """With the default settings: the attacker's address is locked, the owner logs in from theirs."""
    session = await auth.user(role="platform_admin")
    threshold = auth.service.settings.lockout_threshold
    async with from_ip(app, "203.0.113.66") as attacker, from_ip(app, "198.51.100.20") as owner:
        for _ in range(threshold):
            bad = await attacker.post("/api/auth/login", json={"email": session.email,
                                                               "password": "Wrong-password-123"})
            assert bad.status_code == 401
        # locked: even the right password from the attacker's address is refused, unchecked ...
        for _ in range(20):
            locked = await attacker.post("/api/auth/login", json={"email": session.email,
                                                                  "password": session.password})
            assert locked.status_code == 429 and "address is locked out" in locked.json()["detail"]
        # ... and hammering on does not slow the account down for its owner
        victim = await owner.post("/api/auth/login", json={"email": session.email, "password": session.password})
        assert victim.status_code == 200, victim.text
    events, _ = await auth.service.audit.list(team_id=None, action="auth.account_locked")
    assert [event["ip"] for event in events] == ["203.0.113.66"]
    # an administrator re-enabling the account lifts every lock
    await auth.service.limiter.unlock(session.email)
    async with from_ip(app, "203.0.113.66") as attacker:
        again = await attacker.post("/api/auth/login", json={"email": session.email, "password": session.password})
        assert again.status_code == 200


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

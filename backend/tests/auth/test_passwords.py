"""Password hashing parameters, upgrade on login, and the password policy."""

from __future__ import annotations

import pytest

from cspm.auth.passwords import PasswordHasher, PasswordPolicyError, check_password_policy, common_passwords
from cspm.auth.settings import PRODUCTION_MIN_ITERATIONS, AuthSettings


def test_production_default_is_at_least_600k_and_a_real_hash_carries_it():
    assert AuthSettings.model_fields["password_iterations"].default >= 600_000
    assert PRODUCTION_MIN_ITERATIONS >= 600_000
    hasher = PasswordHasher(AuthSettings.model_fields["password_iterations"].default)
    stored = hasher.hash_sync("violet-Lantern-93-quarry")
    assert stored.startswith("$pbkdf2-sha256$600000$")
    parameters = PasswordHasher.parameters(stored)
    assert parameters["iterations"] == 600_000 and len(str(parameters["salt"])) >= 16
    assert hasher.verify_sync("violet-Lantern-93-quarry", stored).valid
    assert not hasher.verify_sync("violet-Lantern-93-quarrY", stored).valid
    # per-user salt: the same password never gives the same hash
    assert hasher.hash_sync("violet-Lantern-93-quarry") != stored


def test_production_refuses_low_iterations(monkeypatch):
    class Core:
        production = True

    class Container:
        settings = Core()

    monkeypatch.setenv("AUTH_PASSWORD_ITERATIONS", "1000")
    with pytest.raises(ValueError, match="at least 600000"):
        AuthSettings.build(Container())


def test_unknown_hash_format_is_rejected_without_error():
    hasher = PasswordHasher(1000)
    assert hasher.verify_sync("x", None).valid is False
    assert hasher.verify_sync("x", "$2b$12$notourscheme").valid is False


async def test_login_rehashes_when_iterations_rise(client, auth, container):
    session = await auth.user(role="analyst")
    before = (await auth.service.users.get(session.user_id))["password_hash"]
    assert PasswordHasher.parameters(before)["iterations"] == 1000
    auth.configure(password_iterations=1500)
    response = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert response.status_code == 200, response.text
    after = (await auth.service.users.get(session.user_id))["password_hash"]
    assert PasswordHasher.parameters(after)["iterations"] == 1500 and after != before
    # the upgraded hash still verifies the same password
    again = await client.post("/api/auth/login", json={"email": session.email, "password": session.password})
    assert again.status_code == 200
    assert (await auth.service.users.get(session.user_id))["password_hash"] == after
    events, _ = await auth.service.audit.list(team_id=None, action="auth.password_rehashed")
    assert [e["actor_id"] for e in events] == [session.user_id]


@pytest.mark.parametrize(("password", "reason"), [
    ("short1!", "at least 12"),
    ("alice.smith@example.com", "e-mail"),
    ("my-alice.smith-password", "e-mail"),
    ("password1234", "too common"),
    ("Password123456!!", "too common"),
    ("correcthorsebatterystaple", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
])
def test_policy_refuses(password, reason):
    with pytest.raises(PasswordPolicyError, match=reason):
        check_password_policy(password, email="alice.smith@example.com", min_length=12, max_length=256)


def test_policy_accepts_a_reasonable_passphrase():
    check_password_policy("violet-Lantern-93-quarry", email="alice@example.com", min_length=12, max_length=256)
    assert "123456" in common_passwords() and len(common_passwords()) > 300


async def test_register_with_weak_password_is_422_and_stores_nothing(client, container):
    response = await client.post("/api/auth/register", json={"email": "a@example.com", "password": "qwerty123456"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("password:")
    from cspm.core.database.registry import Database

    assert await container.database.db(Database.PLATFORM)["users"].count_documents({}) == 0

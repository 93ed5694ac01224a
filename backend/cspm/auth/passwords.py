"""Password hashing (PBKDF2-HMAC-SHA256 through libpass) and the password policy.

Hashes are in the modular-crypt format ``$pbkdf2-sha256$<iterations>$<salt>$<digest>``, so
each one carries its own iteration count and per-user salt. When the configured count
rises, ``verify`` says the stored hash needs an upgrade and returns the new hash, which
the login path stores (re-hash on login). libpass compares digests in constant time.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from passlib.context import CryptContext  # type: ignore[import-untyped]  # libpass ships no stubs

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
SCHEME = "pbkdf2_sha256"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Verification:
    valid: bool
    new_hash: str | None = None
    """Set when the password was right but the stored hash used fewer iterations than configured."""


class PasswordHasher:
    def __init__(self, iterations: int) -> None:
        self.iterations = iterations
        self._context = CryptContext(
            schemes=[SCHEME],
            **{f"{SCHEME}__default_rounds": iterations, f"{SCHEME}__min_rounds": iterations},
        )
        # A real hash to verify against when the account does not exist, so the answer
        # takes as long as for a real account (no user enumeration by timing).
        self._dummy_hash = self._context.hash("dummy password for timing equalisation")

    def hash_sync(self, password: str) -> str:
        return self._context.hash(password)

    def verify_sync(self, password: str, stored: str | None) -> Verification:
        if not stored or self._context.identify(stored) is None:
            self._context.verify(password, self._dummy_hash)
            return Verification(False)
        valid, new_hash = self._context.verify_and_update(password, stored)
        return Verification(bool(valid), new_hash if valid else None)

    async def hash(self, password: str) -> str:
        """Hash off the event loop (hundreds of milliseconds at production iteration counts)."""
        return await asyncio.to_thread(self.hash_sync, password)

    async def verify(self, password: str, stored: str | None) -> Verification:
        return await asyncio.to_thread(self.verify_sync, password, stored)

    @staticmethod
    def parameters(stored: str) -> dict[str, object]:
        """The scheme and iteration count a stored hash carries."""
        parts = stored.split("$")
        if len(parts) != 5 or parts[1] != "pbkdf2-sha256":
            raise ValueError("not a pbkdf2-sha256 modular-crypt hash")
        return {"scheme": parts[1], "iterations": int(parts[2]), "salt": parts[3]}


class PasswordPolicyError(ValueError):
    pass


_EDGE_NOISE = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def check_password_policy(password: str, *, email: str, min_length: int, max_length: int) -> None:
    """Raise PasswordPolicyError with a user-facing reason; silent when the password is acceptable."""
    if len(password) < min_length:
        raise PasswordPolicyError(f"password must be at least {min_length} characters")
    if len(password) > max_length:
        raise PasswordPolicyError(f"password must be at most {max_length} characters")
    lowered = password.lower()
    email = email.lower()
    local_part = email.split("@", 1)[0]
    if lowered == email or email in lowered or (len(local_part) >= 4 and local_part in lowered):
        raise PasswordPolicyError("password must not contain the e-mail address")
    common = common_passwords()
    stripped = _EDGE_NOISE.sub("", lowered)
    if lowered in common or stripped in common or len(set(lowered)) <= 2:
        raise PasswordPolicyError("password is too common: choose a longer, less predictable one")

"""TOTP (RFC 6238) enrolment and verification, and encryption of the TOTP secret at rest.

The secret is stored encrypted with the platform's Fernet keys (newest first; older keys
still decrypt). A code is accepted in a window of one step either side of the server's
clock, and the same time step is never accepted twice for a user (replay protection).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

VALID_WINDOW = 1


class SecretBox:
    def __init__(self, keys: list[SecretStr]) -> None:
        if not keys:
            raise ValueError("FERNET_KEYS is required to store MFA secrets")
        self._fernet = MultiFernet([Fernet(key.get_secret_value()) for key in keys])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("MFA secret cannot be decrypted with the configured FERNET_KEYS") from exc


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str


def new_enrolment(*, email: str, issuer: str) -> Enrolment:
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)
    qr = segno.make(uri, error="m")
    return Enrolment(secret, uri, qr.svg_data_uri(scale=4))


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The TOTP time step ``code`` belongs to (within the window), or None when it matches none."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = int(now // totp.interval)
    found = None
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        # Compare every candidate (no early exit) in constant time.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found

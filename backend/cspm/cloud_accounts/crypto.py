"""Credentials at rest: Fernet tokens under a MultiFernet (FERNET_KEYS, newest first).

A token encrypted with any configured key decrypts; new tokens and rotated ones use the
newest key, so rotating is: put a new key first in FERNET_KEYS, restart, run the rotation
job (``cloud_accounts.rotate_credentials``), then drop the old key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class CredentialDecryptionError(RuntimeError):
    """No configured key opens the token (a key was removed before rotation finished)."""


class CredentialVault:
    def __init__(self, keys: Sequence[SecretStr]) -> None:
        if not keys:
            raise ValueError("no Fernet key configured (FERNET_KEYS)")
        self._fernet = MultiFernet([Fernet(key.get_secret_value()) for key in keys])

    def encrypt(self, secrets: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(secrets, separators=(",", ":")).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise CredentialDecryptionError(
                "stored credentials cannot be decrypted with the configured FERNET_KEYS") from None

    def rotate(self, token: str) -> str:
        """The same secrets, encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise CredentialDecryptionError(
                "stored credentials cannot be decrypted with the configured FERNET_KEYS") from None

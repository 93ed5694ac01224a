"""Authentication settings (environment variables prefixed ``AUTH_``).

The JWT signing secret for HS256 is the platform's ``JWT_SECRET`` (core settings); RS256
uses the PEM keys below. Tests lower ``AUTH_PASSWORD_ITERATIONS`` (see
``tests/auth_helpers.py``); production keeps the default of 600,000 or more.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load

PRODUCTION_MIN_ITERATIONS = 600_000


class AuthSettings(CSPMSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")

    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_private_key: SecretStr | None = Field(default=None, description="PEM private key (RS256 only).")
    jwt_public_key: str | None = Field(default=None, description="PEM public key (RS256; derived if unset).")
    jwt_issuer: str = "offload-cspm"
    jwt_audience: str = "offload-cspm-api"
    access_token_minutes: int = Field(default=15, ge=1, le=120)
    refresh_token_days: int = Field(default=14, ge=1, le=90)
    session_max_days: int = Field(default=30, ge=1, le=365, description="Absolute session lifetime.")
    mfa_challenge_seconds: int = Field(default=300, ge=30, le=900)

    password_iterations: int = Field(default=PRODUCTION_MIN_ITERATIONS, ge=1_000)
    password_min_length: int = Field(default=12, ge=8, le=128)
    password_max_length: int = Field(default=256, ge=64, le=4096)

    registration_open: bool = Field(
        default=False, description="Initial state of self-registration after the first user (admins can change it)."
    )
    invitation_days: int = Field(default=7, ge=1, le=60)
    api_token_max_days: int = Field(default=365, ge=1, le=3650)
    mfa_issuer: str = "OffloadSecurity CSPM"
    recovery_code_count: int = Field(default=10, ge=4, le=20)

    # Rate limits: (attempts, window seconds).
    login_ip_limit: int = Field(default=30, ge=1)
    login_account_limit: int = Field(
        default=10, ge=1, description="Password checks per account per window when changing the password.")
    register_ip_limit: int = Field(default=10, ge=1)
    mfa_ip_limit: int = Field(default=30, ge=1)
    mfa_account_limit: int = Field(default=10, ge=1)
    refresh_ip_limit: int = Field(default=60, ge=1)
    refresh_account_limit: int = Field(default=30, ge=1)
    rate_window_seconds: int = Field(default=300, ge=1)
    # Lock-out per (account, client address), and a delay for the account as a whole (cspm.auth.ratelimit).
    lockout_threshold: int = Field(
        default=5, ge=1, description="Failed passwords from one client address before it is locked out of the account.")
    lockout_window_seconds: int = Field(default=900, ge=1, description="How long failed passwords are counted.")
    lockout_seconds: int = Field(default=900, ge=1, description="How long a locked-out address stays locked out.")
    login_delay_after: int = Field(
        default=10, ge=1, description="Failed passwords of an account, from all addresses, after which each "
                                      "further one makes the account wait (1 s, doubling).")
    login_delay_max_seconds: int = Field(default=30, ge=1, le=3600, description="The longest such wait.")

    @model_validator(mode="after")
    def _rs256_needs_key(self) -> Self:
        if self.jwt_algorithm == "RS256" and self.jwt_private_key is None:
            raise ValueError("AUTH_JWT_PRIVATE_KEY is required when AUTH_JWT_ALGORITHM=RS256")
        return self

    @classmethod
    def build(cls, container: object) -> AuthSettings:
        """Loaded once per container; tests replace it with ``container.override``."""
        settings = load(cls)
        production = getattr(getattr(container, "settings", None), "production", False)
        if production and settings.password_iterations < PRODUCTION_MIN_ITERATIONS:
            raise ValueError(f"AUTH_PASSWORD_ITERATIONS must be at least {PRODUCTION_MIN_ITERATIONS} in production")
        return settings

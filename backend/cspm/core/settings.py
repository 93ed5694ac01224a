"""Platform-wide settings, read from the environment and `.env`.

Each domain keeps its own settings class next to its code (``auth/settings.py``,
``scans/settings.py``); this module holds only what every part of the platform needs
and the helper that turns a validation failure into one line naming the variable.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_FILE = os.environ.get("CSPM_ENV_FILE", ".env")


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names the environment variable."""


class ExecutorMode(StrEnum):
    LOCAL = "local"
    DOCKER = "docker"


class EmbeddedEngine(StrEnum):
    SECANTUS = "secantus"
    """SecantusDB child process on WiredTiger: persistent, linear at scale (the default)."""
    MEMORY = "memory"
    """mongoeco in memory: the test suite's stand-in (fast start, quadratic past a few thousand)."""
    SQLITE = "sqlite"
    """mongoeco on SQLite: the former default, kept for existing data directories."""


class CSPMSettings(BaseSettings):
    """Base for every settings class: same env file, unknown variables ignored."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")


class CoreSettings(CSPMSettings):
    environment: Literal["development", "test", "production"] = "development"
    mongodb_uri: SecretStr | None = Field(
        default=None, description="MongoDB URI; unset means embedded mode (in-process wire server)."
    )
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    redis_key_prefix: str = "cspm:"
    mongodb_uri_is_embedded: bool = Field(
        default=False,
        description="Set by `cspm serve` for the worker it starts: MONGODB_URI is its embedded stand-in "
                    "(relaxed driver timeouts; reported as embedded).")
    mongodb_timeout_ms: int = Field(
        default=5000, ge=100, le=600_000,
        description="How long the driver waits to select and connect to MongoDB before a request fails "
                    "(server selection and connect timeouts).")
    data_dir: Path = Path("data")
    embedded_engine: EmbeddedEngine = EmbeddedEngine.SECANTUS
    embedded_cache_size: str = Field(
        default="512M", pattern=r"^[1-9][0-9]*[MG]$",
        description="WiredTiger cache of the embedded SecantusDB store, e.g. 512M or 2G.")
    jwt_secret: SecretStr | None = None
    fernet_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Fernet keys, newest first; older keys still decrypt (rotation).",
    )
    scanner_executor: ExecutorMode = ExecutorMode.LOCAL
    retention_days: int = Field(default=180, ge=1, le=3650)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_upload_bytes: int = Field(
        default=512 * 1024 * 1024, ge=1024 * 1024,
        description="Largest report upload or scanner callback body; larger ones are refused with 413 "
                    "while they stream in.")
    trusted_proxy_tls: bool = Field(
        default=False, description="Set when TLS terminates at a proxy: enables HSTS."
    )
    lifecycle_scheduler: Literal["auto", "in-process", "beat"] = Field(
        default="auto",
        description="Who sends periodic jobs (scheduled scans, watchdog, retention): Celery beat, or the API "
                    "process itself; auto = in-process in embedded mode, beat with MONGODB_URI.")
    celery_always_in_process: bool = Field(
        default=False, description="Run background tasks on the in-process worker even if Redis answers."
    )
    extra_job_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated extra modules holding @job declarations (plugins, tests), loaded "
                    "by every worker kind after JOB_MODULES.",
    )
    worker_metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="Port on which a Celery worker serves its Prometheus metrics; unset: not served.",
    )
    worker_metrics_host: str = "127.0.0.1"

    @field_validator("mongodb_uri", "jwt_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `MONGODB_URI=` in an .env template means "not set" (embedded mode, generated dev secret).
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("mongodb_uri")
    @classmethod
    def _mongodb_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _jwt_secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("extra_job_modules", mode="before")
    @classmethod
    def _split_modules(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("fernet_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("fernet_keys")
    @classmethod
    def _valid_fernet(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for key in keys:
            try:
                Fernet(key.get_secret_value())
            except ValueError as exc:
                raise ValueError("each key must be 32 url-safe base64-encoded bytes") from exc
        return keys

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def embedded(self) -> bool:
        return self.mongodb_uri is None

    @property
    def in_process_scheduler(self) -> bool:
        if self.lifecycle_scheduler == "auto":
            return self.embedded
        return self.lifecycle_scheduler == "in-process"

    @property
    def production(self) -> bool:
        return self.environment == "production"


class DatabaseNameSettings(CSPMSettings):
    """Per-database name overrides (`DB_NAME`, `CLOUD_SECURITY_DB_NAME`, ...)."""

    db_name: str | None = None
    cloud_security_db_name: str | None = None
    cloud_assets_db_name: str | None = None
    orchestration_db_name: str | None = None
    vulnerabilities_db_name: str | None = None
    risk_management_db_name: str | None = None
    assessments_db_name: str | None = None
    container_registry_db_name: str | None = None
    security_scans_db_name: str | None = None
    threat_intelligence_db_name: str | None = None
    ai_governance_db_name: str | None = None
    integrations_db_name: str | None = None
    knowledge_base_db_name: str | None = None
    bia_db_name: str | None = None

    def overrides(self) -> dict[str, str]:
        """Environment variable name → database name, for the ones that are set."""
        return {key.upper(): value for key, value in self.model_dump().items() if value}


def load[S: BaseSettings](settings_class: type[S], **overrides: Any) -> S:
    """Instantiate a settings class; a validation failure becomes one line naming the variable."""
    try:
        return settings_class(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "?"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(
            f"invalid setting {field.upper()}: {message} ({len(exc.errors())} error(s))"
        ) from None


class LocalSecrets:
    """Secrets generated once for development / embedded mode and kept in the data directory.

    Production must set JWT_SECRET and FERNET_KEYS explicitly; embedded mode should run
    with one command, so it creates them on first start (file mode 600) instead.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "secrets.json"

    def get_or_create(self) -> dict[str, str]:
        if self.path.exists():
            return json.loads(self.path.read_text())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        values = {
            "jwt_secret": secrets.token_urlsafe(48),
            "fernet_key": Fernet.generate_key().decode(),
        }
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(values, handle)
        return values


def resolve_core_settings(**overrides: object) -> CoreSettings:
    """Load core settings and fill development-only secrets; production must set them."""
    settings = load(CoreSettings, **overrides)
    if settings.embedded and "redis_key_prefix" not in settings.model_fields_set:
        # Each embedded instance has its own database, so its queues and sessions must be its own
        # too: two local instances on one Redis would otherwise take each other's jobs.
        digest = hashlib.sha1(str(settings.data_dir.resolve()).encode(), usedforsecurity=False).hexdigest()
        settings.redis_key_prefix = f"cspm:{digest[:10]}:"
    missing = [
        name
        for name, value in (("JWT_SECRET", settings.jwt_secret), ("FERNET_KEYS", settings.fernet_keys))
        if not value
    ]
    if missing and settings.production:
        raise SettingsError(f"missing setting {missing[0]}: required when ENVIRONMENT=production")
    if missing:
        generated = LocalSecrets(settings.data_dir).get_or_create()
        if not settings.jwt_secret:
            settings.jwt_secret = SecretStr(generated["jwt_secret"])
        if not settings.fernet_keys:
            settings.fernet_keys = [SecretStr(generated["fernet_key"])]
    return settings

"""Settings: a missing or invalid setting stops start-up with one line naming the variable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cspm.core.settings import (
    CoreSettings,
    DatabaseNameSettings,
    SettingsError,
    load,
    resolve_core_settings,
)

BACKEND = Path(__file__).resolve().parents[2]
GOOD_JWT = "j" * 40


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No platform variable from the caller's environment, no .env file in the working directory."""
    for name in [*CoreSettings.model_fields, *DatabaseNameSettings.model_fields]:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("RETENTION_DAYS", "abc", "valid integer"),
        ("RETENTION_DAYS", "0", "greater than or equal to 1"),
        ("RETENTION_DAYS", "99999", "less than or equal to 3650"),
        ("ENVIRONMENT", "prod", "'development', 'test' or 'production'"),
        ("SCANNER_EXECUTOR", "kubernetes", "'local' or 'docker'"),
        ("EMBEDDED_ENGINE", "postgres", "'secantus', 'memory' or 'sqlite'"),
        ("LOG_LEVEL", "LOUD", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("LOG_JSON", "maybe", "valid boolean"),
        ("JWT_SECRET", "too-short", "at least 32 characters"),
        ("FERNET_KEYS", "not-a-fernet-key", "32 url-safe base64-encoded bytes"),
        ("MONGODB_URI", "http://127.0.0.1:27017", "mongodb://"),
        ("REDIS_URL", "127.0.0.1:6379", "redis://"),
        ("WORKER_METRICS_PORT", "70000", "less than or equal to 65535"),
    ],
)
def test_invalid_setting_is_one_line_naming_the_variable(clean_env, variable, value, reason):
    clean_env.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        resolve_core_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"invalid setting {variable}: ")
    assert reason in message
    if variable in ("JWT_SECRET", "FERNET_KEYS", "MONGODB_URI", "REDIS_URL"):
        assert value not in message, "a rejected secret value must not be echoed"


def test_second_fernet_key_invalid_is_still_named(clean_env):
    clean_env.setenv("FERNET_KEYS", f"{Fernet.generate_key().decode()},broken")
    with pytest.raises(SettingsError, match=r"^invalid setting FERNET_KEYS: "):
        resolve_core_settings()


def test_values_are_parsed(clean_env):
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    clean_env.setenv("RETENTION_DAYS", "30")
    clean_env.setenv("FERNET_KEYS", f" {keys[0]} , {keys[1]} ")
    clean_env.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    clean_env.setenv("EXTRA_JOB_MODULES", "tests.core.worker_jobs")
    clean_env.setenv("MONGODB_URI", "mongodb://user:pw@127.0.0.1:27017/?directConnection=true")
    settings = resolve_core_settings()
    assert settings.retention_days == 30
    assert [key.get_secret_value() for key in settings.fernet_keys] == keys
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.extra_job_modules == ["tests.core.worker_jobs"]
    assert not settings.embedded
    assert "pw" not in repr(settings), "secrets must not appear in the settings repr"


def test_defaults_and_empty_uri_mean_embedded(clean_env):
    clean_env.setenv("MONGODB_URI", "")
    settings = resolve_core_settings()
    assert settings.embedded
    assert settings.retention_days == 180
    assert settings.scanner_executor == "local"


def test_production_requires_jwt_secret(clean_env):
    clean_env.setenv("ENVIRONMENT", "production")
    clean_env.setenv("FERNET_KEYS", Fernet.generate_key().decode())
    with pytest.raises(SettingsError) as caught:
        resolve_core_settings()
    assert str(caught.value) == "missing setting JWT_SECRET: required when ENVIRONMENT=production"
    assert not (Path(os.environ["DATA_DIR"]) / "secrets.json").exists(), "production never generates secrets"


def test_production_requires_fernet_keys(clean_env):
    clean_env.setenv("ENVIRONMENT", "production")
    clean_env.setenv("JWT_SECRET", GOOD_JWT)
    with pytest.raises(SettingsError, match=r"^missing setting FERNET_KEYS: required when ENVIRONMENT=production$"):
        resolve_core_settings()


def test_production_with_both_secrets_starts(clean_env):
    clean_env.setenv("ENVIRONMENT", "production")
    clean_env.setenv("JWT_SECRET", GOOD_JWT)
    clean_env.setenv("FERNET_KEYS", Fernet.generate_key().decode())
    settings = resolve_core_settings()
    assert settings.production
    assert settings.jwt_secret.get_secret_value() == GOOD_JWT


def test_development_secrets_are_generated_once_with_mode_600(clean_env):
    first = resolve_core_settings()
    second = resolve_core_settings()
    secrets_file = Path(os.environ["DATA_DIR"]) / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert len(first.jwt_secret.get_secret_value()) >= 32
    assert first.jwt_secret.get_secret_value() == second.jwt_secret.get_secret_value()
    Fernet(first.fernet_keys[0].get_secret_value())  # a usable key


def test_env_file_is_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text("RETENTION_DAYS=45\n")
    assert load(CoreSettings, _env_file=tmp_path / ".env").retention_days == 45


def _cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cspm.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _cli_env(tmp_path: Path, **values: str) -> dict[str, str]:
    names = {name.upper() for name in [*CoreSettings.model_fields, *DatabaseNameSettings.model_fields]}
    env = {key: value for key, value in os.environ.items() if key not in names}
    env["PYTHONPATH"] = str(BACKEND)
    env["DATA_DIR"] = str(tmp_path / "data")
    env.update(values)
    return env


def test_cli_serve_with_invalid_setting_exits_with_one_line(tmp_path):
    result = _cli(["serve", "--port", "1"], _cli_env(tmp_path, RETENTION_DAYS="abc"), tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: invalid setting RETENTION_DAYS: Input should be a valid integer, unable to parse string as an "
        "integer (1 error(s))"
    ]
    assert "Traceback" not in result.stderr


def test_cli_serve_in_production_without_jwt_secret_fails(tmp_path):
    env = _cli_env(tmp_path, ENVIRONMENT="production", FERNET_KEYS=Fernet.generate_key().decode())
    result = _cli(["serve", "--port", "1"], env, tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: missing setting JWT_SECRET: required when ENVIRONMENT=production"
    ]


def test_embedded_instances_get_their_own_redis_prefix(tmp_path, monkeypatch):
    from cspm.core.settings import resolve_core_settings

    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.delenv("REDIS_KEY_PREFIX", raising=False)
    first = resolve_core_settings(data_dir=tmp_path / "one")
    second = resolve_core_settings(data_dir=tmp_path / "two")
    again = resolve_core_settings(data_dir=tmp_path / "one")
    assert first.redis_key_prefix != second.redis_key_prefix
    assert first.redis_key_prefix == again.redis_key_prefix and first.redis_key_prefix.startswith("cspm:")
    explicit = resolve_core_settings(data_dir=tmp_path / "one", redis_key_prefix="shared:")
    assert explicit.redis_key_prefix == "shared:"
    server = resolve_core_settings(data_dir=tmp_path / "one", mongodb_uri="mongodb://db:27017")
    assert server.redis_key_prefix == "cspm:"
